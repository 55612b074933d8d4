//! A month of work in a district (issue 21's closing test): a district, two
//! streets and four communities, real processes on loopback. Each community
//! declines, mediates, consults at a card meeting with an outcome of every
//! class, carries out, evaluates and sends a suggestion up; the streets
//! decide, forward and resolve; the district dispatches, and its 12345 desk
//! takes a matter in directly, returns one result and re-dispatches; a
//! street assigns a topic down (one community accepts, one declines) and
//! another's joint meeting member proposes one. The test counts what it did
//! as it does it, then checks the district's subtree export against its
//! own count, recomputes the export from the ledgers with `yiyi stats
//! --recompute`, and catches an export edited by one figure, by name.

use std::collections::BTreeMap;

use serde_json::Value;
use yiyi_tests::federation::{Federation, federation, log_of, wait_for};
use yiyi_tests::{Json, Node, command, today};

/// What the test did, per office, in the figures' terms.
#[derive(Default, Debug, Clone, PartialEq, Eq)]
struct Count {
    raised: u64,
    accepted: u64,
    declined: u64,
    referred: u64,
    mediated: u64,
    settled: u64,
    classified: u64,
    escalated: u64,
    resolved: u64,
    disputes_resolved: u64,
    evaluated: u64,
    satisfied: u64,
    open: u64,
}

impl Count {
    fn of(figures: &Value) -> Count {
        let n = |name: &str| figures.u64_at(&format!("/{name}"));
        Count {
            raised: n("raised"),
            accepted: n("accepted"),
            declined: n("declined"),
            referred: n("referred"),
            mediated: n("mediated"),
            settled: n("settled"),
            classified: n("classified"),
            escalated: n("escalated"),
            resolved: n("resolved"),
            disputes_resolved: n("disputes_resolved"),
            evaluated: n("evaluated"),
            satisfied: n("satisfied"),
            open: n("open"),
        }
    }
}

/// A community's month; returns the matter its suggestion became (the
/// escalation entry's hash) and what it did.
fn community_month(c: &Node, i: usize) -> (String, Count) {
    let mut count = Count::default();
    let t = |name: &str| format!("T-{i}-{name}");
    // Two declined as already regulated.
    for name in ["park", "fee"] {
        c.decline(&t(name), "已有规定的事项");
        count.raised += 1;
        count.declined += 1;
    }
    // Two disputes: one settled by mediation; one not, then approved for
    // consultation (and waiting for it).
    for (name, settled) in [("noise", true), ("wall", false)] {
        c.propose(&t(name), "邻里纠纷");
        c.yiyi(&format!(
            "topic refer {} --mediator 人民调解委员会",
            t(name)
        ));
        let how = if settled { "--settled" } else { "--unsettled" };
        c.yiyi(&format!(
            "topic mediate {} {how} --mediator 人民调解委员会",
            t(name)
        ));
        count.raised += 1;
        count.referred += 1;
        count.mediated += 1;
        if settled {
            count.settled += 1;
            count.disputes_resolved += 1;
        }
    }
    c.yiyi(&format!(
        "topic approve {} --approval 社区党委会{today}",
        t("wall"),
        today = today()
    ));
    count.accepted += 1;
    count.open += 1;
    // A card meeting on four topics, one of each class.
    let classes = [
        ("light", "immediate"),
        ("lift", "promised"),
        ("square", "shelved"),
        ("bus", "suggestion"),
    ];
    for (name, _) in classes {
        c.propose(&t(name), "社区事务");
        c.yiyi(&format!("topic accept {}", t(name)));
        count.raised += 1;
        count.accepted += 1;
    }
    let meeting = format!("M-{i}");
    let topics: String = classes
        .iter()
        .map(|(n, _)| format!(" --topic {}", t(n)))
        .collect();
    c.yiyi(&format!(
        "meeting schedule --id {meeting} --form card --date {}{topics}",
        today()
    ));
    c.steps_through_discussion(&meeting);
    c.yiyi(&format!(
        "meeting step {meeting} form-result --result 各项分别办理"
    ));
    c.yiyi(&format!(
        "outcome {} --meeting {meeting} --class immediate --responsible 物业公司 --measures 更换灯泡",
        t("light")
    ));
    c.yiyi(&format!(
        "outcome {} --meeting {meeting} --class promised --responsible 居委会 --measures 征求意见 --deadline 2099-06-30 --notice-period 30",
        t("lift")
    ));
    c.yiyi(&format!(
        "outcome {} --meeting {meeting} --class shelved --explanation 分歧较大",
        t("square")
    ));
    c.yiyi(&format!(
        "outcome {} --meeting {meeting} --class suggestion --proposed-solution 请上级协调",
        t("bus")
    ));
    c.yiyi(&format!("meeting step {meeting} publish-result"));
    count.classified += 4;
    // The immediate item carried out, visited and evaluated.
    c.yiyi(&format!(
        "progress {} --text 已更换 --completed",
        t("light")
    ));
    c.yiyi(&format!(
        "followup {} --summary 回访住户 --households 5",
        t("light")
    ));
    c.yiyi(&format!(
        "evaluate {} --satisfied 10 --basically-satisfied 2 --dissatisfied 1",
        t("light")
    ));
    count.resolved += 1;
    count.evaluated += 1;
    count.satisfied += 10;
    // The promised and the shelved stay open; the suggestion goes up (and
    // is open until its result comes back down).
    count.open += 2;
    let sent = c.yiyi(&format!("escalation send {}", t("bus")));
    count.escalated += 1;
    count.open += 1;
    // One more, raised late in the month, not yet gate-kept.
    c.propose(&t("late"), "新的反映");
    count.raised += 1;
    count.open += 1;
    (sent.str_at("/entry/hash").to_owned(), count)
}

/// Waits until `node` has received the matter `hash`.
fn received(node: &Node, hash: &str) {
    wait_for("the matter to be received", || {
        node.get("/api/v1/matters")
            .list_at("/matters")
            .iter()
            .any(|m| m.str_at("/id") == hash && m.str_at("/status") == "received")
    });
}

#[test]
fn a_month_of_work_rolls_up_to_the_district_and_recomputes_from_the_ledgers() {
    let Federation {
        district,
        streets,
        communities,
    } = federation();
    let mut counts: BTreeMap<String, Count> = BTreeMap::new();
    let mut sent = Vec::new();
    for (i, c) in communities.iter().enumerate() {
        let (hash, count) = community_month(c, i);
        sent.push(hash);
        counts.insert(format!("社区{}", i + 1), count);
    }

    // Topics down and up at the streets.
    streets[0].yiyi("assignment send --id A-1 --office 社区1 --title 背街小巷路灯改造 --category public-affairs --scale major");
    streets[0].yiyi("assignment send --id A-2 --office 社区2 --title 背街小巷路灯改造 --category public-affairs --scale major");
    for c in &communities[..2] {
        wait_for("the assignment down", || {
            c.get("/api/v1/assignments").list_at("/received").len() == 1
        });
    }
    communities[0].yiyi("assignment accept A-1");
    communities[1].yiyi("assignment decline A-2 --reason 本社区无背街小巷");
    let first = counts.get_mut("社区1").unwrap();
    first.raised += 1;
    first.open += 1;
    streets[1].yiyi("joint member --id U-1 --kind resident-unit --name 驻区银行");
    streets[1].yiyi("topic propose --id T-s-parking --title 夜间停车 --category public-affairs --scale major --source street-joint-meeting --member U-1");
    counts.insert(
        "大明湖街道".into(),
        Count {
            raised: 1,
            open: 1,
            ..Count::default()
        },
    );
    counts.insert("泉城路街道".into(), Count::default());
    counts.insert("历下区".into(), Count::default());

    // The streets decide: 泉城路 handles 社区1's itself and forwards
    // 社区2's; 大明湖 forwards both of its.
    for (street, hashes) in [(&streets[0], &sent[..2]), (&streets[1], &sent[2..])] {
        for hash in hashes {
            received(street, hash);
        }
    }
    streets[0].yiyi(&format!("escalation accept {}", sent[0]));
    streets[0].yiyi(&format!(
        "escalation resolve {} --result 街道协调公交公司增设站点",
        sent[0]
    ));
    let mut hops = Vec::new();
    for (street, hash) in [
        (&streets[0], &sent[1]),
        (&streets[1], &sent[2]),
        (&streets[1], &sent[3]),
    ] {
        let forwarded = street.yiyi(&format!("escalation forward {hash} --reason 超出街道职权"));
        hops.push(forwarded.str_at("/forwarded/hash").to_owned());
    }
    // The district dispatches each to a department, which resolves it.
    for (id, name) in [
        ("jtj", "区交通运输局"),
        ("cgj", "区城管局"),
        ("zjj", "区住建局"),
    ] {
        district.yiyi(&format!("department add {id} --name {name} --handles 综合"));
    }
    for hop in &hops {
        received(&district, hop);
        district.yiyi(&format!("escalation dispatch {hop} --department jtj"));
        district.yiyi(&format!(
            "escalation resolve {hop} --department jtj --result 已办理"
        ));
    }
    // And its 12345 desk takes one in directly: dispatched, returned once,
    // re-dispatched, resolved.
    district.yiyi(
        "escalation intake --id H-1 --title 夜间施工噪音 --category daily-life --source hotline",
    );
    district.yiyi("escalation dispatch H-1 --department zjj");
    district.yiyi("escalation resolve H-1 --department zjj --result 不属本部门");
    district.yiyi("escalation redispatch H-1 --department zjj --reason 属城管执法 --to cgj");
    district.yiyi("escalation resolve H-1 --department cgj --result 已责令停工");

    // Every suggestion's result comes back down: resolved, no longer open.
    for (i, c) in communities.iter().enumerate() {
        let topic = format!("T-{i}-bus");
        wait_for("the result back at the community", || {
            c.get(&format!("/api/v1/topics/{topic}")).str_at("/status") == "done"
        });
        let count = counts.get_mut(&format!("社区{}", i + 1)).unwrap();
        count.resolved += 1;
        count.open -= 1;
    }

    // The district's subtree export, once it holds every ledger as it is.
    let nodes: Vec<&Node> = std::iter::once(&district)
        .chain(&streets)
        .chain(&communities)
        .collect();
    let sizes: Vec<(String, u64)> = nodes
        .iter()
        .map(|n| (log_of(&n.vkey), n.own_size()))
        .collect();
    let mut export = Value::Null;
    wait_for("the district to count every ledger as it is", || {
        export = district.yiyi("stats --scope subtree --by office");
        sizes.iter().all(|(log, size)| {
            export.list_at("/offices").iter().any(|o| {
                o.str_at("/log") == log
                    && o.str_at("/checkpoint").lines().nth(1) == Some(&size.to_string())
            })
        })
    });
    assert_eq!(export.list_at("/offices").len(), 7);
    assert!(export.list_at("/not_held").is_empty());

    // Each office's row is what the test did there.
    for row in export.list_at("/report/rows") {
        let name = row.str_at("/key");
        let expected = counts
            .get(name)
            .unwrap_or_else(|| panic!("an office the test did not name: {name}"));
        assert_eq!(&Count::of(row.at("/figures")), expected, "{name}");
    }
    // The totals, the matters and the case study's figures.
    let total = |pick: fn(&Count) -> u64| counts.values().map(pick).sum::<u64>();
    let totals = export.at("/report/totals");
    assert_eq!(totals.u64_at("/figures/raised"), total(|c| c.raised));
    assert_eq!(totals.u64_at("/figures/raised"), 38);
    assert_eq!(totals.u64_at("/offices"), 7);
    assert_eq!(totals.u64_at("/bodies"), 4, "the four communities met");
    assert_eq!(totals.u64_at("/meetings"), 4);
    // Receipts: two at each street, three forwarded to the district.
    assert_eq!(totals.u64_at("/matters_received"), 7);
    assert_eq!(totals.u64_at("/matters_taken_in"), 1);
    // Three forwarded dispatched, the direct one dispatched and re-dispatched.
    assert_eq!(totals.u64_at("/matters_dispatched"), 5);
    // The street's own result, three departments', two on the direct one.
    assert_eq!(totals.u64_at("/matter_results"), 6);
    let case = export.at("/report/case_study");
    assert_eq!(case.u64_at("/bodies"), 4);
    assert_eq!(case.u64_at("/disputes_resolved"), 4);
    assert_eq!(case.u64_at("/all_resolved"), total(|c| c.resolved));
    // Every topic carried out was a daily-life one (as `propose` files
    // them), none a dispute: four immediate items, four suggestions.
    assert_eq!(case.u64_at("/livelihood_resolved"), 8);
    assert_eq!(case.u64_at("/public_affairs_resolved"), 0);

    // Recomputed from the ledgers, at the district: agrees.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.json");
    std::fs::write(&file, export.to_string()).unwrap();
    let recompute = || {
        let out = command("yiyi", "--json stats --recompute")
            .arg(&file)
            .env("YIYI_NODE", &district.url)
            .output()
            .unwrap();
        let said: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (said, out.status.success())
    };
    let (said, agrees) = recompute();
    assert!(agrees, "{said}");
    assert_eq!(said.u64_at("/offices"), 7);

    // An export edited by one figure: caught, and the figure named.
    let mut edited = export.clone();
    let rows = edited["report"]["rows"].as_array_mut().unwrap();
    let row = rows.iter_mut().find(|r| r["key"] == "社区3").unwrap();
    let resolved = row["figures"]["resolved"].as_u64().unwrap();
    row["figures"]["resolved"] = (resolved + 1).into();
    std::fs::write(&file, edited.to_string()).unwrap();
    let (said, agrees) = recompute();
    assert!(!agrees);
    let differences = said.list_at("/differences");
    assert_eq!(differences.len(), 1, "{said}");
    let figure = differences[0].str_at("/figure");
    assert!(
        figure.starts_with("rows[社区3 ") && figure.ends_with("].resolved"),
        "{figure}"
    );
}

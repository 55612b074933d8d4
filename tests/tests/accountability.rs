//! Accountability (issue 21): a deadline on everything open. Each kind of
//! item turns overdue on the day after its last day — judged on a day given
//! with `?on=`, not by waiting — in the API, on the board in a browser, and
//! on the staff's Today; an office's own limits from `config.toml` are
//! recorded in its ledger and judged by at the nodes that replicate it.

use yiyi_tests::federation::{Chain, chain, log_of, wait_for};
use yiyi_tests::webdriver::Browser;
use yiyi_tests::{Json, Node, today_plus};

use crate::console::{add_staff, sign_in};

/// The topic `id` at `node`, judged on `on`: its `overdue` (null, or why
/// and the last day).
fn overdue_on(node: &Node, id: &str, on: &str) -> serde_json::Value {
    node.get(&format!("/api/v1/topics/{id}?on={on}"))
        .at("/overdue")
        .clone()
}

/// `(why, last_day)` of an overdue item.
fn why(overdue: &serde_json::Value) -> (String, String) {
    (
        overdue.str_at("/why").to_owned(),
        overdue.str_at("/last_day").to_owned(),
    )
}

/// An immediate item and a suggestion classified today at one card
/// meeting, and a dispute referred to a mediator today.
fn open_items(community: &Node) {
    for (id, title) in [("T-light", "更换楼道灯泡"), ("T-bus", "增设公交站点")] {
        community.propose(id, title);
        community.yiyi(&format!("topic accept {id}"));
    }
    community.yiyi(&format!(
        "meeting schedule --id M-card --topic T-light --topic T-bus --form card --date {}",
        today_plus(0)
    ));
    community.steps_through_discussion("M-card");
    community.yiyi("meeting step M-card form-result --result 灯泡由物业当日更换；站点请街道协调");
    community.yiyi(
        "outcome T-light --meeting M-card --class immediate --responsible 物业公司 --measures 更换灯泡",
    );
    community.yiyi(
        "outcome T-bus --meeting M-card --class suggestion --proposed-solution 请街道协调公交公司",
    );
    community.yiyi("meeting step M-card publish-result");
    community.propose("T-quarrel", "邻里装修噪音纠纷");
    community
        .yiyi("topic refer T-quarrel --mediator 人民调解委员会 --details 赵六与钱七因装修噪音争执");
}

#[test]
fn every_open_item_turns_overdue_the_day_after_its_limit_in_the_api_on_the_board_and_in_today() {
    let Chain {
        district: _district,
        street,
        mut community,
    } = chain();
    open_items(&community);

    // The defaults: an immediate item 7 days, a suggestion 3, a mediation 30.
    for (id, last, why_) in [
        ("T-light", 7, "not-carried-out"),
        ("T-bus", 3, "not-sent-up"),
        ("T-quarrel", 30, "mediation-passed"),
    ] {
        assert!(
            overdue_on(&community, id, &today_plus(last)).is_null(),
            "{id} on its last day"
        );
        assert_eq!(
            why(&overdue_on(&community, id, &today_plus(last + 1))),
            (why_.to_owned(), today_plus(last)),
            "{id} the day after"
        );
    }
    // A day that is not one is refused.
    assert!(community.get_text("/api/v1/topics?on=2026-02-30").is_none());

    // On the board, in a browser, the result notice of the immediate item
    // carries the tag with its reason, judged on the day asked for.
    let browser = Browser::start();
    browser.open(&format!("{}/?on={}", community.url, today_plus(8)));
    let tags = browser.wait_for(
        "the overdue tags",
        "const t = Array.from(document.querySelectorAll('.tag.overdue')); \
         return t.length > 0 && t.map(x => x.textContent)",
    );
    let tags: Vec<&str> = tags
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let light = format!("已逾期：即办件超过办理时限 {} 仍未办结", today_plus(7));
    let bus = format!("已逾期：建议件超过上报时限 {} 仍未上报", today_plus(3));
    assert!(
        tags.contains(&light.as_str()) && tags.contains(&bus.as_str()),
        "{tags:?}"
    );
    // Not on its last day (the suggestion is, since its fourth).
    browser.open(&format!("{}/?on={}", community.url, today_plus(7)));
    browser.wait_for(
        "the board checked",
        "return document.body.dataset.verified === 'done'",
    );
    let tags = browser.run(
        "return Array.from(document.querySelectorAll('.tag.overdue')).map(x => x.textContent)",
    );
    assert_eq!(tags, serde_json::json!([bus]));

    // Today, as a secretary looks ahead: types a day and asks.
    let given = add_staff(&community, "张红", "secretary");
    sign_in(&browser, &community, "张红", &given, "议一议每月十一日");
    assert!(
        browser
            .run("return document.getElementById('overdue') === null")
            .as_bool()
            .unwrap(),
        "nothing is overdue today"
    );
    browser.run(&format!(
        "document.getElementById('on').value = '{}';
         document.getElementById('look').click();",
        today_plus(31)
    ));
    let listed = browser.wait_for(
        "the overdue items as of the day asked",
        "const o = document.getElementById('overdue'); return o && o.textContent",
    );
    let listed = listed.as_str().unwrap();
    for expected in [
        format!("按 {} 计算", today_plus(31)),
        format!("即办件超过办理时限 {} 仍未办结", today_plus(7)),
        format!("建议件超过上报时限 {} 仍未上报", today_plus(3)),
        format!("个人纠纷超过调解时限 {} 仍未调结", today_plus(30)),
    ] {
        assert!(listed.contains(&expected), "{expected:?} in {listed}");
    }

    // The street's Today lists what is overdue in its communities, each
    // judged by the community's own limits.
    let given = add_staff(&street, "王强", "secretary");
    sign_in(&browser, &street, "王强", &given, "街道联席会议每月");
    browser.open(&format!("{}/office/?on={}", street.url, today_plus(8)));
    let below = browser.wait_for(
        "the communities' overdue items",
        "const o = document.getElementById('overdue-below'); return o && o.textContent",
    );
    let below = below.as_str().unwrap();
    assert!(
        below.contains("舜玉社区")
            && below.contains(&format!("即办件超过办理时限 {} 仍未办结", today_plus(7)))
            && !below.contains("T-quarrel"),
        "{below}"
    );

    // The suggestion goes up: the street's decision is due in 15 days.
    community.yiyi("escalation send T-bus");
    wait_for("the matter at the street", || {
        !street.get("/api/v1/matters").list_at("/matters").is_empty()
    });
    let matter = |on: &str| {
        street
            .get(&format!("/api/v1/matters?on={on}"))
            .list_at("/matters")[0]
            .clone()
    };
    assert_eq!(matter(&today_plus(15)).str_at("/due"), today_plus(15));
    assert_eq!(matter(&today_plus(15)).at("/overdue"), false);
    assert_eq!(matter(&today_plus(16)).at("/overdue"), true);
    assert!(overdue_on(&community, "T-bus", &today_plus(16)).is_null());

    // The community gives itself two days for immediate items: recorded
    // in its ledger at start, shown in its profile, and judged by at the
    // street, which replicates it.
    assert!(
        community
            .get("/api/v1/profile")
            .at("/deadlines/entry")
            .is_null()
    );
    let config = community.data.join("config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[deadlines]\nimmediate_days = 2\n");
    std::fs::write(&config, text).unwrap();
    community.kill();
    community.run(&format!("--peer {}", street.p2p));
    let profile = community.get("/api/v1/profile");
    assert_eq!(profile.u64_at("/deadlines/immediate_days"), 2);
    assert_eq!(profile.u64_at("/deadlines/suggestion_days"), 3);
    assert!(!profile.at("/deadlines/entry").is_null());
    assert_eq!(
        why(&overdue_on(&community, "T-light", &today_plus(3))),
        ("not-carried-out".to_owned(), today_plus(2))
    );
    // Restarted with the same configuration: nothing more is recorded.
    let size = community.own_size();
    community.kill();
    community.run(&format!("--peer {}", street.p2p));
    assert_eq!(community.own_size(), size);
    let log = log_of(&community.vkey);
    wait_for("the street to hold the community's limits", || {
        street.log_size(&log) == size
    });
    let board = street.get_public(&format!("/api/v1/board?office={log}&on={}", today_plus(3)));
    let light = board
        .at("/topics")
        .as_object()
        .unwrap()
        .iter()
        .find(|(key, _)| key.ends_with("/T-light"))
        .map(|(_, t)| t.clone())
        .expect("the immediate item on the street's board");
    assert_eq!(light.str_at("/overdue/why"), "not-carried-out");
    assert_eq!(light.str_at("/overdue/last_day"), today_plus(2));
}

#[test]
fn limits_out_of_range_in_config_stop_the_node_with_a_clear_error() {
    let mut node = Node::start("舜玉社区");
    node.kill();
    let config = node.data.join("config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[deadlines]\nsuggestion_days = 400\n");
    std::fs::write(&config, text).unwrap();
    let out = yiyi_tests::run("yiyi-node", &format!("run --data {}", node.data.display()));
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("[deadlines] suggestion_days = 400: a limit is 1 to 366 days"),
        "{said}"
    );
}

#[test]
fn a_secretary_records_how_mediations_ended_and_the_summary_stays_home() {
    let community = Node::start("舜玉社区");
    for (id, title) in [
        ("T-quarrel", "邻里装修噪音纠纷"),
        ("T-wall", "围墙归属纠纷"),
    ] {
        community.propose(id, title);
        community.yiyi(&format!(
            "topic refer {id} --mediator 人民调解委员会 --details 双方姓名与电话"
        ));
    }
    let summary = "双方同意晚八点后停止施工🔨";
    let browser = Browser::start();
    let given = add_staff(&community, "张红", "secretary");
    sign_in(&browser, &community, "张红", &given, "议一议每月十一日");
    let topic_page = |id: &str| {
        browser.open(&format!("{}/office/topics/{id}", community.url));
        browser.wait_for(
            "the mediation form",
            "return document.getElementById('mediate') !== null",
        );
    };
    let status = |id: &str| {
        community
            .get(&format!("/api/v1/topics/{id}"))
            .str_at("/status")
            .to_owned()
    };

    // Without a mediator: refused next to the field, nothing written.
    topic_page("T-quarrel");
    let size = community.own_size();
    browser.run(
        "document.getElementById('mediator').value = '';
         document.getElementById('mediate').click();",
    );
    let error = browser.wait_for(
        "the refusal",
        "const e = document.getElementById('error'); return e && e.textContent",
    );
    assert!(error.as_str().unwrap().contains("调解人"), "{error}");
    assert_eq!(community.own_size(), size);

    // Settled, with the mediator's summary (prefilled mediator kept).
    topic_page("T-quarrel");
    browser.run(&format!(
        "document.getElementById('settled').click();
         document.getElementById('summary').value = '{summary}';
         document.getElementById('mediate').click();"
    ));
    wait_for("the dispute settled", || status("T-quarrel") == "settled");

    // Not settled: the party organisation then sends it to consultation.
    topic_page("T-wall");
    browser.run(
        "document.getElementById('unsettled').click();
         document.getElementById('mediate').click();",
    );
    wait_for("the mediation ended unsettled", || {
        status("T-wall") == "unsettled"
    });
    browser.open(&format!("{}/office/topics/T-wall", community.url));
    browser.wait_for(
        "the approval form",
        "return document.getElementById('approve') !== null",
    );
    browser.run(
        "document.getElementById('approval').value = '社区党委会 2026-12-06';
         document.getElementById('approve').click();",
    );
    wait_for("the dispute approved for consultation", || {
        status("T-wall") == "accepted"
    });

    // From the command line too; one way or the other, not both.
    community.propose("T-fence", "篱笆越界纠纷");
    community.yiyi("topic refer T-fence --mediator 人民调解委员会");
    assert!(
        !community
            .yiyi_output(&[
                "topic",
                "mediate",
                "T-fence",
                "--settled",
                "--unsettled",
                "--mediator",
                "x"
            ])
            .status
            .success()
    );
    community.yiyi("topic mediate T-fence --settled --mediator 人民调解委员会 --summary 已和解");
    assert_eq!(status("T-fence"), "settled");

    // The summary is in no entry of the ledger and no public answer.
    let written = hex::encode(summary.as_bytes());
    for sequence in 0..community.own_size() {
        let entry = community.get(&format!("/api/v1/entries/{sequence}"));
        assert!(
            !entry.str_at("/bytes").contains(&written),
            "entry {sequence}"
        );
    }
    for path in [
        "/api/v1/board",
        "/api/v1/topics/T-quarrel",
        "/api/v1/topics",
    ] {
        assert!(!community.get_public_text(path).contains(summary), "{path}");
    }
}

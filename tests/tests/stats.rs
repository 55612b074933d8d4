//! Roll-up statistics (统计): a district's figures over its whole subtree,
//! computed from the ledgers it holds at the checkpoints it names; `yiyi
//! stats --recompute` computes the export again from those entries and
//! agrees; an export edited by one figure is caught and the figure named.

use yiyi_tests::federation::{Chain, chain, log_of, wait_for};
use yiyi_tests::webdriver::Browser;
use yiyi_tests::{Json, Node, command, today_plus};

/// The row of `export` for the office named `name`.
fn row<'a>(export: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    export
        .list_at("/report/rows")
        .iter()
        .find(|r| r.str_at("/key") == name)
        .unwrap_or_else(|| panic!("no row {name} in {export}"))
}

/// `yiyi --json stats --recompute FILE` against `node`: its JSON and
/// whether it exited successfully.
fn recompute(node: &Node, file: &std::path::Path) -> (serde_json::Value, bool) {
    let out = command("yiyi", "--json stats --recompute")
        .arg(file)
        .env("YIYI_NODE", &node.url)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}): {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (json, out.status.success())
}

#[test]
fn a_district_s_subtree_figures_recompute_from_the_ledgers_and_an_edited_one_is_named() {
    let Chain {
        district,
        street,
        community,
    } = chain();
    // The community: one declined, one suggestion, one dispute settled by
    // mediation; the street: one topic of its own, still open.
    community.decline("T-park", "小区停车难");
    community.consult_to_suggestion("T-bus", "增设公交站点", "请街道协调公交公司");
    community.propose("T-quarrel", "邻里装修噪音纠纷");
    community.yiyi("topic refer T-quarrel --mediator 人民调解委员会 --details 赵六与钱七争执");
    community
        .yiyi("topic mediate T-quarrel --settled --mediator 人民调解委员会 --summary 双方和解");
    street.propose("T-lights", "街道路灯不亮");

    // Once the district holds both ledgers as they are, its subtree export
    // counts them at those checkpoints.
    let sizes = [
        (log_of(&community.vkey), community.own_size()),
        (log_of(&street.vkey), street.own_size()),
    ];
    let mut export = serde_json::Value::Null;
    wait_for("the district to count both ledgers as they are", || {
        export = district.yiyi("stats --scope subtree --by office");
        sizes.iter().all(|(log, size)| {
            export.list_at("/offices").iter().any(|o| {
                o.str_at("/log") == log
                    && o.str_at("/checkpoint").lines().nth(1) == Some(&size.to_string())
            })
        })
    });
    assert_eq!(export.list_at("/offices").len(), 3);
    assert_eq!(export.str_at("/offices/0/name"), "历下区");
    assert!(export.list_at("/not_held").is_empty());
    let shunyu = row(&export, "舜玉社区");
    for (figure, count) in [
        ("raised", 3),
        ("declined", 1),
        ("accepted", 1),
        ("classified", 1),
        ("referred", 1),
        ("mediated", 1),
        ("settled", 1),
        ("disputes_resolved", 1),
        ("open", 1),
    ] {
        assert_eq!(
            shunyu.u64_at(&format!("/figures/{figure}")),
            count,
            "{figure}"
        );
    }
    assert_eq!(row(&export, "泉城路街道").u64_at("/figures/open"), 1);
    assert_eq!(export.u64_at("/report/totals/figures/raised"), 4);
    assert_eq!(export.u64_at("/report/case_study/disputes_resolved"), 1);
    assert_eq!(export.u64_at("/report/totals/offices"), 3);
    // The street's own figures are only its own.
    let own = street.yiyi("stats");
    assert_eq!(own.list_at("/offices").len(), 1);
    assert_eq!(own.u64_at("/report/totals/figures/raised"), 1);
    // Nothing private travels in an export.
    let text = export.to_string();
    for private in ["赵六", "双方和解", "13800000000", "张三"] {
        assert!(!text.contains(private), "{private} in the export");
    }

    // Recomputed from the district's copies of the three ledgers: agrees.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.json");
    std::fs::write(&file, export.to_string()).unwrap();
    let (said, agreed) = recompute(&district, &file);
    assert!(agreed, "{said}");
    assert_eq!(said.at("/agrees"), true);
    assert_eq!(said.u64_at("/offices"), 3);

    // One figure edited: caught, named, both values given.
    let mut edited = export.clone();
    edited["report"]["totals"]["figures"]["resolved"] = 7.into();
    std::fs::write(&file, edited.to_string()).unwrap();
    let (said, agreed) = recompute(&district, &file);
    assert!(!agreed);
    let differences = said.list_at("/differences");
    assert_eq!(differences.len(), 1, "{said}");
    assert_eq!(differences[0].str_at("/figure"), "totals.figures.resolved");
    assert_eq!(differences[0].str_at("/exported"), "7");
    assert_eq!(differences[0].str_at("/recomputed"), "0");

    // A checkpoint changed: the ledger no longer checks out, by name.
    let mut forged = export.clone();
    let checkpoint = forged.str_at("/offices/2/checkpoint").to_owned();
    let mut lines: Vec<&str> = checkpoint.lines().collect();
    let size = (lines[1].parse::<u64>().unwrap() - 1).to_string();
    lines[1] = &size;
    forged["offices"][2]["checkpoint"] = (lines.join("\n") + "\n").into();
    std::fs::write(&file, forged.to_string()).unwrap();
    let out = command("yiyi", "--lang en stats --recompute")
        .arg(&file)
        .env("YIYI_NODE", &district.url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let error = String::from_utf8_lossy(&out.stderr);
    assert!(error.contains("the ledger of 舜玉社区"), "{error}");

    // On the district's board, a resident opens the figures: this office's
    // bars and one row per office of the subtree, drawn in SVG, with the
    // case study's figures and the checkpoints they were computed at.
    let browser = Browser::start();
    browser.open(&format!("{}/?on={}", district.url, today_plus(4)));
    browser.wait_for(
        "the board's figures to open",
        "const d = document.querySelector('#figures summary'); if (!d) return false; d.click(); return true;",
    );
    browser.wait_for(
        "the figures drawn",
        "return document.body.dataset.figures === 'shown'",
    );
    let drawn = browser.run(
        "const rows = (id) => Array.from(document.querySelectorAll(`#${id} svg g`)).map(g => g.textContent); \
         return { own: rows('figures-own'), below: rows('figures-subtree'), \
                  case: document.getElementById('figures-case').textContent, \
                  counted: Array.from(document.querySelectorAll('#figures-checkpoints li')).map(l => l.textContent), \
                  title: document.querySelector('#figures-subtree svg title').textContent }",
    );
    assert_eq!(drawn.list_at("/own").len(), 6, "{drawn}");
    assert_eq!(drawn.str_at("/own/0"), "提出0");
    let below: Vec<&str> = drawn
        .list_at("/below")
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    // The suggestion not sent up is late after 3 days; judged on day 4.
    assert!(below.contains(&"舜玉社区办结0 在办1 逾期1"), "{below:?}");
    assert!(below.contains(&"泉城路街道办结0 在办1 逾期0"), "{below:?}");
    assert_eq!(drawn.str_at("/title"), "辖区各机构");
    assert!(drawn.str_at("/case").contains("突出矛盾 1 件"), "{drawn}");
    assert_eq!(drawn.list_at("/counted").len(), 3);
    // In English, by the toggle.
    browser.run("document.getElementById('lang').click()");
    let title = browser.wait_for(
        "the figures in English",
        "const t = document.querySelector('#figures-subtree svg title').textContent; \
         return t !== '辖区各机构' && t",
    );
    assert_eq!(title, "Each office below");

    // The query is checked at the edge.
    assert!(
        district
            .get_text("/api/v1/stats?scope=subtree&by=street")
            .is_none()
    );
}

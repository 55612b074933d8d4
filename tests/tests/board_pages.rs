//! A board of a thousand notices in a real headless Chromium: the node
//! pages, filters and searches, the page shows exactly the node's answer
//! and verifies what is on screen, and a page served by a node that alters
//! what it serves fails notice by notice.

use serde_json::{Value, json};
use yiyi_tests::webdriver::Browser;
use yiyi_tests::{Json, Node};

const NOTICES: usize = 1000;
const CATEGORIES: [&str; 3] = ["daily-life", "public-affairs", "policy"];

/// Publishes the notices over HTTP with the office's token, as the console
/// and the CLI do: each a topic declined as already regulated; every tenth
/// about the lift (电梯), the categories in turn.
fn publish(node: &Node) {
    let act = |action| node.act(action);
    for i in 0..NOTICES {
        let about = if i % 10 == 0 {
            "加装电梯"
        } else {
            "道路停车位划线"
        };
        act(
            json!({"action": "topic", "id": format!("T-{i}"), "title": format!("第{i}号：{about}"),
                   "category": CATEGORIES[i % 3], "scale": "minor", "source": "resident"}),
        );
        act(json!({"action": "decline", "topic": format!("T-{i}"),
                   "citation": "《济南市停车场管理办法》", "explanation": "已有明确规定"}));
    }
}

/// The hashes of the notices the node lists for `query`, and how many match.
fn answer(node: &Node, query: &str) -> (Vec<String>, u64) {
    let board = node.get_public(&format!("/api/v1/board?{query}"));
    let hashes = board
        .list_at("/notices")
        .iter()
        .map(|n| n.str_at("/hash").to_owned())
        .collect();
    (hashes, board.u64_at("/total"))
}

/// What the page shows: the notices' hashes and their badges' states.
fn shown(browser: &Browser) -> (Vec<String>, Vec<String>) {
    browser.wait_for(
        "the page shown and checked",
        "return document.body.dataset.verified === 'done'",
    );
    let strings = |v: Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    };
    (
        strings(browser.run(
            "return Array.from(document.querySelectorAll('article')).map(a => a.dataset.hash)",
        )),
        strings(
            browser.run(
                "return Array.from(document.querySelectorAll('article .badge')).map(b => b.dataset.state)",
            ),
        ),
    )
}

/// Sets the form control `id` to `value` as a resident would pick or type
/// it (the input event the page listens to).
fn set(browser: &Browser, id: &str, value: &str) {
    browser.run(&format!(
        "const e = document.getElementById('{id}'); e.value = '{value}'; \
         e.dispatchEvent(new Event('input', {{bubbles: true}}));"
    ));
}

#[test]
fn a_board_of_a_thousand_notices_shows_the_node_s_pages_filters_and_search_and_a_tampered_page_fails_by_notice()
 {
    let node = Node::start("舜玉社区");
    publish(&node);
    let browser = Browser::start();
    browser.open(&format!("{}/", node.url));

    // The first page: the fifty newest, as the node answers, all verified.
    let (first, total) = answer(&node, "page=1");
    assert_eq!((first.len(), total), (50, NOTICES as u64));
    let (hashes, badges) = shown(&browser);
    assert_eq!(hashes, first);
    assert!(badges.iter().all(|b| b == "verified"), "{badges:?}");
    let count = browser.run("return document.getElementById('count').textContent");
    assert_eq!(count, "共 1000 条公示，第 1/20 页");

    // The next page, by the button.
    browser.run("document.getElementById('next').click()");
    let (hashes, badges) = shown(&browser);
    assert_eq!(hashes, answer(&node, "page=2").0);
    assert!(badges.iter().all(|b| b == "verified"), "{badges:?}");
    assert!(hashes.iter().all(|h| !first.contains(h)));

    // A category: the node's choice list offers it with its count, and
    // the page shows the node's first page of it.
    let offered = browser.run(
        "return Array.from(document.getElementById('category-filter').options).map(o => o.textContent)",
    );
    assert!(
        offered.to_string().contains("公共事务类（333）"),
        "{offered}"
    );
    set(&browser, "category-filter", "public-affairs");
    let (hashes, _) = shown(&browser);
    let (expected, total) = answer(&node, "category=public-affairs");
    assert_eq!((hashes, total), (expected, 333));
    let count = browser.run("return document.getElementById('count').textContent");
    assert_eq!(count, "共 333 条公示，第 1/7 页");

    // A search, within the category, then alone.
    set(&browser, "q", "电梯");
    let (hashes, _) = shown(&browser);
    let (expected, total) = answer(&node, "category=public-affairs&q=%E7%94%B5%E6%A2%AF");
    assert_eq!((hashes, total), (expected, 33));
    set(&browser, "category-filter", "");
    let (hashes, badges) = shown(&browser);
    let (expected, total) = answer(&node, "q=%E7%94%B5%E6%A2%AF");
    assert_eq!((hashes.clone(), total), (expected, 100));
    assert!(badges.iter().all(|b| b == "verified"), "{badges:?}");

    // A notice linked by its hash, far down the list: shown alone.
    let (last_page, _) = answer(&node, "page=20");
    let far = last_page.last().unwrap();
    browser.open(&format!("{}/#{far}", node.url));
    let (hashes, badges) = shown(&browser);
    assert_eq!(hashes, vec![far.clone()]);
    assert_eq!(badges, vec!["verified"]);

    // The same board through a node that alters what it serves: every
    // notice on the page fails, each by its own badge.
    let front = crate::board::tampering_front(&node.url);
    let other = Browser::start();
    other.open(&format!("{front}/"));
    let (hashes, badges) = shown(&other);
    assert_eq!(hashes.len(), 50);
    assert!(badges.iter().all(|b| b == "failed"), "{badges:?}");
    let reasons = other.run(
        "return Array.from(document.querySelectorAll('.badge.failed')).map(b => b.textContent)",
    );
    for reason in reasons.as_array().unwrap() {
        assert!(
            reason.as_str().unwrap().contains("核验失败：公示签名"),
            "{reason}"
        );
    }
}

/// A resident at one street's community opens, by its link, a notice of a
/// community of the other street: the node does not keep that ledger, so
/// it fetches it through its street and the district, and the page shows
/// the notice alone and verifies it like any other.
#[test]
fn a_board_shows_and_verifies_a_notice_of_a_ledger_its_node_does_not_keep() {
    let f = yiyi_tests::federation::federation();
    let hash = f.communities[0].decline("T-far", "小区停车位划线");
    // Once the street has cosigned it, as it does within seconds.
    let trust = f.district.vkey.clone();
    yiyi_tests::federation::wait_for("the notice to verify where it was published", || {
        yiyi_tests::command(
            "yiyi",
            &format!(
                "--node {} verify {hash} --trust {trust}",
                f.communities[0].url
            ),
        )
        .output()
        .unwrap()
        .status
        .success()
    });
    let far = &f.communities[3];
    assert!(!yiyi_tests::federation::holds(far, &hash));
    let browser = Browser::start();
    browser.open(&format!("{}/#{hash}", far.url));
    browser.wait_for(
        "the far notice shown",
        &format!("return document.getElementById('n-{hash}') !== null"),
    );
    let (hashes, badges) = shown(&browser);
    assert_eq!(hashes, vec![hash.clone()]);
    assert_eq!(badges, vec!["verified"]);
    let badge = browser.run("return document.querySelector('.badge').textContent");
    assert!(
        badge
            .as_str()
            .unwrap()
            .contains("已核验：社区1 ← 泉城路街道"),
        "{badge}"
    );
}

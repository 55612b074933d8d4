//! The notice board in a real headless Chromium, driven over WebDriver: a
//! community's genuine notices show the verified badge, computed in the
//! browser; the same page served through a node that alters what it
//! serves shows the failure and which check failed.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use yiyi_protocol::Hash;
use yiyi_protocol::merkle::{Frontier, leaf_hash};
use yiyi_tests::federation::{Chain, chain, wait_for};
use yiyi_tests::webdriver::Browser;
use yiyi_tests::{Json, command};

/// An HTTP front for `node` that changes what residents are shown: the
/// notices' titles in the list, and one base64 character of every bundle's
/// notice entry. Real sockets, as a hostile node would serve them.
pub(crate) fn tampering_front(node: &str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let node = node.to_owned();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let node = node.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(&stream);
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    return;
                }
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let path = request.split(' ').nth(1).unwrap_or("/").to_owned();
                let Ok(mut response) = ureq::get(format!("{node}{path}")).call() else {
                    let _ = (&stream).write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                    return;
                };
                let kind = response
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("text/plain")
                    .to_owned();
                let mut body = response.body_mut().read_to_string().unwrap_or_default();
                if path.starts_with("/api/v1/board") {
                    body = body.replace("不予协商", "同意协商");
                } else if path.ends_with("/bundle") {
                    body = flip(&body);
                } else if path.starts_with("/api/v1/notices/bundles") {
                    // The bundles the board asks for a batch at a time: each
                    // altered the same way.
                    let mut answer: serde_json::Value =
                        serde_json::from_str(&body).unwrap_or_default();
                    if let Some(bundles) = answer["bundles"].as_object_mut() {
                        for text in bundles.values_mut() {
                            *text = flip(text.as_str().unwrap_or_default()).into();
                        }
                    }
                    body = answer.to_string();
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = (&stream).write_all(head.as_bytes());
                let _ = (&stream).write_all(body.as_bytes());
            });
        }
    });
    url
}

/// A bundle with one base64 character of its notice entry changed.
fn flip(bundle: &str) -> String {
    let extra = bundle.lines().nth(2).unwrap_or_default().to_owned();
    let at = extra.len() / 2;
    let flipped = if &extra[at..at + 1] == "A" { "B" } else { "A" };
    bundle.replacen(
        &extra,
        &format!("{}{flipped}{}", &extra[..at], &extra[at + 1..]),
        1,
    )
}

/// The root of `node`'s own ledger at every size up to `size`, computed
/// here from its entries.
fn prefix_roots(node: &yiyi_tests::Node, size: u64) -> Vec<Hash> {
    let mut tree = Frontier::new();
    let mut roots = vec![tree.root()];
    for sequence in 0..size {
        let entry = node.get(&format!("/api/v1/entries/{sequence}"));
        let bytes = hex::decode(entry.str_at("/bytes")).unwrap();
        tree.append(leaf_hash(&bytes), |_, _, _| {});
        roots.push(tree.root());
    }
    roots
}

/// Opens the board at `url` as a browser that verified `log` at `size`
/// with `root` before; the badges' states once every notice is checked.
fn visit_having_seen(
    browser: &Browser,
    url: &str,
    log: &str,
    size: u64,
    root: &Hash,
) -> serde_json::Value {
    browser.run(&format!(
        "localStorage.setItem('yiyi-checkpoints', JSON.stringify({{'{log}': {{size: {size}, root: '{}'}}}}))",
        root.to_hex()
    ));
    browser.open(&format!("{url}/"));
    browser.wait_for(
        "every notice to be checked",
        "return document.body.dataset.verified === 'done'",
    );
    browser.run("return Array.from(document.querySelectorAll('.badge')).map(b => b.dataset.state)")
}

#[test]
fn the_board_verifies_genuine_notices_in_the_browser_and_shows_an_altered_one_failing() {
    let Chain {
        district,
        street: _street,
        community,
    } = chain();
    community.decline("T-park", "小区停车位划线");
    community.decline("T-road", "市政道路拓宽");
    // The street cosigns the community's latest checkpoint within seconds.
    let state = tempfile::tempdir().unwrap();
    let last = community
        .get("/api/v1/notices")
        .str_at("/notices/1/hash")
        .to_owned();
    wait_for("the street's cosignature", || {
        command(
            "yiyi",
            &format!(
                "--node {} verify {last} --trust {}",
                community.url, district.vkey
            ),
        )
        .env("YIYI_STATE", state.path())
        .output()
        .unwrap()
        .status
        .success()
    });

    let browser = Browser::start();
    browser.open(&format!("{}/", community.url));
    browser.wait_for(
        "every notice to be checked",
        "return document.body.dataset.verified === 'done'",
    );
    let states = browser
        .run("return Array.from(document.querySelectorAll('.badge')).map(b => b.dataset.state)");
    assert_eq!(states, serde_json::json!(["verified", "verified"]));
    let badge = browser.run("return document.querySelector('.badge').textContent");
    assert!(
        badge
            .as_str()
            .unwrap()
            .contains("已核验：舜玉社区 ← 泉城路街道"),
        "{badge}"
    );
    // The pinned key's ID is shown, to compare with the one at the office.
    let key_id = browser.run("return document.getElementById('trust-id').textContent");
    let id = district.vkey.split('+').nth(1).unwrap();
    assert_eq!(key_id, id);
    // English by the toggle; filtering by text.
    browser.run("document.getElementById('lang').click()");
    assert_eq!(
        browser.run("return document.querySelector('h1').textContent"),
        "Notice board"
    );
    browser.run(
        "const q = document.getElementById('q'); q.value = '市政道路'; q.dispatchEvent(new Event('input', {bubbles: true}))",
    );
    browser.wait_for(
        "the node's answer to the search",
        "return document.body.dataset.verified === 'done'",
    );
    assert_eq!(
        browser.run("return document.querySelectorAll('article').length"),
        1
    );
    // Opened at a notice (as a printed notice's QR code does): it is marked.
    browser.open(&format!("{}/#{last}", community.url));
    browser.wait_for(
        "the page",
        "return document.body.dataset.verified === 'done'",
    );
    assert_eq!(
        browser.run("return document.querySelector('article.target').dataset.hash"),
        last.as_str()
    );

    // From a printed notice whose key ID is not the one the page uses:
    // the page warns.
    browser.open(&format!("{}/?key=deadbeef#{last}", community.url));
    browser.wait_for(
        "the key ID warning",
        "return !document.getElementById('key-mismatch').hidden",
    );

    // The browser keeps the largest checkpoint it verified of each ledger;
    // a later visit checks the ledger only grew from it.
    let log = yiyi_tests::federation::log_of(&community.vkey);
    let seen = browser.run(&format!(
        "return JSON.parse(localStorage.getItem('yiyi-checkpoints'))['{log}']"
    ));
    let size = seen.u64_at("/size");
    let roots = prefix_roots(&community, size);
    assert_eq!(seen.str_at("/root"), roots[size as usize].to_hex());
    // Seen at every earlier size: each consistency proof checks out in the
    // browser (odd, even and power-of-two sizes take different paths).
    for older in 1..size {
        let verdict = visit_having_seen(
            &browser,
            &community.url,
            &log,
            older,
            &roots[older as usize],
        );
        assert_eq!(
            verdict,
            serde_json::json!(["verified", "verified"]),
            "seen at {older}"
        );
        let kept = browser.run(&format!(
            "return JSON.parse(localStorage.getItem('yiyi-checkpoints'))['{log}'].size"
        ));
        assert_eq!(kept, size, "the larger checkpoint is kept");
    }
    // Seen before with another history: a fork, whatever the size.
    let mut other = roots[size as usize - 1];
    other.0[0] ^= 1;
    for older in [size - 1, size] {
        let verdict = visit_having_seen(&browser, &community.url, &log, older, &other);
        assert_eq!(
            verdict,
            serde_json::json!(["failed", "failed"]),
            "forked at {older}"
        );
        let badge = browser.run("return document.querySelector('.badge').textContent");
        assert!(
            // (In English: the page was switched above.)
            badge
                .as_str()
                .unwrap()
                .contains("NOT verified: consistent with the ledger seen before"),
            "{badge}"
        );
    }

    // The same page from a node that alters what it serves.
    let hostile = tampering_front(&community.url);
    browser.run("localStorage.clear()");
    browser.open(&format!("{hostile}/"));
    browser.wait_for(
        "every notice to be checked",
        "return document.body.dataset.verified === 'done'",
    );
    let states = browser
        .run("return Array.from(document.querySelectorAll('.badge')).map(b => b.dataset.state)");
    assert_eq!(states, serde_json::json!(["failed", "failed"]));
    let badge = browser.run("return document.querySelector('.badge').textContent");
    assert!(
        badge.as_str().unwrap().contains("核验失败：公示签名"),
        "{badge}"
    );
}

/// The `data-what` of each step of the timeline under the article of
/// notice `hash`.
fn course_at(browser: &Browser, hash: &str) -> serde_json::Value {
    browser.run(&format!(
        "return Array.from(document.querySelectorAll('#n-{hash} .timeline li')).map(li => li.dataset.what)"
    ))
}

/// How many notices the board lists once the `select` is set to `value`
/// (the node filters; the page shows its answer and checks it).
fn listed_with(browser: &Browser, select: &str, value: &str) -> serde_json::Value {
    browser.run(&format!(
        "const s = document.getElementById('{select}'); s.value = '{value}'; \
         s.dispatchEvent(new Event('input', {{bubbles: true}}));"
    ));
    browser.wait_for(
        "the node's filtered page",
        "return document.body.dataset.verified === 'done'",
    );
    browser.run("return document.querySelectorAll('article').length")
}

#[test]
fn the_board_shows_each_topics_course_up_the_hierarchy_and_filters_by_class_and_status() {
    let Chain {
        district: _district,
        street,
        community,
    } = chain();
    let declined = community.decline("T-park", "小区停车位划线");
    community.consult_to_suggestion("T-bus", "增开公交线路", "请区交通局增开线路");
    community.yiyi("escalation send T-bus");
    wait_for("the street to receive the matter", || {
        street
            .get("/api/v1/matters")
            .list_at("/matters")
            .iter()
            .any(|m| m.str_at("/status") == "received")
    });
    street.yiyi("escalation accept shunyu/T-bus");
    // The board lists topics by `log/topic`: the `/` is `~1` in a JSON
    // pointer. The topic is there from its published result on.
    let events = format!(
        "/topics/{}~1T-bus/events",
        yiyi_tests::federation::log_of(&community.vkey)
    );
    wait_for("the street's decision at the community", || {
        community
            .get("/api/v1/board")
            .list_at(&events)
            .iter()
            .any(|e| e.str_at("/what") == "matter-accept")
    });
    let board = community.get("/api/v1/board");
    let result = board
        .list_at("/notices")
        .iter()
        .find(|n| n.str_at("/topic") == "T-bus")
        .unwrap_or_else(|| panic!("T-bus's notice on {board}"))
        .str_at("/hash")
        .to_owned();

    let browser = Browser::start();
    browser.open(&format!("{}/#{result}", community.url));
    browser.wait_for(
        "every notice to be checked",
        "return document.body.dataset.verified === 'done'",
    );
    // The suggestion's course: raised, gate-kept, met on, classified and
    // published, then up to the street, which signed a receipt and took it
    // on — steps of the street's ledger, named by the street.
    assert_eq!(
        course_at(&browser, &result),
        serde_json::json!([
            "proposed",
            "accepted",
            "meeting",
            // The meeting's announcement (议前公示).
            "notice",
            "result",
            "outcome",
            "notice",
            "escalated",
            "matter-receipt",
            "matter-accept"
        ])
    );
    let last = browser.run(&format!(
        "return document.querySelector('#n-{result} .timeline li:last-child').textContent"
    ));
    assert!(
        last.as_str().unwrap().contains("泉城路街道 · 决定自行办理"),
        "{last}"
    );
    assert_eq!(
        course_at(&browser, &declined),
        serde_json::json!(["proposed", "declined", "notice"])
    );
    let tags = browser.run(&format!(
        "return Array.from(document.querySelectorAll('#n-{result} .tag')).map(t => t.textContent)"
    ));
    assert_eq!(
        tags,
        serde_json::json!(["日常生活及矛盾类", "建议件", "已上报"])
    );

    // Filters by outcome class, status and category (the suggestion's
    // meeting announcement is about it too).
    assert_eq!(listed_with(&browser, "class-filter", "suggestion"), 2);
    assert_eq!(listed_with(&browser, "class-filter", ""), 3);
    assert_eq!(listed_with(&browser, "status-filter", "declined"), 1);
    assert_eq!(
        browser.run("return document.querySelector('article').dataset.hash"),
        declined.as_str()
    );
    assert_eq!(listed_with(&browser, "status-filter", "escalated"), 2);
    assert_eq!(listed_with(&browser, "status-filter", ""), 3);
    // A filter offers what the notices hold.
    assert_eq!(
        browser.run(
            "return Array.from(document.getElementById('category-filter').options).map(o => o.value)"
        ),
        serde_json::json!(["", "daily-life"])
    );
    assert_eq!(listed_with(&browser, "category-filter", "daily-life"), 3);
}

//! The notice board in a real headless Chromium, driven over WebDriver: a
//! community's genuine notices show the verified badge, computed in the
//! browser; the same page served through a node that alters what it
//! serves shows the failure and which check failed.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use yiyi_tests::binary;
use yiyi_tests::federation::{Chain, chain, wait_for};
use yiyi_tests::webdriver::Browser;

/// An HTTP front for `node` that changes what residents are shown: the
/// notices' titles in the list, and one base64 character of every bundle's
/// notice entry. Real sockets, as a hostile node would serve them.
fn tampering_front(node: &str) -> String {
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
                if path == "/api/v1/board" {
                    body = body.replace("不予协商", "同意协商");
                } else if path.ends_with("/bundle") {
                    let extra = body.lines().nth(2).unwrap_or_default().to_owned();
                    let at = extra.len() / 2;
                    let flipped = if &extra[at..at + 1] == "A" { "B" } else { "A" };
                    body = body.replacen(
                        &extra,
                        &format!("{}{flipped}{}", &extra[..at], &extra[at + 1..]),
                        1,
                    );
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
    let last = community.get("/api/v1/notices")["notices"][1]["hash"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_for("the street's cosignature", || {
        std::process::Command::new(binary("yiyi"))
            .args([
                "--node",
                &community.url,
                "verify",
                &last,
                "--trust",
                &district.vkey,
            ])
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

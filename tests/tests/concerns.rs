//! Residents raise concerns (居民反映) over the public API and read where
//! they stand by their receipt code: what is sent is kept as typed (markup
//! is text), stays in the private store (no public read shows it, the
//! ledger does not grow) and survives `kill -9`; a concern too long, of an
//! unknown category or sub-item, with unknown fields or too big is refused
//! with the field and the reason in Chinese; an address gets a few
//! concerns an hour and a few missed receipt codes. In Chromium, a
//! resident raises one from the board's form and reads it back by her
//! receipt.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use serde_json::{Value, json};
use socket2::{Domain, Socket, Type};
use yiyi_tests::webdriver::Browser;
use yiyi_tests::{Json, Node};

/// `POST /api/v1/concerns` with `body` from the local address `from`: the
/// status and the JSON answer.
fn raise_from(node: &Node, from: &str, body: &str) -> (u16, Value) {
    request_from(node, from, "POST", "/api/v1/concerns", body)
}

/// A request from the local address `from` (127.0.0.x), as a resident's
/// phone at that address would send it.
pub(crate) fn request_from(
    node: &Node,
    from: &str,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, Value) {
    let address: SocketAddr = node.url.trim_start_matches("http://").parse().unwrap();
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket
        .bind(&SocketAddr::new(from.parse().unwrap(), 0).into())
        .unwrap();
    socket.connect(&address.into()).unwrap();
    let mut stream: TcpStream = socket.into();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.split(' ').nth(1).unwrap().parse().unwrap();
    let json = answer
        .split_once("\r\n\r\n")
        .and_then(|(_, body)| serde_json::from_str(body).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

#[test]
fn a_resident_raises_a_concern_and_reads_where_it_stands_by_its_receipt() {
    let mut node = Node::start("舜玉社区");
    node.yiyi("catalogue add --category public-affairs --item 为老服务");
    let size = node.own_size();
    let what = "三号楼楼道灯坏了 <script>alert(1)</script> 🏮，老人晚上下楼看不见";
    let concern = json!({
        "what": what, "where": "三号楼二单元", "category": "public-affairs",
        "sub_item": "为老服务", "contact": "王阿姨 13700000000",
    });
    let (status, answer) = raise_from(&node, "127.0.0.2", &concern.to_string());
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer.str_at("/status"), "received");
    let receipt = answer.str_at("/receipt").to_owned();
    assert_eq!(receipt.len(), 19, "{receipt}");

    // Whoever holds the code reads it back, as typed, however she types
    // the code.
    for typed in [receipt.clone(), receipt.to_lowercase().replace('-', "")] {
        let shown = node.get_public(&format!("/api/v1/concerns/{typed}"));
        assert_eq!(shown.str_at("/status"), "received");
        assert_eq!(shown.str_at("/what"), what);
    }

    // Nothing public shows it, and the ledger did not grow.
    assert_eq!(node.own_size(), size);
    for path in [
        "/api/v1/board",
        "/api/v1/topics",
        "/api/v1/notices",
        "/api/v1/stats",
    ] {
        let public = node.get_public_text(path);
        for private in ["楼道灯坏了", "13700000000", "王阿姨"] {
            assert!(!public.contains(private), "{path} shows {private}");
        }
    }

    // Refused, with the field and the reason in Chinese; nothing kept.
    let refusals = [
        (
            json!({"what": "灯".repeat(2001), "category": "daily-life"}),
            422,
            Some("what"),
            "2001",
        ),
        (
            json!({"what": "x", "category": "weather"}),
            422,
            Some("category"),
            "weather",
        ),
        (
            json!({"what": "x", "category": "public-affairs", "sub_item": "停车"}),
            422,
            Some("sub_item"),
            "停车",
        ),
        (
            json!({"what": "x", "category": "daily-life", "name": "王五"}),
            400,
            None,
            "反映表单",
        ),
    ];
    for (body, status, field, says) in refusals {
        let (got, answer) = raise_from(&node, "127.0.0.3", &body.to_string());
        assert_eq!(got, status, "{answer}");
        assert_eq!(answer.pointer("/field").and_then(Value::as_str), field);
        assert!(answer.str_at("/zh").contains(says), "{answer}");
    }
    let (too_big, _) = raise_from(
        &node,
        "127.0.0.3",
        &json!({"what": "x".repeat(20_000), "category": "daily-life"}).to_string(),
    );
    assert_eq!(too_big, 413);

    // A few concerns an hour from one address (the five above counted).
    let small = json!({"what": "小区门口积水", "category": "daily-life"}).to_string();
    let statuses: Vec<u16> = (0..6)
        .map(|_| raise_from(&node, "127.0.0.3", &small).0)
        .collect();
    assert_eq!(statuses, [201, 201, 201, 201, 201, 429]);
    assert_eq!(raise_from(&node, "127.0.0.4", &small).0, 201);

    // Guessed codes: a few misses an hour, then refused; the resident's
    // own code still answers.
    let missed: Vec<u16> = (0..21)
        .map(|i| {
            let code = format!("0000-0000-0000-{i:04}");
            request_from(
                &node,
                "127.0.0.5",
                "GET",
                &format!("/api/v1/concerns/{code}"),
                "",
            )
            .0
        })
        .collect();
    assert!(missed[..20].iter().all(|s| *s == 404), "{missed:?}");
    assert_eq!(missed[20], 429);
    let (mine, _) = request_from(
        &node,
        "127.0.0.5",
        "GET",
        &format!("/api/v1/concerns/{receipt}"),
        "",
    );
    assert_eq!(mine, 200);

    // Acknowledged, so kept through kill -9.
    node.kill();
    node.run("");
    let shown = node.get_public(&format!("/api/v1/concerns/{receipt}"));
    assert_eq!(shown.str_at("/what"), what);
}

#[test]
fn on_the_board_a_resident_raises_a_concern_and_follows_it_by_her_receipt() {
    let node = Node::start("舜玉社区");
    node.yiyi("catalogue add --category public-affairs --item 为老服务");
    let browser = Browser::start();
    browser.open(&format!("{}/", node.url));
    browser.wait_for(
        "the board",
        "return document.body.dataset.verified === 'done'",
    );
    browser.run("document.getElementById('raise-link').click()");
    browser.wait_for(
        "the form with the catalogue",
        "return document.querySelectorAll('#sub-item option').length === 1 && document.getElementById('category')",
    );
    // Whitespace alone passes the browser's check, not the node's: the
    // reason appears under the field, in Chinese.
    browser.run(
        "document.getElementById('what').value = '   ';
         document.getElementById('send').click();",
    );
    let refusal = browser.wait_for(
        "the refusal",
        "const e = document.getElementById('what-error'); return !e.hidden && e.textContent",
    );
    assert_eq!(refusal, "请写明要反映的事情");

    let what = "老年食堂的饭菜太咸 <b>请改进</b> 🍚";
    browser.run(&format!(
        "document.getElementById('what').value = '{what}';
         document.getElementById('where').value = '社区食堂';
         const category = document.getElementById('category');
         category.value = 'public-affairs';
         category.dispatchEvent(new Event('change'));
         document.getElementById('sub-item').value = '为老服务';
         document.getElementById('contact').value = '王阿姨 13700000000';
         document.getElementById('send').click();"
    ));
    let receipt = browser.wait_for(
        "the receipt",
        "const r = document.getElementById('received'); return !r.hidden && document.getElementById('receipt').textContent",
    );
    let receipt = receipt.as_str().unwrap().to_owned();
    assert_eq!(receipt.len(), 19, "{receipt}");
    assert!(
        browser
            .run("return document.getElementById('what-error').hidden")
            .as_bool()
            .unwrap()
    );

    // Later, from the saved link: the status and what she wrote, as text.
    browser.open(&format!("{}/concern#r={receipt}", node.url));
    let shown = browser.wait_for(
        "the status",
        "const s = document.getElementById('status'); return !s.hidden && [document.getElementById('status-text').textContent, document.getElementById('status-what').textContent, document.querySelector('#status-what b') === null]",
    );
    assert_eq!(shown, json!(["已收到，等待社区把关", what, true]));
    // The node kept it with the sub-item and the contact, for the office.
    let kept = node.get_public(&format!("/api/v1/concerns/{receipt}"));
    assert_eq!(kept.str_at("/what"), what);
    // A mistyped code says so.
    browser.run(
        "document.getElementById('code').value = 'ZZZZ-ZZZZ-ZZZZ-ZZZZ';
         document.getElementById('look-up').click();",
    );
    let missing = browser.wait_for(
        "the refusal",
        "const e = document.getElementById('look-error'); return !e.hidden && e.textContent",
    );
    assert!(missing.as_str().unwrap().contains("回执码"), "{missing}");
}

//! The office console's timings, as a secretary would feel them: a real
//! `yiyi-node` on loopback holding `--topics` topics, a staff account
//! signed in over HTTP, then `--rounds` of each of: signing in (Argon2id on
//! the node), Today, a topic's page, a gate-keeping write through the form
//! (the rules, a durable append, the audit log, the redirect), a notice's
//! preview; and Today opened in headless Chromium, timed by the page's own
//! navigation timing. With `--https` the node serves its own HTTPS (a
//! self-signed certificate, trusted by the client) and everything goes over
//! it; either way a public read is timed on a kept-alive connection and on
//! a new connection each time (TCP, and over HTTPS the TLS handshake).
//! Prints the median, 95th percentile and worst of each.
//!
//! Usage: `cargo run --release -p yiyi-tests --bin consolebench -- --topics 1000 --rounds 50 [--https]`

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use ureq::Agent;
use ureq::tls::{RootCerts, TlsConfig};
use yiyi_tests::webdriver::Browser;
use yiyi_tests::{Node, bench_arg, run};

/// A client trusting `cacert` (the node's own certificate) when given.
fn client(cacert: Option<&Path>) -> Agent {
    let roots = cacert.map_or(RootCerts::WebPki, yiyi_tests::https::roots);
    Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .tls_config(TlsConfig::builder().root_certs(roots).build())
        .build()
        .into()
}

/// Median, 95th percentile and worst, in milliseconds.
fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "{what:<44} median {:>7.2} ms   p95 {:>7.2} ms   worst {:>7.2} ms   ({} runs)",
        ms(at(0.5)),
        ms(at(0.95)),
        ms(*times.last().unwrap()),
        times.len()
    );
}

/// Times `round` `rounds` times.
fn timed(rounds: usize, mut round: impl FnMut(usize)) -> Vec<Duration> {
    (0..rounds)
        .map(|i| {
            let start = Instant::now();
            round(i);
            start.elapsed()
        })
        .collect()
}

fn main() {
    let (topics, rounds) = (bench_arg("--topics", 1000), bench_arg("--rounds", 50));
    // Rounds of accepting and of previewing a decline each take topics of
    // their own.
    assert!(
        topics >= 2 * rounds,
        "--topics must be at least twice --rounds"
    );
    let https = std::env::args().any(|a| a == "--https");
    let mut node = Node::start("舜玉社区");
    if https {
        node.serve_https("");
    }
    println!("the node at {}", node.url);
    let http = client(node.cacert.as_deref());
    let token = node.token();
    let act = |action: serde_json::Value| {
        let answer = http
            .post(format!("{}/api/v1/actions", node.url))
            .header("authorization", format!("Bearer {token}"))
            .send_json(action)
            .unwrap();
        assert!(answer.status().is_success(), "{:?}", answer.status());
    };
    let seeding = Instant::now();
    for i in 0..topics {
        act(
            json!({"action": "topic", "id": format!("T-{i}"), "title": format!("议题 {i} 🏮"),
                   "summary": "居民反映的问题", "category": "daily-life", "scale": "minor",
                   "source": "resident"}),
        );
    }
    println!(
        "{topics} topics taken in through the API in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    let given = run(
        "yiyi-node",
        &format!(
            "staff add --data {} --name 王芳 --role secretary",
            node.data.display()
        ),
    );
    let given = String::from_utf8(given.stdout).unwrap().trim().to_owned();
    let sign_in = |password: &str| {
        let answer = http
            .post(format!("{}/office/login", node.url))
            .send_form([("name", "王芳"), ("password", password)])
            .unwrap();
        assert_eq!(answer.status().as_u16(), 303);
        let cookie = answer.headers()["set-cookie"].to_str().unwrap().to_owned();
        cookie
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("yiyi_session=")
            .to_owned()
    };
    let page = |session: &str, path: &str| {
        let mut answer = http
            .get(format!("{}{path}", node.url))
            .header("cookie", format!("yiyi_session={session}"))
            .call()
            .unwrap();
        assert_eq!(answer.status().as_u16(), 200, "{path}");
        answer.body_mut().read_to_string().unwrap()
    };
    let first = sign_in(&given);
    let csrf_of = |body: &str| {
        body.split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap()
            .to_owned()
    };
    let csrf = csrf_of(&page(&first, "/office/password"));
    let own = "王芳自己的新密码";
    http.post(format!("{}/office/password", node.url))
        .header("cookie", format!("yiyi_session={first}"))
        .send_form([
            ("csrf", csrf.as_str()),
            ("old", given.as_str()),
            ("new", own),
            ("again", own),
        ])
        .unwrap();

    report(
        "sign in (Argon2id verify, 19 MiB, 2 passes)",
        timed(rounds.min(20), |_| {
            sign_in(own);
        }),
    );
    let session = sign_in(own);
    let csrf = csrf_of(&page(&session, "/office/"));
    report(
        &format!("Today, {topics} topics to gate-keep"),
        timed(rounds, |_| {
            page(&session, "/office/");
        }),
    );
    report(
        "a topic's page",
        timed(rounds, |i| {
            page(&session, &format!("/office/topics/T-{i}"));
        }),
    );
    report(
        "accept through the form (write, audit, 303)",
        timed(rounds, |i| {
            let answer = http
                .post(format!("{}/office/topics/accept", node.url))
                .header("cookie", format!("yiyi_session={session}"))
                .send_form([("csrf", csrf.as_str()), ("topic", &format!("T-{i}"))])
                .unwrap();
            assert_eq!(answer.status().as_u16(), 303);
        }),
    );
    report(
        "a decline notice's preview (nothing written)",
        timed(rounds, |i| {
            let answer = http
                .post(format!("{}/office/topics/decline", node.url))
                .header("cookie", format!("yiyi_session={session}"))
                .send_form([
                    ("csrf", csrf.as_str()),
                    ("topic", &format!("T-{}", rounds + i)),
                    ("citation", "《物业管理条例》第五十五条"),
                    ("explanation", "已有明确规定"),
                    ("preview", "1"),
                ])
                .unwrap();
            assert_eq!(answer.status().as_u16(), 200);
        }),
    );

    for (what, close) in [
        ("a checkpoint, kept-alive connection", false),
        ("a checkpoint, a new connection each", true),
    ] {
        report(
            what,
            timed(rounds * 4, |_| {
                // As the office: the public's per-address rate would
                // answer 429 before long. `Connection: close` makes the
                // next request open (and handshake) a connection anew.
                let mut request = http
                    .get(format!("{}/api/v1/checkpoint", node.url))
                    .header("authorization", format!("Bearer {token}"));
                if close {
                    request = request.header("connection", "close");
                }
                let mut answer = request.call().unwrap();
                assert_eq!(answer.status().as_u16(), 200);
                // Read to the end, so that the connection can be reused.
                answer.body_mut().read_to_string().unwrap();
            }),
        );
    }

    // The browser is told to accept the node's self-signed certificate.
    let browser = Browser::start_with(&["--ignore-certificate-errors".to_owned()]);
    browser.open(&format!("{}/office/login", node.url));
    browser.run(&format!(
        "document.getElementById('name').value = '王芳';
         document.getElementById('password').value = '{own}';
         document.getElementById('sign-in').click();"
    ));
    browser.wait_for("Today", "return document.getElementById('gate') !== null");
    let mut loads = Vec::new();
    for _ in 0..rounds.min(20) {
        browser.open(&format!("{}/office/", node.url));
        let ms = browser.wait_for(
            "the page loaded",
            "const n = performance.getEntriesByType('navigation')[0]; return n && n.loadEventEnd > 0 && n.loadEventEnd",
        );
        loads.push(Duration::from_secs_f64(ms.as_f64().unwrap() / 1000.0));
    }
    report("Today in Chromium (navigation to load)", loads);
}

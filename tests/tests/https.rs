//! HTTPS served by the node itself: the board verifies in Chromium at a
//! host name that is not localhost, and over plain HTTP at that name says
//! how to check a notice with `yiyi verify` instead; staff sign in over
//! HTTPS with `Secure` cookies and are refused over plain HTTP unless the
//! operator allowed it; a renewed certificate is served without a restart;
//! a key that is not the certificate's, or an expired certificate, stops
//! the node at start; a trickled TLS hello is cut at the header timeout.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use yiyi_tests::federation::{Chain, chain, wait_for};
use yiyi_tests::webdriver::Browser;
use yiyi_tests::{Node, command, https, run, stdout};

/// The host name the browser opens, mapped to 127.0.0.1.
const HOST: &str = "board.shunyu.example";

/// A self-signed certificate for [`HOST`] in `dir` as `name.crt` and
/// `name.key`, valid for `days`: the files, and the printed SHA-256 and
/// public-key pin.
fn certificate(dir: &Path, name: &str, days: u32) -> (String, String, String, String) {
    let (cert, key) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
    );
    let out = run(
        "yiyi-node",
        &format!(
            "tls self-signed --name {HOST} --cert {} --key {} --days {days}",
            cert.display(),
            key.display()
        ),
    );
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    let line = |prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {text}"))
            .to_owned()
    };
    (
        cert.display().to_string(),
        key.display().to_string(),
        line("sha256 "),
        line("spki-sha256 "),
    )
}

/// The API's port, from its URL.
fn port(node: &Node) -> String {
    node.url.rsplit(':').next().unwrap().to_owned()
}

/// A browser that opens [`HOST`] at 127.0.0.1 and trusts the key `pin`.
fn browser(pin: &str) -> Browser {
    Browser::start_with(&[
        format!("--host-resolver-rules=MAP {HOST} 127.0.0.1"),
        format!("--ignore-certificate-errors-spki-list={pin}"),
    ])
}

/// Posts a sign-in over plain HTTP naming [`HOST`]; the status line.
fn plain_sign_in(node: &Node) -> String {
    let mut socket = TcpStream::connect(node.url.trim_start_matches("http://")).unwrap();
    let body = "name=%E5%BC%A0%E7%BA%A2&password=whatever-it-is";
    write!(
        socket,
        "POST /office/login HTTP/1.1\r\nHost: {HOST}:{}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        port(node),
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).unwrap();
    answer.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn the_board_verifies_over_https_at_a_host_name_and_over_plain_http_says_how_to_check() {
    let Chain {
        district,
        street,
        mut community,
    } = chain();
    let notice = community.decline("T-park", "小区停车位划线");
    // The street cosigns the community's checkpoint.
    let state = tempfile::tempdir().unwrap();
    wait_for("the street's cosignature", || {
        command(
            "yiyi",
            &format!(
                "--node {} verify {notice} --trust {}",
                community.url, district.vkey
            ),
        )
        .env("YIYI_STATE", state.path())
        .output()
        .unwrap()
        .status
        .success()
    });
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, fingerprint, pin) = certificate(dir.path(), "board", 30);
    let given = run(
        "yiyi-node",
        &format!(
            "staff add --data {} --name 张红 --role secretary",
            community.data.display()
        ),
    );
    let given = stdout(&given).trim().to_owned();

    // Over HTTPS at the host name: a secure context, every notice verified.
    community.kill();
    community.run(&format!(
        "--peer {} --tls-cert {cert} --tls-key {key}",
        street.p2p
    ));
    assert!(community.url.starts_with("https://"), "{}", community.url);
    let browser = browser(&pin);
    let board = format!("https://{HOST}:{}/", port(&community));
    browser.open(&board);
    browser.wait_for(
        "every notice checked",
        "return document.body.dataset.verified === 'done'",
    );
    assert_eq!(
        browser.run(
            "return [window.isSecureContext, document.getElementById('insecure').hidden, Array.from(document.querySelectorAll('.badge')).map(b => b.dataset.state)]"
        ),
        serde_json::json!([true, true, ["verified"]])
    );
    // The certificate is the one printed; browsers are told to keep to
    // HTTPS.
    let answer = https::get(&community.url.replace("https://", ""), HOST, "/").unwrap();
    assert_eq!(answer.certificate, fingerprint);
    assert!(
        answer
            .response
            .to_ascii_lowercase()
            .contains("strict-transport-security: max-age=31536000"),
        "{}",
        answer.response
    );

    // Staff sign in over HTTPS; the session cookie is Secure.
    browser.open(&format!("{board}office/login"));
    browser.wait_for(
        "the sign-in form",
        "return document.getElementById('sign-in') !== null",
    );
    browser.run(&format!(
        "document.getElementById('name').value = '张红';
         document.getElementById('password').value = '{given}';
         document.getElementById('sign-in').click();"
    ));
    browser.wait_for(
        "the password form",
        "return document.getElementById('again') !== null",
    );
    let session = browser
        .cookies()
        .into_iter()
        .find(|c| c["name"] == "yiyi_session")
        .expect("a session cookie");
    assert_eq!(
        (&session["secure"], &session["httpOnly"]),
        (&serde_json::json!(true), &serde_json::json!(true))
    );

    // Over plain HTTP at the same name, in a browser that never saw it
    // over HTTPS (one that did keeps to HTTPS, as HSTS told it): no
    // verification in the browser, the message and each notice's command
    // instead; no sign-in.
    community.kill();
    community.run(&format!("--peer {}", street.p2p));
    drop(browser);
    let browser = self::browser(&pin);
    let plain = format!("http://{HOST}:{}/", port(&community));
    browser.open(&plain);
    browser.wait_for(
        "the board",
        "return document.body.dataset.verified === 'done'",
    );
    let shown = browser.run(
        "return [window.isSecureContext, document.getElementById('insecure').hidden, document.getElementById('insecure').textContent, Array.from(document.querySelectorAll('.badge')).map(b => [b.dataset.state, b.textContent]), document.getElementById('checked-here').hidden]",
    );
    // The footer does not claim the browser checked anything.
    assert_eq!(shown[4], true);
    assert_eq!(shown[0], false);
    assert_eq!(shown[1], false);
    assert!(shown[2].as_str().unwrap().contains("HTTPS"), "{}", shown[2]);
    let badges = shown[3].as_array().unwrap();
    assert_eq!(badges.len(), 1);
    assert_eq!(badges[0][0], "cli");
    let instruction = badges[0][1].as_str().unwrap();
    assert!(
        instruction.contains(&format!("verify {notice} --trust {}", district.vkey)),
        "{instruction}"
    );
    browser.open(&format!("{plain}office/login"));
    let refusal = browser.wait_for(
        "the refusal",
        "return document.getElementById('error') && document.getElementById('error').textContent",
    );
    assert!(refusal.as_str().unwrap().contains("HTTPS"), "{refusal}");
    assert_eq!(
        browser.run("return document.getElementById('sign-in')"),
        serde_json::Value::Null
    );
    assert!(plain_sign_in(&community).contains(" 403 "));

    // A closed network's operator may allow it.
    community.kill();
    community.run(&format!("--peer {} --allow-insecure-login", street.p2p));
    assert!(!plain_sign_in(&community).contains(" 403 "));
}

#[test]
fn a_renewed_certificate_is_served_without_a_restart_and_bad_ones_stop_the_node() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, first, _) = certificate(dir.path(), "served", 30);
    let (next_cert, next_key, second, _) = certificate(dir.path(), "next", 30);
    let mut node = Node::start_with("舜玉社区", &format!("--tls-cert {cert} --tls-key {key}"));
    let address = node.url.replace("https://", "");
    let served = || https::get(&address, HOST, "/api/v1/checkpoint").unwrap();
    assert_eq!(served().certificate, first);
    assert!(served().response.starts_with("HTTP/1.1 200"));

    // Renewed on disk: the next connection gets the new one.
    std::fs::copy(&next_cert, &cert).unwrap();
    std::fs::copy(&next_key, &key).unwrap();
    wait_for("the renewed certificate", || served().certificate == second);
    // SIGHUP re-reads the files even when nothing looks changed: a third
    // certificate of the same sizes, the files' times set back, is not
    // noticed by looking, and is served once asked.
    let looks = |path: &str| {
        let meta = std::fs::metadata(path).unwrap();
        (meta.modified().unwrap(), meta.len())
    };
    let (cert_was, key_was) = (looks(&cert), looks(&key));
    let (third_cert, third_key, third) = (0..100)
        .map(|i| certificate(dir.path(), &format!("third-{i}"), 30))
        .find(|(c, k, _, _)| looks(c).1 == cert_was.1 && looks(k).1 == key_was.1)
        .map(|(c, k, f, _)| (c, k, f))
        .expect("a certificate of the same sizes");
    for (from, to, was) in [(&third_cert, &cert, cert_was), (&third_key, &key, key_was)] {
        // Written aside with the old time, then renamed over: the file
        // never looks changed.
        let aside = format!("{to}.new");
        std::fs::copy(from, &aside).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&aside)
            .unwrap()
            .set_modified(was.0)
            .unwrap();
        std::fs::rename(&aside, to).unwrap();
    }
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(served().certificate, second, "noticed without SIGHUP");
    // SAFETY: a signal to the node's own process, which the test started.
    unsafe { libc::kill(node.pid() as i32, libc::SIGHUP) };
    wait_for("the certificate re-read on SIGHUP", || {
        served().certificate == third
    });

    // A key that is not the certificate's, and an expired certificate:
    // refused at start, saying why.
    node.kill();
    let (_, _, _, _) = certificate(dir.path(), "expired", 0);
    for (cert, key, says) in [
        (&cert, &next_key, "does not belong to the certificate"),
        (
            &dir.path().join("expired.crt").display().to_string(),
            &dir.path().join("expired.key").display().to_string(),
            "is not valid now",
        ),
    ] {
        let refused = run(
            "yiyi-node",
            &format!(
                "run --data {} --api 127.0.0.1:0 --listen /ip4/127.0.0.1/tcp/0 --tls-cert {cert} --tls-key {key}",
                node.data.display()
            ),
        );
        let error = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success());
        assert!(error.contains(says), "{error}");
    }
}

#[test]
fn a_tls_hello_trickled_a_byte_at_a_time_is_cut_at_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, _, _) = certificate(dir.path(), "slow", 30);
    let node = Node::start_with("舜玉社区", &format!("--tls-cert {cert} --tls-key {key}"));
    let mut socket = TcpStream::connect(node.url.replace("https://", "")).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    // The start of a ClientHello, then one byte a second, never finished.
    let hello = [
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
    ];
    let start = Instant::now();
    let mut closed = false;
    for byte in hello.iter().cycle().take(40) {
        if socket.write_all(&[*byte]).is_err() {
            closed = true;
            break;
        }
        let mut buffer = [0u8; 64];
        match socket.read(&mut buffer) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(800));
    }
    assert!(closed, "the connection was still open after 40 s");
    // The header timeout is 10 s: the handshake sits inside it.
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    // The node still serves everyone else.
    let answer = https::get(
        &node.url.replace("https://", ""),
        HOST,
        "/api/v1/checkpoint",
    )
    .unwrap();
    assert!(answer.response.starts_with("HTTP/1.1 200"));
}

#[test]
fn the_cli_reaches_an_https_node_through_the_certificate_it_is_given_and_no_other() {
    let mut node = Node::start("舜玉社区");
    node.serve_https("");
    // The office works over HTTPS (the harness gives `yiyi` --cacert by
    // YIYI_CACERT), and a resident lists the notices with the certificate.
    let notice = node.decline("T-park", "小区停车位划线");
    let cacert = node.cacert.clone().unwrap().display().to_string();
    let listed = run(
        "yiyi",
        &format!("--json --node {} --cacert {cacert} notices", node.url),
    );
    assert!(listed.status.success(), "{listed:?}");
    assert!(stdout(&listed).contains(&notice), "{}", stdout(&listed));

    // Without it, or with another certificate, the connection is not made,
    // and the message says what to do, in Chinese by default.
    let dir = tempfile::tempdir().unwrap();
    let (other, _, _, _) = certificate(dir.path(), "other", 30);
    for (line, says) in [
        (format!("--lang en --node {} notices", node.url), "--cacert"),
        (
            format!("--lang en --node {} --cacert {other} notices", node.url),
            "--cacert",
        ),
        (format!("--lang zh --node {} notices", node.url), "指纹"),
    ] {
        let refused = command("yiyi", &line)
            .env_remove("YIYI_CACERT")
            .output()
            .unwrap();
        assert!(!refused.status.success(), "{line}");
        let error = String::from_utf8_lossy(&refused.stderr);
        assert!(error.contains(says), "{line}: {error}");
    }
}

#[test]
fn the_redirect_listener_sends_plain_http_to_https_and_serves_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, _, _) = certificate(dir.path(), "redirect", 30);
    let plain = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let node = Node::start_with(
        "舜玉社区",
        &format!("--tls-cert {cert} --tls-key {key} --http-redirect {plain}"),
    );
    let mut socket = TcpStream::connect(plain).unwrap();
    write!(
        socket,
        "GET /office/login?next=%2F HTTP/1.1\r\nHost: {HOST}:{}\r\nConnection: close\r\n\r\n",
        plain.port()
    )
    .unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 308"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains(&format!(
            "location: https://{HOST}:{}/office/login?next=%2f",
            port(&node)
        )),
        "{answer}"
    );
    // Nothing of the API or the board is served in the clear there.
    assert!(!answer.contains("<html"), "{answer}");
}

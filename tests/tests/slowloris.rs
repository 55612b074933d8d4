//! A slowloris client — a second process holding many connections open
//! from one address and never finishing its request headers — cannot take
//! the node's HTTP API away from anyone else: past its address's share the
//! node closes its connections at once, the rest are closed when their
//! headers are not done within the header timeout, and meanwhile the
//! office writes, the street replicates, and a resident at another address
//! reads the board. A kept-alive connection left idle is closed at the
//! same timeout, and headers past 16 KiB are refused with 431.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::process::Stdio;
use std::time::Duration;

use socket2::{Domain, Socket, Type};
use yiyi_tests::command;
use yiyi_tests::federation::{Chain, chain, decline_and_replicate, wait_for};

/// The node's defaults (`yiyi_node::api::limits::Limits`).
const CONNECTIONS_PER_IP: u64 = 64;
const HEADER_TIMEOUT_SECS: f64 = 10.0;
/// How long the attack lasts: well past the header timeout, so that a
/// connection the node does not close outlasts it.
const ATTACK_SECS: f64 = 24.0;

#[test]
fn a_slowloris_client_cannot_hold_the_api_from_the_office_residents_or_peers() {
    let Chain {
        district: _district,
        street,
        community,
    } = chain();
    let api = community.url.trim_start_matches("http://").to_owned();
    let attack = command("slowloris", &format!("{api} 127.0.0.2 {ATTACK_SECS} 200"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));

    // The office works through it, and its street replicates what it writes.
    decline_and_replicate(&community, "slow", "楼道堆物清理", 4, &[&street]);
    // A resident's browser keeps its connection alive after a read and
    // then leaves it idle: the node closes it at the header timeout too.
    let mut kept = connect_from("127.0.0.4".parse().unwrap(), &api);
    write!(
        kept,
        "GET /api/v1/checkpoint HTTP/1.1\r\nHost: {api}\r\n\r\n"
    )
    .unwrap();
    kept.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut first = [0; 12];
    kept.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    let idle = std::time::Instant::now();
    let mut rest = Vec::new();
    kept.read_to_end(&mut rest).unwrap();
    let idle = idle.elapsed().as_secs_f64();
    assert!(
        (HEADER_TIMEOUT_SECS - 1.0..HEADER_TIMEOUT_SECS + 8.0).contains(&idle),
        "an idle kept-alive connection was closed after {idle} s"
    );
    // Headers past 16 KiB are refused.
    let (status, _) = request_from(
        "127.0.0.3".parse().unwrap(),
        &api,
        &format!(
            "GET /api/v1/board HTTP/1.1\r\nHost: {api}\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
            "x".repeat(20 * 1024)
        ),
    );
    assert_eq!(status, 431);

    // A resident at another address reads the board, more than once over
    // the attack (after the node has closed the first wave, too).
    for _ in 0..2 {
        let (status, body) = request_from(
            "127.0.0.3".parse().unwrap(),
            &api,
            &format!("GET /api/v1/board HTTP/1.1\r\nHost: {api}\r\nConnection: close\r\n\r\n"),
        );
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("楼道堆物清理"), "{body}");
        std::thread::sleep(Duration::from_secs(5));
    }

    let attack = attack.wait_with_output().unwrap();
    assert!(attack.status.success());
    let report: serde_json::Value = serde_json::from_slice(&attack.stdout).unwrap();
    println!("slowloris: {report}");
    let n = |key: &str| report[key].as_u64().unwrap();
    let secs = |key: &str| report[key].as_f64().unwrap();
    // 200 connections from one address: those past its share are closed at
    // once, before anything is read.
    assert!(n("closed_at_once") >= 200 - CONNECTIONS_PER_IP, "{report}");
    // The ones it let in are closed when their headers are not done in
    // time: none lasted the attack.
    assert!(n("closed_later") >= CONNECTIONS_PER_IP, "{report}");
    assert!(
        secs("closed_later_max_secs") < ATTACK_SECS - 4.0,
        "a connection outlived the header timeout: {report}"
    );
    assert!(
        secs("open_at_end_max_secs") < ATTACK_SECS - 4.0,
        "a connection outlived the header timeout: {report}"
    );
    assert!(
        secs("closed_later_max_secs") >= HEADER_TIMEOUT_SECS - 1.0,
        "connections were given their time: {report}"
    );

    assert!(community.metric("yiyi_http_connections_refused_total") >= 200 - CONNECTIONS_PER_IP);
    // Once the attacker is gone, so are its connections.
    wait_for("the attack's connections to be closed", || {
        community.metric("yiyi_http_connections_open") <= 2
    });
}

/// A connection to the node's API from the local address `from`.
fn connect_from(from: IpAddr, api: &str) -> TcpStream {
    let node: SocketAddr = api.parse().unwrap();
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.bind(&SocketAddr::new(from, 0).into()).unwrap();
    socket.connect(&node.into()).unwrap();
    socket.into()
}

/// Sends `request` over a fresh connection from `from` and reads the
/// answer to its end: the status and the whole answer.
fn request_from(from: IpAddr, api: &str, request: &str) -> (u16, String) {
    let mut stream = connect_from(from, api);
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("an HTTP answer: {answer}"));
    (status, answer)
}

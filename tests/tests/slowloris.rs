//! A slowloris client — a second process holding many connections open
//! from one address and never finishing its request headers — cannot take
//! the node's HTTP API away from anyone else: past its address's share the
//! node closes its connections at once, the rest are closed when their
//! headers are not done within the header timeout, and meanwhile the
//! office writes, the street replicates, and a resident at another address
//! reads the board. A kept-alive connection left idle is closed at the
//! same timeout, and headers past 16 KiB are refused with 431. All of it
//! over the node's own HTTPS too, where the attacker completes each
//! handshake and trickles inside it: the header timeout counts from the
//! connection, handshake included.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::process::Stdio;
use std::time::Duration;

use socket2::{Domain, Socket, Type};
use yiyi_tests::federation::{Chain, chain, decline_and_replicate, wait_for};
use yiyi_tests::{command, https};

/// The node's defaults (`yiyi_node::api::limits::Limits`).
const CONNECTIONS_PER_IP: u64 = 64;
const HEADER_TIMEOUT_SECS: f64 = 10.0;
/// How long the attack lasts: well past the header timeout, so that a
/// connection the node does not close outlasts it.
const ATTACK_SECS: f64 = 24.0;

#[test]
fn a_slowloris_client_cannot_hold_the_api_from_the_office_residents_or_peers() {
    attack(false);
}

#[test]
fn nor_over_https_where_it_completes_each_handshake_and_trickles_inside() {
    attack(true);
}

/// A connection that reads and writes, in the clear or over TLS.
trait Connection: Read + Write {}

impl<T: Read + Write> Connection for T {}

/// The attack on the community's API (over its own HTTPS when `tls`) while
/// its office, its street and a resident go on.
fn attack(tls: bool) {
    let Chain {
        district: _district,
        street,
        mut community,
    } = chain();
    if tls {
        community.serve_https(&format!("--peer {}", street.p2p));
    }
    let api = community
        .url
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .to_owned();
    let connect_from = |from: &str| connect(from.parse().unwrap(), &api, tls);
    let request_from = |from: &str, request: &str| exchange(connect_from(from), request);
    let tls_arg = if tls { "tls" } else { "" };
    let attack = command(
        "slowloris",
        &format!("{api} 127.0.0.2 {ATTACK_SECS} 200 {tls_arg}"),
    )
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_secs(2));

    // The office works through it, and its street replicates what it writes.
    decline_and_replicate(&community, "slow", "楼道堆物清理", 4, &[&street]);
    // A resident's browser keeps its connection alive after a read and
    // then leaves it idle: the node closes it at the header timeout too.
    let mut kept = connect_from("127.0.0.4");
    write!(
        kept,
        "GET /api/v1/checkpoint HTTP/1.1\r\nHost: {api}\r\n\r\n"
    )
    .unwrap();
    let mut first = [0; 12];
    kept.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    let idle = std::time::Instant::now();
    // Read to the close (over TLS a close without close_notify ends in an
    // error; a read timed out at 30 s fails the check below).
    let _ = kept.read_to_end(&mut Vec::new());
    let idle = idle.elapsed().as_secs_f64();
    assert!(
        (HEADER_TIMEOUT_SECS - 1.0..HEADER_TIMEOUT_SECS + 8.0).contains(&idle),
        "an idle kept-alive connection was closed after {idle} s"
    );
    // Headers past 16 KiB are refused.
    let (status, _) = request_from(
        "127.0.0.3",
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
            "127.0.0.3",
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

/// A connection to the node's API from the local address `from`, over
/// TLS (the handshake done) when `tls`; reads wait at most 30 s.
fn connect(from: IpAddr, api: &str, tls: bool) -> Box<dyn Connection> {
    let node: SocketAddr = api.parse().unwrap();
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.bind(&SocketAddr::new(from, 0).into()).unwrap();
    socket.connect(&node.into()).unwrap();
    let stream: TcpStream = socket.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    if tls {
        Box::new(https::handshake(stream, "localhost").unwrap())
    } else {
        Box::new(stream)
    }
}

/// Sends `request` over `connection` and reads the answer to its end: the
/// status and the whole answer.
fn exchange(mut connection: Box<dyn Connection>, request: &str) -> (u16, String) {
    connection.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    // Over TLS a close without close_notify ends the read in an error
    // after the bytes.
    let _ = connection.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("an HTTP answer: {answer}"));
    (status, answer)
}

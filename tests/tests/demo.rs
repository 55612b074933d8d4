//! `yiyi demo` as a person or a supervisor runs it: it says where to look
//! with a browser, and its seven nodes stop with it, however it is told to
//! stop (SIGTERM while serving, SIGHUP while still setting up).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use yiyi_tests::command;

/// A base port with seven free ports above it, below the ephemeral range
/// (32768 and up on Linux): a base the system gave out could be given
/// again to another test binding port 0 before the demo bound it, and the
/// demo then said "did not start (is port … free?)".
fn free_base_port() -> u16 {
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        ^ std::process::id()
        | 1;
    loop {
        // A cheap spread over 10000..30000 (xorshift).
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let base = 10_000 + (seed % 20_000) as u16;
        if (base..base + 7).all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()) {
            return base;
        }
    }
}

/// Starts the demo and reads its stdout until a line satisfies `until`;
/// returns the lines read.
fn demo_until(
    dir: &std::path::Path,
    base: u16,
    until: impl Fn(&str) -> bool,
) -> (Child, Vec<String>) {
    let mut child = command(
        "yiyi",
        &format!("--lang en demo --dir {} --base-port {base}", dir.display()),
    )
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = Vec::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "the demo ended early: {lines:#?}"
        );
        let done = until(&line);
        lines.push(line.trim_end().to_owned());
        if done {
            break;
        }
    }
    // Keep draining stdout so the demo never blocks on a full pipe.
    std::thread::spawn(move || for _ in out.lines() {});
    (child, lines)
}

fn answers(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(200),
    )
    .is_ok()
}

fn signal(child: &Child, signal: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// Waits up to `within` for the demo to exit; its exit status.
fn exited(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(start.elapsed() < within, "the demo did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits up to 10 s for none of `ports` to answer.
fn all_closed(ports: &[u16]) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if !ports.iter().any(|p| answers(*p)) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn the_demo_shows_every_board_and_sigterm_stops_its_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let base = free_base_port();
    let (mut demo, lines) = demo_until(&dir.path().join("net"), base, |l| {
        l.contains("keep serving")
    });
    let ports: Vec<u16> = (base..base + 7).collect();
    // Every office's board, by name and URL, under "where to look".
    let look = lines
        .iter()
        .position(|l| l.contains("Where to look"))
        .expect("a where-to-look section");
    for (name, port) in [
        "历下区",
        "泉城路街道",
        "大明湖街道",
        "舜玉社区",
        "泉河社区",
        "大明社区",
        "北苑社区",
    ]
    .iter()
    .zip(&ports)
    {
        let url = format!("http://127.0.0.1:{port}/");
        assert!(
            lines[look..]
                .iter()
                .any(|l| l.contains(name) && l.trim_end().ends_with(&url)),
            "{name}'s board {url} is not shown: {lines:#?}"
        );
        let board = ureq::get(&url)
            .call()
            .unwrap()
            .into_body()
            .read_to_string()
            .unwrap();
        assert!(board.contains("<html"), "{url} serves the board");
    }

    // The community's console, with the secretary's account the demo made:
    // the password it printed signs in (and must be changed first).
    let console = format!("http://127.0.0.1:{}/office/", base + 3);
    let line = lines[look..]
        .iter()
        .find(|l| l.contains(&console))
        .unwrap_or_else(|| panic!("the community's console is not shown: {lines:#?}"));
    let password = line.split_whitespace().last().unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into();
    let signed = agent
        .post(format!("{console}login"))
        .send_form([("name", "书记"), ("password", password)])
        .unwrap();
    assert_eq!(signed.status().as_u16(), 303);
    assert_eq!(signed.headers()["location"], "/office/password");

    signal(&demo, "TERM");
    let status = exited(&mut demo, Duration::from_secs(15));
    assert!(!status.success(), "stopped by a signal: {status:?}");
    assert!(
        all_closed(&ports),
        "a node still serves after the demo stopped"
    );
}

#[test]
fn sighup_while_the_federation_forms_stops_the_nodes_started_so_far() {
    let dir = tempfile::tempdir().unwrap();
    let base = free_base_port();
    // The district's line: its node is up, the others are coming.
    let (mut demo, _) = demo_until(&dir.path().join("net"), base, |l| l.contains("历下区"));
    assert!(answers(base), "the district's node serves");

    signal(&demo, "HUP");
    exited(&mut demo, Duration::from_secs(15));
    let ports: Vec<u16> = (base..base + 7).collect();
    assert!(
        all_closed(&ports),
        "a node still serves after the demo stopped"
    );
}

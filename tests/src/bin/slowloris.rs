//! `slowloris HOST:PORT FROM SECONDS CONNECTIONS [tls]`: holds CONNECTIONS
//! connections to a node's HTTP API from the local address FROM (say
//! 127.0.0.2) for SECONDS, as a slowloris client does: three in four send a
//! request line and then one header line every half second, never ending
//! the headers; the fourth sends nothing at all. With `tls` the three
//! complete a TLS handshake first and trickle inside it (the fourth does
//! not even say hello): the node's header timeout counts from the
//! connection, handshake included. A connection the node
//! closes is opened again a moment later. Prints, as JSON, how many
//! connections were opened, how many the node closed at once (before the
//! first trickled line), how many it closed later and after how long at
//! most, and how many were still open at the end and for how long.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};

/// What became of the connections.
#[derive(Default)]
struct Report {
    opened: u64,
    closed_at_once: u64,
    closed_later: u64,
    closed_later_max_secs: f64,
    open_at_end: u64,
    open_at_end_max_secs: f64,
    connect_failed: u64,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (node, from, seconds, connections, tls) = match args.as_slice() {
        [_, node, from, seconds, connections] => (node, from, seconds, connections, false),
        [_, node, from, seconds, connections, tls] if tls == "tls" => {
            (node, from, seconds, connections, true)
        }
        _ => {
            eprintln!("usage: slowloris HOST:PORT FROM SECONDS CONNECTIONS [tls]");
            std::process::exit(2);
        }
    };
    let node: SocketAddr = node.parse().expect("HOST:PORT");
    let from: IpAddr = from.parse().expect("an IP address to send from");
    let until = Instant::now() + Duration::from_secs(seconds.parse().expect("SECONDS"));
    let report = Arc::new(Mutex::new(Report::default()));
    let threads: Vec<_> = (0..connections.parse::<usize>().expect("CONNECTIONS"))
        .map(|n| {
            let report = report.clone();
            std::thread::spawn(move || {
                while Instant::now() < until {
                    let Ok(stream) = connect(from, node) else {
                        report.lock().unwrap().connect_failed += 1;
                        std::thread::sleep(Duration::from_millis(200));
                        continue;
                    };
                    report.lock().unwrap().opened += 1;
                    let opened = Instant::now();
                    let talk = n % 4 != 0;
                    let (closed, lines) = if tls && talk {
                        match yiyi_tests::https::handshake(stream, "localhost") {
                            Ok(stream) => trickle(stream, talk, until),
                            // Refused at once, or cut mid-handshake.
                            Err(_) => (true, 0),
                        }
                    } else {
                        trickle(stream, talk, until)
                    };
                    let held = opened.elapsed().as_secs_f64();
                    let mut report = report.lock().unwrap();
                    if !closed {
                        report.open_at_end += 1;
                        report.open_at_end_max_secs = report.open_at_end_max_secs.max(held);
                    } else if lines <= 1 && held < 1.0 {
                        report.closed_at_once += 1;
                    } else {
                        report.closed_later += 1;
                        report.closed_later_max_secs = report.closed_later_max_secs.max(held);
                    }
                    drop(report);
                    // Come back a moment later, as an attacker would.
                    std::thread::sleep(Duration::from_millis(200));
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let r = report.lock().unwrap();
    println!(
        "{}",
        serde_json::json!({
            "opened": r.opened,
            "closed_at_once": r.closed_at_once,
            "closed_later": r.closed_later,
            "closed_later_max_secs": r.closed_later_max_secs,
            "open_at_end": r.open_at_end,
            "open_at_end_max_secs": r.open_at_end_max_secs,
            "connect_failed": r.connect_failed,
        })
    );
}

/// A connection to `node` from the address `from`, its reads waiting at
/// most half a second.
fn connect(from: IpAddr, node: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = Socket::new(Domain::for_address(node), Type::STREAM, None)?;
    socket.bind(&SocketAddr::new(from, 0).into())?;
    socket.connect_timeout(&node.into(), Duration::from_secs(5))?;
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(Duration::from_millis(500)))?;
    Ok(stream)
}

/// Sends (when `talk`) a request line and then a header line every half
/// second until `until`, never ending the headers, and watches for the
/// node closing the connection. Returns whether it was closed and how many
/// lines had been sent by then.
fn trickle(mut stream: impl Read + Write, talk: bool, until: Instant) -> (bool, u32) {
    let mut lines = 0;
    let mut buf = [0; 1024];
    while Instant::now() < until {
        if talk {
            let line = if lines == 0 {
                "GET /api/v1/board HTTP/1.1\r\nHost: yiyi\r\n".to_owned()
            } else {
                format!("X-Slow-{lines}: y\r\n")
            };
            if stream
                .write_all(line.as_bytes())
                .and_then(|()| stream.flush())
                .is_err()
            {
                return (true, lines);
            }
            lines += 1;
        }
        match stream.read(&mut buf) {
            // The node closed it (perhaps after a 408).
            Ok(_) => return (true, lines),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return (true, lines),
        }
    }
    (false, lines)
}

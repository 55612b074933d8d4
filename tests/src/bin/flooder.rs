//! `flooder URL SECONDS THREADS MAX [CACERT]`: floods a node's public HTTP
//! API from a process of its own, as an abuser on the internet would, for
//! at most SECONDS and MAX requests: heavy reads (the board, proofs),
//! missing entries, unknown paths, unauthenticated actions and oversized
//! bodies. For an `https://` URL, CACERT is the certificate to trust; each
//! thread keeps its connection alive where the node lets it, and opens
//! (and handshakes) a new one where it does not. Prints the answers it got
//! by status, as JSON.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (url, seconds, threads, max, cacert) = match args.as_slice() {
        [_, url, seconds, threads, max] => (url, seconds, threads, max, None),
        [_, url, seconds, threads, max, cacert] => (url, seconds, threads, max, Some(cacert)),
        _ => {
            eprintln!("usage: flooder URL SECONDS THREADS MAX [CACERT]");
            std::process::exit(2);
        }
    };
    let roots = match cacert {
        Some(path) => yiyi_tests::https::roots(path.as_ref()),
        None => ureq::tls::RootCerts::WebPki,
    };
    let until = Instant::now() + Duration::from_secs(seconds.parse().unwrap());
    let max: u64 = max.parse().unwrap();
    let sent = Arc::new(AtomicU64::new(0));
    let statuses = Arc::new(Mutex::new(BTreeMap::<String, u64>::new()));
    let big = "x".repeat(1 << 20);
    let workers: Vec<_> = (0..threads.parse::<usize>().unwrap())
        .map(|worker| {
            let (url, sent, statuses, big, roots) = (
                url.clone(),
                sent.clone(),
                statuses.clone(),
                big.clone(),
                roots.clone(),
            );
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .timeout_global(Some(Duration::from_secs(5)))
                    .http_status_as_error(false)
                    .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
                    .build()
                    .into();
                let mut n = worker;
                while Instant::now() < until && sent.fetch_add(1, Ordering::Relaxed) < max {
                    n += 1;
                    let answer = match n % 8 {
                        0 => agent.get(format!("{url}/api/v1/board")).call(),
                        1 => agent
                            .get(format!("{url}/api/v1/proofs/consistency?old_size=1"))
                            .call(),
                        2 => agent
                            .get(format!("{url}/api/v1/entries/by-hash/{}", "0".repeat(64)))
                            .call(),
                        3 => agent.get(format!("{url}/api/v1/notices")).call(),
                        4 => agent.get(format!("{url}/no/such/path/{n}")).call(),
                        5 => agent
                            .post(format!("{url}/api/v1/actions"))
                            .header("content-type", "application/json")
                            .send(big.as_str()),
                        6 => agent
                            .post(format!("{url}/api/v1/actions"))
                            .header("authorization", "Bearer not-the-token")
                            .send_json(serde_json::json!({"action": "accept", "topic": "T"})),
                        _ => agent.get(format!("{url}/feeds/{n}.atom")).call(),
                    };
                    let status = match answer {
                        Ok(response) => response.status().as_u16().to_string(),
                        Err(e) => {
                            format!("error: {}", e.to_string().split(':').next().unwrap_or(""))
                        }
                    };
                    *statuses.lock().unwrap().entry(status).or_default() += 1;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let statuses = statuses.lock().unwrap().clone();
    println!("{}", serde_json::json!({ "statuses": statuses }));
}

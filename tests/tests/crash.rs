//! Crash consistency across real processes: 20 rounds of `kill -9` against
//! a community and its street, alternately, while the community appends
//! without pause, the street replicates it and escalations are delivered
//! from one to the other. Each victim is restarted on the same data. At the
//! end every write the community acknowledged is held by all three nodes,
//! every ledger verifies end to end (`yiyi-node verify`), and each
//! escalation was received exactly once, its receipt held by the sender.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use yiyi_tests::federation::{Chain, chain, holds, wait_for};
use yiyi_tests::{Json, Node};

/// Appends at the community as fast as it answers, keeping the hash of
/// every entry and notice it acknowledged. Refusals while it is down are
/// not acknowledgements.
struct Writer {
    url: Arc<Mutex<String>>,
    acked: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    fn start(community: &Node) -> Writer {
        let url = Arc::new(Mutex::new(community.url.clone()));
        let acked = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let token = community.token();
        let thread = {
            let (url, acked, stop) = (url.clone(), acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .timeout_global(Some(Duration::from_secs(5)))
                    .build()
                    .into();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let topic = format!("T-w{n}");
                    let actions = [
                        serde_json::json!({"action": "topic", "id": topic, "title": format!("议题{n}"),
                            "category": "daily-life", "scale": "minor", "source": "resident"}),
                        serde_json::json!({"action": "decline", "topic": topic,
                            "citation": "《物业管理条例》", "explanation": "已有规定"}),
                    ];
                    for action in actions {
                        let base = url.lock().unwrap().clone();
                        let answer = agent
                            .post(format!("{base}/api/v1/actions"))
                            .header("authorization", format!("Bearer {token}"))
                            .send_json(&action)
                            .ok()
                            .and_then(|mut r| r.body_mut().read_json::<serde_json::Value>().ok());
                        let Some(answer) = answer else {
                            std::thread::sleep(Duration::from_millis(20));
                            break;
                        };
                        let mut acked = acked.lock().unwrap();
                        acked.push(answer.str_at("/entry/hash").to_owned());
                        for notice in answer.list_at("/notices") {
                            acked.push(notice.str_at("/hash").to_owned());
                        }
                    }
                }
            })
        };
        Writer {
            url,
            acked,
            stop,
            thread: Some(thread),
        }
    }

    fn point_at(&self, community: &Node) {
        *self.url.lock().unwrap() = community.url.clone();
    }

    fn finish(mut self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap();
        self.acked.lock().unwrap().clone()
    }
}

fn matter(node: &Node, id: &str) -> serde_json::Value {
    node.get(&format!("/api/v1/matters/{id}"))
}

#[test]
fn twenty_kills_lose_no_acknowledged_write_and_deliver_each_escalation_once() {
    let Chain {
        district,
        mut street,
        mut community,
    } = chain();
    // Restarted nodes must be found where their peers dial them.
    let street_port = street.p2p_port();
    let street_p2p = street.p2p.clone();
    let writer = Writer::start(&community);
    let mut escalations = Vec::new();

    for round in 0..20u64 {
        if round % 5 == 0 {
            let topic = format!("T-s{round}");
            community.consult_to_suggestion(&topic, "增开公交线路", "请区交通运输局调整线路");
            let sent = community.yiyi(&format!("escalation send {topic}"));
            escalations.push(sent.str_at("/entry/hash").to_owned());
        }
        // Somewhere in the middle of appends, replication and delivery.
        std::thread::sleep(Duration::from_millis(50 + round * 37 % 350));
        if round % 2 == 0 {
            community.kill();
            community.run(&format!("--peer {street_p2p}"));
            writer.point_at(&community);
        } else {
            street.kill();
            street.run(&format!(
                "--peer {} --listen /ip4/127.0.0.1/tcp/{street_port}",
                district.p2p
            ));
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    let acked = writer.finish();
    assert!(
        acked.len() > 100,
        "only {} writes acknowledged",
        acked.len()
    );
    println!(
        "20 kills: {} writes acknowledged, {} escalations",
        acked.len(),
        escalations.len()
    );

    for node in [&community, &street, &district] {
        wait_for("every acknowledged write at every node", || {
            acked.iter().all(|hash| holds(node, hash))
        });
    }
    for escalation in &escalations {
        wait_for("the receipt to reach the community", || {
            // The sender holds the matter from the start: the flag is
            // always there.
            matter(&community, escalation).at("/path/0/receipt_held") == true
        });
        let at_street = matter(&street, escalation);
        let receipts = at_street
            .list_at("/path/0/steps")
            .iter()
            .filter(|s| s.str_at("/action") == "receipt")
            .count();
        assert_eq!(receipts, 1, "escalation {escalation} received once");
    }

    // Every ledger each node holds verifies end to end.
    for mut node in [community, street, district] {
        node.kill();
        let ledgers = node.verify_store().lines().count();
        assert!(ledgers >= 2, "{ledgers} ledgers verified");
    }
}

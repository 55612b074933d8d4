//! Two real nodes on loopback: one follows the other's ledger over libp2p,
//! receives what it publishes, and catches up after being killed.

use std::time::{Duration, Instant};

use serde_json::Value;
use yiyi_tests::{Json, Node};

/// (size, root) of a ledger as `/api/v1/logs` lists it.
fn size_and_root(l: &Value) -> (u64, String) {
    (l.u64_at("/size"), l.str_at("/root").to_owned())
}

/// (size, root) of `log` as `node` holds it; `None` if it holds none of it.
fn log_state(node: &Node, log: &str) -> Option<(u64, String)> {
    node.get("/api/v1/logs")
        .list_at("/logs")
        .iter()
        .find(|l| l.str_at("/log") == log)
        .map(size_and_root)
}

fn own_log(node: &Node) -> (String, u64, String) {
    let logs = node.get("/api/v1/logs");
    let own = logs
        .list_at("/logs")
        .iter()
        .find(|l| l.at("/own") == true)
        .unwrap_or_else(|| panic!("an own log in {logs}"));
    let (size, root) = size_and_root(own);
    (own.str_at("/log").to_owned(), size, root)
}

/// Waits until `follower` holds `leader`'s own log exactly.
fn wait_replicated(follower: &Node, leader: &Node) -> Duration {
    let (log, size, root) = own_log(leader);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if log_state(follower, &log) == Some((size, root.clone())) {
            return start.elapsed();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "not replicated after 30 s: follower has {:?}, leader {size} {root}",
        log_state(follower, &log)
    );
}

fn propose(node: &Node, id: &str) {
    node.propose(id, "楼道灯不亮");
}

#[test]
fn a_follower_replicates_a_ledger_and_catches_up_after_a_crash() {
    let community = Node::start("第一社区");
    propose(&community, "T-1");
    let mut street = Node::start_with(
        "第一街道",
        &format!("--peer {} --follow {}", community.p2p, community.vkey),
    );
    wait_replicated(&street, &community);

    // New records reach the follower through announcements.
    community.yiyi("topic accept T-1");
    propose(&community, "T-2");
    wait_replicated(&street, &community);

    // The follower is killed; the community goes on; on restart it catches up.
    street.kill();
    for n in 3..40 {
        propose(&community, &format!("T-{n}"));
    }
    street.run(&format!(
        "--peer {} --follow {}",
        community.p2p, community.vkey
    ));
    wait_replicated(&street, &community);

    // The replica verifies entry by entry on the follower's disk.
    street.kill();
    let report = street.verify_store();
    let (log, size, root) = own_log(&community);
    assert!(
        report.contains(&format!("{log} ok: {size} entries, root {root}")),
        "{report}"
    );
}

#[test]
fn a_node_follows_nothing_it_was_not_told_to() {
    let community = Node::start("第二社区");
    propose(&community, "T-1");
    let stranger = Node::start_with("旁观者", &format!("--peer {}", community.p2p));
    // Connected, and hearing the community's announcements, yet it follows
    // nothing it was not told to.
    stranger.wait_connected(&community);
    propose(&community, "T-2");
    std::thread::sleep(Duration::from_secs(2));
    let (log, _, _) = own_log(&community);
    assert_eq!(log_state(&stranger, &log), None);
}

#[test]
fn a_street_replicates_the_communities_it_admits_and_stops_when_revoked() {
    let community = Node::start("第三社区");
    propose(&community, "T-1");
    let mut street = Node::start_level("第一街道", "street", &format!("--peer {}", community.p2p));
    // Nothing is followed before the charter, though the two are connected
    // and the community announces what it writes.
    street.wait_connected(&community);
    propose(&community, "T-0");
    std::thread::sleep(Duration::from_secs(1));
    let (log, _, _) = own_log(&community);
    assert_eq!(log_state(&street, &log), None);

    // A street cannot admit a street, nor a key that is not an office's.
    let refusal = street.refused(&format!(
        "charter admit --key {} --name 第三社区 --level street",
        community.vkey
    ));
    assert!(refusal.contains("cannot admit"), "{refusal}");

    street.yiyi(&format!(
        "charter admit --key {} --name 第三社区 --level community --address {}",
        community.vkey, community.p2p
    ));
    // Charters live in the street's ledger: restart with the community as a peer.
    street.kill();
    street.run(&format!("--peer {}", community.p2p));
    wait_replicated(&street, &community);

    street.yiyi(&format!(
        "charter revoke --key {} --reason 撤并",
        community.vkey
    ));
    let (_, size_at_revoke, _) = own_log(&community);
    for n in 2..6 {
        propose(&community, &format!("T-{n}"));
    }
    std::thread::sleep(Duration::from_secs(2));
    let (_, now, _) = own_log(&community);
    assert!(now > size_at_revoke);
    let held = log_state(&street, &log).map(|(size, _)| size).unwrap_or(0);
    assert!(
        held <= size_at_revoke,
        "the street kept replicating a revoked office: {held} > {size_at_revoke}"
    );
}

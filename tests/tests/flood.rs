//! A node flooded from a second process on loopback (bounded in time and
//! count) keeps serving its office and its peers: the office's writes all
//! go through, the street keeps replicating them, the flood is answered
//! 429 past the per-address rate, oversized bodies 413, and nothing the
//! flood sent was written. The same over libp2p: a hostile peer flooding
//! sync requests and forged gossip is limited, its gossip is refused and
//! not forwarded, and replication goes on. The HTTP flood is tried over
//! the node's own HTTPS too, where each new connection costs the node a
//! handshake.

use std::process::Stdio;

use yiyi_tests::federation::{Chain, chain, decline_and_replicate, log_of, wait_for};
use yiyi_tests::{Json, command};

#[test]
fn a_flooded_node_keeps_serving_its_office_and_its_peers() {
    flood(false);
}

#[test]
fn a_node_flooded_over_https_keeps_serving_its_office_and_its_peers() {
    flood(true);
}

/// Floods the community's API (over its own HTTPS when `https`) while its
/// office works.
fn flood(https: bool) {
    let Chain {
        district: _district,
        street,
        mut community,
    } = chain();
    if https {
        community.serve_https(&format!("--peer {}", street.p2p));
    }
    let size_before = community.own_size();
    let cacert = community
        .cacert
        .as_ref()
        .map_or(String::new(), |c| c.display().to_string());
    let flood = command(
        "flooder",
        &format!("{} 8 16 200000 {cacert}", community.url),
    )
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));

    // Meanwhile the office works, and its street replicates what it writes.
    decline_and_replicate(&community, "flood", "小区停车位划线", 8, &[&street]);
    let flood = flood.wait_with_output().unwrap();
    assert!(flood.status.success());
    let report: serde_json::Value = serde_json::from_slice(&flood.stdout).unwrap();
    // A status never answered is not listed: none of it.
    let count = |status: &str| {
        report
            .pointer(&format!("/statuses/{status}"))
            .map_or(0, |n| n.as_u64().expect("a count"))
    };
    println!("flood: {report}");
    assert!(count("429") > 0, "the per-address limit answered: {report}");
    assert!(
        count("200") > 0,
        "the public was served within its limit: {report}"
    );
    assert!(community.metric("yiyi_http_limited_total") > 0);
    // Nothing the flood sent was written: only the office's 8 topics, each
    // with its decision and notice.
    assert_eq!(community.own_size(), size_before + 8 * 3);
}

#[test]
fn a_peer_flooding_sync_and_forged_gossip_cannot_stop_replication() {
    let Chain {
        district,
        street,
        community,
    } = chain();
    let street_log = log_of(&street.vkey);
    let street_size = |node: &yiyi_tests::Node| node.log_size(&street_log);
    // Two hostile peers ask the community for the street's ledger without
    // pause; one of them also gossips checkpoints of it, signed by another
    // key under the street's name. (One process doing both is held back by
    // its own signing: the sync flood alone shows the per-peer limit.)
    let flood = |gossip: &str| {
        command(
            "peerflood",
            &format!("{} {} 8 {gossip}", community.p2p, street.vkey),
        )
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
    };
    let (sync_flood, gossip_flood) = (flood("0"), flood("8"));
    std::thread::sleep(std::time::Duration::from_millis(1500));

    // Meanwhile the office works, and the street and the district
    // replicate what it writes.
    decline_and_replicate(
        &community,
        "peerflood",
        "快递柜占道",
        8,
        &[&street, &district],
    );
    let report = |flood: std::process::Child| {
        let flood = flood.wait_with_output().unwrap();
        assert!(flood.status.success());
        let report: serde_json::Value = serde_json::from_slice(&flood.stdout).unwrap();
        println!("peer flood: {report}");
        report
    };
    let (sync_flood, gossip_flood) = (report(sync_flood), report(gossip_flood));
    let count = |report: &serde_json::Value, key: &str| report.u64_at(&format!("/{key}"));
    assert!(
        count(&gossip_flood, "gossip_published") > 0,
        "{gossip_flood}"
    );
    assert!(
        count(&sync_flood, "sync_answered") > 0,
        "a peer within its limit is served: {sync_flood}"
    );
    assert!(
        count(&sync_flood, "sync_empty") > 0,
        "past its per-peer rate it gets nothing: {sync_flood}"
    );
    // The forged checkpoints were refused where they arrived and went no
    // further: the street never saw one, nor did anyone store anything.
    let (refused, ignored) = (
        community.metric("yiyi_refused_total"),
        community.metric("yiyi_gossip_ignored_total"),
    );
    println!("community: {refused} forgeries refused, {ignored} ignored over the gossip rate");
    assert!(refused > 0);
    // Past 200 a second the flooder's messages were not even checked: one
    // one-second window of checking per second of an 8-second flood (with
    // room for a slow machine's backlog), against ~28,000 sent.
    assert!(ignored > 0, "{gossip_flood}");
    assert!(refused <= 200 * 12, "{refused} checked");
    assert_eq!(street.metric("yiyi_refused_total"), 0);
    assert_eq!(district.metric("yiyi_refused_total"), 0);
    assert_eq!(community.metric("yiyi_frozen_logs"), 0);
    wait_for(
        "the community to hold the street's ledger as the street does",
        || street_size(&community) == street_size(&street),
    );
}

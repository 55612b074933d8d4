//! A node flooded from a second process on loopback (bounded in time and
//! count) keeps serving its office and its peers: the office's writes all
//! go through, the street keeps replicating them, the flood is answered
//! 429 past the per-address rate, oversized bodies 413, and nothing the
//! flood sent was written.

use std::process::{Command, Stdio};

use yiyi_tests::binary;
use yiyi_tests::federation::{Chain, chain, holds, wait_for};

#[test]
fn a_flooded_node_keeps_serving_its_office_and_its_peers() {
    let Chain {
        district: _district,
        street,
        community,
    } = chain();
    let size_before = community.get("/api/v1/logs")["logs"].clone();
    let flood = Command::new(binary("flooder"))
        .args([&community.url, "8", "16", "200000"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));

    // Meanwhile the office works, and its street replicates what it writes.
    let mut notices = Vec::new();
    for n in 0..8 {
        notices.push(community.decline(&format!("T-flood{n}"), "小区停车位划线"));
    }
    for notice in &notices {
        wait_for("the street to hold the office's notice", || {
            holds(&street, notice)
        });
    }
    let flood = flood.wait_with_output().unwrap();
    assert!(flood.status.success());
    let report: serde_json::Value = serde_json::from_slice(&flood.stdout).unwrap();
    let count = |status: &str| report["statuses"][status].as_u64().unwrap_or(0);
    println!("flood: {report}");
    assert!(count("429") > 0, "the per-address limit answered: {report}");
    assert!(
        count("200") > 0,
        "the public was served within its limit: {report}"
    );
    let metrics = community.get_text("/metrics").unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("yiyi_http_limited_total ") && !l.ends_with(" 0")),
        "{metrics}"
    );
    // Nothing the flood sent was written: only the office's 8 topics, each
    // with its decision and notice.
    let own = |logs: &serde_json::Value| {
        logs.as_array()
            .unwrap()
            .iter()
            .find(|l| l["own"] == true)
            .map_or(0, |l| l["size"].as_u64().unwrap())
    };
    let after = community.get("/api/v1/logs")["logs"].clone();
    assert_eq!(own(&after), own(&size_before) + 8 * 3);
}

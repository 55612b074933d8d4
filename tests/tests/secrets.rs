//! An office's secrets: the key and the API token are private files,
//! never logged; a wrong token changes nothing; a node restored from a
//! backup of its data directory carries on; a lost or leaked key is
//! rotated by the parent, and the federation follows the new key.

use std::os::unix::fs::PermissionsExt;

use yiyi_tests::Node;
use yiyi_tests::federation::{Chain, chain, holds, log_of, wait_for};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_key_and_token_are_private_and_never_logged_and_a_wrong_token_changes_nothing() {
    let mut node = Node::start("shunyu");
    node.decline("T-park", "小区停车位划线");
    assert_eq!(mode(&node.data.join("node.key")), 0o600);
    assert_eq!(mode(&node.data.join("api.token")), 0o600);

    // A token one character off is refused, and nothing is written.
    let token = node.token();
    let mut wrong = token.clone().into_bytes();
    wrong[0] = if wrong[0] == b'0' { b'1' } else { b'0' };
    let before = node.own_size();
    let refused = ureq::post(format!("{}/api/v1/actions", node.url))
        .header(
            "authorization",
            format!("Bearer {}", String::from_utf8(wrong).unwrap()),
        )
        .send_json(serde_json::json!({"action": "accept", "topic": "T-park"}));
    assert!(
        matches!(refused, Err(ureq::Error::StatusCode(401))),
        "{refused:?}"
    );
    assert_eq!(node.own_size(), before);

    // Neither secret appears in what the node printed or logged.
    node.terminate(std::time::Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
    let secret = std::fs::read_to_string(node.data.join("node.key")).unwrap();
    let secret = secret.trim();
    let log = std::fs::read_to_string(&node.log).unwrap();
    assert!(!log.is_empty());
    assert!(!log.contains(&token), "the token was logged");
    assert!(!log.contains(secret), "the secret key was logged");
    // The seed is the fifth field: base64 may itself hold a '+', so the
    // text after the last '+' can be a few letters that any log holds.
    let seed = secret.splitn(5, '+').nth(4).unwrap();
    assert_eq!(seed.len(), 44, "base64 of the type byte and the seed");
    assert!(!log.contains(seed), "the secret key was logged");
}

#[test]
fn a_node_restored_from_a_backup_of_its_data_directory_carries_on() {
    let mut node = Node::start("shunyu");
    let first = node.decline("T-park", "小区停车位划线");
    node.terminate(std::time::Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));

    // The backup: the data directory, copied with the node stopped; the
    // original is lost.
    let backup = tempfile::tempdir().unwrap();
    let copy = std::process::Command::new("cp")
        .args([
            "-a",
            node.data.to_str().unwrap(),
            backup.path().to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(copy.success());
    std::fs::remove_dir_all(&node.data).unwrap();
    node.data = backup.path().join("node");

    node.run("");
    assert!(holds(&node, &first));
    let second = node.decline("T-road", "市政道路拓宽");
    assert!(holds(&node, &second));
    node.terminate(std::time::Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
    node.verify_store();
}

#[test]
fn a_rotated_key_takes_over_and_the_old_one_writes_no_more() {
    let Chain {
        district,
        street,
        mut community,
    } = chain();
    let before = community.decline("T-park", "小区停车位划线");
    wait_for("the street to hold the old key's notice", || {
        holds(&street, &before)
    });

    // The key is lost (or leaked): the office makes a new one on a new
    // node, and the street rotates its charter to it.
    let renewed = Node::start_init(
        &format!(
            "--level community --name shunyu --origin yiyi/shunyu-2 --district {}",
            district.vkey
        ),
        &format!("--peer {}", street.p2p),
    );
    street.yiyi(&format!(
        "charter rotate --key {} --new-key {}",
        community.vkey, renewed.vkey
    ));
    let after = renewed.decline("T-road", "市政道路拓宽");
    wait_for("the street to hold the new key's notice", || {
        holds(&street, &after)
    });
    wait_for("the district to hold it too", || holds(&district, &after));

    // Whatever the old key signs from now on is refused everywhere.
    let old_log = log_of(&community.vkey);
    let old_size = |node: &Node| node.log_size(&old_log);
    let held = old_size(&street);
    let late = community.decline("T-late", "旧密钥签的公示");
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(
        !holds(&street, &late),
        "the street took a write of a rotated key"
    );
    assert_eq!(old_size(&street), held);
    community.kill();
}

//! Setting up an office's node with the two binaries, as an operator would.

use std::os::unix::fs::PermissionsExt;

use yiyi_protocol::VerifierKey;
use yiyi_tests::{run, stdout};

#[test]
fn an_office_key_from_yiyi_starts_a_node_that_checks_out() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("shunyu.key");
    let data = dir.path().join("node");
    let origin = "yiyi/lixia/quancheng/shunyu";

    let generated = run(
        "yiyi",
        &[
            "key",
            "generate",
            "--name",
            origin,
            "--out",
            key.to_str().unwrap(),
        ],
    );
    assert!(generated.status.success());
    let vkey = VerifierKey::parse(stdout(&generated).trim()).unwrap();

    let init = run(
        "yiyi-node",
        &[
            "init",
            "--data",
            data.to_str().unwrap(),
            "--key-file",
            key.to_str().unwrap(),
        ],
    );
    assert!(init.status.success(), "{init:?}");
    assert_eq!(VerifierKey::parse(stdout(&init).trim()).unwrap(), vkey);
    let mode = std::fs::metadata(data.join("node.key"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);

    // A second init never replaces the key.
    let again = run(
        "yiyi-node",
        &["init", "--data", data.to_str().unwrap(), "--origin", origin],
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds a node"));

    let status = run("yiyi-node", &["status", "--data", data.to_str().unwrap()]);
    assert!(status.status.success());
    let text = stdout(&status);
    assert!(text.contains(&vkey.to_string()), "{text}");
    assert!(text.contains("ledger: 0 entries"), "{text}");

    let verify = run("yiyi-node", &["verify", "--data", data.to_str().unwrap()]);
    assert!(verify.status.success(), "{verify:?}");
}

#[test]
fn a_key_named_otherwise_than_the_origin_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k");
    run(
        "yiyi",
        &[
            "key",
            "generate",
            "--name",
            "yiyi/a",
            "--out",
            key.to_str().unwrap(),
        ],
    );
    let data = dir.path().join("node");
    let init = run(
        "yiyi-node",
        &[
            "init",
            "--data",
            data.to_str().unwrap(),
            "--key-file",
            key.to_str().unwrap(),
            "--origin",
            "yiyi/b",
        ],
    );
    assert!(!init.status.success());
    assert!(!data.join("node.key").exists());
    // And a directory that is not a node says how to make one.
    let status = run(
        "yiyi-node",
        &["status", "--data", dir.path().to_str().unwrap()],
    );
    assert!(String::from_utf8_lossy(&status.stderr).contains("yiyi-node init"));
}

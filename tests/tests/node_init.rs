//! Setting up an office's node with the two binaries, as an operator would.

use std::os::unix::fs::PermissionsExt;

use yiyi_protocol::VerifierKey;
use yiyi_tests::{Json, run, stdout};

#[test]
fn an_office_key_from_yiyi_starts_a_node_that_checks_out() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("shunyu.key");
    let data = dir.path().join("node");
    let origin = "yiyi/lixia/quancheng/shunyu";

    let generated = run(
        "yiyi",
        &format!("key generate --name {origin} --out {}", key.display()),
    );
    assert!(generated.status.success());
    let vkey = VerifierKey::parse(stdout(&generated).trim()).unwrap();

    let init = run(
        "yiyi-node",
        &format!(
            "init --data {} --key-file {}",
            data.display(),
            key.display()
        ),
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
        &format!("init --data {} --origin {origin}", data.display()),
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds a node"));

    let status = run("yiyi-node", &format!("status --data {}", data.display()));
    assert!(status.status.success());
    let text = stdout(&status);
    assert!(text.contains(&vkey.to_string()), "{text}");
    assert!(text.contains("ledger: 0 entries"), "{text}");

    let verify = run("yiyi-node", &format!("verify --data {}", data.display()));
    assert!(verify.status.success(), "{verify:?}");
}

#[test]
fn a_key_named_otherwise_than_the_origin_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k");
    let generated = run(
        "yiyi",
        &format!("key generate --name yiyi/a --out {}", key.display()),
    );
    assert!(generated.status.success(), "{generated:?}");
    assert_eq!(
        VerifierKey::parse(stdout(&generated).trim())
            .unwrap()
            .name(),
        "yiyi/a"
    );
    let data = dir.path().join("node");
    let init = run(
        "yiyi-node",
        &format!(
            "init --data {} --key-file {} --origin yiyi/b",
            data.display(),
            key.display()
        ),
    );
    assert!(!init.status.success());
    let refusal = String::from_utf8_lossy(&init.stderr);
    assert!(
        refusal.contains(r#"the key is named "yiyi/a", not "yiyi/b""#),
        "{refusal}"
    );
    assert!(!data.join("node.key").exists());
    // And a directory that is not a node says how to make one.
    let status = run(
        "yiyi-node",
        &format!("status --data {}", dir.path().display()),
    );
    assert!(String::from_utf8_lossy(&status.stderr).contains("yiyi-node init"));
}

#[test]
fn an_origin_is_named_under_the_office_s_public_host() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    let init = run(
        "yiyi-node",
        &format!(
            "init --data {} --name 舜玉社区 --public-host gongshi.lixia.example",
            data.display()
        ),
    );
    assert!(init.status.success(), "{init:?}");
    let key = VerifierKey::parse(stdout(&init).trim()).unwrap();
    assert_eq!(key.name(), "gongshi.lixia.example/舜玉社区");
    let config = std::fs::read_to_string(data.join("config.toml")).unwrap();
    assert!(
        config.contains(r#"origin = "gongshi.lixia.example/舜玉社区""#),
        "{config}"
    );
    // A URL with a scheme, or no host at all, is refused, and nothing made.
    for host in [
        "https://gongshi.lixia.example",
        "gongshi",
        "Gongshi.example",
        "a.example/x",
    ] {
        let other = dir.path().join(host.replace(['/', ':'], "_"));
        let init = run(
            "yiyi-node",
            &format!(
                "init --data {} --name 舜玉社区 --public-host {host}",
                other.display()
            ),
        );
        assert!(!init.status.success(), "{host}");
        assert!(
            String::from_utf8_lossy(&init.stderr).contains("is not a host name"),
            "{host}: {init:?}"
        );
        assert!(!other.join("node.key").exists());
    }
}

#[test]
fn run_takes_its_settings_from_config_toml_and_stops_on_sigterm() {
    let district = yiyi_tests::Node::start_level("lixia", "district", "");
    let mut street = yiyi_tests::Node::start_init(
        &format!(
            "--level street --name quancheng --district {}",
            district.vkey
        ),
        "",
    );
    let config = std::fs::read_to_string(street.data.join("config.toml")).unwrap();
    assert!(config.contains(&district.vkey), "{config}");
    street
        .terminate(std::time::Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));

    // Peers and limits in the file, no flags: the node dials the district.
    let mut config = config;
    config.push_str(&format!(
        "peers = [\"{}\"]\nrequests_per_second = 50\n",
        district.p2p
    ));
    std::fs::write(street.data.join("config.toml"), config).unwrap();
    street.run("");
    let federation = street.get_public("/api/v1/federation");
    assert_eq!(
        federation.str_at("/district"),
        hex::encode(VerifierKey::parse(&district.vkey).unwrap().public_bytes())
    );
    let start = std::time::Instant::now();
    loop {
        let peers = street.get_public("/api/v1/peers");
        if peers.list_at("/peers").len() == 1 {
            break;
        }
        assert!(start.elapsed().as_secs() < 30, "never connected: {peers}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // SIGTERM: a clean exit, promptly.
    street
        .terminate(std::time::Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));

    // A key the file does not know is refused with the key's name.
    let mut config = std::fs::read_to_string(street.data.join("config.toml")).unwrap();
    config.push_str("no_such_setting = 1\n");
    std::fs::write(street.data.join("config.toml"), config).unwrap();
    let out = run(
        "yiyi-node",
        &format!("run --data {} --api 127.0.0.1:0", street.data.display()),
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no_such_setting"),
        "{out:?}"
    );
}

/// Whoever starts a node may stop it as soon as it has said where it is:
/// the signal handlers are in place before the first line. (They once were
/// registered a moment later, and a SIGTERM sent at once killed the node
/// uncleanly, 27 times in 30.)
#[test]
fn a_node_stopped_as_soon_as_it_says_where_it_is_stops_cleanly() {
    let mut node = yiyi_tests::Node::start("舜玉社区");
    for _ in 0..10 {
        node.terminate(std::time::Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("{e}"));
        node.run("");
    }
}

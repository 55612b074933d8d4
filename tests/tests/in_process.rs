//! Nodes started in this test's own process with `Node::spawn`, as
//! `yiyi-node run` starts them: a district, a street and a community on
//! loopback, admitted by charter, whose records replicate up; the API
//! serves, and `shutdown` stops each node and releases its data directory.

use std::time::{Duration, Instant};

use yiyi_node::config::{DataDir, Init, NodeConfig};
use yiyi_node::net::NetConfig;
use yiyi_node::node::Node;
use yiyi_protocol::VerifierKey;
use yiyi_protocol::proto::{self, Level, entry::Body};
use yiyi_protocol::rules::Deadlines;

/// Initialises a node of `level` in `dir` and starts it in this process.
async fn spawn(
    dir: &std::path::Path,
    name: &str,
    level: Level,
    district: Option<&VerifierKey>,
    peers: Vec<libp2p::Multiaddr>,
) -> (Node, NodeConfig) {
    let data = DataDir::new(dir.join(name));
    if !data.holds_a_node() {
        data.init(Init {
            level,
            name: Some(name.into()),
            origin: None,
            public_host: None,
            key_file: None,
            district: district.map(ToString::to_string),
        })
        .expect("init");
    }
    let config = NodeConfig {
        data,
        name: name.into(),
        level,
        api: Some("127.0.0.1:0".parse().unwrap()),
        net: NetConfig {
            listen: vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()],
            peers,
            ..NetConfig::default()
        },
        district: district.cloned(),
        follow: Vec::new(),
        archive: false,
        cache_bytes: None,
        http: Default::default(),
        deadlines: Deadlines::defaults(level),
        witnessing: Default::default(),
    };
    (Node::spawn(config.clone()).await.expect("spawn"), config)
}

fn admit(child: &Node, name: &str, level: Level) -> Body {
    Body::Charter(proto::Charter {
        action: proto::charter::Action::Admit as i32,
        verifier_key: child.office().store().own_key().to_string(),
        name: name.into(),
        level: level as i32,
        ..Default::default()
    })
}

async fn eventually(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{what}: timed out"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawned_nodes_form_a_federation_replicate_serve_and_shut_down() {
    let dir = tempfile::tempdir().unwrap();
    let (district, _) = spawn(dir.path(), "lixia", Level::District, None, vec![]).await;
    let pinned = district.office().store().own_key();
    let (street, _) = spawn(
        dir.path(),
        "quancheng",
        Level::Street,
        Some(&pinned),
        district.dial_addresses(),
    )
    .await;
    let (community, community_config) = spawn(
        dir.path(),
        "shunyu",
        Level::Community,
        Some(&pinned),
        street.dial_addresses(),
    )
    .await;

    // Admitted through the one write path, as the CLI and the console do.
    district
        .office()
        .record(admit(&street, "泉城路街道", Level::Street), "")
        .await
        .expect("the district admits the street");
    street
        .office()
        .record(admit(&community, "舜玉社区", Level::Community), "")
        .await
        .expect("the street admits the community");
    let participant = community
        .office()
        .record(
            Body::Participant(proto::Participant {
                id: "P-party".into(),
                kind: proto::participant::Kind::PartyOrganisation as i32,
                name: "舜玉社区党委 🏮".into(),
                withdrawn: false,
            }),
            "",
        )
        .await
        .expect("recorded");

    // The community's record reaches the street and the district.
    for (node, name) in [(&street, "street"), (&district, "district")] {
        eventually(&format!("the {name} holds the community's record"), || {
            matches!(
                node.store().entry_by_hash(&participant.entry.hash),
                Ok(Some(_))
            )
        })
        .await;
    }

    // The API serves what the office holds.
    let api = community.api().expect("an API");
    let participants = tokio::task::spawn_blocking(move || {
        ureq::get(&format!("http://{api}/api/v1/participants"))
            .call()
            .unwrap()
            .into_body()
            .read_to_string()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(participants.contains("舜玉社区党委 🏮"), "{participants}");

    // Shutting down stops the API and frees the data directory: the same
    // node starts again on it, with its record.
    community.shutdown().await.expect("a clean stop");
    let refused = tokio::net::TcpStream::connect(api).await;
    assert!(refused.is_err(), "the API still answers after shutdown");
    let again = Node::spawn(community_config).await.expect("restarts");
    assert!(matches!(
        again.store().entry_by_hash(&participant.entry.hash),
        Ok(Some(_))
    ));
    assert_eq!(
        again
            .office()
            .read(|s| s.participants.get("P-party").map(|p| p.record.name.clone()))
            .await
            .as_deref(),
        Some("舜玉社区党委 🏮")
    );
    for node in [again, street, district] {
        node.shutdown().await.expect("a clean stop");
    }
}

//! A federation of real nodes on loopback: a district, two streets and four
//! communities, admitted by charter. A notice published at one community
//! reaches all seven and verifies at each; a community that was down catches
//! up; parents cosign their children's checkpoints; forged entries, forged
//! charters and revoked keys are refused; an equivocating log is frozen
//! everywhere; a street dials its district again after losing it.

use std::process::Stdio;
use std::time::Duration;

use yiyi_protocol::checkpoint::witnessed_by;
use yiyi_protocol::proto::entry::Body;
use yiyi_protocol::{SecretKey, SignedNote, VerifierKey};
use yiyi_tests::federation::{
    Chain, admit, admit_key, chain, federation, holds, log_of, verify_notice_at, wait_for,
};
use yiyi_tests::{Json, Node, command};

#[test]
fn a_notice_reaches_every_node_verifies_and_a_stopped_community_catches_up() {
    let mut f = federation();
    let publisher = VerifierKey::parse(&f.communities[0].vkey).unwrap();
    let hash = f.communities[0].decline("T-1", "小区停车位划线");
    // It replicates to the nodes that keep the community's ledger (before
    // issue 20, to every node of the district) ...
    for node in f.keepers_of_community(0) {
        wait_for("the notice at the nodes that keep its ledger", || {
            holds(node, &hash)
        });
        verify_notice_at(node, &hash, &publisher);
    }
    // ... and no further: a sibling and the other street's nodes do not
    // hold it until someone asks them for it.
    std::thread::sleep(Duration::from_secs(1));
    for node in [&f.communities[1], &f.streets[1], &f.communities[3]] {
        assert!(!holds(node, &hash), "{} holds the notice", node.url);
    }

    // The street witnesses its community: the community's checkpoint comes
    // to carry the street's cosignature.
    let street = VerifierKey::parse(&f.streets[0].vkey)
        .unwrap()
        .to_cosigner();
    let log = log_of(&f.communities[0].vkey);
    wait_for(
        "the street's cosignature on the community's checkpoint",
        || {
            f.communities[0]
                .get_text(&format!("/api/v1/logs/{log}/checkpoint"))
                .and_then(|n| SignedNote::parse(&n).ok())
                .is_some_and(|n| {
                    witnessed_by(&n, std::slice::from_ref(&street)).is_ok_and(|w| w.len() == 1)
                })
        },
    );

    // The same witness over HTTP (C2SP tlog-witness), as any log would
    // reach it.
    witness_over_http(&f.streets[0], &f.communities[0], &f.district);

    // A community in the other street is stopped while the district, whose
    // ledger it keeps, publishes.
    f.communities[3].kill();
    let mut missed = Vec::new();
    for i in 0..5 {
        missed.push(
            f.district
                .decline(&format!("T-missed-{i}"), "小区停车位划线"),
        );
    }
    wait_for("the other street to hold what was published", || {
        missed.iter().all(|h| holds(&f.streets[1], h))
    });
    let peer = f.streets[1].p2p.clone();
    f.communities[3].run(&format!("--peer {peer}"));
    wait_for("the restarted community to catch up", || {
        missed.iter().all(|h| holds(&f.communities[3], h))
    });
    let district = VerifierKey::parse(&f.district.vkey).unwrap();
    verify_notice_at(&f.communities[3], missed.last().unwrap(), &district);
    let sync = f.communities[3].yiyi("sync status --wait --timeout 60");
    assert_eq!(sync.u64_at("/behind"), 0, "{sync}");
    // The district's and its street's: what a community keeps besides its
    // own.
    assert_eq!(sync.list_at("/logs").len(), 2, "{sync}");

    // A resident at the other street's community asks its node for the
    // first community's notice: the node locates it through its street and
    // the district, fetches that ledger with the charters that admit it,
    // and verifies it like any other.
    let bundle = f.communities[3]
        .get_text(&format!("/api/v1/notices/{hash}/bundle"))
        .expect("the notice fetched on demand");
    assert!(bundle.starts_with("yiyi.notice-bundle/v1\n"), "{bundle}");
    assert!(holds(&f.communities[3], &hash));
    verify_notice_at(&f.communities[3], &hash, &publisher);
    let checked = command(
        "yiyi",
        &format!("verify {hash} --trust {}", f.district.vkey),
    )
    .env("YIYI_NODE", &f.communities[3].url)
    .output()
    .unwrap();
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    // A hash the federation does not know is still a plain 404.
    let unknown = "0".repeat(64);
    assert!(
        f.communities[3]
            .get_text(&format!("/api/v1/notices/{unknown}/bundle"))
            .is_none()
    );

    // Every node names the district as its profile does (its ledger has no
    // charter to name it), not by its key's name.
    let name_of_district = |node: &Node| {
        node.get("/api/v1/federation")
            .list_at("/members")
            .iter()
            .find(|m| m.at("/parent").is_null())
            .map(|m| m.str_at("/name").to_owned())
            .expect("a member without a parent")
    };
    assert_eq!(name_of_district(&f.district), "历下区");
    assert_eq!(name_of_district(&f.communities[3]), "历下区");

    // What an office sees of the federation, in Chinese by default.
    let peers = f.district.yiyi("peers");
    assert_eq!(peers.list_at("/peers").len(), 2, "{peers}");
    let out = command("yiyi", "logs")
        .env("YIYI_NODE", &f.communities[3].url)
        .env("LANG", "zh_CN.UTF-8")
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "机构",
        "历下区",
        "泉城路街道",
        "大明湖街道",
        "社区4",
        "有效",
    ] {
        assert!(
            table.contains(expected),
            "{expected} missing from:\n{table}"
        );
    }
}

fn post(node: &Node, path: &str, body: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .post(format!("{}{path}", node.url))
        .send(body)
        .unwrap();
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().unwrap())
}

/// `POST /add-checkpoint` at `street` for `community`'s log: every C2SP answer.
fn witness_over_http(street: &Node, community: &Node, district: &Node) {
    let note = community.get_text("/api/v1/checkpoint").unwrap();
    let size: u64 = note.lines().nth(1).unwrap().parse().unwrap();
    assert_eq!(post(street, "/add-checkpoint", "not a request").0, 400);
    // The street cosigned over libp2p already: a request from 0 conflicts,
    // and the answer is the size it holds.
    let (status, held) = post(street, "/add-checkpoint", &format!("old 0\n\n{note}"));
    assert_eq!(status, 409, "{held}");
    let held: u64 = held.trim().parse().unwrap();
    assert!(held >= 1 && held <= size);
    let proof = community.get(&format!(
        "/api/v1/proofs/consistency?old_size={held}&size={size}"
    ));
    let lines: String = proof
        .list_at("/proof")
        .iter()
        .map(|h| {
            use base64::Engine;
            let bytes = hex::decode(h.as_str().expect("a hex hash")).unwrap();
            format!(
                "{}\n",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            )
        })
        .collect();
    let request = format!("old {held}\n{lines}\n{note}");
    let (status, cosignature) = post(street, "/add-checkpoint", &request);
    assert_eq!(status, 200, "{cosignature}");
    let cosigned = SignedNote::parse(&format!("{note}{cosignature}")).unwrap();
    let witness = VerifierKey::parse(&street.vkey).unwrap().to_cosigner();
    assert_eq!(witnessed_by(&cosigned, &[witness]).unwrap().len(), 1);
    // C2SP tlog-witness's other refusals, over HTTP: an old size past the
    // checkpoint's (400, checked before any conflict), and a consistency
    // proof that does not verify (422; here a non-empty one between equal
    // sizes).
    let (status, body) = post(
        street,
        "/add-checkpoint",
        &format!("old {}\n\n{note}", size + 1),
    );
    assert_eq!(status, 400, "{body}");
    let junk = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode([7u8; 32])
    };
    let (status, body) = post(
        street,
        "/add-checkpoint",
        &format!("old {size}\n{junk}\n\n{note}"),
    );
    assert_eq!(status, 422, "{body}");
    // A child's checkpoint with a broken signature: forbidden.
    let forged = {
        use base64::Engine;
        let engine = base64::engine::general_purpose::STANDARD;
        let (text, signature) = note.rsplit_once("\n\n").unwrap();
        let (prefix, b64) = signature.trim_end().rsplit_once(' ').unwrap();
        let mut bytes = engine.decode(b64).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        format!("{text}\n\n{prefix} {}\n", engine.encode(bytes))
    };
    let (status, body) = post(
        street,
        "/add-checkpoint",
        &format!("old {size}\n\n{forged}"),
    );
    assert_eq!(status, 403, "{body}");
    // A log that is not the street's child: unknown origin.
    let theirs = district.get_text("/api/v1/checkpoint").unwrap();
    assert_eq!(
        post(street, "/add-checkpoint", &format!("old 0\n\n{theirs}")).0,
        404
    );
}

#[test]
fn forgeries_revoked_keys_and_equivocation_are_refused() {
    let f = federation();
    let target = &f.streets[0];

    // A peer that answers sync requests with entries signed by another key.
    // A node asks a peer other than the office next on the way to a ledger
    // when that one holds less than itself: here a community just
    // admitted, not online yet, whose ledger no honest peer holds, so the
    // street asks every peer, the forger too.
    let absent = SecretKey::generate("yiyi/lixia/quancheng/absent").unwrap();
    admit_key(
        target,
        &absent.verifier().to_string(),
        "新建社区",
        "community",
    );
    let before = target.metric("yiyi_refused_total");
    let mut forger = command("forger", &target.p2p)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the forged entries to be refused", || {
        target.metric("yiyi_refused_total") > before
    });
    let _ = forger.kill();
    let _ = forger.wait();
    let log = std::fs::read_to_string(&target.log).unwrap();
    assert!(log.contains("refused a replicated entry"), "{log}");

    // An office admitted by a charter outside the district's chain: a
    // "street" nobody admitted, admitting a community of its own.
    let rogue = Node::start_init(
        &format!("--level street --name rogue --district {}", f.district.vkey),
        &format!("--peer {}", target.p2p),
    );
    let outsider = Node::start_init(
        &format!(
            "--level community --name outsider --district {}",
            f.district.vkey
        ),
        &format!("--peer {} --peer {}", rogue.p2p, target.p2p),
    );
    admit(&rogue, &outsider, "冒充的社区", "community");
    let outsider_notice = outsider.decline("T-out", "小区停车位划线");

    // A revoked community keeps publishing.
    let revoked = &f.communities[1];
    f.streets[0].yiyi(&format!(
        "charter revoke --key {} --reason 合并入社区一",
        revoked.vkey
    ));
    // At every node that keeps the street's ledger, where the charter is.
    wait_for("the revocation to reach every node that keeps it", || {
        f.keepers_of_community(1).iter().all(|n| {
            n.get("/api/v1/federation")
                .list_at("/members")
                .iter()
                .any(|m| m.str_at("/key") == revoked.vkey && m.str_at("/standing") == "revoked")
        })
    });
    let revoked_notice = revoked.decline("T-revoked", "小区停车位划线");

    // A sentinel published after both: once it is everywhere, what was
    // going to arrive has arrived.
    let sentinel = f.communities[0].decline("T-sentinel", "小区停车位划线");
    for node in f.keepers_of_community(0) {
        wait_for("the sentinel at every node that keeps it", || {
            holds(node, &sentinel)
        });
    }
    std::thread::sleep(Duration::from_secs(2));
    for node in f.all().filter(|n| n.url != revoked.url) {
        assert!(
            !holds(node, &outsider_notice),
            "{} holds the outsider's notice",
            node.url
        );
        assert!(
            !holds(node, &revoked_notice),
            "{} holds the revoked notice",
            node.url
        );
        let logs = node.get("/api/v1/logs");
        for stranger in [&rogue, &outsider] {
            assert!(
                !logs.to_string().contains(&log_of(&stranger.vkey)),
                "{} replicates a log without a charter chain",
                node.url
            );
        }
    }

    // A second node with the fourth community's key signs another history.
    let victim = &f.communities[3];
    let twin = Node::start_init(
        &format!(
            "--level community --key-file {} --district {}",
            victim.data.join("node.key").display(),
            f.district.vkey
        ),
        &format!("--peer {}", f.streets[1].p2p),
    );
    twin.decline("T-twin", "小区停车位划线");
    victim.decline("T-victim", "小区停车位划线");
    let victim_log = log_of(&victim.vkey);
    // Caught at the nodes that keep the victim's ledger (the others do not
    // know its key from a charter, so cannot check the proof).
    let keepers: Vec<&Node> = f
        .keepers_of_community(3)
        .into_iter()
        .filter(|n| n.url != victim.url)
        .collect();
    for &node in &keepers {
        wait_for(
            "the equivocation to be caught where the log is kept",
            || {
                node.get("/api/v1/equivocations")
                    .list_at("/equivocations")
                    .iter()
                    .any(|e| e.str_at("/log") == victim_log)
            },
        );
    }
    // The office that caught it recorded the proof in its own ledger,
    // through its office like any record.
    wait_for("the proof recorded in a ledger", || {
        keepers.iter().any(|n| records_equivocation(n, &victim_log))
    });
    // Frozen: nothing the victim's key signs from now on is taken.
    let after = victim.decline("T-after", "小区停车位划线");
    // A sentinel of the victim's sibling reaches the same nodes.
    let sentinel = f.communities[2].decline("T-sentinel-2", "小区停车位划线");
    for &node in &keepers {
        wait_for("the second sentinel where the log is kept", || {
            holds(node, &sentinel)
        });
        assert!(
            !holds(node, &after),
            "{} took an entry of a frozen log",
            node.url
        );
    }
    drop(twin);
}

/// Whether `node`'s own ledger records an equivocation proof against `log`.
fn records_equivocation(node: &Node, log: &str) -> bool {
    (0..node.own_size()).any(|sequence| {
        let entry = node.get(&format!("/api/v1/entries/{sequence}"));
        let bytes = hex::decode(entry.str_at("/bytes")).expect("hex bytes");
        let verified = yiyi_protocol::entry::verify(&bytes).expect("a verified entry");
        matches!(
            verified.entry.body,
            Some(Body::EquivocationProof(proof)) if hex::encode(&proof.log) == log
        )
    })
}

/// A street that lost its district while its community stayed connected
/// dials the district again. (It once redialled its configured peers only
/// when nothing at all was connected: in containers, where the
/// communities came up first, a street never reached its district.)
#[test]
fn a_street_redials_its_district_while_its_community_stays_connected() {
    let Chain {
        mut district,
        street,
        community: _community,
    } = chain();
    let district_peer = district.p2p.rsplit('/').next().unwrap().to_owned();
    let connected = |street: &Node| {
        street
            .get("/api/v1/peers")
            .list_at("/peers")
            .iter()
            .any(|p| p.str_at("/peer") == district_peer)
    };
    wait_for("the street to list its district as a peer", || {
        connected(&street)
    });
    let port = district.p2p_port();
    district.kill();
    wait_for("the street to see the district gone", || {
        !connected(&street)
    });
    district.run(&format!("--listen /ip4/127.0.0.1/tcp/{port}"));
    wait_for("the street to dial its district again", || {
        connected(&street)
    });
}

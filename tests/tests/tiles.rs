//! Every ledger a node holds, read as a C2SP tlog-tiles log over HTTP: each
//! tile and entry bundle of each log at each node rebuilds the tree its
//! checkpoint signs (by our reader and by the independent `tlog_tiles`
//! crate), each entry hashes to its leaf, and what is not a tile is refused.
//! Then, in the seconds after commits, no node serves a bundle or a
//! checkpoint that a resident's check would refuse.

use std::collections::HashMap;

use serde_json::{Value, json};
use yiyi_protocol::VerifierKey;
use yiyi_protocol::checkpoint::{SignedCheckpoint, witnessed_by};
use yiyi_protocol::light::{self, Bundle};
use yiyi_protocol::merkle;
use yiyi_protocol::tiles::{self, TileHashes, TileId, TileKind};
use yiyi_tests::federation::{Chain, chain, log_of, wait_for};
use yiyi_tests::{Json, Node};

/// `GET path` with the office's token (so the test is not held to the
/// public rate): status, headers and body.
fn fetch(node: &Node, path: &str) -> (u16, HashMap<String, String>, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .get(format!("{}{path}", node.url))
        .header("Authorization", &format!("Bearer {}", node.token()))
        .call()
        .unwrap();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(16 << 20)
        .read_to_vec()
        .unwrap();
    (status, headers, body)
}

/// The tile at `path` of `log` at `node`: 200, immutable, its bytes.
fn tile(node: &Node, log: &str, path: &str) -> Vec<u8> {
    let (status, headers, body) = fetch(node, &format!("/tlog/{log}/{path}"));
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    assert_eq!(headers["content-type"], "application/octet-stream");
    assert!(headers["cache-control"].contains("immutable"), "{path}");
    body
}

/// `tlog_tiles` reads tiles by its own paths (Go sumdb's, height 8 named):
/// the same as C2SP's once the height is dropped.
struct Independent<'a> {
    node: &'a Node,
    log: &'a str,
}

impl tlog_tiles::TileReader for Independent<'_> {
    fn height(&self) -> u8 {
        8
    }

    fn read_tiles(&self, wanted: &[tlog_tiles::Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
        Ok(wanted
            .iter()
            .map(|t| {
                let path = t.path().replacen("tile/8/", "tile/", 1);
                tile(self.node, self.log, &path)
            })
            .collect())
    }

    fn save_tiles(&self, _: &[tlog_tiles::Tile], _: &[Vec<u8>]) {}
}

/// Reads every tile and bundle of `log` at `node` as of its tlog
/// checkpoint, and checks them; returns the checkpoint's size.
fn check_log(node: &Node, log: &str) -> u64 {
    let (status, headers, body) = fetch(node, &format!("/tlog/{log}/checkpoint"));
    let text = String::from_utf8(body).unwrap();
    assert_eq!(status, 200, "{text}");
    assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(headers["cache-control"], "public, max-age=2");
    let checkpoint = SignedCheckpoint::parse(&text).unwrap();
    let size = checkpoint.size();

    // Our reader: each tile a client of this size asks for, by our paths.
    let mut hashes = TileHashes::new(size);
    for id in tiles::tiles_for(size) {
        let TileKind::Hashes(level) = id.kind else {
            unreachable!()
        };
        let decoded = tiles::decode_hashes(&tile(node, log, &id.path()), id.width).unwrap();
        hashes.insert(level, id.index, decoded);
        // The independent crate spells the same tile the same way.
        let theirs = tlog_tiles::Tile::new(8, level, id.index, u32::from(id.width), false);
        assert_eq!(theirs.path().replacen("tile/8/", "tile/", 1), id.path());
        assert_eq!(TileId::parse(&id.path()), Ok(id));
    }
    assert_eq!(
        hashes.root(size).unwrap(),
        checkpoint.root(),
        "{log} at {}",
        node.url
    );

    // Each bundle's entries: their leaf hashes are the level-0 tile's, by
    // our hashing and by the crate's.
    for id in tiles::bundles_for(size) {
        let theirs = tlog_tiles::Tile::new(8, 0, id.index, u32::from(id.width), true);
        assert_eq!(
            theirs.path().replacen("tile/8/data/", "tile/entries/", 1),
            id.path()
        );
        let bytes = tile(node, log, &id.path());
        let entries = tiles::decode_bundle(&bytes, id.width).unwrap();
        // The bundle read the spec's way, by hand: a big-endian uint16
        // length, the entry, and so on to the end.
        let mut by_hand = Vec::new();
        let mut rest = &bytes[..];
        while let [hi, lo, tail @ ..] = rest {
            let len = usize::from(u16::from_be_bytes([*hi, *lo]));
            by_hand.push(&tail[..len]);
            rest = &tail[len..];
        }
        assert_eq!(by_hand, entries);
        for (i, entry) in entries.iter().enumerate() {
            let sequence = id.index * 256 + i as u64;
            let leaf = hashes.leaf(sequence).unwrap();
            assert_eq!(merkle::leaf_hash(entry), leaf);
            assert_eq!(tlog_tiles::record_hash(entry).0, leaf.0);
            yiyi_protocol::entry::verify(entry).unwrap();
        }
    }

    // The independent crate rebuilds the root from the tiles it fetches,
    // checking each against the checkpoint, and proves the last entry.
    let reader = Independent { node, log };
    let root = tlog_tiles::Hash(checkpoint.root().0);
    let verified = tlog_tiles::TileHashReader::new(size, root, &reader);
    assert_eq!(tlog_tiles::tree_hash(size, &verified).unwrap(), root);
    let proof = tlog_tiles::prove_record(size, size - 1, &verified).unwrap();
    let last = hashes.leaf(size - 1).unwrap();
    tlog_tiles::check_record(&proof, size, root, size - 1, tlog_tiles::Hash(last.0)).unwrap();
    size
}

#[test]
fn every_ledger_held_is_served_as_tiles_that_rebuild_its_checkpoint() {
    let Chain {
        district,
        street,
        community,
    } = chain();
    // Past one full tile, so that level 1 has a hash: 2 entries a topic.
    for i in 0..140 {
        community.act(json!({"action": "topic", "id": format!("T-{i}"),
            "title": format!("第{i}号：楼道照明 💡"), "category": "daily-life",
            "scale": "minor", "source": "resident"}));
        community.act(json!({"action": "decline", "topic": format!("T-{i}"),
            "citation": "《物业管理条例》", "explanation": "由物业公司负责"}));
    }
    let size = community.own_size();
    assert!(size > 256, "{size}");
    let logs = [&district, &street, &community].map(|n| log_of(&n.vkey));
    wait_for(
        "the community's ledger cosigned and held everywhere",
        || {
            [&district, &street, &community].iter().all(|node| {
                let (status, _, body) = fetch(node, &format!("/tlog/{}/checkpoint", logs[2]));
                status == 200
                    && SignedCheckpoint::parse(&String::from_utf8(body).unwrap())
                        .is_ok_and(|c| c.size() == size)
            })
        },
    );

    // Every log every node holds, own and replicas.
    let mut checked = 0;
    for node in [&district, &street, &community] {
        let held = node.get("/api/v1/logs");
        for log in held.list_at("/logs") {
            let log = log.str_at("/log");
            let checked_size = check_log(node, log);
            if log == logs[2] {
                assert_eq!(checked_size, size);
            }
            checked += 1;
        }
    }
    assert!(checked >= 6, "{checked} logs checked");

    // Refusals: a path spelled another way (400), a log key spelled another
    // way (400), a log not held (404), a tile past what is held (404).
    let log = &logs[2];
    let partial = size % 256;
    for (path, status) in [
        (format!("/tlog/{log}/tile/0/0"), 400),
        (format!("/tlog/{log}/tile/00/000"), 400),
        (format!("/tlog/{log}/tile/0/x000/000"), 400),
        (format!("/tlog/{log}/tile/0/001.p/256"), 400),
        (format!("/tlog/{log}/tile/0/001.p/0"), 400),
        (format!("/tlog/{log}/tile/0/001.p/07"), 400),
        (format!("/tlog/{log}/tile/64/000"), 400),
        (format!("/tlog/{log}/tile/data/000"), 400),
        (format!("/tlog/{log}/tile/entries/1"), 400),
        (format!("/tlog/{}/checkpoint", log.to_uppercase()), 400),
        (format!("/tlog/{}/checkpoint", &log[2..]), 400),
        (format!("/tlog/{}/checkpoint", "ab".repeat(32)), 404),
        (format!("/tlog/{log}/tile/0/001"), 404),
        (format!("/tlog/{log}/tile/0/001.p/{}", partial + 1), 404),
        (format!("/tlog/{log}/tile/0/002.p/1"), 404),
        (format!("/tlog/{log}/tile/1/000"), 404),
        (format!("/tlog/{log}/tile/2/000.p/1"), 404),
        (format!("/tlog/{log}/tile/entries/001"), 404),
        (format!("/tlog/{log}/tile/entries/002.p/1"), 404),
    ] {
        let (got, headers, body) = fetch(&community, &path);
        assert_eq!(got, status, "{path}: {}", String::from_utf8_lossy(&body));
        assert_eq!(headers["cache-control"], "no-store", "{path}");
    }
    // A partial tile narrower than the tree holds is the full one's start.
    let full = tile(&community, log, "tile/0/000");
    assert_eq!(tile(&community, log, "tile/0/000.p/3"), full[..96]);
    let first = tile(&community, log, "tile/entries/000.p/1");
    assert_eq!(
        tiles::decode_bundle(&first, 1).unwrap()[0],
        hex::decode(community.get("/api/v1/entries/0").str_at("/bytes")).unwrap()
    );
}

/// Whether the bundle `text` passes a resident's check trusting `district`.
fn passes(text: &str, district: &VerifierKey) -> Result<(), String> {
    let bundle = Bundle::parse(text).map_err(|e| e.to_string())?;
    light::verify(&bundle, district, None)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn in_the_seconds_after_a_commit_no_node_serves_what_a_resident_s_check_refuses() {
    let Chain {
        district,
        street,
        community,
    } = chain();
    let trust = VerifierKey::parse(&district.vkey).unwrap();
    let parent = VerifierKey::parse(&street.vkey).unwrap().to_cosigner();
    let log = log_of(&community.vkey);
    let nodes = [&community, &street, &district];
    let (mut served, mut waited) = (0, 0);
    for round in 0..4 {
        let hash = community.decline(&format!("T-{round}"), "小区停车位划线 🚗");
        // From the moment of the commit until every node serves a bundle
        // that passes: each answer either passes or says to wait.
        let mut passed = [false; 3];
        wait_for("each node to serve a bundle that passes", || {
            for (i, node) in nodes.iter().enumerate() {
                let (status, _, body) =
                    fetch(node, &format!("/api/v1/notices/bundles?hashes={hash}"));
                assert_eq!(status, 200);
                let answer: Value = serde_json::from_slice(&body).unwrap();
                if let Some(text) = answer.pointer(&format!("/bundles/{hash}")) {
                    passes(text.as_str().unwrap(), &trust)
                        .unwrap_or_else(|e| panic!("{} served a failing bundle: {e}", node.url));
                    passed[i] = true;
                    served += 1;
                } else if answer.pointer(&format!("/pending/{hash}")).is_some() {
                    waited += 1;
                } else {
                    // Not replicated there yet.
                    assert!(
                        answer.pointer(&format!("/errors/{hash}")).is_some(),
                        "{answer}"
                    );
                }
                // The tlog checkpoint of the community's ledger carries the
                // street's cosignature whenever one is served.
                let (status, _, body) = fetch(node, &format!("/tlog/{log}/checkpoint"));
                if status == 200 {
                    let checkpoint =
                        SignedCheckpoint::parse(&String::from_utf8(body).unwrap()).unwrap();
                    assert_eq!(
                        witnessed_by(checkpoint.note(), std::slice::from_ref(&parent))
                            .map(|w| w.len()),
                        Ok(1),
                        "{} served an uncosigned tlog checkpoint",
                        node.url
                    );
                }
            }
            passed.iter().all(|p| *p)
        });
        // The single bundle endpoint waits for the cosignature, or says
        // when to ask again.
        let (status, headers, body) = fetch(&street, &format!("/api/v1/notices/{hash}/bundle"));
        match status {
            200 => passes(&String::from_utf8(body).unwrap(), &trust).unwrap(),
            409 => assert_eq!(headers["retry-after"], "1"),
            other => panic!("{other}: {}", String::from_utf8_lossy(&body)),
        }
    }
    assert!(served >= 12);
    println!("bundles served {served}, answers to wait {waited}");
}

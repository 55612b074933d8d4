//! A federation of real nodes on loopback, as the integration tests start
//! it: a district, two streets and four communities, admitted by charter.

use std::time::{Duration, Instant};

use yiyi_protocol::checkpoint::Checkpoint;
use yiyi_protocol::merkle::{self, Hash};
use yiyi_protocol::{VerifierKey, entry};

use crate::{Json, Node};

/// The hex log key of a verifier key.
pub fn log_of(vkey: &str) -> String {
    hex::encode(VerifierKey::parse(vkey).unwrap().public_bytes())
}

/// Waits up to 60 s for `done`, naming `what` if it never comes.
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}");
}

/// The seven nodes.
pub struct Federation {
    /// 历下区.
    pub district: Node,
    /// 泉城路街道, 大明湖街道.
    pub streets: Vec<Node>,
    /// 社区一, 社区二 (under the first street), 社区三, 社区四.
    pub communities: Vec<Node>,
}

impl Federation {
    /// Every node, district first.
    pub fn all(&self) -> impl Iterator<Item = &Node> {
        std::iter::once(&self.district)
            .chain(&self.streets)
            .chain(&self.communities)
    }

    /// The nodes that keep community `i`'s ledger: the district, its street
    /// and itself. (A node keeps its own ledger, its ancestors' and its
    /// subtree's; the others fetch it when a resident asks.)
    pub fn keepers_of_community(&self, i: usize) -> [&Node; 3] {
        [&self.district, &self.streets[i / 2], &self.communities[i]]
    }
}

/// Admits `child` by a charter in `parent`'s ledger.
pub fn admit(parent: &Node, child: &Node, name: &str, level: &str) {
    admit_key(parent, &child.vkey, name, level);
}

/// Admits the office with verifier key `vkey` by a charter in `parent`'s
/// ledger.
pub fn admit_key(parent: &Node, vkey: &str, name: &str, level: &str) {
    // Apart: `name` is the caller's, and may hold a space or a quote.
    parent.yiyi_args(&[
        "charter", "admit", "--key", vkey, "--name", name, "--level", level,
    ]);
}

/// How many offices `node` knows as active members of its federation.
pub fn active_members(node: &Node) -> usize {
    node.get("/api/v1/federation")
        .list_at("/members")
        .iter()
        .filter(|m| m.str_at("/standing") == "active")
        .count()
}

/// A node of `level` called `name`, its ledger `yiyi/{origin}`, pinned to
/// `district`'s key, dialling `peer` (its parent) only.
pub fn pinned(district: &Node, origin: &str, name: &str, level: &str, peer: &Node) -> Node {
    Node::start_init(
        &format!(
            "--level {level} --name '{name}' --origin yiyi/{origin} --district {}",
            district.vkey
        ),
        &format!("--peer {}", peer.p2p),
    )
}

/// 历下区, ledger `yiyi/lixia`, at the top of its tree.
fn district() -> Node {
    Node::start_init("--level district --name 历下区 --origin yiyi/lixia", "")
}

/// One line of the federation: 历下区 → 泉城路街道 → 舜玉社区.
pub struct Chain {
    /// 历下区.
    pub district: Node,
    /// 泉城路街道.
    pub street: Node,
    /// 舜玉社区.
    pub community: Node,
}

/// A district, one street and one community, admitted by charter, once
/// each knows all three.
pub fn chain() -> Chain {
    let district = district();
    let street = pinned(&district, "quancheng", "泉城路街道", "street", &district);
    admit(&district, &street, "泉城路街道", "street");
    let community = pinned(&district, "shunyu", "舜玉社区", "community", &street);
    admit(&street, &community, "舜玉社区", "community");
    let start = Instant::now();
    for node in [&district, &street, &community] {
        while active_members(node) != 3 {
            if start.elapsed() > Duration::from_secs(60) {
                // Which node, what it knows, what it holds, what it said.
                let said = std::fs::read_to_string(&node.log).unwrap_or_default();
                let tail: Vec<&str> = said.lines().rev().take(40).collect();
                panic!(
                    "timed out waiting for every node to know all three offices: {} knows\n{}\nholds\n{}\nits log ends\n{}",
                    node.url,
                    node.get("/api/v1/federation"),
                    node.get("/api/v1/sync"),
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    Chain {
        district,
        street,
        community,
    }
}

/// 历下区 with 泉城路街道 (社区一, 社区二) and 大明湖街道 (社区三, 社区四).
/// Each child dials its parent only; everything else travels through them.
pub fn federation() -> Federation {
    let district = district();
    let pinned = |origin: &str, name: &str, level: &str, peer: &Node| {
        pinned(&district, origin, name, level, peer)
    };
    let streets: Vec<Node> = [("quancheng", "泉城路街道"), ("daminghu", "大明湖街道")]
        .iter()
        .map(|(origin, name)| pinned(origin, name, "street", &district))
        .collect();
    admit(&district, &streets[0], "泉城路街道", "street");
    admit(&district, &streets[1], "大明湖街道", "street");
    let communities: Vec<Node> = [("shunyu", 0), ("quanhe", 0), ("daming", 1), ("beiyuan", 1)]
        .iter()
        .enumerate()
        .map(|(i, (origin, street))| {
            pinned(
                origin,
                &format!("社区{}", i + 1),
                "community",
                &streets[*street],
            )
        })
        .collect();
    for (i, community) in communities.iter().enumerate() {
        admit(
            &streets[i / 2],
            community,
            &format!("社区{}", i + 1),
            "community",
        );
    }
    let federation = Federation {
        district,
        streets,
        communities,
    };
    // Each node learns its part of the tree through the charters it
    // replicates: the district all seven offices; a street or a community
    // the district, both streets and its own street's two communities (the
    // other street's ledger, which admits the other two, it does not keep).
    for (i, node) in federation.all().enumerate() {
        let known = if i == 0 { 7 } else { 5 };
        wait_for("every node to know the offices of its part", || {
            active_members(node) == known
        });
    }
    federation
}

/// Whether `node` holds the entry with this hash.
pub fn holds(node: &Node, hash: &str) -> bool {
    node.get_text(&format!("/api/v1/entries/by-hash/{hash}"))
        .is_some()
}

/// The office at `office` declines `count` topics (`T-{prefix}0`, …) titled
/// `title`, and waits until every one of `replicas` holds each notice: an
/// office's ordinary work, as the abuse tests run it under attack.
pub fn decline_and_replicate(
    office: &Node,
    prefix: &str,
    title: &str,
    count: usize,
    replicas: &[&Node],
) {
    let notices: Vec<String> = (0..count)
        .map(|n| office.decline(&format!("T-{prefix}{n}"), title))
        .collect();
    for notice in &notices {
        wait_for("the office's notice to replicate", || {
            replicas.iter().all(|node| holds(node, notice))
        });
    }
}

/// Checks at `node`, with nothing but the publisher's key: the entry's
/// signature, and its inclusion in a checkpoint signed by that key.
pub fn verify_notice_at(node: &Node, hash: &str, publisher: &VerifierKey) {
    let held = node.get(&format!("/api/v1/entries/by-hash/{hash}"));
    let bytes = hex::decode(held.str_at("/bytes")).unwrap();
    let verified = entry::verify(&bytes).expect("the notice's signature verifies");
    assert_eq!(verified.author(), publisher.public_bytes());
    assert_eq!(verified.hash.to_hex(), hash);
    let log = hex::encode(publisher.log_key());
    let mut checked = false;
    wait_for("a checkpoint that covers the notice", || {
        let Some(note) = node.get_text(&format!("/api/v1/logs/{log}/checkpoint")) else {
            return false;
        };
        let (checkpoint, _) = Checkpoint::open(&note, publisher).expect("signed by the publisher");
        let index = verified.sequence();
        if checkpoint.size <= index {
            return false;
        }
        let proof = node.get(&format!(
            "/api/v1/proofs/inclusion?log={log}&index={index}&size={}",
            checkpoint.size
        ));
        let proof: Vec<Hash> = proof
            .list_at("/proof")
            .iter()
            .map(|h| Hash::from_hex(h.as_str().expect("a hex hash")).unwrap())
            .collect();
        merkle::verify_inclusion(
            index,
            checkpoint.size,
            &verified.hash,
            &proof,
            &checkpoint.root,
        )
        .expect("the notice is in the checkpoint");
        checked = true;
        true
    });
    assert!(checked);
}

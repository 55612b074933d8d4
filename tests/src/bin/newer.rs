//! An honest office of a later release, for the compatibility tests: its
//! ledger holds what this build cannot read — a record kind it does not
//! know, and a notice carrying a field it does not know — between notices it
//! can. It signs everything with its own key, has its checkpoint cosigned by
//! its street (the C2SP `add-checkpoint` endpoint), serves its ledger over
//! `/yiyi/sync/1` like any node, and says in identify that it runs 0.5.0.
//!
//! It speaks no gossip, as a later release that announced on another topic
//! would not be heard: older nodes learn how far its ledger reaches by
//! asking (`/yiyi/sync/1`), as they do of any log.
//!
//! Usage: `newer <street API address> <node multiaddr>...`. Prints
//! `key <verifier key>` at once (the street admits it by that key) and
//! serves its ledger; on the line `cosign` on its standard input, has its
//! checkpoint cosigned by the street and prints `cosigned`; runs until
//! killed.

use futures::StreamExt;
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{Multiaddr, identify, ping, request_response};
use prost::Message;
use prost::encoding::{WireType, encode_key, encode_varint};
use yiyi_node::net::{MAX_ENTRIES_PER_RESPONSE, SyncCodec};
use yiyi_protocol::checkpoint::Checkpoint;
use yiyi_protocol::merkle::MemoryTree;
use yiyi_protocol::proto::{self, SyncResponse, entry::Body};
use yiyi_protocol::witness::{AddCheckpoint, merge_cosignatures};
use yiyi_protocol::{ChainHead, SecretKey, VerifiedEntry, entry};
use yiyi_tests::hostile;

/// The release this office says it runs, and names as the reader of what
/// this build cannot read.
const RELEASE: &str = "0.5.0";

#[derive(NetworkBehaviour)]
struct Behaviour {
    ping: ping::Behaviour,
    identify: identify::Behaviour,
    sync: request_response::Behaviour<SyncCodec>,
}

/// Field `number` holding `value`, length-delimited.
fn field(number: u32, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_key(number, WireType::LengthDelimited, &mut out);
    encode_varint(value.len() as u64, &mut out);
    out.extend_from_slice(value);
    out
}

fn notice(title: &str, body: &str) -> proto::Notice {
    proto::Notice {
        kind: proto::notice::Kind::Other as i32,
        title: title.into(),
        body: body.into(),
        lang: "zh-CN".into(),
        ..Default::default()
    }
}

/// One entry of the ledger, as this build would write it or as only a later
/// release would.
enum Written {
    Known(proto::Notice),
    /// The body as raw fields, after a header naming the release that
    /// reads it.
    Later(Vec<u8>),
}

/// The ledger: four entries, the middle two of a later release.
fn ledger(key: &SecretKey) -> Vec<VerifiedEntry> {
    let time = 1_764_000_000_000;
    // A record kind this build does not know (field 100 of the body oneof,
    // well past the kinds in use): a residents' round, say, with its own
    // text field.
    let round = field(100, &field(1, "居民议事轮次 🗳️".as_bytes()));
    // A notice with a field this build does not know (40), and a new field
    // on the entry itself (7).
    let mut more = notice("带新字段的公示", "正文").encode_to_vec();
    more.extend_from_slice(&field(40, "新字段".as_bytes()));
    let mut extended = field(26, &more);
    extended.extend_from_slice(&field(7, b"x"));
    let written = [
        Written::Known(notice("新版社区成立公示", "本社区已升级至较新版本。")),
        Written::Later(round),
        Written::Later(extended),
        Written::Known(notice("升级后的第二条公示", "旧版本节点也能读到这一条。")),
    ];
    let mut head = ChainHead::default();
    let mut entries = Vec::new();
    for w in written {
        let bytes = match w {
            Written::Known(n) => head
                .next_entry(&key.log_key(), time, Body::Notice(n))
                .encode_to_vec(),
            Written::Later(body) => {
                let mut e = head.next_entry(&key.log_key(), time, Body::Notice(notice("", "")));
                e.body = None;
                e.reader_version = RELEASE.into();
                let mut bytes = e.encode_to_vec();
                bytes.extend_from_slice(&body);
                bytes
            }
        };
        let signed = entry::sign_encoded(bytes, key).expect("signs");
        head = head.advance(&signed);
        entries.push(signed);
    }
    entries
}

/// The ledger's signed checkpoint.
fn checkpoint(key: &SecretKey, entries: &[VerifiedEntry]) -> String {
    let mut tree = MemoryTree::new();
    for e in entries {
        tree.push_hash(e.hash);
    }
    Checkpoint::new(key.name(), entries.len() as u64, tree.root())
        .sign(key)
        .expect("signs")
        .to_string()
}

/// Asks the street to cosign until it does (it refuses until it has
/// admitted this office); returns the cosigned checkpoint.
fn cosign(street: &str, signed: &str) -> String {
    let body = AddCheckpoint {
        old_size: 0,
        proof: Vec::new(),
        checkpoint: signed.to_owned(),
    }
    .to_bytes();
    loop {
        if let Ok(mut response) =
            ureq::post(format!("http://{street}/add-checkpoint")).send(&body[..])
            && let Ok(lines) = response.body_mut().read_to_string()
        {
            return merge_cosignatures(signed, &lines).expect("cosignature lines");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let street = args
        .next()
        .expect("usage: newer <street api> <multiaddr>...");
    let targets: Vec<Multiaddr> = args.map(|a| a.parse().expect("a multiaddr")).collect();
    let key = SecretKey::generate("yiyi/lixia/quancheng/xinban").expect("a key");
    let entries = ledger(&key);
    let mut served = checkpoint(&key, &entries);
    println!("key {}", key.verifier());
    let mut swarm = hostile::swarm(|k| Behaviour {
        ping: ping::Behaviour::default(),
        identify: identify::Behaviour::new(
            identify::Config::new("/yiyi/1.0.0".into(), k.public())
                .with_agent_version(format!("yiyi/{RELEASE}")),
        ),
        sync: hostile::sync(),
    });
    for target in targets {
        swarm.dial(target).expect("dial");
    }
    let (done, mut cosigning) = tokio::sync::oneshot::channel();
    let unsigned = served.clone();
    tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        while line.trim() != "cosign" {
            line.clear();
            if std::io::stdin().read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
        }
        let _ = done.send(cosign(&street, &unsigned));
    });
    let mut cosigned = false;
    loop {
        tokio::select! {
            Ok(note) = &mut cosigning, if !cosigned => {
                served = note;
                cosigned = true;
                println!("cosigned");
            }
            event = swarm.select_next_some() => {
                let SwarmEvent::Behaviour(BehaviourEvent::Sync(request_response::Event::Message {
                    message: request_response::Message::Request { request, channel, .. },
                    ..
                })) = event
                else {
                    continue;
                };
                let response = if request.log == key.log_key().as_slice() {
                    let from = (request.from as usize).min(entries.len());
                    let limit = request.limit.clamp(1, MAX_ENTRIES_PER_RESPONSE) as usize;
                    SyncResponse {
                        entries: entries[from..].iter().take(limit).map(|e| e.bytes.clone()).collect(),
                        checkpoint: served.clone(),
                        size: entries.len() as u64,
                        ..Default::default()
                    }
                } else {
                    SyncResponse::default()
                };
                let _ = swarm.behaviour_mut().sync.send_response(channel, response);
            }
        }
    }
}

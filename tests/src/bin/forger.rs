//! A hostile peer for the federation tests: it connects to a node and answers
//! every `/yiyi/sync/1` request for a log with an entry that claims to be
//! that log's next one but is signed by another key. A node must refuse it,
//! log it, and store nothing.
//!
//! Usage: `forger <node multiaddr>`; runs until killed.

use futures::StreamExt;
use libp2p::request_response;
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{Multiaddr, ping};
use yiyi_node::net::SyncCodec;
use yiyi_protocol::proto::{self, SyncResponse, entry::Body};
use yiyi_protocol::{SecretKey, entry};
use yiyi_tests::hostile;

#[derive(NetworkBehaviour)]
struct Behaviour {
    ping: ping::Behaviour,
    sync: request_response::Behaviour<SyncCodec>,
}

/// An entry of `log` at `sequence`, signed by `forger` instead of the log's key.
fn forged_entry(log: &[u8], sequence: u64, previous: Vec<u8>, forger: &SecretKey) -> Vec<u8> {
    let e = proto::Entry {
        version: proto::SchemaVersion::V1 as i32,
        sequence,
        previous_hash: previous,
        time_ms: 1,
        author: forger.public_bytes().to_vec(),
        reader_version: String::new(),
        body: Some(Body::Notice(proto::Notice {
            title: "伪造的公示".into(),
            ..Default::default()
        })),
    };
    let signed = entry::sign(&e, forger).expect("signs");
    // Claim the victim's authorship in the signed bytes: the signature no
    // longer matches the author.
    let mut envelope: proto::SignedEntry = prost::Message::decode(signed.bytes.as_slice()).unwrap();
    let mut inner: proto::Entry = prost::Message::decode(envelope.entry.as_slice()).unwrap();
    inner.author = log.to_vec();
    envelope.entry = prost::Message::encode_to_vec(&inner);
    prost::Message::encode_to_vec(&envelope)
}

#[tokio::main]
async fn main() {
    let target: Multiaddr = std::env::args()
        .nth(1)
        .expect("usage: forger <multiaddr>")
        .parse()
        .expect("a multiaddr");
    let forger = SecretKey::generate("yiyi/forger").unwrap();
    let mut swarm = hostile::swarm(|_| Behaviour {
        ping: ping::Behaviour::default(),
        sync: hostile::sync(),
    });
    swarm.dial(target).expect("dial");
    println!("forger ready");
    loop {
        if let SwarmEvent::Behaviour(BehaviourEvent::Sync(request_response::Event::Message {
            message:
                request_response::Message::Request {
                    request, channel, ..
                },
            ..
        })) = swarm.select_next_some().await
        {
            let entry = forged_entry(&request.log, request.from, vec![0; 32], &forger);
            let _ = swarm.behaviour_mut().sync.send_response(
                channel,
                SyncResponse {
                    entries: vec![entry],
                    checkpoint: String::new(),
                    size: request.from + 1,
                    ..Default::default()
                },
            );
        }
    }
}

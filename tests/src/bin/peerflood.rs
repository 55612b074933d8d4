//! `peerflood MULTIADDR VKEY SECONDS [GOSSIP]`: floods a node over libp2p from a
//! process of its own, as a hostile peer would, for SECONDS: sync requests
//! for the log of VKEY (64 in flight, as fast as they are answered), and
//! gossip announcements of that log with checkpoints signed by another key
//! under its name, GOSSIP (default 8) each millisecond. Prints, as JSON, how
//! many sync requests were answered with entries, answered empty (the
//! node's per-peer limit), or failed, and how many announcements were
//! published.

use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::Multiaddr;
use libp2p::gossipsub::{self, IdentTopic, MessageAuthenticity, ValidationMode};
use libp2p::request_response;
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use prost::Message;
use yiyi_node::net::{ANNOUNCE_TOPIC, SyncCodec};
use yiyi_protocol::proto::{Announcement, SyncRequest};
use yiyi_protocol::{Checkpoint, SecretKey, VerifierKey};
use yiyi_tests::hostile;

#[derive(NetworkBehaviour)]
struct Behaviour {
    gossipsub: gossipsub::Behaviour,
    sync: request_response::Behaviour<SyncCodec>,
}

/// Sync requests kept in flight.
const IN_FLIGHT: usize = 64;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (target, vkey, seconds, gossip) = match args.as_slice() {
        [_, target, vkey, seconds] => (target, vkey, seconds, 8),
        [_, target, vkey, seconds, gossip] => {
            (target, vkey, seconds, gossip.parse().expect("GOSSIP"))
        }
        _ => {
            eprintln!("usage: peerflood MULTIADDR VKEY SECONDS [GOSSIP]");
            std::process::exit(2);
        }
    };
    let target: Multiaddr = target.parse().expect("a multiaddr");
    let victim = VerifierKey::parse(vkey).expect("a verifier key");
    let until = Instant::now() + Duration::from_secs(seconds.parse().expect("SECONDS"));
    let mut swarm = hostile::swarm(|key| {
        let config = gossipsub::ConfigBuilder::default()
            .heartbeat_interval(Duration::from_millis(500))
            .validation_mode(ValidationMode::Strict)
            .build()
            .unwrap();
        Behaviour {
            gossipsub: gossipsub::Behaviour::new(MessageAuthenticity::Signed(key.clone()), config)
                .unwrap(),
            sync: hostile::sync(),
        }
    });
    let topic = IdentTopic::new(ANNOUNCE_TOPIC);
    swarm.behaviour_mut().gossipsub.subscribe(&topic).unwrap();
    swarm.dial(target).expect("dial");

    // Checkpoints of the victim's log, under its name, signed by another key.
    let forger = SecretKey::generate(victim.name()).unwrap();
    let log = victim.public_bytes().to_vec();
    let mut node = None;
    let (mut answered, mut empty, mut failed, mut in_flight) = (0u64, 0u64, 0u64, 0usize);
    let (mut published, mut not_published, mut n) = (0u64, 0u64, 0u64);
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    while Instant::now() < until {
        tokio::select! {
            event = swarm.select_next_some() => match event {
                SwarmEvent::ConnectionEstablished { peer_id, .. } => node = Some(peer_id),
                SwarmEvent::Behaviour(BehaviourEvent::Sync(request_response::Event::Message {
                    message: request_response::Message::Response { response, .. },
                    ..
                })) => {
                    in_flight -= 1;
                    if response.entries.is_empty() { empty += 1 } else { answered += 1 }
                }
                SwarmEvent::Behaviour(BehaviourEvent::Sync(
                    request_response::Event::OutboundFailure { .. },
                )) => {
                    in_flight -= 1;
                    failed += 1;
                }
                _ => {}
            },
            _ = tick.tick() => {
                let Some(node) = node else { continue };
                while in_flight < IN_FLIGHT {
                    let request = SyncRequest { log: log.clone(), from: 0, limit: 256, ..Default::default() };
                    swarm.behaviour_mut().sync.send_request(&node, request);
                    in_flight += 1;
                }
                // A burst of forged announcements each millisecond.
                for _ in 0..gossip {
                    n += 1;
                    let checkpoint = Checkpoint::new(victim.name(), 1_000_000 + n, yiyi_protocol::merkle::leaf_hash(&n.to_be_bytes()));
                    let announcement = Announcement {
                        log: log.clone(),
                        size: 1_000_000 + n,
                        checkpoint: checkpoint.sign(&forger).unwrap().to_string(),
                        time_ms: n as i64,
                    };
                    match swarm.behaviour_mut().gossipsub.publish(topic.clone(), announcement.encode_to_vec()) {
                        Ok(_) => published += 1,
                        Err(_) => not_published += 1,
                    }
                }
            }
        }
    }
    println!(
        "{}",
        serde_json::json!({
            "sync_answered": answered,
            "sync_empty": empty,
            "sync_failed": failed,
            "gossip_published": published,
            "gossip_not_published": not_published,
        })
    );
}

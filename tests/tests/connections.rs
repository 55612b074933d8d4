//! A peer cannot hold more than a few connections to a node: one identity
//! dialling a real node eight times over real sockets ends up with at most
//! four, and the node keeps serving.

use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::swarm::SwarmEvent;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::{Multiaddr, PeerId, ping};
use yiyi_tests::{Json, Node, hostile};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_peer_gets_at_most_four_connections() {
    let node = Node::start("shunyu");
    let (address, peer) = node.p2p.rsplit_once("/p2p/").unwrap();
    let address: Multiaddr = address.parse().unwrap();
    let peer: PeerId = peer.parse().unwrap();

    let mut swarm = hostile::swarm(|_| ping::Behaviour::default());
    for _ in 0..8 {
        swarm
            .dial(
                DialOpts::peer_id(peer)
                    .addresses(vec![address.clone()])
                    .condition(PeerCondition::Always)
                    .build(),
            )
            .unwrap();
    }
    let (mut open, mut most) = (0i32, 0i32);
    let until = Instant::now() + Duration::from_secs(4);
    while let Ok(Some(event)) = tokio::time::timeout_at(until.into(), swarm.next()).await {
        match event {
            SwarmEvent::ConnectionEstablished { .. } => {
                open += 1;
                most = most.max(open);
            }
            SwarmEvent::ConnectionClosed { .. } => open -= 1,
            _ => {}
        }
    }
    assert!(open >= 1, "no connection stayed open");
    assert!(open <= 4, "{open} connections from one peer stayed open");
    // The node kept serving throughout, and counts the same from its side:
    // one address per connection it kept of this peer.
    let me = swarm.local_peer_id().to_string();
    let peers = node.get("/api/v1/peers");
    let kept = peers
        .list_at("/peers")
        .iter()
        .find(|p| p.str_at("/peer") == me)
        .map_or(0, |p| p.list_at("/addresses").len());
    assert!(
        (1..=4).contains(&kept),
        "the node keeps {kept} connections of one peer: {peers}"
    );
    println!("connections: at most {most} at once, {open} at the end, {kept} on the node's side");
}

//! The test peers' libp2p side, in one place: a stranger with a new
//! identity over TCP, noise and yamux, as any peer on the network could
//! make, carrying whatever behaviour the test needs (`forger`,
//! `peerflood`, the connection-limit test, the honest `newer` office).

use std::time::Duration;

use libp2p::identity::Keypair;
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::NetworkBehaviour;
use libp2p::{StreamProtocol, Swarm, noise, tcp, yamux};
use yiyi_node::net::{SYNC_PROTOCOL, SyncCodec};

/// A swarm with a new identity and `behaviour`, over TCP (no Nagle delay)
/// with noise and yamux; idle connections are kept five minutes, so an
/// attack is not cut short by its own side.
pub fn swarm<B: NetworkBehaviour>(behaviour: impl FnOnce(&Keypair) -> B) -> Swarm<B> {
    libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .expect("TCP with noise and yamux")
        .with_behaviour(behaviour)
        .expect("the behaviour")
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(300)))
        .build()
}

/// The `/yiyi/sync/1` protocol, asking and answering, with the node's own
/// codec (so its size caps hold for the attacker too).
pub fn sync() -> request_response::Behaviour<SyncCodec> {
    request_response::Behaviour::with_codec(
        SyncCodec::default(),
        [(StreamProtocol::new(SYNC_PROTOCOL), ProtocolSupport::Full)],
        request_response::Config::default(),
    )
}

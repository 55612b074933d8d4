//! Networking (网络): libp2p between offices' nodes.
//!
//! The node's libp2p identity is its ledger key (the same Ed25519 secret), so
//! its `PeerId` is derived from the key its ledger is signed with, and a
//! parent's peer id is known from its charter. One behaviour per concern,
//! composed with the derive:
//!
//! - connection limits, identify and ping, for liveness and bounds;
//! - gossipsub, for announcements (a log has grown: its signed checkpoint) and
//!   equivocation proofs; gossip is validated before it is forwarded;
//! - `/yiyi/sync/1`, to fetch the entries a node lacks: verified (signature,
//!   canonical form, sequence, previous hash), stored, and then checked
//!   against the log's signed checkpoint;
//! - `/yiyi/witness/1`, on which a node submits its checkpoints to its parent
//!   for cosigning (the C2SP `add-checkpoint` body, as over HTTP);
//! - `/yiyi/escalate/1`, on which escalations are delivered to the parent
//!   office with their inclusion proof, and receipts come back.
//!
//! # Layout
//!
//! One task owns the swarm ([`spawn`]); its loop (`event_loop`) is a single
//! `select!` over swarm events, store commits and a timer. Each concern keeps
//! its own state in its own module and returns what to do as a value; the
//! loop does it:
//!
//! - `connections`: who is connected, whom to redial;
//! - `gossip`: announcing the own ledger, judging and holding back others';
//! - `sync`: the sync client (which peer to ask about which log) and server;
//! - `checkpoints`: what a heard checkpoint calls for (keep, fetch, probe,
//!   equivocation);
//! - `equivocation`: checking proofs of two histories and freezing the log;
//! - `witness`: submitting checkpoints to the parent, cosigning children's;
//! - `escalate`: delivering escalations and receiving them;
//! - `limits`, `codec`, `status`: per-peer rate limits, the capped wire
//!   codecs, and the snapshot the API reads ([`NetStatus`]).

mod checkpoints;
mod codec;
mod connections;
mod equivocation;
mod escalate;
mod event_loop;
mod gossip;
mod later;
mod limits;
mod relay;
mod status;
mod sync;
mod witness;

pub(crate) use checkpoints::keep_if_fits;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAuthenticity, ValidationMode};
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{Multiaddr, PeerId, StreamProtocol, identify, noise, ping, tcp, yamux};
use tokio_util::sync::CancellationToken;
use yiyi_protocol::SecretKey;

use crate::federation::Members;
use crate::office::Office;
use crate::store::{LogKey, Store};
use crate::witness::Witness;

pub use codec::{
    EscalateCodec, MAX_ESCALATION_BYTES, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, MAX_WITNESS_BYTES,
    SyncCodec, WitnessCodec,
};
pub use limits::RateLimit;
pub use relay::{Located, Locator};
pub use status::{LogProgress, NetStatus, PeerInfo};
pub use sync::MAX_ENTRIES_PER_RESPONSE;

/// The sync protocol's name.
pub const SYNC_PROTOCOL: &str = "/yiyi/sync/1";
/// The witness protocol's name.
pub const WITNESS_PROTOCOL: &str = "/yiyi/witness/1";
/// The escalation protocol's name.
pub const ESCALATE_PROTOCOL: &str = "/yiyi/escalate/1";
/// The gossip topic of announcements.
pub const ANNOUNCE_TOPIC: &str = "yiyi/checkpoints/1";
/// Release that first announces on the gossip groups' topics
/// ([`announcement_topic`]); older peers hear only [`ANNOUNCE_TOPIC`].
pub const SCOPED_ANNOUNCEMENTS: &str = "0.4.0";

/// The topic that carries the announcements of a gossip group: an office's
/// and (for a street) its communities', `yiyi/checkpoints/1/<log key hex>`.
/// A node subscribes to the groups of the logs it follows, so a notice costs
/// messages where its ledger is kept, not across the whole federation.
pub fn announcement_topic(group: &LogKey) -> IdentTopic {
    IdentTopic::new(format!("{ANNOUNCE_TOPIC}/{group}"))
}
/// The gossip topic of equivocation proofs.
pub const EQUIVOCATION_TOPIC: &str = "yiyi/equivocations/1";
/// Largest gossip message accepted (two checkpoints or two entries fit).
const MAX_GOSSIP_BYTES: usize = 160 * 1024;
/// Connections at most from one peer (a redial may overlap the old one).
const MAX_CONNECTIONS_PER_PEER: u32 = 4;
/// Incoming connections being set up at once (Noise handshakes).
const MAX_PENDING_INCOMING: u32 = 64;
/// Messages queued to one peer's connection; past it gossipsub drops them
/// (its default, 5,000, of up to [`MAX_GOSSIP_BYTES`] each, is too much).
const GOSSIP_QUEUE: usize = 512;
/// Gossip groups a peer may be in, as this node keeps count (gossipsub's
/// default is 100, and past it a peer's further subscriptions are dropped,
/// and a hello listing more is ignored whole). A city's node is in the
/// group of every district and street (151 in Jinan) and every district
/// lost its subscriptions past the hundredth: the announcements of the
/// last districts' streets never reached the city, which learnt their
/// entries only from its periodic round, minutes late. 1,500 groups'
/// names fit in one hello under [`MAX_GOSSIP_BYTES`].
const MAX_PEER_GROUPS: usize = 1_500;
/// Incoming connections at once: a district's streets and their
/// communities' replication, with room to spare, but not unbounded.
const MAX_ESTABLISHED_INCOMING: u32 = 1024;

/// Why the network could not start.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The key could not become a libp2p identity.
    #[error("the node key cannot be a libp2p identity: {0}")]
    Identity(String),
    /// libp2p could not be set up.
    #[error("setting up libp2p: {0}")]
    Setup(String),
    /// A listen address was refused.
    #[error("cannot listen on {address}: {reason}")]
    Listen {
        /// The address.
        address: Multiaddr,
        /// Why not.
        reason: String,
    },
}

/// What the network should do.
#[derive(Clone, Debug)]
pub struct NetConfig {
    /// Where to listen, e.g. `/ip4/127.0.0.1/tcp/0`.
    pub listen: Vec<Multiaddr>,
    /// Peers to dial at start (and redial when the connection drops).
    pub peers: Vec<Multiaddr>,
    /// How often to announce, catch up and submit checkpoints.
    pub tick: Duration,
    /// Inbound requests each peer may make per second.
    pub requests_per_second: u32,
}

impl Default for NetConfig {
    fn default() -> NetConfig {
        NetConfig {
            listen: Vec::new(),
            peers: Vec::new(),
            tick: Duration::from_millis(500),
            requests_per_second: 500,
        }
    }
}

/// The libp2p identity of a node key: the same Ed25519 secret.
pub fn identity(key: &SecretKey) -> Result<libp2p::identity::Keypair, NetError> {
    libp2p::identity::Keypair::ed25519_from_bytes(key.seed())
        .map_err(|e| NetError::Identity(e.to_string()))
}

/// The peer id an address ends with (`.../p2p/12D3...`), if it names one.
fn peer_in(address: &Multiaddr) -> Option<PeerId> {
    address.iter().find_map(|part| match part {
        libp2p::multiaddr::Protocol::P2p(peer) => Some(peer),
        _ => None,
    })
}

/// The peer id of the node that writes `log`.
pub fn peer_of(log: &LogKey) -> Option<PeerId> {
    let key = libp2p::identity::ed25519::PublicKey::try_from_bytes(log.as_slice()).ok()?;
    Some(PeerId::from_public_key(&libp2p::identity::PublicKey::from(
        key,
    )))
}

/// The log of the node with this peer id: its key is the office's (the
/// inverse of [`peer_of`]); `None` for a peer id that inlines no Ed25519 key.
pub fn log_of_peer(peer: &PeerId) -> Option<LogKey> {
    let hash = peer.as_ref();
    if hash.code() != 0 {
        return None;
    }
    let key = libp2p::identity::PublicKey::try_decode_protobuf(hash.digest()).ok()?;
    LogKey::try_from(key.try_into_ed25519().ok()?.to_bytes().as_slice()).ok()
}

/// The behaviours of a yiyi node, one per concern.
#[derive(NetworkBehaviour)]
struct Behaviour {
    limits: libp2p::connection_limits::Behaviour,
    identify: identify::Behaviour,
    ping: ping::Behaviour,
    gossipsub: gossipsub::Behaviour,
    sync: request_response::Behaviour<SyncCodec>,
    witness: request_response::Behaviour<WitnessCodec>,
    escalate: request_response::Behaviour<EscalateCodec>,
}

/// A running network task.
pub struct Net {
    /// The node's peer id.
    pub peer_id: PeerId,
    /// Asks the network where an entry not held is.
    pub locator: Locator,
    /// The addresses it listens on (known once listening started).
    pub listening: Vec<Multiaddr>,
    /// What the task reports.
    pub status: NetStatus,
    task: tokio::task::JoinHandle<()>,
}

impl Net {
    /// Waits for the task to end (once the `stop` it was spawned with is
    /// cancelled); its connections are closed then.
    pub async fn join(self) -> Result<(), tokio::task::JoinError> {
        self.task.await
    }
}

/// Starts the network task over `store`; returns once it listens. The task
/// runs until `stop` is cancelled.
pub async fn spawn(
    key: &SecretKey,
    store: Store,
    members: Members,
    witness: Arc<Witness>,
    office: Arc<Office>,
    config: NetConfig,
    stop: CancellationToken,
) -> Result<Net, NetError> {
    let keypair = identity(key)?;
    let setup = |e: &dyn std::fmt::Display| NetError::Setup(e.to_string());
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| setup(&e))?
        .with_behaviour(|key| {
            let gossip = gossipsub::ConfigBuilder::default()
                // libp2p's default; 500 ms doubled every node's mesh and
                // gossip upkeep, which a thousand offices felt.
                .heartbeat_interval(Duration::from_secs(1))
                .validation_mode(ValidationMode::Strict)
                .validate_messages()
                .max_transmit_size(MAX_GOSSIP_BYTES)
                .connection_handler_queue_len(GOSSIP_QUEUE)
                .message_id_fn(|m| {
                    gossipsub::MessageId::from(yiyi_protocol::merkle::leaf_hash(&m.data).to_hex())
                })
                .build()
                .map_err(|e| e.to_string())?;
            let timeout =
                request_response::Config::default().with_request_timeout(Duration::from_secs(10));
            Ok(Behaviour {
                limits: libp2p::connection_limits::Behaviour::new(
                    libp2p::connection_limits::ConnectionLimits::default()
                        .with_max_established_per_peer(Some(MAX_CONNECTIONS_PER_PEER))
                        .with_max_pending_incoming(Some(MAX_PENDING_INCOMING))
                        .with_max_established_incoming(Some(MAX_ESTABLISHED_INCOMING)),
                ),
                identify: identify::Behaviour::new(
                    identify::Config::new("/yiyi/1.0.0".into(), key.public())
                        .with_agent_version(yiyi_protocol::Release::current().agent()),
                ),
                ping: ping::Behaviour::default(),
                gossipsub: gossipsub::Behaviour::new_with_subscription_filter(
                    MessageAuthenticity::Signed(key.clone()),
                    gossip,
                    gossipsub::MaxCountSubscriptionFilter {
                        filter: gossipsub::AllowAllSubscriptionFilter {},
                        max_subscribed_topics: MAX_PEER_GROUPS,
                        max_subscriptions_per_request: MAX_PEER_GROUPS,
                    },
                )?,
                sync: request_response::Behaviour::with_codec(
                    SyncCodec::default(),
                    [(StreamProtocol::new(SYNC_PROTOCOL), ProtocolSupport::Full)],
                    timeout.clone(),
                ),
                witness: request_response::Behaviour::with_codec(
                    WitnessCodec::default(),
                    [(StreamProtocol::new(WITNESS_PROTOCOL), ProtocolSupport::Full)],
                    timeout.clone(),
                ),
                escalate: request_response::Behaviour::with_codec(
                    EscalateCodec::default(),
                    [(
                        StreamProtocol::new(ESCALATE_PROTOCOL),
                        ProtocolSupport::Full,
                    )],
                    timeout,
                ),
            })
        })
        .map_err(|e| setup(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(300)))
        .build();
    let announcements = IdentTopic::new(ANNOUNCE_TOPIC);
    let equivocations = IdentTopic::new(EQUIVOCATION_TOPIC);
    for topic in [&announcements, &equivocations] {
        swarm
            .behaviour_mut()
            .gossipsub
            .subscribe(topic)
            .map_err(|e| setup(&e))?;
    }
    for address in &config.listen {
        swarm
            .listen_on(address.clone())
            .map_err(|e| NetError::Listen {
                address: address.clone(),
                reason: e.to_string(),
            })?;
    }
    // Wait until every listener has an address, so callers can print them.
    let mut listening = Vec::new();
    while listening.len() < config.listen.len() {
        if let SwarmEvent::NewListenAddr { address, .. } = swarm.select_next_some().await {
            listening.push(address);
        }
    }
    for peer in &config.peers {
        if let Err(e) = swarm.dial(peer.clone()) {
            tracing::warn!(%peer, error = %e, "cannot dial");
        }
    }
    let peer_id = *swarm.local_peer_id();
    let status = NetStatus::default();
    let later = later::Later::new(&store);
    let (locator, locates) = Locator::new();
    let task = event_loop::EventLoop {
        swarm,
        later,
        commits: store.commits(),
        storing: sync::Storing::new(store.clone()),
        cosigning: Default::default(),
        store,
        members,
        witness,
        office,
        status: status.clone(),
        announcements,
        subscribed: Default::default(),
        subscribed_for: Vec::new(),
        equivocations,
        requests: RateLimit::new(config.requests_per_second),
        ticks: 0,
        group_joined: 0,
        connections: connections::Connections::new(config.peers),
        gossip: gossip::Gossip::new(),
        sync: Default::default(),
        checkpoints: Default::default(),
        witness_client: Default::default(),
        deliveries: Default::default(),
        relay: Default::default(),
        locates,
    };
    let task = tokio::spawn(task.run(config.tick.max(Duration::from_millis(50)), stop));
    Ok(Net {
        peer_id,
        locator,
        listening,
        status,
        task,
    })
}

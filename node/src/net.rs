//! Networking (网络): libp2p between offices' nodes.
//!
//! The node's libp2p identity is its ledger key (the same Ed25519 secret), so
//! its `PeerId` is derived from the key its ledger is signed with. One
//! behaviour per concern, composed with the derive: identify and ping for
//! liveness, gossipsub for announcements (a log has grown), and the
//! request-response protocol `/yiyi/sync/1` to fetch the entries a node
//! lacks. Gossip only announces; entries are fetched, verified (signature,
//! canonical form, sequence, previous hash) and only then stored.
//!
//! The swarm is owned by one task ([`spawn`]) whose loop is a single
//! `select!` over swarm events and a timer: every tick it announces the own
//! ledger if it grew and asks connected peers for what it lacks of the logs it
//! follows, so a node that was down catches up as soon as it reconnects.

mod codec;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance, MessageAuthenticity, ValidationMode};
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{Multiaddr, PeerId, StreamProtocol, identify, noise, ping, tcp, yamux};
use prost::Message;
use yiyi_protocol::SecretKey;
use yiyi_protocol::proto::{Announcement, SyncRequest, SyncResponse};

use crate::store::{LogKey, Store, StoreError};

pub use codec::{MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, SyncCodec};

/// The sync protocol's name.
pub const SYNC_PROTOCOL: &str = "/yiyi/sync/1";
/// The gossip topic of announcements.
pub const ANNOUNCE_TOPIC: &str = "yiyi/checkpoints/1";
/// Most entries sent in one sync response.
pub const MAX_ENTRIES_PER_RESPONSE: u32 = 256;
/// Largest gossip message accepted.
const MAX_GOSSIP_BYTES: usize = 16 * 1024;

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

/// The logs a node replicates: those it was told to follow, and those of
/// the offices its charters admit (kept current by the office as charters
/// are recorded). Cheap to clone; shared between the office and the network.
#[derive(Clone, Default)]
pub struct Follows(Arc<RwLock<(HashSet<LogKey>, HashSet<LogKey>)>>);

impl Follows {
    /// Follows these logs whatever the charters say.
    pub fn new(configured: impl IntoIterator<Item = LogKey>) -> Follows {
        Follows(Arc::new(RwLock::new((
            configured.into_iter().collect(),
            HashSet::new(),
        ))))
    }

    /// Replaces the chartered logs.
    pub fn set_chartered(&self, logs: impl IntoIterator<Item = LogKey>) {
        let mut sets = self.0.write().unwrap_or_else(|e| e.into_inner());
        sets.1 = logs.into_iter().collect();
    }

    /// Every log followed now.
    pub fn all(&self) -> HashSet<LogKey> {
        let sets = self.0.read().unwrap_or_else(|e| e.into_inner());
        sets.0.union(&sets.1).copied().collect()
    }

    fn contains(&self, log: &LogKey) -> bool {
        let sets = self.0.read().unwrap_or_else(|e| e.into_inner());
        sets.0.contains(log) || sets.1.contains(log)
    }
}

/// What the network should do.
#[derive(Clone, Default)]
pub struct NetConfig {
    /// Where to listen, e.g. `/ip4/127.0.0.1/tcp/0`.
    pub listen: Vec<Multiaddr>,
    /// Peers to dial at start (and redial when the connection drops).
    pub peers: Vec<Multiaddr>,
    /// Logs to replicate.
    pub follows: Follows,
    /// How often to announce and catch up.
    pub tick: Duration,
}

/// The libp2p identity of a node key: the same Ed25519 secret.
pub fn identity(key: &SecretKey) -> Result<libp2p::identity::Keypair, NetError> {
    libp2p::identity::Keypair::ed25519_from_bytes(key.seed())
        .map_err(|e| NetError::Identity(e.to_string()))
}

/// The behaviours of a yiyi node, one per concern.
#[derive(NetworkBehaviour)]
struct Behaviour {
    identify: identify::Behaviour,
    ping: ping::Behaviour,
    gossipsub: gossipsub::Behaviour,
    sync: request_response::Behaviour<SyncCodec>,
}

/// A running network task.
pub struct Net {
    /// The node's peer id.
    pub peer_id: PeerId,
    /// The addresses it listens on (known once listening started).
    pub listening: Vec<Multiaddr>,
}

/// Starts the network task over `store`; returns once it listens.
pub async fn spawn(key: &SecretKey, store: Store, config: NetConfig) -> Result<Net, NetError> {
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
                .heartbeat_interval(Duration::from_millis(500))
                .validation_mode(ValidationMode::Strict)
                .validate_messages()
                .max_transmit_size(MAX_GOSSIP_BYTES)
                .message_id_fn(|m| {
                    gossipsub::MessageId::from(yiyi_protocol::merkle::leaf_hash(&m.data).to_hex())
                })
                .build()
                .map_err(|e| e.to_string())?;
            Ok(Behaviour {
                identify: identify::Behaviour::new(identify::Config::new(
                    "/yiyi/1.0.0".into(),
                    key.public(),
                )),
                ping: ping::Behaviour::default(),
                gossipsub: gossipsub::Behaviour::new(
                    MessageAuthenticity::Signed(key.clone()),
                    gossip,
                )?,
                sync: request_response::Behaviour::with_codec(
                    SyncCodec,
                    [(StreamProtocol::new(SYNC_PROTOCOL), ProtocolSupport::Full)],
                    request_response::Config::default()
                        .with_request_timeout(Duration::from_secs(10)),
                ),
            })
        })
        .map_err(|e| setup(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(300)))
        .build();
    let topic = IdentTopic::new(ANNOUNCE_TOPIC);
    swarm
        .behaviour_mut()
        .gossipsub
        .subscribe(&topic)
        .map_err(|e| setup(&e))?;
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
    let task = Task {
        swarm,
        store,
        topic,
        follows: config.follows,
        peers: config.peers,
        connected: HashSet::new(),
        in_flight: HashMap::new(),
        announced: 0,
    };
    tokio::spawn(task.run(config.tick.max(Duration::from_millis(100))));
    Ok(Net { peer_id, listening })
}

/// The task that owns the swarm.
struct Task {
    swarm: libp2p::Swarm<Behaviour>,
    store: Store,
    topic: IdentTopic,
    follows: Follows,
    peers: Vec<Multiaddr>,
    connected: HashSet<PeerId>,
    /// One sync request per followed log at a time.
    in_flight: HashMap<OutboundRequestId, LogKey>,
    announced: u64,
}

impl Task {
    async fn run(mut self, tick: Duration) {
        let mut timer = tokio::time::interval(tick);
        let mut ticks = 0u64;
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.handle(event).await,
                _ = timer.tick() => {
                    ticks += 1;
                    // Every 20 ticks: re-announce for peers that joined
                    // since, and redial if every connection dropped.
                    let periodic = ticks.is_multiple_of(20);
                    self.announce(periodic);
                    self.catch_up(ticks);
                    if periodic {
                        self.redial();
                    }
                }
            }
        }
    }

    /// Announces the own ledger if it grew (or, every so often, anyway, for
    /// peers that joined since).
    fn announce(&mut self, again: bool) {
        let log = self.store.own_log();
        let Ok(state) = self.store.state(&log) else {
            return;
        };
        if state.head.size == 0 || (state.head.size == self.announced && !again) {
            return;
        }
        let announcement = Announcement {
            log: log.to_vec(),
            size: state.head.size,
            checkpoint: self.store.checkpoint().ok().flatten().unwrap_or_default(),
        };
        match self
            .swarm
            .behaviour_mut()
            .gossipsub
            .publish(self.topic.clone(), announcement.encode_to_vec())
        {
            Ok(_) => self.announced = state.head.size,
            Err(gossipsub::PublishError::Duplicate) => self.announced = state.head.size,
            Err(e) => tracing::debug!(error = %e, "announcement not sent"),
        }
    }

    fn redial(&mut self) {
        if self.connected.is_empty() {
            for peer in self.peers.clone() {
                let _ = self.swarm.dial(peer);
            }
        }
    }

    /// Asks a connected peer for what the node lacks of each followed log,
    /// a different peer each tick, so that one that lacks the log too does
    /// not hold the node back.
    fn catch_up(&mut self, tick: u64) {
        if self.connected.is_empty() {
            return;
        }
        let turn = (tick % self.connected.len() as u64) as usize;
        let Some(peer) = self.connected.iter().nth(turn).copied() else {
            return;
        };
        for log in self.follows.all() {
            self.request(peer, log);
        }
    }

    fn request(&mut self, peer: PeerId, log: LogKey) {
        if self.in_flight.values().any(|l| *l == log) {
            return;
        }
        let Ok(state) = self.store.state(&log) else {
            return;
        };
        let request = SyncRequest {
            log: log.to_vec(),
            from: state.head.size,
            limit: MAX_ENTRIES_PER_RESPONSE,
        };
        let id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
        self.in_flight.insert(id, log);
    }

    async fn handle(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::ConnectionEstablished { peer_id, .. } => {
                self.connected.insert(peer_id);
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.connected.remove(&peer_id);
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => {
                let acceptance = match Announcement::decode(message.data.as_slice()) {
                    Ok(a) if a.log.len() == 32 => {
                        let log: LogKey = a.log.as_slice().try_into().expect("32 bytes");
                        let behind = self
                            .store
                            .state(&log)
                            .map(|s| s.head.size < a.size)
                            .unwrap_or(false);
                        if self.follows.contains(&log) && behind {
                            self.request(propagation_source, log);
                        }
                        MessageAcceptance::Accept
                    }
                    _ => MessageAcceptance::Reject,
                };
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .gossipsub
                    .report_message_validation_result(&message_id, &propagation_source, acceptance);
            }
            SwarmEvent::Behaviour(BehaviourEvent::Sync(request_response::Event::Message {
                peer,
                message,
                ..
            })) => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    let response = self.serve(&request);
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .sync
                        .send_response(channel, response);
                }
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    if let Some(log) = self.in_flight.remove(&request_id) {
                        self.store_entries(peer, log, response).await;
                    }
                }
            },
            SwarmEvent::Behaviour(BehaviourEvent::Sync(
                request_response::Event::OutboundFailure {
                    request_id, error, ..
                },
            )) => {
                self.in_flight.remove(&request_id);
                tracing::debug!(%error, "sync request failed");
            }
            _ => {}
        }
    }

    /// Answers a sync request from the store.
    fn serve(&self, request: &SyncRequest) -> SyncResponse {
        let Ok(log) = <LogKey>::try_from(request.log.as_slice()) else {
            return SyncResponse::default();
        };
        let size = self.store.state(&log).map(|s| s.head.size).unwrap_or(0);
        let limit = u64::from(request.limit.min(MAX_ENTRIES_PER_RESPONSE));
        let mut entries = Vec::new();
        let mut bytes = 0;
        for sequence in request.from..size.min(request.from.saturating_add(limit)) {
            match self.store.entry(&log, sequence) {
                Ok(Some(entry)) if bytes + entry.len() < MAX_RESPONSE_BYTES - 4096 => {
                    bytes += entry.len();
                    entries.push(entry);
                }
                _ => break,
            }
        }
        let checkpoint = if log == self.store.own_log() {
            self.store.checkpoint().ok().flatten().unwrap_or_default()
        } else {
            String::new()
        };
        SyncResponse {
            entries,
            checkpoint,
            size,
        }
    }

    /// Verifies and stores fetched entries; asks for more if the peer has them.
    async fn store_entries(&mut self, peer: PeerId, log: LogKey, response: SyncResponse) {
        // Submitted together so that they share group commits; `join_all`
        // polls them in order, so the writer receives them in log order.
        let store = &self.store;
        let outcomes = futures::future::join_all(
            response
                .entries
                .iter()
                .map(|bytes| store.append_replica(log, bytes)),
        )
        .await;
        let mut stored = 0usize;
        for outcome in outcomes {
            match outcome {
                Ok(_) => stored += 1,
                Err(StoreError::Rejected(e)) => {
                    tracing::warn!(%peer, log = %hex::encode(log), error = %e, "refused a replicated entry");
                    break;
                }
                Err(e) => {
                    tracing::error!(error = %e, "storing a replicated entry");
                    break;
                }
            }
        }
        let local = self.store.state(&log).map(|s| s.head.size).unwrap_or(0);
        if stored > 0 && local < response.size {
            self.request(peer, log);
        }
    }
}

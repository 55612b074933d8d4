//! Networking (网络): libp2p between offices' nodes.
//!
//! The node's libp2p identity is its ledger key (the same Ed25519 secret), so
//! its `PeerId` is derived from the key its ledger is signed with, and a
//! parent's peer id is known from its charter. One behaviour per concern,
//! composed with the derive:
//!
//! - identify and ping, for liveness;
//! - gossipsub, for announcements (a log has grown: its signed checkpoint) and
//!   equivocation proofs; gossip is validated before it is forwarded;
//! - `/yiyi/sync/1`, to fetch the entries a node lacks: verified (signature,
//!   canonical form, sequence, previous hash), stored, and then checked
//!   against the log's signed checkpoint;
//! - `/yiyi/witness/1`, on which a node submits its checkpoints to its parent
//!   for cosigning (the C2SP `add-checkpoint` body, as over HTTP).
//!
//! Two signed histories of one log are caught either way they show: two
//! checkpoints of one size with different roots, or a checkpoint or entry that
//! does not fit the entries held, in which case the node fetches the peer's
//! entry at the point of difference, and the two signed entries are the proof.
//! The proof is stored, gossiped and recorded in the node's ledger, and the
//! log is frozen.
//!
//! The swarm is owned by one task ([`spawn`]) whose loop is a single
//! `select!` over swarm events and a timer; what the API shows of it goes
//! through [`NetStatus`].

mod codec;
mod escalate;
mod limits;
mod status;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance, MessageAuthenticity, ValidationMode};
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{Multiaddr, PeerId, StreamProtocol, identify, noise, ping, tcp, yamux};
use prost::Message;
use yiyi_protocol::checkpoint::Checkpoint;
use yiyi_protocol::federation::{self, check_equivocation};
use yiyi_protocol::note::SignedNote;
use yiyi_protocol::proto::{
    self, Announcement, EquivocationProof, SyncRequest, SyncResponse, WitnessRequest,
    WitnessResponse, entry::Body,
};
use yiyi_protocol::witness::{AddCheckpoint, merge_cosignatures};
use yiyi_protocol::{EntryError, SecretKey, VerifierKey};

use crate::federation::Members;
use crate::office::Office;
use crate::store::{Appended, LogKey, Store, StoreError};
use crate::witness::{Witness, WitnessFailure};

pub use codec::{
    EscalateCodec, MAX_ESCALATION_BYTES, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, MAX_WITNESS_BYTES,
    SyncCodec, WitnessCodec,
};
pub use limits::RateLimit;
pub use status::{LogProgress, NetStatus, PeerInfo};

/// The sync protocol's name.
pub const SYNC_PROTOCOL: &str = "/yiyi/sync/1";
/// The witness protocol's name.
pub const WITNESS_PROTOCOL: &str = "/yiyi/witness/1";
/// The escalation protocol's name.
pub const ESCALATE_PROTOCOL: &str = "/yiyi/escalate/1";
/// The gossip topic of announcements.
pub const ANNOUNCE_TOPIC: &str = "yiyi/checkpoints/1";
/// The gossip topic of equivocation proofs.
pub const EQUIVOCATION_TOPIC: &str = "yiyi/equivocations/1";
/// Most sync requests sent to one peer per tick.
const MAX_REQUESTS_PER_TICK: usize = 128;
/// Most entries sent in one sync response.
pub const MAX_ENTRIES_PER_RESPONSE: u32 = 256;
/// Largest gossip message accepted (two checkpoints or two entries fit).
const MAX_GOSSIP_BYTES: usize = 160 * 1024;
/// Connections at most from one peer (a redial may overlap the old one).
const MAX_CONNECTIONS_PER_PEER: u32 = 4;
/// Incoming connections being set up at once (Noise handshakes).
const MAX_PENDING_INCOMING: u32 = 64;
/// Gossip messages taken from one peer per second; past it they are
/// ignored (neither checked nor forwarded: the entries still come by sync).
/// A street forwards its communities' announcements, a few per commit.
const GOSSIP_PER_SECOND: u32 = 200;
/// Announcements of one log held back at once, waiting for their entries;
/// past it they are ignored (the entries are being fetched anyway).
const MAX_AWAITING_PER_LOG: usize = 16;
/// Messages queued to one peer's connection; past it gossipsub drops them
/// (its default, 5,000, of up to [`MAX_GOSSIP_BYTES`] each, is too much).
const GOSSIP_QUEUE: usize = 512;
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
#[derive(Clone)]
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
    let key = libp2p::identity::ed25519::PublicKey::try_from_bytes(log).ok()?;
    Some(PeerId::from_public_key(&libp2p::identity::PublicKey::from(
        key,
    )))
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
    /// The addresses it listens on (known once listening started).
    pub listening: Vec<Multiaddr>,
    /// What the task reports.
    pub status: NetStatus,
    /// Dropping it stops the task (and closes its connections).
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Starts the network task over `store`; returns once it listens.
pub async fn spawn(
    key: &SecretKey,
    store: Store,
    members: Members,
    witness: Arc<Witness>,
    office: Option<Arc<Office>>,
    config: NetConfig,
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
                .heartbeat_interval(Duration::from_millis(500))
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
    let store_commits = store.commits();
    let task = Task {
        swarm,
        store,
        members,
        witness,
        office,
        deliveries: HashMap::new(),
        status: status.clone(),
        announcements,
        equivocations,
        peers: config.peers,
        connected: HashMap::new(),
        in_flight: HashMap::new(),
        pending: HashMap::new(),
        announced: 0,
        witness_in_flight: None,
        parent_holds: None,
        limit: RateLimit::new(config.requests_per_second),
        gossip_limit: RateLimit::new(GOSSIP_PER_SECOND),
        commits: store_commits,
        awaiting: HashMap::new(),
        to_check: Default::default(),
        followed: 0,
        ticks: 0,
        asked: HashMap::new(),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel();
    tokio::spawn(task.run(config.tick.max(Duration::from_millis(50)), stopped));
    Ok(Net {
        peer_id,
        listening,
        status,
        _stop: stop,
    })
}

/// What an outstanding sync request is for.
#[derive(Clone, Copy)]
struct Pending {
    log: LogKey,
    /// `Some(n)`: fetching only entry `n`, to compare it with ours.
    probe: Option<u64>,
}

/// The task that owns the swarm.
struct Task {
    swarm: libp2p::Swarm<Behaviour>,
    store: Store,
    members: Members,
    witness: Arc<Witness>,
    /// The office: signs receipts for escalations delivered here, and holds
    /// the outbox of those sent from here (`None`: a bare replica).
    office: Option<Arc<Office>>,
    /// Escalations delivered and not answered yet.
    deliveries: HashMap<OutboundRequestId, escalate::InFlight>,
    status: NetStatus,
    announcements: IdentTopic,
    equivocations: IdentTopic,
    peers: Vec<Multiaddr>,
    connected: HashMap<PeerId, Vec<Multiaddr>>,
    in_flight: HashMap<OutboundRequestId, Pending>,
    /// Checkpoints of logs not yet held as far as they reach: checked once
    /// the entries are in, with the peer that sent them.
    pending: HashMap<LogKey, (PeerId, String)>,
    announced: u64,
    /// The witness request outstanding, with the checkpoint it submitted.
    witness_in_flight: Option<(OutboundRequestId, String)>,
    /// The size the parent last said it holds of the own log.
    parent_holds: Option<u64>,
    /// Sync, witness and escalation requests each peer may make.
    limit: RateLimit,
    /// Gossip messages each peer may send.
    gossip_limit: RateLimit,
    /// Logs to ask about at the next ticks, whether or not they are known
    /// to have grown.
    to_check: std::collections::BTreeSet<LogKey>,
    /// Ticks so far.
    ticks: u64,
    /// How many logs were followed at the last tick.
    followed: usize,
    /// The peers asked about each log since the last round.
    asked: HashMap<LogKey, std::collections::HashSet<PeerId>>,
    /// Wakes the task when the store committed something.
    commits: tokio::sync::watch::Receiver<u64>,
    /// Announcements of entries not held yet: forwarded only once they are
    /// (so that whoever receives one from this node can fetch from it), or
    /// dropped when they do not come.
    awaiting: HashMap<LogKey, Vec<Awaiting>>,
}

/// A gossiped announcement held back until its entries are stored.
struct Awaiting {
    message: gossipsub::MessageId,
    source: PeerId,
    size: u64,
    since: std::time::Instant,
}

/// How long an announcement may wait for its entries.
const AWAIT_ENTRIES: Duration = Duration::from_secs(10);

impl Task {
    async fn run(mut self, tick: Duration, mut stopped: tokio::sync::oneshot::Receiver<()>) {
        let mut timer = tokio::time::interval(tick);
        loop {
            tokio::select! {
                _ = &mut stopped => {
                    tracing::debug!("network stopped");
                    return;
                }
                // Announce the own ledger as soon as it grew.
                Ok(()) = self.commits.changed() => self.announce(false),
                event = self.swarm.select_next_some() => self.handle(event).await,
                _ = timer.tick() => {
                    self.ticks += 1;
                    let ticks = self.ticks;
                    // Every 20 ticks: re-announce for peers that joined
                    // since, and redial what dropped.
                    let periodic = ticks.is_multiple_of(20);
                    self.announce(periodic);
                    self.catch_up(ticks);
                    self.submit_checkpoint();
                    self.deliver_due();
                    self.expire_awaiting();
                    if periodic || ticks == 2 {
                        self.redial();
                    }
                    self.publish_status();
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
            checkpoint: self.best_checkpoint(&log),
            time_ms: crate::now_ms(),
        };
        match self
            .swarm
            .behaviour_mut()
            .gossipsub
            .publish(self.announcements.clone(), announcement.encode_to_vec())
        {
            Ok(_) | Err(gossipsub::PublishError::Duplicate) => self.announced = state.head.size,
            Err(e) => tracing::debug!(error = %e, "announcement not sent"),
        }
    }

    /// Dials the configured peers and the parent and children whose charters
    /// give addresses, when not connected to them.
    fn redial(&mut self) {
        // A configured peer named by its peer id is redialled whenever it
        // is not connected: a street whose communities dialled it first
        // must still reach its district. One given by address alone only
        // when nothing is connected (it may be any of the peers).
        let mut targets: Vec<Multiaddr> = self
            .peers
            .iter()
            .filter(|address| match peer_in(address) {
                Some(peer) => !self.connected.contains_key(&peer),
                None => self.connected.is_empty(),
            })
            .cloned()
            .collect();
        let own = self.store.own_log();
        let kin: Vec<Vec<String>> = self.members.with(|f| {
            f.members()
                .filter(|(log, m)| {
                    (m.parent == Some(own) || f.parent(&own) == Some(**log)) && f.accepts(log)
                })
                .filter(|(log, _)| peer_of(log).is_none_or(|p| !self.connected.contains_key(&p)))
                .map(|(_, m)| m.addresses.clone())
                .collect()
        });
        targets.extend(kin.into_iter().flatten().filter_map(|a| a.parse().ok()));
        for address in targets {
            let _ = self.swarm.dial(address);
        }
    }

    /// The logs to replicate now: followed and not frozen.
    fn follows(&self) -> Vec<LogKey> {
        let own = self.store.own_log();
        self.members
            .follows()
            .into_iter()
            .filter(|log| *log != own && !matches!(self.store.frozen(log), Ok(Some(_))))
            .collect()
    }

    /// Asks connected peers for what the node lacks: every tick for the
    /// logs known to have grown past what is held (announcements say so),
    /// and for every followed log after a (re)connection, when the
    /// federation changed, and every so often in case an announcement was
    /// missed. Logs are spread over the peers, rotating each tick, so that a
    /// peer that lacks a log too does not hold the node back, and no peer
    /// gets more than [`MAX_REQUESTS_PER_TICK`] at once; the rest wait for
    /// the next tick.
    fn catch_up(&mut self, tick: u64) {
        let logs = self.follows();
        if logs.len() != self.followed {
            self.followed = logs.len();
            self.to_check.extend(logs.iter().copied());
            self.asked.clear();
        } else {
            // Every log once every 20 ticks, spread over the ticks so that
            // the checks of many nodes do not come in bursts.
            let round = tick % 20;
            self.to_check.extend(
                logs.iter()
                    .enumerate()
                    .filter(|(i, _)| *i as u64 % 20 == round)
                    .map(|(_, log)| *log),
            );
            if round == 1 {
                self.asked.clear();
            }
        }
        if self.connected.is_empty() {
            return;
        }
        let heard = self.status.logs();
        let mut due: Vec<LogKey> = logs
            .into_iter()
            .filter(|log| {
                let held = self.store.state(log).map(|s| s.head.size).unwrap_or(0);
                heard.get(log).is_some_and(|p| p.heard > held)
            })
            .collect();
        due.extend(self.to_check.iter().copied());
        due.dedup();
        let peers: Vec<PeerId> = self.connected.keys().copied().collect();
        let mut sent: HashMap<PeerId, usize> = HashMap::new();
        for (i, log) in due.into_iter().enumerate() {
            // The log's own node if connected: it surely has it; else the
            // peer that announced how far it reaches.
            let peer = peer_of(&log)
                .filter(|p| self.connected.contains_key(p))
                .or_else(|| {
                    self.pending
                        .get(&log)
                        .map(|(p, _)| *p)
                        .filter(|p| self.connected.contains_key(p) && tick.is_multiple_of(2))
                })
                .unwrap_or(peers[(tick as usize + i) % peers.len()]);
            let count = sent.entry(peer).or_default();
            if *count < MAX_REQUESTS_PER_TICK {
                *count += 1;
                self.to_check.remove(&log);
                self.request(peer, log);
            }
        }
    }

    fn request(&mut self, peer: PeerId, log: LogKey) {
        if self
            .in_flight
            .values()
            .any(|p| p.log == log && p.probe.is_none())
        {
            return;
        }
        let Ok(state) = self.store.state(&log) else {
            return;
        };
        self.request_from(peer, log, state.head.size);
    }

    /// Asks `peer` for the entries of `log` from `from` on.
    fn request_from(&mut self, peer: PeerId, log: LogKey, from: u64) {
        self.asked.entry(log).or_default().insert(peer);
        let request = SyncRequest {
            log: log.to_vec(),
            from,
            limit: MAX_ENTRIES_PER_RESPONSE,
        };
        let id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
        self.in_flight.insert(id, Pending { log, probe: None });
    }

    /// Fetches the peer's entry `sequence` of `log`, to compare with ours.
    fn probe(&mut self, peer: PeerId, log: LogKey, sequence: u64) {
        if self
            .in_flight
            .values()
            .any(|p| p.log == log && p.probe.is_some())
        {
            return;
        }
        let request = SyncRequest {
            log: log.to_vec(),
            from: sequence,
            limit: 1,
        };
        let id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
        self.in_flight.insert(
            id,
            Pending {
                log,
                probe: Some(sequence),
            },
        );
    }

    /// Submits the own checkpoint to the parent for cosigning when it grew
    /// past what the parent holds.
    fn submit_checkpoint(&mut self) {
        if self.witness_in_flight.is_some() {
            return;
        }
        let Some(parent) = self.witness.parent().and_then(|p| peer_of(&p)) else {
            return;
        };
        if !self.connected.contains_key(&parent) {
            return;
        }
        let own = self.store.own_log();
        let Some((latest, note)) = self.store.checkpoint().ok().flatten().and_then(|note| {
            let (checkpoint, _) = parse_checkpoint(&note)?;
            Some((checkpoint, note))
        }) else {
            return;
        };
        let held = self.parent_holds.unwrap_or_else(|| {
            self.store
                .known_checkpoint(&own)
                .ok()
                .flatten()
                .and_then(|n| parse_checkpoint(&n))
                .map_or(0, |(c, _)| c.size)
        });
        if latest.size <= held {
            return;
        }
        let proof = if held == 0 {
            Vec::new()
        } else {
            match self.store.consistency_proof(&own, held, latest.size) {
                Ok(proof) => proof,
                Err(e) => {
                    tracing::warn!(error = %e, "no consistency proof for the witness");
                    return;
                }
            }
        };
        let body = AddCheckpoint {
            old_size: held,
            proof,
            checkpoint: note.clone(),
        }
        .to_bytes();
        let id = self
            .swarm
            .behaviour_mut()
            .witness
            .send_request(&parent, WitnessRequest { body });
        self.witness_in_flight = Some((id, note));
    }

    fn publish_status(&self) {
        let peers = self
            .connected
            .iter()
            .map(|(peer, addresses)| PeerInfo {
                peer: peer.to_string(),
                addresses: addresses.iter().map(|a| a.to_string()).collect(),
            })
            .collect();
        self.status.set_peers(peers);
    }

    async fn handle(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::ConnectionEstablished {
                peer_id, endpoint, ..
            } => {
                let address = endpoint.get_remote_address().clone();
                self.connected.entry(peer_id).or_default().push(address);
                // A (re)connection: catch up on everything, and this peer
                // may be asked again.
                self.to_check.extend(self.follows());
                for asked in self.asked.values_mut() {
                    asked.remove(&peer_id);
                }
                tracing::trace!(%peer_id, "connection established");
                self.catch_up(self.ticks);
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.connected.remove(&peer_id);
                if Some(peer_id) == self.witness.parent().and_then(|p| peer_of(&p)) {
                    self.witness_in_flight = None;
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => {
                let acceptance = if !self.gossip_limit.allow(propagation_source) {
                    tracing::debug!(peer = %propagation_source, "gossip over the rate limit ignored");
                    self.status.gossip_ignored();
                    Some(MessageAcceptance::Ignore)
                } else if message.topic == self.equivocations.hash() {
                    Some(self.gossiped_equivocation(&message.data).await)
                } else {
                    self.announced_checkpoint(propagation_source, &message_id, &message.data)
                };
                if let Some(acceptance) = acceptance {
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .gossipsub
                        .report_message_validation_result(
                            &message_id,
                            &propagation_source,
                            acceptance,
                        );
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Sync(request_response::Event::Message {
                peer,
                message,
                ..
            })) => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    // Over the limit, the answer is empty: the peer learns
                    // nothing and asks again later, without waiting for a
                    // timeout.
                    let response = if self.limit.allow(peer) {
                        self.serve(&request)
                    } else {
                        tracing::debug!(%peer, "sync request over the rate limit");
                        SyncResponse::default()
                    };
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
                    if let Some(pending) = self.in_flight.remove(&request_id) {
                        match pending.probe {
                            Some(sequence) => {
                                self.compare(pending.log, sequence, &response).await;
                            }
                            None => self.store_entries(peer, pending.log, response).await,
                        }
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
            SwarmEvent::Behaviour(BehaviourEvent::Witness(request_response::Event::Message {
                peer,
                message,
                ..
            })) => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    let response = if self.limit.allow(peer) {
                        self.cosign(&request.body)
                    } else {
                        WitnessResponse {
                            status: 429,
                            body: "too many requests; try again later".into(),
                        }
                    };
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .witness
                        .send_response(channel, response);
                }
                request_response::Message::Response { response, .. } => {
                    if let Some((_, note)) = self.witness_in_flight.take() {
                        self.cosigned(&note, response);
                    }
                }
            },
            SwarmEvent::Behaviour(BehaviourEvent::Witness(
                request_response::Event::OutboundFailure { error, .. },
            )) => {
                self.witness_in_flight = None;
                tracing::debug!(%error, "witness request failed");
            }
            SwarmEvent::Behaviour(BehaviourEvent::Escalate(request_response::Event::Message {
                peer,
                message,
                ..
            })) => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    let answer = self.receive_delivery(peer, request).await;
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .escalate
                        .send_response(channel, answer);
                }
                request_response::Message::Response {
                    request_id,
                    response,
                } => self.receipt_came(request_id, response),
            },
            SwarmEvent::Behaviour(BehaviourEvent::Escalate(
                request_response::Event::OutboundFailure {
                    request_id, error, ..
                },
            )) => {
                tracing::debug!(%error, "escalation delivery failed");
                self.delivery_failed(request_id);
            }
            _ => {}
        }
    }

    /// Validates an announcement: forwarded only if it is a log this node
    /// accepts, its checkpoint is signed by the log's key, and this node
    /// holds the entries it announces (`None`: not yet; decided once they
    /// are fetched).
    fn announced_checkpoint(
        &mut self,
        peer: PeerId,
        message: &gossipsub::MessageId,
        data: &[u8],
    ) -> Option<MessageAcceptance> {
        let Ok(announcement) = Announcement::decode(data) else {
            return Some(MessageAcceptance::Reject);
        };
        let Ok(log) = LogKey::try_from(announcement.log.as_slice()) else {
            return Some(MessageAcceptance::Reject);
        };
        self.members.heard(&log);
        if !self.members.accepts(&log) {
            // Not ours to judge or spread: another federation's, or a log
            // whose charter chain does not reach the district.
            tracing::debug!(log = %hex::encode(log), "announcement of a log outside the federation ignored");
            return Some(MessageAcceptance::Ignore);
        }
        if !self.consider_checkpoint(peer, log, &announcement.checkpoint) {
            return Some(MessageAcceptance::Reject);
        }
        let size = parse_checkpoint(&announcement.checkpoint).map_or(0, |(c, _)| c.size);
        let held = self.store.state(&log).map(|s| s.head.size).unwrap_or(0);
        if size <= held || log == self.store.own_log() {
            return Some(MessageAcceptance::Accept);
        }
        let awaiting = self.awaiting.entry(log).or_default();
        if awaiting.len() >= MAX_AWAITING_PER_LOG {
            return Some(MessageAcceptance::Ignore);
        }
        awaiting.push(Awaiting {
            message: message.clone(),
            source: peer,
            size,
            since: std::time::Instant::now(),
        });
        None
    }

    /// Forwards the announcements of `log` whose entries are now held.
    fn release_awaiting(&mut self, log: &LogKey) {
        let held = self.store.state(log).map(|s| s.head.size).unwrap_or(0);
        let Some(waiting) = self.awaiting.get_mut(log) else {
            return;
        };
        let (ready, rest): (Vec<Awaiting>, Vec<Awaiting>) =
            waiting.drain(..).partition(|a| a.size <= held);
        *waiting = rest;
        for a in ready {
            let _ = self
                .swarm
                .behaviour_mut()
                .gossipsub
                .report_message_validation_result(&a.message, &a.source, MessageAcceptance::Accept);
        }
    }

    /// Drops announcements whose entries never came.
    fn expire_awaiting(&mut self) {
        let mut expired = Vec::new();
        for waiting in self.awaiting.values_mut() {
            waiting.retain(|a| {
                let keep = a.since.elapsed() < AWAIT_ENTRIES;
                if !keep {
                    expired.push((a.message.clone(), a.source));
                }
                keep
            });
        }
        self.awaiting.retain(|_, w| !w.is_empty());
        for (message, source) in expired {
            let _ = self
                .swarm
                .behaviour_mut()
                .gossipsub
                .report_message_validation_result(&message, &source, MessageAcceptance::Ignore);
        }
    }

    /// The key that verifies `log`'s checkpoints: its charter's, or, for a
    /// log followed without one, its raw key named after the note's origin.
    fn key_for(&self, log: &LogKey, note: &str) -> Option<VerifierKey> {
        if *log == self.store.own_log() {
            let own = self.store.own_origin();
            return VerifierKey::from_public(own, log).ok();
        }
        self.members.key(log).or_else(|| {
            let (checkpoint, _) = parse_checkpoint(note)?;
            VerifierKey::from_public(&checkpoint.origin, log).ok()
        })
    }

    /// Checks a signed checkpoint of `log` from `peer` against what the node
    /// holds: keeps it if it fits, fetches entries if it reaches further,
    /// and turns a contradiction into an equivocation proof. Returns false
    /// if it is not validly signed.
    fn consider_checkpoint(&mut self, peer: PeerId, log: LogKey, note: &str) -> bool {
        let Some(key) = self.key_for(&log, note) else {
            return false;
        };
        let Ok((checkpoint, _)) = Checkpoint::open(note, &key) else {
            tracing::warn!(%peer, log = %hex::encode(log), "a checkpoint not signed by its log's key: refused");
            self.status.refused();
            return false;
        };
        self.status.heard(log, checkpoint.size);
        let known = self
            .store
            .known_checkpoint(&log)
            .ok()
            .flatten()
            .or_else(|| {
                (log == self.store.own_log())
                    .then(|| self.store.checkpoint().ok().flatten())
                    .flatten()
            });
        if let Some(known) = &known
            && let Some((held, _)) = parse_checkpoint(known)
            && held.size == checkpoint.size
            && held.root != checkpoint.root
        {
            let proof = federation::checkpoints_equivocation(&log, known, note);
            self.handle_equivocation(proof, true);
            return true;
        }
        let local = self.store.state(&log).map(|s| s.head.size).unwrap_or(0);
        if checkpoint.size == 0 {
            return true;
        }
        if checkpoint.size > local {
            if log != self.store.own_log() && self.members.accepts(&log) {
                self.pending.insert(log, (peer, note.to_owned()));
                self.request(peer, log);
            }
            return true;
        }
        match self.store.root_at(&log, checkpoint.size) {
            Ok(root) if root == checkpoint.root => {
                let larger = known
                    .as_deref()
                    .and_then(parse_checkpoint)
                    .is_none_or(|(k, _)| k.size < checkpoint.size);
                if log != self.store.own_log() {
                    let keep = if larger {
                        Some(note.to_owned())
                    } else {
                        known
                            .as_deref()
                            .and_then(|known| self.add_parent_cosignature(&log, known, note))
                    };
                    if let Some(keep) = keep {
                        let _ = self.store.set_known_checkpoint(&log, &keep);
                    }
                }
            }
            Ok(_) => {
                // Signed by the log's key, yet not the tree of the entries
                // it signed: find the entry where the histories part.
                tracing::warn!(%peer, log = %hex::encode(log), size = checkpoint.size, "a checkpoint that contradicts the entries held");
                self.probe(peer, log, checkpoint.size - 1);
            }
            Err(e) => tracing::warn!(error = %e, "reading a root"),
        }
        true
    }

    /// Answers a sync request from the store.
    fn serve(&mut self, request: &SyncRequest) -> SyncResponse {
        let Ok(log) = <LogKey>::try_from(request.log.as_slice()) else {
            return SyncResponse::default();
        };
        let size = self.store.state(&log).map(|s| s.head.size).unwrap_or(0);
        let limit = u64::from(request.limit.min(MAX_ENTRIES_PER_RESPONSE));
        let mut entries = Vec::new();
        let mut bytes = 0;
        for sequence in request.from..size.min(request.from.saturating_add(limit)) {
            match self.store.entry(&log, sequence) {
                Ok(Some(entry)) if bytes + entry.len() < MAX_RESPONSE_BYTES - 8192 => {
                    bytes += entry.len();
                    entries.push(entry);
                }
                _ => break,
            }
        }
        SyncResponse {
            entries,
            checkpoint: self.best_checkpoint(&log),
            size,
        }
    }

    /// The checkpoint to hand out for `log`: for the own log the latest,
    /// with the parent's cosignature when it has cosigned that one; for
    /// others the largest verified one held.
    fn best_checkpoint(&self, log: &LogKey) -> String {
        let known = self.store.known_checkpoint(log).ok().flatten();
        if *log != self.store.own_log() {
            return known.unwrap_or_default();
        }
        let latest = self.store.checkpoint().ok().flatten().unwrap_or_default();
        match known {
            Some(cosigned)
                if parse_checkpoint(&cosigned).map(|(c, _)| c.size)
                    == parse_checkpoint(&latest).map(|(c, _)| c.size) =>
            {
                cosigned
            }
            _ => latest,
        }
    }

    /// Verifies and stores fetched entries, checks the log's checkpoint
    /// against them, and asks for more if the peer has them.
    async fn store_entries(&mut self, peer: PeerId, log: LogKey, response: SyncResponse) {
        if !self.members.accepts(&log) {
            if !response.entries.is_empty() {
                tracing::warn!(%peer, log = %hex::encode(log), "entries of a log without a charter chain to the district: refused");
                self.status.refused();
            }
            return;
        }
        let before = self.store.state(&log).map(|s| s.head.size).unwrap_or(0);
        let outcomes = self
            .store
            .append_replicas(log, response.entries.clone())
            .await;
        let mut stored = 0usize;
        for (outcome, bytes) in outcomes.into_iter().zip(&response.entries) {
            match outcome {
                Ok(appended) => {
                    stored += 1;
                    self.observe(log, bytes, &appended).await;
                }
                Err(StoreError::Rejected(EntryError::WrongPrevious { .. })) => {
                    // Validly signed, but not after our entries: the peer
                    // holds another history. Compare the entries before.
                    let at = before + stored as u64;
                    tracing::warn!(%peer, log = %hex::encode(log), sequence = at, "an entry that does not follow the log held");
                    if at > 0 {
                        self.probe(peer, log, at - 1);
                    }
                    break;
                }
                Err(StoreError::Rejected(e)) => {
                    tracing::warn!(%peer, log = %hex::encode(log), error = %e, "refused a replicated entry");
                    self.status.refused();
                    break;
                }
                Err(StoreError::Frozen) => break,
                Err(e) => {
                    tracing::error!(error = %e, "storing a replicated entry");
                    break;
                }
            }
        }
        if !response.checkpoint.is_empty() {
            self.consider_checkpoint(peer, log, &response.checkpoint);
        }

        let local = self.store.state(&log).map(|s| s.head.size).unwrap_or(0);
        self.status.heard(log, response.size);
        if stored > 0 {
            self.release_awaiting(&log);
        }
        if stored > 0 && local < response.size {
            self.request(peer, log);
        } else if stored == 0 && response.size <= local {
            // This peer has nothing new: ask one not asked yet since the
            // last round, so that a sweep finds whoever holds the log.
            let untried = self
                .connected
                .keys()
                .find(|p| !self.asked.get(&log).is_some_and(|a| a.contains(p)))
                .copied();
            if let Some(next) = untried {
                self.request(next, log);
            }
        }
        // A checkpoint announced further than this: check it once reached,
        // else ask the peer that announced it (it holds the entries).
        if let Some((from, note)) = self.pending.get(&log).cloned() {
            let local = self.store.state(&log).map(|s| s.head.size).unwrap_or(0);
            let reached = parse_checkpoint(&note).is_some_and(|(c, _)| c.size <= local);
            if reached {
                self.pending.remove(&log);
                self.consider_checkpoint(from, log, &note);
            } else if self.connected.contains_key(&from) {
                self.request(from, log);
            }
        }
    }

    /// Reacts to a stored entry's body: charters change the federation,
    /// equivocation proofs recorded by others freeze the accused log.
    async fn observe(&mut self, log: LogKey, bytes: &[u8], appended: &Appended) {
        let sequence = appended.sequence;
        let Some(body) = proto::SignedEntry::decode(bytes)
            .ok()
            .and_then(|s| proto::Entry::decode(s.entry.as_slice()).ok())
            .and_then(|e| e.body)
        else {
            return;
        };
        match &body {
            Body::Charter(_) if self.members.observe(&log, &body) => {
                tracing::info!(log = %hex::encode(log), sequence, "the federation changed");
            }
            Body::EquivocationProof(proof) => {
                self.handle_equivocation(proof.clone(), false);
            }
            // Steps of escalated matters and cross-community meetings: the
            // office may have something to publish.
            Body::Escalation(_)
            | Body::Receipt(_)
            | Body::Decision(_)
            | Body::Dispatch(_)
            | Body::Resolution(_)
            | Body::Department(_)
            | Body::Meeting(_)
            | Body::Topic(_) => {
                if let Some(office) = &self.office {
                    let at = yiyi_protocol::rules::Position {
                        sequence,
                        hash: appended.hash,
                        time_ms: appended.time_ms,
                    };
                    office.matters().observe(&log, at, &body);
                    office.wake();
                }
            }
            _ => {}
        }
    }

    /// The checkpoint held, with the parent office's cosignature from
    /// `heard` (the same checkpoint, announced again once the parent
    /// cosigned it) when it verifies and is not there yet: residents' bundles
    /// need it from any node. Other lines of `heard` are not taken.
    fn add_parent_cosignature(&self, log: &LogKey, held: &str, heard: &str) -> Option<String> {
        let (mut held_note, heard_note) = (
            SignedNote::parse(held).ok()?,
            SignedNote::parse(heard).ok()?,
        );
        if held_note.text() != heard_note.text() {
            return None;
        }
        let parent = self.members.key(&self.members.parent(log)?)?.to_cosigner();
        let witnessed = yiyi_protocol::checkpoint::witnessed_by(&heard_note, &[parent]).ok()?;
        let new: Vec<_> = witnessed
            .into_iter()
            .map(|(s, _)| s.clone())
            .filter(|s| !held_note.signatures().contains(s))
            .collect();
        if new.is_empty() {
            return None;
        }
        for signature in new {
            held_note.push_replacing(signature);
        }
        Some(held_note.to_string())
    }

    /// Compares the peer's entry `sequence` of `log` with ours.
    async fn compare(&mut self, log: LogKey, sequence: u64, response: &SyncResponse) {
        let (Some(theirs), Ok(Some(ours))) =
            (response.entries.first(), self.store.entry(&log, sequence))
        else {
            return;
        };
        if *theirs != ours {
            let proof = federation::entries_equivocation(&log, &ours, theirs);
            self.handle_equivocation(proof, true);
        }
    }

    /// Checks an equivocation proof and, if it holds, freezes the log,
    /// gossips the proof, and (when this node found it) records it in the
    /// own ledger. Returns whether the proof holds.
    fn handle_equivocation(&mut self, proof: EquivocationProof, found_here: bool) -> bool {
        let Some(log) = federation::accused(&proof) else {
            return false;
        };
        let note = if proof.checkpoint_a.is_empty() {
            ""
        } else {
            proof.checkpoint_a.as_str()
        };
        let Some(key) = self.key_for(&log, note) else {
            return false;
        };
        if let Err(e) = check_equivocation(&proof, &key) {
            tracing::warn!(log = %hex::encode(log), error = %e, "an equivocation proof that proves nothing");
            return false;
        }
        let bytes = proof.encode_to_vec();
        match self.store.freeze(&log, &bytes) {
            Ok(true) => {}
            Ok(false) => return true,
            Err(e) => {
                tracing::error!(error = %e, "freezing a log");
                return true;
            }
        }
        tracing::warn!(log = %hex::encode(log), origin = key.name(), "the log signed two histories: frozen");
        self.status.equivocation();
        let _ = self
            .swarm
            .behaviour_mut()
            .gossipsub
            .publish(self.equivocations.clone(), bytes);
        if found_here {
            let store = self.store.clone();
            tokio::spawn(async move {
                if let Err(e) = store.append(Body::EquivocationProof(proof)).await {
                    tracing::error!(error = %e, "recording an equivocation proof");
                }
            });
        }
        true
    }

    async fn gossiped_equivocation(&mut self, data: &[u8]) -> MessageAcceptance {
        let Ok(proof) = EquivocationProof::decode(data) else {
            return MessageAcceptance::Reject;
        };
        if self.handle_equivocation(proof, false) {
            MessageAcceptance::Accept
        } else {
            MessageAcceptance::Reject
        }
    }

    /// Cosigns a child's checkpoint, as its witness.
    fn cosign(&self, body: &[u8]) -> WitnessResponse {
        match self.witness.add_checkpoint(body) {
            Ok(lines) => WitnessResponse {
                status: 200,
                body: lines,
            },
            Err(WitnessFailure::Refused(e)) => WitnessResponse {
                status: u32::from(e.http_status()),
                body: match e {
                    yiyi_protocol::witness::WitnessError::Conflict(size) => size.to_string(),
                    e => e.to_string(),
                },
            },
            Err(e) => WitnessResponse {
                status: 500,
                body: e.to_string(),
            },
        }
    }

    /// Keeps the parent's cosignature with the own checkpoint.
    fn cosigned(&mut self, note: &str, response: WitnessResponse) {
        match response.status {
            200 => {
                let size = parse_checkpoint(note).map(|(c, _)| c.size);
                match merge_cosignatures(note, &response.body) {
                    Ok(cosigned) => {
                        if self
                            .store
                            .set_known_checkpoint(&self.store.own_log(), &cosigned)
                            .is_ok()
                        {
                            self.parent_holds = size;
                            // Announce again, now with the cosignature.
                            self.announced = 0;
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "the parent's cosignature is malformed"),
                }
            }
            409 => self.parent_holds = response.body.trim().parse().ok(),
            status => {
                tracing::warn!(status, body = response.body, "the parent refused to cosign");
            }
        }
    }
}

/// Parses a signed checkpoint without checking signatures.
fn parse_checkpoint(note: &str) -> Option<(Checkpoint, SignedNote)> {
    let note = SignedNote::parse(note).ok()?;
    Some((Checkpoint::parse(note.text()).ok()?, note))
}

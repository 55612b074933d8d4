//! The event loop: one task owns the swarm and each concern's state, runs a
//! single `select!` over swarm events, store commits, a timer, fetched
//! entries stored and cosignatures made, and does what the concerns decide:
//! it sends their requests, reports their gossip verdicts, and writes what
//! they say to keep. Transport bookkeeping is here; the judgement is in the
//! concerns' modules. Nothing here waits for the disk: storing entries and
//! cosigning run beside the loop (at 1,551 offices in one process, loops
//! that awaited each commit stopped reading their peers, whose gossip to
//! them then backed up and was dropped).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance};
use libp2p::request_response::{self, Message, ResponseChannel};
use libp2p::swarm::SwarmEvent;
use libp2p::{PeerId, Swarm, identify};
use prost::Message as _;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use yiyi_protocol::merkle::Hash;
use yiyi_protocol::proto::{self, EquivocationProof, SyncResponse, entry::Body};

use super::checkpoints::{self, Checkpoints};
use super::connections::Connections;
use super::equivocation::{self, Judged};
use super::escalate::{self, Deliveries};
use super::gossip::Gossip;
use super::later::Later;
use super::limits::RateLimit;
use super::relay::{self, Located, Relay};
use super::status::NetStatus;
use super::sync::{self, Storing, SyncClient};
use super::witness::{self as witnessing, Cosigned, WitnessClient};

mod announcements;
mod replication;
use super::{Behaviour, BehaviourEvent, peer_of};
use crate::federation::Members;
use crate::office::Office;
use crate::store::{LogKey, Store};
use crate::witness::Witness;

/// Every this many ticks (10 s): redial what dropped.
const PERIODIC_TICKS: u64 = 20;
/// The own ledger is announced again, grown or not, once in this many
/// ticks (30 s): for whoever missed the last announcement (its hearers do
/// not check a repeat's signatures again). Every 10 s, these repeats were
/// most of what a federation at rest sent, and at 331 offices in one
/// process 30 s took a fifth off its CPU at rest (netbench, issue 20).
const ANNOUNCE_AGAIN_TICKS: u64 = 60;
/// For this many ticks (60 s) after a peer joined the own ledger's gossip
/// group, and after the node started, it announces again every
/// [`ANNOUNCE_AGAIN_SETTLING_TICKS`] (10 s) instead: an office that just
/// joined may have missed the last announcement, and a federation that is
/// forming should not wait 30 s for each one it missed.
const SETTLING_TICKS: u64 = 120;
const ANNOUNCE_AGAIN_SETTLING_TICKS: u64 = 20;

/// A peer's request to one of the protocols this node serves, with the
/// channel its answer goes back on.
enum Inbound {
    Sync(proto::SyncRequest, ResponseChannel<SyncResponse>),
    Witness(
        proto::WitnessRequest,
        ResponseChannel<proto::WitnessResponse>,
    ),
    Escalate(
        proto::EscalationDelivery,
        ResponseChannel<proto::EscalationReceipt>,
    ),
}

/// The task that owns the swarm.
pub(super) struct EventLoop {
    pub(super) swarm: Swarm<Behaviour>,
    pub(super) store: Store,
    pub(super) members: Members,
    pub(super) witness: Arc<Witness>,
    /// The office: signs receipts for escalations delivered here, holds the
    /// outbox of those sent from here, and sees every replicated entry.
    pub(super) office: Arc<Office>,
    pub(super) status: NetStatus,
    /// The topic older releases announce on (and hear from).
    pub(super) announcements: IdentTopic,
    /// The gossip groups' topics subscribed to, and the logs followed
    /// they were chosen for.
    pub(super) subscribed: std::collections::HashSet<gossipsub::TopicHash>,
    pub(super) subscribed_for: Vec<LogKey>,
    pub(super) equivocations: IdentTopic,
    /// Wakes the loop when the store committed something.
    pub(super) commits: tokio::sync::watch::Receiver<u64>,
    /// Sync, witness and escalation requests each peer may make.
    pub(super) requests: RateLimit,
    pub(super) ticks: u64,
    /// The tick at which a peer last joined the own ledger's gossip group.
    pub(super) group_joined: u64,
    pub(super) connections: Connections,
    pub(super) gossip: Gossip,
    /// Later releases met: said once each.
    pub(super) later: Later,
    pub(super) sync: SyncClient,
    pub(super) checkpoints: Checkpoints,
    /// Fetched entries being verified and stored.
    pub(super) storing: Storing,
    /// Cosignatures being made for children's checkpoints.
    pub(super) cosigning: witnessing::Cosigning,
    pub(super) witness_client: WitnessClient,
    pub(super) deliveries: Deliveries,
    /// Requests passed up for ledgers not kept here, and locates asked.
    pub(super) relay: Relay,
    /// Residents' requests (through the API) to locate an entry.
    pub(super) locates: mpsc::Receiver<(Hash, oneshot::Sender<Located>)>,
}

impl EventLoop {
    pub(super) async fn run(mut self, tick: Duration, stop: CancellationToken) {
        let mut timer = tokio::time::interval(tick);
        loop {
            tokio::select! {
                _ = stop.cancelled() => {
                    tracing::debug!("network stopped");
                    return;
                }
                // Announce the own ledger as soon as it grew.
                Ok(()) = self.commits.changed() => self.announce(false),
                event = self.swarm.select_next_some() => self.handle(event).await,
                _ = timer.tick() => self.tick(),
                Some((hash, reply)) = self.locates.recv() => self.locate(hash, reply),
                done = self.storing.stored() => self.stored(done),
                Some((channel, response)) = self.cosigning.next(), if !self.cosigning.is_empty() => {
                    let _ = self.swarm.behaviour_mut().witness.send_response(channel, response);
                }
            }
        }
    }

    fn tick(&mut self) {
        self.ticks += 1;
        let periodic = self.ticks.is_multiple_of(PERIODIC_TICKS);
        self.subscribe();
        let settling = self.ticks.saturating_sub(self.group_joined) < SETTLING_TICKS;
        self.announce(self.ticks.is_multiple_of(if settling {
            ANNOUNCE_AGAIN_SETTLING_TICKS
        } else {
            ANNOUNCE_AGAIN_TICKS
        }));
        self.catch_up();
        self.submit_checkpoint();
        self.deliver_due();
        self.members.end_visits();
        let expired = self.gossip.expire();
        if !expired.is_empty() {
            self.status.announcements_expired(expired.len() as u64);
        }
        self.report(expired);
        if periodic {
            self.report_groups();
        }
        if periodic || self.ticks == 2 {
            let own = self.store.own_log();
            for address in self.connections.to_redial(&self.members, own) {
                let _ = self.swarm.dial(address);
            }
        }
        if self.connections.changed() {
            self.status.set_peers(self.connections.snapshot());
            self.members.set_neighbours(self.connections.writer_logs());
        }
    }

    /// The logs to replicate now: followed and not frozen.
    fn follows(&self) -> Vec<LogKey> {
        let own = self.store.own_log();
        // One scan of the frozen (usually none), not a read per log.
        let frozen: std::collections::HashSet<LogKey> = self
            .store
            .frozen_logs()
            .map(|f| f.into_iter().map(|(log, _)| log).collect())
            .unwrap_or_default();
        self.members
            .follows()
            .into_iter()
            .filter(|log| *log != own && !frozen.contains(log))
            .collect()
    }

    fn catch_up(&mut self) {
        let logs = self.follows();
        let peers = self.connections.peers();
        let (store, connections, checkpoints) = (&self.store, &self.connections, &self.checkpoints);
        let (members, status) = (&self.members, &self.status);
        let tick = self.ticks;
        let asks = self.sync.due(
            tick,
            logs,
            &peers,
            |log| {
                status
                    .heard_of(log)
                    .is_some_and(|heard| heard > store.held(log))
            },
            // The log's own node if connected: it surely has it; else, every
            // other tick, the peer that announced how far it reaches; else
            // the office next on the way to the log, if connected (the child
            // whose subtree keeps it, or the parent, which relays a log it
            // does not keep); peers in turn only when none is.
            |log| {
                connections.writer_of(log).or_else(|| {
                    checkpoints
                        .announcer(log)
                        .filter(|p| connections.is_connected(p) && tick.is_multiple_of(2))
                        .or_else(|| {
                            members
                                .toward(log)
                                .and_then(|next| connections.writer_of(&next))
                        })
                })
            },
        );
        for (peer, log) in asks {
            self.request(peer, log);
        }
    }

    /// Submits the own checkpoint to the parent for cosigning when it grew
    /// past what the parent holds.
    fn submit_checkpoint(&mut self) {
        let Some(parent) = self.parent_peer() else {
            return;
        };
        if let Some((request, checkpoint)) = self.witness_client.submission(&self.store) {
            let id = self
                .swarm
                .behaviour_mut()
                .witness
                .send_request(&parent, request);
            self.witness_client.sent(id, checkpoint);
        }
    }

    /// The parent's node, if connected.
    fn parent_peer(&self) -> Option<PeerId> {
        self.witness
            .parent()
            .and_then(|p| self.connections.writer_of(&p))
    }

    /// A resident asked where the entry `hash` is: asked of the parent, up
    /// to the root (see `relay`).
    fn locate(&mut self, hash: Hash, reply: oneshot::Sender<Located>) {
        if let Ok(Some((log, _, _))) = self.store.entry_by_hash(&hash) {
            let _ = reply.send(Some(log));
            return;
        }
        match self.parent_peer().filter(|_| self.relay.may_locate()) {
            Some(parent) => {
                let request = proto::SyncRequest {
                    entry: hash.as_bytes().to_vec(),
                    ..Default::default()
                };
                let id = self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_request(&parent, request);
                self.relay.locating(id, reply);
            }
            None => {
                let _ = reply.send(None);
            }
        }
    }

    fn deliver_due(&mut self) {
        for delivery in self.deliveries.due(&self.office, &self.connections) {
            let id = self
                .swarm
                .behaviour_mut()
                .escalate
                .send_request(&delivery.peer, delivery.request.clone());
            self.deliveries.sent(id, &delivery);
        }
    }

    async fn handle(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::ConnectionEstablished {
                peer_id, endpoint, ..
            } => {
                self.connections
                    .established(peer_id, endpoint.get_remote_address().clone());
                // A (re)connection: catch up on everything.
                let logs = self.follows();
                self.sync.reconnected(&peer_id, logs);
                tracing::trace!(%peer_id, "connection established");
                self.catch_up();
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.connections.closed(&peer_id);
                if Some(peer_id) == self.witness.parent().and_then(|p| peer_of(&p)) {
                    self.witness_client.failed();
                }
            }
            // Said once per failed dial (a redial is every 10 s at most),
            // so an office's log says why it cannot reach a peer.
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                tracing::info!(peer = ?peer_id, %error, "a dial failed");
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::SlowPeer {
                peer_id,
                failed_messages,
            })) => {
                let unsent = (failed_messages.priority + failed_messages.non_priority) as u64;
                tracing::debug!(peer = %peer_id, unsent, "gossip to a slow peer dropped");
                self.status.gossip_unsent(unsent);
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Subscribed {
                topic,
                ..
            })) => self.joined(&topic),
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source: source,
                message_id,
                message,
            })) => {
                self.status.message();
                let acceptance = if !self.gossip.allow(source) {
                    tracing::debug!(peer = %source, "gossip over the rate limit ignored");
                    self.status.gossip_ignored();
                    Some(MessageAcceptance::Ignore)
                } else if message.topic == self.equivocations.hash() {
                    let holds = EquivocationProof::decode(message.data.as_slice())
                        .is_ok_and(|proof| self.equivocation(proof, false));
                    Some(if holds {
                        MessageAcceptance::Accept
                    } else {
                        MessageAcceptance::Reject
                    })
                } else {
                    self.announced(source, &message_id, &message.data)
                };
                if let Some(acceptance) = acceptance {
                    self.report(vec![(message_id, source, acceptance)]);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Sync(request_response::Event::Message {
                peer,
                message,
                ..
            })) => {
                self.status.message();
                match message {
                    Message::Request {
                        request, channel, ..
                    } => self.inbound(peer, Inbound::Sync(request, channel)).await,
                    Message::Response {
                        request_id,
                        response,
                    } => match self.relay.answered(&self.members, &request_id, response) {
                        Ok(Some((channel, response))) => {
                            let _ = self
                                .swarm
                                .behaviour_mut()
                                .sync
                                .send_response(channel, response);
                        }
                        Ok(None) => {}
                        Err(response) => self.answered(peer, request_id, response),
                    },
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Sync(
                request_response::Event::OutboundFailure {
                    request_id, error, ..
                },
            )) => {
                if let Some(channel) = self.relay.failed(&request_id) {
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .sync
                        .send_response(channel, SyncResponse::default());
                }
                if self.sync.failed(&request_id) {
                    self.status.sync_failed();
                }
                tracing::debug!(%error, "sync request failed");
            }
            SwarmEvent::Behaviour(BehaviourEvent::Witness(request_response::Event::Message {
                peer,
                message,
                ..
            })) => match message {
                Message::Request {
                    request, channel, ..
                } => self.inbound(peer, Inbound::Witness(request, channel)).await,
                Message::Response { response, .. } => {
                    if let Cosigned::Keep(cosigned) = self.witness_client.answered(response)
                        && checkpoints::keep(
                            &self.store,
                            &self.members,
                            &self.store.own_log(),
                            &cosigned,
                        )
                        .is_ok()
                    {
                        self.witness_client.kept(cosigned.size());
                        // Announce again, now with the cosignature.
                        self.gossip.announce_again();
                    }
                }
            },
            SwarmEvent::Behaviour(BehaviourEvent::Witness(
                request_response::Event::OutboundFailure { error, .. },
            )) => {
                self.witness_client.failed();
                tracing::debug!(%error, "witness request failed");
            }
            SwarmEvent::Behaviour(BehaviourEvent::Escalate(request_response::Event::Message {
                peer,
                message,
                ..
            })) => match message {
                Message::Request {
                    request, channel, ..
                } => {
                    self.inbound(peer, Inbound::Escalate(request, channel))
                        .await
                }
                Message::Response {
                    request_id,
                    response,
                } => self
                    .deliveries
                    .answered(&self.office, &request_id, response),
            },
            SwarmEvent::Behaviour(BehaviourEvent::Escalate(
                request_response::Event::OutboundFailure {
                    request_id, error, ..
                },
            )) => {
                tracing::debug!(%error, "escalation delivery failed");
                self.deliveries.failed(&self.office, &request_id);
            }
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                let release = self.later.peer(peer_id, &info.agent_version);
                self.connections.identified(peer_id, release);
            }
            _ => {}
        }
    }

    /// Answers a peer's request to a protocol this node serves. The rate
    /// limit is checked here, once for all three: over it, each protocol's
    /// refusal goes back at once (an empty sync answer, a 429, a refused
    /// receipt), so the peer learns nothing and asks again later without
    /// waiting for a timeout.
    async fn inbound(&mut self, peer: PeerId, request: Inbound) {
        let allowed = self.requests.allow(peer);
        if !allowed {
            tracing::debug!(%peer, "request over the rate limit");
        }
        // A sync request for what this node neither holds nor keeps goes
        // to its parent (see `relay`).
        let forward = match &request {
            Inbound::Sync(request, _) if allowed => {
                match self.relay.inbound(&self.store, &self.members, request) {
                    relay::Inbound::Forward => self.parent_peer(),
                    relay::Inbound::Serve => None,
                }
            }
            _ => None,
        };
        let behaviour = self.swarm.behaviour_mut();
        match request {
            Inbound::Sync(request, channel) => {
                let response = match (allowed, forward) {
                    (false, _) => SyncResponse::default(),
                    (true, Some(parent)) => {
                        let id = behaviour.sync.send_request(&parent, request);
                        self.relay.forwarded(id, channel);
                        return;
                    }
                    (true, None) if !request.entry.is_empty() => {
                        relay::locate_here(&self.store, &self.members, &request.entry)
                    }
                    (true, None) => sync::serve(&self.store, &request),
                };
                let _ = behaviour.sync.send_response(channel, response);
            }
            Inbound::Witness(request, channel) if allowed => {
                witnessing::cosign_later(
                    &mut self.cosigning,
                    self.witness.clone(),
                    request,
                    channel,
                );
            }
            Inbound::Witness(_, channel) => {
                let _ = behaviour
                    .witness
                    .send_response(channel, witnessing::too_many());
            }
            Inbound::Escalate(delivery, channel) => {
                let receipt = match allowed {
                    true => escalate::receive(&self.office, &self.members, peer, delivery).await,
                    false => escalate::refusal(peer, "too many requests; try again later".into()),
                };
                let _ = behaviour.escalate.send_response(channel, receipt);
            }
        }
    }

    /// Checks an equivocation proof and, if it holds and is new, freezes
    /// the log, gossips the proof, and (when this node found it) records it
    /// in the own ledger. Returns whether the proof holds.
    fn equivocation(&mut self, proof: EquivocationProof, found_here: bool) -> bool {
        match equivocation::judge(&self.store, &self.members, &proof) {
            Judged::Invalid => false,
            Judged::Known => true,
            Judged::Frozen(bytes) => {
                self.status.equivocation();
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .gossipsub
                    .publish(self.equivocations.clone(), bytes);
                if found_here {
                    // Written through the office, as every record is: the
                    // rules check it under the office's lock and its state
                    // sees it in order.
                    let office = self.office.clone();
                    tokio::spawn(async move {
                        if let Err(e) = office.record(Body::EquivocationProof(proof), "").await {
                            tracing::error!(error = %e, "recording an equivocation proof");
                        }
                    });
                }
                true
            }
        }
    }
}

//! What the network task reports to the rest of the node (the API, metrics):
//! connected peers, how far each log is known to reach, and counts of what
//! was refused. The task writes it; readers take a snapshot.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use serde::Serialize;

use crate::store::LogKey;

/// A connected peer.
#[derive(Debug, Clone, Serialize)]
pub struct PeerInfo {
    /// Its peer id.
    pub peer: String,
    /// The addresses of its connections.
    pub addresses: Vec<String>,
    /// The yiyi release it runs, as it says in identify (`None` until it
    /// said, or if it is not a yiyi node).
    pub version: Option<String>,
}

/// How far a log is known to reach.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct LogProgress {
    /// The largest size any peer or checkpoint has shown.
    pub heard: u64,
    /// How many of its announcements came here (gossip).
    pub announcements: u64,
}

#[derive(Default)]
struct Inner {
    peers: Vec<PeerInfo>,
    logs: BTreeMap<LogKey, LogProgress>,
    refused: u64,
    gossip_ignored: u64,
    gossip_unsent: u64,
    announcements_expired: u64,
    sync_failed: u64,
    sync_slow: u64,
    subscribed: Vec<String>,
    subscribers: BTreeMap<String, Vec<String>>,
    equivocations: u64,
    messages: u64,
}

/// A shared view of the network task's state; cheap to clone.
#[derive(Clone, Default)]
pub struct NetStatus(Arc<RwLock<Inner>>);

impl NetStatus {
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn set_peers(&self, peers: Vec<PeerInfo>) {
        self.write().peers = peers;
    }

    pub(crate) fn heard(&self, log: LogKey, size: u64) {
        let mut inner = self.write();
        let progress = inner.logs.entry(log).or_default();
        progress.heard = progress.heard.max(size);
    }

    /// An announcement of `log` came.
    pub(crate) fn announced(&self, log: LogKey) {
        self.write().logs.entry(log).or_default().announcements += 1;
    }

    pub(crate) fn refused(&self) {
        self.write().refused += 1;
    }

    pub(crate) fn gossip_ignored(&self) {
        self.write().gossip_ignored += 1;
    }

    /// Gossip messages libp2p could not hand to a slow peer in time.
    pub(crate) fn gossip_unsent(&self, messages: u64) {
        self.write().gossip_unsent += messages;
    }

    /// Announcements held back whose entries did not come in time.
    pub(crate) fn announcements_expired(&self, announcements: u64) {
        self.write().announcements_expired += announcements;
    }

    /// A sync request of this node's went unanswered (timed out, refused,
    /// the connection closed).
    pub(crate) fn sync_failed(&self) {
        self.write().sync_failed += 1;
    }

    /// A sync request of this node's was answered after more than a
    /// second.
    pub(crate) fn sync_slow(&self) {
        self.write().sync_slow += 1;
    }

    /// The gossip topics this node is in, and those its peers said they
    /// are in (with those peers).
    pub(crate) fn set_groups(
        &self,
        subscribed: Vec<String>,
        subscribers: BTreeMap<String, Vec<String>>,
    ) {
        let mut inner = self.write();
        inner.subscribed = subscribed;
        inner.subscribers = subscribers;
    }

    pub(crate) fn equivocation(&self) {
        self.write().equivocations += 1;
    }

    /// A message from a peer handled: a gossip message, or a sync request
    /// or response.
    pub(crate) fn message(&self) {
        self.write().messages += 1;
    }

    /// The connected peers.
    pub fn peers(&self) -> Vec<PeerInfo> {
        self.read().peers.clone()
    }

    /// The largest size heard of each log.
    pub fn logs(&self) -> BTreeMap<LogKey, LogProgress> {
        self.read().logs.clone()
    }

    /// The largest size heard of `log`, if any was.
    pub(crate) fn heard_of(&self, log: &LogKey) -> Option<u64> {
        self.read().logs.get(log).map(|p| p.heard)
    }

    /// How many entries, checkpoints and messages were refused.
    pub fn refused_count(&self) -> u64 {
        self.read().refused
    }

    /// How many gossip messages were ignored (neither checked nor
    /// forwarded) for coming faster than a peer's gossip rate.
    pub fn gossip_ignored_count(&self) -> u64 {
        self.read().gossip_ignored
    }

    /// How many gossip messages (own, forwarded or control) were dropped
    /// because a peer's connection could not take them in time.
    pub fn gossip_unsent_count(&self) -> u64 {
        self.read().gossip_unsent
    }

    /// How many announcements were not passed on because their entries did
    /// not arrive here in time (the entries still come by sync).
    pub fn announcements_expired_count(&self) -> u64 {
        self.read().announcements_expired
    }

    /// How many of this node's sync requests went unanswered (timed out,
    /// refused, the connection closed): each holds back the log it asked
    /// for until the next try.
    pub fn sync_failed_count(&self) -> u64 {
        self.read().sync_failed
    }

    /// How many of this node's sync requests were answered after more than
    /// a second.
    pub fn sync_slow_count(&self) -> u64 {
        self.read().sync_slow
    }

    /// The gossip topics this node is in, as of the last few seconds: with
    /// [`NetStatus::subscribers`], for finding where announcements stop.
    pub fn subscribed(&self) -> Vec<String> {
        self.read().subscribed.clone()
    }

    /// Each gossip topic a connected peer said it subscribed to, with those
    /// peers (ids), as of the last few seconds.
    pub fn subscribers(&self) -> BTreeMap<String, Vec<String>> {
        self.read().subscribers.clone()
    }

    /// How many peer messages (gossip, sync requests and responses) this
    /// node handled: what a notice costs it, counted by the benchmarks.
    pub fn message_count(&self) -> u64 {
        self.read().messages
    }

    /// How many equivocations this node found or learnt of.
    pub fn equivocation_count(&self) -> u64 {
        self.read().equivocations
    }
}

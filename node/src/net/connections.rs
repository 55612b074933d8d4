//! Connections and redialling: which peers are connected (with their
//! addresses, for `/api/v1/peers`), and whom to dial when a link dropped.

use std::collections::HashMap;

use libp2p::{Multiaddr, PeerId};
use yiyi_protocol::Release;

use super::peer_in;
use super::status::PeerInfo;
use crate::federation::Members;
use crate::store::LogKey;

/// The peers connected, and the ones configured to be.
pub(super) struct Connections {
    /// Peers given at start (`--peer`), redialled when they drop.
    configured: Vec<Multiaddr>,
    connected: HashMap<PeerId, Vec<Multiaddr>>,
    /// The connected peers by the log their key writes, found once per
    /// connection (a key from a peer id costs a point decompression, and
    /// the root asks after each of its thousand logs every tick).
    writers: HashMap<LogKey, PeerId>,
    /// The release each connected yiyi peer says it runs (identify).
    releases: HashMap<PeerId, Release>,
    /// Whether any of the above changed since [`Connections::changed`] was
    /// last asked: the status and the neighbours are told only then (every
    /// tick cost a thousand-office root its peers' ids in base58).
    changed: bool,
}

impl Connections {
    pub(super) fn new(configured: Vec<Multiaddr>) -> Connections {
        Connections {
            configured,
            connected: HashMap::new(),
            writers: HashMap::new(),
            releases: HashMap::new(),
            changed: true,
        }
    }

    /// Whether the connections changed since the last time this was asked.
    pub(super) fn changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    /// A connection to `peer` at `address` was set up.
    pub(super) fn established(&mut self, peer: PeerId, address: Multiaddr) {
        if !self.connected.contains_key(&peer)
            && let Some(log) = super::log_of_peer(&peer)
        {
            self.writers.insert(log, peer);
        }
        self.connected.entry(peer).or_default().push(address);
        self.changed = true;
    }

    /// The last connection to `peer` closed.
    pub(super) fn closed(&mut self, peer: &PeerId) {
        self.connected.remove(peer);
        self.writers.retain(|_, p| p != peer);
        self.releases.remove(peer);
        self.changed = true;
    }

    /// The logs of the connected peers (each a node's own).
    pub(super) fn writer_logs(&self) -> impl Iterator<Item = LogKey> + '_ {
        self.writers.keys().copied()
    }

    /// `peer` identified itself as running `release` (`None`: not yiyi).
    pub(super) fn identified(&mut self, peer: PeerId, release: Option<Release>) {
        if let Some(release) = release.filter(|_| self.is_connected(&peer)) {
            self.releases.insert(peer, release);
            self.changed = true;
        }
    }

    pub(super) fn is_connected(&self, peer: &PeerId) -> bool {
        self.connected.contains_key(peer)
    }

    pub(super) fn is_empty(&self) -> bool {
        self.connected.is_empty()
    }

    /// The connected peers.
    pub(super) fn peers(&self) -> Vec<PeerId> {
        self.connected.keys().copied().collect()
    }

    /// Whether a connected peer runs a release before `release`.
    pub(super) fn any_before(&self, release: &str) -> bool {
        let Ok(release) = release.parse::<Release>() else {
            return false;
        };
        self.releases.values().any(|r| *r < release)
    }

    /// The node that writes `log`, if it is connected: it surely has it.
    pub(super) fn writer_of(&self, log: &LogKey) -> Option<PeerId> {
        self.writers.get(log).copied()
    }

    /// What the status shows.
    pub(super) fn snapshot(&self) -> Vec<PeerInfo> {
        self.connected
            .iter()
            .map(|(peer, addresses)| PeerInfo {
                peer: peer.to_string(),
                addresses: addresses.iter().map(|a| a.to_string()).collect(),
                version: self.releases.get(peer).map(|r| r.to_string()),
            })
            .collect()
    }

    /// The addresses to dial now: configured peers, and the parent and
    /// children whose charters give addresses, when not connected to them.
    pub(super) fn to_redial(&self, members: &Members, own: LogKey) -> Vec<Multiaddr> {
        // A configured peer named by its peer id is redialled whenever it
        // is not connected: a street whose communities dialled it first
        // must still reach its district. One given by address alone only
        // when nothing is connected (it may be any of the peers).
        let mut targets: Vec<Multiaddr> = self
            .configured
            .iter()
            .filter(|address| match peer_in(address) {
                Some(peer) => !self.is_connected(&peer),
                None => self.is_empty(),
            })
            .cloned()
            .collect();
        let kin: Vec<Vec<String>> = members.with(|f| {
            f.members()
                .filter(|(log, m)| {
                    (m.parent == Some(own) || f.parent(&own) == Some(**log)) && f.accepts(log)
                })
                .filter(|(log, _)| !self.writers.contains_key(*log))
                .map(|(_, m)| m.addresses.clone())
                .collect()
        });
        targets.extend(kin.into_iter().flatten().filter_map(|a| a.parse().ok()));
        targets
    }
}

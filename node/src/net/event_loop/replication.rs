//! The event loop's replication: asking peers for the entries of the logs
//! it follows, handing what they send to be verified and stored off the
//! loop ([`Storing`](crate::net::sync::Storing)), and acting on each
//! response once stored — the views see its entries, its checkpoint is
//! judged, and more is asked for if the peer has more.

use libp2p::PeerId;
use libp2p::request_response::OutboundRequestId;
use yiyi_protocol::checkpoint::SignedCheckpoint;
use yiyi_protocol::proto::{SyncResponse, entry::Body};
use yiyi_protocol::{Reading, entry};

use super::EventLoop;
use crate::net::checkpoints::Waiting;
use crate::net::sync::{Done, Fetched, Pending};
use crate::store::LogKey;

impl EventLoop {
    /// Asks `peer` for the entries of `log` past those held or being
    /// stored, unless they are being fetched already (from this peer, or
    /// from another not long ago: see `HEDGE_AFTER`).
    pub(super) fn request(&mut self, peer: PeerId, log: LogKey) {
        if self.sync.may_fetch(&log, &peer) {
            let from = self.storing.next(&log);
            self.send_sync(peer, log, from, None);
        }
    }

    /// Fetches the peer's entry `sequence` of `log`, to compare with ours.
    pub(super) fn probe(&mut self, peer: PeerId, log: LogKey, sequence: u64) {
        if !self.sync.probing(&log) {
            self.send_sync(peer, log, sequence, Some(sequence));
        }
    }

    fn send_sync(&mut self, peer: PeerId, log: LogKey, from: u64, probe: Option<u64>) {
        let request = self.sync.request(peer, log, from, probe.is_some());
        let id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
        self.sync.sent(
            id,
            Pending {
                peer,
                log,
                from,
                probe,
                sent: std::time::Instant::now(),
            },
        );
    }

    /// The answer to one of the node's own sync requests.
    pub(super) fn answered(&mut self, peer: PeerId, id: OutboundRequestId, response: SyncResponse) {
        let pending = self.sync.answered(&id);
        if pending.is_some_and(|p| p.sent.elapsed() > std::time::Duration::from_secs(1)) {
            self.status.sync_slow();
        }
        match pending {
            Some(Pending {
                log,
                probe: Some(sequence),
                ..
            }) => self.compare(log, sequence, &response),
            Some(Pending {
                log,
                from,
                probe: None,
                ..
            }) => self.replicate(peer, log, from, response),
            None => {}
        }
    }

    /// Hands fetched entries to be verified and stored, and, if the peer
    /// holds more, asks for the next ones at once: the network fetches
    /// while the store works.
    fn replicate(&mut self, peer: PeerId, log: LogKey, from: u64, response: SyncResponse) {
        if !self.members.accepts(&log) {
            if !response.entries.is_empty() {
                tracing::warn!(%peer, log = %log, "entries of a log without a charter chain to the district: refused");
                self.status.refused();
            }
            return;
        }
        let next = from + response.entries.len() as u64;
        let more = !response.entries.is_empty() && next < response.size;
        self.storing.push(Fetched {
            peer,
            log,
            from,
            response,
        });
        if more && !self.sync.fetching(&log) {
            self.send_sync(peer, log, next, None);
        }
    }

    /// A response stored: lets every view see its entries, checks the
    /// log's checkpoint against them, and asks for more if the peer has
    /// them.
    pub(super) fn stored(&mut self, done: Done) {
        let Done {
            fetched:
                Fetched {
                    peer,
                    log,
                    response,
                    ..
                },
            received,
            stored,
        } = done;
        for (appended, bytes) in &stored.entries {
            self.observe(log, appended, bytes);
        }
        if let Some(at) = stored.diverged_at {
            // Validly signed, but not after our entries: the peer holds
            // another history. Compare the entries before.
            tracing::warn!(%peer, log = %log, sequence = at, "an entry that does not follow the log held");
            if at > 0 {
                self.probe(peer, log, at - 1);
            }
        }
        if stored.refused {
            self.status.refused();
        }
        if !response.checkpoint.is_empty() {
            match SignedCheckpoint::parse(&response.checkpoint) {
                Ok(checkpoint) => {
                    self.consider(peer, log, checkpoint);
                }
                Err(_) => self.status.refused(),
            }
        }
        let held = self.store.held(&log);
        let count = stored.entries.len();
        self.status.heard(log, response.size);
        if count > 0 {
            self.sync.some_held(&log);
            let ready = self.gossip.release(&log, held);
            self.report(ready);
        }
        if count > 0 && held < response.size {
            self.request(peer, log);
        } else if received == 0 && response.size < held.max(1) {
            // This peer holds less than this node (or nothing): ask one
            // not asked yet since the last round. One that holds as much
            // answers for the round: sweeping every peer about every log
            // was most of what a federation at rest sent (a district asked
            // each of its 30 streets about each of its 331 logs each
            // minute).
            if let Some(next) = self.sync.untried(&log, &self.connections.peers()) {
                self.request(next, log);
            } else if held == 0 && self.is_parent_of(peer, &log) {
                // Nobody asked has any of it yet, the log's parent office
                // included: a member just chartered, whose ledger its
                // parent is fetching now. Ask the parent again soon, not
                // at the next round. (Only the parent: a forming city
                // re-asking its districts about every community took
                // twice as long to form.)
                self.sync.none_held(log, self.ticks);
            }
        }
        // A checkpoint announced further than this: check it once reached,
        // else ask the peer that announced it (it holds the entries).
        match self.checkpoints.waiting(&log, held) {
            Waiting::Reached(from, checkpoint) => {
                self.consider(from, log, checkpoint);
            }
            Waiting::Further(from) if self.connections.is_connected(&from) => {
                self.request(from, log);
            }
            Waiting::Further(_) | Waiting::None => {}
        }
    }

    /// Whether `peer` is the node of the office that admitted `log`.
    fn is_parent_of(&self, peer: PeerId, log: &LogKey) -> bool {
        self.members
            .parent(log)
            .is_some_and(|parent| self.connections.writer_of(&parent) == Some(peer))
    }

    /// A replicated entry stored: equivocation proofs recorded by others
    /// freeze the accused log; the office's views (the federation, the
    /// escalated matters) take in the rest.
    fn observe(&mut self, log: LogKey, appended: &crate::store::Appended, bytes: &[u8]) {
        // Stored entries were verified; a later release's record is kept
        // and forwarded but never read.
        let body = match entry::unverified(bytes) {
            Ok((_, Reading::Newer { reader_version })) => {
                self.later.record(log, appended.sequence, &reader_version);
                return;
            }
            Ok((entry, Reading::Known)) => entry.body,
            Err(_) => None,
        };
        let Some(body) = body else {
            return;
        };
        if let Body::EquivocationProof(proof) = &body {
            self.equivocation(proof.clone(), false);
        }
        let at = *appended;
        if self.office.observe_replica(&log, at, &body) {
            tracing::info!(log = %log, sequence = at.sequence, "the federation changed");
        }
    }

    /// Compares the peer's entry `sequence` of `log` with ours.
    fn compare(&mut self, log: LogKey, sequence: u64, response: &SyncResponse) {
        let (Some(theirs), Ok(Some(ours))) =
            (response.entries.first(), self.store.entry(&log, sequence))
        else {
            return;
        };
        if *theirs != ours {
            let proof = yiyi_protocol::federation::entries_equivocation(&log, &ours, theirs);
            self.equivocation(proof, true);
        }
    }
}

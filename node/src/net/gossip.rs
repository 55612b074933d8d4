//! Announcement gossip: a node announces its own ledger when it grew (its
//! signed checkpoint), and passes on others' announcements only once they
//! are judged: a log of the federation, signed by the log's key, and its
//! entries held here, so that whoever hears it from this node can fetch
//! from it. An announcement of entries not held yet is held back until
//! they are stored, or dropped when they do not come.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libp2p::PeerId;
use libp2p::gossipsub::{MessageAcceptance, MessageId};
use prost::Message;
use yiyi_protocol::checkpoint::SignedCheckpoint;
use yiyi_protocol::proto::Announcement;

use super::limits::RateLimit;
use crate::store::LogKey;

/// Gossip messages taken from one peer per second; past it they are
/// ignored (neither checked nor forwarded: the entries still come by sync).
/// A street forwards its communities' announcements, a few per commit.
const GOSSIP_PER_SECOND: u32 = 200;
/// Announcements of one log held back at once, waiting for their entries;
/// past it they are ignored (the entries are being fetched anyway).
const MAX_AWAITING_PER_LOG: usize = 16;
/// How long an announcement may wait for its entries.
const AWAIT_ENTRIES: Duration = Duration::from_secs(10);

/// A validation result to report to gossipsub.
pub(super) type Report = (MessageId, PeerId, MessageAcceptance);

/// A gossiped announcement, decoded.
pub(super) struct Heard {
    /// The log announced.
    pub(super) log: LogKey,
    /// Its signed checkpoint, parsed (not verified yet).
    pub(super) checkpoint: Option<SignedCheckpoint>,
}

/// A gossiped announcement held back until its entries are stored.
struct Awaiting {
    message: MessageId,
    source: PeerId,
    size: u64,
    since: Instant,
}

/// The announcement gossip's state.
pub(super) struct Gossip {
    /// The size of the own ledger last announced.
    announced: u64,
    /// Gossip messages each peer may send.
    limit: RateLimit,
    /// Announcements of entries not held yet.
    awaiting: HashMap<LogKey, Vec<Awaiting>>,
}

impl Gossip {
    pub(super) fn new() -> Gossip {
        Gossip {
            announced: 0,
            limit: RateLimit::new(GOSSIP_PER_SECOND),
            awaiting: HashMap::new(),
        }
    }

    /// The own ledger's announcement, if it grew since the last one (or
    /// `again`, for peers that joined since).
    pub(super) fn announcement(
        &self,
        own: LogKey,
        size: u64,
        checkpoint: Option<&SignedCheckpoint>,
        again: bool,
    ) -> Option<Announcement> {
        if !self.due(size, again) {
            return None;
        }
        Some(Announcement {
            log: own.to_vec(),
            size,
            checkpoint: checkpoint.map(|c| c.to_string()).unwrap_or_default(),
            time_ms: crate::now_ms(),
        })
    }

    /// Whether the own ledger of `size` entries is to be announced: it grew
    /// since the last announcement, or `again` anyway.
    pub(super) fn due(&self, size: u64, again: bool) -> bool {
        size != 0 && (size != self.announced || again)
    }

    /// The announcement of `size` went out.
    pub(super) fn announced(&mut self, size: u64) {
        self.announced = size;
    }

    /// Announce again at the next chance (the checkpoint was cosigned).
    pub(super) fn announce_again(&mut self) {
        self.announced = 0;
    }

    /// Whether `peer` may send one more message now.
    pub(super) fn allow(&mut self, peer: PeerId) -> bool {
        self.limit.allow(peer)
    }

    /// Decodes an announcement; `None`: malformed (rejected).
    pub(super) fn decode(data: &[u8]) -> Option<Heard> {
        let announcement = Announcement::decode(data).ok()?;
        let log = LogKey::try_from(announcement.log.as_slice()).ok()?;
        Some(Heard {
            log,
            checkpoint: SignedCheckpoint::parse(&announcement.checkpoint).ok(),
        })
    }

    /// An announcement of `log` reaching `size` that checks out, while
    /// `held` entries are held: accepted at once if they are, else held
    /// back (`None`: decided once they are fetched), or ignored if too many
    /// already wait.
    pub(super) fn judge(
        &mut self,
        message: &MessageId,
        source: PeerId,
        log: LogKey,
        size: u64,
        held: u64,
    ) -> Option<MessageAcceptance> {
        if size <= held {
            return Some(MessageAcceptance::Accept);
        }
        let awaiting = self.awaiting.entry(log).or_default();
        if awaiting.len() >= MAX_AWAITING_PER_LOG {
            return Some(MessageAcceptance::Ignore);
        }
        awaiting.push(Awaiting {
            message: message.clone(),
            source,
            size,
            since: Instant::now(),
        });
        None
    }

    /// The announcements of `log` whose entries are now held: to accept
    /// (forward).
    pub(super) fn release(&mut self, log: &LogKey, held: u64) -> Vec<Report> {
        let Some(waiting) = self.awaiting.get_mut(log) else {
            return Vec::new();
        };
        let (ready, rest): (Vec<Awaiting>, Vec<Awaiting>) =
            waiting.drain(..).partition(|a| a.size <= held);
        *waiting = rest;
        ready
            .into_iter()
            .map(|a| (a.message, a.source, MessageAcceptance::Accept))
            .collect()
    }

    /// The announcements whose entries never came: to ignore (drop).
    pub(super) fn expire(&mut self) -> Vec<Report> {
        let mut expired = Vec::new();
        for waiting in self.awaiting.values_mut() {
            waiting.retain(|a| {
                let keep = a.since.elapsed() < AWAIT_ENTRIES;
                if !keep {
                    expired.push((a.message.clone(), a.source, MessageAcceptance::Ignore));
                }
                keep
            });
        }
        self.awaiting.retain(|_, w| !w.is_empty());
        expired
    }
}

//! `/yiyi/sync/1`: fetching the entries a node lacks, and serving them.
//!
//! The client asks connected peers for what the node lacks: every tick for
//! the logs known to have grown past what is held (announcements say so),
//! for every followed log after a (re)connection and every so often in case
//! an announcement was missed, and at once for a log the federation gains. Logs
//! are spread over the peers, rotating each tick, so that a peer that lacks
//! a log too does not hold the node back, and no peer gets more than
//! [`MAX_REQUESTS_PER_TICK`] at once; the rest wait for the next tick.
//! What they send is verified and stored beside the event loop
//! ([`Storing`]). The server answers from the store.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use libp2p::PeerId;
use libp2p::request_response::OutboundRequestId;
use tokio::sync::oneshot;
use yiyi_protocol::EntryError;
use yiyi_protocol::proto::{SyncRequest, SyncResponse};

use super::codec::MAX_RESPONSE_BYTES;
use crate::store::{Appended, LogKey, Store, StoreError};

/// Most sync requests sent to one peer per tick.
const MAX_REQUESTS_PER_TICK: usize = 128;
/// Most sync requests to one peer unanswered at once: below libp2p's limit
/// of concurrent streams on a connection (100), past which the peer drops
/// them and the logs waited for the next round (a forming root asked its
/// districts for hundreds of ledgers at once and learnt ten offices a
/// second).
const MAX_IN_FLIGHT_PER_PEER: usize = 64;
/// How long a fetch of a log may go unanswered before the log is asked of
/// another peer as well (a hedged request): an announcement or a tick that
/// finds a log grown asks the peer it names even though a fetch is out, if
/// that fetch went to someone else this long ago. A notice at 1,551 nodes
/// waited 9 s at its street behind a request that was never answered
/// (held until libp2p's 10 s timeout).
const HEDGE_AFTER: Duration = Duration::from_secs(1);
/// Most fetches of one log out at once (the first and one hedge).
const MAX_FETCHES_PER_LOG: usize = 2;
/// Most entries sent in one sync response.
pub const MAX_ENTRIES_PER_RESPONSE: u32 = 1024;
/// Every followed log is asked about once a round, a safety net under the
/// announcements (each node announces its ledger again every 30 s, which
/// costs no stream): a round is this many ticks (60 s), or longer for a
/// node that follows more than [`ROUND_LOGS_PER_TICK`] logs a tick (a root
/// follows every ledger of the federation: 1,551 logs make a round of
/// 97 s). At 1,551 offices a round of 10 s was 760 requests a second, each
/// a new stream with its own timer, and the machine's two cores went to
/// that.
const ROUND_TICKS: u64 = 120;
/// Most logs asked about per tick by the periodic round.
const ROUND_LOGS_PER_TICK: u64 = 8;
/// How many times a log that no peer held any of, its parent office
/// included, is asked of the parent again before the round: after 1, 2
/// and 4 s. A new member's log is fetched at once when its charter
/// arrives, from its parent's node, which is at that moment fetching it
/// itself: the district asked its street too early, heard nothing, and
/// waited for the round (a test of a chain of three waited 59 s for a new
/// community's ledger, which speaks no gossip). An office that gossips is
/// heard sooner anyway; this is for one that does not.
const RETRIES_WHEN_NONE_HELD: u32 = 3;

/// What an outstanding sync request is for.
#[derive(Clone, Copy, Debug)]
pub(super) struct Pending {
    /// Asked of this peer.
    pub(super) peer: PeerId,
    pub(super) log: LogKey,
    /// The first entry asked for.
    pub(super) from: u64,
    /// `Some(n)`: fetching only entry `n`, to compare it with ours.
    pub(super) probe: Option<u64>,
    /// When it was sent.
    pub(super) sent: Instant,
}

/// The sync client's state.
#[derive(Default)]
pub(super) struct SyncClient {
    in_flight: HashMap<OutboundRequestId, Pending>,
    /// Logs to ask about at the next ticks, whether or not they are known
    /// to have grown.
    to_check: BTreeSet<LogKey>,
    /// The logs followed at the last tick.
    followed: HashSet<LogKey>,
    /// The peers asked about each log since the last round.
    asked: HashMap<LogKey, HashSet<PeerId>>,
    /// Logs of which neither this node nor the log's parent office held
    /// anything: how often each was asked again, and the tick to ask it
    /// next.
    none_held: HashMap<LogKey, (u32, Option<u64>)>,
}

impl SyncClient {
    /// Which peer to ask about which log this tick. `logs` are the logs
    /// followed, `grown` says whether one is known to reach past what is
    /// held, `preferred` the peer to ask about it if there is one (else the
    /// peers take turns).
    pub(super) fn due(
        &mut self,
        tick: u64,
        logs: Vec<LogKey>,
        peers: &[PeerId],
        grown: impl Fn(&LogKey) -> bool,
        preferred: impl Fn(&LogKey) -> Option<PeerId>,
    ) -> Vec<(PeerId, LogKey)> {
        let new: Vec<LogKey> = logs
            .iter()
            .filter(|log| !self.followed.contains(*log))
            .copied()
            .collect();
        if !new.is_empty() || logs.len() != self.followed.len() {
            // The federation changed: the logs it adds are fetched at once.
            // Only those: checking every log again at each charter made a
            // forming federation of N offices send N² requests.
            self.to_check.extend(new);
            self.followed = logs.iter().copied().collect();
            let followed = &self.followed;
            self.none_held.retain(|log, _| followed.contains(log));
        }
        // Logs no peer held any of, whose turn to be asked again came: of
        // the peer preferred for them (the office next on the way) only,
        // not of every peer again — a forming city has a thousand such
        // logs at once.
        for (log, (_, at)) in &mut self.none_held {
            if at.is_some_and(|at| at <= tick) {
                *at = None;
                self.to_check.insert(*log);
            }
        }
        // And every log once a round, spread over the ticks so that the
        // checks of many nodes do not come in bursts — also while the
        // federation changes at every tick, as a root's does while it
        // forms (it once skipped the round then, and learnt a street's
        // new charters only from an announcement that reached it).
        let round_ticks = ROUND_TICKS.max((logs.len() as u64).div_ceil(ROUND_LOGS_PER_TICK));
        let round = tick % round_ticks;
        self.to_check.extend(
            logs.iter()
                .enumerate()
                .filter(|(i, _)| *i as u64 % round_ticks == round)
                .map(|(_, log)| *log),
        );
        if round == 1 {
            self.asked.clear();
        }
        if peers.is_empty() {
            return Vec::new();
        }
        let mut due: Vec<LogKey> = logs.into_iter().filter(|log| grown(log)).collect();
        due.extend(self.to_check.iter().copied());
        due.dedup();
        // What each peer was asked this tick, and what it has not answered.
        let mut sent: HashMap<PeerId, (usize, usize)> = HashMap::new();
        for pending in self.in_flight.values() {
            sent.entry(pending.peer).or_default().1 += 1;
        }
        let mut asks = Vec::new();
        for (i, log) in due.into_iter().enumerate() {
            let peer = preferred(&log).unwrap_or(peers[(tick as usize + i) % peers.len()]);
            let (now, waiting) = sent.entry(peer).or_default();
            if *now < MAX_REQUESTS_PER_TICK && *waiting < MAX_IN_FLIGHT_PER_PEER {
                *now += 1;
                *waiting += 1;
                self.to_check.remove(&log);
                asks.push((peer, log));
            }
        }
        asks
    }

    /// A (re)connection to `peer`: check every followed log again, and this
    /// peer may be asked again.
    pub(super) fn reconnected(&mut self, peer: &PeerId, logs: Vec<LogKey>) {
        self.to_check.extend(logs);
        for asked in self.asked.values_mut() {
            asked.remove(peer);
        }
    }

    /// Whether `log`'s entries may be asked of `peer` now: none are being
    /// fetched, or only from other peers, asked over [`HEDGE_AFTER`] ago.
    pub(super) fn may_fetch(&self, log: &LogKey, peer: &PeerId) -> bool {
        may_fetch(self.in_flight.values(), log, peer)
    }

    /// Whether the entries of `log` are being fetched already.
    pub(super) fn fetching(&self, log: &LogKey) -> bool {
        self.in_flight
            .values()
            .any(|p| p.log == *log && p.probe.is_none())
    }

    /// Whether an entry of `log` is being fetched to compare.
    pub(super) fn probing(&self, log: &LogKey) -> bool {
        self.in_flight
            .values()
            .any(|p| p.log == *log && p.probe.is_some())
    }

    /// The request for `log`'s entries from `from` on (or, probing, for the
    /// one entry `from`), to be sent to `peer`.
    pub(super) fn request(
        &mut self,
        peer: PeerId,
        log: LogKey,
        from: u64,
        probe: bool,
    ) -> SyncRequest {
        if !probe {
            self.asked.entry(log).or_default().insert(peer);
        }
        SyncRequest {
            log: log.to_vec(),
            from,
            limit: if probe { 1 } else { MAX_ENTRIES_PER_RESPONSE },
            ..Default::default()
        }
    }

    /// The request went out as `id`.
    pub(super) fn sent(&mut self, id: OutboundRequestId, pending: Pending) {
        self.in_flight.insert(id, pending);
    }

    /// The request `id` was answered: what it was for.
    pub(super) fn answered(&mut self, id: &OutboundRequestId) -> Option<Pending> {
        self.in_flight.remove(id)
    }

    /// The request `id` failed (timed out, dropped, the connection closed):
    /// its log is asked about again at the next tick, not the next round.
    /// Returns whether it was one of the client's.
    pub(super) fn failed(&mut self, id: &OutboundRequestId) -> bool {
        let Some(pending) = self.in_flight.remove(id) else {
            return false;
        };
        if pending.probe.is_none() {
            self.to_check.insert(pending.log);
        }
        true
    }

    /// The parent office of `log`, asked, held none of it, and neither
    /// does this node: ask again soon (see [`RETRIES_WHEN_NONE_HELD`]),
    /// unless that is arranged already or was done often enough.
    pub(super) fn none_held(&mut self, log: LogKey, tick: u64) {
        let (times, at) = self.none_held.entry(log).or_default();
        if at.is_none() && *times < RETRIES_WHEN_NONE_HELD {
            *at = Some(tick + (2 << *times));
            *times += 1;
        }
    }

    /// Entries of `log` were stored: it is no longer asked again early.
    pub(super) fn some_held(&mut self, log: &LogKey) {
        self.none_held.remove(log);
    }

    /// A peer not asked about `log` since the last round, among `peers`:
    /// so that a sweep finds whoever holds the log.
    pub(super) fn untried(&self, log: &LogKey, peers: &[PeerId]) -> Option<PeerId> {
        peers
            .iter()
            .find(|p| !self.asked.get(log).is_some_and(|a| a.contains(p)))
            .copied()
    }
}

/// Whether `log`'s entries may be asked of `peer`, given the requests out.
fn may_fetch<'a>(out: impl Iterator<Item = &'a Pending>, log: &LogKey, peer: &PeerId) -> bool {
    let mut fetches = 0;
    for pending in out {
        if pending.log != *log || pending.probe.is_some() {
            continue;
        }
        if pending.peer == *peer || pending.sent.elapsed() < HEDGE_AFTER {
            return false;
        }
        fetches += 1;
    }
    fetches < MAX_FETCHES_PER_LOG
}

/// What became of the entries of one sync response.
pub(super) struct Stored {
    /// The entries stored, with their bytes, in order.
    pub(super) entries: Vec<(Appended, Vec<u8>)>,
    /// Validly signed, but not after the entries held: the peer holds
    /// another history from this sequence on.
    pub(super) diverged_at: Option<u64>,
    /// An entry was refused (bad signature, form, sequence).
    pub(super) refused: bool,
}

/// What became of a response's entries, from the outcome of each (in order;
/// the last may say why the rest were not tried), the sequence number each
/// claimed, and their bytes.
fn stored(
    log: LogKey,
    outcomes: Vec<Result<Appended, StoreError>>,
    sequences: &[u64],
    entries: Vec<Vec<u8>>,
) -> Stored {
    let mut stored = Stored {
        entries: Vec::new(),
        diverged_at: None,
        refused: false,
    };
    for (i, (outcome, bytes)) in outcomes.into_iter().zip(entries).enumerate() {
        match outcome {
            Ok(appended) => stored.entries.push((appended, bytes)),
            Err(StoreError::Rejected(EntryError::WrongPrevious { .. })) => {
                stored.diverged_at = sequences.get(i).copied();
                break;
            }
            Err(StoreError::Rejected(e)) => {
                tracing::warn!(log = %log, error = %e, "refused a replicated entry");
                stored.refused = true;
                break;
            }
            Err(StoreError::Frozen) => break,
            Err(e) => {
                tracing::error!(error = %e, "storing a replicated entry");
                break;
            }
        }
    }
    stored
}

/// A sync response of `log` to store, sent by `peer`, its entries from
/// `from` on.
pub(super) struct Fetched {
    pub(super) peer: PeerId,
    pub(super) log: LogKey,
    pub(super) from: u64,
    pub(super) response: SyncResponse,
}

/// A sync response stored: what it said besides its entries (they are
/// taken out), and what became of them.
pub(super) struct Done {
    pub(super) fetched: Fetched,
    /// How many entries the response carried (some may have come already
    /// by another).
    pub(super) received: usize,
    pub(super) stored: Stored,
}

/// Sync responses being verified and stored off the event loop, which
/// meanwhile serves its peers and fetches the next entries (a catch-up
/// waited for each response to be stored before asking for the next, and
/// every gossip message waited behind it). Responses are verified side by
/// side; one log's are handed to the writer in the order they came, each
/// once the one before it was (not committed: the next is verified while
/// the last commits). Entries already held or on their way to the writer
/// are dropped from a response (two peers asked for the same entries both
/// answer, see [`HEDGE_AFTER`]).
pub(super) struct Storing {
    store: Store,
    running: FuturesUnordered<BoxFuture<'static, Done>>,
    logs: HashMap<LogKey, Queued>,
}

/// One log's responses not stored yet.
struct Queued {
    count: usize,
    /// The signal that the last one is with the writer.
    last: Option<oneshot::Receiver<()>>,
    /// The sequence after the last entry queued.
    end: u64,
}

impl Storing {
    pub(super) fn new(store: Store) -> Storing {
        Storing {
            store,
            running: FuturesUnordered::new(),
            logs: HashMap::new(),
        }
    }

    /// The first entry of `log` neither held nor on its way to the writer:
    /// where the next fetch starts.
    pub(super) fn next(&self, log: &LogKey) -> u64 {
        self.logs
            .get(log)
            .map_or_else(|| self.store.held(log), |queued| queued.end)
    }

    /// Verifies `fetched` now and stores it after the responses of its log
    /// before it. Should one of those not fit, this one's entries are
    /// refused by the writer in turn: they were to follow.
    pub(super) fn push(&mut self, mut fetched: Fetched) {
        let log = fetched.log;
        let mut entries = std::mem::take(&mut fetched.response.entries);
        let received = entries.len();
        let upto = fetched.from + received as u64;
        let end = self.next(&log);
        // What an earlier answer brought already.
        let known = end.saturating_sub(fetched.from).min(received as u64) as usize;
        entries.drain(..known);
        let queued = self.logs.entry(log).or_insert(Queued {
            count: 0,
            last: None,
            end,
        });
        queued.count += 1;
        queued.end = queued.end.max(upto);
        let (handed, next) = oneshot::channel();
        let before = queued.last.replace(next);
        let store = self.store.clone();
        self.running.push(Box::pin(async move {
            let verified = store.verify_replicas(log, entries.clone()).await;
            if let Some(before) = before {
                let _ = before.await;
            }
            let sequences: Vec<u64> = verified.sequences().collect();
            let submitted = store.submit_replicas(verified).await;
            let _ = handed.send(());
            let outcomes = submitted.committed().await;
            Done {
                fetched,
                received,
                stored: stored(log, outcomes, &sequences, entries),
            }
        }));
    }

    /// The next response stored (pending while none is being stored; never
    /// ends).
    pub(super) async fn stored(&mut self) -> Done {
        let Some(done) = self.running.next().await else {
            return std::future::pending().await;
        };
        let log = done.fetched.log;
        if let Some(queued) = self.logs.get_mut(&log) {
            queued.count -= 1;
            if queued.count == 0 {
                self.logs.remove(&log);
            }
        }
        done
    }
}

/// Answers a sync request from the store.
pub(super) fn serve(store: &Store, request: &SyncRequest) -> SyncResponse {
    let Ok(log) = <LogKey>::try_from(request.log.as_slice()) else {
        return SyncResponse::default();
    };
    let size = store.held(&log);
    let limit = u64::from(request.limit.min(MAX_ENTRIES_PER_RESPONSE));
    let mut entries = Vec::new();
    let mut bytes = 0;
    for sequence in request.from..size.min(request.from.saturating_add(limit)) {
        match store.entry(&log, sequence) {
            Ok(Some(entry)) if bytes + entry.len() < MAX_RESPONSE_BYTES - 8192 => {
                bytes += entry.len();
                entries.push(entry);
            }
            _ => break,
        }
    }
    SyncResponse {
        entries,
        checkpoint: store
            .best_checkpoint(&log)
            .ok()
            .flatten()
            .map(|c| c.to_string())
            .unwrap_or_default(),
        size,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests;

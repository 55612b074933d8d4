//! The node's view of its federation (联邦): which logs it accepts entries
//! from, and which it replicates — those its office keeps (its own, its
//! ancestors', its subtree's: `Federation::scope`), plus ledgers fetched for
//! residents who asked for them — kept current as charters are recorded and
//! replicated.
//!
//! The rules live in `yiyi_protocol::federation`; this module feeds them the
//! ledgers the store holds (at start, the district's log first and then each
//! member's as it is admitted) and every entry stored afterwards, and shares
//! the result between the office, the network and the API.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use yiyi_protocol::VerifierKey;
use yiyi_protocol::checkpoint::{SignedCheckpoint, witnessed_by};
use yiyi_protocol::federation::Federation;
use yiyi_protocol::proto::{Level, entry::Body};

use crate::store::{LogKey, Store, StoreError};

/// Logs an archive follows at most without a charter: those it heard of.
pub const MAX_HEARD_LOGS: usize = 10_000;

/// How long an office whose charter has not been read yet looks only in
/// the ledgers of the root and the offices it is connected to.
const LOOK_NEAR_FIRST: Duration = Duration::from_secs(30);

/// How long a log fetched for a resident is kept current after the last
/// request for it.
const VISIT: Duration = Duration::from_secs(600);
/// Most logs outside the scope kept current at once.
pub const MAX_VISITING: usize = 256;

/// A shared handle on the federation; cheap to clone.
#[derive(Clone)]
pub struct Members(Arc<RwLock<State>>);

struct State {
    federation: Federation,
    store: Store,
    /// Members whose stored ledgers have been read for charters.
    scanned: BTreeSet<LogKey>,
    /// Logs followed because the operator said so (`--follow`).
    configured: BTreeSet<LogKey>,
    /// `--archive`: follow every log heard of.
    archive: bool,
    heard: BTreeSet<LogKey>,
    /// The node's own log: where in the tree it stands.
    own: LogKey,
    /// What is followed, until the federation changes: the logs, whether
    /// the node's own charter was read, when it was computed.
    scope: Option<(BTreeSet<LogKey>, bool, Instant)>,
    /// The offices connected to (their logs): where an office not placed
    /// yet looks for its charter first.
    neighbours: BTreeSet<LogKey>,
    started: Instant,
    /// Logs outside the scope fetched for a resident who asked (调阅), and
    /// until when they are kept current.
    visiting: BTreeMap<LogKey, Instant>,
}

impl State {
    /// Reads the charters in the stored ledgers of members not read yet: a
    /// member's charters only count once its own charter has been read. (A
    /// node may hold a member's ledger from before it learnt of the member:
    /// its own, or one it follows.) Each pass reads the members the last
    /// one admitted, so a federation of N offices costs N reads, not N².
    fn scan_new_members(&mut self) -> Result<(), StoreError> {
        loop {
            let unscanned: Vec<LogKey> = self
                .federation
                .members()
                .map(|(log, _)| *log)
                .filter(|log| !self.scanned.contains(log))
                .collect();
            if unscanned.is_empty() {
                break;
            }
            for log in unscanned {
                self.scanned.insert(log);
                for stored in self.store.entries(&log, 0) {
                    if let Some(body) = stored?.body() {
                        self.federation.observe(&log, body);
                    }
                }
            }
        }
        self.scope = None;
        Ok(())
    }

    /// The logs followed, computed once per change of the federation.
    fn follows(&mut self) -> &BTreeSet<LogKey> {
        // Unplaced, the answer changes with time: computed again each second.
        let stale = self
            .scope
            .as_ref()
            .is_some_and(|(_, placed, at)| !placed && at.elapsed() > Duration::from_secs(1));
        let scope = match self.scope.take() {
            Some(kept) if !stale => kept,
            _ => self.compute_follows(),
        };
        &self.scope.insert(scope).0
    }

    fn compute_follows(&self) -> (BTreeSet<LogKey>, bool, Instant) {
        let scope = self.federation.scope(&self.own);
        let placed = scope.is_some();
        let mut logs: BTreeSet<LogKey> = match scope {
            _ if self.archive => self.federation.accepted().into_iter().collect(),
            Some(scope) => scope.into_iter().collect(),
            // Not placed yet: its charter is in its parent's ledger, usually
            // an office it is connected to; look there (and above) first,
            // and after a while in every ledger that can hold a charter.
            // While an office it is connected to is not known yet (a
            // street under a city: its charter is in its district's
            // ledger), look in the ledgers of the offices the root admitted
            // too, a handful, where that charter is.
            None if self.started.elapsed() < LOOK_NEAR_FIRST => {
                let root = self.federation.district();
                let unknown = self.neighbours.iter().any(|n| !self.federation.accepts(n));
                std::iter::once(root)
                    .chain(
                        self.neighbours
                            .iter()
                            .flat_map(|n| self.federation.lineage(n)),
                    )
                    .chain(
                        self.federation
                            .admitting()
                            .into_iter()
                            .filter(|log| unknown && self.federation.parent(log) == Some(root)),
                    )
                    .collect()
            }
            None => self.federation.admitting().into_iter().collect(),
        };
        logs.extend(&self.configured);
        logs.extend(&self.heard);
        logs.extend(
            self.visiting
                .keys()
                .filter(|log| self.federation.accepts(log)),
        );
        (logs, placed, Instant::now())
    }
}

impl Members {
    /// The federation under `district` (the pinned key, or the node's own
    /// key if it is the top of its tree), read from the ledgers in `store`.
    pub fn load(
        store: &Store,
        district: VerifierKey,
        district_name: &str,
        configured: impl IntoIterator<Item = LogKey>,
        archive: bool,
    ) -> Result<Members, StoreError> {
        let heard = if archive {
            store.logs()?.into_iter().collect()
        } else {
            BTreeSet::new()
        };
        let mut state = State {
            federation: Federation::new(district, district_name),
            store: store.clone(),
            scanned: BTreeSet::new(),
            configured: configured.into_iter().collect(),
            archive,
            heard,
            own: store.own_log(),
            scope: None,
            neighbours: BTreeSet::new(),
            started: Instant::now(),
            visiting: BTreeMap::new(),
        };
        state.scan_new_members()?;
        Ok(Members(Arc::new(RwLock::new(state))))
    }

    fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.0.read().unwrap_or_else(|e| e.into_inner()))
    }

    fn write<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.0.write().unwrap_or_else(|e| e.into_inner()))
    }

    /// Sets the root's level (see [`Federation::set_root_level`]).
    pub fn set_root_level(&self, level: Level) {
        self.write(|s| s.federation.set_root_level(level));
    }

    /// Reads the federation.
    pub fn with<R>(&self, f: impl FnOnce(&Federation) -> R) -> R {
        self.read(|s| f(&s.federation))
    }

    /// Feeds an entry stored in `log`; returns whether the federation
    /// changed.
    pub fn observe(&self, log: &LogKey, body: &Body) -> bool {
        if !matches!(
            body,
            Body::Charter(_) | Body::CityCharter(_) | Body::OfficeProfile(_)
        ) {
            return false;
        }
        let mut state = self.0.write().unwrap_or_else(|e| e.into_inner());
        let changed = state.federation.observe(log, body);
        if changed {
            state.scope = None;
            if let Err(e) = state.scan_new_members() {
                tracing::error!(error = %e, "reading the charters of a new member");
            }
        }
        changed
    }

    /// Notes a log heard of on the network (kept only by archive nodes).
    pub fn heard(&self, log: &LogKey) {
        // Anyone may announce any key: an archive follows at most
        // MAX_HEARD_LOGS of them rather than whatever it is told.
        if self.read(|s| s.archive && !s.heard.contains(log) && s.heard.len() < MAX_HEARD_LOGS) {
            let mut state = self.0.write().unwrap_or_else(|e| e.into_inner());
            state.heard.insert(*log);
            state.scope = None;
        }
    }

    /// Whether new entries of `log` are accepted: its charter chain reaches
    /// the district, or the operator follows it, or this is an archive.
    pub fn accepts(&self, log: &LogKey) -> bool {
        self.read(|s| {
            s.federation.accepts(log) || s.configured.contains(log) || s.heard.contains(log)
        })
    }

    /// The logs this node replicates: its own, its ancestors' and its
    /// descendants' (see `Federation::scope`), those the operator named, and
    /// on an archive every log accepted or heard of.
    pub fn follows(&self) -> Vec<LogKey> {
        self.write(|s| s.follows().iter().copied().collect())
    }

    /// The offices connected to now (by their logs).
    pub fn set_neighbours(&self, logs: impl IntoIterator<Item = LogKey>) {
        let logs: BTreeSet<LogKey> = logs.into_iter().collect();
        if self.read(|s| s.neighbours != logs) {
            self.write(|s| {
                s.neighbours = logs;
                s.scope = None;
            });
        }
    }

    /// Fetches and keeps current for a while `logs`, outside the scope: a
    /// notice's ledger and those above it, for a resident who asked for it.
    /// They are followed once their charters are read. Past
    /// [`MAX_VISITING`], the longest-kept go first.
    pub fn visit(&self, logs: impl IntoIterator<Item = LogKey>) {
        self.write(|s| {
            for log in logs {
                s.visiting.insert(log, Instant::now() + VISIT);
            }
            while s.visiting.len() > MAX_VISITING {
                let oldest = s.visiting.iter().min_by_key(|(_, until)| **until);
                if let Some(log) = oldest.map(|(log, _)| *log) {
                    s.visiting.remove(&log);
                }
            }
            s.scope = None;
        });
    }

    /// Stops keeping current the logs visited that nobody asked for lately.
    pub fn end_visits(&self) {
        let now = Instant::now();
        if self.read(|s| s.visiting.values().any(|until| *until <= now)) {
            self.write(|s| {
                s.visiting.retain(|_, until| *until > now);
                s.scope = None;
            });
        }
    }

    /// Whether `log` is in this office's own scope (its own, an ancestor's
    /// or a descendant's, or named by the operator): what it keeps for its
    /// own work and serves to the offices below it, rather than visits.
    pub fn keeps(&self, log: &LogKey) -> bool {
        self.read(|s| {
            s.archive
                || s.configured.contains(log)
                || *log == s.own
                || s.federation.is_above(log, &s.own)
                || s.federation.is_above(&s.own, log)
        })
    }

    /// Whether this node replicates `log`.
    pub fn is_followed(&self, log: &LogKey) -> bool {
        if let Some(followed) = self.read(|s| {
            s.scope
                .as_ref()
                .filter(|(_, placed, _)| *placed)
                .map(|(f, _, _)| f.contains(log))
        }) {
            return followed;
        }
        self.write(|s| s.follows().contains(log))
    }

    /// The office whose gossip group carries `log`'s announcements.
    pub fn announced_with(&self, log: &LogKey) -> LogKey {
        self.with(|f| f.announced_with(log))
    }

    /// The office next to this one on the way to `log` (see
    /// `Federation::toward`).
    pub fn toward(&self, log: &LogKey) -> Option<LogKey> {
        self.read(|s| s.federation.toward(&s.own, log))
    }

    /// The log that admitted `log`, if any.
    pub fn parent(&self, log: &LogKey) -> Option<LogKey> {
        self.with(|f| f.parent(log))
    }

    /// A member's name, as its charter gives it (the district's as pinned).
    pub fn name(&self, log: &LogKey) -> Option<String> {
        self.with(|f| f.member(log).map(|m| m.name.clone()))
    }

    /// The verifier key of a member (what checks its checkpoints).
    pub fn key(&self, log: &LogKey) -> Option<VerifierKey> {
        self.with(|f| f.member(log).map(|m| m.key.clone()))
    }

    /// Whether `checkpoint` of `log` carries a valid cosignature by the
    /// office that admitted it: what a resident's check of a notice of
    /// `log` requires (the district, admitted by no one, needs none).
    pub fn parent_cosigned(&self, log: &LogKey, checkpoint: &SignedCheckpoint) -> bool {
        let Some(parent) = self.parent(log).and_then(|p| self.key(&p)) else {
            return false;
        };
        witnessed_by(checkpoint.note(), &[parent.to_cosigner()]).is_ok_and(|w| !w.is_empty())
    }
}

//! The node's view of its federation (联邦): which logs it replicates and
//! accepts entries from, kept current as charters are recorded and
//! replicated.
//!
//! The rules live in `yiyi_protocol::federation`; this module feeds them the
//! ledgers the store holds (at start, the district's log first and then each
//! member's as it is admitted) and every entry stored afterwards, and shares
//! the result between the office, the network and the API.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, RwLock};

use yiyi_protocol::VerifierKey;
use yiyi_protocol::federation::Federation;
use yiyi_protocol::proto::entry::Body;

use crate::store::{LogKey, Store, StoreError};

/// Logs an archive follows at most without a charter: those it heard of.
pub const MAX_HEARD_LOGS: usize = 10_000;

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
}

impl State {
    /// Reads the charters in the stored ledgers of members not read yet,
    /// breadth first from the district: a member's charters only count once
    /// its own charter has been read. (A node may hold a member's ledger
    /// from before it learnt of the member: its own, or one it follows.)
    fn scan_new_members(&mut self) -> Result<(), StoreError> {
        let mut queue = VecDeque::from([self.federation.district()]);
        while let Some(log) = queue.pop_front() {
            if self.scanned.insert(log) {
                for stored in self.store.entries(&log, 0) {
                    if let Some(body) = stored?.body() {
                        self.federation.observe(&log, body);
                    }
                }
            }
            let unscanned = self
                .federation
                .members()
                .map(|(log, _)| *log)
                .filter(|log| !self.scanned.contains(log));
            queue.extend(unscanned);
        }
        Ok(())
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
        };
        state.scan_new_members()?;
        Ok(Members(Arc::new(RwLock::new(state))))
    }

    fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.0.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Reads the federation.
    pub fn with<R>(&self, f: impl FnOnce(&Federation) -> R) -> R {
        self.read(|s| f(&s.federation))
    }

    /// Feeds an entry stored in `log`; returns whether the federation
    /// changed.
    pub fn observe(&self, log: &LogKey, body: &Body) -> bool {
        if !matches!(body, Body::Charter(_) | Body::OfficeProfile(_)) {
            return false;
        }
        let mut state = self.0.write().unwrap_or_else(|e| e.into_inner());
        let changed = state.federation.observe(log, body);
        if changed && let Err(e) = state.scan_new_members() {
            tracing::error!(error = %e, "reading the charters of a new member");
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
        }
    }

    /// Whether new entries of `log` are accepted: its charter chain reaches
    /// the district, or the operator follows it, or this is an archive.
    pub fn accepts(&self, log: &LogKey) -> bool {
        self.read(|s| {
            s.federation.accepts(log) || s.configured.contains(log) || s.heard.contains(log)
        })
    }

    /// The logs this node replicates.
    pub fn follows(&self) -> Vec<LogKey> {
        self.read(|s| {
            let mut logs: BTreeSet<LogKey> = s.federation.accepted().into_iter().collect();
            logs.extend(&s.configured);
            logs.extend(&s.heard);
            logs.into_iter().collect()
        })
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
}

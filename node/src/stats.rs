//! Statistics (统计) over the ledgers this node holds: each counted at the
//! checkpoint it holds for it (verified on the way in), the figures defined
//! in `protocol::stats`, so that anyone holding the same entries computes
//! the same export.

use std::collections::BTreeMap;

use yiyi_protocol::checkpoint::SignedCheckpoint;
use yiyi_protocol::rules::Consultation;
use yiyi_protocol::stats::Query;
use yiyi_protocol::stats::export::{self, Export, Held, Scope};

use crate::board::Courses;
use crate::store::{LogKey, Store, StoreError};

/// The export of this office over `scope` for `query`.
pub fn export(
    store: &Store,
    courses: &Courses,
    scope: Scope,
    query: &Query,
) -> Result<Export, StoreError> {
    // The checkpoints first: the replays below reach at least as far.
    let mut checkpoints: BTreeMap<LogKey, SignedCheckpoint> = BTreeMap::new();
    for log in store.logs()? {
        if let Some(checkpoint) = store.best_checkpoint(&log)? {
            checkpoints.insert(log, checkpoint);
        }
    }
    courses.with(store, |logs| {
        // A ledger replayed past its checkpoint (entries arrived since it
        // was read) is replayed again to the checkpoint alone.
        let mut again: BTreeMap<LogKey, Consultation> = BTreeMap::new();
        for (log, checkpoint) in &checkpoints {
            if logs.get(log).is_none_or(|r| r.size != checkpoint.size()) {
                again.insert(*log, replay_to(store, log, checkpoint.size())?);
            }
        }
        let held: BTreeMap<LogKey, Held<'_>> = checkpoints
            .iter()
            .filter_map(|(log, checkpoint)| {
                let state = match again.get(log) {
                    Some(state) => state,
                    None => &logs.get(log)?.state,
                };
                Some((*log, Held { state, checkpoint }))
            })
            .collect();
        Ok(export::build(&store.own_key(), scope, query, &held))
    })?
}

/// `log`'s state after its first `size` entries.
fn replay_to(store: &Store, log: &LogKey, size: u64) -> Result<Consultation, StoreError> {
    let mut state = Consultation::new();
    for stored in store.entries(log, 0).take(size as usize) {
        let stored = stored?;
        if let Some(body) = stored.body() {
            state.apply(body, stored.at);
        }
    }
    Ok(state)
}

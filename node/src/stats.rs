//! Statistics (统计) over the ledgers this node holds: each counted at the
//! checkpoint it holds for it (verified on the way in), the figures defined
//! in `protocol::stats`, so that anyone holding the same entries computes
//! the same export.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use yiyi_protocol::checkpoint::SignedCheckpoint;
use yiyi_protocol::rules::Consultation;
use yiyi_protocol::stats::Query;

/// How long an export is reused while nothing was stored since.
const FRESH_FOR: Duration = Duration::from_secs(10);
/// How many recent exports are kept.
const KEPT: usize = 16;

/// Recent exports, so that a board read by many, or a dashboard polling,
/// does not count the whole subtree for each request: one is reused while
/// the store has committed nothing since it was made, and for at most
/// [`FRESH_FOR`]. It names its checkpoints, so a reused one is as
/// checkable as a fresh one.
#[derive(Default)]
pub struct Cache(Mutex<Vec<Cached>>);

struct Cached {
    scope: Scope,
    query: Query,
    commits: u64,
    made: Instant,
    export: Arc<Export>,
}

impl Cache {
    /// The export of this office over `scope` for `query`: a recent one
    /// if it still holds, else computed ([`export`]).
    pub fn export(
        &self,
        store: &Store,
        courses: &Courses,
        scope: Scope,
        query: &Query,
    ) -> Result<Arc<Export>, StoreError> {
        let commits = *store.commits().borrow();
        let fresh = |c: &Cached| {
            c.scope == scope
                && c.query == *query
                && c.commits == commits
                && c.made.elapsed() < FRESH_FOR
        };
        if let Some(hit) = self.lock().iter().find(|c| fresh(c)) {
            return Ok(hit.export.clone());
        }
        let made = Arc::new(export(store, courses, scope, query)?);
        let mut kept = self.lock();
        kept.retain(|c| c.commits == commits && c.made.elapsed() < FRESH_FOR);
        if kept.len() >= KEPT {
            kept.remove(0);
        }
        kept.push(Cached {
            scope,
            query: *query,
            commits,
            made: Instant::now(),
            export: made.clone(),
        });
        Ok(made)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Cached>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
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

#[cfg(test)]
mod tests {
    use super::*;
    use yiyi_protocol::SecretKey;
    use yiyi_protocol::proto::{self, entry::Body};
    use yiyi_protocol::rules::Date;
    use yiyi_protocol::stats::{GroupBy, Period};

    fn topic(id: &str) -> Body {
        Body::Topic(proto::Topic {
            id: id.into(),
            title: "楼道灯坏了".into(),
            category: proto::Category::DailyLife as i32,
            scale: proto::Scale::Minor as i32,
            source: proto::topic::Source::Resident as i32,
            ..Default::default()
        })
    }

    #[tokio::test]
    async fn an_export_is_reused_until_something_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::generate("yiyi/lixia/quancheng/shunyu").unwrap();
        let store = Store::open(dir.path(), key).unwrap();
        store.append(topic("T-1")).await.unwrap();
        let (cache, courses) = (Cache::default(), Courses::default());
        let query = Query {
            period: Period::default(),
            by: GroupBy::Office,
            on: Date::parse("2026-12-06").unwrap(),
        };
        let first = cache.export(&store, &courses, Scope::Own, &query).unwrap();
        let again = cache.export(&store, &courses, Scope::Own, &query).unwrap();
        assert!(
            Arc::ptr_eq(&first, &again),
            "nothing stored: the same export"
        );
        assert_eq!(first.report.totals.figures.raised, 1);
        // Another query is its own.
        let by_status = Query {
            by: GroupBy::Status,
            ..query
        };
        let other = cache
            .export(&store, &courses, Scope::Own, &by_status)
            .unwrap();
        assert!(!Arc::ptr_eq(&first, &other));
        // Something stored: counted afresh.
        store.append(topic("T-2")).await.unwrap();
        let after = cache.export(&store, &courses, Scope::Own, &query).unwrap();
        assert_eq!(after.report.totals.figures.raised, 2);
        assert!(
            after.offices[0].checkpoint.contains("\n2\n"),
            "{}",
            after.offices[0].checkpoint
        );
    }
}

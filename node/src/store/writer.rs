//! The writer thread: orders appends and commits them in groups.
//!
//! Durability costs one flush and one `fdatasync` per commit whatever its
//! size, so the writer takes every request that is waiting and commits them
//! together: the more concurrent appenders, the larger the groups and the
//! higher the throughput, while a lone appender still gets one commit per
//! entry.

use std::collections::HashMap;
use std::fs::File;
use std::sync::mpsc::Receiver;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::oneshot;
use yiyi_protocol::proto::entry::Body;
use yiyi_protocol::{Checkpoint, SecretKey, VerifiedEntry, entry};

use super::layout::{self, StoredState};
use super::{Appended, LogKey, StoreError};

/// Most appends in one commit: bounds the batch's memory and the latency of
/// the first request in it.
const MAX_BATCH: usize = 1024;

type Reply = oneshot::Sender<Result<Appended, StoreError>>;

/// What the writer is asked to do.
pub(super) enum Request {
    /// Append a body to the node's own ledger.
    Own { body: Body, reply: Reply },
    /// Append an already verified entry to a replica.
    Replica {
        log: LogKey,
        entry: VerifiedEntry,
        reply: Reply,
    },
}

pub(super) struct Writer {
    db: sled::Db,
    tree: sled::Tree,
    data_file: File,
    own: SecretKey,
    /// Committed states of the logs written so far, so that a commit does not
    /// re-read them.
    cache: HashMap<LogKey, StoredState>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Writer {
    pub(super) fn new(db: sled::Db, tree: sled::Tree, data_file: File, own: SecretKey) -> Writer {
        Writer {
            db,
            tree,
            data_file,
            own,
            cache: HashMap::new(),
        }
    }

    /// Serves requests until every [`super::Store`] handle is gone.
    pub(super) fn run(mut self, requests: Receiver<Request>) {
        while let Ok(first) = requests.recv() {
            let mut group = vec![first];
            while group.len() < MAX_BATCH {
                match requests.try_recv() {
                    Ok(request) => group.push(request),
                    Err(_) => break,
                }
            }
            self.commit(group);
        }
    }

    /// The state a log will have once this group is committed.
    fn staged<'a>(
        &self,
        staged: &'a mut HashMap<LogKey, StoredState>,
        log: LogKey,
    ) -> Result<&'a mut StoredState, StoreError> {
        if !staged.contains_key(&log) {
            let state = match self.cache.get(&log) {
                Some(state) => state.clone(),
                None => layout::read_state(&self.tree, &log)?,
            };
            staged.insert(log, state);
        }
        Ok(staged.get_mut(&log).expect("inserted above"))
    }

    fn commit(&mut self, group: Vec<Request>) {
        let mut batch = sled::Batch::default();
        let mut staged = HashMap::new();
        let mut outcomes: Vec<(Reply, Result<Appended, StoreError>)> = Vec::with_capacity(group.len());
        let own_log = *self.own.public_bytes();
        for request in group {
            let (reply, outcome) = match request {
                Request::Own { body, reply } => {
                    let outcome = self.staged(&mut staged, own_log).and_then(|state| {
                        let unsigned = state.head.next_entry(&own_log, now_ms(), body);
                        let signed = entry::sign(&unsigned, &self.own)?;
                        Ok(stage(&mut batch, state, &own_log, &signed))
                    });
                    (reply, outcome)
                }
                Request::Replica { log, entry, reply } => {
                    let outcome = self.staged(&mut staged, log).and_then(|state| {
                        state.head.check_next(&entry)?;
                        Ok(stage(&mut batch, state, &log, &entry))
                    });
                    (reply, outcome)
                }
            };
            outcomes.push((reply, outcome));
        }
        if outcomes.iter().all(|(_, o)| o.is_err()) {
            for (reply, outcome) in outcomes {
                let _ = reply.send(outcome);
            }
            return;
        }

        let result = self.persist(batch, &staged);
        match result {
            Ok(()) => {
                self.cache.extend(staged);
                for (reply, outcome) in outcomes {
                    let _ = reply.send(outcome);
                }
            }
            Err(e) => {
                // What reached sled is unknown: re-read states from disk.
                self.cache.clear();
                tracing::error!(error = %e, "group commit failed");
                let message = e.to_string();
                for (reply, outcome) in outcomes {
                    let _ = reply.send(outcome.and(Err(StoreError::CommitFailed(message.clone()))));
                }
            }
        }
    }

    /// Writes the group and the new log states in one atomic batch (with a
    /// fresh checkpoint if the own log grew), then makes it durable.
    fn persist(&self, mut batch: sled::Batch, staged: &HashMap<LogKey, StoredState>) -> Result<(), StoreError> {
        let own_log = *self.own.public_bytes();
        for (log, state) in staged {
            batch.insert(layout::state_key(log), state.encode());
            if *log == own_log {
                let checkpoint = Checkpoint::new(self.own.name(), state.head.size, state.frontier.root());
                let note = checkpoint
                    .sign(&self.own)
                    .map_err(|e| StoreError::Corrupt(format!("signing the checkpoint: {e}")))?;
                batch.insert(layout::checkpoint_key(log), note.to_string().into_bytes());
            }
        }
        self.tree.apply_batch(batch)?;
        self.db.flush()?;
        self.data_file.sync_data()?;
        Ok(())
    }
}

/// Adds one entry to the batch and advances the staged state.
fn stage(batch: &mut sled::Batch, state: &mut StoredState, log: &LogKey, entry: &VerifiedEntry) -> Appended {
    let sequence = state.head.size;
    batch.insert(layout::entry_key(log, sequence), entry.bytes.as_slice());
    batch.insert(layout::hash_key(&entry.hash), layout::location(log, sequence));
    state.frontier.append(entry.hash, |level, index, hash| {
        batch.insert(layout::node_key(log, level, index), hash.as_bytes().as_slice());
    });
    state.head = state.head.advance(entry);
    Appended {
        sequence,
        hash: entry.hash,
    }
}

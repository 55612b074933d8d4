//! The writer: orders appends and commits them in groups, in two stages.
//!
//! Durability costs one flush and one `fdatasync` per commit whatever its
//! size, so appends are committed in groups. The *sequencer* takes every
//! request waiting, checks and signs them against the logs' heads and builds
//! one atomic sled batch; the *committer* applies the batch, flushes, syncs,
//! publishes the new durable heads and only then answers the callers. The two
//! run on their own threads, so the next group is signed while the last one is
//! being written: signing and disk I/O overlap.
//!
//! If a commit fails, what reached the disk is unknown, so the store stops
//! taking appends (every later append fails) until the node is restarted and
//! sled recovers; guessing would risk signing two different entries with one
//! sequence number.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::oneshot;
use yiyi_protocol::merkle::Hash;
use yiyi_protocol::proto::entry::Body;
use yiyi_protocol::{Checkpoint, SecretKey, VerifiedEntry, entry};

use super::layout::{self, StoredState, TILE_WIDTH};
use super::{Appended, DurableView, LogKey, LogState, StoreError};

/// Most appends in one commit: bounds the batch's memory and the latency of
/// the first request in it.
const MAX_GROUP: usize = 1024;

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

/// A log as the sequencer sees it, including what it has staged but not yet
/// seen committed: head, frontier, and the last tile of each tree level.
struct Cursor {
    state: StoredState,
    /// Per level: the tile index and the hashes in it so far.
    tiles: Vec<(u64, Vec<Hash>)>,
}

impl Cursor {
    fn load(tree: &sled::Tree, log: &LogKey) -> Result<Cursor, StoreError> {
        let state = layout::read_state(tree, log)?;
        let tiles = layout::read_edge_tiles(tree, log, state.head.size)?;
        Ok(Cursor { state, tiles })
    }

    /// Adds an entry to the batch and advances the cursor; records which
    /// levels' tiles changed.
    fn push(&mut self, batch: &mut sled::Batch, dirty: &mut BTreeSet<u8>, log: &LogKey, entry: &VerifiedEntry) -> Appended {
        let sequence = self.state.head.size;
        batch.insert(layout::entry_key(&entry.hash), layout::entry_value(log, sequence, &entry.bytes));
        let tiles = &mut self.tiles;
        self.state.frontier.append(entry.hash, |level, index, hash| {
            let at = usize::from(level);
            if tiles.len() == at {
                tiles.push((0, Vec::new()));
            }
            let (tile, hashes) = &mut tiles[at];
            if hashes.len() as u64 == TILE_WIDTH {
                // The full tile may have filled in this very group: write it
                // now, as `finish` only writes each level's last tile.
                batch.insert(layout::tile_key(log, level, *tile), tile_bytes(hashes));
                *tile += 1;
                hashes.clear();
            }
            debug_assert_eq!((*tile, hashes.len() as u64), (index / TILE_WIDTH, index % TILE_WIDTH));
            hashes.push(hash);
            dirty.insert(level);
        });
        self.state.head = self.state.head.advance(entry);
        Appended {
            sequence,
            hash: entry.hash,
        }
    }

    /// Writes the changed tiles and the head into the batch.
    fn finish(&self, batch: &mut sled::Batch, dirty: &BTreeSet<u8>, log: &LogKey) {
        for &level in dirty {
            let (tile, hashes) = &self.tiles[usize::from(level)];
            batch.insert(layout::tile_key(log, level, *tile), tile_bytes(hashes));
        }
        batch.insert(layout::state_key(log), self.state.encode());
    }
}

fn tile_bytes(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

/// One group, staged and ready to be made durable.
struct Commit {
    batch: sled::Batch,
    outcomes: Vec<(Reply, Result<Appended, StoreError>)>,
    /// The heads the logs will have once this commit is durable.
    heads: Vec<(LogKey, LogState)>,
    checkpoint: Option<String>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Starts the sequencer and committer threads; they stop once every sender
/// of `requests` is gone, after committing what they were given.
pub(super) fn spawn(
    tree: sled::Tree,
    db: sled::Db,
    data_file: File,
    own: SecretKey,
    durable: Arc<RwLock<DurableView>>,
    requests: Receiver<Request>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    // One group waits while another is written: enough to overlap signing
    // with disk I/O, and a bound on memory.
    let (commits, pending) = sync_channel::<Commit>(1);
    let failed = Arc::new(AtomicBool::new(false));
    let committer = Committer {
        db,
        tree: tree.clone(),
        data_file,
        durable,
        failed: failed.clone(),
    };
    let committer = std::thread::Builder::new()
        .name("yiyi-store-commit".into())
        .spawn(move || committer.run(pending))?;
    let sequencer = Sequencer {
        tree,
        own,
        cursors: HashMap::new(),
        failed,
    };
    std::thread::Builder::new()
        .name("yiyi-store-sequence".into())
        .spawn(move || {
            sequencer.run(requests, commits);
            let _ = committer.join();
        })
}

/// The cursor of `log`, loaded from disk on first use.
fn cursor<'a>(
    cursors: &'a mut HashMap<LogKey, Cursor>,
    tree: &sled::Tree,
    log: LogKey,
) -> Result<&'a mut Cursor, StoreError> {
    if !cursors.contains_key(&log) {
        let cursor = Cursor::load(tree, &log)?;
        cursors.insert(log, cursor);
    }
    Ok(cursors.get_mut(&log).expect("inserted above"))
}

struct Sequencer {
    tree: sled::Tree,
    own: SecretKey,
    cursors: HashMap<LogKey, Cursor>,
    failed: Arc<AtomicBool>,
}

impl Sequencer {
    fn run(mut self, requests: Receiver<Request>, commits: SyncSender<Commit>) {
        while let Ok(first) = requests.recv() {
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match requests.try_recv() {
                    Ok(request) => group.push(request),
                    Err(_) => break,
                }
            }
            let commit = self.stage(group);
            if commit.heads.is_empty() {
                // Nothing accepted: nothing to wait for.
                for (reply, outcome) in commit.outcomes {
                    let _ = reply.send(outcome);
                }
            } else if let Err(refused) = commits.send(commit) {
                for (reply, _) in refused.0.outcomes {
                    let _ = reply.send(Err(StoreError::Closed));
                }
            }
        }
    }

    fn stage(&mut self, group: Vec<Request>) -> Commit {
        let mut batch = sled::Batch::default();
        let mut dirty: HashMap<LogKey, BTreeSet<u8>> = HashMap::new();
        let mut outcomes = Vec::with_capacity(group.len());
        let own_log = *self.own.public_bytes();
        let failed = self.failed.load(Ordering::Acquire);
        for request in group {
            let (reply, outcome) = match request {
                _ if failed => {
                    let reply = match request {
                        Request::Own { reply, .. } | Request::Replica { reply, .. } => reply,
                    };
                    (reply, Err(StoreError::Failed))
                }
                Request::Own { body, reply } => {
                    let outcome = cursor(&mut self.cursors, &self.tree, own_log).and_then(|cursor| {
                        let unsigned = cursor.state.head.next_entry(&own_log, now_ms(), body);
                        let signed = entry::sign(&unsigned, &self.own)?;
                        Ok(cursor.push(&mut batch, dirty.entry(own_log).or_default(), &own_log, &signed))
                    });
                    (reply, outcome)
                }
                Request::Replica { log, entry, reply } => {
                    let outcome = cursor(&mut self.cursors, &self.tree, log).and_then(|cursor| {
                        cursor.state.head.check_next(&entry)?;
                        Ok(cursor.push(&mut batch, dirty.entry(log).or_default(), &log, &entry))
                    });
                    (reply, outcome)
                }
            };
            outcomes.push((reply, outcome));
        }

        let mut heads = Vec::with_capacity(dirty.len());
        let mut checkpoint = None;
        for (log, levels) in &dirty {
            let cursor = &self.cursors[log];
            cursor.finish(&mut batch, levels, log);
            let head = LogState {
                head: cursor.state.head,
                root: cursor.state.frontier.root(),
            };
            if *log == own_log {
                let note = Checkpoint::new(self.own.name(), head.head.size, head.root)
                    .sign(&self.own)
                    .expect("the own key is named after its origin")
                    .to_string();
                batch.insert(layout::checkpoint_key(log), note.as_bytes());
                checkpoint = Some(note);
            }
            heads.push((*log, head));
        }
        Commit {
            batch,
            outcomes,
            heads,
            checkpoint,
        }
    }
}

struct Committer {
    db: sled::Db,
    tree: sled::Tree,
    data_file: File,
    durable: Arc<RwLock<DurableView>>,
    failed: Arc<AtomicBool>,
}

impl Committer {
    fn run(self, pending: Receiver<Commit>) {
        while let Ok(commit) = pending.recv() {
            let result = if self.failed.load(Ordering::Acquire) {
                Err(StoreError::Failed)
            } else {
                self.persist(commit.batch)
            };
            match result {
                Ok(()) => {
                    let mut durable = self.durable.write().unwrap_or_else(|e| e.into_inner());
                    durable.logs.extend(commit.heads);
                    if commit.checkpoint.is_some() {
                        durable.checkpoint = commit.checkpoint;
                    }
                    drop(durable);
                    for (reply, outcome) in commit.outcomes {
                        let _ = reply.send(outcome);
                    }
                }
                Err(e) => {
                    if !self.failed.swap(true, Ordering::AcqRel) {
                        tracing::error!(error = %e, "a group commit failed; the store takes no more appends until restarted");
                    }
                    let message = e.to_string();
                    for (reply, outcome) in commit.outcomes {
                        let _ = reply.send(outcome.and(Err(StoreError::CommitFailed(message.clone()))));
                    }
                }
            }
        }
    }

    fn persist(&self, batch: sled::Batch) -> Result<(), StoreError> {
        self.tree.apply_batch(batch)?;
        self.db.flush()?;
        // sled 0.34 syncs with sync_file_range only; fdatasync also reaches
        // the device's cache and the file's size.
        self.data_file.sync_data()?;
        Ok(())
    }
}

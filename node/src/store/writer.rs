//! The writer: orders appends and commits them in groups, in two stages.
//!
//! Durability costs one flush and one `fdatasync` per commit whatever its
//! size, so appends are committed in groups. Two threads share the work so
//! that signing and disk I/O overlap, one group being signed while the one
//! before it is written:
//!
//! - the *sequencer* takes every request waiting, checks each against its
//!   log's head (sequence number, previous hash) or, for the own ledger,
//!   numbers and signs it;
//! - the *committer* extends the Merkle tree, writes the entries, tiles, heads
//!   and a freshly signed checkpoint in one atomic sled batch, flushes, syncs,
//!   publishes the new durable heads, and only then answers the callers.
//!
//! If a commit fails, what reached the disk is unknown, so the store stops
//! taking appends (every later append fails) until the node is restarted and
//! sled recovers: guessing would risk signing two different entries with one
//! sequence number.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use std::sync::{Arc, RwLock};
use tokio::sync::mpsc::Receiver as RequestReceiver;

use tokio::sync::oneshot;
use yiyi_protocol::checkpoint::SignedCheckpoint;
use yiyi_protocol::merkle::Hash;
use yiyi_protocol::proto::entry::Body;
use yiyi_protocol::{ChainHead, Checkpoint, SecretKey, VerifiedEntry, entry};

use super::layout::{self, StoredState, TILE_WIDTH};
use super::{Appended, DurableView, LogKey, LogState, StoreError};

/// Most appends in one commit: bounds the batch's memory and the latency of
/// the first request in it.
const MAX_GROUP: usize = 1024;

/// Where the writer sends an append's outcome.
pub(super) type Reply = oneshot::Sender<Result<Appended, StoreError>>;

/// What the writer is asked to do.
pub(super) enum Request {
    /// Append a body to the node's own ledger.
    Own { body: Body, reply: Reply },
    /// Append an already verified entry to a replica (boxed: an entry is
    /// far larger than a body waiting to be signed).
    Replica {
        log: LogKey,
        entry: Box<VerifiedEntry>,
        reply: Reply,
    },
}

/// One group, ordered and signed, for the committer.
struct Group {
    /// The accepted entries, in order, with the callers waiting for them.
    accepted: Vec<(LogKey, VerifiedEntry, Reply)>,
}

/// Starts the sequencer and committer threads; they stop once every sender
/// of `requests` is gone, after committing what they were given.
pub(super) fn spawn(
    tree: sled::Tree,
    db: sled::Db,
    data_file: File,
    own: SecretKey,
    durable: Arc<RwLock<DurableView>>,
    requests: RequestReceiver<Request>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    // One group waits while another is written: enough to overlap signing
    // with disk I/O, and a bound on memory.
    let (groups, pending) = sync_channel::<Group>(1);
    let failed = Arc::new(AtomicBool::new(false));
    let committer = Committer {
        db,
        tree: tree.clone(),
        data_file,
        own: own.clone(),
        cursors: HashMap::new(),
        durable,
        failed: failed.clone(),
    };
    let committer = std::thread::Builder::new()
        .name("yiyi-store-commit".into())
        .spawn(move || committer.run(pending))?;
    let sequencer = Sequencer {
        tree,
        own,
        heads: HashMap::new(),
        failed,
    };
    std::thread::Builder::new()
        .name("yiyi-store-sequence".into())
        .spawn(move || {
            sequencer.run(requests, groups);
            let _ = committer.join();
        })
}

/// The head of `log` as the sequencer knows it, read from disk on first use.
fn head<'a>(
    heads: &'a mut HashMap<LogKey, ChainHead>,
    tree: &sled::Tree,
    log: LogKey,
) -> Result<&'a mut ChainHead, StoreError> {
    match heads.entry(log) {
        std::collections::hash_map::Entry::Occupied(head) => Ok(head.into_mut()),
        std::collections::hash_map::Entry::Vacant(slot) => {
            Ok(slot.insert(layout::read_state(tree, &log)?.head))
        }
    }
}

struct Sequencer {
    tree: sled::Tree,
    own: SecretKey,
    /// Each log's head including what was handed to the committer.
    heads: HashMap<LogKey, ChainHead>,
    failed: Arc<AtomicBool>,
}

impl Sequencer {
    fn run(mut self, mut requests: RequestReceiver<Request>, groups: SyncSender<Group>) {
        while let Some(first) = requests.blocking_recv() {
            let mut requests_now = vec![first];
            while requests_now.len() < MAX_GROUP {
                match requests.try_recv() {
                    Ok(request) => requests_now.push(request),
                    Err(_) => break,
                }
            }
            let group = self.order(requests_now);
            if group.accepted.is_empty() {
                continue;
            }
            if let Err(refused) = groups.send(group) {
                for (_, _, reply) in refused.0.accepted {
                    let _ = reply.send(Err(StoreError::Closed));
                }
            }
        }
    }

    /// Checks, numbers and signs a group; answers refused requests at once
    /// (a refusal changes nothing, so it need not wait for the disk).
    fn order(&mut self, requests: Vec<Request>) -> Group {
        let own_log = self.own.log_key();
        let failed = self.failed.load(Ordering::Acquire);
        let mut accepted = Vec::with_capacity(requests.len());
        for request in requests {
            let (log, outcome, reply) = match request {
                Request::Own { reply, .. } | Request::Replica { reply, .. } if failed => {
                    let _ = reply.send(Err(StoreError::Failed));
                    continue;
                }
                Request::Own { body, reply } => {
                    let outcome = head(&mut self.heads, &self.tree, own_log).and_then(|head| {
                        let unsigned = head.next_entry(&own_log, crate::now_ms(), body);
                        Ok(entry::sign(&unsigned, &self.own)?)
                    });
                    (own_log, outcome, reply)
                }
                Request::Replica { log, entry, reply } => {
                    let outcome = head(&mut self.heads, &self.tree, log).and_then(|head| {
                        head.check_next(&entry)?;
                        Ok(*entry)
                    });
                    (log, outcome, reply)
                }
            };
            match outcome {
                Ok(entry) => {
                    let head = self.heads.get_mut(&log).expect("loaded by head()");
                    // The committer will write it; later requests follow it.
                    *head = head.advance(&entry);
                    accepted.push((log, entry, reply));
                }
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            }
        }
        Group { accepted }
    }
}

/// A log as the committer sees it: its stored state and the last tile of
/// each tree level.
struct Cursor {
    state: StoredState,
    /// Per level: the tile index and the hashes in it so far.
    tiles: Vec<(u64, Vec<Hash>)>,
}

fn tile_bytes(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

impl Cursor {
    fn load(tree: &sled::Tree, log: &LogKey) -> Result<Cursor, StoreError> {
        let state = layout::read_state(tree, log)?;
        let tiles = layout::read_edge_tiles(tree, log, state.head.size)?;
        Ok(Cursor { state, tiles })
    }

    /// Adds an entry to the batch; records which levels' tiles changed.
    fn push(
        &mut self,
        batch: &mut sled::Batch,
        dirty: &mut BTreeSet<u8>,
        log: &LogKey,
        entry: &VerifiedEntry,
    ) -> Appended {
        let sequence = self.state.head.size;
        batch.insert(
            layout::entry_key(&entry.hash),
            layout::entry_value(log, sequence, &entry.bytes),
        );
        if let yiyi_protocol::Reading::Newer { reader_version } = &entry.reading {
            let mut value = entry.hash.as_bytes().to_vec();
            value.extend_from_slice(reader_version.as_bytes());
            batch.insert(layout::newer_key(log, sequence), value);
        }
        let tiles = &mut self.tiles;
        self.state
            .frontier
            .append(entry.hash, |level, index, hash| {
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
                debug_assert_eq!(
                    (*tile, hashes.len() as u64),
                    (index / TILE_WIDTH, index % TILE_WIDTH)
                );
                hashes.push(hash);
                dirty.insert(level);
            });
        self.state.head = self.state.head.advance(entry);
        Appended {
            sequence,
            hash: entry.hash,
            time_ms: entry.entry.time_ms,
        }
    }

    /// Writes the changed tiles and the head into the batch.
    fn finish(&self, batch: &mut sled::Batch, dirty: &BTreeSet<u8>, log: &LogKey) -> LogState {
        for &level in dirty {
            let (tile, hashes) = &self.tiles[usize::from(level)];
            batch.insert(layout::tile_key(log, level, *tile), tile_bytes(hashes));
        }
        batch.insert(layout::state_key(log), self.state.encode());
        LogState {
            head: self.state.head,
            root: self.state.frontier.root(),
        }
    }
}

struct Committer {
    db: sled::Db,
    tree: sled::Tree,
    data_file: File,
    /// Signs the own ledger's checkpoints.
    own: SecretKey,
    cursors: HashMap<LogKey, Cursor>,
    durable: Arc<RwLock<DurableView>>,
    failed: Arc<AtomicBool>,
}

impl Committer {
    fn run(mut self, pending: Receiver<Group>) {
        while let Ok(group) = pending.recv() {
            for (reply, outcome) in self.commit(group) {
                let _ = reply.send(outcome);
            }
        }
    }

    /// Writes one group, makes it durable and publishes the new heads;
    /// returns each caller's outcome.
    fn commit(&mut self, group: Group) -> Vec<(Reply, Result<Appended, StoreError>)> {
        if self.failed.load(Ordering::Acquire) {
            return refuse(group, || StoreError::Failed);
        }
        for (log, _, _) in &group.accepted {
            if !self.cursors.contains_key(log) {
                match Cursor::load(&self.tree, log) {
                    Ok(cursor) => {
                        self.cursors.insert(*log, cursor);
                    }
                    Err(e) => return self.fail(group, e),
                }
            }
        }

        let mut batch = sled::Batch::default();
        let mut dirty: HashMap<LogKey, BTreeSet<u8>> = HashMap::new();
        let mut appended = Vec::with_capacity(group.accepted.len());
        for (log, entry, reply) in group.accepted {
            let cursor = self.cursors.get_mut(&log).expect("loaded above");
            let at = cursor.push(&mut batch, dirty.entry(log).or_default(), &log, &entry);
            appended.push((reply, at));
        }
        let own_log = self.own.log_key();
        let mut heads = Vec::with_capacity(dirty.len());
        let mut checkpoint = None;
        for (log, levels) in &dirty {
            let head = self.cursors[log].finish(&mut batch, levels, log);
            if *log == own_log {
                // One checkpoint per group, written atomically with the
                // entries it covers.
                let note = Checkpoint::new(self.own.name(), head.head.size, head.root)
                    .sign(&self.own)
                    .expect("the own key is named after its origin");
                let note = SignedCheckpoint::from_note(note).expect("a checkpoint just made");
                batch.insert(layout::checkpoint_key(log), note.as_str().as_bytes());
                checkpoint = Some(note);
            }
            heads.push((*log, head));
        }

        if let Err(e) = self.persist(batch) {
            let accepted = appended.into_iter().map(|(reply, _)| reply);
            let message = e.to_string();
            self.stop(&e);
            return accepted
                .map(|reply| (reply, Err(StoreError::CommitFailed(message.clone()))))
                .collect();
        }
        let mut durable = self.durable.write().unwrap_or_else(|e| e.into_inner());
        durable.logs.extend(heads);
        if checkpoint.is_some() {
            durable.checkpoint = checkpoint;
        }
        durable.commits.send_modify(|n| *n += 1);
        drop(durable);
        appended
            .into_iter()
            .map(|(reply, at)| (reply, Ok(at)))
            .collect()
    }

    fn persist(&self, batch: sled::Batch) -> Result<(), StoreError> {
        self.tree.apply_batch(batch)?;
        self.db.flush()?;
        // sled 0.34 syncs with sync_file_range only; fdatasync also reaches
        // the device's cache and the file's size.
        self.data_file.sync_data()?;
        Ok(())
    }

    /// Refuses a group that could not even be staged, and stops.
    fn fail(&mut self, group: Group, e: StoreError) -> Vec<(Reply, Result<Appended, StoreError>)> {
        let message = e.to_string();
        self.stop(&e);
        refuse(group, || StoreError::CommitFailed(message.clone()))
    }

    /// Takes no more appends: what reached the disk is unknown.
    fn stop(&mut self, e: &StoreError) {
        if !self.failed.swap(true, Ordering::AcqRel) {
            tracing::error!(error = %e, "a group commit failed; the store takes no more appends until restarted");
        }
        self.cursors.clear();
    }
}

/// The same error for everyone in a group.
fn refuse(
    group: Group,
    error: impl Fn() -> StoreError,
) -> Vec<(Reply, Result<Appended, StoreError>)> {
    group
        .accepted
        .into_iter()
        .map(|(_, _, reply)| (reply, Err(error())))
        .collect()
}

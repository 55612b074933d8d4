//! The ledger store (台账存储): the office's own ledger and replicas of other
//! offices' public ledgers, in one sled database.
//!
//! Every log is keyed by its log key (the Ed25519 public key of the office that
//! writes it). Appends are committed in groups by the writer (see
//! [`writer`]): each entry is checked against its log's head (sequence number
//! and previous hash), and an append returns only once its group, with the new
//! Merkle tiles, the new head and (for the own ledger) a freshly signed
//! checkpoint, is written atomically and synced to disk.
//!
//! Readers go to sled directly and never wait for the writer, but they only
//! see what is durable: the heads they read come from the [`DurableView`] the
//! writer updates after each sync, so nothing is served that a crash could
//! take back.
//!
//! Entries from other offices are verified (signature, envelope) on
//! the caller's thread before they reach the writer, so checking signatures
//! uses every core while the writer only orders and persists.

mod federation;
mod files;
mod layout;
mod newer;
pub mod outbox;
mod replicas;
mod writer;

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::{Arc, RwLock};

use yiyi_protocol::checkpoint::SignedCheckpoint;
use yiyi_protocol::entry::EntryError;
use yiyi_protocol::merkle::{self, Hash, ProofRequestError, Subtrees};
use yiyi_protocol::proto::entry::Body;
use yiyi_protocol::{ChainHead, SecretKey, VerifiedEntry};

pub use newer::NewerRecord;
pub use replicas::{Submitted, VerifiedReplicas};
use writer::{Reply, Request};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The entry was refused; nothing was written.
    #[error("entry refused: {0}")]
    Rejected(#[from] EntryError),
    /// Another process holds the data directory.
    #[error(
        "the data directory {0} is in use by another process: stop the node running on it first"
    )]
    Locked(std::path::PathBuf),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sled::Error),
    /// A file operation failed (opening, syncing).
    #[error("file system: {0}")]
    Io(#[from] std::io::Error),
    /// The group commit this append was part of failed; nothing in it was
    /// acknowledged.
    #[error("committing to disk failed: {0}")]
    CommitFailed(String),
    /// The stored data contradicts itself.
    #[error("the store is corrupt: {0}")]
    Corrupt(String),
    /// A proof asks for leaves or sizes the log does not have.
    #[error("{0}")]
    OutOfRange(String),
    /// The writer thread has stopped (the store is shutting down).
    #[error("the store's writer has stopped")]
    Closed,
    /// The log is frozen: it signed two histories.
    #[error("the log is frozen: it equivocated (see its equivocation proof)")]
    Frozen,
    /// An earlier commit failed; the store takes no appends until the node is
    /// restarted.
    #[error("an earlier write to disk failed: restart the node to recover the store")]
    Failed,
}

impl From<ProofRequestError<StoreError>> for StoreError {
    fn from(e: ProofRequestError<StoreError>) -> StoreError {
        match e {
            ProofRequestError::OutOfRange(message) => StoreError::OutOfRange(message),
            ProofRequestError::Source(e) => e,
        }
    }
}

pub use yiyi_protocol::LogKey;

/// An entry that is in the store and on disk: where it is (sequence, hash,
/// the author's time), the one position type the rules use too.
pub type Appended = yiyi_protocol::rules::Position;

/// A log's state as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogState {
    /// Size and the hash of the last entry.
    pub head: ChainHead,
    /// The Merkle root of all entries.
    pub root: Hash,
}

/// What is durable: the heads of the logs and the own ledger's latest
/// checkpoint, as of the last sync. Reads never go past it.
struct DurableView {
    logs: HashMap<LogKey, LogState>,
    checkpoint: Option<SignedCheckpoint>,
    /// Counts commits, so that tasks can wake when something was stored.
    commits: tokio::sync::watch::Sender<u64>,
}

/// A handle on the ledger store; cheap to clone, shareable across threads.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: sled::Db,
    tree: sled::Tree,
    meta: sled::Tree,
    own: SecretKey,
    durable: Arc<RwLock<DurableView>>,
    /// `None` only while dropping.
    requests: Option<tokio::sync::mpsc::Sender<Request>>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Inner {
    /// Stops the writer after it has committed what it was given, so that the
    /// database is closed (and its lock released) when the last handle goes.
    fn drop(&mut self) {
        self.requests.take();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// How long to wait for the data directory's lock. A store closed a moment
/// ago in this process may still hold it: sled's background threads
/// release it when they finish (sled's own tests block on it for this).
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Opens sled's database, waiting up to [`LOCK_WAIT`] for its lock.
fn open_locked(config: &sled::Config, dir: &Path) -> Result<sled::Db, StoreError> {
    let start = std::time::Instant::now();
    loop {
        match config.open() {
            // sled reports the lock only in its message.
            Err(sled::Error::Io(e)) if e.to_string().contains("could not acquire lock") => {
                if start.elapsed() >= LOCK_WAIT {
                    return Err(StoreError::Locked(dir.to_owned()));
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            opened => return Ok(opened?),
        }
    }
}

/// How many appends may wait for the writer before callers are held back.
const QUEUE_DEPTH: usize = 4096;

impl Store {
    /// Opens (or creates) the store in `dir`, with `own` as the key of the
    /// node's own ledger, whose origin is the key's name.
    pub fn open(dir: &Path, own: SecretKey) -> Result<Store, StoreError> {
        Store::open_with_cache(dir, own, 64 * 1024 * 1024)
    }

    /// [`Store::open`] with sled's page cache bounded to `cache_bytes`
    /// (many nodes in one process, small machines).
    pub fn open_with_cache(
        dir: &Path,
        own: SecretKey,
        cache_bytes: u64,
    ) -> Result<Store, StoreError> {
        let config = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_bytes)
            // Durability comes from the writer's flush + fdatasync per commit;
            // sled's timer flush would only add disk traffic.
            .flush_every_ms(None)
            // Less eager compaction: half the CPU per commit, for more space
            // on disk (see docs/PERFORMANCE.md).
            .mode(sled::Mode::HighThroughput);
        let db = open_locked(&config, dir)?;
        let data_file = File::open(dir.join("db"))?;
        let tree = db.open_tree(layout::TREE)?;
        let meta = db.open_tree(federation::TREE)?;

        // After a restart everything sled recovered is durable.
        let mut view = DurableView {
            logs: HashMap::new(),
            checkpoint: None,
            commits: tokio::sync::watch::channel(0).0,
        };
        for item in tree.scan_prefix([layout::STATE]) {
            let (key, value) = item?;
            let stored = layout::StoredState::decode(&value)?;
            let state = LogState {
                head: stored.head,
                root: stored.frontier.root(),
            };
            view.logs.insert(layout::log_of_state_key(&key)?, state);
        }
        if let Some(note) = tree.get(layout::checkpoint_key(&own.log_key()))? {
            view.checkpoint = Some(parse_checkpoint(&note)?);
        }
        let durable = Arc::new(RwLock::new(view));

        let (requests, receiver) = tokio::sync::mpsc::channel(QUEUE_DEPTH);
        let writer = writer::spawn(
            tree.clone(),
            db.clone(),
            data_file,
            own.clone(),
            durable.clone(),
            receiver,
        )?;
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                tree,
                meta,
                own,
                durable,
                requests: Some(requests),
                writer: Some(writer),
            }),
        })
    }

    /// The log key of the node's own ledger.
    pub fn own_log(&self) -> LogKey {
        self.inner.own.log_key()
    }

    /// The verifier key of the node's own ledger.
    pub fn own_key(&self) -> yiyi_protocol::VerifierKey {
        self.inner.own.verifier()
    }

    /// The origin of the node's own ledger (its checkpoints' first line).
    pub fn own_origin(&self) -> &str {
        self.inner.own.name()
    }

    fn requests(&self) -> Result<&tokio::sync::mpsc::Sender<Request>, StoreError> {
        self.inner.requests.as_ref().ok_or(StoreError::Closed)
    }

    /// Sends a request to the writer and waits for its answer, without
    /// blocking an async runtime's thread.
    async fn request(
        &self,
        request: impl FnOnce(Reply) -> Request,
    ) -> Result<Appended, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let requests = self.requests()?;
        requests
            .send(request(reply))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// [`Store::request`] from a plain thread (it panics inside a runtime).
    fn request_blocking(
        &self,
        request: impl FnOnce(Reply) -> Request,
    ) -> Result<Appended, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let requests = self.requests()?;
        requests
            .blocking_send(request(reply))
            .map_err(|_| StoreError::Closed)?;
        answer.blocking_recv().map_err(|_| StoreError::Closed)?
    }

    /// Appends `body` to the node's own ledger: the writer assigns the
    /// sequence number and previous hash, signs, and commits. Returns once the
    /// entry is durable.
    pub async fn append(&self, body: Body) -> Result<Appended, StoreError> {
        self.request(|reply| Request::Own { body, reply }).await
    }

    /// [`Store::append`] for callers outside an async runtime.
    pub fn append_blocking(&self, body: Body) -> Result<Appended, StoreError> {
        self.request_blocking(|reply| Request::Own { body, reply })
    }

    fn view(&self) -> std::sync::RwLockReadGuard<'_, DurableView> {
        self.inner.durable.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The logs in the store (the own ledger once it has an entry).
    pub fn logs(&self) -> Result<Vec<LogKey>, StoreError> {
        Ok(self.view().logs.keys().copied().collect())
    }

    /// A log's durable state; an unknown log is empty.
    pub fn state(&self, log: &LogKey) -> Result<LogState, StoreError> {
        Ok(self
            .view()
            .logs
            .get(log)
            .cloned()
            .unwrap_or_else(|| LogState {
                head: ChainHead::default(),
                root: merkle::empty_root(),
            }))
    }

    /// The signed entry at `sequence`, as stored.
    pub fn entry(&self, log: &LogKey, sequence: u64) -> Result<Option<Vec<u8>>, StoreError> {
        if sequence >= self.size(log)? {
            return Ok(None);
        }
        let hash = layout::read_node(&self.inner.tree, log, 0, sequence)?;
        match self.entry_by_hash(&hash)? {
            Some((l, s, bytes)) if l == *log && s == sequence => Ok(Some(bytes)),
            _ => Err(StoreError::Corrupt(format!(
                "entry {sequence} is not stored under its hash {hash}"
            ))),
        }
    }

    /// The entries of `log` from `from` on, as far as they are held now,
    /// each read back and verified (signed by the log's key): the one walk
    /// over a log that the office, the views, the board and bundles share.
    /// An entry missing or failing verification below the held size is
    /// corruption, and ends the walk with an error.
    pub fn entries(&self, log: &LogKey, from: u64) -> Entries<'_> {
        Entries {
            store: self,
            log: *log,
            next: from,
            size: self.held(log),
        }
    }

    /// The log, sequence number and bytes of the entry with this hash.
    pub fn entry_by_hash(&self, hash: &Hash) -> Result<Option<(LogKey, u64, Vec<u8>)>, StoreError> {
        let Some(value) = self.inner.tree.get(layout::entry_key(hash))? else {
            return Ok(None);
        };
        let (log, sequence, bytes) = layout::parse_entry_value(&value)?;
        if sequence >= self.size(&log)? {
            // Written but not yet synced.
            return Ok(None);
        }
        Ok(Some((log, sequence, bytes.to_vec())))
    }

    fn subtrees(&self, log: &LogKey, size: u64) -> LogSubtrees<'_> {
        LogSubtrees {
            tree: &self.inner.tree,
            log: *log,
            size,
        }
    }

    fn size(&self, log: &LogKey) -> Result<u64, StoreError> {
        Ok(self.state(log)?.head.size)
    }

    /// The Merkle root of the first `size` entries.
    pub fn root_at(&self, log: &LogKey, size: u64) -> Result<Hash, StoreError> {
        let subtrees = self.subtrees(log, self.size(log)?);
        if size == 0 {
            return Ok(merkle::empty_root());
        }
        // Any prefix is a fold of perfect subtrees: range_root covers it.
        Ok(merkle::range_root(&subtrees, 0, size)?)
    }

    /// The inclusion proof of entry `index` in the tree of the first `size`
    /// entries (any size up to the current one).
    pub fn inclusion_proof(
        &self,
        log: &LogKey,
        index: u64,
        size: u64,
    ) -> Result<Vec<Hash>, StoreError> {
        let subtrees = self.subtrees(log, self.size(log)?);
        Ok(merkle::inclusion_proof(&subtrees, index, size)?)
    }

    /// The consistency proof between the first `old_size` and the first `size`
    /// entries.
    pub fn consistency_proof(
        &self,
        log: &LogKey,
        old_size: u64,
        size: u64,
    ) -> Result<Vec<Hash>, StoreError> {
        let subtrees = self.subtrees(log, self.size(log)?);
        Ok(merkle::consistency_proof(&subtrees, old_size, size)?)
    }

    /// The hashes of a tlog-tiles hash tile of `log` (level `level`, the
    /// `width` first of tile `index`); the caller has checked that the
    /// entries held reach it (`tiles::exists`).
    pub fn tile_hashes(
        &self,
        log: &LogKey,
        level: u8,
        index: u64,
        width: u16,
    ) -> Result<Vec<Hash>, StoreError> {
        let subtrees = self.subtrees(log, self.size(log)?);
        yiyi_protocol::tiles::read_hashes(&subtrees, level, index, width)
    }

    /// A receiver that changes after every commit (of any log).
    pub fn commits(&self) -> tokio::sync::watch::Receiver<u64> {
        self.view().commits.subscribe()
    }

    /// The latest signed checkpoint of the node's own ledger (a C2SP signed
    /// note), or `None` before its first entry.
    pub fn checkpoint(&self) -> Result<Option<SignedCheckpoint>, StoreError> {
        Ok(self.view().checkpoint.clone())
    }

    /// How many entries of `log` are held (0 for a log not held).
    pub fn held(&self, log: &LogKey) -> u64 {
        self.view().logs.get(log).map_or(0, |s| s.head.size)
    }

    /// Reads a whole log back and checks it end to end: every entry's
    /// signature and author, the sequence and previous-hash chain, the hash
    /// index, and that the entries' Merkle root is the stored root. Returns
    /// the verified state.
    pub fn verify_log(&self, log: &LogKey) -> Result<LogState, StoreError> {
        let state = self.state(log)?;
        let mut head = ChainHead::default();
        let mut tree = merkle::MemoryTree::new();
        for stored in self.entries(log, 0) {
            let StoredEntry {
                at,
                verified: entry,
                ..
            } = stored?;
            head.check_next(&entry)
                .map_err(|e| StoreError::Corrupt(format!("entry {}: {e}", at.sequence)))?;
            head = head.advance(&entry);
            tree.push_hash(entry.hash);
        }
        if head != state.head || tree.root() != state.root {
            return Err(StoreError::Corrupt(format!(
                "the entries give size {} and root {}, the stored head says size {} and root {}",
                head.size,
                tree.root(),
                state.head.size,
                state.root
            )));
        }
        if state.head.size > 0 && self.root_at(log, state.head.size)? != state.root {
            return Err(StoreError::Corrupt(
                "the stored subtrees disagree with the root".into(),
            ));
        }
        Ok(state)
    }

    /// Flushes everything to disk (appends are durable already; this is for
    /// shutdown).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner.db.flush()?;
        Ok(())
    }
}

/// Verifies an entry of `log` on the caller's thread.
/// An entry read back from a log and verified.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    /// Where it is in its log.
    pub at: Appended,
    /// The entry, verified: signed by the log's key.
    pub verified: VerifiedEntry,
    /// Its bytes, as stored and signed.
    pub bytes: Vec<u8>,
}

impl StoredEntry {
    /// The record it carries.
    pub fn body(&self) -> Option<&Body> {
        self.verified.entry.body.as_ref()
    }
}

/// The verified entries of a log ([`Store::entries`]).
pub struct Entries<'a> {
    store: &'a Store,
    log: LogKey,
    next: u64,
    size: u64,
}

impl Iterator for Entries<'_> {
    type Item = Result<StoredEntry, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.size {
            return None;
        }
        let sequence = self.next;
        self.next += 1;
        let read = || -> Result<StoredEntry, StoreError> {
            let bytes = self
                .store
                .entry(&self.log, sequence)?
                .ok_or_else(|| StoreError::Corrupt(format!("entry {sequence} is missing")))?;
            let verified = replicas::verify_replica(&self.log, &bytes)
                .map_err(|e| StoreError::Corrupt(format!("entry {sequence}: {e}")))?;
            let at = Appended {
                sequence,
                hash: verified.hash,
                time_ms: verified.entry.time_ms,
            };
            Ok(StoredEntry {
                at,
                verified,
                bytes,
            })
        };
        let item = read();
        if item.is_err() {
            // Nothing after a broken entry is read.
            self.next = self.size;
        }
        Some(item)
    }
}

/// A log's perfect subtrees, read from sled.
struct LogSubtrees<'a> {
    tree: &'a sled::Tree,
    log: LogKey,
    size: u64,
}

impl Subtrees for LogSubtrees<'_> {
    type Error = StoreError;

    fn size(&self) -> u64 {
        self.size
    }

    fn subtree(&self, level: u8, index: u64) -> Result<Hash, StoreError> {
        layout::read_node(self.tree, &self.log, level, index)
    }
}

/// A signed checkpoint as stored: UTF-8 and well-formed, else the store is
/// corrupt.
pub(crate) fn parse_checkpoint(bytes: &[u8]) -> Result<SignedCheckpoint, StoreError> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| SignedCheckpoint::parse(text).ok())
        .ok_or_else(|| StoreError::Corrupt("a stored checkpoint does not parse".into()))
}

//! The node's private store (隐私数据): what never leaves the node.
//!
//! Names and phone numbers on sign-in sheets, who raised a topic and the
//! details of personal disputes are kept here, in their own sled database,
//! each with a random salt. The public ledger gets only the salted commitment
//! (`yiyi_protocol::commitment`) and counts; nothing here is replicated or
//! served by a public endpoint.
//!
//! The console's audit log (操作记录) is here too, in its own tree: which
//! member of staff wrote which entry, and when. The public ledger does not
//! name staff; the office's secretary can read who did what. So are the
//! residents' concerns (`crate::concerns`), in trees of their own.

use std::path::Path;

use serde::{Deserialize, Serialize};
use yiyi_protocol::commitment;

/// Why private data could not be kept or read.
#[derive(Debug, thiserror::Error)]
pub enum PrivateError {
    /// The database failed.
    #[error("private store: {0}")]
    Database(#[from] sled::Error),
    /// No randomness for the salt.
    #[error("private store: no randomness for a salt: {0}")]
    Randomness(String),
    /// A stored record does not decode.
    #[error("private store: a record is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
}

/// One piece of private data and how it is committed to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrivateRecord {
    /// What it is: `topic-raiser`, `sign-in-sheet`, `dispute-details`.
    pub kind: String,
    /// The topic or meeting it belongs to.
    pub subject: String,
    /// The salt, hex.
    pub salt: String,
    /// The data itself.
    pub data: serde_json::Value,
}

/// One write made through the console, or refused: who, when, what, which
/// entries (or why none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When (ms since the epoch).
    pub time_ms: i64,
    /// The member of staff, by account name.
    pub staff: String,
    /// Their role then.
    pub role: String,
    /// The action, as the HTTP contract names it (`topic`, `accept`, …).
    pub action: String,
    /// The record's id (a topic's, a meeting's, a matter's).
    pub subject: String,
    /// The entries written: the record's, then its notices' (sequence, hash).
    pub entries: Vec<(u64, String)>,
    /// Why the rules refused it, in Chinese, when they did (nothing was
    /// written): Today shows the recent ones.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub refused: String,
}

/// The audit log's tree.
const AUDIT: &[u8] = b"audit-v1";

/// The private store of one node.
#[derive(Clone)]
pub struct PrivateStore {
    db: sled::Db,
}

impl PrivateStore {
    /// Opens (or creates) the private store in `dir`.
    pub fn open(dir: &Path) -> Result<PrivateStore, PrivateError> {
        let db = sled::Config::new()
            .path(dir)
            // Private records are few and small.
            .cache_capacity(1024 * 1024)
            // Every write is flushed before it returns ([`PrivateStore::keep`]):
            // sled's timer flush (a thread waking every 500 ms) adds nothing.
            .flush_every_ms(None)
            .open()?;
        Ok(PrivateStore { db })
    }

    /// Keeps `data` and returns the commitment to publish in its place. The
    /// record is on disk before this returns, so a published commitment
    /// always has its data.
    pub fn keep(
        &self,
        kind: &str,
        subject: &str,
        data: serde_json::Value,
    ) -> Result<[u8; 32], PrivateError> {
        let salt = commitment::salt().map_err(|e| PrivateError::Randomness(e.to_string()))?;
        let bytes = serde_json::to_vec(&data)?;
        let commitment = commitment::commit(&salt, &bytes);
        let record = PrivateRecord {
            kind: kind.into(),
            subject: subject.into(),
            salt: hex::encode(salt),
            data,
        };
        self.db.insert(commitment, serde_json::to_vec(&record)?)?;
        self.db.flush()?;
        Ok(commitment)
    }

    /// Appends to the audit log; on disk before it returns.
    pub fn audit(&self, record: &AuditRecord) -> Result<(), PrivateError> {
        let log = self.db.open_tree(AUDIT)?;
        // Keys in time order; the id breaks ties within a millisecond.
        let mut key = record.time_ms.to_be_bytes().to_vec();
        key.extend_from_slice(&self.db.generate_id()?.to_be_bytes());
        log.insert(key, serde_json::to_vec(record)?)?;
        log.flush()?;
        Ok(())
    }

    /// The audit log, newest first, at most `limit` records.
    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditRecord>, PrivateError> {
        let log = self.db.open_tree(AUDIT)?;
        let mut records = Vec::new();
        for item in log.iter().rev().take(limit) {
            let (_, value) = item?;
            records.push(serde_json::from_slice(&value)?);
        }
        Ok(records)
    }

    /// The tree `name` of this store, for a service that keeps its own
    /// kind of private data (`crate::concerns`).
    pub(crate) fn tree(&self, name: &[u8]) -> Result<sled::Tree, PrivateError> {
        Ok(self.db.open_tree(name)?)
    }

    /// A fresh id, unique in this store.
    pub(crate) fn next_id(&self) -> Result<u64, PrivateError> {
        Ok(self.db.generate_id()?)
    }

    /// The record behind a commitment.
    pub fn get(&self, commitment: &[u8]) -> Result<Option<PrivateRecord>, PrivateError> {
        match self.db.get(commitment)? {
            Some(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
            None => Ok(None),
        }
    }
}

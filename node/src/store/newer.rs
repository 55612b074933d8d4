//! The index of entries written by a later version (较新版本的记录): kept,
//! served, proved and forwarded like every entry, but not read by this
//! version's rules. The writer indexes each one in the batch that stores it,
//! so the board, `yiyi logs`, `yiyi-node status` and `/metrics` can list and
//! count them without reading every log.

use yiyi_protocol::merkle::Hash;

use super::{LogKey, Store, StoreError, layout};

/// An entry held here that a later version wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewerRecord {
    /// Its log.
    pub log: LogKey,
    /// Its place in the log.
    pub sequence: u64,
    /// Its hash.
    pub hash: Hash,
    /// The release its author says reads it ("" if it did not say).
    pub reader_version: String,
}

impl Store {
    /// The later version's entries held of `log` (of every log if `None`),
    /// in log and sequence order; only durable ones.
    pub fn newer_records(&self, log: Option<&LogKey>) -> Result<Vec<NewerRecord>, StoreError> {
        let mut records = Vec::new();
        for item in self.inner.tree.scan_prefix(layout::newer_prefix(log)) {
            let (key, value) = item?;
            let (log, sequence, hash, reader_version) = layout::parse_newer(&key, &value)?;
            if sequence < self.held(&log) {
                records.push(NewerRecord {
                    log,
                    sequence,
                    hash,
                    reader_version,
                });
            }
        }
        Ok(records)
    }
}

//! The outbox (待送件): escalations recorded in the own ledger and not yet
//! acknowledged by the office they are addressed to, kept on disk until the
//! signed receipt comes back, and the receipts that came.
//!
//! Delivery is at least once: an item stays until its receipt is stored, and
//! is retried with exponential back-off (1 s doubling to 5 min). Items are
//! keyed by the escalation entry's hash, so a repeat changes nothing; the
//! addressee answers a repeated delivery with the receipt it already gave.
//! The trees live in the node's ledger database and each change is flushed
//! before it returns, so neither a restart nor `kill -9` loses an item.

use std::time::Duration;

use yiyi_protocol::merkle::Hash;

use super::{LogKey, Store, StoreError};

const PENDING: &[u8] = b"outbox-v1";
const RECEIPTS: &[u8] = b"receipts-v1";

/// First retry delay.
pub const FIRST_RETRY: Duration = Duration::from_secs(1);
/// Longest retry delay.
pub const LONGEST_RETRY: Duration = Duration::from_secs(300);

/// An escalation waiting for its receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The escalation entry's hash.
    pub escalation: Hash,
    /// The office it is addressed to.
    pub to: LogKey,
    /// Deliveries tried so far.
    pub attempts: u32,
    /// When to try next (ms since the epoch).
    pub next_ms: i64,
}

impl Pending {
    fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(44);
        v.extend_from_slice(self.to.as_slice());
        v.extend_from_slice(&self.attempts.to_be_bytes());
        v.extend_from_slice(&self.next_ms.to_be_bytes());
        v
    }

    fn decode(key: &[u8], value: &[u8]) -> Result<Pending, StoreError> {
        let corrupt = || StoreError::Corrupt("an outbox item is malformed".into());
        if value.len() != 44 {
            return Err(corrupt());
        }
        Ok(Pending {
            escalation: Hash::from_slice(key).map_err(|_| corrupt())?,
            to: value[..32].try_into().map_err(|_| corrupt())?,
            attempts: u32::from_be_bytes(value[32..36].try_into().map_err(|_| corrupt())?),
            next_ms: i64::from_be_bytes(value[36..44].try_into().map_err(|_| corrupt())?),
        })
    }
}

/// The delay before attempt `attempts + 1`.
pub fn backoff(attempts: u32) -> Duration {
    FIRST_RETRY
        .saturating_mul(1u32.checked_shl(attempts.min(20)).unwrap_or(u32::MAX))
        .min(LONGEST_RETRY)
}

/// The outbox and the receipts given, on disk.
#[derive(Clone)]
pub struct Outbox {
    db: sled::Db,
    pending: sled::Tree,
    receipts: sled::Tree,
}

impl Outbox {
    /// The outbox in the store's database.
    pub fn of(store: &Store) -> Result<Outbox, StoreError> {
        Outbox::open(&store.inner.db)
    }

    /// Opens the outbox in a sled database.
    fn open(db: &sled::Db) -> Result<Outbox, StoreError> {
        Ok(Outbox {
            db: db.clone(),
            pending: db.open_tree(PENDING)?,
            receipts: db.open_tree(RECEIPTS)?,
        })
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    /// Puts an escalation in the outbox, to be delivered at once; an item
    /// already there stays as it is.
    pub fn push(&self, escalation: Hash, to: LogKey, now_ms: i64) -> Result<(), StoreError> {
        if self.receipts.contains_key(escalation.as_bytes())? {
            return Ok(());
        }
        let item = Pending {
            escalation,
            to,
            attempts: 0,
            next_ms: now_ms,
        };
        let _ = self.pending.compare_and_swap(
            escalation.as_bytes(),
            None::<&[u8]>,
            Some(item.encode()),
        )?;
        self.flush()
    }

    /// The items due at `now_ms`.
    pub fn due(&self, now_ms: i64) -> Result<Vec<Pending>, StoreError> {
        let mut due = Vec::new();
        for item in self.pending.iter() {
            let (key, value) = item?;
            let pending = Pending::decode(&key, &value)?;
            if pending.next_ms <= now_ms && !self.receipts.contains_key(&key)? {
                due.push(pending);
            }
        }
        Ok(due)
    }

    /// Every item still waiting for its receipt.
    pub fn waiting(&self) -> Result<Vec<Pending>, StoreError> {
        self.due(i64::MAX)
    }

    /// Records a failed attempt: the next one waits longer.
    pub fn failed(&self, escalation: &Hash, now_ms: i64) -> Result<(), StoreError> {
        let Some(value) = self.pending.get(escalation.as_bytes())? else {
            return Ok(());
        };
        let mut item = Pending::decode(escalation.as_bytes(), &value)?;
        item.attempts += 1;
        item.next_ms = now_ms + backoff(item.attempts).as_millis() as i64;
        self.pending.insert(escalation.as_bytes(), item.encode())?;
        self.flush()
    }

    /// The receipt came: it is kept, and the item leaves the outbox.
    pub fn delivered(&self, escalation: &Hash, receipt: &[u8]) -> Result<(), StoreError> {
        // Receipt first: a crash between the two leaves an item whose
        // receipt is held, which `push` and `due` skip.
        self.receipts.insert(escalation.as_bytes(), receipt)?;
        self.pending.remove(escalation.as_bytes())?;
        self.flush()
    }

    /// The signed receipt held for an escalation sent, if it came.
    pub fn receipt(&self, escalation: &Hash) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .receipts
            .get(escalation.as_bytes())?
            .map(|v| v.to_vec()))
    }

    /// Whether the escalation is waiting for its receipt.
    pub fn is_waiting(&self, escalation: &Hash) -> Result<bool, StoreError> {
        Ok(self.pending.contains_key(escalation.as_bytes())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yiyi_protocol::merkle::leaf_hash;

    #[test]
    fn back_off_doubles_from_one_second_to_five_minutes() {
        assert_eq!(backoff(0), Duration::from_secs(1));
        assert_eq!(backoff(1), Duration::from_secs(2));
        assert_eq!(backoff(4), Duration::from_secs(16));
        assert_eq!(backoff(9), Duration::from_secs(300));
        assert_eq!(backoff(u32::MAX), Duration::from_secs(300));
    }

    #[test]
    fn items_survive_reopening_and_leave_only_with_their_receipt() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
        {
            let db = sled::open(dir.path()).unwrap();
            let outbox = Outbox::open(&db).unwrap();
            outbox.push(a, LogKey([2; 32]), 1_000).unwrap();
            outbox.push(b, LogKey([2; 32]), 1_000).unwrap();
            outbox.failed(&a, 1_000).unwrap();
            // Pushing again changes nothing.
            outbox.push(a, LogKey([2; 32]), 5_000).unwrap();
        }
        let db = sled::open(dir.path()).unwrap();
        let outbox = Outbox::open(&db).unwrap();
        let due: Vec<Hash> = outbox
            .due(1_500)
            .unwrap()
            .into_iter()
            .map(|p| p.escalation)
            .collect();
        // `a` failed once at 1 s: it waits 2 s more.
        assert_eq!(due, vec![b]);
        assert_eq!(outbox.waiting().unwrap().len(), 2);
        let retried = outbox.due(3_000).unwrap();
        assert!(retried.iter().any(|p| p.escalation == a && p.attempts == 1));
        outbox.delivered(&a, b"receipt of a").unwrap();
        assert_eq!(outbox.waiting().unwrap().len(), 1);
        assert_eq!(
            outbox.receipt(&a).unwrap().as_deref(),
            Some(&b"receipt of a"[..])
        );
        assert_eq!(outbox.receipt(&b).unwrap(), None);
        // Once its receipt is held, an escalation is not queued again.
        outbox.push(a, LogKey([2; 32]), 9_000).unwrap();
        assert!(!outbox.is_waiting(&a).unwrap());
    }
}

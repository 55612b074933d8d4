//! How the store lays out its keys in one sled tree.
//!
//! One tree keeps every atomic write a single `apply_batch`, which is cheaper
//! than a multi-tree transaction. Integers are big-endian so that keys sort in
//! numeric order.
//!
//! | key                                   | value                              |
//! |---------------------------------------|------------------------------------|
//! | `e` log(32) sequence(8)               | the signed entry                   |
//! | `h` hash(32)                          | log(32) sequence(8)                |
//! | `n` log(32) level(1) index(8)         | perfect-subtree hash (level 0: leaf) |
//! | `s` log(32)                           | size(8) last hash(32) frontier(32·k) |
//! | `c` log(32)                           | latest signed checkpoint (own log) |

use yiyi_protocol::merkle::{Frontier, Hash};
use yiyi_protocol::ChainHead;

use super::{LogKey, StoreError};

/// The tree's name; the suffix is the layout's version.
pub(super) const TREE: &[u8] = b"ledger-v1";

pub(super) const ENTRY: u8 = b'e';
pub(super) const HASH: u8 = b'h';
pub(super) const NODE: u8 = b'n';
pub(super) const STATE: u8 = b's';
pub(super) const CHECKPOINT: u8 = b'c';


fn key(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + parts.iter().map(|p| p.len()).sum::<usize>());
    key.push(tag);
    for part in parts {
        key.extend_from_slice(part);
    }
    key
}

pub(super) fn entry_key(log: &LogKey, sequence: u64) -> Vec<u8> {
    key(ENTRY, &[log, &sequence.to_be_bytes()])
}

pub(super) fn entries_prefix(log: &LogKey) -> Vec<u8> {
    key(ENTRY, &[log])
}

pub(super) fn hash_key(hash: &Hash) -> Vec<u8> {
    key(HASH, &[hash.as_bytes()])
}

pub(super) fn location(log: &LogKey, sequence: u64) -> Vec<u8> {
    let mut value = log.to_vec();
    value.extend_from_slice(&sequence.to_be_bytes());
    value
}

pub(super) fn parse_location(value: &[u8]) -> Result<(LogKey, u64), StoreError> {
    if value.len() != 40 {
        return Err(StoreError::Corrupt("a hash index value is not 40 bytes".into()));
    }
    let log = value[..32].try_into().expect("32 bytes");
    let sequence = u64::from_be_bytes(value[32..].try_into().expect("8 bytes"));
    Ok((log, sequence))
}

pub(super) fn node_key(log: &LogKey, level: u8, index: u64) -> Vec<u8> {
    key(NODE, &[log, &[level], &index.to_be_bytes()])
}

pub(super) fn state_key(log: &LogKey) -> Vec<u8> {
    key(STATE, &[log])
}

pub(super) fn log_of_state_key(key: &[u8]) -> Result<LogKey, StoreError> {
    key.get(1..)
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| StoreError::Corrupt("a state key is not 33 bytes".into()))
}

pub(super) fn checkpoint_key(log: &LogKey) -> Vec<u8> {
    key(CHECKPOINT, &[log])
}

/// A log's head and Merkle frontier, as kept under its state key.
#[derive(Debug, Clone, Default)]
pub(super) struct StoredState {
    pub(super) head: ChainHead,
    pub(super) frontier: Frontier,
}

impl StoredState {
    pub(super) fn encode(&self) -> Vec<u8> {
        let mut value = Vec::with_capacity(40 + 32 * self.frontier.hashes().len());
        value.extend_from_slice(&self.head.size.to_be_bytes());
        value.extend_from_slice(self.head.last.as_bytes());
        for hash in self.frontier.hashes() {
            value.extend_from_slice(hash.as_bytes());
        }
        value
    }

    fn decode(value: &[u8]) -> Result<StoredState, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("a log state is malformed: {what}"));
        if value.len() < 40 || (value.len() - 40) % 32 != 0 {
            return Err(corrupt("bad length"));
        }
        let size = u64::from_be_bytes(value[..8].try_into().expect("8 bytes"));
        let last = Hash::from_slice(&value[8..40]).expect("32 bytes");
        let hashes = value[40..]
            .chunks(32)
            .map(|c| Hash::from_slice(c).expect("32 bytes"))
            .collect();
        let frontier = Frontier::from_parts(size, hashes).map_err(|e| corrupt(&e.to_string()))?;
        Ok(StoredState {
            head: ChainHead { size, last },
            frontier,
        })
    }
}

/// Reads a log's state; a log never written is empty.
pub(super) fn read_state(tree: &sled::Tree, log: &LogKey) -> Result<StoredState, StoreError> {
    match tree.get(state_key(log))? {
        Some(value) => StoredState::decode(&value),
        None => Ok(StoredState::default()),
    }
}

//! How the store lays out its keys in one sled tree.
//!
//! One tree keeps every atomic write a single `apply_batch`, which is cheaper
//! than a multi-tree transaction. Each entry costs one key: it is stored under
//! its hash, and the Merkle tree's hashes (leaf hashes included) are kept in
//! tiles of 16 per level (C2SP tlog-tiles' idea, narrower), so that a commit rewrites
//! a few tiles instead of a key per node. Reading entry `n` is two lookups:
//! its leaf hash from the level-0 tile, then the entry by hash. Integers are
//! big-endian so that keys sort in numeric order.
//!
//! | key                          | value                                  |
//! |------------------------------|----------------------------------------|
//! | `h` hash(32)                 | log(32) sequence(8) signed entry       |
//! | `t` log(32) level(1) tile(8) | up to 16 node hashes of that level     |
//! | `s` log(32)                  | size(8) last hash(32) frontier(32·k)   |
//! | `c` log(32)                  | latest signed checkpoint (own log)     |
//! | `n` log(32) sequence(8)      | hash(32) reader version: an entry of a |
//! |                              | later version, kept unread (0.2.0 on)  |

use yiyi_protocol::ChainHead;
use yiyi_protocol::merkle::{Frontier, Hash};

use super::{LogKey, StoreError};

/// The tree's name; the suffix is the layout's version.
pub(super) const TREE: &[u8] = b"ledger-v1";

/// Hashes per tile. Each commit rewrites the last tile of every level it
/// touched, so small tiles keep small commits small (wider tiles cost more
/// bytes per commit than they save in keys).
pub(super) const TILE_WIDTH: u64 = 16;

const ENTRY: u8 = b'h';
const TILE: u8 = b't';
pub(super) const STATE: u8 = b's';
const CHECKPOINT: u8 = b'c';
const NEWER: u8 = b'n';

fn key(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + parts.iter().map(|p| p.len()).sum::<usize>());
    key.push(tag);
    for part in parts {
        key.extend_from_slice(part);
    }
    key
}

pub(super) fn entry_key(hash: &Hash) -> Vec<u8> {
    key(ENTRY, &[hash.as_bytes()])
}

/// The value stored under an entry's hash.
pub(super) fn entry_value(log: &LogKey, sequence: u64, bytes: &[u8]) -> Vec<u8> {
    let mut value = Vec::with_capacity(40 + bytes.len());
    value.extend_from_slice(log.as_slice());
    value.extend_from_slice(&sequence.to_be_bytes());
    value.extend_from_slice(bytes);
    value
}

/// Splits a stored entry value into log, sequence number and entry bytes.
pub(super) fn parse_entry_value(value: &[u8]) -> Result<(LogKey, u64, &[u8]), StoreError> {
    if value.len() < 40 {
        return Err(StoreError::Corrupt(
            "a stored entry is shorter than its header".into(),
        ));
    }
    let log = value[..32].try_into().expect("32 bytes");
    let sequence = u64::from_be_bytes(value[32..40].try_into().expect("8 bytes"));
    Ok((log, sequence, &value[40..]))
}

pub(super) fn tile_key(log: &LogKey, level: u8, tile: u64) -> Vec<u8> {
    key(TILE, &[log.as_slice(), &[level], &tile.to_be_bytes()])
}

pub(super) fn state_key(log: &LogKey) -> Vec<u8> {
    key(STATE, &[log.as_slice()])
}

pub(super) fn log_of_state_key(key: &[u8]) -> Result<LogKey, StoreError> {
    key.get(1..)
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| StoreError::Corrupt("a state key is not 33 bytes".into()))
}

/// The index key of a later version's entry, `sequence` of `log`.
pub(super) fn newer_key(log: &LogKey, sequence: u64) -> Vec<u8> {
    key(NEWER, &[log.as_slice(), &sequence.to_be_bytes()])
}

/// The index keys of `log`'s later-version entries, or of every log's.
pub(super) fn newer_prefix(log: Option<&LogKey>) -> Vec<u8> {
    key(NEWER, &[log.map_or(&[][..], |l| l.as_slice())])
}

/// Splits a later-version index entry into log, sequence number, hash and
/// reader version.
pub(super) fn parse_newer(
    key: &[u8],
    value: &[u8],
) -> Result<(LogKey, u64, Hash, String), StoreError> {
    let corrupt = || StoreError::Corrupt("a later-version index entry is malformed".into());
    if key.len() != 41 || value.len() < 32 {
        return Err(corrupt());
    }
    let log = key[1..33].try_into().expect("32 bytes");
    let sequence = u64::from_be_bytes(key[33..41].try_into().expect("8 bytes"));
    let hash = Hash::from_slice(&value[..32]).expect("32 bytes");
    let reader = String::from_utf8(value[32..].to_vec()).map_err(|_| corrupt())?;
    Ok((log, sequence, hash, reader))
}

pub(super) fn checkpoint_key(log: &LogKey) -> Vec<u8> {
    key(CHECKPOINT, &[log.as_slice()])
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

    pub(super) fn decode(value: &[u8]) -> Result<StoredState, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("a log state is malformed: {what}"));
        if value.len() < 40 || !(value.len() - 40).is_multiple_of(32) {
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

/// Reads the node hash `(level, index)` from its tile.
pub(super) fn read_node(
    tree: &sled::Tree,
    log: &LogKey,
    level: u8,
    index: u64,
) -> Result<Hash, StoreError> {
    let tile = tree
        .get(tile_key(log, level, index / TILE_WIDTH))?
        .ok_or_else(|| {
            StoreError::Corrupt(format!("tile ({level}, {}) is missing", index / TILE_WIDTH))
        })?;
    let at = (index % TILE_WIDTH) as usize * 32;
    tile.get(at..at + 32)
        .map(|h| Hash::from_slice(h).expect("32 bytes"))
        .ok_or_else(|| {
            StoreError::Corrupt(format!("node ({level}, {index}) is missing from its tile"))
        })
}

/// Reads the partial (or last full) tile of each level of a tree of `size`
/// leaves: what the writer keeps in memory to extend.
pub(super) fn read_edge_tiles(
    tree: &sled::Tree,
    log: &LogKey,
    size: u64,
) -> Result<Vec<(u64, Vec<Hash>)>, StoreError> {
    let mut tiles = Vec::new();
    for level in 0..64u8 {
        let count = size >> level;
        if count == 0 {
            break;
        }
        let tile = (count - 1) / TILE_WIDTH;
        let filled = (count - tile * TILE_WIDTH) as usize;
        let value = tree
            .get(tile_key(log, level, tile))?
            .ok_or_else(|| StoreError::Corrupt(format!("tile ({level}, {tile}) is missing")))?;
        if value.len() != filled * 32 {
            return Err(StoreError::Corrupt(format!(
                "tile ({level}, {tile}) holds {} bytes, not {}",
                value.len(),
                filled * 32
            )));
        }
        let hashes = value
            .chunks(32)
            .map(|c| Hash::from_slice(c).expect("32 bytes"))
            .collect();
        tiles.push((tile, hashes));
    }
    Ok(tiles)
}

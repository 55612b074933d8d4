//! C2SP tlog-tiles (瓦片): a ledger as static files that the transparency
//! ecosystem's monitors, mirrors and verifiers read unchanged.
//!
//! A tile holds up to 256 consecutive hashes of one level: level 0 the leaf
//! hashes, level `L` the roots of the perfect subtrees of `256^L` leaves. A
//! full tile has 256; the last tile of a level may be partial (`.p/<W>`).
//! An entry bundle holds the same entries as the level-0 tile of its index,
//! each as a big-endian `uint16` length and the SignedEntry bytes.
//!
//! Here are the paths (parsed strictly: a path has one spelling), which
//! tiles a tree of a given size has, the bundles' encoding, and a tree
//! rebuilt from fetched tiles ([`TileHashes`]), through which the roots and
//! proofs of `merkle` are recomputed. The node serves them; nothing here
//! reads or writes.

use std::collections::HashMap;

use crate::merkle::{self, Hash, Subtrees, node_hash};

/// Hashes in a full tile.
pub const TILE_WIDTH: u16 = 256;
/// Most levels a tile path may name (the spec's bound).
pub const MAX_LEVEL: u8 = 63;
/// The largest entry an entry bundle can carry (its length is a `uint16`).
pub const MAX_BUNDLED_ENTRY: usize = u16::MAX as usize;

/// What a tile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TileKind {
    /// Hashes of one level (`tile/<L>/…`).
    Hashes(u8),
    /// The entries themselves (`tile/entries/…`).
    Entries,
}

/// One tile or entry bundle: what it holds, its index within its level and
/// how many hashes (entries) it has, 1 to 256.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    /// Hashes of a level, or entries.
    pub kind: TileKind,
    /// The tile's index within its level.
    pub index: u64,
    /// 256 for a full tile, else the partial tile's width.
    pub width: u16,
}

/// Why a tile path is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TilePathError {
    /// Not of the form `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
    #[error("not a tile path: {0}")]
    Form(&'static str),
    /// A number written another way than the spec's only one (leading
    /// zeros, a level past 63, a width outside 1–255).
    #[error("not the canonical path: {0}")]
    NotCanonical(&'static str),
}

/// Why a tile or a bundle does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileDataError {
    /// A hash tile's length is not 32 × its width.
    #[error("a tile of width {width} is {expected} bytes, this is {got}")]
    Length {
        /// The tile's width.
        width: u16,
        /// 32 × width.
        expected: usize,
        /// The length received.
        got: usize,
    },
    /// An entry bundle ends inside an entry, or holds another count.
    #[error("the entry bundle is malformed: {0}")]
    Bundle(String),
    /// An entry too long for a bundle.
    #[error("an entry of {0} bytes does not fit a bundle (at most 65,535)")]
    EntryTooLarge(usize),
}

/// Why a tree could not be rebuilt from tiles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileTreeError {
    /// A tile needed was not given (or is narrower than needed).
    #[error("the tile {0} is missing")]
    Missing(String),
}

impl TileId {
    /// A tile of level-`level` hashes.
    pub fn hashes(level: u8, index: u64, width: u16) -> TileId {
        TileId {
            kind: TileKind::Hashes(level),
            index,
            width,
        }
    }

    /// An entry bundle.
    pub fn entries(index: u64, width: u16) -> TileId {
        TileId {
            kind: TileKind::Entries,
            index,
            width,
        }
    }

    /// Whether it holds all 256.
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// The tile's path, `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`,
    /// `<N>` in groups of three digits, each but the last after an `x`.
    pub fn path(&self) -> String {
        let mut groups = vec![format!("{:03}", self.index % 1000)];
        let mut rest = self.index / 1000;
        while rest > 0 {
            groups.push(format!("x{:03}", rest % 1000));
            rest /= 1000;
        }
        groups.reverse();
        let level = match self.kind {
            TileKind::Hashes(level) => level.to_string(),
            TileKind::Entries => "entries".into(),
        };
        let partial = if self.is_full() {
            String::new()
        } else {
            format!(".p/{}", self.width)
        };
        format!("tile/{level}/{}{partial}", groups.join("/"))
    }

    /// Parses a path as [`TileId::path`] writes it, and only so.
    pub fn parse(path: &str) -> Result<TileId, TilePathError> {
        let rest = path
            .strip_prefix("tile/")
            .ok_or(TilePathError::Form("it does not start with tile/"))?;
        let (kind, rest) = rest
            .split_once('/')
            .ok_or(TilePathError::Form("no index"))?;
        let kind = if kind == "entries" {
            TileKind::Entries
        } else {
            let level = canonical_number(kind, "the level")?;
            TileKind::Hashes(
                u8::try_from(level)
                    .ok()
                    .filter(|l| *l <= MAX_LEVEL)
                    .ok_or(TilePathError::NotCanonical("the level is past 63"))?,
            )
        };
        let (index, width) = match rest.split_once(".p/") {
            Some((index, width)) => {
                let width = u16::try_from(canonical_number(width, "the width")?)
                    .ok()
                    .filter(|w| (1..TILE_WIDTH).contains(w))
                    .ok_or(TilePathError::NotCanonical("a partial width is 1 to 255"))?;
                (index, width)
            }
            None => (rest, TILE_WIDTH),
        };
        let groups: Vec<&str> = index.split('/').collect();
        let last = groups.len() - 1;
        let mut n: u64 = 0;
        for (i, group) in groups.iter().enumerate() {
            let digits = if i < last {
                group.strip_prefix('x').ok_or(TilePathError::Form(
                    "each index group but the last has an x",
                ))?
            } else {
                group
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(TilePathError::Form("index groups are three digits"));
            }
            if i == 0 && last > 0 && digits == "000" {
                return Err(TilePathError::NotCanonical(
                    "the index has a leading zero group",
                ));
            }
            let group: u64 = digits.parse().expect("three digits");
            n = n
                .checked_mul(1000)
                .and_then(|n| n.checked_add(group))
                .ok_or(TilePathError::Form("the index is too large"))?;
        }
        Ok(TileId {
            kind,
            index: n,
            width,
        })
    }
}

impl std::fmt::Display for TileId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.path())
    }
}

/// A decimal number without leading zeros.
fn canonical_number(text: &str, what: &'static str) -> Result<u64, TilePathError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TilePathError::Form(what));
    }
    if text.len() > 1 && text.starts_with('0') {
        return Err(TilePathError::NotCanonical("a number has a leading zero"));
    }
    text.parse().map_err(|_| TilePathError::Form(what))
}

/// How many level-`level` hashes a tree of `size` leaves has: one per
/// perfect subtree of `256^level` leaves.
pub fn hashes_at(size: u64, level: u8) -> u64 {
    size.checked_shr(8 * u32::from(level)).unwrap_or(0)
}

/// Whether a tree of `size` leaves has `tile`: its hashes (entries) exist.
/// A partial tile of a width the tree has passed still exists (its hashes
/// are the full tile's first ones, and never change).
pub fn exists(tile: &TileId, size: u64) -> bool {
    let available = match tile.kind {
        TileKind::Hashes(level) => hashes_at(size, level),
        TileKind::Entries => size,
    };
    tile.index
        .checked_mul(u64::from(TILE_WIDTH))
        .and_then(|start| start.checked_add(u64::from(tile.width)))
        .is_some_and(|end| end <= available)
}

/// Every hash tile of a tree of `size` leaves, as a client of that size
/// asks for them: the full tiles, and the partial last tile of each level.
pub fn tiles_for(size: u64) -> Vec<TileId> {
    let mut tiles = Vec::new();
    for level in 0..=MAX_LEVEL {
        let count = hashes_at(size, level);
        if count == 0 {
            break;
        }
        tiles.extend(level_tiles(count).map(|(index, width)| TileId::hashes(level, index, width)));
    }
    tiles
}

/// The entry bundles of a tree of `size` leaves.
pub fn bundles_for(size: u64) -> Vec<TileId> {
    level_tiles(size)
        .map(|(index, width)| TileId::entries(index, width))
        .collect()
}

/// (index, width) of the tiles holding `count` items.
fn level_tiles(count: u64) -> impl Iterator<Item = (u64, u16)> {
    let full = count / u64::from(TILE_WIDTH);
    let partial = (count % u64::from(TILE_WIDTH)) as u16;
    (0..full)
        .map(|i| (i, TILE_WIDTH))
        .chain((partial > 0).then_some((full, partial)))
}

/// Encodes a tile's hashes.
pub fn encode_hashes(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

/// Decodes a tile of `width` hashes.
pub fn decode_hashes(bytes: &[u8], width: u16) -> Result<Vec<Hash>, TileDataError> {
    let expected = usize::from(width) * Hash::LEN;
    if bytes.len() != expected {
        return Err(TileDataError::Length {
            width,
            expected,
            got: bytes.len(),
        });
    }
    Ok(bytes
        .chunks_exact(Hash::LEN)
        .map(|c| Hash::from_slice(c).expect("32 bytes"))
        .collect())
}

/// Encodes an entry bundle: each entry as a big-endian `uint16` length and
/// its bytes.
pub fn encode_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, TileDataError> {
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.as_ref();
        let len =
            u16::try_from(entry.len()).map_err(|_| TileDataError::EntryTooLarge(entry.len()))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(entry);
    }
    Ok(out)
}

/// Decodes an entry bundle of exactly `width` entries.
pub fn decode_bundle(bytes: &[u8], width: u16) -> Result<Vec<&[u8]>, TileDataError> {
    let mut entries = Vec::with_capacity(usize::from(width));
    let mut rest = bytes;
    while !rest.is_empty() {
        let (len, tail) = rest
            .split_first_chunk::<2>()
            .ok_or_else(|| TileDataError::Bundle("it ends inside a length".into()))?;
        let len = usize::from(u16::from_be_bytes(*len));
        if tail.len() < len {
            return Err(TileDataError::Bundle("it ends inside an entry".into()));
        }
        let (entry, tail) = tail.split_at(len);
        entries.push(entry);
        rest = tail;
    }
    if entries.len() != usize::from(width) {
        return Err(TileDataError::Bundle(format!(
            "{} entries, the tile has {width}",
            entries.len()
        )));
    }
    Ok(entries)
}

/// The hashes of `tile` (a hash tile) read from a tree: level-`L` hash `i`
/// is the perfect subtree of height `8L` at `i`. The caller has checked the
/// tile [`exists`] at the tree's size.
pub fn read_hashes<S: Subtrees>(
    tree: &S,
    level: u8,
    index: u64,
    width: u16,
) -> Result<Vec<Hash>, S::Error> {
    // 256^8 leaves is past u64: no tree has a level-8 hash.
    let height = level
        .checked_mul(8)
        .expect("a tile that exists is below level 8");
    let first = index * u64::from(TILE_WIDTH);
    (first..first + u64::from(width))
        .map(|i| tree.subtree(height, i))
        .collect()
}

/// A tree rebuilt from its hash tiles: roots and proofs of any size up to
/// [`TileHashes::size`] come from `merkle` through [`Subtrees`], so a
/// mirror or monitor checks fetched tiles against a checkpoint's root.
#[derive(Debug, Clone, Default)]
pub struct TileHashes {
    size: u64,
    tiles: HashMap<(u8, u64), Vec<Hash>>,
}

impl TileHashes {
    /// An empty set for a tree of `size` leaves.
    pub fn new(size: u64) -> TileHashes {
        TileHashes {
            size,
            tiles: HashMap::new(),
        }
    }

    /// Adds a fetched hash tile (a wider one replaces a narrower one).
    pub fn insert(&mut self, level: u8, index: u64, hashes: Vec<Hash>) {
        let slot = self.tiles.entry((level, index)).or_default();
        if hashes.len() > slot.len() {
            *slot = hashes;
        }
    }

    /// The level-`level` hash at `position`.
    fn hash(&self, level: u8, position: u64) -> Result<Hash, TileTreeError> {
        let width = u64::from(TILE_WIDTH);
        self.tiles
            .get(&(level, position / width))
            .and_then(|t| t.get((position % width) as usize))
            .copied()
            .ok_or_else(|| {
                TileTreeError::Missing(TileId::hashes(level, position / width, TILE_WIDTH).path())
            })
    }

    /// The root of the first `size` leaves.
    pub fn root(&self, size: u64) -> Result<Hash, TileTreeError> {
        if size == 0 {
            return Ok(merkle::empty_root());
        }
        merkle::range_root(self, 0, size).map_err(|e| match e {
            merkle::ProofRequestError::Source(e) => e,
            merkle::ProofRequestError::OutOfRange(m) => TileTreeError::Missing(m),
        })
    }

    /// The leaf hash of entry `index`.
    pub fn leaf(&self, index: u64) -> Result<Hash, TileTreeError> {
        self.hash(0, index)
    }
}

impl Subtrees for TileHashes {
    type Error = TileTreeError;

    fn size(&self) -> u64 {
        self.size
    }

    /// A subtree of height `8L + r` is the `2^r` level-`L` hashes under it,
    /// hashed up `r` times.
    fn subtree(&self, level: u8, index: u64) -> Result<Hash, TileTreeError> {
        let (tile_level, extra) = (level / 8, level % 8);
        let first = index << extra;
        let mut row = (first..first + (1 << extra))
            .map(|p| self.hash(tile_level, p))
            .collect::<Result<Vec<_>, _>>()?;
        while row.len() > 1 {
            row = row
                .chunks_exact(2)
                .map(|p| node_hash(&p[0], &p[1]))
                .collect();
        }
        Ok(row[0])
    }
}

//! The right edge of a growing tree: enough to append and to compute the root.

use super::{Hash, empty_root, node_hash};

/// The roots of the perfect subtrees that make up a tree, largest first: one
/// per set bit of the size, so at most 64 hashes whatever the size.
///
/// Appending a leaf completes new perfect subtrees; [`Frontier::append`]
/// reports each one so that a store can keep it for proof generation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    hashes: Vec<Hash>,
}

/// The frontier's hashes do not match its size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a frontier of size {size} has {expected} hashes, not {got}")]
pub struct FrontierError {
    size: u64,
    expected: usize,
    got: usize,
}

impl Frontier {
    /// The empty tree.
    pub fn new() -> Frontier {
        Frontier::default()
    }

    /// Rebuilds a frontier from a stored size and hashes (largest first).
    pub fn from_parts(size: u64, hashes: Vec<Hash>) -> Result<Frontier, FrontierError> {
        let expected = size.count_ones() as usize;
        if hashes.len() != expected {
            return Err(FrontierError {
                size,
                expected,
                got: hashes.len(),
            });
        }
        Ok(Frontier { size, hashes })
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The perfect-subtree roots, largest first.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Appends a leaf hash. `completed(level, index, hash)` is called for the
    /// leaf itself (level 0) and for every perfect subtree the leaf completes;
    /// the subtree at `(level, index)` covers leaves `index << level ..
    /// (index + 1) << level`.
    pub fn append(&mut self, leaf: Hash, mut completed: impl FnMut(u8, u64, Hash)) {
        let mut hash = leaf;
        let mut level = 0u8;
        let mut index = self.size;
        completed(level, index, hash);
        // Each trailing one bit of the old size is a subtree of the same
        // height waiting on its left for this one.
        while index & 1 == 1 {
            let left = self
                .hashes
                .pop()
                .expect("a frontier holds one hash per set bit of its size");
            hash = node_hash(&left, &hash);
            level += 1;
            index >>= 1;
            completed(level, index, hash);
        }
        self.hashes.push(hash);
        self.size += 1;
    }

    /// The tree's root hash.
    pub fn root(&self) -> Hash {
        let mut hashes = self.hashes.iter().rev();
        match hashes.next() {
            None => empty_root(),
            Some(last) => hashes.fold(*last, |acc, left| node_hash(left, &acc)),
        }
    }
}

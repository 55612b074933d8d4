//! A whole tree in memory: for the `yiyi tlog` tools, tests and benchmarks.

use std::convert::Infallible;

use super::{Frontier, Hash, Subtrees, leaf_hash};

/// Every perfect subtree of a tree, kept in memory.
#[derive(Clone, Debug, Default)]
pub struct MemoryTree {
    /// `levels[l][i]` is the root of the perfect subtree `(l, i)`.
    levels: Vec<Vec<Hash>>,
    frontier: Frontier,
}

impl MemoryTree {
    /// The empty tree.
    pub fn new() -> MemoryTree {
        MemoryTree::default()
    }

    /// A tree of the given leaf data, in order.
    pub fn from_leaves<I: IntoIterator<Item = D>, D: AsRef<[u8]>>(leaves: I) -> MemoryTree {
        let mut tree = MemoryTree::new();
        for leaf in leaves {
            tree.push_hash(leaf_hash(leaf.as_ref()));
        }
        tree
    }

    /// Appends a leaf by its hash.
    pub fn push_hash(&mut self, leaf: Hash) {
        let levels = &mut self.levels;
        self.frontier.append(leaf, |level, index, hash| {
            let level = usize::from(level);
            if levels.len() <= level {
                levels.push(Vec::new());
            }
            debug_assert_eq!(levels[level].len() as u64, index);
            levels[level].push(hash);
        });
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// The hash of leaf `index`, if there is one.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.levels
            .first()?
            .get(usize::try_from(index).ok()?)
            .copied()
    }
}

impl Subtrees for MemoryTree {
    type Error = Infallible;

    fn size(&self) -> u64 {
        self.frontier.size()
    }

    fn subtree(&self, level: u8, index: u64) -> Result<Hash, Infallible> {
        Ok(self.levels[usize::from(level)][index as usize])
    }
}

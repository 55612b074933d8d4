//! Proof generation (RFC 9162 §2.1.3.1 and §2.1.4.1) over stored subtrees.
//!
//! Every range the RFC's recursion asks for starts at a multiple of its largest
//! power of two, so its hash is a right fold over at most 64 perfect subtrees:
//! an inclusion or consistency proof costs O(log² n) lookups, never a scan.

use super::{Hash, empty_root, node_hash};

/// Read access to the perfect subtrees of a tree.
pub trait Subtrees {
    /// What a failed lookup reports (a storage error, say).
    type Error;

    /// Number of leaves available.
    fn size(&self) -> u64;

    /// The root of the perfect subtree of height `level` covering leaves
    /// `index << level .. (index + 1) << level`. Only called for subtrees
    /// that lie within [`Subtrees::size`].
    fn subtree(&self, level: u8, index: u64) -> Result<Hash, Self::Error>;
}

/// Why a proof could not be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofRequestError<E> {
    /// The request names a leaf or a size the tree does not have.
    #[error("{0}")]
    OutOfRange(String),
    /// The store could not read a subtree.
    #[error("reading the tree: {0}")]
    Source(E),
}

fn out_of_range<E>(message: String) -> ProofRequestError<E> {
    ProofRequestError::OutOfRange(message)
}

/// `MTH(D[lo..hi])`, the root of the leaves `lo..hi`, for `lo` a multiple of
/// the largest power of two not above `hi - lo` (every range the RFC uses is).
pub fn range_root<S: Subtrees>(
    tree: &S,
    lo: u64,
    hi: u64,
) -> Result<Hash, ProofRequestError<S::Error>> {
    if hi > tree.size() || lo > hi {
        return Err(out_of_range(format!(
            "leaves {lo}..{hi} are not in a tree of size {}",
            tree.size()
        )));
    }
    if lo == hi {
        return Ok(empty_root());
    }
    let mut pieces = Vec::with_capacity(64);
    let mut start = lo;
    let n = hi - lo;
    for level in (0..64u8).rev() {
        if n >> level & 1 == 1 {
            debug_assert_eq!(start % (1 << level), 0, "range {lo}..{hi} is not aligned");
            pieces.push(
                tree.subtree(level, start >> level)
                    .map_err(ProofRequestError::Source)?,
            );
            start += 1 << level;
        }
    }
    let last = pieces.pop().expect("a non-empty range has a piece");
    Ok(pieces
        .iter()
        .rev()
        .fold(last, |acc, left| node_hash(left, &acc)))
}

/// The largest power of two strictly below `n` (for `n >= 2`).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// The inclusion proof of leaf `index` in the tree of the first `size` leaves
/// (RFC 9162 `PATH`), from the leaf's sibling up to the root's child.
pub fn inclusion_proof<S: Subtrees>(
    tree: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ProofRequestError<S::Error>> {
    if index >= size {
        return Err(out_of_range(format!(
            "leaf {index} is not in a tree of size {size}"
        )));
    }
    if size > tree.size() {
        return Err(out_of_range(format!(
            "the tree has {} leaves, not {size}",
            tree.size()
        )));
    }
    // Walk down from the root, collecting siblings, then reverse.
    let mut proof = Vec::new();
    let (mut lo, mut hi) = (0, size);
    while hi - lo > 1 {
        let k = split(hi - lo);
        if index < lo + k {
            proof.push(range_root(tree, lo + k, hi)?);
            hi = lo + k;
        } else {
            proof.push(range_root(tree, lo, lo + k)?);
            lo += k;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// The consistency proof between the trees of the first `old_size` and the
/// first `size` leaves (RFC 9162 `PROOF`); empty when `old_size` is 0 or equal
/// to `size`.
pub fn consistency_proof<S: Subtrees>(
    tree: &S,
    old_size: u64,
    size: u64,
) -> Result<Vec<Hash>, ProofRequestError<S::Error>> {
    if old_size > size {
        return Err(out_of_range(format!(
            "the old size {old_size} is larger than the new size {size}"
        )));
    }
    if size > tree.size() {
        return Err(out_of_range(format!(
            "the tree has {} leaves, not {size}",
            tree.size()
        )));
    }
    let mut proof = Vec::new();
    if old_size == 0 || old_size == size {
        return Ok(proof);
    }
    // SUBPROOF(m, D[lo..hi], b), unrolled: the recursion only ever descends.
    let (mut m, mut lo, mut hi, mut whole) = (old_size, 0, size, true);
    loop {
        let n = hi - lo;
        if m == n {
            if !whole {
                proof.push(range_root(tree, lo, hi)?);
            }
            break;
        }
        let k = split(n);
        if m <= k {
            proof.push(range_root(tree, lo + k, hi)?);
            hi = lo + k;
        } else {
            proof.push(range_root(tree, lo, lo + k)?);
            m -= k;
            lo += k;
            whole = false;
        }
    }
    proof.reverse();
    Ok(proof)
}

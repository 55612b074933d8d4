//! Proof verification (RFC 9162 §2.1.3.2 and §2.1.4.2), needing only hashes.
//!
//! Written after transparency-dev/merkle's `proof/verify.go` so that both
//! accept and reject the same proofs: a proof of the wrong length is refused
//! before any hashing.

use super::{Hash, node_hash};

/// Why a proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not in a tree of size {size}")]
    IndexOutOfRange {
        /// The leaf index claimed.
        index: u64,
        /// The tree size claimed.
        size: u64,
    },
    /// The old tree is larger than the new one.
    #[error("the old size {old_size} is larger than the new size {size}")]
    SizeOrder {
        /// The old size claimed.
        old_size: u64,
        /// The new size claimed.
        size: u64,
    },
    /// A consistency proof from the empty tree proves nothing.
    #[error("a consistency proof from the empty tree proves nothing")]
    EmptyOldTree,
    /// The proof does not have the number of hashes these sizes need.
    #[error("the proof has {got} hashes, these sizes need {want}")]
    WrongLength {
        /// Hashes given.
        got: usize,
        /// Hashes needed.
        want: usize,
    },
    /// The proof is well-formed but leads to another root.
    #[error("the proof leads to root {computed}, not {expected}")]
    RootMismatch {
        /// The root the proof computes.
        computed: Hash,
        /// The root it was checked against.
        expected: Hash,
    },
}

/// The number of inner and border hashes in the inclusion proof of `index` in
/// a tree of `size` leaves (`size > index`).
fn decompose(index: u64, size: u64) -> (usize, usize) {
    let inner = (64 - (index ^ (size - 1)).leading_zeros()) as usize;
    // `inner` may be 64 (sizes above 2^63), which a plain shift overflows.
    let border = index.checked_shr(inner as u32).unwrap_or(0).count_ones() as usize;
    (inner, border)
}

fn chain_inner(seed: Hash, proof: &[Hash], index: u64) -> Hash {
    proof.iter().enumerate().fold(seed, |acc, (i, h)| {
        if index >> i & 1 == 0 {
            node_hash(&acc, h)
        } else {
            node_hash(h, &acc)
        }
    })
}

fn chain_inner_right(seed: Hash, proof: &[Hash], index: u64) -> Hash {
    proof.iter().enumerate().fold(seed, |acc, (i, h)| {
        if index >> i & 1 == 1 {
            node_hash(h, &acc)
        } else {
            acc
        }
    })
}

fn chain_border_right(seed: Hash, proof: &[Hash]) -> Hash {
    proof.iter().fold(seed, |acc, h| node_hash(h, &acc))
}

fn expect_root(computed: Hash, expected: &Hash) -> Result<(), ProofError> {
    if computed == *expected {
        Ok(())
    } else {
        Err(ProofError::RootMismatch {
            computed,
            expected: *expected,
        })
    }
}

/// The root that an inclusion proof of `leaf` at `index` in a tree of `size`
/// leaves leads to.
pub fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (inner, border) = decompose(index, size);
    if proof.len() != inner + border {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want: inner + border,
        });
    }
    let hash = chain_inner(*leaf, &proof[..inner], index);
    Ok(chain_border_right(hash, &proof[inner..]))
}

/// Checks that `leaf` is leaf `index` of the tree of `size` leaves with `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    expect_root(root_from_inclusion_proof(index, size, leaf, proof)?, root)
}

/// Checks that the tree of `old_size` leaves with `old_root` is a prefix of the
/// tree of `size` leaves with `root`.
///
/// Equal sizes need an empty proof and equal roots. An old size of 0 is
/// refused, as transparency-dev/merkle refuses it: every tree extends the
/// empty one, so such a "proof" proves nothing.
pub fn verify_consistency(
    old_size: u64,
    size: u64,
    old_root: &Hash,
    root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > size {
        return Err(ProofError::SizeOrder { old_size, size });
    }
    if old_size == 0 {
        return Err(ProofError::EmptyOldTree);
    }
    if old_size == size {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want: 0,
            });
        }
        return expect_root(*root, old_root);
    }

    let (inner, border) = decompose(old_size - 1, size);
    let shift = old_size.trailing_zeros() as usize;
    let inner = inner - shift;
    // The proof starts with the root of the old tree's last perfect subtree,
    // unless the old tree is itself perfect: then that root is `old_root`.
    let (seed, rest) = if old_size == 1 << shift {
        (*old_root, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => {
                return Err(ProofError::WrongLength {
                    got: 0,
                    want: 1 + inner + border,
                });
            }
        }
    };
    if rest.len() != inner + border {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want: proof.len() - rest.len() + inner + border,
        });
    }
    let mask = (old_size - 1) >> shift;
    let old = chain_border_right(
        chain_inner_right(seed, &rest[..inner], mask),
        &rest[inner..],
    );
    expect_root(old, old_root)?;
    let new = chain_border_right(chain_inner(seed, &rest[..inner], mask), &rest[inner..]);
    expect_root(new, root)
}

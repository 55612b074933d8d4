//! The RFC 6962 / RFC 9162 Merkle tree over a ledger's entries (默克尔树).
//!
//! Hashing, proof generation and proof verification are kept apart (as in
//! transparency-dev/merkle): verification needs nothing but hashes, so the
//! light client uses it as is; generation reads perfect-subtree hashes through
//! the [`Subtrees`] trait, so the node's store and the in-memory [`MemoryTree`]
//! share one implementation; [`Frontier`] is the small state an append needs.
//!
//! Leaf hash: `SHA-256(0x00 || data)`; node hash: `SHA-256(0x01 || left ||
//! right)`; the empty tree's root is `SHA-256("")`.

mod frontier;
mod memory;
mod proof;
mod verify;

use std::fmt;

use sha2::{Digest, Sha256};

pub use frontier::Frontier;
pub use memory::MemoryTree;
pub use proof::{ProofRequestError, Subtrees, consistency_proof, inclusion_proof, range_root};
pub use verify::{ProofError, root_from_inclusion_proof, verify_consistency, verify_inclusion};

/// A SHA-256 hash: a leaf hash, a node hash or a tree root.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; 32]);

/// A byte string or hex text that is not a 32-byte hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashParseError {
    /// Not hexadecimal.
    #[error("not a hex string: {0}")]
    NotHex(String),
    /// Hex or bytes of the wrong length.
    #[error("a hash is 32 bytes (64 hex digits), this is {0} bytes")]
    Length(usize),
}

impl Hash {
    /// Size of a hash in bytes.
    pub const LEN: usize = 32;

    /// The hash as bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Takes exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Hash, HashParseError> {
        <[u8; 32]>::try_from(bytes)
            .map(Hash)
            .map_err(|_| HashParseError::Length(bytes.len()))
    }

    /// Parses 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Result<Hash, HashParseError> {
        let bytes = hex::decode(text.trim()).map_err(|_| HashParseError::NotHex(text.into()))?;
        Hash::from_slice(&bytes)
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl AsRef<[u8]> for Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// `SHA-256(0x00 || data)`: the hash of a leaf (for yiyi, of a signed entry).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    Hash(h.finalize().into())
}

/// `SHA-256(0x01 || left || right)`: the hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left.0);
    h.update(right.0);
    Hash(h.finalize().into())
}

/// The root of the empty tree, `SHA-256("")`.
pub fn empty_root() -> Hash {
    Hash(Sha256::digest([]).into())
}

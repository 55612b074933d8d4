//! Salted commitments to private data (隐私数据承诺).
//!
//! Names and phone numbers on sign-in sheets, who raised a topic and the
//! details of a personal dispute stay on the node that took them. The public
//! entry carries `SHA-256("yiyi/commitment/v1\n" || salt || data)` instead: it
//! reveals nothing (the salt is 32 random bytes kept with the data), yet the
//! office can later prove what it recorded by showing salt and data.

use sha2::{Digest, Sha256};

/// The domain-separation prefix of commitments.
pub const COMMITMENT_CONTEXT: &[u8] = b"yiyi/commitment/v1\n";

/// The commitment to `data` under `salt`.
pub fn commit(salt: &[u8; 32], data: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(COMMITMENT_CONTEXT);
    h.update(salt);
    h.update(data);
    h.finalize().into()
}

/// A fresh random salt.
pub fn salt() -> Result<[u8; 32], getrandom::Error> {
    let mut salt = [0u8; 32];
    getrandom::fill(&mut salt)?;
    Ok(salt)
}

/// Whether `salt` and `data` open `commitment`.
pub fn opens(commitment: &[u8], salt: &[u8; 32], data: &[u8]) -> bool {
    commitment == commit(salt, data)
}

//! Ledger entries (台账条目): signing, strict decoding and the hash chain.
//!
//! An entry is encoded once by its author and signed over
//! `"yiyi/entry/v1\n" || entry bytes`. What is stored, hashed into the Merkle
//! tree and replicated is the [`proto::SignedEntry`] envelope; its RFC 6962
//! leaf hash is the entry's hash everywhere (previous-hash links, lookups,
//! notice IDs). Verification works on the bytes received and never on a
//! re-encoding; the re-encoding is only compared, to refuse non-canonical or
//! unknown-field bytes that would otherwise give one entry two hashes.

use prost::Message;

use crate::keys::{SecretKey, VerifierKey};
use crate::merkle::{Hash, leaf_hash};
use crate::proto;

/// The domain-separation prefix of entry signatures: the same key also signs
/// checkpoints, notes and libp2p handshakes, which must never be mistaken for
/// an entry.
pub const ENTRY_SIGNATURE_CONTEXT: &[u8] = b"yiyi/entry/v1\n";

/// The largest signed entry accepted, in bytes. A notice of a few thousand
/// Chinese characters is under 20 KiB.
pub const MAX_ENTRY_BYTES: usize = 64 * 1024;

/// Why an entry is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntryError {
    /// More than [`MAX_ENTRY_BYTES`].
    #[error("the entry is {0} bytes; the limit is {MAX_ENTRY_BYTES}")]
    TooLarge(usize),
    /// Not a protobuf `SignedEntry` / `Entry`.
    #[error("malformed entry: {0}")]
    Malformed(String),
    /// Decodes, but is not the canonical encoding (or has unknown fields).
    #[error("the entry is not canonically encoded (unknown fields or a non-canonical form)")]
    NotCanonical,
    /// Written for another schema version.
    #[error("unsupported schema version {0}; this software reads version 1")]
    UnsupportedVersion(i32),
    /// The entry has no body.
    #[error("the entry has no body")]
    MissingBody,
    /// The author field is not a usable Ed25519 key.
    #[error("the author is not a valid Ed25519 public key")]
    BadAuthor,
    /// The signature does not verify under the author key.
    #[error("the signature does not verify under the author's key")]
    BadSignature,
    /// The sequence number is not the next one.
    #[error("expected sequence number {expected}, got {got}")]
    WrongSequence {
        /// The log's next sequence number.
        expected: u64,
        /// The entry's.
        got: u64,
    },
    /// The previous-hash link does not point at the log's last entry.
    #[error("the previous hash {got} is not the hash of the log's last entry, {expected}")]
    WrongPrevious {
        /// The hash of the log's last entry.
        expected: Hash,
        /// The entry's previous hash.
        got: Hash,
    },
    /// Signed by a key that may not write to this log.
    #[error("the entry is signed by {got}, not by the log's key {expected}")]
    WrongAuthor {
        /// The log's key (hex).
        expected: String,
        /// The author key (hex).
        got: String,
    },
}

/// An entry whose envelope decoded, is canonical, and whose signature verified
/// under its author key.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedEntry {
    /// The exact `SignedEntry` bytes (the Merkle leaf).
    pub bytes: Vec<u8>,
    /// Their RFC 6962 leaf hash: the entry's hash.
    pub hash: Hash,
    /// The decoded entry.
    pub entry: proto::Entry,
}

impl VerifiedEntry {
    /// The author's raw public key.
    pub fn author(&self) -> &[u8] {
        &self.entry.author
    }

    /// The sequence number.
    pub fn sequence(&self) -> u64 {
        self.entry.sequence
    }
}

fn decode_canonical<M: Message + Default>(bytes: &[u8]) -> Result<M, EntryError> {
    let message = M::decode(bytes).map_err(|e| EntryError::Malformed(e.to_string()))?;
    if message.encoded_len() != bytes.len() || message.encode_to_vec() != bytes {
        return Err(EntryError::NotCanonical);
    }
    Ok(message)
}

/// The bytes an entry signature covers.
fn signed_message(entry_bytes: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(ENTRY_SIGNATURE_CONTEXT.len() + entry_bytes.len());
    message.extend_from_slice(ENTRY_SIGNATURE_CONTEXT);
    message.extend_from_slice(entry_bytes);
    message
}

/// Encodes and signs `entry` with `key`, which must be the entry's author.
pub fn sign(entry: &proto::Entry, key: &SecretKey) -> Result<VerifiedEntry, EntryError> {
    if entry.author != key.public_bytes() {
        return Err(EntryError::WrongAuthor {
            expected: hex::encode(key.public_bytes()),
            got: hex::encode(&entry.author),
        });
    }
    let entry_bytes = entry.encode_to_vec();
    let signature = key.sign(&signed_message(&entry_bytes));
    let bytes = proto::SignedEntry {
        entry: entry_bytes,
        signature: signature.to_vec(),
    }
    .encode_to_vec();
    if bytes.len() > MAX_ENTRY_BYTES {
        return Err(EntryError::TooLarge(bytes.len()));
    }
    Ok(VerifiedEntry {
        hash: leaf_hash(&bytes),
        bytes,
        entry: entry.clone(),
    })
}

/// Decodes signed-entry bytes and verifies them: size, canonical form, schema
/// version, body present, and the author's signature (strict Ed25519).
pub fn verify(bytes: &[u8]) -> Result<VerifiedEntry, EntryError> {
    if bytes.len() > MAX_ENTRY_BYTES {
        return Err(EntryError::TooLarge(bytes.len()));
    }
    let envelope: proto::SignedEntry = decode_canonical(bytes)?;
    let entry: proto::Entry = decode_canonical(&envelope.entry)?;
    if entry.version != proto::SchemaVersion::V1 as i32 {
        return Err(EntryError::UnsupportedVersion(entry.version));
    }
    if entry.body.is_none() {
        return Err(EntryError::MissingBody);
    }
    let author: [u8; 32] = entry
        .author
        .as_slice()
        .try_into()
        .map_err(|_| EntryError::BadAuthor)?;
    // The key's name plays no part in an entry signature.
    let key =
        VerifierKey::from_public("entry-author", &author).map_err(|_| EntryError::BadAuthor)?;
    if !key.verify(&signed_message(&envelope.entry), &envelope.signature) {
        return Err(EntryError::BadSignature);
    }
    Ok(VerifiedEntry {
        bytes: bytes.to_vec(),
        hash: leaf_hash(bytes),
        entry,
    })
}

/// Where a log stands: how many entries it has and the hash of the last one.
/// What the next entry must link to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChainHead {
    /// Number of entries so far (the next sequence number).
    pub size: u64,
    /// The hash of the last entry; all zeros for an empty log.
    pub last: Hash,
}

impl ChainHead {
    /// Checks that `entry` comes next: its sequence number is `size` and it
    /// links to `last`.
    pub fn check_next(&self, entry: &VerifiedEntry) -> Result<(), EntryError> {
        if entry.entry.sequence != self.size {
            return Err(EntryError::WrongSequence {
                expected: self.size,
                got: entry.entry.sequence,
            });
        }
        if entry.entry.previous_hash != self.last.0 {
            return Err(EntryError::WrongPrevious {
                expected: self.last,
                got: Hash::from_slice(&entry.entry.previous_hash).unwrap_or_default(),
            });
        }
        Ok(())
    }

    /// The head after `entry`.
    pub fn advance(&self, entry: &VerifiedEntry) -> ChainHead {
        ChainHead {
            size: self.size + 1,
            last: entry.hash,
        }
    }

    /// A new entry following this head, ready to sign.
    pub fn next_entry(
        &self,
        author: &[u8; 32],
        time_ms: i64,
        body: proto::entry::Body,
    ) -> proto::Entry {
        proto::Entry {
            version: proto::SchemaVersion::V1 as i32,
            sequence: self.size,
            previous_hash: self.last.0.to_vec(),
            time_ms,
            author: author.to_vec(),
            body: Some(body),
        }
    }
}

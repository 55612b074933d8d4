//! Ledger entries (台账条目): signing, strict decoding and the hash chain.
//!
//! An entry is encoded once by its author and signed over
//! `"yiyi/entry/v1\n" || entry bytes`. What is stored, hashed into the Merkle
//! tree and replicated is the [`proto::SignedEntry`] envelope; its RFC 6962
//! leaf hash is the entry's hash everywhere (previous-hash links, lookups,
//! notice IDs). Verification works on the bytes received and never on a
//! re-encoding; the re-encoding is only compared, to tell what this version
//! reads from what a later one wrote.
//!
//! The compatibility rule (docs/LEDGER.md, "Compatibility"): the envelope must
//! be canonical, since anyone could re-wrap a signed entry and give it a second
//! hash; the entry inside must decode, be of schema version 1 and carry the
//! author's signature over its exact bytes. Then an entry whose bytes are
//! exactly what this schema writes is [`Reading::Known`]; one with a kind or a
//! field this schema does not know is [`Reading::Newer`] (较新版本的记录):
//! stored, served, proved and forwarded like any other, never interpreted.
//! Only the author can make such bytes, and they hash as they are.

use prost::Message;

use crate::keys::{SecretKey, VerifierKey};
use crate::merkle::{Hash, leaf_hash};
use crate::proto;

/// The domain-separation prefix of entry signatures: the same key also signs
/// checkpoints, notes and libp2p handshakes, which must never be mistaken for
/// an entry.
pub const ENTRY_SIGNATURE_CONTEXT: &[u8] = b"yiyi/entry/v1\n";

/// The largest signed entry accepted, in bytes: 65,535, so that every entry
/// fits a tlog-tiles entry bundle (a `uint16` length each; see `tiles`). A
/// notice of a few thousand Chinese characters is under 20 KiB.
pub const MAX_ENTRY_BYTES: usize = 65_535;

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
    /// The `SignedEntry` envelope decodes but is not its canonical encoding
    /// (an extra field, say): anyone could make such bytes, and they would
    /// give the signed entry a second hash.
    #[error("the signed-entry envelope is not canonically encoded")]
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

/// What this version makes of a verified entry's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// Every kind and field is this schema's: the entry's body is its record.
    Known,
    /// 较新版本的记录: the entry carries a kind or a field of a later version.
    /// Its body is not read (it is `None`); its header (sequence, previous
    /// hash, time, author) is.
    Newer {
        /// The release the author says reads it ("" if it did not say).
        reader_version: String,
    },
}

/// An entry whose envelope decoded and is canonical, and whose signature
/// verified under its author key.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedEntry {
    /// The exact `SignedEntry` bytes (the Merkle leaf).
    pub bytes: Vec<u8>,
    /// Their RFC 6962 leaf hash: the entry's hash.
    pub hash: Hash,
    /// The decoded entry; for a [`Reading::Newer`] one, without its body.
    pub entry: proto::Entry,
    /// Whether this version reads its record.
    pub reading: Reading,
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

    /// Whether a later version wrote what this one cannot read.
    pub fn is_newer(&self) -> bool {
        matches!(self.reading, Reading::Newer { .. })
    }
}

/// The earliest release that reads a record of this kind: set in
/// `Entry.reader_version` so that older nodes can say which release reads
/// what they keep unread. Kinds of the first release need none.
pub fn reader_version(body: &proto::entry::Body) -> &'static str {
    match body {
        proto::entry::Body::OfficeProfile(p) if p.city => "0.4.0",
        proto::entry::Body::OfficeProfile(_) => "0.2.0",
        proto::entry::Body::Round(_) | proto::entry::Body::Tally(_) => "0.3.0",
        proto::entry::Body::CityCharter(_)
        | proto::entry::Body::Deadlines(_)
        | proto::entry::Body::Mediation(_)
        | proto::entry::Body::Assignment(_)
        | proto::entry::Body::AssignmentReply(_)
        | proto::entry::Body::StandingMember(_)
        | proto::entry::Body::MemberProposal(_)
        | proto::entry::Body::StudySchedule(_)
        | proto::entry::Body::DirectMatter(_)
        | proto::entry::Body::CoordinationMeeting(_)
        | proto::entry::Body::Redispatch(_)
        | proto::entry::Body::Oversight(_)
        | proto::entry::Body::Designation(_)
        | proto::entry::Body::Briefing(_) => "0.4.0",
        _ => "",
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
        reading: Reading::Known,
    })
}

/// Signs entry bytes encoded elsewhere, as they are, and verifies the result:
/// for writers of bytes this version did not encode (the tests' newer-version
/// office, the fuzzers). Offices sign with [`sign`].
pub fn sign_encoded(entry_bytes: Vec<u8>, key: &SecretKey) -> Result<VerifiedEntry, EntryError> {
    let signature = key.sign(&signed_message(&entry_bytes));
    let bytes = proto::SignedEntry {
        entry: entry_bytes,
        signature: signature.to_vec(),
    }
    .encode_to_vec();
    verify(&bytes)
}

/// An entry decoded but not verified.
struct Decoded {
    envelope: proto::SignedEntry,
    entry: proto::Entry,
    reading: Reading,
}

/// Decodes signed-entry bytes: size, canonical envelope, an entry that
/// decodes (a known field with the wrong wire type does not), the schema
/// version, and what this version reads of it.
fn decode(bytes: &[u8]) -> Result<Decoded, EntryError> {
    if bytes.len() > MAX_ENTRY_BYTES {
        return Err(EntryError::TooLarge(bytes.len()));
    }
    let envelope: proto::SignedEntry = decode_canonical(bytes)?;
    let mut entry = proto::Entry::decode(envelope.entry.as_slice())
        .map_err(|e| EntryError::Malformed(e.to_string()))?;
    if entry.version != proto::SchemaVersion::V1 as i32 {
        return Err(EntryError::UnsupportedVersion(entry.version));
    }
    // What prost decoded, encoded again, is these bytes exactly when nothing
    // was skipped: no unknown kind, no unknown field, at any depth.
    let known =
        entry.encoded_len() == envelope.entry.len() && entry.encode_to_vec() == envelope.entry;
    let reading = if known {
        if entry.body.is_none() {
            return Err(EntryError::MissingBody);
        }
        Reading::Known
    } else {
        // Never half-read: a known kind with a field added may mean more
        // than the fields this version sees.
        entry.body = None;
        Reading::Newer {
            reader_version: entry.reader_version.clone(),
        }
    };
    Ok(Decoded {
        envelope,
        entry,
        reading,
    })
}

/// Decodes signed-entry bytes as [`verify`] does but without checking the
/// signature: for entries verified before (stored ones). A
/// [`Reading::Newer`] entry comes without its body.
pub fn unverified(bytes: &[u8]) -> Result<(proto::Entry, Reading), EntryError> {
    let decoded = decode(bytes)?;
    Ok((decoded.entry, decoded.reading))
}

/// The record an entry carries if this version reads it, without checking
/// the signature (see [`unverified`]).
pub fn record(bytes: &[u8]) -> Option<proto::entry::Body> {
    unverified(bytes).ok()?.0.body
}

/// Decodes signed-entry bytes and verifies them: size, canonical envelope,
/// schema version, a body present unless a later version wrote it, and the
/// author's signature (strict Ed25519) over the entry's exact bytes.
pub fn verify(bytes: &[u8]) -> Result<VerifiedEntry, EntryError> {
    let Decoded {
        envelope,
        entry,
        reading,
    } = decode(bytes)?;
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
        reading,
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
            reader_version: reader_version(&body).to_owned(),
            body: Some(body),
        }
    }
}

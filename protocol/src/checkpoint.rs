//! C2SP tlog-checkpoints (检查点): a log's signed size and root.
//!
//! The note text is the origin line (which names the office, e.g.
//! `yiyi/lixia/quancheng/shunyu`), the tree size in decimal, the root in
//! base64, and optional extension lines. The log's key is named after its
//! origin. Parents witness their children by adding C2SP cosignatures
//! ([`SignedNote::add_cosignature`]).

use base64::Engine;

use crate::BASE64;

use crate::keys::{SecretKey, VerifierKey};
use crate::merkle::Hash;
use crate::note::{NoteError, NoteSignature, SignedNote};

/// Why a checkpoint is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The text is not origin, size, root and extension lines.
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    /// The note around it is malformed or its signature fails.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// The key's name is not the checkpoint's origin.
    #[error("the key is named {key:?} but the checkpoint's origin is {origin:?}")]
    OriginMismatch {
        /// The key's name.
        key: String,
        /// The origin line.
        origin: String,
    },
}

/// A log's state: its origin, size and root, plus any extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Names the log (and its key).
    pub origin: String,
    /// Number of entries.
    pub size: u64,
    /// The Merkle root of those entries.
    pub root: Hash,
    /// Extra lines after the root (not recommended by C2SP; kept verbatim).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: &str, size: u64, root: Hash) -> Checkpoint {
        Checkpoint {
            origin: origin.into(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// The note text (the body that is signed).
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root.0)
        );
        for line in &self.extensions {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    /// Parses a checkpoint body.
    pub fn parse(text: &str) -> Result<Checkpoint, CheckpointError> {
        let body = text.strip_suffix('\n').ok_or(CheckpointError::Malformed(
            "the text must end with a newline",
        ))?;
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or("");
        if origin.is_empty() {
            return Err(CheckpointError::Malformed("the origin line is empty"));
        }
        let size = lines
            .next()
            .ok_or(CheckpointError::Malformed("no size line"))?;
        let canonical = size == "0" || (!size.starts_with('0') && !size.is_empty());
        if !canonical || !size.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CheckpointError::Malformed(
                "the size must be a decimal number without leading zeros",
            ));
        }
        // Go's parsers read the size as an int64; a larger one would be
        // unreadable there.
        let size = size
            .parse::<i64>()
            .map_err(|_| CheckpointError::Malformed("the size is larger than 2^63 - 1"))?
            as u64;
        let root = lines
            .next()
            .ok_or(CheckpointError::Malformed("no root line"))?;
        let root = BASE64
            .decode(root)
            .ok()
            .and_then(|bytes| Hash::from_slice(&bytes).ok())
            .ok_or(CheckpointError::Malformed(
                "the root is not a base64 32-byte hash",
            ))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(CheckpointError::Malformed("an extension line is empty"));
        }
        Ok(Checkpoint {
            origin: origin.into(),
            size,
            root,
            extensions,
        })
    }

    /// Signs the checkpoint with the log's key, which must be named after the
    /// origin.
    pub fn sign(&self, key: &SecretKey) -> Result<SignedNote, CheckpointError> {
        if key.name() != self.origin {
            return Err(CheckpointError::OriginMismatch {
                key: key.name().into(),
                origin: self.origin.clone(),
            });
        }
        Ok(SignedNote::sign(&self.to_text(), &[key])?)
    }

    /// Opens a signed checkpoint: the log's own signature must verify and its
    /// key must be named after the origin. Other signatures (cosignatures) are
    /// left for [`witnessed_by`].
    pub fn open(
        note: &str,
        log: &VerifierKey,
    ) -> Result<(Checkpoint, SignedNote), CheckpointError> {
        let note = SignedNote::parse(note)?;
        let checkpoint = Checkpoint::parse(note.text())?;
        if log.name() != checkpoint.origin {
            return Err(CheckpointError::OriginMismatch {
                key: log.name().into(),
                origin: checkpoint.origin,
            });
        }
        note.verify(std::slice::from_ref(log))?;
        Ok((checkpoint, note))
    }
}

/// A signed checkpoint as it travels between nodes and to residents: the
/// note as received, with its checkpoint parsed once. Parsing checks the
/// form, not the signatures; [`SignedCheckpoint::verify`] checks the log's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    text: String,
    note: SignedNote,
    checkpoint: Checkpoint,
}

impl SignedCheckpoint {
    /// Parses a signed checkpoint (the note's text and signature lines).
    pub fn parse(text: &str) -> Result<SignedCheckpoint, CheckpointError> {
        let note = SignedNote::parse(text)?;
        let checkpoint = Checkpoint::parse(note.text())?;
        Ok(SignedCheckpoint {
            text: text.to_owned(),
            note,
            checkpoint,
        })
    }

    /// The note as a [`SignedNote`] would print it, parsed.
    pub fn from_note(note: SignedNote) -> Result<SignedCheckpoint, CheckpointError> {
        let checkpoint = Checkpoint::parse(note.text())?;
        Ok(SignedCheckpoint {
            text: note.to_string(),
            note,
            checkpoint,
        })
    }

    /// Checks the log's own signature; its key must be named after the
    /// origin (see [`Checkpoint::open`]).
    pub fn verify(&self, log: &VerifierKey) -> Result<(), CheckpointError> {
        if log.name() != self.checkpoint.origin {
            return Err(CheckpointError::OriginMismatch {
                key: log.name().into(),
                origin: self.checkpoint.origin.clone(),
            });
        }
        self.note.verify(std::slice::from_ref(log))?;
        Ok(())
    }

    /// The checkpoint.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The number of entries it signs.
    pub fn size(&self) -> u64 {
        self.checkpoint.size
    }

    /// The Merkle root it signs.
    pub fn root(&self) -> Hash {
        self.checkpoint.root
    }

    /// The note, with its signatures and cosignatures.
    pub fn note(&self) -> &SignedNote {
        &self.note
    }

    /// The note's text as received.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for SignedCheckpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for SignedCheckpoint {
    type Err = CheckpointError;

    fn from_str(text: &str) -> Result<SignedCheckpoint, CheckpointError> {
        SignedCheckpoint::parse(text)
    }
}

/// The cosignatures on `note` by any of `witnesses` (cosigner keys), each with
/// its time; an invalid cosignature by a known witness is an error.
pub fn witnessed_by<'a>(
    note: &'a SignedNote,
    witnesses: &[VerifierKey],
) -> Result<Vec<(&'a NoteSignature, u64)>, NoteError> {
    let cosigners: Vec<VerifierKey> = witnesses
        .iter()
        .filter(|k| k.is_cosigner())
        .cloned()
        .collect();
    match note.verify(&cosigners) {
        Ok(verified) => Ok(verified
            .into_iter()
            .filter_map(|s| s.cosignature_time().map(|t| (s, t)))
            .collect()),
        Err(NoteError::NoKnownSignature(_)) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

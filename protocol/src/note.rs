//! C2SP signed notes (签名文本): text, a blank line, then signature lines.
//!
//! The rules follow Go's `golang.org/x/mod/sumdb/note`, so that notes signed
//! here open there and the other way round:
//!
//! - the text is UTF-8 with no control characters but `\n`, and ends in `\n`;
//! - each signature line is `— name base64(keyid || signature)`;
//! - signatures by unknown keys are ignored, a failing signature by a known
//!   key makes the whole note invalid, and a note needs at least one
//!   signature that verifies;
//! - at most 100 signature lines are read.
//!
//! Signature lines by a cosigner key (type 0x04, C2SP tlog-cosignature) carry
//! a timestamp and sign `cosignature/v1\ntime <t>\n` followed by the text.

use base64::Engine;

use crate::BASE64;

use crate::keys::{SecretKey, VerifierKey, is_valid_name};

/// The em dash and space that start every signature line.
const SIGNATURE_PREFIX: &str = "\u{2014} ";
/// Go's `note.Open` refuses notes with more signature lines than this.
pub const MAX_SIGNATURES: usize = 100;

/// Why a note is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// Not a signed note: see the message for which rule it breaks.
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    /// The text cannot be signed.
    #[error("cannot sign this text: {0}")]
    BadText(&'static str),
    /// A known key's signature does not verify: the note is invalid.
    #[error("the signature by {name} (key ID {id:08x}) does not verify")]
    InvalidSignature {
        /// The signer's name.
        name: String,
        /// The key ID.
        id: u32,
    },
    /// Two known keys share this signature's name and key ID.
    #[error("ambiguous key {name}+{id:08x}: two known keys have this name and key ID")]
    AmbiguousKey {
        /// The signer's name.
        name: String,
        /// The key ID.
        id: u32,
    },
    /// No signature by any key given verifies.
    #[error("no signature by a known key: the note is signed by {0}")]
    NoKnownSignature(String),
}

/// One signature line: the signer's name, key ID and signature bytes (for a
/// cosignature: the timestamp and the signature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The signer's key name.
    pub name: String,
    /// The signer's key ID.
    pub id: u32,
    /// The bytes after the key ID.
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The line as it appears in a note, with its newline.
    pub fn to_line(&self) -> String {
        let mut bytes = self.id.to_be_bytes().to_vec();
        bytes.extend_from_slice(&self.signature);
        format!("{SIGNATURE_PREFIX}{} {}\n", self.name, BASE64.encode(bytes))
    }

    /// The timestamp of a cosignature (the first 8 bytes after the key ID).
    pub fn cosignature_time(&self) -> Option<u64> {
        let bytes: [u8; 8] = self.signature.get(..8)?.try_into().ok()?;
        Some(u64::from_be_bytes(bytes))
    }
}

/// A signed note, parsed but not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    text: String,
    signatures: Vec<NoteSignature>,
}

/// Checks Go's text rules: UTF-8 (given), no control character but `\n`.
fn check_characters(text: &str) -> bool {
    !text.chars().any(|c| c < '\u{20}' && c != '\n')
}

/// The message a cosignature signs.
pub fn cosignature_message(time: u64, text: &str) -> Vec<u8> {
    format!("cosignature/v1\ntime {time}\n{text}").into_bytes()
}

impl SignedNote {
    /// A note of `text` signed by each of `signers`.
    pub fn sign(text: &str, signers: &[&SecretKey]) -> Result<SignedNote, NoteError> {
        let mut note = SignedNote::unsigned(text)?;
        for signer in signers {
            note.add_signature(signer);
        }
        Ok(note)
    }

    /// A note with no signatures yet (not valid until one is added).
    pub fn unsigned(text: &str) -> Result<SignedNote, NoteError> {
        if !text.ends_with('\n') {
            return Err(NoteError::BadText("the text must end with a newline"));
        }
        if !check_characters(text) {
            return Err(NoteError::BadText("control characters other than newline"));
        }
        Ok(SignedNote {
            text: text.into(),
            signatures: Vec::new(),
        })
    }

    /// Adds (or replaces) the signature of `signer`.
    pub fn add_signature(&mut self, signer: &SecretKey) {
        self.push_replacing(NoteSignature {
            name: signer.name().into(),
            id: signer.id(),
            signature: signer.sign(self.text.as_bytes()).to_vec(),
        });
    }

    /// Adds (or replaces) `signer`'s C2SP cosignature as of `time` (seconds
    /// since the Unix epoch).
    pub fn add_cosignature(&mut self, signer: &SecretKey, time: u64) {
        let mut signature = time.to_be_bytes().to_vec();
        signature.extend_from_slice(&signer.sign(&cosignature_message(time, &self.text)));
        self.push_replacing(NoteSignature {
            name: signer.name().into(),
            id: signer.cosigner().id(),
            signature,
        });
    }

    /// Adds a signature line as given (e.g. a witness's cosignature), in
    /// place of any by the same key; whether it verifies is for the reader.
    pub fn push_replacing(&mut self, signature: NoteSignature) {
        self.signatures
            .retain(|s| !(s.name == signature.name && s.id == signature.id));
        self.signatures.push(signature);
    }

    /// Parses a signed note from bytes, which must be UTF-8.
    pub fn parse_bytes(msg: &[u8]) -> Result<SignedNote, NoteError> {
        let msg = std::str::from_utf8(msg).map_err(|_| NoteError::Malformed("not UTF-8"))?;
        SignedNote::parse(msg)
    }

    /// Parses a signed note without verifying anything but its form.
    pub fn parse(msg: &str) -> Result<SignedNote, NoteError> {
        if !check_characters(msg) {
            return Err(NoteError::Malformed(
                "control characters other than newline",
            ));
        }
        let split = msg
            .rfind("\n\n")
            .ok_or(NoteError::Malformed("no blank line before the signatures"))?;
        let (text, block) = (&msg[..split + 1], &msg[split + 2..]);
        if block.is_empty() || !block.ends_with('\n') {
            return Err(NoteError::Malformed(
                "the signatures must end with a newline",
            ));
        }
        let mut signatures = Vec::new();
        for line in block[..block.len() - 1].split('\n') {
            let rest = line
                .strip_prefix(SIGNATURE_PREFIX)
                .ok_or(NoteError::Malformed("a signature line starts with \"— \""))?;
            let (name, b64) = rest.split_once(' ').unwrap_or((rest, ""));
            let bytes = BASE64
                .decode(b64)
                .map_err(|_| NoteError::Malformed("a signature is not base64"))?;
            if !is_valid_name(name) || bytes.len() < 5 {
                return Err(NoteError::Malformed(
                    "a signature line is not \"— name base64\"",
                ));
            }
            if signatures.len() == MAX_SIGNATURES {
                return Err(NoteError::Malformed("more than 100 signatures"));
            }
            signatures.push(NoteSignature {
                name: name.into(),
                id: u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
                signature: bytes[4..].to_vec(),
            });
        }
        Ok(SignedNote {
            text: text.into(),
            signatures,
        })
    }

    /// The signed text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Every signature line, verified or not.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Verifies against `known` keys as Go's `note.Open` does and returns the
    /// signatures that verified (in note order, one per key).
    pub fn verify(&self, known: &[VerifierKey]) -> Result<Vec<&NoteSignature>, NoteError> {
        let mut verified: Vec<&NoteSignature> = Vec::new();
        for signature in &self.signatures {
            let mut matching = known
                .iter()
                .filter(|k| k.name() == signature.name && k.id() == signature.id);
            let Some(key) = matching.next() else {
                continue;
            };
            if matching.next().is_some() {
                return Err(NoteError::AmbiguousKey {
                    name: signature.name.clone(),
                    id: signature.id,
                });
            }
            if verified
                .iter()
                .any(|v| v.name == signature.name && v.id == signature.id)
            {
                continue;
            }
            let ok = if key.is_cosigner() {
                match signature.cosignature_time() {
                    Some(time) => key.verify(
                        &cosignature_message(time, &self.text),
                        &signature.signature[8..],
                    ),
                    None => false,
                }
            } else {
                key.verify(self.text.as_bytes(), &signature.signature)
            };
            if !ok {
                return Err(NoteError::InvalidSignature {
                    name: signature.name.clone(),
                    id: signature.id,
                });
            }
            verified.push(signature);
        }
        if verified.is_empty() {
            let signers: Vec<String> = self
                .signatures
                .iter()
                .map(|s| format!("{}+{:08x}", s.name, s.id))
                .collect();
            return Err(NoteError::NoKnownSignature(if signers.is_empty() {
                "nobody".into()
            } else {
                signers.join(", ")
            }));
        }
        Ok(verified)
    }
}

impl std::fmt::Display for SignedNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        for signature in &self.signatures {
            f.write_str(&signature.to_line())?;
        }
        Ok(())
    }
}

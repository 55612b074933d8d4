//! Witnessing (见证): C2SP tlog-witness `add-checkpoint`, shared by the
//! parent office that cosigns its children's checkpoints and by any client
//! that wants to talk to it.
//!
//! A log submits its new checkpoint with the size of the last one the witness
//! cosigned and a consistency proof from it. The witness checks the log's
//! signature, that it is told the size it holds, and the proof, and only then
//! cosigns: a cosignature says "as of this time, this is the largest tree
//! consistent with everything I have seen of this log". The witness keeps
//! only the latest (size, root) per log; persisting it atomically with the
//! check is the caller's job.

use base64::Engine;

use crate::BASE64;
use crate::checkpoint::Checkpoint;
use crate::keys::{SecretKey, VerifierKey};
use crate::merkle::{self, Hash};
use crate::note::SignedNote;

/// Most consistency-proof lines a request may carry (C2SP: 63).
pub const MAX_PROOF_LINES: usize = 63;
/// Largest request body accepted.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;

/// An `add-checkpoint` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the last checkpoint the witness cosigned for this log, as
    /// the log believes it (0 for none).
    pub old_size: u64,
    /// The consistency proof from `old_size` to the new checkpoint's size.
    pub proof: Vec<Hash>,
    /// The new checkpoint, a signed note.
    pub checkpoint: String,
}

/// Why a witness refuses; each maps to the C2SP HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    /// The body is not an `add-checkpoint` request (400).
    #[error("malformed add-checkpoint request: {0}")]
    Malformed(&'static str),
    /// The witness does not know this log's origin (404).
    #[error("unknown log origin {0:?}")]
    UnknownOrigin(String),
    /// The log's signature on the checkpoint does not verify (403).
    #[error("the checkpoint's signature does not verify with the log's key")]
    BadSignature,
    /// The witness holds another size than the request's old size (409).
    #[error("the witness holds size {0} of this log, not the request's old size")]
    Conflict(u64),
    /// The consistency proof does not verify (422).
    #[error("the consistency proof does not verify: {0}")]
    BadProof(String),
}

impl WitnessError {
    /// The C2SP tlog-witness HTTP status for this refusal.
    pub fn http_status(&self) -> u16 {
        match self {
            WitnessError::Malformed(_) => 400,
            WitnessError::UnknownOrigin(_) => 404,
            WitnessError::BadSignature => 403,
            WitnessError::Conflict(_) => 409,
            WitnessError::BadProof(_) => 422,
        }
    }
}

impl AddCheckpoint {
    /// The request body: `old N`, the proof in base64 a line each, a blank
    /// line, the checkpoint.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut body = format!("old {}\n", self.old_size);
        for hash in &self.proof {
            body.push_str(&BASE64.encode(hash.as_bytes()));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&self.checkpoint);
        body.into_bytes()
    }

    /// Parses a request body.
    pub fn parse(body: &[u8]) -> Result<AddCheckpoint, WitnessError> {
        if body.len() > MAX_REQUEST_BYTES {
            return Err(WitnessError::Malformed("the body is too large"));
        }
        let text = std::str::from_utf8(body).map_err(|_| WitnessError::Malformed("not UTF-8"))?;
        let (head, checkpoint) = text.split_once("\n\n").ok_or(WitnessError::Malformed(
            "no blank line before the checkpoint",
        ))?;
        let mut lines = head.split('\n');
        let old_size = lines
            .next()
            .and_then(|l| l.strip_prefix("old "))
            .filter(|n| !n.is_empty() && (n == &"0" || !n.starts_with('0')))
            .and_then(|n| n.parse().ok())
            .ok_or(WitnessError::Malformed(
                "the first line must be \"old <size>\"",
            ))?;
        let mut proof = Vec::new();
        for line in lines {
            if proof.len() == MAX_PROOF_LINES {
                return Err(WitnessError::Malformed("more than 63 proof lines"));
            }
            let bytes = BASE64
                .decode(line)
                .map_err(|_| WitnessError::Malformed("a proof line is not base64"))?;
            proof.push(
                Hash::from_slice(&bytes)
                    .map_err(|_| WitnessError::Malformed("a proof line is not 32 bytes"))?,
            );
        }
        Ok(AddCheckpoint {
            old_size,
            proof,
            checkpoint: checkpoint.to_owned(),
        })
    }
}

/// What a witness holds of a log: the last checkpoint it cosigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Witnessed {
    /// Its size.
    pub size: u64,
    /// Its root.
    pub root: Hash,
}

/// Checks `request` for the log with key `log`, given what the witness holds
/// (`None` before its first), and cosigns it with `witness` at `time`
/// (seconds). Returns the checkpoint to hold from now on and the cosignature
/// line(s) to answer with.
pub fn add_checkpoint(
    held: Option<Witnessed>,
    request: &AddCheckpoint,
    log: &VerifierKey,
    witness: &SecretKey,
    time: u64,
) -> Result<(Witnessed, String), WitnessError> {
    // The checks in C2SP tlog-witness's order: the signature (403), an old
    // size past the checkpoint's (400), an old size other than the one
    // held (409), a size-0 checkpoint whose root is not the empty tree's,
    // then the consistency proof — which also refuses the same size with
    // another root (422).
    let (checkpoint, note) =
        Checkpoint::open(&request.checkpoint, log).map_err(|_| WitnessError::BadSignature)?;
    if request.old_size > checkpoint.size {
        return Err(WitnessError::Malformed(
            "the old size is larger than the checkpoint's",
        ));
    }
    let held_size = held.map_or(0, |h| h.size);
    if request.old_size != held_size {
        return Err(WitnessError::Conflict(held_size));
    }
    if checkpoint.size == 0 && checkpoint.root != merkle::empty_root() {
        return Err(WitnessError::BadProof(
            "a checkpoint of size 0 must have the empty tree's root".into(),
        ));
    }
    match held {
        Some(h) if h.size > 0 => merkle::verify_consistency(
            h.size,
            checkpoint.size,
            &h.root,
            &checkpoint.root,
            &request.proof,
        )
        .map_err(|e| WitnessError::BadProof(e.to_string()))?,
        _ if !request.proof.is_empty() => {
            return Err(WitnessError::BadProof(
                "a proof from an empty tree must be empty".into(),
            ));
        }
        _ => {}
    }
    let mut cosigned = SignedNote::unsigned(note.text())
        .map_err(|_| WitnessError::Malformed("the checkpoint's text"))?;
    cosigned.add_cosignature(witness, time);
    let line = cosigned
        .signatures()
        .last()
        .map(|s| s.to_line())
        .unwrap_or_default();
    Ok((
        Witnessed {
            size: checkpoint.size,
            root: checkpoint.root,
        },
        line,
    ))
}

/// Adds cosignature lines (as a witness answered them) to a signed note,
/// replacing older ones by the same witness.
pub fn merge_cosignatures(note: &str, lines: &str) -> Result<String, WitnessError> {
    let mut note =
        SignedNote::parse(note).map_err(|_| WitnessError::Malformed("the signed note"))?;
    let extra = SignedNote::parse(&format!("{}\n{lines}", note.text()))
        .map_err(|_| WitnessError::Malformed("the cosignature lines"))?;
    for signature in extra.signatures() {
        note.push_replacing(signature.clone());
    }
    Ok(note.to_string())
}

/// An outside witness a node submits its checkpoints to (外部见证人), as
/// configured: `name cosigner-vkey url [per-day]`, the policy's `witness`
/// line with the number of checkpoints a day the witness takes from a log
/// (default 1,440, one a minute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessEndpoint {
    /// What the office calls it.
    pub name: String,
    /// Its cosigner key (type 0x04).
    pub key: VerifierKey,
    /// Its URL prefix: `add-checkpoint` is posted to `<url>/add-checkpoint`.
    pub url: String,
    /// Checkpoints a day it accepts from this log.
    pub per_day: u32,
}

/// Why a witness endpoint setting is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a witness is \"name cosigner-vkey http(s)://url [per-day]\": {0}")]
pub struct WitnessEndpointError(String);

impl WitnessEndpoint {
    /// The default allowance, one a minute.
    pub const DEFAULT_PER_DAY: u32 = 1440;

    /// The least time between two submissions to it.
    pub fn interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(86_400.0 / f64::from(self.per_day.max(1)))
    }
}

impl std::str::FromStr for WitnessEndpoint {
    type Err = WitnessEndpointError;

    fn from_str(text: &str) -> Result<WitnessEndpoint, WitnessEndpointError> {
        let err = |m: &str| WitnessEndpointError(m.to_owned());
        let words: Vec<&str> = text.split_whitespace().collect();
        let (name, key, url, per_day) = match words.as_slice() {
            [name, key, url] => (name, key, url, None),
            [name, key, url, per_day] => (name, key, url, Some(per_day)),
            _ => return Err(err("three or four words")),
        };
        let key = VerifierKey::parse(key).map_err(|e| err(&e.to_string()))?;
        if !key.is_cosigner() {
            return Err(err("the key is a cosigner key (type 0x04)"));
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(err("the URL starts with http:// or https://"));
        }
        let per_day = match per_day {
            None => WitnessEndpoint::DEFAULT_PER_DAY,
            Some(n) => n
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| err("per-day is a whole number above 0"))?,
        };
        Ok(WitnessEndpoint {
            name: (*name).to_owned(),
            key,
            url: url.trim_end_matches('/').to_owned(),
            per_day,
        })
    }
}

impl std::fmt::Display for WitnessEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            self.name, self.key, self.url, self.per_day
        )
    }
}

/// The node configuration's `witness = […]` holds them as text.
impl serde::Serialize for WitnessEndpoint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for WitnessEndpoint {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<WitnessEndpoint, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

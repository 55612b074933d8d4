//! What the store keeps about other logs besides their entries: the best
//! checkpoint known of each log (with the cosignatures gathered for it), what
//! this node has cosigned as a witness, and the logs frozen for equivocating.
//!
//! These live in their own sled tree (`federation-v1`) and are written
//! directly, not behind the ledger writer's queue. What this node cosigned,
//! what it froze and its own ledger's cosigned checkpoint are flushed
//! before the write returns (a witness must never cosign two histories,
//! and the cosignature residents' bundles carry must survive a crash). The
//! best checkpoint known of another office's ledger is not: it is written
//! at every checkpoint heard of every log kept, a flush of the whole
//! database each time, and losing the last few in a crash only means
//! serving an older one until the next announcement (30 s); the next
//! commit of any entry makes it durable.
//!
//! The best known may be newer than any the parent has cosigned (for a
//! second or two after each commit, until the cosigned one is announced);
//! residents' bundles need the cosignature, so the latest checkpoint that
//! carries it is kept apart, and stays when a newer uncosigned one comes.
//!
//! | key           | value                                      |
//! |---------------|--------------------------------------------|
//! | `k` log(32)   | best checkpoint known (signed note)        |
//! | `c` log(32)   | latest one with the parent's cosignature   |
//! | `o` log(32)   | latest one outside witnesses cosigned      |
//! | `w` log(32)   | witnessed size(8) root(32)                 |
//! | `f` log(32)   | the equivocation proof that froze it       |

use yiyi_protocol::checkpoint::SignedCheckpoint;
use yiyi_protocol::merkle::Hash;
use yiyi_protocol::witness::Witnessed;

use super::{LogKey, Store, StoreError};

/// The tree's name; the suffix is the layout's version.
pub(super) const TREE: &[u8] = b"federation-v1";

const CHECKPOINT: u8 = b'k';
const COSIGNED: u8 = b'c';
const OUTSIDE: u8 = b'o';
const WITNESSED: u8 = b'w';
const FROZEN: u8 = b'f';

fn key(tag: u8, log: &LogKey) -> [u8; 33] {
    let mut key = [0; 33];
    key[0] = tag;
    key[1..].copy_from_slice(log.as_slice());
    key
}

impl Store {
    fn meta(&self) -> &sled::Tree {
        &self.inner.meta
    }

    fn put_meta(&self, key: [u8; 33], value: &[u8]) -> Result<(), StoreError> {
        self.meta().insert(key, value)?;
        self.meta().flush()?;
        Ok(())
    }

    /// The best checkpoint known of `log` (for the own log: the latest one
    /// cosigned by a witness), with its cosignatures.
    pub fn known_checkpoint(&self, log: &LogKey) -> Result<Option<SignedCheckpoint>, StoreError> {
        self.kept_checkpoint(CHECKPOINT, log)
    }

    /// The checkpoint kept under `tag` for `log`.
    fn kept_checkpoint(
        &self,
        tag: u8,
        log: &LogKey,
    ) -> Result<Option<SignedCheckpoint>, StoreError> {
        self.meta()
            .get(key(tag, log))?
            .map(|v| super::parse_checkpoint(&v))
            .transpose()
    }

    /// The checkpoint to hand out for `log` (to peers, residents, monitors):
    /// for the own log the latest, with the parent's cosignature when it
    /// has cosigned that one; for others the largest verified one held.
    pub fn best_checkpoint(&self, log: &LogKey) -> Result<Option<SignedCheckpoint>, StoreError> {
        let known = self.known_checkpoint(log)?;
        if *log != self.own_log() {
            return Ok(known);
        }
        Ok(match (known, self.checkpoint()?) {
            (Some(cosigned), Some(latest)) if cosigned.note().text() == latest.note().text() => {
                Some(cosigned)
            }
            (_, latest) => latest,
        })
    }

    /// Keeps `checkpoint` as the best known of `log`. The caller has
    /// verified it and its consistency with the log as stored.
    pub fn set_known_checkpoint(
        &self,
        log: &LogKey,
        checkpoint: &SignedCheckpoint,
    ) -> Result<(), StoreError> {
        if *log == self.own_log() {
            return self.put_meta(key(CHECKPOINT, log), checkpoint.as_str().as_bytes());
        }
        self.meta()
            .insert(key(CHECKPOINT, log), checkpoint.as_str().as_bytes())?;
        Ok(())
    }

    /// The latest checkpoint of `log` kept with its parent's cosignature
    /// (see [`Store::set_cosigned_checkpoint`]).
    pub fn cosigned_checkpoint(
        &self,
        log: &LogKey,
    ) -> Result<Option<SignedCheckpoint>, StoreError> {
        self.kept_checkpoint(COSIGNED, log)
    }

    /// Keeps `checkpoint`, which the caller found verified, fitting the log
    /// as stored and carrying the parent office's cosignature, unless a
    /// larger one is kept already. Written like the best known one.
    pub fn set_cosigned_checkpoint(
        &self,
        log: &LogKey,
        checkpoint: &SignedCheckpoint,
    ) -> Result<(), StoreError> {
        if self
            .cosigned_checkpoint(log)?
            .is_some_and(|kept| kept.size() > checkpoint.size())
        {
            return Ok(());
        }
        let value = checkpoint.as_str().as_bytes();
        if *log == self.own_log() {
            return self.put_meta(key(COSIGNED, log), value);
        }
        self.meta().insert(key(COSIGNED, log), value)?;
        Ok(())
    }

    /// The latest checkpoint of `log` that outside witnesses cosigned,
    /// with every cosignature gathered on it (see
    /// [`Store::add_outside_cosignatures`]).
    pub fn outside_checkpoint(&self, log: &LogKey) -> Result<Option<SignedCheckpoint>, StoreError> {
        self.kept_checkpoint(OUTSIDE, log)
    }

    /// Keeps `checkpoint` as cosigned by an outside witness (the caller
    /// verified the cosignature): merged with the one kept when it is the
    /// same checkpoint (several witnesses), else kept if larger. Durable on
    /// return.
    pub fn add_outside_cosignatures(
        &self,
        log: &LogKey,
        checkpoint: &SignedCheckpoint,
    ) -> Result<(), StoreError> {
        let kept = self.outside_checkpoint(log)?;
        let merged = match kept {
            Some(kept) if kept.note().text() == checkpoint.note().text() => {
                let mut note = kept.note().clone();
                for signature in checkpoint.note().signatures() {
                    note.push_replacing(signature.clone());
                }
                SignedCheckpoint::from_note(note)
                    .map_err(|e| StoreError::Corrupt(format!("merging cosignatures: {e}")))?
            }
            Some(kept) if kept.size() > checkpoint.size() => return Ok(()),
            _ => checkpoint.clone(),
        };
        self.put_meta(key(OUTSIDE, log), merged.as_str().as_bytes())
    }

    /// The last checkpoint of `log` this node cosigned as its witness.
    pub fn witnessed(&self, log: &LogKey) -> Result<Option<Witnessed>, StoreError> {
        let Some(value) = self.meta().get(key(WITNESSED, log))? else {
            return Ok(None);
        };
        if value.len() != 40 {
            return Err(StoreError::Corrupt(
                "a witnessed checkpoint is not 40 bytes".into(),
            ));
        }
        Ok(Some(Witnessed {
            size: u64::from_be_bytes(value[..8].try_into().expect("8 bytes")),
            root: Hash::from_slice(&value[8..]).expect("32 bytes"),
        }))
    }

    /// Records that this node cosigned `witnessed` for `log`; durable on
    /// return, so a cosignature is never given for a tree that a restart
    /// could forget.
    pub fn set_witnessed(&self, log: &LogKey, witnessed: Witnessed) -> Result<(), StoreError> {
        let mut value = witnessed.size.to_be_bytes().to_vec();
        value.extend_from_slice(witnessed.root.as_bytes());
        self.put_meta(key(WITNESSED, log), &value)
    }

    /// Freezes `log` with the (verified) proof of its equivocation: from now
    /// on no entry of it is accepted. The first proof stays.
    pub fn freeze(&self, log: &LogKey, proof: &[u8]) -> Result<bool, StoreError> {
        let fresh = self
            .meta()
            .compare_and_swap(key(FROZEN, log), None::<&[u8]>, Some(proof))?
            .is_ok();
        self.meta().flush()?;
        Ok(fresh)
    }

    /// The proof that froze `log`, if it is frozen.
    pub fn frozen(&self, log: &LogKey) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.meta().get(key(FROZEN, log))?.map(|v| v.to_vec()))
    }

    /// Every frozen log, with its proof.
    pub fn frozen_logs(&self) -> Result<Vec<(LogKey, Vec<u8>)>, StoreError> {
        let mut frozen = Vec::new();
        for item in self.meta().scan_prefix([FROZEN]) {
            let (k, v) = item?;
            let log = k
                .get(1..)
                .and_then(|k| k.try_into().ok())
                .ok_or_else(|| StoreError::Corrupt("a frozen key is not 33 bytes".into()))?;
            frozen.push((log, v.to_vec()));
        }
        Ok(frozen)
    }
}

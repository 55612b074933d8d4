//! Checkpoint policy: what a node makes of a signed checkpoint it heard
//! (announced, or with a sync response). Signed by the log's key and
//! fitting the entries held, it is kept (the largest one, or the held one
//! with the parent's cosignature added: residents' bundles need it from any
//! node); reaching further, its entries are fetched and it is checked once
//! they are in; contradicting them, it shows two histories of one log.
//! [`Checkpoints::consider`] decides; the event loop does what it says.

use std::collections::HashMap;

use libp2p::PeerId;
use yiyi_protocol::VerifierKey;
use yiyi_protocol::checkpoint::{SignedCheckpoint, witnessed_by};
use yiyi_protocol::federation;
use yiyi_protocol::proto::EquivocationProof;

use crate::federation::Members;
use crate::store::{LogKey, Store};

/// What to do with a checkpoint heard.
#[derive(Debug)]
pub(super) enum Heard {
    /// No key is known to check it with: neither judged nor passed on.
    NoKey,
    /// Not signed by the log's key: refused.
    Refused,
    /// Another checkpoint of the same size with another root is held: the
    /// two are the proof.
    Equivocation(EquivocationProof),
    /// It reaches past the entries held: fetch them, and check it then.
    Fetch,
    /// It fits the entries held; keep this one (or, `None`, what is held).
    Keep(Option<SignedCheckpoint>),
    /// Signed by the log's key, yet not the tree of the entries it signed:
    /// fetch the peer's entry `sequence` to find where the histories part.
    Probe(u64),
    /// Nothing to do (an empty log), or the root could not be read.
    Nothing,
}

impl Heard {
    /// Whether the checkpoint was validly signed (gossip is accepted).
    pub(super) fn valid(&self) -> bool {
        !matches!(self, Heard::NoKey | Heard::Refused)
    }
}

/// Keeps `checkpoint` of `log` if it fits the entries held and adds to
/// what is kept (it is larger, or carries the parent's cosignature on the
/// one held); returns whether it did. The witness does this with the
/// checkpoint it has just cosigned, so that a child's ledger fetched before
/// the cosignature is served with it at once, not once the child announces
/// it again (a resident's check refuses a bundle without it).
pub(crate) fn keep_if_fits(
    store: &Store,
    members: &Members,
    log: LogKey,
    checkpoint: &SignedCheckpoint,
) -> bool {
    match Checkpoints::consider(store, members, log, checkpoint) {
        Heard::Keep(Some(checkpoint)) => keep(store, members, &log, &checkpoint).is_ok(),
        _ => false,
    }
}

/// Keeps `checkpoint` (judged [`Heard::Keep`]) as the best known of `log`,
/// and as its latest cosigned one when it carries the parent's
/// cosignature: that one stays for residents' bundles while a newer one
/// waits for its cosignature.
pub(crate) fn keep(
    store: &Store,
    members: &Members,
    log: &LogKey,
    checkpoint: &SignedCheckpoint,
) -> Result<(), crate::store::StoreError> {
    store.set_known_checkpoint(log, checkpoint)?;
    if members.parent_cosigned(log, checkpoint) {
        store.set_cosigned_checkpoint(log, checkpoint)?;
    }
    Ok(())
}

/// Checkpoints of logs not yet held as far as they reach: checked once the
/// entries are in, with the peer that sent them.
#[derive(Default)]
pub(super) struct Checkpoints {
    pending: HashMap<LogKey, (PeerId, SignedCheckpoint)>,
}

impl Checkpoints {
    /// Judges `checkpoint` of `log` against what `store` holds.
    pub(super) fn consider(
        store: &Store,
        members: &Members,
        log: LogKey,
        checkpoint: &SignedCheckpoint,
    ) -> Heard {
        let Some(key) = key_for(store, members, &log, checkpoint) else {
            return Heard::NoKey;
        };
        let own = store.own_log();
        let known = store.known_checkpoint(&log).ok().flatten().or_else(|| {
            (log == own)
                .then(|| store.checkpoint().ok().flatten())
                .flatten()
        });
        // Heard before as it is (the periodic announcements, the periodic
        // sync rounds): every signature on it is one on the checkpoint
        // kept, checked when it was kept. Nothing new, and no signature to
        // check again: at a thousand offices this was most of a node's idle
        // work.
        if let Some(known) = &known
            && repeats(known, checkpoint)
        {
            return Heard::Keep(None);
        }
        if checkpoint.verify(&key).is_err() {
            return Heard::Refused;
        }
        if let Some(known) = &known
            && known.size() == checkpoint.size()
            && known.root() != checkpoint.root()
        {
            return Heard::Equivocation(federation::checkpoints_equivocation(
                &log,
                known.as_str(),
                checkpoint.as_str(),
            ));
        }
        if checkpoint.size() == 0 {
            return Heard::Nothing;
        }
        if checkpoint.size() > store.held(&log) {
            return Heard::Fetch;
        }
        match store.root_at(&log, checkpoint.size()) {
            Ok(root) if root == checkpoint.root() => {
                if log == own {
                    return Heard::Keep(None);
                }
                let larger = known.as_ref().is_none_or(|k| k.size() < checkpoint.size());
                Heard::Keep(if larger {
                    Some(checkpoint.clone())
                } else {
                    known.and_then(|known| {
                        with_parent_cosignature(members, &log, &known, checkpoint)
                    })
                })
            }
            Ok(_) => Heard::Probe(checkpoint.size() - 1),
            Err(e) => {
                tracing::warn!(error = %e, "reading a root");
                Heard::Nothing
            }
        }
    }

    /// Keeps `checkpoint` to check once the entries it signs are in.
    pub(super) fn wait_for_entries(
        &mut self,
        log: LogKey,
        peer: PeerId,
        checkpoint: SignedCheckpoint,
    ) {
        self.pending.insert(log, (peer, checkpoint));
    }

    /// The peer that announced how far `log` reaches, if one did.
    pub(super) fn announcer(&self, log: &LogKey) -> Option<PeerId> {
        self.pending.get(log).map(|(peer, _)| *peer)
    }

    /// The checkpoint waiting for `log`'s entries: taken if `held` entries
    /// reach it (to be checked now), else left, with the peer to ask.
    pub(super) fn waiting(&mut self, log: &LogKey, held: u64) -> Waiting {
        match self.pending.get(log) {
            None => Waiting::None,
            Some((_, checkpoint)) if checkpoint.size() <= held => {
                let (peer, checkpoint) = self.pending.remove(log).expect("just seen");
                Waiting::Reached(peer, checkpoint)
            }
            Some((peer, _)) => Waiting::Further(*peer),
        }
    }
}

/// A checkpoint waiting for its entries.
pub(super) enum Waiting {
    None,
    /// The entries are in: check it now.
    Reached(PeerId, SignedCheckpoint),
    /// Not yet: this peer announced it and holds them.
    Further(PeerId),
}

/// Whether `heard` says nothing `kept` does not: the same checkpoint, and
/// each of its signatures one of `kept`'s.
fn repeats(kept: &SignedCheckpoint, heard: &SignedCheckpoint) -> bool {
    kept.note().text() == heard.note().text()
        && heard
            .note()
            .signatures()
            .iter()
            .all(|s| kept.note().signatures().contains(s))
}

/// The key that verifies `log`'s checkpoints: its charter's, or, for a log
/// followed without one, its raw key named after the checkpoint's origin.
pub(super) fn key_for(
    store: &Store,
    members: &Members,
    log: &LogKey,
    checkpoint: &SignedCheckpoint,
) -> Option<VerifierKey> {
    if *log == store.own_log() {
        return VerifierKey::from_public(store.own_origin(), log).ok();
    }
    members
        .key(log)
        .or_else(|| VerifierKey::from_public(&checkpoint.checkpoint().origin, log).ok())
}

/// The checkpoint `held`, with the parent office's cosignature from `heard`
/// (the same checkpoint, announced again once the parent cosigned it) when
/// it verifies and is not there yet. Other lines of `heard` are not taken.
fn with_parent_cosignature(
    members: &Members,
    log: &LogKey,
    held: &SignedCheckpoint,
    heard: &SignedCheckpoint,
) -> Option<SignedCheckpoint> {
    if held.note().text() != heard.note().text() {
        return None;
    }
    let parent = members.key(&members.parent(log)?)?.to_cosigner();
    let witnessed = witnessed_by(heard.note(), &[parent]).ok()?;
    let mut note = held.note().clone();
    let new: Vec<_> = witnessed
        .into_iter()
        .map(|(s, _)| s.clone())
        .filter(|s| !note.signatures().contains(s))
        .collect();
    if new.is_empty() {
        return None;
    }
    for signature in new {
        note.push_replacing(signature);
    }
    SignedCheckpoint::from_note(note).ok()
}

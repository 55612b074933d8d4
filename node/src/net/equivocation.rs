//! Equivocation (分叉): two signed histories of one log. Caught either way
//! they show (two checkpoints of one size with different roots, or a
//! checkpoint or entry that does not fit the entries held, in which case
//! the peer's entry at the point of difference is fetched and the two
//! signed entries are the proof), checked, and then the log is frozen; the
//! event loop gossips the proof and, when this node found it, records it in
//! the own ledger.

use prost::Message;
use yiyi_protocol::checkpoint::SignedCheckpoint;
use yiyi_protocol::federation::{self, check_equivocation};
use yiyi_protocol::proto::EquivocationProof;

use super::checkpoints::key_for;
use crate::federation::Members;
use crate::store::{LogKey, Store};

/// What a proof came to.
pub(super) enum Judged {
    /// It proves nothing (or names no log, or no key is known).
    Invalid,
    /// It holds, and the log was frozen before.
    Known,
    /// It holds, and the log is frozen now: gossip these bytes.
    Frozen(Vec<u8>),
}

/// Checks `proof` and, if it holds, freezes the accused log.
pub(super) fn judge(store: &Store, members: &Members, proof: &EquivocationProof) -> Judged {
    let Some(log) = federation::accused(proof) else {
        return Judged::Invalid;
    };
    let Some(key) = key(store, members, &log, proof) else {
        return Judged::Invalid;
    };
    if let Err(e) = check_equivocation(proof, &key) {
        tracing::warn!(log = %log, error = %e, "an equivocation proof that proves nothing");
        return Judged::Invalid;
    }
    let bytes = proof.encode_to_vec();
    match store.freeze(&log, &bytes) {
        Ok(true) => {
            tracing::warn!(log = %log, origin = key.name(), "the log signed two histories: frozen");
            Judged::Frozen(bytes)
        }
        Ok(false) => Judged::Known,
        Err(e) => {
            tracing::error!(error = %e, "freezing a log");
            Judged::Known
        }
    }
}

/// The key the accused log signs with: from the federation, else named
/// after the origin of the proof's first checkpoint.
fn key(
    store: &Store,
    members: &Members,
    log: &LogKey,
    proof: &EquivocationProof,
) -> Option<yiyi_protocol::VerifierKey> {
    match SignedCheckpoint::parse(&proof.checkpoint_a) {
        Ok(checkpoint) => key_for(store, members, log, &checkpoint),
        // A proof of two entries carries no checkpoint: only a known key
        // checks it.
        Err(_) if *log == store.own_log() => {
            yiyi_protocol::VerifierKey::from_public(store.own_origin(), log).ok()
        }
        Err(_) => members.key(log),
    }
}

//! Notice bundles (核验包): what a node hands a resident to check a notice
//! without trusting the node — the entry, its inclusion proof in a
//! checkpoint cosigned by the parent office, the charters from its office up
//! to the district, each proved in its parent's ledger, and each of those
//! offices' latest profile, proved in its own, which names it
//! (`yiyi_protocol::light` checks them). A node never hands out a bundle
//! that check refuses for want of a cosignature still on its way: it waits
//! for one (409, `Retry-After`).

use std::collections::HashMap;

use yiyi_protocol::checkpoint::SignedCheckpoint;
use yiyi_protocol::light::{Bundle, TlogProof};
use yiyi_protocol::merkle::Hash;
use yiyi_protocol::proto::charter::Action;
use yiyi_protocol::{VerifierKey, federation};

use crate::federation::Members;
use crate::store::{LogKey, Store, StoreError};

/// Why no bundle could be made.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// No entry with that hash is held.
    #[error("no entry {0} is held here")]
    Unknown(String),
    /// The entry is newer than any checkpoint held of its log.
    #[error("the entry is not in a checkpoint yet; try again in a moment")]
    NotCheckpointed,
    /// The entry is in a checkpoint, but in none the parent office has
    /// cosigned yet (a second or two after a commit).
    #[error(
        "the entry's checkpoint is not cosigned by the parent office yet; try again in a moment"
    )]
    NotWitnessed,
    /// The office's charter (or an ancestor's) is not held.
    #[error("the charter admitting {0} is not held here")]
    NoCharter(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The bundle for the entry with `hash`; `profiles` says where each
/// office's latest profile is in its ledger.
pub fn notice_bundle(
    store: &Store,
    members: &Members,
    hash: &Hash,
    profiles: &HashMap<LogKey, u64>,
) -> Result<Bundle, BundleError> {
    let (log, sequence, bytes) = store
        .entry_by_hash(hash)?
        .ok_or_else(|| BundleError::Unknown(hash.to_hex()))?;
    let notice = proof(store, members, (&log, sequence, bytes), true)?;
    let district = members.with(|f| f.district());
    let mut chain = Vec::new();
    let mut offices = vec![log];
    let mut below = log;
    while below != district && chain.len() < yiyi_protocol::light::MAX_CHAIN {
        let parent = members
            .parent(&below)
            .ok_or_else(|| BundleError::NoCharter(hex::encode(below)))?;
        let (sequence, bytes) = charter_admitting(store, &parent, &below)?
            .ok_or_else(|| BundleError::NoCharter(hex::encode(below)))?;
        chain.push(proof(store, members, (&parent, sequence, bytes), false)?);
        offices.push(parent);
        below = parent;
    }
    let mut named = Vec::new();
    for office in offices {
        let Some(&sequence) = profiles.get(&office) else {
            continue;
        };
        let Some(bytes) = store.entry(&office, sequence)? else {
            continue;
        };
        // A profile not yet in a checkpoint waits for the next bundle; the
        // office is named by its charter meanwhile.
        match proof(store, members, (&office, sequence, bytes), false) {
            Ok(profile) => named.push(profile),
            Err(BundleError::NotCheckpointed) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Bundle {
        notice,
        chain,
        profiles: named,
    })
}

/// The entry's proof in a checkpoint held of its log that covers it and
/// that a resident's check accepts (see [`witnessed_checkpoints`]).
/// A charter link or a profile (`cosigned` false) needs only its author's
/// signature on the checkpoint, so the latest held does when none cosigned
/// covers it yet.
fn proof(
    store: &Store,
    members: &Members,
    (log, sequence, bytes): (&LogKey, u64, Vec<u8>),
    cosigned: bool,
) -> Result<TlogProof, BundleError> {
    let covers = |c: &SignedCheckpoint| c.size() > sequence;
    let signed = || -> Result<Option<SignedCheckpoint>, StoreError> {
        let mut candidates = vec![store.known_checkpoint(log)?];
        if *log == store.own_log() {
            candidates.push(store.checkpoint()?);
        }
        let held = store.held(log);
        Ok(candidates
            .into_iter()
            .flatten()
            .filter(|c| c.size() <= held)
            .max_by_key(|c| c.size()))
    };
    // Of those that cover it, the one with the most cosignatures (outside
    // witnesses' too, for a resident whose policy asks for them), then the
    // latest.
    let witnessed = witnessed_checkpoints(store, members, log)?
        .into_iter()
        .filter(covers)
        .max_by_key(|c| (c.note().signatures().len(), c.size()));
    let checkpoint = match witnessed {
        Some(checkpoint) => checkpoint,
        None => match signed()?.filter(covers) {
            Some(checkpoint) if !cosigned => checkpoint,
            Some(_) => return Err(BundleError::NotWitnessed),
            None => return Err(BundleError::NotCheckpointed),
        },
    };
    Ok(TlogProof {
        extra: bytes,
        index: sequence,
        hashes: store.inclusion_proof(log, sequence, checkpoint.size())?,
        checkpoint: checkpoint.to_string(),
    })
}

/// The latest checkpoint of `log` held that a resident's check accepts: one
/// with the cosignature of the office that admitted it (any, for the
/// district, which no one admitted), within the entries held. Served as the
/// log's tlog-tiles checkpoint, so that what a node hands out never fails
/// for want of a cosignature that is on its way.
pub fn witnessed_checkpoint(
    store: &Store,
    members: &Members,
    log: &LogKey,
) -> Result<Option<SignedCheckpoint>, StoreError> {
    Ok(witnessed_checkpoints(store, members, log)?
        .into_iter()
        .max_by_key(|c| (c.size(), c.note().signatures().len())))
}

/// Every checkpoint of `log` kept that a resident's check accepts: the
/// latest with the parent's cosignature, the best known, the latest with
/// outside witnesses' cosignatures (and the own latest, for the district).
fn witnessed_checkpoints(
    store: &Store,
    members: &Members,
    log: &LogKey,
) -> Result<Vec<SignedCheckpoint>, StoreError> {
    let mut candidates = vec![
        store.cosigned_checkpoint(log)?,
        store.known_checkpoint(log)?,
        store.outside_checkpoint(log)?,
    ];
    if *log == store.own_log() {
        candidates.push(store.checkpoint()?);
    }
    let root = members.parent(log).is_none();
    let held = store.held(log);
    Ok(candidates
        .into_iter()
        .flatten()
        .filter(|c| c.size() <= held && (root || members.parent_cosigned(log, c)))
        .collect())
}

/// The last charter in `parent`'s ledger admitting (or re-keying to) the
/// key of `child`.
fn charter_admitting(
    store: &Store,
    parent: &LogKey,
    child: &LogKey,
) -> Result<Option<(u64, Vec<u8>)>, BundleError> {
    let mut found = None;
    for stored in store.entries(parent, 0) {
        let stored = stored?;
        if let Some(c) = stored.body().and_then(federation::charter) {
            let key = match Action::try_from(c.action) {
                Ok(Action::Admit) => &c.verifier_key,
                Ok(Action::Rotate) => &c.new_verifier_key,
                _ => continue,
            };
            if VerifierKey::parse(key).is_ok_and(|k| k.log_key() == *child) {
                found = Some((stored.at.sequence, stored.bytes));
            }
        }
    }
    Ok(found)
}

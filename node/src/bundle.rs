//! Notice bundles (核验包): what a node hands a resident to check a notice
//! without trusting the node — the entry, its inclusion proof in a
//! checkpoint cosigned by the parent office, the charters from its office up
//! to the district, each proved in its parent's ledger, and each of those
//! offices' latest profile, proved in its own, which names it
//! (`yiyi_protocol::light` checks them).

use std::collections::HashMap;

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
    let notice = proof(store, &log, sequence, bytes)?;
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
        chain.push(proof(store, &parent, sequence, bytes)?);
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
        match proof(store, &office, sequence, bytes) {
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

/// The entry's proof in the best checkpoint held of its log that covers it:
/// the one the parent cosigned if it does, else the latest.
fn proof(
    store: &Store,
    log: &LogKey,
    sequence: u64,
    bytes: Vec<u8>,
) -> Result<TlogProof, BundleError> {
    let mut candidates = vec![store.known_checkpoint(log)?];
    if *log == store.own_log() {
        candidates.push(store.checkpoint()?);
    }
    let held = store.held(log);
    let checkpoint = candidates
        .into_iter()
        .flatten()
        .find(|c| c.size() > sequence && c.size() <= held)
        .ok_or(BundleError::NotCheckpointed)?;
    Ok(TlogProof {
        extra: bytes,
        index: sequence,
        hashes: store.inclusion_proof(log, sequence, checkpoint.size())?,
        checkpoint: checkpoint.to_string(),
    })
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

//! The witness (见证人): a parent office cosigns its children's checkpoints,
//! and a node configured to (`--witness-for`) cosigns the checkpoints of
//! logs outside its federation, as any C2SP witness would.
//!
//! Requests come over HTTP (C2SP tlog-witness `POST /add-checkpoint`) and over
//! libp2p (`/yiyi/witness/1`, the same body); both end here. The check and
//! the write of what was cosigned happen under one lock and the write is
//! durable before the cosignature is returned, so the witness never cosigns
//! two trees that a third could not extend both of.

use std::sync::Mutex;

use yiyi_protocol::checkpoint::{Checkpoint, SignedCheckpoint};
use yiyi_protocol::note::SignedNote;
use yiyi_protocol::witness::{self, AddCheckpoint, WitnessError};
use yiyi_protocol::{SecretKey, VerifierKey};

use crate::federation::Members;
use crate::store::{LogKey, Store};

/// Cosigns the checkpoints of the offices this one admitted.
pub struct Witness {
    store: Store,
    members: Members,
    key: SecretKey,
    /// Logs witnessed from outside the federation.
    outside: Vec<VerifierKey>,
    lock: Mutex<()>,
}

/// Why a witness request failed.
#[derive(Debug, thiserror::Error)]
pub enum WitnessFailure {
    /// Refused, with the C2SP status.
    #[error(transparent)]
    Refused(#[from] WitnessError),
    /// The store failed; nothing was cosigned.
    #[error("the witness's store: {0}")]
    Store(#[from] crate::store::StoreError),
}

impl Witness {
    /// A witness signing with `key` (the node's key) for the children
    /// `members` lists and for the `outside` logs.
    pub fn new(
        store: Store,
        members: Members,
        key: SecretKey,
        outside: Vec<VerifierKey>,
    ) -> Witness {
        Witness {
            store,
            members,
            key,
            outside,
            lock: Mutex::new(()),
        }
    }

    /// Handles an `add-checkpoint` body; returns the cosignature line(s).
    pub fn add_checkpoint(&self, body: &[u8]) -> Result<String, WitnessFailure> {
        let request = AddCheckpoint::parse(body)?;
        let origin = SignedNote::parse(&request.checkpoint)
            .ok()
            .and_then(|n| Checkpoint::parse(n.text()).ok())
            .map(|c| c.origin)
            .ok_or(WitnessError::Malformed("the checkpoint"))?;
        let own = self.store.own_log();
        let (log, key) = self
            .members
            .with(|f| {
                f.members()
                    .find(|(log, m)| {
                        m.parent == Some(own) && m.key.name() == origin && f.accepts(log)
                    })
                    .map(|(log, m)| (*log, m.key.clone()))
            })
            .or_else(|| {
                self.outside
                    .iter()
                    .find(|k| k.name() == origin)
                    .map(|k| (k.log_key(), k.clone()))
            })
            .ok_or_else(|| WitnessError::UnknownOrigin(origin.clone()))?;
        if self.store.frozen(&log)?.is_some() {
            return Err(WitnessError::UnknownOrigin(origin).into());
        }
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let held = self.store.witnessed(&log)?;
        let now = crate::now_ms().max(0) as u64 / 1000;
        let (witnessed, line) = witness::add_checkpoint(held, &request, &key, &self.key, now)?;
        self.store.set_witnessed(&log, witnessed)?;
        tracing::debug!(origin, size = witnessed.size, "cosigned");
        // The child's ledger, if held this far, is served cosigned from now.
        if let Ok(cosigned) = witness::merge_cosignatures(&request.checkpoint, &line)
            && let Ok(cosigned) = SignedCheckpoint::parse(&cosigned)
        {
            crate::net::keep_if_fits(&self.store, &self.members, log, &cosigned);
        }
        Ok(line)
    }

    /// The logs witnessed from outside the federation, by origin.
    pub fn outside_logs(&self) -> Vec<String> {
        self.outside.iter().map(|k| k.name().to_owned()).collect()
    }

    /// The log this node's own checkpoints go to for cosigning: its parent.
    pub fn parent(&self) -> Option<LogKey> {
        self.members.parent(&self.store.own_log())
    }
}

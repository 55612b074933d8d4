//! The node's view of escalated matters (上报事项): `yiyi_protocol::escalation`
//! fed every ledger the node holds, so that a matter's whole path, across the
//! community's, the street's and the district's ledgers, can be shown and an
//! office's next step checked against it.
//!
//! Entries are taken in each log's order. A replicated step that does not
//! follow is logged and left out (the office that signed it answers for it);
//! the node's own steps are checked before they are signed.

use std::sync::{Arc, RwLock};

use yiyi_protocol::entry;
use yiyi_protocol::escalation::Matters as Rules;
use yiyi_protocol::proto::entry::Body;
use yiyi_protocol::rules::Position;

use crate::store::{LogKey, Store, StoreError};

/// A shared handle on the matters; cheap to clone.
#[derive(Clone, Default)]
pub struct Matters(Arc<RwLock<Rules>>);

impl Matters {
    /// Reads every ledger in `store`. Logs are read one after another; a
    /// step that refers to a log read later is retried once all are read.
    pub fn load(store: &Store) -> Result<Matters, StoreError> {
        let mut rules = Rules::new();
        let mut deferred = Vec::new();
        let mut logs = store.logs()?;
        logs.sort();
        for log in logs {
            for sequence in 0..store.state(&log)?.head.size {
                let Some(bytes) = store.entry(&log, sequence)? else {
                    break;
                };
                let verified = entry::verify(&bytes).map_err(StoreError::Rejected)?;
                let Some(body) = verified.entry.body else {
                    continue;
                };
                let at = Position {
                    sequence,
                    hash: verified.hash,
                    time_ms: verified.entry.time_ms,
                };
                if rules.apply(&log, at, &body).is_err() {
                    deferred.push((log, at, body));
                }
            }
        }
        // Steps whose matter sits in a log read after theirs; more rounds
        // while any of them still falls into place.
        while !deferred.is_empty() {
            let before = deferred.len();
            deferred.retain(|(log, at, body)| rules.apply(log, *at, body).is_err());
            if deferred.len() == before {
                for (log, at, _) in &deferred {
                    tracing::warn!(log = %hex::encode(log), sequence = at.sequence, "a step of an escalated matter that does not follow");
                }
                break;
            }
        }
        Ok(Matters(Arc::new(RwLock::new(rules))))
    }

    /// Reads the matters.
    pub fn with<R>(&self, f: impl FnOnce(&Rules) -> R) -> R {
        f(&self.0.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Takes an entry stored in `log` into account; a step that does not
    /// follow is logged and left out.
    pub fn observe(&self, log: &LogKey, at: Position, body: &Body) {
        let mut rules = self.0.write().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = rules.apply(log, at, body) {
            tracing::warn!(log = %hex::encode(log), sequence = at.sequence, error = %e, "a step of an escalated matter that does not follow");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yiyi_protocol::SecretKey;
    use yiyi_protocol::proto::{self, EntryRef};

    #[test]
    fn matters_are_read_back_from_the_ledgers_held() {
        let dir = tempfile::tempdir().unwrap();
        let street = SecretKey::generate("yiyi/lixia/quancheng").unwrap();
        let community = SecretKey::generate("yiyi/lixia/quancheng/shunyu").unwrap();
        let store = Store::open(dir.path(), street.clone()).unwrap();
        // The community's escalation, replicated into the street's store...
        let escalation = entry::sign(
            &yiyi_protocol::ChainHead::default().next_entry(
                community.public_bytes(),
                1,
                Body::Escalation(proto::Escalation {
                    id: "E-1".into(),
                    result: "增设公交站点".into(),
                    to: street.public_bytes().to_vec(),
                    ..Default::default()
                }),
            ),
            &community,
        )
        .unwrap();
        store
            .append_replica_blocking(*community.public_bytes(), &escalation.bytes)
            .unwrap();
        // ...and the street's receipt in its own ledger.
        store
            .append_blocking(Body::Receipt(proto::Receipt {
                escalation: Some(EntryRef {
                    log: community.public_bytes().to_vec(),
                    sequence: 0,
                    hash: escalation.hash.as_bytes().to_vec(),
                }),
            }))
            .unwrap();
        let matters = Matters::load(&store).unwrap();
        let status = matters.with(|m| m.get(&escalation.hash).map(|m| m.status.name()));
        assert_eq!(status, Some("received"));
    }
}

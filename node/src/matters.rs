//! The node's view of escalated matters (上报事项): `yiyi_protocol::escalation`
//! fed every ledger the node holds, so that a matter's whole path, across the
//! community's, the street's and the district's ledgers, can be shown and an
//! office's next step checked against it.
//!
//! Entries are taken in each log's order; logs arrive in any order, so a
//! step about a matter not seen yet waits until it is.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use yiyi_protocol::escalation::{MatterError, Matters as Rules};
use yiyi_protocol::proto::{self, entry::Body};
use yiyi_protocol::rules::Position;

use crate::store::{LogKey, Store, StoreError};

/// A shared handle on the matters; cheap to clone.
#[derive(Clone, Default)]
pub struct Matters(Arc<RwLock<Inner>>);

#[derive(Default)]
struct Inner {
    rules: Rules,
    /// Steps about a matter not seen yet (its escalation sits in a log not
    /// replicated that far, or arrives by delivery later): retried whenever
    /// an escalation comes in.
    deferred: Vec<(LogKey, Position, Body)>,
    /// Cross-community meetings (跨社区协商) convened by streets.
    joint: Vec<(LogKey, Position, proto::Meeting)>,
    /// Topic titles by log and id, to name a joint meeting's topics.
    titles: HashMap<(LogKey, String), String>,
    /// Topics put on a lower office's agenda (交办议题), by the assigning
    /// office and the assignment's id.
    assignments: HashMap<(LogKey, String), (Position, proto::Assignment)>,
    /// The answers, by the assigning office and the assignment's id.
    replies: HashMap<(LogKey, String), (LogKey, Position, proto::AssignmentReply)>,
}

impl Inner {
    fn observe(&mut self, log: &LogKey, at: Position, body: &Body) {
        match body {
            Body::Meeting(m) if !m.communities.is_empty() => {
                self.joint.push((*log, at, m.clone()));
            }
            Body::Topic(t) => {
                self.titles.insert((*log, t.id.clone()), t.title.clone());
            }
            Body::Assignment(a) => {
                self.assignments
                    .insert((*log, a.id.clone()), (at, a.clone()));
                return;
            }
            Body::AssignmentReply(r) => {
                let from = r
                    .assignment
                    .as_ref()
                    .and_then(|e| LogKey::try_from(e.log.as_slice()).ok());
                if let Some(from) = from {
                    self.replies
                        .insert((from, r.assignment_id.clone()), (*log, at, r.clone()));
                }
                return;
            }
            _ => {}
        }
        match self.rules.apply(log, at, body) {
            Ok(()) if matches!(body, Body::Escalation(_)) => self.retry(),
            Ok(()) => {}
            Err(MatterError::Unknown(_)) => self.deferred.push((*log, at, body.clone())),
            Err(e) => {
                tracing::warn!(log = %log, sequence = at.sequence, error = %e, "a step of an escalated matter that does not follow");
            }
        }
    }

    /// Applies deferred steps, in rounds while any of them falls into place
    /// (one may be the escalation another one needs).
    fn retry(&mut self) {
        loop {
            let before = self.deferred.len();
            let rules = &mut self.rules;
            self.deferred.retain(|(log, at, body)| {
                matches!(rules.apply(log, *at, body), Err(MatterError::Unknown(_)))
            });
            if self.deferred.len() == before {
                return;
            }
        }
    }
}

impl Matters {
    /// Reads every ledger in `store`.
    pub fn load(store: &Store) -> Result<Matters, StoreError> {
        let mut inner = Inner::default();
        let mut logs = store.logs()?;
        logs.sort();
        for log in logs {
            for stored in store.entries(&log, 0) {
                let stored = stored?;
                if let Some(body) = stored.body() {
                    inner.observe(&log, stored.at, body);
                }
            }
        }
        Ok(Matters(Arc::new(RwLock::new(inner))))
    }

    /// Reads the matters.
    pub fn with<R>(&self, f: impl FnOnce(&Rules) -> R) -> R {
        f(&self.0.read().unwrap_or_else(|e| e.into_inner()).rules)
    }

    /// The cross-community meetings `street` convened, with where each is.
    pub fn joint_meetings(&self, street: &LogKey) -> Vec<(Position, proto::Meeting)> {
        let inner = self.0.read().unwrap_or_else(|e| e.into_inner());
        inner
            .joint
            .iter()
            .filter(|(log, _, _)| log == street)
            .map(|(_, at, m)| (*at, m.clone()))
            .collect()
    }

    /// The title of topic `id` in `log`'s ledger.
    pub fn topic_title(&self, log: &LogKey, id: &str) -> Option<String> {
        let inner = self.0.read().unwrap_or_else(|e| e.into_inner());
        inner.titles.get(&(*log, id.to_owned())).cloned()
    }

    /// Assignment `id` by the office `from`, if held.
    pub fn assignment(&self, from: &LogKey, id: &str) -> Option<(Position, proto::Assignment)> {
        let inner = self.0.read().unwrap_or_else(|e| e.into_inner());
        inner.assignments.get(&(*from, id.to_owned())).cloned()
    }

    /// Every assignment held, by the office that made it, with its answer
    /// (by whom, where, what) once one is held; ordered by time.
    pub fn assignments(&self) -> Vec<Assigned> {
        let inner = self.0.read().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<Assigned> = inner
            .assignments
            .iter()
            .map(|((from, id), (at, a))| Assigned {
                from: *from,
                at: *at,
                assignment: a.clone(),
                reply: inner.replies.get(&(*from, id.clone())).cloned(),
            })
            .collect();
        all.sort_by_key(|a| (a.at.time_ms, a.assignment.id.clone()));
        all
    }

    /// Takes an entry stored in `log` (or delivered from it) into account.
    /// A step about a matter not seen yet waits for it; one that does not
    /// follow is logged and left out (the office that signed it answers for
    /// it; the node's own steps are checked before they are signed).
    pub fn observe(&self, log: &LogKey, at: Position, body: &Body) {
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .observe(log, at, body);
    }
}

/// An assignment held and its answer, if any.
#[derive(Debug, Clone)]
pub struct Assigned {
    /// The office that assigned it.
    pub from: LogKey,
    /// Where, in its ledger.
    pub at: Position,
    /// The assignment.
    pub assignment: proto::Assignment,
    /// The office that answered, where, and its answer.
    pub reply: Option<(LogKey, Position, proto::AssignmentReply)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use yiyi_protocol::proto::{self, EntryRef};
    use yiyi_protocol::{SecretKey, entry};

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
            .append_replica_blocking(community.log_key(), &escalation.bytes)
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

//! The office (办公室): the community's procedure on top of its own ledger.
//!
//! Every office action goes through [`Office::record`]: the record is checked
//! against the procedure's rules (`yiyi_protocol::rules`) with the state the
//! ledger adds up to, appended (signed and durable) only if the rules accept
//! it, and then folded into the state. Records that publish something also
//! get their notice, written from the records, as the next entries. One lock
//! orders the office's writes, so a check always sees every earlier record.

use tokio::sync::Mutex;
use yiyi_protocol::entry::{self, VerifiedEntry};
use yiyi_protocol::escalation::{MatterError, Status};
use yiyi_protocol::merkle::Hash;
use yiyi_protocol::proto::{
    self, EntryRef, decision::Verdict as DecisionVerdict, entry::Body, gate_decision::Verdict,
    meeting_step::Step,
};
use yiyi_protocol::rules::{Consultation, Position, RuleError, notices};

use crate::federation::Members;
use crate::matters::Matters;
use crate::private::{PrivateError, PrivateStore};
use crate::store::outbox::Outbox;
use crate::store::{Appended, LogKey, Store, StoreError};

/// Why an office action was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum OfficeError {
    /// The procedure does not allow it; nothing was written.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// The ledger store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The private store failed.
    #[error(transparent)]
    Private(#[from] PrivateError),
    /// The escalated matter does not allow it; nothing was written.
    #[error(transparent)]
    Matter(#[from] MatterError),
    /// Only an office with a parent escalates.
    #[error(
        "this office has no parent office to escalate to: the district is the top, and a street or community is admitted by a charter in its parent's ledger (start the node with --district)"
    )]
    NoParent,
    /// The office's own ledger does not follow the rules (it was written by
    /// other software, or the rules changed): the node will not guess.
    #[error("the ledger's entry {sequence} breaks the procedure: {error}")]
    Replay {
        /// The entry.
        sequence: u64,
        /// The rule it breaks.
        error: RuleError,
    },
}

/// What an action wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The record's entry.
    pub entry: Appended,
    /// The notices published with it.
    pub notices: Vec<Appended>,
    /// For a decision to forward: the escalation that carries the matter
    /// on to the parent office.
    pub forwarded: Option<Appended>,
}

/// A community office's procedure over its ledger.
pub struct Office {
    store: Store,
    private: PrivateStore,
    state: Mutex<Consultation>,
    members: Option<Members>,
    matters: Matters,
    outbox: Outbox,
    /// Signalled when another office's step may call for a write here.
    wanted: tokio::sync::Notify,
}

impl Office {
    /// Opens the office over its stores, reading the ledger back through the
    /// rules.
    pub fn open(store: Store, private: PrivateStore) -> Result<Office, OfficeError> {
        let log = store.own_log();
        let mut state = Consultation::new();
        for sequence in 0..store.state(&log)?.head.size {
            let bytes = store
                .entry(&log, sequence)?
                .ok_or_else(|| StoreError::Corrupt(format!("entry {sequence} is missing")))?;
            let verified = entry::verify(&bytes).map_err(StoreError::Rejected)?;
            if let Some(body) = &verified.entry.body {
                let at = Position {
                    sequence,
                    hash: verified.hash,
                    time_ms: verified.entry.time_ms,
                };
                state
                    .accept(body, at)
                    .map_err(|error| OfficeError::Replay { sequence, error })?;
            }
        }
        Ok(Office {
            matters: Matters::load(&store)?,
            outbox: Outbox::of(&store)?,
            store,
            private,
            state: Mutex::new(state),
            members: None,
            wanted: tokio::sync::Notify::new(),
        })
    }

    /// Keeps the federation up to date with the charters this office
    /// records, so that the node replicates the offices it admits.
    pub fn follow_charters(mut self, members: Members) -> Office {
        self.members = Some(members);
        self
    }

    /// The ledger store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The private store.
    pub fn private(&self) -> &PrivateStore {
        &self.private
    }

    /// The escalated matters seen in every ledger held.
    pub fn matters(&self) -> &Matters {
        &self.matters
    }

    /// The escalations waiting for their receipts.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// The office this one escalates to.
    pub fn parent(&self) -> Option<LogKey> {
        self.members.as_ref()?.parent(&self.store.own_log())
    }

    /// The name of an office of the federation, else its key in short.
    pub fn name_of(&self, log: &LogKey) -> String {
        self.members
            .as_ref()
            .and_then(|m| m.name(log))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("{}…", &hex::encode(log)[..8]))
    }

    /// Reads the current state.
    pub async fn read<R>(&self, f: impl FnOnce(&Consultation) -> R) -> R {
        f(&*self.state.lock().await)
    }

    /// Checks `body` against the procedure and, if it is allowed, appends it
    /// and the notices it publishes (with `notice_text` added to them).
    pub async fn record(&self, body: Body, notice_text: &str) -> Result<Recorded, OfficeError> {
        let mut state = self.state.lock().await;
        let now = crate::now_ms();
        state.check(&body, now)?;
        self.check_matter(&body)?;
        let entry = self.append(&mut state, body.clone()).await?;
        if let Some(members) = &self.members {
            members.observe(&self.store.own_log(), &body);
        }
        let forwarded = match &body {
            Body::Escalation(e) => {
                self.send(&entry, e)?;
                None
            }
            Body::Decision(d) if d.verdict == DecisionVerdict::Forward as i32 => {
                Some(self.forward(&mut state, d, &entry).await?)
            }
            _ => None,
        };

        let source = vec![EntryRef {
            log: self.store.own_log().to_vec(),
            sequence: entry.sequence,
            hash: entry.hash.0.to_vec(),
        }];
        let mut published = Vec::new();
        match &body {
            Body::GateDecision(g) if g.verdict == Verdict::DeclineRegulated as i32 => {
                published.push(notices::decline(
                    &state.topics[&g.topic_id],
                    g,
                    notice_text,
                    source,
                ));
            }
            Body::MeetingStep(s) if s.step == Step::PublishResult as i32 => {
                let meeting = &state.meetings[&s.meeting_id];
                for topic in &meeting.meeting.topic_ids {
                    published.extend(notices::result(
                        &state.topics[topic],
                        meeting,
                        notice_text,
                        source.clone(),
                    ));
                }
            }
            Body::Progress(p) => {
                published.push(notices::progress(
                    &state.topics[&p.topic_id],
                    p,
                    notice_text,
                    source,
                ));
            }
            _ => {}
        }
        let mut notices = Vec::with_capacity(published.len());
        for notice in published {
            let body = Body::Notice(notice);
            // Written from records the rules just accepted; a refusal here
            // is a bug, and the record itself is already in.
            state.check(&body, now)?;
            notices.push(self.append(&mut state, body).await?);
        }
        Ok(Recorded {
            entry,
            notices,
            forwarded,
        })
    }

    async fn append(&self, state: &mut Consultation, body: Body) -> Result<Appended, OfficeError> {
        let appended = self.store.append(body.clone()).await?;
        let at = Position {
            sequence: appended.sequence,
            hash: appended.hash,
            time_ms: appended.time_ms,
        };
        state.apply(&body, at);
        self.matters.observe(&self.store.own_log(), at, &body);
        Ok(appended)
    }

    /// Checks a step of an escalated matter against the matters as they
    /// stand, and an escalation's addressee against the federation.
    fn check_matter(&self, body: &Body) -> Result<(), OfficeError> {
        let own = self.store.own_log();
        if let Body::Escalation(e) = body {
            let parent = self.parent().ok_or(OfficeError::NoParent)?;
            if e.to.as_slice() != parent.as_slice() {
                return Err(MatterError::Invalid(
                    "an escalation goes to the office's parent".into(),
                )
                .into());
            }
        }
        // Where it would be does not matter to the rules, only what it says.
        let at = Position {
            sequence: u64::MAX,
            hash: Hash([0; 32]),
            time_ms: crate::now_ms(),
        };
        self.matters.with(|m| m.check(&own, at, body))?;
        Ok(())
    }

    /// Puts an escalation just recorded in the outbox.
    fn send(&self, entry: &Appended, escalation: &proto::Escalation) -> Result<(), OfficeError> {
        let to: LogKey = escalation
            .to
            .as_slice()
            .try_into()
            .map_err(|_| MatterError::Invalid("the escalation's addressee".into()))?;
        self.outbox.push(entry.hash, to, crate::now_ms())?;
        Ok(())
    }

    /// Writes the escalation that carries a matter the office decided to
    /// forward on to its parent, with the decision attached.
    async fn forward(
        &self,
        state: &mut Consultation,
        decision: &proto::Decision,
        decided: &Appended,
    ) -> Result<Appended, OfficeError> {
        let parent = self.parent().ok_or(OfficeError::NoParent)?;
        let id = decision
            .escalation
            .as_ref()
            .and_then(|r| Hash::from_slice(&r.hash).ok())
            .ok_or_else(|| MatterError::Invalid("the decision names no escalation".into()))?;
        let matter = self
            .matters
            .with(|m| m.get(&id).cloned())
            .ok_or_else(|| MatterError::Unknown(id.to_hex()))?;
        let body = Body::Escalation(proto::Escalation {
            id: matter.escalation.id.clone(),
            topic_id: matter.escalation.topic_id.clone(),
            result: matter.escalation.result.clone(),
            proposed_solution: matter.escalation.proposed_solution.clone(),
            to: parent.to_vec(),
            forwards: decision.escalation.clone(),
            decision: Some(self.own_ref(decided)),
            priority: matter.escalation.priority,
        });
        self.check_matter(&body)?;
        let appended = self.append(state, body.clone()).await?;
        if let Body::Escalation(e) = &body {
            self.send(&appended, e)?;
        }
        Ok(appended)
    }

    fn own_ref(&self, entry: &Appended) -> EntryRef {
        EntryRef {
            log: self.store.own_log().to_vec(),
            sequence: entry.sequence,
            hash: entry.hash.0.to_vec(),
        }
    }

    /// Signs the receipt for an escalation delivered by `from` (already
    /// verified: signature, addressee, inclusion) and returns the receipt
    /// entry's bytes. A repeated delivery gets the receipt already given.
    pub async fn receive(
        &self,
        from: &LogKey,
        delivered: &VerifiedEntry,
    ) -> Result<Vec<u8>, OfficeError> {
        let own = self.store.own_log();
        let Some(body) = &delivered.entry.body else {
            return Err(MatterError::Invalid("the delivered entry has no body".into()).into());
        };
        let mut state = self.state.lock().await;
        self.matters.observe(
            from,
            Position {
                sequence: delivered.sequence(),
                hash: delivered.hash,
                time_ms: delivered.entry.time_ms,
            },
            body,
        );
        let given = self.matters.with(|m| {
            m.get(&delivered.hash).and_then(|matter| {
                matter
                    .steps
                    .iter()
                    .find(|s| s.action == "receipt" && s.log == own)
                    .map(|s| s.at.sequence)
            })
        });
        if let Some(sequence) = given {
            return self.store.entry(&own, sequence)?.ok_or_else(|| {
                StoreError::Corrupt(format!("the receipt at {sequence} is missing")).into()
            });
        }
        let receipt = Body::Receipt(proto::Receipt {
            escalation: Some(EntryRef {
                log: from.to_vec(),
                sequence: delivered.sequence(),
                hash: delivered.hash.0.to_vec(),
            }),
        });
        self.check_matter(&receipt)?;
        let appended = self.append(&mut state, receipt).await?;
        self.store.entry(&own, appended.sequence)?.ok_or_else(|| {
            StoreError::Corrupt(format!("the receipt at {} is missing", appended.sequence)).into()
        })
    }

    /// Takes in an entry of another office's ledger, replicated and
    /// verified: the federation follows its charters, the escalated matters
    /// its steps (and the reconciler runs, for what they may call for here).
    /// Returns whether the federation changed.
    pub fn observe_replica(&self, log: &LogKey, at: Position, body: &Body) -> bool {
        let changed = self.members.as_ref().is_some_and(|m| m.observe(log, body));
        if matches!(
            body,
            Body::Escalation(_)
                | Body::Receipt(_)
                | Body::Decision(_)
                | Body::Dispatch(_)
                | Body::Resolution(_)
                | Body::Department(_)
                | Body::Meeting(_)
                | Body::Topic(_)
        ) {
            self.matters.observe(log, at, body);
            self.wake();
        }
        changed
    }

    /// Asks the reconciling task (see [`Office::keep_reconciled`]) to run.
    pub fn wake(&self) {
        self.wanted.notify_one();
    }

    /// Reconciles now, whenever woken and every 30 s, until `stop` is
    /// cancelled. Failures are logged and retried at the next round.
    pub async fn keep_reconciled(
        self: std::sync::Arc<Self>,
        stop: tokio_util::sync::CancellationToken,
    ) {
        while !stop.is_cancelled() {
            match self.reconcile().await {
                Ok(written) => {
                    for entry in written {
                        tracing::info!(
                            sequence = entry.sequence,
                            "recorded what another office's step called for"
                        );
                    }
                }
                Err(e) => tracing::error!(error = %e, "reconciling the escalated matters"),
            }
            // A wake during the run is kept by the Notify's permit.
            tokio::select! {
                _ = self.wanted.notified() => {}
                _ = tokio::time::sleep(std::time::Duration::from_secs(30)) => {}
                _ = stop.cancelled() => {}
            }
        }
    }

    /// Brings what follows from the ledgers up to date, so that neither a
    /// crash between two writes nor the order replication brings entries in
    /// loses a step: own escalations without a receipt are in the outbox; a
    /// matter decided to be forwarded has its forwarding escalation; an
    /// escalated topic whose matter came back resolved or returned has its
    /// notice; a cross-community meeting naming this community is noticed.
    /// Returns what it wrote.
    pub async fn reconcile(&self) -> Result<Vec<Appended>, OfficeError> {
        let own = self.store.own_log();
        let mut state = self.state.lock().await;
        let mut written = Vec::new();
        let matters = self.matters.with(|m| m.all().cloned().collect::<Vec<_>>());
        for matter in &matters {
            // Sent, and neither waiting nor answered: the outbox write was
            // lost to a crash.
            if matter.from == own
                && matter.status == Status::Sent
                && !self.outbox.is_waiting(&matter.id)?
                && self.outbox.receipt(&matter.id)?.is_none()
            {
                self.outbox.push(matter.id, matter.to, crate::now_ms())?;
            }
            let forwarded = matters.iter().any(|m| m.forwards == Some(matter.id));
            if matter.to == own && matter.status == Status::Forwarded && !forwarded {
                let decision = matter.steps.iter().rev().find(|s| s.action == "forward");
                if let (Some(step), Some(_)) = (decision, self.parent()) {
                    let decided = Appended {
                        sequence: step.at.sequence,
                        hash: step.at.hash,
                        time_ms: step.at.time_ms,
                    };
                    let d = proto::Decision {
                        escalation: Some(EntryRef {
                            log: matter.from.to_vec(),
                            sequence: matter.steps[0].at.sequence,
                            hash: matter.id.0.to_vec(),
                        }),
                        verdict: DecisionVerdict::Forward as i32,
                        ..Default::default()
                    };
                    written.push(self.forward(&mut state, &d, &decided).await?);
                }
            }
        }
        for notice in self.notices_due(&state) {
            let body = Body::Notice(notice);
            match state.check(&body, crate::now_ms()) {
                Ok(()) => written.push(self.append(&mut state, body).await?),
                Err(e) => tracing::warn!(error = %e, "a notice from another office's step"),
            }
        }
        Ok(written)
    }

    /// The notices the matters' steps in other ledgers call for here.
    fn notices_due(&self, state: &Consultation) -> Vec<proto::Notice> {
        let own = self.store.own_log();
        let mut due = Vec::new();
        for topic in state.topics.values() {
            let Some(escalation) = topic.escalation else {
                continue;
            };
            // Once noticed, the topic has moved on (done, or back to be
            // consulted on again).
            if topic.status
                != yiyi_protocol::rules::TopicStatus::Classified(
                    yiyi_protocol::rules::OutcomeClass::Suggestion,
                )
            {
                continue;
            }
            let path = self
                .matters
                .with(|m| m.path(&escalation).into_iter().cloned().collect::<Vec<_>>());
            if let Some((matter, reason)) = path.iter().find_map(|m| match &m.status {
                Status::Returned(reason) => Some((m, reason)),
                _ => None,
            }) {
                let sources = matter
                    .steps
                    .iter()
                    .filter(|s| s.action == "return")
                    .map(|s| entry_ref(&s.log, &s.at))
                    .collect();
                due.push(notices::returned(
                    topic,
                    reason,
                    &self.name_of(&matter.to),
                    sources,
                ));
            } else if let Some(last) = path.last()
                && matches!(last.status, Status::Resolved(_))
            {
                let departments = self.matters.with(|m| {
                    m.departments(&last.to)
                        .map(|d| (d.id.clone(), d.name.clone()))
                        .collect::<std::collections::BTreeMap<_, _>>()
                });
                let by = |id: &str| {
                    departments
                        .get(id)
                        .cloned()
                        .unwrap_or_else(|| self.name_of(&last.to))
                };
                let handled_by = last
                    .resolutions
                    .iter()
                    .map(|(d, _)| by(d))
                    .collect::<Vec<_>>()
                    .join("、");
                let result = if last.resolutions.len() == 1 {
                    last.resolutions[0].1.clone()
                } else {
                    last.resolutions
                        .iter()
                        .map(|(d, r)| format!("{}：{r}", by(d)))
                        .collect::<Vec<_>>()
                        .join("；")
                };
                let sources = last
                    .steps
                    .iter()
                    .filter(|s| s.action == "resolution")
                    .map(|s| entry_ref(&s.log, &s.at))
                    .collect();
                due.push(notices::resolution(topic, &result, &handled_by, sources));
            }
        }
        // Cross-community meetings of the parent street naming this office.
        let noticed: std::collections::BTreeSet<Vec<u8>> = state
            .notices
            .values()
            .filter(|(_, n)| n.kind == proto::notice::Kind::JointConsultation as i32)
            .flat_map(|(_, n)| n.sources.iter().map(|s| s.hash.clone()))
            .collect();
        if let Some(street) = self.parent() {
            for (at, meeting) in self.matters.joint_meetings(&street) {
                if meeting.communities.iter().any(|c| c.as_slice() == own)
                    && !noticed.contains(at.hash.as_bytes().as_slice())
                {
                    let topics: Vec<String> = meeting
                        .topic_ids
                        .iter()
                        .map(|id| self.matters.topic_title(&street, id).unwrap_or(id.clone()))
                        .collect();
                    due.push(notices::joint_consultation(
                        &meeting,
                        &self.name_of(&street),
                        &topics,
                        vec![entry_ref(&street, &at)],
                    ));
                }
            }
        }
        due
    }

    /// Keeps private data and returns the commitment for the public record.
    pub fn keep_private(
        &self,
        kind: &str,
        subject: &str,
        data: serde_json::Value,
    ) -> Result<Vec<u8>, OfficeError> {
        Ok(self.private.keep(kind, subject, data)?.to_vec())
    }
}

fn entry_ref(log: &LogKey, at: &Position) -> EntryRef {
    EntryRef {
        log: log.to_vec(),
        sequence: at.sequence,
        hash: at.hash.0.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yiyi_protocol::{ChainHead, SecretKey};

    fn open(dir: &std::path::Path, key: &SecretKey) -> Office {
        let store = Store::open(&dir.join("ledger"), key.clone()).unwrap();
        let private = PrivateStore::open(&dir.join("private")).unwrap();
        Office::open(store, private).unwrap()
    }

    #[tokio::test]
    async fn a_repeated_delivery_gets_the_same_receipt_even_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let street = SecretKey::generate("yiyi/lixia/quancheng").unwrap();
        let community = SecretKey::generate("yiyi/lixia/quancheng/shunyu").unwrap();
        let from = *community.public_bytes();
        // The community's escalation, as delivered (its log is not
        // replicated here: only the delivered entry is known).
        let signed = entry::sign(
            &ChainHead::default().next_entry(
                community.public_bytes(),
                1,
                Body::Escalation(proto::Escalation {
                    id: "shunyu/T-1".into(),
                    topic_id: "T-1".into(),
                    result: "增设公交站点".into(),
                    to: street.public_bytes().to_vec(),
                    ..Default::default()
                }),
            ),
            &community,
        )
        .unwrap();
        let delivered = entry::verify(&signed.bytes).unwrap();

        let office = open(dir.path(), &street);
        let first = office.receive(&from, &delivered).await.unwrap();
        let again = office.receive(&from, &delivered).await.unwrap();
        assert_eq!(first, again);
        drop(office);

        // After a restart the receipt in the own ledger waits for its
        // escalation, which the next delivery brings.
        let office = open(dir.path(), &street);
        let after_restart = office.receive(&from, &delivered).await.unwrap();
        assert_eq!(first, after_restart);
        let own = office.store().own_log();
        assert_eq!(office.store().state(&own).unwrap().head.size, 1);
        let receipt = entry::verify(&first).unwrap();
        assert!(matches!(receipt.entry.body, Some(Body::Receipt(_))));
    }
}

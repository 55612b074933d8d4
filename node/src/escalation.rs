//! The escalation desk (上报与转办): what the office's escalated matters call
//! for. The desk decides and returns the records to write; the office alone
//! appends them (under its lock, through the rules), so there is one write
//! path.
//!
//! It holds the matters seen in every ledger held ([`Matters`]) and the
//! outbox of escalations waiting for their receipts ([`Outbox`]), and says:
//! whether a step of a matter may be recorded here; what a decision to
//! forward calls for (the escalation that carries the matter on); which
//! receipt a delivered escalation gets; and, at every reconciliation, what
//! other offices' steps call for here: a forwarding escalation a crash left
//! unwritten, a resolution or return notice, a cross-community meeting's
//! notice.

use yiyi_protocol::escalation::{Matter, MatterError, Status, StepKind};
use yiyi_protocol::merkle::Hash;
use yiyi_protocol::proto::{self, EntryRef, decision::Verdict, entry::Body};
use yiyi_protocol::rules::{Consultation, OutcomeClass, Position, TopicStatus, notices};

use crate::matters::Matters;
use crate::store::outbox::Outbox;
use crate::store::{Appended, LogKey, Store, StoreError};

/// Why the desk refused a step of a matter, or could not do its part;
/// nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The escalated matter does not allow it.
    #[error(transparent)]
    Matter(#[from] MatterError),
    /// Only an office with a parent escalates.
    #[error(
        "this office has no parent office to escalate to: the root (a district, or a city above the districts) is the top, and every other office is admitted by a charter in its parent's ledger (start the node with --district, the root's key)"
    )]
    NoParent,
    /// The ledger store or the outbox failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the desk knows of the office it serves: its own log, its parent
/// (`None` at the top), and the names of the offices of the federation.
pub struct Seat<'a> {
    /// The own log.
    pub own: LogKey,
    /// The office this one escalates to.
    pub parent: Option<LogKey>,
    /// An office's name, else its key in short.
    pub name_of: &'a (dyn Fn(&LogKey) -> String + Sync),
}

/// The receipt a delivered escalation gets.
pub enum Receipt {
    /// Given already: the receipt entry at this sequence of the own ledger.
    Given(u64),
    /// Not yet: this receipt is to be written.
    Write(proto::Receipt),
}

/// The escalation desk.
pub struct Desk {
    matters: Matters,
    outbox: Outbox,
}

impl Desk {
    /// The desk over the matters and the outbox in `store`.
    pub fn open(store: &Store) -> Result<Desk, StoreError> {
        Ok(Desk {
            matters: Matters::load(store)?,
            outbox: Outbox::of(store)?,
        })
    }

    /// The escalated matters seen in every ledger held.
    pub fn matters(&self) -> &Matters {
        &self.matters
    }

    /// The escalations waiting for their receipts.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Checks a step of an escalated matter against the matters as they
    /// stand, and an escalation's addressee against the federation.
    pub fn check(&self, seat: &Seat, body: &Body) -> Result<(), DeskError> {
        if let Body::Escalation(e) = body {
            let parent = seat.parent.ok_or(DeskError::NoParent)?;
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
        self.matters.with(|m| m.check(&seat.own, at, body))?;
        Ok(())
    }

    /// An escalation just written: it goes in the outbox.
    pub fn sent(&self, entry: &Appended, escalation: &proto::Escalation) -> Result<(), DeskError> {
        let to: LogKey = escalation
            .to
            .as_slice()
            .try_into()
            .map_err(|_| MatterError::Invalid("the escalation's addressee".into()))?;
        self.outbox.push(entry.hash, to, crate::now_ms())?;
        Ok(())
    }

    /// The escalation that carries on to the parent a matter this office
    /// decided (`decided`, the decision's entry) to forward.
    pub fn forwarding(
        &self,
        seat: &Seat,
        decision: &proto::Decision,
        decided: &Appended,
    ) -> Result<Body, DeskError> {
        let parent = seat.parent.ok_or(DeskError::NoParent)?;
        let id = decision
            .escalation
            .as_ref()
            .and_then(|r| Hash::from_slice(&r.hash).ok())
            .ok_or_else(|| MatterError::Invalid("the decision names no escalation".into()))?;
        let matter = self
            .matters
            .with(|m| m.get(&id).cloned())
            .ok_or_else(|| MatterError::Unknown(id.to_hex()))?;
        Ok(Body::Escalation(proto::Escalation {
            id: matter.escalation.id.clone(),
            topic_id: matter.escalation.topic_id.clone(),
            result: matter.escalation.result.clone(),
            proposed_solution: matter.escalation.proposed_solution.clone(),
            to: parent.to_vec(),
            forwards: decision.escalation.clone(),
            decision: Some(decided.entry_ref(&seat.own)),
            priority: matter.escalation.priority,
        }))
    }

    /// The receipt for an escalation delivered by `from` (already verified:
    /// signature, addressee, inclusion): the one given already, if a
    /// delivery came before, else the one to write.
    pub fn receipt(
        &self,
        seat: &Seat,
        from: &LogKey,
        delivered: &yiyi_protocol::entry::VerifiedEntry,
    ) -> Result<Receipt, DeskError> {
        let Some(body) = &delivered.entry.body else {
            return Err(MatterError::Invalid("the delivered entry has no body".into()).into());
        };
        let at = Position {
            sequence: delivered.sequence(),
            hash: delivered.hash,
            time_ms: delivered.entry.time_ms,
        };
        self.matters.observe(from, at, body);
        let given = self.matters.with(|m| {
            m.get(&delivered.hash).and_then(|matter| {
                matter
                    .steps
                    .iter()
                    .find(|s| s.kind == StepKind::Receipt && s.log == seat.own)
                    .map(|s| s.at.sequence)
            })
        });
        if let Some(sequence) = given {
            return Ok(Receipt::Given(sequence));
        }
        let receipt = proto::Receipt {
            escalation: Some(at.entry_ref(from)),
        };
        self.check(seat, &Body::Receipt(receipt.clone()))?;
        Ok(Receipt::Write(receipt))
    }

    /// What follows from the ledgers and is not written yet, so that
    /// neither a crash between two writes nor the order replication brings
    /// entries in loses a step. Puts back in the outbox an own escalation
    /// that is neither waiting nor answered (its outbox write was lost), and
    /// returns, to write: for a matter decided to be forwarded, its
    /// forwarding escalation (with the decision's entry); for an escalated
    /// topic whose matter came back resolved or returned, its notice; for a
    /// cross-community meeting naming this community, its notice.
    pub fn due(&self, seat: &Seat, state: &Consultation) -> Result<Vec<Body>, DeskError> {
        let own = seat.own;
        let mut due = Vec::new();
        let matters = self.matters.with(|m| m.all().cloned().collect::<Vec<_>>());
        for matter in &matters {
            if matter.from == own
                && matter.status == Status::Sent
                && !self.outbox.is_waiting(&matter.id)?
                && self.outbox.receipt(&matter.id)?.is_none()
            {
                self.outbox.push(matter.id, matter.to, crate::now_ms())?;
            }
            let forwarded = matters.iter().any(|m| m.forwards == Some(matter.id));
            if matter.to == own && matter.status == Status::Forwarded && !forwarded {
                let decision = matter
                    .steps
                    .iter()
                    .rev()
                    .find(|s| s.kind == StepKind::Forward);
                if let (Some(step), Some(_)) = (decision, seat.parent) {
                    let decided = step.at;
                    let d = proto::Decision {
                        escalation: Some(matter.steps[0].at.entry_ref(&matter.from)),
                        verdict: Verdict::Forward as i32,
                        ..Default::default()
                    };
                    due.push(self.forwarding(seat, &d, &decided)?);
                }
            }
        }
        due.extend(self.notices_due(seat, state).into_iter().map(Body::Notice));
        Ok(due)
    }

    /// The notices the matters' steps in other ledgers call for here.
    fn notices_due(&self, seat: &Seat, state: &Consultation) -> Vec<proto::Notice> {
        let mut due = Vec::new();
        for topic in state.topics.values() {
            let Some(escalation) = topic.escalation else {
                continue;
            };
            // Once noticed, the topic has moved on (done, or back to be
            // consulted on again).
            if topic.status != TopicStatus::Classified(OutcomeClass::Suggestion) {
                continue;
            }
            let path = self
                .matters
                .with(|m| m.path(&escalation).into_iter().cloned().collect::<Vec<_>>());
            if let Some((matter, reason)) = path.iter().find_map(|m| match &m.status {
                Status::Returned(reason) => Some((m, reason)),
                _ => None,
            }) {
                due.push(notices::returned(
                    topic,
                    reason,
                    &(seat.name_of)(&matter.to),
                    sources(matter, StepKind::Return),
                ));
            } else if let Some(last) = path.last()
                && matches!(last.status, Status::Resolved(_))
            {
                let departments = self.matters.with(|m| {
                    m.departments(&last.to)
                        .map(|d| (d.id.clone(), d.name.clone()))
                        .collect::<std::collections::BTreeMap<_, _>>()
                });
                let resolutions: Vec<(String, String)> = last
                    .resolutions
                    .iter()
                    .map(|(department, result)| {
                        let by = departments
                            .get(department)
                            .cloned()
                            .unwrap_or_else(|| (seat.name_of)(&last.to));
                        (by, result.clone())
                    })
                    .collect();
                due.push(notices::resolution(
                    topic,
                    &resolutions,
                    sources(last, StepKind::Resolution),
                ));
            }
        }
        // Cross-community meetings of the parent street naming this office.
        let noticed: std::collections::BTreeSet<Vec<u8>> = state
            .notices
            .values()
            .filter(|(_, n)| n.kind == proto::notice::Kind::JointConsultation as i32)
            .flat_map(|(_, n)| n.sources.iter().map(|s| s.hash.clone()))
            .collect();
        if let Some(street) = seat.parent {
            for (at, meeting) in self.matters.joint_meetings(&street) {
                if meeting.communities.iter().any(|c| c.as_slice() == seat.own)
                    && !noticed.contains(at.hash.as_bytes().as_slice())
                {
                    let topics: Vec<String> = meeting
                        .topic_ids
                        .iter()
                        .map(|id| self.matters.topic_title(&street, id).unwrap_or(id.clone()))
                        .collect();
                    due.push(notices::joint_consultation(
                        &meeting,
                        &(seat.name_of)(&street),
                        &topics,
                        vec![at.entry_ref(&street)],
                    ));
                }
            }
        }
        due
    }
}

/// The entries of `matter`'s steps of one kind, as a notice's sources.
fn sources(matter: &Matter, kind: StepKind) -> Vec<EntryRef> {
    matter
        .steps
        .iter()
        .filter(|s| s.kind == kind)
        .map(|s| s.at.entry_ref(&s.log))
        .collect()
}

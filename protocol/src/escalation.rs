//! Escalated matters (上报事项) across levels: a suggestion leaves its
//! community as an escalation addressed to the street; the street signs a
//! receipt, then accepts, returns or forwards it; a forwarded matter reaches
//! the district, which dispatches it to one department or a coordination
//! group; resolutions close it.
//!
//! [`Matters`] is fed the signed entries of every log that takes part, in
//! each log's order, and keeps each matter's path: every signed step, by
//! whom, when. It refuses a step that does not follow (a receipt by an office
//! the matter was not addressed to, a decision before the receipt or twice, a
//! dispatch by anyone but the district that received the forwarded matter, a
//! department not in the district's directory, a resolution of a matter
//! nobody took on), so that the same rules judge an office's own action
//! before it is signed and a replicated entry after.

mod direct;
mod due;

use std::collections::BTreeMap;

use crate::checkpoint::Checkpoint;
use crate::entry::{self, VerifiedEntry};
use crate::keys::VerifierKey;
use crate::merkle::{self, Hash};
use crate::proto::{self, EntryRef, decision::Verdict, entry::Body, escalation::Priority};
use crate::rules::{Date, Position};

pub use crate::keys::LogKey;

/// Why a step of a matter is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatterError {
    /// The entry names a matter not known here.
    #[error("no escalated matter {0}")]
    Unknown(String),
    /// The office is not the one the matter is with.
    #[error("matter {0} is not addressed to this office")]
    NotAddressee(String),
    /// The step is out of order.
    #[error("matter {matter} is {status}: it cannot be {action}")]
    OutOfOrder {
        /// The matter.
        matter: String,
        /// Where it stands.
        status: &'static str,
        /// What was tried.
        action: &'static str,
    },
    /// A field is missing or malformed.
    #[error("{0}")]
    Invalid(String),
    /// The department is not in the district's directory.
    #[error("no department {0:?} in the district's directory")]
    NoDepartment(String),
}

/// Where a matter stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Sent up, no receipt yet.
    Sent,
    /// The addressee signed a receipt.
    Received,
    /// The street handles it.
    Accepted,
    /// Sent back, with a reason.
    Returned(String),
    /// Forwarded up: a new escalation carries it on.
    Forwarded,
    /// Dispatched to departments (a coordination group when several).
    Dispatched {
        /// The departments, and whether each has resolved it.
        departments: BTreeMap<String, bool>,
    },
    /// Resolved, with the result.
    Resolved(String),
}

impl Status {
    /// A short name for messages and the API.
    pub fn name(&self) -> &'static str {
        match self {
            Status::Sent => "sent",
            Status::Received => "received",
            Status::Accepted => "accepted",
            Status::Returned(_) => "returned",
            Status::Forwarded => "forwarded",
            Status::Dispatched { .. } => "dispatched",
            Status::Resolved(_) => "resolved",
        }
    }
}

/// What a signed step of a matter was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// The escalation itself (上报).
    Escalation,
    /// The addressee's receipt (签收).
    Receipt,
    /// The addressee takes the matter on (受理).
    Accept,
    /// It sends the matter back (退回).
    Return,
    /// It forwards the matter to its own parent (转报).
    Forward,
    /// The district dispatches it to departments (派单).
    Dispatch,
    /// A department, or the office itself, reports the result (办结).
    Resolution,
    /// The district's desk takes a matter in directly (12345 直接受理).
    Intake,
    /// The coordination group meets on it (协调小组联席研究).
    Coordination,
    /// A department's result returned, the matter dispatched again (退单/改派).
    Redispatch,
}

impl StepKind {
    /// Its name in the API and on the board.
    pub fn name(self) -> &'static str {
        match self {
            StepKind::Escalation => "escalation",
            StepKind::Receipt => "receipt",
            StepKind::Accept => "accept",
            StepKind::Return => "return",
            StepKind::Forward => "forward",
            StepKind::Dispatch => "dispatch",
            StepKind::Resolution => "resolution",
            StepKind::Intake => "intake",
            StepKind::Coordination => "coordination",
            StepKind::Redispatch => "redispatch",
        }
    }
}

/// One signed step of a matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The log that signed it.
    pub log: LogKey,
    /// Where in that log.
    pub at: Position,
    /// What it was.
    pub kind: StepKind,
}

/// An escalation on its way: one hop, from one office to its parent.
#[derive(Debug, Clone, PartialEq)]
pub struct Matter {
    /// The escalation entry's hash: the matter's id at this hop.
    pub id: Hash,
    /// The office that sent it.
    pub from: LogKey,
    /// The office it is addressed to.
    pub to: LogKey,
    /// The escalation as signed.
    pub escalation: proto::Escalation,
    /// The hop before, when this one forwards a matter.
    pub forwards: Option<Hash>,
    /// Where it stands.
    pub status: Status,
    /// The deadline the addressee set, if any.
    pub deadline: Option<Date>,
    /// Every signed step.
    pub steps: Vec<Step>,
    /// The results reported so far, with the department that reported each
    /// (empty when the street resolved it itself).
    pub resolutions: Vec<(String, String)>,
    /// The priority the district gave it when dispatching, else the one it
    /// was sent with.
    pub priority: i32,
    /// Taken in at the district's desk, not sent up (see `direct`).
    pub direct: bool,
    /// The departments of the current dispatch, and whether each has
    /// reported; kept once it is resolved, so that a result can be returned.
    pub round: BTreeMap<String, bool>,
    /// The coordination group's meetings on it.
    pub meetings: Vec<proto::CoordinationMeeting>,
    /// The results returned (退单): the department, and why.
    pub returned: Vec<(String, String)>,
}

/// The matters seen in the logs fed so far, by the hash of their escalation.
#[derive(Debug, Clone, Default)]
pub struct Matters {
    matters: BTreeMap<Hash, Matter>,
    /// The district's department directory, by log and id.
    departments: BTreeMap<(LogKey, String), proto::Department>,
    /// The level each office was admitted at (see [`due`]).
    levels: BTreeMap<LogKey, proto::Level>,
    /// Each office's latest time limits (办理时限).
    deadlines: BTreeMap<LogKey, proto::Deadlines>,
}

fn referenced(r: &Option<EntryRef>) -> Result<Hash, MatterError> {
    r.as_ref()
        .and_then(|r| Hash::from_slice(&r.hash).ok())
        .ok_or_else(|| MatterError::Invalid("the entry does not say which escalation".into()))
}

impl Matters {
    /// No matters yet.
    pub fn new() -> Matters {
        Matters::default()
    }

    /// The matter whose escalation has this hash.
    pub fn get(&self, id: &Hash) -> Option<&Matter> {
        self.matters.get(id)
    }

    /// Every matter.
    pub fn all(&self) -> impl Iterator<Item = &Matter> {
        self.matters.values()
    }

    /// The whole path of a matter: the hops before it and after it, in order.
    pub fn path(&self, id: &Hash) -> Vec<&Matter> {
        let mut first = id;
        while let Some(prev) = self.matters.get(first).and_then(|m| m.forwards.as_ref()) {
            first = prev;
        }
        let mut path = Vec::new();
        let mut at = self.matters.get(first);
        while let Some(matter) = at {
            path.push(matter);
            at = self
                .matters
                .values()
                .find(|m| m.forwards == Some(matter.id));
        }
        path
    }

    /// The matter `query` names: the hex of its hash (or a prefix of at
    /// least 8 digits), or its escalation id. Among hops sharing an id (a
    /// forwarded matter keeps it), the one addressed to `to` is meant.
    pub fn find(&self, query: &str, to: Option<&LogKey>) -> Result<&Matter, MatterError> {
        let query = query.trim();
        let lower = query.to_ascii_lowercase();
        let by_hash: Vec<&Matter> =
            if lower.len() >= 8 && lower.bytes().all(|b| b.is_ascii_hexdigit()) {
                self.matters
                    .values()
                    .filter(|m| m.id.to_hex().starts_with(&lower))
                    .collect()
            } else {
                Vec::new()
            };
        let found: Vec<&Matter> = if by_hash.is_empty() {
            let named: Vec<&Matter> = self
                .matters
                .values()
                .filter(|m| m.escalation.id == query)
                .collect();
            match to {
                Some(to) if named.len() > 1 => named.into_iter().filter(|m| m.to == *to).collect(),
                // The hops of one forwarded matter: its first.
                None if named.len() > 1 => {
                    let first: Vec<&Matter> = named
                        .iter()
                        .copied()
                        .filter(|m| m.forwards.is_none())
                        .collect();
                    if first.len() == 1 { first } else { named }
                }
                _ => named,
            }
        } else {
            by_hash
        };
        match found.as_slice() {
            [one] => Ok(one),
            [] => Err(MatterError::Unknown(query.into())),
            _ => Err(MatterError::Invalid(format!(
                "{query:?} names {} matters: give more of the hash",
                found.len()
            ))),
        }
    }

    /// The open matters addressed to `office`, in the order they are to be
    /// handled: by priority (urgent, important, normal), then oldest first.
    pub fn queue(&self, office: &LogKey) -> Vec<&Matter> {
        let mut queue: Vec<&Matter> = self
            .matters
            .values()
            .filter(|m| {
                m.to == *office
                    && !matches!(
                        m.status,
                        Status::Resolved(_) | Status::Returned(_) | Status::Forwarded
                    )
            })
            .collect();
        queue.sort_by_key(|m| (priority_rank(m.priority), m.steps[0].at.time_ms));
        queue
    }

    /// The departments `district` lists.
    pub fn departments(&self, district: &LogKey) -> impl Iterator<Item = &proto::Department> {
        self.departments
            .iter()
            .filter(move |((log, _), d)| log == district && !d.withdrawn)
            .map(|(_, d)| d)
    }

    /// Checks whether `body`, as the next entry of `log`, is a valid step,
    /// without changing anything.
    pub fn check(&self, log: &LogKey, at: Position, body: &Body) -> Result<(), MatterError> {
        self.clone().apply(log, at, body)
    }

    /// Takes `body`, the entry of `log` at `at`, into account. Entries that
    /// are not about matters change nothing.
    pub fn apply(&mut self, log: &LogKey, at: Position, body: &Body) -> Result<(), MatterError> {
        self.learn_limits(log, body);
        match body {
            Body::Department(d) => {
                if d.id.trim().is_empty() || d.name.trim().is_empty() {
                    return Err(MatterError::Invalid(
                        "a department needs an id and a name".into(),
                    ));
                }
                self.departments.insert((*log, d.id.clone()), d.clone());
                Ok(())
            }
            Body::Escalation(e) => self.escalate(log, at, e),
            Body::DirectMatter(d) => self.intake(log, at, d),
            Body::CoordinationMeeting(c) => self.coordinate(log, at, c),
            Body::Redispatch(r) => self.redispatch(log, at, r),
            Body::Receipt(r) => {
                let id = referenced(&r.escalation)?;
                let matter = self.addressed(&id, log)?;
                if matter.status != Status::Sent {
                    return Err(out_of_order(matter, "received"));
                }
                matter.status = Status::Received;
                matter.steps.push(step(log, at, StepKind::Receipt));
                Ok(())
            }
            Body::Decision(d) => {
                let id = referenced(&d.escalation)?;
                let deadline = if d.deadline.is_empty() {
                    None
                } else {
                    Some(
                        Date::parse(&d.deadline)
                            .map_err(|e| MatterError::Invalid(e.to_string()))?,
                    )
                };
                let matter = self.addressed(&id, log)?;
                if matter.direct {
                    return Err(MatterError::Invalid(
                        "a matter the desk took in is dispatched, not decided on".into(),
                    ));
                }
                if matter.status != Status::Received {
                    return Err(out_of_order(matter, "decided on"));
                }
                let (status, action) = match Verdict::try_from(d.verdict) {
                    Ok(Verdict::Accept) => (Status::Accepted, StepKind::Accept),
                    Ok(Verdict::Return) if d.reason.trim().is_empty() => {
                        return Err(MatterError::Invalid(
                            "a returned matter needs a reason".into(),
                        ));
                    }
                    Ok(Verdict::Return) => (Status::Returned(d.reason.clone()), StepKind::Return),
                    Ok(Verdict::Forward) => (Status::Forwarded, StepKind::Forward),
                    _ => return Err(MatterError::Invalid("the decision's verdict".into())),
                };
                matter.status = status;
                matter.deadline = deadline.or(matter.deadline);
                matter.steps.push(step(log, at, action));
                Ok(())
            }
            Body::Dispatch(d) => {
                let id = referenced(&d.escalation)?;
                let known: Vec<String> = d.department_ids.clone();
                if known.is_empty() {
                    return Err(MatterError::Invalid(
                        "a dispatch names at least one department".into(),
                    ));
                }
                for department in &known {
                    let listed = self.departments.get(&(*log, department.clone()));
                    if listed.is_none_or(|d| d.withdrawn) {
                        return Err(MatterError::NoDepartment(department.clone()));
                    }
                }
                let matter = self.addressed(&id, log)?;
                if matter.forwards.is_none() && !matter.direct {
                    return Err(MatterError::Invalid(
                        "only a forwarded matter, or one the desk took in, is dispatched to departments".into(),
                    ));
                }
                if matter.status != Status::Received {
                    return Err(out_of_order(matter, "dispatched"));
                }
                matter.round = known.into_iter().map(|d| (d, false)).collect();
                matter.status = Status::Dispatched {
                    departments: matter.round.clone(),
                };
                if d.priority != Priority::Unspecified as i32 {
                    matter.priority = d.priority;
                }
                matter.steps.push(step(log, at, StepKind::Dispatch));
                Ok(())
            }
            Body::Resolution(r) => {
                let id = referenced(&r.escalation)?;
                if r.result.trim().is_empty() {
                    return Err(MatterError::Invalid("a resolution needs its result".into()));
                }
                let matter = self.addressed(&id, log)?;
                let next = match &matter.status {
                    Status::Accepted => Status::Resolved(r.result.clone()),
                    Status::Dispatched { departments } => {
                        let mut departments = departments.clone();
                        match departments.get_mut(&r.department_id) {
                            Some(done @ false) => *done = true,
                            Some(true) => return Err(out_of_order(matter, "resolved again")),
                            None => return Err(MatterError::NoDepartment(r.department_id.clone())),
                        }
                        matter.round = departments.clone();
                        if departments.values().all(|d| *d) {
                            Status::Resolved(r.result.clone())
                        } else {
                            Status::Dispatched { departments }
                        }
                    }
                    _ => return Err(out_of_order(matter, "resolved")),
                };
                matter.status = next;
                matter
                    .resolutions
                    .push((r.department_id.clone(), r.result.clone()));
                matter.steps.push(step(log, at, StepKind::Resolution));
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn escalate(
        &mut self,
        log: &LogKey,
        at: Position,
        e: &proto::Escalation,
    ) -> Result<(), MatterError> {
        let to: LogKey =
            e.to.as_slice()
                .try_into()
                .map_err(|_| MatterError::Invalid("the escalation's addressee".into()))?;
        if e.id.trim().is_empty() || e.result.trim().is_empty() {
            return Err(MatterError::Invalid(
                "an escalation needs an id and the consultation's result".into(),
            ));
        }
        // The same entry seen again (delivered, then replicated).
        if self.matters.contains_key(&at.hash) {
            return Ok(());
        }
        let forwards = match &e.forwards {
            None => None,
            Some(_) => {
                let previous = referenced(&e.forwards)?;
                let matter = self
                    .matters
                    .get(&previous)
                    .ok_or_else(|| MatterError::Unknown(previous.to_hex()))?;
                if matter.to != *log || matter.status != Status::Forwarded {
                    return Err(MatterError::Invalid(
                        "only the office that decided to forward a matter forwards it".into(),
                    ));
                }
                if self.matters.values().any(|m| m.forwards == Some(previous)) {
                    return Err(out_of_order(matter, "forwarded twice"));
                }
                Some(previous)
            }
        };
        let steps = vec![step(log, at, StepKind::Escalation)];
        self.matters.insert(
            at.hash,
            Matter {
                id: at.hash,
                from: *log,
                to,
                escalation: e.clone(),
                forwards,
                status: Status::Sent,
                deadline: None,
                steps,
                resolutions: Vec::new(),
                priority: e.priority,
                direct: false,
                round: BTreeMap::new(),
                meetings: Vec::new(),
                returned: Vec::new(),
            },
        );
        Ok(())
    }

    fn addressed(&mut self, id: &Hash, log: &LogKey) -> Result<&mut Matter, MatterError> {
        let matter = self
            .matters
            .get_mut(id)
            .ok_or_else(|| MatterError::Unknown(id.to_hex()))?;
        if matter.to != *log {
            return Err(MatterError::NotAddressee(matter.escalation.id.clone()));
        }
        Ok(matter)
    }
}

fn step(log: &LogKey, at: Position, kind: StepKind) -> Step {
    Step {
        log: *log,
        at,
        kind,
    }
}

fn out_of_order(matter: &Matter, action: &'static str) -> MatterError {
    MatterError::OutOfOrder {
        matter: matter.escalation.id.clone(),
        status: matter.status.name(),
        action,
    }
}

/// Urgent first, normal last.
fn priority_rank(p: i32) -> u8 {
    match Priority::try_from(p) {
        Ok(Priority::Urgent) => 0,
        Ok(Priority::Important) => 1,
        _ => 2,
    }
}

/// Why a delivered escalation is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// The entry's bytes or signature do not verify.
    #[error("the escalation entry does not verify: {0}")]
    Entry(String),
    /// It is signed by another key than the sender's.
    #[error("the escalation is not signed by the sending office's key")]
    WrongSender,
    /// It is not an escalation, or not addressed to this office.
    #[error("the entry is not an escalation addressed to this office")]
    NotForUs,
    /// The checkpoint is not the sender's.
    #[error("the checkpoint is not signed by the sending office: {0}")]
    Checkpoint(String),
    /// The entry is not in the checkpoint's tree.
    #[error("the inclusion proof does not verify: {0}")]
    Proof(String),
}

/// Checks a delivered escalation at its addressee (`own`): the entry is
/// signed by `sender`, is an escalation addressed to `own`, and is included
/// in a checkpoint `sender` signed.
pub fn verify_delivery(
    delivery: &proto::EscalationDelivery,
    sender: &VerifierKey,
    own: &LogKey,
) -> Result<VerifiedEntry, DeliveryError> {
    let verified =
        entry::verify(&delivery.entry).map_err(|e| DeliveryError::Entry(e.to_string()))?;
    if verified.author() != sender.public_bytes() {
        return Err(DeliveryError::WrongSender);
    }
    match &verified.entry.body {
        Some(Body::Escalation(e)) if e.to.as_slice() == own.as_slice() => {}
        _ => return Err(DeliveryError::NotForUs),
    }
    let (checkpoint, _) = Checkpoint::open(&delivery.checkpoint, sender)
        .map_err(|e| DeliveryError::Checkpoint(e.to_string()))?;
    let proof = delivery
        .inclusion_proof
        .iter()
        .map(|h| Hash::from_slice(h))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| DeliveryError::Proof(e.to_string()))?;
    merkle::verify_inclusion(
        verified.sequence(),
        checkpoint.size,
        &verified.hash,
        &proof,
        &checkpoint.root,
    )
    .map_err(|e| DeliveryError::Proof(e.to_string()))?;
    Ok(verified)
}

//! The consultation procedure (协商程序) as rules over a community's ledger.
//!
//! [`Consultation`] is the state a ledger's entries add up to: the
//! participant list, the topics with where each stands in the five steps
//! (五步), the meetings with their seven steps (七定), and the notices.
//! [`Consultation::check`] says whether a proposed record may come next, and
//! precisely why not; [`Consultation::apply`] folds an accepted one in. Both
//! are pure, so the node (before it signs), a replicating peer and a light
//! client all apply the same rules to the same entries.
//!
//! The procedure, after the Jinan case study:
//!
//! - a topic (议题) is proposed, then gate-kept (议题把关): accepted,
//!   declined as already regulated (with the citation and a published
//!   explanation), or referred as an individual dispute to a named mediator,
//!   which may be consulted on only after the party organisation approves;
//! - a topic's sub-item must be one the office put in its catalogue
//!   (协商事项目录) under the topic's category;
//! - the scale (三事) constrains the meeting: a major matter (大事大议) is
//!   consulted with participants of at least two kinds and decided by a full
//!   meeting (earlier rounds may gather opinions by card or online); a minor
//!   one (小事小议) may also be settled by card (卡片协商) or online (微协商); an
//!   urgent one (急事立议) is convened at once, within [`URGENT_WITHIN_DAYS`]
//!   days;
//! - a meeting records the seven steps in order, each once, none before its
//!   day; outcomes are classified (分流分类) between `form-result` and
//!   `publish-result`; a topic a round leaves without an outcome goes to
//!   another round;
//! - immediate (即办件) and promised (承诺件) items are carried out with
//!   progress until completion; a shelved item (搁置件) may be reopened by a
//!   new topic; a suggestion (建议件) waits for escalation;
//! - follow-up visits (回访) and then the residents' evaluation (评议) close
//!   the fifth step.

pub mod calendar;
pub mod names;
pub mod notices;

use std::collections::BTreeMap;
use std::fmt;

use crate::merkle::Hash;
use crate::proto::{
    self, entry::Body, gate_decision::Verdict, meeting::Form, meeting_step::Step, outcome::Class,
    topic::Source,
};
pub use calendar::{Date, DateError};

/// An urgent matter's meeting must be held within this many days of the
/// topic's acceptance ("convened at once").
pub const URGENT_WITHIN_DAYS: i64 = 3;

/// The five steps (五步) of a topic's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FiveStep {
    /// 1 明确主体: determine the participants.
    DetermineParticipants = 1,
    /// 2 确定议题: set the topic.
    SetTopic = 2,
    /// 3 开展协商: consult.
    Consult = 3,
    /// 4 落实协商结果: carry out the result.
    CarryOut = 4,
    /// 5 评价落实结果: evaluate the carrying out.
    Evaluate = 5,
}

/// Where a topic stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopicStatus {
    /// 待把关: proposed, awaiting the party organisation's gate-keeping.
    Proposed,
    /// 不予协商: declined as already regulated.
    Declined,
    /// 个人纠纷调解中: referred to a mediator; not consulted on unless approved.
    Referred,
    /// 待协商: accepted (or an approved dispute), awaiting a meeting.
    Accepted,
    /// 协商中: on a meeting's agenda.
    Scheduled,
    /// 已分类: classified, being handled according to its class.
    Classified(OutcomeClass),
    /// 已办结: carried out.
    Done,
    /// 已评议: evaluated by the residents.
    Evaluated,
    /// 已重新协商: shelved, then reopened by a new topic.
    Reopened,
}

impl TopicStatus {
    /// The step of the five this status belongs to.
    pub fn five_step(self) -> FiveStep {
        match self {
            TopicStatus::Proposed | TopicStatus::Referred | TopicStatus::Declined => {
                FiveStep::SetTopic
            }
            TopicStatus::Accepted | TopicStatus::Scheduled => FiveStep::Consult,
            TopicStatus::Classified(_) => FiveStep::CarryOut,
            TopicStatus::Done | TopicStatus::Evaluated | TopicStatus::Reopened => {
                FiveStep::Evaluate
            }
        }
    }

    /// The status's name in the API and CLI (`proposed`, `promised`, …).
    pub fn name(self) -> &'static str {
        match self {
            TopicStatus::Proposed => "proposed",
            TopicStatus::Declined => "declined",
            TopicStatus::Referred => "referred",
            TopicStatus::Accepted => "accepted",
            TopicStatus::Scheduled => "scheduled",
            TopicStatus::Classified(class) => class.name(),
            TopicStatus::Done => "done",
            TopicStatus::Evaluated => "evaluated",
            TopicStatus::Reopened => "reopened",
        }
    }
}

impl fmt::Display for TopicStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The four outcome classes (分流分类).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutcomeClass {
    /// 即办件
    Immediate,
    /// 搁置件
    Shelved,
    /// 承诺件
    Promised,
    /// 建议件
    Suggestion,
}

impl OutcomeClass {
    /// The class's name in the API and CLI.
    pub fn name(self) -> &'static str {
        match self {
            OutcomeClass::Immediate => "immediate",
            OutcomeClass::Shelved => "shelved",
            OutcomeClass::Promised => "promised",
            OutcomeClass::Suggestion => "suggestion",
        }
    }

    fn from_proto(class: i32) -> Option<OutcomeClass> {
        match Class::try_from(class).ok()? {
            Class::Immediate => Some(OutcomeClass::Immediate),
            Class::Shelved => Some(OutcomeClass::Shelved),
            Class::Promised => Some(OutcomeClass::Promised),
            Class::Suggestion => Some(OutcomeClass::Suggestion),
            Class::Unspecified => None,
        }
    }
}

/// Why a record may not come next. Each names what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// A record needs this field.
    #[error("{record} needs {field}")]
    Missing {
        /// The kind of record.
        record: &'static str,
        /// The missing field.
        field: &'static str,
    },
    /// The id is taken.
    #[error("there is already a {kind} with id {id:?}")]
    Duplicate {
        /// Participant, topic, meeting.
        kind: &'static str,
        /// The id.
        id: String,
    },
    /// The id names nothing.
    #[error("there is no {kind} with id {id:?}")]
    Unknown {
        /// Participant, topic, meeting, notice.
        kind: &'static str,
        /// The id.
        id: String,
    },
    /// The topic is not where this record needs it to be.
    #[error("topic {topic:?} is {status}; {action} needs it {needs}")]
    TopicStatus {
        /// The topic.
        topic: String,
        /// Where it stands.
        status: TopicStatus,
        /// What was attempted.
        action: &'static str,
        /// Where it would have to stand.
        needs: &'static str,
    },
    /// A referred dispute goes to consultation only after approval.
    #[error(
        "topic {0:?} is an individual dispute: the party organisation must approve it before consultation"
    )]
    DisputeNotApproved(String),
    /// A participant who has withdrawn was named.
    #[error("participant {0:?} has withdrawn from the list")]
    ParticipantWithdrawn(String),
    /// A major matter was not given a full meeting.
    #[error(
        "topic {0:?} is a major matter (大事大议): it needs a full meeting, not a card or online consultation"
    )]
    MajorNeedsMeeting(String),
    /// A major matter needs participants of two kinds.
    #[error(
        "topic {topic:?} is a major matter (大事大议): it needs participants of at least two kinds, this meeting has {kinds}"
    )]
    MajorNeedsTwoKinds {
        /// The topic.
        topic: String,
        /// How many kinds the meeting has.
        kinds: usize,
    },
    /// An urgent matter was not convened at once.
    #[error(
        "topic {topic:?} is urgent (急事立议): its meeting must be held by {latest}, not {date}"
    )]
    UrgentNotAtOnce {
        /// The topic.
        topic: String,
        /// The meeting's date.
        date: Date,
        /// The latest date allowed.
        latest: Date,
    },
    /// A meeting step out of order, repeated, or after the meeting closed.
    #[error("meeting {meeting:?}: the next step is {expected}, not {got}")]
    StepOutOfOrder {
        /// The meeting.
        meeting: String,
        /// The step expected next (`none` once all seven are in).
        expected: &'static str,
        /// The step given.
        got: &'static str,
    },
    /// A step recorded before the meeting's day.
    #[error("meeting {meeting:?} is on {date}: its steps cannot be recorded before then")]
    MeetingNotYet {
        /// The meeting.
        meeting: String,
        /// Its date.
        date: Date,
    },
    /// An outcome before the meeting formed its result.
    #[error("meeting {0:?} has not formed its result (form-result) yet")]
    ResultNotFormed(String),
    /// A topic classified in one meeting is recorded against another.
    #[error("topic {topic:?} is on the agenda of meeting {scheduled:?}, not {given:?}")]
    WrongMeeting {
        /// The topic.
        topic: String,
        /// Its meeting.
        scheduled: String,
        /// The meeting given.
        given: String,
    },
    /// A follow-up or evaluation that needs follow-ups first.
    #[error("topic {0:?} has had no follow-up visit (回访) yet")]
    NoFollowUp(String),
    /// An evaluation with no votes.
    #[error("an evaluation of topic {0:?} needs at least one vote")]
    EmptyEvaluation(String),
    /// A reopened topic must name a shelved topic.
    #[error("topic {topic:?} can only reopen a shelved topic; {reopens:?} is {status}")]
    NotShelved {
        /// The new topic.
        topic: String,
        /// The topic it names.
        reopens: String,
        /// Where that one stands.
        status: TopicStatus,
    },
    /// A topic names a sub-item the catalogue does not have.
    #[error("the topic catalogue has no sub-item {item:?} under {category}: add it first")]
    NotInCatalogue {
        /// The topic's category.
        category: &'static str,
        /// The sub-item named.
        item: String,
    },
    /// A charter names a key that cannot be an office's.
    #[error("not an office's verifier key: {0}")]
    BadKey(String),
    /// A charter admits an office at a level that is not below.
    #[error("a charter admits a street or a community, not {0}")]
    CharterLevel(&'static str),
    /// A date that is not `YYYY-MM-DD`.
    #[error(transparent)]
    Date(#[from] DateError),
    /// A commitment that is not a SHA-256 hash.
    #[error("{0} must be a 32-byte salted commitment")]
    BadCommitment(&'static str),
    /// An enum left unspecified or out of range.
    #[error("{0} is not set to a known value")]
    Unspecified(&'static str),
}

/// A participant on the list.
#[derive(Debug, Clone, PartialEq)]
pub struct ParticipantState {
    /// The record as last written.
    pub record: proto::Participant,
}

/// A topic and what has happened to it.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicState {
    /// The topic as proposed.
    pub topic: proto::Topic,
    /// Where it stands.
    pub status: TopicStatus,
    /// When it was proposed (ms since the epoch).
    pub proposed_ms: i64,
    /// The gate-keeping decisions, in order.
    pub gate: Vec<proto::GateDecision>,
    /// When it was accepted for consultation.
    pub accepted_ms: Option<i64>,
    /// The meeting it is on.
    pub meeting: Option<String>,
    /// Its outcome.
    pub outcome: Option<proto::Outcome>,
    /// When the outcome was recorded.
    pub classified_ms: Option<i64>,
    /// Progress reports, in order.
    pub progress: Vec<(i64, proto::Progress)>,
    /// When it was completed.
    pub done_ms: Option<i64>,
    /// Supervision records.
    pub supervision: Vec<proto::Supervision>,
    /// Follow-up visits.
    pub follow_ups: Vec<proto::FollowUp>,
    /// The residents' evaluation.
    pub evaluation: Option<proto::Evaluation>,
    /// The escalation that took a suggestion up, while it is out.
    pub escalation: Option<Hash>,
}

/// Why a promised item shows as overdue in public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overdue {
    /// The deadline has passed without completion.
    DeadlinePassed(Date),
    /// No progress notice within the promised notice period since this date.
    ProgressNoticeMissed(Date),
}

impl TopicState {
    /// Whether a promised item is overdue on `today` (Shanghai).
    pub fn overdue(&self, now_ms: i64) -> Option<Overdue> {
        let outcome = self.outcome.as_ref()?;
        if self.status != TopicStatus::Classified(OutcomeClass::Promised) {
            return None;
        }
        let today = Date::in_shanghai(now_ms);
        if let Ok(deadline) = Date::parse(&outcome.deadline)
            && today > deadline
        {
            return Some(Overdue::DeadlinePassed(deadline));
        }
        let last = self
            .progress
            .last()
            .map(|(t, _)| *t)
            .or(self.classified_ms)?;
        let last = Date::in_shanghai(last);
        let period = i64::from(outcome.notice_period_days.max(1));
        (today > last.plus_days(period)).then_some(Overdue::ProgressNoticeMissed(last))
    }
}

/// A meeting and how far its seven steps have come.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingState {
    /// The meeting as scheduled.
    pub meeting: proto::Meeting,
    /// The steps recorded, in order.
    pub steps: Vec<proto::MeetingStep>,
}

/// The seven steps (七定), in their order.
pub const SEVEN_STEPS: [Step; 7] = [
    Step::SignIn,
    Step::ExplainTopic,
    Step::IntroduceParticipants,
    Step::ReadRules,
    Step::Discuss,
    Step::FormResult,
    Step::PublishResult,
];

/// A step's name in the API and CLI.
pub fn step_name(step: Step) -> &'static str {
    names::step_name(step as i32)
}

impl MeetingState {
    /// The step that must come next, if any.
    pub fn next_step(&self) -> Option<Step> {
        SEVEN_STEPS.get(self.steps.len()).copied()
    }

    /// Whether all seven steps are in.
    pub fn is_complete(&self) -> bool {
        self.steps.len() == SEVEN_STEPS.len()
    }

    /// Whether `form-result` is in.
    pub fn result_formed(&self) -> bool {
        self.steps.len() > 5
    }
}

/// Where a record sits in the ledger: needed to refer to notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The entry's sequence number.
    pub sequence: u64,
    /// The entry's hash.
    pub hash: Hash,
    /// The entry's time (ms since the epoch).
    pub time_ms: i64,
}

/// A community's consultation, as its ledger's entries add up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Consultation {
    /// The participant list (协商主体清单), by id.
    pub participants: BTreeMap<String, ParticipantState>,
    /// Topics, by id.
    pub topics: BTreeMap<String, TopicState>,
    /// Meetings, by id.
    pub meetings: BTreeMap<String, MeetingState>,
    /// Notices, by entry hash.
    pub notices: BTreeMap<Hash, (Position, proto::Notice)>,
    /// The topic catalogue's sub-items (协商事项目录), by category and name.
    pub catalogue: BTreeMap<(i32, String), proto::CatalogueItem>,
    /// The offices this one admitted by charter (章程), by their log key.
    pub charters: BTreeMap<[u8; 32], CharteredOffice>,
}

/// An office admitted by charter.
#[derive(Debug, Clone, PartialEq)]
pub struct CharteredOffice {
    /// Its verifier key (C2SP form).
    pub verifier_key: String,
    /// Its name.
    pub name: String,
    /// Its level.
    pub level: i32,
    /// Its checkpoint origin.
    pub origin: String,
    /// Revoked, or replaced by a rotated key.
    pub revoked: bool,
    /// Where it can be reached.
    pub addresses: Vec<String>,
}

impl Consultation {
    /// The log keys of the offices admitted and not revoked.
    pub fn admitted(&self) -> impl Iterator<Item = &[u8; 32]> {
        self.charters
            .iter()
            .filter(|(_, c)| !c.revoked)
            .map(|(k, _)| k)
    }
}

/// A verifier key usable as an office's log key: Ed25519, named after its
/// origin.
fn office_key(text: &str) -> Result<crate::VerifierKey, RuleError> {
    let key = crate::VerifierKey::parse(text).map_err(|e| RuleError::BadKey(e.to_string()))?;
    if key.is_cosigner() {
        return Err(RuleError::BadKey(
            "a cosigner key cannot sign a ledger".into(),
        ));
    }
    Ok(key)
}

fn require(record: &'static str, field: &'static str, present: bool) -> Result<(), RuleError> {
    if present {
        Ok(())
    } else {
        Err(RuleError::Missing { record, field })
    }
}

fn commitment(field: &'static str, bytes: &[u8], required: bool) -> Result<(), RuleError> {
    match bytes.len() {
        32 => Ok(()),
        0 if !required => Ok(()),
        _ => Err(RuleError::BadCommitment(field)),
    }
}

impl Consultation {
    /// An empty ledger's state.
    pub fn new() -> Consultation {
        Consultation::default()
    }

    fn topic(&self, id: &str) -> Result<&TopicState, RuleError> {
        self.topics.get(id).ok_or_else(|| RuleError::Unknown {
            kind: "topic",
            id: id.into(),
        })
    }

    fn meeting(&self, id: &str) -> Result<&MeetingState, RuleError> {
        self.meetings.get(id).ok_or_else(|| RuleError::Unknown {
            kind: "meeting",
            id: id.into(),
        })
    }

    /// A topic must stand at one of `allowed` for `action`.
    fn topic_in(
        &self,
        id: &str,
        action: &'static str,
        needs: &'static str,
        allowed: impl Fn(TopicStatus) -> bool,
    ) -> Result<&TopicState, RuleError> {
        let topic = self.topic(id)?;
        if allowed(topic.status) {
            Ok(topic)
        } else {
            Err(RuleError::TopicStatus {
                topic: id.into(),
                status: topic.status,
                action,
                needs,
            })
        }
    }

    /// Whether `body` may be the next record, at `time_ms`. An escalation
    /// must carry up a suggestion not yet sent; what follows it (receipts,
    /// decisions, dispatches, resolutions) has its rules in
    /// [`crate::escalation`].
    pub fn check(&self, body: &Body, time_ms: i64) -> Result<(), RuleError> {
        match body {
            Body::Participant(p) => self.check_participant(p),
            Body::Topic(t) => self.check_topic(t),
            Body::GateDecision(g) => self.check_gate(g),
            Body::Meeting(m) => self.check_meeting(m),
            Body::MeetingStep(s) => self.check_step(s, time_ms),
            Body::Outcome(o) => self.check_outcome(o),
            Body::Progress(p) => {
                require("a progress report", "text", !p.text.trim().is_empty())?;
                self.topic_in(&p.topic_id, "progress", "immediate or promised", |s| {
                    matches!(
                        s,
                        TopicStatus::Classified(OutcomeClass::Immediate | OutcomeClass::Promised)
                    )
                })
                .map(drop)
            }
            Body::Supervision(s) => {
                require(
                    "supervision",
                    "supervisors or oversight bodies",
                    !(s.supervisors.is_empty() && s.oversight_bodies.is_empty()),
                )?;
                self.topic_in(
                    &s.topic_id,
                    "supervision",
                    "being carried out or done",
                    |s| {
                        matches!(
                            s,
                            TopicStatus::Classified(
                                OutcomeClass::Immediate | OutcomeClass::Promised
                            ) | TopicStatus::Done
                        )
                    },
                )
                .map(drop)
            }
            Body::FollowUp(f) => {
                require("a follow-up", "summary", !f.summary.trim().is_empty())?;
                self.topic_in(&f.topic_id, "a follow-up visit", "done", |s| {
                    s == TopicStatus::Done
                })
                .map(drop)
            }
            Body::Evaluation(e) => {
                let topic = self.topic_in(&e.topic_id, "an evaluation", "done", |s| {
                    s == TopicStatus::Done
                })?;
                if topic.follow_ups.is_empty() {
                    return Err(RuleError::NoFollowUp(e.topic_id.clone()));
                }
                if e.satisfied + e.basically_satisfied + e.dissatisfied == 0 {
                    return Err(RuleError::EmptyEvaluation(e.topic_id.clone()));
                }
                Ok(())
            }
            Body::Notice(n) => self.check_notice(n),
            Body::CatalogueItem(c) => {
                require("a catalogue item", "a name", !c.name.trim().is_empty())?;
                if !matches!(proto::Category::try_from(c.category), Ok(k) if k != proto::Category::Unspecified)
                {
                    return Err(RuleError::Unspecified("the catalogue item's category"));
                }
                Ok(())
            }
            Body::PrivateCommitment(c) => commitment("the commitment", &c.commitment, true),
            Body::Charter(c) => self.check_charter(c),
            Body::Escalation(e) if e.forwards.is_none() => {
                let topic = self.topic_in(
                    &e.topic_id,
                    "an escalation",
                    "classified as a suggestion",
                    |s| s == TopicStatus::Classified(OutcomeClass::Suggestion),
                )?;
                if topic.escalation.is_some() {
                    return Err(RuleError::Duplicate {
                        kind: "escalation of topic",
                        id: e.topic_id.clone(),
                    });
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn check_charter(&self, c: &proto::Charter) -> Result<(), RuleError> {
        let key = office_key(&c.verifier_key)?;
        let chartered = self.charters.get(key.public_bytes());
        let action = proto::charter::Action::try_from(c.action)
            .unwrap_or(proto::charter::Action::Unspecified);
        match action {
            proto::charter::Action::Unspecified => {
                Err(RuleError::Unspecified("the charter's action"))
            }
            proto::charter::Action::Admit => {
                require("a charter", "the office's name", !c.name.trim().is_empty())?;
                match proto::Level::try_from(c.level) {
                    Ok(proto::Level::Street | proto::Level::Community) => {}
                    _ => return Err(RuleError::CharterLevel(names::level_name(c.level))),
                }
                if chartered.is_some() {
                    return Err(RuleError::Duplicate {
                        kind: "charter",
                        id: c.verifier_key.clone(),
                    });
                }
                Ok(())
            }
            proto::charter::Action::Revoke => match chartered {
                Some(office) if !office.revoked => Ok(()),
                _ => Err(RuleError::Unknown {
                    kind: "admitted office",
                    id: c.verifier_key.clone(),
                }),
            },
            proto::charter::Action::Rotate => {
                if !matches!(chartered, Some(office) if !office.revoked) {
                    return Err(RuleError::Unknown {
                        kind: "admitted office",
                        id: c.verifier_key.clone(),
                    });
                }
                let new = office_key(&c.new_verifier_key)?;
                if self.charters.contains_key(new.public_bytes()) {
                    return Err(RuleError::Duplicate {
                        kind: "charter",
                        id: c.new_verifier_key.clone(),
                    });
                }
                Ok(())
            }
        }
    }

    fn check_participant(&self, p: &proto::Participant) -> Result<(), RuleError> {
        require("a participant", "an id", !p.id.trim().is_empty())?;
        require("a participant", "a name", !p.name.trim().is_empty())?;
        match proto::participant::Kind::try_from(p.kind) {
            Ok(proto::participant::Kind::Unspecified) | Err(_) => {
                Err(RuleError::Unspecified("the participant's kind"))
            }
            // Re-recording a participant updates (or withdraws) it.
            Ok(_) => Ok(()),
        }
    }

    fn check_topic(&self, t: &proto::Topic) -> Result<(), RuleError> {
        require("a topic", "an id", !t.id.trim().is_empty())?;
        require("a topic", "a title", !t.title.trim().is_empty())?;
        if self.topics.contains_key(&t.id) {
            return Err(RuleError::Duplicate {
                kind: "topic",
                id: t.id.clone(),
            });
        }
        if !matches!(proto::Category::try_from(t.category), Ok(c) if c != proto::Category::Unspecified)
        {
            return Err(RuleError::Unspecified("the topic's category"));
        }
        if !matches!(proto::Scale::try_from(t.scale), Ok(s) if s != proto::Scale::Unspecified) {
            return Err(RuleError::Unspecified("the topic's scale"));
        }
        if !matches!(Source::try_from(t.source), Ok(s) if s != Source::Unspecified) {
            return Err(RuleError::Unspecified("the topic's source"));
        }
        commitment("who raised the topic", &t.raised_by_commitment, false)?;
        if !t.sub_item.is_empty() {
            let listed = self
                .catalogue
                .get(&(t.category, t.sub_item.clone()))
                .is_some_and(|item| !item.withdrawn);
            if !listed {
                return Err(RuleError::NotInCatalogue {
                    category: names::category_name(t.category),
                    item: t.sub_item.clone(),
                });
            }
        }
        if !t.reopens.is_empty() {
            let old = self.topic(&t.reopens)?;
            if old.status != TopicStatus::Classified(OutcomeClass::Shelved) {
                return Err(RuleError::NotShelved {
                    topic: t.id.clone(),
                    reopens: t.reopens.clone(),
                    status: old.status,
                });
            }
        }
        Ok(())
    }

    fn check_gate(&self, g: &proto::GateDecision) -> Result<(), RuleError> {
        let verdict =
            Verdict::try_from(g.verdict).map_err(|_| RuleError::Unspecified("the verdict"))?;
        match verdict {
            Verdict::Unspecified => Err(RuleError::Unspecified("the verdict")),
            Verdict::Accept => self
                .topic_in(&g.topic_id, "accepting", "proposed", |s| {
                    s == TopicStatus::Proposed
                })
                .map(drop),
            Verdict::DeclineRegulated => {
                require(
                    "declining a topic",
                    "the law, regulation or decision that settles it (citation)",
                    !g.citation.trim().is_empty(),
                )?;
                require(
                    "declining a topic",
                    "an explanation for the residents",
                    !g.explanation.trim().is_empty(),
                )?;
                self.topic_in(&g.topic_id, "declining", "proposed", |s| {
                    s == TopicStatus::Proposed
                })
                .map(drop)
            }
            Verdict::IndividualDispute => {
                require(
                    "referring a dispute",
                    "a mediator",
                    !g.mediator.trim().is_empty(),
                )?;
                commitment("the dispute's details", &g.details_commitment, false)?;
                self.topic_in(&g.topic_id, "referring", "proposed", |s| {
                    s == TopicStatus::Proposed
                })
                .map(drop)
            }
            Verdict::DisputeApproved => {
                require(
                    "approving a dispute for consultation",
                    "the party organisation meeting that approved it",
                    !g.approval_reference.trim().is_empty(),
                )?;
                self.topic_in(&g.topic_id, "approving", "referred", |s| {
                    s == TopicStatus::Referred
                })
                .map(drop)
            }
        }
    }

    fn check_meeting(&self, m: &proto::Meeting) -> Result<(), RuleError> {
        require("a meeting", "an id", !m.id.trim().is_empty())?;
        require("a meeting", "at least one topic", !m.topic_ids.is_empty())?;
        if self.meetings.contains_key(&m.id) {
            return Err(RuleError::Duplicate {
                kind: "meeting",
                id: m.id.clone(),
            });
        }
        let form =
            Form::try_from(m.form).map_err(|_| RuleError::Unspecified("the meeting's form"))?;
        if form == Form::Unspecified {
            return Err(RuleError::Unspecified("the meeting's form"));
        }
        if !matches!(proto::meeting::MeetingLevel::try_from(m.level), Ok(l) if l != proto::meeting::MeetingLevel::Unspecified)
        {
            return Err(RuleError::Unspecified("the meeting's level"));
        }
        if m.level == proto::meeting::MeetingLevel::CrossCommunity as i32 {
            require(
                "a cross-community meeting",
                "the procedure the street set",
                !m.procedure.trim().is_empty(),
            )?;
        }
        if !m.communities.is_empty() {
            require(
                "a meeting with other communities",
                "the cross-community level",
                m.level == proto::meeting::MeetingLevel::CrossCommunity as i32,
            )?;
            require(
                "a cross-community meeting",
                "32-byte community log keys",
                m.communities.iter().all(|c| c.len() == 32),
            )?;
        }
        let date = Date::parse(&m.date)?;
        let mut kinds = std::collections::BTreeSet::new();
        for id in &m.participant_ids {
            let participant = self
                .participants
                .get(id)
                .ok_or_else(|| RuleError::Unknown {
                    kind: "participant",
                    id: id.clone(),
                })?;
            if participant.record.withdrawn {
                return Err(RuleError::ParticipantWithdrawn(id.clone()));
            }
            kinds.insert(participant.record.kind);
        }
        for id in &m.topic_ids {
            let topic = self.topic(id)?;
            if topic.status == TopicStatus::Referred {
                return Err(RuleError::DisputeNotApproved(id.clone()));
            }
            if topic.status != TopicStatus::Accepted {
                return Err(RuleError::TopicStatus {
                    topic: id.clone(),
                    status: topic.status,
                    action: "scheduling a meeting",
                    needs: "accepted",
                });
            }
            match proto::Scale::try_from(topic.topic.scale) {
                Ok(proto::Scale::Major) if kinds.len() < 2 => {
                    return Err(RuleError::MajorNeedsTwoKinds {
                        topic: id.clone(),
                        kinds: kinds.len(),
                    });
                }
                Ok(proto::Scale::Urgent) => {
                    let accepted =
                        Date::in_shanghai(topic.accepted_ms.unwrap_or(topic.proposed_ms));
                    let latest = accepted.plus_days(URGENT_WITHIN_DAYS);
                    if date > latest {
                        return Err(RuleError::UrgentNotAtOnce {
                            topic: id.clone(),
                            date,
                            latest,
                        });
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn check_step(&self, s: &proto::MeetingStep, time_ms: i64) -> Result<(), RuleError> {
        let meeting = self.meeting(&s.meeting_id)?;
        let date = Date::parse(&meeting.meeting.date)?;
        if Date::in_shanghai(time_ms) < date {
            return Err(RuleError::MeetingNotYet {
                meeting: s.meeting_id.clone(),
                date,
            });
        }
        let step = Step::try_from(s.step).unwrap_or(Step::Unspecified);
        let expected = meeting.next_step();
        if Some(step) != expected {
            return Err(RuleError::StepOutOfOrder {
                meeting: s.meeting_id.clone(),
                expected: expected
                    .map(step_name)
                    .unwrap_or("none (all seven steps are in)"),
                got: step_name(step),
            });
        }
        match step {
            Step::SignIn => {
                require("sign-in", "the number of attendees", s.attendee_count > 0)?;
                commitment("the sign-in sheet", &s.attendees_commitment, true)
            }
            Step::FormResult => require("form-result", "the result", !s.result.trim().is_empty()),
            _ => Ok(()),
        }
    }

    fn check_outcome(&self, o: &proto::Outcome) -> Result<(), RuleError> {
        let topic = self.topic_in(
            &o.topic_id,
            "an outcome",
            "on a meeting's agenda (consulted on)",
            |s| s == TopicStatus::Scheduled,
        )?;
        let scheduled = topic.meeting.clone().unwrap_or_default();
        if scheduled != o.meeting_id {
            return Err(RuleError::WrongMeeting {
                topic: o.topic_id.clone(),
                scheduled,
                given: o.meeting_id.clone(),
            });
        }
        let meeting = self.meeting(&o.meeting_id)?;
        if !meeting.result_formed() {
            return Err(RuleError::ResultNotFormed(o.meeting_id.clone()));
        }
        // Earlier rounds of a major matter may gather opinions any way; the
        // one that decides it is a full meeting.
        if topic.topic.scale == proto::Scale::Major as i32
            && meeting.meeting.form != Form::Meeting as i32
        {
            return Err(RuleError::MajorNeedsMeeting(o.topic_id.clone()));
        }
        let class =
            OutcomeClass::from_proto(o.class).ok_or(RuleError::Unspecified("the outcome class"))?;
        let what = "an outcome";
        match class {
            OutcomeClass::Immediate => require(
                what,
                "a responsible party",
                !o.responsible_party.trim().is_empty(),
            ),
            OutcomeClass::Shelved => require(
                what,
                "an explanation for the residents",
                !o.explanation.trim().is_empty(),
            ),
            OutcomeClass::Promised => {
                require(
                    what,
                    "a responsible party",
                    !o.responsible_party.trim().is_empty(),
                )?;
                require(what, "measures", !o.measures.trim().is_empty())?;
                require(what, "a deadline", !o.deadline.is_empty())?;
                require(what, "a notice period", o.notice_period_days > 0)?;
                Date::parse(&o.deadline).map(drop).map_err(RuleError::from)
            }
            OutcomeClass::Suggestion => require(
                what,
                "a proposed solution",
                !o.proposed_solution.trim().is_empty(),
            ),
        }
    }

    fn check_notice(&self, n: &proto::Notice) -> Result<(), RuleError> {
        require("a notice", "a title", !n.title.trim().is_empty())?;
        require("a notice", "a body", !n.body.trim().is_empty())?;
        if !n.topic_id.is_empty() {
            let topic = self.topic(&n.topic_id)?;
            let about_escalation = matches!(
                proto::notice::Kind::try_from(n.kind),
                Ok(proto::notice::Kind::Resolution | proto::notice::Kind::Returned)
            );
            if about_escalation && topic.escalation.is_none() {
                return Err(RuleError::TopicStatus {
                    topic: n.topic_id.clone(),
                    status: topic.status,
                    action: "a resolution or return notice",
                    needs: "escalated",
                });
            }
        }
        if let Some(old) = &n.supersedes {
            let hash = Hash::from_slice(&old.hash).map_err(|_| RuleError::Unknown {
                kind: "notice",
                id: hex::encode(&old.hash),
            })?;
            if !self.notices.contains_key(&hash) {
                return Err(RuleError::Unknown {
                    kind: "notice",
                    id: hash.to_hex(),
                });
            }
        }
        Ok(())
    }

    /// Folds an accepted record in. Call only after [`Consultation::check`]
    /// accepted it; records that were refused must not be applied.
    pub fn apply(&mut self, body: &Body, at: Position) {
        match body {
            Body::Participant(p) => {
                self.participants
                    .insert(p.id.clone(), ParticipantState { record: p.clone() });
            }
            Body::Topic(t) => {
                if let Some(old) = self.topics.get_mut(&t.reopens) {
                    old.status = TopicStatus::Reopened;
                }
                self.topics.insert(
                    t.id.clone(),
                    TopicState {
                        topic: t.clone(),
                        status: TopicStatus::Proposed,
                        proposed_ms: at.time_ms,
                        gate: Vec::new(),
                        accepted_ms: None,
                        meeting: None,
                        outcome: None,
                        classified_ms: None,
                        progress: Vec::new(),
                        done_ms: None,
                        supervision: Vec::new(),
                        follow_ups: Vec::new(),
                        evaluation: None,
                        escalation: None,
                    },
                );
            }
            Body::GateDecision(g) => {
                if let Some(topic) = self.topics.get_mut(&g.topic_id) {
                    topic.status = match Verdict::try_from(g.verdict) {
                        Ok(Verdict::Accept | Verdict::DisputeApproved) => {
                            topic.accepted_ms = Some(at.time_ms);
                            TopicStatus::Accepted
                        }
                        Ok(Verdict::DeclineRegulated) => TopicStatus::Declined,
                        Ok(Verdict::IndividualDispute) => TopicStatus::Referred,
                        _ => topic.status,
                    };
                    topic.gate.push(g.clone());
                }
            }
            Body::Meeting(m) => {
                for id in &m.topic_ids {
                    if let Some(topic) = self.topics.get_mut(id) {
                        topic.status = TopicStatus::Scheduled;
                        topic.meeting = Some(m.id.clone());
                    }
                }
                self.meetings.insert(
                    m.id.clone(),
                    MeetingState {
                        meeting: m.clone(),
                        steps: Vec::new(),
                    },
                );
            }
            Body::MeetingStep(s) => {
                if let Some(meeting) = self.meetings.get_mut(&s.meeting_id) {
                    meeting.steps.push(s.clone());
                    if s.step == Step::PublishResult as i32 {
                        // A topic the round left without an outcome waits for
                        // another round (several rounds before shelving).
                        for id in &meeting.meeting.topic_ids {
                            if let Some(topic) = self.topics.get_mut(id)
                                && topic.outcome.is_none()
                            {
                                topic.status = TopicStatus::Accepted;
                                topic.meeting = None;
                            }
                        }
                    }
                }
            }
            Body::Outcome(o) => {
                if let Some(topic) = self.topics.get_mut(&o.topic_id)
                    && let Some(class) = OutcomeClass::from_proto(o.class)
                {
                    topic.status = TopicStatus::Classified(class);
                    topic.outcome = Some(o.clone());
                    topic.classified_ms = Some(at.time_ms);
                }
            }
            Body::Progress(p) => {
                if let Some(topic) = self.topics.get_mut(&p.topic_id) {
                    topic.progress.push((at.time_ms, p.clone()));
                    if p.completed {
                        topic.status = TopicStatus::Done;
                        topic.done_ms = Some(at.time_ms);
                    }
                }
            }
            Body::Supervision(s) => {
                if let Some(topic) = self.topics.get_mut(&s.topic_id) {
                    topic.supervision.push(s.clone());
                }
            }
            Body::FollowUp(f) => {
                if let Some(topic) = self.topics.get_mut(&f.topic_id) {
                    topic.follow_ups.push(f.clone());
                }
            }
            Body::Evaluation(e) => {
                if let Some(topic) = self.topics.get_mut(&e.topic_id) {
                    topic.evaluation = Some(e.clone());
                    topic.status = TopicStatus::Evaluated;
                }
            }
            Body::Notice(n) => {
                self.notices.insert(at.hash, (at, n.clone()));
                if let Some(topic) = self.topics.get_mut(&n.topic_id) {
                    match proto::notice::Kind::try_from(n.kind) {
                        // The suggestion was carried out above: on to
                        // follow-up and evaluation.
                        Ok(proto::notice::Kind::Resolution) => {
                            topic.status = TopicStatus::Done;
                            topic.done_ms = Some(at.time_ms);
                        }
                        // Sent back: the community consults on it again.
                        Ok(proto::notice::Kind::Returned) => {
                            topic.status = TopicStatus::Accepted;
                            topic.outcome = None;
                            topic.meeting = None;
                            topic.classified_ms = None;
                            topic.escalation = None;
                        }
                        _ => {}
                    }
                }
            }
            Body::Escalation(e) if e.forwards.is_none() => {
                if let Some(topic) = self.topics.get_mut(&e.topic_id) {
                    topic.escalation = Some(at.hash);
                }
            }
            Body::CatalogueItem(c) => {
                self.catalogue
                    .insert((c.category, c.name.clone()), c.clone());
            }
            Body::Charter(c) => self.apply_charter(c),
            _ => {}
        }
    }

    fn apply_charter(&mut self, c: &proto::Charter) {
        let Ok(key) = office_key(&c.verifier_key) else {
            return;
        };
        let log = *key.public_bytes();
        match proto::charter::Action::try_from(c.action) {
            Ok(proto::charter::Action::Admit) => {
                self.charters.insert(
                    log,
                    CharteredOffice {
                        verifier_key: c.verifier_key.clone(),
                        name: c.name.clone(),
                        level: c.level,
                        origin: if c.origin.is_empty() {
                            key.name().to_owned()
                        } else {
                            c.origin.clone()
                        },
                        revoked: false,
                        addresses: c.addresses.clone(),
                    },
                );
            }
            Ok(proto::charter::Action::Revoke) => {
                if let Some(office) = self.charters.get_mut(&log) {
                    office.revoked = true;
                }
            }
            Ok(proto::charter::Action::Rotate) => {
                let Ok(new) = office_key(&c.new_verifier_key) else {
                    return;
                };
                if let Some(office) = self.charters.get_mut(&log) {
                    office.revoked = true;
                    let mut rotated = office.clone();
                    rotated.revoked = false;
                    rotated.verifier_key = c.new_verifier_key.clone();
                    self.charters.insert(*new.public_bytes(), rotated);
                }
            }
            _ => {}
        }
    }

    /// Checks and applies in one step.
    pub fn accept(&mut self, body: &Body, at: Position) -> Result<(), RuleError> {
        self.check(body, at.time_ms)?;
        self.apply(body, at);
        Ok(())
    }
}

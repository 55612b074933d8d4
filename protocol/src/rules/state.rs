//! The state a ledger's records add up to (participants, topics, meetings,
//! notices, charters) with its simple accessors. Kept apart from the rules
//! in `check` and `apply` so that both read it without reading each other.

use std::collections::BTreeMap;
use std::fmt;

use crate::merkle::Hash;
use crate::proto::{self, meeting_step::Step, outcome::Class};

use super::calendar::Date;
use super::deadlines::{Deadlines, last_day};
use super::names;

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
    /// 调解成功: the mediation settled the dispute.
    Settled,
    /// 调解未成: the mediation ended without settling it; it may still go
    /// to consultation once approved.
    Unsettled,
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
            TopicStatus::Proposed
            | TopicStatus::Referred
            | TopicStatus::Settled
            | TopicStatus::Unsettled
            | TopicStatus::Declined => FiveStep::SetTopic,
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
            TopicStatus::Settled => "settled",
            TopicStatus::Unsettled => "unsettled",
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

    pub(super) fn from_proto(class: i32) -> Option<OutcomeClass> {
        match Class::try_from(class).ok()? {
            Class::Immediate => Some(OutcomeClass::Immediate),
            Class::Shelved => Some(OutcomeClass::Shelved),
            Class::Promised => Some(OutcomeClass::Promised),
            Class::Suggestion => Some(OutcomeClass::Suggestion),
            Class::Unspecified => None,
        }
    }
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
    /// How many residents' concerns it stands for (N 位居民反映), as the
    /// office's latest commitment to them says; never who.
    pub residents: u32,
    /// When it was referred to a mediator as an individual dispute.
    pub referred_ms: Option<i64>,
    /// How its mediation ended, and when.
    pub mediation: Option<(i64, proto::Mediation)>,
    /// When it was declined as already regulated.
    pub declined_ms: Option<i64>,
    /// When it was first sent up as a suggestion (kept after it returns).
    pub escalated_ms: Option<i64>,
    /// When the residents' evaluation was recorded.
    pub evaluated_ms: Option<i64>,
}

/// Why an item shows as overdue in public, with the last day it had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overdue {
    /// A promised (or immediate) item's deadline passed without completion.
    DeadlinePassed(Date),
    /// No progress notice within the promised notice period since this date.
    ProgressNoticeMissed(Date),
    /// An immediate item (即办件) not carried out within the office's limit.
    NotCarriedOut(Date),
    /// A suggestion (建议件) not sent up within the office's limit.
    NotSentUp(Date),
    /// An individual dispute still in mediation past the office's limit.
    MediationPassed(Date),
}

impl Overdue {
    /// Its name in the API (`deadline-passed`, `not-sent-up`, …).
    pub fn name(self) -> &'static str {
        match self {
            Overdue::DeadlinePassed(_) => "deadline-passed",
            Overdue::ProgressNoticeMissed(_) => "progress-notice-missed",
            Overdue::NotCarriedOut(_) => "not-carried-out",
            Overdue::NotSentUp(_) => "not-sent-up",
            Overdue::MediationPassed(_) => "mediation-passed",
        }
    }

    /// The last day the item had (for a missed progress notice: the day
    /// the last notice or the classification was published).
    pub fn date(self) -> Date {
        match self {
            Overdue::DeadlinePassed(d)
            | Overdue::ProgressNoticeMissed(d)
            | Overdue::NotCarriedOut(d)
            | Overdue::NotSentUp(d)
            | Overdue::MediationPassed(d) => d,
        }
    }
}

impl fmt::Display for Overdue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Overdue::DeadlinePassed(d) => write!(f, "deadline {d} passed"),
            Overdue::ProgressNoticeMissed(d) => write!(f, "no progress notice since {d}"),
            Overdue::NotCarriedOut(d) => write!(f, "not carried out by {d}"),
            Overdue::NotSentUp(d) => write!(f, "not sent up by {d}"),
            Overdue::MediationPassed(d) => write!(f, "mediation not ended by {d}"),
        }
    }
}

impl TopicState {
    /// Its status as the board and the statistics name it: the status's
    /// name, with `escalated` for a suggestion out with the office above.
    pub fn public_status(&self) -> &'static str {
        match self.status {
            TopicStatus::Classified(_) if self.escalation.is_some() => "escalated",
            TopicStatus::Classified(_) => "classified",
            other => other.name(),
        }
    }

    /// Whether it still asks something of an office: not declined, settled,
    /// carried out, evaluated or reopened, and not left unsettled by a
    /// mediation.
    pub fn is_open(&self) -> bool {
        matches!(
            self.status,
            TopicStatus::Proposed
                | TopicStatus::Referred
                | TopicStatus::Accepted
                | TopicStatus::Scheduled
                | TopicStatus::Classified(_)
        )
    }

    /// Whether the topic is overdue on `today` (Shanghai), under the
    /// office's time `limits`: a promised item past its deadline or its
    /// progress notice; an immediate item not carried out; a suggestion
    /// not sent up; a dispute still in mediation.
    pub fn overdue(&self, today: Date, limits: &Deadlines) -> Option<Overdue> {
        let past = |last: Date| today > last;
        match self.status {
            TopicStatus::Classified(OutcomeClass::Promised) => {
                let outcome = self.outcome.as_ref()?;
                if let Ok(deadline) = Date::parse(&outcome.deadline)
                    && past(deadline)
                {
                    return Some(Overdue::DeadlinePassed(deadline));
                }
                let due = self.progress_notice_due()?;
                let last = due.plus_days(-i64::from(outcome.notice_period_days.max(1)));
                past(due).then_some(Overdue::ProgressNoticeMissed(last))
            }
            TopicStatus::Classified(OutcomeClass::Immediate) => {
                let outcome = self.outcome.as_ref()?;
                // A deadline the meeting set replaces the office's limit.
                if let Ok(deadline) = Date::parse(&outcome.deadline) {
                    return past(deadline).then_some(Overdue::DeadlinePassed(deadline));
                }
                let last = last_day(self.classified_ms?, limits.immediate_days);
                past(last).then_some(Overdue::NotCarriedOut(last))
            }
            TopicStatus::Classified(OutcomeClass::Suggestion) if self.escalation.is_none() => {
                let last = last_day(self.classified_ms?, limits.suggestion_days);
                past(last).then_some(Overdue::NotSentUp(last))
            }
            TopicStatus::Referred => {
                let last = last_day(self.referred_ms?, limits.mediation_days);
                past(last).then_some(Overdue::MediationPassed(last))
            }
            _ => None,
        }
    }

    /// For a promised item being carried out: the last day its next
    /// progress notice is due (the last notice, or the classification, plus
    /// the notice period).
    pub fn progress_notice_due(&self) -> Option<Date> {
        let outcome = self.outcome.as_ref()?;
        if self.status != TopicStatus::Classified(OutcomeClass::Promised) {
            return None;
        }
        let last = self
            .progress
            .last()
            .map(|(t, _)| *t)
            .or(self.classified_ms)?;
        let period = i64::from(outcome.notice_period_days.max(1));
        Some(Date::in_shanghai(last).plus_days(period))
    }
}

/// A meeting and how far its seven steps have come.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingState {
    /// The meeting as scheduled.
    pub meeting: proto::Meeting,
    /// The steps recorded, in order.
    pub steps: Vec<proto::MeetingStep>,
    /// When it was scheduled (recorded in the ledger).
    pub recorded_ms: i64,
    /// Its policy briefing materials (政策宣讲), as attached.
    pub briefing: Vec<proto::briefing::File>,
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

/// A residents' round (征询) and its tally (计票), once recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundState {
    /// The round as opened.
    pub round: proto::Round,
    /// Where it was opened.
    pub opened: Position,
    /// Its tally, with where it was recorded.
    pub tally: Option<(Position, proto::Tally)>,
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

impl Position {
    /// The reference to the entry at this position of `log` (a notice's
    /// source, a step's escalation): built here, once.
    pub fn entry_ref(&self, log: &crate::LogKey) -> proto::EntryRef {
        proto::EntryRef {
            log: log.to_vec(),
            sequence: self.sequence,
            hash: self.hash.0.to_vec(),
        }
    }
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
    pub charters: BTreeMap<crate::LogKey, CharteredOffice>,
    /// The office's latest profile (办公室简介), with where it was recorded.
    pub profile: Option<(Position, proto::OfficeProfile)>,
    /// Residents' rounds (征询), by id.
    pub rounds: BTreeMap<String, RoundState>,
    /// The office's latest time limits (办理时限), with where they were
    /// recorded; none recorded: the defaults.
    pub deadlines: Option<(Position, proto::Deadlines)>,
    /// Topics this office put on the agendas of offices it chartered
    /// (交办议题), by id.
    pub assignments: BTreeMap<String, (Position, proto::Assignment)>,
    /// Its answers to assignments from above, by the assigning office's
    /// log and the assignment's id.
    pub replies: BTreeMap<(crate::LogKey, String), (Position, proto::AssignmentReply)>,
    /// The joint meeting's standing members (成员单位), by id, as last
    /// recorded.
    pub members: BTreeMap<String, proto::StandingMember>,
    /// Which standing member proposed which topic: member id by topic id.
    pub member_topics: BTreeMap<String, String>,
    /// The joint meeting's schedule for studying major matters.
    pub study: Option<(Position, proto::StudySchedule)>,
    /// Oversight records (全过程监督), by topic, in order.
    pub oversight: BTreeMap<String, Vec<(Position, proto::Oversight)>>,
    /// Designated persons (指定专人), by topic and duty: the latest.
    pub designations: BTreeMap<(String, i32), proto::Designation>,
    /// This office's steps on escalated matters, with when each was
    /// recorded (the matters themselves span ledgers: `crate::escalation`).
    pub matter_steps: Vec<(i64, MatterStep)>,
}

/// A step this office recorded on an escalated matter, as the statistics
/// count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatterStep {
    /// A receipt signed for a matter sent up to it (签收).
    Received,
    /// A matter its 12345 desk took in directly (直接受理).
    TakenIn,
    /// A dispatch, or a re-dispatch, to departments (派单, 改派).
    Dispatched,
    /// A result recorded, a department's or its own (办理结果).
    Result,
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
    /// An empty ledger's state.
    pub fn new() -> Consultation {
        Consultation::default()
    }

    /// The office's level, as its latest profile says (a community's,
    /// before it has one).
    pub fn level(&self) -> proto::Level {
        match &self.profile {
            Some((_, p)) if p.city => proto::Level::City,
            Some((_, p)) => proto::Level::try_from(p.level).unwrap_or(proto::Level::Community),
            None => proto::Level::Community,
        }
    }

    /// The office's time limits: its latest `Deadlines` record over the
    /// defaults of its level.
    pub fn limits(&self) -> Deadlines {
        match &self.deadlines {
            Some((_, record)) => Deadlines::from_record(record, self.level()),
            None => Deadlines::defaults(self.level()),
        }
    }

    /// The log keys of the offices admitted and not revoked.
    pub fn admitted(&self) -> impl Iterator<Item = &crate::LogKey> {
        self.charters
            .iter()
            .filter(|(_, c)| !c.revoked)
            .map(|(k, _)| k)
    }
}

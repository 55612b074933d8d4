//! The HTTP contract's types (接口): the office's actions as
//! `POST /api/v1/actions` takes them, and what a node answers, shared by the
//! node (which reads actions and writes answers) and the CLI (which writes
//! actions and reads answers). Enum-like fields are the names of
//! [`crate::rules::names`] (`public-affairs`, `major`, …); private data (who
//! raised a topic, the sign-in sheet, a dispute's details) is kept on the
//! node, and only its commitment reaches the ledger.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::escalation::Matters;
use crate::merkle::Hash;
use crate::proto::{self, entry::Body};
use crate::rules::{Consultation, step_name};

mod accountability;
pub use accountability::{
    Assign, Attached, Brief, Coordinate, Correct, Designate, Intake, Member, Oversee, Redispatch,
    Reply, Study, Supervisor,
};

/// One office action. The `action` field names it; the rest are the fields
/// of its struct (those marked optional may be left out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// Add or update a body on the participant list.
    Participant(Participant),
    /// Admit, revoke or re-key a child office (章程).
    Charter(Charter),
    /// Add (or withdraw) a sub-item of the topic catalogue.
    Catalogue(Catalogue),
    /// Take in a topic.
    Topic(Topic),
    /// Gate-keeping: accept.
    Accept(Accept),
    /// Gate-keeping: decline as already regulated.
    Decline(Decline),
    /// Gate-keeping: refer as an individual dispute.
    Refer(Refer),
    /// The party organisation approves a referred dispute for consultation.
    Approve(Approve),
    /// How the mediation of a referred dispute ended (调解结果).
    Mediate(Mediate),
    /// Schedule a meeting.
    Meeting(Meeting),
    /// Record one of the seven steps.
    Step(Step),
    /// Classify a topic's outcome.
    Outcome(Outcome),
    /// Report progress (or completion).
    Progress(Progress),
    /// Record supervisors and oversight bodies.
    Supervise(Supervise),
    /// A follow-up visit.
    Followup(Followup),
    /// Send a suggestion up to the parent office (上报).
    Escalate(Escalate),
    /// The addressee's decision on an escalated matter: accept, return (with
    /// a reason) or forward to its own parent.
    Decide(Decide),
    /// Add (or withdraw) a department in the district's directory.
    Department(Department),
    /// Dispatch a forwarded matter to one department, or to a coordination
    /// group of several.
    Dispatch(Dispatch),
    /// Record the result a department (or the street itself) reports.
    Resolve(Resolve),
    /// The residents' evaluation.
    Evaluate(Evaluate),
    /// The office describes itself (办公室简介): what is given replaces what
    /// its latest profile says.
    Profile(Profile),
    /// Put a topic on the agenda of an office this one chartered (交办议题).
    Assign(Assign),
    /// Answer an assignment from above: accept it as a topic, or decline it
    /// with the reason.
    Reply(Reply),
    /// Add, change or withdraw a standing member of the street's joint
    /// meeting (联席会议成员单位).
    Member(Member),
    /// When the street's joint meeting regularly studies major matters
    /// (重大事项定期研究).
    Study(Study),
    /// The district's 12345 desk takes a matter in directly (直接受理).
    Intake(Intake),
    /// The coordination group's joint meeting on a matter and its
    /// conclusion (协调小组联席研究).
    Coordinate(Coordinate),
    /// Return a department's result and dispatch the matter again
    /// (退单/改派).
    Redispatch(Redispatch),
    /// Correct a published notice by a new one that supersedes it (更正).
    Correct(Correct),
    /// Oversight of a topic in its phase, by kinds of supervisor (全过程监督).
    Oversee(Oversee),
    /// Designate the person responsible, by role and office (指定专人).
    Designate(Designate),
    /// Attach policy briefing materials to a meeting (政策宣讲), files
    /// uploaded first (`POST /api/v1/files`).
    Brief(Brief),
}

/// The office describes itself: each field given replaces the latest
/// profile's; the rest stay as they were. The level is the office's own.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The name residents know it by, e.g. 历下区.
    #[serde(default)]
    pub name: Option<String>,
    /// The office's street address.
    #[serde(default)]
    pub address: Option<String>,
    /// The office's public telephone.
    #[serde(default)]
    pub phone: Option<String>,
    /// Where it regularly holds consultations.
    #[serde(default)]
    pub meeting_place: Option<String>,
    /// How often, in words (每月11日, say).
    #[serde(default)]
    pub meeting_rhythm: Option<String>,
}

/// Add or update a body on the participant list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Participant {
    /// The participant's id on the list, e.g. `P-party`.
    pub id: String,
    /// Its kind (`party-organisation`, `property-management`, …).
    pub kind: String,
    /// Its name, e.g. 第一社区党委.
    pub name: String,
    /// Withdrawn from the list.
    #[serde(default)]
    pub withdrawn: bool,
}

/// Admit, revoke or re-key a child office (章程).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Charter {
    /// admit, revoke or rotate
    pub charter: String,
    /// The child's verifier key.
    pub key: String,
    /// The child office's name.
    #[serde(default)]
    pub name: String,
    /// Its level: `street` or `community`.
    #[serde(default)]
    pub level: String,
    /// Its ledger's origin (by default the key's name).
    #[serde(default)]
    pub origin: String,
    /// For `rotate`: the office's new verifier key.
    #[serde(default)]
    pub new_key: String,
    /// Where its node is dialled (libp2p multiaddrs).
    #[serde(default)]
    pub addresses: Vec<String>,
    /// For `revoke`: why.
    #[serde(default)]
    pub reason: String,
}

/// Add (or withdraw) a sub-item of the topic catalogue.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// The category (`daily-life`, `public-affairs`, `policy`).
    pub category: String,
    /// The sub-item, e.g. 为老服务.
    pub item: String,
    /// Withdrawn from the catalogue.
    #[serde(default)]
    pub withdrawn: bool,
}

/// Take in a topic.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// The topic's id, e.g. `T-canteen`.
    pub id: String,
    /// Its title.
    pub title: String,
    /// What it is about.
    #[serde(default)]
    pub summary: String,
    /// Its category.
    pub category: String,
    /// Its sub-item of the catalogue.
    #[serde(default)]
    pub sub_item: String,
    /// `major`, `minor` or `urgent` (三事).
    pub scale: String,
    /// Where it came from (`resident`, `home-visit`, …).
    pub source: String,
    /// Who raised it: kept private.
    #[serde(default)]
    pub raised_by: Option<Value>,
    /// The shelved topic it reopens.
    #[serde(default)]
    pub reopens: String,
    /// At a street: the standing member of its joint meeting that proposed
    /// it (成员单位提出), if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
}

/// Gate-keeping: accept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accept {
    /// The topic.
    pub topic: String,
}

/// Gate-keeping: decline as already regulated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decline {
    /// The topic.
    pub topic: String,
    /// The law or decision that already settles it.
    pub citation: String,
    /// The explanation published to residents.
    pub explanation: String,
    /// Text added to the notice.
    #[serde(default)]
    pub notice_text: String,
}

/// Gate-keeping: refer as an individual dispute.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refer {
    /// The topic.
    pub topic: String,
    /// The mediator it is referred to.
    pub mediator: String,
    /// The dispute's details: kept private.
    #[serde(default)]
    pub details: Option<Value>,
}

/// The party organisation approves a referred dispute for consultation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approve {
    /// The topic.
    pub topic: String,
    /// The party organisation's approval (its meeting's reference).
    pub approval: String,
}

/// How the mediation of a referred dispute ended.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mediate {
    /// The topic.
    pub topic: String,
    /// Settled (调解成功), or not (调解未成).
    pub settled: bool,
    /// The mediator who closed it.
    pub mediator: String,
    /// The mediator's summary: kept private.
    #[serde(default)]
    pub summary: Option<Value>,
}

/// Schedule a meeting.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meeting {
    /// The meeting's id, e.g. `M-1111`.
    pub id: String,
    /// The topics on its agenda.
    pub topics: Vec<String>,
    /// Its level (`community` by default; `cross-community`, …).
    #[serde(default)]
    pub level: Option<String>,
    /// `meeting`, `card` or `online`.
    pub form: String,
    /// YYYY-MM-DD; by default the next 11th (today for urgent matters).
    #[serde(default)]
    pub date: Option<String>,
    /// The participants taking part (ids on the list).
    #[serde(default)]
    pub participants: Vec<String>,
    /// Where.
    #[serde(default)]
    pub place: String,
    /// For a cross-community meeting: the procedure the street set.
    #[serde(default)]
    pub procedure: String,
    /// For a cross-community meeting: the communities taking part
    /// (verifier keys or hex log keys).
    #[serde(default)]
    pub communities: Vec<String>,
    /// The policies to be explained at it (政策宣讲), said in its
    /// announcement (议前公示).
    #[serde(default)]
    pub policies: String,
}

/// Record one of the seven steps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The meeting.
    pub meeting: String,
    /// The step (`sign-in`, …, `publish-result`).
    pub step: String,
    /// What was said or done.
    #[serde(default)]
    pub summary: String,
    /// The sign-in sheet (names, phones): kept private.
    #[serde(default)]
    pub attendees: Option<Vec<Value>>,
    /// For `form-result`: the result.
    #[serde(default)]
    pub result: String,
    /// Text added to the result notice.
    #[serde(default)]
    pub notice_text: String,
}

/// Classify a topic's outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// The topic.
    pub topic: String,
    /// The meeting that consulted on it.
    pub meeting: String,
    /// `immediate`, `shelved`, `promised` or `suggestion`.
    pub class: String,
    /// Who carries it out.
    #[serde(default)]
    pub responsible_party: String,
    /// How.
    #[serde(default)]
    pub measures: String,
    /// By when (YYYY-MM-DD).
    #[serde(default)]
    pub deadline: String,
    /// For a promised item: days between progress notices.
    #[serde(default)]
    pub notice_period_days: u32,
    /// For a shelved item: why.
    #[serde(default)]
    pub explanation: String,
    /// For a suggestion: the solution proposed to the office above.
    #[serde(default)]
    pub proposed_solution: String,
    /// Who supervises it.
    #[serde(default)]
    pub supervisors: Vec<String>,
    /// Whether it spends public money (the oversight bodies step in).
    #[serde(default)]
    pub spends_money: bool,
}

/// Report progress (or completion).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Progress {
    /// The topic.
    pub topic: String,
    /// The progress.
    pub text: String,
    /// Whether it is done.
    #[serde(default)]
    pub completed: bool,
    /// Text added to the progress notice.
    #[serde(default)]
    pub notice_text: String,
}

/// Record supervisors and oversight bodies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Supervise {
    /// The topic.
    pub topic: String,
    /// The supervisors.
    #[serde(default)]
    pub supervisors: Vec<String>,
    /// The oversight bodies.
    #[serde(default)]
    pub oversight_bodies: Vec<String>,
    /// A note.
    #[serde(default)]
    pub note: String,
}

/// A follow-up visit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Followup {
    /// The topic.
    pub topic: String,
    /// What the visit found.
    pub summary: String,
    /// Households visited.
    #[serde(default)]
    pub households_visited: u32,
}

/// Send a suggestion up to the parent office (上报).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalate {
    /// The suggestion's topic.
    pub topic: String,
    /// urgent, important or normal.
    #[serde(default)]
    pub priority: Option<String>,
}

/// The addressee's decision on an escalated matter: accept, return (with
/// a reason) or forward to its own parent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decide {
    /// The matter: its hash, a prefix of it, or its escalation id.
    pub matter: String,
    /// `accept`, `return` or `forward`.
    pub decision: String,
    /// Why (for `return`, shown to the community).
    #[serde(default)]
    pub reason: String,
    /// YYYY-MM-DD: after it, an open matter shows as overdue.
    #[serde(default)]
    pub deadline: String,
}

/// Add (or withdraw) a department in the district's directory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    /// The department's id, e.g. `jtj`.
    pub id: String,
    /// Its name, e.g. 区交通运输局.
    pub name: String,
    /// What it handles.
    #[serde(default)]
    pub handles: Vec<String>,
    /// Withdrawn from the directory.
    #[serde(default)]
    pub withdrawn: bool,
}

/// Dispatch a forwarded matter to one department, or to a coordination
/// group of several.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dispatch {
    /// The matter.
    pub matter: String,
    /// The departments (several: a coordination group).
    pub departments: Vec<String>,
    /// `urgent`, `important` or `normal`.
    #[serde(default)]
    pub priority: Option<String>,
}

/// Record the result a department (or the street itself) reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resolve {
    /// The matter.
    pub matter: String,
    /// The result reported.
    pub result: String,
    /// The department reporting it (empty: the office itself).
    #[serde(default)]
    pub department: String,
}

/// The residents' evaluation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evaluate {
    /// The topic.
    pub topic: String,
    /// Residents satisfied (满意).
    pub satisfied: u32,
    /// Basically satisfied (基本满意).
    pub basically_satisfied: u32,
    /// Dissatisfied (不满意).
    pub dissatisfied: u32,
}

/// Where an entry landed in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryAt {
    /// Its sequence number.
    pub sequence: u64,
    /// Its hash, hex.
    pub hash: String,
}

impl EntryAt {
    /// The entry at `sequence` with `hash`.
    pub fn new(sequence: u64, hash: Hash) -> EntryAt {
        EntryAt {
            sequence,
            hash: hash.to_hex(),
        }
    }
}

/// What an office action wrote, as `POST /api/v1/actions` answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The record's id, or the topic's, meeting's or matter's it belongs to.
    pub id: String,
    /// Where that stands now, as the record left it: a topic's or matter's
    /// status, a meeting's next step, `listed`, `admitted`, …
    pub status: String,
    /// The record's entry.
    pub entry: EntryAt,
    /// The notices published with it.
    pub notices: Vec<EntryAt>,
    /// For a decision to forward: the escalation that carries the matter on.
    pub forwarded: Option<EntryAt>,
}

/// The id an answer names for `body`: the record's own, or the topic's,
/// meeting's or matter's (the escalation's hash) it belongs to.
pub fn record_id(body: &Body) -> String {
    match body {
        Body::Participant(p) => p.id.clone(),
        Body::Topic(t) => t.id.clone(),
        Body::GateDecision(g) => g.topic_id.clone(),
        Body::Mediation(m) => m.topic_id.clone(),
        Body::Assignment(a) => a.id.clone(),
        Body::DirectMatter(d) => d.id.clone(),
        Body::AssignmentReply(r) => r.assignment_id.clone(),
        Body::StandingMember(m) => m.id.clone(),
        Body::MemberProposal(p) => p.topic_id.clone(),
        Body::Oversight(o) => o.topic_id.clone(),
        Body::Briefing(b) => b.meeting_id.clone(),
        Body::Designation(d) => d.subject.clone(),
        Body::Meeting(m) => m.id.clone(),
        Body::MeetingStep(s) => s.meeting_id.clone(),
        Body::Outcome(o) => o.topic_id.clone(),
        Body::Progress(p) => p.topic_id.clone(),
        Body::FollowUp(f) => f.topic_id.clone(),
        Body::Evaluation(e) => e.topic_id.clone(),
        Body::Supervision(s) => s.topic_id.clone(),
        Body::CatalogueItem(c) => c.name.clone(),
        Body::Charter(c) => c.verifier_key.clone(),
        Body::CityCharter(proto::CityCharter { charter: Some(c) }) => c.verifier_key.clone(),
        Body::Escalation(e) => e.id.clone(),
        Body::Department(d) => d.id.clone(),
        Body::OfficeProfile(p) => p.name.clone(),
        Body::Round(r) => r.id.clone(),
        Body::Tally(t) => t.round_id.clone(),
        Body::Decision(proto::Decision { escalation, .. })
        | Body::Dispatch(proto::Dispatch { escalation, .. })
        | Body::CoordinationMeeting(proto::CoordinationMeeting { escalation, .. })
        | Body::Redispatch(proto::Redispatch { escalation, .. })
        | Body::Resolution(proto::Resolution { escalation, .. }) => escalation
            .as_ref()
            .map(|r| hex::encode(&r.hash))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// Where the thing `id` names stands once `body` is applied to `state` and
/// `matters`.
pub fn record_status(state: &Consultation, matters: &Matters, body: &Body, id: &str) -> String {
    match body {
        Body::Meeting(_) | Body::MeetingStep(_) => match state.meetings.get(id) {
            Some(m) if m.is_complete() => "complete".into(),
            Some(m) => format!("at {}", m.next_step().map(step_name).unwrap_or("end")),
            None => String::new(),
        },
        Body::Participant(_)
        | Body::CatalogueItem(_)
        | Body::Department(_)
        | Body::StandingMember(_) => "listed".into(),
        Body::Assignment(_) => "assigned".into(),
        Body::StudySchedule(_) => "scheduled".into(),
        Body::AssignmentReply(r) if r.accepted => "accepted".into(),
        Body::AssignmentReply(_) => "declined".into(),
        Body::Escalation(_) => "sent".into(),
        Body::OfficeProfile(_) => "described".into(),
        Body::Round(_) | Body::Tally(_) => match state.rounds.get(id) {
            Some(r) if r.tally.is_some() => "tallied".into(),
            Some(_) => "open".into(),
            None => String::new(),
        },
        Body::DirectMatter(_) => "received".into(),
        Body::Decision(_)
        | Body::Dispatch(_)
        | Body::Resolution(_)
        | Body::CoordinationMeeting(_)
        | Body::Redispatch(_) => Hash::from_hex(id)
            .ok()
            .and_then(|h| matters.get(&h).map(|m| m.status.name()))
            .unwrap_or_default()
            .into(),
        Body::Charter(c) | Body::CityCharter(proto::CityCharter { charter: Some(c) }) => state
            .charters
            .values()
            .find(|o| o.verifier_key == c.verifier_key || o.verifier_key == c.new_verifier_key)
            .map(|o| if o.revoked { "revoked" } else { "admitted" })
            .unwrap_or_default()
            .into(),
        _ => state
            .topics
            .get(id)
            .map(|t| t.status.name().to_string())
            .unwrap_or_default(),
    }
}

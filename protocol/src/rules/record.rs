//! The record of supervision and of who is responsible: oversight of a
//! topic in its phase (事前、事中、事后) by the kinds of supervisor the case
//! study names, with the bodies of the level above invited where money is
//! spent; and the persons the party organisation designates (指定专人),
//! named by role and office. The case study: 由党组织牵头组织“两代表一委员”、
//! 居民群众代表和利益相关方进行事前、事中、事后全过程监督。对涉及资金使用的，
//! 邀请上级纪检监察、财政、审计等部门参与监督。

use super::check::require;
use super::error::RuleError;
use super::names;
use super::state::{Consultation, OutcomeClass, TopicStatus};
use crate::proto::{self, designation::Duty, oversight::Phase, oversight::supervisor};

/// The bodies invited to supervise where money is spent.
pub const MONEY_BODIES: [proto::oversight::Body; 3] = [
    proto::oversight::Body::Discipline,
    proto::oversight::Body::Finance,
    proto::oversight::Body::Audit,
];

/// The largest briefing file, in bytes.
pub const MAX_BRIEFING_BYTES: u64 = 10 * 1024 * 1024;

/// Most files on one briefing record.
pub const MAX_BRIEFING_FILES: usize = 10;

/// The kinds of file a briefing may attach: what a browser shows without
/// running anything.
pub const BRIEFING_TYPES: [&str; 4] = ["application/pdf", "image/png", "image/jpeg", "text/plain"];

impl Consultation {
    /// Policy briefing materials: of a meeting that has not published its
    /// result, one to ten files, each named, of an allowed kind, at most
    /// [`MAX_BRIEFING_BYTES`], with its SHA-256.
    pub(super) fn check_briefing(&self, b: &proto::Briefing) -> Result<(), RuleError> {
        let meeting = self
            .meetings
            .get(&b.meeting_id)
            .ok_or_else(|| RuleError::Unknown {
                kind: "meeting",
                id: b.meeting_id.clone(),
            })?;
        if meeting.is_complete() {
            return Err(RuleError::StepOutOfOrder {
                meeting: b.meeting_id.clone(),
                expected: "none",
                got: "a briefing",
            });
        }
        let record = "a briefing";
        require(record, "files", !b.files.is_empty())?;
        if b.files.len() > MAX_BRIEFING_FILES {
            return Err(RuleError::OutOfRange {
                what: "the briefing's files",
                value: b.files.len() as i64,
                max: MAX_BRIEFING_FILES as i64,
            });
        }
        for f in &b.files {
            require(record, "a file's name", !f.name.trim().is_empty())?;
            if f.sha256.len() != 32 {
                return Err(RuleError::BadCommitment("a file's SHA-256"));
            }
            if f.size == 0 || f.size > MAX_BRIEFING_BYTES {
                return Err(RuleError::OutOfRange {
                    what: "a briefing file's size",
                    value: f.size as i64,
                    max: MAX_BRIEFING_BYTES as i64,
                });
            }
            if !BRIEFING_TYPES.contains(&f.media_type.as_str()) {
                return Err(RuleError::Unspecified(
                    "a file's kind (PDF, PNG, JPEG or plain text)",
                ));
            }
        }
        Ok(())
    }

    /// Oversight in its phase: before the work (accepted, on a meeting's
    /// agenda, or classified with nothing done yet), during it (an
    /// immediate or promised item being carried out), after it (done);
    /// by supervisors of named kinds; with the three bodies where the
    /// outcome spends money.
    pub(super) fn check_oversight(&self, o: &proto::Oversight) -> Result<(), RuleError> {
        let record = "oversight";
        let topic = self.topic(&o.topic_id)?;
        let carried_out = |s| {
            matches!(
                s,
                TopicStatus::Classified(OutcomeClass::Immediate | OutcomeClass::Promised)
            )
        };
        let (fits, needs) = match Phase::try_from(o.phase) {
            Ok(Phase::Before) => (
                matches!(topic.status, TopicStatus::Accepted | TopicStatus::Scheduled)
                    || carried_out(topic.status) && topic.progress.is_empty(),
                "accepted, on a meeting's agenda, or classified with no progress yet",
            ),
            Ok(Phase::During) => (carried_out(topic.status), "immediate or promised"),
            Ok(Phase::After) => (
                matches!(topic.status, TopicStatus::Done | TopicStatus::Evaluated),
                "done",
            ),
            _ => return Err(RuleError::Unspecified("the oversight's phase")),
        };
        if !fits {
            return Err(RuleError::TopicStatus {
                topic: o.topic_id.clone(),
                status: topic.status,
                action: "oversight in this phase",
                needs,
            });
        }
        require(record, "supervisors", !o.supervisors.is_empty())?;
        for s in &o.supervisors {
            if !matches!(supervisor::Kind::try_from(s.kind), Ok(k) if k != supervisor::Kind::Unspecified)
            {
                return Err(RuleError::Unspecified("a supervisor's kind"));
            }
            require(
                record,
                "a supervisor's name or role",
                !s.name.trim().is_empty(),
            )?;
        }
        for b in &o.bodies {
            if !matches!(proto::oversight::Body::try_from(*b), Ok(k) if k != proto::oversight::Body::Unspecified)
            {
                return Err(RuleError::Unspecified("an oversight body"));
            }
        }
        let spends = topic.outcome.as_ref().is_some_and(|x| x.spends_money);
        let invited = MONEY_BODIES.iter().all(|b| o.bodies.contains(&(*b as i32)));
        if spends && !invited {
            return Err(RuleError::Missing {
                record: "oversight of money spent",
                field: "the discipline-inspection, finance and audit bodies",
            });
        }
        Ok(())
    }

    /// A designated person: a duty, a role and an office, for a topic where
    /// the duty applies — drafting the plan of one to be consulted on,
    /// coordinating a dispute, following a matter sent up.
    pub(super) fn check_designation(&self, d: &proto::Designation) -> Result<(), RuleError> {
        let record = "a designation";
        require(record, "a role", !d.role.trim().is_empty())?;
        require(record, "an office", !d.office.trim().is_empty())?;
        let topic = self.topic(&d.subject)?;
        let (fits, action, needs) = match Duty::try_from(d.duty) {
            Ok(Duty::PlanDrafter) => (
                matches!(topic.status, TopicStatus::Accepted | TopicStatus::Scheduled),
                "designating who drafts the plan",
                "accepted or on a meeting's agenda",
            ),
            Ok(Duty::DisputeCoordinator) => (
                matches!(topic.status, TopicStatus::Referred | TopicStatus::Unsettled)
                    || topic.referred_ms.is_some(),
                "designating who coordinates a dispute",
                "referred",
            ),
            Ok(Duty::MatterFollower) => (
                topic.escalated_ms.is_some(),
                "designating who follows a matter",
                "escalated",
            ),
            _ => return Err(RuleError::Unspecified("the designation's duty")),
        };
        if !fits {
            return Err(RuleError::TopicStatus {
                topic: d.subject.clone(),
                status: topic.status,
                action,
                needs,
            });
        }
        Ok(())
    }
}

/// A name of the oversight and designation tables, in Chinese.
pub fn zh(name: &str) -> &'static str {
    match name {
        "before" => "事前",
        "during" => "事中",
        "after" => "事后",
        "deputy" => "人大代表",
        "cppcc-member" => "政协委员",
        "resident-representative" => "居民群众代表",
        "stakeholder" => "利益相关方",
        "discipline" => "纪检监察",
        "finance" => "财政",
        "audit" => "审计",
        "plan-drafter" => "拟定协商方案",
        "dispute-coordinator" => "纠纷协调",
        "matter-follower" => "上报事项跟踪协调",
        _ => "",
    }
}

/// An oversight record in a line, in Chinese when `zh_names`, else with
/// the tables' names: phase, who (of which kind), the bodies, the note.
pub fn describe(o: &proto::Oversight, zh_names: bool) -> String {
    let say = |name: &'static str| if zh_names { zh(name) } else { name };
    let who: Vec<String> = o
        .supervisors
        .iter()
        .map(|s| format!("{}（{}）", s.name, say(names::supervisor_kind_name(s.kind))))
        .collect();
    let bodies: Vec<&str> = o
        .bodies
        .iter()
        .map(|b| say(names::oversight_body_name(*b)))
        .collect();
    let mut line = format!("{} · {}", say(names::phase_name(o.phase)), who.join("、"));
    if !bodies.is_empty() {
        line.push_str(&format!(" · {}", bodies.join("、")));
    }
    if !o.note.is_empty() {
        line.push_str(&format!(" · {}", o.note));
    }
    line
}

/// A designated person in a line: the duty, the role, the office.
pub fn designated(d: &proto::Designation, zh_names: bool) -> String {
    let duty = names::duty_name(d.duty);
    let duty = if zh_names { zh(duty) } else { duty };
    format!("{duty}：{}（{}）", d.role, d.office)
}

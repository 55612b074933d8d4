//! Topics both ways (议题双向提出) and the street's joint meeting
//! (协商联席会议): an office puts a topic on the agenda of an office it
//! chartered (an [`proto::Assignment`]), which accepts it as a topic or
//! declines it with a reason ([`proto::AssignmentReply`]); a street's joint
//! meeting has standing members (驻地单位, “两新”组织) who may propose topics
//! to it ([`proto::StandingMember`], [`proto::MemberProposal`]), and studies
//! major matters on a schedule ([`proto::StudySchedule`], 重大事项定期研究),
//! as a community consults on the 11th.
//!
//! The checks here see one ledger. That a reply answers an assignment that
//! exists, addressed to the replying office, is [`reply_fits`]: the node
//! looks the assignment up in the ledger it holds and asks.

use super::calendar::Date;
use super::check::require;
use super::error::RuleError;
use super::state::{Consultation, Position, TopicStatus};
use crate::proto::{self, standing_member::Kind};

/// The log key an assignment names, if it is one.
pub fn assigned_to(a: &proto::Assignment) -> Option<crate::LogKey> {
    crate::LogKey::try_from(a.office.as_slice()).ok()
}

/// Whether `reply`, by the office `own`, answers `assignment` (the entry
/// its reference names, by the office `from`): the same id, addressed to
/// `own`.
pub fn reply_fits(
    assignment: &proto::Assignment,
    reply: &proto::AssignmentReply,
    own: &crate::LogKey,
) -> Result<(), RuleError> {
    if assignment.id != reply.assignment_id || assigned_to(assignment).as_ref() != Some(own) {
        return Err(RuleError::Unknown {
            kind: "assignment to this office",
            id: reply.assignment_id.clone(),
        });
    }
    Ok(())
}

/// The next day on or after `today` that `schedule` studies major matters.
pub fn next_study(schedule: &proto::StudySchedule, today: Date) -> Option<Date> {
    // At most a year ahead: every month is tried once. Days run to 28, so
    // each exists in every month.
    let start = today.year * 12 + today.month as i32 - 1;
    (0..=12).find_map(|ahead| {
        let index = start + ahead;
        let candidate = Date {
            year: index.div_euclid(12),
            month: index.rem_euclid(12) as u32 + 1,
            day: schedule.day,
        };
        (schedule.months.contains(&candidate.month) && candidate >= today).then_some(candidate)
    })
}

impl Consultation {
    pub(super) fn check_assignment(&self, a: &proto::Assignment) -> Result<(), RuleError> {
        require("an assignment", "an id", !a.id.trim().is_empty())?;
        require("an assignment", "a title", !a.title.trim().is_empty())?;
        if self.assignments.contains_key(&a.id) {
            return Err(RuleError::Duplicate {
                kind: "assignment",
                id: a.id.clone(),
            });
        }
        let admitted = assigned_to(a)
            .and_then(|log| self.charters.get(&log))
            .is_some_and(|c| !c.revoked);
        if !admitted {
            return Err(RuleError::Unknown {
                kind: "admitted office",
                id: hex::encode(&a.office),
            });
        }
        if !matches!(proto::Category::try_from(a.category), Ok(c) if c != proto::Category::Unspecified)
        {
            return Err(RuleError::Unspecified("the assignment's category"));
        }
        if !matches!(proto::Scale::try_from(a.scale), Ok(s) if s != proto::Scale::Unspecified) {
            return Err(RuleError::Unspecified("the assignment's scale"));
        }
        if !a.reply_by.is_empty() {
            Date::parse(&a.reply_by)?;
        }
        Ok(())
    }

    /// A reply, as one ledger sees it: once per assignment; accepted, it
    /// names the topic just proposed for it, which no other reply names;
    /// declined, it says why.
    pub(super) fn check_reply(&self, r: &proto::AssignmentReply) -> Result<(), RuleError> {
        let from = r
            .assignment
            .as_ref()
            .and_then(|e| crate::LogKey::try_from(e.log.as_slice()).ok())
            .ok_or(RuleError::Unspecified("the assignment's entry"))?;
        require(
            "a reply",
            "the assignment's id",
            !r.assignment_id.is_empty(),
        )?;
        if self.replies.contains_key(&(from, r.assignment_id.clone())) {
            return Err(RuleError::Duplicate {
                kind: "reply to assignment",
                id: r.assignment_id.clone(),
            });
        }
        if !r.accepted {
            return require(
                "declining an assignment",
                "a reason",
                !r.reason.trim().is_empty(),
            );
        }
        let topic = self.topic(&r.topic_id)?;
        let taken = self.replies.values().any(|(_, x)| x.topic_id == r.topic_id);
        if topic.status != TopicStatus::Proposed || taken {
            return Err(RuleError::TopicStatus {
                topic: r.topic_id.clone(),
                status: topic.status,
                action: "accepting an assignment",
                needs: "proposed",
            });
        }
        Ok(())
    }

    pub(super) fn check_member(&self, m: &proto::StandingMember) -> Result<(), RuleError> {
        require("a standing member", "an id", !m.id.trim().is_empty())?;
        require("a standing member", "a name", !m.name.trim().is_empty())?;
        if !matches!(Kind::try_from(m.kind), Ok(k) if k != Kind::Unspecified) {
            return Err(RuleError::Unspecified("the standing member's kind"));
        }
        Ok(())
    }

    pub(super) fn check_member_proposal(&self, p: &proto::MemberProposal) -> Result<(), RuleError> {
        let member = self
            .members
            .get(&p.member_id)
            .ok_or_else(|| RuleError::Unknown {
                kind: "standing member",
                id: p.member_id.clone(),
            })?;
        if member.withdrawn {
            return Err(RuleError::ParticipantWithdrawn(p.member_id.clone()));
        }
        let topic = self.topic(&p.topic_id)?;
        if topic.status != TopicStatus::Proposed || self.member_topics.contains_key(&p.topic_id) {
            return Err(RuleError::TopicStatus {
                topic: p.topic_id.clone(),
                status: topic.status,
                action: "a member's proposal",
                needs: "proposed",
            });
        }
        Ok(())
    }

    pub(super) fn check_study(s: &proto::StudySchedule) -> Result<(), RuleError> {
        if !(1..=28).contains(&s.day) {
            return Err(RuleError::OutOfRange {
                what: "the study day",
                value: i64::from(s.day),
                max: 28,
            });
        }
        let ascending = s.months.windows(2).all(|w| w[0] < w[1]);
        let valid = s.months.iter().all(|m| (1..=12).contains(m));
        if s.months.is_empty() || !ascending || !valid {
            return Err(RuleError::Unspecified(
                "the study months (1 to 12, each once, in order)",
            ));
        }
        Ok(())
    }

    pub(super) fn apply_reply(&mut self, r: &proto::AssignmentReply, at: Position) {
        let from = r
            .assignment
            .as_ref()
            .and_then(|e| crate::LogKey::try_from(e.log.as_slice()).ok());
        if let Some(from) = from {
            self.replies
                .insert((from, r.assignment_id.clone()), (at, r.clone()));
        }
    }
}

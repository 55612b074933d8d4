//! The actions of topics both ways (议题双向提出): assigning a topic to an
//! office below, answering an assignment from above, and the street joint
//! meeting's standing members. See `yiyi_protocol::rules::joint`.

use yiyi_protocol::api::{Assign, Member, Reply, Study};
use yiyi_protocol::proto::{self, entry::Body};
use yiyi_protocol::rules::{Date, RuleError, names};

use super::ActionError;
use crate::escalation::DeskError;
use crate::office::{Office, OfficeError};
use crate::store::LogKey;

/// The assignment: the office asked is named as its charter names it, or
/// by its log key.
pub(super) async fn assign(office: &Office, a: Assign) -> Result<Body, ActionError> {
    let named = a.office.trim().to_owned();
    let to = match named.parse::<LogKey>() {
        Ok(log) => Some(log),
        Err(_) => {
            office
                .read(|s| {
                    s.charters
                        .iter()
                        .find(|(_, c)| !c.revoked && c.name == named)
                        .map(|(log, _)| *log)
                })
                .await
        }
    };
    let to = to.ok_or_else(|| {
        OfficeError::from(RuleError::Unknown {
            kind: "admitted office",
            id: named.clone(),
        })
    })?;
    if !a.reply_by.is_empty() {
        Date::parse(&a.reply_by)?;
    }
    Ok(Body::Assignment(proto::Assignment {
        id: a.id,
        office: to.to_vec(),
        title: a.title,
        summary: a.summary,
        category: names::category(&a.category)?,
        sub_item: a.sub_item,
        scale: names::scale(&a.scale)?,
        reply_by: a.reply_by,
    }))
}

/// The answer to an assignment held: accepted, the topic it becomes (from
/// the assignment's title, summary, category and scale; its sub-item if
/// this office's catalogue lists it) and then the answer naming it;
/// declined, the answer with the reason.
pub(super) async fn reply(office: &Office, r: Reply) -> Result<Vec<Body>, ActionError> {
    let from = match &r.from {
        Some(from) => from.parse::<LogKey>()?,
        None => office
            .parent()
            .ok_or(OfficeError::Desk(DeskError::NoParent))?,
    };
    let unknown = || {
        OfficeError::from(RuleError::Unknown {
            kind: "assignment to this office",
            id: r.assignment.clone(),
        })
    };
    let (at, assignment) = office
        .matters()
        .assignment(&from, &r.assignment)
        .ok_or_else(unknown)?;
    let mut reply = proto::AssignmentReply {
        assignment: Some(at.entry_ref(&from)),
        assignment_id: assignment.id.clone(),
        title: assignment.title.clone(),
        accepted: r.accept,
        topic_id: String::new(),
        reason: r.reason,
    };
    if !r.accept {
        return Ok(vec![Body::AssignmentReply(reply)]);
    }
    let id = r
        .topic
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| format!("T-{}", assignment.id));
    let listed = office
        .read(|s| {
            s.catalogue
                .get(&(assignment.category, assignment.sub_item.clone()))
                .is_some_and(|c| !c.withdrawn)
        })
        .await;
    let topic = proto::Topic {
        id: id.clone(),
        title: assignment.title,
        summary: assignment.summary,
        category: assignment.category,
        sub_item: if listed {
            assignment.sub_item
        } else {
            String::new()
        },
        scale: assignment.scale,
        source: proto::topic::Source::StreetJointMeeting as i32,
        raised_by_commitment: Vec::new(),
        reopens: String::new(),
    };
    reply.topic_id = id;
    Ok(vec![Body::Topic(topic), Body::AssignmentReply(reply)])
}

/// A standing member of the joint meeting.
pub(super) fn member(m: Member) -> Result<Body, ActionError> {
    Ok(Body::StandingMember(proto::StandingMember {
        id: m.id,
        name: m.name,
        kind: names::member_kind(&m.kind)?,
        withdrawn: m.withdrawn,
    }))
}

/// The joint meeting's study schedule; no months given is every month.
pub(super) fn study(s: Study) -> Body {
    let mut months = if s.months.is_empty() {
        (1..=12).collect()
    } else {
        s.months
    };
    months.sort_unstable();
    months.dedup();
    Body::StudySchedule(proto::StudySchedule {
        day: s.day,
        months,
        place: s.place,
    })
}

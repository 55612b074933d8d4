//! Topics both ways (议题双向提出) in the API: the topics this office put on
//! the agendas of the offices below and their answers, those put on its own
//! by the office above; and a street's joint meeting (协商联席会议) — its
//! standing members, the topics they proposed, its study schedule. All of
//! it is in the ledgers, so all of it is public.

use std::sync::Arc;

use axum::extract::{Query, State};
use serde_json::{Value, json};
use yiyi_protocol::rules::joint::{assigned_to, next_study};
use yiyi_protocol::rules::{Date, names};

use super::day::OnQuery;
use super::error::ApiResult;
use super::state::ApiState;
use crate::matters::Assigned;

/// One assignment as the API shows it, judged on `on`: waiting past its
/// `reply_by` is `late`.
pub(crate) fn assignment_json(state: &ApiState, a: &Assigned, on: Date) -> Value {
    let to = assigned_to(&a.assignment);
    let name = |log: Option<&crate::LogKey>| log.map(|l| state.office.name_of(l));
    let reply = a.reply.as_ref().map(|(by, at, r)| {
        json!({
            "by": by.to_string(),
            "accepted": r.accepted,
            "topic": r.topic_id,
            "reason": r.reason,
            "date": Date::in_shanghai(at.time_ms).to_string(),
            "entry": at.hash.to_hex(),
        })
    });
    let late = a.reply.is_none() && Date::parse(&a.assignment.reply_by).is_ok_and(|last| on > last);
    json!({
        "id": a.assignment.id,
        "from": a.from.to_string(),
        "from_name": state.office.name_of(&a.from),
        "to": to.map(|l| l.to_string()),
        "to_name": name(to.as_ref()),
        "title": a.assignment.title,
        "summary": a.assignment.summary,
        "category": names::category_name(a.assignment.category),
        "scale": names::scale_name(a.assignment.scale),
        "reply_by": a.assignment.reply_by,
        "date": Date::in_shanghai(a.at.time_ms).to_string(),
        "entry": a.at.hash.to_hex(),
        "reply": reply,
        "late": late,
    })
}

/// `GET /api/v1/assignments`: `sent` (by this office, with each answer)
/// and `received` (to it); `?on=` judges `late`.
pub(super) async fn list(
    State(state): State<Arc<ApiState>>,
    Query(q): Query<OnQuery>,
) -> ApiResult {
    let on = q.day()?;
    let own = state.office.store().own_log();
    let all = state.office.matters().assignments();
    let (mut sent, mut received) = (Vec::new(), Vec::new());
    for a in &all {
        if a.from == own {
            sent.push(assignment_json(&state, a, on));
        } else if assigned_to(&a.assignment) == Some(own) {
            received.push(assignment_json(&state, a, on));
        }
    }
    Ok(axum::Json(json!({ "sent": sent, "received": received })))
}

/// `GET /api/v1/joint-meeting`: a street's standing members, the topics
/// each proposed, and when it next studies major matters.
pub(super) async fn joint_meeting(
    State(state): State<Arc<ApiState>>,
    Query(q): Query<OnQuery>,
) -> ApiResult {
    let on = q.day()?;
    let answer = state
        .office
        .read(|s| {
            let members: Vec<Value> = s
                .members
                .values()
                .map(|m| {
                    let topics: Vec<&String> = s
                        .member_topics
                        .iter()
                        .filter(|(_, member)| **member == m.id)
                        .map(|(topic, _)| topic)
                        .collect();
                    json!({
                        "id": m.id,
                        "name": m.name,
                        "kind": names::member_kind_name(m.kind),
                        "withdrawn": m.withdrawn,
                        "topics": topics,
                    })
                })
                .collect();
            let study = s.study.as_ref().map(|(_, schedule)| {
                json!({
                    "day": schedule.day,
                    "months": schedule.months,
                    "place": schedule.place,
                    "next": next_study(schedule, on).map(|d| d.to_string()),
                })
            });
            json!({ "members": members, "study": study })
        })
        .await;
    Ok(axum::Json(answer))
}

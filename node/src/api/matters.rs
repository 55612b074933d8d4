//! Escalated matters (上报事项) in the API: the matters an office sent or
//! has to handle, in the order to handle them; one matter's whole path
//! across levels with every signed step checked again from the ledger
//! bytes; and the district's department directory.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};
use yiyi_protocol::entry;
use yiyi_protocol::escalation::{Matter, Matters as Rules, Status};
use yiyi_protocol::rules::{Date, names};

use super::day::OnQuery;
use super::error::{ApiError, ApiResult};
use super::state::ApiState;
use crate::store::LogKey;

/// `?all=true`: every matter the node has seen, not only this office's;
/// `?on=YYYY-MM-DD`: the day deadlines are judged on (see [`OnQuery`]).
#[derive(Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    all: bool,
    #[serde(default)]
    on: Option<String>,
}

fn office(state: &ApiState, log: &LogKey) -> Value {
    json!({ "log": log.to_string(), "name": state.office.name_of(log) })
}

/// `m` as the API shows it, judged on `today`; `all` is every matter
/// (read under the one lock the caller holds: the departments' names, the
/// time limits).
fn matter_json(state: &ApiState, all: &Rules, m: &Matter, today: Date) -> Value {
    let outbox = state.office.outbox();
    let (reason, result) = match &m.status {
        Status::Returned(reason) => (reason.clone(), String::new()),
        Status::Resolved(result) => (String::new(), result.clone()),
        _ => (String::new(), String::new()),
    };
    let department_name = |id: &str| {
        all.departments(&m.to)
            .find(|d| d.id == id)
            .map(|d| d.name.clone())
            .unwrap_or_default()
    };
    let due = all.due(m);
    let departments: Vec<Value> = match &m.status {
        Status::Dispatched { departments } => departments
            .iter()
            .map(|(id, done)| json!({ "id": id, "name": department_name(id), "resolved": done }))
            .collect(),
        _ => Vec::new(),
    };
    json!({
        "id": m.id.to_hex(),
        "escalation_id": m.escalation.id,
        "topic": m.escalation.topic_id,
        "result": m.escalation.result,
        "proposed_solution": m.escalation.proposed_solution,
        "from": office(state, &m.from),
        "to": office(state, &m.to),
        "status": m.status.name(),
        "reason": reason,
        "resolution": result,
        "resolutions": m.resolutions.iter().map(|(d, r)| json!({
            "department": d,
            "department_name": department_name(d),
            "result": r,
        })).collect::<Vec<_>>(),
        "departments": departments,
        "priority": names::priority_name(m.priority),
        "deadline": m.deadline.map(|d| d.to_string()),
        // The last day of the step it waits for, under the time limits of
        // the office it waits on (its deadline, if one was set).
        "due": due.map(|d| d.to_string()),
        "overdue": due.is_some_and(|last| today > last),
        "sent_ms": m.steps[0].at.time_ms,
        "forwards": m.forwards.map(|h| h.to_hex()),
        // Taken in at the district's 12345 desk, not sent up.
        "direct": m.direct,
        "coordination": m.meetings.iter().map(|c| json!({
            "date": c.date,
            "departments": c.department_ids.iter().map(|d| department_name(d)).collect::<Vec<_>>(),
            "conclusion": c.conclusion,
        })).collect::<Vec<_>>(),
        "returned": m.returned.iter().map(|(d, reason)| json!({
            "department": d,
            "department_name": department_name(d),
            "reason": reason,
        })).collect::<Vec<_>>(),
        "awaiting_receipt": outbox.is_waiting(&m.id).unwrap_or(false),
        "receipt_held": outbox.receipt(&m.id).ok().flatten().is_some(),
    })
}

/// The matters this office sent or has to handle: those addressed to it
/// first, by priority and age, then those it sent, newest first.
pub(super) async fn list(
    State(state): State<Arc<ApiState>>,
    Query(query): Query<ListQuery>,
) -> ApiResult {
    let today = OnQuery::from(query.on.clone()).day()?;
    let own = state.office.store().own_log();
    let list = state.office.matters().with(|all| {
        let mut list: Vec<Value> = all
            .queue(&own)
            .into_iter()
            .map(|m| matter_json(&state, all, m, today))
            .collect();
        let mut rest: Vec<&Matter> = all
            .all()
            .filter(|x| {
                let queued = x.to == own && list.iter().any(|v| v["id"] == x.id.to_hex());
                !queued && (query.all || x.from == own || x.to == own)
            })
            .collect();
        rest.sort_by_key(|x| std::cmp::Reverse(x.steps[0].at.time_ms));
        list.extend(rest.into_iter().map(|m| matter_json(&state, all, m, today)));
        list
    });
    Ok(axum::Json(json!({ "matters": list })))
}

/// One matter's whole path, each signed step checked again.
pub(super) async fn show(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    Query(on): Query<OnQuery>,
) -> ApiResult {
    let today = on.day()?;
    let store = state.office.store();
    let path = state.office.matters().with(|all| {
        let found = all
            .find(&id, None)
            .map_err(|e| ApiError::not_found(e.to_string()))?;
        Ok::<_, ApiError>(
            all.path(&found.id)
                .into_iter()
                .map(|m| (m.clone(), matter_json(&state, all, m, today)))
                .collect::<Vec<_>>(),
        )
    })?;
    let first = path.first().map(|(m, _)| m.id.to_hex());
    let mut hops = Vec::new();
    for (matter, mut hop) in path {
        let mut steps = Vec::new();
        for step in &matter.steps {
            // Read the signed bytes again: the step verifies when they are
            // there, the signature checks, and they hash to what the path
            // recorded.
            let (verifies, key) = match store.entry(&step.log, step.at.sequence)? {
                Some(bytes) => match entry::verify(&bytes) {
                    Ok(v) => (
                        v.hash == step.at.hash && v.author() == step.log.as_slice(),
                        hex::encode(v.author()),
                    ),
                    Err(_) => (false, String::new()),
                },
                // A delivered escalation not replicated yet.
                None => (false, String::new()),
            };
            steps.push(json!({
                "action": step.kind.name(),
                "office": office(&state, &step.log),
                "signed_by": key,
                "sequence": step.at.sequence,
                "hash": step.at.hash.to_hex(),
                "time_ms": step.at.time_ms,
                "verifies": verifies,
            }));
        }
        hop["steps"] = Value::Array(steps);
        hops.push(hop);
    }
    Ok(axum::Json(json!({ "id": first, "path": hops })))
}

/// The department directory of this node's district (its own, if it is
/// the district).
pub(super) async fn departments(State(state): State<Arc<ApiState>>) -> ApiResult {
    let district = state.members.with(|f| f.district());
    let list: Vec<Value> = state.office.matters().with(|m| {
        m.departments(&district)
            .map(|d| json!({ "id": d.id, "name": d.name, "handles": d.handles }))
            .collect()
    });
    Ok(axum::Json(
        json!({ "district": office(&state, &district), "departments": list }),
    ))
}

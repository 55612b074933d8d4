//! Escalated matters at the console (上报事项): the community sends a
//! suggestion up from its topic's page; the street (or district) decides
//! what reaches it — handle it, return it with a reason, or forward it up —
//! the secretary's decision; the district dispatches to its departments
//! (派单), and the results are recorded (办结).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::escalation::Status;
use yiyi_protocol::rules::{Date, names};

use super::gate::gate;
use super::page::{LangQuery, english, form_session, render, signed_in, status_for};
use super::session::Session;
use super::write::write;
use crate::api::state::ApiState;
use crate::staff::Permission;

/// A matter as the queue shows it.
pub(super) struct Queued {
    id: String,
    escalation_id: String,
    from: String,
    result: String,
    proposed: String,
    priority: &'static str,
    status: &'static str,
    overdue: bool,
    /// Received and not yet decided.
    open: bool,
    /// Accepted here: its result is this office's to record.
    accepted: bool,
    /// Dispatched: the departments that have not reported (id, name).
    pending: Vec<(String, String)>,
}

impl Queued {
    /// Whether it still waits for this office.
    pub(super) fn is_open(&self) -> bool {
        self.open
    }
}

fn status_zh(status: &Status, en: bool) -> &'static str {
    let (zh, en_name) = match status {
        Status::Sent => ("已上报", "sent"),
        Status::Received => ("已签收，待决定", "received"),
        Status::Accepted => ("自行办理中", "accepted"),
        Status::Returned(_) => ("已退回", "returned"),
        Status::Forwarded => ("已转报", "forwarded"),
        Status::Dispatched { .. } => ("已派单", "dispatched"),
        Status::Resolved(_) => ("已办结", "resolved"),
    };
    if en { en_name } else { zh }
}

fn priority_zh(priority: i32, en: bool) -> &'static str {
    let name = names::priority_name(priority);
    if en {
        return name;
    }
    match name {
        "urgent" => "紧急",
        "important" => "重要",
        _ => "一般",
    }
}

/// The matters addressed to this office, in the order to handle them.
pub(super) fn queue(state: &ApiState, en: bool) -> Vec<Queued> {
    let own = state.office.store().own_log();
    let today = Date::in_shanghai(crate::now_ms());
    state.office.matters().with(|all| {
        let department = |id: &str| {
            all.departments(&own)
                .find(|d| d.id == id)
                .map_or_else(|| id.to_owned(), |d| d.name.clone())
        };
        all.queue(&own)
            .into_iter()
            .map(|m| Queued {
                id: m.id.to_hex(),
                escalation_id: m.escalation.id.clone(),
                from: state.office.name_of(&m.from),
                result: m.escalation.result.clone(),
                proposed: m.escalation.proposed_solution.clone(),
                priority: priority_zh(m.priority, en),
                status: status_zh(&m.status, en),
                overdue: m.overdue(today),
                // A matter replicated before its delivery is not signed for yet:
                // it is decided once received.
                open: m.status == Status::Received,
                accepted: m.status == Status::Accepted,
                pending: match &m.status {
                    Status::Dispatched { departments } => departments
                        .iter()
                        .filter(|(_, done)| !**done)
                        .map(|(id, _)| (id.clone(), department(id)))
                        .collect(),
                    _ => Vec::new(),
                },
            })
            .collect()
    })
}

#[derive(Template)]
#[template(path = "console/matters.html")]
struct MattersPage {
    en: bool,
    office: String,
    csrf: String,
    may_decide: bool,
    may_record: bool,
    /// The district's department directory (id, name): it dispatches.
    departments: Vec<(String, String)>,
    queue: Vec<Queued>,
    error: Option<String>,
}

async fn page(state: &ApiState, session: &Session, en: bool, error: Option<String>) -> Response {
    let status = status_for(&error);
    let page = MattersPage {
        en,
        office: state.office_name().await,
        csrf: session.csrf.clone(),
        may_decide: session.role.may(Permission::Decide),
        may_record: session.role.may(Permission::Record),
        departments: {
            let own = state.office.store().own_log();
            state.office.matters().with(|m| {
                m.departments(&own)
                    .map(|d| (d.id.clone(), d.name.clone()))
                    .collect()
            })
        },
        queue: queue(state, en),
        error,
    };
    render(page, &LangQuery::default(), status)
}

pub(super) async fn matters(
    State(state): State<Arc<ApiState>>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let session = match signed_in(&state, &headers, false) {
        Ok(session) => session,
        Err(to) => return to.into_response(),
    };
    page(&state, &session, english(&headers, &query), None).await
}

#[derive(Deserialize)]
pub(super) struct DecideForm {
    #[serde(default)]
    csrf: String,
    matter: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    deadline: String,
}

/// The secretary's decision on a matter that reached this office.
pub(super) async fn decide(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Form(form): Form<DecideForm>,
) -> Response {
    let session = match form_session(&state, &headers, &form.csrf) {
        Ok(session) => session,
        Err(refused) => return refused.into_response(),
    };
    let action = Action::Decide(api::Decide {
        matter: form.matter,
        decision: form.decision,
        reason: form.reason.trim().to_owned(),
        deadline: form.deadline.trim().to_owned(),
    });
    back_to_queue(&state, &headers, &session, Permission::Decide, action).await
}

#[derive(Deserialize)]
pub(super) struct EscalateForm {
    #[serde(default)]
    csrf: String,
    topic: String,
    #[serde(default)]
    priority: String,
}

/// A suggestion sent up to the parent office (上报), from its topic's page.
pub(super) async fn escalate(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Form(form): Form<EscalateForm>,
) -> Response {
    let session = match form_session(&state, &headers, &form.csrf) {
        Ok(session) => session,
        Err(refused) => return refused.into_response(),
    };
    let action = Action::Escalate(api::Escalate {
        topic: form.topic.clone(),
        priority: (!form.priority.is_empty()).then_some(form.priority),
    });
    gate(
        &state,
        &headers,
        session,
        &form.topic,
        Permission::Record,
        action,
    )
    .await
}

/// The district dispatches a matter to one department or a coordination
/// group of several (派单); the departments are the form's checked boxes.
pub(super) async fn dispatch(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    axum::extract::RawForm(body): axum::extract::RawForm,
) -> Response {
    let fields: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let session = match form_session(&state, &headers, &value("csrf")) {
        Ok(session) => session,
        Err(refused) => return refused.into_response(),
    };
    let departments = fields
        .iter()
        .filter(|(k, _)| k == "department")
        .map(|(_, v)| v.clone())
        .collect();
    let action = Action::Dispatch(api::Dispatch {
        matter: value("matter"),
        departments,
        priority: None,
    });
    back_to_queue(&state, &headers, &session, Permission::Decide, action).await
}

#[derive(Deserialize)]
pub(super) struct ResolveForm {
    #[serde(default)]
    csrf: String,
    matter: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    result: String,
}

/// The result a department (or this office itself) reports (办结).
pub(super) async fn resolve(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Form(form): Form<ResolveForm>,
) -> Response {
    let session = match form_session(&state, &headers, &form.csrf) {
        Ok(session) => session,
        Err(refused) => return refused.into_response(),
    };
    let action = Action::Resolve(api::Resolve {
        matter: form.matter,
        result: form.result.trim().to_owned(),
        department: form.department,
    });
    back_to_queue(&state, &headers, &session, Permission::Record, action).await
}

/// Writes `action` from the queue; back to it, or it with the refusal.
async fn back_to_queue(
    state: &ApiState,
    headers: &HeaderMap,
    session: &Session,
    needs: Permission,
    action: Action,
) -> Response {
    match write(state, session, needs, action).await {
        Ok(_) => Redirect::to("/office/matters").into_response(),
        Err(e) => {
            let en = english(headers, &LangQuery::default());
            page(state, session, en, Some(e.say(en))).await
        }
    }
}

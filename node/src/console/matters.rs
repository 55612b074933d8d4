//! Escalated matters at the console (上报事项): the community sends a
//! suggestion up from its topic's page; the street (or district) decides
//! what reaches it — handle it, return it with a reason, or forward it up —
//! the secretary's decision; the district dispatches to its departments
//! (派单), and the results are recorded (办结).

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::escalation::Status;
use yiyi_protocol::rules::{Date, names};

use super::gate::on_topic;
use super::page::{Desk, Feedback, Posted, render};
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
    /// The deadline set when it was decided, if any.
    deadline: String,
    overdue: bool,
    /// The offices it came through, the first where it was consulted on.
    path: Vec<String>,
    /// Received and not yet decided.
    open: bool,
    /// Accepted here: its result is this office's to record.
    accepted: bool,
    /// Dispatched: the departments that have not reported (id, name).
    pending: Vec<(String, String)>,
    /// Taken in at this desk (12345), not sent up: dispatched, not decided.
    direct: bool,
    /// Dispatched to a coordination group: its joint meeting is recorded.
    group: bool,
    /// The departments of the current dispatch that have reported (id,
    /// name): their results may be returned (退单/改派).
    reported: Vec<(String, String)>,
    /// The coordination group's meetings: day and conclusion.
    meetings: Vec<(String, String)>,
    /// Results returned: department and why.
    returned: Vec<(String, String)>,
}

impl Queued {
    /// Whether it still waits for this office.
    pub(super) fn is_open(&self) -> bool {
        self.open
    }

    /// What Today lists of it: its id, where it came from, its deadline.
    pub(super) fn summary(self) -> (String, String, String) {
        (self.escalation_id, self.from, self.deadline)
    }
}

pub(super) fn status_zh(status: &Status, en: bool) -> &'static str {
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
    listed(state, en, false)
}

/// How long a resolved matter stays on the desk's page, where its
/// departments' results can still be returned.
const RETURNABLE_DAYS: i64 = 30;

/// The matters addressed to this office: those open, in the order to
/// handle them; with `resolved`, instead those dispatched and resolved in
/// the last [`RETURNABLE_DAYS`], newest first.
fn listed(state: &ApiState, en: bool, resolved: bool) -> Vec<Queued> {
    let own = state.office.store().own_log();
    let now = crate::now_ms();
    let today = Date::in_shanghai(now);
    state.office.matters().with(|all| {
        let department = |id: &str| {
            all.departments(&own)
                .find(|d| d.id == id)
                .map_or_else(|| id.to_owned(), |d| d.name.clone())
        };
        let chosen: Vec<&yiyi_protocol::escalation::Matter> = if resolved {
            let since = now - RETURNABLE_DAYS * 86_400_000;
            let mut done: Vec<_> = all
                .all()
                .filter(|m| {
                    m.to == own
                        && matches!(m.status, Status::Resolved(_))
                        && !m.round.is_empty()
                        && m.steps.last().is_some_and(|s| s.at.time_ms >= since)
                })
                .collect();
            done.sort_by_key(|m| std::cmp::Reverse(m.steps.last().map(|s| s.at.time_ms)));
            done
        } else {
            all.queue(&own)
        };
        chosen
            .into_iter()
            .map(|m| Queued {
                id: m.id.to_hex(),
                escalation_id: m.escalation.id.clone(),
                from: state.office.name_of(&m.from),
                result: m.escalation.result.clone(),
                proposed: m.escalation.proposed_solution.clone(),
                priority: priority_zh(m.priority, en),
                status: status_zh(&m.status, en),
                deadline: m.deadline.map(|d| d.to_string()).unwrap_or_default(),
                overdue: all.overdue(m, today),
                path: {
                    // Back along the forwards to the office that consulted.
                    let mut path = vec![state.office.name_of(&m.from)];
                    let mut at = m.forwards;
                    while let Some(earlier) = at.and_then(|h| all.all().find(|x| x.id == h))
                        && path.len() < 8
                    {
                        path.insert(0, state.office.name_of(&earlier.from));
                        at = earlier.forwards;
                    }
                    path
                },
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
                direct: m.direct,
                group: matches!(&m.status, Status::Dispatched { departments } if departments.len() > 1),
                reported: m
                    .round
                    .iter()
                    .filter(|(_, done)| **done)
                    .map(|(id, _)| (id.clone(), department(id)))
                    .collect(),
                meetings: m
                    .meetings
                    .iter()
                    .map(|c| (c.date.clone(), c.conclusion.clone()))
                    .collect(),
                returned: m
                    .returned
                    .iter()
                    .map(|(d, why)| (department(d), why.clone()))
                    .collect(),
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
    /// The open matters, then those resolved lately after a dispatch
    /// (whose results may still be returned).
    queue: Vec<Queued>,
    /// A district's (or city's): its 12345 desk takes matters in directly.
    desk: bool,
    /// The intake form, filled in from a resident's concern: its number,
    /// a title, the summary, where it came from.
    concern: Option<(u64, String, String, &'static str)>,
    feedback: Feedback,
}

async fn page(state: &ApiState, desk: &Desk, feedback: Feedback) -> Response {
    page_with(state, desk, feedback, None).await
}

async fn page_with(
    state: &ApiState,
    desk: &Desk,
    feedback: Feedback,
    concern: Option<(u64, String, String, &'static str)>,
) -> Response {
    let status = feedback.status();
    let session = &desk.session;
    let page = MattersPage {
        en: desk.en,
        office: state.office_name().await,
        csrf: session.csrf.clone(),
        may_decide: session.role.may(Permission::Decide),
        may_record: session.role.may(Permission::Record),
        departments: departments(state),
        queue: {
            let mut all = queue(state, desk.en);
            all.extend(listed(state, desk.en, true));
            all
        },
        desk: matches!(
            state.level,
            yiyi_protocol::proto::Level::District | yiyi_protocol::proto::Level::City
        ),
        concern,
        feedback,
    };
    render(page, &desk.lang, status)
}

/// The district's department directory: id, name.
pub(super) fn departments(state: &ApiState) -> Vec<(String, String)> {
    let own = state.office.store().own_log();
    state.office.matters().with(|m| {
        m.departments(&own)
            .map(|d| (d.id.clone(), d.name.clone()))
            .collect()
    })
}

/// `?concern=N`: the desk's intake form filled in from a resident's concern.
#[derive(serde::Deserialize)]
pub(super) struct FromConcern {
    concern: Option<u64>,
}

pub(super) async fn matters(
    State(state): State<Arc<ApiState>>,
    desk: Desk,
    axum::extract::Query(from): axum::extract::Query<FromConcern>,
) -> Response {
    // What the resident wrote, as the form's summary; who stays private
    // and is not put in the form.
    let concern = from
        .concern
        .and_then(|id| state.concerns.get(id).ok().flatten())
        .map(|kept| {
            let c = &kept.concern;
            let title: String = c.what.chars().take(30).collect();
            let summary = if c.place.is_empty() {
                c.what.clone()
            } else {
                format!("{}（{}）", c.what, c.place)
            };
            let source = if kept.via.is_some() {
                "open311"
            } else {
                "concern"
            };
            (kept.id, title, summary, source)
        });
    page_with(&state, &desk, Feedback::default(), concern).await
}

/// The desk takes a matter in directly (12345 直接受理); from a resident's
/// concern, the concern's receipt then names the matter.
pub(super) async fn intake(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let id = match form.given("id") {
        Some(id) => id,
        None => {
            let own = state.office.store().own_log();
            let n = state
                .office
                .matters()
                .with(|m| m.all().filter(|x| x.direct && x.to == own).count())
                + 1;
            let today = Date::in_shanghai(crate::now_ms())
                .to_string()
                .replace('-', "");
            format!("H-{today}-{n}")
        }
    };
    let action = Action::Intake(api::Intake {
        id,
        title: form.get("title"),
        summary: form.get("summary"),
        category: form.get("category"),
        source: form.get("source"),
        priority: form.given("priority"),
        raised_by: form.given("raised_by").map(serde_json::Value::String),
    });
    let concern = form.raw("concern").parse::<u64>().ok();
    let Posted { desk, form } = posted;
    match write(&state, &desk.session, Permission::Record, action).await {
        Ok(recorded) => {
            if let Some(concern) = concern
                && let Err(e) = state.concerns.to_desk(concern, &recorded.id)
            {
                tracing::error!(error = %e, concern, "marking a concern taken in at the desk");
            }
            Redirect::to("/office/matters").into_response()
        }
        Err(e) => page(&state, &desk, Feedback::refused(&e, desk.en, form)).await,
    }
}

/// The coordination group's joint meeting on a matter, and its conclusion.
pub(super) async fn coordinate(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Coordinate(api::Coordinate {
        matter: form.get("matter"),
        date: form.given("date"),
        departments: form.all("department"),
        conclusion: form.get("conclusion"),
    });
    back_to_queue(&state, posted, Permission::Decide, action).await
}

/// A department's result returned, the matter dispatched again.
pub(super) async fn redispatch(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Redispatch(api::Redispatch {
        matter: form.get("matter"),
        department: form.get("department"),
        reason: form.get("reason"),
        to: form.all("to"),
    });
    back_to_queue(&state, posted, Permission::Decide, action).await
}

/// The secretary's decision on a matter that reached this office.
pub(super) async fn decide(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Decide(api::Decide {
        matter: form.get("matter"),
        decision: form.get("decision"),
        reason: form.get("reason"),
        deadline: form.get("deadline"),
    });
    back_to_queue(&state, posted, Permission::Decide, action).await
}

/// A suggestion sent up to the parent office (上报), from its topic's page.
pub(super) async fn escalate(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Escalate(api::Escalate {
        topic: form.get("topic"),
        priority: form.given("priority"),
    });
    on_topic(&state, posted, Permission::Record, action).await
}

/// The district dispatches a matter to one department or a coordination
/// group of several (派单); the departments are the form's checked boxes.
pub(super) async fn dispatch(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Dispatch(api::Dispatch {
        matter: form.get("matter"),
        departments: form.all("department"),
        priority: None,
    });
    back_to_queue(&state, posted, Permission::Decide, action).await
}

/// The result a department (or this office itself) reports (办结).
pub(super) async fn resolve(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Resolve(api::Resolve {
        matter: form.get("matter"),
        result: form.get("result"),
        department: form.get("department"),
    });
    back_to_queue(&state, posted, Permission::Record, action).await
}

/// Writes `action` from the queue; back to it, or it with the refusal.
async fn back_to_queue(
    state: &ApiState,
    posted: Posted,
    needs: Permission,
    action: Action,
) -> Response {
    let Posted { desk, form } = posted;
    match write(state, &desk.session, needs, action).await {
        Ok(_) => Redirect::to("/office/matters").into_response(),
        Err(e) => page(state, &desk, Feedback::refused(&e, desk.en, form)).await,
    }
}

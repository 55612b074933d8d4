//! Today (今日待办): the console's first page, what the rules say is due.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use yiyi_protocol::rules::{Overdue, TopicStatus, step_name, step_zh};

use super::page::{LangQuery, english, render, signed_in, status_for};
use super::session::Session;
use crate::api::state::ApiState;
use crate::staff::Permission;

#[derive(Template)]
#[template(path = "console/today.html")]
struct TodayPage {
    en: bool,
    office: String,
    name: String,
    role: &'static str,
    csrf: String,
    may_record: bool,
    may_audit: bool,
    /// Topics waiting for gate-keeping: id and title.
    proposed: Vec<(String, String)>,
    /// Meetings with steps still to take: id, date, the next step.
    meetings: Vec<(String, String, &'static str)>,
    /// Matters addressed to this office and still open.
    matters_due: usize,
    /// Promised items overdue: id, title, why.
    overdue: Vec<(String, String, String)>,
    /// Escalated matters (sent or to handle) past their deadline: id and
    /// where they stand.
    late_matters: Vec<(String, &'static str)>,
    /// Why the last action was refused, if it was.
    error: Option<String>,
}

pub(super) async fn today(
    State(state): State<Arc<ApiState>>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let session = match signed_in(&state, &headers, false) {
        Ok(session) => session,
        Err(to) => return to.into_response(),
    };
    let en = english(&headers, &query);
    page(&state, session, en, None, &query).await
}

/// Today for `session`, with `error` if an action from it was refused.
pub(super) async fn page(
    state: &ApiState,
    session: Session,
    en: bool,
    error: Option<String>,
    query: &LangQuery,
) -> Response {
    let (proposed, meetings, overdue) = state
        .office
        .read(|s| {
            let proposed = s
                .topics
                .values()
                .filter(|t| t.status == TopicStatus::Proposed)
                .map(|t| (t.topic.id.clone(), t.topic.title.clone()))
                .collect();
            let meetings = s
                .meetings
                .values()
                .filter_map(|m| {
                    let next = m.next_step()?;
                    let label = if en { step_name(next) } else { step_zh(next) };
                    Some((m.meeting.id.clone(), m.meeting.date.clone(), label))
                })
                .collect();
            let now = crate::now_ms();
            let overdue = s
                .topics
                .values()
                .filter_map(|t| {
                    let why = match t.overdue(now)? {
                        Overdue::DeadlinePassed(d) if en => format!("deadline {d} passed"),
                        Overdue::DeadlinePassed(d) => format!("已过办理期限 {d}"),
                        Overdue::ProgressNoticeMissed(d) if en => {
                            format!("no progress notice since {d}")
                        }
                        Overdue::ProgressNoticeMissed(d) => format!("自 {d} 起未按期公示进展"),
                    };
                    Some((t.topic.id.clone(), t.topic.title.clone(), why))
                })
                .collect();
            (proposed, meetings, overdue)
        })
        .await;
    let own = state.office.store().own_log();
    let today = yiyi_protocol::rules::Date::in_shanghai(crate::now_ms());
    let late_matters = state.office.matters().with(|m| {
        m.all()
            .filter(|x| (x.to == own || x.from == own) && x.overdue(today))
            .map(|x| (x.escalation.id.clone(), x.status.name()))
            .collect()
    });
    let status = status_for(&error);
    let page = TodayPage {
        en,
        office: state.office_name().await,
        name: session.name,
        role: if en {
            session.role.name()
        } else {
            session.role.zh()
        },
        csrf: session.csrf,
        may_record: session.role.may(Permission::Record),
        may_audit: session.role.may(Permission::ManageStaff),
        proposed,
        meetings,
        matters_due: super::matters::queue(state, en)
            .iter()
            .filter(|m| m.is_open())
            .count(),
        overdue,
        late_matters,
        error,
    };
    render(page, query, status)
}

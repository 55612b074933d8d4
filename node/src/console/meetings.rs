//! Meetings at the console: scheduling a consultation (议事协商), and
//! running it as a checklist of the seven steps (七定) in their order, the
//! sign-in sheet entered on the spot — names and phones stay on the node,
//! the ledger gets the count and a commitment — and, once the result is
//! formed, each topic classified (分流分类) with what its class needs.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, RawForm, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::rules::{SEVEN_STEPS, TopicStatus, step_name, step_zh};

use super::page::{LangQuery, english, form_session, render, signed_in, status_for};
use super::session::Session;
use super::write::write;
use crate::api::state::ApiState;
use crate::staff::Permission;

/// A form's fields in order, repeated names kept (checkboxes).
fn fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// The first value of `name`, trimmed ("" if absent).
fn field(fields: &[(String, String)], name: &str) -> String {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

/// Every value of `name`.
fn all(fields: &[(String, String)], name: &str) -> Vec<String> {
    fields
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

#[derive(Template)]
#[template(path = "console/meeting_new.html")]
struct NewMeeting {
    en: bool,
    office: String,
    csrf: String,
    /// Topics waiting for consultation: id, title.
    topics: Vec<(String, String)>,
    /// The participant list: id, name.
    participants: Vec<(String, String)>,
    error: Option<String>,
}

async fn new_page(
    state: &ApiState,
    session: &Session,
    en: bool,
    error: Option<String>,
) -> Response {
    let (topics, participants) = state
        .office
        .read(|s| {
            let topics = s
                .topics
                .values()
                .filter(|t| t.status == TopicStatus::Accepted)
                .map(|t| (t.topic.id.clone(), t.topic.title.clone()))
                .collect();
            let participants = s
                .participants
                .values()
                .filter(|p| !p.record.withdrawn)
                .map(|p| (p.record.id.clone(), p.record.name.clone()))
                .collect();
            (topics, participants)
        })
        .await;
    let status = status_for(&error);
    let page = NewMeeting {
        en,
        office: state.office_name().await,
        csrf: session.csrf.clone(),
        topics,
        participants,
        error,
    };
    render(page, &LangQuery::default(), status)
}

pub(super) async fn new_meeting(
    State(state): State<Arc<ApiState>>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let session = match signed_in(&state, &headers, false) {
        Ok(session) => session,
        Err(to) => return to.into_response(),
    };
    new_page(&state, &session, english(&headers, &query), None).await
}

pub(super) async fn schedule(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    RawForm(body): RawForm,
) -> Response {
    let form = fields(&body);
    let session = match form_session(&state, &headers, &field(&form, "csrf")) {
        Ok(session) => session,
        Err(refused) => return refused.into_response(),
    };
    let id = field(&form, "id");
    let date = field(&form, "date");
    let action = Action::Meeting(api::Meeting {
        id: id.clone(),
        topics: all(&form, "topic"),
        level: None,
        form: field(&form, "form"),
        date: (!date.is_empty()).then_some(date),
        participants: all(&form, "participant"),
        place: field(&form, "place"),
        procedure: String::new(),
        communities: Vec::new(),
    });
    match write(&state, &session, Permission::Record, action).await {
        Ok(_) => Redirect::to(&format!("/office/meetings/{id}")).into_response(),
        Err(e) => {
            let en = english(&headers, &LangQuery::default());
            new_page(&state, &session, en, Some(e.say(en))).await
        }
    }
}

#[derive(Template)]
#[template(path = "console/meeting.html")]
struct MeetingPage {
    en: bool,
    office: String,
    csrf: String,
    id: String,
    date: String,
    place: String,
    topics: Vec<String>,
    /// Each of the seven steps: its name, its label, whether it is done.
    steps: Vec<(&'static str, &'static str, bool)>,
    /// The next step: its name and label.
    next: Option<(&'static str, &'static str)>,
    /// Once the result is formed: the agenda's topics not classified yet
    /// (id, title).
    to_classify: Vec<(String, String)>,
    may_record: bool,
    error: Option<String>,
}

async fn meeting_page(
    state: &ApiState,
    session: &Session,
    en: bool,
    id: &str,
    error: Option<String>,
) -> Response {
    let found = state
        .office
        .read(|s| {
            let meeting = s.meetings.get(id)?.clone();
            let formed = meeting.steps.len() >= 6;
            let to_classify = meeting
                .meeting
                .topic_ids
                .iter()
                .filter_map(|t| s.topics.get(t))
                .filter(|t| formed && t.status == TopicStatus::Scheduled)
                .map(|t| (t.topic.id.clone(), t.topic.title.clone()))
                .collect::<Vec<_>>();
            Some((meeting, to_classify))
        })
        .await;
    let Some((meeting, to_classify)) = found else {
        return (StatusCode::NOT_FOUND, "没有这个会议").into_response();
    };
    let label = |step| if en { step_name(step) } else { step_zh(step) };
    let done = meeting.steps.len();
    let status = status_for(&error);
    let page = MeetingPage {
        en,
        office: state.office_name().await,
        csrf: session.csrf.clone(),
        id: id.to_owned(),
        date: meeting.meeting.date.clone(),
        place: meeting.meeting.place.clone(),
        topics: meeting.meeting.topic_ids.clone(),
        steps: SEVEN_STEPS
            .iter()
            .enumerate()
            .map(|(i, step)| (step_name(*step), label(*step), i < done))
            .collect(),
        next: meeting.next_step().map(|s| (step_name(s), label(s))),
        to_classify,
        may_record: session.role.may(Permission::Record),
        error,
    };
    render(page, &LangQuery::default(), status)
}

pub(super) async fn meeting(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let session = match signed_in(&state, &headers, false) {
        Ok(session) => session,
        Err(to) => return to.into_response(),
    };
    meeting_page(&state, &session, english(&headers, &query), &id, None).await
}

pub(super) async fn step(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    RawForm(body): RawForm,
) -> Response {
    let form = fields(&body);
    let session = match form_session(&state, &headers, &field(&form, "csrf")) {
        Ok(session) => session,
        Err(refused) => return refused.into_response(),
    };
    let meeting = field(&form, "meeting");
    // One attendee a line; the sheet stays on the node.
    let sheet: Vec<serde_json::Value> = field(&form, "attendees")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::json!(l))
        .collect();
    let action = Action::Step(api::Step {
        meeting: meeting.clone(),
        step: field(&form, "step"),
        summary: field(&form, "summary"),
        attendees: (!sheet.is_empty()).then_some(sheet),
        result: field(&form, "result"),
        notice_text: String::new(),
    });
    let en = english(&headers, &LangQuery::default());
    match write(&state, &session, Permission::Record, action).await {
        Ok(_) => Redirect::to(&format!("/office/meetings/{meeting}")).into_response(),
        Err(e) => meeting_page(&state, &session, en, &meeting, Some(e.say(en))).await,
    }
}

/// Classifies a topic of the meeting (分流分类): the class and what it
/// needs, checked by the rules.
pub(super) async fn outcome(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    RawForm(body): RawForm,
) -> Response {
    let form = fields(&body);
    let session = match form_session(&state, &headers, &field(&form, "csrf")) {
        Ok(session) => session,
        Err(refused) => return refused.into_response(),
    };
    let meeting = field(&form, "meeting");
    let action = Action::Outcome(api::Outcome {
        topic: field(&form, "topic"),
        meeting: meeting.clone(),
        class: field(&form, "class"),
        responsible_party: field(&form, "responsible_party"),
        measures: field(&form, "measures"),
        deadline: field(&form, "deadline"),
        notice_period_days: field(&form, "notice_period_days").parse().unwrap_or(0),
        explanation: field(&form, "explanation"),
        proposed_solution: field(&form, "proposed_solution"),
        supervisors: Vec::new(),
        spends_money: !field(&form, "spends_money").is_empty(),
    });
    let en = english(&headers, &LangQuery::default());
    match write(&state, &session, Permission::Record, action).await {
        Ok(_) => Redirect::to(&format!("/office/meetings/{meeting}")).into_response(),
        Err(e) => meeting_page(&state, &session, en, &meeting, Some(e.say(en))).await,
    }
}

//! Meetings at the console: scheduling a consultation (议事协商) — at a
//! street, also a cross-community one (跨社区协商) with the communities it
//! admitted and the procedure it sets —, and running it as a checklist of
//! the seven steps (七定) in their order, the sign-in sheet entered on the
//! spot — names and phones stay on the node, the ledger gets the count and
//! a commitment — and, once the result is formed, each topic classified
//! (分流分类) with what its class needs.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::proto::Level;
use yiyi_protocol::rules::{SEVEN_STEPS, TopicStatus, step_name, step_zh};

use super::choices::{Choice, MEETING_LEVELS};
use super::page::{Desk, Feedback, Fields, Posted, Preview, render};
use super::write::{preview, write};
use crate::api::state::ApiState;
use crate::staff::Permission;

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
    levels: &'static [Choice],
    /// At a street: the communities it admitted (verifier key, name), any
    /// of which may join a cross-community consultation.
    communities: Vec<(String, String)>,
    feedback: Feedback,
}

async fn new_page(state: &ApiState, desk: &Desk, feedback: Feedback) -> Response {
    let street = state.level == Level::Street;
    let (topics, participants, communities) = state
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
            let communities = s
                .charters
                .values()
                .filter(|c| street && !c.revoked)
                .map(|c| (c.verifier_key.clone(), c.name.clone()))
                .collect();
            (topics, participants, communities)
        })
        .await;
    let status = feedback.status();
    let page = NewMeeting {
        en: desk.en,
        office: state.office_name().await,
        csrf: desk.session.csrf.clone(),
        topics,
        participants,
        levels: MEETING_LEVELS,
        communities,
        feedback,
    };
    render(page, &desk.lang, status)
}

pub(super) async fn new_meeting(State(state): State<Arc<ApiState>>, desk: Desk) -> Response {
    // A street meets at its own level; every other office at a community's.
    let level = if state.level == Level::Street {
        "street"
    } else {
        "community"
    };
    let defaults = Fields::from([("level", level), ("form", "meeting")]);
    new_page(&state, &desk, Feedback::kept(defaults)).await
}

pub(super) async fn schedule(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let Posted { desk, form } = posted;
    let id = form.get("id");
    let communities = form.all("community");
    let action = Action::Meeting(api::Meeting {
        id: id.clone(),
        topics: form.all("topic"),
        // Communities taking part make it a cross-community consultation.
        level: if communities.is_empty() {
            form.given("level")
        } else {
            Some("cross-community".to_owned())
        },
        form: form.get("form"),
        date: form.given("date"),
        participants: form.all("participant"),
        place: form.get("place"),
        procedure: form.get("procedure"),
        communities,
        policies: form.get("policies"),
    });
    match write(&state, &desk.session, Permission::Record, action).await {
        Ok(_) => Redirect::to(&format!("/office/meetings/{id}")).into_response(),
        Err(e) => new_page(&state, &desk, Feedback::refused(&e, desk.en, form)).await,
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
    /// The agenda: id, title.
    topics: Vec<(String, String)>,
    /// Each of the seven steps: its name, its label, whether it is done.
    steps: Vec<(&'static str, &'static str, bool)>,
    /// The next step: its name and label.
    next: Option<(&'static str, &'static str)>,
    /// Once the result is formed: the agenda's topics not classified yet
    /// (id, title).
    to_classify: Vec<(String, String)>,
    /// The participants on the list (name), offered as supervisors.
    participants: Vec<String>,
    /// Policy briefing materials attached: name, SHA-256 (hex), size.
    briefing: Vec<(String, String, u64)>,
    /// The result is published: nothing more is attached.
    complete: bool,
    may_record: bool,
    /// The result notices, before publish-result signs them.
    preview: Preview,
    feedback: Feedback,
}

pub(super) async fn meeting_page(
    state: &ApiState,
    desk: &Desk,
    id: &str,
    preview: Preview,
    feedback: Feedback,
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
            let participants = meeting
                .meeting
                .participant_ids
                .iter()
                .filter_map(|p| s.participants.get(p))
                .map(|p| p.record.name.clone())
                .collect::<Vec<_>>();
            let agenda = meeting
                .meeting
                .topic_ids
                .iter()
                .map(|t| {
                    let title = s.topics.get(t).map(|t| t.topic.title.clone());
                    (t.clone(), title.unwrap_or_default())
                })
                .collect::<Vec<_>>();
            Some((meeting, to_classify, participants, agenda))
        })
        .await;
    let Some((meeting, to_classify, participants, agenda)) = found else {
        return (StatusCode::NOT_FOUND, "没有这个会议").into_response();
    };
    let en = desk.en;
    let label = |step| if en { step_name(step) } else { step_zh(step) };
    let done = meeting.steps.len();
    let status = feedback.status();
    let page = MeetingPage {
        en,
        office: state.office_name().await,
        csrf: desk.session.csrf.clone(),
        id: id.to_owned(),
        date: meeting.meeting.date.clone(),
        place: meeting.meeting.place.clone(),
        topics: agenda,
        steps: SEVEN_STEPS
            .iter()
            .enumerate()
            .map(|(i, step)| (step_name(*step), label(*step), i < done))
            .collect(),
        next: meeting.next_step().map(|s| (step_name(s), label(s))),
        to_classify,
        participants,
        briefing: meeting
            .briefing
            .iter()
            .map(|f| (f.name.clone(), hex::encode(&f.sha256), f.size))
            .collect(),
        complete: meeting.is_complete(),
        may_record: desk.session.role.may(Permission::Record),
        preview,
        feedback,
    };
    render(page, &desk.lang, status)
}

pub(super) async fn meeting(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    desk: Desk,
) -> Response {
    meeting_page(&state, &desk, &id, Preview::default(), Feedback::default()).await
}

/// Writes `action` from a meeting's page; back to it, or it with the
/// refusal next to what it concerns.
async fn at_meeting(state: &ApiState, posted: Posted, action: Action) -> Response {
    let Posted { desk, form } = posted;
    let meeting = form.get("meeting");
    match write(state, &desk.session, Permission::Record, action).await {
        Ok(_) => Redirect::to(&format!("/office/meetings/{meeting}")).into_response(),
        Err(e) => {
            let feedback = Feedback::refused(&e, desk.en, form);
            meeting_page(state, &desk, &meeting, Preview::default(), feedback).await
        }
    }
}

pub(super) async fn step(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    // One attendee a line; the sheet stays on the node.
    let sheet: Vec<serde_json::Value> = form
        .lines("attendees")
        .into_iter()
        .map(serde_json::Value::String)
        .collect();
    let action = Action::Step(api::Step {
        meeting: form.get("meeting"),
        step: form.get("step"),
        summary: form.get("summary"),
        attendees: (!sheet.is_empty()).then_some(sheet),
        result: form.get("result"),
        notice_text: String::new(),
    });
    if !posted.form.checked("preview") {
        return at_meeting(&state, posted, action).await;
    }
    // publish-result: the result notices, shown before they are signed.
    let Posted { desk, form } = posted;
    let meeting = form.get("meeting");
    let (preview, feedback) = match preview(&state, &desk.session, Permission::Record, action).await
    {
        Ok(notices) => (Preview::new("publish", notices), Feedback::kept(form)),
        Err(e) => (Preview::default(), Feedback::refused(&e, desk.en, form)),
    };
    meeting_page(&state, &desk, &meeting, preview, feedback).await
}

/// Classifies a topic of the meeting (分流分类): the class and what it
/// needs, checked by the rules.
pub(super) async fn outcome(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Outcome(api::Outcome {
        topic: form.get("topic"),
        meeting: form.get("meeting"),
        class: form.get("class"),
        responsible_party: form.get("responsible_party"),
        measures: form.get("measures"),
        deadline: form.get("deadline"),
        notice_period_days: form.number("notice_period_days"),
        explanation: form.get("explanation"),
        proposed_solution: form.get("proposed_solution"),
        supervisors: form.all("supervisor"),
        spends_money: form.checked("spends_money"),
    });
    at_meeting(&state, posted, action).await
}

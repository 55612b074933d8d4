//! A topic at the console, and its gate-keeping (议题把关): accept it for
//! consultation, decline it as already settled (the notice residents will
//! read is shown before it is signed), refer it to a mediator as an
//! individual dispute (its details stay on the node), or — the secretary
//! only — approve a referred dispute for consultation.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::rules::{OutcomeClass, TopicStatus};

use super::page::{Desk, Feedback, Posted, Preview, render};
use super::write::{preview, write};
use crate::api::state::ApiState;
use crate::staff::Permission;

#[derive(Template)]
#[template(path = "console/topic_show.html")]
struct TopicShow {
    en: bool,
    office: String,
    csrf: String,
    id: String,
    title: String,
    summary: String,
    status: &'static str,
    proposed: bool,
    referred: bool,
    /// Mediated without a settlement: may still be approved.
    unsettled: bool,
    /// The mediator it was referred to.
    mediator: String,
    /// An immediate or promised item being carried out.
    carrying_out: bool,
    /// Carried out: follow-up and evaluation.
    done: bool,
    /// A suggestion not sent up yet.
    suggestion: bool,
    may_record: bool,
    may_approve: bool,
    /// A notice as residents will read it, before it is signed.
    preview: Preview,
    /// The topic's notices: title, and where it is on the public board.
    notices: Vec<(String, String)>,
    /// Past gate-keeping: oversight and designated persons may be recorded.
    overseen: bool,
    /// Its outcome spends money: the three bodies are invited.
    spends_money: bool,
    /// Oversight recorded: phase, who, the bodies, the note.
    oversight: Vec<String>,
    /// Designated persons: duty, role, office.
    designations: Vec<String>,
    /// This office's name, for a designation's default office.
    office_name: String,
    feedback: Feedback,
}

/// The topic page, with a notice's preview or a refusal.
pub(super) async fn show(
    state: &ApiState,
    desk: &Desk,
    id: &str,
    preview: Preview,
    feedback: Feedback,
) -> Response {
    let found = state
        .office
        .read(|s| {
            // In the order they were published.
            let mut notices = s
                .notices
                .values()
                .filter(|(_, n)| n.topic_id == id)
                .collect::<Vec<_>>();
            notices.sort_by_key(|(at, _)| at.sequence);
            let notices = notices
                .into_iter()
                .map(|(at, n)| (n.title.clone(), format!("/#{}", at.hash.to_hex())))
                .collect::<Vec<_>>();
            let oversight = s
                .oversight
                .get(id)
                .into_iter()
                .flatten()
                .map(|(at, o)| super::oversight::describe(at, o, desk.en))
                .collect::<Vec<_>>();
            let designations = s
                .designations
                .iter()
                .filter(|((topic, _), _)| topic == id)
                .map(|(_, d)| super::oversight::designated(d, desk.en))
                .collect::<Vec<_>>();
            s.topics
                .get(id)
                .cloned()
                .map(|t| (t, notices, oversight, designations))
        })
        .await;
    let Some((topic, notices, oversight, designations)) = found else {
        return (StatusCode::NOT_FOUND, "没有这个议题").into_response();
    };
    let (en, session) = (desk.en, &desk.session);
    let status = feedback.status();
    let page = TopicShow {
        en,
        office: state.office_name().await,
        csrf: session.csrf.clone(),
        id: id.to_owned(),
        title: topic.topic.title.clone(),
        summary: topic.topic.summary.clone(),
        status: if en {
            topic.status.name()
        } else {
            topic.status.zh()
        },
        proposed: topic.status == TopicStatus::Proposed,
        referred: topic.status == TopicStatus::Referred,
        unsettled: topic.status == TopicStatus::Unsettled,
        mediator: topic
            .gate
            .iter()
            .rev()
            .map(|g| g.mediator.clone())
            .find(|m| !m.is_empty())
            .unwrap_or_default(),
        carrying_out: matches!(
            topic.status,
            TopicStatus::Classified(OutcomeClass::Immediate | OutcomeClass::Promised)
        ),
        done: topic.status == TopicStatus::Done,
        suggestion: topic.status == TopicStatus::Classified(OutcomeClass::Suggestion)
            && topic.escalation.is_none(),
        may_record: session.role.may(Permission::Record),
        may_approve: session.role.may(Permission::Approve),
        preview,
        notices,
        overseen: !matches!(
            topic.status,
            TopicStatus::Proposed | TopicStatus::Declined | TopicStatus::Reopened
        ),
        spends_money: topic.outcome.as_ref().is_some_and(|o| o.spends_money),
        oversight,
        designations,
        office_name: state.office_name().await,
        feedback,
    };
    render(page, &desk.lang, status)
}

/// `text` as a URL query value.
pub(super) fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

pub(super) async fn topic(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    desk: Desk,
) -> Response {
    show(&state, &desk, &id, Preview::default(), Feedback::default()).await
}

/// Writes an `action` on the posted form's topic; back to the topic, or the
/// topic with the refusal next to what it concerns.
pub(super) async fn on_topic(
    state: &ApiState,
    posted: Posted,
    needs: Permission,
    action: Action,
) -> Response {
    let Posted { desk, form } = posted;
    let topic = form.get("topic");
    match write(state, &desk.session, needs, action).await {
        Ok(_) => Redirect::to(&format!("/office/topics/{}", urlencode(&topic))).into_response(),
        Err(e) => {
            let feedback = Feedback::refused(&e, desk.en, form);
            show(state, &desk, &topic, Preview::default(), feedback).await
        }
    }
}

/// With the form's preview button: the notice `action` would publish, in
/// the form `name`, nothing written. Else the action is written as
/// [`on_topic`] writes it.
pub(super) async fn signed_after_preview(
    state: &ApiState,
    posted: Posted,
    name: &'static str,
    action: Action,
) -> Response {
    if !posted.form.checked("preview") {
        return on_topic(state, posted, Permission::Record, action).await;
    }
    let Posted { desk, form } = posted;
    let topic = form.get("topic");
    let (preview, feedback) = match preview(state, &desk.session, Permission::Record, action).await
    {
        Ok(notices) => (Preview::new(name, notices), Feedback::kept(form)),
        Err(e) => (Preview::default(), Feedback::refused(&e, desk.en, form)),
    };
    show(state, &desk, &topic, preview, feedback).await
}

/// Gate-keeping: accept. From Today (`back=today`) it goes back there.
pub(super) async fn accept(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let action = Action::Accept(api::Accept {
        topic: posted.form.get("topic"),
    });
    if posted.form.raw("back") != "today" {
        return on_topic(&state, posted, Permission::Record, action).await;
    }
    let Posted { desk, form } = posted;
    match write(&state, &desk.session, Permission::Record, action).await {
        Ok(_) => Redirect::to("/office/").into_response(),
        Err(e) => {
            let feedback = Feedback::refused(&e, desk.en, form);
            super::today::page(&state, &desk, feedback).await
        }
    }
}

/// Declines a topic as already settled; the notice is previewed first.
pub(super) async fn decline(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Decline(api::Decline {
        topic: form.get("topic"),
        citation: form.get("citation"),
        explanation: form.get("explanation"),
        notice_text: String::new(),
    });
    signed_after_preview(&state, posted, "decline", action).await
}

pub(super) async fn refer(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Refer(api::Refer {
        topic: form.get("topic"),
        mediator: form.get("mediator"),
        // The dispute's details stay on this node; the ledger gets a
        // commitment.
        details: form.given("details").map(serde_json::Value::String),
    });
    on_topic(&state, posted, Permission::Record, action).await
}

/// How the mediation ended, as the mediator reported it: the secretary's
/// to record. The summary stays on this node.
pub(super) async fn mediate(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Mediate(api::Mediate {
        topic: form.get("topic"),
        settled: form.raw("settled") == "yes",
        mediator: form.get("mediator"),
        summary: form.given("summary").map(serde_json::Value::String),
    });
    on_topic(&state, posted, Permission::Record, action).await
}

/// The party organisation's approval: the secretary's to record.
pub(super) async fn approve(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Approve(api::Approve {
        topic: form.get("topic"),
        approval: form.get("approval"),
    });
    on_topic(&state, posted, Permission::Approve, action).await
}

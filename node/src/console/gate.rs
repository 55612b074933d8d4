//! A topic at the console, and its gate-keeping (议题把关): accept it for
//! consultation, decline it as already settled (the notice residents will
//! read is shown before it is signed), refer it to a mediator as an
//! individual dispute (its details stay on the node), or — the secretary
//! only — approve a referred dispute for consultation.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::proto;
use yiyi_protocol::rules::{OutcomeClass, TopicStatus, notices};

use super::page::{LangQuery, english, form_session, render, signed_in, status_for};
use super::session::Session;
use super::write::write;
use crate::api::state::ApiState;
use crate::staff::Permission;

/// What the decline form holds.
#[derive(Deserialize, Default)]
pub(super) struct DeclineForm {
    #[serde(default)]
    csrf: String,
    topic: String,
    #[serde(default)]
    citation: String,
    #[serde(default)]
    explanation: String,
    /// Set by the preview button: show the notice, write nothing.
    #[serde(default)]
    preview: String,
}

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
    /// An immediate or promised item being carried out.
    carrying_out: bool,
    /// Carried out: follow-up and evaluation.
    done: bool,
    /// A suggestion not sent up yet.
    suggestion: bool,
    may_record: bool,
    may_approve: bool,
    decline: DeclineForm,
    /// The decline notice as residents will read it: title, body.
    preview: Option<(String, String)>,
    error: Option<String>,
}

/// The topic page for `session`, with the decline form as typed, a notice
/// preview, or an error.
pub(super) async fn show(
    state: &ApiState,
    session: &Session,
    en: bool,
    id: &str,
    decline: DeclineForm,
    preview: Option<(String, String)>,
    error: Option<String>,
) -> Response {
    let topic = state.office.read(|s| s.topics.get(id).cloned()).await;
    let Some(topic) = topic else {
        return (StatusCode::NOT_FOUND, "没有这个议题").into_response();
    };
    let status = status_for(&error);
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
        carrying_out: matches!(
            topic.status,
            TopicStatus::Classified(OutcomeClass::Immediate | OutcomeClass::Promised)
        ),
        done: topic.status == TopicStatus::Done,
        suggestion: topic.status == TopicStatus::Classified(OutcomeClass::Suggestion)
            && topic.escalation.is_none(),
        may_record: session.role.may(Permission::Record),
        may_approve: session.role.may(Permission::Approve),
        decline,
        preview,
        error,
    };
    render(page, &LangQuery::default(), status)
}

pub(super) async fn topic(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let session = match signed_in(&state, &headers, false) {
        Ok(session) => session,
        Err(to) => return to.into_response(),
    };
    let en = english(&headers, &query);
    let decline = DeclineForm {
        topic: id.clone(),
        ..Default::default()
    };
    show(&state, &session, en, &id, decline, None, None).await
}

/// Writes a gate-keeping `action` on `topic` from a form; back to the
/// topic, or the topic with the refusal.
pub(super) async fn gate(
    state: &ApiState,
    headers: &HeaderMap,
    session: Session,
    topic: &str,
    needs: Permission,
    action: Action,
) -> Response {
    match write(state, &session, needs, action).await {
        Ok(_) => Redirect::to(&format!("/office/topics/{topic}")).into_response(),
        Err(e) => {
            let en = english(headers, &LangQuery::default());
            let decline = DeclineForm {
                topic: topic.to_owned(),
                ..Default::default()
            };
            show(state, &session, en, topic, decline, None, Some(e.say(en))).await
        }
    }
}

#[derive(Deserialize)]
pub(super) struct TopicForm {
    #[serde(default)]
    csrf: String,
    topic: String,
    /// `today`: sent from Today, and back there once written.
    #[serde(default)]
    back: String,
}

pub(super) async fn accept(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Form(form): Form<TopicForm>,
) -> Response {
    let session = match form_session(&state, &headers, &form.csrf) {
        Ok(session) => session,
        Err(refused) => return refused.into_response(),
    };
    let action = Action::Accept(api::Accept {
        topic: form.topic.clone(),
    });
    if form.back == "today" {
        return match write(&state, &session, Permission::Record, action).await {
            Ok(_) => Redirect::to("/office/").into_response(),
            Err(e) => {
                let en = english(&headers, &LangQuery::default());
                super::today::page(&state, session, en, Some(e.say(en)), &LangQuery::default())
                    .await
            }
        };
    }
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

pub(super) async fn decline(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Form(form): Form<DeclineForm>,
) -> Response {
    let session = match form_session(&state, &headers, &form.csrf) {
        Ok(session) => session,
        Err(refused) => return refused.into_response(),
    };
    let en = english(&headers, &LangQuery::default());
    if !form.preview.is_empty() {
        // The notice the rules will write, from the topic as it stands.
        let decision = proto::GateDecision {
            topic_id: form.topic.clone(),
            citation: form.citation.trim().to_owned(),
            explanation: form.explanation.trim().to_owned(),
            ..Default::default()
        };
        let notice = state
            .office
            .read(|s| {
                s.topics
                    .get(&form.topic)
                    .map(|t| notices::decline(t, &decision, "", Vec::new()))
            })
            .await;
        let preview = notice.map(|n| (n.title, n.body));
        let topic = form.topic.clone();
        return show(&state, &session, en, &topic, form, preview, None).await;
    }
    let action = Action::Decline(api::Decline {
        topic: form.topic.clone(),
        citation: form.citation.trim().to_owned(),
        explanation: form.explanation.trim().to_owned(),
        notice_text: String::new(),
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

#[derive(Deserialize)]
pub(super) struct ReferForm {
    #[serde(default)]
    csrf: String,
    topic: String,
    #[serde(default)]
    mediator: String,
    #[serde(default)]
    details: String,
}

pub(super) async fn refer(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Form(form): Form<ReferForm>,
) -> Response {
    let session = match form_session(&state, &headers, &form.csrf) {
        Ok(session) => session,
        Err(refused) => return refused.into_response(),
    };
    let details = form.details.trim();
    let action = Action::Refer(api::Refer {
        topic: form.topic.clone(),
        mediator: form.mediator.trim().to_owned(),
        // The dispute's details stay on this node; the ledger gets a
        // commitment.
        details: (!details.is_empty()).then(|| serde_json::json!(details)),
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

#[derive(Deserialize)]
pub(super) struct ApproveForm {
    #[serde(default)]
    csrf: String,
    topic: String,
    #[serde(default)]
    approval: String,
}

/// The party organisation's approval: the secretary's to record.
pub(super) async fn approve(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Form(form): Form<ApproveForm>,
) -> Response {
    let session = match form_session(&state, &headers, &form.csrf) {
        Ok(session) => session,
        Err(refused) => return refused.into_response(),
    };
    let action = Action::Approve(api::Approve {
        topic: form.topic.clone(),
        approval: form.approval.trim().to_owned(),
    });
    gate(
        &state,
        &headers,
        session,
        &form.topic,
        Permission::Approve,
        action,
    )
    .await
}

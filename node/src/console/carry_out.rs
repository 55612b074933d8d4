//! Carrying a topic out at the console (落实与评价): progress and
//! completion (each a notice residents read), supervision, the follow-up
//! visit and the residents' evaluation — the fourth and fifth of the five
//! steps.

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use yiyi_protocol::api::{self, Action};

use super::gate::gate;
use super::page::form_session;
use crate::api::state::ApiState;
use crate::staff::Permission;

/// The lines of a textarea, trimmed, empty ones left out.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A number typed into a form (0 if it is not one).
fn number(text: &str) -> u32 {
    text.trim().parse().unwrap_or(0)
}

#[derive(Deserialize)]
pub(super) struct ProgressForm {
    #[serde(default)]
    csrf: String,
    topic: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    completed: String,
}

pub(super) async fn progress(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Form(form): Form<ProgressForm>,
) -> Response {
    let session = match form_session(&state, &headers, &form.csrf) {
        Ok(session) => session,
        Err(refused) => return refused.into_response(),
    };
    let action = Action::Progress(api::Progress {
        topic: form.topic.clone(),
        text: form.text.trim().to_owned(),
        completed: !form.completed.is_empty(),
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
pub(super) struct SuperviseForm {
    #[serde(default)]
    csrf: String,
    topic: String,
    #[serde(default)]
    supervisors: String,
    #[serde(default)]
    oversight_bodies: String,
}

pub(super) async fn supervise(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Form(form): Form<SuperviseForm>,
) -> Response {
    let session = match form_session(&state, &headers, &form.csrf) {
        Ok(session) => session,
        Err(refused) => return refused.into_response(),
    };
    let action = Action::Supervise(api::Supervise {
        topic: form.topic.clone(),
        supervisors: lines(&form.supervisors),
        oversight_bodies: lines(&form.oversight_bodies),
        note: String::new(),
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
pub(super) struct FollowupForm {
    #[serde(default)]
    csrf: String,
    topic: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    households: String,
}

pub(super) async fn followup(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Form(form): Form<FollowupForm>,
) -> Response {
    let session = match form_session(&state, &headers, &form.csrf) {
        Ok(session) => session,
        Err(refused) => return refused.into_response(),
    };
    let action = Action::Followup(api::Followup {
        topic: form.topic.clone(),
        summary: form.summary.trim().to_owned(),
        households_visited: number(&form.households),
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
pub(super) struct EvaluateForm {
    #[serde(default)]
    csrf: String,
    topic: String,
    #[serde(default)]
    satisfied: String,
    #[serde(default)]
    basically_satisfied: String,
    #[serde(default)]
    dissatisfied: String,
}

pub(super) async fn evaluate(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Form(form): Form<EvaluateForm>,
) -> Response {
    let session = match form_session(&state, &headers, &form.csrf) {
        Ok(session) => session,
        Err(refused) => return refused.into_response(),
    };
    let action = Action::Evaluate(api::Evaluate {
        topic: form.topic.clone(),
        satisfied: number(&form.satisfied),
        basically_satisfied: number(&form.basically_satisfied),
        dissatisfied: number(&form.dissatisfied),
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

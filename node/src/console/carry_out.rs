//! Carrying a topic out at the console (落实与评价): progress and
//! completion (each a notice residents read, previewed before it is
//! signed), supervision, the follow-up
//! visit and the residents' evaluation — the fourth and fifth of the five
//! steps.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use yiyi_protocol::api::{self, Action};

use super::gate::{on_topic, signed_after_preview};
use super::page::Posted;
use crate::api::state::ApiState;
use crate::staff::Permission;

pub(super) async fn progress(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Progress(api::Progress {
        topic: form.get("topic"),
        text: form.get("text"),
        completed: form.checked("completed"),
        notice_text: String::new(),
    });
    signed_after_preview(&state, posted, "progress", action).await
}

pub(super) async fn supervise(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Supervise(api::Supervise {
        topic: form.get("topic"),
        supervisors: form.lines("supervisors"),
        oversight_bodies: form.lines("oversight_bodies"),
        note: String::new(),
    });
    on_topic(&state, posted, Permission::Record, action).await
}

pub(super) async fn followup(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Followup(api::Followup {
        topic: form.get("topic"),
        summary: form.get("summary"),
        households_visited: form.number("households"),
    });
    on_topic(&state, posted, Permission::Record, action).await
}

pub(super) async fn evaluate(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Evaluate(api::Evaluate {
        topic: form.get("topic"),
        satisfied: form.number("satisfied"),
        basically_satisfied: form.number("basically_satisfied"),
        dissatisfied: form.number("dissatisfied"),
    });
    on_topic(&state, posted, Permission::Record, action).await
}

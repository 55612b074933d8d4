//! The office's notices at the console (公示与更正): what it published,
//! newest first, and the form that corrects one by a new notice that
//! supersedes it — the secretary's; the board keeps both and shows the
//! history.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::rules::Date;

use super::page::{Desk, Feedback, Posted, render};
use super::write::write;
use crate::api::state::ApiState;
use crate::staff::Permission;

/// Most notices listed.
const SHOWN: usize = 200;

/// A notice as the page lists it.
struct Shown {
    /// Where it is in the ledger: newest first.
    sequence: u64,
    hash: String,
    /// The hash's first digits, as shown.
    short: String,
    date: String,
    title: String,
    body: String,
    /// The notice that corrected it, if one did (its hash).
    corrected_by: Option<String>,
    /// It corrects another.
    correction: bool,
}

#[derive(Template)]
#[template(path = "console/notices.html")]
struct NoticesPage {
    en: bool,
    office: String,
    csrf: String,
    may_correct: bool,
    notices: Vec<Shown>,
    feedback: Feedback,
}

async fn page(state: &ApiState, desk: &Desk, feedback: Feedback) -> Response {
    let notices = state
        .office
        .read(|s| {
            let mut all: Vec<Shown> = s
                .notices
                .iter()
                .map(|(hash, (at, n))| Shown {
                    sequence: at.sequence,
                    hash: hash.to_hex(),
                    short: hash.to_hex()[..12].to_owned(),
                    date: Date::in_shanghai(at.time_ms).to_string(),
                    title: n.title.clone(),
                    body: n.body.clone(),
                    corrected_by: s
                        .notices
                        .iter()
                        .find(|(_, (_, c))| {
                            c.supersedes
                                .as_ref()
                                .is_some_and(|r| r.hash.as_slice() == hash.as_bytes())
                        })
                        .map(|(h, _)| h.to_hex()),
                    correction: n.supersedes.is_some(),
                })
                .collect();
            all.sort_by_key(|n| std::cmp::Reverse(n.sequence));
            all.truncate(SHOWN);
            all
        })
        .await;
    let status = feedback.status();
    let page = NoticesPage {
        en: desk.en,
        office: state.office_name().await,
        csrf: desk.session.csrf.clone(),
        may_correct: desk.session.role.may(Permission::Decide),
        notices,
        feedback,
    };
    render(page, &desk.lang, status)
}

pub(super) async fn notices(State(state): State<Arc<ApiState>>, desk: Desk) -> Response {
    page(&state, &desk, Feedback::default()).await
}

/// Corrects a notice: the secretary's, as a decision of the office.
pub(super) async fn correct(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Correct(api::Correct {
        notice: form.get("notice"),
        body: form.get("body"),
        reason: form.get("reason"),
        title: form.given("title"),
    });
    let Posted { desk, form } = posted;
    match write(&state, &desk.session, Permission::Decide, action).await {
        Ok(_) => Redirect::to("/office/notices").into_response(),
        Err(e) => page(&state, &desk, Feedback::refused(&e, desk.en, form)).await,
    }
}

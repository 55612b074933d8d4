//! The community's standing lists at the console: the participant list
//! (协商主体清单) and the topic catalogue (协商事项目录).

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::rules::names;

use super::choices::{CATEGORIES, Choice, PARTICIPANT_KINDS, label};
use super::page::{Desk, Feedback, Posted, render};
use super::write::write;
use crate::api::state::ApiState;
use crate::staff::Permission;

#[derive(Template)]
#[template(path = "console/setup.html")]
struct SetupPage {
    en: bool,
    office: String,
    csrf: String,
    may_record: bool,
    /// id, kind's label, name.
    participants: Vec<(String, String, String)>,
    /// category's label, sub-item.
    catalogue: Vec<(String, String)>,
    kinds: &'static [Choice],
    categories: &'static [Choice],
    feedback: Feedback,
}

async fn page(state: &ApiState, desk: &Desk, feedback: Feedback) -> Response {
    let en = desk.en;
    let (participants, catalogue) = state
        .office
        .read(|s| {
            let participants = s
                .participants
                .values()
                .filter(|p| !p.record.withdrawn)
                .map(|p| {
                    let kind = names::participant_kind_name(p.record.kind);
                    (
                        p.record.id.clone(),
                        label(PARTICIPANT_KINDS, kind, en),
                        p.record.name.clone(),
                    )
                })
                .collect();
            let catalogue = s
                .catalogue
                .values()
                .filter(|c| !c.withdrawn)
                .map(|c| {
                    let category = names::category_name(c.category);
                    (label(CATEGORIES, category, en), c.name.clone())
                })
                .collect();
            (participants, catalogue)
        })
        .await;
    let status = feedback.status();
    let page = SetupPage {
        en,
        office: state.office_name().await,
        csrf: desk.session.csrf.clone(),
        may_record: desk.session.role.may(Permission::Record),
        participants,
        catalogue,
        kinds: PARTICIPANT_KINDS,
        categories: CATEGORIES,
        feedback,
    };
    render(page, &desk.lang, status)
}

pub(super) async fn setup(State(state): State<Arc<ApiState>>, desk: Desk) -> Response {
    page(&state, &desk, Feedback::default()).await
}

/// Writes `action` from the setup page; back to it, or it with the refusal.
async fn record(state: &ApiState, posted: Posted, action: Action) -> Response {
    let Posted { desk, form } = posted;
    match write(state, &desk.session, Permission::Record, action).await {
        Ok(_) => Redirect::to("/office/setup").into_response(),
        Err(e) => page(state, &desk, Feedback::refused(&e, desk.en, form)).await,
    }
}

pub(super) async fn participant(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Participant(api::Participant {
        id: form.get("id"),
        kind: form.get("kind"),
        name: form.get("name"),
        withdrawn: false,
    });
    record(&state, posted, action).await
}

pub(super) async fn catalogue(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Catalogue(api::Catalogue {
        category: form.get("category"),
        item: form.get("item"),
        withdrawn: false,
    });
    record(&state, posted, action).await
}

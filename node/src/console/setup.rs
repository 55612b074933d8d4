//! The community's standing lists at the console: the participant list
//! (协商主体清单) and the topic catalogue (协商事项目录).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::rules::names;

use super::choices::{CATEGORIES, Choice, PARTICIPANT_KINDS, label};
use super::page::{LangQuery, english, form_session, render, signed_in, status_for};
use super::session::Session;
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
    error: Option<String>,
}

async fn page(state: &ApiState, session: &Session, en: bool, error: Option<String>) -> Response {
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
    let status = status_for(&error);
    let page = SetupPage {
        en,
        office: state.office_name().await,
        csrf: session.csrf.clone(),
        may_record: session.role.may(Permission::Record),
        participants,
        catalogue,
        kinds: PARTICIPANT_KINDS,
        categories: CATEGORIES,
        error,
    };
    render(page, &LangQuery::default(), status)
}

pub(super) async fn setup(
    State(state): State<Arc<ApiState>>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let session = match signed_in(&state, &headers, false) {
        Ok(session) => session,
        Err(to) => return to.into_response(),
    };
    page(&state, &session, english(&headers, &query), None).await
}

/// Writes `action` from the setup page; back to it, or it with the refusal.
async fn record(
    state: &ApiState,
    headers: &HeaderMap,
    session: Session,
    action: Action,
) -> Response {
    match write(state, &session, Permission::Record, action).await {
        Ok(_) => Redirect::to("/office/setup").into_response(),
        Err(e) => {
            let en = english(headers, &LangQuery::default());
            page(state, &session, en, Some(e.say(en))).await
        }
    }
}

#[derive(Deserialize)]
pub(super) struct ParticipantForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
}

pub(super) async fn participant(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Form(form): Form<ParticipantForm>,
) -> Response {
    let session = match form_session(&state, &headers, &form.csrf) {
        Ok(session) => session,
        Err(refused) => return refused.into_response(),
    };
    let action = Action::Participant(api::Participant {
        id: form.id.trim().to_owned(),
        kind: form.kind,
        name: form.name.trim().to_owned(),
        withdrawn: false,
    });
    record(&state, &headers, session, action).await
}

#[derive(Deserialize)]
pub(super) struct CatalogueForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    item: String,
}

pub(super) async fn catalogue(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Form(form): Form<CatalogueForm>,
) -> Response {
    let session = match form_session(&state, &headers, &form.csrf) {
        Ok(session) => session,
        Err(refused) => return refused.into_response(),
    };
    let action = Action::Catalogue(api::Catalogue {
        category: form.category,
        item: form.item.trim().to_owned(),
        withdrawn: false,
    });
    record(&state, &headers, session, action).await
}

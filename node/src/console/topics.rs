//! Taking in a resident's concern (受理) at the console.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use yiyi_protocol::api::{self, Action};

use super::choices::{CATEGORIES, Choice, SCALES, SOURCES};
use super::page::{LangQuery, english, form_session, render, signed_in, status_for};
use super::write::write;
use crate::api::state::ApiState;
use crate::staff::Permission;

/// The intake form, as typed.
#[derive(Deserialize, Default)]
pub(super) struct TopicForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    scale: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    raised_by: String,
}

#[derive(Template)]
#[template(path = "console/topic.html")]
struct TopicPage {
    en: bool,
    office: String,
    csrf: String,
    form: TopicForm,
    categories: &'static [Choice],
    scales: &'static [Choice],
    sources: &'static [Choice],
    error: Option<String>,
}

async fn topic_page(
    state: &ApiState,
    en: bool,
    csrf: String,
    form: TopicForm,
    error: Option<String>,
    query: &LangQuery,
) -> Response {
    let status = status_for(&error);
    let page = TopicPage {
        en,
        office: state.office_name().await,
        csrf,
        form,
        categories: CATEGORIES,
        scales: SCALES,
        sources: SOURCES,
        error,
    };
    render(page, query, status)
}

pub(super) async fn new_topic(
    State(state): State<Arc<ApiState>>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let session = match signed_in(&state, &headers, false) {
        Ok(session) => session,
        Err(to) => return to.into_response(),
    };
    let form = TopicForm {
        category: "public-affairs".into(),
        scale: "minor".into(),
        source: "resident".into(),
        ..Default::default()
    };
    let en = english(&headers, &query);
    topic_page(&state, en, session.csrf, form, None, &query).await
}

pub(super) async fn take_in(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Form(form): Form<TopicForm>,
) -> Response {
    let session = match form_session(&state, &headers, &form.csrf) {
        Ok(session) => session,
        Err(refused) => return refused.into_response(),
    };
    let raised_by = form.raised_by.trim();
    let action = Action::Topic(api::Topic {
        id: form.id.trim().to_owned(),
        title: form.title.trim().to_owned(),
        summary: form.summary.trim().to_owned(),
        category: form.category.clone(),
        sub_item: String::new(),
        scale: form.scale.clone(),
        source: form.source.clone(),
        // Who raised it stays on this node; the ledger gets a commitment.
        raised_by: (!raised_by.is_empty()).then(|| serde_json::json!(raised_by)),
        reopens: String::new(),
    });
    match write(&state, &session, Permission::Record, action).await {
        Ok(_) => Redirect::to("/office/").into_response(),
        Err(e) => {
            let query = LangQuery::default();
            let en = english(&headers, &query);
            let csrf = session.csrf.clone();
            topic_page(&state, en, csrf, form, Some(e.say(en)), &query).await
        }
    }
}

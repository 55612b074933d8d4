//! Taking in a resident's concern (受理) at the console: its category and,
//! from the catalogue, its sub-item; its scale and source; who raised it,
//! which stays on the node.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::rules::names;

use super::choices::{CATEGORIES, Choice, SCALES, SOURCES, label};
use super::page::{Desk, Feedback, Fields, Posted, render};
use super::write::write;
use crate::api::state::ApiState;
use crate::staff::Permission;

#[derive(Template)]
#[template(path = "console/topic.html")]
struct TopicPage {
    en: bool,
    office: String,
    csrf: String,
    categories: &'static [Choice],
    scales: &'static [Choice],
    sources: &'static [Choice],
    /// The catalogue's sub-items: the value the form posts
    /// (`category:item`) and the label.
    items: Vec<(String, String)>,
    feedback: Feedback,
}

async fn topic_page(state: &ApiState, desk: &Desk, feedback: Feedback) -> Response {
    let en = desk.en;
    let items = state
        .office
        .read(|s| {
            s.catalogue
                .values()
                .filter(|c| !c.withdrawn)
                .map(|c| {
                    let category = names::category_name(c.category);
                    (
                        format!("{category}:{}", c.name),
                        format!("{} · {}", label(CATEGORIES, category, en), c.name),
                    )
                })
                .collect()
        })
        .await;
    let status = feedback.status();
    let page = TopicPage {
        en,
        office: state.office_name().await,
        csrf: desk.session.csrf.clone(),
        categories: CATEGORIES,
        scales: SCALES,
        sources: SOURCES,
        items,
        feedback,
    };
    render(page, &desk.lang, status)
}

pub(super) async fn new_topic(State(state): State<Arc<ApiState>>, desk: Desk) -> Response {
    let defaults = Fields::from([
        ("category", "public-affairs"),
        ("scale", "minor"),
        ("source", "resident"),
    ]);
    topic_page(&state, &desk, Feedback::kept(defaults)).await
}

pub(super) async fn take_in(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let Posted { desk, form } = posted;
    // A sub-item from the catalogue names its category too.
    let (category, sub_item) = match form.raw("sub_item").split_once(':') {
        Some((category, item)) => (category.to_owned(), item.to_owned()),
        None => (form.get("category"), String::new()),
    };
    let action = Action::Topic(api::Topic {
        id: form.get("id"),
        title: form.get("title"),
        summary: form.get("summary"),
        category,
        sub_item,
        scale: form.get("scale"),
        source: form.get("source"),
        // Who raised it stays on this node; the ledger gets a commitment.
        raised_by: form.given("raised_by").map(serde_json::Value::String),
        reopens: String::new(),
    });
    match write(&state, &desk.session, Permission::Record, action).await {
        Ok(_) => Redirect::to("/office/").into_response(),
        Err(e) => topic_page(&state, &desk, Feedback::refused(&e, desk.en, form)).await,
    }
}

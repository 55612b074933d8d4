//! Taking in a resident's concern (受理) at the console: its category and,
//! from the catalogue, its sub-item; its scale and source; who raised it,
//! which stays on the node.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
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
    /// At a street: the joint meeting's standing members still sitting
    /// (id, name), any of whom may have proposed the topic.
    members: Vec<(String, String)>,
    feedback: Feedback,
}

async fn topic_page(state: &ApiState, desk: &Desk, feedback: Feedback) -> Response {
    let en = desk.en;
    let members = state
        .office
        .read(|s| {
            s.members
                .values()
                .filter(|m| !m.withdrawn)
                .map(|m| (m.id.clone(), m.name.clone()))
                .collect()
        })
        .await;
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
        members,
        feedback,
    };
    render(page, &desk.lang, status)
}

/// `?concern=ID`: the intake form filled in from a resident's concern.
#[derive(serde::Deserialize)]
pub(super) struct FromConcern {
    concern: Option<u64>,
}

pub(super) async fn new_topic(
    State(state): State<Arc<ApiState>>,
    desk: Desk,
    Query(from): Query<FromConcern>,
) -> Response {
    let concern = from
        .concern
        .and_then(|id| state.concerns.get(id).ok().flatten());
    let defaults = match concern {
        Some(kept) => {
            let c = &kept.concern;
            let category = names::category_name(c.category);
            // A title to start from: the concern's first words.
            let title: String = c
                .what
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(30)
                .collect();
            let sub_item = if c.sub_item.is_empty() {
                String::new()
            } else {
                format!("{category}:{}", c.sub_item)
            };
            let summary = if c.place.is_empty() {
                c.what.clone()
            } else {
                format!("{}（{}）", c.what, c.place)
            };
            Fields::from([
                ("concern", kept.id.to_string().as_str()),
                ("title", title.as_str()),
                ("summary", summary.as_str()),
                ("category", category),
                ("sub_item", sub_item.as_str()),
                ("scale", "minor"),
                ("source", "resident"),
                ("raised_by", c.contact.as_str()),
            ])
        }
        None => Fields::from([
            ("category", "public-affairs"),
            ("scale", "minor"),
            ("source", "resident"),
        ]),
    };
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
        // At a street: the standing member of the joint meeting who proposed it.
        member: form.given("member"),
    });
    match write(&state, &desk.session, Permission::Record, action).await {
        Ok(recorded) => match form.raw("concern").parse::<u64>() {
            // From a resident's concern: its receipt now names the topic.
            Ok(concern) => {
                if let Err(e) = state.concerns.take_up(concern, &recorded.id, false) {
                    tracing::error!(error = %e, concern, "marking a concern taken up");
                } else if let Err(e) = state
                    .concerns
                    .record_raisers(&state.office, &recorded.id)
                    .await
                {
                    tracing::error!(error = %e, concern, "recording how many residents raised it");
                }
                Redirect::to("/office/concerns").into_response()
            }
            Err(_) => Redirect::to("/office/").into_response(),
        },
        Err(e) => topic_page(&state, &desk, Feedback::refused(&e, desk.en, form)).await,
    }
}

//! The intake queue of residents' concerns (居民反映) raised from the board:
//! staff read each (with the contact the resident left, kept on this node
//! only), answer it — the resident reads the answer by her receipt — or
//! take it up as a topic through the intake form, which it fills in, or
//! join it to a topic taken up before (several residents, one topic).
//! Viewers see no contacts: the queue needs the right to record.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use yiyi_protocol::rules::{Date, TopicStatus, names};

use super::audit::note;
use super::choices::{CATEGORIES, label};
use super::page::{Desk, Posted, render};
use crate::api::state::ApiState;
use crate::concerns::KeptConcern;
use crate::staff::Permission;

/// Characters a reply may have at most.
const MAX_REPLY: usize = 2000;

/// A concern as the queue shows it.
struct Shown {
    id: u64,
    date: String,
    category: String,
    concern: KeptConcern,
}

#[derive(Template)]
#[template(path = "console/concerns.html")]
struct ConcernsPage {
    en: bool,
    office: String,
    csrf: String,
    waiting: Vec<Shown>,
    /// Topics a concern may join: id and title.
    topics: Vec<(String, String)>,
    /// A district's (or city's): a concern may go to its 12345 desk.
    desk: bool,
    error: String,
}

/// The queue.
pub(super) async fn concerns(State(state): State<Arc<ApiState>>, desk: Desk) -> Response {
    queue(&state, &desk, String::new(), StatusCode::OK).await
}

async fn queue(state: &ApiState, desk: &Desk, error: String, status: StatusCode) -> Response {
    if !desk.session.role.may(Permission::Record) {
        return (StatusCode::FORBIDDEN, "查看居民反映需要记录权限").into_response();
    }
    let waiting = match state.concerns.list_waiting() {
        Ok(list) => list,
        Err(e) => {
            tracing::error!(error = %e, "reading the concerns");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let en = desk.en;
    let topics = state
        .office
        .read(|s| {
            s.topics
                .values()
                .filter(|t| joinable(&t.status))
                .map(|t| (t.topic.id.clone(), t.topic.title.clone()))
                .collect()
        })
        .await;
    let page = ConcernsPage {
        en,
        desk: matches!(
            state.level,
            yiyi_protocol::proto::Level::District | yiyi_protocol::proto::Level::City
        ),
        office: state.office_name().await,
        csrf: desk.session.csrf.clone(),
        waiting: waiting
            .into_iter()
            .map(|concern| Shown {
                id: concern.id,
                date: Date::in_shanghai(concern.received_ms).to_string(),
                category: label(
                    CATEGORIES,
                    names::category_name(concern.concern.category),
                    en,
                )
                .to_owned(),
                concern,
            })
            .collect(),
        topics,
        error,
    };
    render(page, &desk.lang, status)
}

/// Answers a concern: the reply is kept with it, for its resident.
pub(super) async fn answer(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let Posted { desk, form } = posted;
    let refuse = |why: &str| why.to_owned();
    let reply = form.get("reply");
    let id: u64 = form.raw("concern").parse().unwrap_or(u64::MAX);
    let error = if !desk.session.role.may(Permission::Record) {
        refuse(if desk.en {
            "your role may not answer concerns"
        } else {
            "您的角色不能答复居民反映"
        })
    } else if reply.is_empty() {
        refuse(if desk.en {
            "write the reply"
        } else {
            "请填写答复内容"
        })
    } else if reply.chars().count() > MAX_REPLY {
        refuse(if desk.en {
            "a reply has at most 2,000 characters"
        } else {
            "答复最多 2000 字"
        })
    } else {
        match state.concerns.answer(id, &reply) {
            Ok(true) => String::new(),
            Ok(false) => refuse(if desk.en {
                "no such concern"
            } else {
                "没有这条反映"
            }),
            Err(e) => {
                tracing::error!(error = %e, "answering a concern");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        }
    };
    note(&state, &desk, "answer-concern", &format!("C-{id}"), &error);
    if error.is_empty() {
        Redirect::to("/office/concerns").into_response()
    } else {
        queue(&state, &desk, error, StatusCode::UNPROCESSABLE_ENTITY).await
    }
}

/// Joins a concern to a topic already taken up: its resident's receipt
/// then names that topic (合并).
pub(super) async fn join(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let Posted { desk, form } = posted;
    let id: u64 = form.raw("concern").parse().unwrap_or(u64::MAX);
    let topic = form.get("topic");
    let open = state
        .office
        .read(|s| s.topics.get(&topic).is_some_and(|t| joinable(&t.status)))
        .await;
    let error = if !desk.session.role.may(Permission::Record) {
        if desk.en {
            "your role may not take up concerns"
        } else {
            "您的角色不能处理居民反映"
        }
        .to_owned()
    } else if !open {
        if desk.en {
            format!("no topic {topic} is open to join")
        } else {
            format!("没有可并入的议题 {topic}")
        }
    } else {
        match state.concerns.take_up(id, &topic, true) {
            Ok(true) => {
                if let Err(e) = state.concerns.record_raisers(&state.office, &topic).await {
                    tracing::error!(error = %e, "recording how many residents raised it");
                }
                String::new()
            }
            Ok(false) => if desk.en {
                "no such concern"
            } else {
                "没有这条反映"
            }
            .to_owned(),
            Err(e) => {
                tracing::error!(error = %e, "joining a concern to a topic");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        }
    };
    note(&state, &desk, "join-concern", &format!("C-{id}"), &error);
    if error.is_empty() {
        Redirect::to("/office/concerns").into_response()
    } else {
        queue(&state, &desk, error, StatusCode::UNPROCESSABLE_ENTITY).await
    }
}

/// Whether a concern may still join a topic in this state: not one
/// declined, referred, evaluated or reopened.
fn joinable(status: &TopicStatus) -> bool {
    !matches!(
        status,
        TopicStatus::Declined
            | TopicStatus::Referred
            | TopicStatus::Settled
            | TopicStatus::Unsettled
            | TopicStatus::Evaluated
            | TopicStatus::Reopened
    )
}

//! Open311 clients (接入系统) in the console: the secretary issues a key to
//! each hotline system or civic app that hands residents' concerns to this
//! office (`POST /open311/v2/requests`), sees the key once, and revokes it
//! when the client should stop. Keys are kept as hashes in the private
//! store; every issue and revocation is audited.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use yiyi_protocol::rules::Date;

use super::audit::note;
use super::page::{Desk, Posted, render};
use crate::api::state::ApiState;
use crate::staff::Permission;

#[derive(Template)]
#[template(path = "console/clients.html")]
struct ClientsPage {
    en: bool,
    office: String,
    csrf: String,
    /// Name, issued on, revoked.
    clients: Vec<(String, String, bool)>,
    /// A key just issued, shown this once: the client's name and the key.
    issued: Option<(String, String)>,
    error: String,
}

async fn page(
    state: &ApiState,
    desk: &Desk,
    issued: Option<(String, String)>,
    error: String,
    status: StatusCode,
) -> Response {
    if !desk.session.role.may(Permission::ManageStaff) {
        return (StatusCode::FORBIDDEN, "管理接入系统需要书记权限").into_response();
    }
    let clients = match state.concerns.clients() {
        Ok(list) => list
            .into_iter()
            .map(|c| {
                (
                    c.name,
                    Date::in_shanghai(c.issued_ms).to_string(),
                    c.revoked,
                )
            })
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "reading the Open311 clients");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let page = ClientsPage {
        en: desk.en,
        office: state.office_name().await,
        csrf: desk.session.csrf.clone(),
        clients,
        issued,
        error,
    };
    render(page, &desk.lang, status)
}

/// The clients, and the form to issue a key.
pub(super) async fn clients(State(state): State<Arc<ApiState>>, desk: Desk) -> Response {
    page(&state, &desk, None, String::new(), StatusCode::OK).await
}

/// Issues a key to a client; the page shows it once.
pub(super) async fn issue(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let Posted { desk, form } = posted;
    let name = form.get("name");
    if !desk.session.role.may(Permission::ManageStaff) {
        return (StatusCode::FORBIDDEN, "管理接入系统需要书记权限").into_response();
    }
    if name.is_empty() || name.chars().count() > 100 {
        let why = if desk.en {
            "name the client (at most 100 characters)"
        } else {
            "请填写接入系统的名称（最多 100 字）"
        };
        note(&state, &desk, "issue-open311-key", &name, why);
        return page(
            &state,
            &desk,
            None,
            why.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match state.concerns.issue_key(&name, crate::now_ms()) {
        Ok(key) => {
            note(&state, &desk, "issue-open311-key", &name, "");
            page(
                &state,
                &desk,
                Some((name, key)),
                String::new(),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => {
            tracing::error!(error = %e, "issuing an Open311 key");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Revokes a client's keys.
pub(super) async fn revoke(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let Posted { desk, form } = posted;
    let name = form.get("name");
    if !desk.session.role.may(Permission::ManageStaff) {
        return (StatusCode::FORBIDDEN, "管理接入系统需要书记权限").into_response();
    }
    let error = match state.concerns.revoke(&name) {
        Ok(true) => String::new(),
        Ok(false) => if desk.en {
            "no such client with a key in force"
        } else {
            "没有这个仍在使用的接入系统"
        }
        .to_owned(),
        Err(e) => {
            tracing::error!(error = %e, "revoking an Open311 key");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    note(&state, &desk, "revoke-open311-key", &name, &error);
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page(&state, &desk, None, error, status).await
}

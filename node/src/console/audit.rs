//! The audit log page (操作记录): who wrote which entry through the
//! console, for the secretary.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use yiyi_protocol::rules::Date;

use super::page::{LangQuery, english, render, signed_in};
use crate::api::state::ApiState;
use crate::private::AuditRecord;
use crate::staff::Permission;

/// Most records shown.
const SHOWN: usize = 500;

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    en: bool,
    office: String,
    /// Each record with its date.
    records: Vec<(String, AuditRecord)>,
}

pub(super) async fn audit(
    State(state): State<Arc<ApiState>>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let session = match signed_in(&state, &headers, false) {
        Ok(session) => session,
        Err(to) => return to.into_response(),
    };
    if !session.role.may(Permission::ManageStaff) {
        return (StatusCode::FORBIDDEN, "只有书记/主任可以查看操作记录").into_response();
    }
    let records = match state.office.private().audit_log(SHOWN) {
        Ok(records) => records,
        Err(e) => {
            tracing::error!(error = %e, "reading the audit log");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let page = AuditPage {
        en: english(&headers, &query),
        office: state.office_name().await,
        records: records
            .into_iter()
            .map(|r| (Date::in_shanghai(r.time_ms).to_string(), r))
            .collect(),
    };
    render(page, &query, StatusCode::OK)
}

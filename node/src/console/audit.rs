//! The audit log page (操作记录): who wrote which entry through the
//! console, for the secretary.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use yiyi_protocol::rules::Date;

use super::page::{Desk, render};
use crate::api::state::ApiState;
use crate::private::AuditRecord;
use crate::staff::Permission;

/// Writes what `desk`'s person did outside the write path's actions (a
/// concern answered, a round opened, a key issued) — or why it was
/// refused — to the audit log. A log that fails is reported, not allowed
/// to change what the page says happened.
pub(super) fn note(state: &ApiState, desk: &Desk, action: &str, subject: &str, refused: &str) {
    let record = AuditRecord {
        time_ms: crate::now_ms(),
        staff: desk.session.name.clone(),
        role: desk.session.role.name().to_owned(),
        action: action.into(),
        subject: subject.to_owned(),
        entries: Vec::new(),
        refused: refused.to_owned(),
    };
    if let Err(e) = state.office.private().audit(&record) {
        tracing::error!(error = %e, "the audit log could not be written");
    }
}

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

pub(super) async fn audit(State(state): State<Arc<ApiState>>, desk: Desk) -> Response {
    if !desk.session.role.may(Permission::ManageStaff) {
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
        en: desk.en,
        office: state.office_name().await,
        records: records
            .into_iter()
            .map(|r| (Date::in_shanghai(r.time_ms).to_string(), r))
            .collect(),
    };
    render(page, &desk.lang, StatusCode::OK)
}

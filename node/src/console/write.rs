//! The console's one write path: an action a form describes goes through
//! `actions::act` — the same office service, rules and records as
//! `POST /api/v1/actions` and the CLI — after the session's role is
//! checked, and each write is put in the audit log with the name of whoever
//! made it.

use yiyi_protocol::api::Action;

use super::session::Session;
use crate::actions::{self, ActionError};
use crate::api::state::ApiState;
use crate::office::{OfficeError, Recorded};
use crate::private::AuditRecord;
use crate::staff::Permission;

/// Why a form wrote nothing.
#[derive(Debug, thiserror::Error)]
pub(super) enum WriteError {
    /// The session's role may not do this.
    #[error("您的角色（{0}）不能做此操作")]
    Role(&'static str),
    /// The rules (or the office) refused it.
    #[error("{0}")]
    Refused(#[from] ActionError),
}

impl WriteError {
    /// What the page says: a rule's refusal in Chinese (its own English
    /// message with the English toggle), anything else as it is.
    pub(super) fn say(&self, en: bool) -> String {
        match self {
            WriteError::Refused(ActionError::Office(OfficeError::Rule(rule))) if !en => rule.zh(),
            WriteError::Role(_) if en => "your role may not do this".into(),
            other => other.to_string(),
        }
    }
}

/// Writes `action` for `session`, which needs `needs`; audits it.
pub(super) async fn write(
    state: &ApiState,
    session: &Session,
    needs: Permission,
    action: Action,
) -> Result<Recorded, WriteError> {
    if !session.role.may(needs) {
        return Err(WriteError::Role(session.role.zh()));
    }
    let name = serde_json::to_value(&action)
        .ok()
        .and_then(|v| v["action"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let recorded = actions::act(&state.office, action).await?;
    let record = AuditRecord {
        time_ms: crate::now_ms(),
        staff: session.name.clone(),
        role: session.role.name().to_owned(),
        action: name,
        subject: recorded.id.clone(),
        entries: std::iter::once(&recorded.entry)
            .chain(&recorded.notices)
            .map(|at| (at.sequence, at.hash.to_hex()))
            .collect(),
    };
    // The entry is written; an audit log that fails is reported, not
    // allowed to make the write look refused.
    if let Err(e) = state.office.private().audit(&record) {
        tracing::error!(error = %e, staff = session.name, "the audit log could not be written");
    }
    Ok(recorded)
}

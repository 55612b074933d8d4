//! The console's one write path: an action a form describes goes through
//! `actions::act` — the same office service, rules and records as
//! `POST /api/v1/actions` and the CLI — after the session's role is
//! checked, and each write is put in the audit log with the name of whoever
//! made it.

use yiyi_protocol::api::Action;
use yiyi_protocol::rules::RuleError;

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
    /// What the page says: the refusal in Chinese (its own English message
    /// with the English toggle).
    pub(super) fn say(&self, en: bool) -> String {
        if en {
            return match self {
                WriteError::Role(_) => "your role may not do this".into(),
                WriteError::Refused(e) => e.to_string(),
            };
        }
        match self {
            WriteError::Refused(refused) => zh(refused),
            WriteError::Role(_) => self.to_string(),
        }
    }

    /// The form field the refusal concerns, as the console's forms name
    /// it; `None` when it concerns the form as a whole.
    pub(super) fn field(&self) -> Option<&'static str> {
        let WriteError::Refused(ActionError::Office(OfficeError::Rule(rule))) = self else {
            return None;
        };
        match rule {
            RuleError::Missing { field, .. } => FIELDS
                .iter()
                .find(|(term, _)| term == field)
                .map(|(_, name)| *name),
            RuleError::Duplicate { .. } => Some("id"),
            RuleError::NotInCatalogue { .. } => Some("sub_item"),
            RuleError::EmptyEvaluation(_) => Some("satisfied"),
            _ => None,
        }
    }
}

/// The notices `action` would publish (title, body), shown before it is
/// signed; refused as [`write`] would refuse it, and nothing written.
pub(super) async fn preview(
    state: &ApiState,
    session: &Session,
    needs: Permission,
    action: Action,
) -> Result<Vec<(String, String)>, WriteError> {
    if !session.role.may(needs) {
        return Err(WriteError::Role(session.role.zh()));
    }
    let notices = actions::preview(&state.office, action).await?;
    Ok(notices.into_iter().map(|n| (n.title, n.body)).collect())
}

/// The rules' terms for a missing field, and the form field each is.
const FIELDS: &[(&str, &str)] = &[
    ("a responsible party", "responsible_party"),
    ("measures", "measures"),
    ("a deadline", "deadline"),
    ("a notice period", "notice_period_days"),
    ("an explanation for the residents", "explanation"),
    ("a proposed solution", "proposed_solution"),
    (
        "the law, regulation or decision that settles it (citation)",
        "citation",
    ),
    ("a mediator", "mediator"),
    (
        "the party organisation meeting that approved it",
        "approval",
    ),
    ("a title", "title"),
    ("an id", "id"),
    ("a name", "name"),
    ("the office's name", "name"),
    ("text", "text"),
    ("the result", "result"),
    ("at least one topic", "topic"),
    ("supervisors or oversight bodies", "supervisors"),
    ("the number of attendees", "attendees"),
    ("the procedure the street set", "procedure"),
];

/// A refusal in Chinese.
fn zh(refused: &ActionError) -> String {
    use crate::escalation::DeskError;
    match refused {
        ActionError::Name(e) => e.zh(),
        ActionError::Date(e) => e.zh(),
        ActionError::NoMatter(e) => e.zh(),
        ActionError::Key(_) => "不是机构的公钥：应为其节点 yiyi-node init 时打印的验证公钥".into(),
        ActionError::Office(OfficeError::Rule(rule)) => rule.zh(),
        ActionError::Office(OfficeError::Desk(DeskError::Matter(e))) => e.zh(),
        ActionError::Office(OfficeError::Desk(DeskError::NoParent)) => {
            "本机构没有上级机构可上报：区为最高一级；街道或社区须由上级的章程接纳".into()
        }
        other => format!("未能写入：{other}"),
    }
}

/// Writes `action` for `session`, which needs `needs`; audits it — or why
/// it was refused, by the role or the rules.
pub(super) async fn write(
    state: &ApiState,
    session: &Session,
    needs: Permission,
    action: Action,
) -> Result<Recorded, WriteError> {
    let described = serde_json::to_value(&action).unwrap_or_default();
    let text = |name: &str| described[name].as_str().unwrap_or_default().to_owned();
    let mut record = AuditRecord {
        time_ms: crate::now_ms(),
        staff: session.name.clone(),
        role: session.role.name().to_owned(),
        action: text("action"),
        // What a refused action was about; a written one names its record.
        subject: ["topic", "meeting", "matter", "id", "key"]
            .iter()
            .map(|name| text(name))
            .find(|v| !v.is_empty())
            .unwrap_or_default(),
        entries: Vec::new(),
        refused: String::new(),
    };
    let written = if session.role.may(needs) {
        actions::act(&state.office, action)
            .await
            .map_err(WriteError::Refused)
    } else {
        Err(WriteError::Role(session.role.zh()))
    };
    match &written {
        Ok(recorded) => {
            record.subject = recorded.id.clone();
            // The record, its notices, and the escalation a forward sends.
            record.entries = std::iter::once(&recorded.entry)
                .chain(&recorded.notices)
                .chain(&recorded.forwarded)
                .map(|at| (at.sequence, at.hash.to_hex()))
                .collect();
        }
        Err(e) => record.refused = e.say(false),
    }
    // An audit log that fails is reported, not allowed to change what the
    // form says happened.
    if let Err(e) = state.office.private().audit(&record) {
        tracing::error!(error = %e, staff = session.name, "the audit log could not be written");
    }
    written
}

#[cfg(test)]
mod tests {
    use super::FIELDS;

    /// Every console template that shows a refusal next to its field.
    const PAGES: &[&str] = &[
        include_str!("../../templates/console/topic.html"),
        include_str!("../../templates/console/topic_show.html"),
        include_str!("../../templates/console/meeting.html"),
        include_str!("../../templates/console/meeting_new.html"),
        include_str!("../../templates/console/setup.html"),
        include_str!("../../templates/console/offices.html"),
    ];

    #[test]
    fn every_field_a_refusal_names_has_a_place_next_to_it_on_some_page() {
        let names = FIELDS
            .iter()
            .map(|(_, name)| *name)
            .chain(["id", "sub_item", "satisfied"]);
        for name in names {
            let slot = format!("feedback.at(\"{name}\"");
            assert!(
                PAGES.iter().any(|page| page.contains(&slot)),
                "no page shows a refusal next to {name}"
            );
        }
    }
}

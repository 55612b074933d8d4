//! The offices below this one and the district's departments, at the
//! console: a street admits its communities and a district its streets by
//! charter (章程) — or revokes them, saying why — the secretary's to do;
//! the district keeps the department directory (部门目录) it dispatches to.
//! It also shows who vouches for this office's ledger (见证): how far the
//! parent has cosigned it, each outside witness's last cosignature or
//! error, and the node's own cosigner key for residents' policies.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::proto::Level;

use super::matters::departments;
use super::page::{Desk, Feedback, Posted, render};
use super::write::write;
use crate::api::state::ApiState;
use crate::staff::Permission;

/// An office admitted by charter, as the page lists it.
struct Admitted {
    key: String,
    name: String,
    origin: String,
    revoked: bool,
}

/// An outside witness as the page shows it.
struct OutsideWitness {
    name: String,
    url: String,
    /// Its last cosignature: the size and when.
    cosigned: Option<(u64, String)>,
    /// The last attempt's error.
    error: Option<String>,
}

/// Who cosigns this office's ledger, and whose this node cosigns.
struct Witnessing {
    /// Entries in the own ledger.
    held: u64,
    /// The size the parent has cosigned (`None`: no parent, or not yet).
    parent_cosigned: Option<u64>,
    has_parent: bool,
    /// Each outside witness.
    outside: Vec<OutsideWitness>,
    /// This node's cosigner key.
    cosigner: String,
    /// Origins of the logs this node witnesses from outside.
    witnessing_for: Vec<String>,
}

fn witnessing(state: &ApiState) -> Witnessing {
    let store = state.office.store();
    let own = store.own_log();
    let has_parent = state.members.parent(&own).is_some();
    let parent_cosigned = crate::bundle::witnessed_checkpoint(store, &state.members, &own)
        .ok()
        .flatten()
        .filter(|_| has_parent)
        .map(|c| c.size());
    Witnessing {
        held: store.held(&own),
        parent_cosigned,
        has_parent,
        outside: state
            .outside
            .status()
            .into_iter()
            .map(|w| OutsideWitness {
                cosigned: w
                    .cosigned_size
                    .zip(w.cosigned_at_ms)
                    .map(|(size, ms)| (size, super::page::when(ms))),
                name: w.name,
                url: w.url,
                error: w.error,
            })
            .collect(),
        cosigner: store.own_key().to_cosigner().to_string(),
        witnessing_for: state.witness.outside_logs(),
    }
}

#[derive(Template)]
#[template(path = "console/offices.html")]
struct OfficesPage {
    en: bool,
    office: String,
    csrf: String,
    /// What this office admits: streets (a district), communities (a
    /// street), none (a community).
    admits: Option<(&'static str, &'static str)>,
    admitted: Vec<Admitted>,
    may_charter: bool,
    /// The district's directory (id, name); `None` below the district.
    departments: Option<Vec<(String, String)>>,
    may_record: bool,
    witnessing: Witnessing,
    feedback: Feedback,
}

/// The level this office admits, as the API names it and in Chinese.
fn admits(level: Level) -> Option<(&'static str, &'static str)> {
    match level {
        Level::City => Some(("district", "区")),
        Level::District => Some(("street", "街道")),
        Level::Street => Some(("community", "社区")),
        _ => None,
    }
}

async fn page(state: &ApiState, desk: &Desk, feedback: Feedback) -> Response {
    let admitted = state
        .office
        .read(|s| {
            s.charters
                .values()
                .map(|c| Admitted {
                    key: c.verifier_key.clone(),
                    name: c.name.clone(),
                    origin: c.origin.clone(),
                    revoked: c.revoked,
                })
                .collect()
        })
        .await;
    let status = feedback.status();
    let page = OfficesPage {
        en: desk.en,
        office: state.office_name().await,
        csrf: desk.session.csrf.clone(),
        admits: admits(state.level),
        admitted,
        may_charter: desk.session.role.may(Permission::Charter),
        departments: matches!(state.level, Level::District | Level::City)
            .then(|| departments(state)),
        may_record: desk.session.role.may(Permission::Record),
        witnessing: witnessing(state),
        feedback,
    };
    render(page, &desk.lang, status)
}

pub(super) async fn offices(State(state): State<Arc<ApiState>>, desk: Desk) -> Response {
    page(&state, &desk, Feedback::default()).await
}

/// Writes `action` from this page; back to it, or it with the refusal.
async fn record(state: &ApiState, posted: Posted, needs: Permission, action: Action) -> Response {
    let Posted { desk, form } = posted;
    match write(state, &desk.session, needs, action).await {
        Ok(_) => Redirect::to("/office/offices").into_response(),
        Err(e) => page(state, &desk, Feedback::refused(&e, desk.en, form)).await,
    }
}

/// Admits an office below by charter (the secretary's).
pub(super) async fn admit(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Charter(api::Charter {
        charter: "admit".into(),
        key: form.get("key"),
        name: form.get("name"),
        level: admits(state.level)
            .map_or("", |(level, _)| level)
            .to_owned(),
        origin: form.get("origin"),
        new_key: String::new(),
        addresses: form.lines("addresses"),
        reason: String::new(),
    });
    record(&state, posted, Permission::Charter, action).await
}

/// Revokes an office's charter, saying why (the secretary's).
pub(super) async fn revoke(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Charter(api::Charter {
        charter: "revoke".into(),
        key: form.get("key"),
        reason: form.get("reason"),
        ..Default::default()
    });
    record(&state, posted, Permission::Charter, action).await
}

/// Adds a department to the district's directory.
pub(super) async fn department(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Department(api::Department {
        id: form.get("id"),
        name: form.get("name"),
        handles: form.lines("handles"),
        withdrawn: false,
    });
    record(&state, posted, Permission::Record, action).await
}

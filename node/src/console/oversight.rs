//! Oversight and designated persons on a topic's page (全过程监督, 指定专人):
//! the phase, the kinds of supervisor and, where money is spent, the
//! discipline-inspection, finance and audit bodies invited; the person the
//! party organisation designates, by role and office.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::proto;
use yiyi_protocol::rules::{Date, Position, record};

use super::gate::on_topic;
use super::page::Posted;
use crate::api::state::ApiState;
use crate::staff::Permission;

/// How many supervisor rows the form offers.
const SUPERVISOR_ROWS: usize = 4;

/// One oversight record, as the topic page lists it.
pub(super) fn describe(at: &Position, o: &proto::Oversight, en: bool) -> String {
    format!(
        "{} · {}",
        Date::in_shanghai(at.time_ms),
        record::describe(o, !en)
    )
}

/// A designated person, as the topic page lists them.
pub(super) fn designated(d: &proto::Designation, en: bool) -> String {
    record::designated(d, !en)
}

/// Records oversight from the topic's page.
pub(super) async fn oversee(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let supervisors = (1..=SUPERVISOR_ROWS)
        .filter_map(|i| {
            let name = form.get(&format!("name{i}"));
            (!name.trim().is_empty()).then(|| api::Supervisor {
                kind: form.get(&format!("kind{i}")),
                name,
            })
        })
        .collect();
    let action = Action::Oversee(api::Oversee {
        topic: form.get("topic"),
        phase: form.get("phase"),
        supervisors,
        bodies: form.all("body"),
        note: form.get("note"),
    });
    on_topic(&state, posted, Permission::Record, action).await
}

/// Designates the person responsible, from the topic's page.
pub(super) async fn designate(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Designate(api::Designate {
        duty: form.get("duty"),
        topic: form.get("topic"),
        role: form.get("role"),
        office: form.get("office"),
    });
    on_topic(&state, posted, Permission::Record, action).await
}

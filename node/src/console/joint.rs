//! Topics both ways (议题双向提出) at the console: a street's secretary puts
//! a topic on a community's agenda and sees each answer; a community's
//! secretary accepts one from above as a topic, or declines it saying why;
//! and the street's joint meeting (协商联席会议) — its standing members and
//! when it studies major matters.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::proto::Level;
use yiyi_protocol::rules::joint::{assigned_to, next_study};
use yiyi_protocol::rules::{Date, names};

use super::page::{Desk, Feedback, Posted, render};
use super::write::write;
use crate::api::state::ApiState;
use crate::matters::Assigned;
use crate::staff::Permission;

/// An assignment as the page lists it.
struct Listed {
    id: String,
    title: String,
    summary: String,
    /// The other office: the one asked (sent) or the one asking (received).
    office: String,
    /// The assigning office's log key (to answer it).
    from: String,
    reply_by: String,
    late: bool,
    /// `None` until answered; then accepted (with the topic) or the reason.
    answer: Option<Result<String, String>>,
}

#[derive(Template)]
#[template(path = "console/assignments.html")]
struct AssignmentsPage {
    en: bool,
    office: String,
    csrf: String,
    may_record: bool,
    /// The offices below it may assign to: name; none for a community.
    below: Vec<String>,
    sent: Vec<Listed>,
    received: Vec<Listed>,
    categories: Vec<&'static str>,
    feedback: Feedback,
}

fn listed(state: &ApiState, a: &Assigned, sent: bool, today: Date) -> Listed {
    let other = if sent {
        assigned_to(&a.assignment).map_or_else(String::new, |l| state.office.name_of(&l))
    } else {
        state.office.name_of(&a.from)
    };
    Listed {
        id: a.assignment.id.clone(),
        title: a.assignment.title.clone(),
        summary: a.assignment.summary.clone(),
        office: other,
        from: a.from.to_string(),
        reply_by: a.assignment.reply_by.clone(),
        late: a.reply.is_none()
            && Date::parse(&a.assignment.reply_by).is_ok_and(|last| today > last),
        answer: a.reply.as_ref().map(|(_, _, r)| {
            if r.accepted {
                Ok(r.topic_id.clone())
            } else {
                Err(r.reason.clone())
            }
        }),
    }
}

/// The assignments received and not yet answered, for Today: id, title,
/// from whom, reply by.
pub(super) fn awaiting(state: &ApiState) -> Vec<(String, String, String, String)> {
    let own = state.office.store().own_log();
    state
        .office
        .matters()
        .assignments()
        .into_iter()
        .filter(|a| a.reply.is_none() && assigned_to(&a.assignment) == Some(own))
        .map(|a| {
            (
                a.assignment.id,
                a.assignment.title,
                state.office.name_of(&a.from),
                a.assignment.reply_by,
            )
        })
        .collect()
}

async fn page(state: &ApiState, desk: &Desk, feedback: Feedback) -> Response {
    let own = state.office.store().own_log();
    let today = Date::in_shanghai(crate::now_ms());
    let all = state.office.matters().assignments();
    let sent = all
        .iter()
        .filter(|a| a.from == own)
        .map(|a| listed(state, a, true, today))
        .collect();
    let received = all
        .iter()
        .filter(|a| assigned_to(&a.assignment) == Some(own))
        .map(|a| listed(state, a, false, today))
        .collect();
    let below = state
        .office
        .read(|s| {
            s.charters
                .values()
                .filter(|c| !c.revoked)
                .map(|c| c.name.clone())
                .collect()
        })
        .await;
    let status = feedback.status();
    let page = AssignmentsPage {
        en: desk.en,
        office: state.office_name().await,
        csrf: desk.session.csrf.clone(),
        may_record: desk.session.role.may(Permission::Record),
        below: if matches!(state.level, Level::Street | Level::District) {
            below
        } else {
            Vec::new()
        },
        sent,
        received,
        categories: names::category_names(),
        feedback,
    };
    render(page, &desk.lang, status)
}

pub(super) async fn assignments(State(state): State<Arc<ApiState>>, desk: Desk) -> Response {
    page(&state, &desk, Feedback::default()).await
}

async fn record(state: &ApiState, posted: Posted, action: Action, back: &str) -> Response {
    let Posted { desk, form } = posted;
    match write(state, &desk.session, Permission::Record, action).await {
        Ok(_) => Redirect::to(back).into_response(),
        Err(e) if back == "/office/joint" => {
            joint_page(state, &desk, Feedback::refused(&e, desk.en, form)).await
        }
        Err(e) => page(state, &desk, Feedback::refused(&e, desk.en, form)).await,
    }
}

/// Sends a topic down. The id is made from the day and a count when the
/// secretary leaves it empty.
pub(super) async fn send(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let id = match form.given("id") {
        Some(id) => id,
        None => {
            let n = state.office.read(|s| s.assignments.len()).await + 1;
            let today = Date::in_shanghai(crate::now_ms())
                .to_string()
                .replace('-', "");
            format!("A-{today}-{n}")
        }
    };
    let action = Action::Assign(api::Assign {
        id,
        office: form.get("office"),
        title: form.get("title"),
        summary: form.get("summary"),
        category: form.get("category"),
        sub_item: String::new(),
        scale: form.get("scale"),
        reply_by: form.get("reply_by"),
    });
    record(&state, posted, action, "/office/assignments").await
}

/// Accepts or declines an assignment from above.
pub(super) async fn reply(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Reply(api::Reply {
        assignment: form.get("assignment"),
        from: form.given("from"),
        accept: form.raw("answer") == "accept",
        topic: None,
        reason: form.get("reason"),
    });
    record(&state, posted, action, "/office/assignments").await
}

/// A standing member as the page lists it.
struct MemberRow {
    id: String,
    name: String,
    kind: String,
    withdrawn: bool,
    topics: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/joint.html")]
struct JointPage {
    en: bool,
    office: String,
    csrf: String,
    may_record: bool,
    members: Vec<MemberRow>,
    kinds: Vec<&'static str>,
    /// Day, months, place, the next study day.
    study: Option<(u32, String, String, String)>,
    feedback: Feedback,
}

/// A member kind's name in Chinese.
fn kind_zh(kind: &str) -> &'static str {
    match kind {
        "resident-unit" => "驻地单位",
        "non-public-enterprise" => "非公有制经济组织",
        "social-organisation" => "社会组织",
        "party-organisation" => "党组织",
        _ => "",
    }
}

async fn joint_page(state: &ApiState, desk: &Desk, feedback: Feedback) -> Response {
    let today = Date::in_shanghai(crate::now_ms());
    let en = desk.en;
    let (members, study) = state
        .office
        .read(|s| {
            let members = s
                .members
                .values()
                .map(|m| {
                    let kind = names::member_kind_name(m.kind);
                    MemberRow {
                        id: m.id.clone(),
                        name: m.name.clone(),
                        kind: if en {
                            kind.to_owned()
                        } else {
                            kind_zh(kind).to_owned()
                        },
                        withdrawn: m.withdrawn,
                        topics: s
                            .member_topics
                            .iter()
                            .filter(|(_, member)| **member == m.id)
                            .map(|(topic, _)| topic.clone())
                            .collect(),
                    }
                })
                .collect();
            let study = s.study.as_ref().map(|(_, p)| {
                let months: Vec<String> = p.months.iter().map(u32::to_string).collect();
                let next = next_study(p, today)
                    .map(|d| d.to_string())
                    .unwrap_or_default();
                (p.day, months.join(","), p.place.clone(), next)
            });
            (members, study)
        })
        .await;
    let status = feedback.status();
    let page = JointPage {
        en,
        office: state.office_name().await,
        csrf: desk.session.csrf.clone(),
        may_record: desk.session.role.may(Permission::Record),
        members,
        kinds: names::member_kind_names(),
        study,
        feedback,
    };
    render(page, &desk.lang, status)
}

pub(super) async fn joint(State(state): State<Arc<ApiState>>, desk: Desk) -> Response {
    joint_page(&state, &desk, Feedback::default()).await
}

/// Adds (or withdraws) a standing member.
pub(super) async fn member(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let action = Action::Member(api::Member {
        id: form.get("id"),
        name: form.get("name"),
        kind: form.get("kind"),
        withdrawn: form.raw("withdraw") == "yes",
    });
    record(&state, posted, action, "/office/joint").await
}

/// Sets when the joint meeting studies major matters.
pub(super) async fn study(State(state): State<Arc<ApiState>>, posted: Posted) -> Response {
    let form = &posted.form;
    let months = form
        .all("month")
        .iter()
        .filter_map(|m| m.parse().ok())
        .collect();
    let action = Action::Study(api::Study {
        day: form.number("day"),
        months,
        place: form.get("place"),
    });
    record(&state, posted, action, "/office/joint").await
}

/// The next study day, for a street's Today.
pub(super) async fn next_study_day(state: &ApiState, today: Date) -> Option<String> {
    state
        .office
        .read(|s| {
            s.study
                .as_ref()
                .and_then(|(_, p)| next_study(p, today))
                .map(|d| d.to_string())
        })
        .await
}

//! Today (今日待办): the console's first page, what the rules say is due —
//! overdue items first, then progress notices due within three days,
//! meetings (those on today's date marked) and the next regular
//! consultation day, residents' concerns and topics to gate-keep, matters
//! to decide and matters sent up without a decision, and the forms refused
//! lately. `?on=YYYY-MM-DD` looks ahead (or back): what is overdue on that
//! day if nothing moves before it.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use yiyi_protocol::escalation::Status;
use yiyi_protocol::rules::{Date, TopicStatus, step_name, step_zh};

use super::page::{Desk, Feedback, render};
use crate::api::state::ApiState;
use crate::staff::Permission;

/// How many days ahead a progress notice counts as due.
const DUE_WITHIN_DAYS: i64 = 3;
/// How far back a refusal is shown, and how many at most.
const REFUSALS_SHOWN_DAYS: i64 = 7;
const REFUSALS_SHOWN: usize = 5;

/// A meeting with steps still to take.
struct Upcoming {
    id: String,
    date: String,
    /// The next step's label.
    next: &'static str,
    /// It is on today's date: its steps are to be taken now.
    today: bool,
}

/// A form refused lately.
struct Refused {
    date: String,
    staff: String,
    subject: String,
    why: String,
}

#[derive(Template)]
#[template(path = "console/today.html")]
struct TodayPage {
    en: bool,
    office: String,
    name: String,
    role: &'static str,
    csrf: String,
    may_record: bool,
    may_audit: bool,
    /// Whether this office admits offices or keeps departments.
    has_offices: bool,
    /// Residents' concerns from the board waiting to be taken up or
    /// answered.
    concerns: usize,
    /// Topics waiting for gate-keeping: id and title.
    proposed: Vec<(String, String)>,
    /// Referred disputes waiting for the party organisation's approval.
    referred: Vec<(String, String)>,
    meetings: Vec<Upcoming>,
    /// The next regular consultation day (the 11th).
    next_eleventh: String,
    /// Topics the office above put on this office's agenda, not yet
    /// answered: id, title, from, answer by.
    assigned: Vec<(String, String, String, String)>,
    /// A street's: its joint meeting's next study of major matters, if it
    /// has a schedule (`Some("")`: a street without one).
    next_study: Option<String>,
    /// Matters addressed to this office and still open: id, from, deadline.
    to_decide: Vec<(String, String, String)>,
    /// Matters this office sent up with no decision yet: id, status.
    sent: Vec<(String, &'static str)>,
    /// Items overdue: id, title, why.
    overdue: Vec<(String, String, String)>,
    /// The day asked for with `?on=`, if one was: overdue is judged on it.
    on: Option<String>,
    /// `?on=` was not a date.
    on_refused: bool,
    /// Progress notices due within three days: id, title, the last day.
    due_soon: Vec<(String, String, String)>,
    /// Escalated matters (sent or to handle) past their last day: id,
    /// where they stand, the last day.
    late_matters: Vec<(String, &'static str, String)>,
    /// Overdue items in the offices below (a street's communities, a
    /// district's streets and communities), from the replicas held:
    /// office, topic id, title, why.
    below: Vec<(String, String, String, String)>,
    refusals: Vec<Refused>,
    feedback: Feedback,
}

/// `?on=YYYY-MM-DD`.
#[derive(serde::Deserialize, Default)]
pub(super) struct LookAhead {
    #[serde(default)]
    on: Option<String>,
}

pub(super) async fn today(
    State(state): State<Arc<ApiState>>,
    Query(ahead): Query<LookAhead>,
    desk: Desk,
) -> Response {
    let on = ahead.on.filter(|d| !d.is_empty());
    let judged = on.as_deref().map(Date::parse);
    let mut page = page_on(
        &state,
        &desk,
        Feedback::default(),
        judged.clone().and_then(Result::ok),
    )
    .await;
    // The page is built; say which day it judged on, or that it could not.
    page.on_refused = matches!(judged, Some(Err(_)));
    page.on = on;
    let status = page.feedback.status();
    render(page, &desk.lang, status)
}

/// The topics part of Today: to gate-keep, to approve, overdue, due soon.
type TopicLists = (
    Vec<(String, String)>,
    Vec<(String, String)>,
    Vec<(String, String, String)>,
    Vec<(String, String, String)>,
);

async fn topic_lists(state: &ApiState, en: bool, today: Date) -> TopicLists {
    state
        .office
        .read(|s| {
            let titled = |status: TopicStatus| {
                s.topics
                    .values()
                    .filter(|t| t.status == status)
                    .map(|t| (t.topic.id.clone(), t.topic.title.clone()))
                    .collect::<Vec<_>>()
            };
            let limits = s.limits();
            let overdue = s
                .topics
                .values()
                .filter_map(|t| {
                    let why = t.overdue(today, &limits)?;
                    let why = if en { why.to_string() } else { why.zh() };
                    Some((t.topic.id.clone(), t.topic.title.clone(), why))
                })
                .collect();
            let due_soon = s
                .topics
                .values()
                .filter(|t| t.overdue(today, &limits).is_none())
                .filter_map(|t| {
                    let due = t.progress_notice_due()?;
                    (due <= today.plus_days(DUE_WITHIN_DAYS))
                        .then(|| (t.topic.id.clone(), t.topic.title.clone(), due.to_string()))
                })
                .collect();
            (
                titled(TopicStatus::Proposed),
                titled(TopicStatus::Referred),
                overdue,
                due_soon,
            )
        })
        .await
}

async fn upcoming(state: &ApiState, en: bool, today: Date) -> Vec<Upcoming> {
    state
        .office
        .read(|s| {
            s.meetings
                .values()
                .filter_map(|m| {
                    let next = m.next_step()?;
                    Some(Upcoming {
                        id: m.meeting.id.clone(),
                        date: m.meeting.date.clone(),
                        next: if en { step_name(next) } else { step_zh(next) },
                        today: Date::parse(&m.meeting.date).is_ok_and(|d| d == today),
                    })
                })
                .collect()
        })
        .await
}

/// The forms refused in the last week, newest first.
fn refusals(state: &ApiState, now: i64) -> Vec<Refused> {
    let since = now - REFUSALS_SHOWN_DAYS * 24 * 3600 * 1000;
    let log = state.office.private().audit_log(200).unwrap_or_else(|e| {
        tracing::error!(error = %e, "reading the audit log");
        Vec::new()
    });
    log.into_iter()
        .filter(|r| !r.refused.is_empty() && r.time_ms >= since)
        .take(REFUSALS_SHOWN)
        .map(|r| Refused {
            date: Date::in_shanghai(r.time_ms).to_string(),
            staff: r.staff,
            subject: r.subject,
            why: r.refused,
        })
        .collect()
}

/// The overdue items of the offices below this one, from the ledgers held,
/// each judged by its own office's limits; the office's name first.
fn overdue_below(state: &ApiState, en: bool, on: Date) -> Vec<(String, String, String, String)> {
    let own = state.office.store().own_log();
    let below: std::collections::HashSet<crate::LogKey> = state.members.with(|f| {
        f.members()
            .map(|(log, _)| *log)
            .filter(|log| f.is_above(&own, log))
            .collect()
    });
    if below.is_empty() {
        return Vec::new();
    }
    let listed = state.courses.with(state.office.store(), |logs| {
        let mut listed = Vec::new();
        for (log, replayed) in logs.iter().filter(|(log, _)| below.contains(*log)) {
            let limits = replayed.state.limits();
            for t in replayed.state.topics.values() {
                if let Some(why) = t.overdue(on, &limits) {
                    let why = if en { why.to_string() } else { why.zh() };
                    listed.push((
                        state.office.name_of(log),
                        t.topic.id.clone(),
                        t.topic.title.clone(),
                        why,
                    ));
                }
            }
        }
        listed
    });
    let mut listed = listed.unwrap_or_else(|e| {
        tracing::error!(error = %e, "reading the ledgers below");
        Vec::new()
    });
    listed.sort();
    listed
}

/// Today for `desk`, with `feedback` if an action from it was refused.
pub(super) async fn page(state: &ApiState, desk: &Desk, feedback: Feedback) -> Response {
    let page = page_on(state, desk, feedback, None).await;
    let status = page.feedback.status();
    render(page, &desk.lang, status)
}

/// Today's page, overdue judged on `on` (default today).
async fn page_on(state: &ApiState, desk: &Desk, feedback: Feedback, on: Option<Date>) -> TodayPage {
    let (en, session) = (desk.en, &desk.session);
    let now = crate::now_ms();
    let today = Date::in_shanghai(now);
    let judged = on.unwrap_or(today);
    let (proposed, referred, overdue, due_soon) = topic_lists(state, en, judged).await;
    let own = state.office.store().own_log();
    let (late_matters, sent) = state.office.matters().with(|m| {
        let late = m
            .all()
            .filter(|x| (x.to == own || x.from == own) && m.overdue(x, judged))
            .map(|x| {
                let due = m.due(x).map(|d| d.to_string()).unwrap_or_default();
                let status = super::matters::status_zh(&x.status, en);
                (x.escalation.id.clone(), status, due)
            })
            .collect();
        let sent = m
            .all()
            .filter(|x| x.from == own && matches!(x.status, Status::Sent | Status::Received))
            .map(|x| {
                (
                    x.escalation.id.clone(),
                    super::matters::status_zh(&x.status, en),
                )
            })
            .collect();
        (late, sent)
    });
    let to_decide = super::matters::queue(state, en)
        .into_iter()
        .filter(|m| m.is_open())
        .map(|m| m.summary())
        .collect();
    TodayPage {
        en,
        office: state.office_name().await,
        name: session.name.clone(),
        role: if en {
            session.role.name()
        } else {
            session.role.zh()
        },
        csrf: session.csrf.clone(),
        may_record: session.role.may(Permission::Record),
        may_audit: session.role.may(Permission::ManageStaff),
        has_offices: state.level != yiyi_protocol::proto::Level::Community,
        concerns: state.concerns.waiting().unwrap_or_else(|e| {
            tracing::error!(error = %e, "counting the concerns");
            0
        }),
        proposed,
        referred,
        meetings: upcoming(state, en, today).await,
        next_eleventh: today.next_regular_consultation().to_string(),
        assigned: super::joint::awaiting(state),
        next_study: match state.level {
            yiyi_protocol::proto::Level::Street => Some(
                super::joint::next_study_day(state, today)
                    .await
                    .unwrap_or_default(),
            ),
            _ => None,
        },
        to_decide,
        sent,
        overdue,
        on: None,
        on_refused: false,
        due_soon,
        late_matters,
        below: overdue_below(state, en, judged),
        refusals: refusals(state, now),
        feedback,
    }
}

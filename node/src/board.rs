//! The notice board (公示栏) every node serves at `/`: a page, its script
//! and style embedded in the binary (no external assets: the machines it
//! runs on may be offline), the notices of every ledger held as JSON a page
//! at a time (`listing`), the
//! residents' form to raise a concern (`/concern`), Atom
//! feeds per office and per topic, and each office's meetings as a
//! calendar. The page verifies each notice in
//! the browser; this module only serves bytes.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};
use yiyi_protocol::Hash;
use yiyi_protocol::entry;
use yiyi_protocol::escalation::Step;
use yiyi_protocol::proto::entry::Body;
use yiyi_protocol::rules::{Date, names};

use crate::api::state::ApiState;
use crate::api::transport::Transport;
use crate::store::LogKey;
use listing::{BoardQuery, Listed, listed};

mod calendar;
pub(crate) mod course;
mod listing;
pub use course::Courses;

const INDEX: &str = include_str!("board/index.html");
const SCRIPT: &str = include_str!("board/board.js");
const FIGURES: &str = include_str!("board/figures.js");
const VERIFY: &str = include_str!("board/verify.js");
const STYLE: &str = include_str!("board/board.css");
const CONCERN: &str = include_str!("board/concern.html");
const CONCERN_SCRIPT: &str = include_str!("board/concern.js");
const ROUND: &str = include_str!("board/round.html");
const PAGE_SCRIPT: &str = include_str!("board/page.js");
const ROUND_SCRIPT: &str = include_str!("board/round.js");

/// Most records of a later release listed (newest first).
const MAX_NEWER: usize = 2000;

/// The board's routes.
pub fn router() -> Router<Arc<ApiState>> {
    Router::new()
        .route(
            "/",
            get(|| async { asset("text/html; charset=utf-8", INDEX) }),
        )
        .route(
            "/board.js",
            get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/figures.js",
            get(|| async { asset("text/javascript; charset=utf-8", FIGURES) }),
        )
        .route(
            "/verify.js",
            get(|| async { asset("text/javascript; charset=utf-8", VERIFY) }),
        )
        .route(
            "/board.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
        .route(
            "/concern",
            get(|| async { asset("text/html; charset=utf-8", CONCERN) }),
        )
        .route(
            "/concern.js",
            get(|| async { asset("text/javascript; charset=utf-8", CONCERN_SCRIPT) }),
        )
        .route(
            "/r/{id}",
            get(|| async { asset("text/html; charset=utf-8", ROUND) }),
        )
        .route(
            "/page.js",
            get(|| async { asset("text/javascript; charset=utf-8", PAGE_SCRIPT) }),
        )
        .route(
            "/round.js",
            get(|| async { asset("text/javascript; charset=utf-8", ROUND_SCRIPT) }),
        )
        .route("/api/v1/board", get(notices))
        .route("/feeds/{log}", get(office_feed))
        .route("/feeds/{log}/{topic}", get(topic_feed))
        .layer(axum::middleware::map_response(strict))
}

/// The board runs only its own scripts and styles and talks only to its
/// own node: a notice's text, whoever typed it, can never run as script.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                   img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

async fn strict(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    response
}

fn asset(kind: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

/// The topics the listed notices are about, by `log/topic`: what the
/// filters need (category, outcome class, status) and each topic's course,
/// an escalated one's with every signed step of its matter's path.
fn topics(
    state: &ApiState,
    list: &[&Listed],
    today: Date,
) -> Result<Map<String, Value>, crate::store::StoreError> {
    let mut wanted: Vec<(LogKey, &str)> = list
        .iter()
        .filter(|n| !n.notice.topic_id.is_empty())
        .map(|n| (n.log, n.notice.topic_id.as_str()))
        .collect();
    wanted.sort();
    wanted.dedup();
    state.courses.with(state.office.store(), |logs| {
        let mut topics = Map::new();
        for (log, id) in wanted {
            let Some(replayed) = logs.get(&log) else {
                continue;
            };
            let Some(topic) = replayed.state.topics.get(id) else {
                continue;
            };
            let mut events: Vec<Value> = Vec::new();
            for e in replayed.courses.get(id).into_iter().flatten() {
                events.push(json!({
                    "what": e.what,
                    "detail": e.detail,
                    "date": Date::in_shanghai(e.time_ms).to_string(),
                    "time_ms": e.time_ms,
                    "hash": e.hash,
                    "kind": e.kind,
                    "office": state.office.name_of(&log),
                }));
                if e.what == "escalated" {
                    events.extend(matter_steps(state, &e.hash));
                }
            }
            events.sort_by_key(|e| e["time_ms"].as_i64());
            let outcome = topic.outcome.as_ref();
            topics.insert(
                format!("{log}/{id}"),
                json!({
                    "title": topic.topic.title,
                    "category": names::category_name(topic.topic.category),
                    "sub_item": topic.topic.sub_item,
                    "status": topic.public_status(),
                    "class": outcome.map(|o| names::outcome_class_name(o.class)),
                    "deadline": outcome.map(|o| o.deadline.as_str()).filter(|d| !d.is_empty()),
                    "overdue": topic.overdue(today, &replayed.state.limits()).map(|o| json!({
                        "why": o.name(),
                        "last_day": o.date().to_string(),
                        "zh": o.zh(),
                        "en": o.to_string(),
                    })),
                    "residents": topic.residents,
                    "events": events,
                }),
            );
        }
        topics
    })
}

/// The steps of an escalated matter after the community's escalation: the
/// receipts, decisions, onward escalations, dispatches and resolutions of
/// the offices above, as far as this node holds them, each with what it
/// says in public (a reason, the departments, a result).
fn matter_steps(state: &ApiState, escalation: &str) -> Vec<Value> {
    let Ok(id) = Hash::from_hex(escalation) else {
        return Vec::new();
    };
    let (steps, departments) = state.office.matters().with(|matters| {
        let path = matters.path(&id);
        let steps: Vec<Step> = path
            .iter()
            .flat_map(|hop| hop.steps.iter())
            .filter(|step| step.at.hash != id)
            .cloned()
            .collect();
        let departments: HashMap<String, String> = path
            .iter()
            .flat_map(|hop| matters.departments(&hop.to))
            .map(|d| (d.id.clone(), d.name.clone()))
            .collect();
        (steps, departments)
    });
    let name = |id: &String| departments.get(id).unwrap_or(id).clone();
    steps
        .iter()
        .map(|step| {
            let body = state
                .office
                .store()
                .entry(&step.log, step.at.sequence)
                .ok()
                .flatten()
                .and_then(|bytes| entry::verify(&bytes).ok())
                .filter(|v| v.hash == step.at.hash)
                .and_then(|v| v.entry.body);
            let detail = match body {
                Some(Body::Decision(d)) => [d.reason, d.deadline]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" · "),
                Some(Body::Dispatch(d)) => d
                    .department_ids
                    .iter()
                    .map(name)
                    .collect::<Vec<_>>()
                    .join("、"),
                Some(Body::Resolution(r)) if r.department_id.is_empty() => r.result,
                Some(Body::Resolution(r)) => format!("{}：{}", name(&r.department_id), r.result),
                Some(Body::CoordinationMeeting(c)) => format!("{} · {}", c.date, c.conclusion),
                Some(Body::Redispatch(r)) => format!(
                    "{}：{} → {}",
                    name(&r.department_id),
                    r.reason,
                    r.to_department_ids
                        .iter()
                        .map(name)
                        .collect::<Vec<_>>()
                        .join("、")
                ),
                _ => String::new(),
            };
            json!({
                "what": format!("matter-{}", step.kind.name()),
                "detail": detail,
                "date": Date::in_shanghai(step.at.time_ms).to_string(),
                "time_ms": step.at.time_ms,
                "hash": step.at.hash.to_hex(),
                "kind": 0,
                "office": state.office.name_of(&step.log),
            })
        })
        .collect()
}

/// The entries held that a later release wrote (较新版本的记录), newest
/// first: which office, when, their hash, and the release that reads them.
fn newer(state: &ApiState) -> Result<Vec<Value>, crate::store::StoreError> {
    let store = state.office.store();
    let mut records = store.newer_records(None)?;
    records.sort_by_key(|r| std::cmp::Reverse((r.sequence, r.log)));
    records.truncate(MAX_NEWER);
    let mut listed = Vec::new();
    for r in records {
        let time_ms = store
            .entry(&r.log, r.sequence)?
            .and_then(|bytes| entry::unverified(&bytes).ok())
            .map_or(0, |(e, _)| e.time_ms);
        listed.push(json!({
            "hash": r.hash.to_hex(),
            "log": r.log.to_string(),
            "office": state.office.name_of(&r.log),
            "sequence": r.sequence,
            "date": Date::in_shanghai(time_ms).to_string(),
            "reader_version": r.reader_version,
        }));
    }
    Ok(listed)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// `GET /api/v1/board`: the office, the trusted key, one page of the
/// notices held that match the query (newest first), their topics' courses,
/// the filters' choices and the records of a later release.
async fn notices(
    State(state): State<Arc<ApiState>>,
    Query(query): Query<BoardQuery>,
) -> Result<Response, StatusCode> {
    let error = |e: crate::store::StoreError| {
        tracing::warn!(error = %e, "the board could not read the ledgers");
        StatusCode::INTERNAL_SERVER_ERROR
    };
    let today = query
        .day(Date::in_shanghai(now_ms()))
        .ok_or(StatusCode::BAD_REQUEST)?;
    let all = listed(&state).map_err(error)?;
    let page = query.page(&all);
    let topics = topics(&state, &page.notices, today).map_err(error)?;
    let district = state.members.with(|f| {
        let log = f.district();
        f.member(&log).map(|m| (log, m.key.clone(), m.name.clone()))
    });
    let newer = newer(&state).map_err(error)?;
    // Where and when residents can find the office, as its profile says.
    let profile = state
        .office
        .profile()
        .await
        .map(|(_, p)| p)
        .unwrap_or_default();
    let office = json!({
        "name": state.office_name().await,
        "level": names::level_name(state.level as i32),
        "log": state.office.store().own_log().to_string(),
        "address": profile.address,
        "phone": profile.phone,
        "meeting_place": profile.meeting_place,
        "meeting_rhythm": profile.meeting_rhythm,
    });
    // Corrections both ways: what a notice corrects, and what corrects it
    // (a notice is corrected once, so the history is one line).
    let by_hash: std::collections::HashMap<&str, &listing::Listed> =
        all.iter().map(|n| (n.hash.as_str(), n)).collect();
    let mut corrected_by: std::collections::HashMap<String, &listing::Listed> =
        std::collections::HashMap::new();
    for n in &all {
        if let Some(old) = &n.notice.supersedes {
            corrected_by.insert(hex::encode(&old.hash), n);
        }
    }
    let brief =
        |n: &listing::Listed| json!({ "hash": n.hash, "date": n.date, "title": n.notice.title });
    let notices: Vec<Value> = page
        .notices
        .iter()
        .map(|n| {
            let supersedes = n
                .notice
                .supersedes
                .as_ref()
                .map(|old| hex::encode(&old.hash))
                .map(|old| {
                    by_hash
                        .get(old.as_str())
                        .map_or(json!({ "hash": old }), |o| brief(o))
                });
            json!({
                "supersedes": supersedes,
                "corrected_by": corrected_by.get(&n.hash).map(|c| brief(c)),
                "hash": n.hash,
                "log": hex::encode(n.log),
                "office": state.office.name_of(&n.log),
                "sequence": n.sequence,
                "date": n.date,
                "time_ms": n.time_ms,
                "kind": n.notice.kind,
                "topic": n.notice.topic_id,
                "title": n.notice.title,
                "body": n.notice.body,
            })
        })
        .collect();
    Ok(axum::Json(json!({
        "office": office,
        "district": district.map(|(log, key, name)| json!({
            "log": log.to_string(),
            "key": key.to_string(),
            "key_id": format!("{:08x}", key.id()),
            "name": name,
        })),
        "notices": notices,
        "total": page.total,
        "page": page.page,
        "per": page.per,
        "pages": page.total.div_ceil(page.per).max(1),
        "choices": listing::choices(&state, &all),
        "topics": topics,
        "newer": newer,
    }))
    .into_response())
}

async fn office_feed(
    State(state): State<Arc<ApiState>>,
    Path(log): Path<String>,
    transport: Transport,
    headers: axum::http::HeaderMap,
) -> Result<Response, StatusCode> {
    if let Some(log) = log.strip_suffix(".ics") {
        // The Host a client sent, if it is one: it goes into a URI.
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.parse::<axum::http::uri::Authority>().ok())
            .map_or_else(|| "localhost".to_owned(), |a| a.to_string());
        let scheme = if transport.secure { "https" } else { "http" };
        return meetings(&state, log, &format!("{scheme}://{host}/"));
    }
    feed(&state, log.strip_suffix(".atom").unwrap_or(&log), None)
}

/// The calendar of one office's meetings, from its replayed ledger.
fn meetings(state: &ApiState, log: &str, board: &str) -> Result<Response, StatusCode> {
    let log: LogKey = log.parse().map_err(|_| StatusCode::NOT_FOUND)?;
    let office = state.office.name_of(&log);
    let ics = state
        .courses
        .with(state.office.store(), |logs| {
            logs.get(&log)
                .map(|replayed| calendar::calendar(&office, replayed, board))
        })
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .ok_or(StatusCode::NOT_FOUND)?;
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        ics,
    )
        .into_response())
}

async fn topic_feed(
    State(state): State<Arc<ApiState>>,
    Path((log, topic)): Path<(String, String)>,
) -> Result<Response, StatusCode> {
    feed(
        &state,
        &log,
        Some(topic.strip_suffix(".atom").unwrap_or(&topic)),
    )
}

/// An Atom feed of one office's notices, or of one topic's.
fn feed(state: &ApiState, log: &str, topic: Option<&str>) -> Result<Response, StatusCode> {
    let log: LogKey = log.parse().map_err(|_| StatusCode::NOT_FOUND)?;
    let list = listed(state).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let office = state.office.name_of(&log);
    let mine: Vec<&Listed> = list
        .iter()
        .filter(|n| n.log == log && topic.is_none_or(|t| n.notice.topic_id == t))
        .collect();
    let title = match topic {
        Some(t) => format!("{office} · {t}"),
        None => format!("{office} 公示"),
    };
    let updated = mine.first().map_or(0, |n| n.time_ms);
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"zh-CN\">\n<title>{}</title>\n<id>urn:yiyi:{}{}</id>\n<updated>{}</updated>\n<link href=\"/\"/>\n",
        escape(&title),
        log,
        topic.map(|t| format!(":{}", escape(t))).unwrap_or_default(),
        rfc3339(updated)
    );
    for n in mine {
        xml.push_str(&format!(
            "<entry>\n<title>{}</title>\n<id>urn:yiyi:notice:{}</id>\n<updated>{}</updated>\n<link href=\"/#{}\"/>\n<author><name>{}</name></author>\n<content type=\"text\">{}</content>\n</entry>\n",
            escape(&n.notice.title),
            n.hash,
            rfc3339(n.time_ms),
            n.hash,
            escape(&office),
            escape(&n.notice.body)
        ));
    }
    xml.push_str("</feed>\n");
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        xml,
    )
        .into_response())
}

/// Text made safe inside XML (the Atom feed, Open311's XML).
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// UTC time in RFC 3339, as Atom wants it.
pub(crate) fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let date = Date::in_shanghai((secs - 8 * 3600) * 1000);
    let s = secs.rem_euclid(86_400);
    format!("{date}T{:02}:{:02}:{:02}Z", s / 3600, s % 3600 / 60, s % 60)
}

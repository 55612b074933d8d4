//! The notice board (公示栏) every node serves at `/`: a page, its script
//! and style embedded in the binary (no external assets: the machines it
//! runs on may be offline), the notices of every ledger held as JSON, and
//! Atom feeds per office and per topic. The page verifies each notice in
//! the browser; this module only serves bytes.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use yiyi_protocol::entry;
use yiyi_protocol::proto::entry::Body;
use yiyi_protocol::rules::Date;

use crate::api::ApiState;
use crate::store::LogKey;

const INDEX: &str = include_str!("board/index.html");
const SCRIPT: &str = include_str!("board/board.js");
const VERIFY: &str = include_str!("board/verify.js");
const STYLE: &str = include_str!("board/board.css");

/// Most notices listed (newest first).
const MAX_NOTICES: usize = 2000;

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
            "/verify.js",
            get(|| async { asset("text/javascript; charset=utf-8", VERIFY) }),
        )
        .route(
            "/board.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
        .route("/api/v1/board", get(notices))
        .route("/feeds/{log}", get(office_feed))
        .route("/feeds/{log}/{topic}", get(topic_feed))
}

fn asset(kind: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

/// A notice as the board lists it.
struct Listed {
    log: LogKey,
    sequence: u64,
    hash: String,
    time_ms: i64,
    notice: yiyi_protocol::proto::Notice,
}

/// The notices of every ledger held, newest first.
fn listed(state: &ApiState) -> Result<Vec<Listed>, crate::store::StoreError> {
    let store = state.office.store();
    let mut all = Vec::new();
    for log in store.logs()? {
        for sequence in 0..store.state(&log)?.head.size {
            let Some(bytes) = store.entry(&log, sequence)? else {
                break;
            };
            // Stored entries were verified on the way in; decoding is enough.
            let Ok(verified) = entry::verify(&bytes) else {
                continue;
            };
            if let Some(Body::Notice(notice)) = verified.entry.body {
                all.push(Listed {
                    log,
                    sequence,
                    hash: verified.hash.to_hex(),
                    time_ms: verified.entry.time_ms,
                    notice,
                });
            }
        }
    }
    all.sort_by_key(|n| std::cmp::Reverse(n.time_ms));
    all.truncate(MAX_NOTICES);
    Ok(all)
}

async fn notices(State(state): State<Arc<ApiState>>) -> Result<Response, StatusCode> {
    let list = listed(&state).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let district = state.members.with(|f| {
        let log = f.district();
        f.member(&log).map(|m| (log, m.key.clone(), m.name.clone()))
    });
    let own = state.office.store().own_log();
    let notices: Vec<Value> = list
        .iter()
        .map(|n| {
            json!({
                "hash": n.hash,
                "log": hex::encode(n.log),
                "office": state.office.name_of(&n.log),
                "sequence": n.sequence,
                "date": Date::in_shanghai(n.time_ms).to_string(),
                "time_ms": n.time_ms,
                "kind": n.notice.kind,
                "topic": n.notice.topic_id,
                "title": n.notice.title,
                "body": n.notice.body,
            })
        })
        .collect();
    Ok(axum::Json(json!({
        "office": {"name": state.name, "level": state.level, "log": hex::encode(own)},
        "district": district.map(|(log, key, name)| json!({
            "log": hex::encode(log),
            "key": key.to_string(),
            "key_id": format!("{:08x}", key.id()),
            "name": name,
        })),
        "notices": notices,
    }))
    .into_response())
}

async fn office_feed(
    State(state): State<Arc<ApiState>>,
    Path(log): Path<String>,
) -> Result<Response, StatusCode> {
    feed(&state, log.strip_suffix(".atom").unwrap_or(&log), None)
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
    let log: LogKey = hex::decode(log)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(StatusCode::NOT_FOUND)?;
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
        hex::encode(log),
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

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// UTC time in RFC 3339, as Atom wants it.
fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let date = Date::in_shanghai((secs - 8 * 3600) * 1000);
    let s = secs.rem_euclid(86_400);
    format!("{date}T{:02}:{:02}:{:02}Z", s / 3600, s % 3600 / 60, s % 60)
}

//! The node's HTTP API (接口): the office's actions and the public reads.
//!
//! Office actions (`POST`) need the API token made at `yiyi-node init`
//! (`Authorization: Bearer <token>`), compared in constant time; a request
//! without it changes nothing. Reads (`GET`) are public and never show
//! private data; the one read of the private store is a resident's own
//! concern, shown to whoever holds its receipt code. Residents raise
//! concerns without a token (`POST /api/v1/concerns`, bounded per address).
//!
//! Every action answers with the record's `id`, the topic's (or meeting's)
//! `status`, its ledger entry and the notices it published; a refusal answers
//! 422 with the rule that refused it, and nothing is written.

mod bundles;
mod concerns;
mod day;
mod error;
mod federation;
mod files;
pub(crate) mod joint;
pub mod limits;
mod matters;
mod open311;
mod rounds;
mod serve;
pub mod state;
mod tiles;
pub(crate) mod transport;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use yiyi_protocol::Hash;
use yiyi_protocol::entry;
use yiyi_protocol::rules::{Date, Deadlines, MeetingState, TopicState, names};

pub use error::ApiError;
pub use state::ApiState;
use yiyi_protocol::api::Action;
use yiyi_protocol::stats::Asked;

pub use serve::Https;

/// Serves the API on `listener` — over HTTPS with `tls` — until `shutdown`
/// resolves, then lets open connections finish their requests (for at
/// most 10 s). The accept loop sets the connection limits `axum::serve`
/// does not (see `serve`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<ApiState>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    serve::run(listener, router(state.clone()), state, tls, shutdown).await
}

/// Serves, on `listener`, plain HTTP that only sends browsers to the same
/// address over HTTPS at `port`, with the same connection limits.
pub async fn serve_redirect(
    listener: tokio::net::TcpListener,
    state: Arc<ApiState>,
    port: u16,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let redirect = move |headers: axum::http::HeaderMap, uri: axum::http::Uri| async move {
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.parse::<axum::http::uri::Authority>().ok())
            .map(|a| a.host().to_owned())
            .unwrap_or_else(|| "localhost".into());
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        axum::response::Redirect::permanent(&format!("https://{host}:{port}{path}"))
    };
    let router = Router::new().fallback(redirect);
    serve::run(listener, router, state, None, shutdown).await
}

/// The API's routes, behind the public limits ([`limits`]). [`serve`]
/// serves them; another server must give each request its client's
/// `ConnectInfo<SocketAddr>`: the limits are per client address.
pub fn router(state: Arc<ApiState>) -> Router {
    Router::new()
        .route("/api/v1/actions", post(act))
        .route(
            "/api/v1/concerns",
            post(concerns::raise).layer(axum::extract::DefaultBodyLimit::max(concerns::BODY_BYTES)),
        )
        .route("/api/v1/concerns/{receipt}", get(concerns::status))
        .route("/api/v1/rounds", get(rounds::list).post(rounds::open))
        .route("/api/v1/rounds/{id}", get(rounds::show))
        .route(
            "/api/v1/rounds/{id}/ballots",
            get(rounds::ballots)
                .post(rounds::cast)
                .layer(axum::extract::DefaultBodyLimit::max(rounds::BODY_BYTES)),
        )
        .route(
            "/api/v1/rounds/{id}/receipts/{receipt}",
            get(rounds::receipt),
        )
        .route("/api/v1/rounds/{id}/close", post(rounds::close))
        .route("/api/v1/rounds/{id}/codes", get(rounds::codes))
        .route("/open311/v2/services.json", get(open311::services_json))
        .route("/open311/v2/services.xml", get(open311::services_xml))
        .route(
            "/open311/v2/{file}",
            get(open311::get_requests)
                .post(open311::post_request)
                .layer(axum::extract::DefaultBodyLimit::max(open311::BODY_BYTES)),
        )
        .route("/open311/v2/requests/{file}", get(open311::get_request))
        .route("/api/v1/topics", get(topics))
        .route("/api/v1/topics/{id}", get(topic))
        .route("/api/v1/meetings/{id}", get(meeting))
        .route("/api/v1/participants", get(participants))
        .route("/api/v1/catalogue", get(catalogue))
        .route("/api/v1/profile", get(profile))
        .route("/api/v1/notices", get(notices))
        .route("/api/v1/stats", get(stats))
        .route("/api/v1/checkpoint", get(checkpoint))
        .route("/api/v1/logs", get(logs))
        .route("/api/v1/charters", get(charters))
        .route("/api/v1/entries/{sequence}", get(entry_by_sequence))
        .route("/api/v1/entries/by-hash/{hash}", get(entry_by_hash))
        .route("/api/v1/proofs/inclusion", get(inclusion_proof))
        .route("/api/v1/proofs/consistency", get(consistency_proof))
        .route("/api/v1/notices/{hash}/bundle", get(bundles::one))
        .route("/api/v1/notices/bundles", get(bundles::many))
        .route(
            "/api/v1/files",
            post(files::upload).layer(axum::extract::DefaultBodyLimit::max(files::BODY_BYTES)),
        )
        .route("/api/v1/files/{sha}", get(files::serve))
        .route("/api/v1/assignments", get(joint::list))
        .route("/api/v1/joint-meeting", get(joint::joint_meeting))
        .route("/api/v1/matters", get(matters::list))
        .route("/api/v1/matters/{id}", get(matters::show))
        .route("/api/v1/departments", get(matters::departments))
        .route("/api/v1/federation", get(federation::members))
        .route("/api/v1/peers", get(federation::peers))
        .route("/api/v1/sync", get(federation::sync))
        .route("/api/v1/equivocations", get(federation::equivocations))
        .route(
            "/api/v1/logs/{log}/checkpoint",
            get(federation::log_checkpoint),
        )
        .route("/api/v1/logs/{log}/entries", get(federation::log_entries))
        .route("/tlog/{log}/checkpoint", get(tiles::checkpoint))
        .route("/tlog/{log}/tile/{*path}", get(tiles::tile))
        .route("/api/v1/witnesses", get(federation::witnesses))
        .route("/add-checkpoint", post(federation::add_checkpoint))
        .route("/metrics", get(federation::metrics))
        .merge(crate::board::router())
        .merge(crate::console::router(state.clone()))
        .layer(axum::extract::DefaultBodyLimit::max(
            state.limiter.limits().body_bytes,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), limit))
        .with_state(state)
}

use error::ApiResult;

/// The middleware: the office (with its token) passes; the public is held
/// to [`limits::Limiter::public`]'s limits, per client address.
async fn limit(
    State(state): State<Arc<ApiState>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if authorised(&state, request.headers()) {
        return next.run(request).await;
    }
    state.limiter.public(client.ip(), next.run(request)).await
}

/// Constant-time comparison, so that response time says nothing about how
/// much of a guessed token was right.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether the request carries the node's token (compared in constant time).
fn authorised(state: &ApiState, headers: &HeaderMap) -> bool {
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    same(given.trim().as_bytes(), state.token.as_bytes())
}

fn authorise(state: &ApiState, headers: &HeaderMap) -> Result<(), ApiError> {
    if authorised(state, headers) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorised",
            "office actions need the node's API token (Authorization: Bearer <token>)",
        ))
    }
}

async fn act(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Json(action): Json<Action>,
) -> Result<Json<yiyi_protocol::api::Answer>, ApiError> {
    authorise(&state, &headers)?;
    let recorded = crate::actions::act(&state.office, action).await?;
    Ok(Json(recorded.answer()))
}

fn topic_json(t: &TopicState, today: Date, limits: &Deadlines) -> Value {
    let outcome = t.outcome.as_ref();
    json!({
        "id": t.topic.id,
        "title": t.topic.title,
        "summary": t.topic.summary,
        "category": names::category_name(t.topic.category),
        "sub_item": t.topic.sub_item,
        "scale": names::scale_name(t.topic.scale),
        "source": names::source_name(t.topic.source),
        "status": t.status.name(),
        "five_step": t.status.five_step() as u8,
        "meeting": t.meeting,
        "outcome": outcome.map(|o| json!({
            "class": names::outcome_class_name(o.class),
            "responsible_party": o.responsible_party,
            "measures": o.measures,
            "deadline": o.deadline,
            "notice_period_days": o.notice_period_days,
            "explanation": o.explanation,
            "proposed_solution": o.proposed_solution,
            "supervisors": o.supervisors,
            "spends_money": o.spends_money,
        })),
        "overdue": t.overdue(today, limits).map(|o| json!({
            "why": o.name(),
            "last_day": o.date().to_string(),
        })),
        "residents": t.residents,
        // Spending public money brings in the oversight bodies.
        "oversight_bodies": oversight(t),
        "progress": t.progress.iter().map(|(time, p)| json!({"time_ms": time, "text": p.text, "completed": p.completed})).collect::<Vec<_>>(),
        "follow_ups": t.follow_ups.len(),
        "evaluation": t.evaluation.as_ref().map(|e| json!({
            "satisfied": e.satisfied, "basically_satisfied": e.basically_satisfied, "dissatisfied": e.dissatisfied,
        })),
    })
}

/// The oversight bodies of an item: discipline inspection, finance and audit
/// when it spends money, and any the office recorded.
fn oversight(t: &TopicState) -> Vec<String> {
    let mut bodies: Vec<String> = Vec::new();
    if t.outcome.as_ref().is_some_and(|o| o.spends_money) {
        bodies.extend(["纪检监察", "财务", "审计"].map(String::from));
    }
    for s in &t.supervision {
        for b in &s.oversight_bodies {
            if !bodies.contains(b) {
                bodies.push(b.clone());
            }
        }
    }
    bodies
}

async fn topics(State(state): State<Arc<ApiState>>, Query(on): Query<day::OnQuery>) -> ApiResult {
    let today = on.day()?;
    let list = state
        .office
        .read(|s| {
            let limits = s.limits();
            s.topics
                .values()
                .map(|t| topic_json(t, today, &limits))
                .collect::<Vec<_>>()
        })
        .await;
    Ok(Json(json!({ "topics": list })))
}

async fn topic(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    Query(on): Query<day::OnQuery>,
) -> ApiResult {
    let today = on.day()?;
    state
        .office
        .read(|s| s.topics.get(&id).map(|t| topic_json(t, today, &s.limits())))
        .await
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no topic {id:?}")))
}

fn meeting_json(m: &MeetingState) -> Value {
    json!({
        "id": m.meeting.id,
        "topics": m.meeting.topic_ids,
        "level": names::meeting_level_name(m.meeting.level),
        "form": names::form_name(m.meeting.form),
        "date": m.meeting.date,
        "participants": m.meeting.participant_ids,
        "place": m.meeting.place,
        "steps": m.steps.iter().map(|s| json!({
            "step": names::step_name(s.step),
            "summary": s.summary,
            "attendee_count": s.attendee_count,
            "result": s.result,
        })).collect::<Vec<_>>(),
        "complete": m.is_complete(),
        // Policy briefing materials: fetched from /api/v1/files/{sha256}.
        "briefing": m.briefing.iter().map(|f| json!({
            "name": f.name,
            "sha256": hex::encode(&f.sha256),
            "size": f.size,
            "media_type": f.media_type,
        })).collect::<Vec<_>>(),
    })
}

async fn meeting(State(state): State<Arc<ApiState>>, Path(id): Path<String>) -> ApiResult {
    state
        .office
        .read(|s| s.meetings.get(&id).map(meeting_json))
        .await
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no meeting {id:?}")))
}

async fn participants(State(state): State<Arc<ApiState>>) -> ApiResult {
    let list = state
        .office
        .read(|s| {
            s.participants
                .values()
                .map(|p| {
                    json!({
                        "id": p.record.id,
                        "kind": names::participant_kind_name(p.record.kind),
                        "name": p.record.name,
                        "withdrawn": p.record.withdrawn,
                    })
                })
                .collect::<Vec<_>>()
        })
        .await;
    Ok(Json(json!({ "participants": list })))
}

async fn catalogue(State(state): State<Arc<ApiState>>) -> ApiResult {
    let list = state
        .office
        .read(|s| {
            s.catalogue
                .values()
                .filter(|c| !c.withdrawn)
                .map(|c| json!({ "category": names::category_name(c.category), "item": c.name }))
                .collect::<Vec<_>>()
        })
        .await;
    Ok(Json(json!({ "catalogue": list })))
}

/// The office's latest profile (办公室简介): public, as every node holds it.
async fn profile(State(state): State<Arc<ApiState>>) -> ApiResult {
    let (at, p) = state
        .office
        .profile()
        .await
        .ok_or_else(|| ApiError::not_found("the office has not described itself yet"))?;
    let (limits, recorded) = state
        .office
        .read(|s| (s.limits(), s.deadlines.as_ref().map(|(at, _)| *at)))
        .await;
    let mut deadlines: serde_json::Map<String, Value> = limits
        .named()
        .into_iter()
        .map(|(name, days)| (name.to_owned(), json!(days)))
        .collect();
    // Where the ledger records them; null: the defaults of the level.
    deadlines.insert(
        "entry".into(),
        json!(recorded.map(|at| yiyi_protocol::api::EntryAt::new(at.sequence, at.hash))),
    );
    Ok(Json(json!({
        "name": p.name,
        "level": names::level_name(yiyi_protocol::federation::profile_level(&p) as i32),
        "address": p.address,
        "phone": p.phone,
        "meeting_place": p.meeting_place,
        "meeting_rhythm": p.meeting_rhythm,
        "entry": yiyi_protocol::api::EntryAt::new(at.sequence, at.hash),
        "deadlines": deadlines,
    })))
}

async fn notices(State(state): State<Arc<ApiState>>) -> ApiResult {
    let list = state
        .office
        .read(|s| {
            let mut list: Vec<_> = s.notices.values().collect();
            list.sort_by_key(|(at, _)| at.sequence);
            list.into_iter()
                .map(|(at, n)| {
                    json!({
                        "sequence": at.sequence,
                        "hash": at.hash.to_hex(),
                        "date": Date::in_shanghai(at.time_ms).to_string(),
                        "kind": n.kind,
                        "topic": n.topic_id,
                        "title": n.title,
                        "body": n.body,
                        "lang": n.lang,
                    })
                })
                .collect::<Vec<_>>()
        })
        .await;
    Ok(Json(
        json!({ "office": state.office_name().await, "notices": list }),
    ))
}

/// The statistics export (`protocol::stats`): the figures of this office,
/// or of its whole subtree, each office's at the checkpoint named for it.
async fn stats(State(state): State<Arc<ApiState>>, Query(asked): Query<Asked>) -> ApiResult {
    let today = Date::in_shanghai(crate::now_ms());
    let (scope, query) = asked
        .parse(today)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad-query", e))?;
    let worker = state.clone();
    let export = tokio::task::spawn_blocking(move || {
        worker
            .stats
            .export(worker.office.store(), &worker.courses, scope, &query)
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))??;
    Ok(Json(serde_json::to_value(&*export).unwrap_or_default()))
}

/// The offices this one admitted by charter.
async fn charters(State(state): State<Arc<ApiState>>) -> ApiResult {
    let list = state
        .office
        .read(|s| {
            s.charters
                .iter()
                .map(|(log, c)| {
                    json!({
                        "log": log.to_string(),
                        "verifier_key": c.verifier_key,
                        "name": c.name,
                        "level": names::level_name(c.level),
                        "origin": c.origin,
                        "revoked": c.revoked,
                        "addresses": c.addresses,
                    })
                })
                .collect::<Vec<_>>()
        })
        .await;
    Ok(Json(json!({ "charters": list })))
}

/// Every ledger this node holds: its own and its replicas.
async fn logs(State(state): State<Arc<ApiState>>) -> ApiResult {
    let store = state.office.store();
    let mut list = Vec::new();
    for log in store.logs()? {
        let s = store.state(&log)?;
        list.push(json!({
            "log": log.to_string(),
            "own": log == store.own_log(),
            "size": s.head.size,
            "root": s.root.to_hex(),
        }));
    }
    Ok(Json(json!({ "logs": list })))
}

async fn checkpoint(State(state): State<Arc<ApiState>>) -> Result<Response, ApiError> {
    match state.office.store().checkpoint()? {
        Some(note) => Ok(note.to_string().into_response()),
        None => Err(ApiError::not_found(
            "the ledger is empty: no checkpoint yet",
        )),
    }
}

fn entry_response(log: &crate::LogKey, sequence: u64, bytes: &[u8]) -> ApiResult {
    let verified = entry::verify(bytes)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok(Json(json!({
        "log": log.to_string(),
        "sequence": sequence,
        "hash": verified.hash.to_hex(),
        "bytes": hex::encode(bytes),
        "time_ms": verified.entry.time_ms,
        // A later release's record is served as it is, but not read here.
        "newer": verified.is_newer(),
        "reader_version": verified.entry.reader_version,
    })))
}

/// Which log an entry is asked of: another log held here (hex), or the
/// own ledger by default.
#[derive(Deserialize)]
struct LogQuery {
    log: Option<String>,
}

async fn entry_by_sequence(
    State(state): State<Arc<ApiState>>,
    Path(sequence): Path<u64>,
    Query(q): Query<LogQuery>,
) -> ApiResult {
    let store = state.office.store();
    let log = query_log(store, q.log.as_deref())?;
    let bytes = store
        .entry(&log, sequence)?
        .ok_or_else(|| ApiError::not_found(format!("no entry {sequence}")))?;
    entry_response(&log, sequence, &bytes)
}

async fn entry_by_hash(State(state): State<Arc<ApiState>>, Path(hash): Path<String>) -> ApiResult {
    let hash = Hash::from_hex(&hash)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad-hash", e.to_string()))?;
    let (log, sequence, bytes) = state
        .office
        .store()
        .entry_by_hash(&hash)?
        .ok_or_else(|| ApiError::not_found(format!("no entry with hash {hash}")))?;
    entry_response(&log, sequence, &bytes)
}

#[derive(Deserialize)]
struct InclusionQuery {
    index: u64,
    size: Option<u64>,
    /// Another log held here (hex); the own ledger by default.
    log: Option<String>,
}

/// The log a query names, or the own ledger.
fn query_log(store: &crate::store::Store, log: Option<&str>) -> Result<crate::LogKey, ApiError> {
    log.map_or(Ok(store.own_log()), federation::parse_log)
}

async fn inclusion_proof(
    State(state): State<Arc<ApiState>>,
    Query(q): Query<InclusionQuery>,
) -> ApiResult {
    let store = state.office.store();
    let log = query_log(store, q.log.as_deref())?;
    let size = q.size.unwrap_or(store.state(&log)?.head.size);
    let proof = store.inclusion_proof(&log, q.index, size)?;
    Ok(Json(json!({
        "index": q.index,
        "size": size,
        "root": store.root_at(&log, size)?.to_hex(),
        "proof": proof.iter().map(Hash::to_hex).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
struct ConsistencyQuery {
    old_size: u64,
    size: Option<u64>,
    /// Another log held here (hex); the own ledger by default.
    log: Option<String>,
}

async fn consistency_proof(
    State(state): State<Arc<ApiState>>,
    Query(q): Query<ConsistencyQuery>,
) -> ApiResult {
    let store = state.office.store();
    let log = query_log(store, q.log.as_deref())?;
    let size = q.size.unwrap_or(store.state(&log)?.head.size);
    let proof = store.consistency_proof(&log, q.old_size, size)?;
    Ok(Json(json!({
        "old_size": q.old_size,
        "size": size,
        "proof": proof.iter().map(Hash::to_hex).collect::<Vec<_>>(),
    })))
}

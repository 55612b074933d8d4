//! The federation's side of the API: members and their standing, peers,
//! sync progress, equivocations, checkpoints of every log held with their
//! cosignatures, the C2SP witness endpoint, and Prometheus metrics.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use prost::Message;
use serde_json::{Value, json};
use yiyi_protocol::federation::Standing;
use yiyi_protocol::proto::{EquivocationProof, Level};
use yiyi_protocol::rules::names;
use yiyi_protocol::witness::WitnessError;

use super::error::{ApiError, ApiResult};
use super::state::ApiState;
use crate::store::LogKey;
use crate::witness::WitnessFailure;

pub(super) fn parse_log(text: &str) -> Result<LogKey, ApiError> {
    text.parse::<LogKey>().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-log",
            format!("{text:?} is not a log key (64 hex digits)"),
        )
    })
}

fn standing(s: Standing) -> &'static str {
    match s {
        Standing::Active => "active",
        Standing::Revoked => "revoked",
        Standing::Rotated => "rotated",
    }
}

/// Every office of the federation, with what this node holds of its log.
pub(super) async fn members(State(state): State<Arc<ApiState>>) -> ApiResult {
    let store = state.office.store();
    let heard = state.net.logs();
    let (district, list) = state.members.with(|f| {
        let list: Vec<(LogKey, Value)> = f
            .members()
            .map(|(log, m)| {
                (
                    *log,
                    json!({
                        "log": log.to_string(),
                        "key": m.key.to_string(),
                        "name": m.name,
                        "level": names::level_name(m.level as i32),
                        "parent": m.parent.map(hex::encode),
                        "standing": standing(m.standing),
                        "chain_stands": f.chain_stands(log),
                    }),
                )
            })
            .collect();
        (hex::encode(f.district()), list)
    });
    let newer = newer_counts(store)?;
    let mut members = Vec::new();
    for (log, mut member) in list {
        member["size"] = json!(store.state(&log)?.head.size);
        member["newer"] = json!(newer.get(&log).copied().unwrap_or(0));
        member["heard"] = json!(heard.get(&log).map_or(0, |p| p.heard));
        member["frozen"] = json!(store.frozen(&log)?.is_some());
        members.push(member);
    }
    Ok(axum::Json(
        json!({ "district": district, "members": members }),
    ))
}

/// How many records of a later release each log holds (较新版本的记录).
fn newer_counts(store: &crate::store::Store) -> Result<BTreeMap<LogKey, u64>, ApiError> {
    let mut counts = BTreeMap::new();
    for record in store.newer_records(None)? {
        *counts.entry(record.log).or_default() += 1;
    }
    Ok(counts)
}

/// The connected peers.
pub(super) async fn peers(State(state): State<Arc<ApiState>>) -> ApiResult {
    Ok(axum::Json(json!({ "peers": state.net.peers() })))
}

/// For each log followed: how much is held, how much is known to exist.
pub(super) async fn sync(State(state): State<Arc<ApiState>>) -> ApiResult {
    let store = state.office.store();
    let heard = state.net.logs();
    let mut logs = Vec::new();
    let (mut held_total, mut heard_total) = (0u64, 0u64);
    for log in state.members.follows() {
        if log == store.own_log() {
            continue;
        }
        let held = store.state(&log)?.head.size;
        let known = heard.get(&log).map_or(0, |p| p.heard).max(held);
        held_total += held;
        heard_total += known;
        let name = state
            .members
            .with(|f| f.member(&log).map(|m| m.name.clone()));
        logs.push(json!({
            "log": log.to_string(),
            "name": name,
            "held": held,
            "heard": known,
            "behind": known - held,
            "frozen": store.frozen(&log)?.is_some(),
        }));
    }
    Ok(axum::Json(json!({
        "logs": logs,
        "held": held_total,
        "heard": heard_total,
        "behind": heard_total - held_total,
        "peers": state.net.peers().len(),
    })))
}

/// The logs frozen for equivocating, with their proofs.
pub(super) async fn equivocations(State(state): State<Arc<ApiState>>) -> ApiResult {
    let mut list = Vec::new();
    for (log, bytes) in state.office.store().frozen_logs()? {
        let proof = EquivocationProof::decode(bytes.as_slice()).unwrap_or_default();
        let name = state
            .members
            .with(|f| f.member(&log).map(|m| m.name.clone()));
        list.push(json!({
            "log": log.to_string(),
            "name": name,
            "checkpoint_a": proof.checkpoint_a,
            "checkpoint_b": proof.checkpoint_b,
            "entry_a": hex::encode(&proof.entry_a),
            "entry_b": hex::encode(&proof.entry_b),
        }));
    }
    Ok(axum::Json(json!({ "equivocations": list })))
}

/// The best checkpoint held of a log, with the cosignatures gathered.
pub(super) async fn log_checkpoint(
    State(state): State<Arc<ApiState>>,
    Path(log): Path<String>,
) -> Result<Response, ApiError> {
    let log = parse_log(&log)?;
    let store = state.office.store();
    store
        .best_checkpoint(&log)?
        .map(|c| c.to_string().into_response())
        .ok_or_else(|| ApiError::not_found("no checkpoint of that log is held"))
}

/// The most entries one [`log_entries`] answer carries (one tile's worth).
pub(super) const ENTRIES_PER_PAGE: u64 = 256;

/// Which entries [`log_entries`] is asked for.
#[derive(serde::Deserialize)]
pub(super) struct EntriesQuery {
    /// The first sequence number.
    #[serde(default)]
    from: u64,
    /// How many (at most [`ENTRIES_PER_PAGE`]).
    count: Option<u64>,
}

/// Consecutive entries of any log held (hex, as signed), for whoever checks
/// a ledger whole: a statistics export's recomputation fetches each office's
/// entries up to the checkpoint the export names. The answer stops at what
/// is held.
pub(super) async fn log_entries(
    State(state): State<Arc<ApiState>>,
    Path(log): Path<String>,
    Query(q): Query<EntriesQuery>,
) -> ApiResult {
    let log = parse_log(&log)?;
    let count = q.count.unwrap_or(ENTRIES_PER_PAGE);
    if count == 0 || count > ENTRIES_PER_PAGE {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-count",
            format!("count is 1 to {ENTRIES_PER_PAGE}"),
        ));
    }
    let store = state.office.store();
    let held = store.held(&log);
    let mut entries = Vec::new();
    for sequence in q.from..held.min(q.from.saturating_add(count)) {
        let bytes = store
            .entry(&log, sequence)?
            .ok_or_else(|| ApiError::not_found(format!("no entry {sequence}")))?;
        entries.push(hex::encode(bytes));
    }
    Ok(axum::Json(json!({
        "log": log.to_string(),
        "from": q.from,
        "held": held,
        "entries": entries,
    })))
}

/// Witnessing as this node does it: its cosigner key (what a policy's
/// `witness` line names), the logs it witnesses from outside, and how each
/// outside witness it submits to is doing.
pub(super) async fn witnesses(State(state): State<Arc<ApiState>>) -> ApiResult {
    Ok(axum::Json(json!({
        "cosigner": state.office.store().own_key().to_cosigner().to_string(),
        "witnessing_for": state.witness.outside_logs(),
        "outside": state.outside.status(),
    })))
}

/// C2SP tlog-witness `add-checkpoint`: the office cosigns its children's
/// checkpoints.
pub(super) async fn add_checkpoint(State(state): State<Arc<ApiState>>, body: Bytes) -> Response {
    let witness = state.witness.clone();
    let outcome = tokio::task::spawn_blocking(move || witness.add_checkpoint(&body)).await;
    let text = |status: StatusCode, body: String| {
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            body,
        )
            .into_response()
    };
    match outcome {
        Ok(Ok(lines)) => text(StatusCode::OK, lines),
        Ok(Err(WitnessFailure::Refused(WitnessError::Conflict(size)))) => (
            StatusCode::CONFLICT,
            [(header::CONTENT_TYPE, "text/x.tlog.size")],
            format!("{size}\n"),
        )
            .into_response(),
        Ok(Err(WitnessFailure::Refused(e))) => text(
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
            format!("{e}\n"),
        ),
        Ok(Err(e)) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
        Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
    }
}

/// Writes one unlabelled metric with its help and type lines.
fn metric(out: &mut String, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
    );
}

/// Prometheus metrics: peers, entries per log, sync lag, refusals.
pub(super) async fn metrics(State(state): State<Arc<ApiState>>) -> Result<Response, ApiError> {
    let store = state.office.store();
    let heard = state.net.logs();
    let mut out = String::new();
    metric(
        &mut out,
        "yiyi_peers",
        "gauge",
        "Connected libp2p peers.",
        state.net.peers().len(),
    );
    let _ = writeln!(out, "# HELP yiyi_log_entries Entries held of each log.");
    let _ = writeln!(out, "# TYPE yiyi_log_entries gauge");
    let mut lag = String::from(
        "# HELP yiyi_log_behind Entries known to exist but not yet held.\n\
         # TYPE yiyi_log_behind gauge\n",
    );
    for log in store.logs()? {
        let held = store.state(&log)?.head.size;
        let own = log == store.own_log();
        let name = state
            .members
            .with(|f| f.member(&log).map(|m| m.name.clone()))
            .unwrap_or_default()
            .replace(['"', '\\', '\n'], "_");
        let labels = format!("log=\"{}\",name=\"{name}\",own=\"{own}\"", log);
        let _ = writeln!(out, "yiyi_log_entries{{{labels}}} {held}");
        let behind = heard.get(&log).map_or(0, |p| p.heard).saturating_sub(held);
        let _ = writeln!(lag, "yiyi_log_behind{{{labels}}} {behind}");
    }
    out.push_str(&lag);
    metric(
        &mut out,
        "yiyi_refused_total",
        "counter",
        "Entries and checkpoints refused from peers.",
        state.net.refused_count(),
    );
    metric(
        &mut out,
        "yiyi_gossip_ignored_total",
        "counter",
        "Gossip messages ignored, neither checked nor forwarded, for coming faster than the sending peer's rate.",
        state.net.gossip_ignored_count(),
    );
    metric(
        &mut out,
        "yiyi_gossip_unsent_total",
        "counter",
        "Gossip messages dropped because a peer's connection could not take them in time.",
        state.net.gossip_unsent_count(),
    );
    metric(
        &mut out,
        "yiyi_announcements_expired_total",
        "counter",
        "Announcements not passed on because their entries did not arrive in time.",
        state.net.announcements_expired_count(),
    );
    metric(
        &mut out,
        "yiyi_sync_failed_total",
        "counter",
        "Sync requests of this node's that went unanswered (timed out, refused, connection closed).",
        state.net.sync_failed_count(),
    );
    metric(
        &mut out,
        "yiyi_sync_slow_total",
        "counter",
        "Sync requests of this node's answered after more than a second.",
        state.net.sync_slow_count(),
    );
    metric(
        &mut out,
        "yiyi_http_limited_total",
        "counter",
        "Public HTTP requests refused by the per-IP rate or in-flight limit.",
        state.limiter.refused(),
    );
    metric(
        &mut out,
        "yiyi_http_connections_refused_total",
        "counter",
        "HTTP connections closed at once for being over the per-IP or total connection limit.",
        state.limiter.connections_refused(),
    );
    metric(
        &mut out,
        "yiyi_http_connections_open",
        "gauge",
        "HTTP connections open now.",
        state.limiter.connections_open(),
    );
    metric(
        &mut out,
        "yiyi_unknown_records_total",
        "counter",
        "Entries held that a later release wrote: kept, proved and forwarded, not read until this node is upgraded.",
        newer_counts(store)?.values().sum::<u64>(),
    );
    metric(
        &mut out,
        "yiyi_frozen_logs",
        "gauge",
        "Logs frozen for equivocating.",
        store.frozen_logs()?.len(),
    );
    let members = state.members.with(|f| {
        f.members()
            .filter(|(log, m)| f.chain_stands(log) && m.level != Level::Unspecified)
            .count()
    });
    metric(
        &mut out,
        "yiyi_members",
        "gauge",
        "Offices of the federation whose chain stands.",
        members,
    );
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response())
}

//! Notice bundles over HTTP (核验包): one notice's, as text, for `yiyi
//! verify` and a printed notice's QR code; and many at once, so that a
//! board of a thousand notices is checked with a few requests instead of a
//! thousand (the public rate limit would hold those back). Bundles are
//! self-verifying: the node serving them is not trusted.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use yiyi_protocol::merkle::Hash;

use super::error::ApiError;
use super::state::ApiState;
use crate::bundle::{BundleError, notice_bundle};
use crate::store::LogKey;
use yiyi_protocol::light::Bundle;

/// Most bundles asked for in one request.
pub(super) const MAX_BUNDLES: usize = 64;

impl From<BundleError> for ApiError {
    fn from(e: BundleError) -> ApiError {
        match e {
            BundleError::Unknown(_) => ApiError::not_found(e.to_string()),
            BundleError::NotCheckpointed => {
                ApiError::new(StatusCode::CONFLICT, "not-checkpointed", e.to_string())
                    .retry_after(1)
            }
            BundleError::NotWitnessed => {
                ApiError::new(StatusCode::CONFLICT, "not-witnessed", e.to_string()).retry_after(1)
            }
            BundleError::NoCharter(_) => {
                ApiError::new(StatusCode::CONFLICT, "no-charter", e.to_string())
            }
            BundleError::Store(e) => ApiError::from(e),
        }
    }
}

fn hash(text: &str) -> Result<Hash, ApiError> {
    Hash::from_hex(text.trim()).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-hash",
            "not a hex SHA-256 hash",
        )
    })
}

/// Where each office's latest profile is, as the board's replay of every
/// ledger knows it (kept up to date incrementally).
fn profiles(state: &ApiState) -> Result<HashMap<LogKey, u64>, ApiError> {
    Ok(state.courses.with(state.office.store(), |logs| {
        logs.iter()
            .filter_map(|(log, r)| Some((*log, r.state.profile.as_ref()?.0.sequence)))
            .collect()
    })?)
}

/// How long a request for a notice of a ledger not kept here waits for it
/// to be fetched (after the network said where it is).
const FETCH_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// How long a request for a notice just committed waits for a checkpoint
/// with the parent's cosignature before answering 409 with `Retry-After`.
const COSIGNATURE_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// `GET /api/v1/notices/{hash}/bundle`: the notice's bundle, as text. A
/// notice of a ledger this node does not keep (another street's, another
/// district's) is located through the parent and fetched first (调阅), so
/// that any node answers for the whole federation.
pub(super) async fn one(
    State(state): State<Arc<ApiState>>,
    Path(text): Path<String>,
) -> Result<Response, ApiError> {
    let hash = hash(&text)?;
    let bundle = |state: &ApiState| -> Result<_, ApiError> {
        Ok(notice_bundle(
            state.office.store(),
            &state.members,
            &hash,
            &profiles(state)?,
        ))
    };
    // A notice committed a moment ago: its checkpoint or the parent's
    // cosignature is on its way.
    let mut attempt = again_while(
        COSIGNATURE_WAIT,
        || bundle(&state),
        |e| matches!(e, BundleError::NotCheckpointed | BundleError::NotWitnessed),
    )
    .await?;
    if matches!(attempt, Err(BundleError::Unknown(_))) {
        fetched(&state, &hash).await?;
        // The entries come first, then the checkpoint and the charters
        // that prove them.
        attempt = again_while(
            FETCH_WAIT,
            || bundle(&state),
            |e| {
                matches!(
                    e,
                    BundleError::Unknown(_)
                        | BundleError::NotCheckpointed
                        | BundleError::NotWitnessed
                        | BundleError::NoCharter(_)
                )
            },
        )
        .await?;
    }
    let bundle = attempt?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        bundle.to_text(),
    )
        .into_response())
}

/// Makes the bundle with `bundle`, again every 200 ms while it fails as
/// `passing` says will pass, for at most `wait`; the last attempt.
async fn again_while(
    wait: std::time::Duration,
    mut bundle: impl FnMut() -> Result<Result<Bundle, BundleError>, ApiError>,
    passing: impl Fn(&BundleError) -> bool,
) -> Result<Result<Bundle, BundleError>, ApiError> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let attempt = bundle()?;
        match &attempt {
            Err(e) if passing(e) && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            _ => return Ok(attempt),
        }
    }
}

/// Waits until the entry `hash` is held, locating and fetching it through
/// the network if it is not (see `net::relay`); 404 if the federation does
/// not know it.
async fn fetched(state: &ApiState, hash: &Hash) -> Result<(), ApiError> {
    let store = state.office.store();
    if store.entry_by_hash(hash)?.is_some() {
        return Ok(());
    }
    let missing = || ApiError::not_found(format!("no entry with hash {hash} in this federation"));
    state.locator.locate(*hash).await.ok_or_else(missing)?;
    let deadline = tokio::time::Instant::now() + FETCH_WAIT;
    while store.entry_by_hash(hash)?.is_none() {
        if tokio::time::Instant::now() >= deadline {
            return Err(missing());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok(())
}

/// What `many` takes: `hashes=h1,h2,…`.
#[derive(serde::Deserialize)]
pub(super) struct Many {
    hashes: String,
}

/// `GET /api/v1/notices/bundles?hashes=h1,h2,…` (at most 64): `{"bundles":
/// {hash: text}, "errors": {hash: why}, "pending": {hash: why}}`, each
/// bundle as the single endpoint gives it; `pending` names notices whose
/// checkpoint or cosignature is on its way (ask again in a second).
pub(super) async fn many(
    State(state): State<Arc<ApiState>>,
    Query(many): Query<Many>,
) -> Result<Json<Value>, ApiError> {
    let wanted: Vec<&str> = many.hashes.split(',').filter(|h| !h.is_empty()).collect();
    if wanted.len() > MAX_BUNDLES {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "too-many",
            format!("at most {MAX_BUNDLES} bundles a request"),
        ));
    }
    let profiles = profiles(&state)?;
    let (mut bundles, mut errors, mut pending) = (Map::new(), Map::new(), Map::new());
    for text in wanted {
        let hash = hash(text)?;
        match notice_bundle(state.office.store(), &state.members, &hash, &profiles) {
            Ok(bundle) => bundles.insert(hash.to_hex(), bundle.to_text().into()),
            Err(BundleError::Store(e)) => return Err(e.into()),
            Err(e @ (BundleError::NotCheckpointed | BundleError::NotWitnessed)) => {
                pending.insert(hash.to_hex(), e.to_string().into())
            }
            Err(e) => errors.insert(hash.to_hex(), e.to_string().into()),
        };
    }
    Ok(Json(
        json!({ "bundles": bundles, "errors": errors, "pending": pending }),
    ))
}

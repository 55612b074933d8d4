//! Every ledger held, as a C2SP tlog-tiles log (瓦片日志) under
//! `/tlog/<log key in hex>/`: the ecosystem's monitors, mirrors and
//! verifiers follow a yiyi ledger with their own tools, from the node that
//! keeps it or from any that replicates it.
//!
//! - `checkpoint`: the latest checkpoint a resident's check accepts (with
//!   the parent office's cosignature; the district's own for the district),
//!   cached two seconds at most.
//! - `tile/<L>/<N>[.p/<W>]`: 256 hashes of level `L` a tile.
//! - `tile/entries/<N>[.p/<W>]`: the SignedEntry bytes, each after its
//!   big-endian `uint16` length.
//!
//! A path is accepted only as the spec spells it (400 otherwise); a tile
//! past the entries held is not found (404). What is served never changes,
//! so tiles carry a year's `immutable` cache. Errors are plain text, as a
//! static file server's would be: this surface has its own error type.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use yiyi_protocol::tiles::{self, TileId, TileKind};

use super::state::ApiState;
use crate::store::{LogKey, StoreError};

/// A tile served: a year, and never asked again.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The checkpoint: a few seconds at most, as the spec asks.
const CHECKPOINT_CACHE: &str = "public, max-age=2";

/// Why a tlog-tiles request is refused.
#[derive(Debug, thiserror::Error)]
pub(super) enum TlogError {
    /// Not a log key as this surface spells it (64 lower-case hex digits).
    #[error("not a log key (64 lower-case hex digits): {0}")]
    BadLog(String),
    /// Not a tile path, or not its one spelling.
    #[error(transparent)]
    BadPath(#[from] tiles::TilePathError),
    /// No such log held, or no such tile in it yet.
    #[error("{0}")]
    NotFound(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IntoResponse for TlogError {
    fn into_response(self) -> Response {
        let status = match self {
            TlogError::BadLog(_) | TlogError::BadPath(_) => StatusCode::BAD_REQUEST,
            TlogError::NotFound(_) => StatusCode::NOT_FOUND,
            TlogError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (
            status,
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            format!("{self}\n"),
        )
            .into_response()
    }
}

/// The log named in the path, held here.
fn held_log(state: &ApiState, text: &str) -> Result<(LogKey, u64), TlogError> {
    let log: LogKey = text
        .parse()
        .ok()
        .filter(|log: &LogKey| log.to_string() == text)
        .ok_or_else(|| TlogError::BadLog(text.into()))?;
    match state.office.store().held(&log) {
        0 => Err(TlogError::NotFound(format!(
            "no entries of log {log} are held here"
        ))),
        held => Ok((log, held)),
    }
}

/// `GET /tlog/{log}/checkpoint`.
pub(super) async fn checkpoint(
    State(state): State<Arc<ApiState>>,
    Path(log): Path<String>,
) -> Result<Response, TlogError> {
    let (log, _) = held_log(&state, &log)?;
    let checkpoint =
        crate::bundle::witnessed_checkpoint(state.office.store(), &state.members, &log)?
            .ok_or_else(|| {
                TlogError::NotFound("no checkpoint of that log is cosigned yet".into())
            })?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, CHECKPOINT_CACHE),
        ],
        checkpoint.to_string(),
    )
        .into_response())
}

/// `GET /tlog/{log}/tile/{*path}`: a hash tile or an entry bundle.
pub(super) async fn tile(
    State(state): State<Arc<ApiState>>,
    Path((log, path)): Path<(String, String)>,
) -> Result<Response, TlogError> {
    let tile = TileId::parse(&format!("tile/{path}"))?;
    let (log, held) = held_log(&state, &log)?;
    if !tiles::exists(&tile, held) {
        return Err(TlogError::NotFound(format!(
            "{tile} is past the {held} entries held"
        )));
    }
    let store = state.office.store().clone();
    let body = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, TlogError> {
        Ok(match tile.kind {
            TileKind::Hashes(level) => {
                tiles::encode_hashes(&store.tile_hashes(&log, level, tile.index, tile.width)?)
            }
            TileKind::Entries => {
                let first = tile.index * u64::from(tiles::TILE_WIDTH);
                let mut entries = Vec::with_capacity(usize::from(tile.width));
                for sequence in first..first + u64::from(tile.width) {
                    entries.push(store.entry(&log, sequence)?.ok_or_else(|| {
                        TlogError::Store(StoreError::Corrupt(format!(
                            "entry {sequence} is missing"
                        )))
                    })?);
                }
                tiles::encode_bundle(&entries).map_err(|e| {
                    TlogError::Store(StoreError::Corrupt(format!("an entry held: {e}")))
                })?
            }
        })
    })
    .await
    .map_err(|e| TlogError::Store(StoreError::Corrupt(e.to_string())))??;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, IMMUTABLE),
        ],
        body,
    )
        .into_response())
}

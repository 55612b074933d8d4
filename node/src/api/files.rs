//! Files beside the ledger (政策宣讲材料): the office uploads one (with its
//! token) and gets its SHA-256, which a `Briefing` record then commits to;
//! anyone fetches it by that hash and can check it. Served as inert
//! content: a sandboxing CSP, no sniffing, never as a page that runs.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use yiyi_protocol::rules::record::{BRIEFING_TYPES, MAX_BRIEFING_BYTES};

use super::error::{ApiError, ApiResult};
use super::state::ApiState;

/// The most bytes an upload's body may have.
pub(super) const BODY_BYTES: usize = MAX_BRIEFING_BYTES as usize;

/// What an upload says of its file.
#[derive(Deserialize)]
pub(super) struct Upload {
    /// Its media type: one of [`BRIEFING_TYPES`].
    #[serde(rename = "type")]
    media_type: String,
}

/// `POST /api/v1/files?type=…`: keeps the body; answers its SHA-256.
pub(super) async fn upload(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Query(upload): Query<Upload>,
    body: Bytes,
) -> ApiResult {
    super::authorise(&state, &headers)?;
    if !BRIEFING_TYPES.contains(&upload.media_type.as_str()) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "bad-type",
            format!("a briefing file is one of {}", BRIEFING_TYPES.join(", ")),
        )
        .in_chinese("文件类型仅限 PDF、PNG、JPEG 或纯文本"));
    }
    if body.is_empty() {
        return Err(
            ApiError::new(StatusCode::BAD_REQUEST, "empty", "the file is empty")
                .in_chinese("文件为空"),
        );
    }
    let store = state.office.store().clone();
    let media_type = upload.media_type.clone();
    let size = body.len();
    let sha = tokio::task::spawn_blocking(move || store.put_file(&body, &media_type))
        .await
        .map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        })??;
    Ok(axum::Json(json!({
        "sha256": hex::encode(sha),
        "size": size,
        "media_type": upload.media_type,
    })))
}

/// `GET /api/v1/files/{sha256}`: the file, as kept.
pub(super) async fn serve(
    State(state): State<Arc<ApiState>>,
    Path(sha): Path<String>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found("no file with that SHA-256 is kept here");
    let sha: [u8; 32] = hex::decode(sha.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(not_found)?;
    let (media_type, bytes) = state.office.store().file(&sha)?.ok_or_else(not_found)?;
    let kind = if media_type == "text/plain" {
        "text/plain; charset=utf-8".to_owned()
    } else {
        media_type
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    let value = |v: &str| {
        HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("application/octet-stream"))
    };
    headers.insert(header::CONTENT_TYPE, value(&kind));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Ok(response)
}

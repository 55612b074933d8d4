//! `POST /api/v1/concerns` and `GET /api/v1/concerns/{receipt}`: residents
//! raise a concern from the board and read where it stands by its receipt
//! code. Public, so bounded: a small body, a few concerns an hour from one
//! address, a few missed codes an hour before lookups from it are refused
//! (a code has 80 random bits: the limit is a second fence, not the first).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use yiyi_protocol::concern::{ConcernForm, ConcernMatter, ConcernReceipt, ConcernStatus};
use yiyi_protocol::tally::Code;

use super::error::ApiError;
use super::state::ApiState;
use crate::concerns::ConcernsError;

/// The largest concern body, in bytes (2,000 characters of four bytes and
/// the rest of the form fit).
pub(super) const BODY_BYTES: usize = 16 * 1024;

/// Takes a concern in: 201 with its receipt code.
pub(super) async fn raise(
    State(state): State<Arc<ApiState>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    form: Result<Json<ConcernForm>, JsonRejection>,
) -> Result<(StatusCode, Json<ConcernReceipt>), ApiError> {
    if !state.concern_quota.take(client.ip()) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "limited",
            "too many concerns from your address: try again in an hour",
        )
        .in_chinese("您所在的网络地址提交的反映太多，请一小时后再试"));
    }
    let Json(form) = form.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(e.status(), "too-large", e.body_text())
                .in_chinese("提交的内容太长，反映内容最多 2000 个字")
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, "bad-form", e.body_text())
                .in_chinese("提交的内容不是有效的反映表单")
        }
    })?;
    let concern = state
        .office
        .read(|consultation| form.check(consultation))
        .await
        .map_err(|e| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "concern", e.to_string())
                .in_chinese(e.zh())
                .at(e.field())
        })?;
    let (_, code) = state
        .concerns
        .take(concern, crate::now_ms(), None)
        .map_err(|e| match e {
            ConcernsError::Full => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "full", e.to_string())
                    .in_chinese("待处理的反映太多，请稍后再试或直接联系社区")
            }
            other => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                other.to_string(),
            ),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(ConcernReceipt {
            receipt: code.to_string(),
            status: "received".into(),
        }),
    ))
}

/// Where the concern a receipt code names stands.
pub(super) async fn status(
    State(state): State<Arc<ApiState>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(receipt): Path<String>,
) -> Result<Json<ConcernStatus>, ApiError> {
    let unknown = || {
        ApiError::not_found("no concern has this receipt code")
            .in_chinese("没有与此回执码对应的反映，请核对回执码")
    };
    let missed = |state: &ApiState| {
        if state.receipt_misses.take(client.ip()) {
            unknown()
        } else {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "limited",
                "too many unknown receipt codes from your address: try again in an hour",
            )
            .in_chinese("您所在的网络地址查询了太多无效的回执码，请一小时后再试")
        }
    };
    let Ok(code) = Code::parse(&receipt) else {
        return Err(missed(&state));
    };
    match state.concerns.by_receipt(&code) {
        Ok(Some(kept)) => {
            let mut status = kept.status();
            if kept.desk
                && let Some(id) = &kept.topic
            {
                status.matter = Some(desk_matter(&state, id));
            }
            Ok(Json(status))
        }
        Ok(None) => Err(missed(&state)),
        Err(e) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            e.to_string(),
        )),
    }
}

/// Where the matter a concern became at this desk stands.
fn desk_matter(state: &ApiState, id: &str) -> ConcernMatter {
    let own = state.office.store().own_log();
    state.office.matters().with(|all| {
        let found = all.find(id, Some(&own)).ok();
        ConcernMatter {
            id: id.to_owned(),
            status: found.map_or("received", |m| m.status.name()).to_owned(),
            result: found.and_then(|m| match &m.status {
                yiyi_protocol::escalation::Status::Resolved(result) => Some(result.clone()),
                _ => None,
            }),
        }
    })
}

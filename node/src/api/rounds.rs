//! Residents' rounds over HTTP (征询): the board reads a round, a resident
//! gives her view with her code and gets her receipt, and once the round
//! is tallied anyone fetches its ballots (to recount) and a receipt's
//! proof (to check it). Staff open and close rounds with the node's token
//! (the console does the same through [`crate::rounds::Rounds`]).
//! Ballots are public, so bounded: a small body, and codes that were not
//! issued for the round count against the address (guessing is slowed).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use yiyi_protocol::api::{Answer, EntryAt};
use yiyi_protocol::round::{
    BallotForm, BallotReceipt, CloseRound, OpenRound, OpenedRound, PublishedBallot,
    PublishedBallots, ReceiptProofView, RoundView,
};
use yiyi_protocol::rules::RoundState;
use yiyi_protocol::tally::Receipt;

use super::error::ApiError;
use super::state::ApiState;
use crate::rounds::RoundsError;

/// The largest ballot body, in bytes (a 500-character comment of
/// four-byte characters and the rest fit).
pub(super) const BODY_BYTES: usize = 4 * 1024;

impl From<RoundsError> for ApiError {
    fn from(e: RoundsError) -> ApiError {
        match e {
            RoundsError::Office(e) => e.into(),
            RoundsError::Unknown(_) => {
                ApiError::not_found(e.to_string()).in_chinese("没有这一轮征询，请核对链接")
            }
            RoundsError::Ballot(b) => {
                let status = match b {
                    yiyi_protocol::round::BallotError::Closed(_) => StatusCode::CONFLICT,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                ApiError::new(status, "ballot", b.to_string())
                    .in_chinese(b.zh())
                    .at(b.field())
            }
            RoundsError::NotIssued(_) => {
                ApiError::new(StatusCode::FORBIDDEN, "not-issued", e.to_string())
                    .in_chinese("这不是本轮征询的参与码，请核对卡片上的参与码")
                    .at("code")
            }
            RoundsError::Request(m) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad-name", m)
            }
            other => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                other.to_string(),
            ),
        }
    }
}

/// `GET /api/v1/rounds`: the office's rounds, newest first.
pub(super) async fn list(State(state): State<Arc<ApiState>>) -> Json<Vec<RoundView>> {
    Json(crate::rounds::views(&state.office).await)
}

/// `GET /api/v1/rounds/{id}`.
pub(super) async fn show(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
) -> Result<Json<RoundView>, ApiError> {
    crate::rounds::view(&state.office, &id)
        .await
        .map(Json)
        .ok_or_else(|| RoundsError::Unknown(id).into())
}

/// `POST /api/v1/rounds/{id}/ballots`: a resident's view; 201 with her
/// receipt (200 when it replaced her earlier one).
pub(super) async fn cast(
    State(state): State<Arc<ApiState>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    form: Result<Json<BallotForm>, JsonRejection>,
) -> Result<(StatusCode, Json<BallotReceipt>), ApiError> {
    let Json(form) = form.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(e.status(), "too-large", e.body_text())
                .in_chinese("提交的内容太长，留言最多 500 个字")
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, "bad-form", e.body_text())
                .in_chinese("提交的内容不是有效的意见表单")
        }
    })?;
    // An address that tried too many codes not issued waits first: each
    // guess costs it its allowance.
    if !state.ballot_misses.peek(client.ip()) {
        return Err(guessing());
    }
    match state.rounds.cast(&state.office, &id, form).await {
        Ok(receipt) => {
            let status = if receipt.changed {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            Ok((status, Json(receipt)))
        }
        Err(e @ RoundsError::NotIssued(_)) => {
            if state.ballot_misses.take(client.ip()) {
                Err(e.into())
            } else {
                Err(guessing())
            }
        }
        Err(e) => Err(e.into()),
    }
}

fn guessing() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "limited",
        "too many codes that were not issued, from your address: try again in an hour",
    )
    .in_chinese("您所在的网络地址输入了太多无效的参与码，请一小时后再试")
}

fn tallied(round: &RoundState) -> Result<EntryAt, ApiError> {
    match &round.tally {
        Some((at, _)) => Ok(EntryAt::new(at.sequence, at.hash)),
        None => Err(ApiError::new(
            StatusCode::CONFLICT,
            "not-tallied",
            "the round is not tallied yet: its ballots are published with its tally",
        )
        .in_chinese("本轮征询尚未计票，计票后公布")),
    }
}

/// `GET /api/v1/rounds/{id}/ballots`: a tallied round's ballots, in leaf
/// order, for anyone to recount.
pub(super) async fn ballots(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
) -> Result<Json<PublishedBallots>, ApiError> {
    let round = state.rounds.round(&state.office, &id).await?;
    tallied(&round)?;
    let counted = state.rounds.count(&round)?;
    Ok(Json(PublishedBallots {
        round: id,
        ballots: counted
            .ballots
            .iter()
            .map(|b| PublishedBallot {
                receipt: b.receipt.0.to_hex(),
                choice: b.choice,
            })
            .collect(),
    }))
}

/// `GET /api/v1/rounds/{id}/receipts/{receipt}`: the proof that a
/// receipt's ballot is in the round's tally.
pub(super) async fn receipt(
    State(state): State<Arc<ApiState>>,
    Path((id, receipt)): Path<(String, String)>,
) -> Result<Json<ReceiptProofView>, ApiError> {
    let round = state.rounds.round(&state.office, &id).await?;
    let tally = tallied(&round)?;
    let wanted = yiyi_protocol::Hash::from_hex(receipt.trim())
        .map(Receipt)
        .map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad-receipt",
                "a receipt is 64 hex digits",
            )
            .in_chinese("回执应为 64 位十六进制数字")
        })?;
    let counted = state.rounds.count(&round)?;
    let proof = counted.prove(&wanted).ok_or_else(|| {
        ApiError::not_found(format!(
            "the tally of round {id} has no ballot with receipt {wanted}"
        ))
        .in_chinese("本轮计票中没有这张回执的意见")
    })?;
    Ok(Json(ReceiptProofView {
        round: id,
        receipt: wanted.0.to_hex(),
        index: proof.index,
        choice: proof.choice,
        hashes: proof.hashes.iter().map(|h| h.to_hex()).collect(),
        tally,
    }))
}

/// `POST /api/v1/rounds` (the node's token): opens a round; answers the
/// record and the codes to print.
pub(super) async fn open(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Json(request): Json<OpenRound>,
) -> Result<Json<OpenedRound>, ApiError> {
    super::authorise(&state, &headers)?;
    let (recorded, codes) = state
        .rounds
        .open_round(&state.office, request, crate::now_ms())
        .await?;
    Ok(Json(OpenedRound {
        answer: recorded.answer(),
        codes: codes.iter().map(|c| c.to_string()).collect(),
    }))
}

/// `POST /api/v1/rounds/{id}/close` (the node's token): records the tally.
pub(super) async fn close(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(request): Json<CloseRound>,
) -> Result<Json<Vec<Answer>>, ApiError> {
    super::authorise(&state, &headers)?;
    let recorded = state.rounds.close(&state.office, &id, request).await?;
    Ok(Json(recorded.iter().map(|r| r.answer()).collect()))
}

/// `GET /api/v1/rounds/{id}/codes` (the node's token): the codes still
/// kept (until the tally), to print again.
pub(super) async fn codes(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Vec<String>>, ApiError> {
    super::authorise(&state, &headers)?;
    state.rounds.round(&state.office, &id).await?;
    let codes = state.rounds.codes(&id).map_err(RoundsError::from)?;
    Ok(Json(codes.iter().map(|c| c.to_string()).collect()))
}

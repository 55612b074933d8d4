//! `/yiyi/witness/1`: a node submits its checkpoints to its parent office
//! for cosigning (the C2SP `add-checkpoint` body, as over HTTP), and
//! cosigns its children's as their witness.

use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use libp2p::request_response::{OutboundRequestId, ResponseChannel};
use yiyi_protocol::checkpoint::SignedCheckpoint;
use yiyi_protocol::proto::{WitnessRequest, WitnessResponse};
use yiyi_protocol::witness::{AddCheckpoint, WitnessError, merge_cosignatures};

use crate::store::Store;
use crate::witness::{Witness, WitnessFailure};

/// The witness client's state: at most one submission outstanding.
#[derive(Default)]
pub(super) struct WitnessClient {
    /// The request outstanding, with the checkpoint it submitted.
    in_flight: Option<(OutboundRequestId, SignedCheckpoint)>,
    /// The size the parent last said it holds of the own log.
    parent_holds: Option<u64>,
}

/// What a witness's answer calls for.
pub(super) enum Cosigned {
    /// The cosigned checkpoint to keep (and announce again).
    Keep(SignedCheckpoint),
    /// Nothing more to do.
    Nothing,
}

impl WitnessClient {
    /// The own latest checkpoint to submit, with the consistency proof from
    /// what the parent holds, if it grew past that and nothing is
    /// outstanding.
    pub(super) fn submission(&self, store: &Store) -> Option<(WitnessRequest, SignedCheckpoint)> {
        if self.in_flight.is_some() {
            return None;
        }
        let own = store.own_log();
        let latest = store.checkpoint().ok().flatten()?;
        let held = self.parent_holds.unwrap_or_else(|| {
            store
                .known_checkpoint(&own)
                .ok()
                .flatten()
                .map_or(0, |c| c.size())
        });
        if latest.size() <= held {
            return None;
        }
        let proof = if held == 0 {
            Vec::new()
        } else {
            match store.consistency_proof(&own, held, latest.size()) {
                Ok(proof) => proof,
                Err(e) => {
                    tracing::warn!(error = %e, "no consistency proof for the witness");
                    return None;
                }
            }
        };
        let body = AddCheckpoint {
            old_size: held,
            proof,
            checkpoint: latest.to_string(),
        }
        .to_bytes();
        Some((WitnessRequest { body }, latest))
    }

    /// The submission went out as `id`.
    pub(super) fn sent(&mut self, id: OutboundRequestId, checkpoint: SignedCheckpoint) {
        self.in_flight = Some((id, checkpoint));
    }

    /// The submission failed, or the parent is gone: submit again later.
    pub(super) fn failed(&mut self) {
        self.in_flight = None;
    }

    /// The parent answered the outstanding submission.
    pub(super) fn answered(&mut self, response: WitnessResponse) -> Cosigned {
        let Some((_, submitted)) = self.in_flight.take() else {
            return Cosigned::Nothing;
        };
        match response.status {
            200 => match merge_cosignatures(submitted.as_str(), &response.body)
                .map_err(|e| e.to_string())
                .and_then(|note| SignedCheckpoint::parse(&note).map_err(|e| e.to_string()))
            {
                Ok(cosigned) => Cosigned::Keep(cosigned),
                Err(e) => {
                    tracing::warn!(error = %e, "the parent's cosignature is malformed");
                    Cosigned::Nothing
                }
            },
            409 => {
                self.parent_holds = response.body.trim().parse().ok();
                Cosigned::Nothing
            }
            status => {
                tracing::warn!(status, body = response.body, "the parent refused to cosign");
                Cosigned::Nothing
            }
        }
    }

    /// The cosigned checkpoint is kept: the parent holds this much.
    pub(super) fn kept(&mut self, size: u64) {
        self.parent_holds = Some(size);
    }
}

/// Cosigns a child's checkpoint, as its witness.
pub(super) fn cosign(witness: &Witness, body: &[u8]) -> WitnessResponse {
    match witness.add_checkpoint(body) {
        Ok(lines) => WitnessResponse {
            status: 200,
            body: lines,
        },
        Err(WitnessFailure::Refused(e)) => WitnessResponse {
            status: u32::from(e.http_status()),
            body: match e {
                WitnessError::Conflict(size) => size.to_string(),
                e => e.to_string(),
            },
        },
        Err(e) => WitnessResponse {
            status: 500,
            body: e.to_string(),
        },
    }
}

/// A child's request being cosigned, and the channel its answer goes on.
pub(super) type Cosigning =
    FuturesUnordered<BoxFuture<'static, (ResponseChannel<WitnessResponse>, WitnessResponse)>>;

/// Cosigns a child's checkpoint off the event loop: a cosignature is made
/// durable before it is given (a flush and an fsync), and a district's
/// streets ask at every commit. The answer comes back with its channel.
pub(super) fn cosign_later(
    cosigning: &mut Cosigning,
    witness: Arc<Witness>,
    request: WitnessRequest,
    channel: ResponseChannel<WitnessResponse>,
) {
    cosigning.push(Box::pin(async move {
        let response = tokio::task::spawn_blocking(move || cosign(&witness, &request.body))
            .await
            .unwrap_or_else(|_| WitnessResponse {
                status: 500,
                body: "cosigning failed".into(),
            });
        (channel, response)
    }));
}

/// The answer to a peer over its request limit.
pub(super) fn too_many() -> WitnessResponse {
    WitnessResponse {
        status: 429,
        body: "too many requests; try again later".into(),
    }
}

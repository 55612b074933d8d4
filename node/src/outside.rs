//! Outside witnesses (外部见证人): besides its parent office, a node can
//! submit its checkpoints to any C2SP tlog-witness (`add-checkpoint` over
//! HTTP, with a consistency proof from the size the witness holds), so that
//! residents who trust neither the district nor its offices alone can
//! require a witness of their choosing (`yiyi verify --policy`).
//!
//! Each witness is asked at most as often as it allows a log (its
//! checkpoints per day), and only with a checkpoint the parent has already
//! cosigned, so the cosigned checkpoint carries both. Its cosignatures are
//! checked against its key, kept (`Store::add_outside_cosignatures`) and
//! served in notice bundles and `/api/v1/witnesses`. A witness that holds
//! another size says so (409); the next request starts from it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use yiyi_protocol::checkpoint::{SignedCheckpoint, witnessed_by};
use yiyi_protocol::note::SignedNote;
use yiyi_protocol::witness::{AddCheckpoint, WitnessEndpoint};

use crate::federation::Members;
use crate::store::Store;

/// How long one submission may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The outside witnesses configured, and how each is doing.
pub struct OutsideWitnesses {
    store: Store,
    members: Members,
    endpoints: Vec<WitnessEndpoint>,
    status: Mutex<Vec<WitnessStatus>>,
}

/// How an outside witness is doing, as `/api/v1/witnesses` shows it.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct WitnessStatus {
    /// The office's name for it.
    pub name: String,
    /// Where it answers.
    pub url: String,
    /// Its cosigner key.
    pub key: String,
    /// Checkpoints a day it takes.
    pub per_day: u32,
    /// The size of the latest checkpoint it cosigned.
    pub cosigned_size: Option<u64>,
    /// When (ms since the epoch, this node's clock).
    pub cosigned_at_ms: Option<i64>,
    /// Requests made.
    pub submitted: u64,
    /// What went wrong last, if the last request failed.
    pub error: Option<String>,
}

/// What a submission came to.
enum Answer {
    /// Cosigned: the checkpoint with the witness's cosignature added.
    Cosigned(SignedCheckpoint),
    /// The witness holds this size, not the one asked from.
    Holds(u64),
}

/// Why a submission failed.
#[derive(Debug, thiserror::Error)]
enum SubmitError {
    #[error("HTTP: {0}")]
    Http(String),
    #[error("the witness answered {0}: {1}")]
    Refused(u16, String),
    #[error("the answer does not verify with the witness's key")]
    BadCosignature,
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl OutsideWitnesses {
    /// The witnesses `endpoints`, for the node's own ledger in `store`.
    pub fn new(
        store: Store,
        members: Members,
        endpoints: Vec<WitnessEndpoint>,
    ) -> OutsideWitnesses {
        let status = endpoints
            .iter()
            .map(|e| WitnessStatus {
                name: e.name.clone(),
                url: e.url.clone(),
                key: e.key.to_string(),
                per_day: e.per_day,
                ..WitnessStatus::default()
            })
            .collect();
        OutsideWitnesses {
            store,
            members,
            endpoints,
            status: Mutex::new(status),
        }
    }

    /// How each witness is doing.
    pub fn status(&self) -> Vec<WitnessStatus> {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn update(&self, i: usize, f: impl FnOnce(&mut WitnessStatus)) {
        f(&mut self.status.lock().unwrap_or_else(|e| e.into_inner())[i]);
    }

    /// Submits new checkpoints to each witness, as often as it allows,
    /// until `stop`.
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        if self.endpoints.is_empty() {
            // A task of the node ends only when the node stops.
            stop.cancelled().await;
            return;
        }
        // Per witness: the size it holds as far as known, and when it was
        // last asked.
        let mut holds = vec![0u64; self.endpoints.len()];
        let mut asked: Vec<Option<Instant>> = vec![None; self.endpoints.len()];
        loop {
            for i in 0..self.endpoints.len() {
                let due = asked[i].is_none_or(|t| t.elapsed() >= self.endpoints[i].interval());
                let own = self.store.own_log();
                let checkpoint =
                    crate::bundle::witnessed_checkpoint(&self.store, &self.members, &own)
                        .ok()
                        .flatten();
                let Some(checkpoint) = checkpoint.filter(|c| c.size() > holds[i]) else {
                    continue;
                };
                if !due {
                    continue;
                }
                asked[i] = Some(Instant::now());
                let this = self.clone();
                let old = holds[i];
                let size = checkpoint.size();
                let answer =
                    tokio::task::spawn_blocking(move || this.submit(i, old, &checkpoint)).await;
                self.update(i, |s| s.submitted += 1);
                match answer {
                    Ok(Ok(Answer::Cosigned(cosigned))) => {
                        holds[i] = cosigned.size();
                        self.update(i, |s| {
                            s.cosigned_size = Some(cosigned.size());
                            s.cosigned_at_ms = Some(crate::now_ms());
                            s.error = None;
                        });
                    }
                    Ok(Ok(Answer::Holds(held))) => {
                        // Asked from the wrong size: ask again at once if
                        // the checkpoint is still news to the witness (a
                        // restart forgets what it holds); else this was the
                        // request of its turn.
                        holds[i] = held;
                        if size > held {
                            asked[i] = None;
                        }
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(witness = %self.endpoints[i].name, error = %e, "an outside witness");
                        self.update(i, |s| s.error = Some(e.to_string()));
                    }
                    Err(e) => self.update(i, |s| s.error = Some(e.to_string())),
                }
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                () = stop.cancelled() => return,
            }
        }
    }

    /// One `add-checkpoint` request to witness `i`, from the size `old` it
    /// is believed to hold.
    fn submit(
        &self,
        i: usize,
        old: u64,
        checkpoint: &SignedCheckpoint,
    ) -> Result<Answer, SubmitError> {
        let witness = &self.endpoints[i];
        let own = self.store.own_log();
        let proof = if old == 0 || old >= checkpoint.size() {
            Vec::new()
        } else {
            self.store.consistency_proof(&own, old, checkpoint.size())?
        };
        let body = AddCheckpoint {
            old_size: old,
            proof,
            checkpoint: checkpoint.to_string(),
        }
        .to_bytes();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(TIMEOUT))
            .build()
            .into();
        let mut response = agent
            .post(format!("{}/add-checkpoint", witness.url))
            .content_type("text/plain; charset=utf-8")
            .send(&body[..])
            .map_err(|e| SubmitError::Http(e.to_string()))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_string()
            .map_err(|e| SubmitError::Http(e.to_string()))?;
        match status {
            200 => {}
            409 => {
                return text
                    .trim()
                    .parse()
                    .map(Answer::Holds)
                    .map_err(|_| SubmitError::Refused(409, text));
            }
            other => return Err(SubmitError::Refused(other, text.trim().to_owned())),
        }
        // Only the witness's own cosignatures are taken from its answer.
        let answered = SignedNote::parse(&format!("{}\n{text}", checkpoint.note().text()))
            .map_err(|_| SubmitError::BadCosignature)?;
        let verified = witnessed_by(&answered, std::slice::from_ref(&witness.key))
            .map_err(|_| SubmitError::BadCosignature)?;
        if verified.is_empty() {
            return Err(SubmitError::BadCosignature);
        }
        let mut note = checkpoint.note().clone();
        for (signature, _) in verified {
            note.push_replacing(signature.clone());
        }
        let cosigned =
            SignedCheckpoint::from_note(note).map_err(|_| SubmitError::BadCosignature)?;
        self.store.add_outside_cosignatures(&own, &cosigned)?;
        tracing::debug!(witness = %witness.name, size = cosigned.size(), "cosigned by an outside witness");
        Ok(Answer::Cosigned(cosigned))
    }
}

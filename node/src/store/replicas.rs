//! Storing other offices' entries (replicas) as they arrive from peers.
//!
//! An entry is checked (signature, envelope, author) before it reaches the
//! writer, on every core, and the writer only orders and persists. A sync
//! response is stored in two steps that a caller may overlap across
//! responses of one log: [`Store::verify_replicas`] (CPU, any order) and
//! [`Store::submit_replicas`] (hands them to the writer, which must be in
//! log order), whose [`Submitted::committed`] waits for the commit. A
//! catch-up verified a response, then committed it, then verified the next:
//! the cores sat idle during each commit.

use yiyi_protocol::VerifiedEntry;
use yiyi_protocol::entry::{self, EntryError};

use super::writer::Request;
use super::{Appended, LogKey, Store, StoreError};

/// A response's entries, checked: those that verified, in order, up to the
/// first that did not.
pub struct VerifiedReplicas {
    log: LogKey,
    entries: Vec<VerifiedEntry>,
    /// Why the entry after them was not taken (refused, or the log is
    /// frozen).
    stopped: Option<StoreError>,
}

impl VerifiedReplicas {
    /// The sequence number each entry taken claims, in order.
    pub fn sequences(&self) -> impl Iterator<Item = u64> + '_ {
        self.entries.iter().map(|e| e.entry.sequence)
    }
}

/// Verified entries handed to the writer, in order.
pub struct Submitted {
    answers: Vec<tokio::sync::oneshot::Receiver<Result<Appended, StoreError>>>,
    /// Why the rest were not handed over.
    stopped: Option<StoreError>,
}

impl Submitted {
    /// Waits for the entries' commits: each one's outcome, then, if the
    /// response did not end there, why the rest were not tried.
    pub async fn committed(self) -> Vec<Result<Appended, StoreError>> {
        let mut outcomes: Vec<Result<Appended, StoreError>> = futures::future::join_all(
            self.answers
                .into_iter()
                .map(|answer| async move { answer.await.map_err(|_| StoreError::Closed)? }),
        )
        .await;
        outcomes.extend(self.stopped.map(Err));
        outcomes
    }
}

impl Store {
    /// Appends an entry of another office's ledger, as received: it must be a
    /// valid signed entry by `log`'s key and come next in that log. Returns
    /// once it is durable; a refused entry changes nothing.
    pub async fn append_replica(&self, log: LogKey, bytes: &[u8]) -> Result<Appended, StoreError> {
        let entry = verify_replica(&log, bytes)?;
        if self.frozen(&log)?.is_some() {
            return Err(StoreError::Frozen);
        }
        let entry = Box::new(entry);
        self.request(|reply| Request::Replica { log, entry, reply })
            .await
    }

    /// [`Store::append_replica`] for callers outside an async runtime.
    pub fn append_replica_blocking(
        &self,
        log: LogKey,
        bytes: &[u8],
    ) -> Result<Appended, StoreError> {
        let entry = verify_replica(&log, bytes)?;
        if self.frozen(&log)?.is_some() {
            return Err(StoreError::Frozen);
        }
        let entry = Box::new(entry);
        self.request_blocking(|reply| Request::Replica { log, entry, reply })
    }

    /// Appends consecutive entries of another office's ledger, as received:
    /// their signatures are checked on all cores, then they are committed in
    /// order (sharing group commits). Returns each one's outcome; after the
    /// first refusal the rest are not tried.
    pub async fn append_replicas(
        &self,
        log: LogKey,
        entries: Vec<Vec<u8>>,
    ) -> Vec<Result<Appended, StoreError>> {
        let verified = self.verify_replicas(log, entries).await;
        self.submit_replicas(verified).await.committed().await
    }

    /// Checks consecutive entries of `log` as received, on all cores: each
    /// signed by `log`'s key and well formed. Whether they come next in the
    /// log is the writer's check, at submission.
    pub async fn verify_replicas(&self, log: LogKey, entries: Vec<Vec<u8>>) -> VerifiedReplicas {
        if matches!(self.frozen(&log), Ok(Some(_))) {
            return VerifiedReplicas {
                log,
                entries: Vec::new(),
                stopped: Some(StoreError::Frozen),
            };
        }
        let outcomes = tokio::task::spawn_blocking(move || {
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let chunk = entries.len().div_ceil(threads).max(32);
            std::thread::scope(|scope| {
                let handles: Vec<_> = entries
                    .chunks(chunk)
                    .map(|part| {
                        scope.spawn(move || {
                            part.iter()
                                .map(|bytes| verify_replica(&log, bytes))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_default())
                    .collect::<Vec<_>>()
            })
        })
        .await
        .unwrap_or_default();
        let mut verified = VerifiedReplicas {
            log,
            entries: Vec::with_capacity(outcomes.len()),
            stopped: None,
        };
        for outcome in outcomes {
            match outcome {
                Ok(entry) => verified.entries.push(entry),
                Err(e) => {
                    verified.stopped = Some(StoreError::Rejected(e));
                    break;
                }
            }
        }
        verified
    }

    /// Hands verified entries to the writer, one after another in log
    /// order, and returns once they are all queued (not committed). A
    /// `join_all` of whole requests polled its futures in the order they
    /// woke once the queue was full, which reordered them.
    pub async fn submit_replicas(&self, verified: VerifiedReplicas) -> Submitted {
        let VerifiedReplicas {
            log,
            entries,
            mut stopped,
        } = verified;
        let requests = match self.requests() {
            Ok(requests) => requests,
            Err(e) => {
                return Submitted {
                    answers: Vec::new(),
                    stopped: Some(e),
                };
            }
        };
        let mut answers = Vec::with_capacity(entries.len());
        for entry in entries {
            let (reply, answer) = tokio::sync::oneshot::channel();
            let entry = Box::new(entry);
            if requests
                .send(Request::Replica { log, entry, reply })
                .await
                .is_err()
            {
                stopped = Some(StoreError::Closed);
                break;
            }
            answers.push(answer);
        }
        Submitted { answers, stopped }
    }
}

/// Checks a replicated entry: well formed, signed, and by `log`'s key.
pub(super) fn verify_replica(log: &LogKey, bytes: &[u8]) -> Result<VerifiedEntry, EntryError> {
    let entry = entry::verify(bytes)?;
    if entry.author() != log.as_slice() {
        return Err(EntryError::WrongAuthor {
            expected: log.to_string(),
            got: hex::encode(entry.author()),
        });
    }
    Ok(entry)
}

//! The office (办公室): the community's procedure on top of its own ledger.
//!
//! Every office action goes through [`Office::record`]: the record is checked
//! against the procedure's rules (`yiyi_protocol::rules`) with the state the
//! ledger adds up to, appended (signed and durable) only if the rules accept
//! it, and then folded into the state. Records that publish something also
//! get their notice, written from the records, as the next entries. One lock
//! orders the office's writes, so a check always sees every earlier record.

use tokio::sync::Mutex;
use yiyi_protocol::entry;
use yiyi_protocol::proto::{EntryRef, entry::Body, gate_decision::Verdict, meeting_step::Step};
use yiyi_protocol::rules::{Consultation, Position, RuleError, notices};

use crate::private::{PrivateError, PrivateStore};
use crate::store::{Appended, Store, StoreError};

/// Why an office action was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum OfficeError {
    /// The procedure does not allow it; nothing was written.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// The ledger store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The private store failed.
    #[error(transparent)]
    Private(#[from] PrivateError),
    /// The office's own ledger does not follow the rules (it was written by
    /// other software, or the rules changed): the node will not guess.
    #[error("the ledger's entry {sequence} breaks the procedure: {error}")]
    Replay {
        /// The entry.
        sequence: u64,
        /// The rule it breaks.
        error: RuleError,
    },
}

/// What an action wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The record's entry.
    pub entry: Appended,
    /// The notices published with it.
    pub notices: Vec<Appended>,
}

/// A community office's procedure over its ledger.
pub struct Office {
    store: Store,
    private: PrivateStore,
    state: Mutex<Consultation>,
    members: Option<crate::federation::Members>,
}

impl Office {
    /// Opens the office over its stores, reading the ledger back through the
    /// rules.
    pub fn open(store: Store, private: PrivateStore) -> Result<Office, OfficeError> {
        let log = store.own_log();
        let mut state = Consultation::new();
        for sequence in 0..store.state(&log)?.head.size {
            let bytes = store
                .entry(&log, sequence)?
                .ok_or_else(|| StoreError::Corrupt(format!("entry {sequence} is missing")))?;
            let verified = entry::verify(&bytes).map_err(StoreError::Rejected)?;
            if let Some(body) = &verified.entry.body {
                let at = Position {
                    sequence,
                    hash: verified.hash,
                    time_ms: verified.entry.time_ms,
                };
                state
                    .accept(body, at)
                    .map_err(|error| OfficeError::Replay { sequence, error })?;
            }
        }
        Ok(Office {
            store,
            private,
            state: Mutex::new(state),
            members: None,
        })
    }

    /// Keeps the federation up to date with the charters this office
    /// records, so that the node replicates the offices it admits.
    pub fn follow_charters(mut self, members: crate::federation::Members) -> Office {
        self.members = Some(members);
        self
    }

    /// The ledger store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The private store.
    pub fn private(&self) -> &PrivateStore {
        &self.private
    }

    /// Reads the current state.
    pub async fn read<R>(&self, f: impl FnOnce(&Consultation) -> R) -> R {
        f(&*self.state.lock().await)
    }

    /// Checks `body` against the procedure and, if it is allowed, appends it
    /// and the notices it publishes (with `notice_text` added to them).
    pub async fn record(&self, body: Body, notice_text: &str) -> Result<Recorded, OfficeError> {
        let mut state = self.state.lock().await;
        let now = crate::now_ms();
        state.check(&body, now)?;
        let entry = self.append(&mut state, body.clone()).await?;
        if let Some(members) = &self.members {
            members.observe(&self.store.own_log(), &body);
        }

        let source = vec![EntryRef {
            log: self.store.own_log().to_vec(),
            sequence: entry.sequence,
            hash: entry.hash.0.to_vec(),
        }];
        let mut published = Vec::new();
        match &body {
            Body::GateDecision(g) if g.verdict == Verdict::DeclineRegulated as i32 => {
                published.push(notices::decline(
                    &state.topics[&g.topic_id],
                    g,
                    notice_text,
                    source,
                ));
            }
            Body::MeetingStep(s) if s.step == Step::PublishResult as i32 => {
                let meeting = &state.meetings[&s.meeting_id];
                for topic in &meeting.meeting.topic_ids {
                    published.extend(notices::result(
                        &state.topics[topic],
                        meeting,
                        notice_text,
                        source.clone(),
                    ));
                }
            }
            Body::Progress(p) => {
                published.push(notices::progress(
                    &state.topics[&p.topic_id],
                    p,
                    notice_text,
                    source,
                ));
            }
            _ => {}
        }
        let mut notices = Vec::with_capacity(published.len());
        for notice in published {
            let body = Body::Notice(notice);
            // Written from records the rules just accepted; a refusal here
            // is a bug, and the record itself is already in.
            state.check(&body, now)?;
            notices.push(self.append(&mut state, body).await?);
        }
        Ok(Recorded { entry, notices })
    }

    async fn append(&self, state: &mut Consultation, body: Body) -> Result<Appended, OfficeError> {
        let appended = self.store.append(body.clone()).await?;
        state.apply(
            &body,
            Position {
                sequence: appended.sequence,
                hash: appended.hash,
                time_ms: appended.time_ms,
            },
        );
        Ok(appended)
    }

    /// Keeps private data and returns the commitment for the public record.
    pub fn keep_private(
        &self,
        kind: &str,
        subject: &str,
        data: serde_json::Value,
    ) -> Result<Vec<u8>, OfficeError> {
        Ok(self.private.keep(kind, subject, data)?.to_vec())
    }
}

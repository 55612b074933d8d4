//! The office (办公室): the community's procedure on top of its own ledger.
//!
//! Every office action goes through [`Office::record`]: the record is checked
//! against the procedure's rules (`yiyi_protocol::rules`) with the state the
//! ledger adds up to, appended (signed and durable) only if the rules accept
//! it, and then folded into the state. Records that publish something also
//! get their notice, written from the records, as the next entries. One lock
//! orders the office's writes, so a check always sees every earlier record.
//!
//! What escalated matters call for (a forwarding escalation, a receipt, the
//! notices other offices' steps call for) the escalation desk decides
//! ([`crate::escalation::Desk`]); the office appends it, here and nowhere
//! else. Every entry, the office's own and every replicated one, is seen by
//! the same [`Office::observe`], which feeds the federation and the matters.

use tokio::sync::Mutex;
use yiyi_protocol::api;
use yiyi_protocol::entry::VerifiedEntry;
use yiyi_protocol::proto::{
    self, Level, OfficeProfile, decision::Verdict as DecisionVerdict, entry::Body,
};
use yiyi_protocol::rules::{self, Consultation, Deadlines, Position, RuleError, notices};

use crate::escalation::{Desk, DeskError, Receipt, Seat};
use crate::federation::Members;
use crate::matters::Matters;
use crate::private::{PrivateError, PrivateStore};
use crate::store::outbox::Outbox;
use crate::store::{Appended, LogKey, Store, StoreError};

mod checks;

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
    /// The escalation desk refused it (the matter's steps, no parent) or
    /// could not do its part; nothing was written.
    #[error(transparent)]
    Desk(#[from] DeskError),
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
    /// The record's id, or the topic's, meeting's or matter's it belongs to
    /// ([`yiyi_protocol::api::record_id`]).
    pub id: String,
    /// Where that stands, as the record left it (computed under the same
    /// lock as the write: no other action lands in between).
    pub status: String,
    /// The record's entry.
    pub entry: Appended,
    /// The notices published with it.
    pub notices: Vec<Appended>,
    /// For a decision to forward: the escalation that carries the matter
    /// on to the parent office.
    pub forwarded: Option<Appended>,
}

impl Recorded {
    /// The answer `POST /api/v1/actions` gives.
    pub fn answer(&self) -> api::Answer {
        let at = |a: &Appended| api::EntryAt::new(a.sequence, a.hash);
        api::Answer {
            id: self.id.clone(),
            status: self.status.clone(),
            entry: at(&self.entry),
            notices: self.notices.iter().map(at).collect(),
            forwarded: self.forwarded.as_ref().map(at),
        }
    }
}

/// A community office's procedure over its ledger.
pub struct Office {
    store: Store,
    private: PrivateStore,
    state: Mutex<Consultation>,
    /// The office's level: what it may admit, whether it keeps departments.
    level: Level,
    members: Option<Members>,
    desk: Desk,
    /// Signalled when another office's step may call for a write here.
    wanted: tokio::sync::Notify,
}

impl Office {
    /// Opens the office of `level` over its stores, reading the ledger back
    /// through the rules.
    pub fn open(store: Store, private: PrivateStore, level: Level) -> Result<Office, OfficeError> {
        let mut state = Consultation::new();
        for stored in store.entries(&store.own_log(), 0) {
            let stored = stored?;
            if let Some(body) = stored.body() {
                state
                    .accept(body, stored.at)
                    .map_err(|error| OfficeError::Replay {
                        sequence: stored.at.sequence,
                        error,
                    })?;
            }
        }
        Ok(Office {
            desk: Desk::open(&store)?,
            store,
            private,
            state: Mutex::new(state),
            level,
            members: None,
            wanted: tokio::sync::Notify::new(),
        })
    }

    /// The office's level.
    pub fn level(&self) -> Level {
        self.level
    }

    /// Keeps the federation up to date with the charters this office
    /// records, so that the node replicates the offices it admits.
    pub fn follow_charters(mut self, members: Members) -> Office {
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

    /// The escalated matters seen in every ledger held.
    pub fn matters(&self) -> &Matters {
        self.desk.matters()
    }

    /// The escalations waiting for their receipts.
    pub fn outbox(&self) -> &Outbox {
        self.desk.outbox()
    }

    /// The office this one escalates to.
    pub fn parent(&self) -> Option<LogKey> {
        self.members.as_ref()?.parent(&self.store.own_log())
    }

    /// The name of an office of the federation, else its key in short.
    pub fn name_of(&self, log: &LogKey) -> String {
        self.members
            .as_ref()
            .and_then(|m| m.name(log))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("{}…", &log.to_string()[..8]))
    }

    /// The office's latest profile (办公室简介), with where it was recorded.
    pub async fn profile(&self) -> Option<(Position, OfficeProfile)> {
        self.read(|s| s.profile.clone()).await
    }

    /// `changes` applied to the latest profile: what the office would write
    /// to describe itself now. The level is always the office's own.
    pub async fn profile_with(&self, changes: api::Profile) -> OfficeProfile {
        let mut profile = self.profile().await.map(|(_, p)| p).unwrap_or_default();
        let fields = [
            (changes.name, &mut profile.name),
            (changes.address, &mut profile.address),
            (changes.phone, &mut profile.phone),
            (changes.meeting_place, &mut profile.meeting_place),
            (changes.meeting_rhythm, &mut profile.meeting_rhythm),
        ];
        for (given, field) in fields {
            if let Some(value) = given {
                *field = value.trim().to_owned();
            }
        }
        // A city's level is its own field (see ledger.proto).
        profile.city = self.level == Level::City;
        profile.level = if profile.city { 0 } else { self.level as i32 };
        profile
    }

    /// Writes the office's first profile, named `name`, if it has none: an
    /// office describes itself from its first start, so that every node
    /// names it as it names itself. Later changes are the office's to make
    /// (`yiyi profile set`).
    pub async fn describe_first(&self, name: &str) -> Result<(), OfficeError> {
        if self.profile().await.is_none() {
            let changes = api::Profile {
                name: Some(name.to_owned()),
                ..Default::default()
            };
            let profile = self.profile_with(changes).await;
            self.record(Body::OfficeProfile(profile), "").await?;
        }
        Ok(())
    }

    /// Records the office's time limits (办理时限) when `limits` differ
    /// from what its ledger says (the defaults of its level, before any
    /// record): the configuration is the office's word, the ledger makes
    /// it everyone's.
    pub async fn keep_deadlines(&self, limits: Deadlines) -> Result<(), OfficeError> {
        if self.read(|s| s.limits()).await != limits {
            self.record(Body::Deadlines(limits.to_record()), "").await?;
        }
        Ok(())
    }

    /// Reads the current state.
    pub async fn read<R>(&self, f: impl FnOnce(&Consultation) -> R) -> R {
        f(&*self.state.lock().await)
    }

    /// Checks `body` against the procedure and, if it is allowed, appends it
    /// and the notices it publishes (with `notice_text` added to them).
    pub async fn record(&self, body: Body, notice_text: &str) -> Result<Recorded, OfficeError> {
        let mut state = self.state.lock().await;
        self.record_locked(&mut state, body, notice_text).await
    }

    /// Records several bodies one after the other under one lock (a
    /// tally and the evaluation it gives): each is checked as if the ones
    /// before it were in, and if any is refused none is written.
    pub async fn record_all(&self, bodies: Vec<Body>) -> Result<Vec<Recorded>, OfficeError> {
        let mut state = self.state.lock().await;
        let name_of = |log: &LogKey| self.name_of(log);
        let seat = self.seat(&name_of);
        let now = crate::now_ms();
        let mut after = state.clone();
        for body in &bodies {
            self.check(&after, &seat, body, now)?;
            let at = Position {
                sequence: 0,
                hash: yiyi_protocol::Hash::default(),
                time_ms: now,
            };
            after.apply(body, at);
        }
        drop(after);
        let mut recorded = Vec::with_capacity(bodies.len());
        for body in bodies {
            recorded.push(self.record_locked(&mut state, body, "").await?);
        }
        Ok(recorded)
    }

    /// Whether `body` may be recorded now; nothing is written.
    pub async fn check_next(&self, body: &Body) -> Result<(), OfficeError> {
        let state = self.state.lock().await;
        let name_of = |log: &LogKey| self.name_of(log);
        self.check(&state, &self.seat(&name_of), body, crate::now_ms())
    }

    async fn record_locked(
        &self,
        state: &mut Consultation,
        body: Body,
        notice_text: &str,
    ) -> Result<Recorded, OfficeError> {
        let name_of = |log: &LogKey| self.name_of(log);
        let seat = self.seat(&name_of);
        let now = crate::now_ms();
        self.check(state, &seat, &body, now)?;
        let entry = self.append(state, body.clone()).await?;
        let forwarded = match &body {
            Body::Escalation(e) => {
                self.desk.sent(&entry, e)?;
                None
            }
            Body::Decision(d) if d.verdict == DecisionVerdict::Forward as i32 => {
                let escalation = self.desk.forwarding(&seat, d, &entry)?;
                Some(self.append_escalation(state, &seat, escalation).await?)
            }
            _ => None,
        };

        let source = vec![entry.entry_ref(&seat.own)];
        let published = notices::published(state, &body, notice_text, source);
        let mut notices = Vec::with_capacity(published.len());
        for notice in published {
            let body = Body::Notice(notice);
            // Written from records the rules just accepted; a refusal here
            // is a bug, and the record itself is already in.
            state.check(&body, now)?;
            notices.push(self.append(state, body).await?);
        }
        let id = api::record_id(&body);
        let status = self
            .desk
            .matters()
            .with(|m| api::record_status(state, m, &body, &id));
        Ok(Recorded {
            id,
            status,
            entry,
            notices,
            forwarded,
        })
    }

    /// The notices `body` would publish if it were recorded now, as
    /// residents would read them; refused as [`Office::record`] would
    /// refuse it. Nothing is written.
    pub async fn preview(
        &self,
        body: Body,
        notice_text: &str,
    ) -> Result<Vec<proto::Notice>, OfficeError> {
        let state = self.state.lock().await;
        let name_of = |log: &LogKey| self.name_of(log);
        let now = crate::now_ms();
        self.check(&state, &self.seat(&name_of), &body, now)?;
        let mut after = state.clone();
        drop(state);
        // Where it would be: only its time is read by what a notice says.
        let at = Position {
            sequence: 0,
            hash: yiyi_protocol::Hash::default(),
            time_ms: now,
        };
        after.apply(&body, at);
        Ok(notices::published(&after, &body, notice_text, Vec::new()))
    }

    /// Whether `body` may come next: the rules, the office's level, the
    /// escalation desk.
    fn check(
        &self,
        state: &Consultation,
        seat: &Seat<'_>,
        body: &Body,
        now: i64,
    ) -> Result<(), OfficeError> {
        state.check(body, now)?;
        rules::check_level(self.level, body)?;
        self.desk.check(seat, body)?;
        if let Body::AssignmentReply(reply) = body {
            self.answers_an_assignment(&seat.own, reply)?;
        }
        if let Body::Briefing(briefing) = body {
            self.holds_the_files(briefing)?;
        }
        Ok(())
    }

    /// What the desk is told of this office.
    fn seat<'a>(&self, name_of: &'a (dyn Fn(&LogKey) -> String + Sync)) -> Seat<'a> {
        Seat {
            own: self.store.own_log(),
            parent: self.parent(),
            name_of,
        }
    }

    /// Appends `body` (checked), folds it into the state, and lets the views
    /// see it.
    async fn append(&self, state: &mut Consultation, body: Body) -> Result<Appended, OfficeError> {
        let at = self.store.append(body.clone()).await?;
        state.apply(&body, at);
        self.observe(&self.store.own_log(), at, &body);
        Ok(at)
    }

    /// Appends an escalation the desk composed (checked as any other), and
    /// puts it in the outbox.
    async fn append_escalation(
        &self,
        state: &mut Consultation,
        seat: &Seat<'_>,
        escalation: Body,
    ) -> Result<Appended, OfficeError> {
        self.desk.check(seat, &escalation)?;
        let appended = self.append(state, escalation.clone()).await?;
        if let Body::Escalation(e) = &escalation {
            self.desk.sent(&appended, e)?;
        }
        Ok(appended)
    }

    /// Every entry stored, the office's own and every replicated one: the
    /// federation follows its charters, the matters its steps. Returns
    /// whether the federation changed, and whether the matters may call for
    /// something here.
    fn observe(&self, log: &LogKey, at: Position, body: &Body) -> (bool, bool) {
        let federation = self.members.as_ref().is_some_and(|m| m.observe(log, body));
        let matters = matches!(
            body,
            Body::Escalation(_)
                | Body::Receipt(_)
                | Body::Decision(_)
                | Body::Dispatch(_)
                | Body::Resolution(_)
                | Body::DirectMatter(_)
                | Body::CoordinationMeeting(_)
                | Body::Redispatch(_)
                | Body::Department(_)
                | Body::Meeting(_)
                | Body::Topic(_)
        );
        // What decides an office's time limits: the level its charter
        // gives it, its own Deadlines records; and topics assigned down
        // (交办) and their answers.
        let limits = matches!(
            body,
            Body::Charter(_)
                | Body::CityCharter(_)
                | Body::Deadlines(_)
                | Body::Assignment(_)
                | Body::AssignmentReply(_)
        );
        if matters || limits {
            self.desk.matters().observe(log, at, body);
        }
        (federation, matters)
    }

    /// Takes in an entry of another office's ledger, replicated and
    /// verified (see [`Office::observe`]); the reconciler runs when it is a
    /// matter's step. Returns whether the federation changed.
    pub fn observe_replica(&self, log: &LogKey, at: Position, body: &Body) -> bool {
        let (federation, matters) = self.observe(log, at, body);
        if matters {
            self.wake();
        }
        federation
    }

    /// Signs the receipt for an escalation delivered by `from` (already
    /// verified: signature, addressee, inclusion) and returns the receipt
    /// entry's bytes. A repeated delivery gets the receipt already given.
    pub async fn receive(
        &self,
        from: &LogKey,
        delivered: &VerifiedEntry,
    ) -> Result<Vec<u8>, OfficeError> {
        let mut state = self.state.lock().await;
        let name_of = |log: &LogKey| self.name_of(log);
        let seat = self.seat(&name_of);
        let sequence = match self.desk.receipt(&seat, from, delivered)? {
            Receipt::Given(sequence) => sequence,
            Receipt::Write(receipt) => {
                self.append(&mut state, Body::Receipt(receipt))
                    .await?
                    .sequence
            }
        };
        self.store.entry(&seat.own, sequence)?.ok_or_else(|| {
            StoreError::Corrupt(format!("the receipt at {sequence} is missing")).into()
        })
    }

    /// Asks the reconciling task (see [`Office::keep_reconciled`]) to run.
    pub fn wake(&self) {
        self.wanted.notify_one();
    }

    /// Reconciles now, whenever woken and every 30 s, until `stop` is
    /// cancelled. Failures are logged and retried at the next round.
    pub async fn keep_reconciled(
        self: std::sync::Arc<Self>,
        stop: tokio_util::sync::CancellationToken,
    ) {
        while !stop.is_cancelled() {
            match self.reconcile().await {
                Ok(written) => {
                    for entry in written {
                        tracing::info!(
                            sequence = entry.sequence,
                            "recorded what another office's step called for"
                        );
                    }
                }
                Err(e) => tracing::error!(error = %e, "reconciling the escalated matters"),
            }
            // A wake during the run is kept by the Notify's permit.
            tokio::select! {
                _ = self.wanted.notified() => {}
                _ = tokio::time::sleep(std::time::Duration::from_secs(30)) => {}
                _ = stop.cancelled() => {}
            }
        }
    }

    /// Writes what the desk says follows from the ledgers and is not
    /// written yet (see [`Desk::due`]). Returns what it wrote.
    pub async fn reconcile(&self) -> Result<Vec<Appended>, OfficeError> {
        let mut state = self.state.lock().await;
        let name_of = |log: &LogKey| self.name_of(log);
        let seat = self.seat(&name_of);
        let mut written = Vec::new();
        for body in self.desk.due(&seat, &state)? {
            match body {
                escalation @ Body::Escalation(_) => {
                    written.push(
                        self.append_escalation(&mut state, &seat, escalation)
                            .await?,
                    );
                }
                notice => match state.check(&notice, crate::now_ms()) {
                    Ok(()) => written.push(self.append(&mut state, notice).await?),
                    Err(e) => tracing::warn!(error = %e, "a notice from another office's step"),
                },
            }
        }
        Ok(written)
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

#[cfg(test)]
mod tests {
    use super::*;
    use yiyi_protocol::proto;
    use yiyi_protocol::{ChainHead, SecretKey, entry};

    fn open(dir: &std::path::Path, key: &SecretKey) -> Office {
        let store = Store::open(&dir.join("ledger"), key.clone()).unwrap();
        let private = PrivateStore::open(&dir.join("private")).unwrap();
        Office::open(store, private, Level::Street).unwrap()
    }

    #[tokio::test]
    async fn a_repeated_delivery_gets_the_same_receipt_even_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let street = SecretKey::generate("yiyi/lixia/quancheng").unwrap();
        let community = SecretKey::generate("yiyi/lixia/quancheng/shunyu").unwrap();
        let from = community.log_key();
        // The community's escalation, as delivered (its log is not
        // replicated here: only the delivered entry is known).
        let signed = entry::sign(
            &ChainHead::default().next_entry(
                community.public_bytes(),
                1,
                Body::Escalation(proto::Escalation {
                    id: "shunyu/T-1".into(),
                    topic_id: "T-1".into(),
                    result: "增设公交站点".into(),
                    to: street.public_bytes().to_vec(),
                    ..Default::default()
                }),
            ),
            &community,
        )
        .unwrap();
        let delivered = entry::verify(&signed.bytes).unwrap();

        let office = open(dir.path(), &street);
        let first = office.receive(&from, &delivered).await.unwrap();
        let again = office.receive(&from, &delivered).await.unwrap();
        assert_eq!(first, again);
        drop(office);

        // After a restart the receipt in the own ledger waits for its
        // escalation, which the next delivery brings.
        let office = open(dir.path(), &street);
        let after_restart = office.receive(&from, &delivered).await.unwrap();
        assert_eq!(first, after_restart);
        let own = office.store().own_log();
        assert_eq!(office.store().state(&own).unwrap().head.size, 1);
        let receipt = entry::verify(&first).unwrap();
        assert!(matches!(receipt.entry.body, Some(Body::Receipt(_))));
    }

    #[tokio::test]
    async fn a_preview_is_refused_as_the_write_would_be_and_shows_what_it_publishes() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::generate("yiyi/lixia/quancheng").unwrap();
        let office = open(dir.path(), &key);
        office
            .record(
                Body::Topic(proto::Topic {
                    id: "T-park".into(),
                    title: "小区停车位划线".into(),
                    category: proto::Category::DailyLife as i32,
                    scale: proto::Scale::Minor as i32,
                    source: proto::topic::Source::Resident as i32,
                    ..Default::default()
                }),
                "",
            )
            .await
            .unwrap();
        let own = office.store().own_log();
        let size = || office.store().state(&own).unwrap().head.size;
        let decline = |citation: &str| {
            Body::GateDecision(proto::GateDecision {
                topic_id: "T-park".into(),
                verdict: proto::gate_decision::Verdict::DeclineRegulated as i32,
                citation: citation.into(),
                explanation: "按规定由物业划线".into(),
                ..Default::default()
            })
        };
        let before = size();
        // Refused as the write would be, with nothing written.
        let refused = office.preview(decline(""), "").await.unwrap_err();
        assert!(matches!(
            refused,
            OfficeError::Rule(RuleError::Missing { .. })
        ));
        let previewed = office
            .preview(decline("《物业管理条例》"), "附：咨询电话")
            .await
            .unwrap();
        assert_eq!(size(), before);
        // What the write then publishes is what was previewed.
        let recorded = office
            .record(decline("《物业管理条例》"), "附：咨询电话")
            .await
            .unwrap();
        let published = office
            .read(|s| {
                recorded
                    .notices
                    .iter()
                    .map(|at| s.notices[&at.hash].1.clone())
                    .collect::<Vec<_>>()
            })
            .await;
        assert_eq!(previewed.len(), 1);
        assert_eq!(
            (&previewed[0].title, &previewed[0].body),
            (&published[0].title, &published[0].body)
        );
        assert!(previewed[0].body.contains("附：咨询电话"));
    }
}

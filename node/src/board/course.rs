//! What the board knows about each ledger it lists: every ledger held,
//! replayed through the consultation rules, so that a notice can be shown
//! with its topic's category, outcome class and status and with the topic's
//! course (议题进程) — proposed, gate-kept, met on, classified, carried out,
//! escalated, resolved — each step an entry of the ledger, by its hash.
//!
//! Replaying is incremental: each log is kept replayed up to the size seen
//! last, and only new entries are read on the next request.

use std::collections::HashMap;
use std::sync::Mutex;

use yiyi_protocol::proto::{entry::Body, gate_decision::Verdict, meeting_step::Step};
use yiyi_protocol::rules::{Consultation, Position, names};

use crate::store::{LogKey, Store, StoreError};

/// One step of a topic's course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// What happened: `proposed`, `assigned`, `member`, `accepted`,
    /// `declined`, `referred`,
    /// `meeting`, `result`, `outcome`, `progress`, `completed`,
    /// `supervision`, `follow-up`, `evaluation`, `escalated`, `notice`.
    pub what: &'static str,
    /// The public text that goes with it (a title, a result, a deadline).
    pub detail: String,
    /// When it was recorded (ms since the epoch).
    pub time_ms: i64,
    /// The entry that records it, in hex.
    pub hash: String,
    /// For a notice, its kind.
    pub kind: i32,
}

/// A ledger replayed so far.
#[derive(Default)]
pub struct Replayed {
    /// Entries replayed.
    pub size: u64,
    /// The consultation as its entries add up.
    pub state: Consultation,
    /// Each topic's course, by topic id, in ledger order.
    pub courses: HashMap<String, Vec<Event>>,
    /// Where each meeting was scheduled, by meeting id (its calendar UID).
    pub scheduled: HashMap<String, Position>,
}

impl Replayed {
    /// Folds one entry in. Stored entries were checked on the way in (own
    /// ones against the rules, replicated ones by their author), so the
    /// rules are applied, not checked again.
    fn fold(&mut self, body: &Body, at: Position) {
        let hash = at.hash.to_hex();
        let event = |what, detail: String| Event {
            what,
            detail,
            time_ms: at.time_ms,
            hash: hash.clone(),
            kind: 0,
        };
        let mut add = |topic: &str, e: Event| {
            self.courses.entry(topic.to_owned()).or_default().push(e);
        };
        match body {
            Body::Topic(t) => add(&t.id, event("proposed", t.title.clone())),
            Body::GateDecision(g) => {
                // A referred dispute's details stay in the office's private
                // store; the board says only that it went to mediation.
                let (what, detail) = match Verdict::try_from(g.verdict) {
                    Ok(Verdict::Accept | Verdict::DisputeApproved) => ("accepted", String::new()),
                    Ok(Verdict::DeclineRegulated) => ("declined", g.citation.clone()),
                    Ok(Verdict::IndividualDispute) => ("referred", String::new()),
                    _ => return,
                };
                add(&g.topic_id, event(what, detail));
            }
            // How the mediation ended; the mediator's summary stays home.
            Body::Mediation(m) => {
                let what = if m.settled { "settled" } else { "unsettled" };
                add(&m.topic_id, event(what, m.mediator.clone()));
            }
            // A topic put on this office's agenda from above (交办), or
            // proposed to a street's joint meeting by a standing member.
            Body::AssignmentReply(r) if r.accepted => {
                add(&r.topic_id, event("assigned", r.title.clone()))
            }
            Body::MemberProposal(p) => {
                let name = self.state.members.get(&p.member_id).map(|m| m.name.clone());
                add(&p.topic_id, event("member", name.unwrap_or_default()))
            }
            // Supervision in its phase, and the persons designated.
            Body::Oversight(o) => add(
                &o.topic_id,
                event("oversight", yiyi_protocol::rules::record::describe(o, true)),
            ),
            Body::Designation(d) => add(
                &d.subject,
                event(
                    "designation",
                    yiyi_protocol::rules::record::designated(d, true),
                ),
            ),
            Body::Meeting(m) => {
                self.scheduled.insert(m.id.clone(), at);
                let detail = [m.date.as_str(), m.place.as_str()]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" · ");
                for id in &m.topic_ids {
                    add(id, event("meeting", detail.clone()));
                }
            }
            Body::MeetingStep(s) if s.step == Step::FormResult as i32 => {
                if let Some(meeting) = self.state.meetings.get(&s.meeting_id) {
                    for id in meeting.meeting.topic_ids.clone() {
                        add(&id, event("result", s.result.clone()));
                    }
                }
            }
            Body::Outcome(o) => {
                let mut detail = names::outcome_class_name(o.class).to_owned();
                for part in [&o.responsible_party, &o.deadline] {
                    if !part.is_empty() {
                        detail.push_str(" · ");
                        detail.push_str(part);
                    }
                }
                add(&o.topic_id, event("outcome", detail));
            }
            Body::Progress(p) => {
                let what = if p.completed { "completed" } else { "progress" };
                add(&p.topic_id, event(what, p.text.clone()));
            }
            Body::Supervision(s) => add(&s.topic_id, event("supervision", s.note.clone())),
            Body::FollowUp(f) => add(&f.topic_id, event("follow-up", f.summary.clone())),
            Body::Evaluation(e) => add(
                &e.topic_id,
                event(
                    "evaluation",
                    format!(
                        "{}/{}/{}",
                        e.satisfied, e.basically_satisfied, e.dissatisfied
                    ),
                ),
            ),
            Body::Escalation(e) if e.forwards.is_none() && !e.topic_id.is_empty() => {
                add(&e.topic_id, event("escalated", e.result.clone()))
            }
            Body::Notice(n) if !n.topic_id.is_empty() => add(
                &n.topic_id,
                Event {
                    kind: n.kind,
                    ..event("notice", n.title.clone())
                },
            ),
            _ => {}
        }
        self.state.apply(body, at);
    }
}

/// The replayed ledgers, shared by the board's requests.
#[derive(Default)]
pub struct Courses(Mutex<HashMap<LogKey, Replayed>>);

impl Courses {
    /// Brings every ledger held up to date and runs `f` over them.
    pub fn with<R>(
        &self,
        store: &Store,
        f: impl FnOnce(&HashMap<LogKey, Replayed>) -> R,
    ) -> Result<R, StoreError> {
        let mut logs = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for log in store.logs()? {
            let replayed = logs.entry(log).or_default();
            for stored in store.entries(&log, replayed.size) {
                let stored = stored?;
                if let Some(body) = stored.body() {
                    replayed.fold(body, stored.at);
                }
                replayed.size = stored.at.sequence + 1;
            }
        }
        Ok(f(&logs))
    }
}

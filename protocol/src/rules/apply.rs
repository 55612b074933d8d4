//! [`Consultation::apply`]: folding an accepted record into the state. Apart
//! from `check` because it assumes the record was already checked.

use crate::proto::{self, entry::Body, gate_decision::Verdict, meeting_step::Step};

use super::office_key;
use super::state::{
    CharteredOffice, Consultation, MatterStep, MeetingState, OutcomeClass, ParticipantState,
    Position, TopicState, TopicStatus,
};

impl Consultation {
    /// Folds an accepted record in. Call only after [`Consultation::check`]
    /// accepted it; records that were refused must not be applied.
    pub fn apply(&mut self, body: &Body, at: Position) {
        match body {
            Body::Participant(p) => {
                self.participants
                    .insert(p.id.clone(), ParticipantState { record: p.clone() });
            }
            Body::Topic(t) => {
                if let Some(old) = self.topics.get_mut(&t.reopens) {
                    old.status = TopicStatus::Reopened;
                }
                self.topics.insert(
                    t.id.clone(),
                    TopicState {
                        topic: t.clone(),
                        status: TopicStatus::Proposed,
                        proposed_ms: at.time_ms,
                        gate: Vec::new(),
                        accepted_ms: None,
                        meeting: None,
                        outcome: None,
                        classified_ms: None,
                        progress: Vec::new(),
                        done_ms: None,
                        supervision: Vec::new(),
                        follow_ups: Vec::new(),
                        evaluation: None,
                        escalation: None,
                        residents: 0,
                        referred_ms: None,
                        mediation: None,
                        declined_ms: None,
                        escalated_ms: None,
                        evaluated_ms: None,
                    },
                );
            }
            Body::GateDecision(g) => {
                if let Some(topic) = self.topics.get_mut(&g.topic_id) {
                    topic.status = match Verdict::try_from(g.verdict) {
                        Ok(Verdict::Accept | Verdict::DisputeApproved) => {
                            topic.accepted_ms = Some(at.time_ms);
                            TopicStatus::Accepted
                        }
                        Ok(Verdict::DeclineRegulated) => {
                            topic.declined_ms = Some(at.time_ms);
                            TopicStatus::Declined
                        }
                        Ok(Verdict::IndividualDispute) => {
                            topic.referred_ms = Some(at.time_ms);
                            TopicStatus::Referred
                        }
                        _ => topic.status,
                    };
                    topic.gate.push(g.clone());
                }
            }
            Body::Meeting(m) => {
                for id in &m.topic_ids {
                    if let Some(topic) = self.topics.get_mut(id) {
                        topic.status = TopicStatus::Scheduled;
                        topic.meeting = Some(m.id.clone());
                    }
                }
                self.meetings.insert(
                    m.id.clone(),
                    MeetingState {
                        meeting: m.clone(),
                        steps: Vec::new(),
                        recorded_ms: at.time_ms,
                        briefing: Vec::new(),
                    },
                );
            }
            Body::MeetingStep(s) => {
                if let Some(meeting) = self.meetings.get_mut(&s.meeting_id) {
                    meeting.steps.push(s.clone());
                    if s.step == Step::PublishResult as i32 {
                        // A topic the round left without an outcome waits for
                        // another round (several rounds before shelving).
                        for id in &meeting.meeting.topic_ids {
                            if let Some(topic) = self.topics.get_mut(id)
                                && topic.outcome.is_none()
                            {
                                topic.status = TopicStatus::Accepted;
                                topic.meeting = None;
                            }
                        }
                    }
                }
            }
            Body::Outcome(o) => {
                if let Some(topic) = self.topics.get_mut(&o.topic_id)
                    && let Some(class) = OutcomeClass::from_proto(o.class)
                {
                    topic.status = TopicStatus::Classified(class);
                    topic.outcome = Some(o.clone());
                    topic.classified_ms = Some(at.time_ms);
                }
            }
            Body::Progress(p) => {
                if let Some(topic) = self.topics.get_mut(&p.topic_id) {
                    topic.progress.push((at.time_ms, p.clone()));
                    if p.completed {
                        topic.status = TopicStatus::Done;
                        topic.done_ms = Some(at.time_ms);
                    }
                }
            }
            Body::Supervision(s) => {
                if let Some(topic) = self.topics.get_mut(&s.topic_id) {
                    topic.supervision.push(s.clone());
                }
            }
            Body::FollowUp(f) => {
                if let Some(topic) = self.topics.get_mut(&f.topic_id) {
                    topic.follow_ups.push(f.clone());
                }
            }
            Body::Evaluation(e) => {
                if let Some(topic) = self.topics.get_mut(&e.topic_id) {
                    topic.evaluation = Some(e.clone());
                    topic.evaluated_ms = Some(at.time_ms);
                    topic.status = TopicStatus::Evaluated;
                }
            }
            Body::Notice(n) => {
                self.notices.insert(at.hash, (at, n.clone()));
                // A correction changes what was said, not what happened.
                let topic = match n.supersedes {
                    None => self.topics.get_mut(&n.topic_id),
                    Some(_) => None,
                };
                if let Some(topic) = topic {
                    match proto::notice::Kind::try_from(n.kind) {
                        // The suggestion was carried out above: on to
                        // follow-up and evaluation.
                        Ok(proto::notice::Kind::Resolution) => {
                            topic.status = TopicStatus::Done;
                            topic.done_ms = Some(at.time_ms);
                        }
                        // Sent back: the community consults on it again.
                        Ok(proto::notice::Kind::Returned) => {
                            topic.status = TopicStatus::Accepted;
                            topic.outcome = None;
                            topic.meeting = None;
                            topic.classified_ms = None;
                            topic.escalation = None;
                        }
                        _ => {}
                    }
                }
            }
            Body::Receipt(_) => self.matter_steps.push((at.time_ms, MatterStep::Received)),
            Body::DirectMatter(_) => self.matter_steps.push((at.time_ms, MatterStep::TakenIn)),
            Body::Dispatch(_) | Body::Redispatch(_) => {
                self.matter_steps.push((at.time_ms, MatterStep::Dispatched))
            }
            Body::Resolution(_) => self.matter_steps.push((at.time_ms, MatterStep::Result)),
            Body::Escalation(e) if e.forwards.is_none() => {
                if let Some(topic) = self.topics.get_mut(&e.topic_id) {
                    topic.escalation = Some(at.hash);
                    topic.escalated_ms.get_or_insert(at.time_ms);
                }
            }
            Body::CatalogueItem(c) => {
                self.catalogue
                    .insert((c.category, c.name.clone()), c.clone());
            }
            Body::Charter(c) => self.apply_charter(c),
            Body::CityCharter(proto::CityCharter { charter: Some(c) }) => self.apply_charter(c),
            Body::OfficeProfile(p) => self.profile = Some((at, p.clone())),
            Body::Deadlines(d) => self.deadlines = Some((at, *d)),
            Body::Assignment(a) => {
                self.assignments.insert(a.id.clone(), (at, a.clone()));
            }
            Body::AssignmentReply(r) => self.apply_reply(r, at),
            Body::StandingMember(m) => {
                self.members.insert(m.id.clone(), m.clone());
            }
            Body::MemberProposal(p) => {
                self.member_topics
                    .insert(p.topic_id.clone(), p.member_id.clone());
            }
            Body::StudySchedule(s) => self.study = Some((at, s.clone())),
            Body::Oversight(o) => self
                .oversight
                .entry(o.topic_id.clone())
                .or_default()
                .push((at, o.clone())),
            Body::Briefing(b) => {
                if let Some(meeting) = self.meetings.get_mut(&b.meeting_id) {
                    meeting.briefing.extend(b.files.iter().cloned());
                }
            }
            Body::Designation(d) => {
                self.designations
                    .insert((d.subject.clone(), d.duty), d.clone());
            }
            Body::Mediation(m) => {
                if let Some(topic) = self.topics.get_mut(&m.topic_id) {
                    topic.status = if m.settled {
                        TopicStatus::Settled
                    } else {
                        TopicStatus::Unsettled
                    };
                    topic.mediation = Some((at.time_ms, m.clone()));
                }
            }
            Body::PrivateCommitment(c)
                if c.kind == proto::private_commitment::Kind::TopicRaiser as i32 =>
            {
                if let Some(topic) = self.topics.get_mut(&c.subject) {
                    topic.residents = c.count;
                }
            }
            Body::Round(r) => self.apply_round(r, at),
            Body::Tally(t) => self.apply_tally(t, at),
            _ => {}
        }
    }

    fn apply_charter(&mut self, c: &proto::Charter) {
        let Ok(key) = office_key(&c.verifier_key) else {
            return;
        };
        let log = key.log_key();
        match proto::charter::Action::try_from(c.action) {
            Ok(proto::charter::Action::Admit) => {
                self.charters.insert(
                    log,
                    CharteredOffice {
                        verifier_key: c.verifier_key.clone(),
                        name: c.name.clone(),
                        level: c.level,
                        origin: if c.origin.is_empty() {
                            key.name().to_owned()
                        } else {
                            c.origin.clone()
                        },
                        revoked: false,
                        addresses: c.addresses.clone(),
                    },
                );
            }
            Ok(proto::charter::Action::Revoke) => {
                if let Some(office) = self.charters.get_mut(&log) {
                    office.revoked = true;
                }
            }
            Ok(proto::charter::Action::Rotate) => {
                let Ok(new) = office_key(&c.new_verifier_key) else {
                    return;
                };
                if let Some(office) = self.charters.get_mut(&log) {
                    office.revoked = true;
                    let mut rotated = office.clone();
                    rotated.revoked = false;
                    rotated.verifier_key = c.new_verifier_key.clone();
                    self.charters.insert(new.log_key(), rotated);
                }
            }
            _ => {}
        }
    }
}

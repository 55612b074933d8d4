//! [`Consultation::check`]: whether a record may come next, and precisely
//! why not. Apart from `apply` so that the rules read on their own.

use crate::merkle::Hash;
use crate::proto::{
    self, entry::Body, gate_decision::Verdict, meeting::Form, meeting_step::Step, topic::Source,
};

use super::calendar::Date;
use super::error::RuleError;
use super::state::{Consultation, MeetingState, OutcomeClass, TopicState, TopicStatus, step_name};
use super::{URGENT_WITHIN_DAYS, names, office_key};

pub(super) fn require(
    record: &'static str,
    field: &'static str,
    present: bool,
) -> Result<(), RuleError> {
    if present {
        Ok(())
    } else {
        Err(RuleError::Missing { record, field })
    }
}

fn commitment(field: &'static str, bytes: &[u8], required: bool) -> Result<(), RuleError> {
    match bytes.len() {
        32 => Ok(()),
        0 if !required => Ok(()),
        _ => Err(RuleError::BadCommitment(field)),
    }
}

impl Consultation {
    pub(super) fn topic(&self, id: &str) -> Result<&TopicState, RuleError> {
        self.topics.get(id).ok_or_else(|| RuleError::Unknown {
            kind: "topic",
            id: id.into(),
        })
    }

    fn meeting(&self, id: &str) -> Result<&MeetingState, RuleError> {
        self.meetings.get(id).ok_or_else(|| RuleError::Unknown {
            kind: "meeting",
            id: id.into(),
        })
    }

    /// A topic must stand at one of `allowed` for `action`.
    fn topic_in(
        &self,
        id: &str,
        action: &'static str,
        needs: &'static str,
        allowed: impl Fn(TopicStatus) -> bool,
    ) -> Result<&TopicState, RuleError> {
        let topic = self.topic(id)?;
        if allowed(topic.status) {
            Ok(topic)
        } else {
            Err(RuleError::TopicStatus {
                topic: id.into(),
                status: topic.status,
                action,
                needs,
            })
        }
    }

    /// Whether `body` may be the next record, at `time_ms`. An escalation
    /// must carry up a suggestion not yet sent; what follows it (receipts,
    /// decisions, dispatches, resolutions) has its rules in
    /// [`crate::escalation`].
    pub fn check(&self, body: &Body, time_ms: i64) -> Result<(), RuleError> {
        match body {
            Body::Participant(p) => self.check_participant(p),
            Body::Topic(t) => self.check_topic(t),
            Body::GateDecision(g) => self.check_gate(g),
            Body::Meeting(m) => self.check_meeting(m),
            Body::MeetingStep(s) => self.check_step(s, time_ms),
            Body::Outcome(o) => self.check_outcome(o),
            Body::Progress(p) => {
                require("a progress report", "text", !p.text.trim().is_empty())?;
                self.topic_in(&p.topic_id, "progress", "immediate or promised", |s| {
                    matches!(
                        s,
                        TopicStatus::Classified(OutcomeClass::Immediate | OutcomeClass::Promised)
                    )
                })
                .map(drop)
            }
            Body::Supervision(s) => {
                require(
                    "supervision",
                    "supervisors or oversight bodies",
                    !(s.supervisors.is_empty() && s.oversight_bodies.is_empty()),
                )?;
                self.topic_in(
                    &s.topic_id,
                    "supervision",
                    "being carried out or done",
                    |s| {
                        matches!(
                            s,
                            TopicStatus::Classified(
                                OutcomeClass::Immediate | OutcomeClass::Promised
                            ) | TopicStatus::Done
                        )
                    },
                )
                .map(drop)
            }
            Body::FollowUp(f) => {
                require("a follow-up", "summary", !f.summary.trim().is_empty())?;
                self.topic_in(&f.topic_id, "a follow-up visit", "done", |s| {
                    s == TopicStatus::Done
                })
                .map(drop)
            }
            Body::Evaluation(e) => {
                self.check_no_evaluation_round(&e.topic_id)?;
                let topic = self.topic_in(&e.topic_id, "an evaluation", "done", |s| {
                    s == TopicStatus::Done
                })?;
                if topic.follow_ups.is_empty() {
                    return Err(RuleError::NoFollowUp(e.topic_id.clone()));
                }
                if e.satisfied + e.basically_satisfied + e.dissatisfied == 0 {
                    return Err(RuleError::EmptyEvaluation(e.topic_id.clone()));
                }
                Ok(())
            }
            Body::Notice(n) => self.check_notice(n),
            Body::CatalogueItem(c) => {
                require("a catalogue item", "a name", !c.name.trim().is_empty())?;
                if !matches!(proto::Category::try_from(c.category), Ok(k) if k != proto::Category::Unspecified)
                {
                    return Err(RuleError::Unspecified("the catalogue item's category"));
                }
                Ok(())
            }
            Body::PrivateCommitment(c) => commitment("the commitment", &c.commitment, true),
            Body::OfficeProfile(p) => {
                require(
                    "an office profile",
                    "the office's name",
                    !p.name.trim().is_empty(),
                )?;
                // A city's level is its own field, and `level` is unset.
                let level = proto::Level::try_from(p.level);
                if !(p.city && p.level == 0
                    || matches!(level, Ok(l) if l != proto::Level::Unspecified && l != proto::Level::City))
                {
                    return Err(RuleError::Unspecified("the profile's level"));
                }
                Ok(())
            }
            Body::Deadlines(d) => super::deadlines::check(d),
            Body::Assignment(a) => self.check_assignment(a),
            Body::AssignmentReply(r) => self.check_reply(r),
            Body::StandingMember(m) => self.check_member(m),
            Body::MemberProposal(p) => self.check_member_proposal(p),
            Body::StudySchedule(s) => Consultation::check_study(s),
            Body::Oversight(o) => self.check_oversight(o),
            Body::Designation(d) => self.check_designation(d),
            Body::Briefing(b) => self.check_briefing(b),
            Body::Mediation(m) => {
                require("a mediation", "a mediator", !m.mediator.trim().is_empty())?;
                commitment("the mediator's summary", &m.summary_commitment, false)?;
                self.topic_in(&m.topic_id, "a mediation", "referred", |s| {
                    s == TopicStatus::Referred
                })
                .map(drop)
            }
            Body::Charter(c) => self.check_charter(c, false),
            Body::CityCharter(proto::CityCharter { charter: Some(c) }) => {
                self.check_charter(c, true)
            }
            Body::CityCharter(_) => Err(RuleError::Unspecified("the city charter's charter")),
            Body::Round(r) => self.check_round(r, time_ms),
            Body::Tally(t) => self.check_tally(t, time_ms),
            Body::Escalation(e) if e.forwards.is_none() => {
                let topic = self.topic_in(
                    &e.topic_id,
                    "an escalation",
                    "classified as a suggestion",
                    |s| s == TopicStatus::Classified(OutcomeClass::Suggestion),
                )?;
                if topic.escalation.is_some() {
                    return Err(RuleError::Duplicate {
                        kind: "escalation of topic",
                        id: e.topic_id.clone(),
                    });
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A charter, or with `city` the charter in a city charter (which
    /// admits districts, as a charter admits streets and communities).
    fn check_charter(&self, c: &proto::Charter, city: bool) -> Result<(), RuleError> {
        let key = office_key(&c.verifier_key)?;
        let chartered = self.charters.get(key.public_bytes());
        let action = proto::charter::Action::try_from(c.action)
            .unwrap_or(proto::charter::Action::Unspecified);
        match action {
            proto::charter::Action::Unspecified => {
                Err(RuleError::Unspecified("the charter's action"))
            }
            proto::charter::Action::Admit => {
                require("a charter", "the office's name", !c.name.trim().is_empty())?;
                match (proto::Level::try_from(c.level), city) {
                    (Ok(proto::Level::Street | proto::Level::Community), false)
                    | (Ok(proto::Level::District), true) => {}
                    _ => return Err(RuleError::CharterLevel(names::level_name(c.level))),
                }
                if chartered.is_some() {
                    return Err(RuleError::Duplicate {
                        kind: "charter",
                        id: c.verifier_key.clone(),
                    });
                }
                Ok(())
            }
            proto::charter::Action::Revoke => match chartered {
                Some(office) if !office.revoked => Ok(()),
                _ => Err(RuleError::Unknown {
                    kind: "admitted office",
                    id: c.verifier_key.clone(),
                }),
            },
            proto::charter::Action::Rotate => {
                if !matches!(chartered, Some(office) if !office.revoked) {
                    return Err(RuleError::Unknown {
                        kind: "admitted office",
                        id: c.verifier_key.clone(),
                    });
                }
                let new = office_key(&c.new_verifier_key)?;
                if self.charters.contains_key(new.public_bytes()) {
                    return Err(RuleError::Duplicate {
                        kind: "charter",
                        id: c.new_verifier_key.clone(),
                    });
                }
                Ok(())
            }
        }
    }

    fn check_participant(&self, p: &proto::Participant) -> Result<(), RuleError> {
        require("a participant", "an id", !p.id.trim().is_empty())?;
        require("a participant", "a name", !p.name.trim().is_empty())?;
        match proto::participant::Kind::try_from(p.kind) {
            Ok(proto::participant::Kind::Unspecified) | Err(_) => {
                Err(RuleError::Unspecified("the participant's kind"))
            }
            // Re-recording a participant updates (or withdraws) it.
            Ok(_) => Ok(()),
        }
    }

    fn check_topic(&self, t: &proto::Topic) -> Result<(), RuleError> {
        require("a topic", "an id", !t.id.trim().is_empty())?;
        require("a topic", "a title", !t.title.trim().is_empty())?;
        if self.topics.contains_key(&t.id) {
            return Err(RuleError::Duplicate {
                kind: "topic",
                id: t.id.clone(),
            });
        }
        if !matches!(proto::Category::try_from(t.category), Ok(c) if c != proto::Category::Unspecified)
        {
            return Err(RuleError::Unspecified("the topic's category"));
        }
        if !matches!(proto::Scale::try_from(t.scale), Ok(s) if s != proto::Scale::Unspecified) {
            return Err(RuleError::Unspecified("the topic's scale"));
        }
        if !matches!(Source::try_from(t.source), Ok(s) if s != Source::Unspecified) {
            return Err(RuleError::Unspecified("the topic's source"));
        }
        commitment("who raised the topic", &t.raised_by_commitment, false)?;
        if !t.sub_item.is_empty() {
            let listed = self
                .catalogue
                .get(&(t.category, t.sub_item.clone()))
                .is_some_and(|item| !item.withdrawn);
            if !listed {
                return Err(RuleError::NotInCatalogue {
                    category: names::category_name(t.category),
                    item: t.sub_item.clone(),
                });
            }
        }
        if !t.reopens.is_empty() {
            let old = self.topic(&t.reopens)?;
            if old.status != TopicStatus::Classified(OutcomeClass::Shelved) {
                return Err(RuleError::NotShelved {
                    topic: t.id.clone(),
                    reopens: t.reopens.clone(),
                    status: old.status,
                });
            }
        }
        Ok(())
    }

    fn check_gate(&self, g: &proto::GateDecision) -> Result<(), RuleError> {
        let verdict =
            Verdict::try_from(g.verdict).map_err(|_| RuleError::Unspecified("the verdict"))?;
        match verdict {
            Verdict::Unspecified => Err(RuleError::Unspecified("the verdict")),
            Verdict::Accept => self
                .topic_in(&g.topic_id, "accepting", "proposed", |s| {
                    s == TopicStatus::Proposed
                })
                .map(drop),
            Verdict::DeclineRegulated => {
                require(
                    "declining a topic",
                    "the law, regulation or decision that settles it (citation)",
                    !g.citation.trim().is_empty(),
                )?;
                require(
                    "declining a topic",
                    "an explanation for the residents",
                    !g.explanation.trim().is_empty(),
                )?;
                self.topic_in(&g.topic_id, "declining", "proposed", |s| {
                    s == TopicStatus::Proposed
                })
                .map(drop)
            }
            Verdict::IndividualDispute => {
                require(
                    "referring a dispute",
                    "a mediator",
                    !g.mediator.trim().is_empty(),
                )?;
                commitment("the dispute's details", &g.details_commitment, false)?;
                self.topic_in(&g.topic_id, "referring", "proposed", |s| {
                    s == TopicStatus::Proposed
                })
                .map(drop)
            }
            Verdict::DisputeApproved => {
                require(
                    "approving a dispute for consultation",
                    "the party organisation meeting that approved it",
                    !g.approval_reference.trim().is_empty(),
                )?;
                // Referred, or mediated without a settlement.
                self.topic_in(&g.topic_id, "approving", "referred", |s| {
                    matches!(s, TopicStatus::Referred | TopicStatus::Unsettled)
                })
                .map(drop)
            }
        }
    }

    fn check_meeting(&self, m: &proto::Meeting) -> Result<(), RuleError> {
        require("a meeting", "an id", !m.id.trim().is_empty())?;
        require("a meeting", "at least one topic", !m.topic_ids.is_empty())?;
        if self.meetings.contains_key(&m.id) {
            return Err(RuleError::Duplicate {
                kind: "meeting",
                id: m.id.clone(),
            });
        }
        let form =
            Form::try_from(m.form).map_err(|_| RuleError::Unspecified("the meeting's form"))?;
        if form == Form::Unspecified {
            return Err(RuleError::Unspecified("the meeting's form"));
        }
        if !matches!(proto::meeting::MeetingLevel::try_from(m.level), Ok(l) if l != proto::meeting::MeetingLevel::Unspecified)
        {
            return Err(RuleError::Unspecified("the meeting's level"));
        }
        if m.level == proto::meeting::MeetingLevel::CrossCommunity as i32 {
            require(
                "a cross-community meeting",
                "the procedure the street set",
                !m.procedure.trim().is_empty(),
            )?;
        }
        if !m.communities.is_empty() {
            require(
                "a meeting with other communities",
                "the cross-community level",
                m.level == proto::meeting::MeetingLevel::CrossCommunity as i32,
            )?;
            require(
                "a cross-community meeting",
                "32-byte community log keys",
                m.communities.iter().all(|c| c.len() == 32),
            )?;
        }
        let date = Date::parse(&m.date)?;
        let mut kinds = std::collections::BTreeSet::new();
        for id in &m.participant_ids {
            let participant = self
                .participants
                .get(id)
                .ok_or_else(|| RuleError::Unknown {
                    kind: "participant",
                    id: id.clone(),
                })?;
            if participant.record.withdrawn {
                return Err(RuleError::ParticipantWithdrawn(id.clone()));
            }
            kinds.insert(participant.record.kind);
        }
        for id in &m.topic_ids {
            let topic = self.topic(id)?;
            if topic.status == TopicStatus::Referred {
                return Err(RuleError::DisputeNotApproved(id.clone()));
            }
            if topic.status != TopicStatus::Accepted {
                return Err(RuleError::TopicStatus {
                    topic: id.clone(),
                    status: topic.status,
                    action: "scheduling a meeting",
                    needs: "accepted",
                });
            }
            match proto::Scale::try_from(topic.topic.scale) {
                Ok(proto::Scale::Major) if kinds.len() < 2 => {
                    return Err(RuleError::MajorNeedsTwoKinds {
                        topic: id.clone(),
                        kinds: kinds.len(),
                    });
                }
                Ok(proto::Scale::Urgent) => {
                    let accepted =
                        Date::in_shanghai(topic.accepted_ms.unwrap_or(topic.proposed_ms));
                    let latest = accepted.plus_days(URGENT_WITHIN_DAYS);
                    if date > latest {
                        return Err(RuleError::UrgentNotAtOnce {
                            topic: id.clone(),
                            date,
                            latest,
                        });
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn check_step(&self, s: &proto::MeetingStep, time_ms: i64) -> Result<(), RuleError> {
        let meeting = self.meeting(&s.meeting_id)?;
        let date = Date::parse(&meeting.meeting.date)?;
        if Date::in_shanghai(time_ms) < date {
            return Err(RuleError::MeetingNotYet {
                meeting: s.meeting_id.clone(),
                date,
            });
        }
        let step = Step::try_from(s.step).unwrap_or(Step::Unspecified);
        let expected = meeting.next_step();
        if Some(step) != expected {
            return Err(RuleError::StepOutOfOrder {
                meeting: s.meeting_id.clone(),
                expected: expected
                    .map(step_name)
                    .unwrap_or("none (all seven steps are in)"),
                got: step_name(step),
            });
        }
        match step {
            Step::SignIn => {
                require("sign-in", "the number of attendees", s.attendee_count > 0)?;
                commitment("the sign-in sheet", &s.attendees_commitment, true)
            }
            Step::FormResult => {
                self.check_rounds_closed(&s.meeting_id)?;
                require("form-result", "the result", !s.result.trim().is_empty())
            }
            _ => Ok(()),
        }
    }

    fn check_outcome(&self, o: &proto::Outcome) -> Result<(), RuleError> {
        let topic = self.topic_in(
            &o.topic_id,
            "an outcome",
            "on a meeting's agenda (consulted on)",
            |s| s == TopicStatus::Scheduled,
        )?;
        let scheduled = topic.meeting.clone().unwrap_or_default();
        if scheduled != o.meeting_id {
            return Err(RuleError::WrongMeeting {
                topic: o.topic_id.clone(),
                scheduled,
                given: o.meeting_id.clone(),
            });
        }
        let meeting = self.meeting(&o.meeting_id)?;
        if !meeting.result_formed() {
            return Err(RuleError::ResultNotFormed(o.meeting_id.clone()));
        }
        // Earlier rounds of a major matter may gather opinions any way; the
        // one that decides it is a full meeting.
        if topic.topic.scale == proto::Scale::Major as i32
            && meeting.meeting.form != Form::Meeting as i32
        {
            return Err(RuleError::MajorNeedsMeeting(o.topic_id.clone()));
        }
        let class =
            OutcomeClass::from_proto(o.class).ok_or(RuleError::Unspecified("the outcome class"))?;
        let what = "an outcome";
        match class {
            OutcomeClass::Immediate => require(
                what,
                "a responsible party",
                !o.responsible_party.trim().is_empty(),
            ),
            OutcomeClass::Shelved => require(
                what,
                "an explanation for the residents",
                !o.explanation.trim().is_empty(),
            ),
            OutcomeClass::Promised => {
                require(
                    what,
                    "a responsible party",
                    !o.responsible_party.trim().is_empty(),
                )?;
                require(what, "measures", !o.measures.trim().is_empty())?;
                require(what, "a deadline", !o.deadline.is_empty())?;
                require(what, "a notice period", o.notice_period_days > 0)?;
                Date::parse(&o.deadline).map(drop).map_err(RuleError::from)
            }
            OutcomeClass::Suggestion => require(
                what,
                "a proposed solution",
                !o.proposed_solution.trim().is_empty(),
            ),
        }
    }

    fn check_notice(&self, n: &proto::Notice) -> Result<(), RuleError> {
        require("a notice", "a title", !n.title.trim().is_empty())?;
        require("a notice", "a body", !n.body.trim().is_empty())?;
        if !n.topic_id.is_empty() {
            let topic = self.topic(&n.topic_id)?;
            let about_escalation = matches!(
                proto::notice::Kind::try_from(n.kind),
                Ok(proto::notice::Kind::Resolution | proto::notice::Kind::Returned)
            );
            if about_escalation && topic.escalation.is_none() {
                return Err(RuleError::TopicStatus {
                    topic: n.topic_id.clone(),
                    status: topic.status,
                    action: "a resolution or return notice",
                    needs: "escalated",
                });
            }
        }
        if let Some(old) = &n.supersedes {
            let hash = Hash::from_slice(&old.hash).map_err(|_| RuleError::Unknown {
                kind: "notice",
                id: hex::encode(&old.hash),
            })?;
            if !self.notices.contains_key(&hash) {
                return Err(RuleError::Unknown {
                    kind: "notice",
                    id: hash.to_hex(),
                });
            }
            // A notice is corrected once; a later correction corrects the
            // correction, so that the history stays one line.
            let corrected = self.notices.values().any(|(_, earlier)| {
                earlier
                    .supersedes
                    .as_ref()
                    .is_some_and(|r| r.hash == old.hash)
            });
            if corrected {
                return Err(RuleError::Duplicate {
                    kind: "correction of notice",
                    id: hash.to_hex(),
                });
            }
        }
        Ok(())
    }
}

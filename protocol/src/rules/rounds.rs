//! The rules of residents' rounds (征询) and their tallies (计票): an online
//! or card consultation gathers views for a meeting of that form; an
//! evaluation (评议) asks residents about a topic carried out. Apart from
//! `check` because rounds are a kind of their own (since 0.3.0): these
//! rules refuse only records that involve a round, so ledgers written
//! before rounds existed read back unchanged.

use crate::proto::{self, meeting::Form, round::Purpose};

use super::error::RuleError;
use super::state::{Consultation, Position, RoundState, TopicStatus};

/// The most codes one round issues (a large community's households).
pub const MAX_CODES: u32 = 10_000;
/// The most options a round offers.
pub const MAX_OPTIONS: usize = 10;
/// A consultation round's options when staff give none.
pub const DEFAULT_OPTIONS: [&str; 3] = ["同意", "不同意", "弃权"];
/// An evaluation round's options, in the order `Evaluation` counts them.
pub const EVALUATION_OPTIONS: [&str; 3] = ["满意", "基本满意", "不满意"];

impl RoundState {
    /// Whether ballots are still taken at `now_ms`: not tallied and not
    /// past its closing time.
    pub fn takes_ballots(&self, now_ms: i64) -> bool {
        self.tally.is_none() && now_ms < self.round.closes_ms
    }

    /// The round's purpose.
    pub fn purpose(&self) -> Purpose {
        Purpose::try_from(self.round.purpose).unwrap_or(Purpose::Unspecified)
    }
}

fn bad(round: &str, why: &'static str) -> RuleError {
    RuleError::Round {
        round: round.to_owned(),
        why,
    }
}

impl Consultation {
    /// The rounds of `meeting` on `topic` that are tallied, in the order
    /// they were opened.
    pub fn tallied_rounds<'a>(
        &'a self,
        meeting: &'a str,
        topic: &'a str,
    ) -> impl Iterator<Item = &'a RoundState> + 'a {
        let mut rounds: Vec<&RoundState> = self
            .rounds
            .values()
            .filter(|r| r.round.meeting_id == meeting && r.round.topic_id == topic)
            .filter(|r| r.tally.is_some())
            .collect();
        rounds.sort_by_key(|r| r.opened.sequence);
        rounds.into_iter()
    }

    /// An untallied round of `meeting` (consultation) or of `topic`
    /// (evaluation), if any.
    pub(super) fn open_round(&self, purpose: Purpose, subject: &str) -> Option<&RoundState> {
        self.rounds.values().find(|r| {
            r.tally.is_none()
                && r.purpose() == purpose
                && match purpose {
                    Purpose::Consultation => r.round.meeting_id == subject,
                    _ => r.round.topic_id == subject,
                }
        })
    }

    pub(super) fn check_round(&self, r: &proto::Round, time_ms: i64) -> Result<(), RuleError> {
        if r.id.trim().is_empty() {
            return Err(RuleError::Missing {
                record: "a round",
                field: "an id",
            });
        }
        // The id is a path segment (`/r/<id>`) and a key prefix in the
        // node's store: printable, no spaces or slashes.
        if r.id.chars().count() > 64
            || r.id
                .chars()
                .any(|c| c.is_control() || c.is_whitespace() || c == '/')
        {
            return Err(bad(
                &r.id,
                "its id is at most 64 characters, without spaces or slashes",
            ));
        }
        if self.rounds.contains_key(&r.id) {
            return Err(RuleError::Duplicate {
                kind: "round",
                id: r.id.clone(),
            });
        }
        if r.question.trim().is_empty() {
            return Err(RuleError::Missing {
                record: "a round",
                field: "a question",
            });
        }
        let mut names: Vec<&str> = r.options.iter().map(|o| o.trim()).collect();
        names.sort_unstable();
        names.dedup();
        if !(2..=MAX_OPTIONS).contains(&r.options.len())
            || names.len() != r.options.len()
            || names.iter().any(|n| n.is_empty())
        {
            return Err(bad(&r.id, "it needs two to ten options, each named once"));
        }
        if !(1..=MAX_CODES).contains(&r.codes_issued) {
            return Err(bad(&r.id, "it issues between 1 and 10,000 codes"));
        }
        if r.salt.len() != 32 || r.codes_root.len() != 32 {
            return Err(bad(&r.id, "its salt and codes root are 32 bytes each"));
        }
        if r.closes_ms <= time_ms {
            return Err(bad(&r.id, "it closes before it opens"));
        }
        match Purpose::try_from(r.purpose).unwrap_or(Purpose::Unspecified) {
            Purpose::Unspecified => Err(RuleError::Unspecified("the round's purpose")),
            Purpose::Consultation => {
                let meeting =
                    self.meetings
                        .get(&r.meeting_id)
                        .ok_or_else(|| RuleError::Unknown {
                            kind: "meeting",
                            id: r.meeting_id.clone(),
                        })?;
                if !matches!(
                    Form::try_from(meeting.meeting.form),
                    Ok(Form::Online | Form::Card)
                ) {
                    return Err(RuleError::RoundNeedsOnlineOrCard {
                        round: r.id.clone(),
                        meeting: r.meeting_id.clone(),
                    });
                }
                if !meeting.meeting.topic_ids.contains(&r.topic_id) {
                    return Err(bad(&r.id, "its topic is not on the meeting's agenda"));
                }
                if meeting.result_formed() {
                    return Err(bad(&r.id, "the meeting has already formed its result"));
                }
                Ok(())
            }
            Purpose::Evaluation => {
                let topic = self
                    .topics
                    .get(&r.topic_id)
                    .ok_or_else(|| RuleError::Unknown {
                        kind: "topic",
                        id: r.topic_id.clone(),
                    })?;
                if topic.status != TopicStatus::Done {
                    return Err(RuleError::TopicStatus {
                        topic: r.topic_id.clone(),
                        status: topic.status,
                        action: "an evaluation",
                        needs: "done",
                    });
                }
                if topic.follow_ups.is_empty() {
                    return Err(RuleError::NoFollowUp(r.topic_id.clone()));
                }
                if r.options != EVALUATION_OPTIONS {
                    return Err(bad(&r.id, "an evaluation round needs the three answers"));
                }
                if self.open_round(Purpose::Evaluation, &r.topic_id).is_some() {
                    return Err(RuleError::Duplicate {
                        kind: "open evaluation round of topic",
                        id: r.topic_id.clone(),
                    });
                }
                Ok(())
            }
        }
    }

    pub(super) fn check_tally(&self, t: &proto::Tally, time_ms: i64) -> Result<(), RuleError> {
        let round = self
            .rounds
            .get(&t.round_id)
            .ok_or_else(|| RuleError::Unknown {
                kind: "round",
                id: t.round_id.clone(),
            })?;
        let id = &t.round_id;
        if round.tally.is_some() {
            return Err(bad(id, "it is already tallied"));
        }
        if t.counts.len() != round.round.options.len() {
            return Err(bad(id, "the counts are not one per option"));
        }
        if t.counts.iter().map(|&c| u64::from(c)).sum::<u64>() != u64::from(t.ballots) {
            return Err(bad(id, "the counts do not add up to the ballots"));
        }
        if t.ballots > round.round.codes_issued {
            return Err(bad(id, "more ballots than codes issued"));
        }
        if t.comments > t.ballots {
            return Err(bad(id, "more comments than ballots"));
        }
        if t.ballots_root.len() != 32 {
            return Err(bad(id, "the ballots' root is not 32 bytes"));
        }
        if time_ms < round.round.closes_ms
            && t.ballots < round.round.codes_issued
            && t.early_reason.trim().is_empty()
        {
            return Err(RuleError::TallyEarly(id.clone()));
        }
        Ok(())
    }

    /// `form-result` waits for the meeting's rounds to be tallied.
    pub(super) fn check_rounds_closed(&self, meeting: &str) -> Result<(), RuleError> {
        match self.open_round(Purpose::Consultation, meeting) {
            Some(open) => Err(RuleError::RoundStillOpen {
                meeting: meeting.to_owned(),
                round: open.round.id.clone(),
            }),
            None => Ok(()),
        }
    }

    /// A typed-in evaluation waits while residents evaluate by code: the
    /// round's tally records it.
    pub(super) fn check_no_evaluation_round(&self, topic: &str) -> Result<(), RuleError> {
        match self.open_round(Purpose::Evaluation, topic) {
            Some(open) => Err(bad(
                &open.round.id,
                "residents are still evaluating by code: its tally records the evaluation",
            )),
            None => Ok(()),
        }
    }

    pub(super) fn apply_round(&mut self, r: &proto::Round, at: Position) {
        self.rounds.insert(
            r.id.clone(),
            RoundState {
                round: r.clone(),
                opened: at,
                tally: None,
            },
        );
    }

    pub(super) fn apply_tally(&mut self, t: &proto::Tally, at: Position) {
        if let Some(round) = self.rounds.get_mut(&t.round_id) {
            round.tally = Some((at, t.clone()));
        }
    }
}

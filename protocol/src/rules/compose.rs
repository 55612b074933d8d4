//! Records the office composes from its state rather than from what staff
//! type: a meeting's date when none is given, and the escalation of a
//! suggestion. Pure, like the rules, so every write path composes them the
//! same way.

use super::calendar::Date;
use super::state::Consultation;
use crate::proto::{self, meeting_step::Step};

impl Consultation {
    /// The day a meeting on `topics` is held when none is given: today for
    /// an urgent matter (急事立议), else the next regular consultation on the
    /// 11th (议一议).
    pub fn default_meeting_date(&self, topics: &[String], today: Date) -> Date {
        let urgent = topics.iter().any(|t| {
            self.topics
                .get(t)
                .is_some_and(|t| t.topic.scale == proto::Scale::Urgent as i32)
        });
        if urgent {
            today
        } else {
            today.next_regular_consultation()
        }
    }

    /// The escalation (上报) of `topic` to the office `to`, from the ledger
    /// of `origin`: the consultation's result (its meeting's `form-result`,
    /// else the topic's title) and the proposed solution. The id is the
    /// topic's, prefixed with the origin's last part: ids are each office's
    /// own, and the prefix keeps them apart at the street and the district.
    /// A topic without an outcome gets an escalation the rules refuse.
    pub fn escalation(
        &self,
        topic: &str,
        origin: &str,
        to: &crate::LogKey,
        priority: i32,
    ) -> proto::Escalation {
        let (result, proposed_solution) = self
            .topics
            .get(topic)
            .and_then(|t| {
                let outcome = t.outcome.as_ref()?;
                let result = self
                    .meetings
                    .get(&outcome.meeting_id)
                    .and_then(|m| m.steps.iter().find(|s| s.step == Step::FormResult as i32))
                    .map(|s| s.result.clone())
                    .filter(|r| !r.trim().is_empty())
                    .unwrap_or_else(|| t.topic.title.clone());
                Some((result, outcome.proposed_solution.clone()))
            })
            .unwrap_or_default();
        let short = origin.rsplit('/').next().unwrap_or(origin);
        proto::Escalation {
            id: format!("{short}/{topic}"),
            topic_id: topic.to_owned(),
            result,
            proposed_solution,
            to: to.to_vec(),
            forwards: None,
            decision: None,
            priority,
        }
    }
}

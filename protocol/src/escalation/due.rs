//! When an escalated matter is due (办理时限): the last day of the step it
//! waits for, under the time limits of the office it waits on — its
//! latest `Deadlines` record, else the defaults of its level (learnt from
//! the charter that admitted it; the root, admitted by none, is a district
//! or a city, with the same defaults).

use crate::proto::{self, Level};
use crate::rules::Date;
use crate::rules::deadlines::{Deadlines, last_day};

use super::{LogKey, Matter, Matters, Status, StepKind};

impl Matters {
    /// The time limits of `office`.
    pub fn limits(&self, office: &LogKey) -> Deadlines {
        let level = self.levels.get(office).copied().unwrap_or(Level::District);
        match self.deadlines.get(office) {
            Some(record) => Deadlines::from_record(record, level),
            None => Deadlines::defaults(level),
        }
    }

    /// The last day of the step `matter` waits for, if that step has one:
    /// the addressee's decision (from the sending), the result of the
    /// office that took it on (the deadline it set, if it set one), or the
    /// departments' results (that deadline, else from the dispatch).
    pub fn due(&self, matter: &Matter) -> Option<Date> {
        let limits = self.limits(&matter.to);
        match &matter.status {
            Status::Sent | Status::Received => {
                let sent = matter.steps.first()?.at.time_ms;
                Some(last_day(sent, limits.decision_days))
            }
            Status::Accepted => matter.deadline,
            Status::Dispatched { .. } => matter.deadline.or_else(|| {
                let dispatched = matter
                    .steps
                    .iter()
                    .rfind(|s| matches!(s.kind, StepKind::Dispatch | StepKind::Redispatch))?;
                Some(last_day(dispatched.at.time_ms, limits.department_days))
            }),
            Status::Returned(_) | Status::Forwarded | Status::Resolved(_) => None,
        }
    }

    /// Whether `matter` is past the last day of the step it waits for on
    /// `today`.
    pub fn overdue(&self, matter: &Matter, today: Date) -> bool {
        self.due(matter).is_some_and(|last| today > last)
    }

    /// Takes in what decides an office's limits: the level a charter
    /// admits it at, and its own `Deadlines` records.
    pub(super) fn learn_limits(&mut self, log: &LogKey, body: &proto::entry::Body) {
        use proto::entry::Body;
        match body {
            Body::Deadlines(d) => {
                self.deadlines.insert(*log, *d);
            }
            Body::Charter(c) | Body::CityCharter(proto::CityCharter { charter: Some(c) })
                if c.action == proto::charter::Action::Admit as i32 =>
            {
                let level = if matches!(body, Body::CityCharter(_)) {
                    Some(Level::District)
                } else {
                    Level::try_from(c.level).ok()
                };
                if let (Ok(key), Some(level)) = (crate::VerifierKey::parse(&c.verifier_key), level)
                {
                    self.levels.insert(key.log_key(), level);
                }
            }
            _ => {}
        }
    }
}

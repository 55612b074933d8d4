//! Time limits (办理时限): how long an office gives itself for each kind of
//! open item, and the last day before an item is overdue in public.
//!
//! The defaults are the ones docs/ACCOUNTABILITY.md lists (an immediate
//! item 7 days, a suggestion not sent up 3, a matter awaiting the street's
//! decision 15 and the district's 30, a department 30, a mediation 30). An
//! office that changes them records its own (`Deadlines`), so that every
//! node, and every resident's check, judges "overdue" by the same days.
//! Promised items (承诺件) keep the deadline and notice period their outcome
//! names.

use crate::proto::{self, Level};

use super::calendar::Date;
use super::error::RuleError;

/// The longest limit an office may give itself: a year.
pub const MAX_DEADLINE_DAYS: u32 = 366;

/// An office's time limits, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// An immediate item (即办件), from its classification to completion.
    pub immediate_days: u32,
    /// A suggestion (建议件), from its classification to being sent up.
    pub suggestion_days: u32,
    /// A matter escalated to the office, from its sending to the office's
    /// decision (a receipt is not a decision).
    pub decision_days: u32,
    /// A matter the office dispatched, from the dispatch to the last
    /// department's result.
    pub department_days: u32,
    /// An individual dispute, from its referral to a mediator to the end
    /// of the mediation.
    pub mediation_days: u32,
}

impl Deadlines {
    /// The defaults at an office of `level`: a street decides an escalated
    /// matter in 15 days, a district or a city in 30.
    pub fn defaults(level: Level) -> Deadlines {
        Deadlines {
            immediate_days: 7,
            suggestion_days: 3,
            decision_days: match level {
                Level::District | Level::City => 30,
                _ => 15,
            },
            department_days: 30,
            mediation_days: 30,
        }
    }

    /// The limits `record` sets at an office of `level`: the default where
    /// it leaves 0, at most [`MAX_DEADLINE_DAYS`] (a replica's record is not
    /// trusted to be in range).
    pub fn from_record(record: &proto::Deadlines, level: Level) -> Deadlines {
        let defaults = Deadlines::defaults(level);
        let days = |set: u32, default: u32| match set {
            0 => default,
            set => set.min(MAX_DEADLINE_DAYS),
        };
        Deadlines {
            immediate_days: days(record.immediate_days, defaults.immediate_days),
            suggestion_days: days(record.suggestion_days, defaults.suggestion_days),
            decision_days: days(record.decision_days, defaults.decision_days),
            department_days: days(record.department_days, defaults.department_days),
            mediation_days: days(record.mediation_days, defaults.mediation_days),
        }
    }

    /// The record that sets exactly these limits.
    pub fn to_record(self) -> proto::Deadlines {
        proto::Deadlines {
            immediate_days: self.immediate_days,
            suggestion_days: self.suggestion_days,
            decision_days: self.decision_days,
            department_days: self.department_days,
            mediation_days: self.mediation_days,
        }
    }

    /// Each limit with its name in configuration, the API and messages.
    pub fn named(self) -> [(&'static str, u32); 5] {
        [
            ("immediate_days", self.immediate_days),
            ("suggestion_days", self.suggestion_days),
            ("decision_days", self.decision_days),
            ("department_days", self.department_days),
            ("mediation_days", self.mediation_days),
        ]
    }
}

/// Checks a `Deadlines` record before the office signs it: every limit at
/// most [`MAX_DEADLINE_DAYS`].
pub fn check(record: &proto::Deadlines) -> Result<(), RuleError> {
    let limits = Deadlines {
        immediate_days: record.immediate_days,
        suggestion_days: record.suggestion_days,
        decision_days: record.decision_days,
        department_days: record.department_days,
        mediation_days: record.mediation_days,
    };
    match limits
        .named()
        .into_iter()
        .find(|(_, days)| *days > MAX_DEADLINE_DAYS)
    {
        Some((name, days)) => Err(RuleError::OutOfRange {
            what: name,
            value: i64::from(days),
            max: i64::from(MAX_DEADLINE_DAYS),
        }),
        None => Ok(()),
    }
}

/// The last day of an item opened at `opened_ms` with `days` to go: opened
/// on a day (Shanghai), it is on time through that day plus `days`, and
/// overdue from the day after.
pub fn last_day(opened_ms: i64, days: u32) -> Date {
    Date::in_shanghai(opened_ms).plus_days(i64::from(days))
}

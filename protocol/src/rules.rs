//! The consultation procedure (协商程序) as rules over a community's ledger.
//!
//! [`Consultation`] is the state a ledger's entries add up to: the
//! participant list, the topics with where each stands in the five steps
//! (五步), the meetings with their seven steps (七定), and the notices.
//! [`Consultation::check`] says whether a proposed record may come next, and
//! precisely why not; [`Consultation::apply`] folds an accepted one in. Both
//! are pure, so the node (before it signs), a replicating peer and a light
//! client all apply the same rules to the same entries.
//!
//! The procedure, after the Jinan case study:
//!
//! - a topic (议题) is proposed, then gate-kept (议题把关): accepted,
//!   declined as already regulated (with the citation and a published
//!   explanation), or referred as an individual dispute to a named mediator,
//!   which may be consulted on only after the party organisation approves;
//! - a topic's sub-item must be one the office put in its catalogue
//!   (协商事项目录) under the topic's category;
//! - the scale (三事) constrains the meeting: a major matter (大事大议) is
//!   consulted with participants of at least two kinds and decided by a full
//!   meeting (earlier rounds may gather opinions by card or online); a minor
//!   one (小事小议) may also be settled by card (卡片协商) or online (微协商); an
//!   urgent one (急事立议) is convened at once, within [`URGENT_WITHIN_DAYS`]
//!   days;
//! - a meeting records the seven steps in order, each once, none before its
//!   day; outcomes are classified (分流分类) between `form-result` and
//!   `publish-result`; a topic a round leaves without an outcome goes to
//!   another round;
//! - immediate (即办件) and promised (承诺件) items are carried out with
//!   progress until completion; a shelved item (搁置件) may be reopened by a
//!   new topic; a suggestion (建议件) waits for escalation;
//! - follow-up visits (回访) and then the residents' evaluation (评议) close
//!   the fifth step.

mod apply;
pub mod calendar;
mod check;
mod compose;
pub mod deadlines;
mod error;
pub mod joint;
mod level;
pub mod names;
pub mod notices;
pub mod record;
pub mod rounds;
mod state;
mod zh;
pub use zh::step_zh;

pub use calendar::{Date, DateError};
pub use deadlines::Deadlines;
pub use error::RuleError;
pub use level::check_level;
pub use state::{
    CharteredOffice, Consultation, FiveStep, MatterStep, MeetingState, OutcomeClass, Overdue,
    ParticipantState, Position, RoundState, SEVEN_STEPS, TopicState, TopicStatus, step_name,
};

use crate::proto::entry::Body;

/// An urgent matter's meeting must be held within this many days of the
/// topic's acceptance ("convened at once").
pub const URGENT_WITHIN_DAYS: i64 = 3;

/// A verifier key usable as an office's log key: Ed25519, named after its
/// origin.
fn office_key(text: &str) -> Result<crate::VerifierKey, RuleError> {
    let key = crate::VerifierKey::parse(text).map_err(|e| RuleError::BadKey(e.to_string()))?;
    if key.is_cosigner() {
        return Err(RuleError::BadKey(
            "a cosigner key cannot sign a ledger".into(),
        ));
    }
    Ok(key)
}

impl Consultation {
    /// Checks and applies in one step.
    pub fn accept(&mut self, body: &Body, at: Position) -> Result<(), RuleError> {
        self.check(body, at.time_ms)?;
        self.apply(body, at);
        Ok(())
    }
}

//! The actions of accountability up and down the hierarchy (issue 21), as
//! the HTTP contract takes them: topics both ways and the joint meeting,
//! the 12345 desk, corrections, supervision by phase and kind, designated
//! persons, and a meeting's briefing materials. Apart from `api.rs` only to
//! keep that file readable; each is a variant of [`super::Action`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// When the joint meeting regularly studies major matters: on `day` of
/// each of `months`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Study {
    /// The day of the month, 1 to 28.
    pub day: u32,
    /// The months, 1 to 12 (every month if empty).
    #[serde(default)]
    pub months: Vec<u32>,
    /// Where.
    #[serde(default)]
    pub place: String,
}

/// Put a topic on the agenda of an office this one chartered (交办议题).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assign {
    /// The assignment's id, e.g. `A-2026-12-lights`.
    pub id: String,
    /// The office asked: its name, as chartered, or its log key (hex).
    pub office: String,
    /// The topic's title.
    pub title: String,
    /// What it is about.
    #[serde(default)]
    pub summary: String,
    /// Its category.
    pub category: String,
    /// A sub-item of the asked office's catalogue, if any.
    #[serde(default)]
    pub sub_item: String,
    /// `major`, `minor` or `urgent`.
    pub scale: String,
    /// The day by which to answer (YYYY-MM-DD), if any.
    #[serde(default)]
    pub reply_by: String,
}

/// Answer an assignment from above.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// The assignment's id.
    pub assignment: String,
    /// The office that assigned it (log key, hex); by default the parent.
    #[serde(default)]
    pub from: Option<String>,
    /// Accept it as a topic (else decline it).
    pub accept: bool,
    /// Accepted: the new topic's id (by default `T-` and the assignment's).
    #[serde(default)]
    pub topic: Option<String>,
    /// Declined: why (public).
    #[serde(default)]
    pub reason: String,
}

/// A standing member of the street's joint meeting.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// Its id, e.g. `U-bank`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `resident-unit`, `non-public-enterprise`, `social-organisation` or
    /// `party-organisation`.
    pub kind: String,
    /// Withdrawn from the joint meeting.
    #[serde(default)]
    pub withdrawn: bool,
}

/// A matter the district's desk takes in directly.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Intake {
    /// The matter's id at the desk, e.g. `H-20261206-1`.
    pub id: String,
    /// What it is, in a line.
    pub title: String,
    /// What residents reported (public; without who).
    #[serde(default)]
    pub summary: String,
    /// Its category.
    pub category: String,
    /// `concern`, `open311` or `hotline`.
    pub source: String,
    /// `urgent`, `important` or `normal` (the default).
    #[serde(default)]
    pub priority: Option<String>,
    /// Who raised it: kept private.
    #[serde(default)]
    pub raised_by: Option<Value>,
}

/// The coordination group's joint meeting on a matter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coordinate {
    /// The matter.
    pub matter: String,
    /// The day it met (YYYY-MM-DD; default today).
    #[serde(default)]
    pub date: Option<String>,
    /// The departments that took part.
    pub departments: Vec<String>,
    /// What they concluded.
    pub conclusion: String,
}

/// Return a department's result and dispatch the matter again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redispatch {
    /// The matter.
    pub matter: String,
    /// The department whose result is returned.
    pub department: String,
    /// Why (public).
    pub reason: String,
    /// Where it goes now (the same department to do it again, or others).
    pub to: Vec<String>,
}

/// Correct a published notice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correct {
    /// The notice corrected: its entry hash (hex).
    pub notice: String,
    /// The corrected text.
    pub body: String,
    /// Why it is corrected (public, at the end of the correction).
    pub reason: String,
    /// The correction's title (default: 更正： and the old title).
    #[serde(default)]
    pub title: Option<String>,
}

/// Oversight of a topic in its phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Oversee {
    /// The topic.
    pub topic: String,
    /// `before`, `during` or `after` (事前、事中、事后).
    pub phase: String,
    /// The supervisors: each a kind (`deputy`, `cppcc-member`,
    /// `resident-representative`, `stakeholder`) and a public name or role.
    pub supervisors: Vec<Supervisor>,
    /// The bodies of the level above invited (`discipline`, `finance`,
    /// `audit`): all three where the outcome spends money.
    #[serde(default)]
    pub bodies: Vec<String>,
    /// What they found.
    #[serde(default)]
    pub note: String,
}

/// A supervisor: a kind and a public name or role.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Supervisor {
    /// Its kind.
    pub kind: String,
    /// A public name or role, e.g. 区人大代表张某.
    pub name: String,
}

/// Designate the person responsible.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Designate {
    /// `plan-drafter`, `dispute-coordinator` or `matter-follower`.
    pub duty: String,
    /// The topic.
    pub topic: String,
    /// The role, e.g. 社区党委副书记.
    pub role: String,
    /// The office the role is in (default: this office's name).
    #[serde(default)]
    pub office: String,
}

/// Attach policy briefing materials to a meeting.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Brief {
    /// The meeting.
    pub meeting: String,
    /// The files: each uploaded already, named here.
    pub files: Vec<Attached>,
}

/// A file uploaded, named for the record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attached {
    /// Its name, e.g. 济南市物业管理条例.pdf.
    pub name: String,
    /// Its SHA-256, as the upload answered (hex).
    pub sha256: String,
}

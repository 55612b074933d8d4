//! Releases (版本): which release of yiyi this is, which one a peer says it
//! runs (libp2p identify's agent version, `yiyi/0.2.0`), which one an entry
//! says reads it (`Entry.reader_version`), and the schema this release reads.
//! Offices upgrade one at a time, so a node meets later releases and must
//! say so rather than refuse them (docs/LEDGER.md, "Compatibility").

use std::fmt;
use std::str::FromStr;

/// A release number, `major.minor.patch`; later releases compare greater.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Release {
    /// Incompatible changes (none yet: the envelope has not changed).
    pub major: u32,
    /// New record kinds and features.
    pub minor: u32,
    /// Fixes.
    pub patch: u32,
}

/// The prefix of the agent version nodes give in libp2p identify.
const AGENT: &str = "yiyi/";

/// The schema this release reads: the protobuf package and `Entry.version`.
pub const SCHEMA: &str = "yiyi.v1";

/// The record kinds this release reads, by their `Entry.body` field numbers.
pub const RECORD_KINDS: &[(u32, &str)] = &[
    (10, "charter"),
    (11, "participant"),
    (12, "topic"),
    (13, "gate-decision"),
    (14, "meeting"),
    (15, "meeting-step"),
    (16, "outcome"),
    (17, "progress"),
    (18, "supervision"),
    (19, "follow-up"),
    (20, "evaluation"),
    (21, "escalation"),
    (22, "receipt"),
    (23, "decision"),
    (24, "dispatch"),
    (25, "resolution"),
    (26, "notice"),
    (27, "equivocation-proof"),
    (28, "private-commitment"),
    (29, "department"),
    (30, "catalogue-item"),
    (31, "office-profile"),
    (32, "round"),
    (33, "tally"),
    (34, "city-charter"),
    (35, "deadlines"),
    (36, "mediation"),
    (37, "assignment"),
    (38, "assignment-reply"),
    (39, "standing-member"),
    (40, "member-proposal"),
    (41, "study-schedule"),
    (42, "direct-matter"),
    (43, "coordination-meeting"),
    (44, "redispatch"),
    (45, "oversight"),
    (46, "designation"),
    (47, "briefing"),
];

/// Not a release number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a release number (major.minor.patch)")]
pub struct BadRelease(pub String);

impl Release {
    /// This release.
    pub fn current() -> Release {
        env!("CARGO_PKG_VERSION").parse().unwrap_or(Release {
            major: 0,
            minor: 0,
            patch: 0,
        })
    }

    /// What a node of this release says in libp2p identify.
    pub fn agent(self) -> String {
        format!("{AGENT}{self}")
    }

    /// The release a peer's identify agent version names, if it is a yiyi
    /// node's.
    pub fn from_agent(agent: &str) -> Option<Release> {
        agent.strip_prefix(AGENT)?.parse().ok()
    }

    /// What `--version` prints after the name: the release, the schema and
    /// the record kinds it reads, and what it does with later ones.
    pub fn describe(self) -> String {
        let (first, last) = (RECORD_KINDS[0].0, RECORD_KINDS[RECORD_KINDS.len() - 1].0);
        let kinds: Vec<&str> = RECORD_KINDS.iter().map(|(_, name)| *name).collect();
        format!(
            "{self}\nschema {SCHEMA}, entry version 1, record kinds {first}–{last}: {}\n\
             records of later releases are kept, proved and forwarded unread",
            kinds.join(", ")
        )
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl FromStr for Release {
    type Err = BadRelease;

    fn from_str(text: &str) -> Result<Release, BadRelease> {
        let bad = || BadRelease(text.to_owned());
        // A pre-release or build suffix (0.3.0-rc.1) names the release it
        // leads to.
        let core = text.split(['-', '+']).next().unwrap_or_default();
        let mut parts = core.split('.').map(|p| {
            (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse::<u32>().ok())
                .flatten()
        });
        let (Some(Some(major)), Some(Some(minor)), Some(Some(patch)), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        Ok(Release {
            major,
            minor,
            patch,
        })
    }
}

//! The federation (联邦): which logs belong to a district, by charter chain,
//! and the evidence that a log has equivocated.
//!
//! A node pins one key, its root's: a district's, or a city's above the
//! districts. A city's ledger admits districts by city charter, the
//! district's ledger admits streets by charter, a street's ledger admits
//! communities; a log is a member when every charter on the way up to the
//! pinned key stands. [`Federation`] is fed
//! the charters of member logs as they are read or replicated and answers
//! which logs to accept entries from. A revoked or rotated key is closed: its
//! history stays readable, but nothing new from it is accepted.
//!
//! An [`EquivocationProof`](crate::proto::EquivocationProof) (分叉证据) is
//! self-evident: two signed checkpoints of the same size with different roots,
//! or two different signed entries at the same sequence number. Anyone with
//! the log's key can check it; nodes that do freeze the log.

use std::collections::BTreeMap;

use crate::checkpoint::Checkpoint;
use crate::entry;
use crate::keys::VerifierKey;
use crate::proto::{self, EquivocationProof, Level, charter::Action, entry::Body};

pub use crate::keys::LogKey;

/// Where a member stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Admitted and not revoked: its new entries are accepted.
    Active,
    /// Revoked by its parent: closed.
    Revoked,
    /// Its key was rotated to another: closed; its children stay members.
    Rotated,
}

/// An office in the federation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Its verifier key; also verifies its checkpoints.
    pub key: VerifierKey,
    /// Its name: as its latest profile gives it, else as its charter does
    /// (the district's: as pinned, until its profile is read).
    pub name: String,
    /// Its level.
    pub level: Level,
    /// The log that admitted it (`None` for the district).
    pub parent: Option<LogKey>,
    /// Where it stands.
    pub standing: Standing,
    /// Addresses its charter gives for it.
    pub addresses: Vec<String>,
}

/// The offices under one pinned district key.
#[derive(Debug, Clone)]
pub struct Federation {
    district: LogKey,
    members: BTreeMap<LogKey, Member>,
}

impl Federation {
    /// A federation of the district with this (pinned) key, before any of
    /// its charters are read. (A root that records city charters is a city:
    /// see [`Federation::observe`].)
    pub fn new(district: VerifierKey, name: &str) -> Federation {
        let log = district.log_key();
        let mut members = BTreeMap::new();
        members.insert(
            log,
            Member {
                key: district,
                name: name.to_owned(),
                level: Level::District,
                parent: None,
                standing: Standing::Active,
                addresses: Vec::new(),
            },
        );
        Federation {
            district: log,
            members,
        }
    }

    /// The pinned root's log key (a district's, or a city's).
    pub fn district(&self) -> LogKey {
        self.district
    }

    /// Sets the root's level: a node that is itself the root knows it from
    /// its own configuration before its ledger says so.
    pub fn set_root_level(&mut self, level: Level) {
        if let Some(root) = self.members.get_mut(&self.district) {
            root.level = level;
        }
    }

    /// Every office ever admitted, whatever its standing now.
    pub fn members(&self) -> impl Iterator<Item = (&LogKey, &Member)> {
        self.members.iter()
    }

    /// The member with this log key, if it was ever admitted.
    pub fn member(&self, log: &LogKey) -> Option<&Member> {
        self.members.get(log)
    }

    /// Whether `log`'s charter chain reaches the district through offices
    /// that still stand (rotated keys pass their children on).
    pub fn chain_stands(&self, log: &LogKey) -> bool {
        let mut at = *log;
        // A chain is at most as long as the member list; a cycle cannot form
        // (a key is admitted once), but bound the walk anyway.
        for _ in 0..=self.members.len() {
            let Some(member) = self.members.get(&at) else {
                return false;
            };
            if member.standing == Standing::Revoked {
                return false;
            }
            match member.parent {
                None => return at == self.district,
                Some(parent) => at = parent,
            }
        }
        false
    }

    /// Whether new entries of `log` are accepted: it is active and its
    /// chain stands.
    pub fn accepts(&self, log: &LogKey) -> bool {
        matches!(self.members.get(log), Some(m) if m.standing == Standing::Active)
            && self.chain_stands(log)
    }

    /// The logs whose new entries are accepted.
    pub fn accepted(&self) -> Vec<LogKey> {
        self.members
            .keys()
            .filter(|log| self.accepts(log))
            .copied()
            .collect()
    }

    /// The parent of `log`, if it is a member below the district.
    pub fn parent(&self, log: &LogKey) -> Option<LogKey> {
        self.members.get(log).and_then(|m| m.parent)
    }

    /// The logs an office at `own` keeps (its scope, 所辖与上级): its own,
    /// its ancestors' up to the pinned root (to read their charters,
    /// decisions and results) and its descendants' (to witness them,
    /// receive their escalations and roll up their figures), of the logs
    /// accepted. `None` until `own`'s charter has been read: its place is
    /// not known yet.
    pub fn scope(&self, own: &LogKey) -> Option<Vec<LogKey>> {
        if !self.members.contains_key(own) {
            return None;
        }
        Some(
            self.accepted()
                .into_iter()
                .filter(|log| log == own || self.is_above(log, own) || self.is_above(own, log))
                .collect(),
        )
    }

    /// The office next to `own` on the way to `log` through the tree: the
    /// child of `own` whose subtree holds `log`, or else `own`'s parent.
    /// (Where a node asks for a ledger it keeps but has not fetched yet: the
    /// child that keeps it, rather than peers that do not.)
    pub fn toward(&self, own: &LogKey, log: &LogKey) -> Option<LogKey> {
        if log == own {
            return None;
        }
        let mut at = *log;
        for _ in 0..=self.members.len() {
            match self.parent(&at) {
                Some(parent) if parent == *own => return Some(at),
                Some(parent) => at = parent,
                None => break,
            }
        }
        self.parent(own)
    }

    /// `log` and its ancestors up to the root, of those accepted.
    pub fn lineage(&self, log: &LogKey) -> Vec<LogKey> {
        let mut lineage = Vec::new();
        let mut at = Some(*log);
        while let Some(log) = at.filter(|l| self.accepts(l) && !lineage.contains(l)) {
            lineage.push(log);
            at = self.parent(&log);
        }
        lineage
    }

    /// The accepted offices that can admit others (all but communities):
    /// where an office not placed yet looks for its charter.
    pub fn admitting(&self) -> Vec<LogKey> {
        self.accepted()
            .into_iter()
            .filter(|log| self.members[log].level != Level::Community)
            .collect()
    }

    /// Whether `upper` is an ancestor of `log` (by the charters read).
    pub fn is_above(&self, upper: &LogKey, log: &LogKey) -> bool {
        let mut at = *log;
        for _ in 0..=self.members.len() {
            match self.parent(&at) {
                Some(parent) if parent == *upper => return true,
                Some(parent) => at = parent,
                None => return false,
            }
        }
        false
    }

    /// The office whose announcements carry `log`'s (its gossip group): a
    /// community's are its street's, so that they reach the nodes that keep
    /// its ledger (the street and those above) and its siblings, not the
    /// whole federation; any other office's are its own.
    pub fn announced_with(&self, log: &LogKey) -> LogKey {
        match self.members.get(log) {
            Some(Member {
                level: Level::Community,
                parent: Some(parent),
                ..
            }) => *parent,
            _ => *log,
        }
    }

    /// Reads an entry of `log`; a charter in a member's log changes the
    /// federation, a profile renames the member. Returns whether the
    /// membership changed. Charters in logs that are not
    /// members are ignored: only a chain from the district admits.
    pub fn observe(&mut self, log: &LogKey, body: &Body) -> bool {
        if let Body::OfficeProfile(profile) = body {
            // An office names itself; membership does not change. The root
            // may say it is a city.
            if profile.city && *log == self.district {
                self.set_root_level(Level::City);
            }
            if let Some(member) = self.members.get_mut(log)
                && !profile.name.trim().is_empty()
            {
                member.name = profile.name.clone();
            }
            return false;
        }
        let Some(charter) = charter(body) else {
            return false;
        };
        if !self.accepts(log) {
            return false;
        }
        // Only the root can be a city, and a root that records a city
        // charter is one: its own signed ledger says so.
        let city = matches!(body, Body::CityCharter(_));
        if city && *log == self.district {
            self.set_root_level(Level::City);
        }
        let Ok(key) = office_key(&charter.verifier_key) else {
            return false;
        };
        let child = key.log_key();
        match Action::try_from(charter.action) {
            Ok(Action::Admit) => {
                // A key is admitted once, by its first charter: a second
                // parent cannot take an office over.
                if self.members.contains_key(&child) {
                    return false;
                }
                // Offices admit offices below them: a street no street, a
                // community nobody, whatever it signs; a city its districts
                // and only by city charter. (The pinned root is a district's
                // level, even when a street pins itself, until it records a
                // city charter.)
                let signer = self.members.get(log).map(|m| m.level);
                let level = Level::try_from(charter.level);
                if !signer.is_some_and(|s| level.is_ok_and(|l| admits(s, l, city))) {
                    return false;
                }
                self.members.insert(
                    child,
                    Member {
                        key,
                        name: charter.name.clone(),
                        level: Level::try_from(charter.level).unwrap_or(Level::Unspecified),
                        parent: Some(*log),
                        standing: Standing::Active,
                        addresses: charter.addresses.clone(),
                    },
                );
                true
            }
            Ok(Action::Revoke) => self.close(log, &child, Standing::Revoked),
            Ok(Action::Rotate) => {
                let Ok(new) = office_key(&charter.new_verifier_key) else {
                    return false;
                };
                let Some(old) = self.members.get(&child).cloned() else {
                    return false;
                };
                if old.parent != Some(*log)
                    || old.standing != Standing::Active
                    || self.members.contains_key(new.public_bytes())
                {
                    return false;
                }
                self.close(log, &child, Standing::Rotated);
                // The new key takes the old one's place, and its children:
                // they were admitted in the old log, which stays readable.
                let log_new = new.log_key();
                self.members.insert(
                    log_new,
                    Member {
                        key: new,
                        parent: Some(*log),
                        standing: Standing::Active,
                        ..old
                    },
                );
                for member in self.members.values_mut() {
                    if member.parent == Some(child) {
                        member.parent = Some(log_new);
                    }
                }
                true
            }
            _ => false,
        }
    }

    fn close(&mut self, parent: &LogKey, child: &LogKey, standing: Standing) -> bool {
        match self.members.get_mut(child) {
            Some(member)
                if member.parent == Some(*parent) && member.standing == Standing::Active =>
            {
                member.standing = standing;
                true
            }
            _ => false,
        }
    }
}

/// The charter a record carries, of either kind: a district's or a
/// street's [`Body::Charter`], or a city's [`Body::CityCharter`].
pub fn charter(body: &Body) -> Option<&proto::Charter> {
    match body {
        Body::Charter(c) => Some(c),
        Body::CityCharter(proto::CityCharter { charter }) => charter.as_ref(),
        _ => None,
    }
}

/// Whether an office of level `signer` may admit one of level `admitted`
/// (by a city charter when `city`): a city its districts, by city charter
/// only; a district its streets and communities; a street its communities;
/// nobody else anybody. The nodes' federation and the light client's
/// charter chain judge by this one rule.
pub fn admits(signer: Level, admitted: Level, city: bool) -> bool {
    let below: &[Level] = match (signer, city) {
        (Level::City, true) => &[Level::District],
        (Level::District, false) => &[Level::Street, Level::Community],
        (Level::Street, false) => &[Level::Community],
        _ => &[],
    };
    below.contains(&admitted)
}

/// The level an office's profile gives: a city's by its own field (see
/// ledger.proto), any other's by `level`.
pub fn profile_level(profile: &proto::OfficeProfile) -> Level {
    if profile.city {
        Level::City
    } else {
        Level::try_from(profile.level).unwrap_or(Level::Unspecified)
    }
}

/// A charter's key: Ed25519 (not a cosigner key).
fn office_key(text: &str) -> Result<VerifierKey, ()> {
    match VerifierKey::parse(text) {
        Ok(key) if !key.is_cosigner() => Ok(key),
        _ => Err(()),
    }
}

/// Why an equivocation proof does not prove anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EquivocationError {
    /// Neither two checkpoints nor two entries are given.
    #[error("an equivocation proof needs two checkpoints or two entries")]
    Incomplete,
    /// A checkpoint or entry is not validly signed by the log's key.
    #[error("the {0} is not validly signed by the log's key")]
    NotSigned(&'static str),
    /// The two agree: no equivocation.
    #[error("the two {0} do not contradict each other")]
    Consistent(&'static str),
}

/// Checks an equivocation proof against the log's key: two checkpoints of one
/// size with different roots, or two different entries at one sequence
/// number, each validly signed.
pub fn check_equivocation(
    proof: &EquivocationProof,
    key: &VerifierKey,
) -> Result<(), EquivocationError> {
    if !proof.checkpoint_a.is_empty() && !proof.checkpoint_b.is_empty() {
        let open = |note: &str| {
            Checkpoint::open(note, key)
                .map(|(c, _)| c)
                .map_err(|_| EquivocationError::NotSigned("checkpoint"))
        };
        let (a, b) = (open(&proof.checkpoint_a)?, open(&proof.checkpoint_b)?);
        if a.size == b.size && a.root != b.root {
            return Ok(());
        }
        return Err(EquivocationError::Consistent("checkpoints"));
    }
    if !proof.entry_a.is_empty() && !proof.entry_b.is_empty() {
        let open = |bytes: &[u8]| match entry::verify(bytes) {
            Ok(e) if e.author() == key.public_bytes() => Ok(e),
            _ => Err(EquivocationError::NotSigned("entry")),
        };
        let (a, b) = (open(&proof.entry_a)?, open(&proof.entry_b)?);
        if a.sequence() == b.sequence() && a.hash != b.hash {
            return Ok(());
        }
        return Err(EquivocationError::Consistent("entries"));
    }
    Err(EquivocationError::Incomplete)
}

/// The log an equivocation proof accuses, if it names one.
pub fn accused(proof: &EquivocationProof) -> Option<LogKey> {
    proof.log.as_slice().try_into().ok()
}

/// Builds the proof of two different signed entries at one sequence number.
pub fn entries_equivocation(log: &LogKey, a: &[u8], b: &[u8]) -> proto::EquivocationProof {
    proto::EquivocationProof {
        log: log.to_vec(),
        entry_a: a.to_vec(),
        entry_b: b.to_vec(),
        ..Default::default()
    }
}

/// Builds the proof of two signed checkpoints of one size, different roots.
pub fn checkpoints_equivocation(log: &LogKey, a: &str, b: &str) -> proto::EquivocationProof {
    proto::EquivocationProof {
        log: log.to_vec(),
        checkpoint_a: a.to_owned(),
        checkpoint_b: b.to_owned(),
        ..Default::default()
    }
}

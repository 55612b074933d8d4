//! Trust policies (核验策略) in the C2SP tlog-policy form: which logs a
//! resident accepts, which witnesses she knows, and how many of them must
//! have cosigned a checkpoint before she believes it (`quorum`).
//!
//! ```text
//! # 舜玉社区's ledger, witnessed by its street and by an outside witness
//! log gongshi.lixia.example/shunyu+1a2b3c4d+AQ…
//! witness street yiyi/泉城路街道+5e6f7a8b+BA…
//! witness outside witness.example/w1+9c0d1e2f+BA… https://witness.example/w1
//! group both all street outside
//! quorum both
//! ```
//!
//! Lines are `log <vkey> [url]`, `witness <name> <vkey> [url]`, `group
//! <name> all|any|<k> <name>…` and `quorum <name>|none`; `#` starts a
//! comment; a name is defined before it is used and only once; `none` is
//! predefined (no cosignature needed). Witness keys are cosigner keys (type
//! 0x04). Parsing is strict; checking a checkpoint names the witnesses whose
//! cosignatures are missing, so a failure says who did not vouch.

use std::collections::{BTreeSet, HashMap};

use crate::checkpoint::witnessed_by;
use crate::keys::{LogKey, VerifierKey};
use crate::note::SignedNote;

/// The largest policy file read.
pub const MAX_POLICY_BYTES: usize = 64 * 1024;

/// A parsed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The logs it accepts (any, when none is listed).
    pub logs: Vec<VerifierKey>,
    /// The witnesses, in the order defined.
    pub witnesses: Vec<PolicyWitness>,
    groups: HashMap<String, Group>,
    /// The name of the quorum's witness or group; `None` for `quorum none`.
    pub quorum: Option<String>,
}

/// A witness a policy names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyWitness {
    /// Its name in the policy.
    pub name: String,
    /// Its cosigner key.
    pub key: VerifierKey,
    /// Where it answers, if given.
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    /// How many members must be satisfied.
    threshold: usize,
    members: Vec<String>,
}

/// Why a policy is refused, or not met.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// A line does not parse.
    #[error("policy line {line}: {message}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// No `quorum` line.
    #[error("the policy has no quorum line")]
    NoQuorum,
    /// The checkpoint is of a log the policy does not list.
    #[error("the log {0} is not one the policy accepts")]
    UnknownLog(String),
    /// Too few witnesses cosigned; `missing` names those that did not.
    #[error("the policy's quorum {quorum:?} is not met: no cosignature by {}", missing.join(", "))]
    NotMet {
        /// The quorum's name.
        quorum: String,
        /// The witnesses whose cosignatures would count but are absent.
        missing: Vec<String>,
    },
}

impl Policy {
    /// Parses a policy file.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let syntax = |line: usize, message: String| PolicyError::Syntax { line, message };
        if text.len() > MAX_POLICY_BYTES {
            return Err(syntax(0, "the file is larger than 64 KiB".into()));
        }
        let mut policy = Policy {
            logs: Vec::new(),
            witnesses: Vec::new(),
            groups: HashMap::new(),
            quorum: None,
        };
        let mut quorum_seen = false;
        let mut names: BTreeSet<String> = BTreeSet::from(["none".to_owned()]);
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            let key = |text: &str, cosigner: bool| -> Result<VerifierKey, PolicyError> {
                let key =
                    VerifierKey::parse(text).map_err(|e| syntax(n, format!("{text:?}: {e}")))?;
                if key.is_cosigner() != cosigner {
                    return Err(syntax(
                        n,
                        if cosigner {
                            "a witness's key is a cosigner key (type 0x04)".into()
                        } else {
                            "a log's key is a signing key (type 0x01)".into()
                        },
                    ));
                }
                Ok(key)
            };
            let define =
                |names: &mut BTreeSet<String>, name: &str| -> Result<String, PolicyError> {
                    if !names.insert(name.to_owned()) {
                        return Err(syntax(n, format!("{name:?} is defined twice")));
                    }
                    Ok(name.to_owned())
                };
            match words.as_slice() {
                ["log", vkey] | ["log", vkey, _] => policy.logs.push(key(vkey, false)?),
                ["witness", name, vkey, rest @ ..] if rest.len() <= 1 => {
                    let key = key(vkey, true)?;
                    policy.witnesses.push(PolicyWitness {
                        name: define(&mut names, name)?,
                        key,
                        url: rest.first().map(|u| (*u).to_owned()),
                    });
                }
                ["group", name, threshold, members @ ..] if !members.is_empty() => {
                    for member in members {
                        if !names.contains(*member) || *member == "none" {
                            return Err(syntax(n, format!("{member:?} is not defined above")));
                        }
                    }
                    let threshold = match *threshold {
                        "all" => members.len(),
                        "any" => 1,
                        k => k
                            .parse::<usize>()
                            .ok()
                            .filter(|k| {
                                (1..=members.len()).contains(k) && k.to_string() == *threshold
                            })
                            .ok_or_else(|| {
                                syntax(
                                    n,
                                    format!("{k:?} is not all, any or 1 to {}", members.len()),
                                )
                            })?,
                    };
                    let group = Group {
                        threshold,
                        members: members.iter().map(|m| (*m).to_owned()).collect(),
                    };
                    let name = define(&mut names, name)?;
                    policy.groups.insert(name, group);
                }
                ["quorum", name] => {
                    if quorum_seen {
                        return Err(syntax(n, "a second quorum line".into()));
                    }
                    if !names.contains(*name) {
                        return Err(syntax(n, format!("{name:?} is not defined above")));
                    }
                    quorum_seen = true;
                    policy.quorum = (*name != "none").then(|| (*name).to_owned());
                }
                _ => return Err(syntax(n, format!("not a policy line: {line:?}"))),
            }
        }
        if !quorum_seen {
            return Err(PolicyError::NoQuorum);
        }
        Ok(policy)
    }

    /// Whether the checkpoint `note` of `log` meets the policy: the log is
    /// listed (when logs are), and the quorum's witnesses cosigned it.
    /// Returns the names of the witnesses whose cosignatures verify.
    pub fn check(&self, log: &LogKey, note: &SignedNote) -> Result<Vec<String>, PolicyError> {
        if !self.logs.is_empty() && !self.logs.iter().any(|k| k.log_key() == *log) {
            return Err(PolicyError::UnknownLog(log.to_string()));
        }
        let cosigned: BTreeSet<&str> = self
            .witnesses
            .iter()
            .filter(|w| {
                witnessed_by(note, std::slice::from_ref(&w.key)).is_ok_and(|s| !s.is_empty())
            })
            .map(|w| w.name.as_str())
            .collect();
        let names = cosigned.iter().map(|n| (*n).to_owned()).collect();
        let Some(quorum) = &self.quorum else {
            return Ok(names);
        };
        if self.satisfied(quorum, &cosigned) {
            return Ok(names);
        }
        let mut missing = BTreeSet::new();
        self.witnesses_under(quorum, &mut missing);
        Err(PolicyError::NotMet {
            quorum: quorum.clone(),
            missing: missing
                .into_iter()
                .filter(|w| !cosigned.contains(w.as_str()))
                .collect(),
        })
    }

    fn satisfied(&self, name: &str, cosigned: &BTreeSet<&str>) -> bool {
        match self.groups.get(name) {
            Some(group) => {
                group
                    .members
                    .iter()
                    .filter(|m| self.satisfied(m, cosigned))
                    .count()
                    >= group.threshold
            }
            None => cosigned.contains(name),
        }
    }

    fn witnesses_under(&self, name: &str, into: &mut BTreeSet<String>) {
        match self.groups.get(name) {
            Some(group) => group
                .members
                .iter()
                .for_each(|m| self.witnesses_under(m, into)),
            None => {
                into.insert(name.to_owned());
            }
        }
    }
}

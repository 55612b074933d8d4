//! A statistics export (统计导出): a report with, per office counted, the
//! signed checkpoint it was computed at and the key that signed it, so that
//! anyone can fetch those entries, check them against the checkpoints,
//! replay them ([`replay`]) and compute the report again ([`recheck`]),
//! which names every figure that differs and every office the export left
//! out of the subtree its charters define.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{Counted, GroupBy, Period, Query, Report, compute, level_name, office_name};
use crate::checkpoint::SignedCheckpoint;
use crate::merkle::Frontier;
use crate::rules::{Consultation, Date, Position};
use crate::{ChainHead, LogKey, VerifierKey, entry};

/// The format's name, first in every export.
pub const FORMAT: &str = "yiyi-stats/v1";

/// Whose ledgers a report counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// The office's own ledger.
    #[default]
    Own,
    /// The office's and every office's below it, by the charters.
    Subtree,
}

impl Scope {
    /// Parses `own` or `subtree`.
    pub fn parse(name: &str) -> Result<Scope, String> {
        match name {
            "own" => Ok(Scope::Own),
            "subtree" => Ok(Scope::Subtree),
            other => Err(format!("unknown scope {other:?}; one of own, subtree")),
        }
    }
}

/// An office counted, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountedOffice {
    /// Its log key (hex).
    pub log: String,
    /// Its name, as its profile says.
    pub name: String,
    /// Its level.
    pub level: String,
    /// The key that signs its ledger (C2SP verifier key): the office's own
    /// for the computing office, its charter's for the others.
    pub key: String,
    /// The signed checkpoint its figures were computed at.
    pub checkpoint: String,
}

/// An office the charters put in the subtree whose ledger was not held
/// under a checkpoint, so not counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotHeld {
    /// Its log key (hex).
    pub log: String,
    /// Its name, as its charter says.
    pub name: String,
}

/// A statistics export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    /// [`FORMAT`].
    pub format: String,
    /// The office that computed it (log key, hex): the subtree's root.
    pub office: String,
    /// Whose ledgers.
    pub scope: Scope,
    /// The first day counted, if any (YYYY-MM-DD).
    pub from: Option<String>,
    /// The last day counted, if any.
    pub to: Option<String>,
    /// The day overdue was judged on.
    pub on: String,
    /// The grouping of the rows.
    pub by: String,
    /// The offices counted, the computing office first.
    pub offices: Vec<CountedOffice>,
    /// Offices of the subtree not counted.
    pub not_held: Vec<NotHeld>,
    /// The figures.
    pub report: Report,
}

impl Export {
    /// The query the export answers, parsed back.
    pub fn query(&self) -> Result<Query, ExportError> {
        let day = |d: &Option<String>| -> Result<Option<Date>, ExportError> {
            d.as_deref()
                .map(|d| Date::parse(d).map_err(|e| ExportError::Format(e.to_string())))
                .transpose()
        };
        Ok(Query {
            period: Period {
                from: day(&self.from)?,
                to: day(&self.to)?,
            },
            by: GroupBy::parse(&self.by).map_err(ExportError::Format)?,
            on: Date::parse(&self.on).map_err(|e| ExportError::Format(e.to_string()))?,
        })
    }
}

/// Why an export or a ledger it names could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The export is not one.
    #[error("not a statistics export: {0}")]
    Format(String),
    /// A ledger's checkpoint or entries do not check out.
    #[error("the ledger of {office}: {reason}")]
    Ledger {
        /// The office's name.
        office: String,
        /// What failed.
        reason: String,
    },
}

/// One ledger held, at its checkpoint.
pub struct Held<'a> {
    /// Its state at the checkpoint.
    pub state: &'a Consultation,
    /// The checkpoint.
    pub checkpoint: &'a SignedCheckpoint,
}

/// The offices a report of `root` over `scope` counts, in order (the root
/// first, then by the charters, breadth first), and those the charters
/// name that `held` lacks. Revoked offices are left out.
pub fn offices_in_scope(
    root: LogKey,
    scope: Scope,
    held: &BTreeMap<LogKey, Held<'_>>,
) -> (Vec<LogKey>, Vec<NotHeld>) {
    let mut counted = vec![root];
    let mut missing = Vec::new();
    if scope == Scope::Own {
        return (counted, missing);
    }
    let mut seen: BTreeSet<LogKey> = BTreeSet::from([root]);
    let mut next = 0;
    while next < counted.len() {
        let parent = counted[next];
        next += 1;
        let Some(h) = held.get(&parent) else { continue };
        for (child, charter) in h.state.charters.iter().filter(|(_, c)| !c.revoked) {
            if !seen.insert(*child) {
                continue;
            }
            if held.contains_key(child) {
                counted.push(*child);
            } else {
                missing.push(NotHeld {
                    log: child.to_string(),
                    name: charter.name.clone(),
                });
            }
        }
    }
    (counted, missing)
}

/// Builds the export of `root` (whose ledger is signed by `root_key`) over
/// `scope` for `query`, from the ledgers `held`.
pub fn build(
    root_key: &VerifierKey,
    scope: Scope,
    query: &Query,
    held: &BTreeMap<LogKey, Held<'_>>,
) -> Export {
    let root = root_key.log_key();
    let (logs, not_held) = offices_in_scope(root, scope, held);
    let mut offices = Vec::new();
    let mut counted = Vec::new();
    for log in &logs {
        let Some(h) = held.get(log) else { continue };
        let key = if *log == root {
            root_key.to_string()
        } else {
            charter_key(log, held).unwrap_or_default()
        };
        offices.push(CountedOffice {
            log: log.to_string(),
            name: office_name(log, h.state),
            level: level_name(h.state).to_owned(),
            key,
            checkpoint: h.checkpoint.to_string(),
        });
        counted.push(Counted {
            log: *log,
            state: h.state,
        });
    }
    Export {
        format: FORMAT.to_owned(),
        office: root.to_string(),
        scope,
        from: query.period.from.map(|d| d.to_string()),
        to: query.period.to.map(|d| d.to_string()),
        on: query.on.to_string(),
        by: query.by.name().to_owned(),
        offices,
        not_held,
        report: compute(&counted, query),
    }
}

/// The key an office held is chartered with, by whichever held office
/// chartered it.
fn charter_key(log: &LogKey, held: &BTreeMap<LogKey, Held<'_>>) -> Option<String> {
    held.values()
        .find_map(|h| h.state.charters.get(log).filter(|c| !c.revoked))
        .map(|c| c.verifier_key.clone())
}

/// Checks one office's ledger as fetched — the checkpoint signed by `key`,
/// exactly its size in entries, each signed by `key`, chained, and their
/// Merkle root the checkpoint's — and replays it.
pub fn replay(
    office: &CountedOffice,
    entries: &[Vec<u8>],
) -> Result<(SignedCheckpoint, Consultation), ExportError> {
    let fail = |reason: String| ExportError::Ledger {
        office: office.name.clone(),
        reason,
    };
    let key = VerifierKey::parse(&office.key).map_err(|e| fail(format!("its key: {e}")))?;
    if key.log_key().to_string() != office.log {
        return Err(fail("its key is not its log's".into()));
    }
    let checkpoint = SignedCheckpoint::parse(&office.checkpoint)
        .map_err(|e| fail(format!("its checkpoint: {e}")))?;
    checkpoint
        .verify(&key)
        .map_err(|e| fail(format!("its checkpoint's signature: {e}")))?;
    if entries.len() as u64 != checkpoint.size() {
        return Err(fail(format!(
            "{} entries for a checkpoint of {}",
            entries.len(),
            checkpoint.size()
        )));
    }
    let mut head = ChainHead::default();
    let mut tree = Frontier::new();
    let mut state = Consultation::new();
    for bytes in entries {
        let verified = entry::verify(bytes).map_err(|e| fail(e.to_string()))?;
        if verified.author() != key.log_key().as_slice() {
            return Err(fail(format!("entry {} has another author", head.size)));
        }
        head.check_next(&verified)
            .map_err(|e| fail(e.to_string()))?;
        tree.append(verified.hash, |_, _, _| {});
        if let Some(body) = &verified.entry.body {
            let at = Position {
                sequence: head.size,
                hash: verified.hash,
                time_ms: verified.entry.time_ms,
            };
            state.apply(body, at);
        }
        head = head.advance(&verified);
    }
    if tree.root() != checkpoint.root() {
        return Err(fail(
            "its entries are not the tree its checkpoint signs".into(),
        ));
    }
    Ok((checkpoint, state))
}

/// A figure, or an office, where an export and the ledgers part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The figure's path (`totals.figures.resolved`,
    /// `rows[public-affairs].resolved`, `case_study.bodies`), or `offices`.
    pub figure: String,
    /// What the export says.
    pub exported: String,
    /// What the ledgers say.
    pub recomputed: String,
}

/// Computes `export` again from the ledgers replayed (by log key, at the
/// checkpoints the export names) and lists where they differ.
pub fn recheck(
    export: &Export,
    replayed: &BTreeMap<LogKey, (SignedCheckpoint, Consultation)>,
) -> Result<Vec<Difference>, ExportError> {
    if export.format != FORMAT {
        return Err(ExportError::Format(format!("format {:?}", export.format)));
    }
    let query = export.query()?;
    let root_office = export
        .offices
        .first()
        .filter(|o| o.log == export.office)
        .ok_or_else(|| ExportError::Format("the computing office is not counted first".into()))?;
    let root_key = VerifierKey::parse(&root_office.key)
        .map_err(|e| ExportError::Format(format!("the office's key: {e}")))?;
    let held: BTreeMap<LogKey, Held<'_>> = replayed
        .iter()
        .map(|(log, (checkpoint, state))| (*log, Held { state, checkpoint }))
        .collect();
    let again = build(&root_key, export.scope, &query, &held);
    let mut differences = Vec::new();
    let offices = |e: &Export| {
        let mut all: Vec<String> = e.offices.iter().map(|o| o.log.clone()).collect();
        all.extend(e.not_held.iter().map(|o| o.log.clone()));
        all.sort();
        all.join(",")
    };
    if offices(export) != offices(&again) {
        differences.push(Difference {
            figure: "offices".into(),
            exported: offices(export),
            recomputed: offices(&again),
        });
    }
    for (office, checked) in export.offices.iter().zip(&again.offices) {
        if office.key != checked.key && office.log == checked.log {
            differences.push(Difference {
                figure: format!("offices[{}].key", office.name),
                exported: office.key.clone(),
                recomputed: checked.key.clone(),
            });
        }
    }
    let (a, b) = (flatten(&export.report), flatten(&again.report));
    for figure in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
        let (x, y) = (a.get(figure), b.get(figure));
        if x != y {
            let show = |v: Option<&String>| v.cloned().unwrap_or_else(|| "—".into());
            differences.push(Difference {
                figure: figure.clone(),
                exported: show(x),
                recomputed: show(y),
            });
        }
    }
    Ok(differences)
}

/// Every figure of a report by its path.
fn flatten(report: &Report) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut put = |prefix: &str, value: serde_json::Value| {
        if let serde_json::Value::Object(fields) = value {
            for (name, v) in fields {
                out.insert(format!("{prefix}.{name}"), v.to_string());
            }
        }
    };
    for row in &report.rows {
        let key = match &row.log {
            Some(log) => format!("rows[{} {}]", row.key, &log[..log.len().min(8)]),
            None => format!("rows[{}]", row.key),
        };
        put(&key, serde_json::to_value(row.figures).unwrap_or_default());
    }
    let mut totals = serde_json::to_value(report.totals).unwrap_or_default();
    if let Some(figures) = totals.as_object_mut().and_then(|t| t.remove("figures")) {
        put("totals.figures", figures);
    }
    put("totals", totals);
    put(
        "case_study",
        serde_json::to_value(report.case_study).unwrap_or_default(),
    );
    out
}

//! Statistics (统计): the figures an office reports over its topics and
//! those of the offices below it — topics raised, accepted, resolved,
//! disputes mediated, items overdue — each defined once, here, over ledger
//! states. A node computes them from the ledgers it holds, each at the
//! checkpoint it verified; `yiyi stats --recompute` computes them again from
//! the same entries ([`export`]); the two agree by construction, and an
//! export that does not is caught figure by figure.
//!
//! Every figure counts events by the day (Asia/Shanghai) they were recorded
//! in the ledger, within the period; `open` and `overdue` are the backlog at
//! the checkpoint, overdue judged on the query's day. `docs/ACCOUNTABILITY.md`
//! lists each definition.

pub mod export;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::LogKey;
use crate::rules::{Consultation, Date, MatterStep, TopicState, names};

/// The days a query covers (both ends included); an open end is unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Period {
    /// The first day counted.
    pub from: Option<Date>,
    /// The last day counted.
    pub to: Option<Date>,
}

impl Period {
    /// Whether an event recorded at `time_ms` falls in the period.
    pub fn contains(&self, time_ms: i64) -> bool {
        let day = Date::in_shanghai(time_ms);
        self.from.is_none_or(|from| day >= from) && self.to.is_none_or(|to| day <= to)
    }

    /// Whether an event recorded at `time_ms`, if any, falls in the period.
    fn has(&self, time_ms: Option<i64>) -> bool {
        time_ms.is_some_and(|t| self.contains(t))
    }
}

/// How the rows of a report are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// One row per office (by its profile's name).
    #[default]
    Office,
    /// By the topic's category (three categories).
    Category,
    /// By the topic's catalogue sub-item (协商事项目录), `category/sub-item`.
    SubItem,
    /// By the topic's outcome class; `unclassified` before it has one.
    Class,
    /// By where the topic stands at the checkpoint (as the board says).
    Status,
    /// By the level of the office that holds the topic.
    Level,
}

/// The grouping names, as the API and the CLI take them.
const GROUPINGS: &[(&str, GroupBy)] = &[
    ("office", GroupBy::Office),
    ("category", GroupBy::Category),
    ("sub-item", GroupBy::SubItem),
    ("class", GroupBy::Class),
    ("status", GroupBy::Status),
    ("level", GroupBy::Level),
];

impl GroupBy {
    /// Parses a grouping's name; the error lists the choices.
    pub fn parse(name: &str) -> Result<GroupBy, String> {
        GROUPINGS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, g)| *g)
            .ok_or_else(|| {
                let all: Vec<_> = GROUPINGS.iter().map(|(n, _)| *n).collect();
                format!("unknown grouping {name:?}; one of {}", all.join(", "))
            })
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        GROUPINGS
            .iter()
            .find(|(_, g)| *g == self)
            .map_or("office", |(n, _)| n)
    }
}

/// What a report counts: the period, the grouping, and the day on which
/// items are judged overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query {
    /// The days counted.
    pub period: Period,
    /// The rows.
    pub by: GroupBy,
    /// The day overdue is judged on.
    pub on: Date,
}

/// The figures of one row (or of all rows together): counts of topics and
/// of what happened to them. Each is defined in `docs/ACCOUNTABILITY.md`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// Topics proposed (提出) in the period.
    pub raised: u64,
    /// Topics accepted for consultation (incl. disputes approved after
    /// mediation) in the period.
    pub accepted: u64,
    /// Topics declined as already regulated in the period.
    pub declined: u64,
    /// Topics referred to mediation as individual disputes in the period.
    pub referred: u64,
    /// Mediations that ended in the period, settled or not.
    pub mediated: u64,
    /// Of those, the ones that settled the dispute (调解成功).
    pub settled: u64,
    /// Outcomes recorded (分类) in the period.
    pub classified: u64,
    /// Suggestions first sent up to the office above in the period.
    pub escalated: u64,
    /// Topics carried out, here or above (办结), in the period.
    pub resolved: u64,
    /// Disputes resolved (化解矛盾) in the period: mediations that settled,
    /// and disputes consulted on and resolved.
    pub disputes_resolved: u64,
    /// Residents' evaluations (评议) recorded in the period.
    pub evaluated: u64,
    /// In those evaluations: the residents satisfied (满意).
    pub satisfied: u64,
    /// Basically satisfied (基本满意).
    pub basically_satisfied: u64,
    /// Dissatisfied (不满意).
    pub dissatisfied: u64,
    /// Topics still open at the checkpoint (the backlog, whatever the
    /// period).
    pub open: u64,
    /// Of those, the ones overdue on the query's day.
    pub overdue: u64,
}

impl Figures {
    /// Counts one topic of an office with time limits `limits`.
    fn count(&mut self, t: &TopicState, limits: &crate::rules::Deadlines, query: &Query) {
        let p = &query.period;
        let n = |yes: bool| u64::from(yes);
        self.raised += n(p.contains(t.proposed_ms));
        self.accepted += n(p.has(t.accepted_ms));
        self.declined += n(p.has(t.declined_ms));
        self.referred += n(p.has(t.referred_ms));
        let mediated = t.mediation.as_ref().filter(|(at, _)| p.contains(*at));
        self.mediated += n(mediated.is_some());
        let settled = mediated.is_some_and(|(_, m)| m.settled);
        self.settled += n(settled);
        self.classified += n(p.has(t.classified_ms));
        self.escalated += n(p.has(t.escalated_ms));
        let resolved = p.has(t.done_ms);
        self.resolved += n(resolved);
        self.disputes_resolved += n(settled || (resolved && t.referred_ms.is_some()));
        if let Some(e) = t.evaluation.as_ref().filter(|_| p.has(t.evaluated_ms)) {
            self.evaluated += 1;
            self.satisfied += u64::from(e.satisfied);
            self.basically_satisfied += u64::from(e.basically_satisfied);
            self.dissatisfied += u64::from(e.dissatisfied);
        }
        if t.is_open() {
            self.open += 1;
            self.overdue += n(t.overdue(query.on, limits).is_some());
        }
    }

    /// Adds `other` in.
    fn add(&mut self, other: &Figures) {
        let sum = |a: &mut u64, b: u64| *a += b;
        sum(&mut self.raised, other.raised);
        sum(&mut self.accepted, other.accepted);
        sum(&mut self.declined, other.declined);
        sum(&mut self.referred, other.referred);
        sum(&mut self.mediated, other.mediated);
        sum(&mut self.settled, other.settled);
        sum(&mut self.classified, other.classified);
        sum(&mut self.escalated, other.escalated);
        sum(&mut self.resolved, other.resolved);
        sum(&mut self.disputes_resolved, other.disputes_resolved);
        sum(&mut self.evaluated, other.evaluated);
        sum(&mut self.satisfied, other.satisfied);
        sum(&mut self.basically_satisfied, other.basically_satisfied);
        sum(&mut self.dissatisfied, other.dissatisfied);
        sum(&mut self.open, other.open);
        sum(&mut self.overdue, other.overdue);
    }
}

/// One row of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// The group: an office's name, a category, a sub-item, a class, a
    /// status or a level, by the query's grouping.
    pub key: String,
    /// For rows by office, the office's log key (hex): names may repeat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    /// Its figures.
    pub figures: Figures,
}

/// Figures over the whole scope, with what is counted per office rather
/// than per topic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Offices counted.
    pub offices: u64,
    /// Consultation bodies (协商议事机构): offices counted that have held a
    /// consultation meeting by the checkpoint.
    pub bodies: u64,
    /// Meetings recorded in the period.
    pub meetings: u64,
    /// Escalated matters received in the period (receipts signed by the
    /// offices counted).
    pub matters_received: u64,
    /// Matters taken in directly at a 12345 desk in the period.
    pub matters_taken_in: u64,
    /// Dispatches and re-dispatches to departments in the period.
    pub matters_dispatched: u64,
    /// Results recorded on matters in the period (each department's, or
    /// the office's own).
    pub matter_results: u64,
    /// The topic figures of every row together.
    pub figures: Figures,
}

/// The figures the case study reports (三、实践成效), read off the rest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseStudy {
    /// 协商议事机构: consultation bodies.
    pub bodies: u64,
    /// 协商解决公共事务: public-affairs topics resolved.
    pub public_affairs_resolved: u64,
    /// 民生实事: daily-life topics resolved that were not disputes.
    pub livelihood_resolved: u64,
    /// 突出矛盾: disputes resolved.
    pub disputes_resolved: u64,
    /// 各类事务: every topic resolved.
    pub all_resolved: u64,
}

/// A report: the rows, their totals and the case study's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The rows, by key.
    pub rows: Vec<Row>,
    /// Everything together.
    pub totals: Totals,
    /// The case study's figures.
    pub case_study: CaseStudy,
}

/// One office's ledger as counted: its log key and its state at the
/// checkpoint named for it.
#[derive(Debug, Clone, Copy)]
pub struct Counted<'a> {
    /// Its log key.
    pub log: LogKey,
    /// Its state.
    pub state: &'a Consultation,
}

/// The name an office goes by in a report: its profile's, else its log key.
pub fn office_name(log: &LogKey, state: &Consultation) -> String {
    match &state.profile {
        Some((_, p)) if !p.name.is_empty() => p.name.clone(),
        _ => log.to_string(),
    }
}

/// The name of an office's level in a report.
pub fn level_name(state: &Consultation) -> &'static str {
    names::level_name(state.level() as i32)
}

/// Counts topic `t` into the case study's per-category figures.
fn count_case_study(c: &mut CaseStudy, t: &TopicState, period: &Period) {
    if period.has(t.done_ms) {
        let category = t.topic.category;
        c.public_affairs_resolved +=
            u64::from(category == crate::proto::Category::PublicAffairs as i32);
        c.livelihood_resolved += u64::from(
            category == crate::proto::Category::DailyLife as i32 && t.referred_ms.is_none(),
        );
    }
}

/// Computes the report of `offices` for `query`.
pub fn compute(offices: &[Counted<'_>], query: &Query) -> Report {
    let mut rows: BTreeMap<(String, Option<String>), Figures> = BTreeMap::new();
    let mut report = Report::default();
    for office in offices {
        let state = office.state;
        report.totals.offices += 1;
        report.totals.bodies += u64::from(!state.meetings.is_empty());
        report.totals.meetings += state
            .meetings
            .values()
            .filter(|m| query.period.contains(m.recorded_ms))
            .count() as u64;
        for (at, step) in &state.matter_steps {
            if !query.period.contains(*at) {
                continue;
            }
            let t = &mut report.totals;
            match step {
                MatterStep::Received => t.matters_received += 1,
                MatterStep::TakenIn => t.matters_taken_in += 1,
                MatterStep::Dispatched => t.matters_dispatched += 1,
                MatterStep::Result => t.matter_results += 1,
            }
        }
        let limits = state.limits();
        // Every office has its row, topics or not; its key made once.
        let own_row = (query.by == GroupBy::Office).then(|| {
            (
                office_name(&office.log, state),
                Some(office.log.to_string()),
            )
        });
        let mut own_figures = Figures::default();
        for t in state.topics.values() {
            let key = match query.by {
                GroupBy::Office => {
                    own_figures.count(t, &limits, query);
                    count_case_study(&mut report.case_study, t, &query.period);
                    continue;
                }
                GroupBy::Category => (names::category_name(t.topic.category).to_owned(), None),
                GroupBy::SubItem => (
                    format!(
                        "{}/{}",
                        names::category_name(t.topic.category),
                        t.topic.sub_item
                    ),
                    None,
                ),
                GroupBy::Class => (
                    t.outcome
                        .as_ref()
                        .map_or("unclassified", |o| names::outcome_class_name(o.class))
                        .to_owned(),
                    None,
                ),
                GroupBy::Status => (t.public_status().to_owned(), None),
                GroupBy::Level => (level_name(state).to_owned(), None),
            };
            rows.entry(key).or_default().count(t, &limits, query);
            count_case_study(&mut report.case_study, t, &query.period);
        }
        if let Some(key) = own_row {
            rows.entry(key).or_default().add(&own_figures);
        }
    }
    for ((key, log), figures) in rows {
        report.totals.figures.add(&figures);
        report.rows.push(Row { key, log, figures });
    }
    let c = &mut report.case_study;
    c.bodies = report.totals.bodies;
    c.disputes_resolved = report.totals.figures.disputes_resolved;
    c.all_resolved = report.totals.figures.resolved;
    report
}

/// A statistics query as asked (the API's query string, the CLI's flags),
/// before it is checked: `scope`, `from`, `to`, `by`, `on`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asked {
    /// `own` (the default) or `subtree`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The first day counted (YYYY-MM-DD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The last day counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The grouping (`office` by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The day overdue is judged on: by default the period's last day if
    /// it is past, else `today`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<String>,
}

impl Asked {
    /// Checks the query, `today` being the day it is asked; the error says
    /// which parameter is wrong and why.
    pub fn parse(&self, today: Date) -> Result<(export::Scope, Query), String> {
        let day = |name: &str, d: &Option<String>| -> Result<Option<Date>, String> {
            d.as_deref()
                .filter(|d| !d.is_empty())
                .map(|d| Date::parse(d).map_err(|e| format!("{name}: {e}")))
                .transpose()
        };
        let period = Period {
            from: day("from", &self.from)?,
            to: day("to", &self.to)?,
        };
        if let (Some(from), Some(to)) = (period.from, period.to)
            && from > to
        {
            return Err(format!("from: {from} is after to: {to}"));
        }
        let scope = match self.scope.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => export::Scope::parse(s).map_err(|e| format!("scope: {e}"))?,
            None => export::Scope::Own,
        };
        let by = match self.by.as_deref().filter(|s| !s.is_empty()) {
            Some(b) => GroupBy::parse(b).map_err(|e| format!("by: {e}"))?,
            None => GroupBy::Office,
        };
        let on = match day("on", &self.on)? {
            Some(on) => on,
            None => period.to.map_or(today, |to| to.min(today)),
        };
        Ok((scope, Query { period, by, on }))
    }
}

//! The board's list of notices, a page at a time (issue 20): every notice
//! of every ledger held, newest first, filtered and searched by the node so
//! that a district board of ten thousand notices sends a phone fifty. The
//! choices the filters offer (offices, kinds, categories, classes,
//! statuses) are computed over everything held, whatever page is shown.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};
use yiyi_protocol::proto::Notice;
use yiyi_protocol::rules::{Date, names};

use crate::api::state::ApiState;
use crate::store::{LogKey, StoreError};

/// Notices on a page unless asked otherwise.
pub(super) const PER_PAGE: usize = 50;
/// Most notices on one page.
pub(super) const MAX_PER_PAGE: usize = 1000;

/// A notice as the board lists it, with what the filters ask of its topic.
pub(super) struct Listed {
    pub(super) log: LogKey,
    pub(super) sequence: u64,
    pub(super) hash: String,
    pub(super) time_ms: i64,
    /// Its date in Asia/Shanghai (`YYYY-MM-DD`).
    pub(super) date: String,
    pub(super) notice: Notice,
    /// Its topic's category, outcome class and status, if it has a topic.
    pub(super) category: Option<&'static str>,
    pub(super) class: Option<&'static str>,
    pub(super) status: Option<&'static str>,
}

/// The notices of every ledger held, newest first.
pub(super) fn listed(state: &ApiState) -> Result<Vec<Listed>, StoreError> {
    let mut all = state.courses.with(state.office.store(), |logs| {
        let mut all = Vec::new();
        for (log, replayed) in logs {
            for (at, notice) in replayed.state.notices.values() {
                let topic = replayed.state.topics.get(&notice.topic_id);
                all.push(Listed {
                    log: *log,
                    sequence: at.sequence,
                    hash: at.hash.to_hex(),
                    time_ms: at.time_ms,
                    date: Date::in_shanghai(at.time_ms).to_string(),
                    notice: notice.clone(),
                    category: topic.map(|t| names::category_name(t.topic.category)),
                    class: topic
                        .and_then(|t| t.outcome.as_ref())
                        .map(|o| names::outcome_class_name(o.class)),
                    status: topic.map(|t| t.public_status()),
                });
            }
        }
        all
    })?;
    all.sort_by(|a, b| b.time_ms.cmp(&a.time_ms).then_with(|| a.hash.cmp(&b.hash)));
    Ok(all)
}

/// What a resident asked of the list: a page, the filters, a search.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BoardQuery {
    /// From 1.
    page: Option<usize>,
    per: Option<usize>,
    /// Words in the title or the text, or the start of a hash.
    q: Option<String>,
    /// An office's log (hex).
    office: Option<String>,
    kind: Option<i32>,
    category: Option<String>,
    class: Option<String>,
    status: Option<String>,
    /// Dates, `YYYY-MM-DD`, inclusive.
    from: Option<String>,
    to: Option<String>,
    /// One notice by its hash.
    hash: Option<String>,
    /// The day overdue tags are judged on, `YYYY-MM-DD` (default today).
    on: Option<String>,
}

/// One page of the notices that match.
pub(super) struct Page<'a> {
    pub(super) notices: Vec<&'a Listed>,
    /// How many match in all.
    pub(super) total: usize,
    pub(super) page: usize,
    pub(super) per: usize,
}

impl BoardQuery {
    /// The day overdue tags are judged on: `on`, else today; `None`: `on`
    /// is not a date.
    pub(super) fn day(&self, today: Date) -> Option<Date> {
        match &self.on {
            None => Some(today),
            Some(text) => Date::parse(text).ok(),
        }
    }

    fn matches(&self, n: &Listed) -> bool {
        let is = |wanted: &Option<String>, value: Option<&str>| {
            wanted
                .as_deref()
                .filter(|w| !w.is_empty())
                .is_none_or(|w| value == Some(w))
        };
        let q = self.q.as_deref().map(str::trim).unwrap_or_default();
        (q.is_empty()
            || n.notice.title.contains(q)
            || n.notice.body.contains(q)
            || (q.len() >= 8 && n.hash.starts_with(&q.to_lowercase())))
            && is(&self.office, Some(&n.log.to_string()))
            && self.kind.is_none_or(|k| k == 0 || k == n.notice.kind)
            && is(&self.category, n.category)
            && is(&self.class, n.class)
            && is(&self.status, n.status)
            && self
                .from
                .as_deref()
                .is_none_or(|f| f.is_empty() || n.date.as_str() >= f)
            && self
                .to
                .as_deref()
                .is_none_or(|t| t.is_empty() || n.date.as_str() <= t)
            && is(&self.hash, Some(&n.hash))
    }

    /// The page asked for of the notices in `all` that match.
    pub(super) fn page<'a>(&self, all: &'a [Listed]) -> Page<'a> {
        let per = self.per.unwrap_or(PER_PAGE).clamp(1, MAX_PER_PAGE);
        let matching: Vec<&Listed> = all.iter().filter(|n| self.matches(n)).collect();
        let total = matching.len();
        let pages = total.div_ceil(per).max(1);
        let page = self.page.unwrap_or(1).clamp(1, pages);
        Page {
            notices: matching
                .into_iter()
                .skip((page - 1) * per)
                .take(per)
                .collect(),
            total,
            page,
            per,
        }
    }
}

/// What each filter can choose among, over every notice held.
pub(super) fn choices(state: &ApiState, all: &[Listed]) -> Value {
    let mut offices: BTreeMap<LogKey, usize> = BTreeMap::new();
    let (mut kinds, mut categories, mut classes, mut statuses) = (
        BTreeMap::new(),
        BTreeMap::new(),
        BTreeMap::new(),
        BTreeMap::new(),
    );
    for n in all {
        *offices.entry(n.log).or_default() += 1;
        *kinds.entry(n.notice.kind).or_insert(0usize) += 1;
        for (map, value) in [
            (&mut categories, n.category),
            (&mut classes, n.class),
            (&mut statuses, n.status),
        ] {
            if let Some(value) = value {
                *map.entry(value).or_insert(0usize) += 1;
            }
        }
    }
    json!({
        "offices": offices
            .iter()
            .map(|(log, count)| json!({"log": log.to_string(), "name": state.office.name_of(log), "count": count}))
            .collect::<Vec<_>>(),
        "kinds": kinds,
        "categories": categories,
        "classes": classes,
        "statuses": statuses,
    })
}

//! Statistics (统计) the offices report: counts by category, outcome class,
//! level and status, and the median days from proposal to completion.
//! Computed from the ledger's state alone, so anyone holding the ledger (or a
//! replica) at the same checkpoint gets the same figures.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use yiyi_protocol::rules::{Consultation, names};

/// The statistics of a consultation state.
pub fn compute(state: &Consultation) -> Value {
    let mut by_category: BTreeMap<&str, u64> = BTreeMap::new();
    let mut by_status: BTreeMap<&str, u64> = BTreeMap::new();
    let mut by_class: BTreeMap<&str, u64> = BTreeMap::new();
    let mut by_level: BTreeMap<&str, u64> = BTreeMap::new();
    let mut days_to_done = Vec::new();
    for topic in state.topics.values() {
        *by_category
            .entry(names::category_name(topic.topic.category))
            .or_default() += 1;
        *by_status.entry(topic.status.name()).or_default() += 1;
        if let Some(outcome) = &topic.outcome {
            *by_class
                .entry(names::outcome_class_name(outcome.class))
                .or_default() += 1;
        }
        if let Some(level) = topic.meeting.as_ref().and_then(|m| state.meetings.get(m)) {
            *by_level
                .entry(names::meeting_level_name(level.meeting.level))
                .or_default() += 1;
        }
        if let Some(done) = topic.done_ms {
            days_to_done.push((done - topic.proposed_ms) as f64 / 86_400_000.0);
        }
    }
    days_to_done.sort_by(f64::total_cmp);
    let median = match days_to_done.len() {
        0 => None,
        n if n % 2 == 1 => Some(days_to_done[n / 2]),
        n => Some((days_to_done[n / 2 - 1] + days_to_done[n / 2]) / 2.0),
    };
    json!({
        "topics": state.topics.len(),
        "by_category": by_category,
        "by_outcome_class": by_class,
        "by_meeting_level": by_level,
        "by_status": by_status,
        "median_days_to_completion": median.map(|d| (d * 100.0).round() / 100.0),
        "meetings": state.meetings.len(),
        "notices": state.notices.len(),
    })
}

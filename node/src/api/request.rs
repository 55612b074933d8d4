//! The office's actions as the API takes them (JSON), and how each becomes a
//! ledger record. Private data in a request (who raised a topic, the sign-in
//! sheet, a dispute's details) goes to the private store here, and only its
//! commitment reaches the record.

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use yiyi_protocol::proto::{self, entry::Body, gate_decision::Verdict};
use yiyi_protocol::rules::{Date, names};

use super::error::ApiError;
use crate::office::Office;

/// One office action. The `action` field names it.
#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub(super) enum Action {
    /// Add or update a body on the participant list.
    Participant {
        id: String,
        kind: String,
        name: String,
        #[serde(default)]
        withdrawn: bool,
    },
    /// Admit, revoke or re-key a child office (章程).
    Charter {
        /// admit, revoke or rotate
        charter: String,
        /// The child's verifier key.
        key: String,
        #[serde(default)]
        name: String,
        #[serde(default)]
        level: String,
        #[serde(default)]
        origin: String,
        #[serde(default)]
        new_key: String,
        #[serde(default)]
        addresses: Vec<String>,
        #[serde(default)]
        reason: String,
    },
    /// Add (or withdraw) a sub-item of the topic catalogue.
    Catalogue {
        category: String,
        item: String,
        #[serde(default)]
        withdrawn: bool,
    },
    /// Take in a topic.
    Topic {
        id: String,
        title: String,
        #[serde(default)]
        summary: String,
        category: String,
        #[serde(default)]
        sub_item: String,
        scale: String,
        source: String,
        /// Who raised it: kept private.
        #[serde(default)]
        raised_by: Option<Value>,
        #[serde(default)]
        reopens: String,
    },
    /// Gate-keeping: accept.
    Accept { topic: String },
    /// Gate-keeping: decline as already regulated.
    Decline {
        topic: String,
        citation: String,
        explanation: String,
        #[serde(default)]
        notice_text: String,
    },
    /// Gate-keeping: refer as an individual dispute.
    Refer {
        topic: String,
        mediator: String,
        /// The dispute's details: kept private.
        #[serde(default)]
        details: Option<Value>,
    },
    /// The party organisation approves a referred dispute for consultation.
    Approve { topic: String, approval: String },
    /// Schedule a meeting.
    Meeting {
        id: String,
        topics: Vec<String>,
        #[serde(default)]
        level: Option<String>,
        form: String,
        /// YYYY-MM-DD; by default the next 11th (today for urgent matters).
        #[serde(default)]
        date: Option<String>,
        #[serde(default)]
        participants: Vec<String>,
        #[serde(default)]
        place: String,
        #[serde(default)]
        procedure: String,
        /// For a cross-community meeting: the communities taking part
        /// (verifier keys or hex log keys).
        #[serde(default)]
        communities: Vec<String>,
    },
    /// Record one of the seven steps.
    Step {
        meeting: String,
        step: String,
        #[serde(default)]
        summary: String,
        /// The sign-in sheet (names, phones): kept private.
        #[serde(default)]
        attendees: Option<Vec<Value>>,
        #[serde(default)]
        result: String,
        #[serde(default)]
        notice_text: String,
    },
    /// Classify a topic's outcome.
    Outcome {
        topic: String,
        meeting: String,
        class: String,
        #[serde(default)]
        responsible_party: String,
        #[serde(default)]
        measures: String,
        #[serde(default)]
        deadline: String,
        #[serde(default)]
        notice_period_days: u32,
        #[serde(default)]
        explanation: String,
        #[serde(default)]
        proposed_solution: String,
        #[serde(default)]
        supervisors: Vec<String>,
        #[serde(default)]
        spends_money: bool,
    },
    /// Report progress (or completion).
    Progress {
        topic: String,
        text: String,
        #[serde(default)]
        completed: bool,
        #[serde(default)]
        notice_text: String,
    },
    /// Record supervisors and oversight bodies.
    Supervise {
        topic: String,
        #[serde(default)]
        supervisors: Vec<String>,
        #[serde(default)]
        oversight_bodies: Vec<String>,
        #[serde(default)]
        note: String,
    },
    /// A follow-up visit.
    Followup {
        topic: String,
        summary: String,
        #[serde(default)]
        households_visited: u32,
    },
    /// Send a suggestion up to the parent office (上报).
    Escalate {
        topic: String,
        /// urgent, important or normal.
        #[serde(default)]
        priority: Option<String>,
    },
    /// The addressee's decision on an escalated matter: accept, return (with
    /// a reason) or forward to its own parent.
    Decide {
        matter: String,
        decision: String,
        #[serde(default)]
        reason: String,
        /// YYYY-MM-DD: after it, an open matter shows as overdue.
        #[serde(default)]
        deadline: String,
    },
    /// Add (or withdraw) a department in the district's directory.
    Department {
        id: String,
        name: String,
        #[serde(default)]
        handles: Vec<String>,
        #[serde(default)]
        withdrawn: bool,
    },
    /// Dispatch a forwarded matter to one department, or to a coordination
    /// group of several.
    Dispatch {
        matter: String,
        departments: Vec<String>,
        #[serde(default)]
        priority: Option<String>,
    },
    /// Record the result a department (or the street itself) reports.
    Resolve {
        matter: String,
        result: String,
        #[serde(default)]
        department: String,
    },
    /// The residents' evaluation.
    Evaluate {
        topic: String,
        satisfied: u32,
        basically_satisfied: u32,
        dissatisfied: u32,
    },
}

fn named(parsed: Result<i32, names::UnknownName>) -> Result<i32, ApiError> {
    parsed.map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad-name", e.to_string()))
}

fn gate(topic: String, verdict: Verdict) -> proto::GateDecision {
    proto::GateDecision {
        topic_id: topic,
        verdict: verdict as i32,
        ..Default::default()
    }
}

impl Action {
    /// The record this action writes, and the text the office adds to its
    /// notices. Private data is kept here and replaced by its commitment.
    pub(super) async fn into_record(
        self,
        office: &Office,
        own_level: &str,
    ) -> Result<(Body, String), ApiError> {
        let private =
            |kind: &str, subject: &str, data: Option<Value>| -> Result<Vec<u8>, ApiError> {
                match data {
                    Some(data) if !data.is_null() => Ok(office.keep_private(kind, subject, data)?),
                    _ => Ok(Vec::new()),
                }
            };
        let mut notice_text = String::new();
        let body = match self {
            Action::Participant {
                id,
                kind,
                name,
                withdrawn,
            } => Body::Participant(proto::Participant {
                id,
                kind: named(names::participant_kind(&kind))?,
                name,
                withdrawn,
            }),
            Action::Charter {
                charter,
                key,
                name,
                level,
                origin,
                new_key,
                addresses,
                reason,
            } => {
                let action = named(names::charter_action(&charter))?;
                let level = if level.is_empty() {
                    0
                } else {
                    named(names::level(&level))?
                };
                // A district admits streets, a street its communities.
                let below = match own_level {
                    "district" => proto::Level::Street as i32,
                    "street" => proto::Level::Community as i32,
                    _ => 0,
                };
                if action == proto::charter::Action::Admit as i32 && level != below {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "rule",
                        format!(
                            "a {own_level} office cannot admit a {} office: a district admits streets, a street its communities",
                            names::level_name(level)
                        ),
                    ));
                }
                Body::Charter(proto::Charter {
                    action,
                    verifier_key: key,
                    name,
                    level,
                    origin,
                    new_verifier_key: new_key,
                    addresses,
                    reason,
                })
            }
            Action::Catalogue {
                category,
                item,
                withdrawn,
            } => Body::CatalogueItem(proto::CatalogueItem {
                category: named(names::category(&category))?,
                name: item,
                withdrawn,
            }),
            Action::Topic {
                id,
                title,
                summary,
                category,
                sub_item,
                scale,
                source,
                raised_by,
                reopens,
            } => {
                let raised_by_commitment = private("topic-raiser", &id, raised_by)?;
                Body::Topic(proto::Topic {
                    category: named(names::category(&category))?,
                    scale: named(names::scale(&scale))?,
                    source: named(names::source(&source))?,
                    id,
                    title,
                    summary,
                    sub_item,
                    raised_by_commitment,
                    reopens,
                })
            }
            Action::Accept { topic } => Body::GateDecision(gate(topic, Verdict::Accept)),
            Action::Decline {
                topic,
                citation,
                explanation,
                notice_text: text,
            } => {
                notice_text = text;
                Body::GateDecision(proto::GateDecision {
                    citation,
                    explanation,
                    ..gate(topic, Verdict::DeclineRegulated)
                })
            }
            Action::Refer {
                topic,
                mediator,
                details,
            } => {
                let details_commitment = private("dispute-details", &topic, details)?;
                Body::GateDecision(proto::GateDecision {
                    mediator,
                    details_commitment,
                    ..gate(topic, Verdict::IndividualDispute)
                })
            }
            Action::Approve { topic, approval } => Body::GateDecision(proto::GateDecision {
                approval_reference: approval,
                ..gate(topic, Verdict::DisputeApproved)
            }),
            Action::Meeting {
                id,
                topics,
                level,
                form,
                date,
                participants,
                place,
                procedure,
                communities,
            } => {
                let communities = communities
                    .iter()
                    .map(|c| {
                        crate::parse_log_key(c).map(|k| k.to_vec()).map_err(|e| {
                            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad-key", e)
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let date = match date {
                    Some(date) => date,
                    None => {
                        let today = Date::in_shanghai(crate::now_ms());
                        let urgent = office
                            .read(|s| {
                                topics.iter().any(|t| {
                                    s.topics.get(t).is_some_and(|t| {
                                        t.topic.scale == proto::Scale::Urgent as i32
                                    })
                                })
                            })
                            .await;
                        if urgent {
                            today
                        } else {
                            today.next_regular_consultation()
                        }
                        .to_string()
                    }
                };
                Body::Meeting(proto::Meeting {
                    id,
                    topic_ids: topics,
                    level: named(names::meeting_level(
                        level.as_deref().unwrap_or("community"),
                    ))?,
                    form: named(names::form(&form))?,
                    date,
                    participant_ids: participants,
                    place,
                    procedure,
                    communities,
                })
            }
            Action::Step {
                meeting,
                step,
                summary,
                attendees,
                result,
                notice_text: text,
            } => {
                notice_text = text;
                let attendee_count = attendees.as_ref().map_or(0, Vec::len) as u32;
                let attendees_commitment =
                    private("sign-in-sheet", &meeting, attendees.map(Value::Array))?;
                Body::MeetingStep(proto::MeetingStep {
                    step: named(names::step(&step))?,
                    meeting_id: meeting,
                    summary,
                    attendee_count,
                    attendees_commitment,
                    result,
                })
            }
            Action::Outcome {
                topic,
                meeting,
                class,
                responsible_party,
                measures,
                deadline,
                notice_period_days,
                explanation,
                proposed_solution,
                supervisors,
                spends_money,
            } => Body::Outcome(proto::Outcome {
                topic_id: topic,
                meeting_id: meeting,
                class: named(names::outcome_class(&class))?,
                responsible_party,
                measures,
                deadline,
                notice_period_days,
                explanation,
                proposed_solution,
                supervisors,
                spends_money,
            }),
            Action::Progress {
                topic,
                text,
                completed,
                notice_text: extra,
            } => {
                notice_text = extra;
                Body::Progress(proto::Progress {
                    topic_id: topic,
                    text,
                    completed,
                })
            }
            Action::Supervise {
                topic,
                supervisors,
                oversight_bodies,
                note,
            } => Body::Supervision(proto::Supervision {
                topic_id: topic,
                supervisors,
                oversight_bodies,
                note,
            }),
            Action::Followup {
                topic,
                summary,
                households_visited,
            } => Body::FollowUp(proto::FollowUp {
                topic_id: topic,
                summary,
                households_visited,
            }),
            Action::Escalate { topic, priority } => {
                let parent = office
                    .parent()
                    .ok_or(crate::office::OfficeError::NoParent)?;
                let priority = match priority {
                    Some(p) => named(names::priority(&p))?,
                    None => proto::escalation::Priority::Normal as i32,
                };
                let (result, proposed_solution) = office
                    .read(|s| {
                        let t = s.topics.get(&topic)?;
                        let outcome = t.outcome.as_ref()?;
                        let result = s
                            .meetings
                            .get(&outcome.meeting_id)
                            .and_then(|m| {
                                m.steps.iter().find(|st| {
                                    st.step == proto::meeting_step::Step::FormResult as i32
                                })
                            })
                            .map(|st| st.result.clone())
                            .filter(|r| !r.trim().is_empty())
                            .unwrap_or_else(|| t.topic.title.clone());
                        Some((result, outcome.proposed_solution.clone()))
                    })
                    .await
                    .unwrap_or_default();
                // Ids are the office's own; prefixing the origin's last part
                // keeps them apart at the street and the district.
                let origin = office.store().own_origin();
                let short = origin.rsplit('/').next().unwrap_or(origin);
                Body::Escalation(proto::Escalation {
                    id: format!("{short}/{topic}"),
                    topic_id: topic,
                    result,
                    proposed_solution,
                    to: parent.to_vec(),
                    forwards: None,
                    decision: None,
                    priority,
                })
            }
            Action::Decide {
                matter,
                decision,
                reason,
                deadline,
            } => {
                if !deadline.is_empty() {
                    Date::parse(&deadline).map_err(|e| {
                        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "rule", e.to_string())
                    })?;
                }
                Body::Decision(proto::Decision {
                    escalation: Some(matter_ref(office, &matter)?),
                    verdict: named(names::verdict(&decision))?,
                    reason,
                    deadline,
                })
            }
            Action::Department {
                id,
                name,
                handles,
                withdrawn,
            } => {
                if own_level != "district" {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "rule",
                        format!(
                            "the department directory is the district's; this is a {own_level} office"
                        ),
                    ));
                }
                Body::Department(proto::Department {
                    id,
                    name,
                    handles,
                    withdrawn,
                })
            }
            Action::Dispatch {
                matter,
                departments,
                priority,
            } => Body::Dispatch(proto::Dispatch {
                escalation: Some(matter_ref(office, &matter)?),
                coordination_group: departments.len() > 1,
                department_ids: departments,
                priority: match priority {
                    Some(p) => named(names::priority(&p))?,
                    None => 0,
                },
            }),
            Action::Resolve {
                matter,
                result,
                department,
            } => Body::Resolution(proto::Resolution {
                escalation: Some(matter_ref(office, &matter)?),
                result,
                department_id: department,
            }),
            Action::Evaluate {
                topic,
                satisfied,
                basically_satisfied,
                dissatisfied,
            } => Body::Evaluation(proto::Evaluation {
                topic_id: topic,
                satisfied,
                basically_satisfied,
                dissatisfied,
            }),
        };
        Ok((body, notice_text))
    }
}

/// The escalation entry a matter's id (hash, hash prefix or escalation id)
/// names, among the matters addressed to this office.
fn matter_ref(office: &Office, query: &str) -> Result<proto::EntryRef, ApiError> {
    let own = office.store().own_log();
    office.matters().with(|m| {
        let matter = m
            .find(query, Some(&own))
            .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, "no-matter", e.to_string()))?;
        Ok(proto::EntryRef {
            log: matter.from.to_vec(),
            sequence: matter.steps[0].at.sequence,
            hash: matter.id.0.to_vec(),
        })
    })
}

/// The id a response names: the record's own, or the topic's or meeting's
/// it belongs to.
pub(super) fn record_id(body: &Body) -> String {
    match body {
        Body::Participant(p) => p.id.clone(),
        Body::Topic(t) => t.id.clone(),
        Body::GateDecision(g) => g.topic_id.clone(),
        Body::Meeting(m) => m.id.clone(),
        Body::MeetingStep(s) => s.meeting_id.clone(),
        Body::Outcome(o) => o.topic_id.clone(),
        Body::Progress(p) => p.topic_id.clone(),
        Body::FollowUp(f) => f.topic_id.clone(),
        Body::Evaluation(e) => e.topic_id.clone(),
        Body::Supervision(s) => s.topic_id.clone(),
        Body::CatalogueItem(c) => c.name.clone(),
        Body::Charter(c) => c.verifier_key.clone(),
        Body::Escalation(e) => e.id.clone(),
        Body::Department(d) => d.id.clone(),
        Body::Decision(proto::Decision { escalation, .. })
        | Body::Dispatch(proto::Dispatch { escalation, .. })
        | Body::Resolution(proto::Resolution { escalation, .. }) => escalation
            .as_ref()
            .map(|r| hex::encode(&r.hash))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

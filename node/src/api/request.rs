//! The office's actions as the API takes them (JSON), and how each becomes a
//! ledger record. Private data in a request (who raised a topic, the sign-in
//! sheet, a dispute's details) goes to the private store here, and only its
//! commitment reaches the record.

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use yiyi_protocol::proto::{self, entry::Body, gate_decision::Verdict};
use yiyi_protocol::rules::{Date, names};

use super::ApiError;
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
            } => {
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
        _ => String::new(),
    }
}

//! The office's actions (办事): how each [`Action`] of the HTTP contract
//! becomes the ledger record it writes, through [`Office::record`] like
//! every write. The names in an action are parsed here, once; what the
//! office composes from its state (a meeting's default date, an escalation)
//! the rules compose ([`yiyi_protocol::rules`]); private data in an action
//! (who raised a topic, the sign-in sheet, a dispute's details) goes to the
//! private store here, and only its commitment reaches the record.

use serde_json::Value;
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::escalation::MatterError;
use yiyi_protocol::proto::{self, entry::Body, gate_decision::Verdict};
use yiyi_protocol::rules::{Date, DateError, names};

use crate::office::{Office, OfficeError, Recorded};
use crate::store::LogKey;

/// Why an action was not recorded; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// A name that is not one of its table's (the error lists them).
    #[error(transparent)]
    Name(#[from] names::UnknownName),
    /// A community named by something that is not a key.
    #[error(transparent)]
    Key(#[from] yiyi_protocol::keys::NotALogKey),
    /// The matter named is not one addressed to this office.
    #[error(transparent)]
    NoMatter(MatterError),
    /// A date that is not `YYYY-MM-DD`.
    #[error(transparent)]
    Date(#[from] DateError),
    /// The office refused it (the rules), or could not write it.
    #[error(transparent)]
    Office(#[from] OfficeError),
}

/// Records `action`: the record it writes and the notices it publishes.
pub async fn act(office: &Office, action: Action) -> Result<Recorded, ActionError> {
    let (body, notice_text) = into_record(office, action).await?;
    Ok(office.record(body, &notice_text).await?)
}

fn gate(topic: String, verdict: Verdict) -> proto::GateDecision {
    proto::GateDecision {
        topic_id: topic,
        verdict: verdict as i32,
        ..Default::default()
    }
}

/// The record `action` writes, and the text the office adds to its
/// notices. Private data is kept here and replaced by its commitment.
async fn into_record(office: &Office, action: Action) -> Result<(Body, String), ActionError> {
    let private =
        |kind: &str, subject: &str, data: Option<Value>| -> Result<Vec<u8>, ActionError> {
            match data {
                Some(data) if !data.is_null() => Ok(office.keep_private(kind, subject, data)?),
                _ => Ok(Vec::new()),
            }
        };
    let mut notice_text = String::new();
    let body = match action {
        Action::Participant(api::Participant {
            id,
            kind,
            name,
            withdrawn,
        }) => Body::Participant(proto::Participant {
            id,
            kind: names::participant_kind(&kind)?,
            name,
            withdrawn,
        }),
        Action::Charter(api::Charter {
            charter,
            key,
            name,
            level,
            origin,
            new_key,
            addresses,
            reason,
        }) => {
            let action = names::charter_action(&charter)?;
            let level = if level.is_empty() {
                0
            } else {
                names::level(&level)?
            };
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
        Action::Catalogue(api::Catalogue {
            category,
            item,
            withdrawn,
        }) => Body::CatalogueItem(proto::CatalogueItem {
            category: names::category(&category)?,
            name: item,
            withdrawn,
        }),
        Action::Topic(api::Topic {
            id,
            title,
            summary,
            category,
            sub_item,
            scale,
            source,
            raised_by,
            reopens,
        }) => {
            let raised_by_commitment = private("topic-raiser", &id, raised_by)?;
            Body::Topic(proto::Topic {
                category: names::category(&category)?,
                scale: names::scale(&scale)?,
                source: names::source(&source)?,
                id,
                title,
                summary,
                sub_item,
                raised_by_commitment,
                reopens,
            })
        }
        Action::Accept(api::Accept { topic }) => Body::GateDecision(gate(topic, Verdict::Accept)),
        Action::Decline(api::Decline {
            topic,
            citation,
            explanation,
            notice_text: text,
        }) => {
            notice_text = text;
            Body::GateDecision(proto::GateDecision {
                citation,
                explanation,
                ..gate(topic, Verdict::DeclineRegulated)
            })
        }
        Action::Refer(api::Refer {
            topic,
            mediator,
            details,
        }) => {
            let details_commitment = private("dispute-details", &topic, details)?;
            Body::GateDecision(proto::GateDecision {
                mediator,
                details_commitment,
                ..gate(topic, Verdict::IndividualDispute)
            })
        }
        Action::Approve(api::Approve { topic, approval }) => {
            Body::GateDecision(proto::GateDecision {
                approval_reference: approval,
                ..gate(topic, Verdict::DisputeApproved)
            })
        }
        Action::Meeting(api::Meeting {
            id,
            topics,
            level,
            form,
            date,
            participants,
            place,
            procedure,
            communities,
        }) => {
            let communities = communities
                .iter()
                .map(|c| Ok(c.parse::<LogKey>()?.to_vec()))
                .collect::<Result<Vec<_>, ActionError>>()?;
            let date = match date {
                Some(date) => date,
                None => {
                    let today = Date::in_shanghai(crate::now_ms());
                    office
                        .read(|s| s.default_meeting_date(&topics, today))
                        .await
                        .to_string()
                }
            };
            Body::Meeting(proto::Meeting {
                id,
                topic_ids: topics,
                level: names::meeting_level(level.as_deref().unwrap_or("community"))?,
                form: names::form(&form)?,
                date,
                participant_ids: participants,
                place,
                procedure,
                communities,
            })
        }
        Action::Step(api::Step {
            meeting,
            step,
            summary,
            attendees,
            result,
            notice_text: text,
        }) => {
            notice_text = text;
            let attendee_count = attendees.as_ref().map_or(0, Vec::len) as u32;
            let attendees_commitment =
                private("sign-in-sheet", &meeting, attendees.map(Value::Array))?;
            Body::MeetingStep(proto::MeetingStep {
                step: names::step(&step)?,
                meeting_id: meeting,
                summary,
                attendee_count,
                attendees_commitment,
                result,
            })
        }
        Action::Outcome(api::Outcome {
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
        }) => Body::Outcome(proto::Outcome {
            topic_id: topic,
            meeting_id: meeting,
            class: names::outcome_class(&class)?,
            responsible_party,
            measures,
            deadline,
            notice_period_days,
            explanation,
            proposed_solution,
            supervisors,
            spends_money,
        }),
        Action::Progress(api::Progress {
            topic,
            text,
            completed,
            notice_text: extra,
        }) => {
            notice_text = extra;
            Body::Progress(proto::Progress {
                topic_id: topic,
                text,
                completed,
            })
        }
        Action::Supervise(api::Supervise {
            topic,
            supervisors,
            oversight_bodies,
            note,
        }) => Body::Supervision(proto::Supervision {
            topic_id: topic,
            supervisors,
            oversight_bodies,
            note,
        }),
        Action::Followup(api::Followup {
            topic,
            summary,
            households_visited,
        }) => Body::FollowUp(proto::FollowUp {
            topic_id: topic,
            summary,
            households_visited,
        }),
        Action::Escalate(api::Escalate { topic, priority }) => {
            let parent = office.parent().ok_or(OfficeError::NoParent)?;
            let priority = match priority {
                Some(p) => names::priority(&p)?,
                None => proto::escalation::Priority::Normal as i32,
            };
            let origin = office.store().own_origin();
            Body::Escalation(
                office
                    .read(|s| s.escalation(&topic, origin, &parent, priority))
                    .await,
            )
        }
        Action::Decide(api::Decide {
            matter,
            decision,
            reason,
            deadline,
        }) => {
            if !deadline.is_empty() {
                Date::parse(&deadline)?;
            }
            Body::Decision(proto::Decision {
                escalation: Some(matter_ref(office, &matter)?),
                verdict: names::verdict(&decision)?,
                reason,
                deadline,
            })
        }
        Action::Department(api::Department {
            id,
            name,
            handles,
            withdrawn,
        }) => Body::Department(proto::Department {
            id,
            name,
            handles,
            withdrawn,
        }),
        Action::Dispatch(api::Dispatch {
            matter,
            departments,
            priority,
        }) => Body::Dispatch(proto::Dispatch {
            escalation: Some(matter_ref(office, &matter)?),
            coordination_group: departments.len() > 1,
            department_ids: departments,
            priority: match priority {
                Some(p) => names::priority(&p)?,
                None => 0,
            },
        }),
        Action::Resolve(api::Resolve {
            matter,
            result,
            department,
        }) => Body::Resolution(proto::Resolution {
            escalation: Some(matter_ref(office, &matter)?),
            result,
            department_id: department,
        }),
        Action::Evaluate(api::Evaluate {
            topic,
            satisfied,
            basically_satisfied,
            dissatisfied,
        }) => Body::Evaluation(proto::Evaluation {
            topic_id: topic,
            satisfied,
            basically_satisfied,
            dissatisfied,
        }),
    };
    Ok((body, notice_text))
}

/// The escalation entry a matter's id (hash, hash prefix or escalation id)
/// names, among the matters addressed to this office.
fn matter_ref(office: &Office, query: &str) -> Result<proto::EntryRef, ActionError> {
    let own = office.store().own_log();
    office.matters().with(|m| {
        let matter = m.find(query, Some(&own)).map_err(ActionError::NoMatter)?;
        Ok(matter.steps[0].at.entry_ref(&matter.from))
    })
}

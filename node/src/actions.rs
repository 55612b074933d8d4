//! The office's actions (办事): how each [`Action`] of the HTTP contract
//! becomes the ledger record it writes, through [`Office::record`] like
//! every write. The names in an action are parsed here, once; what the
//! office composes from its state (a meeting's default date, an escalation)
//! the rules compose ([`yiyi_protocol::rules`]); private data in an action
//! (who raised a topic, the sign-in sheet, a dispute's details) goes to the
//! private store here, and only its commitment reaches the record.

use serde_json::Value;
use yiyi_protocol::api::Action;
use yiyi_protocol::escalation::MatterError;
use yiyi_protocol::proto::{self, entry::Body, gate_decision::Verdict};
use yiyi_protocol::rules::{Date, DateError, names};

use crate::escalation::DeskError;
use crate::office::{Office, OfficeError, Recorded};
use crate::store::LogKey;

mod joint;

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
/// An action that writes two records (a topic and the member who proposed
/// it; an assignment accepted as a topic and the answer) writes both or
/// neither, and answers with the last.
pub async fn act(office: &Office, action: Action) -> Result<Recorded, ActionError> {
    let (mut bodies, notice_text) = into_records(office, action).await?;
    if bodies.len() == 1 {
        return Ok(office.record(bodies.remove(0), &notice_text).await?);
    }
    let mut recorded = office.record_all(bodies).await?;
    Ok(recorded.pop().expect("two records"))
}

/// The notices `action` would publish, as residents would read them,
/// refused as [`act`] would refuse it; nothing is written. Only the actions
/// that publish a notice are previewed (a decline, a meeting's
/// publish-result, progress or completion): none of them carries private
/// data, so nothing is kept either.
pub async fn preview(office: &Office, action: Action) -> Result<Vec<proto::Notice>, ActionError> {
    match &action {
        Action::Decline(_) | Action::Progress(_) | Action::Correct(_) => {}
        Action::Step(s) if s.attendees.is_none() => {}
        _ => return Ok(Vec::new()),
    }
    let (mut bodies, notice_text) = into_records(office, action).await?;
    Ok(office.preview(bodies.remove(0), &notice_text).await?)
}

fn gate(topic: String, verdict: Verdict) -> proto::GateDecision {
    proto::GateDecision {
        topic_id: topic,
        verdict: verdict as i32,
        ..Default::default()
    }
}

/// The records `action` writes, and the text the office adds to its
/// notices. Private data is kept here and replaced by its commitment.
async fn into_records(office: &Office, action: Action) -> Result<(Vec<Body>, String), ActionError> {
    let private =
        |kind: &str, subject: &str, data: Option<Value>| -> Result<Vec<u8>, ActionError> {
            match data {
                Some(data) if !data.is_null() => Ok(office.keep_private(kind, subject, data)?),
                _ => Ok(Vec::new()),
            }
        };
    let mut notice_text = String::new();
    let body = match action {
        Action::Profile(p) => Body::OfficeProfile(office.profile_with(p).await),
        Action::Participant(p) => Body::Participant(proto::Participant {
            id: p.id,
            kind: names::participant_kind(&p.kind)?,
            name: p.name,
            withdrawn: p.withdrawn,
        }),
        Action::Charter(c) => {
            let action = names::charter_action(&c.charter)?;
            let level = if c.level.is_empty() {
                0
            } else {
                names::level(&c.level)?
            };
            let charter = proto::Charter {
                action,
                verifier_key: c.key,
                name: c.name,
                level,
                origin: c.origin,
                new_verifier_key: c.new_key,
                addresses: c.addresses,
                reason: c.reason,
            };
            // A city's charters are of the city's own kind (see ledger.proto).
            if office.level() == proto::Level::City {
                Body::CityCharter(proto::CityCharter {
                    charter: Some(charter),
                })
            } else {
                Body::Charter(charter)
            }
        }
        Action::Catalogue(c) => Body::CatalogueItem(proto::CatalogueItem {
            category: names::category(&c.category)?,
            name: c.item,
            withdrawn: c.withdrawn,
        }),
        Action::Assign(a) => joint::assign(office, a).await?,
        Action::Reply(r) => return Ok((joint::reply(office, r).await?, String::new())),
        Action::Member(m) => joint::member(m)?,
        Action::Study(s) => joint::study(s),
        Action::Intake(i) => {
            let raised_by_commitment = private("direct-matter-raiser", &i.id, i.raised_by)?;
            let priority = match i.priority {
                Some(p) => names::priority(&p)?,
                None => proto::escalation::Priority::Normal as i32,
            };
            Body::DirectMatter(proto::DirectMatter {
                category: names::category(&i.category)?,
                source: names::intake_source(&i.source)?,
                id: i.id,
                title: i.title,
                summary: i.summary,
                priority,
                raised_by_commitment,
            })
        }
        Action::Coordinate(c) => {
            let date = match c.date.filter(|d| !d.is_empty()) {
                Some(date) => Date::parse(&date)?.to_string(),
                None => Date::in_shanghai(crate::now_ms()).to_string(),
            };
            Body::CoordinationMeeting(proto::CoordinationMeeting {
                escalation: Some(matter_ref(office, &c.matter)?),
                date,
                department_ids: c.departments,
                conclusion: c.conclusion,
            })
        }
        Action::Oversee(o) => Body::Oversight(proto::Oversight {
            phase: names::phase(&o.phase)?,
            supervisors: o
                .supervisors
                .into_iter()
                .map(|s| {
                    Ok(proto::oversight::Supervisor {
                        kind: names::supervisor_kind(&s.kind)?,
                        name: s.name,
                    })
                })
                .collect::<Result<_, ActionError>>()?,
            bodies: o
                .bodies
                .iter()
                .map(|b| names::oversight_body(b))
                .collect::<Result<_, _>>()?,
            topic_id: o.topic,
            note: o.note,
        }),
        Action::Designate(d) => Body::Designation(proto::Designation {
            duty: names::duty(&d.duty)?,
            subject: d.topic,
            role: d.role,
            office: if d.office.trim().is_empty() {
                office
                    .profile()
                    .await
                    .map(|(_, p)| p.name)
                    .unwrap_or_default()
            } else {
                d.office
            },
        }),
        Action::Brief(b) => {
            let mut files = Vec::new();
            for f in b.files {
                let unknown = || {
                    OfficeError::from(yiyi_protocol::rules::RuleError::Unknown {
                        kind: "file kept on this node",
                        id: f.sha256.clone(),
                    })
                };
                let sha: [u8; 32] = hex::decode(f.sha256.trim())
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(unknown)?;
                let (media_type, bytes) = office
                    .store()
                    .file(&sha)
                    .map_err(OfficeError::from)?
                    .ok_or_else(unknown)?;
                files.push(proto::briefing::File {
                    name: f.name,
                    sha256: sha.to_vec(),
                    size: bytes.len() as u64,
                    media_type,
                });
            }
            Body::Briefing(proto::Briefing {
                meeting_id: b.meeting,
                files,
            })
        }
        Action::Correct(c) => {
            let hash = yiyi_protocol::Hash::from_hex(c.notice.trim()).map_err(|_| {
                OfficeError::from(yiyi_protocol::rules::RuleError::Unknown {
                    kind: "notice",
                    id: c.notice.clone(),
                })
            })?;
            let own = office.store().own_log();
            let old = office.read(|s| s.notices.get(&hash).cloned()).await;
            let (at, old) = old.ok_or_else(|| {
                OfficeError::from(yiyi_protocol::rules::RuleError::Unknown {
                    kind: "notice",
                    id: c.notice.clone(),
                })
            })?;
            Body::Notice(
                yiyi_protocol::rules::notices::correction(
                    &own,
                    &at,
                    &old,
                    c.title.as_deref(),
                    &c.body,
                    &c.reason,
                )
                .map_err(OfficeError::from)?,
            )
        }
        Action::Redispatch(r) => Body::Redispatch(proto::Redispatch {
            escalation: Some(matter_ref(office, &r.matter)?),
            department_id: r.department,
            reason: r.reason,
            to_department_ids: r.to,
        }),
        Action::Topic(t) => {
            let raised_by_commitment = private("topic-raiser", &t.id, t.raised_by)?;
            let proposal = t.member.filter(|m| !m.is_empty()).map(|member| {
                Body::MemberProposal(proto::MemberProposal {
                    topic_id: t.id.clone(),
                    member_id: member,
                })
            });
            let topic = Body::Topic(proto::Topic {
                category: names::category(&t.category)?,
                scale: names::scale(&t.scale)?,
                source: names::source(&t.source)?,
                id: t.id,
                title: t.title,
                summary: t.summary,
                sub_item: t.sub_item,
                raised_by_commitment,
                reopens: t.reopens,
            });
            match proposal {
                // Proposed by a standing member: both, or neither.
                Some(proposal) => return Ok((vec![topic, proposal], notice_text)),
                None => topic,
            }
        }
        Action::Accept(a) => Body::GateDecision(gate(a.topic, Verdict::Accept)),
        Action::Decline(d) => {
            notice_text = d.notice_text;
            Body::GateDecision(proto::GateDecision {
                citation: d.citation,
                explanation: d.explanation,
                ..gate(d.topic, Verdict::DeclineRegulated)
            })
        }
        Action::Refer(r) => {
            let details_commitment = private("dispute-details", &r.topic, r.details)?;
            Body::GateDecision(proto::GateDecision {
                mediator: r.mediator,
                details_commitment,
                ..gate(r.topic, Verdict::IndividualDispute)
            })
        }
        Action::Mediate(m) => {
            let summary_commitment = private("mediation-summary", &m.topic, m.summary)?;
            Body::Mediation(proto::Mediation {
                topic_id: m.topic,
                settled: m.settled,
                mediator: m.mediator,
                summary_commitment,
            })
        }
        Action::Approve(a) => Body::GateDecision(proto::GateDecision {
            approval_reference: a.approval,
            ..gate(a.topic, Verdict::DisputeApproved)
        }),
        Action::Meeting(m) => {
            let communities = m
                .communities
                .iter()
                .map(|c| Ok(c.parse::<LogKey>()?.to_vec()))
                .collect::<Result<Vec<_>, ActionError>>()?;
            let date = match m.date {
                Some(date) => date,
                None => {
                    let today = Date::in_shanghai(crate::now_ms());
                    office
                        .read(|s| s.default_meeting_date(&m.topics, today))
                        .await
                        .to_string()
                }
            };
            if !m.policies.trim().is_empty() {
                notice_text = format!("政策宣讲：{}", m.policies.trim());
            }
            Body::Meeting(proto::Meeting {
                id: m.id,
                topic_ids: m.topics,
                level: names::meeting_level(m.level.as_deref().unwrap_or("community"))?,
                form: names::form(&m.form)?,
                date,
                participant_ids: m.participants,
                place: m.place,
                procedure: m.procedure,
                communities,
            })
        }
        Action::Step(s) => {
            notice_text = s.notice_text;
            let attendee_count = s.attendees.as_ref().map_or(0, Vec::len) as u32;
            let attendees_commitment =
                private("sign-in-sheet", &s.meeting, s.attendees.map(Value::Array))?;
            Body::MeetingStep(proto::MeetingStep {
                step: names::step(&s.step)?,
                meeting_id: s.meeting,
                summary: s.summary,
                attendee_count,
                attendees_commitment,
                result: s.result,
            })
        }
        Action::Outcome(o) => Body::Outcome(proto::Outcome {
            topic_id: o.topic,
            meeting_id: o.meeting,
            class: names::outcome_class(&o.class)?,
            responsible_party: o.responsible_party,
            measures: o.measures,
            deadline: o.deadline,
            notice_period_days: o.notice_period_days,
            explanation: o.explanation,
            proposed_solution: o.proposed_solution,
            supervisors: o.supervisors,
            spends_money: o.spends_money,
        }),
        Action::Progress(p) => {
            notice_text = p.notice_text;
            Body::Progress(proto::Progress {
                topic_id: p.topic,
                text: p.text,
                completed: p.completed,
            })
        }
        Action::Supervise(s) => Body::Supervision(proto::Supervision {
            topic_id: s.topic,
            supervisors: s.supervisors,
            oversight_bodies: s.oversight_bodies,
            note: s.note,
        }),
        Action::Followup(f) => Body::FollowUp(proto::FollowUp {
            topic_id: f.topic,
            summary: f.summary,
            households_visited: f.households_visited,
        }),
        Action::Escalate(e) => {
            let parent = office
                .parent()
                .ok_or(OfficeError::Desk(DeskError::NoParent))?;
            let priority = match e.priority {
                Some(p) => names::priority(&p)?,
                None => proto::escalation::Priority::Normal as i32,
            };
            let origin = office.store().own_origin();
            Body::Escalation(
                office
                    .read(|s| s.escalation(&e.topic, origin, &parent, priority))
                    .await,
            )
        }
        Action::Decide(d) => {
            if !d.deadline.is_empty() {
                Date::parse(&d.deadline)?;
            }
            Body::Decision(proto::Decision {
                escalation: Some(matter_ref(office, &d.matter)?),
                verdict: names::verdict(&d.decision)?,
                reason: d.reason,
                deadline: d.deadline,
            })
        }
        Action::Department(d) => Body::Department(proto::Department {
            id: d.id,
            name: d.name,
            handles: d.handles,
            withdrawn: d.withdrawn,
        }),
        Action::Dispatch(d) => Body::Dispatch(proto::Dispatch {
            escalation: Some(matter_ref(office, &d.matter)?),
            coordination_group: d.departments.len() > 1,
            department_ids: d.departments,
            priority: match d.priority {
                Some(p) => names::priority(&p)?,
                None => 0,
            },
        }),
        Action::Resolve(r) => Body::Resolution(proto::Resolution {
            escalation: Some(matter_ref(office, &r.matter)?),
            result: r.result,
            department_id: r.department,
        }),
        Action::Evaluate(e) => Body::Evaluation(proto::Evaluation {
            topic_id: e.topic,
            satisfied: e.satisfied,
            basically_satisfied: e.basically_satisfied,
            dissatisfied: e.dissatisfied,
        }),
    };
    Ok((vec![body], notice_text))
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

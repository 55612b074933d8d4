//! Public notices (公示) written from the records, in Chinese.
//!
//! Every published result, decline explanation, shelving explanation,
//! progress report and completion gets a notice generated from what the
//! ledger already says, so that what residents read cannot drift from what
//! was decided. The office may add its own text, which follows the generated
//! text.

use crate::proto::{self, entry::Body, meeting::Form, notice::Kind, outcome::Class};
use crate::proto::{gate_decision::Verdict, meeting_step::Step};

use super::{Consultation, MeetingState, Position, RoundState, TopicState};

/// The notices `body` publishes, composed from `state` once `body` is
/// applied to it: a decline's explanation, a meeting's results at
/// publish-result, a progress report or completion. One function for the
/// office that writes them and the console that shows them before they are
/// signed.
pub fn published(
    state: &Consultation,
    body: &Body,
    extra: &str,
    sources: Vec<proto::EntryRef>,
) -> Vec<proto::Notice> {
    match body {
        Body::GateDecision(g) if g.verdict == Verdict::DeclineRegulated as i32 => state
            .topics
            .get(&g.topic_id)
            .map(|t| decline(t, g, extra, sources))
            .into_iter()
            .collect(),
        Body::MeetingStep(s) if s.step == Step::PublishResult as i32 => {
            let Some(meeting) = state.meetings.get(&s.meeting_id) else {
                return Vec::new();
            };
            meeting
                .meeting
                .topic_ids
                .iter()
                .filter_map(|t| state.topics.get(t))
                .filter_map(|t| {
                    // The result cites the tallies of the rounds that
                    // gathered residents' views on it.
                    let rounds: Vec<&RoundState> = state
                        .tallied_rounds(&meeting.meeting.id, &t.topic.id)
                        .collect();
                    let mut sources = sources.clone();
                    if let Some(log) = sources.first().map(|s| s.log.clone()) {
                        sources.extend(rounds.iter().filter_map(|r| {
                            r.tally.as_ref().map(|(at, _)| proto::EntryRef {
                                log: log.clone(),
                                sequence: at.sequence,
                                hash: at.hash.0.to_vec(),
                            })
                        }));
                    }
                    result(t, meeting, &rounds, extra, sources)
                })
                .collect()
        }
        Body::Meeting(m) => vec![announcement(state, m, extra, sources)],
        Body::Tally(t) => tally(state, t, extra, sources).into_iter().collect(),
        Body::Progress(p) => state
            .topics
            .get(&p.topic_id)
            .map(|t| progress(t, p, extra, sources))
            .into_iter()
            .collect(),
        Body::Assignment(a) => vec![assignment(state, a, extra, sources)],
        Body::AssignmentReply(r) => vec![reply(r, extra, sources)],
        _ => Vec::new(),
    }
}

/// A topic put on the agenda of an office below (交办议题), made public by
/// the office that assigns it.
pub fn assignment(
    state: &Consultation,
    a: &proto::Assignment,
    extra: &str,
    sources: Vec<proto::EntryRef>,
) -> proto::Notice {
    let to = super::joint::assigned_to(a)
        .and_then(|log| state.charters.get(&log))
        .map_or("下级机构", |c| c.name.as_str());
    let mut body = format!("现将议题“{}”交{to}列入协商议题。", a.title);
    if !a.summary.trim().is_empty() {
        body.push_str(&format!("\n情况：{}", a.summary.trim()));
    }
    if !a.reply_by.is_empty() {
        body.push_str(&format!("\n请于{}前答复是否列入。", a.reply_by));
    }
    plain(
        Kind::Other,
        format!("交办议题：{}", a.title),
        String::new(),
        body,
        extra,
        sources,
    )
}

/// The answer to an assignment: accepted as a topic, or declined with the
/// reason; made public by the office that answers.
pub fn reply(
    r: &proto::AssignmentReply,
    extra: &str,
    sources: Vec<proto::EntryRef>,
) -> proto::Notice {
    let body = if r.accepted {
        format!(
            "上级交办的议题“{}”已列入本机构协商议题（编号 {}），将按程序协商办理。",
            r.title, r.topic_id
        )
    } else {
        format!(
            "经研究，上级交办的议题“{}”不列入本机构协商议题。\n理由：{}",
            r.title,
            r.reason.trim()
        )
    };
    let topic = if r.accepted {
        r.topic_id.clone()
    } else {
        String::new()
    };
    plain(
        Kind::Other,
        format!("关于交办议题“{}”的答复", r.title),
        topic,
        body,
        extra,
        sources,
    )
}

/// A notice of `kind` about `topic_id` (or none), with the office's added
/// text at its end.
fn plain(
    kind: Kind,
    title: String,
    topic_id: String,
    mut body: String,
    extra: &str,
    sources: Vec<proto::EntryRef>,
) -> proto::Notice {
    if !extra.trim().is_empty() {
        body.push_str("\n\n");
        body.push_str(extra.trim());
    }
    proto::Notice {
        kind: kind as i32,
        topic_id,
        title,
        body,
        sources,
        lang: "zh-CN".into(),
        supersedes: None,
    }
}

fn notice(
    kind: Kind,
    topic: &TopicState,
    title: String,
    body: String,
    extra: &str,
    sources: Vec<proto::EntryRef>,
) -> proto::Notice {
    plain(kind, title, topic.topic.id.clone(), body, extra, sources)
}

/// A meeting form's name in Chinese, as notices and calendars say it.
pub fn form_zh(form: i32) -> &'static str {
    match Form::try_from(form) {
        Ok(Form::Card) => "卡片协商",
        Ok(Form::Online) => "网上微协商",
        _ => "协商会议",
    }
}

/// The explanation of a topic declined as already regulated.
pub fn decline(
    topic: &TopicState,
    decision: &proto::GateDecision,
    extra: &str,
    sources: Vec<proto::EntryRef>,
) -> proto::Notice {
    let title = format!("关于“{}”不予协商的说明", topic.topic.title);
    let body = format!(
        "经社区党组织议题把关，“{}”已有明确规定，不再另行协商。\n依据：{}\n说明：{}",
        topic.topic.title, decision.citation, decision.explanation
    );
    notice(Kind::Decline, topic, title, body, extra, sources)
}

/// The result of a topic, published at the meeting's `publish-result` step;
/// for a shelved topic, the explanation of why it is shelved.
pub fn result(
    topic: &TopicState,
    meeting: &MeetingState,
    rounds: &[&RoundState],
    extra: &str,
    sources: Vec<proto::EntryRef>,
) -> Option<proto::Notice> {
    let outcome = topic.outcome.as_ref()?;
    let result = meeting
        .steps
        .iter()
        .find(|s| s.step == proto::meeting_step::Step::FormResult as i32)
        .map(|s| s.result.as_str())
        .unwrap_or_default();
    let title = &topic.topic.title;
    let held = format!(
        "{}，社区以{}方式对“{}”进行了协商。\n协商结果：{}",
        meeting.meeting.date,
        form_zh(meeting.meeting.form),
        title,
        result
    );
    let (kind, heading, class_text) = match Class::try_from(outcome.class).ok()? {
        Class::Immediate => (
            Kind::Result,
            format!("关于“{title}”的协商结果公示"),
            format!(
                "分类：即办件，由{}负责立即办理。",
                outcome.responsible_party
            ),
        ),
        Class::Promised => (
            Kind::Result,
            format!("关于“{title}”的协商结果公示"),
            format!(
                "分类：承诺件。\n责任方：{}\n办理措施：{}\n办结时限：{}\n办理期间每{}天公示一次进展，逾期未公示或未办结的将公开显示为逾期。",
                outcome.responsible_party,
                outcome.measures,
                outcome.deadline,
                outcome.notice_period_days
            ),
        ),
        Class::Shelved => (
            Kind::Shelved,
            format!("关于“{title}”暂时搁置的说明"),
            format!(
                "分类：搁置件。该事项涉及面广、分歧较大，经多次协商仍难以达成一致，暂时搁置。\n说明：{}\n条件成熟时可重新提起协商。",
                outcome.explanation
            ),
        ),
        Class::Suggestion => (
            Kind::Result,
            format!("关于“{title}”的协商结果公示"),
            format!(
                "分类：建议件。该事项超出社区职责权限，解决建议：{}\n社区党组织将提交上一级党组织，问题解决后及时公示。",
                outcome.proposed_solution
            ),
        ),
        Class::Unspecified => return None,
    };
    let mut body = format!("{held}\n{class_text}");
    // The record of the meeting: the rules read, the views expressed, the
    // policy materials presented (by name and SHA-256, to be checked).
    let said = |step: proto::meeting_step::Step| {
        meeting
            .steps
            .iter()
            .find(|s| s.step == step as i32)
            .map(|s| s.summary.trim())
            .filter(|s| !s.is_empty())
    };
    if let Some(rules) = said(proto::meeting_step::Step::ReadRules) {
        body.push_str(&format!("\n宣读规则：{rules}"));
    }
    if let Some(views) = said(proto::meeting_step::Step::Discuss) {
        body.push_str(&format!("\n各方意见：{views}"));
    }
    for f in &meeting.briefing {
        body.push_str(&format!(
            "\n政策宣讲材料：{}（SHA-256 {}）",
            f.name,
            hex::encode(&f.sha256)
        ));
    }
    for round in rounds {
        if let Some((_, t)) = &round.tally {
            body.push_str(&format!(
                "\n{}征询“{}”：{}",
                form_zh(meeting.meeting.form),
                round.round.question,
                counts_zh(round, t)
            ));
        }
    }
    if !outcome.supervisors.is_empty() {
        body.push_str(&format!("\n监督人：{}", outcome.supervisors.join("、")));
    }
    if outcome.spends_money {
        body.push_str("\n本事项涉及资金使用，纪检、财务、审计等监督机构将参与监督。");
    }
    Some(notice(kind, topic, heading, body, extra, sources))
}

/// A progress report, or the completion of an item.
pub fn progress(
    topic: &TopicState,
    report: &proto::Progress,
    extra: &str,
    sources: Vec<proto::EntryRef>,
) -> proto::Notice {
    let title = &topic.topic.title;
    if report.completed {
        notice(
            Kind::Completion,
            topic,
            format!("“{title}”办结公示"),
            format!("“{title}”已办结：{}\n欢迎居民参加回访和评议。", report.text),
            extra,
            sources,
        )
    } else {
        let deadline = topic
            .outcome
            .as_ref()
            .map(|o| o.deadline.as_str())
            .unwrap_or_default();
        let mut body = format!("“{title}”办理进展：{}", report.text);
        if !deadline.is_empty() {
            body.push_str(&format!("\n办结时限：{deadline}"));
        }
        notice(
            Kind::Progress,
            topic,
            format!("“{title}”办理进展公示"),
            body,
            extra,
            sources,
        )
    }
}

/// The resolution of an escalated suggestion, published where it started
/// once the resolution has come back down. `resolutions` are who resolved
/// it (the street, or each of the district's departments) and what they
/// report.
pub fn resolution(
    topic: &TopicState,
    resolutions: &[(String, String)],
    sources: Vec<proto::EntryRef>,
) -> proto::Notice {
    let title = &topic.topic.title;
    let handled_by = resolutions
        .iter()
        .map(|(by, _)| by.as_str())
        .collect::<Vec<_>>()
        .join("、");
    // One department's result as it is; a coordination group's, each
    // after its department.
    let result = match resolutions {
        [(_, result)] => result.clone(),
        _ => resolutions
            .iter()
            .map(|(by, result)| format!("{by}：{result}"))
            .collect::<Vec<_>>()
            .join("；"),
    };
    notice(
        Kind::Resolution,
        topic,
        format!("关于“{title}”建议事项的办理结果公示"),
        format!(
            "社区协商形成的建议件“{title}”已提交上级办理。\n办理单位：{handled_by}\n办理结果：{result}\n欢迎居民参加回访和评议。"
        ),
        "",
        sources,
    )
}

/// An escalated suggestion sent back, with the reason, published where it
/// started; the community consults on it again.
pub fn returned(
    topic: &TopicState,
    reason: &str,
    returned_by: &str,
    sources: Vec<proto::EntryRef>,
) -> proto::Notice {
    let title = &topic.topic.title;
    notice(
        Kind::Returned,
        topic,
        format!("关于“{title}”建议事项退回的说明"),
        format!(
            "社区协商形成的建议件“{title}”已由{returned_by}退回。\n退回理由：{reason}\n社区将根据退回意见重新组织协商。"
        ),
        "",
        sources,
    )
}

/// A cross-community consultation the street convened, noticed in each
/// community that takes part.
pub fn joint_consultation(
    meeting: &proto::Meeting,
    street: &str,
    topics: &[String],
    sources: Vec<proto::EntryRef>,
) -> proto::Notice {
    let mut body = format!(
        "{street}定于{}以{}方式召开跨社区协商会议，本社区参加。\n议题：{}",
        meeting.date,
        form_zh(meeting.form),
        topics.join("；"),
    );
    if !meeting.place.trim().is_empty() {
        body.push_str(&format!("\n地点：{}", meeting.place));
    }
    body.push_str(&format!("\n协商程序：{}", meeting.procedure));
    proto::Notice {
        kind: Kind::JointConsultation as i32,
        topic_id: String::new(),
        title: format!("{street}跨社区协商会议通知"),
        body,
        sources,
        lang: "zh-CN".into(),
        supersedes: None,
    }
}

/// A meeting announced ahead (议前公示): its day, form, place and agenda,
/// so that residents can come, or give their views before it; `extra` is
/// what the office adds (the policies to be explained, 政策宣讲).
pub fn announcement(
    state: &Consultation,
    meeting: &proto::Meeting,
    extra: &str,
    sources: Vec<proto::EntryRef>,
) -> proto::Notice {
    let form = form_zh(meeting.form);
    let mut body = format!(
        "社区定于{}以{form}方式协商以下议题，欢迎居民参加或提前反映意见：",
        meeting.date
    );
    for (i, id) in meeting.topic_ids.iter().enumerate() {
        let title = state.topics.get(id).map_or(id.as_str(), |t| &t.topic.title);
        body.push_str(&format!("\n{}. {title}", i + 1));
    }
    if !meeting.place.trim().is_empty() {
        body.push_str(&format!("\n地点：{}", meeting.place.trim()));
    }
    if !extra.trim().is_empty() {
        body.push_str(&format!("\n{}", extra.trim()));
    }
    proto::Notice {
        kind: Kind::Other as i32,
        topic_id: match meeting.topic_ids.as_slice() {
            [only] => only.clone(),
            _ => String::new(),
        },
        title: format!("议前公示：{} {form}", meeting.date),
        body,
        sources,
        lang: "zh-CN".into(),
        supersedes: None,
    }
}

/// A round's counts in words: `同意 9，不同意 4，弃权 2` after the codes
/// issued and the ballots received.
pub fn counts_zh(round: &RoundState, tally: &proto::Tally) -> String {
    let counts: Vec<String> = round
        .round
        .options
        .iter()
        .zip(&tally.counts)
        .map(|(option, n)| format!("{option} {n}"))
        .collect();
    format!(
        "发放参与码 {} 个，收到 {} 份：{}",
        round.round.codes_issued,
        tally.ballots,
        counts.join("，")
    )
}

/// A round's tally (计票公示): its counts, and how each resident checks her
/// receipt; an evaluation's is the residents' evaluation of the topic.
pub fn tally(
    state: &Consultation,
    t: &proto::Tally,
    extra: &str,
    sources: Vec<proto::EntryRef>,
) -> Option<proto::Notice> {
    let round = state.rounds.get(&t.round_id)?;
    let topic = state.topics.get(&round.round.topic_id)?;
    let title = &topic.topic.title;
    let evaluation = round.purpose() == proto::round::Purpose::Evaluation;
    let (heading, opening) = if evaluation {
        (
            format!("关于“{title}”的居民评议结果公示"),
            format!("居民凭参与码对“{title}”的办理情况进行了评议。"),
        )
    } else {
        let form = state
            .meetings
            .get(&round.round.meeting_id)
            .map_or("网上微协商", |m| form_zh(m.meeting.form));
        (
            format!("关于“{title}”的{form}计票公示"),
            format!("{form}征询：{}", round.round.question),
        )
    };
    let mut body = format!("{opening}\n{}", counts_zh(round, t));
    if t.comments > 0 {
        body.push_str(&format!(
            "\n居民留言 {} 条，由社区归纳后纳入协商记录。",
            t.comments
        ));
    }
    if !t.early_reason.trim().is_empty() {
        body.push_str(&format!("\n提前结束征询：{}", t.early_reason.trim()));
    }
    body.push_str(&format!(
        "\n每位参与的居民可凭回执在公示栏（/r/{}）核验自己的意见已按所选计入。",
        t.round_id
    ));
    Some(notice(Kind::Other, topic, heading, body, extra, sources))
}

/// A correction (更正) of the notice `old`, at `at` in the ledger of `log`:
/// a new notice of the same kind and topic that names it in `supersedes`,
/// with the corrected text and, at its end, why it was corrected. Notices
/// are never edited; the board shows both, the correction's history one
/// line. `title` defaults to 更正： and the old title.
pub fn correction(
    log: &crate::LogKey,
    at: &Position,
    old: &proto::Notice,
    title: Option<&str>,
    body: &str,
    reason: &str,
) -> Result<proto::Notice, super::RuleError> {
    let missing = |field| super::RuleError::Missing {
        record: "a correction",
        field,
    };
    if body.trim().is_empty() {
        return Err(missing("the corrected text"));
    }
    if reason.trim().is_empty() {
        return Err(missing("a reason"));
    }
    let title = match title.map(str::trim).filter(|t| !t.is_empty()) {
        Some(title) => title.to_owned(),
        None if old.title.starts_with("更正：") => old.title.clone(),
        None => format!("更正：{}", old.title),
    };
    Ok(proto::Notice {
        kind: old.kind,
        topic_id: old.topic_id.clone(),
        title,
        body: format!("{}\n\n更正说明：{}", body.trim(), reason.trim()),
        sources: old.sources.clone(),
        lang: old.lang.clone(),
        supersedes: Some(at.entry_ref(log)),
    })
}

//! The consultation procedure's rules: the case study's life cycles go
//! through, and every invalid transition is refused with its own error and
//! changes nothing.

use yiyi_protocol::merkle::Hash;
use yiyi_protocol::proto::{
    self, entry::Body, gate_decision::Verdict, meeting::Form, meeting_step::Step,
};
use yiyi_protocol::rules::{
    Consultation, Date, FiveStep, OutcomeClass, Overdue, Position, RuleError, TopicStatus, notices,
};

/// 2026-11-02 09:00 in Shanghai.
const START_MS: i64 = 1_793_581_200_000;
const DAY_MS: i64 = 86_400_000;

/// A ledger's rules state with a clock, as an office would fill it.
pub(crate) struct Office {
    pub(crate) state: Consultation,
    sequence: u64,
    pub(crate) now_ms: i64,
}

impl Office {
    pub(crate) fn new() -> Office {
        let mut office = Office {
            state: Consultation::new(),
            sequence: 0,
            now_ms: START_MS,
        };
        for (id, kind, name) in [
            (
                "P-party",
                proto::participant::Kind::PartyOrganisation,
                "第一社区党委",
            ),
            (
                "P-committee",
                proto::participant::Kind::ResidentsCommittee,
                "第一社区居委会",
            ),
            (
                "P-reps",
                proto::participant::Kind::ResidentRepresentative,
                "居民代表",
            ),
            (
                "P-property",
                proto::participant::Kind::PropertyManagement,
                "物业公司",
            ),
        ] {
            office.ok(Body::Participant(proto::Participant {
                id: id.into(),
                kind: kind as i32,
                name: name.into(),
                withdrawn: false,
            }));
        }
        for category in [proto::Category::PublicAffairs, proto::Category::DailyLife] {
            office.ok(Body::CatalogueItem(proto::CatalogueItem {
                category: category as i32,
                name: "为老服务".into(),
                withdrawn: false,
            }));
        }
        office
    }

    fn position(&self) -> Position {
        let mut hash = Hash::default();
        hash.0[..8].copy_from_slice(&self.sequence.to_be_bytes());
        Position {
            sequence: self.sequence,
            hash,
            time_ms: self.now_ms,
        }
    }

    pub(crate) fn try_record(&mut self, body: Body) -> Result<(), RuleError> {
        let at = self.position();
        self.state.accept(&body, at)?;
        self.sequence += 1;
        Ok(())
    }

    #[track_caller]
    pub(crate) fn ok(&mut self, body: Body) {
        if let Err(e) = self.try_record(body.clone()) {
            panic!("refused {body:?}: {e}");
        }
    }

    /// Tries a record that must be refused; checks that nothing changed.
    #[track_caller]
    pub(crate) fn refused(&mut self, body: Body) -> RuleError {
        let before = self.state.clone();
        let error = self
            .try_record(body.clone())
            .expect_err(&format!("accepted {body:?}"));
        assert_eq!(self.state, before, "a refused record changed the state");
        error
    }

    pub(crate) fn days_pass(&mut self, days: i64) {
        self.now_ms += days * DAY_MS;
    }

    /// Whether `topic` is overdue today, under the office's limits.
    pub(crate) fn overdue(&self, topic: &str) -> Option<Overdue> {
        self.state.topics[topic].overdue(Date::in_shanghai(self.now_ms), &self.state.limits())
    }

    pub(crate) fn today(&self) -> String {
        Date::in_shanghai(self.now_ms).to_string()
    }

    pub(crate) fn status(&self, topic: &str) -> TopicStatus {
        self.state.topics[topic].status
    }
}

pub(crate) fn topic(id: &str, scale: proto::Scale) -> Body {
    Body::Topic(proto::Topic {
        id: id.into(),
        title: "社区老年食堂".into(),
        summary: "居民提出附近没有老年食堂，老人吃饭难".into(),
        category: proto::Category::PublicAffairs as i32,
        sub_item: "为老服务".into(),
        scale: scale as i32,
        source: proto::topic::Source::Resident as i32,
        raised_by_commitment: vec![7; 32],
        reopens: String::new(),
    })
}

pub(crate) fn gate(topic: &str, verdict: Verdict) -> Body {
    Body::GateDecision(proto::GateDecision {
        topic_id: topic.into(),
        verdict: verdict as i32,
        citation: "《物业管理条例》第五十五条".into(),
        explanation: "该事项已有明确规定".into(),
        mediator: "人民调解员王某".into(),
        approval_reference: "党委会 2026-11-05".into(),
        ..Default::default()
    })
}

pub(crate) fn meeting(
    id: &str,
    topics: &[&str],
    form: Form,
    participants: &[&str],
    date: &str,
) -> Body {
    Body::Meeting(proto::Meeting {
        id: id.into(),
        topic_ids: topics.iter().map(|t| t.to_string()).collect(),
        level: proto::meeting::MeetingLevel::Community as i32,
        form: form as i32,
        date: date.into(),
        participant_ids: participants.iter().map(|p| p.to_string()).collect(),
        place: "社区议事厅".into(),
        procedure: String::new(),
        communities: Vec::new(),
    })
}

pub(crate) fn step(meeting: &str, step: Step) -> Body {
    Body::MeetingStep(proto::MeetingStep {
        meeting_id: meeting.into(),
        step: step as i32,
        summary: "按程序进行".into(),
        attendee_count: if step == Step::SignIn { 23 } else { 0 },
        attendees_commitment: if step == Step::SignIn {
            vec![9; 32]
        } else {
            vec![]
        },
        result: if step == Step::FormResult {
            "同意将社区用房改造为老年食堂".into()
        } else {
            String::new()
        },
    })
}

pub(crate) fn outcome(topic: &str, meeting: &str, class: proto::outcome::Class) -> Body {
    Body::Outcome(proto::Outcome {
        topic_id: topic.into(),
        meeting_id: meeting.into(),
        class: class as i32,
        responsible_party: "社区居委会".into(),
        measures: "改造约200平方米社区用房，引入餐饮企业运营".into(),
        deadline: "2027-03-31".into(),
        notice_period_days: 30,
        explanation: "分歧较大，暂时搁置".into(),
        proposed_solution: "请街道协调区民政局支持".into(),
        supervisors: vec!["居民代表".into()],
        spends_money: true,
    })
}

pub(crate) fn progress(topic: &str, completed: bool) -> Body {
    Body::Progress(proto::Progress {
        topic_id: topic.into(),
        text: if completed {
            "老年食堂正式开业".into()
        } else {
            "施工进行中".into()
        },
        completed,
    })
}

pub(crate) fn follow_up(topic: &str) -> Body {
    Body::FollowUp(proto::FollowUp {
        topic_id: topic.into(),
        summary: "回访老人 30 户".into(),
        households_visited: 30,
    })
}

pub(crate) fn evaluation(topic: &str, votes: (u32, u32, u32)) -> Body {
    Body::Evaluation(proto::Evaluation {
        topic_id: topic.into(),
        satisfied: votes.0,
        basically_satisfied: votes.1,
        dissatisfied: votes.2,
    })
}

const FULL: &[&str] = &["P-party", "P-committee", "P-reps", "P-property"];

/// Runs the seven steps up to (not including) `until`.
pub(crate) fn steps_until(office: &mut Office, meeting: &str, until: Option<Step>) {
    for s in yiyi_protocol::rules::SEVEN_STEPS {
        if Some(s) == until {
            return;
        }
        office.ok(step(meeting, s));
    }
}

#[test]
fn the_elderly_canteen_goes_through_all_five_steps() {
    let mut office = Office::new();
    office.ok(topic("T-canteen", proto::Scale::Major));
    assert_eq!(office.status("T-canteen").five_step(), FiveStep::SetTopic);
    office.ok(gate("T-canteen", Verdict::Accept));
    let date = Date::in_shanghai(office.now_ms)
        .next_regular_consultation()
        .to_string();
    assert_eq!(date, "2026-11-11");
    office.ok(meeting(
        "M-1111",
        &["T-canteen"],
        Form::Meeting,
        FULL,
        &date,
    ));
    assert_eq!(office.status("T-canteen").five_step(), FiveStep::Consult);
    // The meeting is on the 11th: nothing of it can be recorded before.
    assert!(matches!(
        office.refused(step("M-1111", Step::SignIn)),
        RuleError::MeetingNotYet { .. }
    ));
    office.days_pass(9);
    steps_until(&mut office, "M-1111", Some(Step::PublishResult));
    office.ok(outcome(
        "T-canteen",
        "M-1111",
        proto::outcome::Class::Promised,
    ));
    office.ok(step("M-1111", Step::PublishResult));
    assert!(office.state.meetings["M-1111"].is_complete());
    let published = notices::result(
        &office.state.topics["T-canteen"],
        &office.state.meetings["M-1111"],
        &[],
        "欢迎居民监督。",
        vec![],
    )
    .unwrap();
    assert_eq!(published.title, "关于“社区老年食堂”的协商结果公示");
    for expected in [
        "2026-11-11",
        "同意将社区用房改造为老年食堂",
        "承诺件",
        "2027-03-31",
        "每30天",
        "纪检、财务、审计",
        "欢迎居民监督。",
    ] {
        assert!(
            published.body.contains(expected),
            "{expected} missing from {}",
            published.body
        );
    }
    office.ok(Body::Notice(published));
    assert_eq!(
        office.status("T-canteen"),
        TopicStatus::Classified(OutcomeClass::Promised)
    );
    assert_eq!(office.status("T-canteen").five_step(), FiveStep::CarryOut);

    // Progress notices keep it on time; silence makes it overdue in public.
    office.days_pass(20);
    office.ok(progress("T-canteen", false));
    assert_eq!(office.overdue("T-canteen"), None);
    office.days_pass(40);
    assert!(matches!(
        office.overdue("T-canteen"),
        Some(Overdue::ProgressNoticeMissed(_))
    ));
    office.ok(progress("T-canteen", false));
    assert_eq!(office.overdue("T-canteen"), None);
    office.days_pass(200);
    assert!(matches!(
        office.overdue("T-canteen"),
        Some(Overdue::DeadlinePassed(_))
    ));
    office.ok(progress("T-canteen", true));
    assert_eq!(office.status("T-canteen"), TopicStatus::Done);
    let topic = &office.state.topics["T-canteen"];
    let done = notices::progress(topic, &topic.progress.last().unwrap().1, "", vec![]);
    assert_eq!(done.kind, proto::notice::Kind::Completion as i32);
    assert!(done.body.contains("老年食堂正式开业"));
    assert_eq!(office.overdue("T-canteen"), None);
    office.ok(follow_up("T-canteen"));
    office.ok(evaluation("T-canteen", (41, 6, 1)));
    assert_eq!(office.status("T-canteen"), TopicStatus::Evaluated);
    assert_eq!(office.status("T-canteen").five_step(), FiveStep::Evaluate);
}

#[test]
fn immediate_shelved_reopened_and_suggestion_lives() {
    let mut office = Office::new();
    for id in ["T-light", "T-parking", "T-bus"] {
        office.ok(topic(id, proto::Scale::Minor));
        office.ok(gate(id, Verdict::Accept));
    }
    // A minor matter may be settled by card consultation.
    office.ok(meeting(
        "M-card",
        &["T-light", "T-parking", "T-bus"],
        Form::Card,
        &["P-committee"],
        &office.today(),
    ));
    steps_until(&mut office, "M-card", Some(Step::PublishResult));
    office.ok(outcome(
        "T-light",
        "M-card",
        proto::outcome::Class::Immediate,
    ));
    office.ok(outcome(
        "T-parking",
        "M-card",
        proto::outcome::Class::Shelved,
    ));
    office.ok(outcome(
        "T-bus",
        "M-card",
        proto::outcome::Class::Suggestion,
    ));
    office.ok(step("M-card", Step::PublishResult));

    office.ok(progress("T-light", true));
    assert_eq!(office.status("T-light"), TopicStatus::Done);
    assert_eq!(
        office.status("T-bus"),
        TopicStatus::Classified(OutcomeClass::Suggestion)
    );

    // Only a suggestion is escalated, and only once while it is out.
    let up = |topic: &str| {
        Body::Escalation(proto::Escalation {
            id: format!("c/{topic}"),
            topic_id: topic.into(),
            result: "上报".into(),
            to: vec![2; 32],
            ..Default::default()
        })
    };
    assert!(matches!(
        office.refused(up("T-light")),
        RuleError::TopicStatus { .. }
    ));
    office.ok(up("T-bus"));
    assert!(matches!(
        office.refused(up("T-bus")),
        RuleError::Duplicate { .. }
    ));
    let notice = |kind: proto::notice::Kind, topic: &str| {
        Body::Notice(proto::Notice {
            kind: kind as i32,
            topic_id: topic.into(),
            title: "公示".into(),
            body: "正文".into(),
            ..Default::default()
        })
    };
    // A resolution notice only for a topic that went up.
    assert!(matches!(
        office.refused(notice(proto::notice::Kind::Resolution, "T-light")),
        RuleError::TopicStatus { .. }
    ));
    // Returned: consulted on again, and may go up again after that.
    office.ok(notice(proto::notice::Kind::Returned, "T-bus"));
    assert_eq!(office.status("T-bus"), TopicStatus::Accepted);
    assert!(office.state.topics["T-bus"].escalation.is_none());
    office.ok(meeting(
        "M-again",
        &["T-bus"],
        Form::Card,
        &["P-committee"],
        &office.today(),
    ));
    steps_until(&mut office, "M-again", Some(Step::PublishResult));
    office.ok(outcome(
        "T-bus",
        "M-again",
        proto::outcome::Class::Suggestion,
    ));
    office.ok(step("M-again", Step::PublishResult));
    office.ok(up("T-bus"));
    // Resolved above: on to follow-up and evaluation.
    office.ok(notice(proto::notice::Kind::Resolution, "T-bus"));
    assert_eq!(office.status("T-bus"), TopicStatus::Done);
    office.ok(follow_up("T-bus"));
    office.ok(evaluation("T-bus", (10, 2, 0)));

    // The shelved topic is reopened by a new consultation.
    let mut reopened = topic("T-parking-2", proto::Scale::Minor);
    if let Body::Topic(t) = &mut reopened {
        t.reopens = "T-parking".into();
    }
    office.ok(reopened);
    assert_eq!(office.status("T-parking"), TopicStatus::Reopened);
    assert_eq!(office.status("T-parking-2"), TopicStatus::Proposed);
}

#[test]
fn disputes_need_approval_and_declines_need_a_citation() {
    let mut office = Office::new();
    office.ok(topic("T-noise", proto::Scale::Minor));
    office.ok(gate("T-noise", Verdict::IndividualDispute));
    assert_eq!(office.status("T-noise"), TopicStatus::Referred);
    assert_eq!(
        office.refused(meeting(
            "M",
            &["T-noise"],
            Form::Meeting,
            FULL,
            &office.today()
        )),
        RuleError::DisputeNotApproved("T-noise".into())
    );
    office.ok(gate("T-noise", Verdict::DisputeApproved));
    office.ok(meeting(
        "M",
        &["T-noise"],
        Form::Meeting,
        FULL,
        &office.today(),
    ));

    office.ok(topic("T-fee", proto::Scale::Minor));
    let mut bare = gate("T-fee", Verdict::DeclineRegulated);
    if let Body::GateDecision(g) = &mut bare {
        g.citation.clear();
    }
    assert!(
        matches!(office.refused(bare), RuleError::Missing { field, .. } if field.contains("citation"))
    );
    office.ok(gate("T-fee", Verdict::DeclineRegulated));
    assert_eq!(office.status("T-fee"), TopicStatus::Declined);
    let topic = &office.state.topics["T-fee"];
    let explained = notices::decline(topic, &topic.gate[0], "", vec![]);
    assert!(
        explained.body.contains("《物业管理条例》第五十五条"),
        "{}",
        explained.body
    );
    office.ok(Body::Notice(explained.clone()));
    // Never edited, only superseded: a notice may supersede one that exists.
    let mut correction = explained;
    correction.supersedes = Some(proto::EntryRef {
        log: vec![],
        sequence: 0,
        hash: vec![0xee; 32],
    });
    assert!(matches!(
        office.refused(Body::Notice(correction)),
        RuleError::Unknown { kind: "notice", .. }
    ));
    // A declined topic goes no further.
    assert!(matches!(
        office.refused(meeting(
            "M2",
            &["T-fee"],
            Form::Meeting,
            FULL,
            &office.today()
        )),
        RuleError::TopicStatus {
            status: TopicStatus::Declined,
            ..
        }
    ));
}

/// A state in which each invalid record below is tried.
fn scene() -> Office {
    let mut office = Office::new();
    // T-major: accepted major matter; T-minor: accepted minor matter.
    office.ok(topic("T-major", proto::Scale::Major));
    office.ok(gate("T-major", Verdict::Accept));
    office.ok(topic("T-minor", proto::Scale::Minor));
    office.ok(gate("T-minor", Verdict::Accept));
    office.ok(topic("T-urgent", proto::Scale::Urgent));
    office.ok(gate("T-urgent", Verdict::Accept));
    office.ok(topic("T-proposed", proto::Scale::Minor));
    // M-open: a meeting on T-minor up to discuss.
    office.ok(meeting(
        "M-open",
        &["T-minor"],
        Form::Meeting,
        FULL,
        &office.today(),
    ));
    steps_until(&mut office, "M-open", Some(Step::FormResult));
    office
}

#[test]
fn every_invalid_transition_is_refused_with_its_own_error() {
    type Check = fn(&RuleError) -> bool;
    let today = Date::in_shanghai(START_MS);
    let cases: Vec<(&str, Body, Check)> = vec![
        (
            "a step out of order",
            step("M-open", Step::PublishResult),
            |e| {
                matches!(
                    e,
                    RuleError::StepOutOfOrder {
                        expected: "form-result",
                        got: "publish-result",
                        ..
                    }
                )
            },
        ),
        ("a repeated step", step("M-open", Step::Discuss), |e| {
            matches!(
                e,
                RuleError::StepOutOfOrder {
                    expected: "form-result",
                    got: "discuss",
                    ..
                }
            )
        }),
        (
            "a step of an unknown meeting",
            step("M-none", Step::SignIn),
            |e| {
                matches!(
                    e,
                    RuleError::Unknown {
                        kind: "meeting",
                        ..
                    }
                )
            },
        ),
        (
            "an outcome before form-result",
            outcome("T-minor", "M-open", proto::outcome::Class::Immediate),
            |e| matches!(e, RuleError::ResultNotFormed(_)),
        ),
        (
            "an outcome on an unconsulted topic",
            outcome("T-major", "M-open", proto::outcome::Class::Immediate),
            |e| {
                matches!(
                    e,
                    RuleError::TopicStatus {
                        status: TopicStatus::Accepted,
                        ..
                    }
                )
            },
        ),
        (
            "progress on an item not yet classified",
            progress("T-minor", false),
            |e| {
                matches!(
                    e,
                    RuleError::TopicStatus {
                        action: "progress",
                        ..
                    }
                )
            },
        ),
        (
            "a major matter with one participant kind",
            meeting(
                "M-x",
                &["T-major"],
                Form::Meeting,
                &["P-reps"],
                &today.to_string(),
            ),
            |e| matches!(e, RuleError::MajorNeedsTwoKinds { kinds: 1, .. }),
        ),
        (
            "an urgent matter left for next month",
            meeting(
                "M-x",
                &["T-urgent"],
                Form::Meeting,
                FULL,
                &today.plus_days(9).to_string(),
            ),
            |e| matches!(e, RuleError::UrgentNotAtOnce { .. }),
        ),
        (
            "a meeting on a topic not gate-kept",
            meeting(
                "M-x",
                &["T-proposed"],
                Form::Meeting,
                FULL,
                &today.to_string(),
            ),
            |e| {
                matches!(
                    e,
                    RuleError::TopicStatus {
                        status: TopicStatus::Proposed,
                        ..
                    }
                )
            },
        ),
        (
            "a topic on two meetings",
            meeting("M-x", &["T-minor"], Form::Meeting, FULL, &today.to_string()),
            |e| {
                matches!(
                    e,
                    RuleError::TopicStatus {
                        status: TopicStatus::Scheduled,
                        ..
                    }
                )
            },
        ),
        (
            "an unknown participant",
            meeting(
                "M-x",
                &["T-major"],
                Form::Meeting,
                &["P-party", "P-ghost"],
                &today.to_string(),
            ),
            |e| {
                matches!(
                    e,
                    RuleError::Unknown {
                        kind: "participant",
                        ..
                    }
                )
            },
        ),
        (
            "a meeting on an impossible date",
            meeting("M-x", &["T-major"], Form::Meeting, FULL, "2026-02-30"),
            |e| matches!(e, RuleError::Date(_)),
        ),
        (
            "a duplicate meeting id",
            meeting(
                "M-open",
                &["T-major"],
                Form::Meeting,
                FULL,
                &today.to_string(),
            ),
            |e| {
                matches!(
                    e,
                    RuleError::Duplicate {
                        kind: "meeting",
                        ..
                    }
                )
            },
        ),
        (
            "a duplicate topic id",
            topic("T-major", proto::Scale::Major),
            |e| matches!(e, RuleError::Duplicate { kind: "topic", .. }),
        ),
        (
            "accepting an accepted topic",
            gate("T-major", Verdict::Accept),
            |e| {
                matches!(
                    e,
                    RuleError::TopicStatus {
                        status: TopicStatus::Accepted,
                        ..
                    }
                )
            },
        ),
        (
            "approving a dispute that was never referred",
            gate("T-proposed", Verdict::DisputeApproved),
            |e| {
                matches!(
                    e,
                    RuleError::TopicStatus {
                        status: TopicStatus::Proposed,
                        needs: "referred",
                        ..
                    }
                )
            },
        ),
        ("a follow-up before completion", follow_up("T-minor"), |e| {
            matches!(
                e,
                RuleError::TopicStatus {
                    action: "a follow-up visit",
                    ..
                }
            )
        }),
        (
            "an evaluation before completion",
            evaluation("T-minor", (1, 0, 0)),
            |e| {
                matches!(
                    e,
                    RuleError::TopicStatus {
                        action: "an evaluation",
                        ..
                    }
                )
            },
        ),
        (
            "reopening a topic that is not shelved",
            {
                let mut t = topic("T-again", proto::Scale::Minor);
                if let Body::Topic(t) = &mut t {
                    t.reopens = "T-major".into();
                }
                t
            },
            |e| matches!(e, RuleError::NotShelved { .. }),
        ),
        (
            "a topic without a scale",
            topic("T-noscale", proto::Scale::Unspecified),
            |e| matches!(e, RuleError::Unspecified("the topic's scale")),
        ),
        (
            "a raiser's identity in the clear instead of a commitment",
            {
                let mut t = topic("T-leak", proto::Scale::Minor);
                if let Body::Topic(t) = &mut t {
                    t.raised_by_commitment = "张三 13800000000".as_bytes().to_vec();
                }
                t
            },
            |e| matches!(e, RuleError::BadCommitment(_)),
        ),
    ];
    for (name, body, expected) in cases {
        let mut office = scene();
        let error = office.refused(body);
        assert!(expected(&error), "{name}: wrong error {error:?}");
        // Staff read it in Chinese: every term of the rules is translated
        // (English words left in would be a term missing from rules/zh.rs).
        let zh = error.zh();
        // Ids and dates are quoted (“M-open”) or numeric: not terms.
        let unquoted: String = zh
            .split('“')
            .map(|part| part.split_once('”').map_or(part, |(_, rest)| rest))
            .collect();
        let english: Vec<&str> = unquoted
            .split(|c: char| !c.is_ascii_alphabetic() && c != '\'')
            .filter(|w| w.len() > 3 && *w != "YYYY")
            .filter(|w| !w.starts_with(|c: char| c.is_ascii_uppercase()))
            .collect();
        assert!(
            english.is_empty(),
            "{name}: {zh:?} leaves {english:?} in English"
        );
    }
}

#[test]
fn meeting_and_outcome_refusals_later_in_the_procedure() {
    let mut office = scene();
    office.ok(step("M-open", Step::FormResult));
    // A promised item needs its deadline.
    let mut no_deadline = outcome("T-minor", "M-open", proto::outcome::Class::Promised);
    if let Body::Outcome(o) = &mut no_deadline {
        o.deadline.clear();
    }
    assert!(matches!(
        office.refused(no_deadline),
        RuleError::Missing {
            field: "a deadline",
            ..
        }
    ));
    office.ok(outcome("T-minor", "M-open", proto::outcome::Class::Shelved));
    // Progress on a shelved item.
    assert!(matches!(
        office.refused(progress("T-minor", false)),
        RuleError::TopicStatus {
            action: "progress",
            ..
        }
    ));
    office.ok(step("M-open", Step::PublishResult));
    // Nothing after the seventh step.
    assert!(matches!(
        office.refused(step("M-open", Step::PublishResult)),
        RuleError::StepOutOfOrder {
            got: "publish-result",
            ..
        }
    ));

    // Evaluation needs a follow-up first, and votes.
    let mut office = Office::new();
    office.ok(topic("T", proto::Scale::Minor));
    office.ok(gate("T", Verdict::Accept));
    office.ok(meeting(
        "M",
        &["T"],
        Form::Online,
        &["P-committee"],
        &office.today(),
    ));
    steps_until(&mut office, "M", Some(Step::PublishResult));
    office.ok(outcome("T", "M", proto::outcome::Class::Immediate));
    office.ok(step("M", Step::PublishResult));
    office.ok(progress("T", true));
    assert_eq!(
        office.refused(evaluation("T", (3, 0, 0))),
        RuleError::NoFollowUp("T".into())
    );
    office.ok(follow_up("T"));
    assert_eq!(
        office.refused(evaluation("T", (0, 0, 0))),
        RuleError::EmptyEvaluation("T".into())
    );
    office.ok(evaluation("T", (3, 0, 0)));
}

#[test]
fn sign_in_keeps_names_home() {
    let mut office = scene();
    office.ok(meeting(
        "M-new",
        &["T-major"],
        Form::Meeting,
        FULL,
        &office.today(),
    ));
    let mut clear = step("M-new", Step::SignIn);
    if let Body::MeetingStep(s) = &mut clear {
        s.attendees_commitment = "李四 13900000000".as_bytes().to_vec();
    }
    assert_eq!(
        office.refused(clear),
        RuleError::BadCommitment("the sign-in sheet")
    );
    let mut uncounted = step("M-new", Step::SignIn);
    if let Body::MeetingStep(s) = &mut uncounted {
        s.attendee_count = 0;
    }
    assert!(matches!(
        office.refused(uncounted),
        RuleError::Missing {
            record: "sign-in",
            ..
        }
    ));
    office.ok(step("M-new", Step::SignIn));
}

#[test]
fn commitments_hide_private_data_and_open_with_their_salt() {
    use yiyi_protocol::commitment::{commit, opens, salt};
    let data = "张三 13800000000".as_bytes();
    let (a, b) = (salt().unwrap(), salt().unwrap());
    assert_ne!(a, b);
    let c = commit(&a, data);
    assert!(opens(&c, &a, data));
    assert!(!opens(&c, &b, data));
    assert!(!opens(&c, &a, "李四 13900000000".as_bytes()));
    assert_ne!(
        commit(&a, data),
        commit(&b, data),
        "the same data commits differently under another salt"
    );
}

#[test]
fn a_major_matter_may_gather_opinions_by_card_but_is_decided_by_a_full_meeting() {
    let mut office = scene();
    office.ok(meeting(
        "M-card",
        &["T-major"],
        Form::Card,
        FULL,
        &office.today(),
    ));
    steps_until(&mut office, "M-card", Some(Step::PublishResult));
    assert_eq!(
        office.refused(outcome(
            "T-major",
            "M-card",
            proto::outcome::Class::Promised
        )),
        RuleError::MajorNeedsMeeting("T-major".into())
    );
    // The card round publishes without an outcome: the topic goes to another round.
    office.ok(step("M-card", Step::PublishResult));
    assert_eq!(office.status("T-major"), TopicStatus::Accepted);
    assert!(matches!(
        office.refused(outcome(
            "T-major",
            "M-card",
            proto::outcome::Class::Promised
        )),
        RuleError::TopicStatus {
            status: TopicStatus::Accepted,
            ..
        }
    ));
    office.ok(meeting(
        "M-full",
        &["T-major"],
        Form::Meeting,
        FULL,
        &office.today(),
    ));
    steps_until(&mut office, "M-full", Some(Step::PublishResult));
    office.ok(outcome(
        "T-major",
        "M-full",
        proto::outcome::Class::Promised,
    ));
    office.ok(step("M-full", Step::PublishResult));
    assert_eq!(
        office.status("T-major"),
        TopicStatus::Classified(OutcomeClass::Promised)
    );
}

#[test]
fn charters_admit_revoke_and_rotate_child_offices() {
    let child = yiyi_protocol::SecretKey::from_seed("yiyi/第一社区", [3; 32]).unwrap();
    let new_key = yiyi_protocol::SecretKey::from_seed("yiyi/第一社区", [4; 32]).unwrap();
    let charter = |action: proto::charter::Action, level: proto::Level| {
        Body::Charter(proto::Charter {
            action: action as i32,
            verifier_key: child.verifier().to_string(),
            name: "第一社区".into(),
            level: level as i32,
            new_verifier_key: new_key.verifier().to_string(),
            ..Default::default()
        })
    };
    use proto::charter::Action;
    let mut office = Office::new();
    assert!(matches!(
        office.refused(charter(Action::Revoke, proto::Level::Community)),
        RuleError::Unknown { .. }
    ));
    assert!(matches!(
        office.refused(charter(Action::Admit, proto::Level::District)),
        RuleError::CharterLevel("district")
    ));
    let mut bad = charter(Action::Admit, proto::Level::Community);
    if let Body::Charter(c) = &mut bad {
        c.verifier_key = child.cosigner().to_string();
    }
    assert!(matches!(office.refused(bad), RuleError::BadKey(_)));
    office.ok(charter(Action::Admit, proto::Level::Community));
    assert_eq!(
        office.state.admitted().collect::<Vec<_>>(),
        vec![&child.log_key()]
    );
    assert!(matches!(
        office.refused(charter(Action::Admit, proto::Level::Community)),
        RuleError::Duplicate { .. }
    ));
    office.ok(charter(Action::Rotate, proto::Level::Community));
    assert_eq!(
        office.state.admitted().collect::<Vec<_>>(),
        vec![&new_key.log_key()]
    );
    // The old key is no longer admitted, so it can be neither revoked nor rotated again.
    assert!(matches!(
        office.refused(charter(Action::Rotate, proto::Level::Community)),
        RuleError::Unknown { .. }
    ));
}

#[test]
fn a_sub_item_off_the_catalogue_a_withdrawn_participant_and_another_meetings_outcome_are_refused() {
    let mut office = scene();

    let Body::Topic(parking) = topic("T-parking", proto::Scale::Minor) else {
        unreachable!("topic() makes a topic")
    };
    let e = office.refused(Body::Topic(proto::Topic {
        sub_item: "停车管理".into(),
        ..parking
    }));
    assert!(
        matches!(&e, RuleError::NotInCatalogue { category: "public-affairs", item } if item == "停车管理"),
        "{e}"
    );

    office.ok(Body::Participant(proto::Participant {
        id: "P-property".into(),
        kind: proto::participant::Kind::PropertyManagement as i32,
        name: "物业公司".into(),
        withdrawn: true,
    }));
    let today = office.today();
    let e = office.refused(meeting("M-2", &["T-major"], Form::Meeting, FULL, &today));
    assert_eq!(e, RuleError::ParticipantWithdrawn("P-property".into()));

    // T-minor is on M-open's agenda; an outcome from another meeting is not
    // its outcome.
    office.ok(meeting(
        "M-other",
        &["T-urgent"],
        Form::Meeting,
        &["P-party", "P-committee", "P-reps"],
        &today,
    ));
    let e = office.refused(outcome(
        "T-minor",
        "M-other",
        proto::outcome::Class::Immediate,
    ));
    assert!(
        matches!(&e, RuleError::WrongMeeting { topic, scheduled, given }
            if topic == "T-minor" && scheduled == "M-open" && given == "M-other"),
        "{e}"
    );
}

//! Time limits (办理时限): each kind of open item turns overdue on the day
//! after its last day — not the day before — under the office's defaults
//! or the limits it recorded, and stops being overdue once it moves on.
//! Checked with a date argument, not by waiting.

use yiyi_protocol::escalation::Matters;
use yiyi_protocol::merkle;
use yiyi_protocol::proto::{
    self, EntryRef, Level, decision::Verdict, entry::Body, gate_decision::Verdict as Gate,
    meeting::Form, meeting_step::Step, outcome::Class,
};
use yiyi_protocol::rules::deadlines::MAX_DEADLINE_DAYS;
use yiyi_protocol::rules::{Date, Deadlines, Overdue, Position, RuleError};
use yiyi_protocol::{LogKey, SecretKey};

use crate::rules::{Office, gate, meeting, outcome, progress, step, steps_until, topic};

/// Day `n` after the office's first day (2026-11-02).
fn day(n: i64) -> Date {
    Date::parse("2026-11-02").unwrap().plus_days(n)
}

/// Overdue on `date` under the office's limits.
fn overdue(office: &Office, topic: &str, date: Date) -> Option<Overdue> {
    office.state.topics[topic].overdue(date, &office.state.limits())
}

/// Topics consulted on today and classified as given; an immediate item
/// with the deadline given (none: the office's limit applies).
fn classified(office: &mut Office, topics: &[(&str, Class)], deadline: Option<&str>) {
    let ids: Vec<&str> = topics.iter().map(|(id, _)| *id).collect();
    for id in &ids {
        office.ok(topic(id, proto::Scale::Minor));
        office.ok(gate(id, Gate::Accept));
    }
    office.ok(meeting(
        "M-card",
        &ids,
        Form::Card,
        &["P-committee"],
        &office.today(),
    ));
    steps_until(office, "M-card", Some(Step::PublishResult));
    for (id, class) in topics {
        let mut body = outcome(id, "M-card", *class);
        if let Body::Outcome(o) = &mut body
            && *class == Class::Immediate
        {
            o.deadline = deadline.unwrap_or_default().into();
        }
        office.ok(body);
    }
    office.ok(step("M-card", Step::PublishResult));
}

#[test]
fn an_immediate_item_a_suggestion_and_a_dispute_turn_overdue_the_day_after_their_limit() {
    let mut office = Office::new();
    assert_eq!(office.state.limits(), Deadlines::defaults(Level::Community));
    classified(
        &mut office,
        &[("T-light", Class::Immediate), ("T-bus", Class::Suggestion)],
        None,
    );
    office.ok(topic("T-quarrel", proto::Scale::Minor));
    let mut referral = gate("T-quarrel", Gate::IndividualDispute);
    if let Body::GateDecision(g) = &mut referral {
        g.mediator = "人民调解委员会".into();
    }
    office.ok(referral);

    // An immediate item: 7 days.
    assert_eq!(overdue(&office, "T-light", day(7)), None);
    assert_eq!(
        overdue(&office, "T-light", day(8)),
        Some(Overdue::NotCarriedOut(day(7)))
    );
    // A suggestion not sent up: 3 days.
    assert_eq!(overdue(&office, "T-bus", day(3)), None);
    assert_eq!(
        overdue(&office, "T-bus", day(4)),
        Some(Overdue::NotSentUp(day(3)))
    );
    // A dispute in mediation: 30 days.
    assert_eq!(overdue(&office, "T-quarrel", day(30)), None);
    assert_eq!(
        overdue(&office, "T-quarrel", day(31)),
        Some(Overdue::MediationPassed(day(30)))
    );
    assert_eq!(Overdue::MediationPassed(day(30)).name(), "mediation-passed");

    // Each stops once it moves on: carried out, sent up, approved for
    // consultation.
    office.ok(progress("T-light", true));
    assert_eq!(overdue(&office, "T-light", day(40)), None);
    office.ok(Body::Escalation(proto::Escalation {
        id: "c/T-bus".into(),
        topic_id: "T-bus".into(),
        result: "上报".into(),
        to: vec![2; 32],
        ..Default::default()
    }));
    assert_eq!(overdue(&office, "T-bus", day(40)), None);
    let mut approval = gate("T-quarrel", Gate::DisputeApproved);
    if let Body::GateDecision(g) = &mut approval {
        g.approval_reference = "党委会议 2026-11-05".into();
    }
    office.ok(approval);
    assert_eq!(overdue(&office, "T-quarrel", day(40)), None);
}

#[test]
fn an_office_s_own_limits_replace_the_defaults_and_out_of_range_ones_are_refused() {
    let mut office = Office::new();
    // Out of range: refused by name, and nothing changes.
    let refused = office.refused(Body::Deadlines(proto::Deadlines {
        suggestion_days: MAX_DEADLINE_DAYS + 1,
        ..Default::default()
    }));
    assert_eq!(
        refused,
        RuleError::OutOfRange {
            what: "suggestion_days",
            value: i64::from(MAX_DEADLINE_DAYS + 1),
            max: i64::from(MAX_DEADLINE_DAYS),
        }
    );
    assert_eq!(refused.zh(), "建议件上报时限（天）为 367，最多 366");
    assert!(office.state.deadlines.is_none());

    // Two days for an immediate item; 0 leaves the default.
    office.ok(Body::Deadlines(proto::Deadlines {
        immediate_days: 2,
        ..Default::default()
    }));
    let limits = office.state.limits();
    assert_eq!(limits.immediate_days, 2);
    assert_eq!(limits.suggestion_days, 3);
    classified(&mut office, &[("T-light", Class::Immediate)], None);
    assert_eq!(overdue(&office, "T-light", day(2)), None);
    assert_eq!(
        overdue(&office, "T-light", day(3)),
        Some(Overdue::NotCarriedOut(day(2)))
    );
    // A deadline the meeting set replaces the limit.
    let mut office = Office::new();
    classified(
        &mut office,
        &[("T-lamp", Class::Immediate)],
        Some("2026-11-20"),
    );
    assert_eq!(overdue(&office, "T-lamp", day(18)), None);
    assert_eq!(
        overdue(&office, "T-lamp", day(19)),
        Some(Overdue::DeadlinePassed(day(18)))
    );
    // Unset fields read as the level's defaults; a street decides in 15
    // days, a district in 30.
    assert_eq!(
        Deadlines::from_record(&proto::Deadlines::default(), Level::Street),
        Deadlines::defaults(Level::Street)
    );
    assert_eq!(Deadlines::defaults(Level::Street).decision_days, 15);
    assert_eq!(Deadlines::defaults(Level::District).decision_days, 30);
    // A replica's record out of range is read at the maximum.
    let wild = proto::Deadlines {
        mediation_days: 100_000,
        ..Default::default()
    };
    assert_eq!(
        Deadlines::from_record(&wild, Level::Community).mediation_days,
        MAX_DEADLINE_DAYS
    );
}

/// Real keys, so that charters name the offices.
fn key(name: &str, seed: u8) -> SecretKey {
    SecretKey::from_seed(name, [seed; 32]).unwrap()
}

fn at(sequence: u64, date: Date) -> Position {
    Position {
        sequence,
        hash: merkle::leaf_hash(&sequence.to_be_bytes()),
        // 09:00 in Shanghai.
        time_ms: date.days_since_epoch() * 86_400_000 + 3_600_000,
    }
}

fn reference(log: LogKey, at: &Position) -> Option<EntryRef> {
    Some(at.entry_ref(&log))
}

#[test]
fn a_matter_is_due_at_the_addressee_s_limit_for_the_step_it_waits_for() {
    let district = key("yiyi/lixia", 1);
    let street = key("yiyi/lixia/quancheng", 2);
    let community = key("yiyi/lixia/quancheng/shunyu", 3);
    let (d, s, c) = (district.log_key(), street.log_key(), community.log_key());
    let mut m = Matters::new();
    let charter = |child: &SecretKey, level: Level| {
        Body::Charter(proto::Charter {
            action: proto::charter::Action::Admit as i32,
            verifier_key: child.verifier().to_string(),
            name: "office".into(),
            level: level as i32,
            ..Default::default()
        })
    };
    m.apply(&d, at(1, day(0)), &charter(&street, Level::Street))
        .unwrap();
    m.apply(&s, at(1, day(0)), &charter(&community, Level::Community))
        .unwrap();
    assert_eq!(m.limits(&s).decision_days, 15);
    assert_eq!(m.limits(&d).decision_days, 30);

    // Sent to the street on day 0: its decision is due by day 15.
    let sent = at(2, day(0));
    m.apply(
        &c,
        sent,
        &Body::Escalation(proto::Escalation {
            id: "c/T-bus".into(),
            topic_id: "T-bus".into(),
            result: "增设公交站点".into(),
            to: s.to_vec(),
            ..Default::default()
        }),
    )
    .unwrap();
    let matter = |m: &Matters| m.get(&sent.hash).unwrap().clone();
    assert_eq!(m.due(&matter(&m)), Some(day(15)));
    // A receipt is no decision.
    m.apply(
        &s,
        at(2, day(1)),
        &Body::Receipt(proto::Receipt {
            escalation: reference(c, &sent),
        }),
    )
    .unwrap();
    assert!(!m.overdue(&matter(&m), day(15)));
    assert!(m.overdue(&matter(&m), day(16)));
    // The street recorded 10 days for its decisions: due by day 10.
    m.apply(
        &s,
        at(3, day(1)),
        &Body::Deadlines(proto::Deadlines {
            decision_days: 10,
            ..Default::default()
        }),
    )
    .unwrap();
    assert_eq!(m.due(&matter(&m)), Some(day(10)));

    // Forwarded to the district on day 5: the street's step is done, the
    // district's decision (dispatch) is due 30 days after.
    m.apply(
        &s,
        at(4, day(5)),
        &Body::Decision(proto::Decision {
            escalation: reference(c, &sent),
            verdict: Verdict::Forward as i32,
            ..Default::default()
        }),
    )
    .unwrap();
    assert_eq!(m.due(&matter(&m)), None);
    let onward = at(5, day(5));
    m.apply(
        &s,
        onward,
        &Body::Escalation(proto::Escalation {
            id: "c/T-bus".into(),
            topic_id: "T-bus".into(),
            result: "增设公交站点".into(),
            to: d.to_vec(),
            forwards: reference(c, &sent),
            ..Default::default()
        }),
    )
    .unwrap();
    let up = |m: &Matters| m.get(&onward.hash).unwrap().clone();
    assert_eq!(m.due(&up(&m)), Some(day(35)));

    // Dispatched on day 6: the department has 30 days.
    for (sequence, body) in [
        (
            2,
            Body::Department(proto::Department {
                id: "jt".into(),
                name: "区交通运输局".into(),
                ..Default::default()
            }),
        ),
        (
            3,
            Body::Receipt(proto::Receipt {
                escalation: reference(s, &onward),
            }),
        ),
        (
            4,
            Body::Dispatch(proto::Dispatch {
                escalation: reference(s, &onward),
                department_ids: vec!["jt".into()],
                ..Default::default()
            }),
        ),
    ] {
        m.apply(&d, at(sequence, day(6)), &body).unwrap();
    }
    assert_eq!(m.due(&up(&m)), Some(day(36)));
    assert!(!m.overdue(&up(&m), day(36)));
    assert!(m.overdue(&up(&m), day(37)));
    // Resolved: nothing is due.
    m.apply(
        &d,
        at(5, day(40)),
        &Body::Resolution(proto::Resolution {
            escalation: reference(s, &onward),
            result: "已增设站点".into(),
            department_id: "jt".into(),
        }),
    )
    .unwrap();
    assert_eq!(m.due(&up(&m)), None);
}

//! Statistics (统计): each figure counts its event on the day it was
//! recorded, within the period; the backlog is judged on the query's day;
//! an export recomputes from the signed ledgers it names, and an edited
//! figure, a left-out office or a forged ledger is caught by name.

use std::collections::BTreeMap;

use yiyi_protocol::SignedNote;
use yiyi_protocol::checkpoint::SignedCheckpoint;
use yiyi_protocol::proto::{
    self, entry::Body, gate_decision::Verdict, meeting::Form, outcome::Class,
};
use yiyi_protocol::rules::{Consultation, Date};
use yiyi_protocol::stats::export::{self, ExportError, Held, Scope};
use yiyi_protocol::stats::{Asked, Counted, GroupBy, Period, Query, compute};

use crate::light::Log;
use crate::rules::{Office, evaluation, gate, meeting, outcome, progress, steps_until, topic};

const FULL: &[&str] = &["P-party", "P-committee", "P-reps", "P-property"];

/// A community's month: a topic carried out and evaluated, a dispute
/// settled, one declined, a suggestion left unsent. Returns the office and
/// its first day.
fn a_month() -> (Office, Date) {
    let mut office = Office::new();
    let day0 = Date::in_shanghai(office.now_ms);
    office.ok(topic("T-canteen", proto::Scale::Major));
    office.ok(gate("T-canteen", Verdict::Accept));
    office.ok(topic("T-noise", proto::Scale::Minor));
    office.ok(gate("T-noise", Verdict::IndividualDispute));
    office.ok(topic("T-fee", proto::Scale::Minor));
    office.ok(gate("T-fee", Verdict::DeclineRegulated));
    office.ok(topic("T-bus", proto::Scale::Major));
    office.ok(gate("T-bus", Verdict::Accept));
    office.days_pass(1);
    office.ok(meeting(
        "M-1",
        &["T-canteen", "T-bus"],
        Form::Meeting,
        FULL,
        &office.today(),
    ));
    steps_until(
        &mut office,
        "M-1",
        Some(proto::meeting_step::Step::PublishResult),
    );
    office.ok(outcome("T-canteen", "M-1", Class::Immediate));
    office.ok(outcome("T-bus", "M-1", Class::Suggestion));
    office.ok(crate::rules::step(
        "M-1",
        proto::meeting_step::Step::PublishResult,
    ));
    office.days_pass(1);
    office.ok(Body::Mediation(proto::Mediation {
        topic_id: "T-noise".into(),
        settled: true,
        mediator: "人民调解委员会".into(),
        summary_commitment: vec![7; 32],
    }));
    office.days_pass(1);
    office.ok(progress("T-canteen", true));
    office.ok(crate::rules::follow_up("T-canteen"));
    office.ok(evaluation("T-canteen", (20, 3, 1)));
    (office, day0)
}

fn query(from: Date, to: Date, by: GroupBy, on: Date) -> Query {
    Query {
        period: Period {
            from: Some(from),
            to: Some(to),
        },
        by,
        on,
    }
}

fn counted(office: &Office) -> Vec<Counted<'_>> {
    vec![Counted {
        log: yiyi_protocol::LogKey([1; 32]),
        state: &office.state,
    }]
}

#[test]
fn each_figure_counts_its_event_on_the_day_it_was_recorded() {
    let (office, day0) = a_month();
    let day = |n| day0.plus_days(n);

    // The first day: four raised, two accepted, one declined, one referred.
    let first = compute(
        &counted(&office),
        &query(day(0), day(0), GroupBy::Office, day(0)),
    );
    let f = first.totals.figures;
    assert_eq!((f.raised, f.accepted, f.declined, f.referred), (4, 2, 1, 1));
    assert_eq!(
        (f.classified, f.mediated, f.resolved, f.evaluated),
        (0, 0, 0, 0)
    );
    // The backlog is the checkpoint's, whatever the period: the suggestion
    // not yet sent up is open; on day 0 it is not overdue.
    assert_eq!((f.open, f.overdue), (1, 0));

    // Days 1–3: the meeting, two outcomes, the mediation settled, the
    // canteen carried out and evaluated.
    let later = compute(
        &counted(&office),
        &query(day(1), day(3), GroupBy::Category, day(3)),
    );
    let f = later.totals.figures;
    assert_eq!(f.raised, 0);
    assert_eq!((f.classified, f.mediated, f.settled), (2, 1, 1));
    assert_eq!((f.resolved, f.disputes_resolved, f.evaluated), (1, 1, 1));
    assert_eq!(
        (f.satisfied, f.basically_satisfied, f.dissatisfied),
        (20, 3, 1)
    );
    assert_eq!(later.totals.meetings, 1);
    assert_eq!(later.totals.bodies, 1);
    // The suggestion was classified on day 1; 3 days to send it up: late
    // from day 5.
    assert_eq!(f.overdue, 0);
    let late = compute(
        &counted(&office),
        &query(day(1), day(5), GroupBy::Category, day(5)),
    );
    assert_eq!(late.totals.figures.overdue, 1);

    // The case study's figures: one public affair resolved, one dispute.
    assert_eq!(later.case_study.public_affairs_resolved, 1);
    assert_eq!(later.case_study.disputes_resolved, 1);
    assert_eq!(later.case_study.livelihood_resolved, 0);
    assert_eq!(later.case_study.all_resolved, 1);

    // Rows by status at the checkpoint.
    let by_status = compute(
        &counted(&office),
        &query(day(0), day(3), GroupBy::Status, day(3)),
    );
    let keys: Vec<(&str, u64)> = by_status
        .rows
        .iter()
        .map(|r| (r.key.as_str(), r.figures.raised))
        .collect();
    assert_eq!(
        keys,
        [
            ("classified", 1),
            ("declined", 1),
            ("evaluated", 1),
            ("settled", 1)
        ]
    );
    // Rows add up to the totals.
    let raised: u64 = by_status.rows.iter().map(|r| r.figures.raised).sum();
    assert_eq!(raised, by_status.totals.figures.raised);
}

#[test]
fn a_query_is_checked_and_its_day_defaults_to_the_period_s_end() {
    let today = Date::parse("2026-12-06").unwrap();
    let asked = |from: &str, to: &str, by: &str| Asked {
        scope: Some("subtree".into()),
        from: Some(from.into()),
        to: Some(to.into()),
        by: Some(by.into()),
        on: None,
    };
    let (scope, q) = asked("2026-11-01", "2026-11-30", "sub-item")
        .parse(today)
        .unwrap();
    assert_eq!(scope, Scope::Subtree);
    assert_eq!(q.by, GroupBy::SubItem);
    assert_eq!(q.on.to_string(), "2026-11-30");
    let (_, q) = asked("2026-12-01", "2026-12-31", "office")
        .parse(today)
        .unwrap();
    assert_eq!(q.on, today);
    for (bad, says) in [
        (asked("2026-11-31", "2026-12-01", "office"), "from"),
        (asked("2026-12-02", "2026-12-01", "office"), "after"),
        (asked("2026-12-01", "2026-12-02", "street"), "by"),
    ] {
        let e = bad.parse(today).unwrap_err();
        assert!(e.contains(says), "{e}");
    }
    let mut wrong_scope = asked("2026-12-01", "2026-12-02", "office");
    wrong_scope.scope = Some("city".into());
    assert!(wrong_scope.parse(today).unwrap_err().contains("scope"));
}

fn profile(name: &str, level: proto::Level) -> Body {
    Body::OfficeProfile(proto::OfficeProfile {
        name: name.into(),
        level: level as i32,
        ..Default::default()
    })
}

/// A street with two communities, each with a topic carried out; the second
/// community's ledger signed, yet never handed over.
struct Subtree {
    street: Log,
    first: Log,
    second: Log,
}

fn subtree() -> Subtree {
    let mut street = Log::new("yiyi/lixia/quancheng");
    let mut first = Log::new("yiyi/lixia/quancheng/shunyu");
    let second = Log::new("yiyi/lixia/quancheng/dianliu");
    let t = 1_793_581_200_000;
    street.append_at(profile("泉城路街道", proto::Level::Street), t);
    street.admit(&first, "舜玉社区");
    street.admit(&second, "甸柳社区");
    first.append_at(profile("舜玉社区", proto::Level::Community), t);
    first.append_at(topic("T-1", proto::Scale::Minor), t);
    first.append_at(gate("T-1", Verdict::Accept), t);
    Subtree {
        street,
        first,
        second,
    }
}

fn replayed(log: &Log, name: &str, key: &str) -> (SignedCheckpoint, Consultation) {
    let office = export::CountedOffice {
        log: log.key.log_key().to_string(),
        name: name.into(),
        level: String::new(),
        key: key.into(),
        checkpoint: log.checkpoint().to_string(),
    };
    export::replay(&office, &log.entries).unwrap()
}

#[test]
fn an_export_recomputes_from_the_ledgers_and_an_edited_figure_is_named() {
    let s = subtree();
    let street_key = s.street.key.verifier();
    let mut ledgers = BTreeMap::new();
    ledgers.insert(
        s.street.key.log_key(),
        replayed(&s.street, "泉城路街道", &street_key.to_string()),
    );
    ledgers.insert(
        s.first.key.log_key(),
        replayed(&s.first, "舜玉社区", &s.first.key.verifier().to_string()),
    );
    let held: BTreeMap<_, _> = ledgers
        .iter()
        .map(|(log, (checkpoint, state))| (*log, Held { state, checkpoint }))
        .collect();
    let day = Date::in_shanghai(1_793_581_200_000);
    let q = query(day, day, GroupBy::Office, day);
    let built = export::build(&street_key, Scope::Subtree, &q, &held);

    // The street and the first community are counted, each at its
    // checkpoint; the second is named as not held.
    let names: Vec<&str> = built.offices.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["泉城路街道", "舜玉社区"]);
    assert_eq!(built.offices[1].level, "community");
    assert_eq!(built.not_held.len(), 1);
    assert_eq!(built.not_held[0].name, "甸柳社区");
    assert_eq!(built.report.totals.figures.raised, 1);
    assert_eq!(built.report.totals.offices, 2);
    assert!(
        built.offices[1]
            .checkpoint
            .starts_with("yiyi/lixia/quancheng/shunyu\n3\n")
    );

    // Through JSON and back, the ledgers give the same figures.
    let text = serde_json::to_string(&built).unwrap();
    let export: export::Export = serde_json::from_str(&text).unwrap();
    assert_eq!(export::recheck(&export, &ledgers).unwrap(), []);

    // One figure edited: named, with both values.
    let mut edited = export.clone();
    edited.report.rows[1].figures.accepted = 2;
    let differences = export::recheck(&edited, &ledgers).unwrap();
    assert_eq!(differences.len(), 1, "{differences:?}");
    let d = &differences[0];
    assert!(d.figure.starts_with("rows[舜玉社区 ") && d.figure.ends_with("].accepted"));
    assert_eq!((d.exported.as_str(), d.recomputed.as_str()), ("2", "1"));
    let mut edited = export.clone();
    edited.report.case_study.all_resolved = 9;
    let differences = export::recheck(&edited, &ledgers).unwrap();
    assert_eq!(differences[0].figure, "case_study.all_resolved");

    // An office left out of the subtree the charters define is caught.
    let mut partial = export.clone();
    partial.not_held.clear();
    let differences = export::recheck(&partial, &ledgers).unwrap();
    assert_eq!(differences[0].figure, "offices");
}

#[test]
fn a_ledger_that_is_not_its_checkpoint_s_is_refused_by_office() {
    let s = subtree();
    let office = |log: &Log, checkpoint: SignedNote| export::CountedOffice {
        log: log.key.log_key().to_string(),
        name: "舜玉社区".into(),
        level: "community".into(),
        key: log.key.verifier().to_string(),
        checkpoint: checkpoint.to_string(),
    };
    let named = |e: ExportError| {
        let text = e.to_string();
        assert!(text.starts_with("the ledger of 舜玉社区"), "{text}");
        text
    };
    // An entry short.
    let first = office(&s.first, s.first.checkpoint());
    let short = &s.first.entries[..2];
    assert!(named(export::replay(&first, short).unwrap_err()).contains("2 entries"));
    // An entry changed: its signature fails.
    let mut forged = s.first.entries.clone();
    let last = forged[2].len() - 70;
    forged[2][last] ^= 1;
    named(export::replay(&first, &forged).unwrap_err());
    // Another office's checkpoint, or key.
    let wrong = office(&s.first, s.second.checkpoint());
    assert!(named(export::replay(&wrong, &s.first.entries).unwrap_err()).contains("checkpoint"));
    let mut other_key = office(&s.first, s.first.checkpoint());
    other_key.key = s.second.key.verifier().to_string();
    assert!(named(export::replay(&other_key, &s.first.entries).unwrap_err()).contains("key"));
}

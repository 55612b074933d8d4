//! Corrections (更正): a published notice is corrected by a later notice
//! that supersedes it, never edited; each notice is corrected once, so the
//! history of a correction is one line.

use yiyi_protocol::LogKey;
use yiyi_protocol::proto::{self, entry::Body};
use yiyi_protocol::rules::RuleError;

use crate::rules::Office;

fn notice(title: &str, supersedes: Option<proto::EntryRef>) -> Body {
    Body::Notice(proto::Notice {
        kind: proto::notice::Kind::Other as i32,
        title: title.into(),
        body: "正文".into(),
        supersedes,
        ..Default::default()
    })
}

/// The reference to the notice titled `title`.
fn reference(office: &Office, title: &str) -> Option<proto::EntryRef> {
    let (at, _) = office
        .state
        .notices
        .values()
        .find(|(_, n)| n.title == title)
        .expect("the notice");
    Some(at.entry_ref(&LogKey([0; 32])))
}

#[test]
fn a_notice_is_corrected_once_and_a_correction_may_be_corrected_in_turn() {
    let mut office = Office::new();
    office.ok(notice("停水通知", None));
    office.ok(notice("停水通知（更正）", reference(&office, "停水通知")));
    // The first again: refused by name, and nothing changes.
    let refused = office.refused(notice(
        "停水通知（再次更正）",
        reference(&office, "停水通知"),
    ));
    assert!(
        matches!(
            &refused,
            RuleError::Duplicate {
                kind: "correction of notice",
                ..
            }
        ),
        "{refused:?}"
    );
    assert!(refused.zh().contains("该公示已更正过"), "{}", refused.zh());
    // The correction itself may be corrected.
    office.ok(notice(
        "停水通知（再次更正）",
        reference(&office, "停水通知（更正）"),
    ));
}

#[test]
fn a_correction_keeps_the_kind_and_topic_says_why_and_changes_what_was_said_not_what_happened() {
    use yiyi_protocol::proto::gate_decision::Verdict;
    use yiyi_protocol::rules::{TopicStatus, notices};

    let mut office = Office::new();
    office.ok(crate::rules::topic("T-park", proto::Scale::Minor));
    let decline = crate::rules::gate("T-park", Verdict::DeclineRegulated);
    let published = notices::published(&office.state, &decline, "", vec![]);
    office.ok(decline);
    office.ok(Body::Notice(published[0].clone()));
    let (at, old) = office
        .state
        .notices
        .values()
        .next()
        .map(|(at, n)| (*at, n.clone()))
        .unwrap();
    let log = LogKey([0; 32]);
    // A reason and the text are needed.
    assert!(matches!(
        notices::correction(&log, &at, &old, None, "新的说明", " "),
        Err(RuleError::Missing {
            field: "a reason",
            ..
        })
    ));
    assert!(matches!(
        notices::correction(&log, &at, &old, None, "", "引用条款有误"),
        Err(RuleError::Missing { .. })
    ));
    let corrected = notices::correction(
        &log,
        &at,
        &old,
        None,
        "依据《济南市停车场管理办法》第十二条，不予协商。",
        "原公示引用的条款有误",
    )
    .unwrap();
    assert_eq!(corrected.kind, old.kind);
    assert_eq!(corrected.topic_id, "T-park");
    assert_eq!(corrected.title, format!("更正：{}", old.title));
    assert!(corrected.body.ends_with("更正说明：原公示引用的条款有误"));
    assert_eq!(corrected.supersedes, Some(at.entry_ref(&log)));
    office.ok(Body::Notice(corrected.clone()));
    assert_eq!(office.status("T-park"), TopicStatus::Declined);
    // Its own correction keeps one 更正： in the title.
    let (at2, _) = office
        .state
        .notices
        .values()
        .find(|(_, n)| n.supersedes.is_some())
        .map(|(at, n)| (*at, n.clone()))
        .unwrap();
    let again =
        notices::correction(&log, &at2, &corrected, None, "再次更正的内容", "日期有误").unwrap();
    assert_eq!(again.title, corrected.title);
}

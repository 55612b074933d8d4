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

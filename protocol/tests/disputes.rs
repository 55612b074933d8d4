//! Disputes that close (调解结果): a dispute referred to a mediator ends
//! settled or not; one not settled may still go to consultation once the
//! party organisation approves; a mediation is recorded once, of a referred
//! dispute, with its mediator named and the summary only committed to.

use yiyi_protocol::proto::{self, entry::Body, gate_decision::Verdict};
use yiyi_protocol::rules::{Date, FiveStep, RuleError, TopicStatus};

use crate::rules::{Office, gate, topic};

fn mediation(topic: &str, settled: bool) -> Body {
    Body::Mediation(proto::Mediation {
        topic_id: topic.into(),
        settled,
        mediator: "人民调解委员会".into(),
        summary_commitment: vec![7; 32],
    })
}

fn referred(office: &mut Office, id: &str) {
    office.ok(topic(id, proto::Scale::Minor));
    office.ok(gate(id, Verdict::IndividualDispute));
}

#[test]
fn a_referred_dispute_ends_settled_or_goes_on_to_consultation_once_approved() {
    let mut office = Office::new();
    referred(&mut office, "T-noise");
    referred(&mut office, "T-wall");

    // Settled: closed, no longer overdue, never consulted on.
    office.ok(mediation("T-noise", true));
    assert_eq!(office.status("T-noise"), TopicStatus::Settled);
    assert_eq!(TopicStatus::Settled.name(), "settled");
    assert_eq!(office.status("T-noise").five_step(), FiveStep::SetTopic);
    let far = Date::in_shanghai(office.now_ms).plus_days(400);
    assert_eq!(
        office.state.topics["T-noise"].overdue(far, &office.state.limits()),
        None
    );
    assert!(matches!(
        office.refused(gate("T-noise", Verdict::DisputeApproved)),
        RuleError::TopicStatus { .. }
    ));
    // Recorded once.
    assert!(matches!(
        office.refused(mediation("T-noise", false)),
        RuleError::TopicStatus { .. }
    ));

    // Not settled: the party organisation may still send it to
    // consultation.
    office.ok(mediation("T-wall", false));
    assert_eq!(office.status("T-wall"), TopicStatus::Unsettled);
    office.ok(gate("T-wall", Verdict::DisputeApproved));
    assert_eq!(office.status("T-wall"), TopicStatus::Accepted);
}

#[test]
fn a_mediation_needs_a_referred_dispute_a_mediator_and_a_proper_commitment() {
    let mut office = Office::new();
    office.ok(topic("T-park", proto::Scale::Minor));
    // Not referred.
    assert!(matches!(
        office.refused(mediation("T-park", true)),
        RuleError::TopicStatus { .. }
    ));
    assert!(matches!(
        office.refused(mediation("T-none", true)),
        RuleError::Unknown { .. }
    ));
    referred(&mut office, "T-noise");
    let mut nameless = mediation("T-noise", true);
    if let Body::Mediation(m) = &mut nameless {
        m.mediator = " ".into();
    }
    assert_eq!(
        office.refused(nameless),
        RuleError::Missing {
            record: "a mediation",
            field: "a mediator"
        }
    );
    let mut short = mediation("T-noise", true);
    if let Body::Mediation(m) = &mut short {
        m.summary_commitment = vec![1; 5];
    }
    let refused = office.refused(short);
    assert!(matches!(refused, RuleError::BadCommitment(_)));
    assert_eq!(refused.zh(), "调解人的调解情况摘要须为 32 字节的加盐承诺值");
    // Without a summary at all: fine.
    let mut bare = mediation("T-noise", true);
    if let Body::Mediation(m) = &mut bare {
        m.summary_commitment.clear();
    }
    office.ok(bare);
}

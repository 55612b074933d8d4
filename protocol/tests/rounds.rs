//! The rules of residents' rounds (征询) and tallies (计票): a round gathers
//! views for a meeting held online or by card, or the residents'
//! evaluation of a topic carried out; its tally's figures must hold
//! together; the meeting's result waits for it and cites it.

use yiyi_protocol::proto::{self, entry::Body, meeting::Form, meeting_step::Step, round::Purpose};
use yiyi_protocol::rules::{RuleError, TopicStatus, notices, rounds::EVALUATION_OPTIONS};
use yiyi_protocol::tally::{self, Ballot, Code};

use super::rules::{Office, follow_up, gate, meeting, outcome, progress, step, steps_until, topic};

const HOUR_MS: i64 = 3_600_000;

fn round(office: &Office, id: &str, purpose: Purpose, meeting: &str, options: &[&str]) -> Body {
    Body::Round(proto::Round {
        id: id.into(),
        purpose: purpose as i32,
        meeting_id: meeting.into(),
        topic_id: "T-1".into(),
        question: "是否同意在3号楼北侧增设电动车充电棚？".into(),
        options: options.iter().map(|o| o.to_string()).collect(),
        closes_ms: office.now_ms + 48 * HOUR_MS,
        codes_issued: 20,
        salt: vec![3; 32],
        codes_root: vec![4; 32],
    })
}

/// Fifteen ballots counted for real: the tally a node would write.
fn counted(round_id: &str) -> proto::Tally {
    let ballots: Vec<Ballot> = (0..15)
        .map(|i| Ballot {
            receipt: Code::generate().unwrap().receipt(&[3; 32]),
            choice: [0, 0, 1][i % 3],
        })
        .collect();
    let counted = tally::count(round_id, 3, ballots).unwrap();
    proto::Tally {
        round_id: round_id.into(),
        counts: counted.claim.counts.clone(),
        ballots: counted.claim.ballots,
        ballots_root: counted.claim.root.0.to_vec(),
        comments: 2,
        early_reason: String::new(),
    }
}

fn online_meeting(form: Form) -> Office {
    let mut office = Office::new();
    office.ok(topic("T-1", proto::Scale::Minor));
    office.ok(gate("T-1", proto::gate_decision::Verdict::Accept));
    office.ok(meeting(
        "M-1",
        &["T-1"],
        form,
        &["P-party"],
        &office.today(),
    ));
    office
}

#[test]
fn an_online_round_is_tallied_before_the_result_and_the_result_cites_it() {
    let mut office = online_meeting(Form::Online);
    let options = ["同意", "不同意", "弃权"];
    office.ok(round(
        &office,
        "R-1",
        Purpose::Consultation,
        "M-1",
        &options,
    ));
    assert_eq!(
        office.refused(round(
            &office,
            "R-1",
            Purpose::Consultation,
            "M-1",
            &options
        )),
        RuleError::Duplicate {
            kind: "round",
            id: "R-1".into()
        }
    );
    steps_until(&mut office, "M-1", Some(Step::FormResult));
    // The result waits for the round's tally.
    assert_eq!(
        office.refused(step("M-1", Step::FormResult)),
        RuleError::RoundStillOpen {
            meeting: "M-1".into(),
            round: "R-1".into()
        }
    );
    // Before its closing time, with codes unused, a tally needs a reason.
    let mut early = counted("R-1");
    assert_eq!(
        office.refused(Body::Tally(early.clone())),
        RuleError::TallyEarly("R-1".into())
    );
    // Figures that do not hold together are refused, each by name.
    for (broken, why) in [
        (
            proto::Tally {
                counts: vec![5, 5],
                ..early.clone()
            },
            "the counts are not one per option",
        ),
        (
            proto::Tally {
                ballots: 16,
                ..early.clone()
            },
            "the counts do not add up to the ballots",
        ),
        (
            proto::Tally {
                counts: vec![21, 0, 0],
                ballots: 21,
                ..early.clone()
            },
            "more ballots than codes issued",
        ),
        (
            proto::Tally {
                comments: 16,
                ..early.clone()
            },
            "more comments than ballots",
        ),
    ] {
        assert_eq!(
            office.refused(Body::Tally(proto::Tally {
                early_reason: "参会居民均已表态".into(),
                ..broken
            })),
            RuleError::Round {
                round: "R-1".into(),
                why
            }
        );
    }
    office.now_ms += 49 * HOUR_MS;
    office.ok(Body::Tally(early.clone()));
    early.early_reason = "again".into();
    assert!(matches!(
        office.refused(Body::Tally(early)),
        RuleError::Round {
            why: "it is already tallied",
            ..
        }
    ));
    // Now the meeting forms its result; its notice gives the counts.
    office.ok(step("M-1", Step::FormResult));
    office.ok(outcome("T-1", "M-1", proto::outcome::Class::Immediate));
    let body = step("M-1", Step::PublishResult);
    office.ok(body.clone());
    let source = proto::EntryRef {
        log: vec![1; 32],
        sequence: 99,
        hash: vec![2; 32],
    };
    let published = notices::published(&office.state, &body, "", vec![source.clone()]);
    assert_eq!(published.len(), 1);
    assert!(
        published[0].body.contains("网上微协商征询"),
        "{}",
        published[0].body
    );
    assert!(
        published[0]
            .body
            .contains("发放参与码 20 个，收到 15 份：同意 10，不同意 5，弃权 0")
    );
    // Its sources: the step, then the tally.
    let tally_at = office.state.rounds["R-1"].tally.as_ref().unwrap().0;
    assert_eq!(published[0].sources.len(), 2);
    assert_eq!(published[0].sources[1].sequence, tally_at.sequence);
    assert_eq!(published[0].sources[1].log, source.log);
    assert_eq!(
        office.status("T-1"),
        TopicStatus::Classified(yiyi_protocol::rules::OutcomeClass::Immediate)
    );
}

#[test]
fn a_round_belongs_to_an_online_or_card_meeting_before_its_result() {
    let mut office = online_meeting(Form::Meeting);
    let options = ["同意", "不同意"];
    assert_eq!(
        office.refused(round(
            &office,
            "R-1",
            Purpose::Consultation,
            "M-1",
            &options
        )),
        RuleError::RoundNeedsOnlineOrCard {
            round: "R-1".into(),
            meeting: "M-1".into()
        }
    );
    assert!(matches!(
        office.refused(round(
            &office,
            "R-1",
            Purpose::Consultation,
            "M-9",
            &options
        )),
        RuleError::Unknown {
            kind: "meeting",
            ..
        }
    ));
    let mut office = online_meeting(Form::Card);
    for (options, why) in [
        (
            &["同意"][..],
            "it needs two to ten options, each named once",
        ),
        (
            &["同意", "同意"][..],
            "it needs two to ten options, each named once",
        ),
        (
            &["同意", " "][..],
            "it needs two to ten options, each named once",
        ),
    ] {
        assert_eq!(
            office.refused(round(&office, "R-1", Purpose::Consultation, "M-1", options)),
            RuleError::Round {
                round: "R-1".into(),
                why
            }
        );
    }
    let Body::Round(good) = round(&office, "R-1", Purpose::Consultation, "M-1", &options) else {
        unreachable!()
    };
    for (broken, why) in [
        (
            proto::Round {
                codes_issued: 0,
                ..good.clone()
            },
            "it issues between 1 and 10,000 codes",
        ),
        (
            proto::Round {
                codes_issued: 10_001,
                ..good.clone()
            },
            "it issues between 1 and 10,000 codes",
        ),
        (
            proto::Round {
                salt: vec![1; 31],
                ..good.clone()
            },
            "its salt and codes root are 32 bytes each",
        ),
        (
            proto::Round {
                closes_ms: office.now_ms,
                ..good.clone()
            },
            "it closes before it opens",
        ),
        (
            proto::Round {
                id: "R-1\nR-2".into(),
                ..good.clone()
            },
            "its id is at most 64 characters, without spaces or slashes",
        ),
        (
            proto::Round {
                topic_id: "T-9".into(),
                ..good.clone()
            },
            "its topic is not on the meeting's agenda",
        ),
    ] {
        let id = broken.id.clone();
        assert_eq!(
            office.refused(Body::Round(broken)),
            RuleError::Round { round: id, why }
        );
    }
    // Once the result is formed, no round opens on the meeting.
    steps_until(&mut office, "M-1", Some(Step::PublishResult));
    assert!(matches!(
        office.refused(Body::Round(good)),
        RuleError::Round {
            why: "the meeting has already formed its result",
            ..
        }
    ));
}

#[test]
fn residents_evaluate_a_topic_carried_out_by_code() {
    let mut office = online_meeting(Form::Card);
    steps_until(&mut office, "M-1", Some(Step::PublishResult));
    office.ok(outcome("T-1", "M-1", proto::outcome::Class::Immediate));
    office.ok(step("M-1", Step::PublishResult));
    let evaluation =
        |office: &Office| round(office, "E-1", Purpose::Evaluation, "", &EVALUATION_OPTIONS);
    // Not before it is done and visited.
    assert!(matches!(
        office.refused(evaluation(&office)),
        RuleError::TopicStatus { .. }
    ));
    office.ok(progress("T-1", true));
    assert_eq!(
        office.refused(evaluation(&office)),
        RuleError::NoFollowUp("T-1".into())
    );
    office.ok(follow_up("T-1"));
    assert!(matches!(
        office.refused(round(
            &office,
            "E-1",
            Purpose::Evaluation,
            "",
            &["好", "不好"]
        )),
        RuleError::Round {
            why: "an evaluation round needs the three answers",
            ..
        }
    ));
    office.ok(evaluation(&office));
    // While residents evaluate by code, a typed-in evaluation waits.
    assert!(matches!(
        office.refused(super::rules::evaluation("T-1", (3, 1, 0))),
        RuleError::Round { .. }
    ));
    office.now_ms += 49 * HOUR_MS;
    let tally = counted("E-1");
    office.ok(Body::Tally(tally.clone()));
    let published = notices::published(&office.state, &Body::Tally(tally), "", vec![]);
    assert_eq!(published[0].title, "关于“社区老年食堂”的居民评议结果公示");
    assert!(
        published[0].body.contains("满意 10，基本满意 5，不满意 0"),
        "{}",
        published[0].body
    );
    assert!(published[0].body.contains("/r/E-1"));
    office.ok(super::rules::evaluation("T-1", (10, 5, 0)));
    assert_eq!(office.status("T-1"), TopicStatus::Evaluated);
}

#[test]
fn scheduling_a_meeting_announces_it_with_its_agenda_and_policies() {
    let mut office = Office::new();
    office.ok(topic("T-1", proto::Scale::Minor));
    office.ok(gate("T-1", proto::gate_decision::Verdict::Accept));
    let body = meeting("M-1", &["T-1"], Form::Card, &["P-party"], "2026-11-11");
    office.ok(body.clone());
    let published = notices::published(
        &office.state,
        &body,
        "政策宣讲：《济南市养老服务条例》",
        vec![],
    );
    assert_eq!(published.len(), 1);
    let n = &published[0];
    assert_eq!(n.title, "议前公示：2026-11-11 卡片协商");
    for expected in [
        "2026-11-11",
        "卡片协商",
        "1. 社区老年食堂",
        "地点：社区议事厅",
        "《济南市养老服务条例》",
    ] {
        assert!(n.body.contains(expected), "{expected} not in {}", n.body);
    }
    assert_eq!(n.topic_id, "T-1");
}

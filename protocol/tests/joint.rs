//! Topics both ways and the joint meeting, as one ledger's rules see them:
//! an assignment goes to an office this one chartered; an answer is given
//! once, naming a topic just proposed or a reason; members propose while
//! they sit; the study schedule is a street's and names real days.

use yiyi_protocol::proto::{self, Level, entry::Body, standing_member::Kind};
use yiyi_protocol::rules::joint::{next_study, reply_fits};
use yiyi_protocol::rules::{Date, RuleError, check_level};
use yiyi_protocol::{LogKey, SecretKey};

use crate::rules::{Office, topic};

fn assignment(id: &str, to: &LogKey) -> proto::Assignment {
    proto::Assignment {
        id: id.into(),
        office: to.to_vec(),
        title: "背街小巷路灯改造".into(),
        category: proto::Category::PublicAffairs as i32,
        scale: proto::Scale::Major as i32,
        ..Default::default()
    }
}

fn reply(id: &str, from: &LogKey, accepted: bool, topic: &str, reason: &str) -> Body {
    Body::AssignmentReply(proto::AssignmentReply {
        assignment: Some(proto::EntryRef {
            log: from.to_vec(),
            sequence: 3,
            hash: vec![1; 32],
        }),
        assignment_id: id.into(),
        title: "背街小巷路灯改造".into(),
        accepted,
        topic_id: topic.into(),
        reason: reason.into(),
    })
}

#[test]
fn an_assignment_goes_to_an_office_this_one_chartered() {
    let mut street = Office::new();
    let community = SecretKey::generate("yiyi/lixia/quancheng/shunyu").unwrap();
    let elsewhere = SecretKey::generate("yiyi/lixia/daming/beiyuan").unwrap();
    street.ok(Body::Charter(proto::Charter {
        action: proto::charter::Action::Admit as i32,
        verifier_key: community.verifier().to_string(),
        name: "舜玉社区".into(),
        level: Level::Community as i32,
        origin: "yiyi/lixia/quancheng/shunyu".into(),
        ..Default::default()
    }));
    street.ok(Body::Assignment(assignment("A-1", &community.log_key())));
    assert!(matches!(
        street.refused(Body::Assignment(assignment("A-1", &community.log_key()))),
        RuleError::Duplicate { .. }
    ));
    assert!(matches!(
        street.refused(Body::Assignment(assignment("A-2", &elsewhere.log_key()))),
        RuleError::Unknown {
            kind: "admitted office",
            ..
        }
    ));
    let mut untitled = assignment("A-3", &community.log_key());
    untitled.title = " ".into();
    assert!(matches!(
        street.refused(Body::Assignment(untitled)),
        RuleError::Missing { .. }
    ));
    // A community has nobody below it; a district may assign to streets.
    let body = Body::Assignment(assignment("A-4", &community.log_key()));
    assert_eq!(
        check_level(Level::Community, &body),
        Err(RuleError::AssignsBelow("community"))
    );
    assert_eq!(check_level(Level::District, &body), Ok(()));

    // The answer fits the assignment it names, addressed to the one
    // answering, and no other.
    let a = assignment("A-1", &community.log_key());
    let Body::AssignmentReply(r) = reply("A-1", &LogKey([9; 32]), false, "", "无此需要") else {
        unreachable!()
    };
    assert_eq!(reply_fits(&a, &r, &community.log_key()), Ok(()));
    assert!(reply_fits(&a, &r, &elsewhere.log_key()).is_err());
}

#[test]
fn an_answer_is_given_once_naming_a_topic_just_proposed_or_a_reason() {
    let mut community = Office::new();
    let street = LogKey([9; 32]);
    assert!(matches!(
        community.refused(reply("A-1", &street, false, "", "  ")),
        RuleError::Missing {
            field: "a reason",
            ..
        }
    ));
    // Accepted: the topic must be there, proposed, and named by no other.
    assert!(matches!(
        community.refused(reply("A-1", &street, true, "T-A-1", "")),
        RuleError::Unknown { .. }
    ));
    community.ok(topic("T-A-1", proto::Scale::Major));
    community.ok(reply("A-1", &street, true, "T-A-1", ""));
    assert!(matches!(
        community.refused(reply("A-1", &street, false, "", "改变主意")),
        RuleError::Duplicate { .. }
    ));
    assert!(matches!(
        community.refused(reply("A-2", &street, true, "T-A-1", "")),
        RuleError::TopicStatus { .. }
    ));
    // Another street's assignment of the same id is another assignment.
    community.ok(reply("A-1", &LogKey([8; 32]), false, "", "不属本社区"));
}

#[test]
fn members_propose_while_they_sit_and_the_joint_meeting_is_a_street_s() {
    let mut street = Office::new();
    let member = |id: &str, withdrawn| {
        Body::StandingMember(proto::StandingMember {
            id: id.into(),
            name: "泉城路商户协会".into(),
            kind: Kind::SocialOrganisation as i32,
            withdrawn,
        })
    };
    let proposal = |topic: &str, member: &str| {
        Body::MemberProposal(proto::MemberProposal {
            topic_id: topic.into(),
            member_id: member.into(),
        })
    };
    street.ok(member("U-assoc", false));
    street.ok(topic("T-1", proto::Scale::Major));
    street.ok(proposal("T-1", "U-assoc"));
    assert_eq!(street.state.member_topics["T-1"], "U-assoc");
    // Once per topic; only by a member that sits.
    street.ok(topic("T-2", proto::Scale::Major));
    assert!(matches!(
        street.refused(proposal("T-1", "U-assoc")),
        RuleError::TopicStatus { .. }
    ));
    assert!(matches!(
        street.refused(proposal("T-2", "U-none")),
        RuleError::Unknown { .. }
    ));
    street.ok(member("U-assoc", true));
    assert!(matches!(
        street.refused(proposal("T-2", "U-assoc")),
        RuleError::ParticipantWithdrawn(_)
    ));
    let kindless = Body::StandingMember(proto::StandingMember {
        id: "U-x".into(),
        name: "某单位".into(),
        ..Default::default()
    });
    assert!(matches!(
        street.refused(kindless),
        RuleError::Unspecified(_)
    ));
    for body in [member("U-a", false), proposal("T-1", "U-a")] {
        assert_eq!(
            check_level(Level::Community, &body),
            Err(RuleError::StreetOnly("community"))
        );
        assert_eq!(check_level(Level::Street, &body), Ok(()));
    }
}

#[test]
fn the_study_schedule_names_real_days_and_the_next_one_is_found() {
    let quarterly = proto::StudySchedule {
        day: 15,
        months: vec![1, 4, 7, 10],
        place: String::new(),
    };
    let day = |s: &str| Date::parse(s).unwrap();
    assert_eq!(
        next_study(&quarterly, day("2026-12-06")),
        Some(day("2027-01-15"))
    );
    assert_eq!(
        next_study(&quarterly, day("2027-01-15")),
        Some(day("2027-01-15"))
    );
    assert_eq!(
        next_study(&quarterly, day("2027-01-16")),
        Some(day("2027-04-15"))
    );
    let monthly = proto::StudySchedule {
        day: 28,
        months: (1..=12).collect(),
        place: String::new(),
    };
    assert_eq!(
        next_study(&monthly, day("2027-02-28")),
        Some(day("2027-02-28"))
    );
    assert_eq!(
        next_study(&monthly, day("2027-12-29")),
        Some(day("2028-01-28"))
    );

    let mut street = Office::new();
    street.ok(Body::StudySchedule(quarterly.clone()));
    for (day, months) in [
        (29, vec![1]),
        (0, vec![1]),
        (15, vec![]),
        (15, vec![4, 1]),
        (15, vec![13]),
    ] {
        let bad = Body::StudySchedule(proto::StudySchedule {
            day,
            months,
            place: String::new(),
        });
        assert!(
            matches!(
                street.refused(bad),
                RuleError::OutOfRange { .. } | RuleError::Unspecified(_)
            ),
            "day {day}"
        );
    }
}

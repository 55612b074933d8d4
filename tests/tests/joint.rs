//! Topics both ways (议题双向提出) and the street's joint meeting: a street
//! puts a topic on two communities' agendas; one accepts it as a topic, the
//! other declines it with a reason; both answers are recorded, published,
//! and seen at the street. Standing members propose topics to the street;
//! its study of major matters has a schedule. What may not be written is
//! refused and changes nothing.

use yiyi_tests::federation::{Federation, federation, log_of, wait_for};
use yiyi_tests::{Json, Node};

/// The assignments `node` sent, by id: (title, answer) where the answer is
/// `None` until one is held.
fn sent(node: &Node) -> Vec<(String, Option<serde_json::Value>)> {
    node.get("/api/v1/assignments")
        .list_at("/sent")
        .iter()
        .map(|a| {
            let reply = a.at("/reply");
            (
                a.str_at("/id").to_owned(),
                (!reply.is_null()).then(|| reply.clone()),
            )
        })
        .collect()
}

#[test]
fn a_street_assigns_a_topic_down_one_community_accepts_another_declines_and_the_street_sees_both() {
    let Federation {
        district: _district,
        streets,
        communities,
    } = federation();
    let (street, first, second) = (&streets[0], &communities[0], &communities[1]);

    for (id, to) in [("A-lights", "社区1"), ("A-wall", "社区2")] {
        street.yiyi(&format!(
            "assignment send --id {id} --office {to} --title '背街小巷路灯改造' --summary '街道年度重点工程，请社区征求居民意见' --category public-affairs --scale major --reply-by 2099-01-31"
        ));
    }
    // Not to an office it did not charter, nor by a community.
    let other = &communities[2];
    let refused = street.refused(&format!(
        "assignment send --id A-x --office {} --title 路灯 --category public-affairs --scale minor",
        log_of(&other.vkey)
    ));
    assert!(refused.contains("admitted office"), "{refused}");
    let refused = first.refused(&format!(
        "assignment send --id A-y --office {} --title 路灯 --category public-affairs --scale minor",
        log_of(&second.vkey)
    ));
    assert!(refused.contains("admitted office"), "{refused}");

    // Each community sees the one addressed to it, once it holds the
    // street's ledger.
    for community in [first, second] {
        wait_for("the assignment to reach the community", || {
            community
                .get("/api/v1/assignments")
                .list_at("/received")
                .len()
                == 1
        });
    }
    // One community cannot answer the other's.
    let refused = second.refused("assignment accept A-lights");
    assert!(refused.contains("assignment to this office"), "{refused}");

    // Accepted: a topic, proposed, from the street; the answer published.
    let accepted = first.yiyi("assignment accept A-lights");
    assert_eq!(accepted.str_at("/status"), "accepted");
    let notice = accepted.str_at("/notices/0/hash").to_owned();
    let topic = first.get("/api/v1/topics/T-A-lights");
    assert_eq!(topic.str_at("/title"), "背街小巷路灯改造");
    assert_eq!(topic.str_at("/status"), "proposed");
    assert_eq!(topic.str_at("/source"), "street-joint-meeting");
    let notices = first.get("/api/v1/notices");
    let published = notices
        .list_at("/notices")
        .iter()
        .find(|n| n.str_at("/hash") == notice)
        .unwrap_or_else(|| panic!("the answer's notice in {notices}"));
    assert!(
        published
            .str_at("/title")
            .contains("关于交办议题“背街小巷路灯改造”的答复")
    );
    // Once only.
    first.refused("assignment accept A-lights --topic T-again");

    // Declined: with a reason, published; a reason is needed.
    let refused = second.refused("assignment decline A-wall --reason ' '");
    assert!(refused.contains("reason"), "{refused}");
    second.yiyi("assignment decline A-wall --reason '本社区无背街小巷，路灯已由物业更换'");

    // The street sees both answers.
    wait_for("both answers at the street", || {
        sent(street).iter().all(|(_, reply)| reply.is_some())
    });
    let answers = sent(street);
    let by_id = |id: &str| {
        answers
            .iter()
            .find(|(i, _)| i == id)
            .and_then(|(_, r)| r.clone())
            .unwrap()
    };
    assert_eq!(by_id("A-lights").at("/accepted"), true);
    assert_eq!(by_id("A-lights").str_at("/topic"), "T-A-lights");
    assert_eq!(by_id("A-wall").at("/accepted"), false);
    assert_eq!(
        by_id("A-wall").str_at("/reason"),
        "本社区无背街小巷，路灯已由物业更换"
    );
    // And an assignment past its day without an answer is late.
    street.yiyi("assignment send --id A-late --office 社区1 --title 垃圾分类 --category policy --scale minor --reply-by 2020-01-01");
    let listed = street.get("/api/v1/assignments");
    let late = listed
        .list_at("/sent")
        .iter()
        .find(|a| a.str_at("/id") == "A-late")
        .unwrap();
    assert_eq!(late.at("/late"), true);
}

#[test]
fn a_street_s_joint_meeting_has_standing_members_who_propose_topics_and_a_study_schedule() {
    let Federation {
        district: _district,
        streets,
        communities,
    } = federation();
    let street = &streets[0];
    street.yiyi("joint member --id U-bank --kind resident-unit --name 泉城路支行");
    street.yiyi("joint member --id U-assoc --kind social-organisation --name 泉城路商户协会");
    street.yiyi(
        "topic propose --id T-parking --title '商户夜间停车' --category public-affairs --scale major --source street-joint-meeting --member U-assoc",
    );
    let joint = street.get("/api/v1/joint-meeting");
    let assoc = joint
        .list_at("/members")
        .iter()
        .find(|m| m.str_at("/id") == "U-assoc")
        .unwrap()
        .clone();
    assert_eq!(assoc.str_at("/kind"), "social-organisation");
    assert_eq!(assoc.at("/topics"), &serde_json::json!(["T-parking"]));
    // A member that is not one, or withdrew, proposes nothing; and the
    // topic is not written either.
    let refused = street.refused(
        "topic propose --id T-x --title 路灯 --category public-affairs --scale minor --source street-joint-meeting --member U-none",
    );
    assert!(refused.contains("standing member"), "{refused}");
    assert!(street.get_text("/api/v1/topics/T-x").is_none());
    street.yiyi("joint withdraw --id U-bank --kind resident-unit --name 泉城路支行");
    street.refused(
        "topic propose --id T-y --title 路灯 --category public-affairs --scale minor --source street-joint-meeting --member U-bank",
    );

    // The study of major matters: the 15th of each quarter's first month.
    street.yiyi("joint study --day 15 --months 1,4,7,10 --place 街道党群服务中心");
    let study = street.get("/api/v1/joint-meeting?on=2027-02-01");
    assert_eq!(study.str_at("/study/next"), "2027-04-15");
    let study = street.get("/api/v1/joint-meeting?on=2027-04-15");
    assert_eq!(study.str_at("/study/next"), "2027-04-15");
    street.refused("joint study --day 31");
    // A joint meeting is a street's.
    let refused =
        communities[0].refused("joint member --id U-a --kind resident-unit --name 某单位");
    assert!(refused.contains("joint meeting"), "{refused}");
}

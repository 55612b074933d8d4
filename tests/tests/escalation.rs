//! Escalated matters across real nodes on loopback (the federation of
//! `yiyi_tests::federation`: 历下区, two streets, four communities).
//!
//! A suggestion goes up while its street's node is down and its own node is
//! killed right after recording it: it is delivered once both are back, and
//! received exactly once. A returned matter reaches the community's
//! notices. A forwarded one is dispatched by the district to a coordination
//! group of two departments, resolved by both, and the resolution notice
//! published at the community verifies back to the district's key. A
//! street's cross-community consultation is noticed in each community.

use std::time::Duration;

use serde_json::Value;
use yiyi_protocol::VerifierKey;
use yiyi_protocol::proto::notice::Kind;
use yiyi_tests::federation::{federation, log_of, verify_notice_at, wait_for};
use yiyi_tests::{Json, Node, today};

fn matter(node: &Node, id: &str) -> Value {
    node.get(&format!("/api/v1/matters/{}", id.replace('/', "%2F")))
}

fn steps(matter: &Value, action: &str) -> usize {
    matter
        .list_at("/path")
        .iter()
        .flat_map(|hop| hop.list_at("/steps"))
        .filter(|s| s.str_at("/action") == action)
        .count()
}

#[test]
fn escalations_are_delivered_once_decided_dispatched_resolved_and_noticed() {
    let mut fed = federation();
    let district_key = VerifierKey::parse(&fed.district.vkey).unwrap();

    // 社区一 consults on a bus line and classifies it as a suggestion.
    fed.communities[0].consult_to_suggestion("T-bus", "增开公交线路", "请区交通局增开线路");

    // Its street is down; the escalation is recorded and the community's
    // node is killed before it could deliver it.
    fed.streets[0].kill();
    let sent = fed.communities[0].yiyi("escalation send T-bus --priority important");
    assert_eq!(sent.str_at("/id"), "shunyu/T-bus");
    let escalation = sent.str_at("/entry/hash").to_owned();
    fed.communities[0].kill();

    // Both come back (the street where its communities dial it).
    let street_port = fed.streets[0].p2p_port();
    let district_p2p = fed.district.p2p.clone();
    let street_listen = format!("/ip4/127.0.0.1/tcp/{street_port}");
    fed.streets[0].run(&format!("--peer {district_p2p} --listen {street_listen}"));
    let street_p2p = fed.streets[0].p2p.clone();
    fed.communities[0].run(&format!("--peer {street_p2p}"));

    wait_for("the receipt to reach the community", || {
        // The sender holds the matter from the start: the flag is always there.
        matter(&fed.communities[0], &escalation).at("/path/0/receipt_held") == true
    });
    let at_street = matter(&fed.streets[0], &escalation);
    assert_eq!(at_street.str_at("/path/0/status"), "received");
    assert_eq!(at_street.str_at("/path/0/priority"), "important");
    assert_eq!(steps(&at_street, "receipt"), 1, "received exactly once");
    // Restarting the sender again sends nothing more: the receipt is held.
    fed.communities[0].kill();
    fed.communities[0].run(&format!("--peer {street_p2p}"));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(steps(&matter(&fed.streets[0], &escalation), "receipt"), 1);

    // 社区二's suggestion is returned by the street, with a reason.
    fed.communities[1].consult_to_suggestion("T-wall", "修缮小区围墙", "请街道拨付维修资金");
    let returned = fed.communities[1].yiyi("escalation send T-wall");
    let returned = returned.str_at("/entry/hash").to_owned();
    wait_for("the street to receive the second matter", || {
        fed.streets[0]
            .get("/api/v1/matters")
            .list_at("/matters")
            .iter()
            .any(|m| m.str_at("/id") == returned && m.str_at("/status") == "received")
    });
    fed.streets[0]
        .yiyi("escalation return quanhe/T-wall --reason 属社区维修基金使用范围，请社区按程序申请");
    wait_for("the return notice at the community", || {
        !fed.communities[1]
            .notices_of(Kind::Returned, "T-wall")
            .is_empty()
    });
    let notice = &fed.communities[1].notices_of(Kind::Returned, "T-wall")[0];
    assert!(notice.str_at("/body").contains("社区维修基金"));
    assert_eq!(
        fed.communities[1]
            .get("/api/v1/topics/T-wall")
            .str_at("/status"),
        "accepted",
        "a returned suggestion is consulted on again"
    );

    // The street forwards the bus line to the district.
    let forwarded = fed.streets[0]
        .yiyi("escalation forward shunyu/T-bus --reason 涉及公交线网调整，超出街道职权");
    assert_eq!(forwarded.str_at("/status"), "forwarded");
    let hop = forwarded.str_at("/forwarded/hash").to_owned();
    wait_for("the district to receive the forwarded matter", || {
        fed.district
            .get("/api/v1/matters")
            .list_at("/matters")
            .iter()
            .any(|m| m.str_at("/id") == hop && m.str_at("/status") == "received")
    });

    // The district's directory, and a dispatch to two departments.
    for (id, name, kind) in [
        ("jtj", "区交通运输局", "公交线路"),
        ("zjj", "区住房和城乡建设局", "道路设施"),
    ] {
        fed.district.yiyi(&format!(
            "department add {id} --name {name} --handles {kind}"
        ));
    }
    // A department not in the directory is refused, and nothing changes.
    let refused = fed
        .district
        .refused(&format!("escalation dispatch {hop} --department nobody"));
    assert!(refused.contains("nobody"), "{refused}");
    let dispatched = fed.district.yiyi(&format!(
        "escalation dispatch {hop} --department jtj --department zjj --priority urgent"
    ));
    assert_eq!(dispatched.str_at("/status"), "dispatched");
    let partly = fed.district.yiyi(&format!(
        "escalation resolve {hop} --department jtj --result 已调整102路走向，增设泉城路站"
    ));
    assert_eq!(
        partly.str_at("/status"),
        "dispatched",
        "one of two departments"
    );
    let resolved = fed.district.yiyi(&format!(
        "escalation resolve {hop} --department zjj --result 已施划公交港湾"
    ));
    assert_eq!(resolved.str_at("/status"), "resolved");

    // The resolution comes down by replication and is published at 社区一.
    wait_for("the resolution notice at the community", || {
        !fed.communities[0]
            .notices_of(Kind::Resolution, "T-bus")
            .is_empty()
    });
    let notice = &fed.communities[0].notices_of(Kind::Resolution, "T-bus")[0];
    let body = notice.str_at("/body");
    assert!(
        body.contains("区交通运输局") && body.contains("已施划公交港湾"),
        "{body}"
    );
    assert_eq!(
        fed.communities[0]
            .get("/api/v1/topics/T-bus")
            .str_at("/status"),
        "done",
        "on to follow-up and evaluation"
    );
    // The notice names the district's signed resolutions as its sources;
    // each verifies at the community against the pinned district key.
    let held = fed.communities[0].get(&format!(
        "/api/v1/entries/by-hash/{}",
        notice.str_at("/hash")
    ));
    let bytes = hex::decode(held.str_at("/bytes")).unwrap();
    let entry = yiyi_protocol::entry::verify(&bytes).unwrap();
    let Some(yiyi_protocol::proto::entry::Body::Notice(n)) = entry.entry.body else {
        panic!("not a notice");
    };
    assert_eq!(n.sources.len(), 2);
    for source in &n.sources {
        assert_eq!(hex::encode(&source.log), log_of(&fed.district.vkey));
        verify_notice_at(
            &fed.communities[0],
            &hex::encode(&source.hash),
            &district_key,
        );
    }

    // The whole path, at the community: three offices, every step verifies.
    let path = matter(&fed.communities[0], "shunyu/T-bus");
    let hops = path.list_at("/path");
    assert_eq!(hops.len(), 2);
    for action in ["escalation", "receipt", "forward", "dispatch"] {
        assert!(steps(&path, action) >= 1, "{action} in {path}");
    }
    assert_eq!(steps(&path, "resolution"), 2);
    assert!(
        hops.iter()
            .flat_map(|h| h.list_at("/steps"))
            .all(|s| s.at("/verifies") == true),
        "{path}"
    );
    let shown = yiyi_tests::command("yiyi", "--lang zh matter show shunyu/T-bus")
        .env("YIYI_NODE", &fed.communities[0].url)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.status.success(), "{text}");
    assert!(text.contains("派单") && text.contains("签名有效"), "{text}");
    // The district by its profile's name, not its key's.
    assert!(
        text.contains("历下区") && !text.contains("yiyi/lixia"),
        "{text}"
    );
}

#[test]
fn a_cross_community_consultation_is_noticed_in_each_community() {
    let fed = federation();
    let street = &fed.streets[1];
    street.propose("S-river", "护城河沿线环境整治");
    street.yiyi("topic accept S-river");
    street.yiyi(&format!(
        "meeting schedule --id M-joint --topic S-river --level cross-community --form meeting \
         --date {} --procedure 各社区推选代表三名，街道工委主持，按七定程序协商 \
         --community {} --community {}",
        today(),
        fed.communities[2].vkey,
        fed.communities[3].vkey,
    ));
    for community in &fed.communities[2..] {
        wait_for("the joint meeting's notice", || {
            community
                .get("/api/v1/notices")
                .list_at("/notices")
                .iter()
                .any(|n| {
                    n.at("/kind") == Kind::JointConsultation as i32
                        && n.str_at("/body").contains("护城河沿线环境整治")
                })
        });
    }
    // Communities of the other street are not part of it.
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        !fed.communities[0]
            .get("/api/v1/notices")
            .list_at("/notices")
            .iter()
            .any(|n| n.at("/kind") == Kind::JointConsultation as i32)
    );
}

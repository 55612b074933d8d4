//! A city above the districts (市), with real processes on loopback: 济南市
//! admits 历下区 and 市中区 by city charter; each admits a street, each
//! street a community; an archive node keeps everything.
//!
//! A community's notice reaches its street, its district, the city and the
//! archive, and verifies at each against the city's key and against its
//! district's; a resident at the other district's community gets it
//! through her own node (fetched on demand) and verifies it the same way.
//! A suggestion goes up community → street → district → city; the city
//! dispatches it to a department of its own directory and resolves it; the
//! resolution is noticed at the community, the whole path verifying.

use serde_json::Value;
use yiyi_protocol::proto::notice::Kind;
use yiyi_tests::federation::{active_members, admit, holds, pinned, wait_for};
use yiyi_tests::{Json, Node, command};

/// The city's tree: 济南市; 历下区 → 泉城路街道 → 舜玉社区 and 市中区 →
/// 七里山街道 → 七里山社区; and an archive node dialling the city.
struct City {
    city: Node,
    districts: [Node; 2],
    streets: [Node; 2],
    communities: [Node; 2],
    archive: Node,
}

fn city() -> City {
    let city = Node::start_init("--level city --name 济南市 --origin yiyi/jinan", "");
    let districts = [("lixia", "历下区"), ("shizhong", "市中区")]
        .map(|(origin, name)| pinned(&city, origin, name, "district", &city));
    for (district, name) in districts.iter().zip(["历下区", "市中区"]) {
        admit(&city, district, name, "district");
    }
    let streets = [
        ("quancheng", "泉城路街道", 0),
        ("qilishan", "七里山街道", 1),
    ]
    .map(|(origin, name, d)| {
        let street = pinned(&city, origin, name, "street", &districts[d]);
        admit(&districts[d], &street, name, "street");
        street
    });
    let communities =
        [("shunyu", "舜玉社区", 0), ("qilishan-c", "七里山社区", 1)].map(|(origin, name, s)| {
            let community = pinned(&city, origin, name, "community", &streets[s]);
            admit(&streets[s], &community, name, "community");
            community
        });
    let archive = Node::start_init(
        &format!(
            "--level community --name 档案馆 --origin yiyi/archive --city {}",
            city.vkey
        ),
        &format!("--archive --peer {}", city.p2p),
    );
    let c = City {
        city,
        districts,
        streets,
        communities,
        archive,
    };
    // Each node keeps what its office needs: the city all seven ledgers,
    // the archive those and its own (eight); a district, a street or a
    // community its own, those above it and those below (four). (While it looked for its place, a
    // node may have read the other district's ledger and so know of its
    // street: knowing an office is not keeping its ledger.)
    for (node, keeps) in [(&c.city, 7), (&c.archive, 8)]
        .into_iter()
        .chain(c.districts.iter().map(|d| (d, 4)))
        .chain(c.streets.iter().map(|s| (s, 4)))
        .chain(c.communities.iter().map(|n| (n, 4)))
    {
        let seen = std::cell::RefCell::new(Value::Null);
        let what = format!("{} to keep {keeps} ledgers", node.url);
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            wait_for(&what, || {
                let sync = node.get("/api/v1/sync");
                let kept = 1 + sync.list_at("/logs").len();
                *seen.borrow_mut() = sync;
                kept == keeps && active_members(node) >= 5
            })
        }))
        .is_err()
        {
            panic!("{what}: {}", seen.borrow());
        }
    }
    c
}

/// `yiyi verify HASH --trust KEY` at `node`: the JSON verdict, and whether
/// it verified.
fn verify(node: &Node, hash: &str, trust: &str) -> (Value, bool) {
    let state = tempfile::tempdir().unwrap();
    let out = command(
        "yiyi",
        &format!("--json --lang en verify {hash} --trust {trust}"),
    )
    .env("YIYI_NODE", &node.url)
    .env("YIYI_STATE", state.path())
    .output()
    .unwrap();
    let verdict = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (verdict, out.status.success())
}

#[test]
fn a_city_federation_verifies_everywhere_and_takes_a_district_s_suggestion() {
    let c = city();
    let (city_key, lixia_key) = (c.city.vkey.clone(), c.districts[0].vkey.clone());
    // Every office knows the root as a city, by its profile or its city
    // charters, and names it as its profile does.
    for node in [&c.city, &c.streets[1], &c.communities[0]] {
        wait_for("the root known as 济南市, a city", || {
            node.get("/api/v1/federation")
                .list_at("/members")
                .iter()
                .any(|m| m.str_at("/level") == "city" && m.str_at("/name") == "济南市")
        });
    }
    assert_eq!(c.city.get("/api/v1/profile").str_at("/level"), "city");

    // 舜玉社区's notice: kept by its street, its district, the city and
    // the archive, and verified at each, to the city and to its district.
    let hash = c.communities[0].decline("T-park", "小区停车位划线");
    for node in [&c.streets[0], &c.districts[0], &c.city, &c.archive] {
        wait_for("the notice at each office that keeps it", || {
            holds(node, &hash)
        });
        wait_for("the notice to verify to the city's key", || {
            verify(node, &hash, &city_key).1
        });
        let (verdict, ok) = verify(node, &hash, &lixia_key);
        assert!(ok, "to the district's key at {}: {verdict}", node.url);
    }
    let (verdict, _) = verify(&c.city, &hash, &city_key);
    assert_eq!(verdict.str_at("/office"), "舜玉社区");
    assert_eq!(verdict.list_at("/chain").len(), 4, "{verdict}");
    assert_eq!(verdict.str_at("/chain/3"), "济南市", "{verdict}");
    // Not kept in the other district's branch.
    assert!(!holds(&c.districts[1], &hash) && !holds(&c.communities[1], &hash));

    // A resident of 七里山社区 asks her own node: it fetches the notice
    // through the offices above and it verifies to the city's key, and to
    // 历下区's; to her own district's it does not (it is not on the chain).
    wait_for("the notice fetched on demand verifies", || {
        verify(&c.communities[1], &hash, &city_key).1
    });
    assert!(holds(&c.communities[1], &hash));
    assert!(verify(&c.communities[1], &hash, &lixia_key).1);
    let (verdict, ok) = verify(&c.communities[1], &hash, &c.districts[1].vkey);
    assert!(!ok, "{verdict}");
    assert_eq!(verdict.str_at("/failed"), "charter-chain", "{verdict}");

    // A suggestion beyond the district: up the whole chain to the city.
    c.communities[0].consult_to_suggestion(
        "T-rail",
        "增设轨道交通站点",
        "请市里调整轨道交通线网规划",
    );
    let sent = c.communities[0].yiyi("escalation send T-rail --priority important");
    let first = sent.str_at("/entry/hash").to_owned();
    let received = |node: &Node, id: &str| {
        node.get("/api/v1/matters")
            .list_at("/matters")
            .iter()
            .any(|m| m.str_at("/id") == id && m.str_at("/status") == "received")
    };
    wait_for("the street to receive it", || {
        received(&c.streets[0], &first)
    });
    let to_district =
        c.streets[0].yiyi("escalation forward shunyu/T-rail --reason 涉及轨道交通，超出街道职权");
    let to_district = to_district.str_at("/forwarded/hash").to_owned();
    wait_for("the district to receive it", || {
        received(&c.districts[0], &to_district)
    });
    let to_city = c.districts[0].yiyi(&format!(
        "escalation forward {to_district} --reason 轨道交通线网属市级事权"
    ));
    assert_eq!(to_city.str_at("/status"), "forwarded");
    let to_city = to_city.str_at("/forwarded/hash").to_owned();
    wait_for("the city to receive it", || received(&c.city, &to_city));

    // The city's own directory, a dispatch and a resolution.
    c.city
        .yiyi("department add gdjt --name 济南轨道交通集团 --handles 轨道交通");
    let dispatched = c.city.yiyi(&format!(
        "escalation dispatch {to_city} --department gdjt --priority important"
    ));
    assert_eq!(dispatched.str_at("/status"), "dispatched");
    let resolved = c.city.yiyi(&format!(
        "escalation resolve {to_city} --department gdjt --result 已纳入轨道交通三期规划，增设舜玉站"
    ));
    assert_eq!(resolved.str_at("/status"), "resolved");

    // The resolution comes down to 舜玉社区 and is published there.
    wait_for("the resolution notice at the community", || {
        !c.communities[0]
            .notices_of(Kind::Resolution, "T-rail")
            .is_empty()
    });
    let notice = &c.communities[0].notices_of(Kind::Resolution, "T-rail")[0];
    assert!(
        notice.str_at("/body").contains("已纳入轨道交通三期规划"),
        "{notice}"
    );
    // The whole path at the community: four offices, three hops, every
    // step signed and verifying.
    let path = c.communities[0].get("/api/v1/matters/shunyu%2FT-rail");
    let hops = path.list_at("/path");
    assert_eq!(hops.len(), 3, "{path}");
    assert!(
        hops.iter()
            .flat_map(|h| h.list_at("/steps"))
            .all(|s| s.at("/verifies") == true),
        "{path}"
    );
    // And the notice verifies to the city's key at the community.
    let resolution = notice.str_at("/hash").to_owned();
    wait_for("the resolution notice to verify", || {
        verify(&c.communities[0], &resolution, &city_key).1
    });
}

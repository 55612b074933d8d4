//! The federation: charter chains from a pinned district key, and
//! equivocation proofs.

use yiyi_protocol::federation::{
    EquivocationError, Federation, Standing, check_equivocation, checkpoints_equivocation,
    entries_equivocation,
};
use yiyi_protocol::proto::{self, Level, charter::Action, entry::Body};
use yiyi_protocol::{Checkpoint, Hash, SecretKey, entry};

fn key(name: &str) -> SecretKey {
    SecretKey::generate(name).unwrap()
}

fn charter(action: Action, child: &SecretKey, level: Level) -> Body {
    Body::Charter(proto::Charter {
        action: action as i32,
        verifier_key: child.verifier().to_string(),
        name: child.name().into(),
        level: level as i32,
        origin: child.name().into(),
        ..Default::default()
    })
}

fn rotate(old: &SecretKey, new: &SecretKey) -> Body {
    let Body::Charter(mut c) = charter(Action::Rotate, old, Level::Street) else {
        unreachable!()
    };
    c.new_verifier_key = new.verifier().to_string();
    Body::Charter(c)
}

struct Tree {
    district: SecretKey,
    street: SecretKey,
    community: SecretKey,
    federation: Federation,
}

fn tree() -> Tree {
    let district = key("yiyi/lixia");
    let street = key("yiyi/lixia/quancheng");
    let community = key("yiyi/lixia/quancheng/shunyu");
    let mut federation = Federation::new(district.verifier(), "历下区");
    assert!(federation.observe(
        &district.log_key(),
        &charter(Action::Admit, &street, Level::Street)
    ));
    assert!(federation.observe(
        &street.log_key(),
        &charter(Action::Admit, &community, Level::Community)
    ));
    Tree {
        district,
        street,
        community,
        federation,
    }
}

#[test]
fn a_chain_of_charters_from_the_district_admits() {
    let t = tree();
    for k in [&t.district, &t.street, &t.community] {
        assert!(t.federation.accepts(&k.log_key()), "{}", k.name());
    }
    assert_eq!(t.federation.accepted().len(), 3);
    assert_eq!(
        t.federation.parent(&t.community.log_key()),
        Some(t.street.log_key())
    );
}

#[test]
fn a_charter_in_a_log_outside_the_federation_admits_nothing() {
    let mut t = tree();
    let rogue = key("yiyi/rogue");
    let victim = key("yiyi/rogue/fake");
    assert!(!t.federation.observe(
        &rogue.log_key(),
        &charter(Action::Admit, &victim, Level::Street)
    ));
    assert!(!t.federation.accepts(&victim.log_key()));
    assert!(!t.federation.accepts(&rogue.log_key()));
}

#[test]
fn offices_admit_only_offices_below_them_and_a_community_nobody() {
    let mut t = tree();
    // A community signing a charter (its node would refuse to) admits
    // nobody: its "child" is not replicated.
    let below = key("yiyi/lixia/quancheng/shunyu/grid");
    for level in [Level::Community, Level::Street, Level::Grid] {
        assert!(!t.federation.observe(
            &t.community.log_key(),
            &charter(Action::Admit, &below, level)
        ));
    }
    assert!(!t.federation.accepts(&below.log_key()));
    // A street admits communities only, not streets.
    let other = key("yiyi/lixia/other");
    assert!(!t.federation.observe(
        &t.street.log_key(),
        &charter(Action::Admit, &other, Level::Street)
    ));
    assert!(!t.federation.observe(
        &t.district.log_key(),
        &charter(Action::Admit, &other, Level::Grid)
    ));
    assert!(t.federation.observe(
        &t.district.log_key(),
        &charter(Action::Admit, &other, Level::Street)
    ));
}

#[test]
fn a_second_parent_cannot_take_an_office_over() {
    let mut t = tree();
    let other = key("yiyi/lixia/other");
    t.federation.observe(
        &t.district.log_key(),
        &charter(Action::Admit, &other, Level::Street),
    );
    assert!(!t.federation.observe(
        &other.log_key(),
        &charter(Action::Admit, &t.community, Level::Community)
    ));
    // Nor revoke it: only its parent may.
    assert!(!t.federation.observe(
        &other.log_key(),
        &charter(Action::Revoke, &t.community, Level::Community)
    ));
    assert!(t.federation.accepts(&t.community.log_key()));
}

#[test]
fn revoking_a_street_closes_it_and_its_communities() {
    let mut t = tree();
    assert!(t.federation.observe(
        &t.district.log_key(),
        &charter(Action::Revoke, &t.street, Level::Street)
    ));
    assert!(!t.federation.accepts(&t.street.log_key()));
    assert!(!t.federation.accepts(&t.community.log_key()));
    assert_eq!(
        t.federation.member(&t.street.log_key()).unwrap().standing,
        Standing::Revoked
    );
    // A revoked street's charters no longer count.
    let late = key("yiyi/lixia/quancheng/late");
    assert!(!t.federation.observe(
        &t.street.log_key(),
        &charter(Action::Admit, &late, Level::Community)
    ));
}

#[test]
fn rotating_a_key_closes_the_old_log_and_keeps_the_children() {
    let mut t = tree();
    let new = key("yiyi/lixia/quancheng");
    assert!(
        t.federation
            .observe(&t.district.log_key(), &rotate(&t.street, &new))
    );
    assert!(!t.federation.accepts(&t.street.log_key()));
    assert!(t.federation.accepts(&new.log_key()));
    assert!(t.federation.accepts(&t.community.log_key()));
    assert_eq!(
        t.federation.parent(&t.community.log_key()),
        Some(new.log_key())
    );
    // The closed log cannot admit any more.
    let late = key("yiyi/lixia/quancheng/late");
    assert!(!t.federation.observe(
        &t.street.log_key(),
        &charter(Action::Admit, &late, Level::Community)
    ));
}

fn signed_entry(key: &SecretKey, sequence: u64, text: &str) -> Vec<u8> {
    let e = proto::Entry {
        version: proto::SchemaVersion::V1 as i32,
        sequence,
        previous_hash: if sequence == 0 {
            Vec::new()
        } else {
            vec![7; 32]
        },
        time_ms: 1,
        author: key.public_bytes().to_vec(),
        reader_version: String::new(),
        body: Some(Body::Notice(proto::Notice {
            title: text.into(),
            ..Default::default()
        })),
    };
    entry::sign(&e, key).unwrap().bytes
}

#[test]
fn two_entries_at_one_sequence_prove_equivocation() {
    let k = key("yiyi/lixia/quancheng/shunyu");
    let log = k.log_key();
    let (a, b) = (signed_entry(&k, 3, "甲"), signed_entry(&k, 3, "乙"));
    check_equivocation(&entries_equivocation(&log, &a, &b), &k.verifier()).unwrap();
    // The same entry twice, or two sequence numbers, prove nothing.
    assert_eq!(
        check_equivocation(&entries_equivocation(&log, &a, &a), &k.verifier()),
        Err(EquivocationError::Consistent("entries"))
    );
    let c = signed_entry(&k, 4, "乙");
    assert!(check_equivocation(&entries_equivocation(&log, &a, &c), &k.verifier()).is_err());
    // Another key's entry proves nothing against this log.
    let other = key("yiyi/other");
    let d = signed_entry(&other, 3, "乙");
    assert_eq!(
        check_equivocation(&entries_equivocation(&log, &a, &d), &k.verifier()),
        Err(EquivocationError::NotSigned("entry"))
    );
}

#[test]
fn two_checkpoints_of_one_size_prove_equivocation() {
    let k = key("yiyi/lixia/quancheng/shunyu");
    let log = k.log_key();
    let sign = |size, root: u8| {
        Checkpoint::new(k.name(), size, Hash::from_slice(&[root; 32]).unwrap())
            .sign(&k)
            .unwrap()
            .to_string()
    };
    check_equivocation(
        &checkpoints_equivocation(&log, &sign(5, 1), &sign(5, 2)),
        &k.verifier(),
    )
    .unwrap();
    assert!(
        check_equivocation(
            &checkpoints_equivocation(&log, &sign(5, 1), &sign(6, 2)),
            &k.verifier()
        )
        .is_err()
    );
    // The second checkpoint's text changed after signing: not signed.
    let forged = sign(5, 2).replacen("\n5\n", "\n6\n", 1);
    assert_eq!(
        check_equivocation(
            &checkpoints_equivocation(&log, &sign(5, 1), &forged),
            &k.verifier()
        ),
        Err(EquivocationError::NotSigned("checkpoint"))
    );
    assert_eq!(
        check_equivocation(&proto::EquivocationProof::default(), &k.verifier()),
        Err(EquivocationError::Incomplete)
    );
}

fn city_charter(child: &SecretKey, level: Level) -> Body {
    let Body::Charter(c) = charter(Action::Admit, child, level) else {
        unreachable!()
    };
    Body::CityCharter(proto::CityCharter { charter: Some(c) })
}

#[test]
fn a_city_admits_districts_by_city_charter_only() {
    let city = key("yiyi/jinan");
    let district = key("yiyi/jinan/lixia");
    let street = key("yiyi/jinan/lixia/quancheng");
    let mut federation = Federation::new(city.verifier(), "济南市");
    // The older kind from the root admits no district: an older node would
    // have read a district admitting a district.
    assert!(!federation.observe(
        &city.log_key(),
        &charter(Action::Admit, &district, Level::District)
    ));
    // A city charter admits it, and says the root is a city.
    assert!(federation.observe(&city.log_key(), &city_charter(&district, Level::District)));
    assert_eq!(
        federation.member(&city.log_key()).unwrap().level,
        Level::City
    );
    assert_eq!(federation.parent(&district.log_key()), Some(city.log_key()));
    // A city charter admits districts only; a district records none.
    let other = key("yiyi/jinan/other");
    assert!(!federation.observe(&city.log_key(), &city_charter(&other, Level::Street)));
    assert!(!federation.observe(&district.log_key(), &city_charter(&other, Level::District)));
    // Below the district, charters as ever; the chain reaches the city.
    assert!(federation.observe(
        &district.log_key(),
        &charter(Action::Admit, &street, Level::Street)
    ));
    assert!(federation.accepts(&street.log_key()));
    assert_eq!(
        federation.lineage(&street.log_key()),
        vec![street.log_key(), district.log_key(), city.log_key()]
    );
    // A district's scope: its own, the city's and its subtree's.
    let scope = federation.scope(&district.log_key()).unwrap();
    assert_eq!(scope.len(), 3);
    // Revoked by a city charter, the district closes with its subtree.
    let Body::CityCharter(proto::CityCharter {
        charter: Some(mut c),
    }) = city_charter(&district, Level::District)
    else {
        unreachable!()
    };
    c.action = Action::Revoke as i32;
    assert!(federation.observe(
        &city.log_key(),
        &Body::CityCharter(proto::CityCharter { charter: Some(c) })
    ));
    assert!(!federation.accepts(&street.log_key()));
}

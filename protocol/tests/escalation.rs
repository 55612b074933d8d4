//! Escalated matters: community → street → district → departments, and the
//! steps that are refused because they do not follow.

use yiyi_protocol::LogKey;
use yiyi_protocol::escalation::{MatterError, Matters, Status};
use yiyi_protocol::merkle::{self, Hash};
use yiyi_protocol::proto::{self, EntryRef, decision::Verdict, entry::Body};
use yiyi_protocol::rules::{Date, Position};

const COMMUNITY: LogKey = LogKey([3; 32]);
const STREET: LogKey = LogKey([2; 32]);
const DISTRICT: LogKey = LogKey([1; 32]);

/// Hands out positions with distinct hashes, as logs would.
struct Clock(u64);

impl Clock {
    fn next(&mut self) -> Position {
        self.0 += 1;
        Position {
            sequence: self.0,
            hash: merkle::leaf_hash(&self.0.to_be_bytes()),
            time_ms: self.0 as i64 * 1000,
        }
    }
}

fn reference(log: LogKey, at: &Position) -> Option<EntryRef> {
    Some(EntryRef {
        log: log.to_vec(),
        sequence: at.sequence,
        hash: at.hash.as_bytes().to_vec(),
    })
}

fn escalation(to: LogKey) -> Body {
    Body::Escalation(proto::Escalation {
        id: "E-bus".into(),
        topic_id: "T-bus".into(),
        result: "居民希望增设公交站点".into(),
        proposed_solution: "在小区北门增设站点".into(),
        to: to.to_vec(),
        ..Default::default()
    })
}

fn decision(of: &Position, from: LogKey, verdict: Verdict, reason: &str) -> Body {
    Body::Decision(proto::Decision {
        escalation: reference(from, of),
        verdict: verdict as i32,
        reason: reason.into(),
        deadline: "2026-12-31".into(),
    })
}

fn receipt(of: &Position, from: LogKey) -> Body {
    Body::Receipt(proto::Receipt {
        escalation: reference(from, of),
    })
}

fn department(id: &str, name: &str) -> Body {
    Body::Department(proto::Department {
        id: id.into(),
        name: name.into(),
        handles: vec!["交通".into()],
        withdrawn: false,
    })
}

fn resolution(of: &Position, from: LogKey, department: &str) -> Body {
    Body::Resolution(proto::Resolution {
        escalation: reference(from, of),
        result: "已增设站点".into(),
        department_id: department.into(),
    })
}

#[test]
fn a_forwarded_matter_is_dispatched_to_two_departments_and_resolved() {
    let mut clock = Clock(0);
    let mut m = Matters::new();
    let sent = clock.next();
    m.apply(&COMMUNITY, sent, &escalation(STREET)).unwrap();
    m.apply(&STREET, clock.next(), &receipt(&sent, COMMUNITY))
        .unwrap();
    m.apply(
        &STREET,
        clock.next(),
        &decision(&sent, COMMUNITY, Verdict::Forward, ""),
    )
    .unwrap();
    assert_eq!(m.get(&sent.hash).unwrap().status, Status::Forwarded);

    // The street carries it on to the district.
    let Body::Escalation(mut onward) = escalation(DISTRICT) else {
        unreachable!()
    };
    onward.forwards = reference(COMMUNITY, &sent);
    let forwarded = clock.next();
    m.apply(&STREET, forwarded, &Body::Escalation(onward))
        .unwrap();
    m.apply(&DISTRICT, clock.next(), &department("jt", "区交通运输局"))
        .unwrap();
    m.apply(&DISTRICT, clock.next(), &department("zj", "区住建局"))
        .unwrap();
    m.apply(&DISTRICT, clock.next(), &receipt(&forwarded, STREET))
        .unwrap();
    let dispatch = Body::Dispatch(proto::Dispatch {
        escalation: reference(STREET, &forwarded),
        department_ids: vec!["jt".into(), "zj".into()],
        coordination_group: true,
        priority: proto::escalation::Priority::Important as i32,
    });
    m.apply(&DISTRICT, clock.next(), &dispatch).unwrap();
    m.apply(
        &DISTRICT,
        clock.next(),
        &resolution(&forwarded, STREET, "jt"),
    )
    .unwrap();
    assert!(matches!(
        m.get(&forwarded.hash).unwrap().status,
        Status::Dispatched { .. }
    ));
    // The same department twice is refused; the other one closes it.
    assert!(matches!(
        m.check(
            &DISTRICT,
            clock.next(),
            &resolution(&forwarded, STREET, "jt")
        ),
        Err(MatterError::OutOfOrder { .. })
    ));
    m.apply(
        &DISTRICT,
        clock.next(),
        &resolution(&forwarded, STREET, "zj"),
    )
    .unwrap();
    assert!(matches!(
        m.get(&forwarded.hash).unwrap().status,
        Status::Resolved(_)
    ));

    // The path from either hop: the community's escalation, then the street's.
    let path = m.path(&forwarded.hash);
    assert_eq!(path.len(), 2);
    assert_eq!(path[0].id, sent.hash);
    let actions: Vec<&str> = path
        .iter()
        .flat_map(|hop| hop.steps.iter().map(|s| s.kind.name()))
        .collect();
    assert_eq!(
        actions,
        [
            "escalation",
            "receipt",
            "forward",
            "escalation",
            "receipt",
            "dispatch",
            "resolution",
            "resolution"
        ]
    );
}

#[test]
fn steps_out_of_order_or_by_the_wrong_office_are_refused() {
    let mut clock = Clock(0);
    let mut m = Matters::new();
    let sent = clock.next();
    m.apply(&COMMUNITY, sent, &escalation(STREET)).unwrap();
    // Only the addressee signs a receipt or decides.
    assert_eq!(
        m.check(&DISTRICT, clock.next(), &receipt(&sent, COMMUNITY)),
        Err(MatterError::NotAddressee("E-bus".into()))
    );
    // No decision before the receipt.
    assert!(matches!(
        m.check(
            &STREET,
            clock.next(),
            &decision(&sent, COMMUNITY, Verdict::Accept, "")
        ),
        Err(MatterError::OutOfOrder { .. })
    ));
    m.apply(&STREET, clock.next(), &receipt(&sent, COMMUNITY))
        .unwrap();
    // A return needs its reason.
    assert!(matches!(
        m.check(
            &STREET,
            clock.next(),
            &decision(&sent, COMMUNITY, Verdict::Return, " ")
        ),
        Err(MatterError::Invalid(_))
    ));
    // A matter that was not forwarded is not dispatched, and a department
    // must be in the directory.
    let dispatch = Body::Dispatch(proto::Dispatch {
        escalation: reference(COMMUNITY, &sent),
        department_ids: vec!["jt".into()],
        ..Default::default()
    });
    assert_eq!(
        m.check(&STREET, clock.next(), &dispatch),
        Err(MatterError::NoDepartment("jt".into()))
    );
    m.apply(
        &STREET,
        clock.next(),
        &decision(&sent, COMMUNITY, Verdict::Accept, ""),
    )
    .unwrap();
    // Decided once.
    assert!(matches!(
        m.check(
            &STREET,
            clock.next(),
            &decision(&sent, COMMUNITY, Verdict::Forward, "")
        ),
        Err(MatterError::OutOfOrder { .. })
    ));
    // An accepted matter cannot be forwarded onward by anyone.
    let Body::Escalation(mut onward) = escalation(DISTRICT) else {
        unreachable!()
    };
    onward.forwards = reference(COMMUNITY, &sent);
    assert!(
        m.check(&STREET, clock.next(), &Body::Escalation(onward))
            .is_err()
    );
    // Unknown matters are refused by name.
    let stranger = Position {
        sequence: 99,
        hash: Hash::from_slice(&[9; 32]).unwrap(),
        time_ms: 0,
    };
    assert!(matches!(
        m.check(&STREET, clock.next(), &receipt(&stranger, COMMUNITY)),
        Err(MatterError::Unknown(_))
    ));
    // The accepted matter is overdue past its deadline until resolved.
    let matter = m.get(&sent.hash).unwrap();
    assert!(m.overdue(matter, Date::parse("2027-01-01").unwrap()));
    assert!(!m.overdue(matter, Date::parse("2026-12-30").unwrap()));
    m.apply(&STREET, clock.next(), &resolution(&sent, COMMUNITY, ""))
        .unwrap();
    assert!(!m.overdue(
        m.get(&sent.hash).unwrap(),
        Date::parse("2027-01-01").unwrap()
    ));
}

mod delivery {
    use yiyi_protocol::escalation::{DeliveryError, verify_delivery};
    use yiyi_protocol::merkle::{self, MemoryTree};
    use yiyi_protocol::proto::{self, entry::Body};
    use yiyi_protocol::{ChainHead, Checkpoint, LogKey, SecretKey, entry};

    struct Sent {
        community: SecretKey,
        street: LogKey,
        delivery: proto::EscalationDelivery,
    }

    /// A community ledger of three entries, the second an escalation to the
    /// street, delivered with its proof against the community's checkpoint.
    fn sent() -> Sent {
        let community = SecretKey::generate("yiyi/lixia/quancheng/shunyu").unwrap();
        let street = *SecretKey::generate("yiyi/lixia/quancheng")
            .unwrap()
            .public_bytes();
        let mut head = ChainHead::default();
        let mut tree = MemoryTree::new();
        let mut escalation = Vec::new();
        for i in 0..3 {
            let body = if i == 1 {
                Body::Escalation(proto::Escalation {
                    id: "E-1".into(),
                    result: "增设公交站点".into(),
                    to: street.to_vec(),
                    ..Default::default()
                })
            } else {
                Body::Notice(proto::Notice {
                    title: format!("公示{i}"),
                    ..Default::default()
                })
            };
            let next = head.next_entry(&community.log_key(), 1, body);
            let signed = entry::sign(&next, &community).unwrap();
            head = head.advance(&signed);
            tree.push_hash(signed.hash);
            if i == 1 {
                escalation = signed.bytes;
            }
        }
        let checkpoint = Checkpoint::new(community.name(), tree.size(), tree.root())
            .sign(&community)
            .unwrap()
            .to_string();
        let proof = merkle::inclusion_proof(&tree, 1, 3).unwrap();
        Sent {
            street: LogKey(street),
            delivery: proto::EscalationDelivery {
                entry: escalation,
                inclusion_proof: proof.iter().map(|h| h.as_bytes().to_vec()).collect(),
                checkpoint,
            },
            community,
        }
    }

    #[test]
    fn a_genuine_delivery_verifies() {
        let s = sent();
        let verified = verify_delivery(&s.delivery, &s.community.verifier(), &s.street).unwrap();
        assert_eq!(verified.sequence(), 1);
    }

    #[test]
    fn every_broken_part_is_refused_by_name() {
        let s = sent();
        let key = s.community.verifier();
        // Another office's key.
        let other = SecretKey::generate("yiyi/lixia/quancheng/shunyu").unwrap();
        assert_eq!(
            verify_delivery(&s.delivery, &other.verifier(), &s.street),
            Err(DeliveryError::WrongSender)
        );
        // Addressed to someone else.
        assert_eq!(
            verify_delivery(&s.delivery, &key, &LogKey([0; 32])),
            Err(DeliveryError::NotForUs)
        );
        // A flipped byte in the entry.
        let mut d = s.delivery.clone();
        let last = d.entry.len() - 1;
        d.entry[last] ^= 1;
        assert!(matches!(
            verify_delivery(&d, &key, &s.street),
            Err(DeliveryError::Entry(_))
        ));
        // A wrong proof.
        let mut d = s.delivery.clone();
        d.inclusion_proof[0][0] ^= 1;
        assert!(matches!(
            verify_delivery(&d, &key, &s.street),
            Err(DeliveryError::Proof(_))
        ));
        // A checkpoint signed by another key.
        let mut d = s.delivery.clone();
        d.checkpoint = Checkpoint::new(other.name(), 3, merkle::empty_root())
            .sign(&other)
            .unwrap()
            .to_string();
        assert!(matches!(
            verify_delivery(&d, &key, &s.street),
            Err(DeliveryError::Checkpoint(_))
        ));
    }
}

#[test]
fn matters_are_found_by_id_or_hash_queued_by_priority_and_flagged_overdue() {
    let mut clock = Clock(0);
    let mut m = Matters::new();
    let priority = |p: proto::escalation::Priority, id: &str| {
        let Body::Escalation(mut e) = escalation(STREET) else {
            unreachable!()
        };
        e.priority = p as i32;
        e.id = id.into();
        Body::Escalation(e)
    };
    let normal = clock.next();
    m.apply(
        &COMMUNITY,
        normal,
        &priority(proto::escalation::Priority::Normal, "c/T-1"),
    )
    .unwrap();
    let urgent = clock.next();
    m.apply(
        &COMMUNITY,
        urgent,
        &priority(proto::escalation::Priority::Urgent, "c/T-2"),
    )
    .unwrap();
    let older_urgent = Position {
        time_ms: 0,
        ..clock.next()
    };
    m.apply(
        &COMMUNITY,
        older_urgent,
        &priority(proto::escalation::Priority::Urgent, "c/T-3"),
    )
    .unwrap();
    // The same entry again (delivered, then replicated) changes nothing.
    m.apply(
        &COMMUNITY,
        urgent,
        &priority(proto::escalation::Priority::Urgent, "c/T-2"),
    )
    .unwrap();
    let queue: Vec<Hash> = m.queue(&STREET).iter().map(|x| x.id).collect();
    assert_eq!(queue, [older_urgent.hash, urgent.hash, normal.hash]);

    assert_eq!(m.find("c/T-2", Some(&STREET)).unwrap().id, urgent.hash);
    assert_eq!(
        m.find(&normal.hash.to_hex()[..10], None).unwrap().id,
        normal.hash
    );
    assert!(matches!(
        m.find("c/T-9", None),
        Err(MatterError::Unknown(_))
    ));

    // Accepted with a deadline: overdue once it passes, not once resolved.
    m.apply(&STREET, clock.next(), &receipt(&normal, COMMUNITY))
        .unwrap();
    m.apply(
        &STREET,
        clock.next(),
        &decision(&normal, COMMUNITY, Verdict::Accept, ""),
    )
    .unwrap();
    let matter = m.get(&normal.hash).unwrap();
    assert!(!m.overdue(matter, Date::parse("2026-12-31").unwrap()));
    assert!(m.overdue(matter, Date::parse("2027-01-01").unwrap()));
    m.apply(&STREET, clock.next(), &resolution(&normal, COMMUNITY, ""))
        .unwrap();
    let matter = m.get(&normal.hash).unwrap();
    assert!(!m.overdue(matter, Date::parse("2027-01-01").unwrap()));
    assert_eq!(
        matter.resolutions,
        [(String::new(), "已增设站点".to_string())]
    );
    assert_eq!(m.queue(&STREET).len(), 2);
}

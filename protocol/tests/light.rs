//! The resident's checks on a notice bundle: a genuine notice passes, and
//! every kind of forgery fails with the check it breaks named.

use yiyi_protocol::entry::{self, VerifiedEntry};
use yiyi_protocol::light::{self, Bundle, Check, Older, TlogProof};
use yiyi_protocol::merkle::{self, Hash, MemoryTree};
use yiyi_protocol::proto::{self, entry::Body};
use yiyi_protocol::{ChainHead, Checkpoint, SecretKey, SignedNote, VerifierKey};

/// An office's ledger in memory.
pub(crate) struct Log {
    pub(crate) key: SecretKey,
    head: ChainHead,
    tree: MemoryTree,
    pub(crate) entries: Vec<Vec<u8>>,
}

impl Log {
    pub(crate) fn new(name: &str) -> Log {
        Log {
            key: SecretKey::generate(name).unwrap(),
            head: ChainHead::default(),
            tree: MemoryTree::new(),
            entries: Vec::new(),
        }
    }

    fn append(&mut self, body: Body) -> u64 {
        self.append_at(body, 1_790_000_000_000)
    }

    /// Appends `body` as written at `time_ms`.
    pub(crate) fn append_at(&mut self, body: Body, time_ms: i64) -> u64 {
        let signed: VerifiedEntry = entry::sign(
            &self.head.next_entry(&self.key.log_key(), time_ms, body),
            &self.key,
        )
        .unwrap();
        self.head = self.head.advance(&signed);
        self.tree.push_hash(signed.hash);
        self.entries.push(signed.bytes.clone());
        signed.entry.sequence
    }

    /// Admits `child` as a street.
    pub(crate) fn admit(&mut self, child: &Log, name: &str) -> u64 {
        self.admit_as(child, name, proto::Level::Street)
    }

    /// Admits `child` at `level`.
    pub(crate) fn admit_as(&mut self, child: &Log, name: &str, level: proto::Level) -> u64 {
        self.append(Body::Charter(proto::Charter {
            action: proto::charter::Action::Admit as i32,
            verifier_key: child.key.verifier().to_string(),
            name: name.into(),
            level: level as i32,
            ..Default::default()
        }))
    }

    pub(crate) fn checkpoint(&self) -> SignedNote {
        Checkpoint::new(self.key.name(), self.tree.size(), self.tree.root())
            .sign(&self.key)
            .unwrap()
    }

    fn proof(&self, index: u64, note: &SignedNote) -> TlogProof {
        TlogProof {
            extra: self.entries[index as usize].clone(),
            index,
            hashes: merkle::inclusion_proof(&self.tree, index, self.tree.size()).unwrap(),
            checkpoint: note.to_string(),
        }
    }
}

struct Scene {
    district: Log,
    street: Log,
    community: Log,
    notice: u64,
    bundle: Bundle,
}

fn notice_body() -> Body {
    Body::Notice(proto::Notice {
        kind: proto::notice::Kind::Result as i32,
        topic_id: "T-canteen".into(),
        title: "关于“社区老年食堂”的协商结果公示".into(),
        body: "同意将约200平方米社区用房改造为老年食堂。".into(),
        lang: "zh-CN".into(),
        ..Default::default()
    })
}

/// 历下区 admits 泉城路街道, which admits 舜玉社区, which publishes a notice
/// in a checkpoint its street cosigned.
fn scene() -> Scene {
    let mut district = Log::new("yiyi/lixia");
    let mut street = Log::new("yiyi/lixia/quancheng");
    let mut community = Log::new("yiyi/lixia/quancheng/shunyu");
    let street_charter = district.admit(&street, "泉城路街道");
    let community_charter = street.admit_as(&community, "舜玉社区", proto::Level::Community);
    community.append(Body::Topic(proto::Topic {
        id: "T-canteen".into(),
        title: "社区老年食堂".into(),
        ..Default::default()
    }));
    let notice = community.append(notice_body());
    community.append(Body::Topic(proto::Topic {
        id: "T-later".into(),
        title: "后来的议题".into(),
        ..Default::default()
    }));
    let mut cosigned = community.checkpoint();
    cosigned.add_cosignature(&street.key, 1_790_000_100);
    let bundle = Bundle {
        notice: community.proof(notice, &cosigned),
        chain: vec![
            street.proof(community_charter, &street.checkpoint()),
            district.proof(street_charter, &district.checkpoint()),
        ],
        profiles: Vec::new(),
    };
    Scene {
        district,
        street,
        community,
        notice,
        bundle,
    }
}

fn trust(scene: &Scene) -> VerifierKey {
    scene.district.key.verifier()
}

#[track_caller]
fn fails(bundle: &Bundle, trust: &VerifierKey, older: Option<&Older>, check: Check) -> String {
    match light::verify(bundle, trust, older) {
        Ok(_) => panic!("a bundle that should fail {} passed", check.name()),
        Err(failure) => {
            assert_eq!(failure.check, check, "{failure}");
            failure.reason
        }
    }
}

#[test]
fn a_genuine_notice_verifies_and_round_trips_as_text() {
    let s = scene();
    let verified = light::verify(&s.bundle, &trust(&s), None).unwrap();
    assert_eq!(verified.office_name, "舜玉社区");
    assert_eq!(verified.chain, ["舜玉社区", "泉城路街道", "yiyi/lixia"]);
    assert_eq!(verified.cosigned_at, Some(1_790_000_100));
    assert_eq!(verified.entry.sequence(), s.notice);
    assert!(verified.notice.unwrap().title.contains("老年食堂"));

    let text = s.bundle.to_text();
    assert!(text.starts_with("yiyi.notice-bundle/v1\nc2sp.org/tlog-proof@v1\nextra "));
    assert_eq!(Bundle::parse(&text).unwrap(), s.bundle);
    // A district's own notice needs no chain and no cosignature.
    let mut district = Log::new("yiyi/lixia");
    let index = district.append(notice_body());
    let own = Bundle {
        notice: district.proof(index, &district.checkpoint()),
        chain: Vec::new(),
        profiles: Vec::new(),
    };
    let verified = light::verify(&own, &district.key.verifier(), None).unwrap();
    assert_eq!(verified.cosigned_at, None);
}

#[test]
fn a_changed_byte_in_the_notice_fails_its_signature() {
    let s = scene();
    let mut bundle = s.bundle.clone();
    let at = bundle.notice.extra.len() / 2;
    bundle.notice.extra[at] ^= 1;
    fails(&bundle, &trust(&s), None, Check::Signature);
}

#[test]
fn a_wrong_proof_fails_inclusion() {
    let s = scene();
    let mut bundle = s.bundle.clone();
    bundle.notice.hashes[0] = merkle::leaf_hash(b"another entry");
    fails(&bundle, &trust(&s), None, Check::Inclusion);
    // The proof of another entry, offered for this one.
    let mut bundle = s.bundle.clone();
    bundle.notice.index = 0;
    fails(&bundle, &trust(&s), None, Check::Inclusion);
}

#[test]
fn a_checkpoint_signed_by_another_key_fails() {
    let s = scene();
    let impostor = SecretKey::generate("yiyi/lixia/quancheng/shunyu").unwrap();
    let forged = Checkpoint::new(
        s.community.key.name(),
        s.community.tree.size(),
        s.community.tree.root(),
    )
    .sign(&impostor)
    .unwrap();
    let mut bundle = s.bundle.clone();
    bundle.notice.checkpoint = forged.to_string();
    fails(&bundle, &trust(&s), None, Check::Checkpoint);
}

#[test]
fn a_missing_or_wrong_cosignature_fails() {
    let s = scene();
    let mut bundle = s.bundle.clone();
    bundle.notice.checkpoint = s.community.checkpoint().to_string();
    let reason = fails(&bundle, &trust(&s), None, Check::Cosignature);
    assert!(reason.contains("parent"), "{reason}");
    // Cosigned by someone else (the district, not the parent street).
    let mut other = s.community.checkpoint();
    other.add_cosignature(&s.district.key, 1_790_000_100);
    bundle.notice.checkpoint = other.to_string();
    fails(&bundle, &trust(&s), None, Check::Cosignature);
    // The street's cosignature over another checkpoint, pasted in.
    let mut elsewhere = SignedNote::unsigned(
        &Checkpoint::new(s.community.key.name(), 1, merkle::leaf_hash(b"x")).to_text(),
    )
    .unwrap();
    elsewhere.add_cosignature(&s.street.key, 1_790_000_100);
    let pasted = elsewhere.signatures().last().unwrap().clone();
    let mut note = s.community.checkpoint();
    note.push_replacing(pasted);
    bundle.notice.checkpoint = note.to_string();
    fails(&bundle, &trust(&s), None, Check::Cosignature);
}

#[test]
fn a_broken_charter_chain_fails() {
    let s = scene();
    // Another district key pinned.
    let elsewhere = SecretKey::generate("yiyi/shizhong").unwrap().verifier();
    fails(&s.bundle, &elsewhere, None, Check::CharterChain);
    // The street's charter left out.
    let mut bundle = s.bundle.clone();
    bundle.chain.remove(0);
    fails(&bundle, &trust(&s), None, Check::CharterChain);
    // A street outside the district admits the community.
    let mut rogue = Log::new("yiyi/lixia/quancheng");
    let index = rogue.admit_as(&s.community, "舜玉社区", proto::Level::Community);
    let mut bundle = s.bundle.clone();
    bundle.chain[0] = rogue.proof(index, &rogue.checkpoint());
    fails(&bundle, &trust(&s), None, Check::CharterChain);
    // A charter admitting another community.
    let mut street = Log::new("yiyi/lixia/quancheng");
    let other = Log::new("yiyi/lixia/quancheng/other");
    let index = street.admit_as(&other, "别的社区", proto::Level::Community);
    let mut bundle = s.bundle.clone();
    bundle.chain[0] = street.proof(index, &street.checkpoint());
    fails(&bundle, &trust(&s), None, Check::CharterChain);
    // Levels that do not go down: the street admits its community as a
    // street, or the district admits the street as a district.
    for (street_admits, district_admits) in [
        (proto::Level::Street, proto::Level::Street),
        (proto::Level::Community, proto::Level::District),
        (proto::Level::Community, proto::Level::Community),
    ] {
        let mut district = Log::new("yiyi/lixia");
        let mut street = Log::new("yiyi/lixia/quancheng");
        let street_charter = district.admit_as(&street, "泉城路街道", district_admits);
        let community_charter = street.admit_as(&s.community, "舜玉社区", street_admits);
        let mut bundle = s.bundle.clone();
        let mut cosigned = SignedNote::parse(&bundle.notice.checkpoint).unwrap();
        cosigned.add_cosignature(&street.key, 1_790_000_100);
        bundle.notice.checkpoint = cosigned.to_string();
        bundle.chain = vec![
            street.proof(community_charter, &street.checkpoint()),
            district.proof(street_charter, &district.checkpoint()),
        ];
        let reason = fails(&bundle, &district.key.verifier(), None, Check::CharterChain);
        assert!(reason.contains("cannot admit"), "{reason}");
    }
    // The district's charter not in the district's checkpoint.
    let mut bundle = s.bundle.clone();
    bundle.chain[1].hashes.push(Hash::default());
    fails(&bundle, &trust(&s), None, Check::CharterChain);
}

#[test]
fn an_inconsistent_older_checkpoint_fails() {
    let s = scene();
    // The same office's key over another history (a fork).
    let mut fork = Log {
        key: s.community.key.clone(),
        head: ChainHead::default(),
        tree: MemoryTree::new(),
        entries: Vec::new(),
    };
    fork.append(Body::Topic(proto::Topic {
        id: "T-other".into(),
        title: "另一段历史".into(),
        ..Default::default()
    }));
    fork.append(notice_body());
    let older = Older {
        checkpoint: fork.checkpoint().to_string(),
        proof: merkle::consistency_proof(&s.community.tree, 2, s.community.tree.size()).unwrap(),
    };
    fails(&s.bundle, &trust(&s), Some(&older), Check::Consistency);
    // Same size, other root.
    fork.append(notice_body());
    let older = Older {
        checkpoint: fork.checkpoint().to_string(),
        proof: Vec::new(),
    };
    let reason = fails(&s.bundle, &trust(&s), Some(&older), Check::Consistency);
    assert!(reason.contains("two histories"), "{reason}");
    // The genuine older checkpoint passes.
    let mut earlier = Log {
        key: s.community.key.clone(),
        head: ChainHead::default(),
        tree: MemoryTree::new(),
        entries: Vec::new(),
    };
    for bytes in &s.community.entries[..2] {
        earlier.tree.push_hash(merkle::leaf_hash(bytes));
    }
    let older = Older {
        checkpoint: earlier.checkpoint().to_string(),
        proof: merkle::consistency_proof(&s.community.tree, 2, s.community.tree.size()).unwrap(),
    };
    let verified = light::verify(&s.bundle, &trust(&s), Some(&older)).unwrap();
    assert!(verified.consistency_checked);
}

#[test]
fn malformed_bundles_fail_format() {
    let s = scene();
    let text = s.bundle.to_text();
    for bad in [
        "",
        "yiyi.notice-bundle/v1\n",
        "not a bundle",
        &text.replace("index ", "idx "),
        &text.replace("extra ", "extra ***"),
        // A trailing newline (a copy and paste adds one) is the bundle's
        // form, not a broken charter chain or checkpoint.
        &format!("{text}\n"),
        // A checkpoint that is no signed note.
        &text.replacen("\n\n", "\n\nnot a checkpoint\n\n", 1),
    ] {
        let failure = Bundle::parse(bad).unwrap_err();
        assert_eq!(failure.check, Check::Format, "{bad:?}: {failure}");
    }
}

fn profile(name: &str) -> Body {
    Body::OfficeProfile(proto::OfficeProfile {
        name: name.into(),
        level: proto::Level::District as i32,
        ..Default::default()
    })
}

/// The offices' profiles name the chain (the district by its own name, not
/// its key's); they must be the chain's offices' own, in their ledgers; a
/// link of a later release is skipped.
#[test]
fn profiles_name_the_chain_and_must_be_the_chain_s_own() {
    let mut s = scene();
    let at = s.district.append(profile("历下区"));
    let district_profile = s.district.proof(at, &s.district.checkpoint());
    let at = s.community.append(profile("舜玉路社区居委会"));
    let community_profile = s.community.proof(at, &s.community.checkpoint());
    let mut bundle = s.bundle.clone();
    bundle.profiles = vec![community_profile.clone(), district_profile.clone()];
    let verified = light::verify(&bundle, &trust(&s), None).unwrap();
    assert_eq!(verified.office_name, "舜玉路社区居委会");
    assert_eq!(verified.chain, ["舜玉路社区居委会", "泉城路街道", "历下区"]);
    // As text: the profiles come after the chain and are read back apart.
    assert_eq!(Bundle::parse(&bundle.to_text()).unwrap(), bundle);

    // A profile in a checkpoint its office did not sign.
    let mut wrong = bundle.clone();
    wrong.profiles[1].checkpoint = s.street.checkpoint().to_string();
    let reason = fails(&wrong, &trust(&s), None, Check::CharterChain);
    assert!(reason.starts_with("profile 2"), "{reason}");
    // A profile by an office outside the chain.
    let mut stranger = Log::new("yiyi/lixia/other");
    let at = stranger.append(profile("冒名的区"));
    let mut outside = bundle.clone();
    outside
        .profiles
        .push(stranger.proof(at, &stranger.checkpoint()));
    let reason = fails(&outside, &trust(&s), None, Check::CharterChain);
    assert!(reason.contains("outside the chain"), "{reason}");

    // A link this release does not know is skipped, wherever it is.
    let newer = {
        use prost::Message;
        let mut e = ChainHead::default().next_entry(&s.street.key.log_key(), 1, notice_body());
        e.body = None;
        let mut bytes = e.encode_to_vec();
        bytes.extend_from_slice(&[0xc2, 0x02, 0x00]); // field 40, empty
        entry::sign_encoded(bytes, &s.street.key).unwrap()
    };
    let mut later = bundle.clone();
    later.chain.insert(
        1,
        TlogProof {
            extra: newer.bytes,
            index: 0,
            hashes: Vec::new(),
            checkpoint: s.street.checkpoint().to_string(),
        },
    );
    let reparsed = Bundle::parse(&later.to_text()).unwrap();
    assert_eq!(
        light::verify(&reparsed, &trust(&s), None).unwrap().chain,
        verified.chain
    );
}

/// Under a city (市), the chain goes on to the city's charter admitting the
/// district: a resident who trusts the city's key checks it to the city; one
/// who trusts her district's stops there, and the city's link and profile
/// are not needed (nor held against the bundle).
#[test]
fn under_a_city_the_city_s_key_or_the_district_s_verifies() {
    let s = scene();
    let mut city = Log::new("yiyi/jinan");
    let at = city.append(Body::CityCharter(proto::CityCharter {
        charter: Some(proto::Charter {
            action: proto::charter::Action::Admit as i32,
            verifier_key: s.district.key.verifier().to_string(),
            name: "历下区".into(),
            level: proto::Level::District as i32,
            ..Default::default()
        }),
    }));
    let city_charter = city.proof(at, &city.checkpoint());
    let at = city.append(profile("济南市"));
    let city_profile = city.proof(at, &city.checkpoint());
    let mut bundle = s.bundle.clone();
    bundle.chain.push(city_charter);
    bundle.profiles.push(city_profile);

    let by_city = light::verify(&bundle, &city.key.verifier(), None).unwrap();
    assert_eq!(
        by_city.chain,
        ["舜玉社区", "泉城路街道", "历下区", "济南市"]
    );
    let by_district = light::verify(&bundle, &trust(&s), None).unwrap();
    assert_eq!(by_district.chain.len(), 3, "{:?}", by_district.chain);

    // Another district's key is not on the chain at all.
    let other = Log::new("yiyi/jinan/shizhong");
    let reason = fails(&bundle, &other.key.verifier(), None, Check::CharterChain);
    assert!(reason.contains("does not end"), "{reason}");
    // Without the city's link, the city's key does not verify it.
    let mut short = bundle.clone();
    short.chain.pop();
    fails(&short, &city.key.verifier(), None, Check::CharterChain);
}

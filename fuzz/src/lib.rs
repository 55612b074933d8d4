//! The fuzz harnesses: one function per decoder of untrusted bytes, and one
//! that drives the consultation rules with arbitrary sequences of records.
//! The fuzz targets (`fuzz_targets/`) call them; `tests/corpus.rs` replays
//! every kept input through them on stable Rust, so what the fuzzers found
//! stays tested.
//!
//! Each harness asserts what must hold whatever the input: no panic, and
//! for the rules, that nothing refused is applied and that what is
//! accepted leaves the state coherent.

use std::sync::OnceLock;

use prost::Message;
use yiyi_protocol::checkpoint::witnessed_by;
use yiyi_protocol::proto::{self, entry::Body};
use yiyi_protocol::rules::{Consultation, Position, SEVEN_STEPS, TopicStatus};
use yiyi_protocol::{
    ChainHead, Checkpoint, Hash, Reading, SecretKey, SignedNote, VerifiedEntry, VerifierKey, entry,
    light, merkle,
};
use yiyi_protocol::{escalation, witness};

/// Fixed keys: a district, an office, a witness.
struct Keys {
    district: SecretKey,
    office: SecretKey,
    witness: SecretKey,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        district: SecretKey::from_seed("yiyi/lixia", [1; 32]).unwrap(),
        office: SecretKey::from_seed("yiyi/shunyu", [2; 32]).unwrap(),
        witness: SecretKey::from_seed("yiyi/quancheng", [3; 32]).unwrap(),
    })
}

/// A signed entry, as replicated or delivered; and the same bytes as what a
/// later release might write after an entry's header, signed by a known key
/// (so that the classification, not the signature, is what gets explored).
/// The verdict and the hash depend only on the bytes.
pub fn entry(data: &[u8]) {
    let verdict = entry::verify(data);
    assert_eq!(verdict, entry::verify(data));
    if let Ok(verified) = &verdict {
        verified_as_the_bytes_say(data, verified);
    }
    let office = &keys().office;
    let mut header = ChainHead::default().next_entry(
        &office.log_key(),
        1,
        Body::Progress(proto::Progress::default()),
    );
    header.body = None;
    let mut inner = header.encode_to_vec();
    inner.extend_from_slice(data);
    if let Ok(verified) = entry::sign_encoded(inner, office) {
        verified_as_the_bytes_say(&verified.bytes, &verified);
        assert_eq!(entry::verify(&verified.bytes).as_ref(), Ok(&verified));
    }
}

/// What a verified entry must be, whatever its bytes: hashed as received, in
/// the one envelope encoding there is of it, read only where this version
/// reads every byte, and read the same way without the signature check.
fn verified_as_the_bytes_say(bytes: &[u8], verified: &VerifiedEntry) {
    assert_eq!(verified.bytes, bytes);
    assert_eq!(verified.hash, merkle::leaf_hash(bytes));
    assert_eq!(verified.author().len(), 32);
    let envelope = proto::SignedEntry::decode(bytes).expect("a verified envelope decodes");
    assert_eq!(
        envelope.encode_to_vec(),
        bytes,
        "a second envelope encoding verified"
    );
    match &verified.reading {
        Reading::Known => {
            assert!(verified.entry.body.is_some());
            assert_eq!(verified.entry.encode_to_vec(), envelope.entry);
        }
        Reading::Newer { .. } => assert!(verified.entry.body.is_none()),
    }
    assert_eq!(entry::record(bytes), verified.entry.body);
    assert_eq!(
        entry::unverified(bytes),
        Ok((verified.entry.clone(), verified.reading.clone()))
    );
}

/// A signed note, read as a checkpoint, its signature and cosignatures.
pub fn note(data: &[u8]) {
    let Ok(note) = SignedNote::parse_bytes(data) else {
        return;
    };
    let _ = Checkpoint::parse(note.text());
    let k = keys();
    let _ = note.verify(&[k.office.verifier(), k.district.verifier()]);
    let _ = witnessed_by(&note, &[k.witness.cosigner()]);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Checkpoint::open(text, &k.office.verifier());
    }
}

/// A notice bundle (the residents' light client), verified against the
/// district key, and each of its tlog-proofs alone.
pub fn bundle(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = light::TlogProof::parse(text);
    if let Ok(bundle) = light::Bundle::parse(text) {
        let _ = light::verify(&bundle, &keys().district.verifier(), None);
        // Also against the key the bundle itself ends at, so that a genuine
        // bundle, mutated, goes through every check.
        let last = bundle.chain.last().unwrap_or(&bundle.notice);
        let origin = last.checkpoint.lines().next().unwrap_or_default();
        if let Ok(signed) = entry::verify(&last.extra)
            && let Ok(author) = <[u8; 32]>::try_from(signed.author())
            && let Ok(trust) = VerifierKey::from_public(origin, &author)
        {
            let _ = light::verify(&bundle, &trust, None);
        }
        // What parses is written back the same way it was read.
        let again = light::Bundle::parse(&bundle.to_text()).expect("a bundle's text parses");
        assert_eq!(again, bundle);
    }
}

/// The messages peers send over libp2p: the first byte picks which.
pub fn messages(data: &[u8]) {
    let Some((&kind, bytes)) = data.split_first() else {
        return;
    };
    let k = keys();
    match kind % 6 {
        0 => {
            let _ = proto::SyncRequest::decode(bytes);
        }
        1 => {
            if let Ok(response) = proto::SyncResponse::decode(bytes) {
                for e in &response.entries {
                    entry(e);
                }
                note(response.checkpoint.as_bytes());
            }
        }
        2 => {
            if let Ok(announcement) = proto::Announcement::decode(bytes) {
                note(announcement.checkpoint.as_bytes());
            }
        }
        3 => {
            if let Ok(request) = proto::WitnessRequest::decode(bytes) {
                witness_request(&request.body);
            }
        }
        4 => {
            if let Ok(delivery) = proto::EscalationDelivery::decode(bytes) {
                let own = k.witness.log_key();
                let _ = escalation::verify_delivery(&delivery, &k.office.verifier(), &own);
            }
        }
        _ => {
            if let Ok(receipt) = proto::EscalationReceipt::decode(bytes) {
                entry(&receipt.receipt_entry);
            }
        }
    }
}

/// A C2SP `add-checkpoint` request to the witness.
pub fn witness_request(data: &[u8]) {
    let Ok(request) = witness::AddCheckpoint::parse(data) else {
        return;
    };
    let k = keys();
    let held = witness::Witnessed {
        size: request.old_size,
        root: Hash([0; 32]),
    };
    for held in [None, Some(held)] {
        let _ = witness::add_checkpoint(held, &request, &k.office.verifier(), &k.witness, 1);
    }
}

/// Inclusion and consistency proofs with arbitrary sizes and hashes.
pub fn proofs(data: &[u8]) {
    if data.len() < 16 {
        return;
    }
    let (sizes, hashes) = data.split_at(16);
    let a = u64::from_le_bytes(sizes[..8].try_into().unwrap()) % 4096;
    let b = u64::from_le_bytes(sizes[8..].try_into().unwrap()) % 4096;
    let hashes: Vec<Hash> = hashes
        .chunks_exact(32)
        .map(|c| Hash(c.try_into().unwrap()))
        .collect();
    let (first, rest) = match hashes.split_first() {
        Some((f, r)) => (*f, r),
        None => (Hash([0; 32]), &[][..]),
    };
    let _ = merkle::verify_inclusion(a, b, &first, rest, &first);
    let _ = merkle::root_from_inclusion_proof(a, b, &first, rest);
    let _ = merkle::verify_consistency(a, b, &first, &first, rest);
}

/// One record the rules fuzzer may try, over a small alphabet of ids so
/// that sequences meet each other (a topic, then its meeting, …).
#[derive(arbitrary::Arbitrary, Debug)]
pub enum Record {
    Participant {
        id: u8,
        kind: u8,
        withdrawn: bool,
    },
    Topic {
        id: u8,
        category: u8,
        scale: u8,
        source: u8,
        reopens: Option<u8>,
        raised: bool,
    },
    Gate {
        topic: u8,
        verdict: u8,
        reasons: bool,
    },
    Meeting {
        id: u8,
        topics: Vec<u8>,
        participants: Vec<u8>,
        level: u8,
        form: u8,
        day: i8,
    },
    Step {
        meeting: u8,
        step: u8,
        attendees: u8,
        committed: bool,
        result: bool,
    },
    Outcome {
        topic: u8,
        meeting: u8,
        class: u8,
        deadline: Option<i8>,
        period: u8,
        filled: bool,
    },
    Progress {
        topic: u8,
        completed: bool,
    },
    Supervision {
        topic: u8,
        supervisors: u8,
    },
    FollowUp {
        topic: u8,
        households: u8,
    },
    Evaluation {
        topic: u8,
        satisfied: u8,
        basically: u8,
        dissatisfied: u8,
    },
    Escalate {
        topic: u8,
        to: bool,
        priority: u8,
    },
    Notice {
        topic: u8,
        kind: u8,
    },
    Catalogue {
        category: u8,
        name: u8,
        withdrawn: bool,
    },
    /// A topic taken the whole way to a classified outcome, the day's
    /// meeting included: a path random records would rarely find, from
    /// which the fuzzer goes on (progress, escalation, evaluation, …).
    Course {
        topic: u8,
        class: u8,
        form: u8,
    },
    /// Any protobuf at all, as an entry's body.
    Raw(Vec<u8>),
}

/// Hours between two records, and the record.
#[derive(arbitrary::Arbitrary, Debug)]
pub struct Timed {
    pub hours: u8,
    pub record: Record,
}

fn id(prefix: &str, n: u8) -> String {
    format!("{prefix}{}", n % 4)
}

/// A date `days` from 2026-11-11 (a regular consultation day).
fn date(days: i8) -> String {
    let base = yiyi_protocol::rules::Date::parse("2026-11-11").unwrap();
    base.plus_days(i64::from(days)).to_string()
}

fn text(present: bool, what: &str) -> String {
    if present {
        what.to_owned()
    } else {
        String::new()
    }
}

impl Record {
    /// The entry bodies this record stands for, at `time_ms`.
    pub fn bodies(&self, time_ms: i64) -> Vec<Body> {
        let Record::Course { topic, class, form } = self else {
            return self.body().into_iter().collect();
        };
        let today = yiyi_protocol::rules::Date::in_shanghai(time_ms).to_string();
        let meeting = format!("M-course{}", topic % 4);
        let mut bodies = vec![
            Record::Topic {
                id: *topic,
                category: 1,
                scale: 2,
                source: 1,
                reopens: None,
                raised: true,
            }
            .body(),
            Record::Gate {
                topic: *topic,
                verdict: 1,
                reasons: false,
            }
            .body(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
        bodies.push(Body::Meeting(proto::Meeting {
            id: meeting.clone(),
            topic_ids: vec![id("T", *topic)],
            level: 3,
            form: i32::from(1 + form % 3),
            date: today,
            place: "议事厅".into(),
            ..Default::default()
        }));
        for step in SEVEN_STEPS.iter().take(6) {
            bodies.push(Body::MeetingStep(proto::MeetingStep {
                meeting_id: meeting.clone(),
                step: *step as i32,
                attendee_count: 12,
                attendees_commitment: if *step == SEVEN_STEPS[0] {
                    vec![5; 32]
                } else {
                    Vec::new()
                },
                result: text(*step == SEVEN_STEPS[5], "居民一致同意"),
                ..Default::default()
            }));
        }
        bodies.push(Body::Outcome(proto::Outcome {
            topic_id: id("T", *topic),
            meeting_id: meeting.clone(),
            class: i32::from(1 + class % 4),
            responsible_party: "物业".into(),
            measures: "施工".into(),
            deadline: yiyi_protocol::rules::Date::in_shanghai(time_ms)
                .plus_days(30)
                .to_string(),
            notice_period_days: 7,
            explanation: "条件不具备".into(),
            proposed_solution: "请上级解决".into(),
            supervisors: vec!["居民代表".into()],
            spends_money: false,
        }));
        bodies.push(Body::MeetingStep(proto::MeetingStep {
            meeting_id: meeting,
            step: SEVEN_STEPS[6] as i32,
            ..Default::default()
        }));
        bodies
    }

    fn body(&self) -> Option<Body> {
        Some(match self {
            Record::Participant {
                id: n,
                kind,
                withdrawn,
            } => Body::Participant(proto::Participant {
                id: id("P", *n),
                kind: i32::from(kind % 9),
                name: "居委会".into(),
                withdrawn: *withdrawn,
            }),
            Record::Topic {
                id: n,
                category,
                scale,
                source,
                reopens,
                raised,
            } => Body::Topic(proto::Topic {
                id: id("T", *n),
                title: "增开公交线路".into(),
                summary: String::new(),
                category: i32::from(category % 4),
                sub_item: String::new(),
                scale: i32::from(scale % 4),
                source: i32::from(source % 7),
                raised_by_commitment: if *raised { vec![7; 32] } else { Vec::new() },
                reopens: reopens.map(|r| id("T", r)).unwrap_or_default(),
            }),
            Record::Gate {
                topic,
                verdict,
                reasons,
            } => Body::GateDecision(proto::GateDecision {
                topic_id: id("T", *topic),
                verdict: i32::from(verdict % 5),
                citation: text(*reasons, "《物业管理条例》"),
                explanation: text(*reasons, "已有规定"),
                mediator: text(*reasons, "人民调解员"),
                details_commitment: if *reasons { vec![9; 32] } else { Vec::new() },
                approval_reference: text(*reasons, "党组织会议"),
            }),
            Record::Meeting {
                id: n,
                topics,
                participants,
                level,
                form,
                day,
            } => Body::Meeting(proto::Meeting {
                id: id("M", *n),
                topic_ids: topics.iter().take(4).map(|t| id("T", *t)).collect(),
                level: i32::from(level % 6),
                form: i32::from(form % 4),
                date: date(*day),
                participant_ids: participants.iter().take(4).map(|p| id("P", *p)).collect(),
                place: "议事厅".into(),
                procedure: String::new(),
                communities: Vec::new(),
            }),
            Record::Step {
                meeting,
                step,
                attendees,
                committed,
                result,
            } => Body::MeetingStep(proto::MeetingStep {
                meeting_id: id("M", *meeting),
                step: i32::from(step % 8),
                summary: String::new(),
                attendee_count: u32::from(*attendees),
                attendees_commitment: if *committed { vec![5; 32] } else { Vec::new() },
                result: text(*result, "居民一致同意"),
            }),
            Record::Outcome {
                topic,
                meeting,
                class,
                deadline,
                period,
                filled,
            } => Body::Outcome(proto::Outcome {
                topic_id: id("T", *topic),
                meeting_id: id("M", *meeting),
                class: i32::from(class % 5),
                responsible_party: text(*filled, "物业"),
                measures: text(*filled, "施工"),
                deadline: deadline.map(date).unwrap_or_default(),
                notice_period_days: u32::from(period % 40),
                explanation: text(*filled, "条件不具备"),
                proposed_solution: text(*filled, "请上级解决"),
                supervisors: if *filled {
                    vec!["居民代表".into()]
                } else {
                    Vec::new()
                },
                spends_money: *filled,
            }),
            Record::Progress { topic, completed } => Body::Progress(proto::Progress {
                topic_id: id("T", *topic),
                text: "已开工".into(),
                completed: *completed,
            }),
            Record::Supervision { topic, supervisors } => Body::Supervision(proto::Supervision {
                topic_id: id("T", *topic),
                supervisors: (0..supervisors % 3).map(|i| format!("监督员{i}")).collect(),
                oversight_bodies: Vec::new(),
                note: String::new(),
            }),
            Record::FollowUp { topic, households } => Body::FollowUp(proto::FollowUp {
                topic_id: id("T", *topic),
                summary: "回访".into(),
                households_visited: u32::from(*households),
            }),
            Record::Evaluation {
                topic,
                satisfied,
                basically,
                dissatisfied,
            } => Body::Evaluation(proto::Evaluation {
                topic_id: id("T", *topic),
                satisfied: u32::from(*satisfied),
                basically_satisfied: u32::from(*basically),
                dissatisfied: u32::from(*dissatisfied),
            }),
            Record::Escalate {
                topic,
                to,
                priority,
            } => Body::Escalation(proto::Escalation {
                id: format!("shunyu/{}", id("T", *topic)),
                topic_id: id("T", *topic),
                result: "居民一致同意".into(),
                proposed_solution: "请上级解决".into(),
                to: if *to {
                    keys().witness.public_bytes().to_vec()
                } else {
                    Vec::new()
                },
                priority: i32::from(priority % 4),
                ..Default::default()
            }),
            Record::Notice { topic, kind } => Body::Notice(proto::Notice {
                kind: i32::from(kind % 10),
                topic_id: id("T", *topic),
                title: "公示".into(),
                body: "内容".into(),
                ..Default::default()
            }),
            Record::Catalogue {
                category,
                name,
                withdrawn,
            } => Body::CatalogueItem(proto::CatalogueItem {
                category: i32::from(category % 4),
                name: id("C", *name),
                withdrawn: *withdrawn,
            }),
            Record::Course { .. } => return None,
            Record::Raw(bytes) => proto::Entry::decode(bytes.as_slice()).ok()?.body?,
        })
    }
}

/// Drives the rules with a sequence of records: each is checked, and
/// applied only if accepted; the state must stay coherent, the same
/// record id must not be accepted twice, and replaying what was accepted
/// must give the same state.
pub fn rules(records: &[Timed]) {
    let mut state = Consultation::new();
    let mut accepted: Vec<(Body, Position)> = Vec::new();
    // 2026-11-01 00:00 Shanghai.
    let mut time_ms: i64 = 1_793_462_400_000;
    let bodies = records.iter().take(64).flat_map(|timed| {
        time_ms += i64::from(timed.hours) * 3_600_000;
        timed
            .record
            .bodies(time_ms)
            .into_iter()
            .map(move |b| (b, time_ms))
    });
    for (sequence, (body, time_ms)) in bodies.enumerate() {
        let at = Position {
            sequence: sequence as u64,
            hash: Hash([sequence as u8; 32]),
            time_ms,
        };
        let before = state.clone();
        match state.accept(&body, at) {
            Ok(()) => {
                coherent(&state);
                // A topic or a meeting is recorded once.
                if matches!(body, Body::Topic(_) | Body::Meeting(_)) {
                    assert!(
                        state.check(&body, time_ms).is_err(),
                        "accepted twice: {body:?}"
                    );
                }
                accepted.push((body, at));
            }
            Err(_) => assert_eq!(state, before, "a refused record changed the state"),
        }
    }
    let mut again = Consultation::new();
    for (body, at) in &accepted {
        again
            .accept(body, *at)
            .expect("what was accepted is accepted again on replay");
    }
    assert_eq!(again, state, "replay gives another state");
}

/// What must hold of any state the rules reach.
fn coherent(state: &Consultation) {
    for (id, meeting) in &state.meetings {
        assert!(
            meeting.steps.len() <= SEVEN_STEPS.len(),
            "meeting {id}: too many steps"
        );
        for (step, expected) in meeting.steps.iter().zip(SEVEN_STEPS) {
            assert_eq!(
                step.step, expected as i32,
                "meeting {id}: a step out of order"
            );
        }
    }
    for (id, topic) in &state.topics {
        match topic.status {
            TopicStatus::Classified(_) => {
                assert!(
                    topic.outcome.is_some(),
                    "topic {id}: classified without an outcome"
                )
            }
            TopicStatus::Scheduled => {
                assert!(
                    topic.meeting.is_some(),
                    "topic {id}: scheduled without a meeting"
                )
            }
            TopicStatus::Proposed => assert!(
                topic.outcome.is_none(),
                "topic {id}: proposed with an outcome"
            ),
            _ => {}
        }
    }
}

/// Reads fuzz bytes as a record sequence (what the `rules` target does).
pub fn rules_bytes(data: &[u8]) {
    let mut input = arbitrary::Unstructured::new(data);
    if let Ok(records) = <Vec<Timed> as arbitrary::Arbitrary>::arbitrary(&mut input) {
        rules(&records);
    }
}

/// Every harness by the name of its target.
pub const HARNESSES: &[(&str, fn(&[u8]))] = &[
    ("entry", entry),
    ("note", note),
    ("bundle", bundle),
    ("messages", messages),
    ("witness", witness_request),
    ("proofs", proofs),
    ("rules", rules_bytes),
];

//! Entries: signing, strict verification and the hash chain, with every kind
//! of bad input refused by name.

use prost::Message;
use yiyi_protocol::entry::{self, EntryError, MAX_ENTRY_BYTES};
use yiyi_protocol::proto::{self, entry::Body};
use yiyi_protocol::{ChainHead, SecretKey};

fn key() -> SecretKey {
    SecretKey::from_seed("yiyi/lixia/quancheng/shunyu", [7; 32]).unwrap()
}

fn notice(text: &str) -> Body {
    Body::Notice(proto::Notice {
        kind: proto::notice::Kind::Result as i32,
        title: "关于小区停车位施划的协商结果公示".into(),
        body: text.into(),
        lang: "zh-CN".into(),
        ..Default::default()
    })
}

fn signed(head: &ChainHead, text: &str) -> yiyi_protocol::VerifiedEntry {
    let k = key();
    entry::sign(
        &head.next_entry(&k.log_key(), 1_764_000_000_000, notice(text)),
        &k,
    )
    .unwrap()
}

#[test]
fn a_signed_entry_verifies_and_keeps_its_chinese_text() {
    let e = signed(
        &ChainHead::default(),
        "经协商，同意在东侧空地施划停车位 20 个。",
    );
    let v = entry::verify(&e.bytes).unwrap();
    assert_eq!(v, e);
    match v.entry.body {
        Some(Body::Notice(n)) => assert_eq!(n.body, "经协商，同意在东侧空地施划停车位 20 个。"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn truncated_and_garbage_bytes_are_malformed() {
    let e = signed(&ChainHead::default(), "text");
    for cut in [1, 10, e.bytes.len() / 2, e.bytes.len() - 1] {
        assert!(
            entry::verify(&e.bytes[..cut]).is_err(),
            "truncated at {cut}"
        );
    }
    assert!(matches!(
        entry::verify(&[0xff; 40]),
        Err(EntryError::Malformed(_))
    ));
    assert!(matches!(
        entry::verify(b""),
        Err(EntryError::MissingBody) | Err(EntryError::UnsupportedVersion(0))
    ));
}

#[test]
fn any_changed_bit_is_refused() {
    let e = signed(&ChainHead::default(), "text");
    for i in 0..e.bytes.len() {
        for bit in 0..8 {
            let mut bad = e.bytes.clone();
            bad[i] ^= 1 << bit;
            assert!(entry::verify(&bad).is_err(), "byte {i} bit {bit}");
        }
    }
}

#[test]
fn a_signature_by_another_key_is_refused() {
    let e = signed(&ChainHead::default(), "text");
    let mut envelope = proto::SignedEntry::decode(e.bytes.as_slice()).unwrap();
    let other = SecretKey::from_seed("other", [9; 32]).unwrap();
    let mut message = entry::ENTRY_SIGNATURE_CONTEXT.to_vec();
    message.extend_from_slice(&envelope.entry);
    envelope.signature = other.sign(&message).to_vec();
    assert_eq!(
        entry::verify(&envelope.encode_to_vec()),
        Err(EntryError::BadSignature)
    );
    // Nor is the right key signing without the domain prefix.
    envelope.signature = key().sign(&envelope.entry).to_vec();
    assert_eq!(
        entry::verify(&envelope.encode_to_vec()),
        Err(EntryError::BadSignature)
    );
}

/// Protobuf bytes of field `number` as a length-delimited value.
fn len_field(number: u32, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::encode_key(number, prost::encoding::WireType::LengthDelimited, &mut out);
    prost::encoding::encode_varint(value.len() as u64, &mut out);
    out.extend_from_slice(value);
    out
}

/// An entry as a later version might write it: the header of this one, the
/// body given as raw fields.
fn later_entry(reader_version: &str, body: &[u8]) -> Vec<u8> {
    let mut header = ChainHead::default().next_entry(&key().log_key(), 1, notice("x"));
    header.body = None;
    header.reader_version = reader_version.into();
    let mut bytes = header.encode_to_vec();
    bytes.extend_from_slice(body);
    bytes
}

#[test]
fn records_of_a_later_version_verify_as_newer_and_are_never_read() {
    let k = key();
    let notice_bytes = match notice("公示") {
        Body::Notice(n) => n.encode_to_vec(),
        _ => unreachable!(),
    };
    let mut notice_with_more = notice_bytes.clone();
    notice_with_more.extend_from_slice(&len_field(40, "较新的字段".as_bytes()));
    let cases = [
        // A kind this version does not know (tag 99).
        (
            "a new kind",
            later_entry("0.9.0", &len_field(99, b"\x0a\x02hi")),
        ),
        // A known kind with a field added.
        (
            "a known kind with a new field",
            later_entry("0.9.0", &len_field(26, &notice_with_more)),
        ),
        // A field added to the entry itself, beside a known body.
        ("a new entry field", {
            let mut b = later_entry("", &len_field(26, &notice_bytes));
            b.extend_from_slice(&len_field(7, b"x"));
            b
        }),
    ];
    for (what, bytes) in cases {
        let v = entry::sign_encoded(bytes, &k).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(v.is_newer(), "{what}");
        assert_eq!(v.entry.body, None, "{what}: a newer record is not read");
        assert_eq!(v.hash, yiyi_protocol::merkle::leaf_hash(&v.bytes), "{what}");
        // The header is read, so the entry takes its place in the chain.
        assert_eq!(v.sequence(), 0, "{what}");
        ChainHead::default().check_next(&v).unwrap();
        // And it verifies again as the same bytes, wherever it travels.
        assert_eq!(entry::verify(&v.bytes).unwrap(), v, "{what}");
    }
    let v = entry::sign_encoded(later_entry("0.9.0", &len_field(99, b"")), &k).unwrap();
    assert_eq!(
        v.reading,
        yiyi_protocol::Reading::Newer {
            reader_version: "0.9.0".into()
        }
    );
}

#[test]
fn malformed_entries_other_versions_and_rewrapped_envelopes_are_refused() {
    let k = key();
    // An extra field on the envelope: anyone could add one, and the signed
    // entry would have a second hash.
    let e = signed(&ChainHead::default(), "text");
    let mut with_extra = e.bytes.clone();
    with_extra.extend_from_slice(&[0x98, 0x06, 0x01]); // field 99, varint 1
    assert_eq!(entry::verify(&with_extra), Err(EntryError::NotCanonical));

    // A known field with the wrong wire type: the sequence as bytes, the
    // notice's title as a number, an unterminated body.
    let mut wrong_header = later_entry("", &[]);
    wrong_header.extend_from_slice(&len_field(2, b"seven"));
    let title_as_varint = len_field(26, &[0x18, 0x05]);
    let truncated_body = later_entry("", &len_field(26, b"\x12\x40short"));
    for (what, bytes, field) in [
        ("sequence as bytes", wrong_header, "sequence"),
        (
            "title as a varint",
            later_entry("", &title_as_varint),
            "title",
        ),
        ("a truncated notice", truncated_body, "Notice"),
    ] {
        match entry::sign_encoded(bytes, &k) {
            Err(EntryError::Malformed(reason)) => {
                assert!(reason.contains(field), "{what}: {reason}")
            }
            other => panic!("{what}: {other:?}"),
        }
    }

    let mut future = ChainHead::default().next_entry(&k.log_key(), 0, notice("x"));
    future.version = 2;
    let signed_future = entry::sign(&future, &k).unwrap();
    assert_eq!(
        entry::verify(&signed_future.bytes),
        Err(EntryError::UnsupportedVersion(2))
    );

    let mut bodiless = ChainHead::default().next_entry(&k.log_key(), 0, notice("x"));
    bodiless.body = None;
    let signed_bodiless = entry::sign(&bodiless, &k).unwrap();
    assert_eq!(
        entry::verify(&signed_bodiless.bytes),
        Err(EntryError::MissingBody)
    );

    // A later version's entry signed by someone else is still a forgery.
    let newer = entry::sign_encoded(later_entry("", &len_field(99, b"")), &k).unwrap();
    let mut envelope = proto::SignedEntry::decode(newer.bytes.as_slice()).unwrap();
    envelope.signature[0] ^= 1;
    assert_eq!(
        entry::verify(&envelope.encode_to_vec()),
        Err(EntryError::BadSignature)
    );
}

#[test]
fn oversized_entries_are_refused() {
    let k = key();
    let big = "议".repeat(MAX_ENTRY_BYTES / 3 + 1);
    let unsigned = ChainHead::default().next_entry(&k.log_key(), 0, notice(&big));
    assert!(matches!(
        entry::sign(&unsigned, &k),
        Err(EntryError::TooLarge(_))
    ));
    assert!(matches!(
        entry::verify(&vec![0; MAX_ENTRY_BYTES + 1]),
        Err(EntryError::TooLarge(_))
    ));
}

#[test]
fn the_chain_checks_sequence_and_previous_hash() {
    let head = ChainHead::default();
    let first = signed(&head, "one");
    head.check_next(&first).unwrap();
    let head = head.advance(&first);
    let second = signed(&head, "two");
    head.check_next(&second).unwrap();

    // Replaying the first entry, or skipping ahead, is refused.
    assert!(matches!(
        head.check_next(&first),
        Err(EntryError::WrongSequence {
            expected: 1,
            got: 0
        })
    ));
    let mut skipped = head;
    skipped.size = 2;
    assert!(matches!(
        skipped.check_next(&second),
        Err(EntryError::WrongSequence { .. })
    ));
    // Right number, wrong link.
    let mut forked = head;
    forked.last = second.hash;
    assert!(matches!(
        forked.check_next(&second),
        Err(EntryError::WrongPrevious { .. })
    ));
}

#[test]
fn every_body_kind_round_trips() {
    let k = key();
    let bodies = vec![
        Body::Charter(Default::default()),
        Body::Participant(Default::default()),
        Body::Topic(Default::default()),
        Body::GateDecision(Default::default()),
        Body::Meeting(Default::default()),
        Body::MeetingStep(Default::default()),
        Body::Outcome(Default::default()),
        Body::Progress(Default::default()),
        Body::Supervision(Default::default()),
        Body::FollowUp(Default::default()),
        Body::Evaluation(Default::default()),
        Body::Escalation(Default::default()),
        Body::Receipt(Default::default()),
        Body::Decision(Default::default()),
        Body::Dispatch(Default::default()),
        Body::Resolution(Default::default()),
        Body::Notice(Default::default()),
        Body::EquivocationProof(Default::default()),
        Body::PrivateCommitment(Default::default()),
        Body::Department(Default::default()),
        Body::CatalogueItem(Default::default()),
        Body::OfficeProfile(Default::default()),
    ];
    let mut head = ChainHead::default();
    for body in bodies {
        let e = entry::sign(&head.next_entry(&k.log_key(), 1, body.clone()), &k).unwrap();
        let v = entry::verify(&e.bytes).unwrap();
        assert_eq!(v.entry.body, Some(body));
        head.check_next(&v).unwrap();
        head = head.advance(&v);
    }
}

//! Signed notes and checkpoints made here: round trips and refusals.

use yiyi_protocol::checkpoint::{CheckpointError, witnessed_by};
use yiyi_protocol::merkle::leaf_hash;
use yiyi_protocol::{Checkpoint, NoteError, SecretKey, SignedNote, VerifierKey};

fn log_key() -> SecretKey {
    SecretKey::from_seed("yiyi/lixia/quancheng/shunyu", [1; 32]).unwrap()
}

#[test]
fn generated_keys_print_and_parse_back() {
    let key = SecretKey::generate("yiyi/lixia").unwrap();
    let again = SecretKey::parse(&key.to_secret_string()).unwrap();
    assert_eq!(again.verifier(), key.verifier());
    let vkey = VerifierKey::parse(&key.verifier().to_string()).unwrap();
    assert_eq!(vkey, key.verifier());
    // The secret never shows in debug output.
    assert!(!format!("{key:?}").contains(&key.to_secret_string()[20..]));
    assert!(SecretKey::generate("has space").is_err());
    assert!(SecretKey::generate("has+plus").is_err());
    assert!(SecretKey::generate("").is_err());
}

#[test]
fn a_note_verifies_with_any_one_known_key_and_ignores_unknown_ones() {
    let a = SecretKey::from_seed("a", [2; 32]).unwrap();
    let b = SecretKey::from_seed("b", [3; 32]).unwrap();
    let note = SignedNote::sign("议一议\n", &[&a, &b]).unwrap().to_string();
    let parsed = SignedNote::parse(&note).unwrap();
    assert_eq!(parsed.verify(&[b.verifier()]).unwrap().len(), 1);
    assert_eq!(
        parsed.verify(&[a.verifier(), b.verifier()]).unwrap().len(),
        2
    );
    let stranger = SecretKey::from_seed("c", [4; 32]).unwrap();
    assert!(matches!(
        parsed.verify(&[stranger.verifier()]),
        Err(NoteError::NoKnownSignature(_))
    ));
}

#[test]
fn a_failing_signature_by_a_known_key_invalidates_the_note() {
    let a = SecretKey::from_seed("a", [2; 32]).unwrap();
    let b = SecretKey::from_seed("b", [3; 32]).unwrap();
    let note = SignedNote::sign("original\n", &[&a, &b])
        .unwrap()
        .to_string();
    let tampered = note.replacen("original", "tampered", 1);
    let parsed = SignedNote::parse(&tampered).unwrap();
    assert!(matches!(
        parsed.verify(&[a.verifier()]),
        Err(NoteError::InvalidSignature { .. })
    ));
}

#[test]
fn malformed_notes_are_refused() {
    for bad in [
        "no signature block\n",
        "text\n\n",
        "text\n\n— a\n",
        "text\n\n— a AAAA\n",
        "t\u{1}\n\n— a AAAAAAAA\n",
    ] {
        assert!(
            matches!(SignedNote::parse(bad), Err(NoteError::Malformed(_))),
            "{bad:?}"
        );
    }
    assert!(SignedNote::parse_bytes(b"\xff\n\n").is_err());
}

#[test]
fn checkpoints_are_signed_by_the_log_and_cosigned_by_witnesses() {
    let log = log_key();
    let witness = SecretKey::from_seed("yiyi/lixia/quancheng", [5; 32]).unwrap();
    let checkpoint = Checkpoint::new(log.name(), 3, leaf_hash(b"x"));
    let mut note = checkpoint.sign(&log).unwrap();
    note.add_cosignature(&witness, 1_764_000_000);
    let text = note.to_string();

    let (opened, note) = Checkpoint::open(&text, &log.verifier()).unwrap();
    assert_eq!(opened, checkpoint);
    let seen = witnessed_by(&note, &[witness.cosigner()]).unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].1, 1_764_000_000);
    // A witness's note-signing key is not its cosigning key.
    assert!(
        witnessed_by(&note, &[witness.verifier()])
            .unwrap()
            .is_empty()
    );

    // Another key named after the origin does not open it.
    let impostor = SecretKey::from_seed(log.name(), [6; 32]).unwrap();
    assert!(Checkpoint::open(&text, &impostor.verifier()).is_err());
    // A key named otherwise cannot sign or open it.
    let other = SecretKey::from_seed("elsewhere", [1; 32]).unwrap();
    assert!(matches!(
        checkpoint.sign(&other),
        Err(CheckpointError::OriginMismatch { .. })
    ));
    assert!(matches!(
        Checkpoint::open(&text, &other.verifier()),
        Err(CheckpointError::OriginMismatch { .. })
    ));
}

#[test]
fn an_origin_under_a_public_host_is_a_scheme_less_url() {
    use yiyi_protocol::keys::{OriginError, public_origin};
    assert_eq!(
        public_origin("gongshi.lixia.example", "shunyu").unwrap(),
        "gongshi.lixia.example/shunyu"
    );
    assert_eq!(
        public_origin("gongshi.lixia.example:8443", "/舜玉社区/").unwrap(),
        "gongshi.lixia.example:8443/舜玉社区"
    );
    for host in [
        "https://gongshi.lixia.example",
        "gongshi",
        "Gongshi.example",
        "a..example",
        "-a.example",
        "a.example/x",
        "a.example:0",
        "a.example:080",
        "a.example:99999",
        "",
    ] {
        assert!(
            matches!(public_origin(host, "shunyu"), Err(OriginError::Host(_))),
            "{host}"
        );
    }
    for office in ["", "/", "舜玉 社区", "a+b"] {
        assert!(
            matches!(
                public_origin("a.example", office),
                Err(OriginError::Office(_))
            ),
            "{office:?}"
        );
    }
    // The origin names a key.
    let key = SecretKey::generate(&public_origin("a.example", "x").unwrap()).unwrap();
    assert_eq!(key.name(), "a.example/x");
}

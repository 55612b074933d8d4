//! C2SP tlog-policy: strict parsing, and a checkpoint judged by who
//! cosigned it — a failure names the witnesses that did not.

use yiyi_protocol::checkpoint::Checkpoint;
use yiyi_protocol::merkle;
use yiyi_protocol::policy::{Policy, PolicyError};
use yiyi_protocol::{SecretKey, SignedNote};

struct Keys {
    log: SecretKey,
    street: SecretKey,
    outside: SecretKey,
    third: SecretKey,
}

fn keys() -> Keys {
    Keys {
        log: SecretKey::generate("gongshi.lixia.example/shunyu").unwrap(),
        street: SecretKey::generate("yiyi/泉城路街道").unwrap(),
        outside: SecretKey::generate("witness.example/w1").unwrap(),
        third: SecretKey::generate("witness.example/w2").unwrap(),
    }
}

fn policy_text(k: &Keys, quorum: &str) -> String {
    format!(
        "# 舜玉社区's ledger\n\
         log {} https://gongshi.lixia.example/shunyu\n\
         \n\
         witness street {}\n\
         witness outside {} https://witness.example/w1   # our own\n\
         witness third {}\n\
         group outsiders any outside third\n\
         group both all street outsiders\n\
         group two 2 street outside third\n\
         quorum {quorum}\n",
        k.log.verifier(),
        k.street.cosigner(),
        k.outside.cosigner(),
        k.third.cosigner(),
    )
}

/// A checkpoint of `k.log`, cosigned by `by`.
fn checkpoint(k: &Keys, by: &[&SecretKey]) -> SignedNote {
    let text = Checkpoint::new(k.log.name(), 1, merkle::leaf_hash(b"x"))
        .sign(&k.log)
        .unwrap()
        .to_string();
    let mut note = SignedNote::parse(&text).unwrap();
    for witness in by {
        note.add_cosignature(witness, 1_000);
    }
    note
}

#[test]
fn a_policy_parses_with_its_names_urls_and_quorum() {
    let k = keys();
    let policy = Policy::parse(&policy_text(&k, "both")).unwrap();
    assert_eq!(policy.logs, [k.log.verifier()]);
    let names: Vec<&str> = policy.witnesses.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["street", "outside", "third"]);
    assert_eq!(
        policy.witnesses[1].url.as_deref(),
        Some("https://witness.example/w1")
    );
    assert_eq!(policy.quorum.as_deref(), Some("both"));
    assert_eq!(
        Policy::parse(&policy_text(&k, "none")).unwrap().quorum,
        None
    );
}

#[test]
fn a_checkpoint_meets_the_quorum_or_the_missing_witnesses_are_named() {
    let k = keys();
    let log = k.log.log_key();
    let both = Policy::parse(&policy_text(&k, "both")).unwrap();
    let two = Policy::parse(&policy_text(&k, "two")).unwrap();
    let none = Policy::parse(&policy_text(&k, "none")).unwrap();

    let street_and_outside = checkpoint(&k, &[&k.street, &k.outside]);
    assert_eq!(
        both.check(&log, &street_and_outside).unwrap(),
        ["outside", "street"]
    );
    assert!(two.check(&log, &street_and_outside).is_ok());

    let street_only = checkpoint(&k, &[&k.street]);
    assert_eq!(
        both.check(&log, &street_only),
        Err(PolicyError::NotMet {
            quorum: "both".into(),
            missing: vec!["outside".into(), "third".into()],
        })
    );
    let refused = two.check(&log, &street_only).unwrap_err().to_string();
    assert!(refused.contains("outside, third"), "{refused}");
    assert_eq!(none.check(&log, &street_only).unwrap(), ["street"]);

    // A cosignature by the log's own key, or a forged one, counts for no one.
    let mut forged = checkpoint(&k, &[]);
    forged.add_cosignature(&SecretKey::generate("witness.example/w1").unwrap(), 1_000);
    assert!(matches!(
        both.check(&log, &forged),
        Err(PolicyError::NotMet { .. })
    ));

    // A log the policy does not list.
    let other = SecretKey::generate("yiyi/other").unwrap().log_key();
    assert!(matches!(
        both.check(&other, &street_and_outside),
        Err(PolicyError::UnknownLog(_))
    ));
}

#[test]
fn malformed_policies_are_refused_naming_the_line() {
    let k = keys();
    let w = k.outside.cosigner();
    let l = k.log.verifier();
    for (text, line) in [
        (format!("witness a {w}\nquorum b\n"), 2),
        (format!("witness a {w}\nwitness a {w}\nquorum a\n"), 2),
        (format!("witness a {l}\nquorum a\n"), 1),
        (format!("log {w}\nquorum none\n"), 1),
        (format!("witness a {w}\ngroup g 0 a\nquorum g\n"), 2),
        (format!("witness a {w}\ngroup g 2 a\nquorum g\n"), 2),
        (format!("witness a {w}\ngroup g 01 a\nquorum g\n"), 2),
        (format!("witness a {w}\ngroup g any b\nquorum g\n"), 2),
        (format!("witness a {w}\ngroup g any\nquorum a\n"), 2),
        (format!("witness a {w}\nquorum a\nquorum a\n"), 3),
        ("quorum none\nlogs x\n".to_owned(), 2),
        ("witness a not-a-key\nquorum a\n".to_owned(), 1),
        (format!("witness none {w}\nquorum none\n"), 1),
    ] {
        match Policy::parse(&text) {
            Err(PolicyError::Syntax { line: got, message }) => {
                assert_eq!(got, line, "{text}: {message}")
            }
            other => panic!("{text}: {other:?}"),
        }
    }
    assert_eq!(
        Policy::parse(&format!("witness a {w}\n")),
        Err(PolicyError::NoQuorum)
    );
}

//! C2SP tlog-witness `add-checkpoint`: a parent cosigns its child's
//! checkpoints only when they extend what it cosigned before.

use yiyi_protocol::checkpoint::{Checkpoint, witnessed_by};
use yiyi_protocol::merkle::{self, MemoryTree};
use yiyi_protocol::witness::{
    AddCheckpoint, WitnessError, Witnessed, add_checkpoint, merge_cosignatures,
};
use yiyi_protocol::{SecretKey, SignedNote};

struct Log {
    key: SecretKey,
    tree: MemoryTree,
}

impl Log {
    fn new() -> Log {
        Log {
            key: SecretKey::generate("yiyi/lixia/quancheng/shunyu").unwrap(),
            tree: MemoryTree::new(),
        }
    }

    fn grow(&mut self, n: usize) -> String {
        for i in 0..n {
            let size = self.tree.size();
            self.tree
                .push_hash(merkle::leaf_hash(format!("entry {size} {i}").as_bytes()));
        }
        Checkpoint::new(self.key.name(), self.tree.size(), self.tree.root())
            .sign(&self.key)
            .unwrap()
            .to_string()
    }

    fn proof(&self, old: u64) -> Vec<yiyi_protocol::Hash> {
        if old == 0 {
            return Vec::new();
        }
        merkle::consistency_proof(&self.tree, old, self.tree.size()).unwrap()
    }
}

fn street() -> SecretKey {
    SecretKey::generate("yiyi/lixia/quancheng").unwrap()
}

#[test]
fn a_witness_cosigns_a_growing_log_and_the_cosignature_verifies() {
    let mut log = Log::new();
    let witness = street();
    let first = AddCheckpoint {
        old_size: 0,
        proof: vec![],
        checkpoint: log.grow(3),
    };
    // The request survives its wire form.
    assert_eq!(AddCheckpoint::parse(&first.to_bytes()).unwrap(), first);
    let (held, line) = add_checkpoint(None, &first, &log.key.verifier(), &witness, 1_000).unwrap();
    assert_eq!(held.size, 3);
    let cosigned = merge_cosignatures(&first.checkpoint, &line).unwrap();
    let note = SignedNote::parse(&cosigned).unwrap();
    let witnessed = witnessed_by(&note, &[witness.cosigner()]).unwrap();
    assert_eq!(witnessed.len(), 1);
    assert_eq!(witnessed[0].1, 1_000);

    let checkpoint = log.grow(5);
    let second = AddCheckpoint {
        old_size: 3,
        proof: log.proof(3),
        checkpoint,
    };
    let (held, _) =
        add_checkpoint(Some(held), &second, &log.key.verifier(), &witness, 1_001).unwrap();
    assert_eq!(held.size, 8);
}

#[test]
fn a_stale_old_size_is_a_conflict_naming_the_held_size() {
    let mut log = Log::new();
    let checkpoint = log.grow(4);
    let held = Witnessed {
        size: 2,
        root: merkle::empty_root(),
    };
    let request = AddCheckpoint {
        old_size: 0,
        proof: vec![],
        checkpoint,
    };
    let refused = add_checkpoint(Some(held), &request, &log.key.verifier(), &street(), 1);
    assert_eq!(refused, Err(WitnessError::Conflict(2)));
    assert_eq!(refused.unwrap_err().http_status(), 409);
}

#[test]
fn a_fork_is_not_cosigned() {
    let mut log = Log::new();
    let witness = street();
    let first = AddCheckpoint {
        old_size: 0,
        proof: vec![],
        checkpoint: log.grow(3),
    };
    let (held, _) = add_checkpoint(None, &first, &log.key.verifier(), &witness, 1).unwrap();
    // Another history of the same log, signed by the same key.
    let mut fork = Log {
        key: log.key.clone(),
        tree: MemoryTree::new(),
    };
    fork.grow(1);
    let forked = fork.grow(5);
    assert_eq!(fork.tree.size(), 6);
    let request = AddCheckpoint {
        old_size: 3,
        proof: fork.proof(3),
        checkpoint: forked,
    };
    let refused = add_checkpoint(Some(held), &request, &log.key.verifier(), &witness, 2);
    assert!(
        matches!(refused, Err(WitnessError::BadProof(_))),
        "{refused:?}"
    );
    assert_eq!(refused.unwrap_err().http_status(), 422);
}

#[test]
fn a_checkpoint_signed_by_another_key_is_forbidden() {
    let mut log = Log::new();
    let request = AddCheckpoint {
        old_size: 0,
        proof: vec![],
        checkpoint: log.grow(1),
    };
    let impostor = SecretKey::generate("yiyi/lixia/quancheng/shunyu").unwrap();
    let refused = add_checkpoint(None, &request, &impostor.verifier(), &street(), 1);
    assert_eq!(refused, Err(WitnessError::BadSignature));
    assert_eq!(refused.unwrap_err().http_status(), 403);
}

#[test]
fn malformed_requests_are_refused() {
    for body in [
        &b""[..],
        b"old 1\n",
        b"old x\n\ncheckpoint",
        b"old 01\n\ncheckpoint",
        b"old 1\nnot base64!\n\ncheckpoint",
        b"old 1\nAAAA\n\ncheckpoint",
        b"\xff\xfe\n\n",
    ] {
        assert!(
            matches!(AddCheckpoint::parse(body), Err(WitnessError::Malformed(_))),
            "{body:?}"
        );
    }
    let many = format!(
        "old 1\n{}\nx",
        format!("{}\n", "A".repeat(43) + "=").repeat(64)
    );
    assert!(AddCheckpoint::parse(many.as_bytes()).is_err());
}

#[test]
fn the_checks_follow_the_spec_s_order_and_statuses() {
    let mut log = Log::new();
    let witness = street();
    let three = log.grow(3);
    let (held, _) = add_checkpoint(
        None,
        &AddCheckpoint {
            old_size: 0,
            proof: vec![],
            checkpoint: three.clone(),
        },
        &log.key.verifier(),
        &witness,
        1,
    )
    .unwrap();
    let ask = |held: Option<Witnessed>, old_size: u64, proof, checkpoint: String| {
        add_checkpoint(
            held,
            &AddCheckpoint {
                old_size,
                proof,
                checkpoint,
            },
            &log.key.verifier(),
            &witness,
            2,
        )
        .map(|_| ())
        .map_err(|e| e.http_status())
    };
    // An old size past the checkpoint's is a bad request (400), before the
    // held size is looked at (which would be a 409).
    assert_eq!(ask(Some(held), 5, vec![], three.clone()), Err(400));
    // An old size other than the one held: 409.
    assert_eq!(ask(Some(held), 1, vec![], three.clone()), Err(409));
    // The same size with another root: 422 (a fork; C2SP since #280).
    let mut fork = Log {
        key: log.key.clone(),
        tree: MemoryTree::new(),
    };
    fork.grow(1);
    let other = fork.grow(2);
    assert_eq!(fork.tree.size(), 3);
    assert_ne!(fork.tree.root(), log.tree.root());
    assert_eq!(ask(Some(held), 3, vec![], other), Err(422));
    // The same checkpoint again: cosigned again.
    assert_eq!(ask(Some(held), 3, vec![], three), Ok(()));
    // A size-0 checkpoint must have the empty tree's root: 422.
    let bogus = Checkpoint::new(log.key.name(), 0, merkle::leaf_hash(b"x"))
        .sign(&log.key)
        .unwrap()
        .to_string();
    assert_eq!(ask(None, 0, vec![], bogus), Err(422));
    let empty = Checkpoint::new(log.key.name(), 0, merkle::empty_root())
        .sign(&log.key)
        .unwrap()
        .to_string();
    assert_eq!(ask(None, 0, vec![], empty), Ok(()));
}

#[test]
fn an_outside_witness_is_configured_as_a_policy_line_with_its_allowance() {
    use yiyi_protocol::witness::WitnessEndpoint;
    let key = SecretKey::generate("witness.example/w1").unwrap();
    let line = format!("w1 {} https://witness.example/w1/ 24", key.cosigner());
    let endpoint: WitnessEndpoint = line.parse().unwrap();
    assert_eq!(endpoint.name, "w1");
    assert_eq!(endpoint.url, "https://witness.example/w1");
    assert_eq!(endpoint.per_day, 24);
    assert_eq!(endpoint.interval(), std::time::Duration::from_secs(3600));
    assert_eq!(
        endpoint.to_string().parse::<WitnessEndpoint>().unwrap(),
        endpoint
    );
    let default: WitnessEndpoint = format!("w1 {} http://127.0.0.1:8111", key.cosigner())
        .parse()
        .unwrap();
    assert_eq!(default.interval(), std::time::Duration::from_secs(60));
    for bad in [
        format!("w1 {} https://witness.example", key.verifier()),
        format!("w1 {} witness.example", key.cosigner()),
        format!("w1 {} https://witness.example 0", key.cosigner()),
        format!("w1 {}", key.cosigner()),
        "w1 not-a-key https://witness.example".to_owned(),
    ] {
        assert!(bad.parse::<WitnessEndpoint>().is_err(), "{bad}");
    }
}

//! Every input the fuzzers kept (`corpus/<target>/`) and every crash they
//! found (`regressions/<target>/`), replayed through the same harnesses on
//! stable Rust: `cargo test --manifest-path fuzz/Cargo.toml`.

use std::path::Path;

#[test]
fn every_kept_input_and_every_past_crash_runs_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut ran = 0;
    for (target, harness) in yiyi_fuzz::HARNESSES {
        for dir in ["corpus", "regressions"] {
            let Ok(files) = std::fs::read_dir(root.join(dir).join(target)) else {
                continue;
            };
            for file in files {
                let path = file.unwrap().path();
                harness(&std::fs::read(&path).unwrap());
                ran += 1;
            }
        }
    }
    assert!(ran > 0, "no corpus found under {}", root.display());
    println!("{ran} inputs replayed");
}

/// The `Course` record the rules fuzzer starts deep paths from is itself
/// accepted by the rules, to every outcome class.
#[test]
fn a_course_reaches_each_outcome_class() {
    use yiyi_protocol::rules::{Consultation, Position, TopicStatus};
    for class in 0..4u8 {
        let mut state = Consultation::new();
        let time_ms = 1_794_000_000_000;
        let bodies = yiyi_fuzz::Record::Course {
            topic: 1,
            class,
            form: 1,
        }
        .bodies(time_ms);
        for (i, body) in bodies.iter().enumerate() {
            let at = Position {
                sequence: i as u64,
                hash: yiyi_protocol::Hash([i as u8; 32]),
                time_ms,
            };
            state
                .accept(body, at)
                .unwrap_or_else(|e| panic!("class {class}, record {i}: {e}"));
        }
        assert!(matches!(
            state.topics["T1"].status,
            TopicStatus::Classified(_)
        ));
    }
}

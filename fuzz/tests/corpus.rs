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

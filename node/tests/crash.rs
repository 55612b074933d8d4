//! `kill -9` during a stream of appends: every acknowledged entry survives and
//! the reopened log verifies end to end.
//!
//! The test runs itself as the child: with `YIYI_CRASH_CHILD` set, the same
//! test function becomes a writer that appends from four threads and prints
//! each acknowledgement; the parent kills it mid-stream, reopens the store and
//! checks. Three rounds, each continuing the same log.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use yiyi_node::Store;
use yiyi_protocol::merkle::Hash;
use yiyi_protocol::proto::{self, entry::Body};
use yiyi_protocol::{Checkpoint, SecretKey};

const CHILD_ENV: &str = "YIYI_CRASH_CHILD";

fn office() -> SecretKey {
    SecretKey::from_seed("yiyi/crash/test", [33; 32]).unwrap()
}

/// The child: append forever from four threads, printing `seq hash` for each
/// acknowledged (durable) append.
fn run_child(dir: &str) -> ! {
    let store = Arc::new(Store::open(dir.as_ref(), office()).unwrap());
    let out = Arc::new(std::sync::Mutex::new(std::io::stdout()));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (store, out) = (store.clone(), out.clone());
            std::thread::spawn(move || {
                for n in 0u64.. {
                    let body = Body::Progress(proto::Progress {
                        topic_id: format!("T-{t}"),
                        text: format!("进展 {n}"),
                        completed: false,
                    });
                    let a = store.append_blocking(body).unwrap();
                    let mut out = out.lock().unwrap();
                    writeln!(out, "{} {}", a.sequence, a.hash).unwrap();
                    out.flush().unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    unreachable!("the writers never stop");
}

/// A "seq hash" line of the child's; libtest prints lines of its own.
fn acknowledgement(line: &str) -> Option<(u64, Hash)> {
    let (seq, hash) = line.split_once(' ')?;
    Some((seq.parse().ok()?, Hash::from_hex(hash).ok()?))
}

#[test]
fn kill_9_during_appends_loses_no_acknowledged_entry() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        run_child(&dir);
    }
    let dir = tempfile::tempdir().unwrap();
    let mut acked: Vec<(u64, Hash)> = Vec::new();
    for round in 0..3 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            // The test's name within the integration binary: its module
            // path without the crate.
            .args([
                "--exact",
                "crash::kill_9_during_appends_loses_no_acknowledged_entry",
                "--nocapture",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        // Let it run for a moment, with at least 200 acknowledgements, then
        // kill it without warning.
        let start = Instant::now();
        let mut this_round = 0;
        while this_round < 200 || start.elapsed() < Duration::from_millis(300 + 200 * round) {
            let line = lines.next().expect("the child stopped on its own").unwrap();
            // libtest prints its own lines; ours are "seq hash".
            let Some((seq, hash)) = line.split_once(' ') else {
                continue;
            };
            let (Ok(seq), Ok(hash)) = (seq.parse::<u64>(), Hash::from_hex(hash)) else {
                continue;
            };
            acked.push((seq, hash));
            this_round += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // Lines already written by the child before it died are acknowledged too.
        acked.extend(
            lines
                .map_while(Result::ok)
                .filter_map(|l| acknowledgement(&l)),
        );

        let store = Store::open(dir.path(), office()).unwrap();
        let log = store.own_log();
        let state = store.verify_log(&log).unwrap();
        for (seq, hash) in &acked {
            let (_, at, _) = store
                .entry_by_hash(hash)
                .unwrap()
                .unwrap_or_else(|| panic!("round {round}: acknowledged entry {seq} is lost"));
            assert_eq!(at, *seq);
        }
        assert!(state.head.size >= acked.len() as u64);
        let note = store.checkpoint().unwrap().unwrap();
        let (checkpoint, _) = Checkpoint::open(note.as_str(), &office().verifier()).unwrap();
        assert_eq!(
            (checkpoint.size, checkpoint.root),
            (state.head.size, state.root)
        );
        eprintln!(
            "round {round}: {} acknowledged in all, log has {} entries, root {}",
            acked.len(),
            state.head.size,
            state.root
        );
    }
}

//! The notice board at size, timed as a resident's browser feels it: a
//! real `yiyi-node` on loopback publishes `--notices` notices (1,000 by
//! default; each a topic declined as already regulated, which publishes its
//! explanation), then headless Chromium opens the board (the node sends the
//! first page of 50) and verifies what is on screen, then opens one page of
//! up to 1,000 and verifies them all — the bundles fetched a batch at a
//! time, the shared checkpoint and charter chain checked once. Prints how
//! long until the first notice shows verified, the first screen is, and
//! all are, over `--runs` fresh page loads (the first with an empty cache).
//!
//! Usage: `cargo run --release -p yiyi-tests --bin boardbench -- --notices 1000 --runs 3`

use std::time::{Duration, Instant};

use serde_json::json;
use yiyi_tests::webdriver::Browser;
use yiyi_tests::{Node, bench_arg};

fn main() {
    let (notices, runs) = (bench_arg("--notices", 1000), bench_arg("--runs", 3));
    let node = Node::start("舜玉社区");
    let act = |action| node.act(action);
    let started = Instant::now();
    for i in 0..notices {
        act(
            json!({"action": "topic", "id": format!("T-{i}"), "title": format!("第{i}号：小区道路停车位划线"),
                   "category": "daily-life", "scale": "minor", "source": "resident"}),
        );
        act(json!({"action": "decline", "topic": format!("T-{i}"),
                   "citation": "《济南市停车场管理办法》", "explanation": "道路停车位由交警部门划定"}));
    }
    println!(
        "{notices} notices published in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let browser = Browser::start();
    // A page until its notices are all checked: (first verified, done, how
    // many shown).
    let time_page = |url: String| {
        let started = Instant::now();
        browser.open(&url);
        let mut first = None;
        loop {
            let state = browser.run(
                "return [document.querySelectorAll('.badge.verified').length, document.querySelectorAll('.badge.failed').length, document.body.dataset.verified === 'done', document.querySelectorAll('article').length]",
            );
            if first.is_none() && state[0].as_u64().unwrap_or(0) > 0 {
                first = Some(started.elapsed());
            }
            if state[2] == true {
                assert_eq!(state[1], 0, "a notice failed");
                assert_eq!(state[0], state[3], "{state}");
                return (
                    first.unwrap_or_default(),
                    started.elapsed(),
                    state[3].as_u64().unwrap_or(0),
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "the board did not finish"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    for run in 0..runs {
        // The first screen, as a resident opens the board: a page of 50.
        let (first, done, shown) = time_page(format!("{}/?run={run}", node.url));
        println!(
            "run {run}: board opened, first notice verified {:>6.0} ms, first screen ({shown} notices) verified {:>6.0} ms",
            ms(first),
            ms(done)
        );
        // Every notice on one page (up to 1,000), as a check of them all.
        let (_, done, shown) = time_page(format!("{}/?per=1000&run={run}", node.url));
        println!(
            "run {run}: {shown} notices on one page, all verified {:>6.0} ms",
            ms(done)
        );
    }
}

//! A residents' round at full size, timed as the office and a resident
//! would feel it: a real `yiyi-node` on loopback opens a round of
//! `--codes` codes (10,000 by default: the most a round issues), takes one
//! ballot per code over HTTP (`--threads` clients), closes it — the tally
//! counted from the private store, signed and made durable, with its
//! notice — and then headless Chromium opens the round's page with a
//! receipt: it verifies the tally entry (signature, inclusion, chain),
//! recounts every published ballot, and checks the receipt's inclusion
//! proof, each timed by the page itself (`performance.now()`); then
//! `--checks` more receipts are checked on the same page. Prints the
//! figures (targets: close ≤ 1 s, a resident's check ≤ 50 ms).
//!
//! The load is sent with the office's token, which the public rate limit
//! (50 requests a second per address) does not hold back: one address
//! casting ten thousand ballots is the benchmark's, not a resident's.
//!
//! Usage: `cargo run --release -p yiyi-tests --bin roundbench -- --codes 10000 --checks 20`

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use yiyi_tests::webdriver::Browser;
use yiyi_tests::{Json, Node, bench_arg, today};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn quantiles(what: &str, mut times: Vec<f64>) {
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "{what:<48} median {:>8.2} ms   p95 {:>8.2} ms   worst {:>8.2} ms   ({} runs)",
        at(0.5),
        at(0.95),
        times.last().unwrap(),
        times.len()
    );
}

fn main() {
    let (codes, checks, threads) = (
        bench_arg("--codes", 10_000),
        bench_arg("--checks", 20),
        bench_arg("--threads", 4),
    );
    let node = Node::start("舜玉社区");
    node.propose("T-shed", "3号楼北侧增设电动车充电棚");
    node.yiyi("topic accept T-shed");
    node.yiyi(&format!(
        "meeting schedule --id M-online --topic T-shed --form online --date {}",
        today()
    ));
    let started = Instant::now();
    let opened = node.yiyi(&format!(
        "round open --id R-big --meeting M-online --topic T-shed --question 是否同意 --codes {codes} --hours 48"
    ));
    println!(
        "{:<48} {:>8.1} ms",
        format!("open a round of {codes} codes (CLI)"),
        ms(started.elapsed())
    );
    let codes: Vec<String> = opened
        .list_at("/codes")
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();

    // One ballot per code.
    let token = node.token();
    let url = format!("{}/api/v1/rounds/R-big/ballots", node.url);
    let receipts = Arc::new(std::sync::Mutex::new(Vec::new()));
    let latencies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let started = Instant::now();
    std::thread::scope(|scope| {
        for part in codes.chunks(codes.len().div_ceil(threads)) {
            let (url, token, receipts, latencies) =
                (&url, &token, receipts.clone(), latencies.clone());
            scope.spawn(move || {
                let agent = ureq::agent();
                for (i, code) in part.iter().enumerate() {
                    let t = Instant::now();
                    let mut answer = agent
                        .post(url)
                        .header("Authorization", &format!("Bearer {token}"))
                        .send_json(json!({"code": code, "choice": i % 3}))
                        .expect("a ballot is taken");
                    latencies.lock().unwrap().push(ms(t.elapsed()));
                    let answer: Value = answer.body_mut().read_json().unwrap();
                    receipts
                        .lock()
                        .unwrap()
                        .push(answer.str_at("/receipt").to_owned());
                }
            });
        }
    });
    let cast = started.elapsed();
    println!(
        "{:<48} {:>8.1} s    ({:.0} ballots/s over {threads} clients)",
        format!("cast {} ballots", codes.len()),
        cast.as_secs_f64(),
        codes.len() as f64 / cast.as_secs_f64()
    );
    quantiles(
        "  one ballot (HTTP round trip, durable)",
        latencies.lock().unwrap().clone(),
    );

    // Closing: the tally recorded.
    let started = Instant::now();
    node.yiyi("round close R-big");
    println!(
        "{:<48} {:>8.1} ms   (target ≤ 1000 ms; CLI round trip included)",
        format!("close the round: tally of {} ballots", codes.len()),
        ms(started.elapsed())
    );

    // A resident's check in the browser.
    let receipts = receipts.lock().unwrap().clone();
    let browser = Browser::start();
    let started = Instant::now();
    browser.open(&format!("{}/r/R-big#r={}", node.url, receipts[0]));
    let first = browser.wait_for(
        "the first check",
        "const r = document.getElementById('check-result'), b = document.getElementById('tally-badge');
         return !r.hidden && r.className !== '' && b.dataset.ms && [r.className, Number(r.dataset.ms), Number(b.dataset.ms)]",
    );
    assert_eq!(first[0], "ok", "{first}");
    println!(
        "{:<48} {:>8.1} ms   (open the page to the receipt checked)",
        "page load, tally verified, recount, receipt",
        ms(started.elapsed())
    );
    println!(
        "{:<48} {:>8.1} ms",
        format!("  tally verified and {} ballots recounted", receipts.len()),
        first[2].as_f64().unwrap()
    );
    println!(
        "{:<48} {:>8.1} ms",
        "  first receipt checked (after the tally)",
        first[1].as_f64().unwrap()
    );
    let mut times = Vec::new();
    for receipt in receipts
        .iter()
        .skip(1)
        .step_by((receipts.len() / checks.max(1)).max(1))
        .take(checks)
    {
        let said = browser.run(&format!(
            "const r = document.getElementById('check-result'); r.className = ''; r.hidden = true;
             document.getElementById('receipt').value = '{receipt}';
             document.getElementById('check-it').click();"
        ));
        let _ = said;
        let done = browser.wait_for(
            "a receipt's check",
            "const r = document.getElementById('check-result');
             return !r.hidden && (r.className === 'ok' || r.className === 'failed') && [r.className, Number(r.dataset.ms)]",
        );
        assert_eq!(done[0], "ok", "{done}");
        times.push(done[1].as_f64().unwrap());
    }
    quantiles("a resident's receipt check (target ≤ 50 ms)", times);
}

//! A federation that upgrades one office at a time: an office of a later
//! release (tests/src/bin/newer.rs, an honest office with a chartered key)
//! writes records this build cannot read between notices it can. Its
//! street, of this build, fetches them over `/yiyi/sync/1`, verifies,
//! stores and forwards them to the district; their inclusion proofs
//! and the bundle of the notice after them verify; the board lists them as
//! 较新版本的记录; the rules take nothing from them; nothing is refused.
//! And the first record kind to use the rule, the office's profile, names
//! each office everywhere.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use yiyi_protocol::VerifierKey;
use yiyi_protocol::checkpoint::witnessed_by;
use yiyi_protocol::light::Bundle;
use yiyi_protocol::note::SignedNote;
use yiyi_tests::federation::{Chain, admit_key, chain, log_of, verify_notice_at, wait_for};
use yiyi_tests::webdriver::Browser;
use yiyi_tests::{Json, Node, command};

/// The later release's office: started, its key read from its first line.
struct Newer {
    child: Child,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
    vkey: String,
}

/// How long a later release's ledger may take to reach a node that is not
/// its street: it is not heard in gossip, so at worst until the node's next
/// round of asking about every log (60 s).
const BY_THE_ROUND: std::time::Duration = std::time::Duration::from_secs(90);

impl Newer {
    fn start(street: &Node, dial: &[&Node]) -> Newer {
        let addresses: Vec<&str> = dial.iter().map(|n| n.p2p.as_str()).collect();
        let api = street.url.trim_start_matches("http://");
        let mut child = command("newer", &format!("{api} {}", addresses.join(" ")))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the newer office starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().expect("a first line").unwrap();
        let vkey = first
            .strip_prefix("key ")
            .expect("key <verifier key>")
            .to_owned();
        Newer { child, lines, vkey }
    }

    /// Has its checkpoint cosigned by the street; returns once it has.
    fn cosign(&mut self) {
        use std::io::Write;
        let stdin = self.child.stdin.as_mut().expect("a piped stdin");
        writeln!(stdin, "cosign").expect("the newer office reads its stdin");
        for line in self.lines.by_ref() {
            if line.unwrap() == "cosigned" {
                return;
            }
        }
        panic!("the newer office ended before its checkpoint was cosigned");
    }
}

impl Drop for Newer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `yiyi --json verify` of the notice `hash` online at `node`, trusting
/// `trust`, with its own state directory: whether it passed, and the
/// verdict (null if there was none).
fn verify_at(
    node: &Node,
    hash: &str,
    trust: &str,
    state: &std::path::Path,
) -> (bool, serde_json::Value) {
    let out = command(
        "yiyi",
        &format!("--json verify --node {} {hash} --trust {trust}", node.url),
    )
    .env("YIYI_STATE", state)
    .output()
    .unwrap();
    let verdict = serde_json::from_slice(&out.stdout).unwrap_or_default();
    (out.status.success(), verdict)
}

/// The member `log` as `node` lists it at `/api/v1/federation`.
fn member(node: &Node, log: &str) -> serde_json::Value {
    node.get("/api/v1/federation")
        .list_at("/members")
        .iter()
        .find(|m| m.str_at("/log") == log)
        .cloned()
        .unwrap_or_else(|| panic!("{log} is not a member at {}", node.url))
}

#[test]
fn a_later_release_s_records_are_kept_proved_and_forwarded_by_this_one() {
    let Chain {
        district,
        street,
        community,
    } = chain();
    let topics_before = street.get("/api/v1/topics");
    let mut newer = Newer::start(&street, &[&street, &community]);
    admit_key(&street, &newer.vkey, "新版社区", "community");
    let log = log_of(&newer.vkey);

    // The street fetches its four entries from it; the district, which it
    // never dialled, has them from the street. (Its sibling community, which
    // it dialled too, does not keep a sibling's ledger: since 0.4.0 a node
    // keeps its own, its ancestors' and its subtree's.)
    let holds_all = |node: &Node, within: std::time::Duration| {
        let start = std::time::Instant::now();
        while node.log_size(&log) != 4 {
            assert!(
                start.elapsed() < within,
                "{} holds {} of the later release's entries; its log:\n{}",
                node.url,
                node.log_size(&log),
                std::fs::read_to_string(&node.log).unwrap_or_default()
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    };
    holds_all(&street, std::time::Duration::from_secs(60));
    // Cosigned only now, after the street fetched the ledger: the street,
    // its witness, serves it with its cosignature from the moment it gave
    // it, without asking the office again.
    newer.cosign();
    let latest = street
        .get_public("/api/v1/board")
        .list_at("/notices")
        .iter()
        .find(|n| n.str_at("/log") == log)
        .map(|n| n.str_at("/hash").to_owned())
        .expect("the later release's notice on the street's board");
    let bundle = street.get_public_text(&format!("/api/v1/notices/{latest}/bundle"));
    let checkpoint = Bundle::parse(&bundle).unwrap().notice.checkpoint;
    let cosigner = VerifierKey::parse(&street.vkey).unwrap().to_cosigner();
    assert_eq!(
        witnessed_by(&SignedNote::parse(&checkpoint).unwrap(), &[cosigner])
            .map(|w| w.len())
            .ok(),
        Some(1),
        "the street's cosignature on\n{checkpoint}"
    );
    holds_all(&district, BY_THE_ROUND);
    let key = VerifierKey::parse(&newer.vkey).unwrap();
    for node in [&street, &district] {
        // Counted as a later release's records, and nothing refused.
        assert_eq!(node.metric("yiyi_unknown_records_total"), 2, "{}", node.url);
        assert_eq!(node.metric("yiyi_refused_total"), 0, "{}", node.url);
        assert_eq!(member(node, &log).u64_at("/newer"), 2);
        // Served as stored: each entry's signature and its inclusion in the
        // office's checkpoint verify with nothing but its key.
        let board = node.get_public("/api/v1/board");
        let records = board.list_at("/newer");
        assert_eq!(records.len(), 2, "{board}");
        for record in records {
            assert_eq!(record.str_at("/reader_version"), "0.5.0");
            assert_eq!(record.str_at("/office"), "新版社区");
            let hash = record.str_at("/hash");
            verify_notice_at(node, hash, &key);
            let served = node.get(&format!("/api/v1/entries/by-hash/{hash}"));
            assert_eq!(served.at("/newer"), true);
        }
        // Its two readable notices are on the board like any other.
        let titles: Vec<&str> = board
            .list_at("/notices")
            .iter()
            .filter(|n| n.str_at("/log") == log)
            .map(|n| n.str_at("/title"))
            .collect();
        assert_eq!(titles.len(), 2, "{titles:?}");
        assert!(titles.contains(&"升级后的第二条公示"), "{titles:?}");
    }
    // Each node says once that it should be upgraded, and once that a peer
    // runs a later release.
    let said = std::fs::read_to_string(&street.log).unwrap();
    for warning in [
        "this log holds records of a later yiyi release",
        "a peer runs a later yiyi release",
    ] {
        assert_eq!(said.matches(warning).count(), 1, "{warning:?} in\n{said}");
    }
    // The rules took nothing from them: the street's own consultation is
    // as it was.
    assert_eq!(street.get("/api/v1/topics"), topics_before);

    // The notice written after the later records verifies for a resident,
    // from the district key down the charter chain, at the district.
    let after = district
        .get_public("/api/v1/board")
        .list_at("/notices")
        .iter()
        .find(|n| n.str_at("/title") == "升级后的第二条公示")
        .map(|n| n.str_at("/hash").to_owned())
        .unwrap();
    let state = tempfile::tempdir().unwrap();
    let verify = || verify_at(&district, &after, &district.vkey, state.path());
    // Once the street's cosignature has reached the district: normally
    // with the entries, if the district asked the street after it cosigned.
    let start = std::time::Instant::now();
    while !verify().0 {
        assert!(
            start.elapsed() < BY_THE_ROUND,
            "the notice after the later records does not verify at the district"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let (_, verdict) = verify();
    assert_eq!(verdict.str_at("/office"), "新版社区");

    // `yiyi logs` counts them; `yiyi peers` names the later release.
    let text = |line: &str| {
        let out = command("yiyi", line)
            .env("YIYI_NODE", &street.url)
            .output()
            .unwrap();
        assert!(out.status.success(), "yiyi {line}");
        String::from_utf8(out.stdout).unwrap()
    };
    let logs = text("logs");
    assert!(
        logs.contains("2 records were written by a later release"),
        "{logs}"
    );
    let peers = text("peers");
    assert!(peers.contains("yiyi 0.5.0 (later release)"), "{peers}");

    // The board, in a browser, lists them apart, with their hashes.
    let browser = Browser::start();
    browser.open(&format!("{}/", street.url));
    browser.wait_for(
        "the later release's records",
        "return !document.getElementById('newer').hidden && document.querySelectorAll('#newer-list li').length",
    );
    let listed = browser.run(
        "return Array.from(document.querySelectorAll('#newer-list li')).map(li => li.textContent)",
    );
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    for item in listed {
        let text = item.as_str().unwrap();
        assert!(
            text.contains("新版社区") && text.contains("需 0.5.0 或更高版本读取"),
            "{text}"
        );
    }
    assert!(
        browser
            .run("return document.querySelector('#newer h2').textContent")
            .as_str()
            .unwrap()
            .contains("较新版本的记录")
    );
    drop(newer);

    // A restarted node says so again, and still counts them from its store.
    let mut street = street;
    street.kill();
    let status = command(
        "yiyi-node",
        &format!("status --data {}", street.data.display()),
    )
    .output()
    .unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains("records of a later release: 2"), "{status}");
}

#[test]
fn an_office_s_profile_names_it_everywhere() {
    let Chain {
        district,
        street: _street,
        community,
    } = chain();
    let hash = community.decline("T-park", "小区停车位划线");
    district.yiyi(
        "profile set --name 济南市历下区 --address '历下区龙洞路 1 号' --phone 0531-12345 \
         --meeting-place 区政务服务中心三楼 --meeting-rhythm 每月11日",
    );
    let shown = district.yiyi("profile show");
    assert_eq!(shown.str_at("/address"), "历下区龙洞路 1 号");
    assert_eq!(shown.str_at("/level"), "district");
    // Only the office's own level: the profile cannot say otherwise.
    assert!(
        !district
            .yiyi_output(&["profile", "set", "--level", "street"])
            .status
            .success()
    );

    let district_log = log_of(&district.vkey);
    let renamed = "济南市历下区";
    wait_for("the community to know the district's new name", || {
        member(&community, &district_log).str_at("/name") == renamed
    });
    let board = community.get_public("/api/v1/board");
    assert_eq!(board.str_at("/district/name"), renamed);
    let logs = command("yiyi", "logs")
        .env("YIYI_NODE", &community.url)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&logs.stdout).contains(renamed));

    // The bundle names the chain by the offices' profiles, checked against
    // the district key: in `yiyi verify` and on the board.
    let state = tempfile::tempdir().unwrap();
    let verify = || verify_at(&community, &hash, &district.vkey, state.path()).1;
    wait_for("the bundle to name the district by its new profile", || {
        verify().pointer("/chain/2").and_then(|v| v.as_str()) == Some(renamed)
    });
    assert_eq!(verify().str_at("/chain/0"), "舜玉社区");
    let browser = Browser::start();
    browser.open(&format!("{}/", community.url));
    browser.wait_for(
        "the notice to be checked",
        "return document.body.dataset.verified === 'done'",
    );
    let badge = browser.run("return document.querySelector('.badge').textContent");
    assert!(
        badge
            .as_str()
            .unwrap()
            .contains("已核验：舜玉社区 ← 泉城路街道 ← 济南市历下区"),
        "{badge}"
    );
}

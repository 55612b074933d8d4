//! A resident checks notices with `yiyi verify`, trusting only the district
//! key: online at any node of the federation (none of them trusted), and
//! offline from a bundle; a bundle altered in any part fails, naming the
//! check, and exits non-zero.

use serde_json::Value;
use yiyi_tests::federation::{Chain, chain, wait_for};
use yiyi_tests::{Json, command, run, stdout};

/// `yiyi --json verify LINE` with its own state directory; the JSON verdict
/// and whether it exited 0.
fn verify(state: &std::path::Path, line: &str) -> (Value, bool) {
    let out = command("yiyi", &format!("--json --lang en verify {line}"))
        .env("YIYI_STATE", state)
        .env_remove("YIYI_TRUST")
        .output()
        .unwrap();
    // No verdict when the bundle could not be had (the node does not hold
    // it yet): the error is on stderr.
    let verdict = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (verdict, out.status.success())
}

/// `yiyi notice bundle HASH [flags] --out PATH` from `node`; panics if it
/// fails.
fn write_bundle(node: &yiyi_tests::Node, hash: &str, flags: &str, path: &std::path::Path) {
    let out = command(
        "yiyi",
        &format!(
            "--node {} notice bundle {hash} {flags} --out {}",
            node.url,
            path.display()
        ),
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn residents_verify_notices_online_and_offline_and_forgeries_fail_by_name() {
    let Chain {
        district,
        street,
        community,
    } = chain();
    let hash = community.decline("T-park", "小区停车位划线");
    let state = tempfile::tempdir().unwrap();

    // Online, at each node, once the street has cosigned the checkpoint and
    // the replicas hold it.
    for node in [&community, &street, &district] {
        wait_for("the notice to verify at every node", || {
            verify(
                state.path(),
                &format!("--node {} {hash} --trust {}", node.url, district.vkey),
            )
            .1
        });
    }
    let (verdict, ok) = verify(
        state.path(),
        &format!("--node {} {hash} --trust {}", community.url, district.vkey),
    );
    assert!(ok);
    assert_eq!(verdict.str_at("/office"), "舜玉社区");
    assert_eq!(verdict.str_at("/chain/1"), "泉城路街道");
    assert_eq!(verdict.at("/consistency_checked"), true, "{verdict}");
    assert!(verdict.str_at("/title").contains("不予协商"), "{verdict}");

    // Offline, from the bundle, with the key from a file and from YIYI_TRUST.
    let bundle = state.path().join("notice.tlog-bundle");
    write_bundle(&community, &hash, "", &bundle);
    let trust_file = state.path().join("district.key");
    std::fs::write(&trust_file, format!("{}\n", district.vkey)).unwrap();
    let (_, ok) = verify(
        state.path(),
        &format!(
            "--bundle {} --trust-file {}",
            bundle.display(),
            trust_file.display()
        ),
    );
    assert!(ok);
    let human = command(
        "yiyi",
        &format!("--lang zh verify --bundle {}", bundle.display()),
    )
    .env("YIYI_TRUST", &district.vkey)
    .env("YIYI_STATE", state.path())
    .output()
    .unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        human.status.success() && text.contains("核验通过"),
        "{text}"
    );

    // The notice's own C2SP tlog-proof, for the ecosystem's tools: its
    // entry, its index (the entry's sequence), the inclusion proof and the
    // checkpoint with the street's cosignature; the root it proves is the
    // one the office signed.
    let proof_file = state.path().join("notice.tlog-proof");
    write_bundle(&community, &hash, "--tlog-proof", &proof_file);
    let text = std::fs::read_to_string(&proof_file).unwrap();
    assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra "), "{text}");
    let proof = yiyi_protocol::light::TlogProof::parse(&text).unwrap();
    let entry = yiyi_protocol::entry::verify(&proof.extra).unwrap();
    assert_eq!(entry.hash.to_hex(), hash);
    assert_eq!(proof.index, entry.sequence());
    let key = yiyi_protocol::VerifierKey::parse(&community.vkey).unwrap();
    let (checkpoint, note) = yiyi_protocol::Checkpoint::open(&proof.checkpoint, &key).unwrap();
    yiyi_protocol::merkle::verify_inclusion(
        proof.index,
        checkpoint.size,
        &entry.hash,
        &proof.hashes,
        &checkpoint.root,
    )
    .unwrap();
    let street_key = yiyi_protocol::VerifierKey::parse(&street.vkey).unwrap();
    let cosigned =
        yiyi_protocol::checkpoint::witnessed_by(&note, &[street_key.to_cosigner()]).unwrap();
    assert_eq!(cosigned.len(), 1, "{text}");

    // The printed notice: the notice, a QR code to the board at it with the
    // key ID, and the bundle as text that verifies offline as it is.
    let page = state.path().join("notice.html");
    let printed = command(
        "yiyi",
        &format!(
            "--node {} notice print {hash} --trust {} \
             --board https://gongshi.lixia.example --out {}",
            community.url,
            district.vkey,
            page.display()
        ),
    )
    .output()
    .unwrap();
    assert!(
        printed.status.success(),
        "{}",
        String::from_utf8_lossy(&printed.stderr)
    );
    let html = std::fs::read_to_string(&page).unwrap();
    let key_id = district.vkey.split('+').nth(1).unwrap();
    assert!(html.contains("不予协商") && html.contains("<svg") && html.contains(key_id));
    assert!(html.contains(&format!(
        "https://gongshi.lixia.example/?key={key_id}#{hash}"
    )));
    let block = html
        .split("<pre>")
        .nth(1)
        .unwrap()
        .split("</pre>")
        .next()
        .unwrap();
    let block = block
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let from_paper = state.path().join("from-paper.bundle");
    std::fs::write(&from_paper, block).unwrap();
    let (_, ok) = verify(
        state.path(),
        &format!(
            "--bundle {} --trust {}",
            from_paper.display(),
            district.vkey
        ),
    );
    assert!(ok, "the bundle printed on the page verifies");
    // A notice is not printed against a key it does not verify with.
    let elsewhere = stdout(&run(
        "yiyi",
        &format!(
            "key generate --name yiyi/huaiyin --out {}",
            state.path().join("huaiyin.key").display()
        ),
    ));
    let other = state.path().join("other.html");
    let refused = command(
        "yiyi",
        &format!(
            "--lang en --node {} notice print {hash} --out {}",
            community.url,
            other.display()
        ),
    )
    .env("YIYI_TRUST", elsewhere.trim())
    .output()
    .unwrap();
    assert!(!refused.status.success() && !other.exists());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("does not verify"));

    // Forgeries, each failing its own check.
    let text = std::fs::read_to_string(&bundle).unwrap();
    let other_district = stdout(&run(
        "yiyi",
        &format!(
            "key generate --name yiyi/shizhong --out {}",
            state.path().join("other.key").display()
        ),
    ))
    .trim()
    .to_owned();
    let write = |name: &str, content: &str| {
        let path = state.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    };
    // Another district's key pinned.
    let (verdict, ok) = verify(
        state.path(),
        &format!("--bundle {} --trust {other_district}", bundle.display()),
    );
    assert!(!ok);
    assert_eq!(verdict.str_at("/failed"), "charter-chain");
    // One character of the notice changed (inside the base64 entry).
    let extra = text.lines().nth(2).unwrap();
    let middle = extra.len() / 2;
    let flipped = if &extra[middle..middle + 1] == "A" {
        "B"
    } else {
        "A"
    };
    let altered = text.replacen(
        extra,
        &format!("{}{flipped}{}", &extra[..middle], &extra[middle + 1..]),
        1,
    );
    let (verdict, ok) = verify(
        state.path(),
        &format!(
            "--bundle {} --trust {}",
            write("altered", &altered).display(),
            district.vkey
        ),
    );
    assert!(!ok);
    assert_eq!(verdict.str_at("/failed"), "signature", "{verdict}");
    // The cosignature line dropped.
    let uncosigned: String = {
        let mut lines: Vec<&str> = text.lines().collect();
        let first_note = lines.iter().position(|l| l.starts_with("— ")).unwrap();
        // The community's signature, then the street's cosignature.
        lines.remove(first_note + 1);
        lines.join("\n") + "\n"
    };
    let (verdict, ok) = verify(
        state.path(),
        &format!(
            "--bundle {} --trust {}",
            write("uncosigned", &uncosigned).display(),
            district.vkey
        ),
    );
    assert!(!ok);
    assert_eq!(verdict.str_at("/failed"), "cosignature", "{verdict}");
    // Not a bundle at all.
    let (verdict, ok) = verify(
        state.path(),
        &format!(
            "--bundle {} --trust {}",
            write("garbage", "hello").display(),
            district.vkey
        ),
    );
    assert!(!ok);
    assert_eq!(verdict.str_at("/failed"), "format");
}

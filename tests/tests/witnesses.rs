//! Outside witnesses (外部见证人): a community submits its checkpoints to a
//! witness outside its federation — here a second yiyi node, over HTTP, as
//! any C2SP tlog-witness — which cosigns them; the community keeps and
//! serves the cosignatures, and a resident's policy requiring that witness
//! verifies a notice, while one requiring a witness that never cosigned
//! fails, naming it.

use super::console::{add_staff, sign_in};
use serde_json::Value;
use yiyi_protocol::VerifierKey;
use yiyi_tests::federation::{active_members, admit, pinned, wait_for};
use yiyi_tests::webdriver::Browser;
use yiyi_tests::{Json, Node, command};

/// `yiyi --json verify HASH --policy FILE` at `node`: the verdict and
/// whether it exited 0.
fn verify(node: &Node, hash: &str, trust: &str, policy: &std::path::Path) -> (Value, bool) {
    let state = tempfile::tempdir().unwrap();
    let out = command(
        "yiyi",
        &format!(
            "--json --lang en --node {} verify {hash} --trust {trust} --policy {}",
            node.url,
            policy.display()
        ),
    )
    .env("YIYI_STATE", state.path())
    .output()
    .unwrap();
    let verdict = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    (verdict, out.status.success())
}

/// Stops `node` (SIGTERM) and starts it again with the `run` line.
fn restart(node: &mut Node, run: &str) {
    node.terminate(std::time::Duration::from_secs(10)).unwrap();
    node.run(run);
}

#[test]
fn an_outside_witness_cosigns_over_http_and_a_policy_can_require_it() {
    let district = Node::start_init("--level district --name 历下区 --origin yiyi/lixia", "");
    let street = pinned(&district, "quancheng", "泉城路街道", "street", &district);
    admit(&district, &street, "泉城路街道", "street");
    // The community's origin is a URL under the office's own host, as a
    // witness that keys logs by origin needs.
    let mut community = Node::start_init(
        &format!(
            "--level community --name 舜玉社区 --origin gongshi.lixia.example/shunyu --district {}",
            district.vkey
        ),
        &format!("--peer {}", street.p2p),
    );
    admit(&street, &community, "舜玉社区", "community");

    // The outside witness: a node of another federation, told which log it
    // witnesses.
    let mut witness = Node::start_init(
        "--level district --name 外部见证人 --origin witness.example/w1",
        "",
    );
    restart(&mut witness, &format!("--witness-for {}", community.vkey));
    let cosigner = witness
        .get("/api/v1/witnesses")
        .str_at("/cosigner")
        .to_owned();
    assert_eq!(
        cosigner,
        VerifierKey::parse(&witness.vkey)
            .unwrap()
            .to_cosigner()
            .to_string()
    );
    assert_eq!(
        witness.get("/api/v1/witnesses").at("/witnessing_for/0"),
        "gongshi.lixia.example/shunyu"
    );

    // A witness that takes one checkpoint a second from this log (at the
    // default, one a minute, the test would wait for it).
    restart(
        &mut community,
        &format!(
            "--peer {} --witness 'outside {cosigner} {} 86400'",
            street.p2p, witness.url
        ),
    );
    wait_for("the community to know the federation again", || {
        active_members(&community) == 3
    });

    let hash = community.decline("T-1", "小区停车位划线");
    let size = community.own_size();
    wait_for(
        "the outside witness to cosign the notice's checkpoint",
        || {
            let status = community.get("/api/v1/witnesses");
            status
                .at("/outside/0/cosigned_size")
                .as_u64()
                .is_some_and(|s| s >= size)
        },
    );
    let status = community.get("/api/v1/witnesses");
    assert_eq!(status.str_at("/outside/0/name"), "outside");
    assert_eq!(*status.at("/outside/0/error"), Value::Null, "{status}");

    let dir = tempfile::tempdir().unwrap();
    let street_cosigner = VerifierKey::parse(&street.vkey).unwrap().to_cosigner();
    let ghost = yiyi_protocol::SecretKey::generate("witness.example/ghost")
        .unwrap()
        .cosigner();
    let (community_vkey, witness_url) = (community.vkey.clone(), witness.url.clone());
    let policy = |name: &str, quorum: &str| {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!(
                "log {}\nwitness street {street_cosigner}\nwitness outside {cosigner} {}\n\
                 witness ghost {ghost}\ngroup street-and-outside all street outside\n\
                 group with-ghost all street ghost\nquorum {quorum}\n",
                community_vkey, witness_url
            ),
        )
        .unwrap();
        path
    };

    // Required and present: verified, naming who cosigned.
    let required = policy("required.policy", "street-and-outside");
    wait_for(
        "the notice's bundle to carry the outside cosignature",
        || verify(&community, &hash, &district.vkey, &required).1,
    );
    let (verdict, ok) = verify(&community, &hash, &district.vkey, &required);
    assert!(ok, "{verdict}");
    assert_eq!(
        *verdict.at("/witnesses"),
        serde_json::json!(["outside", "street"])
    );
    assert!(
        verdict
            .list_at("/checks")
            .iter()
            .any(|c| c.str_at("/check") == "policy" && c.at("/ok") == true)
    );

    // Required and never given: fails, naming the witness.
    let (verdict, ok) = verify(
        &community,
        &hash,
        &district.vkey,
        &policy("ghost.policy", "with-ghost"),
    );
    assert!(!ok);
    assert_eq!(verdict.str_at("/failed"), "policy", "{verdict}");
    assert!(verdict.str_at("/reason").contains("ghost"), "{verdict}");

    // On the board, in the browser: a resident types the policy in; the
    // notice verifies naming its witnesses; with the ghost required, it
    // fails naming the ghost; cleared, it verifies as before.
    let browser = Browser::start();
    browser.open(&format!("{}/", community.url));
    let badge = |what: &str, state: &str| -> String {
        browser.wait_for(
            what,
            &format!(
                "const b = document.querySelector('#n-{hash} .badge');
                 return b && b.dataset.state === '{state}' && b.textContent"
            ),
        );
        browser
            .run(&format!(
                "return document.querySelector('#n-{hash} .badge').textContent"
            ))
            .as_str()
            .unwrap()
            .to_owned()
    };
    badge("the notice verified without a policy", "verified");
    let set_policy = |path: &std::path::Path| {
        browser.run(
            "if (!document.getElementById('policy').open)
               document.querySelector('#policy summary').click();
             document.getElementById('policy-input').value = '';",
        );
        browser.type_text("#policy-input", &std::fs::read_to_string(path).unwrap());
        browser.run("document.getElementById('policy-set').click()");
    };
    set_policy(&required);
    let text = badge("the notice verified under the policy", "verified");
    assert!(text.contains("见证人：outside, street"), "{text}");
    assert!(
        browser
            .run("return document.getElementById('policy-state').textContent")
            .as_str()
            .unwrap()
            .contains("street-and-outside")
    );
    set_policy(&dir.path().join("ghost.policy"));
    let text = badge("the notice failing the ghost's policy", "failed");
    assert!(
        text.contains("核验策略") && text.contains("ghost"),
        "{text}"
    );
    // A policy that does not parse is named, and the one in use stays.
    browser.run("document.getElementById('policy-input').value = ''");
    browser.type_text("#policy-input", "quorum nobody\n");
    browser.run("document.getElementById('policy-set').click()");
    let error = browser.wait_for(
        "the policy's error shown",
        "const e = document.getElementById('policy-error'); return !e.hidden && e.textContent",
    );
    assert!(error.as_str().unwrap().contains("line 1"), "{error}");
    browser.run("document.getElementById('policy-clear').click()");
    badge("the notice verified once the policy is cleared", "verified");

    // At the console, the office sees who vouches for its ledger: how far
    // the street cosigned, the outside witness's last cosignature, and the
    // node's own cosigner key for residents' policies.
    let given = add_staff(&community, "王芳", "staff");
    sign_in(&browser, &community, "王芳", &given, "舜玉社区2026!");
    browser.open(&format!("{}/office/offices", community.url));
    let outside = browser.wait_for(
        "the witnessing section",
        "const w = document.querySelector('#outside-witnesses li[data-name=\"outside\"]'); return w && w.textContent",
    );
    assert!(outside.as_str().unwrap().contains("已副署前"), "{outside}");
    assert!(
        outside.as_str().unwrap().contains(&witness.url),
        "{outside}"
    );
    let parent = browser.run("return document.getElementById('parent-witness').textContent");
    assert!(
        parent.as_str().unwrap().contains("上级机构已副署前"),
        "{parent}"
    );
    assert_eq!(
        browser.run("return document.getElementById('cosigner').textContent"),
        VerifierKey::parse(&community.vkey)
            .unwrap()
            .to_cosigner()
            .to_string()
    );

    // The community keeps the outside cosignature: restarted without the
    // witness configured, it still serves the notice with it.
    restart(&mut community, &format!("--peer {}", street.p2p));
    let (verdict, ok) = verify(&community, &hash, &district.vkey, &required);
    assert!(ok, "after a restart: {verdict}");

    // The witness keeps what it cosigned: asked from an older size, it says
    // which it holds.
    let note = community.get_text("/api/v1/checkpoint").unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .post(format!("{}/add-checkpoint", witness.url))
        .send(format!("old 0\n\n{note}"))
        .unwrap();
    assert_eq!(response.status().as_u16(), 409);
    let held: u64 = response
        .body_mut()
        .read_to_string()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(held >= size);

    // Throttled to what the witness allows: at two a day, the restarted
    // community asks once (the witness answers that it holds this size
    // already), and a notice published after that waits for its turn.
    restart(
        &mut community,
        &format!(
            "--peer {} --witness 'outside {cosigner} {} 2'",
            street.p2p, witness.url
        ),
    );
    wait_for("the request of the day made", || {
        community
            .get("/api/v1/witnesses")
            .u64_at("/outside/0/submitted")
            >= 1
    });
    let asked = community
        .get("/api/v1/witnesses")
        .u64_at("/outside/0/submitted");
    let later = community.decline("T-2", "楼道堆物清理");
    wait_for("the later notice verified without a policy", || {
        verify(
            &community,
            &later,
            &district.vkey,
            &policy("none.policy", "none"),
        )
        .1
    });
    std::thread::sleep(std::time::Duration::from_secs(3));
    let status = community.get("/api/v1/witnesses");
    assert_eq!(status.u64_at("/outside/0/submitted"), asked, "{status}");
    let (verdict, ok) = verify(&community, &later, &district.vkey, &required);
    assert!(!ok, "{verdict}");
    assert_eq!(verdict.str_at("/failed"), "policy", "{verdict}");
    assert!(verdict.str_at("/reason").contains("outside"), "{verdict}");
}

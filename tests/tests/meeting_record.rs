//! The record of a meeting and of its supervision: policy briefing files
//! attached by the office, served by their SHA-256 and committed in the
//! ledger (by the CLI and, in a browser, by the console's file chooser);
//! the rules read and the views expressed in the result notice; oversight
//! in its phase by the kinds of supervisor the case study names, with the
//! discipline-inspection, finance and audit bodies where money is spent;
//! designated persons by role and office.

use sha2::{Digest, Sha256};
use yiyi_tests::webdriver::Browser;
use yiyi_tests::{Json, Node, command, today};

use crate::console::{add_staff, sign_in};

/// A topic accepted and on a card meeting today, its steps through the
/// discussion (with the rules read and the views said).
fn meeting_underway(node: &Node, topic: &str, meeting: &str) {
    node.propose(topic, "加装电梯费用分摊");
    node.yiyi(&format!("topic accept {topic}"));
    node.yiyi(&format!(
        "meeting schedule --id {meeting} --topic {topic} --form card --date {}",
        today()
    ));
    node.yiyi(&format!(
        "meeting step {meeting} sign-in --attendee 张三,13800000000"
    ));
    node.yiyi(&format!("meeting step {meeting} explain-topic"));
    node.yiyi(&format!("meeting step {meeting} introduce-participants"));
    node.yiyi(&format!(
        "meeting step {meeting} read-rules --summary '一人一票，少数服从多数，尊重不同意见'"
    ));
    node.yiyi(&format!(
        "meeting step {meeting} discuss --summary '低层住户担心采光，高层住户愿多承担费用'"
    ));
}

#[test]
fn briefing_files_are_kept_by_hash_served_inert_and_named_in_the_result() {
    let node = Node::start("舜玉社区");
    meeting_underway(&node, "T-lift", "M-lift");
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("济南市既有住宅增设电梯指导意见.txt");
    let text = "第十条 费用分摊由业主协商确定。🛗\n";
    std::fs::write(&policy, text).unwrap();
    let exe = dir.path().join("setup.exe");
    std::fs::write(&exe, b"MZ").unwrap();

    // Not a kind a briefing takes: refused, nothing uploaded or written.
    let size = node.own_size();
    let out = command("yiyi", "meeting brief M-lift --file")
        .arg(&exe)
        .env("YIYI_NODE", &node.url)
        .env("YIYI_DATA", &node.data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(node.own_size(), size);
    // Nor by the API, nor a file never uploaded.
    let refused = node.refused(&format!(
        "meeting brief M-lift --file {}",
        dir.path().join("missing.pdf").display()
    ));
    assert!(refused.contains("missing.pdf"), "{refused}");

    node.yiyi_args(&[
        "meeting".as_ref(),
        "brief".as_ref(),
        "M-lift".as_ref(),
        "--file".as_ref(),
        policy.as_os_str(),
    ]);
    let sha = hex::encode(Sha256::digest(text.as_bytes()));
    let meeting = node.get("/api/v1/meetings/M-lift");
    assert_eq!(meeting.str_at("/briefing/0/sha256"), sha);
    assert_eq!(
        meeting.str_at("/briefing/0/name"),
        "济南市既有住宅增设电梯指导意见.txt"
    );
    assert_eq!(meeting.str_at("/briefing/0/media_type"), "text/plain");

    // Served by its hash, as it was, inert.
    let response = ureq::get(format!("{}/api/v1/files/{sha}", node.url))
        .call()
        .unwrap();
    let headers = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(headers("content-type"), "text/plain; charset=utf-8");
    assert!(headers("content-security-policy").contains("sandbox"));
    assert_eq!(headers("x-content-type-options"), "nosniff");
    let mut response = response;
    assert_eq!(response.body_mut().read_to_string().unwrap(), text);
    assert!(
        node.get_text(&format!("/api/v1/files/{}", "0".repeat(64)))
            .is_none()
    );
    // An upload without the office's token is refused.
    let anonymous = ureq::post(format!("{}/api/v1/files?type=text/plain", node.url))
        .config()
        .http_status_as_error(false)
        .build()
        .send("x")
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    // The result notice carries the meeting's record.
    node.yiyi("meeting step M-lift form-result --result '按楼层系数分摊费用'");
    node.yiyi("outcome T-lift --meeting M-lift --class promised --responsible 居委会 --measures 组织签订分摊协议 --deadline 2099-06-30 --notice-period 30 --spends-money");
    let published = node.yiyi("meeting step M-lift publish-result");
    let hash = published.str_at("/notices/0/hash").to_owned();
    let notices = node.get("/api/v1/notices");
    let body = notices
        .list_at("/notices")
        .iter()
        .find(|n| n.str_at("/hash") == hash)
        .unwrap()
        .str_at("/body")
        .to_owned();
    for said in [
        "宣读规则：一人一票，少数服从多数，尊重不同意见",
        "各方意见：低层住户担心采光，高层住户愿多承担费用",
        &format!("政策宣讲材料：济南市既有住宅增设电梯指导意见.txt（SHA-256 {sha}）"),
    ] {
        assert!(body.contains(said), "{said} not in {body}");
    }
    // Nothing is attached once the result is published.
    node.refused(&format!("meeting brief M-lift --file {}", policy.display()));

    // Oversight: during the work, money spent — the three bodies invited.
    let refused = node
        .refused("oversee T-lift --phase during --deputy 区人大代表张某 --resident 居民代表李某");
    assert!(refused.contains("discipline-inspection"), "{refused}");
    node.refused("oversee T-lift --phase after --deputy 区人大代表张某 --body discipline --body finance --body audit");
    node.yiyi("oversee T-lift --phase during --deputy 区人大代表张某 --cppcc 区政协委员王某 --resident 居民代表李某 --stakeholder 三单元住户 --body discipline --body finance --body audit --note 施工合同已公开");
    let refused = node.refused("oversee T-lift --phase during --body audit");
    assert!(refused.contains("supervisors"), "{refused}");
    // A designated person, by role and office; one for a matter sent up
    // needs the topic sent up.
    let refused = node.refused("designate T-lift --duty matter-follower --role 社区党委副书记");
    assert!(refused.contains("escalated"), "{refused}");
    node.propose("T-next", "楼道堆物清理");
    node.yiyi("topic accept T-next");
    node.yiyi("designate T-next --duty plan-drafter --role 社区党委副书记");
    // Both on the topic's course on the board.
    let board = node.get_public("/api/v1/board");
    let course = board.to_string();
    assert!(
        course.contains("事中 · 区人大代表张某（人大代表）、区政协委员王某（政协委员）、居民代表李某（居民群众代表）、三单元住户（利益相关方） · 纪检监察、财政、审计 · 施工合同已公开"),
        "{course}"
    );
}

#[test]
fn at_the_console_a_secretary_attaches_a_file_records_oversight_and_designates() {
    let node = Node::start("舜玉社区");
    meeting_underway(&node, "T-lift", "M-lift");
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("政策 说明.txt");
    std::fs::write(&policy, "费用分摊办法 <script>alert(1)</script>").unwrap();
    let browser = Browser::start();
    let given = add_staff(&node, "王书记", "secretary");
    sign_in(&browser, &node, "王书记", &given, "社区书记自己的密码");
    browser.open(&format!("{}/office/meetings/M-lift", node.url));
    browser.wait_for(
        "the briefing form",
        "return document.getElementById('brief-form') !== null",
    );
    browser.choose_files("#brief-files", &[&policy]);
    browser.run("document.getElementById('brief').click()");
    let listed = browser.wait_for(
        "the file listed",
        "const l = document.querySelector('#briefing-list a'); return l && [l.textContent, l.getAttribute('href')]",
    );
    let sha = hex::encode(Sha256::digest(std::fs::read(&policy).unwrap()));
    assert_eq!(
        listed,
        serde_json::json!(["政策 说明.txt", format!("/api/v1/files/{sha}")])
    );
    // Following the link shows the text as text, never run.
    browser.run("document.querySelector('#briefing-list a').click()");
    let shown = browser.wait_for(
        "the file",
        "return document.body && document.body.textContent.includes('费用分摊办法') && document.body.textContent",
    );
    assert!(shown.as_str().unwrap().contains("<script>"), "{shown}");

    // Oversight and a designation from the topic's page.
    node.yiyi("meeting step M-lift form-result --result 按楼层系数分摊");
    node.yiyi("outcome T-lift --meeting M-lift --class promised --responsible 居委会 --measures 签订协议 --deadline 2099-06-30 --notice-period 30 --spends-money");
    node.yiyi("meeting step M-lift publish-result");
    browser.open(&format!("{}/office/topics/T-lift", node.url));
    browser.wait_for(
        "the oversight form",
        "return document.getElementById('oversee-form') !== null",
    );
    // Money is spent: the three bodies are offered checked.
    assert_eq!(
        browser.run("return Array.from(document.querySelectorAll('#oversee-form input[name=body]')).every(b => b.checked)"),
        true
    );
    browser.run(
        "document.getElementById('oversee-box').open = true;
         const names = document.querySelectorAll('.supervisor-name');
         const kinds = document.querySelectorAll('.supervisor-kind');
         kinds[0].value = 'deputy'; names[0].value = '区人大代表张某';
         kinds[2].value = 'stakeholder'; names[2].value = '三单元住户';
         document.getElementById('oversee-note').value = '合同已公开';
         document.getElementById('oversee').click();",
    );
    let listed = browser.wait_for(
        "the oversight listed",
        "const l = document.getElementById('oversight-list'); return l && l.textContent",
    );
    let listed = listed.as_str().unwrap();
    assert!(
        listed.contains("事中")
            && listed.contains("区人大代表张某（人大代表）")
            && listed.contains("纪检监察、财政、审计"),
        "{listed}"
    );
    browser.run(
        "document.getElementById('designate-box').open = true;
         document.getElementById('duty').value = 'plan-drafter';
         document.getElementById('designate-role').value = '社区党委副书记';
         document.getElementById('designate').click();",
    );
    let refused = browser.wait_for(
        "the designation refused (the topic is past planning)",
        "const e = document.getElementById('error'); return e && e.textContent",
    );
    assert!(
        refused.as_str().unwrap().contains("拟定协商方案"),
        "{refused}"
    );
}

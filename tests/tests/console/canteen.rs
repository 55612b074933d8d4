//! The canteen case (社区老年食堂), as the case study tells it, done at a
//! community's console by clicking and typing only: the lists set up, the
//! concern taken in from the catalogue, accepted, a card round that cannot
//! decide a major matter, the full meeting's seven steps with the promised
//! outcome, progress, completion, supervision, the follow-up visit and the
//! residents' evaluation; then its notices verified on the public board in
//! the browser, and the audit log naming who wrote each record.

use super::*;
use yiyi_tests::federation::{Chain, chain, wait_for};

/// Clicks the element `id` once the page shows it.
fn click(browser: &Browser, id: &str) {
    browser.wait_for(
        id,
        &format!("return document.getElementById('{id}') !== null"),
    );
    browser.run(&format!("document.getElementById('{id}').click()"));
}

/// Schedules meeting `id` for today from Today: the topic, the form, the
/// participants by id.
fn schedule(browser: &Browser, node: &Node, id: &str, form: &str, participants: &[&str]) {
    browser.open(&format!("{}/office/", node.url));
    click(browser, "new-meeting");
    browser.wait_for(
        "the meeting form",
        "return document.getElementById('place') !== null",
    );
    let ticks: String = participants
        .iter()
        .map(|p| format!("document.querySelector('#participants input[value=\"{p}\"]').click();"))
        .collect();
    browser.run(&format!(
        "document.getElementById('id').value = '{id}';
         document.querySelector('#topics input[value=\"T-canteen\"]').click();
         document.getElementById('form').value = '{form}';
         document.getElementById('date').value = '{}';
         document.getElementById('place').value = '甸柳新村第一社区议事厅';
         {ticks}
         document.getElementById('save').click();",
        yiyi_tests::today()
    ));
    browser.wait_for(
        "the checklist",
        "return document.getElementById('steps') !== null",
    );
}

/// Records the meeting's steps from the one the page offers next up to and
/// including `last`, typing what each needs; publish-result's notices are
/// previewed first, and their text returned.
fn steps_through(browser: &Browser, last: &str, result: &str) -> String {
    loop {
        let next = browser.wait_for(
            "the next step's form",
            "return document.querySelector('#step-form input[name=step]') && document.querySelector('#step-form input[name=step]').value",
        );
        let next = next.as_str().unwrap().to_owned();
        let fill = match next.as_str() {
            "sign-in" => {
                "document.getElementById('attendees').value = '张三 13800000000\\n李四 13900000000\\n赵六';"
                    .to_owned()
            }
            "form-result" => format!("document.getElementById('result').value = '{result}';"),
            "publish-result" => String::new(),
            _ => "document.getElementById('summary').value = '按议事规则发言，逐一记录';".to_owned(),
        };
        let done = browser.run("return document.querySelectorAll('#steps li.done').length");
        let mut previewed = String::new();
        if next == "publish-result" {
            previewed = preview_then_sign(browser, "preview-result", "record-step");
        } else {
            browser.run(&format!(
                "{fill} document.getElementById('record-step').click();"
            ));
        }
        browser.wait_for(
            "the step ticked",
            &format!(
                "return document.querySelectorAll('#steps li.done').length === {}",
                done.as_u64().unwrap() + 1
            ),
        );
        if next == last {
            return previewed;
        }
    }
}

/// The text of the refusal the page shows.
fn refusal(browser: &Browser) -> String {
    browser
        .wait_for(
            "the refusal",
            "return document.getElementById('error') && document.getElementById('error').textContent",
        )
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn the_canteen_from_intake_to_evaluation_at_the_console_verified_on_the_board() {
    let Chain {
        district,
        street: _street,
        community: node,
    } = chain();
    let given = add_staff(&node, "王芳", "staff");
    let browser = Browser::start();
    sign_in(&browser, &node, "王芳", &given, "王芳自己的新密码");
    let first = node.own_size();

    // The participant list and the catalogue.
    set_up_lists(
        &browser,
        &[
            ("P-party", "party-organisation", "甸柳新村第一社区党委"),
            ("P-committee", "residents-committee", "社区居委会"),
            ("P-reps", "resident-representative", "居民代表"),
            ("P-property", "property-management", "物业公司"),
        ],
        ("public-affairs", "公共事务类", "为老服务"),
    );

    // A resident's concern, taken in from the catalogue; who raised it
    // stays on the node.
    browser.open(&format!("{}/office/", node.url));
    click(&browser, "new-topic");
    browser.wait_for(
        "the intake form",
        "return document.getElementById('sub_item') !== null",
    );
    browser.run(
        "document.getElementById('id').value = 'T-canteen';
         document.getElementById('title').value = '社区老年食堂';
         document.getElementById('summary').value = '老人吃饭难，居民提出建老年食堂';
         document.getElementById('sub_item').value = 'public-affairs:为老服务';
         document.getElementById('scale').value = 'major';
         document.getElementById('source').value = 'resident';
         document.getElementById('raised_by').value = '王五 13700000000';
         document.getElementById('save').click();",
    );
    browser.wait_for("Today", "return document.getElementById('gate') !== null");
    let topic = node.get("/api/v1/topics/T-canteen");
    assert_eq!(
        (topic.str_at("/sub_item"), topic.str_at("/status")),
        ("为老服务", "proposed")
    );
    browser.open(&format!("{}/office/topics/T-canteen", node.url));
    click(&browser, "accept");
    browser.wait_for(
        "accepted",
        "return document.getElementById('status').textContent === '待协商'",
    );

    // The card round gathers views, but cannot decide a major matter.
    schedule(
        &browser,
        &node,
        "M-card",
        "card",
        &["P-reps", "P-committee"],
    );
    steps_through(&browser, "form-result", "多数居民支持建老年食堂，选址待议");
    let size = node.own_size();
    browser.run(
        "const f = document.querySelector('.classify-immediate').form;
         f.querySelector('[name=responsible_party]').value = '社区居委会';
         f.querySelector('[name=measures]').value = '建食堂';
         document.querySelector('.classify-immediate').click();",
    );
    assert_eq!(
        refusal(&browser),
        "议题“T-canteen”属大事大议，须召开协商会议，不能用卡片或线上协商"
    );
    assert_eq!(node.own_size(), size, "a refused outcome wrote something");
    let previewed = steps_through(&browser, "publish-result", "");
    assert!(
        previewed.contains("本次会议没有完成分类的议题"),
        "{previewed}"
    );
    browser.wait_for(
        "the card round complete",
        "return document.getElementById('complete') !== null",
    );

    // The full meeting on the 11th's procedure decides it.
    schedule(
        &browser,
        &node,
        "M-1111",
        "meeting",
        &["P-party", "P-committee", "P-reps", "P-property"],
    );
    steps_through(
        &browser,
        "form-result",
        "同意将约200平方米社区用房改造为老年食堂",
    );
    // A promised item without its deadline: refused next to the deadline,
    // what was typed kept.
    let size = node.own_size();
    browser.run(
        "const f = document.querySelector('.classify-promised').form;
         f.querySelector('[name=responsible_party]').value = '社区居委会';
         f.querySelector('[name=measures]').value = '改造社区用房，引入餐饮企业运营';
         document.querySelector('.classify-promised').click();",
    );
    assert_eq!(refusal(&browser), "分流分类缺少必填项：办理期限");
    assert_eq!(node.own_size(), size);
    assert_eq!(
        browser.run(
            "const f = document.querySelector('.classify-promised').form;
             return [f.querySelector('[name=deadline]').parentElement.nextElementSibling.id,
                     f.querySelector('[name=responsible_party]').value,
                     f.parentElement.open]"
        ),
        serde_json::json!(["error", "社区居委会", true])
    );
    browser.run(
        "const f = document.querySelector('.classify-promised').form;
         f.querySelector('[name=deadline]').value = '2027-03-31';
         f.querySelector('[name=measures]').value = '改造社区用房，引入餐饮企业运营';
         f.querySelector('input[name=supervisor][value=\"居民代表\"]').click();
         f.querySelector('[name=spends_money]').click();
         document.querySelector('.classify-promised').click();",
    );
    browser.wait_for(
        "classified",
        "return document.getElementById('steps') !== null && document.querySelector('section.outcome') === null",
    );
    // The result notice, read before it is signed.
    let previewed = steps_through(&browser, "publish-result", "");
    assert!(
        previewed.contains("关于“社区老年食堂”的协商结果公示")
            && previewed.contains("承诺件")
            && previewed.contains("2027-03-31"),
        "{previewed}"
    );
    let topic = node.get("/api/v1/topics/T-canteen");
    assert_eq!(topic.str_at("/status"), "promised");
    assert_eq!(topic.str_at("/outcome/deadline"), "2027-03-31");
    assert_eq!(
        topic.at("/outcome/supervisors"),
        &serde_json::json!(["居民代表"])
    );

    // Carried out from its page: supervision, progress, completion, the
    // follow-up visit, the residents' evaluation.
    browser.open(&format!("{}/office/topics/T-canteen", node.url));
    browser.wait_for(
        "carrying out",
        "return document.getElementById('progress-preview') !== null",
    );
    browser.run(
        "document.getElementById('oversight').value = '社区监委会';
         document.getElementById('supervise').click();",
    );
    browser.wait_for(
        "supervision recorded",
        "return document.getElementById('progress-preview') !== null",
    );
    for (text, completed) in [("施工队已进场", false), ("老年食堂正式开业", true)] {
        browser.run(&format!(
            "document.getElementById('progress-text').value = '{text}';
             if ({completed}) document.getElementById('completed').click();"
        ));
        let previewed = preview_then_sign(&browser, "progress-preview", "progress");
        assert!(previewed.contains(text), "{previewed}");
        browser.wait_for(
            "the progress notice",
            &format!("return document.getElementById('notices') && document.getElementById('notices').textContent.includes('{}')",
                if completed { "办结公示" } else { "办理进展公示" }),
        );
    }
    browser.wait_for(
        "done",
        "return document.getElementById('status').textContent === '已办结'",
    );
    browser.run(
        "document.getElementById('followup-summary').value = '回访就餐老人 30 户';
         document.getElementById('households').value = '30';
         document.getElementById('followup').click();",
    );
    browser.wait_for("the visit recorded", "return document.getElementById('evaluate') !== null && document.getElementById('error') === null");
    browser.run(
        "document.getElementById('satisfied').value = '41';
         document.getElementById('basically').value = '6';
         document.getElementById('dissatisfied').value = '1';
         document.getElementById('evaluate').click();",
    );
    browser.wait_for(
        "evaluated",
        "return document.getElementById('status').textContent === '已评议'",
    );
    let titles = browser
        .run("return Array.from(document.querySelectorAll('#notices a')).map(a => a.textContent)");
    assert_eq!(
        titles,
        serde_json::json!([
            // Each meeting announced ahead (议前公示), then the results.
            format!("议前公示：{} 卡片协商", yiyi_tests::today()),
            format!("议前公示：{} 协商会议", yiyi_tests::today()),
            "关于“社区老年食堂”的协商结果公示",
            "“社区老年食堂”办理进展公示",
            "“社区老年食堂”办结公示"
        ])
    );

    // Its notices on the public board, verified in the browser once the
    // street has cosigned the ledger that holds them.
    let last = node
        .get("/api/v1/notices")
        .list_at("/notices")
        .last()
        .unwrap()
        .str_at("/hash")
        .to_owned();
    let state = tempfile::tempdir().unwrap();
    wait_for("the street's cosignature", || {
        yiyi_tests::command(
            "yiyi",
            &format!(
                "--node {} verify {last} --trust {}",
                node.url, district.vkey
            ),
        )
        .env("YIYI_STATE", state.path())
        .output()
        .unwrap()
        .status
        .success()
    });
    browser.run("document.querySelector('#notices a').click()");
    browser.wait_for(
        "every notice checked",
        "return document.body.dataset.verified === 'done'",
    );
    let states = browser
        .run("return Array.from(document.querySelectorAll('.badge')).map(b => b.dataset.state)");
    // The two announcements and the three results.
    assert_eq!(
        states,
        serde_json::json!(["verified", "verified", "verified", "verified", "verified"])
    );

    // The secretary reads who wrote each of the canteen's records; the
    // public ledger names no one, and no resident's name or phone.
    let secretary = add_staff(&node, "赵书记", "secretary");
    browser.open(&format!("{}/office/", node.url));
    click(&browser, "sign-out");
    sign_in(&browser, &node, "赵书记", &secretary, "赵书记自己的新密码");
    click(&browser, "audit-link");
    browser.wait_for(
        "the audit log",
        "return document.getElementById('audit') !== null",
    );
    let rows = browser.run(
        "return Array.from(document.querySelectorAll('#audit tr')).slice(1).map(r => Array.from(r.cells).map(c => c.textContent))",
    );
    let mut written: Vec<u64> = Vec::new();
    for row in rows.as_array().unwrap() {
        let cells: Vec<&str> = row
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert_eq!(cells[1], "王芳", "{cells:?}");
        written.extend(
            cells[4]
                .split_whitespace()
                .filter_map(|s| s.strip_prefix('#'))
                .map(|s| s.parse::<u64>().unwrap()),
        );
    }
    written.sort_unstable();
    let ledger: Vec<u64> = (first..node.own_size()).collect();
    assert_eq!(
        written, ledger,
        "every entry the console wrote, and only those, is in the audit log"
    );
    let public = node.get_public_text("/api/v1/board")
        + &node.get_public_text("/api/v1/topics/T-canteen")
        + &node.get_public_text("/api/v1/meetings/M-1111")
        + &node.get_public_text("/api/v1/notices");
    for private in [
        "王芳",
        "赵书记",
        "王五",
        "13700000000",
        "张三",
        "13800000000",
    ] {
        assert!(!public.contains(private), "{private} is public");
    }
}

//! The office console: staff sign in as themselves, choose their own
//! password, and are kept out by locks, CSRF tokens and closed accounts;
//! every page carries a strict Content-Security-Policy, and what anyone
//! typed is shown as text.

use ureq::Agent;
use yiyi_tests::webdriver::Browser;
use yiyi_tests::{Json, Node, run};

/// A browser-less client that does not follow redirects and does not turn
/// 4xx into errors: it sees what the node answers.
fn client() -> Agent {
    Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into()
}

/// An answer: status, the `set-cookie` and `location` headers, the body.
struct Answer {
    status: u16,
    cookie: String,
    location: String,
    body: String,
}

fn answer(mut response: ureq::http::Response<ureq::Body>) -> Answer {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (cookie, location) = (header("set-cookie"), header("location"));
    Answer {
        status: response.status().as_u16(),
        cookie,
        location,
        body: response.body_mut().read_to_string().unwrap_or_default(),
    }
}

/// Posts a form to `path`, with the session cookie if given.
fn post(node: &Node, path: &str, session: &str, form: &[(&str, &str)]) -> Answer {
    let mut request = client().post(format!("{}{path}", node.url));
    if !session.is_empty() {
        request = request.header("cookie", format!("yiyi_session={session}"));
    }
    answer(request.send_form(form.iter().copied()).unwrap())
}

fn get(node: &Node, path: &str, session: &str) -> Answer {
    let mut request = client().get(format!("{}{path}", node.url));
    if !session.is_empty() {
        request = request.header("cookie", format!("yiyi_session={session}"));
    }
    answer(request.call().unwrap())
}

/// The session id a sign-in set.
fn session_of(answer: &Answer) -> String {
    answer
        .cookie
        .strip_prefix("yiyi_session=")
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("no session cookie: {:?}", answer.cookie))
        .to_owned()
}

/// `yiyi-node staff add`: the one-time password.
fn add_staff(node: &Node, name: &str, role: &str) -> String {
    let out = run(
        "yiyi-node",
        &format!(
            "staff add --data {} --name {name} --role {role}",
            node.data.display()
        ),
    );
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The CSRF token in a page's forms.
fn csrf_in(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no CSRF token in {page}"))
        .to_owned()
}

#[test]
fn staff_sign_in_choose_a_password_and_see_today_in_the_browser() {
    let node = Node::start("舜玉社区");
    node.propose("T-1", "<script>alert(1)</script>楼道灯不亮 🏮");
    let given = add_staff(&node, "张红", "secretary");

    let browser = Browser::start();
    browser.open(&format!("{}/office/", node.url));
    browser.wait_for(
        "the sign-in form",
        "return document.getElementById('sign-in') !== null",
    );
    // Signed out, the console sends her to sign in; the given password
    // works once, and she chooses her own first (sign_in checks each page).
    sign_in(&browser, &node, "张红", &given, "议一议每月十一日");
    let who = browser.run("return document.getElementById('who').textContent");
    assert_eq!(who, "张红 · 书记/主任");
    // What a resident typed is shown as text, and no script ran.
    let listed = browser.run("return document.querySelector('#gate li').textContent");
    assert!(
        listed
            .as_str()
            .unwrap()
            .contains("<script>alert(1)</script>楼道灯不亮 🏮"),
        "{listed}"
    );
    assert_eq!(
        browser.run("return document.querySelectorAll('#gate script').length"),
        0
    );
    // She takes in a resident's concern, as typed into the form; who raised
    // it stays on the node.
    browser.run("document.getElementById('new-topic').click()");
    browser.wait_for(
        "the intake form",
        "return document.getElementById('raised_by') !== null",
    );
    let before = node.own_size();
    browser.run(
        "document.getElementById('id').value = 'T-canteen';
         document.getElementById('title').value = '社区老年食堂';
         document.getElementById('summary').value = '老人吃饭难';
         document.getElementById('scale').value = 'major';
         document.getElementById('raised_by').value = '王五 13700000000';
         document.getElementById('save').click();",
    );
    browser.wait_for(
        "the new topic on Today",
        "return Array.from(document.querySelectorAll('#gate li')).some(li => li.textContent.includes('社区老年食堂'))",
    );
    assert_eq!(
        node.get("/api/v1/topics/T-canteen").str_at("/title"),
        "社区老年食堂"
    );
    assert!(
        !node
            .get_public_text("/api/v1/topics/T-canteen")
            .contains("13700000000")
    );
    // The same id again: the rule's message, and nothing written.
    browser.open(&format!("{}/office/topics/new", node.url));
    browser.wait_for(
        "the intake form",
        "return document.getElementById('save') !== null",
    );
    let size = node.own_size();
    browser.run(
        "document.getElementById('id').value = 'T-canteen';
         document.getElementById('title').value = '重复';
         document.getElementById('save').click();",
    );
    let error = browser.wait_for(
        "the refusal",
        "return document.getElementById('error') && document.getElementById('error').textContent",
    );
    // In Chinese, as the rules say it, next to the field it concerns, and
    // what was typed is still there.
    assert_eq!(error, "已有编号为“T-canteen”的议题");
    assert_eq!(
        browser.run(
            "return document.getElementById('id').parentElement.nextElementSibling.id + ' ' + document.getElementById('title').value"
        ),
        "error 重复"
    );
    assert_eq!(node.own_size(), size, "a refused form wrote something");
    // Gate-keeping from Today: accepted, it leaves the list; the refusal
    // is among the recent ones.
    browser.open(&format!("{}/office/", node.url));
    browser.wait_for("Today", "return document.getElementById('gate') !== null");
    assert!(
        browser
            .run("return document.getElementById('refusals').textContent")
            .as_str()
            .unwrap()
            .contains("张红 · T-canteen · 已有编号为“T-canteen”的议题")
    );
    browser.run(
        "Array.from(document.querySelectorAll('#gate li')).find(li => li.textContent.includes('社区老年食堂')).querySelector('button.accept').click()",
    );
    browser.wait_for(
        "the accepted topic off the list",
        "return document.getElementById('gate') !== null && !document.getElementById('gate').textContent.includes('社区老年食堂')",
    );
    assert_eq!(
        node.get("/api/v1/topics/T-canteen").str_at("/status"),
        "accepted"
    );
    // The audit log says who wrote each entry; the ledger does not.
    browser.run("document.getElementById('audit-link').click()");
    browser.wait_for(
        "the audit log",
        "return document.getElementById('audit') !== null",
    );
    let rows = browser.run(
        "return Array.from(document.querySelectorAll('#audit tr')).slice(1).map(r => r.textContent)",
    );
    let rows: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(
        rows[0].contains("张红") && rows[0].contains("accept"),
        "{rows:?}"
    );
    assert!(
        rows[1].contains("张红") && rows[1].contains("未写入：已有编号为“T-canteen”的议题"),
        "{rows:?}"
    );
    assert!(
        rows[2].contains("张红")
            && rows[2].contains("topic")
            && rows[2].contains(&format!("#{before}")),
        "{rows:?}"
    );
    assert!(!node.get_public_text("/api/v1/board").contains("张红"));

    // English by the toggle.
    browser.open(&format!("{}/office/?lang=en", node.url));
    browser.wait_for(
        "Today in English",
        "return document.querySelector('h2').textContent === 'Today'",
    );
    // Signing out ends the session.
    browser.run("document.getElementById('sign-out').click()");
    browser.wait_for(
        "the sign-in form again",
        "return document.getElementById('sign-in') !== null",
    );
    browser.open(&format!("{}/office/", node.url));
    browser.wait_for(
        "the sign-in form, signed out",
        "return document.getElementById('sign-in') !== null",
    );
}

#[test]
fn locks_csrf_closed_accounts_cookies_and_the_content_security_policy() {
    let node = Node::start("舜玉社区");
    let given = add_staff(&node, "王芳", "staff");

    // Five wrong passwords lock the account: the sixth, right, is refused.
    for _ in 0..5 {
        let wrong = post(
            &node,
            "/office/login",
            "",
            &[("name", "王芳"), ("password", "guess-123")],
        );
        assert_eq!(wrong.status, 401);
        assert!(wrong.body.contains("用户名或密码错误"), "{}", wrong.body);
    }
    let locked = post(
        &node,
        "/office/login",
        "",
        &[("name", "王芳"), ("password", &given)],
    );
    assert_eq!(locked.status, 401);
    assert!(locked.body.contains("已锁定"), "{}", locked.body);
    assert!(locked.cookie.is_empty());

    // Another account signs in; its cookie is HttpOnly and SameSite=Strict.
    let other = add_staff(&node, "李明", "staff");
    let signed = post(
        &node,
        "/office/login",
        "",
        &[("name", "李明"), ("password", &other)],
    );
    assert_eq!(
        (signed.status, signed.location.as_str()),
        (303, "/office/password")
    );
    assert!(signed.cookie.contains("HttpOnly"), "{}", signed.cookie);
    assert!(
        signed.cookie.contains("SameSite=Strict"),
        "{}",
        signed.cookie
    );
    let session = session_of(&signed);
    let page = get(&node, "/office/password", &session);
    assert_eq!(page.status, 200);
    let csrf = csrf_in(&page.body);

    // A form without the session's CSRF token, or with another session's,
    // is refused and changes nothing.
    let third = add_staff(&node, "赵监督", "viewer");
    let other_session = session_of(&post(
        &node,
        "/office/login",
        "",
        &[("name", "赵监督"), ("password", &third)],
    ));
    let other_csrf = csrf_in(&get(&node, "/office/password", &other_session).body);
    for bad in ["", other_csrf.as_str()] {
        let form = [
            ("csrf", bad),
            ("old", other.as_str()),
            ("new", "新的密码12345"),
            ("again", "新的密码12345"),
        ];
        assert_eq!(post(&node, "/office/password", &session, &form).status, 403);
        assert_eq!(
            post(&node, "/office/logout", &session, &[("csrf", bad)]).status,
            403
        );
    }
    assert_eq!(
        get(&node, "/office/password", &session).status,
        200,
        "still signed in"
    );
    let form = [
        ("csrf", csrf.as_str()),
        ("old", other.as_str()),
        ("new", "新的密码12345"),
        ("again", "新的密码12345"),
    ];
    let changed = post(&node, "/office/password", &session, &form);
    assert_eq!(
        (changed.status, changed.location.as_str()),
        (303, "/office/")
    );
    assert!(get(&node, "/office/", &session).body.contains("李明"));

    // Every console page sends a policy that allows no script at all and
    // nothing from elsewhere.
    let today = client()
        .get(format!("{}/office/", node.url))
        .header("cookie", format!("yiyi_session={session}"))
        .call()
        .unwrap();
    let csp = today.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    // The public board too: only its own scripts, styles and node.
    let board = client().get(format!("{}/", node.url)).call().unwrap();
    let csp = board.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'")
            && csp.contains("script-src 'self'")
            && !csp.contains("unsafe"),
        "{csp}"
    );

    // A viewer cannot write, and a member of staff cannot read the audit
    // log; nothing is written.
    node.propose("T-9", "楼道灯不亮");
    let viewer_csrf = csrf_in(&get(&node, "/office/password", &other_session).body);
    let size = node.own_size();
    let refused = post(
        &node,
        "/office/topics/accept",
        &other_session,
        &[("csrf", &viewer_csrf), ("topic", "T-9")],
    );
    assert_eq!(refused.status, 303, "a viewer must choose a password first");
    let viewer_password = [
        ("csrf", viewer_csrf.as_str()),
        ("old", third.as_str()),
        ("new", "只看不写的新密码"),
        ("again", "只看不写的新密码"),
    ];
    assert_eq!(
        post(&node, "/office/password", &other_session, &viewer_password).status,
        303
    );
    let refused = post(
        &node,
        "/office/topics/accept",
        &other_session,
        &[("csrf", &viewer_csrf), ("topic", "T-9")],
    );
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("不能做此操作"), "{}", refused.body);
    assert_eq!(node.own_size(), size);
    assert_eq!(get(&node, "/office/audit", &session).status, 403);

    // Closing the account ends its session at once.
    let out = run(
        "yiyi-node",
        &format!("staff disable --data {} --name 李明", node.data.display()),
    );
    assert!(out.status.success());
    let after = get(&node, "/office/", &session);
    assert_eq!(
        (after.status, after.location.as_str()),
        (303, "/office/login")
    );
}

/// Signs `name` in at `node` in `browser` with the one-time password
/// `given`, choosing `own`.
fn sign_in(browser: &Browser, node: &Node, name: &str, given: &str, own: &str) {
    browser.open(&format!("{}/office/login", node.url));
    browser.wait_for(
        "the sign-in form",
        "return document.getElementById('sign-in') !== null",
    );
    browser.run(&format!(
        "document.getElementById('name').value = '{name}';
         document.getElementById('password').value = '{given}';
         document.getElementById('sign-in').click();"
    ));
    browser.wait_for(
        "the password form",
        "return document.getElementById('again') !== null",
    );
    browser.run(&format!(
        "document.getElementById('old').value = '{given}';
         document.getElementById('new').value = '{own}';
         document.getElementById('again').value = '{own}';
         document.getElementById('save').click();"
    ));
    browser.wait_for("Today", "return document.getElementById('gate') !== null");
}

#[test]
fn gate_keeping_declines_with_the_notice_shown_first_refers_and_the_secretary_approves() {
    let node = Node::start("舜玉社区");
    node.propose("T-park", "小区停车位划线");
    node.propose("T-dispute", "邻里漏水纠纷");
    let given = add_staff(&node, "张红", "secretary");
    let browser = Browser::start();
    sign_in(&browser, &node, "张红", &given, "议一议每月十一日");

    // Decline: the notice residents will read is shown before it is signed.
    browser.open(&format!("{}/office/topics/T-park", node.url));
    browser.wait_for(
        "the topic",
        "return document.getElementById('citation') !== null",
    );
    let size = node.own_size();
    browser.run(
        "document.getElementById('citation').value = '《济南市停车场管理办法》';
         document.getElementById('explanation').value = '道路停车位由交警部门划定';
         document.getElementById('decline-preview').click();",
    );
    let preview = browser.wait_for(
        "the notice preview",
        "return document.getElementById('preview') && document.getElementById('preview').textContent",
    );
    let preview = preview.as_str().unwrap();
    assert!(
        preview.contains("关于“小区停车位划线”不予协商的说明")
            && preview.contains("《济南市停车场管理办法》"),
        "{preview}"
    );
    assert_eq!(node.own_size(), size, "a preview wrote something");
    browser.run("document.getElementById('decline').click()");
    browser.wait_for(
        "the declined topic",
        "return document.getElementById('status') && document.getElementById('status').textContent === '不予协商'",
    );
    assert!(
        node.get_public_text("/api/v1/notices")
            .contains("关于“小区停车位划线”不予协商的说明")
    );

    // Refer: the dispute's details stay on the node.
    browser.open(&format!("{}/office/topics/T-dispute", node.url));
    browser.wait_for(
        "the topic",
        "return document.getElementById('mediator') !== null",
    );
    browser.run(
        "document.getElementById('mediator').value = '社区人民调解委员会';
         document.getElementById('details').value = '302室与402室的漏水纠纷';
         document.getElementById('refer').click();",
    );
    browser.wait_for(
        "the referred topic",
        "return document.getElementById('status') && document.getElementById('status').textContent === '调解中'",
    );
    for path in [
        "/api/v1/topics/T-dispute",
        "/api/v1/board",
        "/api/v1/notices",
    ] {
        assert!(!node.get_public_text(path).contains("302室"), "{path}");
    }

    // Staff cannot approve a dispute: no button, and a forged form is refused.
    let staff_given = add_staff(&node, "王芳", "staff");
    let staff = session_of(&post(
        &node,
        "/office/login",
        "",
        &[("name", "王芳"), ("password", &staff_given)],
    ));
    let csrf = csrf_in(&get(&node, "/office/password", &staff).body);
    let own = [
        ("csrf", csrf.as_str()),
        ("old", staff_given.as_str()),
        ("new", "工作人员自己的密码"),
        ("again", "工作人员自己的密码"),
    ];
    assert_eq!(post(&node, "/office/password", &staff, &own).status, 303);
    assert!(
        !get(&node, "/office/topics/T-dispute", &staff)
            .body
            .contains("id=\"approve\"")
    );
    let size = node.own_size();
    let refused = post(
        &node,
        "/office/topics/approve",
        &staff,
        &[
            ("csrf", &csrf),
            ("topic", "T-dispute"),
            ("approval", "党委会2026-12"),
        ],
    );
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("不能做此操作"), "{}", refused.body);
    assert_eq!(node.own_size(), size);

    // The secretary approves it for consultation.
    browser.open(&format!("{}/office/topics/T-dispute", node.url));
    browser.wait_for(
        "the approval form",
        "return document.getElementById('approval') !== null",
    );
    browser.run(
        "document.getElementById('approval').value = '社区党委会 2026年第12次会议';
         document.getElementById('approve').click();",
    );
    browser.wait_for(
        "the approved topic",
        "return document.getElementById('status') && document.getElementById('status').textContent === '待协商'",
    );
}

#[test]
fn a_meeting_is_run_step_by_step_with_the_sign_in_sheet_kept_home() {
    let node = Node::start("舜玉社区");
    node.propose("T-light", "楼道灯不亮");
    node.yiyi("topic accept T-light");
    let given = add_staff(&node, "王芳", "staff");
    let browser = Browser::start();
    sign_in(&browser, &node, "王芳", &given, "工作人员自己的密码");

    // The participant list and the catalogue, from the console.
    browser.run("document.getElementById('setup-link').click()");
    for (id, kind, name) in [
        ("P-party", "party-organisation", "舜玉社区党委"),
        ("P-property", "property-management", "物业公司"),
    ] {
        browser.wait_for(
            "the setup page",
            "return document.getElementById('add-participant') !== null",
        );
        browser.run(&format!(
            "document.getElementById('participant-id').value = '{id}';
             document.getElementById('participant-kind').value = '{kind}';
             document.getElementById('participant-name').value = '{name}';
             document.getElementById('add-participant').click();"
        ));
        browser.wait_for(
            "the participant listed",
            &format!("return document.getElementById('participants') && document.getElementById('participants').textContent.includes('{name}')"),
        );
    }
    browser.run(
        "document.getElementById('catalogue-category').value = 'daily-life';
         document.getElementById('catalogue-item').value = '楼道设施';
         document.getElementById('add-item').click();",
    );
    browser.wait_for(
        "the sub-item listed",
        "return document.getElementById('catalogue') && document.getElementById('catalogue').textContent.includes('日常生活及矛盾类 · 楼道设施')",
    );
    assert_eq!(
        node.get("/api/v1/participants")
            .list_at("/participants")
            .len(),
        2
    );
    browser.open(&format!("{}/office/", node.url));
    browser.wait_for(
        "Today",
        "return document.getElementById('new-meeting') !== null",
    );

    // Scheduled for today, so that its steps can be recorded now.
    let today = yiyi_protocol::rules::Date::in_shanghai(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    );
    browser.run("document.getElementById('new-meeting').click()");
    browser.wait_for(
        "the meeting form",
        "return document.getElementById('place') !== null",
    );
    browser.run(&format!(
        "document.getElementById('id').value = 'M-light';
         document.querySelector('#topics input[value=\"T-light\"]').click();
         document.getElementById('form').value = 'meeting';
         document.getElementById('date').value = '{today}';
         document.getElementById('place').value = '社区党群服务中心议事厅';
         document.querySelectorAll('#participants input').forEach(b => b.click());
         document.getElementById('save').click();"
    ));
    browser.wait_for(
        "the meeting's checklist",
        "return document.getElementById('steps') !== null",
    );

    // The seven steps, in order, each from the form the page offers next;
    // before the result is published, the topic is classified.
    let steps = [
        (
            "sign-in",
            "document.getElementById('attendees').value = '张三 13800000000\\n李四 13900000000';",
        ),
        (
            "explain-topic",
            "document.getElementById('summary').value = '说明楼道灯损坏情况';",
        ),
        ("introduce-participants", ""),
        ("read-rules", ""),
        (
            "discuss",
            "document.getElementById('summary').value = '物业同意三日内更换';",
        ),
        (
            "form-result",
            "document.getElementById('result').value = '物业三日内更换楼道灯';",
        ),
        ("publish-result", ""),
    ];
    for (i, (step, fill)) in steps.iter().enumerate() {
        browser.wait_for(
            step,
            &format!("return document.querySelector('#step-form input[name=step]') && document.querySelector('#step-form input[name=step]').value === '{step}'"),
        );
        if *step == "publish-result" {
            // An immediate item without its responsible party: refused in
            // Chinese, nothing written.
            let size = node.own_size();
            browser.run("document.querySelector('.classify-immediate').click()");
            let error = browser.wait_for(
                "the refusal",
                "return document.getElementById('error') && document.getElementById('error').textContent",
            );
            assert_eq!(error, "分流分类缺少必填项：责任主体");
            assert_eq!(node.own_size(), size);
            browser.run(
                "const f = document.querySelector('.classify-immediate').form;
                 f.querySelector('[name=responsible_party]').value = '物业公司';
                 f.querySelector('[name=measures]').value = '更换楼道灯';
                 document.querySelector('.classify-immediate').click();",
            );
            browser.wait_for(
                "the topic classified",
                "return document.getElementById('steps') !== null && document.querySelector('section.outcome') === null",
            );
            assert_eq!(
                node.get("/api/v1/topics/T-light").str_at("/status"),
                "immediate"
            );
        }
        browser.run(&format!(
            "{fill} document.getElementById('record-step').click();"
        ));
        browser.wait_for(
            "the step ticked",
            &format!(
                "return document.querySelectorAll('#steps li.done').length === {}",
                i + 1
            ),
        );
    }
    browser.wait_for(
        "the meeting complete",
        "return document.getElementById('complete') !== null",
    );
    let labels = browser.run(
        "return Array.from(document.querySelectorAll('#steps li')).map(l => l.textContent.trim())",
    );
    assert_eq!(labels[0], "✓ 签到");
    assert_eq!(labels[6], "✓ 公开结果");
    let meeting = node.get("/api/v1/meetings/M-light");
    assert_eq!(meeting.list_at("/steps").len(), 7);
    // The sign-in sheet stayed home; the ledger has the count.
    let public =
        node.get_public_text("/api/v1/meetings/M-light") + &node.get_public_text("/api/v1/board");
    for private in ["张三", "13800000000", "李四"] {
        assert!(!public.contains(private), "{private} is public");
    }
    assert!(
        node.get_public_text("/api/v1/notices")
            .contains("物业三日内更换楼道灯")
    );

    // A step out of order: the rule's message in Chinese, nothing written.
    let session = session_of(&post(
        &node,
        "/office/login",
        "",
        &[("name", "王芳"), ("password", "工作人员自己的密码")],
    ));
    let csrf = csrf_in(&get(&node, "/office/", &session).body);
    let size = node.own_size();
    let refused = post(
        &node,
        "/office/meetings/step",
        &session,
        &[
            ("csrf", &csrf),
            ("meeting", "M-light"),
            ("step", "discuss"),
            ("summary", "再讨论"),
        ],
    );
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .body
            .contains("会议“M-light”下一步应为“无（七步已完成）”，不是“协商讨论”"),
        "{}",
        refused.body
    );
    assert_eq!(node.own_size(), size);

    // Carried out, followed up and evaluated from the topic's page.
    browser.open(&format!("{}/office/topics/T-light", node.url));
    browser.wait_for(
        "the topic being carried out",
        "return document.getElementById('progress') !== null",
    );
    browser.run(
        "document.getElementById('progress-text').value = '楼道灯已全部更换';
         document.getElementById('completed').click();
         document.getElementById('progress').click();",
    );
    browser.wait_for(
        "the topic done",
        "return document.getElementById('status') && document.getElementById('status').textContent === '已办结'",
    );
    // The residents' evaluation before any follow-up visit: refused.
    browser.run(
        "document.getElementById('satisfied').value = '12';
         document.getElementById('evaluate').click();",
    );
    let error = browser.wait_for(
        "the refusal",
        "return document.getElementById('error') && document.getElementById('error').textContent",
    );
    assert_eq!(error, "议题“T-light”尚未回访");
    browser.run(
        "document.getElementById('followup-summary').value = '回访楼内住户，灯已正常';
         document.getElementById('households').value = '8';
         document.getElementById('followup').click();",
    );
    browser.wait_for("the follow-up recorded", "return document.getElementById('evaluate') !== null && document.getElementById('error') === null");
    browser.run(
        "document.getElementById('satisfied').value = '7';
         document.getElementById('basically').value = '1';
         document.getElementById('evaluate').click();",
    );
    browser.wait_for(
        "the topic evaluated",
        "return document.getElementById('status') && document.getElementById('status').textContent === '已评议'",
    );
    let topic = node.get("/api/v1/topics/T-light");
    assert_eq!(topic.str_at("/status"), "evaluated");
}

#[test]
fn a_suggestion_goes_up_from_the_community_s_console_and_the_street_s_secretary_decides() {
    let yiyi_tests::federation::Chain {
        district: _district,
        street,
        community,
    } = yiyi_tests::federation::chain();
    community.consult_to_suggestion("T-wall", "修缮小区围墙", "请街道拨付维修资金");
    let browser = Browser::start();
    let given = add_staff(&community, "张红", "secretary");
    sign_in(&browser, &community, "张红", &given, "议一议每月十一日");
    browser.open(&format!("{}/office/topics/T-wall", community.url));
    browser.wait_for(
        "the suggestion",
        "return document.getElementById('escalate') !== null",
    );
    browser.run(
        "document.getElementById('priority').value = 'important';
         document.getElementById('escalate').click();",
    );
    browser.wait_for("sent up", "return document.getElementById('topic-title') !== null && document.getElementById('escalate') === null");

    // At the street: the matter waits for the secretary's decision.
    let street_given = add_staff(&street, "李书记", "secretary");
    sign_in(
        &browser,
        &street,
        "李书记",
        &street_given,
        "街道书记自己的密码",
    );
    yiyi_tests::federation::wait_for("the matter at the street", || {
        street
            .get("/api/v1/matters")
            .list_at("/matters")
            .iter()
            .any(|m| {
                m.str_at("/escalation_id").ends_with("T-wall") && m.str_at("/status") == "received"
            })
    });
    browser.open(&format!("{}/office/matters", street.url));
    browser.wait_for(
        "the queue",
        "return document.querySelector('article.matter') !== null",
    );
    let matter = browser.run("return document.querySelector('article.matter').textContent");
    let matter = matter.as_str().unwrap();
    assert!(
        matter.contains("舜玉社区")
            && matter.contains("请街道拨付维修资金")
            && matter.contains("重要"),
        "{matter}"
    );

    // A member of staff may not decide it.
    let staff_given = add_staff(&street, "街道干事", "staff");
    let staff = session_of(&post(
        &street,
        "/office/login",
        "",
        &[("name", "街道干事"), ("password", &staff_given)],
    ));
    let csrf = csrf_in(&get(&street, "/office/password", &staff).body);
    let own = [
        ("csrf", csrf.as_str()),
        ("old", staff_given.as_str()),
        ("new", "街道干事自己的密码"),
        ("again", "街道干事自己的密码"),
    ];
    assert_eq!(post(&street, "/office/password", &staff, &own).status, 303);
    let id = street.get("/api/v1/matters").list_at("/matters")[0]
        .str_at("/id")
        .to_owned();
    let size = street.own_size();
    let refused = post(
        &street,
        "/office/matters/decide",
        &staff,
        &[("csrf", &csrf), ("matter", &id), ("decision", "accept")],
    );
    assert_eq!(refused.status, 422);
    assert_eq!(street.own_size(), size);

    // The secretary returns it with a reason; the community publishes it.
    browser.run(
        "const f = document.querySelector('form.decide');
         f.querySelector('[name=reason]').value = '属社区维修基金使用范围，请社区按程序申请';
         f.querySelector('button.return').click();",
    );
    browser.wait_for(
        "the matter decided",
        "return document.getElementById('steps') === null && (document.getElementById('error') !== null || document.querySelector('article.matter form.decide') === null)",
    );
    assert_eq!(browser.run("return document.getElementById('error') && document.getElementById('error').textContent"), serde_json::Value::Null);
    assert_eq!(
        street
            .get(&format!("/api/v1/matters/{id}"))
            .str_at("/path/0/status"),
        "returned"
    );
    yiyi_tests::federation::wait_for("the return notice at the community", || {
        community
            .get_public_text("/api/v1/notices")
            .contains("社区维修基金")
    });
}

#[test]
fn the_street_forwards_and_the_district_dispatches_to_two_departments_and_records_their_results() {
    let yiyi_tests::federation::Chain {
        district,
        street,
        community,
    } = yiyi_tests::federation::chain();
    for (id, name) in [("jtj", "区交通运输局"), ("zjj", "区住房和城乡建设局")] {
        district.yiyi(&format!("department add {id} --name {name} --handles 公交"));
    }
    community.consult_to_suggestion("T-bus", "增开公交线路", "请区交通局增开线路");
    community.yiyi("escalation send T-bus --priority urgent");
    let browser = Browser::start();

    // The street's secretary forwards it to the district.
    let given = add_staff(&street, "李书记", "secretary");
    sign_in(&browser, &street, "李书记", &given, "街道书记自己的密码");
    // Decided once received (signed for), not merely replicated.
    let received = |node: &Node| {
        node.get("/api/v1/matters")
            .list_at("/matters")
            .iter()
            .any(|m| m.str_at("/status") == "received")
    };
    yiyi_tests::federation::wait_for("the matter received at the street", || received(&street));
    browser.open(&format!("{}/office/matters", street.url));
    browser.wait_for(
        "the queue",
        "return document.querySelector('form.decide') !== null",
    );
    browser.run(
        "const f = document.querySelector('form.decide');
         f.querySelector('[name=reason]').value = '涉及公交线网调整，超出街道职权';
         f.querySelector('button.forward').click();",
    );
    browser.wait_for(
        "forwarded",
        "return document.querySelector('form.decide') === null",
    );

    // The district's secretary dispatches it to a coordination group of two
    // departments, then records each one's result.
    let given = add_staff(&district, "区书记", "secretary");
    sign_in(&browser, &district, "区书记", &given, "区协调小组的密码");
    yiyi_tests::federation::wait_for("the matter received at the district", || {
        received(&district)
    });
    browser.open(&format!("{}/office/matters", district.url));
    browser.wait_for(
        "the dispatch form",
        "return document.querySelector('form.dispatch') !== null",
    );
    browser.run(
        "const f = document.querySelector('form.dispatch');
         f.querySelectorAll('input[name=department]').forEach(b => b.click());
         f.querySelector('button.dispatch').click();",
    );
    let dispatched = browser.wait_for(
        "dispatched",
        "return document.querySelectorAll('form.resolve').length === 2 || (document.getElementById('error') && document.getElementById('error').textContent)",
    );
    assert_eq!(dispatched, true, "refused");
    for (department, result) in [
        ("jtj", "已调整102路走向，增设站点"),
        ("zjj", "已建成港湾式站台"),
    ] {
        browser.run(&format!(
            "const f = document.querySelector('form.resolve[data-department={department}]');
             f.querySelector('[name=result]').value = '{result}';
             f.querySelector('button.resolve').click();"
        ));
        browser.wait_for(
            "the result recorded",
            &format!("return document.querySelector('form.resolve[data-department={department}]') === null && document.getElementById('error') === null"),
        );
    }
    // The resolution comes down to the community, which publishes it.
    yiyi_tests::federation::wait_for("the resolution notice at the community", || {
        let notices = community.get_public_text("/api/v1/notices");
        notices.contains("已调整102路走向") && notices.contains("已建成港湾式站台")
    });
}

#[test]
fn today_lists_an_overdue_promised_item_and_a_matter_past_its_deadline() {
    let yiyi_tests::federation::Chain {
        district: _district,
        street,
        community,
    } = yiyi_tests::federation::chain();
    // A promised item whose deadline has passed.
    community.propose("T-road", "修补小区道路");
    community.yiyi("topic accept T-road");
    community.yiyi(&format!(
        "meeting schedule --id M-road --topic T-road --form card --date {}",
        yiyi_tests::today()
    ));
    community.yiyi("meeting step M-road sign-in --attendee 张三,13800000000");
    for step in [
        "explain-topic",
        "introduce-participants",
        "read-rules",
        "discuss",
    ] {
        community.yiyi(&format!("meeting step M-road {step}"));
    }
    community.yiyi("meeting step M-road form-result --result 物业修补道路");
    community.yiyi(
        "outcome T-road --meeting M-road --class promised --responsible 物业公司 \
         --measures 修补道路 --deadline 2020-01-31 --notice-period 30",
    );
    community.yiyi("meeting step M-road publish-result");
    // A matter the street took on with a deadline that has passed.
    community.consult_to_suggestion("T-wall", "修缮小区围墙", "请街道拨付维修资金");
    community.yiyi("escalation send T-wall");
    yiyi_tests::federation::wait_for("the matter received at the street", || {
        street
            .get("/api/v1/matters")
            .list_at("/matters")
            .iter()
            .any(|m| m.str_at("/status") == "received")
    });
    street.yiyi("escalation accept shunyu/T-wall --deadline 2020-02-29");

    let browser = Browser::start();
    let given = add_staff(&community, "张红", "secretary");
    sign_in(&browser, &community, "张红", &given, "议一议每月十一日");
    let overdue = browser.run("return document.getElementById('overdue') && document.getElementById('overdue').textContent");
    let overdue = overdue.as_str().unwrap_or_default();
    assert!(
        overdue.contains("修补小区道路") && overdue.contains("已过办理期限 2020-01-31"),
        "{overdue}"
    );
    yiyi_tests::federation::wait_for("the street's decision at the community", || {
        community
            .get("/api/v1/matters")
            .list_at("/matters")
            .iter()
            .any(|m| m.str_at("/status") == "accepted")
    });
    browser.open(&format!("{}/office/", community.url));
    let overdue = browser.wait_for(
        "the late matter on Today",
        "return document.getElementById('overdue') && document.getElementById('overdue').textContent.includes('上报事项已过办理期限') && document.getElementById('overdue').textContent",
    );
    assert!(overdue.as_str().unwrap().contains("T-wall"), "{overdue}");
}

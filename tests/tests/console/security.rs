//! Staff sign in as themselves, choose their own password, and are kept
//! out by locks, CSRF tokens and closed accounts; every page carries a
//! strict Content-Security-Policy, and what anyone typed is shown as text.

use super::*;

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

//! A community's work at the console: gate-keeping, and a meeting run
//! step by step and carried out.

use super::*;

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
         document.getElementById('explanation').value = '道路停车位由交警部门划定<script>document.title=1</script><img src=x>';
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
    // What staff typed, markup included, is text on the console and on the
    // public board.
    assert_eq!(
        browser.run("return document.querySelectorAll('main script, main img').length"),
        0
    );
    browser.open(&format!("{}/", node.url));
    let shown = browser.wait_for(
        "the notice on the board",
        "const b = document.body.textContent; return b.includes('道路停车位由交警部门划定') && [b.includes('<script>document.title=1</script><img src=x>'), document.querySelectorAll('main script, main img, #notices script, #notices img').length]",
    );
    assert_eq!(shown, serde_json::json!([true, 0]));

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
    set_up_lists(
        &browser,
        &[
            ("P-party", "party-organisation", "舜玉社区党委"),
            ("P-property", "property-management", "物业公司"),
        ],
        ("daily-life", "日常生活及矛盾类", "楼道设施"),
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
        if *step == "publish-result" {
            let previewed = preview_then_sign(&browser, "preview-result", "record-step");
            assert!(previewed.contains("物业三日内更换楼道灯"), "{previewed}");
        } else {
            browser.run(&format!(
                "{fill} document.getElementById('record-step').click();"
            ));
        }
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
        "return document.getElementById('progress-preview') !== null",
    );
    browser.run(
        "document.getElementById('progress-text').value = '楼道灯已全部更换';
         document.getElementById('completed').click();",
    );
    let previewed = preview_then_sign(&browser, "progress-preview", "progress");
    assert!(previewed.contains("“楼道灯不亮”办结公示"), "{previewed}");
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

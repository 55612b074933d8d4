//! Escalated matters at the console: a suggestion sent up, decided at the
//! street, forwarded, dispatched at the district and resolved; Today's
//! overdue items.

use super::*;

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
    assert_eq!(
        browser.run("return document.querySelector('.path').textContent"),
        "舜玉社区 → 本机构"
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
    // Its department directory, typed in from the console.
    browser.run("document.getElementById('offices-link').click()");
    for (id, name) in [("jtj", "区交通运输局"), ("zjj", "区住房和城乡建设局")] {
        browser.wait_for(
            "the directory",
            "return document.getElementById('add-department') !== null",
        );
        browser.run(&format!(
            "document.getElementById('department-id').value = '{id}';
             document.getElementById('department-name').value = '{name}';
             document.getElementById('department-handles').value = '公交\\n道路';
             document.getElementById('add-department').click();"
        ));
        browser.wait_for(
            "the department listed",
            &format!(
                "return document.getElementById('department-list').textContent.includes('{name}')"
            ),
        );
    }
    yiyi_tests::federation::wait_for("the matter received at the district", || {
        received(&district)
    });
    browser.open(&format!("{}/office/matters", district.url));
    browser.wait_for(
        "the dispatch form",
        "return document.querySelector('form.dispatch') !== null",
    );
    assert_eq!(
        browser.run("return document.querySelector('.path').textContent"),
        "舜玉社区 → 泉城路街道 → 本机构"
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
fn today_lists_what_is_overdue_due_soon_on_today_s_date_and_sent_without_decision() {
    let yiyi_tests::federation::Chain {
        district: _district,
        street,
        community,
    } = yiyi_tests::federation::chain();
    // A promised item whose deadline has passed, and one whose progress
    // notice is due within two days.
    for (id, title) in [("T-road", "修补小区道路"), ("T-lamp", "更换路灯")] {
        community.propose(id, title);
        community.yiyi(&format!("topic accept {id}"));
    }
    community.yiyi(&format!(
        "meeting schedule --id M-road --topic T-road --topic T-lamp --form card --date {}",
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
    community.yiyi(
        "outcome T-lamp --meeting M-road --class promised --responsible 物业公司 \
         --measures 更换路灯 --deadline 2099-12-31 --notice-period 2",
    );
    community.yiyi("meeting step M-road publish-result");
    // A meeting today with all its steps still to take.
    community.propose("T-bench", "增设座椅");
    community.yiyi("topic accept T-bench");
    community.yiyi(&format!(
        "meeting schedule --id M-today --topic T-bench --form card --date {}",
        yiyi_tests::today()
    ));
    // A suggestion sent up that the street has not decided.
    community.consult_to_suggestion("T-gate", "小区大门改造", "请街道协调改造资金");
    community.yiyi("escalation send T-gate");
    // A matter the street took on with a deadline that has passed.
    community.consult_to_suggestion("T-wall", "修缮小区围墙", "请街道拨付维修资金");
    community.yiyi("escalation send T-wall");
    // That one received (signed for): T-gate went up first.
    yiyi_tests::federation::wait_for("the matter received at the street", || {
        street
            .get("/api/v1/matters")
            .list_at("/matters")
            .iter()
            .any(|m| {
                m.str_at("/escalation_id") == "shunyu/T-wall" && m.str_at("/status") == "received"
            })
    });
    street.yiyi("escalation accept shunyu/T-wall --deadline 2020-02-29");
    yiyi_tests::federation::wait_for("both matters received at the street", || {
        street.get("/api/v1/matters").list_at("/matters").len() == 2
    });

    let browser = Browser::start();
    let given = add_staff(&community, "张红", "secretary");
    sign_in(&browser, &community, "张红", &given, "议一议每月十一日");
    let overdue = browser.run("return document.getElementById('overdue') && document.getElementById('overdue').textContent");
    let overdue = overdue.as_str().unwrap_or_default();
    assert!(
        overdue.contains("修补小区道路") && overdue.contains("已过办理期限 2020-01-31"),
        "{overdue}"
    );
    let text = |id: &str| {
        browser
            .run(&format!(
                "return document.getElementById('{id}') && document.getElementById('{id}').textContent"
            ))
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let in_two_days = yiyi_tests::today_plus(2);
    assert!(
        text("due-soon").contains(&format!("T-lamp 更换路灯 · 最迟 {in_two_days}")),
        "{}",
        text("due-soon")
    );
    assert!(text("meetings").contains("M-today"), "{}", text("meetings"));
    assert_eq!(
        browser.run("return document.querySelector('#meetings li.today code').textContent"),
        "M-today"
    );
    assert!(text("sent").contains("T-gate"), "{}", text("sent"));
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

//! Topics both ways at the console: a street's secretary assigns a topic to
//! two communities by the form; one community's secretary sees it on Today
//! and accepts it, the other declines it saying why; the street's page
//! shows both answers. The street's joint meeting: a member added, the
//! study of major matters scheduled, the next day on Today.

use super::*;
use yiyi_tests::federation::{Federation, federation, wait_for};

/// Opens `path` at `node` and waits for the element `id`.
fn open(browser: &Browser, node: &Node, path: &str, id: &str) {
    browser.open(&format!("{}{path}", node.url));
    browser.wait_for(
        &format!("{path} to show #{id}"),
        &format!("return document.getElementById('{id}') !== null"),
    );
}

#[test]
fn a_street_assigns_by_the_form_one_community_accepts_on_today_the_other_declines() {
    let Federation {
        district: _district,
        streets,
        communities,
    } = federation();
    let (street, first, second) = (&streets[0], &communities[0], &communities[1]);
    let browser = Browser::start();
    let given = add_staff(street, "李书记", "secretary");
    sign_in(&browser, street, "李书记", &given, "街道书记自己的密码");
    browser.run("document.getElementById('assignments-link').click()");
    browser.wait_for(
        "the assign form",
        "return document.getElementById('assign-form') !== null",
    );
    for community in ["社区1", "社区2"] {
        browser.run(&format!(
            "document.getElementById('assign-office').value = '{community}';
             document.getElementById('assign-title').value = '背街小巷路灯改造 💡';
             document.getElementById('assign-summary').value = '<b>街道年度重点工程</b>';
             document.getElementById('assign-category').value = 'public-affairs';
             document.getElementById('assign-scale').value = 'major';
             document.getElementById('assign').click();"
        ));
        browser.wait_for(
            "the assignment listed",
            &format!(
                "return Array.from(document.querySelectorAll('#sent-list li')).some(l => l.textContent.includes('{community}'))"
            ),
        );
    }

    // The first community's secretary sees it on Today, and accepts it.
    let given = add_staff(first, "王书记", "secretary");
    let community_browser = Browser::start();
    wait_for("the assignment at the first community", || {
        first.get("/api/v1/assignments").list_at("/received").len() == 1
    });
    sign_in(
        &community_browser,
        first,
        "王书记",
        &given,
        "社区书记自己的密码",
    );
    let listed = community_browser
        .run("const s = document.getElementById('assigned'); return s && s.textContent");
    let listed = listed.as_str().unwrap_or_default();
    assert!(
        listed.contains("上级交办的议题") && listed.contains("背街小巷路灯改造 💡"),
        "{listed}"
    );
    community_browser.run("document.querySelector('#assigned a').click()");
    community_browser.wait_for(
        "the assignment",
        "return document.querySelector('.accept-assignment') !== null",
    );
    // What the street typed is shown as text.
    assert_eq!(
        community_browser.run("return document.querySelector('.assignment b') === null && document.querySelector('.assignment').textContent.includes('<b>街道年度重点工程</b>')"),
        true
    );
    community_browser.run("document.querySelector('.accept-assignment button').click()");
    let answer = community_browser.wait_for(
        "the answer",
        "const a = document.querySelector('.assignment .answer'); return a && a.textContent",
    );
    assert!(
        answer.as_str().unwrap().contains("已列入协商议题"),
        "{answer}"
    );
    let topic = community_browser
        .run("return document.querySelector('.assignment .answer code').textContent");
    assert_eq!(
        first
            .get(&format!("/api/v1/topics/{}", topic.as_str().unwrap()))
            .str_at("/status"),
        "proposed"
    );

    // The second declines it without a reason (refused), then with one.
    let given = add_staff(second, "赵书记", "secretary");
    wait_for("the assignment at the second community", || {
        second.get("/api/v1/assignments").list_at("/received").len() == 1
    });
    sign_in(
        &community_browser,
        second,
        "赵书记",
        &given,
        "社区书记自己的密码二",
    );
    open(
        &community_browser,
        second,
        "/office/assignments",
        "received",
    );
    let size = second.own_size();
    community_browser.run("document.querySelector('.decline-assignment button').click()");
    let error = community_browser.wait_for(
        "the refusal",
        "const e = document.getElementById('error'); return e && e.textContent",
    );
    assert!(error.as_str().unwrap().contains("理由"), "{error}");
    assert_eq!(second.own_size(), size);
    community_browser.run(
        "document.querySelector('.decline-assignment .reason').value = '本社区无背街小巷';
         document.querySelector('.decline-assignment button').click();",
    );
    community_browser.wait_for(
        "the answer",
        "const a = document.querySelector('.assignment .answer'); return a && a.textContent.includes('本社区无背街小巷')",
    );

    // The street's page shows both answers.
    wait_for("both answers at the street", || {
        street
            .get("/api/v1/assignments")
            .list_at("/sent")
            .iter()
            .all(|a| !a.at("/reply").is_null())
    });
    open(&browser, street, "/office/assignments", "sent-list");
    let sent = browser.run("return document.getElementById('sent-list').textContent");
    let sent = sent.as_str().unwrap();
    assert!(
        sent.contains("已列入") && sent.contains("不列入") && sent.contains("本社区无背街小巷"),
        "{sent}"
    );
}

#[test]
fn a_street_keeps_its_joint_meeting_s_members_and_study_schedule_at_the_console() {
    let Federation {
        district: _district,
        streets,
        communities: _communities,
    } = federation();
    let street = &streets[0];
    let browser = Browser::start();
    let given = add_staff(street, "李书记", "secretary");
    sign_in(&browser, street, "李书记", &given, "街道书记自己的密码");
    assert_eq!(
        browser.run("return document.getElementById('next-study') === null && document.getElementById('joint-link') !== null"),
        true
    );
    browser.run("document.getElementById('joint-link').click()");
    browser.wait_for(
        "the joint meeting",
        "return document.getElementById('member-form') !== null",
    );
    browser.run(
        "document.getElementById('member-id').value = 'U-assoc';
         document.getElementById('member-name').value = '泉城路商户协会';
         document.getElementById('member-kind').value = 'social-organisation';
         document.getElementById('add-member').click();",
    );
    let members = browser.wait_for(
        "the member listed",
        "const l = document.getElementById('member-list'); return l && l.textContent.includes('泉城路商户协会') && l.textContent",
    );
    assert!(members.as_str().unwrap().contains("社会组织"), "{members}");
    browser.run(
        "document.getElementById('study-day').value = '15';
         for (const m of ['1','4','7','10']) document.querySelector(`input[name=month][value='${m}']`).checked = true;
         document.getElementById('study-place').value = '街道党群服务中心';
         document.getElementById('set-study').click();",
    );
    let next = browser.wait_for(
        "the next study day",
        "const n = document.getElementById('next-study'); return n && n.textContent",
    );
    let next = next.as_str().unwrap().to_owned();
    assert!(next.ends_with("-15"), "{next}");
    // Today says it too, and the intake form offers the member.
    open(&browser, street, "/office/", "next-study");
    assert_eq!(
        browser.run("return document.getElementById('next-study').textContent"),
        next.as_str()
    );
    open(&browser, street, "/office/topics/new", "member");
    assert_eq!(
        browser.run(
            "return Array.from(document.getElementById('member').options).map(o => o.textContent)"
        ),
        serde_json::json!(["（无）", "泉城路商户协会"])
    );
}

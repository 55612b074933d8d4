//! The intake queue of residents' concerns: raised from the board's API,
//! listed on the console (markup as text, the contact shown to staff
//! only), one taken up as a topic through the intake form it fills in —
//! its resident's receipt then names the topic, and the contact stays off
//! the public record — another joined to that topic (several residents,
//! one topic), and one answered, which its resident reads by her receipt.

use serde_json::json;
use yiyi_tests::webdriver::Browser;
use yiyi_tests::{Json, Node};

use super::{add_staff, sign_in};

/// Raises a concern as a resident would; its receipt code.
fn raise(node: &Node, concern: serde_json::Value) -> String {
    let mut answer = ureq::post(format!("{}/api/v1/concerns", node.url))
        .send_json(concern)
        .unwrap();
    let answer: serde_json::Value = answer.body_mut().read_json().unwrap();
    answer.str_at("/receipt").to_owned()
}

#[test]
fn staff_take_up_one_concern_as_a_topic_and_answer_another() {
    let node = Node::start("舜玉社区");
    node.yiyi("catalogue add --category public-affairs --item 为老服务");
    let canteen = raise(
        &node,
        json!({"what": "希望社区办个老年食堂 <b>老人吃饭难</b>", "where": "三号楼",
               "category": "public-affairs", "sub_item": "为老服务",
               "contact": "王阿姨 13700000000"}),
    );
    let puddle = raise(
        &node,
        json!({"what": "小区门口下雨积水", "category": "daily-life"}),
    );
    let also = raise(
        &node,
        json!({"what": "社区能不能给独居老人送饭", "category": "public-affairs"}),
    );
    let status = |receipt: &str| node.get_public(&format!("/api/v1/concerns/{receipt}"));

    let browser = Browser::start();
    let given = add_staff(&node, "张红", "secretary");
    sign_in(&browser, &node, "张红", &given, "张红自己选的新密码");
    let link = browser.run("return document.getElementById('concerns-link').textContent");
    assert!(link.as_str().unwrap().contains("3"), "{link}");
    browser.run("document.getElementById('concerns-link').click()");
    browser.wait_for(
        "the queue",
        "return document.querySelectorAll('#concerns li').length === 3",
    );
    // Markup is text; the contact is there for staff.
    let shown = browser.run(
        "const li = document.querySelector('#concerns li:last-child');
         return [li.querySelector('.what').textContent, li.querySelector('.what b') === null,
                 li.querySelector('.contact').textContent]",
    );
    assert_eq!(
        shown,
        json!([
            "希望社区办个老年食堂 <b>老人吃饭难</b>",
            true,
            "联系方式：王阿姨 13700000000"
        ])
    );

    // Taken up: the intake form comes filled in from the concern.
    browser.run("document.querySelector('#concerns li:last-child .take-up').click()");
    let filled = browser.wait_for(
        "the intake form",
        "return document.getElementById('from-concern') && [document.getElementById('title').value, document.getElementById('summary').value, document.getElementById('sub_item').value, document.getElementById('source').value, document.getElementById('raised_by').value]",
    );
    assert_eq!(
        filled,
        json!([
            "希望社区办个老年食堂 <b>老人吃饭难</b>",
            "希望社区办个老年食堂 <b>老人吃饭难</b>（三号楼）",
            "public-affairs:为老服务",
            "resident",
            "王阿姨 13700000000"
        ])
    );
    browser.run(
        "document.getElementById('id').value = 'T-canteen';
         document.getElementById('title').value = '社区老年食堂';
         document.getElementById('save').click();",
    );
    browser.wait_for(
        "the queue again, two left",
        "return location.pathname === '/office/concerns' && document.querySelectorAll('#concerns li').length === 2",
    );
    let taken = status(&canteen);
    assert_eq!(
        (taken.str_at("/status"), taken.str_at("/topic")),
        ("topic", "T-canteen")
    );
    let topic = node.get_public_text("/api/v1/topics/T-canteen");
    assert!(topic.contains("社区老年食堂"), "{topic}");
    assert!(!topic.contains("13700000000"), "{topic}");

    // Another resident's concern about the same joins that topic.
    browser.run(
        "const li = document.querySelector('#concerns li:first-child');
         li.querySelector('form.join select').value = 'T-canteen';
         li.querySelector('form.join button').click();",
    );
    browser.wait_for(
        "the queue, one left",
        "return document.querySelectorAll('#concerns li').length === 1",
    );
    let merged = status(&also);
    assert_eq!(
        (merged.str_at("/status"), merged.str_at("/topic")),
        ("merged", "T-canteen")
    );
    // The topic's public record says how many residents raised it, never
    // who: on the API and on the board.
    assert_eq!(
        node.get_public("/api/v1/topics/T-canteen")
            .u64_at("/residents"),
        2
    );
    let topic = node.get_public_text("/api/v1/topics/T-canteen");
    assert!(
        !topic.contains("王阿姨") && !topic.contains("独居老人送饭"),
        "{topic}"
    );

    // Answered: the resident reads the reply by her receipt.
    browser.run(
        "const li = document.querySelector('#concerns li');
         li.querySelector('textarea[name=reply]').value = '已联系物业疏通下水道，本周内完成';
         li.querySelector('form.answer button').click();",
    );
    browser.wait_for(
        "the queue empty",
        "return document.getElementById('none') !== null",
    );
    let answered = status(&puddle);
    assert_eq!(
        (answered.str_at("/status"), answered.str_at("/reply")),
        ("answered", "已联系物业疏通下水道，本周内完成")
    );
    // Who answered is in the audit log.
    browser.open(&format!("{}/office/audit", node.url));
    let audit = browser.wait_for(
        "the audit log",
        "return document.getElementById('audit') && document.getElementById('audit').textContent",
    );
    assert!(
        audit.as_str().unwrap().contains("answer-concern"),
        "{audit}"
    );
}

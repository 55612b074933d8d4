//! The 12345 path at a district (real node, real CLI, real browser): a
//! matter taken in directly is dispatched to one department, its result
//! returned once and the matter re-dispatched, then resolved — its whole
//! path signed and checked like a matter that came up the chain. At the
//! console, a resident's concern goes to the desk, to a coordination group
//! that meets and concludes, and back to the resident's receipt.

use serde_json::json;
use yiyi_tests::webdriver::Browser;
use yiyi_tests::{Json, Node};

use crate::concerns::request_from;
use crate::console::{add_staff, sign_in};

fn district() -> Node {
    let district = Node::start_init("--level district --name 历下区 --origin yiyi/lixia", "");
    for (id, name, handles) in [
        ("jtj", "区交通运输局", "交通"),
        ("cgj", "区城管局", "市容"),
        ("zjj", "区住建局", "施工"),
    ] {
        district.yiyi(&format!(
            "department add {id} --name {name} --handles {handles}"
        ));
    }
    district
}

#[test]
fn a_direct_matter_is_dispatched_returned_once_re_dispatched_and_resolved() {
    let district = district();
    let taken = district.yiyi(
        "escalation intake --id H-1 --title 泉城路夜间施工噪音 --summary '居民来电反映夜间施工扰民' --category daily-life --source hotline --priority important --raised-by '李先生 13900000000'",
    );
    assert_eq!(taken.str_at("/status"), "received");
    // Dispatched to one department (同步备案), which reports.
    district.yiyi("escalation dispatch H-1 --department zjj");
    district.yiyi("escalation resolve H-1 --department zjj --result 不属本部门职责，已转交");
    // Decided on it cannot be: it is dispatched.
    let refused = district.refused("escalation accept H-1");
    assert!(refused.contains("dispatched, not decided on"), "{refused}");
    // A department that did not report has no result to return.
    district.refused("escalation redispatch H-1 --department cgj --reason 错派 --to jtj");
    // Returned once, re-dispatched, resolved.
    district
        .yiyi("escalation redispatch H-1 --department zjj --reason 施工噪音属城管执法 --to cgj");
    let listed = district.get("/api/v1/matters");
    let matter = listed
        .list_at("/matters")
        .iter()
        .find(|m| m.str_at("/escalation_id") == "H-1")
        .unwrap()
        .clone();
    assert_eq!(matter.at("/direct"), true);
    assert_eq!(matter.str_at("/status"), "dispatched");
    assert_eq!(matter.str_at("/returned/0/department_name"), "区住建局");
    assert_eq!(matter.str_at("/returned/0/reason"), "施工噪音属城管执法");
    district.yiyi("escalation resolve H-1 --department cgj --result 已责令夜间停工");

    // Its whole path, each step signed by the district and checked again.
    let shown = district.get("/api/v1/matters/H-1");
    let steps = shown.list_at("/path/0/steps");
    let actions: Vec<&str> = steps.iter().map(|s| s.str_at("/action")).collect();
    assert_eq!(
        actions,
        [
            "intake",
            "dispatch",
            "resolution",
            "redispatch",
            "resolution"
        ]
    );
    assert!(steps.iter().all(|s| s.at("/verifies") == true), "{shown}");
    assert_eq!(shown.str_at("/path/0/status"), "resolved");
    assert_eq!(shown.str_at("/path/0/resolution"), "已责令夜间停工");
    // Who called stays on the node.
    let public = district.get_public_text("/api/v1/matters");
    assert!(!public.contains("13900000000") && !public.contains("李先生"));

    // A community has no 12345 desk.
    let community = Node::start("舜玉社区");
    let refused = community
        .refused("escalation intake --id H-2 --title 噪音 --category daily-life --source hotline");
    assert!(refused.contains("12345 desk"), "{refused}");
}

#[test]
fn at_the_console_a_concern_goes_to_the_desk_a_coordination_group_meets_and_the_receipt_follows() {
    let district = district();
    let (status, raised) = request_from(
        &district,
        "127.0.0.3",
        "POST",
        "/api/v1/concerns",
        &json!({
            "what": "泉城路夜间施工噪音扰民，渣土车占道",
            "where": "泉城路中段",
            "category": "daily-life",
            "contact": "李先生 13900000000",
        })
        .to_string(),
    );
    assert_eq!(status, 201, "{raised}");
    let receipt = raised.str_at("/receipt").to_owned();

    let browser = Browser::start();
    let given = add_staff(&district, "陈主任", "secretary");
    sign_in(&browser, &district, "陈主任", &given, "区平台主任的密码");
    browser.open(&format!("{}/office/concerns", district.url));
    browser.wait_for(
        "the concern",
        "return document.querySelector('.to-desk') !== null",
    );
    browser.run("document.querySelector('.to-desk').click()");
    browser.wait_for(
        "the intake form",
        "return document.getElementById('intake-form') !== null",
    );
    // Filled in from the concern; who raised it is not in the form.
    let filled = browser.run(
        "return [document.getElementById('intake-summary').value, document.getElementById('intake-source').value, document.getElementById('intake-raised-by').value]",
    );
    assert_eq!(
        filled,
        json!([
            "泉城路夜间施工噪音扰民，渣土车占道（泉城路中段）",
            "concern",
            ""
        ])
    );
    browser.run(
        "document.getElementById('intake-title').value = '泉城路夜间施工噪音与渣土车占道';
         document.getElementById('intake-priority').value = 'urgent';
         document.getElementById('take-in').click();",
    );
    browser.wait_for(
        "the matter on the desk",
        "return document.querySelector('form.dispatch') !== null",
    );
    // Several departments: a coordination group.
    browser.run(
        "const f = document.querySelector('form.dispatch');
         for (const v of ['cgj', 'jtj']) f.querySelector(`input[value=${v}]`).checked = true;
         f.querySelector('button').click();",
    );
    browser.wait_for(
        "the group's form",
        "return document.querySelector('form.coordinate') !== null",
    );
    browser.run(
        "const f = document.querySelector('form.coordinate');
         for (const v of ['cgj', 'jtj']) f.querySelector(`input[value=${v}]`).checked = true;
         f.querySelector('.conclusion').value = '城管局负责夜间施工执法，交通局负责渣土车路线';
         f.querySelector('button').click();",
    );
    let met = browser.wait_for(
        "the meeting recorded",
        "const c = document.querySelector('.coordination'); return c && c.textContent",
    );
    assert!(
        met.as_str().unwrap().contains("城管局负责夜间施工执法"),
        "{met}"
    );
    // Each department reports; one result is returned and re-dispatched.
    for department in ["cgj", "jtj"] {
        browser.run(&format!(
            "const f = document.querySelector('form.resolve[data-department={department}]');
             f.querySelector('input[name=result]').value = '{department} 已处理';
             f.querySelector('button').click();"
        ));
        browser.wait_for(
            "the result recorded",
            &format!("return document.querySelector('form.resolve[data-department={department}]') === null"),
        );
    }
    browser.run(
        "const d = document.querySelector('details.redispatch[data-department=jtj]');
         d.open = true;
         d.querySelector('.reason').value = '渣土车仍占道，请重新处理';
         d.querySelector('input[name=to][value=jtj]').checked = true;
         d.querySelector('button').click();",
    );
    browser.wait_for(
        "the return recorded",
        "const r = document.querySelector('.returned'); return r && r.textContent.includes('渣土车仍占道')",
    );
    browser.run(
        "const f = document.querySelector('form.resolve[data-department=jtj]');
         f.querySelector('input[name=result]').value = '已调整渣土车路线';
         f.querySelector('button').click();",
    );
    browser.wait_for(
        "resolved",
        "return document.querySelector('form.resolve[data-department=jtj]') === null",
    );
    let matter = district.get("/api/v1/matters");
    let matter = &matter.list_at("/matters")[0];
    assert_eq!(matter.str_at("/status"), "resolved");
    assert_eq!(matter.str_at("/resolution"), "已调整渣土车路线");
    assert_eq!(matter.str_at("/priority"), "urgent");
    assert_eq!(matter.list_at("/coordination").len(), 1);

    // The resident's receipt follows the matter to its result.
    let shown = district.get_public(&format!("/api/v1/concerns/{receipt}"));
    assert_eq!(shown.str_at("/status"), "matter", "{shown}");
    assert_eq!(shown.str_at("/matter/status"), "resolved");
    assert_eq!(shown.str_at("/matter/result"), "已调整渣土车路线");
    // And on the board's page, as she reads it.
    browser.open(&format!("{}/concern", district.url));
    browser.wait_for(
        "the receipt form",
        "return document.getElementById('code') !== null",
    );
    browser.run(&format!(
        "document.getElementById('code').value = '{receipt}';
         document.getElementById('look-up').click();"
    ));
    let read = browser.wait_for(
        "the receipt's answer",
        "const s = document.getElementById('status'); return s && !s.hidden && s.textContent",
    );
    let read = read.as_str().unwrap();
    assert!(
        read.contains("12345平台直接受理") && read.contains("已调整渣土车路线"),
        "{read}"
    );
}

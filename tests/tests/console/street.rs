//! A street's own work at the console: admitting and revoking a community
//! by charter (the secretary's; staff are refused and nothing is written),
//! and convening a cross-community consultation that each community taking
//! part publishes.

use super::*;
use yiyi_protocol::proto::notice::Kind;
use yiyi_tests::federation::{Chain, chain, wait_for};

#[test]
fn the_street_admits_and_revokes_by_charter_and_convenes_a_cross_community_consultation() {
    let Chain {
        district: _district,
        street,
        community,
    } = chain();
    let newcomer = Node::start("甸柳新村第二社区");
    let browser = Browser::start();

    // Staff see the admitted communities but may not admit one.
    let given = add_staff(&street, "小王", "staff");
    sign_in(&browser, &street, "小王", &given, "街道工作人员的密码");
    browser.run("document.getElementById('offices-link').click()");
    browser.wait_for(
        "the charters",
        "return document.getElementById('admitted') !== null",
    );
    assert_eq!(
        browser.run(
            "return [document.getElementById('admitted').textContent.includes('舜玉社区'), document.getElementById('admit-form') === null]"
        ),
        serde_json::json!([true, true])
    );
    let session = session_of(&post(
        &street,
        "/office/login",
        "",
        &[("name", "小王"), ("password", "街道工作人员的密码")],
    ));
    let csrf = csrf_in(&get(&street, "/office/", &session).body);
    let size = street.own_size();
    let refused = post(
        &street,
        "/office/offices/admit",
        &session,
        &[
            ("csrf", &csrf),
            ("key", &newcomer.vkey),
            ("name", "甸柳新村第二社区"),
        ],
    );
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("您的角色（工作人员）不能做此操作"),
        "{}",
        refused.body
    );
    assert_eq!(street.own_size(), size);

    // The secretary admits it, then revokes it, saying why.
    let given = add_staff(&street, "李书记", "secretary");
    sign_in(&browser, &street, "李书记", &given, "街道书记自己的密码");
    browser.open(&format!("{}/office/offices", street.url));
    browser.wait_for(
        "the admit form",
        "return document.getElementById('admit-form') !== null",
    );
    // Without a name: refused next to the name, the key kept.
    browser.run(&format!(
        "document.getElementById('charter-key').value = '{}';
         document.getElementById('admit').click();",
        newcomer.vkey
    ));
    let error = browser.wait_for(
        "the refusal",
        "return document.getElementById('error') && document.getElementById('error').textContent",
    );
    assert_eq!(error, "章程缺少必填项：机构名称");
    assert_eq!(
        browser.run(
            "return [document.getElementById('charter-name').parentElement.nextElementSibling.id, document.getElementById('charter-key').value]"
        ),
        serde_json::json!(["error", newcomer.vkey])
    );
    browser.run(
        "document.getElementById('charter-name').value = '甸柳新村第二社区';
         document.getElementById('admit').click();",
    );
    browser.wait_for(
        "admitted",
        "return document.getElementById('admitted').textContent.includes('甸柳新村第二社区') && document.getElementById('error') === null",
    );
    browser.run(&format!(
        "const f = document.querySelector('li[data-key=\"{}\"] form.revoke');
         f.querySelector('[name=reason]').value = '社区合并';
         f.querySelector('button.revoke').click();",
        newcomer.vkey
    ));
    browser.wait_for(
        "revoked",
        &format!(
            "return document.querySelector('li[data-key=\"{}\"] .tag') && document.querySelector('li[data-key=\"{}\"] form.revoke') === null",
            newcomer.vkey, newcomer.vkey
        ),
    );

    // The audit log has both charters under the secretary's name, and the
    // staff member's refused attempt.
    browser.open(&format!("{}/office/audit", street.url));
    let audit = browser.wait_for(
        "the audit log",
        "return document.getElementById('audit') && document.getElementById('audit').textContent",
    );
    let audit = audit.as_str().unwrap();
    assert!(
        audit.contains("李书记charter")
            && audit.contains("小王charter")
            && audit.contains("未写入：您的角色（工作人员）不能做此操作"),
        "{audit}"
    );

    // A cross-community consultation: only the communities still admitted
    // are offered; the one ticked publishes it.
    street.propose("S-river", "护城河沿线环境整治");
    street.yiyi("topic accept S-river");
    browser.open(&format!("{}/office/meetings/new", street.url));
    browser.wait_for(
        "the communities",
        "return document.getElementById('communities') !== null",
    );
    assert_eq!(
        browser
            .run("return document.querySelectorAll('#communities input[name=community]').length"),
        1
    );
    browser.run(&format!(
        "document.getElementById('id').value = 'M-joint';
         document.querySelector('#topics input[value=\"S-river\"]').click();
         document.getElementById('date').value = '{}';
         document.getElementById('place').value = '泉城路街道议事厅';
         document.querySelector('#communities input[name=community]').click();
         document.getElementById('procedure').value = '各社区推选代表三名，街道工委主持，按七定程序协商';
         document.getElementById('save').click();",
        yiyi_tests::today()
    ));
    browser.wait_for(
        "the checklist",
        "return document.getElementById('steps') !== null",
    );
    wait_for("the joint consultation's notice at the community", || {
        community
            .get("/api/v1/notices")
            .list_at("/notices")
            .iter()
            .any(|n| {
                n.at("/kind") == Kind::JointConsultation as i32
                    && n.str_at("/body").contains("护城河沿线环境整治")
            })
    });
}

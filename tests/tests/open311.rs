//! Open311 GeoReport v2 at a community node, read as a civic client reads
//! it over plain HTTP: the office's catalogue listed as services, in JSON
//! and in XML (parsed by a real XML parser), one per category and one per
//! sub-item, with Chinese names; a client with the key the secretary
//! issued in the console posts service requests, which land in the
//! concerns queue, and reads them back open, then closed with the notes of
//! the topic's course or the office's answer. Requests without a valid
//! key, with unknown parameters or attributes, are refused in the
//! specification's error format.

use serde_json::Value;
use yiyi_tests::webdriver::Browser;
use yiyi_tests::{Json, Node, today};

use super::console::{add_staff, sign_in};

/// Posts a service request form to `requests.{format}`: status and body.
fn post(node: &Node, format: &str, form: &[(&str, &str)]) -> (u16, String) {
    let mut answer = ureq::post(format!("{}/open311/v2/requests.{format}", node.url))
        .config()
        .http_status_as_error(false)
        .build()
        .send_form(form.iter().copied())
        .unwrap();
    (
        answer.status().as_u16(),
        answer.body_mut().read_to_string().unwrap(),
    )
}

fn get(node: &Node, path: &str) -> (u16, String) {
    let mut answer = ureq::get(format!("{}{path}", node.url))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .unwrap();
    (
        answer.status().as_u16(),
        answer.body_mut().read_to_string().unwrap(),
    )
}

/// The text of `field` in each `item` of an Open311 XML list.
fn xml_fields(xml: &str, item: &str, field: &str) -> Vec<String> {
    let document = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    document
        .root_element()
        .children()
        .filter(|n| n.has_tag_name(item))
        .map(|n| {
            n.children()
                .find(|c| c.has_tag_name(field))
                .and_then(|c| c.text())
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[test]
fn an_open311_client_posts_requests_and_reads_them_open_then_closed() {
    let node = Node::start("舜玉社区");
    node.yiyi("catalogue add --category public-affairs --item 为老服务");

    // The secretary issues the hotline its key in the console.
    let browser = Browser::start();
    let given = add_staff(&node, "张红", "secretary");
    sign_in(&browser, &node, "张红", &given, "张红自己选的新密码");
    browser.run("document.getElementById('clients-link').click()");
    browser.wait_for(
        "the clients page",
        "return document.getElementById('issue') !== null",
    );
    browser.run(
        "document.getElementById('client-name').value = '历下区12345热线';
         document.getElementById('issue-key').click();",
    );
    let key = browser.wait_for(
        "the key, shown once",
        "const k = document.getElementById('key'); return k && k.textContent",
    );
    let key = key.as_str().unwrap().to_owned();
    assert_eq!(key.len(), 40);

    // Refused, in the specification's error list, and nothing taken in.
    let good = [
        ("api_key", key.as_str()),
        ("service_code", "public-affairs:为老服务"),
        ("address_string", "舜玉路三号楼"),
        ("description", "独居老人吃饭难，希望社区帮忙 <b>急</b>"),
        ("last_name", "王"),
        ("phone", "13700000000"),
    ];
    let with = |change: &[(&'static str, &'static str)], drop: &str| {
        let mut form: Vec<(&str, &str)> =
            good.iter().copied().filter(|(n, _)| *n != drop).collect();
        form.extend_from_slice(change);
        form
    };
    for (form, status, says) in [
        (with(&[], "api_key"), 400, "api_key is required"),
        (with(&[("api_key", "0000")], "api_key"), 403, "api_key"),
        (with(&[("colour", "red")], ""), 400, "unknown parameter"),
        (
            with(&[("attribute[WHISPAY]", "1")], ""),
            400,
            "no attributes",
        ),
        (
            with(&[("service_code", "weather")], "service_code"),
            400,
            "service_code",
        ),
        (with(&[], "address_string"), 400, "location"),
    ] {
        let (got, body) = post(&node, "json", &form);
        assert_eq!(got, status, "{body}");
        let errors: Vec<Value> = serde_json::from_str(&body).unwrap();
        assert_eq!(errors[0]["code"], status);
        assert!(
            errors[0]["description"].as_str().unwrap().contains(says),
            "{body}"
        );
    }
    let (got, body) = post(&node, "xml", &with(&[("colour", "red")], ""));
    assert_eq!(got, 400);
    assert_eq!(xml_fields(&body, "error", "code"), ["400"]);

    // Accepted, in XML and in JSON.
    let (got, body) = post(&node, "xml", &good);
    assert_eq!(got, 201, "{body}");
    let canteen = xml_fields(&body, "request", "service_request_id").remove(0);
    let notice = xml_fields(&body, "request", "service_notice").remove(0);
    assert!(notice.contains("回执码"), "{notice}");
    let receipt: String = notice
        .split_once("回执码 ")
        .unwrap()
        .1
        .chars()
        .take(19)
        .collect();
    assert_eq!(
        node.get_public(&format!("/api/v1/concerns/{receipt}"))
            .str_at("/status"),
        "received"
    );
    let (got, body) = post(
        &node,
        "json",
        &[
            ("api_key", &key),
            ("service_code", "daily-life"),
            ("lat", "36.65"),
            ("long", "117.02"),
            ("description", "小区门口下雨积水"),
        ],
    );
    assert_eq!(got, 201, "{body}");
    let puddle = serde_json::from_str::<Value>(&body).unwrap()[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Read back open; another key, or none, reads nothing.
    let (got, body) = get(
        &node,
        &format!("/open311/v2/requests/{canteen}.json?api_key={key}"),
    );
    assert_eq!(got, 200, "{body}");
    let read: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(read[0]["status"], "open");
    assert_eq!(read[0]["service_code"], "public-affairs:为老服务");
    assert!(
        read[0]["status_notes"].as_str().unwrap().contains("等待"),
        "{body}"
    );
    assert_eq!(
        get(&node, &format!("/open311/v2/requests/{canteen}.json")).0,
        403
    );
    assert_eq!(
        get(
            &node,
            &format!("/open311/v2/requests/C-999.json?api_key={key}")
        )
        .0,
        404
    );

    // In the console the request is in the queue like the board's: taken
    // up as a topic, and the other answered.
    browser.open(&format!("{}/office/concerns", node.url));
    browser.wait_for(
        "the queue",
        "return document.querySelectorAll('#concerns li').length === 2",
    );
    browser.run("document.querySelector('#concerns li:last-child .take-up').click()");
    browser.wait_for(
        "the intake form",
        "return document.getElementById('from-concern') !== null",
    );
    browser.run(
        "document.getElementById('id').value = 'T-meals';
         document.getElementById('title').value = '独居老人送餐';
         document.getElementById('save').click();",
    );
    browser.wait_for("the queue, one left", "return location.pathname === '/office/concerns' && document.querySelectorAll('#concerns li').length === 1");
    browser.run(
        "const li = document.querySelector('#concerns li');
         li.querySelector('textarea[name=reply]').value = '已安排物业疏通下水口';
         li.querySelector('form.answer button').click();",
    );
    browser.wait_for(
        "the queue, empty",
        "return document.getElementById('none') !== null",
    );

    let (_, body) = get(&node, &format!("/open311/v2/requests.json?api_key={key}"));
    let read: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(read.len(), 2, "{body}");
    let by_id = |id: &str| {
        read.iter()
            .find(|r| r["service_request_id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id(&canteen)["status"], "open");
    assert!(
        by_id(&canteen)["status_notes"]
            .as_str()
            .unwrap()
            .contains("T-meals")
    );
    assert_eq!(by_id(&puddle)["status"], "closed");
    assert_eq!(
        by_id(&puddle)["status_notes"],
        "社区答复：已安排物业疏通下水口"
    );

    // The topic's course closes the request, with its notes.
    node.yiyi("topic accept T-meals");
    node.yiyi(&format!(
        "meeting schedule --id M-meals --topic T-meals --form card --date {}",
        today()
    ));
    node.steps_through_discussion("M-meals");
    node.yiyi("meeting step M-meals form-result --result 社区食堂每天为独居老人送餐");
    node.yiyi("outcome T-meals --meeting M-meals --class immediate --responsible 社区居委会");
    node.yiyi("meeting step M-meals publish-result");
    node.yiyi("progress T-meals --text 已为12位独居老人送餐上门 --completed");
    let (got, body) = get(
        &node,
        &format!("/open311/v2/requests.xml?api_key={key}&status=closed"),
    );
    assert_eq!(got, 200, "{body}");
    let ids = xml_fields(&body, "request", "service_request_id");
    assert_eq!(ids.len(), 2, "{body}");
    let notes = xml_fields(&body, "request", "status_notes");
    let at = ids.iter().position(|i| *i == canteen).unwrap();
    assert!(
        notes[at].contains("已办结") && notes[at].contains("已为12位独居老人送餐上门"),
        "{body}"
    );
    // The phone, the concern not taken up and the private answer stay off
    // the ledger and the board.
    let public = super::office::everything_public(&node);
    for private in ["13700000000", "下雨积水", "已安排物业疏通下水口"] {
        assert!(!public.contains(private), "{private} is public");
    }
}

#[test]
fn an_open311_client_lists_the_office_s_catalogue_as_services_in_json_and_xml() {
    let node = Node::start("舜玉社区");
    node.yiyi("catalogue add --category public-affairs --item 为老服务");
    node.yiyi_args(&[
        "catalogue",
        "add",
        "--category",
        "daily-life",
        "--item",
        "楼道<杂物>&清理",
    ]);

    let mut answer = ureq::get(format!("{}/open311/v2/services.json", node.url))
        .call()
        .unwrap();
    assert!(
        answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let services: Vec<Value> = answer.body_mut().read_json().unwrap();
    let codes: Vec<&str> = services
        .iter()
        .map(|s| s["service_code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "daily-life",
            "public-affairs",
            "policy",
            "daily-life:楼道<杂物>&清理",
            "public-affairs:为老服务"
        ]
    );
    let elderly = &services[4];
    assert_eq!(elderly["service_name"], "为老服务");
    assert_eq!(elderly["group"], "公共事务类");
    assert_eq!(elderly["metadata"], false);
    assert_eq!(elderly["type"], "realtime");

    let mut answer = ureq::get(format!("{}/open311/v2/services.xml", node.url))
        .call()
        .unwrap();
    assert_eq!(answer.headers()["content-type"], "text/xml; charset=utf-8");
    let xml = answer.body_mut().read_to_string().unwrap();
    let document = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "services");
    let read: Vec<(String, String)> = root
        .children()
        .filter(|n| n.has_tag_name("service"))
        .map(|service| {
            let field = |name: &str| {
                service
                    .children()
                    .find(|c| c.has_tag_name(name))
                    .and_then(|c| c.text())
                    .unwrap_or_default()
                    .to_owned()
            };
            (field("service_code"), field("group"))
        })
        .collect();
    assert_eq!(read.len(), 5, "{xml}");
    assert_eq!(
        read[3],
        (
            "daily-life:楼道<杂物>&清理".to_owned(),
            "日常生活及矛盾类".to_owned()
        )
    );
}

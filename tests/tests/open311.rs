//! Open311 GeoReport v2 at a community node, read as a civic client reads
//! it over plain HTTP: the office's catalogue listed as services, in JSON
//! and in XML (parsed by a real XML parser), one per category and one per
//! sub-item, with Chinese names.

use serde_json::Value;
use yiyi_tests::Node;

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

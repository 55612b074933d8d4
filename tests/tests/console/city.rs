//! A city's office at the console (市): its secretary admits a district by
//! its verifier key — written as a city charter — and keeps the city's
//! department directory; the district, pinned to the city, finds its place
//! by that charter.

use super::*;
use yiyi_tests::federation::{active_members, wait_for};

#[test]
fn the_city_admits_a_district_and_keeps_its_department_directory() {
    let city = Node::start_init("--level city --name 济南市 --origin yiyi/jinan", "");
    let district = Node::start_init(
        &format!(
            "--level district --name 历下区 --origin yiyi/lixia --city {}",
            city.vkey
        ),
        &format!("--peer {}", city.p2p),
    );
    let browser = Browser::start();
    let given = add_staff(&city, "王书记", "secretary");
    sign_in(&browser, &city, "王书记", &given, "市里书记自己的密码");
    browser.run("document.getElementById('offices-link').click()");
    browser.wait_for(
        "the admit form",
        "return document.getElementById('admit-form') !== null",
    );
    // The city admits districts: the page says so.
    let heading = browser.run("return document.querySelector('#charters h2').textContent");
    assert_eq!(heading, "章程接纳的区", "{heading}");
    browser.run(&format!(
        "document.getElementById('charter-key').value = '{}';
         document.getElementById('charter-name').value = '历下区';
         document.getElementById('admit').click();",
        district.vkey
    ));
    browser.wait_for(
        "admitted",
        "return document.getElementById('admitted') && document.getElementById('admitted').textContent.includes('历下区') && document.getElementById('error') === null",
    );
    // Recorded as a city charter, and the district finds its place by it.
    let last = city.get(&format!("/api/v1/entries/{}", city.own_size() - 1));
    let bytes = hex::decode(last.str_at("/bytes")).unwrap();
    let entry = yiyi_protocol::entry::verify(&bytes).unwrap();
    assert!(
        matches!(
            entry.entry.body,
            Some(yiyi_protocol::proto::entry::Body::CityCharter(_))
        ),
        "{last}"
    );
    wait_for("the district placed under the city", || {
        active_members(&district) == 2
    });

    // The city's department directory, which its dispatch form offers.
    browser.open(&format!("{}/office/offices", city.url));
    browser.wait_for(
        "the department form",
        "return document.getElementById('department-form') !== null",
    );
    browser.run(
        "document.getElementById('department-id').value = 'gdjt';
         document.getElementById('department-name').value = '济南轨道交通集团';
         document.getElementById('department-handles').value = '轨道交通';
         document.getElementById('add-department').click();",
    );
    browser.wait_for(
        "listed",
        "return document.getElementById('department-list') && document.getElementById('department-list').textContent.includes('济南轨道交通集团')",
    );
}

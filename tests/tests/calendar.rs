//! Each office's meetings as an iCalendar feed (`/feeds/{log}.ics`), read
//! by a real iCalendar parser as a phone's calendar reads it: one event
//! per meeting scheduled, its UID the scheduling entry's hash, on the
//! meeting's date, with its form, topics, place and participants; text
//! with commas, semicolons, newlines and emoji comes back as typed; every
//! line within 75 octets. The board links to it.

use icalendar::parser::{Component, Property, read_calendar, unfold};
use yiyi_tests::federation::log_of;
use yiyi_tests::webdriver::Browser;
use yiyi_tests::{Json, Node, today_plus};

/// The value of the property `name` among `properties`.
fn value<'a>(properties: &'a [Property<'a>], name: &str) -> &'a str {
    properties
        .iter()
        .find(|p| p.name.as_str() == name)
        .map(|p| p.val.as_str())
        .unwrap_or_else(|| panic!("no {name} in {properties:?}"))
}

/// The value of `name` in `event`.
fn property<'a>(event: &'a Component<'a>, name: &str) -> &'a str {
    value(&event.properties, name)
}

#[test]
fn an_office_s_meetings_are_a_calendar_a_phone_can_subscribe_to() {
    let node = Node::start("舜玉社区");
    node.yiyi("participant add --id P-reps --kind resident-representative --name 居民代表");
    let titles = [
        "老年食堂选址；用房、厨房和消防，一并商量 🍚",
        "楼道\\灯坏了，谁来修？物业、居委会还是业委会？这个议题的标题故意写得很长很长，长过一行",
    ];
    for (id, title) in ["T-canteen", "T-lights"].iter().zip(titles) {
        node.yiyi_args(&[
            "topic",
            "propose",
            "--id",
            id,
            "--title",
            title,
            "--summary",
            "居民反映",
            "--category",
            "public-affairs",
            "--scale",
            "minor",
            "--source",
            "resident",
        ]);
        node.yiyi(&format!("topic accept {id}"));
    }
    let card_day = today_plus(3);
    let card = node.yiyi_args(&[
        "meeting",
        "schedule",
        "--id",
        "M-card",
        "--topic",
        "T-canteen",
        "--form",
        "card",
        "--date",
        &card_day,
        "--place",
        "社区议事厅（二楼）,东侧",
        "--participant",
        "P-reps",
    ]);
    let online = node.yiyi(&format!(
        "meeting schedule --id M-online --topic T-lights --form online --date {}",
        today_plus(10)
    ));

    let url = format!("{}/feeds/{}.ics", node.url, log_of(&node.vkey));
    let mut answer = ureq::get(&url).call().unwrap();
    assert_eq!(
        answer.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let ics = answer.body_mut().read_to_string().unwrap();
    // RFC 5545: CRLF lines of at most 75 octets, folded between characters.
    assert!(ics.ends_with("END:VCALENDAR\r\n"), "{ics}");
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "{line:?}");
        assert!(!line.contains('\n'), "{line:?}");
    }
    let unfolded = unfold(&ics);
    let calendar = read_calendar(&unfolded).unwrap_or_else(|e| panic!("{e}\n{ics}"));
    assert_eq!(value(&calendar.properties, "VERSION"), "2.0");
    assert_eq!(
        value(&calendar.properties, "X-WR-CALNAME"),
        "舜玉社区 协商会议"
    );
    let events: Vec<&Component> = calendar
        .components
        .iter()
        .filter(|c| c.name.as_str() == "VEVENT")
        .collect();
    assert_eq!(events.len(), 2, "{ics}");
    let event = |uid: &str| {
        *events
            .iter()
            .find(|e| property(e, "UID") == uid)
            .unwrap_or_else(|| panic!("no event {uid} in {ics}"))
    };
    let card_event = event(&format!("{}@yiyi", card.str_at("/entry/hash")));
    assert_eq!(property(card_event, "DTSTART"), card_day.replace('-', ""));
    assert_eq!(
        property(card_event, "SUMMARY"),
        format!("卡片协商：{}", titles[0])
    );
    assert_eq!(property(card_event, "LOCATION"), "社区议事厅（二楼）,东侧");
    let description = property(card_event, "DESCRIPTION");
    assert!(
        description.contains(&format!("议题：{}", titles[0])),
        "{description}"
    );
    assert!(description.contains("\n参与方：居民代表"), "{description}");
    assert_eq!(property(card_event, "URL"), format!("{}/", node.url));
    let online_event = event(&format!("{}@yiyi", online.str_at("/entry/hash")));
    assert_eq!(
        property(online_event, "SUMMARY"),
        format!("网上微协商：{}", titles[1])
    );

    // An unknown office has no calendar.
    let missing = ureq::get(format!("{}/feeds/{}.ics", node.url, "ab".repeat(32))).call();
    assert!(
        matches!(missing, Err(ureq::Error::StatusCode(404))),
        "{missing:?}"
    );

    // The board offers it.
    let browser = Browser::start();
    browser.open(&format!("{}/", node.url));
    browser.wait_for(
        "the board",
        "return document.body.dataset.verified === 'done'",
    );
    let link = browser
        .run("const a = document.getElementById('calendar'); return [a.href, a.textContent]");
    assert_eq!(link, serde_json::json!([url, "订阅会议日历"]));
}

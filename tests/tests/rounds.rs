//! Residents' rounds (征询), end to end with real nodes and Chromium: staff
//! open an online round in the console and print twenty code cards;
//! fifteen residents give their views (three change theirs, one on her
//! phone), wrong options, long comments, codes of another round and
//! guessed codes are refused; the meeting's result waits for the tally;
//! staff read the comments and close the round; its counts are what the
//! ballots were, every receipt verifies on the board and with `yiyi
//! verify`, and neither codes nor comments appear in anything public. A
//! node that drops a ballot after giving its receipt is caught by that
//! resident's check, by name.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use yiyi_tests::webdriver::Browser;
use yiyi_tests::{Json, Node, today};

use super::concerns::request_from;
use super::console::{add_staff, sign_in};
use super::office::everything_public;

/// `POST /api/v1/rounds/{round}/ballots` from the local address `from`.
fn cast(node: &Node, from: &str, round: &str, body: &Value) -> (u16, Value) {
    request_from(
        node,
        from,
        "POST",
        &format!("/api/v1/rounds/{round}/ballots"),
        &body.to_string(),
    )
}

/// A topic on an online meeting today, up to its discussion.
fn online_meeting(node: &Node) {
    node.propose("T-shed", "3号楼北侧增设电动车充电棚");
    node.yiyi("topic accept T-shed");
    node.yiyi(&format!(
        "meeting schedule --id M-online --topic T-shed --form online --date {} --policies 《济南市电动自行车管理条例》",
        today()
    ));
}

/// Opens `/r/{round}` with `fragment` (a fresh load: the query differs).
fn open_round_page(browser: &Browser, node: &Node, round: &str, load: usize, fragment: &str) {
    browser.open(&format!("{}/r/{round}?load={load}#{fragment}", node.url));
    browser.wait_for(
        "the round's page",
        "return !document.getElementById('round').hidden",
    );
}

/// Checks `receipt` on the round's page: what the page says.
fn check_on_board(
    browser: &Browser,
    node: &Node,
    round: &str,
    load: usize,
    receipt: &str,
) -> String {
    open_round_page(browser, node, round, load, &format!("r={receipt}"));
    browser
        .wait_for(
            "the receipt's check",
            "const r = document.getElementById('check-result');
             return !r.hidden && r.className !== '' && r.className + ' ' + r.textContent",
        )
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn an_online_round_of_twenty_codes_is_tallied_as_cast_and_every_receipt_verifies() {
    let node = Node::start("舜玉社区");
    online_meeting(&node);
    // The meeting was announced ahead, with its policies.
    let announced = node.get_public("/api/v1/notices");
    let announcement = announced
        .list_at("/notices")
        .iter()
        .find(|n| n.str_at("/title").starts_with("议前公示"))
        .expect("an announcement");
    assert!(
        announcement
            .str_at("/body")
            .contains("3号楼北侧增设电动车充电棚")
    );
    assert!(
        announcement
            .str_at("/body")
            .contains("政策宣讲：《济南市电动自行车管理条例》")
    );

    // Staff open the round in the console and print the cards.
    let password = add_staff(&node, "secretary", "secretary");
    let browser = Browser::start();
    sign_in(&browser, &node, "secretary", &password, "shunyu-2026");
    browser.open(&format!("{}/office/rounds", node.url));
    browser.wait_for(
        "the rounds page",
        "return document.getElementById('open') !== null",
    );
    browser.run(
        "document.getElementById('round-id').value = 'R-shed';
         document.getElementById('subject').value = 'M-online/T-shed';
         document.getElementById('question').value = '是否同意在3号楼北侧增设电动车充电棚？';
         document.getElementById('codes').value = '20';
         document.getElementById('hours').value = '2';
         document.getElementById('open-round').click();",
    );
    browser.wait_for(
        "the round",
        "return document.getElementById('cards-link') !== null",
    );
    browser.run("document.getElementById('cards-link').click()");
    let cards = browser.wait_for(
        "the cards",
        "const c = [...document.querySelectorAll('.card-code')].map(e => e.textContent);
         return c.length > 0 && document.querySelectorAll('.card svg').length === c.length && c",
    );
    let codes: Vec<String> = cards
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 20);
    let round = node.get_public("/api/v1/rounds/R-shed");
    assert_eq!(round.str_at("/status"), "open");
    assert_eq!(round.u64_at("/codes_issued"), 20);
    assert_eq!(round.at("/options"), &json!(["同意", "不同意", "弃权"]));

    // A second round on the meeting, whose codes are not R-shed's.
    let other = node.yiyi("round open --id R-other --meeting M-online --topic T-shed --question 充电棚建在哪里 --option 北侧 --option 南侧 --codes 2 --hours 2");
    let other_code = other.str_at("/codes/0").to_owned();

    // The board lists the round; its link opens the round's page.
    browser.open(&format!("{}/", node.url));
    let listed = browser.wait_for(
        "the board's rounds",
        "const a = document.querySelector('#round-list a[href=\"/r/R-shed\"]'); return a && !document.getElementById('rounds').hidden && a.parentElement.textContent",
    );
    assert!(listed.as_str().unwrap().contains("征询中"), "{listed}");
    browser.run("document.querySelector('#round-list a[href=\"/r/R-shed\"]').click()");
    browser.wait_for("the round's page", "return location.pathname === '/r/R-shed' && document.getElementById('question').textContent.includes('充电棚')");

    // On her phone a resident scans her card, gives her view with a
    // comment, then changes it.
    let mut finally: BTreeMap<String, u32> = BTreeMap::new();
    let mut receipts: BTreeMap<String, String> = BTreeMap::new();
    let comment = "充电棚要防雨 <b>谢谢</b> 🔋";
    for (load, choice) in [(0, 0), (1, 1)] {
        open_round_page(&browser, &node, "R-shed", load, &format!("c={}", codes[0]));
        browser.wait_for(
            "the form",
            "return !document.getElementById('vote').hidden && document.getElementById('choice-1')",
        );
        browser.run(&format!(
            "document.getElementById('choice-{choice}').click();
             document.getElementById('comment').value = '{comment}';
             document.getElementById('send').click();"
        ));
        let given = browser.wait_for(
            "the receipt",
            "const g = document.getElementById('given'); return !g.hidden && [document.getElementById('given-receipt').textContent, document.getElementById('given-choice').textContent, !document.getElementById('given-changed').hidden]",
        );
        assert_eq!(given[1], ["同意", "不同意"][choice]);
        assert_eq!(given[2], load == 1, "changed is shown for the second");
        receipts.insert(codes[0].clone(), given[0].as_str().unwrap().to_owned());
        finally.insert(codes[0].clone(), choice as u32);
    }
    // Fourteen more over the API, from several addresses; two of them
    // change their view.
    for (i, code) in codes.iter().enumerate().take(15).skip(1) {
        let choice = (i % 3) as u32;
        let from = format!("127.0.0.{}", 10 + i % 4);
        let body = json!({"code": code.to_lowercase().replace('-', " "), "choice": choice, "comment": if i == 5 { "希望晚上有照明" } else { "" }});
        let (status, answer) = cast(&node, &from, "R-shed", &body);
        assert_eq!(status, 201, "{answer}");
        receipts.insert(code.clone(), answer.str_at("/receipt").to_owned());
        finally.insert(code.clone(), choice);
    }
    for code in &codes[1..3] {
        let (status, answer) = cast(
            &node,
            "127.0.0.20",
            "R-shed",
            &json!({"code": code, "choice": 2}),
        );
        assert_eq!(
            (status, answer.at("/changed")),
            (200, &json!(true)),
            "{answer}"
        );
        assert_eq!(answer.str_at("/receipt"), receipts[code]);
        finally.insert(code.clone(), 2);
    }

    // Refused, each with its field, and nothing kept.
    let refusals = [
        (json!({"code": codes[16], "choice": 3}), 422, "choice"),
        (
            json!({"code": codes[16], "choice": 0, "comment": "长".repeat(501)}),
            422,
            "comment",
        ),
        (json!({"code": "ZZZZ-ZZZZ", "choice": 0}), 422, "code"),
        (json!({"code": other_code, "choice": 0}), 403, "code"),
    ];
    for (body, status, field) in refusals {
        let (got, answer) = cast(&node, "127.0.0.30", "R-shed", &body);
        assert_eq!((got, answer.str_at("/field")), (status, field), "{answer}");
        assert!(!answer.str_at("/zh").is_empty());
    }
    let (unknown, _) = cast(
        &node,
        "127.0.0.30",
        "R-shed",
        &json!({"code": codes[16], "choice": 0, "name": "王五"}),
    );
    assert_eq!(unknown, 400);
    // Guessing is slowed: a few codes not issued an hour, then even a
    // real code from that address waits.
    let guesses: Vec<u16> = (0..21)
        .map(|i| {
            cast(
                &node,
                "127.0.0.31",
                "R-shed",
                &json!({"code": format!("0000-0000-0000-{i:04}"), "choice": 0}),
            )
            .0
        })
        .collect();
    assert!(guesses[..20].iter().all(|s| *s == 403), "{guesses:?}");
    assert_eq!(guesses[20], 429);
    assert_eq!(
        cast(
            &node,
            "127.0.0.31",
            "R-shed",
            &json!({"code": codes[17], "choice": 0})
        )
        .0,
        429
    );

    // The meeting's result waits for the tallies.
    node.steps_through_discussion("M-online");
    let waits = node.refused("meeting step M-online form-result --result 多数居民同意");
    assert!(
        waits.contains("R-other") || waits.contains("R-shed"),
        "{waits}"
    );

    // Staff read the comments (as text) and close the round early.
    browser.open(&format!("{}/office/rounds/R-shed", node.url));
    let shown = browser.wait_for(
        "the comments",
        "return document.getElementById('comments').textContent",
    );
    assert!(shown.as_str().unwrap().contains(comment), "{shown}");
    assert!(shown.as_str().unwrap().contains("希望晚上有照明"));
    let figures = browser.run("return document.getElementById('figures').textContent");
    assert!(
        figures
            .as_str()
            .unwrap()
            .contains("已收到 15 份（其中 3 份修改过）"),
        "{figures}"
    );
    // Without a reason, closing early is refused, in Chinese.
    browser.run("document.getElementById('close-round').click()");
    let refusal = browser.wait_for(
        "the refusal",
        "const e = document.getElementById('error'); return e && e.textContent",
    );
    assert!(
        refusal.as_str().unwrap().contains("提前计票须写明理由"),
        "{refusal}"
    );
    browser.run(
        "document.getElementById('early-reason').value = '参与线上协商的居民均已表态';
         document.getElementById('close-round').click();",
    );
    browser.wait_for(
        "the tally",
        "return document.getElementById('tally') !== null",
    );
    node.yiyi("round close R-other --early-reason 合并到充电棚征询");
    node.yiyi("meeting step M-online form-result --result 多数居民同意增设充电棚");

    // A ballot after closing is refused.
    let (late, answer) = cast(
        &node,
        "127.0.0.32",
        "R-shed",
        &json!({"code": codes[18], "choice": 0}),
    );
    assert_eq!(late, 409, "{answer}");

    // The counts are what the ballots were.
    let mut expected = [0u64; 3];
    for choice in finally.values() {
        expected[*choice as usize] += 1;
    }
    let round = node.get_public("/api/v1/rounds/R-shed");
    assert_eq!(round.str_at("/status"), "tallied");
    assert_eq!(round.at("/tally/counts"), &json!(expected));
    assert_eq!(round.u64_at("/tally/ballots"), 15);
    assert_eq!(round.u64_at("/tally/comments"), 2);
    let tally_hash = round.str_at("/tally/entry/hash").to_owned();
    let published = node.get_public("/api/v1/rounds/R-shed/ballots");
    assert_eq!(published.list_at("/ballots").len(), 15);

    // Every receipt verifies on the board, with the tally and the recount.
    for (load, (code, receipt)) in receipts.iter().enumerate() {
        let said = check_on_board(&browser, &node, "R-shed", 10 + load, receipt);
        let option = ["同意", "不同意", "弃权"][finally[code] as usize];
        assert!(
            said.starts_with("ok ") && said.contains(option),
            "{code}: {said}"
        );
    }
    let badge = browser.run("return document.getElementById('tally-badge').textContent + document.getElementById('recount').textContent");
    assert!(badge.as_str().unwrap().contains("已在本机核验"), "{badge}");
    assert!(badge.as_str().unwrap().contains("15 张选票"), "{badge}");

    // And with the CLI, against the district key.
    let receipt = &receipts[&codes[0]];
    let checked = yiyi_tests::run(
        "yiyi",
        &format!(
            "--node {} verify --receipt {receipt} --tally {tally_hash} --choice 不同意 --trust {}",
            node.url, node.vkey
        ),
    );
    assert!(checked.status.success(), "{checked:?}");
    let wrong = yiyi_tests::run(
        "yiyi",
        &format!(
            "--node {} verify --receipt {receipt} --tally {tally_hash} --choice 同意 --trust {}",
            node.url, node.vkey
        ),
    );
    assert_eq!(wrong.status.code(), Some(1), "{wrong:?}");

    // The result cites the tally.
    node.yiyi("outcome T-shed --meeting M-online --class immediate --responsible 社区居委会");
    let published = node.yiyi("meeting step M-online publish-result");
    let notice = node.get_public(&format!(
        "/api/v1/entries/by-hash/{}",
        published.str_at("/notices/0/hash")
    ));
    let text = String::from_utf8_lossy(&hex::decode(notice.str_at("/bytes")).unwrap()).into_owned();
    assert!(text.contains("网上微协商征询"), "{text}");
    assert!(
        text.contains(&format!(
            "同意 {}，不同意 {}，弃权 {}",
            expected[0], expected[1], expected[2]
        )),
        "{text}"
    );

    // Nothing public holds a code or a comment.
    let public = everything_public(&node);
    for code in &codes {
        assert!(!public.contains(code.as_str()), "{code} is public");
    }
    for private in ["充电棚要防雨", "希望晚上有照明"] {
        assert!(!public.contains(private), "{private} is public");
    }
}

#[test]
fn a_node_that_drops_a_ballot_after_its_receipt_is_caught_by_that_resident() {
    let mut node = Node::start("舜玉社区");
    online_meeting(&node);
    let opened = node.yiyi("round open --id R-1 --meeting M-online --topic T-shed --question 是否同意 --codes 3 --hours 1");
    let codes: Vec<String> = opened
        .list_at("/codes")
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    let mut receipts = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        let (status, answer) = cast(
            &node,
            "127.0.0.2",
            "R-1",
            &json!({"code": code, "choice": i % 2}),
        );
        assert_eq!(status, 201, "{answer}");
        receipts.push(answer.str_at("/receipt").to_owned());
    }
    // The operator stops the node and removes the second ballot from its
    // private store before the tally.
    node.kill();
    {
        let db = sled::open(node.data.join("private")).unwrap();
        let ballots = db.open_tree("round-ballots-v1").unwrap();
        let mut key = b"R-1\n".to_vec();
        key.extend(hex::decode(&receipts[1]).unwrap());
        assert!(ballots.remove(key).unwrap().is_some());
        ballots.flush().unwrap();
    }
    node.run("");
    node.yiyi("round close R-1 --early-reason 测试");
    let round = node.get_public("/api/v1/rounds/R-1");
    assert_eq!(round.u64_at("/tally/ballots"), 2);
    let tally_hash = round.str_at("/tally/entry/hash").to_owned();

    let browser = Browser::start();
    let said = check_on_board(&browser, &node, "R-1", 0, &receipts[1]);
    assert!(
        said.starts_with("failed ") && said.contains("回执"),
        "{said}"
    );
    assert!(said.contains(&receipts[1][..16]), "{said}");
    // The others still verify.
    for (load, receipt) in [&receipts[0], &receipts[2]].into_iter().enumerate() {
        let said = check_on_board(&browser, &node, "R-1", 1 + load, receipt);
        assert!(said.starts_with("ok "), "{said}");
    }
    let caught = yiyi_tests::run(
        "yiyi",
        &format!(
            "--node {} verify --receipt {} --tally {tally_hash} --trust {}",
            node.url, receipts[1], node.vkey
        ),
    );
    assert_eq!(caught.status.code(), Some(1), "{caught:?}");
    assert!(
        String::from_utf8_lossy(&caught.stderr).contains("receipt")
            || String::from_utf8_lossy(&caught.stderr).contains("回执")
    );
}

#[test]
fn residents_evaluate_a_topic_done_by_code_and_the_tally_records_the_evaluation() {
    let node = Node::start("舜玉社区");
    online_meeting(&node);
    node.steps_through_discussion("M-online");
    node.yiyi("meeting step M-online form-result --result 同意增设充电棚");
    node.yiyi("outcome T-shed --meeting M-online --class immediate --responsible 社区居委会");
    node.yiyi("meeting step M-online publish-result");
    // Not before it is done and visited.
    let early = node.refused("round open --evaluation --id E-shed --topic T-shed --codes 5");
    assert!(early.contains("T-shed"), "{early}");
    node.yiyi("progress T-shed --text 充电棚已建成投用 --completed");
    node.yiyi("followup T-shed --summary 回访3号楼住户 --households 12");
    let opened =
        node.yiyi("round open --evaluation --id E-shed --topic T-shed --codes 5 --hours 24");
    let codes: Vec<String> = opened
        .list_at("/codes")
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    let round = node.get_public("/api/v1/rounds/E-shed");
    assert_eq!(round.str_at("/purpose"), "evaluation");
    assert_eq!(round.at("/options"), &json!(["满意", "基本满意", "不满意"]));
    // While residents evaluate by code, a typed-in evaluation waits.
    let typed =
        node.refused("evaluate T-shed --satisfied 3 --basically-satisfied 0 --dissatisfied 0");
    assert!(typed.contains("E-shed"), "{typed}");
    for (code, choice) in codes.iter().zip([0, 0, 1, 2]) {
        let (status, answer) = cast(
            &node,
            "127.0.0.2",
            "E-shed",
            &json!({"code": code, "choice": choice}),
        );
        assert_eq!(status, 201, "{answer}");
    }
    let closed = node.yiyi("round close E-shed --early-reason 回访住户均已评议");
    assert_eq!(
        closed.as_array().unwrap().len(),
        2,
        "the tally and the evaluation: {closed}"
    );
    let topic = node.get_public("/api/v1/topics/T-shed");
    assert_eq!(topic.str_at("/status"), "evaluated");
    let notices = node.get_public("/api/v1/notices");
    let tally = notices
        .list_at("/notices")
        .iter()
        .find(|n| n.str_at("/title") == "关于“3号楼北侧增设电动车充电棚”的居民评议结果公示")
        .expect("the evaluation's notice");
    assert!(
        tally
            .str_at("/body")
            .contains("满意 2，基本满意 1，不满意 1"),
        "{tally}"
    );
    // The codes are forgotten once tallied.
    let codes_left = node.yiyi("round codes E-shed");
    assert_eq!(codes_left, json!([]));
}

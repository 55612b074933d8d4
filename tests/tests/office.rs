//! An office's work through a real `yiyi-node` process and the `yiyi`
//! commands: the case study's elderly canteen from intake to evaluation, the
//! other outcome classes, refusals through the API that leave the ledger as it
//! was, and no private datum in anything public.

use yiyi_tests::{Json, Node, command, today};

/// The participant list and the catalogue item the canteen needs.
fn participants(node: &Node) {
    node.yiyi("catalogue add --category public-affairs --item 为老服务");
    for (id, kind, name) in [
        ("P-party", "party-organisation", "第一社区党委"),
        ("P-committee", "residents-committee", "第一社区居委会"),
        ("P-reps", "resident-representative", "居民代表"),
        ("P-property", "property-management", "物业公司"),
    ] {
        node.yiyi(&format!(
            "participant add --id {id} --kind {kind} --name {name}"
        ));
    }
}

/// Holds meeting `id` today on `topics` with the whole participant list,
/// through the seven steps, recording `outcomes` (each a command line)
/// before the result is published.
fn run_meeting(
    node: &Node,
    id: &str,
    topics: &[&str],
    form: &str,
    result: &str,
    outcomes: &[&str],
) {
    let topics: String = topics.iter().map(|t| format!(" --topic {t}")).collect();
    node.yiyi(&format!(
        "meeting schedule --id {id} --form {form} --date {}{topics} \
         --participant P-party --participant P-committee --participant P-reps --participant P-property",
        today()
    ));
    node.yiyi(&format!(
        "meeting step {id} sign-in --attendee 张三,13800000000 --attendee 李四,13900000000"
    ));
    for step in [
        "explain-topic",
        "introduce-participants",
        "read-rules",
        "discuss",
    ] {
        node.yiyi(&format!("meeting step {id} {step}"));
    }
    node.yiyi(&format!(
        "meeting step {id} form-result --result '{result}'"
    ));
    for outcome in outcomes {
        node.yiyi(outcome);
    }
    let published = node.yiyi(&format!("meeting step {id} publish-result"));
    assert_eq!(published.str_at("/status"), "complete");
    assert_eq!(published.list_at("/notices").len(), outcomes.len());
}

/// Every public endpoint's text and every entry's bytes, as a resident
/// reads them.
pub(crate) fn everything_public(node: &Node) -> String {
    let mut all = String::new();
    for path in [
        "/api/v1/topics",
        "/api/v1/notices",
        "/api/v1/participants",
        "/api/v1/stats",
        "/api/v1/checkpoint",
    ] {
        all.push_str(&node.get_public_text(path));
    }
    for topic in node.get_public("/api/v1/topics").list_at("/topics") {
        // Only a topic taken to a meeting names one.
        if let Some(m) = topic.pointer("/meeting").and_then(|m| m.as_str()) {
            all.push_str(&node.get_public_text(&format!("/api/v1/meetings/{m}")));
        }
    }
    // Residents' rounds: each round, and the ballots of those tallied.
    all.push_str(&node.get_public_text("/api/v1/board"));
    for round in node
        .get_public("/api/v1/rounds")
        .as_array()
        .into_iter()
        .flatten()
    {
        let id = round.str_at("/id");
        all.push_str(&node.get_public_text(&format!("/api/v1/rounds/{id}")));
        if round.str_at("/status") == "tallied" {
            all.push_str(&node.get_public_text(&format!("/api/v1/rounds/{id}/ballots")));
        }
    }
    for sequence in 0..node.own_size() {
        let entry = node.get_public(&format!("/api/v1/entries/{sequence}"));
        let bytes = hex::decode(entry.str_at("/bytes")).expect("hex bytes");
        all.push_str(&String::from_utf8_lossy(&bytes));
    }
    all
}

#[test]
fn the_elderly_canteen_from_intake_to_evaluation() {
    let node = Node::start("甸柳新村街道第一社区");
    participants(&node);
    let proposed = node.yiyi(
        "topic propose --id T-canteen --title 社区老年食堂 --summary 老人吃饭难，居民提出建老年食堂 \
         --category public-affairs --sub-item 为老服务 --scale major --source resident \
         --raised-by '王五 13700000000'",
    );
    assert_eq!(
        (proposed.str_at("/id"), proposed.str_at("/status")),
        ("T-canteen", "proposed")
    );
    assert_eq!(
        node.yiyi("topic accept T-canteen").str_at("/status"),
        "accepted"
    );

    // A card consultation gathers the residents' opinions first...
    let today = today();
    node.yiyi(&format!(
        "meeting schedule --id M-card --topic T-canteen --form card \
         --participant P-reps --participant P-committee --date {today}"
    ));
    node.yiyi("meeting step M-card sign-in --attendee 张三,13800000000");
    for step in [
        "explain-topic",
        "introduce-participants",
        "read-rules",
        "discuss",
    ] {
        node.yiyi(&format!("meeting step M-card {step}"));
    }
    node.yiyi("meeting step M-card form-result --result 多数居民支持建老年食堂，选址待议");
    // ...but cannot decide a major matter...
    let card_decides = node.refused(
        "outcome T-canteen --meeting M-card --class promised --responsible x --measures x \
         --deadline 2027-03-31 --notice-period 30",
    );
    assert!(card_decides.contains("major matter"), "{card_decides}");
    node.yiyi("meeting step M-card publish-result");
    assert_eq!(
        node.get_public("/api/v1/topics/T-canteen")
            .str_at("/status"),
        "accepted"
    );
    // ...the full meeting with the property company and resident representatives does.
    run_meeting(
        &node,
        "M-1111",
        &["T-canteen"],
        "meeting",
        "同意将约200平方米社区用房改造为老年食堂",
        &[
            "outcome T-canteen --meeting M-1111 --class promised --responsible 社区居委会 \
           --measures 改造社区用房，引入餐饮企业运营 --deadline 2027-03-31 --notice-period 30 \
           --supervisor 居民代表 --spends-money",
        ],
    );
    let topic = node.get_public("/api/v1/topics/T-canteen");
    assert_eq!(topic.str_at("/status"), "promised");
    assert_eq!(topic.u64_at("/five_step"), 4);
    assert_eq!(
        topic.at("/oversight_bodies"),
        &serde_json::json!(["纪检监察", "财务", "审计"])
    );
    node.yiyi("supervise T-canteen --supervisor 老年居民代表 --oversight-body 社区监委会");

    let progress = node.yiyi("progress T-canteen --text 施工队已进场");
    assert_eq!(progress.list_at("/notices").len(), 1);
    node.yiyi("progress T-canteen --text 老年食堂正式开业 --completed");
    node.yiyi("followup T-canteen --summary '回访就餐老人 30 户' --households 30");
    let evaluated =
        node.yiyi("evaluate T-canteen --satisfied 41 --basically-satisfied 6 --dissatisfied 1");
    assert_eq!(evaluated.str_at("/status"), "evaluated");

    let notices = node.get_public("/api/v1/notices");
    let titles: Vec<&str> = notices
        .list_at("/notices")
        .iter()
        .map(|n| n.str_at("/title"))
        .collect();
    assert_eq!(
        titles,
        [
            // Each meeting announced ahead (议前公示), then the results.
            format!("议前公示：{today} 卡片协商").as_str(),
            &format!("议前公示：{today} 协商会议"),
            "关于“社区老年食堂”的协商结果公示",
            "“社区老年食堂”办理进展公示",
            "“社区老年食堂”办结公示"
        ]
    );
    let result = notices.str_at("/notices/2/body");
    assert!(
        result.contains("承诺件") && result.contains("2027-03-31"),
        "{result}"
    );

    // The figures, by status, name the checkpoint they were computed at.
    let stats = node.get_public("/api/v1/stats?by=status");
    assert_eq!(stats.u64_at("/report/totals/figures/raised"), 1);
    assert_eq!(stats.u64_at("/report/totals/figures/evaluated"), 1);
    assert_eq!(stats.str_at("/report/rows/0/key"), "evaluated");
    assert!(
        stats
            .str_at("/offices/0/checkpoint")
            .starts_with("yiyi/甸柳新村街道第一社区\n")
    );
    // The figures name the office as its latest profile does.
    node.yiyi("profile set --name 甸柳新村第一社区居委会 --meeting-rhythm 每月11日");
    assert_eq!(
        node.get_public("/api/v1/stats").str_at("/offices/0/name"),
        "甸柳新村第一社区居委会"
    );
    let csv = command("yiyi", "stats --csv --by class")
        .env("YIYI_NODE", &node.url)
        .output()
        .unwrap();
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(
        csv.starts_with("class,log,raised,")
            && csv.contains("\npromised,,1,1,")
            && csv.contains("# 甸柳新村第一社区居委会 ")
            && csv.contains(": yiyi/甸柳新村街道第一社区 "),
        "{csv}"
    );

    // Names and phones stayed on the node.
    let public = everything_public(&node);
    for private in [
        "王五",
        "13700000000",
        "张三",
        "13800000000",
        "李四",
        "13900000000",
    ] {
        assert!(!public.contains(private), "{private} is public");
    }
    assert!(public.contains("社区老年食堂"));
}

#[test]
fn immediate_shelved_reopened_suggestion_and_declined() {
    let node = Node::start("第二社区");
    participants(&node);
    for (id, title) in [
        ("T-light", "楼道灯不亮"),
        ("T-parking", "小区停车位施划"),
        ("T-bus", "增开公交线路"),
    ] {
        node.yiyi(&format!(
            "topic propose --id {id} --title {title} --category daily-life --scale minor --source home-visit"
        ));
        node.yiyi(&format!("topic accept {id}"));
    }
    run_meeting(
        &node,
        "M-2",
        &["T-light", "T-parking", "T-bus"],
        "card",
        "楼道灯即修；停车位分歧大暂搁置；公交线路上报",
        &[
            "outcome T-light --meeting M-2 --class immediate --responsible 物业公司",
            "outcome T-parking --meeting M-2 --class shelved --explanation 业主意见分歧较大",
            "outcome T-bus --meeting M-2 --class suggestion --proposed-solution 请区交通局增开线路",
        ],
    );
    assert_eq!(
        node.yiyi("progress T-light --text 已更换灯泡 --completed")
            .str_at("/status"),
        "done"
    );
    // Progress on a shelved item is refused, and changes nothing.
    let error = node.refused("progress T-parking --text x");
    assert!(
        error.contains("T-parking") && error.contains("shelved"),
        "{error}"
    );
    // The shelved topic is reopened by a new consultation.
    node.yiyi(
        "topic propose --id T-parking-2 --title 小区停车位施划（再议） --category daily-life \
         --scale minor --source resident --reopens T-parking",
    );
    assert_eq!(
        node.get_public("/api/v1/topics/T-parking")
            .str_at("/status"),
        "reopened"
    );
    assert_eq!(
        node.get_public("/api/v1/topics/T-bus").str_at("/status"),
        "suggestion"
    );

    node.yiyi(
        "topic propose --id T-fee --title 物业费标准 --category policy --scale minor --source online-group",
    );
    let declined = node.yiyi(
        "topic decline T-fee --citation 《山东省物业管理条例》 --explanation 物业费标准已由政府指导价确定",
    );
    assert_eq!(declined.str_at("/status"), "declined");
    assert_eq!(declined.list_at("/notices").len(), 1);
    let notices = node.get_public("/api/v1/notices");
    assert!(
        notices
            .list_at("/notices")
            .iter()
            .any(|n| n.str_at("/title") == "关于“物业费标准”不予协商的说明")
    );
}

#[test]
fn the_api_refuses_what_the_procedure_forbids_and_changes_nothing() {
    let node = Node::start("第三社区");
    participants(&node);
    let minor = "--category daily-life --scale minor --source resident";
    node.yiyi(&format!("topic propose --id T --title 议题 {minor}"));
    node.yiyi(&format!(
        "topic propose --id T-dispute --title 邻里噪音纠纷 {minor}"
    ));
    node.yiyi("topic refer T-dispute --mediator 人民调解员 --details 赵六与钱七因装修噪音争执");

    let cases = [
        (
            "meeting schedule --id M --topic T --form meeting",
            "proposed",
        ),
        (
            "meeting schedule --id M --topic T-dispute --form meeting",
            "individual dispute",
        ),
        ("meeting step M-none sign-in", "no meeting"),
        (
            "outcome T --meeting M --class immediate --responsible x",
            "proposed",
        ),
        ("progress T --text x", "progress"),
        (
            "evaluate T --satisfied 1 --basically-satisfied 0 --dissatisfied 0",
            "evaluation",
        ),
        (
            &format!("topic propose --id T --title 重复 {minor}"),
            "already",
        ),
        (
            "topic propose --id T-x --title x --category leisure --scale minor --source resident",
            "category",
        ),
        ("topic decline T --citation '' --explanation x", "citation"),
    ];
    for (line, expected) in cases {
        let message = node.refused(line);
        assert!(message.contains(expected), "yiyi {line}: {message}");
    }

    node.yiyi("topic accept T");
    // Scheduled for the 11th by default: its steps wait for that day.
    node.yiyi("meeting schedule --id M --topic T --form online --participant P-committee");
    if !today().ends_with("-11") {
        let early = node.refused("meeting step M sign-in");
        assert!(early.contains("cannot be recorded before"), "{early}");
    }
    node.yiyi(&format!("topic propose --id T2 --title 议题二 {minor}"));
    node.yiyi("topic accept T2");
    node.yiyi(&format!(
        "meeting schedule --id M-now --topic T2 --form online --participant P-committee --date {}",
        today()
    ));
    let order = node.refused("meeting step M-now discuss");
    assert!(
        order.contains("the next step is sign-in, not discuss"),
        "{order}"
    );
    node.yiyi("meeting step M-now sign-in --attendee 孙八,13600000000");
    let again = node.refused("meeting step M-now sign-in");
    assert!(again.contains("not sign-in"), "{again}");

    // Without the token nothing is written.
    let size = node.own_size();
    let anonymous = command("yiyi", "topic accept T-dispute")
        .env("YIYI_NODE", &node.url)
        .env("YIYI_TOKEN", "not-the-token")
        .output()
        .unwrap();
    assert!(!anonymous.status.success());
    assert!(String::from_utf8_lossy(&anonymous.stderr).contains("token"));
    assert_eq!(node.own_size(), size);

    let public = everything_public(&node);
    for private in ["赵六", "钱七", "装修噪音", "孙八", "13600000000"] {
        assert!(!public.contains(private), "{private} is public");
    }
}

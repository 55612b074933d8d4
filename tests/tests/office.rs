//! An office's work through a real `yiyi-node` process and the `yiyi`
//! commands: the case study's elderly canteen from intake to evaluation, the
//! other outcome classes, refusals through the API that leave the ledger as it
//! was, and no private datum in anything public.

use std::process::{Command, Output};

use serde_json::Value;
use yiyi_tests::{Node, binary};

fn yiyi_raw(node: &Node, args: &[&str]) -> Output {
    Command::new(binary("yiyi"))
        .args(args)
        .arg("--json")
        .env("YIYI_NODE", &node.url)
        .env("YIYI_DATA", &node.data)
        .env("LANG", "en_US.UTF-8")
        .output()
        .unwrap()
}

/// Runs a command that must succeed; returns its JSON answer.
#[track_caller]
fn yiyi(node: &Node, args: &[&str]) -> Value {
    let out = yiyi_raw(node, args);
    assert!(
        out.status.success(),
        "yiyi {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("yiyi {args:?}: {e}"))
}

/// Runs a command that must be refused; returns its message.
#[track_caller]
fn refused(node: &Node, args: &[&str]) -> String {
    let size = ledger_size(node);
    let out = yiyi_raw(node, args);
    assert!(!out.status.success(), "yiyi {args:?} was accepted");
    assert_eq!(ledger_size(node), size, "yiyi {args:?} changed the ledger");
    String::from_utf8(out.stderr).unwrap()
}

fn get_text(node: &Node, path: &str) -> String {
    let mut response = ureq::get(format!("{}{path}", node.url))
        .call()
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    response.body_mut().read_to_string().unwrap()
}

fn get(node: &Node, path: &str) -> Value {
    serde_json::from_str(&get_text(node, path)).unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

fn ledger_size(node: &Node) -> u64 {
    let checkpoint = get_text(node, "/api/v1/checkpoint");
    checkpoint
        .lines()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .unwrap_or(0)
}

fn participants(node: &Node) {
    yiyi(
        node,
        &[
            "catalogue",
            "add",
            "--category",
            "public-affairs",
            "--item",
            "为老服务",
        ],
    );
    for (id, kind, name) in [
        ("P-party", "party-organisation", "第一社区党委"),
        ("P-committee", "residents-committee", "第一社区居委会"),
        ("P-reps", "resident-representative", "居民代表"),
        ("P-property", "property-management", "物业公司"),
    ] {
        yiyi(
            node,
            &[
                "participant",
                "add",
                "--id",
                id,
                "--kind",
                kind,
                "--name",
                name,
            ],
        );
    }
}

fn run_meeting(
    node: &Node,
    id: &str,
    topics: &[&str],
    form: &str,
    result: &str,
    outcomes: &[&[&str]],
) {
    let today = today();
    let mut schedule = vec![
        "meeting", "schedule", "--id", id, "--form", form, "--date", &today,
    ];
    for t in topics {
        schedule.extend(["--topic", t]);
    }
    for p in ["P-party", "P-committee", "P-reps", "P-property"] {
        schedule.extend(["--participant", p]);
    }
    yiyi(node, &schedule);
    yiyi(
        node,
        &[
            "meeting",
            "step",
            id,
            "sign-in",
            "--attendee",
            "张三,13800000000",
            "--attendee",
            "李四,13900000000",
        ],
    );
    for step in [
        "explain-topic",
        "introduce-participants",
        "read-rules",
        "discuss",
    ] {
        yiyi(node, &["meeting", "step", id, step]);
    }
    yiyi(
        node,
        &["meeting", "step", id, "form-result", "--result", result],
    );
    for outcome in outcomes {
        yiyi(node, outcome);
    }
    let published = yiyi(node, &["meeting", "step", id, "publish-result"]);
    assert_eq!(published["status"], "complete");
    assert_eq!(
        published["notices"].as_array().unwrap().len(),
        outcomes.len()
    );
}

/// Today in Shanghai, when the meetings of these tests are held.
fn today() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    yiyi_protocol::rules::Date::in_shanghai(now).to_string()
}

/// Every public endpoint's text and every entry's bytes.
fn everything_public(node: &Node) -> String {
    let mut all = String::new();
    for path in [
        "/api/v1/topics",
        "/api/v1/notices",
        "/api/v1/participants",
        "/api/v1/stats",
        "/api/v1/checkpoint",
    ] {
        all.push_str(&get_text(node, path));
    }
    for topic in get(node, "/api/v1/topics")["topics"].as_array().unwrap() {
        if let Some(m) = topic["meeting"].as_str() {
            all.push_str(&get_text(node, &format!("/api/v1/meetings/{m}")));
        }
    }
    for sequence in 0..ledger_size(node) {
        let entry = get(node, &format!("/api/v1/entries/{sequence}"));
        let bytes = hex::decode(entry["bytes"].as_str().unwrap()).unwrap();
        all.push_str(&String::from_utf8_lossy(&bytes));
    }
    all
}

#[test]
fn the_elderly_canteen_from_intake_to_evaluation() {
    let node = Node::start("甸柳新村街道第一社区");
    participants(&node);
    let proposed = yiyi(
        &node,
        &[
            "topic",
            "propose",
            "--id",
            "T-canteen",
            "--title",
            "社区老年食堂",
            "--summary",
            "老人吃饭难，居民提出建老年食堂",
            "--category",
            "public-affairs",
            "--sub-item",
            "为老服务",
            "--scale",
            "major",
            "--source",
            "resident",
            "--raised-by",
            "王五 13700000000",
        ],
    );
    assert_eq!(
        (proposed["id"].as_str(), proposed["status"].as_str()),
        (Some("T-canteen"), Some("proposed"))
    );
    assert_eq!(
        yiyi(&node, &["topic", "accept", "T-canteen"])["status"],
        "accepted"
    );

    // A card consultation gathers the residents' opinions first...
    let today = today();
    yiyi(
        &node,
        &[
            "meeting",
            "schedule",
            "--id",
            "M-card",
            "--topic",
            "T-canteen",
            "--form",
            "card",
            "--participant",
            "P-reps",
            "--participant",
            "P-committee",
            "--date",
            &today,
        ],
    );
    yiyi(
        &node,
        &[
            "meeting",
            "step",
            "M-card",
            "sign-in",
            "--attendee",
            "张三,13800000000",
        ],
    );
    for step in [
        "explain-topic",
        "introduce-participants",
        "read-rules",
        "discuss",
    ] {
        yiyi(&node, &["meeting", "step", "M-card", step]);
    }
    yiyi(
        &node,
        &[
            "meeting",
            "step",
            "M-card",
            "form-result",
            "--result",
            "多数居民支持建老年食堂，选址待议",
        ],
    );
    // ...but cannot decide a major matter...
    let card_decides = refused(
        &node,
        &[
            "outcome",
            "T-canteen",
            "--meeting",
            "M-card",
            "--class",
            "promised",
            "--responsible",
            "x",
            "--measures",
            "x",
            "--deadline",
            "2027-03-31",
            "--notice-period",
            "30",
        ],
    );
    assert!(card_decides.contains("major matter"), "{card_decides}");
    yiyi(&node, &["meeting", "step", "M-card", "publish-result"]);
    assert_eq!(get(&node, "/api/v1/topics/T-canteen")["status"], "accepted");
    // ...the full meeting with the property company and resident representatives does.
    run_meeting(
        &node,
        "M-1111",
        &["T-canteen"],
        "meeting",
        "同意将约200平方米社区用房改造为老年食堂",
        &[&[
            "outcome",
            "T-canteen",
            "--meeting",
            "M-1111",
            "--class",
            "promised",
            "--responsible",
            "社区居委会",
            "--measures",
            "改造社区用房，引入餐饮企业运营",
            "--deadline",
            "2027-03-31",
            "--notice-period",
            "30",
            "--supervisor",
            "居民代表",
            "--spends-money",
        ]],
    );
    let topic = get(&node, "/api/v1/topics/T-canteen");
    assert_eq!(topic["status"], "promised");
    assert_eq!(topic["five_step"], 4);
    assert_eq!(
        topic["oversight_bodies"],
        serde_json::json!(["纪检监察", "财务", "审计"])
    );
    yiyi(
        &node,
        &[
            "supervise",
            "T-canteen",
            "--supervisor",
            "老年居民代表",
            "--oversight-body",
            "社区监委会",
        ],
    );

    let progress = yiyi(&node, &["progress", "T-canteen", "--text", "施工队已进场"]);
    assert_eq!(progress["notices"].as_array().unwrap().len(), 1);
    yiyi(
        &node,
        &[
            "progress",
            "T-canteen",
            "--text",
            "老年食堂正式开业",
            "--completed",
        ],
    );
    yiyi(
        &node,
        &[
            "followup",
            "T-canteen",
            "--summary",
            "回访就餐老人 30 户",
            "--households",
            "30",
        ],
    );
    let evaluated = yiyi(
        &node,
        &[
            "evaluate",
            "T-canteen",
            "--satisfied",
            "41",
            "--basically-satisfied",
            "6",
            "--dissatisfied",
            "1",
        ],
    );
    assert_eq!(evaluated["status"], "evaluated");

    let notices = get(&node, "/api/v1/notices");
    let titles: Vec<&str> = notices["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "关于“社区老年食堂”的协商结果公示",
            "“社区老年食堂”办理进展公示",
            "“社区老年食堂”办结公示"
        ]
    );
    let result = &notices["notices"][0]["body"];
    assert!(
        result.as_str().unwrap().contains("承诺件")
            && result.as_str().unwrap().contains("2027-03-31"),
        "{result}"
    );

    let stats = get(&node, "/api/v1/stats");
    assert_eq!(stats["stats"]["topics"], 1);
    assert_eq!(stats["stats"]["by_outcome_class"]["promised"], 1);
    assert_eq!(stats["stats"]["by_status"]["evaluated"], 1);
    assert!(
        stats["checkpoint"]
            .as_str()
            .unwrap()
            .starts_with("yiyi/甸柳新村街道第一社区\n")
    );
    let csv = Command::new(binary("yiyi"))
        .args(["stats", "--csv"])
        .env("YIYI_NODE", &node.url)
        .output()
        .unwrap();
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(
        csv.contains("by_category,public-affairs,1") && csv.contains("# yiyi/甸柳新村街道第一社区"),
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
        yiyi(
            &node,
            &[
                "topic",
                "propose",
                "--id",
                id,
                "--title",
                title,
                "--category",
                "daily-life",
                "--scale",
                "minor",
                "--source",
                "home-visit",
            ],
        );
        yiyi(&node, &["topic", "accept", id]);
    }
    run_meeting(
        &node,
        "M-2",
        &["T-light", "T-parking", "T-bus"],
        "card",
        "楼道灯即修；停车位分歧大暂搁置；公交线路上报",
        &[
            &[
                "outcome",
                "T-light",
                "--meeting",
                "M-2",
                "--class",
                "immediate",
                "--responsible",
                "物业公司",
            ],
            &[
                "outcome",
                "T-parking",
                "--meeting",
                "M-2",
                "--class",
                "shelved",
                "--explanation",
                "业主意见分歧较大",
            ],
            &[
                "outcome",
                "T-bus",
                "--meeting",
                "M-2",
                "--class",
                "suggestion",
                "--proposed-solution",
                "请区交通局增开线路",
            ],
        ],
    );
    assert_eq!(
        yiyi(
            &node,
            &["progress", "T-light", "--text", "已更换灯泡", "--completed"]
        )["status"],
        "done"
    );
    // Progress on a shelved item is refused, and changes nothing.
    let error = refused(&node, &["progress", "T-parking", "--text", "x"]);
    assert!(
        error.contains("T-parking") && error.contains("shelved"),
        "{error}"
    );
    // The shelved topic is reopened by a new consultation.
    yiyi(
        &node,
        &[
            "topic",
            "propose",
            "--id",
            "T-parking-2",
            "--title",
            "小区停车位施划（再议）",
            "--category",
            "daily-life",
            "--scale",
            "minor",
            "--source",
            "resident",
            "--reopens",
            "T-parking",
        ],
    );
    assert_eq!(get(&node, "/api/v1/topics/T-parking")["status"], "reopened");
    assert_eq!(get(&node, "/api/v1/topics/T-bus")["status"], "suggestion");

    yiyi(
        &node,
        &[
            "topic",
            "propose",
            "--id",
            "T-fee",
            "--title",
            "物业费标准",
            "--category",
            "policy",
            "--scale",
            "minor",
            "--source",
            "online-group",
        ],
    );
    let declined = yiyi(
        &node,
        &[
            "topic",
            "decline",
            "T-fee",
            "--citation",
            "《山东省物业管理条例》",
            "--explanation",
            "物业费标准已由政府指导价确定",
        ],
    );
    assert_eq!(declined["status"], "declined");
    assert_eq!(declined["notices"].as_array().unwrap().len(), 1);
    let notices = get(&node, "/api/v1/notices");
    assert!(
        notices["notices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["title"] == "关于“物业费标准”不予协商的说明")
    );
}

#[test]
fn the_api_refuses_what_the_procedure_forbids_and_changes_nothing() {
    let node = Node::start("第三社区");
    participants(&node);
    yiyi(
        &node,
        &[
            "topic",
            "propose",
            "--id",
            "T",
            "--title",
            "议题",
            "--category",
            "daily-life",
            "--scale",
            "minor",
            "--source",
            "resident",
        ],
    );
    yiyi(
        &node,
        &[
            "topic",
            "propose",
            "--id",
            "T-dispute",
            "--title",
            "邻里噪音纠纷",
            "--category",
            "daily-life",
            "--scale",
            "minor",
            "--source",
            "resident",
        ],
    );
    yiyi(
        &node,
        &[
            "topic",
            "refer",
            "T-dispute",
            "--mediator",
            "人民调解员",
            "--details",
            "赵六与钱七因装修噪音争执",
        ],
    );

    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "meeting", "schedule", "--id", "M", "--topic", "T", "--form", "meeting",
            ],
            "proposed",
        ),
        (
            &[
                "meeting",
                "schedule",
                "--id",
                "M",
                "--topic",
                "T-dispute",
                "--form",
                "meeting",
            ],
            "individual dispute",
        ),
        (&["meeting", "step", "M-none", "sign-in"], "no meeting"),
        (
            &[
                "outcome",
                "T",
                "--meeting",
                "M",
                "--class",
                "immediate",
                "--responsible",
                "x",
            ],
            "proposed",
        ),
        (&["progress", "T", "--text", "x"], "progress"),
        (
            &[
                "evaluate",
                "T",
                "--satisfied",
                "1",
                "--basically-satisfied",
                "0",
                "--dissatisfied",
                "0",
            ],
            "evaluation",
        ),
        (
            &[
                "topic",
                "propose",
                "--id",
                "T",
                "--title",
                "重复",
                "--category",
                "daily-life",
                "--scale",
                "minor",
                "--source",
                "resident",
            ],
            "already",
        ),
        (
            &[
                "topic",
                "propose",
                "--id",
                "T-x",
                "--title",
                "x",
                "--category",
                "leisure",
                "--scale",
                "minor",
                "--source",
                "resident",
            ],
            "category",
        ),
        (
            &[
                "topic",
                "decline",
                "T",
                "--citation",
                "",
                "--explanation",
                "x",
            ],
            "citation",
        ),
    ];
    for (args, expected) in cases {
        let message = refused(&node, args);
        assert!(message.contains(expected), "yiyi {args:?}: {message}");
    }

    yiyi(&node, &["topic", "accept", "T"]);
    // Scheduled for the 11th by default: its steps wait for that day.
    let meeting = [
        "meeting", "schedule", "--id", "M", "--topic", "T", "--form", "online",
    ];
    yiyi(
        &node,
        &[&meeting[..], &["--participant", "P-committee"]].concat(),
    );
    if !today().ends_with("-11") {
        let early = refused(&node, &["meeting", "step", "M", "sign-in"]);
        assert!(early.contains("cannot be recorded before"), "{early}");
    }
    let meeting = [
        "meeting", "schedule", "--id", "M-now", "--topic", "T2", "--form", "online",
    ];
    yiyi(
        &node,
        &[
            "topic",
            "propose",
            "--id",
            "T2",
            "--title",
            "议题二",
            "--category",
            "daily-life",
            "--scale",
            "minor",
            "--source",
            "resident",
        ],
    );
    yiyi(&node, &["topic", "accept", "T2"]);
    yiyi(
        &node,
        &[
            &meeting[..],
            &["--participant", "P-committee", "--date", &today()],
        ]
        .concat(),
    );
    let order = refused(&node, &["meeting", "step", "M-now", "discuss"]);
    assert!(
        order.contains("the next step is sign-in, not discuss"),
        "{order}"
    );
    yiyi(
        &node,
        &[
            "meeting",
            "step",
            "M-now",
            "sign-in",
            "--attendee",
            "孙八,13600000000",
        ],
    );
    let again = refused(&node, &["meeting", "step", "M-now", "sign-in"]);
    assert!(again.contains("not sign-in"), "{again}");

    // Without the token nothing is written.
    let size = ledger_size(&node);
    let anonymous = Command::new(binary("yiyi"))
        .args(["topic", "accept", "T-dispute"])
        .env("YIYI_NODE", &node.url)
        .env("YIYI_TOKEN", "not-the-token")
        .output()
        .unwrap();
    assert!(!anonymous.status.success());
    assert!(String::from_utf8_lossy(&anonymous.stderr).contains("token"));
    assert_eq!(ledger_size(&node), size);

    let public = everything_public(&node);
    for private in ["赵六", "钱七", "装修噪音", "孙八", "13600000000"] {
        assert!(!public.contains(private), "{private} is public");
    }
}

//! `yiyi demo`: a district, two streets and four communities on this
//! machine, each a real `yiyi-node` process with its own embedded storage,
//! talking libp2p on loopback. A community consults on a matter beyond its
//! power, sends it up; the street forwards it; the district dispatches it
//! to two departments, which resolve it; the resolution comes back down and
//! is published where it started. The demo tells what happened and where
//! to look (each office's board in a browser, and the commands), and keeps
//! the nodes serving until it is stopped: Ctrl-C, SIGTERM or SIGHUP stop
//! every node with it, and a node whose demo died without a word (SIGKILL)
//! is told by the kernel (`PR_SET_PDEATHSIG`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;
use yiyi_protocol::api::{self, Action};

use super::federation::pad;
use crate::client::Client;
use crate::lang::Lang;

/// Marks a directory the demo made, so that it may wipe it next time.
const MARKER: &str = ".yiyi-demo";

/// One office of the demo.
struct Office {
    name: &'static str,
    slug: &'static str,
    level: &'static str,
    /// Index of the parent office in the list.
    parent: Option<usize>,
}

const OFFICES: [Office; 7] = [
    Office {
        name: "历下区",
        slug: "lixia",
        level: "district",
        parent: None,
    },
    Office {
        name: "泉城路街道",
        slug: "quancheng",
        level: "street",
        parent: Some(0),
    },
    Office {
        name: "大明湖街道",
        slug: "daminghu",
        level: "street",
        parent: Some(0),
    },
    Office {
        name: "舜玉社区",
        slug: "shunyu",
        level: "community",
        parent: Some(1),
    },
    Office {
        name: "泉河社区",
        slug: "quanhe",
        level: "community",
        parent: Some(1),
    },
    Office {
        name: "大明社区",
        slug: "daming",
        level: "community",
        parent: Some(2),
    },
    Office {
        name: "北苑社区",
        slug: "beiyuan",
        level: "community",
        parent: Some(2),
    },
];

/// A running node.
struct Node {
    child: Child,
    api: String,
    p2p: String,
    vkey: String,
    data: PathBuf,
}

impl Node {
    fn client(&self, lang: Lang) -> anyhow::Result<Client> {
        let token = std::fs::read_to_string(self.data.join("api.token"))
            .with_context(|| format!("reading the token in {}", self.data.display()))?;
        Ok(Client::at(&self.api, Some(token.trim().to_owned()), lang))
    }
}

/// The nodes; stopped (SIGTERM, then SIGKILL) when dropped.
struct Nodes(Vec<Node>);

impl Drop for Nodes {
    fn drop(&mut self) {
        let pids: Vec<u32> = self.0.iter().map(|n| n.child.id()).collect();
        stop(&pids);
        for node in &mut self.0 {
            let _ = node.child.wait();
        }
    }
}

/// Sends SIGTERM to `pids`, waits up to 5 s for each to exit (reaping it),
/// then SIGKILLs what is left.
fn stop(pids: &[u32]) {
    let pids: Vec<libc::pid_t> = pids
        .iter()
        .filter_map(|p| libc::pid_t::try_from(*p).ok())
        .collect();
    for &pid in &pids {
        // SAFETY: kill(2) with a pid of a child this process started.
        unsafe { libc::kill(pid, libc::SIGTERM) };
    }
    for &pid in &pids {
        let start = Instant::now();
        // SAFETY: waitpid(2) on a child of this process, without blocking.
        while unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) } == 0
            && start.elapsed() < Duration::from_secs(5)
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        // SAFETY: as above; a pid already reaped gets ESRCH, which is fine.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) };
    }
}

/// Stops the nodes `pids` holds and exits when the demo is told to stop
/// (SIGINT, SIGTERM, SIGHUP), whenever that comes: while the federation is
/// being set up as well as while it serves.
/// Returns the flag it raises first.
fn stop_on_signal(
    pids: std::sync::Arc<std::sync::Mutex<Vec<u32>>>,
) -> anyhow::Result<std::sync::Arc<AtomicBool>> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
        .context("handling signals")?;
    let stopping = std::sync::Arc::new(AtomicBool::new(false));
    let raised = stopping.clone();
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            raised.store(true, Ordering::SeqCst);
            let pids = pids.lock().map(|p| p.clone()).unwrap_or_default();
            stop(&pids);
            std::process::exit(128 + signal);
        }
    });
    Ok(stopping)
}

/// Runs the demo in `dir`, with the APIs on ports from `base_port`.
pub(crate) fn run(dir: &Path, base_port: u16, exit: bool, lang: Lang) -> anyhow::Result<()> {
    let node_bin = node_binary()?;
    prepare(dir)?;
    let say = |zh: &str, en: &str| println!("{}", lang.pick(zh, en));

    say(
        "== 启动联邦：1 个区、2 个街道、4 个社区，每个节点一个进程、一个内嵌数据库",
        "== Starting the federation: 1 district, 2 streets, 4 communities, one process and one embedded database each",
    );
    let mut nodes = Nodes(Vec::new());
    let pids = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let stopping = stop_on_signal(pids.clone())?;
    for (i, office) in OFFICES.iter().enumerate() {
        let data = dir.join(office.slug);
        let mut init = Command::new(&node_bin);
        init.args(["init", "--data"])
            .arg(&data)
            .args(["--level", office.level, "--name", office.name])
            .args(["--origin", &origin(i)]);
        if i > 0 {
            init.args(["--district", &nodes.0[0].vkey]);
        }
        let out = init.output().context("running yiyi-node init")?;
        if !out.status.success() {
            bail!(
                "yiyi-node init failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let vkey = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let api = format!("127.0.0.1:{}", base_port + i as u16);
        let mut run = Command::new(&node_bin);
        run.args(["run", "--data"]).arg(&data).args([
            "--api",
            &api,
            "--listen",
            "/ip4/127.0.0.1/tcp/0",
        ]);
        if let Some(parent) = office.parent {
            run.args(["--peer", &nodes.0[parent].p2p]);
        }
        let log = std::fs::File::create(dir.join(format!("{}.log", office.slug)))?;
        // A node outlives no demo, however the demo ends: the kernel sends
        // it SIGTERM when the demo's main thread is gone.
        // SAFETY: prctl(2) is async-signal-safe, as pre_exec requires.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut run, || {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let mut child = run
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .context("starting yiyi-node")?;
        if let Ok(mut pids) = pids.lock() {
            pids.push(child.id());
        }
        let mut lines = BufReader::new(child.stdout.take().context("the node's stdout")?);
        let mut first = String::new();
        let mut second = String::new();
        lines.read_line(&mut first)?;
        lines.read_line(&mut second)?;
        let (Some(api), Some(p2p)) = (
            first.trim().strip_prefix("api "),
            second.trim().strip_prefix("p2p "),
        ) else {
            let _ = child.kill();
            bail!(
                "{} did not start (is port {} free? try --base-port); see {}",
                office.name,
                base_port + i as u16,
                dir.join(format!("{}.log", office.slug)).display()
            );
        };
        println!("  {} {} {api}", pad(office.name, 12), pad(office.level, 10));
        nodes.0.push(Node {
            child,
            api: api.to_owned(),
            p2p: p2p.to_owned(),
            vkey,
            data,
        });
    }
    let n = &nodes.0;
    for (i, office) in OFFICES.iter().enumerate() {
        if let Some(parent) = office.parent {
            n[parent].client(lang)?.act(&Action::Charter(api::Charter {
                charter: "admit".into(),
                key: n[i].vkey.clone(),
                name: office.name.into(),
                level: office.level.into(),
                ..Default::default()
            }))?;
        }
    }
    // The district knows all seven offices; a street or a community the
    // district, both streets and its own street's two communities: a node
    // keeps its own ledger, its ancestors' and its subtree's.
    for (i, node) in n.iter().enumerate() {
        let known = if i == 0 { 7 } else { 5 };
        wait("the federation to form", || {
            Ok(node.client(lang)?.get("/api/v1/federation")?["members"]
                .as_array()
                .is_some_and(|m| m.iter().filter(|m| m["standing"] == "active").count() == known))
        })?;
    }
    say(
        "  各级以章程（charter）接纳下级，每个节点都从区的公钥验证了自己所在的一支：本级、上级和下级。",
        "  Each office admitted its children by charter; every node checked its own branch (itself, the offices above and below it) back to the district's key.",
    );

    let (district, street, community) =
        (n[0].client(lang)?, n[1].client(lang)?, n[3].client(lang)?);
    say(
        "\n== 舜玉社区：居民提出“增开公交线路”，按七定程序协商",
        "\n== 舜玉社区: residents ask for a new bus line; a consultation in seven steps",
    );
    // Where and when residents find it, on its board.
    community.act(&Action::Profile(api::Profile {
        meeting_place: Some("社区党群服务中心议事厅".into()),
        meeting_rhythm: Some("每月11日".into()),
        ..Default::default()
    }))?;
    for (id, kind, name) in [
        ("P-party", "party-organisation", "舜玉社区党委"),
        ("P-committee", "residents-committee", "舜玉社区居委会"),
        ("P-reps", "resident-representative", "居民代表"),
    ] {
        community.act(&Action::Participant(api::Participant {
            id: id.into(),
            kind: kind.into(),
            name: name.into(),
            withdrawn: false,
        }))?;
    }
    community.act(&Action::Topic(api::Topic {
        id: "T-bus".into(),
        title: "增开公交线路".into(),
        summary: "小区北门距最近公交站1.5公里，老人出行不便".into(),
        category: "public-affairs".into(),
        scale: "major".into(),
        source: "resident".into(),
        raised_by: Some(json!({"name": "王五", "phone": "13700000000"})),
        ..Default::default()
    }))?;
    community.act(&Action::Accept(api::Accept {
        topic: "T-bus".into(),
    }))?;
    let today = today();
    community.act(&Action::Meeting(api::Meeting {
        id: "M-bus".into(),
        topics: vec!["T-bus".into()],
        form: "meeting".into(),
        date: Some(today.clone()),
        participants: ["P-party", "P-committee", "P-reps"]
            .map(String::from)
            .to_vec(),
        place: "社区议事厅".into(),
        ..Default::default()
    }))?;
    let step = |step: &str| api::Step {
        meeting: "M-bus".into(),
        step: step.into(),
        ..Default::default()
    };
    community.act(&Action::Step(api::Step {
        attendees: Some(vec![
            json!({"name": "张三", "phone": "13800000000"}),
            json!({"name": "李四", "phone": "13900000000"}),
        ]),
        ..step("sign-in")
    }))?;
    for name in [
        "explain-topic",
        "introduce-participants",
        "read-rules",
        "discuss",
    ] {
        community.act(&Action::Step(step(name)))?;
    }
    community.act(&Action::Step(api::Step {
        result: "居民一致希望增开经过小区北门的公交线路，超出社区职权，作为建议件上报".into(),
        ..step("form-result")
    }))?;
    community.act(&Action::Outcome(api::Outcome {
        topic: "T-bus".into(),
        meeting: "M-bus".into(),
        class: "suggestion".into(),
        proposed_solution: "请区交通运输局调整线路，在小区北门增设站点".into(),
        ..Default::default()
    }))?;
    community.act(&Action::Step(step("publish-result")))?;
    say(
        "  结果分类为建议件（超出社区职权），协商结果已公示；签到名单只存在社区节点，台账中只有承诺值。",
        "  Classified as a suggestion (beyond the community's power) and published; the sign-in sheet stays on the community's node, the ledger holds only its commitment.",
    );

    let matter = community
        .act(&Action::Escalate(api::Escalate {
            topic: "T-bus".into(),
            priority: Some("important".into()),
        }))?
        .id;
    wait("the street's receipt", || {
        Ok(
            community.get(&format!("/api/v1/matters/{}", encode(&matter)))?["path"][0]["receipt_held"]
                == true,
        )
    })?;
    say(
        "\n== 上报：社区在台账中记录上报，经 /yiyi/escalate/1 连同包含证明送达泉城路街道；街道验证后签收，回执已回到社区",
        "\n== Escalation: recorded in the community's ledger, delivered with its inclusion proof over /yiyi/escalate/1; the street verified it and signed a receipt, now held by the community",
    );
    let forwarded = street.act(&Action::Decide(api::Decide {
        matter: matter.clone(),
        decision: "forward".into(),
        reason: "涉及公交线网调整，超出街道职权".into(),
        deadline: today_plus(30),
    }))?;
    let hop = forwarded
        .forwarded
        .context("the street's decision forwarded nothing")?
        .hash;
    wait("the district's receipt", || {
        Ok(district.get(&format!("/api/v1/matters/{hop}"))?["path"][1]["status"] == "received")
    })?;
    say(
        "== 转报：街道工委决定转报区里，区节点签收",
        "== Forwarded: the street working committee sent it on to the district, which signed its receipt",
    );
    for (id, name, handles) in [
        ("jtj", "区交通运输局", "公交线路"),
        ("zjj", "区住房和城乡建设局", "道路与站台设施"),
    ] {
        district.act(&Action::Department(api::Department {
            id: id.into(),
            name: name.into(),
            handles: vec![handles.into()],
            withdrawn: false,
        }))?;
    }
    district.act(&Action::Dispatch(api::Dispatch {
        matter: hop.clone(),
        departments: vec!["jtj".into(), "zjj".into()],
        priority: Some("important".into()),
    }))?;
    say(
        "== 派单：区里按部门目录把事项派给交通运输局和住建局，组成协调专班",
        "== Dispatched: the district routed it by its department directory to two departments, a coordination group",
    );
    for (department, result) in [
        ("jtj", "已调整102路走向，在小区北门增设站点"),
        ("zjj", "已建成港湾式站台"),
    ] {
        district.act(&Action::Resolve(api::Resolve {
            matter: hop.clone(),
            result: result.into(),
            department: department.into(),
        }))?;
    }
    wait("the resolution notice at the community", || {
        Ok(community.get("/api/v1/topics/T-bus")?["status"] == "done")
    })?;
    say(
        "== 办结：两个部门报告结果；结果经复制回到社区，社区节点自动公示办理结果，议题进入回访评价",
        "== Resolved: both departments reported; the results came down by replication, the community's node published the resolution notice, and the topic moved on to evaluation",
    );

    let notices = community.get("/api/v1/notices")?;
    if let Some(last) = notices["notices"].as_array().and_then(|n| n.last()) {
        println!(
            "\n{}\n  {}\n  {}",
            lang.pick(
                "== 社区公示栏上的最新公示",
                "== The latest notice on the community's board"
            ),
            last["title"].as_str().unwrap_or_default(),
            last["body"]
                .as_str()
                .unwrap_or_default()
                .replace('\n', "\n  ")
        );
    }
    let trust = yiyi_protocol::VerifierKey::parse(&n[0].vkey)?;
    let (round_receipt, tally) = online_round(&community, &trust, lang)?;

    let c = &n[3].api;
    println!(
        "\n{}",
        lang.pick(
            "== 去哪里看：各单位的公示栏（用浏览器打开）",
            "== Where to look: each office's notice board (open it in a browser)"
        )
    );
    for (office, node) in OFFICES.iter().zip(n) {
        println!("  {} {}/", pad(office.name, 12), node.api);
    }
    // One secretary's account at the community, the street and the
    // district, so that the story can be clicked through in the console.
    println!(
        "{}",
        lang.pick(
            "  办公台（工作人员，首次登录需修改密码）：",
            "  The office consoles (staff; the first sign-in asks for a new password):"
        )
    );
    for i in [3, 1, 0] {
        let added = Command::new(&node_bin)
            .args(["staff", "add", "--data"])
            .arg(&n[i].data)
            .args(["--name", "书记", "--role", "secretary"])
            .output()?;
        let password = String::from_utf8_lossy(&added.stdout).trim().to_owned();
        if added.status.success() {
            println!(
                "  {} {}/office/  {} 书记  {} {password}",
                pad(OFFICES[i].name, 12),
                n[i].api,
                lang.pick("账号", "name"),
                lang.pick("密码", "password"),
            );
        }
    }
    println!(
        "{}\n  {c}/r/R-shed#r={round_receipt}",
        lang.pick(
            "  居民核验自己的征询回执（在浏览器中计算）：",
            "  A resident checks her round receipt (computed in the browser):"
        ),
    );
    println!(
        "{}\n  yiyi --node {c} verify --receipt {round_receipt} --tally {tally} --trust {}",
        lang.pick("  或在命令行：", "  or on the command line:"),
        n[0].vkey,
    );
    println!(
        "{}\n  yiyi --node {c} matter show {matter}\n  yiyi --node {c} notices\n  yiyi --node {} escalation list --all\n  yiyi --node {c} logs\n  curl {c}/api/v1/matters/{}\n{} {}",
        lang.pick("  命令行：", "  On the command line:"),
        n[0].api,
        encode(&matter),
        lang.pick("  节点数据与日志：", "  Node data and logs:"),
        dir.display(),
    );
    if exit {
        return Ok(());
    }
    say(
        "\n节点继续运行，Ctrl-C（或 SIGTERM、SIGHUP）结束，节点随之停止。",
        "\nThe nodes keep serving; Ctrl-C (or SIGTERM, SIGHUP) stops them and the demo.",
    );
    // The signal handler stops the nodes and exits; should they all stop
    // by themselves first, so does the demo.
    for node in &mut nodes.0 {
        let _ = node.child.wait();
    }
    // The handler reaps the nodes it stops, which ends the waits above: it
    // exits with the signal's status, once they are all gone.
    while stopping.load(Ordering::SeqCst) {
        std::thread::park();
    }
    Ok(())
}

/// An online consultation (网上微协商) at the community: a minor topic on
/// an online meeting, a round of five codes, four residents' views (one
/// changed, one with a comment), the tally, and one resident's receipt
/// checked against the district key as she would check it. Returns that
/// receipt and the tally's entry hash.
fn online_round(
    community: &Client,
    trust: &yiyi_protocol::VerifierKey,
    lang: Lang,
) -> anyhow::Result<(String, String)> {
    use yiyi_protocol::round::{BallotForm, CloseRound, OpenRound, OpenedRound, RoundView};
    let say = |zh: &str, en: &str| println!("{}", lang.pick(zh, en));
    community.act(&Action::Topic(api::Topic {
        id: "T-shed".into(),
        title: "3号楼北侧增设电动车充电棚".into(),
        category: "public-affairs".into(),
        scale: "minor".into(),
        source: "online-group".into(),
        ..Default::default()
    }))?;
    community.act(&Action::Accept(api::Accept {
        topic: "T-shed".into(),
    }))?;
    community.act(&Action::Meeting(api::Meeting {
        id: "M-shed".into(),
        topics: vec!["T-shed".into()],
        form: "online".into(),
        date: Some(today()),
        place: "居民微信群".into(),
        ..Default::default()
    }))?;
    let opened: OpenedRound = serde_json::from_value(community.post(
        "/api/v1/rounds",
        &OpenRound {
            id: "R-shed".into(),
            meeting: "M-shed".into(),
            topic: "T-shed".into(),
            question: "是否同意在3号楼北侧增设电动车充电棚？".into(),
            codes: 5,
            hours: 48,
            ..Default::default()
        },
        true,
    )?)?;
    say(
        &format!(
            "\n== 网上微协商：舜玉社区就“3号楼北侧增设电动车充电棚”发起征询，印制 {} 张参与码卡片（不登记谁领了哪张）",
            opened.codes.len()
        ),
        &format!(
            "\n== Online consultation: 舜玉社区 asks residents about an e-bike shelter and prints {} code cards (noting nobody's name)",
            opened.codes.len()
        ),
    );
    let mut receipt = String::new();
    for (i, (code, choice)) in opened.codes.iter().zip([0, 0, 1, 0]).enumerate() {
        let answer = community.post(
            "/api/v1/rounds/R-shed/ballots",
            &BallotForm {
                code: code.clone(),
                choice,
                comment: if i == 2 {
                    "担心占用消防通道".into()
                } else {
                    String::new()
                },
            },
            false,
        )?;
        if i == 0 {
            receipt = answer["receipt"].as_str().unwrap_or_default().to_owned();
        }
    }
    // The first resident thinks again.
    community.post(
        "/api/v1/rounds/R-shed/ballots",
        &BallotForm {
            code: opened.codes[0].clone(),
            choice: 2,
            comment: String::new(),
        },
        false,
    )?;
    community.post(
        "/api/v1/rounds/R-shed/close",
        &CloseRound {
            early_reason: "演示：四位居民已表态".into(),
        },
        true,
    )?;
    let view: RoundView = serde_json::from_value(community.get("/api/v1/rounds/R-shed")?)?;
    let tally = view.tally.context("the round was not tallied")?.entry.hash;
    say(
        "  四位居民凭参与码表态（一位改了主意），社区计票：计数、选票根写入台账；选票和留言只存社区节点",
        "  Four residents gave their views by code (one changed hers); the tally's counts and root went into the ledger; ballots and comments stay on the community's node",
    );
    // Once the street has cosigned the checkpoint holding the tally, the
    // resident's check passes.
    wait("the tally's cosigned checkpoint", || {
        let Ok(text) = community.get_text(&format!("/api/v1/notices/{tally}/bundle")) else {
            return Ok(false);
        };
        Ok(yiyi_protocol::light::Bundle::parse(&text)
            .ok()
            .is_some_and(|b| yiyi_protocol::light::verify(&b, trust, None).is_ok()))
    })?;
    say(
        &format!("  第一位居民核验她的回执 {}…：", &receipt[..16]),
        &format!(
            "  The first resident checks her receipt {}…:",
            &receipt[..16]
        ),
    );
    super::round::verify_receipt(community, &receipt, &tally, Some("弃权"), trust, lang)?;
    Ok((receipt, tally))
}

fn origin(i: usize) -> String {
    match OFFICES[i].parent {
        None => format!("yiyi/{}", OFFICES[i].slug),
        Some(parent) => format!("{}/{}", origin(parent), OFFICES[i].slug),
    }
}

/// `yiyi-node`, next to this `yiyi`.
fn node_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe.with_file_name("yiyi-node");
    if !path.exists() {
        bail!(
            "{} is missing: build both programs with `cargo build --release` and run target/release/yiyi demo",
            path.display()
        );
    }
    Ok(path)
}

/// An empty directory, or one an earlier demo made (wiped).
fn prepare(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)?.next().is_none();
        if !empty && !dir.join(MARKER).exists() {
            bail!(
                "{} is not empty and was not made by `yiyi demo`: choose another --dir",
                dir.display()
            );
        }
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join(MARKER),
        "made by `yiyi demo`; wiped by the next one\n",
    )?;
    Ok(())
}

/// Waits up to 60 s for `done`.
fn wait(what: &str, mut done: impl FnMut() -> anyhow::Result<bool>) -> anyhow::Result<()> {
    let start = Instant::now();
    loop {
        if done().unwrap_or(false) {
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(60) {
            bail!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn today() -> String {
    yiyi_protocol::rules::Date::in_shanghai(now_ms()).to_string()
}

fn today_plus(days: i64) -> String {
    yiyi_protocol::rules::Date::in_shanghai(now_ms())
        .plus_days(days)
        .to_string()
}

fn encode(text: &str) -> String {
    text.replace('/', "%2F")
}

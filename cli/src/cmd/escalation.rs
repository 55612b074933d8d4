//! Escalated matters (上报事项): sending a suggestion up, the street's and
//! the district's decisions on what reaches them, the district's department
//! directory, and the whole path of a matter across levels.
//!
//! A matter is named by its escalation id (`shunyu/T-7`), by the hex hash
//! of its escalation entry, or by the first 8 or more digits of it.

use clap::{Args, Subcommand};
use serde_json::Value;
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::rules::{Date, names};

use super::federation::pad;
use super::{act, choices, date, on_query};
use crate::client::Client;
use crate::lang::Lang;
use crate::output::{self, Output};

/// `yiyi escalation`.
#[derive(Subcommand)]
pub(crate) enum EscalationCommand {
    /// Send a topic classified as a suggestion (建议件) up to the parent office.
    Send {
        /// The topic.
        topic: String,
        /// How pressing it is (轻重缓急).
        #[arg(long, default_value = "normal", value_parser = choices(names::priority_names()))]
        priority: String,
    },
    /// The matters this office has to handle (by priority, then age) and the ones it sent.
    List {
        /// Every matter the node has seen.
        #[arg(long)]
        all: bool,
        /// Judge deadlines on this day (YYYY-MM-DD) instead of today.
        #[arg(long, value_parser = date)]
        on: Option<Date>,
    },
    /// One matter, with its whole path.
    Show { matter: String },
    /// Take the matter on: this office handles it and records its resolution.
    Accept {
        matter: String,
        /// YYYY-MM-DD: after it, the matter shows as overdue.
        #[arg(long, default_value = "")]
        deadline: String,
    },
    /// Send the matter back to the office it came from, with the reason.
    Return {
        matter: String,
        #[arg(long)]
        reason: String,
    },
    /// Forward the matter to this office's parent, with the decision attached.
    Forward {
        matter: String,
        #[arg(long, default_value = "")]
        reason: String,
        #[arg(long, default_value = "")]
        deadline: String,
    },
    /// Dispatch a forwarded matter (or one the desk took in) to a department (派单, 同步备案), or to several: a coordination group.
    Dispatch(DispatchArgs),
    /// Record the result a department (or this office) reports.
    Resolve(ResolveArgs),
    /// At the district's 12345 desk: take a matter in directly (直接受理), to dispatch.
    Intake(IntakeArgs),
    /// The coordination group's joint meeting on a matter, and its conclusion.
    Coordinate {
        matter: String,
        /// A department that took part; repeat for each.
        #[arg(long = "department", required = true)]
        departments: Vec<String>,
        /// What they concluded.
        #[arg(long)]
        conclusion: String,
        /// The day it met [default: today].
        #[arg(long, value_parser = date)]
        date: Option<Date>,
    },
    /// Return a department's result (退单) and dispatch the matter again (改派).
    Redispatch {
        matter: String,
        /// The department whose result is returned.
        #[arg(long)]
        department: String,
        /// Why (public).
        #[arg(long)]
        reason: String,
        /// Where it goes now; repeat for several (the same department to redo it).
        #[arg(long = "to", required = true)]
        to: Vec<String>,
    },
}

/// `yiyi escalation intake`.
#[derive(Args)]
pub(crate) struct IntakeArgs {
    /// The matter's id at the desk, e.g. H-1206-1.
    #[arg(long)]
    id: String,
    /// What it is, in a line.
    #[arg(long)]
    title: String,
    /// What residents reported (public; without who).
    #[arg(long, default_value = "")]
    summary: String,
    /// Its category.
    #[arg(long, value_parser = choices(names::category_names()))]
    category: String,
    /// Where it came from.
    #[arg(long, default_value = "hotline", value_parser = choices(names::intake_source_names()))]
    source: String,
    /// How pressing it is (轻重缓急).
    #[arg(long, value_parser = choices(names::priority_names()))]
    priority: Option<String>,
    /// Who raised it (kept on the node only; the ledger gets a commitment).
    #[arg(long)]
    raised_by: Option<String>,
}

/// `yiyi department`.
#[derive(Subcommand)]
pub(crate) enum DepartmentCommand {
    /// Add a department to the district's directory, with the kinds of matter it handles.
    Add(DepartmentArgs),
    /// Withdraw a department from the directory.
    Withdraw {
        id: String,
        #[arg(long)]
        name: String,
    },
    /// The directory.
    List,
}

/// `yiyi matter`.
#[derive(Subcommand)]
pub(crate) enum MatterCommand {
    /// The whole path of a matter across levels: each signed step, who signed it, when, and whether it verifies.
    Show { matter: String },
}

/// `yiyi escalation dispatch`.
#[derive(Args)]
pub(crate) struct DispatchArgs {
    matter: String,
    /// A department's id in the directory; repeat for a coordination group.
    #[arg(long = "department", required = true)]
    departments: Vec<String>,
    /// How pressing it is (轻重缓急).
    #[arg(long, value_parser = choices(names::priority_names()))]
    priority: Option<String>,
}

impl From<DispatchArgs> for api::Dispatch {
    fn from(a: DispatchArgs) -> Self {
        api::Dispatch {
            matter: a.matter,
            departments: a.departments,
            priority: a.priority,
        }
    }
}

/// `yiyi escalation resolve`.
#[derive(Args)]
pub(crate) struct ResolveArgs {
    matter: String,
    #[arg(long)]
    result: String,
    /// The department reporting, for a dispatched matter.
    #[arg(long, default_value = "")]
    department: String,
}

impl From<ResolveArgs> for api::Resolve {
    fn from(a: ResolveArgs) -> Self {
        api::Resolve {
            matter: a.matter,
            result: a.result,
            department: a.department,
        }
    }
}

/// `yiyi department add`.
#[derive(Args)]
pub(crate) struct DepartmentArgs {
    id: String,
    #[arg(long)]
    name: String,
    /// A kind of matter it handles; repeat.
    #[arg(long = "handles")]
    handles: Vec<String>,
}

impl From<DepartmentArgs> for api::Department {
    fn from(a: DepartmentArgs) -> Self {
        api::Department {
            id: a.id,
            name: a.name,
            handles: a.handles,
            withdrawn: false,
        }
    }
}

/// Runs `yiyi escalation`.
pub(crate) fn escalation(
    command: EscalationCommand,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    let decide = |matter: String, decision: &str, reason: String, deadline: String| {
        Action::Decide(api::Decide {
            matter,
            decision: decision.into(),
            reason,
            deadline,
        })
    };
    let action = match command {
        EscalationCommand::Send { topic, priority } => Action::Escalate(api::Escalate {
            topic,
            priority: Some(priority),
        }),
        EscalationCommand::List { all, on } => {
            let path = if all {
                format!("/api/v1/matters?all=true{}", on_query(on, '&'))
            } else {
                format!("/api/v1/matters{}", on_query(on, '?'))
            };
            let list = client.get(&path)?;
            if output.json {
                println!("{list}");
            } else {
                print_list(&list, lang);
            }
            return Ok(());
        }
        EscalationCommand::Show { matter } => return show(client, &matter, output, lang),
        EscalationCommand::Accept { matter, deadline } => {
            decide(matter, "accept", String::new(), deadline)
        }
        EscalationCommand::Return { matter, reason } => {
            decide(matter, "return", reason, String::new())
        }
        EscalationCommand::Forward {
            matter,
            reason,
            deadline,
        } => decide(matter, "forward", reason, deadline),
        EscalationCommand::Dispatch(a) => Action::Dispatch(a.into()),
        EscalationCommand::Resolve(a) => Action::Resolve(a.into()),
        EscalationCommand::Intake(a) => Action::Intake(api::Intake {
            id: a.id,
            title: a.title,
            summary: a.summary,
            category: a.category,
            source: a.source,
            priority: a.priority,
            raised_by: a.raised_by.map(|r| serde_json::json!({ "who": r })),
        }),
        EscalationCommand::Coordinate {
            matter,
            departments,
            conclusion,
            date,
        } => Action::Coordinate(api::Coordinate {
            matter,
            date: date.map(|d| d.to_string()),
            departments,
            conclusion,
        }),
        EscalationCommand::Redispatch {
            matter,
            department,
            reason,
            to,
        } => Action::Redispatch(api::Redispatch {
            matter,
            department,
            reason,
            to,
        }),
    };
    act(client, output, lang, action)
}

/// Runs `yiyi department`.
pub(crate) fn department(
    command: DepartmentCommand,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    let action = match command {
        DepartmentCommand::Add(a) => Action::Department(a.into()),
        DepartmentCommand::Withdraw { id, name } => Action::Department(api::Department {
            id,
            name,
            handles: Vec::new(),
            withdrawn: true,
        }),
        DepartmentCommand::List => {
            let list = client.get("/api/v1/departments")?;
            if output.json {
                println!("{list}");
            } else {
                for d in list["departments"].as_array().into_iter().flatten() {
                    let handles = output::texts(d, "handles");
                    println!(
                        "{}\t{}\t{}",
                        d["id"].as_str().unwrap_or_default(),
                        d["name"].as_str().unwrap_or_default(),
                        handles.join(lang.pick("、", ", "))
                    );
                }
            }
            return Ok(());
        }
    };
    act(client, output, lang, action)
}

/// Runs `yiyi matter`.
pub(crate) fn matter(
    command: MatterCommand,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    match command {
        MatterCommand::Show { matter } => show(client, &matter, output, lang),
    }
}

fn status_text(status: &str, lang: Lang) -> &'static str {
    match (status, lang) {
        ("sent", Lang::Zh) => "已上报，待签收",
        ("received", Lang::Zh) => "已签收，待处理",
        ("accepted", Lang::Zh) => "已受理",
        ("returned", Lang::Zh) => "已退回",
        ("forwarded", Lang::Zh) => "已转报上级",
        ("dispatched", Lang::Zh) => "已派单办理",
        ("resolved", Lang::Zh) => "已办结",
        ("sent", Lang::En) => "sent, awaiting receipt",
        ("received", Lang::En) => "received, awaiting decision",
        ("accepted", Lang::En) => "accepted",
        ("returned", Lang::En) => "returned",
        ("forwarded", Lang::En) => "forwarded up",
        ("dispatched", Lang::En) => "dispatched",
        ("resolved", Lang::En) => "resolved",
        _ => "?",
    }
}

fn action_text(action: &str, lang: Lang) -> &str {
    match (action, lang) {
        ("escalation", Lang::Zh) => "上报",
        ("receipt", Lang::Zh) => "签收回执",
        ("accept", Lang::Zh) => "受理",
        ("return", Lang::Zh) => "退回",
        ("forward", Lang::Zh) => "转报",
        ("dispatch", Lang::Zh) => "派单",
        ("resolution", Lang::Zh) => "办理结果",
        ("intake", Lang::Zh) => "12345直接受理",
        ("coordination", Lang::Zh) => "协调小组联席研究",
        ("redispatch", Lang::Zh) => "退单改派",
        (other, _) => other,
    }
}

fn priority_text(priority: &str, lang: Lang) -> &str {
    match (priority, lang) {
        ("urgent", Lang::Zh) => "紧急",
        ("important", Lang::Zh) => "重要",
        ("normal", Lang::Zh) => "一般",
        (other, _) => other,
    }
}

fn print_list(list: &Value, lang: Lang) {
    let matters = list["matters"].as_array().cloned().unwrap_or_default();
    if matters.is_empty() {
        println!("{}", lang.pick("没有上报事项。", "No escalated matters."));
    }
    for m in &matters {
        let overdue = if m["overdue"] == true {
            lang.pick(" 【已逾期】", " [OVERDUE]")
        } else {
            ""
        };
        println!(
            "{}  {}  {}  {} → {}  {}{overdue}\n    {}",
            m["id"]
                .as_str()
                .and_then(|h| h.get(..12))
                .unwrap_or_default(),
            m["escalation_id"].as_str().unwrap_or_default(),
            priority_text(m["priority"].as_str().unwrap_or_default(), lang),
            m["from"]["name"].as_str().unwrap_or_default(),
            m["to"]["name"].as_str().unwrap_or_default(),
            status_text(m["status"].as_str().unwrap_or_default(), lang),
            m["result"].as_str().unwrap_or_default(),
        );
    }
}

fn show(client: &Client, matter: &str, output: Output, lang: Lang) -> anyhow::Result<()> {
    let answer = client.get(&format!("/api/v1/matters/{}", urlencode(matter)))?;
    if output.json {
        println!("{answer}");
        return Ok(());
    }
    let path = answer["path"].as_array().cloned().unwrap_or_default();
    if let Some(first) = path.first() {
        println!(
            "{} {}\n{} {}\n{} {}",
            lang.pick("事项：", "Matter:"),
            first["escalation_id"].as_str().unwrap_or_default(),
            lang.pick("协商结果：", "Result:"),
            first["result"].as_str().unwrap_or_default(),
            lang.pick("解决建议：", "Proposed solution:"),
            first["proposed_solution"].as_str().unwrap_or_default(),
        );
    }
    let mut all_verify = true;
    for hop in &path {
        println!(
            "\n{} → {}  [{}]",
            hop["from"]["name"].as_str().unwrap_or_default(),
            hop["to"]["name"].as_str().unwrap_or_default(),
            status_text(hop["status"].as_str().unwrap_or_default(), lang),
        );
        if let Some(reason) = hop["reason"].as_str().filter(|r| !r.is_empty()) {
            println!("  {} {reason}", lang.pick("退回理由：", "Reason:"));
        }
        for d in hop["departments"].as_array().into_iter().flatten() {
            println!(
                "  {} {} {}",
                lang.pick("承办部门：", "Department:"),
                d["name"]
                    .as_str()
                    .filter(|n| !n.is_empty())
                    .or(d["id"].as_str())
                    .unwrap_or_default(),
                if d["resolved"] == true {
                    lang.pick("（已办结）", "(resolved)")
                } else {
                    lang.pick("（办理中）", "(in hand)")
                }
            );
        }
        for r in hop["resolutions"].as_array().into_iter().flatten() {
            println!(
                "  {} {} {}",
                lang.pick("办理结果：", "Result:"),
                r["department_name"]
                    .as_str()
                    .filter(|n| !n.is_empty())
                    .or(r["department"].as_str())
                    .unwrap_or_default(),
                r["result"].as_str().unwrap_or_default()
            );
        }
        for step in hop["steps"].as_array().into_iter().flatten() {
            let verifies = step["verifies"] == true;
            all_verify &= verifies;
            let time = step["time_ms"].as_i64().unwrap_or_default();
            println!(
                "  {}  {}  {}  #{:<4} {}  {}",
                format_time(time),
                pad(
                    action_text(step["action"].as_str().unwrap_or_default(), lang),
                    10
                ),
                pad(step["office"]["name"].as_str().unwrap_or_default(), 12),
                step["sequence"],
                step["hash"]
                    .as_str()
                    .and_then(|h| h.get(..16))
                    .unwrap_or_default(),
                if verifies {
                    lang.pick("✓ 签名有效", "✓ verifies")
                } else {
                    lang.pick("✗ 未能验证", "✗ does not verify")
                }
            );
        }
    }
    if !all_verify {
        anyhow::bail!(
            "{}",
            lang.pick(
                "有步骤未能验证（条目尚未同步到本节点，或签名无效）",
                "a step does not verify (not replicated to this node yet, or a bad signature)"
            )
        );
    }
    Ok(())
}

/// `YYYY-MM-DD HH:MM` in Asia/Shanghai (UTC+8, no daylight saving).
fn format_time(ms: i64) -> String {
    let date = yiyi_protocol::rules::Date::in_shanghai(ms);
    let secs = (ms / 1000 + 8 * 3600).rem_euclid(86_400);
    format!("{date} {:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

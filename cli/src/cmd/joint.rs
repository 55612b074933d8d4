//! Topics both ways (议题双向提出): `yiyi assignment` — a street puts a topic
//! on a community's agenda, the community accepts it as a topic or declines
//! it with a reason — and `yiyi joint` — the street's joint meeting
//! (协商联席会议): its standing members and its study schedule.

use clap::{Args, Subcommand};
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::rules::{Date, names};

use super::{act, choices, date, on_query};
use crate::client::Client;
use crate::lang::Lang;
use crate::output::Output;

/// `yiyi assignment`.
#[derive(Subcommand)]
pub(crate) enum AssignmentCommand {
    /// Put a topic on the agenda of an office this one chartered (交办议题).
    Send(SendArgs),
    /// Accept an assignment from above as a topic.
    Accept {
        /// The assignment's id.
        id: String,
        /// The new topic's id [default: T- and the assignment's].
        #[arg(long)]
        topic: Option<String>,
        /// The office that assigned it (log key) [default: the parent].
        #[arg(long)]
        from: Option<String>,
    },
    /// Decline an assignment from above, saying why (public).
    Decline {
        /// The assignment's id.
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// The office that assigned it (log key) [default: the parent].
        #[arg(long)]
        from: Option<String>,
    },
    /// The assignments sent, with their answers, and those received.
    List {
        /// Judge reply-by days on this day instead of today.
        #[arg(long, value_parser = date)]
        on: Option<Date>,
    },
}

/// `yiyi assignment send`.
#[derive(Args)]
pub(crate) struct SendArgs {
    /// The assignment's id, e.g. A-lights.
    #[arg(long)]
    id: String,
    /// The office asked: its name as chartered, or its log key.
    #[arg(long)]
    office: String,
    /// The topic's title.
    #[arg(long)]
    title: String,
    /// What it is about.
    #[arg(long, default_value = "")]
    summary: String,
    /// Its category.
    #[arg(long, value_parser = choices(names::category_names()))]
    category: String,
    /// A sub-item of the asked office's catalogue.
    #[arg(long, default_value = "")]
    sub_item: String,
    /// Its scale (三事).
    #[arg(long, value_parser = choices(names::scale_names()))]
    scale: String,
    /// The day by which to answer.
    #[arg(long, value_parser = date)]
    reply_by: Option<Date>,
}

/// `yiyi joint`.
#[derive(Subcommand)]
pub(crate) enum JointCommand {
    /// Add (or change) a standing member of the joint meeting (成员单位).
    Member(MemberArgs),
    /// Withdraw a standing member.
    Withdraw(MemberArgs),
    /// When the joint meeting studies major matters (重大事项定期研究).
    Study {
        /// The day of the month (1–28).
        #[arg(long)]
        day: u32,
        /// The months (1–12), comma-separated [default: every month].
        #[arg(long, value_delimiter = ',')]
        months: Vec<u32>,
        /// Where.
        #[arg(long, default_value = "")]
        place: String,
    },
    /// The members, the topics they proposed, and the next study day.
    Show,
}

/// A standing member.
#[derive(Args)]
pub(crate) struct MemberArgs {
    /// Its id, e.g. U-bank.
    #[arg(long)]
    id: String,
    /// Its kind.
    #[arg(long, value_parser = choices(names::member_kind_names()))]
    kind: String,
    /// Its name.
    #[arg(long)]
    name: String,
}

/// Runs `yiyi assignment`.
pub(crate) fn assignment(
    command: AssignmentCommand,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    let action = match command {
        AssignmentCommand::Send(a) => Action::Assign(api::Assign {
            id: a.id,
            office: a.office,
            title: a.title,
            summary: a.summary,
            category: a.category,
            sub_item: a.sub_item,
            scale: a.scale,
            reply_by: a.reply_by.map(|d| d.to_string()).unwrap_or_default(),
        }),
        AssignmentCommand::Accept { id, topic, from } => Action::Reply(api::Reply {
            assignment: id,
            from,
            accept: true,
            topic,
            reason: String::new(),
        }),
        AssignmentCommand::Decline { id, reason, from } => Action::Reply(api::Reply {
            assignment: id,
            from,
            accept: false,
            topic: None,
            reason,
        }),
        AssignmentCommand::List { on } => {
            let list = client.get(&format!("/api/v1/assignments{}", on_query(on, '?')))?;
            if output.json {
                println!("{list}");
                return Ok(());
            }
            for (key, heading) in [
                ("sent", lang.pick("交办下级：", "sent down:")),
                ("received", lang.pick("上级交办：", "received:")),
            ] {
                let items = list[key].as_array().cloned().unwrap_or_default();
                if items.is_empty() {
                    continue;
                }
                println!("{heading}");
                for a in items {
                    println!("  {}", line(&a, lang));
                }
            }
            return Ok(());
        }
    };
    act(client, output, lang, action)
}

/// One assignment on a line: id, title, who to whom, and where it stands.
fn line(a: &serde_json::Value, lang: Lang) -> String {
    let s = |field: &str| a[field].as_str().unwrap_or_default().to_owned();
    let reply = &a["reply"];
    let state = if reply.is_null() {
        let late = if a["late"] == true {
            lang.pick("【逾期】", "[late] ")
        } else {
            ""
        };
        format!("{late}{}", lang.pick("待答复", "awaiting an answer"))
    } else if reply["accepted"] == true {
        format!(
            "{} {}",
            lang.pick("已列入议题", "accepted as topic"),
            reply["topic"].as_str().unwrap_or_default()
        )
    } else {
        format!(
            "{}：{}",
            lang.pick("不列入", "declined"),
            reply["reason"].as_str().unwrap_or_default()
        )
    };
    format!(
        "{}\t{}\t{} → {}\t{}",
        s("id"),
        s("title"),
        s("from_name"),
        s("to_name"),
        state
    )
}

/// Runs `yiyi joint`.
pub(crate) fn joint(
    command: JointCommand,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    let member = |m: MemberArgs, withdrawn| {
        Action::Member(api::Member {
            id: m.id,
            name: m.name,
            kind: m.kind,
            withdrawn,
        })
    };
    let action = match command {
        JointCommand::Member(m) => member(m, false),
        JointCommand::Withdraw(m) => member(m, true),
        JointCommand::Study { day, months, place } => {
            Action::Study(api::Study { day, months, place })
        }
        JointCommand::Show => {
            let joint = client.get("/api/v1/joint-meeting")?;
            if output.json {
                println!("{joint}");
                return Ok(());
            }
            for m in joint["members"].as_array().into_iter().flatten() {
                let topics: Vec<&str> = m["topics"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.as_str())
                    .collect();
                println!(
                    "{}\t{}\t{}\t{}",
                    m["id"].as_str().unwrap_or_default(),
                    m["name"].as_str().unwrap_or_default(),
                    m["kind"].as_str().unwrap_or_default(),
                    topics.join(",")
                );
            }
            if let Some(next) = joint["study"]["next"].as_str() {
                println!(
                    "{}{next}",
                    lang.pick("下次重大事项定期研究：", "next study of major matters: ")
                );
            }
            return Ok(());
        }
    };
    act(client, output, lang, action)
}

//! The office's commands: one group per task, each a request to the node's
//! API. Human output follows `--lang`; `--json` prints the node's answer,
//! which always carries the record's `id` and `status`.

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::client::Client;
use crate::lang::Lang;

/// Options of every office command's output.
#[derive(Args, Debug, Clone, Copy)]
pub(crate) struct Output {
    /// Print the node's JSON answer.
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

/// `yiyi participant`.
#[derive(Subcommand)]
pub(crate) enum ParticipantCommand {
    /// Add (or update) a body on the participant list (协商主体清单).
    Add {
        #[arg(long)]
        id: String,
        /// party-organisation, residents-committee, resident-representative, resident-unit,
        /// owners-committee, property-management, government-department, expert
        #[arg(long)]
        kind: String,
        #[arg(long)]
        name: String,
    },
    /// Withdraw a body from the list.
    Withdraw {
        #[arg(long)]
        id: String,
        #[arg(long)]
        kind: String,
        #[arg(long)]
        name: String,
    },
    /// Show the list.
    List,
}

/// `yiyi charter`.
#[derive(Subcommand)]
pub(crate) enum CharterCommand {
    /// Admit a child office: a district its streets, a street its communities.
    Admit {
        /// The child's verifier key (name+keyid+base64), as its `yiyi-node init` printed it.
        #[arg(long)]
        key: String,
        #[arg(long)]
        name: String,
        /// street or community
        #[arg(long)]
        level: String,
        /// Where the child's node is reached (libp2p multiaddr); repeat.
        #[arg(long = "address")]
        addresses: Vec<String>,
    },
    /// Revoke a child office's charter: its ledger is no longer accepted.
    Revoke {
        #[arg(long)]
        key: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Replace a child office's key.
    Rotate {
        #[arg(long)]
        key: String,
        #[arg(long)]
        new_key: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// The offices admitted.
    List,
}

/// Runs `yiyi charter`.
pub(crate) fn charter(
    command: CharterCommand,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    let action = match command {
        CharterCommand::Admit {
            key,
            name,
            level,
            addresses,
        } => {
            json!({"action": "charter", "charter": "admit", "key": key, "name": name, "level": level, "addresses": addresses})
        }
        CharterCommand::Revoke { key, reason } => {
            json!({"action": "charter", "charter": "revoke", "key": key, "reason": reason})
        }
        CharterCommand::Rotate {
            key,
            new_key,
            reason,
        } => {
            json!({"action": "charter", "charter": "rotate", "key": key, "new_key": new_key, "reason": reason})
        }
        CharterCommand::List => {
            let list = client.get("/api/v1/charters")?;
            if output.json {
                println!("{list}");
            } else {
                for c in list["charters"].as_array().into_iter().flatten() {
                    let state = if c["revoked"] == true {
                        lang.pick("已撤销", "revoked")
                    } else {
                        lang.pick("有效", "admitted")
                    };
                    println!(
                        "{}\t{}\t{state}\t{}",
                        c["level"].as_str().unwrap_or_default(),
                        c["name"].as_str().unwrap_or_default(),
                        c["verifier_key"].as_str().unwrap_or_default()
                    );
                }
            }
            return Ok(());
        }
    };
    act(client, output, lang, action)
}

/// `yiyi catalogue`.
#[derive(Subcommand)]
pub(crate) enum CatalogueCommand {
    /// Add a sub-item under a category of the topic catalogue (协商事项目录).
    Add {
        /// daily-life, public-affairs or policy
        #[arg(long)]
        category: String,
        #[arg(long)]
        item: String,
    },
    /// Withdraw a sub-item.
    Withdraw {
        #[arg(long)]
        category: String,
        #[arg(long)]
        item: String,
    },
    /// Show the catalogue.
    List,
}

/// `yiyi supervise`: supervisors and oversight bodies of an item.
#[derive(Args)]
pub(crate) struct SuperviseArgs {
    topic: String,
    #[arg(long = "supervisor")]
    supervisors: Vec<String>,
    #[arg(long = "oversight-body")]
    oversight_bodies: Vec<String>,
    #[arg(long, default_value = "")]
    note: String,
}

/// `yiyi topic`.
#[derive(Subcommand)]
pub(crate) enum TopicCommand {
    /// Take in a topic (议题).
    Propose {
        #[arg(long)]
        id: String,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        summary: String,
        /// daily-life, public-affairs or policy
        #[arg(long)]
        category: String,
        #[arg(long, default_value = "")]
        sub_item: String,
        /// major, minor or urgent
        #[arg(long)]
        scale: String,
        /// resident, home-visit, building-chat, online-group, party-organisation, street-joint-meeting
        #[arg(long)]
        source: String,
        /// Who raised it (kept on the node only; the ledger gets a commitment).
        #[arg(long)]
        raised_by: Option<String>,
        /// Reopen this shelved topic.
        #[arg(long, default_value = "")]
        reopens: String,
    },
    /// Gate-keeping: accept for consultation.
    Accept { id: String },
    /// Gate-keeping: decline as already regulated; the explanation is published.
    Decline {
        id: String,
        #[arg(long)]
        citation: String,
        #[arg(long)]
        explanation: String,
        #[arg(long, default_value = "")]
        notice_text: String,
    },
    /// Gate-keeping: refer as an individual dispute to a mediator.
    Refer {
        id: String,
        #[arg(long)]
        mediator: String,
        /// The dispute's details (kept on the node only).
        #[arg(long)]
        details: Option<String>,
    },
    /// The party organisation approves a referred dispute for consultation.
    Approve {
        id: String,
        #[arg(long)]
        approval: String,
    },
    /// Show a topic.
    Show { id: String },
    /// List the topics.
    List,
}

/// `yiyi meeting`.
#[derive(Subcommand)]
pub(crate) enum MeetingCommand {
    /// Schedule a meeting (by default on the next 11th; today for urgent matters).
    Schedule {
        #[arg(long)]
        id: String,
        #[arg(long = "topic", required = true)]
        topics: Vec<String>,
        /// meeting, card or online
        #[arg(long, default_value = "meeting")]
        form: String,
        /// unit, grid, community, cross-community or street
        #[arg(long)]
        level: Option<String>,
        /// YYYY-MM-DD
        #[arg(long)]
        date: Option<String>,
        #[arg(long = "participant")]
        participants: Vec<String>,
        #[arg(long, default_value = "")]
        place: String,
        /// For a cross-community meeting: the procedure the street set.
        #[arg(long, default_value = "")]
        procedure: String,
        /// For a cross-community meeting: a community taking part (its
        /// verifier key); repeat. Each one notices the meeting.
        #[arg(long = "community")]
        communities: Vec<String>,
    },
    /// Record the next of the seven steps (七定).
    Step {
        id: String,
        /// sign-in, explain-topic, introduce-participants, read-rules, discuss, form-result, publish-result
        step: String,
        #[arg(long, default_value = "")]
        summary: String,
        /// For sign-in: an attendee "name,phone" (kept on the node only); repeat.
        #[arg(long = "attendee")]
        attendees: Vec<String>,
        /// For form-result: the result.
        #[arg(long, default_value = "")]
        result: String,
        #[arg(long, default_value = "")]
        notice_text: String,
    },
    /// Show a meeting.
    Show { id: String },
}

/// `yiyi outcome`: classify a topic's result (分流分类).
#[derive(Args)]
pub(crate) struct OutcomeArgs {
    topic: String,
    #[arg(long)]
    meeting: String,
    /// immediate, shelved, promised or suggestion
    #[arg(long)]
    class: String,
    #[arg(long, default_value = "")]
    responsible: String,
    #[arg(long, default_value = "")]
    measures: String,
    /// YYYY-MM-DD
    #[arg(long, default_value = "")]
    deadline: String,
    /// Days between progress notices (promised items).
    #[arg(long, default_value_t = 0)]
    notice_period: u32,
    #[arg(long, default_value = "")]
    explanation: String,
    #[arg(long, default_value = "")]
    proposed_solution: String,
    #[arg(long = "supervisor")]
    supervisors: Vec<String>,
    #[arg(long)]
    spends_money: bool,
}

/// `yiyi progress`.
#[derive(Args)]
pub(crate) struct ProgressArgs {
    topic: String,
    #[arg(long)]
    text: String,
    /// The item is done.
    #[arg(long)]
    completed: bool,
    #[arg(long, default_value = "")]
    notice_text: String,
}

/// `yiyi followup`.
#[derive(Args)]
pub(crate) struct FollowupArgs {
    topic: String,
    #[arg(long)]
    summary: String,
    #[arg(long, default_value_t = 0)]
    households: u32,
}

/// `yiyi evaluate`.
#[derive(Args)]
pub(crate) struct EvaluateArgs {
    topic: String,
    #[arg(long)]
    satisfied: u32,
    #[arg(long)]
    basically_satisfied: u32,
    #[arg(long)]
    dissatisfied: u32,
}

fn print_recorded(answer: &Value, output: Output, lang: Lang) {
    if output.json {
        println!("{answer}");
        return;
    }
    let id = answer["id"].as_str().unwrap_or_default();
    let status = answer["status"].as_str().unwrap_or_default();
    let sequence = &answer["entry"]["sequence"];
    println!(
        "{}",
        match lang {
            Lang::Zh => format!("已记录：{id}（状态：{status}），台账第 {sequence} 条"),
            Lang::En => format!("recorded: {id} (status: {status}), ledger entry {sequence}"),
        }
    );
    if let Some(forwarded) = answer["forwarded"].as_object() {
        println!(
            "{} {} {}",
            lang.pick("  已转报上级：条目", "  forwarded up: entry"),
            forwarded["sequence"],
            forwarded["hash"].as_str().unwrap_or_default()
        );
    }
    for notice in answer["notices"].as_array().into_iter().flatten() {
        println!(
            "{} {} {}",
            lang.pick("  已公示：条目", "  notice published: entry"),
            notice["sequence"],
            notice["hash"].as_str().unwrap_or_default()
        );
    }
}

/// Sends an action and prints what was recorded.
pub(crate) fn act(
    client: &Client,
    output: Output,
    lang: Lang,
    action: Value,
) -> anyhow::Result<()> {
    let answer = client.act(action)?;
    print_recorded(&answer, output, lang);
    Ok(())
}

fn show(value: &Value, output: Output) {
    if output.json {
        println!("{value}");
    } else {
        println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        );
    }
}

/// Runs `yiyi participant`.
pub(crate) fn participant(
    command: ParticipantCommand,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    match command {
        ParticipantCommand::Add { id, kind, name } => act(
            client,
            output,
            lang,
            json!({"action": "participant", "id": id, "kind": kind, "name": name}),
        ),
        ParticipantCommand::Withdraw { id, kind, name } => act(
            client,
            output,
            lang,
            json!({"action": "participant", "id": id, "kind": kind, "name": name, "withdrawn": true}),
        ),
        ParticipantCommand::List => {
            let list = client.get("/api/v1/participants")?;
            if output.json {
                println!("{list}");
            } else {
                for p in list["participants"].as_array().into_iter().flatten() {
                    println!(
                        "{}\t{}\t{}",
                        p["id"].as_str().unwrap_or_default(),
                        p["kind"].as_str().unwrap_or_default(),
                        p["name"].as_str().unwrap_or_default()
                    );
                }
            }
            Ok(())
        }
    }
}

/// Runs `yiyi catalogue`.
pub(crate) fn catalogue(
    command: CatalogueCommand,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    match command {
        CatalogueCommand::Add { category, item } => act(
            client,
            output,
            lang,
            json!({"action": "catalogue", "category": category, "item": item}),
        ),
        CatalogueCommand::Withdraw { category, item } => act(
            client,
            output,
            lang,
            json!({"action": "catalogue", "category": category, "item": item, "withdrawn": true}),
        ),
        CatalogueCommand::List => {
            let list = client.get("/api/v1/catalogue")?;
            if output.json {
                println!("{list}");
            } else {
                for c in list["catalogue"].as_array().into_iter().flatten() {
                    println!(
                        "{}\t{}",
                        c["category"].as_str().unwrap_or_default(),
                        c["item"].as_str().unwrap_or_default()
                    );
                }
            }
            Ok(())
        }
    }
}

/// Runs `yiyi supervise`.
pub(crate) fn supervise(
    a: SuperviseArgs,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    act(
        client,
        output,
        lang,
        json!({
            "action": "supervise", "topic": a.topic, "supervisors": a.supervisors,
            "oversight_bodies": a.oversight_bodies, "note": a.note,
        }),
    )
}

/// Runs `yiyi topic`.
pub(crate) fn topic(
    command: TopicCommand,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    match command {
        TopicCommand::Propose {
            id,
            title,
            summary,
            category,
            sub_item,
            scale,
            source,
            raised_by,
            reopens,
        } => act(
            client,
            output,
            lang,
            json!({
                "action": "topic", "id": id, "title": title, "summary": summary, "category": category,
                "sub_item": sub_item, "scale": scale, "source": source, "reopens": reopens,
                "raised_by": raised_by.map(|r| json!({ "who": r })),
            }),
        ),
        TopicCommand::Accept { id } => act(
            client,
            output,
            lang,
            json!({"action": "accept", "topic": id}),
        ),
        TopicCommand::Decline {
            id,
            citation,
            explanation,
            notice_text,
        } => act(
            client,
            output,
            lang,
            json!({"action": "decline", "topic": id, "citation": citation, "explanation": explanation, "notice_text": notice_text}),
        ),
        TopicCommand::Refer {
            id,
            mediator,
            details,
        } => act(
            client,
            output,
            lang,
            json!({"action": "refer", "topic": id, "mediator": mediator, "details": details.map(|d| json!({ "details": d }))}),
        ),
        TopicCommand::Approve { id, approval } => act(
            client,
            output,
            lang,
            json!({"action": "approve", "topic": id, "approval": approval}),
        ),
        TopicCommand::Show { id } => {
            show(&client.get(&format!("/api/v1/topics/{id}"))?, output);
            Ok(())
        }
        TopicCommand::List => {
            let list = client.get("/api/v1/topics")?;
            if output.json {
                println!("{list}");
            } else {
                for t in list["topics"].as_array().into_iter().flatten() {
                    let overdue = if t["overdue"].is_null() {
                        ""
                    } else {
                        lang.pick("  【逾期】", "  [OVERDUE]")
                    };
                    println!(
                        "{}\t{}\t{}\t{}{overdue}",
                        t["id"].as_str().unwrap_or_default(),
                        t["status"].as_str().unwrap_or_default(),
                        t["category"].as_str().unwrap_or_default(),
                        t["title"].as_str().unwrap_or_default(),
                    );
                }
            }
            Ok(())
        }
    }
}

/// Runs `yiyi meeting`.
pub(crate) fn meeting(
    command: MeetingCommand,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    match command {
        MeetingCommand::Schedule {
            id,
            topics,
            form,
            level,
            date,
            participants,
            place,
            procedure,
            communities,
        } => act(
            client,
            output,
            lang,
            json!({
                "action": "meeting", "id": id, "topics": topics, "form": form, "level": level,
                "date": date, "participants": participants, "place": place,
                "procedure": procedure, "communities": communities,
            }),
        ),
        MeetingCommand::Step {
            id,
            step,
            summary,
            attendees,
            result,
            notice_text,
        } => {
            let attendees: Option<Vec<Value>> = (!attendees.is_empty()).then(|| {
                attendees
                    .iter()
                    .map(|a| {
                        let (name, phone) = a.split_once(',').unwrap_or((a, ""));
                        json!({ "name": name.trim(), "phone": phone.trim() })
                    })
                    .collect()
            });
            act(
                client,
                output,
                lang,
                json!({
                    "action": "step", "meeting": id, "step": step, "summary": summary,
                    "attendees": attendees, "result": result, "notice_text": notice_text,
                }),
            )
        }
        MeetingCommand::Show { id } => {
            show(&client.get(&format!("/api/v1/meetings/{id}"))?, output);
            Ok(())
        }
    }
}

/// Runs `yiyi outcome`.
pub(crate) fn outcome(
    a: OutcomeArgs,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    act(
        client,
        output,
        lang,
        json!({
            "action": "outcome", "topic": a.topic, "meeting": a.meeting, "class": a.class,
            "responsible_party": a.responsible, "measures": a.measures, "deadline": a.deadline,
            "notice_period_days": a.notice_period, "explanation": a.explanation,
            "proposed_solution": a.proposed_solution, "supervisors": a.supervisors,
            "spends_money": a.spends_money,
        }),
    )
}

/// Runs `yiyi progress`.
pub(crate) fn progress(
    a: ProgressArgs,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    act(
        client,
        output,
        lang,
        json!({"action": "progress", "topic": a.topic, "text": a.text, "completed": a.completed, "notice_text": a.notice_text}),
    )
}

/// Runs `yiyi followup`.
pub(crate) fn followup(
    a: FollowupArgs,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    act(
        client,
        output,
        lang,
        json!({"action": "followup", "topic": a.topic, "summary": a.summary, "households_visited": a.households}),
    )
}

/// Runs `yiyi evaluate`.
pub(crate) fn evaluate(
    a: EvaluateArgs,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    act(
        client,
        output,
        lang,
        json!({
            "action": "evaluate", "topic": a.topic, "satisfied": a.satisfied,
            "basically_satisfied": a.basically_satisfied, "dissatisfied": a.dissatisfied,
        }),
    )
}

/// Runs `yiyi notices`.
pub(crate) fn notices(client: &Client, output: Output) -> anyhow::Result<()> {
    let list = client.get("/api/v1/notices")?;
    if output.json {
        println!("{list}");
        return Ok(());
    }
    for n in list["notices"].as_array().into_iter().flatten() {
        println!(
            "【{}】{}",
            n["date"].as_str().unwrap_or_default(),
            n["title"].as_str().unwrap_or_default()
        );
        println!("{}\n", n["body"].as_str().unwrap_or_default());
    }
    Ok(())
}

/// Runs `yiyi stats`.
pub(crate) fn stats(client: &Client, output: Output, csv: bool) -> anyhow::Result<()> {
    let answer = client.get("/api/v1/stats")?;
    if output.json {
        println!("{answer}");
        return Ok(());
    }
    let stats = &answer["stats"];
    if csv {
        println!("group,key,count");
        for group in [
            "by_category",
            "by_outcome_class",
            "by_meeting_level",
            "by_status",
        ] {
            for (key, count) in stats[group].as_object().into_iter().flatten() {
                println!("{group},{key},{count}");
            }
        }
        println!(
            "median_days_to_completion,,{}",
            stats["median_days_to_completion"]
        );
        // The checkpoint the figures were computed at, so they can be checked.
        for line in answer["checkpoint"].as_str().unwrap_or_default().lines() {
            println!("# {line}");
        }
    } else {
        println!(
            "{}",
            serde_json::to_string_pretty(&answer).unwrap_or_default()
        );
    }
    Ok(())
}

//! `yiyi topic`: taking in a topic (议题) and gate-keeping it (议题把关):
//! accept, decline as already regulated, refer as an individual dispute,
//! and the party organisation's approval of a referred one.

use clap::{Args, Subcommand};
use serde_json::json;
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::rules::{Date, names};

use super::{act, choices, date, on_query};
use crate::client::Client;
use crate::lang::Lang;
use crate::output::{self, Output, text};

/// `yiyi topic`.
#[derive(Subcommand)]
pub(crate) enum TopicCommand {
    /// Take in a topic (议题).
    Propose(ProposeArgs),
    /// Gate-keeping: accept for consultation.
    Accept {
        /// The topic.
        id: String,
    },
    /// Gate-keeping: decline as already regulated; the explanation is published.
    Decline(DeclineArgs),
    /// Gate-keeping: refer as an individual dispute to a mediator.
    Refer(ReferArgs),
    /// The party organisation approves a referred dispute for consultation.
    Approve {
        /// The topic.
        id: String,
        /// The approval (the party organisation's meeting's reference).
        #[arg(long)]
        approval: String,
    },
    /// How the mediation of a referred dispute ended: settled or not.
    Mediate {
        /// The topic.
        id: String,
        /// The mediation settled the dispute (调解成功).
        #[arg(
            long,
            conflicts_with = "unsettled",
            required_unless_present = "unsettled"
        )]
        settled: bool,
        /// It ended without settling it (调解未成).
        #[arg(long)]
        unsettled: bool,
        /// The mediator who closed it (public).
        #[arg(long)]
        mediator: String,
        /// The mediator's summary: kept on this node, only its commitment
        /// in the ledger.
        #[arg(long)]
        summary: Option<String>,
    },
    /// Show a topic.
    Show {
        /// The topic.
        id: String,
    },
    /// List the topics.
    List {
        /// Judge deadlines on this day (YYYY-MM-DD) instead of today.
        #[arg(long, value_parser = date)]
        on: Option<Date>,
    },
}

/// `yiyi topic propose`.
#[derive(Args)]
pub(crate) struct ProposeArgs {
    /// The topic's id, e.g. T-canteen.
    #[arg(long)]
    id: String,
    /// Its title.
    #[arg(long)]
    title: String,
    /// What it is about.
    #[arg(long, default_value = "")]
    summary: String,
    /// Its category.
    #[arg(long, value_parser = choices(names::category_names()))]
    category: String,
    /// Its sub-item of the catalogue.
    #[arg(long, default_value = "")]
    sub_item: String,
    /// Its scale (三事).
    #[arg(long, value_parser = choices(names::scale_names()))]
    scale: String,
    /// Where it came from.
    #[arg(long, value_parser = choices(names::source_names()))]
    source: String,
    /// Who raised it (kept on the node only; the ledger gets a commitment).
    #[arg(long)]
    raised_by: Option<String>,
    /// Reopen this shelved topic.
    #[arg(long, default_value = "")]
    reopens: String,
    /// At a street: the standing member of the joint meeting (联席会议成员单位)
    /// that proposed it.
    #[arg(long)]
    member: Option<String>,
}

impl From<ProposeArgs> for api::Topic {
    fn from(a: ProposeArgs) -> Self {
        api::Topic {
            id: a.id,
            title: a.title,
            summary: a.summary,
            category: a.category,
            sub_item: a.sub_item,
            scale: a.scale,
            source: a.source,
            raised_by: a.raised_by.map(|r| json!({ "who": r })),
            reopens: a.reopens,
            member: a.member,
        }
    }
}

/// `yiyi topic decline`.
#[derive(Args)]
pub(crate) struct DeclineArgs {
    /// The topic.
    id: String,
    /// The law or decision that already settles it.
    #[arg(long)]
    citation: String,
    /// The explanation published to residents.
    #[arg(long)]
    explanation: String,
    /// Text added to the notice.
    #[arg(long, default_value = "")]
    notice_text: String,
}

impl From<DeclineArgs> for api::Decline {
    fn from(a: DeclineArgs) -> Self {
        api::Decline {
            topic: a.id,
            citation: a.citation,
            explanation: a.explanation,
            notice_text: a.notice_text,
        }
    }
}

/// `yiyi topic refer`.
#[derive(Args)]
pub(crate) struct ReferArgs {
    /// The topic.
    id: String,
    /// The mediator.
    #[arg(long)]
    mediator: String,
    /// The dispute's details (kept on the node only).
    #[arg(long)]
    details: Option<String>,
}

impl From<ReferArgs> for api::Refer {
    fn from(a: ReferArgs) -> Self {
        api::Refer {
            topic: a.id,
            mediator: a.mediator,
            details: a.details.map(|d| json!({ "details": d })),
        }
    }
}

/// Runs `yiyi topic`.
pub(crate) fn run(
    command: TopicCommand,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    let action = match command {
        TopicCommand::Propose(a) => Action::Topic(a.into()),
        TopicCommand::Accept { id } => Action::Accept(api::Accept { topic: id }),
        TopicCommand::Decline(a) => Action::Decline(a.into()),
        TopicCommand::Refer(a) => Action::Refer(a.into()),
        TopicCommand::Approve { id, approval } => Action::Approve(api::Approve {
            topic: id,
            approval,
        }),
        TopicCommand::Mediate {
            id,
            settled,
            unsettled: _,
            mediator,
            summary,
        } => Action::Mediate(api::Mediate {
            topic: id,
            settled,
            mediator,
            summary: summary.map(serde_json::Value::String),
        }),
        TopicCommand::Show { id } => {
            output::show(&client.get(&format!("/api/v1/topics/{id}"))?, output);
            return Ok(());
        }
        TopicCommand::List { on } => {
            let list = client.get(&format!("/api/v1/topics{}", on_query(on, '?')))?;
            output::list(&list, "topics", output, |t| {
                let overdue = if t["overdue"].is_null() {
                    ""
                } else {
                    lang.pick("  【逾期】", "  [OVERDUE]")
                };
                vec![
                    text(t, "id"),
                    text(t, "status"),
                    text(t, "category"),
                    format!("{}{overdue}", text(t, "title")),
                ]
            });
            return Ok(());
        }
    };
    act(client, output, lang, action)
}

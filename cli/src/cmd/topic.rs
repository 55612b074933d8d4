//! `yiyi topic`: taking in a topic (议题) and gate-keeping it (议题把关):
//! accept, decline as already regulated, refer as an individual dispute,
//! and the party organisation's approval of a referred one.

use clap::Subcommand;
use serde_json::json;
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::rules::names;

use super::{act, choices};
use crate::client::Client;
use crate::lang::Lang;
use crate::output::{self, Output, text};

/// `yiyi topic`.
#[derive(Subcommand)]
pub(crate) enum TopicCommand {
    /// Take in a topic (议题).
    Propose {
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
    },
    /// Gate-keeping: accept for consultation.
    Accept {
        /// The topic.
        id: String,
    },
    /// Gate-keeping: decline as already regulated; the explanation is published.
    Decline {
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
    },
    /// Gate-keeping: refer as an individual dispute to a mediator.
    Refer {
        /// The topic.
        id: String,
        /// The mediator.
        #[arg(long)]
        mediator: String,
        /// The dispute's details (kept on the node only).
        #[arg(long)]
        details: Option<String>,
    },
    /// The party organisation approves a referred dispute for consultation.
    Approve {
        /// The topic.
        id: String,
        /// The approval (the party organisation's meeting's reference).
        #[arg(long)]
        approval: String,
    },
    /// Show a topic.
    Show {
        /// The topic.
        id: String,
    },
    /// List the topics.
    List,
}

/// Runs `yiyi topic`.
pub(crate) fn run(
    command: TopicCommand,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    let action = match command {
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
        } => Action::Topic(api::Topic {
            id,
            title,
            summary,
            category,
            sub_item,
            scale,
            source,
            raised_by: raised_by.map(|r| json!({ "who": r })),
            reopens,
        }),
        TopicCommand::Accept { id } => Action::Accept(api::Accept { topic: id }),
        TopicCommand::Decline {
            id,
            citation,
            explanation,
            notice_text,
        } => Action::Decline(api::Decline {
            topic: id,
            citation,
            explanation,
            notice_text,
        }),
        TopicCommand::Refer {
            id,
            mediator,
            details,
        } => Action::Refer(api::Refer {
            topic: id,
            mediator,
            details: details.map(|d| json!({ "details": d })),
        }),
        TopicCommand::Approve { id, approval } => Action::Approve(api::Approve {
            topic: id,
            approval,
        }),
        TopicCommand::Show { id } => {
            output::show(&client.get(&format!("/api/v1/topics/{id}"))?, output);
            return Ok(());
        }
        TopicCommand::List => {
            let list = client.get("/api/v1/topics")?;
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

//! `yiyi catalogue`: the topic catalogue (协商事项目录), the sub-items under
//! each category that topics are filed under.

use clap::{Args, Subcommand};
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::rules::names;

use super::{act, choices};
use crate::client::Client;
use crate::lang::Lang;
use crate::output::{self, Output, text};

/// `yiyi catalogue`.
#[derive(Subcommand)]
pub(crate) enum CatalogueCommand {
    /// Add a sub-item under a category of the topic catalogue (协商事项目录).
    Add(Item),
    /// Withdraw a sub-item.
    Withdraw(Item),
    /// Show the catalogue.
    List,
}

/// A sub-item of the catalogue.
#[derive(Args)]
pub(crate) struct Item {
    /// The category.
    #[arg(long, value_parser = choices(names::category_names()))]
    category: String,
    /// The sub-item, e.g. 为老服务.
    #[arg(long)]
    item: String,
}

/// Runs `yiyi catalogue`.
pub(crate) fn run(
    command: CatalogueCommand,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    let (item, withdrawn) = match command {
        CatalogueCommand::Add(item) => (item, false),
        CatalogueCommand::Withdraw(item) => (item, true),
        CatalogueCommand::List => {
            let list = client.get("/api/v1/catalogue")?;
            output::list(&list, "catalogue", output, |c| {
                vec![text(c, "category"), text(c, "item")]
            });
            return Ok(());
        }
    };
    act(
        client,
        output,
        lang,
        Action::Catalogue(api::Catalogue {
            category: item.category,
            item: item.item,
            withdrawn,
        }),
    )
}

//! `yiyi charter`: admitting, revoking and re-keying child offices (章程):
//! a district its streets, a street its communities.

use clap::Subcommand;
use yiyi_protocol::api::{Action, Charter};

use super::{act, choices};
use crate::client::Client;
use crate::lang::Lang;
use crate::output::{self, Output, text};

/// `yiyi charter`.
#[derive(Subcommand)]
pub(crate) enum CharterCommand {
    /// Admit a child office: a district its streets, a street its communities.
    Admit {
        /// The child's verifier key (name+keyid+base64), as its `yiyi-node init` printed it.
        #[arg(long)]
        key: String,
        /// The child office's name, e.g. 舜玉社区.
        #[arg(long)]
        name: String,
        /// Its level.
        #[arg(long, value_parser = choices(vec!["street", "community"]))]
        level: String,
        /// Where the child's node is reached (libp2p multiaddr); repeat.
        #[arg(long = "address")]
        addresses: Vec<String>,
    },
    /// Revoke a child office's charter: its ledger is no longer accepted.
    Revoke {
        /// The child's verifier key.
        #[arg(long)]
        key: String,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Replace a child office's key.
    Rotate {
        /// The child's verifier key.
        #[arg(long)]
        key: String,
        /// Its new verifier key.
        #[arg(long)]
        new_key: String,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// The offices admitted.
    List,
}

/// Runs `yiyi charter`.
pub(crate) fn run(
    command: CharterCommand,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    let charter = match command {
        CharterCommand::Admit {
            key,
            name,
            level,
            addresses,
        } => Charter {
            charter: "admit".into(),
            key,
            name,
            level,
            addresses,
            ..Charter::default()
        },
        CharterCommand::Revoke { key, reason } => Charter {
            charter: "revoke".into(),
            key,
            reason,
            ..Charter::default()
        },
        CharterCommand::Rotate {
            key,
            new_key,
            reason,
        } => Charter {
            charter: "rotate".into(),
            key,
            new_key,
            reason,
            ..Charter::default()
        },
        CharterCommand::List => {
            let list = client.get("/api/v1/charters")?;
            output::list(&list, "charters", output, |c| {
                let state = if c["revoked"] == true {
                    lang.pick("已撤销", "revoked")
                } else {
                    lang.pick("有效", "admitted")
                };
                vec![
                    text(c, "level"),
                    text(c, "name"),
                    state.to_owned(),
                    text(c, "verifier_key"),
                ]
            });
            return Ok(());
        }
    };
    act(client, output, lang, Action::Charter(charter))
}

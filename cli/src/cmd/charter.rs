//! `yiyi charter`: admitting, revoking and re-keying child offices (章程):
//! a district its streets, a street its communities.

use clap::{Args, Subcommand};
use yiyi_protocol::api::{Action, Charter};

use super::{act, choices};
use crate::client::Client;
use crate::lang::Lang;
use crate::output::{self, Output, text};

/// `yiyi charter`.
#[derive(Subcommand)]
pub(crate) enum CharterCommand {
    /// Admit a child office: a district its streets, a street its communities.
    Admit(AdmitArgs),
    /// Revoke a child office's charter: its ledger is no longer accepted.
    Revoke(RevokeArgs),
    /// Replace a child office's key.
    Rotate(RotateArgs),
    /// The offices admitted.
    List,
}

/// `yiyi charter admit`.
#[derive(Args)]
pub(crate) struct AdmitArgs {
    /// The child's verifier key (name+keyid+base64), as its `yiyi-node init` printed it.
    #[arg(long)]
    key: String,
    /// The child office's name, e.g. 舜玉社区.
    #[arg(long)]
    name: String,
    /// Its level: a district (admitted by a city), a street (by a
    /// district) or a community (by a street).
    #[arg(long, value_parser = choices(vec!["district", "street", "community"]))]
    level: String,
    /// Where the child's node is reached (libp2p multiaddr); repeat.
    #[arg(long = "address")]
    addresses: Vec<String>,
}

impl From<AdmitArgs> for Charter {
    fn from(a: AdmitArgs) -> Self {
        Charter {
            charter: "admit".into(),
            key: a.key,
            name: a.name,
            level: a.level,
            addresses: a.addresses,
            ..Charter::default()
        }
    }
}

/// `yiyi charter revoke`.
#[derive(Args)]
pub(crate) struct RevokeArgs {
    /// The child's verifier key.
    #[arg(long)]
    key: String,
    /// Why.
    #[arg(long, default_value = "")]
    reason: String,
}

impl From<RevokeArgs> for Charter {
    fn from(a: RevokeArgs) -> Self {
        Charter {
            charter: "revoke".into(),
            key: a.key,
            reason: a.reason,
            ..Charter::default()
        }
    }
}

/// `yiyi charter rotate`.
#[derive(Args)]
pub(crate) struct RotateArgs {
    /// The child's verifier key.
    #[arg(long)]
    key: String,
    /// Its new verifier key.
    #[arg(long)]
    new_key: String,
    /// Why.
    #[arg(long, default_value = "")]
    reason: String,
}

impl From<RotateArgs> for Charter {
    fn from(a: RotateArgs) -> Self {
        Charter {
            charter: "rotate".into(),
            key: a.key,
            new_key: a.new_key,
            reason: a.reason,
            ..Charter::default()
        }
    }
}

/// Runs `yiyi charter`.
pub(crate) fn run(
    command: CharterCommand,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    let charter: Charter = match command {
        CharterCommand::Admit(a) => a.into(),
        CharterCommand::Revoke(a) => a.into(),
        CharterCommand::Rotate(a) => a.into(),
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

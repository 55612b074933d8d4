//! `yiyi participant`: the participant list (协商主体清单), the bodies that
//! may take part in a consultation.

use clap::{Args, Subcommand};
use yiyi_protocol::api::{self, Action};
use yiyi_protocol::rules::names;

use super::{act, choices};
use crate::client::Client;
use crate::lang::Lang;
use crate::output::{self, Output, text};

/// `yiyi participant`.
#[derive(Subcommand)]
pub(crate) enum ParticipantCommand {
    /// Add (or update) a body on the participant list (协商主体清单).
    Add(Body),
    /// Withdraw a body from the list.
    Withdraw(Body),
    /// Show the list.
    List,
}

/// A body on the list.
#[derive(Args)]
pub(crate) struct Body {
    /// Its id on the list, e.g. P-party.
    #[arg(long)]
    id: String,
    /// What kind of body it is.
    #[arg(long, value_parser = choices(names::participant_kind_names()))]
    kind: String,
    /// Its name, e.g. 第一社区党委.
    #[arg(long)]
    name: String,
}

/// Runs `yiyi participant`.
pub(crate) fn run(
    command: ParticipantCommand,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    let (body, withdrawn) = match command {
        ParticipantCommand::Add(body) => (body, false),
        ParticipantCommand::Withdraw(body) => (body, true),
        ParticipantCommand::List => {
            let list = client.get("/api/v1/participants")?;
            output::list(&list, "participants", output, |p| {
                vec![text(p, "id"), text(p, "kind"), text(p, "name")]
            });
            return Ok(());
        }
    };
    act(
        client,
        output,
        lang,
        Action::Participant(api::Participant {
            id: body.id,
            kind: body.kind,
            name: body.name,
            withdrawn,
        }),
    )
}

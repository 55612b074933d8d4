//! `yiyi profile`: how the office describes itself (办公室简介) — the name
//! every node, board and bundle names it by, its level, its public address
//! and telephone, and where and how often it holds consultations.

use clap::{Args, Subcommand};
use yiyi_protocol::api::{self, Action};

use super::act;
use crate::client::Client;
use crate::lang::Lang;
use crate::output::{Output, text};

/// `yiyi profile`.
#[derive(Subcommand)]
pub(crate) enum ProfileCommand {
    /// Show the office's profile as its ledger records it.
    Show,
    /// Change it: what is given replaces what it says; the rest stays.
    Set(ProfileArgs),
}

/// What the office says of itself.
#[derive(Args)]
pub(crate) struct ProfileArgs {
    /// The name residents know it by, e.g. 历下区 or 舜玉路社区居委会.
    #[arg(long)]
    name: Option<String>,
    /// The office's street address.
    #[arg(long)]
    address: Option<String>,
    /// The office's public telephone.
    #[arg(long)]
    phone: Option<String>,
    /// Where it regularly holds consultations.
    #[arg(long)]
    meeting_place: Option<String>,
    /// How often, in words, e.g. 每月11日.
    #[arg(long)]
    meeting_rhythm: Option<String>,
}

impl From<ProfileArgs> for api::Profile {
    fn from(a: ProfileArgs) -> api::Profile {
        api::Profile {
            name: a.name,
            address: a.address,
            phone: a.phone,
            meeting_place: a.meeting_place,
            meeting_rhythm: a.meeting_rhythm,
        }
    }
}

/// Runs `yiyi profile`.
pub(crate) fn run(
    command: ProfileCommand,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    match command {
        ProfileCommand::Set(args) => act(client, output, lang, Action::Profile(args.into())),
        ProfileCommand::Show => {
            let profile = client.get("/api/v1/profile")?;
            if output.json {
                println!("{profile}");
                return Ok(());
            }
            let rows = [
                (lang.pick("名称", "name"), "name"),
                (lang.pick("层级", "level"), "level"),
                (lang.pick("地址", "address"), "address"),
                (lang.pick("电话", "phone"), "phone"),
                (lang.pick("议事地点", "meeting place"), "meeting_place"),
                (lang.pick("议事周期", "meeting rhythm"), "meeting_rhythm"),
            ];
            for (label, field) in rows {
                println!("{label}: {}", text(&profile, field));
            }
            Ok(())
        }
    }
}

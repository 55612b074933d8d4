//! One module per command group, each owning its clap commands; the office's
//! groups write [`Action`]s of the HTTP contract and print the [`Answer`]
//! (`yiyi_protocol::api`).
//!
//! [`Answer`]: yiyi_protocol::api::Answer

pub(crate) mod catalogue;
pub(crate) mod charter;
pub(crate) mod demo;
pub(crate) mod escalation;
pub(crate) mod federation;
pub(crate) mod joint;
pub(crate) mod key;
pub(crate) mod meeting;
pub(crate) mod note;
pub(crate) mod notices;
pub(crate) mod oversight;
pub(crate) mod participant;
pub(crate) mod print;
pub(crate) mod profile;
pub(crate) mod report;
pub(crate) mod round;
pub(crate) mod stats;
pub(crate) mod tlog;
pub(crate) mod topic;
pub(crate) mod verify;

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use clap::builder::PossibleValuesParser;
use yiyi_protocol::api::Action;

use crate::client::Client;
use crate::lang::Lang;
use crate::output::{self, Output};

/// Sends an office action and prints what was recorded.
pub(crate) fn act(
    client: &Client,
    output: Output,
    lang: Lang,
    action: Action,
) -> anyhow::Result<()> {
    let answer = client.act(&action)?;
    output::recorded(&answer, output, lang);
    Ok(())
}

/// A value parser that takes one of `names` (a table of
/// `yiyi_protocol::rules::names`) and, for anything else, says which are
/// allowed.
pub(crate) fn choices(names: Vec<&'static str>) -> PossibleValuesParser {
    PossibleValuesParser::new(names)
}

/// A day written `YYYY-MM-DD` (Asia/Shanghai), parsed at the edge.
pub(crate) fn date(text: &str) -> Result<yiyi_protocol::rules::Date, String> {
    yiyi_protocol::rules::Date::parse(text).map_err(|e| e.to_string())
}

/// `?on=YYYY-MM-DD` for a day deadlines are judged on, or nothing.
pub(crate) fn on_query(on: Option<yiyi_protocol::rules::Date>, sep: char) -> String {
    on.map(|d| format!("{sep}on={d}")).unwrap_or_default()
}

/// Reads a file, or standard input when no file is given.
pub(crate) fn read_input(file: Option<&Path>) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    match file {
        Some(path) => {
            bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        }
        None => {
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("reading standard input")?;
        }
    }
    Ok(bytes)
}

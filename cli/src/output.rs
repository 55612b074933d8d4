//! How the office's commands print: the node's JSON with `--json`, else a
//! line in the language of `--lang` saying what was recorded.

use clap::Args;
use serde_json::Value;
use yiyi_protocol::api::Answer;

use crate::lang::Lang;

/// Options of every office command's output.
#[derive(Args, Debug, Clone, Copy)]
pub(crate) struct Output {
    /// Print the node's JSON answer.
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

/// Prints what an action recorded: its id and status, its entry, the
/// escalation it forwarded and the notices it published.
pub(crate) fn recorded(answer: &Answer, output: Output, lang: Lang) {
    if output.json {
        println!("{}", serde_json::to_string(answer).unwrap_or_default());
        return;
    }
    let (id, status, sequence) = (&answer.id, &answer.status, answer.entry.sequence);
    println!(
        "{}",
        match lang {
            Lang::Zh => format!("已记录：{id}（状态：{status}），台账第 {sequence} 条"),
            Lang::En => format!("recorded: {id} (status: {status}), ledger entry {sequence}"),
        }
    );
    if let Some(forwarded) = &answer.forwarded {
        println!(
            "{} {} {}",
            lang.pick("  已转报上级：条目", "  forwarded up: entry"),
            forwarded.sequence,
            forwarded.hash
        );
    }
    for notice in &answer.notices {
        println!(
            "{} {} {}",
            lang.pick("  已公示：条目", "  notice published: entry"),
            notice.sequence,
            notice.hash
        );
    }
}

/// Prints a read as it came (`--json`) or pretty.
pub(crate) fn show(value: &Value, output: Output) {
    if output.json {
        println!("{value}");
    } else {
        println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        );
    }
}

/// Prints a list: as it came with `--json`, else one tab-separated line per
/// item of `value[key]`, with the fields `line` picks.
pub(crate) fn list(value: &Value, key: &str, output: Output, line: impl Fn(&Value) -> Vec<String>) {
    if output.json {
        println!("{value}");
        return;
    }
    for item in value[key].as_array().into_iter().flatten() {
        println!("{}", line(item).join("\t"));
    }
}

/// A string field of an item, empty if missing.
pub(crate) fn text(item: &Value, field: &str) -> String {
    item[field].as_str().unwrap_or_default().to_owned()
}

/// The strings of an item's list field (departments' `handles`, peers'
/// `addresses`), none if missing.
pub(crate) fn texts<'a>(item: &'a Value, field: &str) -> Vec<&'a str> {
    item[field]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

//! `yiyi stats`: an office's figures, or its whole subtree's (统计), as a
//! table, CSV or the JSON export; and `yiyi stats --recompute EXPORT`, which
//! fetches every ledger the export names, checks it against the checkpoint
//! named, computes the figures again (`yiyi_protocol::stats`) and names
//! each one that differs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use yiyi_protocol::stats::Figures;
use yiyi_protocol::stats::export::{self, Export};

use crate::client::Client;
use crate::lang::Lang;
use crate::output::Output;

/// `yiyi stats`'s options.
#[derive(Args, Debug)]
pub(crate) struct StatsArgs {
    /// `own` (this office's ledger) or `subtree` (and every office below).
    #[arg(long, value_parser = ["own", "subtree"])]
    scope: Option<String>,
    /// The first day counted (YYYY-MM-DD).
    #[arg(long, value_parser = super::date)]
    from: Option<yiyi_protocol::rules::Date>,
    /// The last day counted (YYYY-MM-DD).
    #[arg(long, value_parser = super::date)]
    to: Option<yiyi_protocol::rules::Date>,
    /// The rows: office, category, sub-item, class, status or level.
    #[arg(long, value_parser = ["office", "category", "sub-item", "class", "status", "level"])]
    by: Option<String>,
    /// The day overdue is judged on (default: the last day counted, or today).
    #[arg(long, value_parser = super::date)]
    on: Option<yiyi_protocol::rules::Date>,
    /// CSV: a row per group, then the totals, then each office's checkpoint.
    #[arg(long)]
    csv: bool,
    /// Compute an export (`yiyi stats --json > FILE`) again from the ledgers
    /// it names, fetched from the node and checked against its checkpoints.
    #[arg(long, value_name = "EXPORT", conflicts_with_all = ["scope", "from", "to", "by", "on", "csv"])]
    recompute: Option<PathBuf>,
}

/// The columns of a CSV and of the table, in order.
const COLUMNS: [&str; 16] = [
    "raised",
    "accepted",
    "declined",
    "referred",
    "mediated",
    "settled",
    "classified",
    "escalated",
    "resolved",
    "disputes_resolved",
    "evaluated",
    "satisfied",
    "basically_satisfied",
    "dissatisfied",
    "open",
    "overdue",
];

/// The figures in [`COLUMNS`]' order.
fn columns(f: &Figures) -> [u64; 16] {
    [
        f.raised,
        f.accepted,
        f.declined,
        f.referred,
        f.mediated,
        f.settled,
        f.classified,
        f.escalated,
        f.resolved,
        f.disputes_resolved,
        f.evaluated,
        f.satisfied,
        f.basically_satisfied,
        f.dissatisfied,
        f.open,
        f.overdue,
    ]
}

/// Runs `yiyi stats`.
pub(crate) fn run(
    args: StatsArgs,
    client: &Client,
    output: Output,
    lang: Lang,
) -> anyhow::Result<()> {
    if let Some(path) = &args.recompute {
        return recompute(path, client, output, lang);
    }
    let mut query = form_urlencoded::Serializer::new(String::new());
    let day = |d: Option<yiyi_protocol::rules::Date>| d.map(|d| d.to_string());
    for (name, value) in [
        ("scope", args.scope),
        ("from", day(args.from)),
        ("to", day(args.to)),
        ("by", args.by),
        ("on", day(args.on)),
    ] {
        if let Some(value) = value {
            query.append_pair(name, &value);
        }
    }
    let query = query.finish();
    let answer = client.get(&format!("/api/v1/stats?{query}"))?;
    if output.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
        return Ok(());
    }
    let export: Export = serde_json::from_value(answer).context("reading the node's export")?;
    if args.csv {
        print_csv(&export);
    } else {
        print_table(&export, lang);
    }
    Ok(())
}

/// A CSV field, quoted when it must be.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn print_csv(export: &Export) {
    println!("{},log,{}", field(&export.by), COLUMNS.join(","));
    let line = |key: &str, log: &str, f: &Figures| {
        let figures: Vec<String> = columns(f).iter().map(u64::to_string).collect();
        println!("{},{},{}", field(key), log, figures.join(","));
    };
    for row in &export.report.rows {
        line(
            &row.key,
            row.log.as_deref().unwrap_or_default(),
            &row.figures,
        );
    }
    let totals = &export.report.totals;
    line("total", "", &totals.figures);
    println!(
        "# offices {}, bodies {}, meetings {}",
        totals.offices, totals.bodies, totals.meetings
    );
    println!(
        "# matters received {}, taken in {}, dispatched {}, results {}",
        totals.matters_received,
        totals.matters_taken_in,
        totals.matters_dispatched,
        totals.matter_results
    );
    let c = &export.report.case_study;
    println!(
        "# case study: bodies {}, public affairs resolved {}, livelihood resolved {}, disputes resolved {}, all resolved {}",
        c.bodies,
        c.public_affairs_resolved,
        c.livelihood_resolved,
        c.disputes_resolved,
        c.all_resolved
    );
    println!(
        "# period {} to {}, overdue judged on {}",
        export.from.as_deref().unwrap_or("…"),
        export.to.as_deref().unwrap_or("…"),
        export.on
    );
    for office in &export.offices {
        let head: Vec<&str> = office.checkpoint.lines().take(3).collect();
        println!("# {} {}: {}", office.name, office.log, head.join(" "));
    }
    for missing in &export.not_held {
        println!("# not held: {} {}", missing.name, missing.log);
    }
}

fn print_table(export: &Export, lang: Lang) {
    let r = &export.report;
    let heads = lang.pick(
        "提出 受理 办结 化解矛盾 在办 逾期",
        "raised accepted resolved disputes open overdue",
    );
    println!("{:<24} {heads}", "");
    let line = |key: &str, f: &Figures| {
        println!(
            "{key:<24} {} {} {} {} {} {}",
            f.raised, f.accepted, f.resolved, f.disputes_resolved, f.open, f.overdue
        );
    };
    for row in &r.rows {
        line(&row.key, &row.figures);
    }
    line(lang.pick("合计", "total"), &r.totals.figures);
    let c = &r.case_study;
    println!(
        "{}",
        match lang {
            Lang::Zh => format!(
                "协商议事机构 {} 个，协商解决公共事务 {} 件、民生实事 {} 件、突出矛盾 {} 件；会议 {} 次",
                c.bodies,
                c.public_affairs_resolved,
                c.livelihood_resolved,
                c.disputes_resolved,
                r.totals.meetings
            ),
            Lang::En => format!(
                "{} consultation bodies; resolved: {} public affairs, {} livelihood matters, {} disputes; {} meetings",
                c.bodies,
                c.public_affairs_resolved,
                c.livelihood_resolved,
                c.disputes_resolved,
                r.totals.meetings
            ),
        }
    );
    let t = &r.totals;
    println!(
        "{}",
        match lang {
            Lang::Zh => format!(
                "上报事项：签收 {} 件，12345直接受理 {} 件，派单 {} 次，办理结果 {} 件",
                t.matters_received, t.matters_taken_in, t.matters_dispatched, t.matter_results
            ),
            Lang::En => format!(
                "matters: {} received, {} taken in directly, {} dispatches, {} results",
                t.matters_received, t.matters_taken_in, t.matters_dispatched, t.matter_results
            ),
        }
    );
    for office in &export.offices {
        let size = office.checkpoint.lines().nth(1).unwrap_or_default();
        println!("  {} ({}) @ {size}", office.name, office.level);
    }
    for missing in &export.not_held {
        println!("  {} {}", lang.pick("未持有：", "not held:"), missing.name);
    }
}

/// Fetches `log`'s first `size` entries from the node.
fn fetch(client: &Client, log: &str, size: u64) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut entries = Vec::new();
    while (entries.len() as u64) < size {
        let from = entries.len();
        let count = (size - from as u64).min(256);
        let page = client.get(&format!(
            "/api/v1/logs/{log}/entries?from={from}&count={count}"
        ))?;
        let got = page["entries"].as_array().cloned().unwrap_or_default();
        if got.is_empty() {
            bail!("the node holds {from} entries of {log}; the export names {size}");
        }
        for e in got {
            entries.push(hex::decode(e.as_str().unwrap_or_default()).context("an entry's hex")?);
        }
    }
    entries.truncate(size as usize);
    Ok(entries)
}

/// Runs `yiyi stats --recompute EXPORT`: exit status 1 when it differs.
fn recompute(path: &PathBuf, client: &Client, output: Output, lang: Lang) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let export: Export = serde_json::from_str(&text).context("not a statistics export")?;
    let mut replayed = BTreeMap::new();
    for office in &export.offices {
        let size = yiyi_protocol::checkpoint::SignedCheckpoint::parse(&office.checkpoint)
            .with_context(|| format!("{}'s checkpoint", office.name))?
            .size();
        let entries = fetch(client, &office.log, size).with_context(|| office.name.clone())?;
        let (checkpoint, state) = export::replay(office, &entries)?;
        let log = office
            .log
            .parse()
            .map_err(|_| anyhow::anyhow!("{}: not a log key", office.log))?;
        replayed.insert(log, (checkpoint, state));
    }
    let differences = export::recheck(&export, &replayed)?;
    if output.json {
        let listed: Vec<_> = differences
            .iter()
            .map(|d| serde_json::json!({ "figure": d.figure, "exported": d.exported, "recomputed": d.recomputed }))
            .collect();
        println!(
            "{}",
            serde_json::json!({ "agrees": differences.is_empty(), "offices": export.offices.len(), "differences": listed })
        );
    } else if differences.is_empty() {
        println!(
            "{}",
            match lang {
                Lang::Zh => format!(
                    "一致：{} 个办公室的台账按所列检查点重新计算，所有数字相同",
                    export.offices.len()
                ),
                Lang::En => format!(
                    "agrees: recomputed from {} offices' ledgers at the checkpoints named, every figure the same",
                    export.offices.len()
                ),
            }
        );
    }
    if differences.is_empty() {
        return Ok(());
    }
    for d in differences.iter().filter(|_| !output.json) {
        println!(
            "{}",
            match lang {
                Lang::Zh => format!(
                    "不一致：{}：导出为 {}，台账算得 {}",
                    d.figure, d.exported, d.recomputed
                ),
                Lang::En => format!(
                    "differs: {}: the export says {}, the ledgers give {}",
                    d.figure, d.exported, d.recomputed
                ),
            }
        );
    }
    std::process::exit(1);
}

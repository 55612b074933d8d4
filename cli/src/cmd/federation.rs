//! The federation as an office sees it: `yiyi peers`, `yiyi logs` and
//! `yiyi sync status [--wait]`. Reads only; no token needed.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::bail;
use serde_json::Value;

use crate::client::Client;
use crate::lang::Lang;
use crate::output::{self, Output};

fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// Runs `yiyi peers`: the nodes this one is connected to.
pub(crate) fn peers(client: &Client, output: Output, lang: Lang) -> anyhow::Result<()> {
    let answer = client.get("/api/v1/peers")?;
    if output.json {
        print_json(&answer);
        return Ok(());
    }
    let peers = answer["peers"].as_array().cloned().unwrap_or_default();
    println!(
        "{} {}",
        lang.pick("已连接节点：", "connected peers:"),
        peers.len()
    );
    let ours = yiyi_protocol::Release::current();
    for peer in peers {
        let addresses = output::texts(&peer, "addresses");
        let release = peer["version"].as_str();
        let later = release
            .and_then(|r| r.parse::<yiyi_protocol::Release>().ok())
            .is_some_and(|r| r > ours);
        println!(
            "  {}  {}{}  {}",
            peer["peer"].as_str().unwrap_or(""),
            release.map_or_else(
                || lang.pick("版本未知", "version unknown").to_owned(),
                |r| format!("yiyi {r}")
            ),
            if later {
                lang.pick("（较新版本）", " (later release)")
            } else {
                ""
            },
            addresses.join(" ")
        );
    }
    Ok(())
}

fn standing(lang: Lang, member: &Value) -> &'static str {
    if member["frozen"] == true {
        return lang.pick("已冻结（分叉）", "FROZEN (equivocated)");
    }
    match (member["standing"].as_str(), member["chain_stands"] == true) {
        (Some("active"), true) => lang.pick("有效", "active"),
        (Some("revoked"), _) => lang.pick("已撤销", "revoked"),
        (Some("rotated"), _) => lang.pick("已换钥", "rotated"),
        _ => lang.pick("上级已撤销", "parent revoked"),
    }
}

/// Runs `yiyi logs`: every office of the federation and what this node holds
/// of its ledger.
pub(crate) fn logs(client: &Client, output: Output, lang: Lang) -> anyhow::Result<()> {
    let answer = client.get("/api/v1/federation")?;
    if output.json {
        print_json(&answer);
        return Ok(());
    }
    let mut members = answer["members"].as_array().cloned().unwrap_or_default();
    // The district first, then by level and name.
    members.sort_by_key(|m| {
        (
            m["parent"].is_string(),
            m["level"].as_str().unwrap_or("").to_owned(),
            m["name"].as_str().unwrap_or("").to_owned(),
        )
    });
    println!(
        "{} {} {:>8} {:>8} {}  {}",
        pad(lang.pick("机构", "office"), 24),
        pad(lang.pick("层级", "level"), 10),
        lang.pick("已存", "held"),
        lang.pick("已知", "known"),
        pad(lang.pick("较新版本", "later"), 8),
        lang.pick("状态", "standing"),
    );
    let mut newer = 0;
    for m in &members {
        newer += m["newer"].as_u64().unwrap_or(0);
        println!(
            "{} {} {:>8} {:>8} {:>8}  {}",
            pad(m["name"].as_str().unwrap_or(""), 24),
            pad(m["level"].as_str().unwrap_or(""), 10),
            m["size"],
            m["heard"]
                .as_u64()
                .unwrap_or(0)
                .max(m["size"].as_u64().unwrap_or(0)),
            m["newer"].as_u64().unwrap_or(0),
            standing(lang, m),
        );
    }
    if newer > 0 {
        println!(
            "{}",
            lang.pick(
                &format!("{newer} 条记录由较新版本写入：已保存并转发，升级本节点后可读。"),
                &format!("{newer} records were written by a later release: kept and forwarded; upgrade this node to read them."),
            )
        );
    }
    Ok(())
}

/// Pads `text` to `width` terminal columns; Chinese characters take two.
/// `text` padded to `width` terminal cells (CJK characters take two).
pub(crate) fn pad(text: &str, width: usize) -> String {
    let wide = |c: char| {
        matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6)
    };
    let used: usize = text.chars().map(|c| if wide(c) { 2 } else { 1 }).sum();
    format!("{text}{}", " ".repeat(width.saturating_sub(used)))
}

/// A text progress bar of `width` cells.
fn bar(done: u64, total: u64, width: usize) -> String {
    let filled = if total == 0 {
        width
    } else {
        ((done as f64 / total as f64) * width as f64).round() as usize
    };
    format!(
        "[{}{}]",
        "#".repeat(filled.min(width)),
        "-".repeat(width - filled.min(width))
    )
}

/// Runs `yiyi sync status`: how far each followed ledger is held; with
/// `wait`, draws a progress bar until nothing is behind (or `timeout`).
pub(crate) fn status(
    client: &Client,
    output: Output,
    lang: Lang,
    wait: bool,
    timeout: Duration,
) -> anyhow::Result<()> {
    let start = Instant::now();
    let mut answer = client.get("/api/v1/sync")?;
    if wait {
        let mut stderr = std::io::stderr();
        loop {
            let (held, heard) = (
                answer["held"].as_u64().unwrap_or(0),
                answer["heard"].as_u64().unwrap_or(0),
            );
            let _ = write!(
                stderr,
                "\r{} {} {held}/{heard} {}",
                lang.pick("同步", "sync"),
                bar(held, heard, 30),
                lang.pick("条", "entries")
            );
            let _ = stderr.flush();
            if answer["behind"] == 0 && answer["peers"].as_u64().unwrap_or(0) > 0 {
                let _ = writeln!(stderr);
                break;
            }
            if start.elapsed() > timeout {
                let _ = writeln!(stderr);
                bail!(
                    "{} {}",
                    lang.pick("同步未完成，仍差", "sync not done; still behind by"),
                    answer["behind"]
                );
            }
            std::thread::sleep(Duration::from_millis(250));
            answer = client.get("/api/v1/sync")?;
        }
    }
    if output.json {
        print_json(&answer);
        return Ok(());
    }
    println!(
        "{} {}  {} {}/{}",
        lang.pick("连接节点", "peers"),
        answer["peers"],
        lang.pick("已同步", "held"),
        answer["held"],
        answer["heard"]
    );
    for log in answer["logs"].as_array().into_iter().flatten() {
        let name = log["name"]
            .as_str()
            .unwrap_or_else(|| log["log"].as_str().unwrap_or(""));
        let (held, heard) = (
            log["held"].as_u64().unwrap_or(0),
            log["heard"].as_u64().unwrap_or(0),
        );
        let note = if log["frozen"] == true {
            lang.pick("  已冻结", "  frozen")
        } else {
            ""
        };
        println!(
            "  {} {} {held}/{heard}{note}",
            pad(name, 24),
            bar(held, heard, 20)
        );
    }
    Ok(())
}

//! What an office has published and its figures: `yiyi notices` (公示) and
//! `yiyi stats`, the latter with the checkpoint the figures were computed
//! at, so that anyone holding the ledger can check them.

use crate::client::Client;
use crate::output::Output;

/// Runs `yiyi notices`.
pub(crate) fn notices(client: &Client, output: Output) -> anyhow::Result<()> {
    let list = client.get("/api/v1/notices")?;
    if output.json {
        println!("{list}");
        return Ok(());
    }
    for n in list["notices"].as_array().into_iter().flatten() {
        println!(
            "【{}】{}",
            n["date"].as_str().unwrap_or_default(),
            n["title"].as_str().unwrap_or_default()
        );
        println!("{}\n", n["body"].as_str().unwrap_or_default());
    }
    Ok(())
}

/// Runs `yiyi stats`.
pub(crate) fn stats(client: &Client, output: Output, csv: bool) -> anyhow::Result<()> {
    let answer = client.get("/api/v1/stats")?;
    if output.json {
        println!("{answer}");
        return Ok(());
    }
    let stats = &answer["stats"];
    if csv {
        println!("group,key,count");
        for group in [
            "by_category",
            "by_outcome_class",
            "by_meeting_level",
            "by_status",
        ] {
            for (key, count) in stats[group].as_object().into_iter().flatten() {
                println!("{group},{key},{count}");
            }
        }
        println!(
            "median_days_to_completion,,{}",
            stats["median_days_to_completion"]
        );
        // Whose figures (by its profile's name), and the checkpoint they were
        // computed at, so they can be checked.
        println!(
            "# office: {}",
            answer["office"].as_str().unwrap_or_default()
        );
        for line in answer["checkpoint"].as_str().unwrap_or_default().lines() {
            println!("# {line}");
        }
    } else {
        println!(
            "{}",
            serde_json::to_string_pretty(&answer).unwrap_or_default()
        );
    }
    Ok(())
}

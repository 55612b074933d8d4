//! What an office has published: `yiyi notices` (公示).

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

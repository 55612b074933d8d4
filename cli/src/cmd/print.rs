//! `yiyi notice print`: an A4 page in Chinese for the physical notice board
//! (公示栏), checked before it is printed. A QR code opens the online board
//! at the notice (which verifies it in the browser) and names the district
//! key ID to compare; the whole bundle is printed as a text block, so the
//! notice can also be checked offline with `yiyi verify --bundle`.

use std::path::Path;

use anyhow::{Context, bail};
use qrcode::QrCode;
use qrcode::render::svg;
use yiyi_protocol::VerifierKey;
use yiyi_protocol::light::{self, Bundle};

use crate::client::Client;

/// Writes the printable page of notice `hash` to `out`.
pub(crate) fn print(
    client: &Client,
    hash: &str,
    trust: &VerifierKey,
    board: &str,
    out: &Path,
) -> anyhow::Result<()> {
    let text = client.get_text(&format!("/api/v1/notices/{}/bundle", hash.trim()))?;
    let bundle = Bundle::parse(&text).map_err(|f| anyhow::anyhow!("{f}"))?;
    // Only what verifies is printed.
    let verified = light::verify(&bundle, trust, None)
        .map_err(|f| anyhow::anyhow!("the notice does not verify, so it is not printed: {f}"))?;
    let Some(notice) = &verified.notice else {
        bail!("entry {hash} is not a notice");
    };
    let key_id = format!("{:08x}", trust.id());
    let link = format!(
        "{}/?key={key_id}#{}",
        board.trim_end_matches('/'),
        verified.entry.hash.to_hex()
    );
    let qr = QrCode::new(link.as_bytes())
        .context("the board address is too long for a QR code")?
        .render::<svg::Color>()
        .min_dimensions(180, 180)
        .build();
    let date = yiyi_protocol::rules::Date::in_shanghai(verified.entry.entry.time_ms);
    let page = format!(
        include_str!("print.html"),
        title = escape(&notice.title),
        office = escape(&verified.office_name),
        date = date,
        body = escape(&notice.body),
        chain = escape(&verified.chain.join(" ← ")),
        qr = qr,
        link = escape(&link),
        key_id = key_id,
        trust = escape(&trust.to_string()),
        hash = verified.entry.hash.to_hex(),
        sequence = verified.entry.sequence(),
        bundle = escape(&text),
    );
    std::fs::write(out, page).with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

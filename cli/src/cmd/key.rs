//! `yiyi key generate`: a new Ed25519 key in C2SP signed-note form.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use yiyi_protocol::SecretKey;

use crate::lang::Lang;

/// A file name made from a key name (which may hold `/`).
fn default_path(name: &str) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    PathBuf::from(format!("{safe}.key"))
}

/// Writes a new secret key to `out` (mode 0600, never overwriting) and prints
/// its verifier key on standard output.
pub(crate) fn generate(name: &str, out: Option<&Path>, lang: Lang) -> anyhow::Result<()> {
    let key = SecretKey::generate(name)?;
    let path = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| default_path(name));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| {
            format!(
                "{} {}",
                lang.pick("无法创建密钥文件", "cannot create the key file"),
                path.display()
            )
        })?;
    file.write_all(format!("{}\n", key.to_secret_string()).as_bytes())?;
    file.sync_all()?;
    eprintln!(
        "{} {}",
        lang.pick(
            "私钥已写入（仅本人可读）：",
            "secret key written (mode 0600) to"
        ),
        path.display()
    );
    println!("{}", key.verifier());
    Ok(())
}

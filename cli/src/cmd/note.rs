//! `yiyi note sign|verify`: C2SP signed notes.

use std::path::Path;

use anyhow::{Context, bail};
use yiyi_protocol::{SecretKey, SignedNote, VerifierKey};

use crate::lang::Lang;

/// Signs the note text (or adds a signature to an already signed note) and
/// prints the signed note.
pub(crate) fn sign(key_file: &Path, note_file: Option<&Path>, lang: Lang) -> anyhow::Result<()> {
    let secret = std::fs::read_to_string(key_file).with_context(|| {
        format!(
            "{} {}",
            lang.pick("读取密钥文件", "reading key file"),
            key_file.display()
        )
    })?;
    let key = SecretKey::parse(secret.trim()).with_context(|| key_file.display().to_string())?;
    let input = super::read_input(note_file)?;
    let text = String::from_utf8(input).map_err(|_| {
        anyhow::anyhow!(lang.pick("内容不是 UTF-8 文本", "the input is not UTF-8 text"))
    })?;
    let mut note = match SignedNote::parse(&text) {
        Ok(signed) => signed,
        Err(_) => SignedNote::unsigned(&text)?,
    };
    note.add_signature(&key);
    print!("{note}");
    Ok(())
}

/// Verifies a signed note against the given keys; prints its text if a known
/// key's signature verifies.
pub(crate) fn verify(keys: &[String], note_file: Option<&Path>, lang: Lang) -> anyhow::Result<()> {
    if keys.is_empty() {
        bail!(lang.pick(
            "请用 --key 给出至少一个验证公钥",
            "give at least one verifier key with --key"
        ));
    }
    let known = keys
        .iter()
        .map(|k| VerifierKey::parse(k).with_context(|| format!("--key {k}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let input = super::read_input(note_file)?;
    let note = SignedNote::parse_bytes(&input)
        .context(lang.pick("签名文本格式错误", "not a valid signed note"))?;
    note.verify(&known)
        .context(lang.pick("签名验证失败", "signature verification failed"))?;
    print!("{}", note.text());
    Ok(())
}

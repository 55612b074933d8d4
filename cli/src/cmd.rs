//! One module per command group.

pub(crate) mod demo;
pub(crate) mod escalation;
pub(crate) mod federation;
pub(crate) mod key;
pub(crate) mod note;
pub(crate) mod office;
pub(crate) mod print;
pub(crate) mod tlog;
pub(crate) mod verify;

use std::io::Read;
use std::path::Path;

use anyhow::Context;

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

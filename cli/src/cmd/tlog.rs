//! `yiyi tlog ...`: RFC 6962 Merkle tree tools over leaves read from stdin.
//!
//! Input is one leaf per line in hex; an empty line is an empty leaf. Hashes
//! are printed in lower-case hex, one per line.

use anyhow::{Context, bail};
use yiyi_protocol::merkle::{self, Hash, MemoryTree};

use crate::lang::Lang;

/// Reads the leaves from standard input.
fn read_leaves() -> anyhow::Result<MemoryTree> {
    let input = super::read_input(None)?;
    let text = String::from_utf8(input).context("standard input is not text")?;
    let body = text.strip_suffix('\n').unwrap_or(&text);
    let mut tree = MemoryTree::new();
    if text.is_empty() {
        return Ok(tree);
    }
    for (n, line) in body.split('\n').enumerate() {
        let line = line.trim_end_matches('\r').trim();
        let leaf =
            hex::decode(line).with_context(|| format!("line {}: not hex: {line:?}", n + 1))?;
        tree.push_hash(merkle::leaf_hash(&leaf));
    }
    Ok(tree)
}

fn print_hashes(hashes: &[Hash]) {
    for h in hashes {
        println!("{h}");
    }
}

/// Parses a hash given on the command line.
pub(crate) fn parse_hash(text: &str) -> Result<Hash, String> {
    Hash::from_hex(text).map_err(|e| e.to_string())
}

/// `yiyi tlog root`.
pub(crate) fn root() -> anyhow::Result<()> {
    println!("{}", read_leaves()?.root());
    Ok(())
}

/// `yiyi tlog inclusion-proof --index I [--size N]`.
pub(crate) fn inclusion_proof(index: u64, size: Option<u64>) -> anyhow::Result<()> {
    let tree = read_leaves()?;
    let size = size.unwrap_or(tree.size());
    print_hashes(&merkle::inclusion_proof(&tree, index, size).map_err(|e| anyhow::anyhow!("{e}"))?);
    Ok(())
}

/// `yiyi tlog consistency-proof --old-size M [--size N]`.
pub(crate) fn consistency_proof(old_size: u64, size: Option<u64>) -> anyhow::Result<()> {
    let tree = read_leaves()?;
    let size = size.unwrap_or(tree.size());
    print_hashes(
        &merkle::consistency_proof(&tree, old_size, size).map_err(|e| anyhow::anyhow!("{e}"))?,
    );
    Ok(())
}

/// `yiyi tlog verify-inclusion`.
pub(crate) fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    root: &Hash,
    proof: &[Hash],
    lang: Lang,
) -> anyhow::Result<()> {
    if let Err(e) = merkle::verify_inclusion(index, size, leaf, proof, root) {
        bail!(
            "{}: {e}",
            lang.pick("包含证明无效", "the inclusion proof is invalid")
        );
    }
    println!(
        "{}",
        lang.pick("包含证明有效", "the inclusion proof verifies")
    );
    Ok(())
}

/// `yiyi tlog verify-consistency`.
pub(crate) fn verify_consistency(
    old_size: u64,
    old_root: &Hash,
    size: u64,
    root: &Hash,
    proof: &[Hash],
    lang: Lang,
) -> anyhow::Result<()> {
    if let Err(e) = merkle::verify_consistency(old_size, size, old_root, root, proof) {
        bail!(
            "{}: {e}",
            lang.pick("一致性证明无效", "the consistency proof is invalid")
        );
    }
    println!(
        "{}",
        lang.pick("一致性证明有效", "the consistency proof verifies")
    );
    Ok(())
}

//! The resident's commands: `yiyi verify` checks a notice with nothing but
//! the pinned district key (online from any node, or offline from a
//! bundle), and `yiyi notice bundle` writes the bundle to keep or print.
//!
//! The node that serves a bundle is not trusted: every check is made here
//! (`yiyi_protocol::light`). The latest checkpoint seen of each office's
//! ledger is kept (`$YIYI_STATE`, else `~/.cache/yiyi`), and a later bundle
//! must be consistent with it, so that a node cannot show one resident one
//! history and another resident another.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde_json::json;
use yiyi_protocol::light::{self, Bundle, Check, Failure, Older, Verified};
use yiyi_protocol::merkle::Hash;
use yiyi_protocol::policy::Policy;
use yiyi_protocol::{Checkpoint, SignedNote, VerifierKey};

use crate::client::Client;
use crate::lang::Lang;

/// Where the district key comes from: `--trust KEY`, `--trust-file FILE`,
/// or `YIYI_TRUST`.
pub(crate) fn trust_key(
    trust: Option<String>,
    file: Option<PathBuf>,
) -> anyhow::Result<VerifierKey> {
    let text = match (trust, file) {
        (Some(key), _) => key,
        (None, Some(file)) => std::fs::read_to_string(&file)
            .with_context(|| format!("reading the district key from {}", file.display()))?,
        (None, None) => std::env::var("YIYI_TRUST").map_err(|_| {
            anyhow::anyhow!(
                "no district key to trust: give --trust KEY (as printed at the district office), --trust-file FILE, or set YIYI_TRUST"
            )
        })?,
    };
    VerifierKey::parse(text.trim())
        .with_context(|| format!("{:?} is not a verifier key", text.trim()))
}

/// `--policy FILE`: a C2SP tlog-policy, read and parsed (strictly: a line
/// that does not parse is named).
pub(crate) fn policy(file: &Path) -> anyhow::Result<Policy> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    Policy::parse(&text).with_context(|| format!("the policy in {}", file.display()))
}

/// `yiyi notice bundle HASH`: the bundle from the node, as text.
pub(crate) fn bundle(
    client: &Client,
    hash: &str,
    out: Option<&Path>,
    tlog_proof: bool,
) -> anyhow::Result<()> {
    let text = client.get_text(&format!("/api/v1/notices/{}/bundle", hash.trim()))?;
    let bundle = Bundle::parse(&text)
        .map_err(|f| anyhow::anyhow!("the node sent a malformed bundle: {f}"))?;
    // `--tlog-proof`: the notice's own C2SP tlog-proof (its entry as
    // `extra`, its inclusion proof, the cosigned checkpoint), for tools of
    // the transparency ecosystem; without the charter chain, it proves
    // inclusion in the office's ledger, not who the office is.
    let text = if tlog_proof {
        bundle.notice.to_text()
    } else {
        text
    };
    match out {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// `yiyi verify`: online (`hash` from the node) or offline (`bundle_file`).
pub(crate) fn verify(
    client: Option<&Client>,
    hash: Option<&str>,
    bundle_file: Option<&Path>,
    (trust, policy): (&VerifierKey, Option<&Policy>),
    json_output: bool,
    lang: Lang,
) -> anyhow::Result<()> {
    let text = match (bundle_file, hash, client) {
        (Some(file), _, _) => {
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?
        }
        (None, Some(hash), Some(client)) => {
            client.get_text(&format!("/api/v1/notices/{}/bundle", hash.trim()))?
        }
        _ => bail!("give a notice's hash (with --node), or --bundle FILE"),
    };
    let outcome = Bundle::parse(&text).and_then(|bundle| {
        if let Some(hash) = hash
            && light::notice_hash(&bundle.notice.extra).to_hex() != hash.trim().to_lowercase()
        {
            return Err(Failure {
                check: Check::Signature,
                reason: "the node sent another entry than the one asked for".into(),
            });
        }
        let older = older_for(&bundle, client);
        let verified = light::verify(&bundle, trust, older.as_ref())?;
        let witnesses = match policy {
            Some(policy) => Some(light::check_policy(&bundle, policy)?),
            None => None,
        };
        remember(&verified, &bundle);
        Ok((verified, witnesses))
    });
    report(&outcome, (trust, policy.is_some()), json_output, lang);
    match outcome {
        Ok(_) => Ok(()),
        Err(failure) => {
            // Already reported; the exit status says it failed.
            std::process::exit(match failure.check {
                Check::Format => 2,
                _ => 1,
            })
        }
    }
}

/// The directory of checkpoints seen.
fn state_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("YIYI_STATE") {
        return Some(PathBuf::from(dir));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(cache.join("yiyi"))
}

fn seen_path(bundle: &Bundle) -> Option<PathBuf> {
    let entry = yiyi_protocol::entry::verify(&bundle.notice.extra).ok()?;
    Some(
        state_dir()?
            .join("checkpoints")
            .join(hex::encode(entry.author())),
    )
}

/// The checkpoint seen before of the notice's log, with the consistency
/// proof between it and the bundle's (asked of the node when online).
fn older_for(bundle: &Bundle, client: Option<&Client>) -> Option<Older> {
    let seen = std::fs::read_to_string(seen_path(bundle)?).ok()?;
    let size = |note: &str| {
        SignedNote::parse(note)
            .ok()
            .and_then(|n| Checkpoint::parse(n.text()).ok())
            .map(|c| c.size)
    };
    let (old, new) = (size(&seen)?, size(&bundle.notice.checkpoint)?);
    if old == new {
        return Some(Older {
            checkpoint: seen,
            proof: Vec::new(),
        });
    }
    let (small, large) = (old.min(new), old.max(new));
    let log = hex::encode(
        yiyi_protocol::entry::verify(&bundle.notice.extra)
            .ok()?
            .author(),
    );
    // Offline there is no proof to check against: the larger checkpoint is
    // kept and the next online check compares them.
    let answer = client?
        .get(&format!(
            "/api/v1/proofs/consistency?old_size={small}&size={large}&log={log}"
        ))
        .ok()?;
    let proof = answer["proof"]
        .as_array()?
        .iter()
        .map(|h| h.as_str().and_then(|h| Hash::from_hex(h).ok()))
        .collect::<Option<Vec<_>>>()?;
    Some(Older {
        checkpoint: seen,
        proof,
    })
}

/// Keeps the larger of the checkpoint seen and the bundle's.
fn remember(verified: &Verified, bundle: &Bundle) {
    let Some(path) = seen_path(bundle) else {
        return;
    };
    let seen_size = std::fs::read_to_string(&path)
        .ok()
        .and_then(|n| SignedNote::parse(&n).ok())
        .and_then(|n| Checkpoint::parse(n.text()).ok())
        .map(|c| c.size);
    if seen_size.is_none_or(|s| s < verified.checkpoint.size) {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = std::fs::write(&path, &bundle.notice.checkpoint);
    }
}

/// A notice verified, with the policy's witnesses that cosigned it when a
/// policy was checked.
type Outcome = Result<(Verified, Option<Vec<String>>), Failure>;

/// Whether `check` is shown: the consistency check once there was an older
/// checkpoint to compare with, the policy's when there is a policy.
fn shown(check: Check, outcome: &Outcome, with_policy: bool) -> bool {
    let failed = outcome.as_ref().err().map(|f| f.check);
    match check {
        Check::Consistency => {
            outcome.as_ref().is_ok_and(|(v, _)| v.consistency_checked)
                || failed == Some(Check::Consistency)
        }
        Check::Policy => with_policy,
        _ => true,
    }
}

fn report(
    outcome: &Outcome,
    (trust, with_policy): (&VerifierKey, bool),
    json_output: bool,
    lang: Lang,
) {
    let failed = outcome.as_ref().err().map(|f| f.check);
    let passed = |check: Check| match failed {
        None => true,
        Some(f) => {
            Check::ALL.iter().position(|c| *c == check) < Check::ALL.iter().position(|c| *c == f)
        }
    };
    if json_output {
        let checks: Vec<_> = Check::ALL
            .iter()
            .filter(|c| shown(**c, outcome, with_policy))
            .map(|c| json!({"check": c.name(), "ok": passed(*c) && failed != Some(*c)}))
            .collect();
        let value = match outcome {
            Ok((v, witnesses)) => json!({
                "witnesses": witnesses,
                "ok": true,
                "checks": checks,
                "office": v.office_name,
                "chain": v.chain,
                "hash": v.entry.hash.to_hex(),
                "sequence": v.entry.sequence(),
                "checkpoint_size": v.checkpoint.size,
                "cosigned_at": v.cosigned_at,
                "consistency_checked": v.consistency_checked,
                "title": v.notice.as_ref().map(|n| n.title.clone()),
                "body": v.notice.as_ref().map(|n| n.body.clone()),
                "trust": trust.to_string(),
            }),
            Err(f) => json!({
                "ok": false,
                "checks": checks,
                "failed": f.check.name(),
                "reason": f.reason,
                "trust": trust.to_string(),
            }),
        };
        println!("{value}");
        return;
    }
    let name = |c: Check| match lang {
        Lang::Zh => c.zh(),
        Lang::En => c.en(),
    };
    match outcome {
        Ok((v, witnesses)) => {
            if let Some(n) = &v.notice {
                println!("{}\n{}\n", n.title, n.body);
            }
            for check in Check::ALL.iter().skip(1) {
                if *check == Check::Policy {
                    if let Some(names) = witnesses {
                        let colon = lang.pick("：", ": ");
                        println!("  ✓  {}{colon}{}", name(*check), names.join(", "));
                    }
                } else if *check == Check::Consistency && !v.consistency_checked {
                    println!(
                        "  -  {}{}",
                        name(*check),
                        lang.pick(
                            "（首次查看此台账，已记下检查点）",
                            " (first look at this ledger; checkpoint kept)"
                        )
                    );
                } else {
                    println!("  ✓  {}", name(*check));
                }
            }
            println!(
                "\n{} {}（{}）",
                lang.pick("核验通过：", "Verified:"),
                v.chain.join(" ← "),
                lang.pick(
                    &format!(
                        "台账第 {} 条，检查点 {} 条",
                        v.entry.sequence(),
                        v.checkpoint.size
                    ),
                    &format!(
                        "ledger entry {}, checkpoint of {}",
                        v.entry.sequence(),
                        v.checkpoint.size
                    ),
                )
            );
            println!("{} {}", lang.pick("区公钥：", "District key:"), trust);
        }
        Err(f) => {
            for check in Check::ALL.iter().skip(1) {
                if passed(*check) {
                    println!("  ✓  {}", name(*check));
                } else if Some(*check) == failed {
                    println!("  ✗  {}", name(*check));
                    break;
                }
            }
            println!(
                "\n{} {}：{}",
                lang.pick("核验失败 ——", "NOT VERIFIED —"),
                name(f.check),
                f.reason
            );
        }
    }
}

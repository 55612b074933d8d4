//! `yiyi-node`: the daemon an office runs. So far it creates a node's data
//! directory and inspects and checks its ledger store; networking and the
//! HTTP API come next.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use yiyi_node::{Store, keyfile};
use yiyi_protocol::SecretKey;

/// yiyi-node: an office's node of the yiyi (议一议) network.
#[derive(Parser)]
#[command(name = "yiyi-node", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a data directory: the node's key (mode 0600) and its ledger store.
    Init {
        /// The data directory (created if missing; must not hold a node yet).
        #[arg(long)]
        data: PathBuf,
        /// The ledger's origin, which names the office: yiyi/<district>[/<street>[/<community>]].
        #[arg(long, required_unless_present = "key_file")]
        origin: Option<String>,
        /// Use this existing secret key (from `yiyi key generate`) instead of a new one.
        #[arg(long)]
        key_file: Option<PathBuf>,
    },
    /// Show the node's key and the state of every ledger it holds.
    Status {
        /// The data directory.
        #[arg(long)]
        data: PathBuf,
    },
    /// Read every ledger back and check it end to end (signatures, chain, Merkle root).
    Verify {
        /// The data directory.
        #[arg(long)]
        data: PathBuf,
    },
}

/// The key file inside a data directory.
fn key_path(data: &Path) -> PathBuf {
    data.join("node.key")
}

fn store_path(data: &Path) -> PathBuf {
    data.join("ledger")
}

fn open(data: &Path) -> anyhow::Result<(SecretKey, Store)> {
    let key = keyfile::read(&key_path(data)).with_context(|| {
        format!(
            "{} is not a node's data directory (run `yiyi-node init`)",
            data.display()
        )
    })?;
    let store = Store::open(&store_path(data), key.clone())
        .with_context(|| format!("opening the ledger in {}", data.display()))?;
    Ok((key, store))
}

fn init(data: &Path, origin: Option<&str>, key_file: Option<&Path>) -> anyhow::Result<()> {
    if key_path(data).exists() {
        bail!(
            "{} already holds a node (its key is {})",
            data.display(),
            key_path(data).display()
        );
    }
    let key = match (key_file, origin) {
        (Some(file), _) => keyfile::read(file)?,
        (None, Some(origin)) => SecretKey::generate(origin)?,
        (None, None) => bail!("give --origin or --key-file"),
    };
    if let Some(origin) = origin
        && origin != key.name()
    {
        bail!(
            "the key is named {:?}, not {origin:?}: a ledger's key is named after its origin",
            key.name()
        );
    }
    std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
    keyfile::write(&key_path(data), &key)?;
    Store::open(&store_path(data), key.clone())?;
    println!("{}", key.verifier());
    eprintln!(
        "node initialised in {}; back up {} somewhere safe",
        data.display(),
        key_path(data).display()
    );
    Ok(())
}

fn status(data: &Path) -> anyhow::Result<()> {
    let (key, store) = open(data)?;
    println!("key:    {}", key.verifier());
    println!("origin: {}", key.name());
    let own = store.state(&store.own_log())?;
    println!("ledger: {} entries, root {}", own.head.size, own.root);
    for log in store.logs()? {
        if log != store.own_log() {
            let state = store.state(&log)?;
            println!(
                "replica {}: {} entries, root {}",
                hex::encode(log),
                state.head.size,
                state.root
            );
        }
    }
    Ok(())
}

fn verify(data: &Path) -> anyhow::Result<()> {
    let (_, store) = open(data)?;
    let mut logs = store.logs()?;
    if !logs.contains(&store.own_log()) {
        logs.push(store.own_log());
    }
    for log in logs {
        let state = store
            .verify_log(&log)
            .with_context(|| format!("log {}", hex::encode(log)))?;
        println!(
            "{} ok: {} entries, root {}",
            hex::encode(log),
            state.head.size,
            state.root
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Init {
            data,
            origin,
            key_file,
        } => init(data, origin.as_deref(), key_file.as_deref()),
        Command::Status { data } => status(data),
        Command::Verify { data } => verify(data),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

//! `yiyi-node`: the daemon an office runs. It creates a node's data
//! directory (`init`), runs the node (`run`, or `up` in a container:
//! [`yiyi_node::node::Node::spawn`] does the work), and inspects and checks
//! the ledger store (`status`, `verify`). Only the command line is here.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use yiyi_node::LogKey;
use yiyi_node::config::{DataDir, Init, NodeConfig, Settings, parse_level};
use yiyi_node::node::Node;
use yiyi_protocol::proto::Level;

mod staff_cmd;
mod tls_cmd;
mod up;

/// `--version`: the release, the schema and the record kinds it reads.
static LONG_VERSION: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| yiyi_protocol::Release::current().describe());

/// yiyi-node: an office's node of the yiyi (议一议) network.
#[derive(Parser)]
#[command(name = "yiyi-node", version, long_version = LONG_VERSION.as_str(), about)]
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
        /// The office's level: city, district, street or community.
        #[arg(long, value_parser = parse_level, default_value = "community")]
        level: Level,
        /// The office's name, e.g. 甸柳新村街道第一社区.
        #[arg(long)]
        name: Option<String>,
        /// The ledger's origin (default: <public-host>/<name>, else yiyi/<name>), which names its key too.
        #[arg(long)]
        origin: Option<String>,
        /// A host name the office controls (e.g. gongshi.lixia.example): the origin becomes <host>/<name>, which no other federation's ledger shares (docs/FEDERATION.md).
        #[arg(long, conflicts_with = "origin")]
        public_host: Option<String>,
        /// Use this existing secret key (from `yiyi key generate`) instead of a new one.
        #[arg(long)]
        key_file: Option<PathBuf>,
        /// The root's verifier key, pinned: the node accepts the ledgers
        /// whose charter chain leads to it. The district's, or the city's
        /// where a city is the root (`--city` says so); the root pins its
        /// own.
        #[arg(long, alias = "city")]
        district: Option<String>,
    },
    /// Serve the office's API and take part in the federation. Every flag
    /// can also be set in <data>/config.toml; a flag given here wins.
    Run {
        /// The data directory.
        #[arg(long)]
        data: PathBuf,
        #[command(flatten)]
        settings: Settings,
    },
    /// Initialise at first start, then run: for containers. The offices of
    /// one deployment post their verifier keys in a shared directory, where
    /// each finds the district's to pin, its parent's to dial and its
    /// children's to admit by charter.
    Up(Box<up::Up>),
    /// Staff accounts for the office console: add, list, disable, reset.
    #[command(subcommand)]
    Staff(staff_cmd::StaffCommand),
    /// Certificates for HTTPS: a self-signed one to try it on a closed network.
    #[command(subcommand)]
    Tls(tls_cmd::TlsCommand),
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

async fn run(data: &Path, flags: Settings) -> anyhow::Result<()> {
    // Listen for SIGTERM and Ctrl-C before the node says where it is:
    // whoever started it may stop it as soon as it knows, and a signal
    // that came before the handler would kill the node uncleanly.
    let stopped = stop_signals()?;
    let config = NodeConfig::read(DataDir::new(data), flags)?;
    let node = Node::spawn(config).await?;
    // The first line on stdout says where the API is, the next ones where
    // peers reach the node (useful with port 0). Whoever started the node
    // may stop reading after the line it needs: a closed stdout is no
    // reason to stop serving.
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        if let Some(api) = node.api() {
            let scheme = if node.https() { "https" } else { "http" };
            let _ = writeln!(out, "api {scheme}://{api}");
        }
        for address in node.dial_addresses() {
            let _ = writeln!(out, "p2p {address}");
        }
        let _ = out.flush();
    }
    let stop = node.stopper();
    tokio::spawn(async move {
        stopped.await;
        stop.cancel();
    });
    node.join().await?;
    tracing::info!("stopped");
    Ok(())
}

/// Registers for SIGTERM and SIGINT (Ctrl-C) now, and returns what
/// resolves when either comes.
fn stop_signals() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}

fn init(data: &Path, init: Init) -> anyhow::Result<()> {
    let key = DataDir::new(data).init(init)?;
    println!("{}", key.verifier());
    eprintln!(
        "node initialised in {}; back up {} somewhere safe",
        data.display(),
        DataDir::new(data).key().display()
    );
    Ok(())
}

fn status(data: &Path) -> anyhow::Result<()> {
    let (key, store) = DataDir::new(data).open()?;
    println!("key:    {}", key.verifier());
    println!("origin: {}", key.name());
    let own = store.state(&store.own_log())?;
    println!("ledger: {} entries, root {}", own.head.size, own.root);
    let newer = store.newer_records(None)?;
    let later = |log: &LogKey| match newer.iter().filter(|r| r.log == *log).count() {
        0 => String::new(),
        n => format!(", {n} of a later release (kept unread)"),
    };
    for log in store.logs()? {
        if log != store.own_log() {
            let state = store.state(&log)?;
            println!(
                "replica {}: {} entries{}, root {}",
                log,
                state.head.size,
                later(&log),
                state.root
            );
        }
    }
    println!(
        "records of a later release: {} (this is {}; upgrade to read them)",
        newer.len(),
        yiyi_protocol::Release::current()
    );
    Ok(())
}

fn verify(data: &Path) -> anyhow::Result<()> {
    let (_, store) = DataDir::new(data).open()?;
    let mut logs = store.logs()?;
    if !logs.contains(&store.own_log()) {
        logs.push(store.own_log());
    }
    for log in logs {
        let state = store
            .verify_log(&log)
            .with_context(|| format!("log {}", log))?;
        println!(
            "{} ok: {} entries, root {}",
            log, state.head.size, state.root
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Structured logs on stderr; RUST_LOG overrides the level (e.g.
    // RUST_LOG=yiyi_node=debug).
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,libp2p=warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let result = match &cli.command {
        Command::Init {
            data,
            level,
            name,
            origin,
            public_host,
            key_file,
            district,
        } => init(
            data,
            Init {
                level: *level,
                name: name.clone(),
                origin: origin.clone(),
                public_host: public_host.clone(),
                key_file: key_file.clone(),
                district: district.clone(),
            },
        ),
        Command::Run { data, settings } => tokio::runtime::Runtime::new()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(run(data, settings.clone()))),
        Command::Up(up) => tokio::runtime::Runtime::new()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(up.as_ref().clone().run())),
        Command::Staff(command) => staff_cmd::run(command),
        Command::Tls(command) => tls_cmd::run(command),
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

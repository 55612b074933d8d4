//! `yiyi-node`: the daemon an office runs: it creates a node's data
//! directory, serves the office's HTTP API over its ledger, and inspects and
//! checks the ledger store, and takes part in the federation over libp2p.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use yiyi_node::{Store, keyfile};
use yiyi_protocol::SecretKey;

mod up;

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
        /// The office's level.
        #[arg(long, value_enum, default_value = "community")]
        level: Level,
        /// The office's name, e.g. 甸柳新村街道第一社区.
        #[arg(long)]
        name: Option<String>,
        /// The ledger's origin (default: yiyi/<name>), which names its key too.
        #[arg(long)]
        origin: Option<String>,
        /// Use this existing secret key (from `yiyi key generate`) instead of a new one.
        #[arg(long)]
        key_file: Option<PathBuf>,
        /// The district's verifier key, pinned: the node accepts the ledgers
        /// whose charter chain leads to it (a district node pins its own).
        #[arg(long)]
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
    Up(up::Up),
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

/// An office's level.
#[derive(Clone, Copy, Debug, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Level {
    District,
    Street,
    Community,
}

/// What `init` records about the office, in `<data>/config.toml`, and the
/// `run` settings an office may keep there.
#[derive(serde::Serialize)]
struct Config {
    name: String,
    level: Level,
    origin: String,
    #[serde(flatten)]
    settings: Settings,
}

/// How the node runs: the flags of `run`, and the same keys in config.toml.
#[derive(clap::Args, serde::Serialize, serde::Deserialize, Default, Clone)]
#[serde(default, deny_unknown_fields)]
struct Settings {
    /// Where the HTTP API listens [default: 127.0.0.1:8111].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    api: Option<std::net::SocketAddr>,
    /// Where libp2p listens (repeat for several) [default: /ip4/0.0.0.0/tcp/4111].
    #[arg(long)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    listen: Vec<libp2p::Multiaddr>,
    /// A peer to connect to, e.g. /ip4/10.0.0.2/tcp/4111/p2p/12D3... (repeat).
    #[arg(long = "peer")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    peers: Vec<libp2p::Multiaddr>,
    /// The district's verifier key, pinned (see `init --district`).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    district: Option<String>,
    /// Also replicate this office's ledger, charter or not: its verifier key
    /// or hex log key (repeat).
    #[arg(long = "follow")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    follow: Vec<String>,
    /// Replicate every log heard of on the network (an archive node).
    #[arg(long)]
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    archive: bool,
    /// Requests each peer may make per second before the rest are answered empty [default: 500].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    requests_per_second: Option<u32>,
}

impl Settings {
    /// These settings, with `file`'s where these have none.
    fn or(self, file: Settings) -> Settings {
        fn pick<T>(flag: Vec<T>, file: Vec<T>) -> Vec<T> {
            if flag.is_empty() { file } else { flag }
        }
        Settings {
            api: self.api.or(file.api),
            listen: pick(self.listen, file.listen),
            peers: pick(self.peers, file.peers),
            district: self.district.or(file.district),
            follow: pick(self.follow, file.follow),
            archive: self.archive || file.archive,
            requests_per_second: self.requests_per_second.or(file.requests_per_second),
        }
    }
}

/// Reads `<data>/config.toml`; a key that is neither the office's nor a
/// setting is an error (a typo would otherwise be silently ignored).
fn read_config(data: &Path) -> anyhow::Result<Config> {
    let path = config_path(data);
    let context = || format!("reading {}", path.display());
    let mut table: toml::Table =
        toml::from_str(&std::fs::read_to_string(&path).with_context(context)?)
            .with_context(context)?;
    let mut office = toml::Table::new();
    for key in ["name", "level", "origin"] {
        if let Some(value) = table.remove(key) {
            office.insert(key.into(), value);
        }
    }
    let settings: Settings = toml::Value::Table(table).try_into().with_context(context)?;
    #[derive(serde::Deserialize)]
    struct Office {
        name: String,
        level: Level,
        origin: String,
    }
    let office: Office = toml::Value::Table(office)
        .try_into()
        .with_context(context)?;
    Ok(Config {
        name: office.name,
        level: office.level,
        origin: office.origin,
        settings,
    })
}

fn config_path(data: &Path) -> PathBuf {
    data.join("config.toml")
}

fn token_path(data: &Path) -> PathBuf {
    data.join("api.token")
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

fn init(
    data: &Path,
    level: Level,
    name: Option<&str>,
    origin: Option<&str>,
    key_file: Option<&Path>,
    district: Option<&str>,
) -> anyhow::Result<()> {
    if let Some(district) = district {
        yiyi_protocol::VerifierKey::parse(district)
            .with_context(|| format!("--district {district:?} is not a verifier key"))?;
    }
    if key_path(data).exists() {
        bail!(
            "{} already holds a node (its key is {})",
            data.display(),
            key_path(data).display()
        );
    }
    let default_origin = name.map(|n| format!("yiyi/{n}"));
    let origin = origin.or(default_origin.as_deref());
    let key = match (key_file, origin) {
        (Some(file), _) => keyfile::read(file)?,
        (None, Some(origin)) => SecretKey::generate(origin)?,
        (None, None) => bail!("give --name (or --origin, or --key-file)"),
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
    let config = Config {
        name: name.unwrap_or(key.name()).to_owned(),
        level,
        origin: key.name().to_owned(),
        settings: Settings {
            district: district.map(str::to_owned),
            ..Settings::default()
        },
    };
    std::fs::write(config_path(data), toml::to_string(&config)?)?;
    let token = hex::encode(yiyi_protocol::commitment::salt()?);
    write_private(&token_path(data), &token)?;
    Store::open(&store_path(data), key.clone())?;
    println!("{}", key.verifier());
    eprintln!(
        "node initialised in {}; back up {} somewhere safe",
        data.display(),
        key_path(data).display()
    );
    Ok(())
}

/// A log key from a verifier key (`name+id+base64`) or 64 hex digits.
/// Writes a new file readable only by its owner.
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

async fn run(data: &Path, flags: Settings) -> anyhow::Result<()> {
    let (key, store) = open(data)?;
    let config = read_config(data)?;
    let settings = flags.or(config.settings);
    let token = std::fs::read_to_string(token_path(data))
        .with_context(|| format!("reading {}", token_path(data).display()))?;
    let private = yiyi_node::private::PrivateStore::open(&data.join("private"))?;

    // A pinned district is named by its key until a ledger says more; a node
    // at the top of its own tree knows its name from its configuration.
    let (district, district_name) = match &settings.district {
        Some(text) => {
            let key = yiyi_protocol::VerifierKey::parse(text)
                .with_context(|| format!("the district key {text:?} is not a verifier key"))?;
            let name = key.name().to_owned();
            (key, name)
        }
        None => (key.verifier(), config.name.clone()),
    };
    let follow = settings
        .follow
        .iter()
        .map(|text| yiyi_node::parse_log_key(text).map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let members = yiyi_node::federation::Members::load(
        &store,
        district.clone(),
        &district_name,
        follow,
        settings.archive,
    )?;
    let witness = std::sync::Arc::new(yiyi_node::witness::Witness::new(
        store.clone(),
        members.clone(),
        key.clone(),
    ));
    let net_config = yiyi_node::net::NetConfig {
        listen: if settings.listen.is_empty() {
            vec!["/ip4/0.0.0.0/tcp/4111".parse()?]
        } else {
            settings.listen.clone()
        },
        peers: settings.peers.clone(),
        requests_per_second: settings.requests_per_second.unwrap_or(500),
        ..Default::default()
    };
    let office = std::sync::Arc::new(
        yiyi_node::office::Office::open(store.clone(), private)?.follow_charters(members.clone()),
    );
    tokio::spawn(office.clone().keep_reconciled());
    let network = yiyi_node::net::spawn(
        &key,
        store,
        members.clone(),
        witness.clone(),
        Some(office.clone()),
        net_config,
    )
    .await?;
    let level = match config.level {
        Level::District => "district",
        Level::Street => "street",
        Level::Community => "community",
    };
    let state = std::sync::Arc::new(yiyi_node::api::ApiState {
        office,
        token: token.trim().to_owned(),
        name: config.name,
        level: level.into(),
        members,
        witness,
        net: network.status.clone(),
        courses: Default::default(),
        limiter: yiyi_node::api::limits::Limiter::new(Default::default()),
    });
    let api = settings
        .api
        .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 8111)));
    let listener = tokio::net::TcpListener::bind(api)
        .await
        .with_context(|| format!("listening on {api}"))?;
    // The first line on stdout says where the API is, the next ones where
    // peers reach the node (useful with port 0). Whoever started the node
    // may stop reading after the line it needs: a closed stdout is no
    // reason to stop serving.
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "api http://{}", listener.local_addr()?);
        for address in &network.listening {
            let _ = writeln!(out, "p2p {address}/p2p/{}", network.peer_id);
        }
        let _ = out.flush();
    }
    tracing::info!(
        name = state.name,
        level,
        district = %district,
        api = %listener.local_addr()?,
        "serving"
    );
    yiyi_node::api::serve(listener, state, shutdown()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let terminated = async {
        match term.as_mut() {
            Some(term) => {
                term.recv().await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminated => {}
    }
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
            key_file,
            district,
        } => init(
            data,
            *level,
            name.as_deref(),
            origin.as_deref(),
            key_file.as_deref(),
            district.as_deref(),
        ),
        Command::Run { data, settings } => tokio::runtime::Runtime::new()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(run(data, settings.clone()))),
        Command::Up(up) => tokio::runtime::Runtime::new()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(up.clone().run())),
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

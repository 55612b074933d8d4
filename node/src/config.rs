//! The node's configuration (配置): the layout of its data directory, the
//! office it is (name, level, origin: written by `init` to `config.toml`),
//! and how it runs (the flags of `run`, which `config.toml` may also hold).
//!
//! Raw settings (flags and file) are checked once here and become a
//! [`NodeConfig`], which is what [`crate::node::Node::spawn`] takes.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use libp2p::Multiaddr;
use yiyi_protocol::proto::Level;
use yiyi_protocol::rules::deadlines::{Deadlines, MAX_DEADLINE_DAYS};
use yiyi_protocol::rules::names;
use yiyi_protocol::witness::WitnessEndpoint;
use yiyi_protocol::{SecretKey, VerifierKey};

use crate::keyfile::{self, KeyFileError};
use crate::net::NetConfig;
use crate::store::{LogKey, Store, StoreError};

/// Why a node's configuration could not be read, written or used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// `config.toml` is not what a node writes or reads.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The directory holds no node.
    #[error("{0} is not a node's data directory (run `yiyi-node init`): {1}")]
    NotANode(PathBuf, KeyFileError),
    /// `init` on a directory that already holds a node.
    #[error("{0} already holds a node (its key is {1})")]
    AlreadyANode(PathBuf, PathBuf),
    /// The key file could not be written.
    #[error(transparent)]
    Key(#[from] KeyFileError),
    /// The ledger store could not be opened.
    #[error("opening the ledger in {0}: {1}")]
    Store(PathBuf, StoreError),
    /// A setting is not valid.
    #[error("{0}")]
    Invalid(String),
}

/// An office's level, as flags and `config.toml` name it: `city` (the
/// optional root above the districts), `district`, `street` or `community`.
pub fn parse_level(text: &str) -> Result<Level, String> {
    match names::level(text).map(Level::try_from) {
        Ok(Ok(level @ (Level::City | Level::District | Level::Street | Level::Community))) => {
            Ok(level)
        }
        _ => Err(format!(
            "{text:?} is not an office's level: city, district, street or community"
        )),
    }
}

/// `serde(with)` for a [`Level`] by its name.
mod level_name {
    use serde::{Deserialize, Deserializer, Serializer};
    use yiyi_protocol::proto::Level;

    pub(super) fn serialize<S: Serializer>(level: &Level, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(yiyi_protocol::rules::names::level_name(*level as i32))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Level, D::Error> {
        super::parse_level(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A node's data directory and the files in it.
#[derive(Clone, Debug)]
pub struct DataDir(PathBuf);

impl DataDir {
    /// The data directory at `path` (which may not exist yet).
    pub fn new(path: impl Into<PathBuf>) -> DataDir {
        DataDir(path.into())
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The node's secret key (mode 0600).
    pub fn key(&self) -> PathBuf {
        self.0.join("node.key")
    }

    /// The office and its settings.
    pub fn config(&self) -> PathBuf {
        self.0.join("config.toml")
    }

    /// The API token for scripts and the CLI (mode 0600).
    pub fn token(&self) -> PathBuf {
        self.0.join("api.token")
    }

    /// The ledger store (sled).
    pub fn ledger(&self) -> PathBuf {
        self.0.join("ledger")
    }

    /// The private store: data that never leaves the node.
    pub fn private(&self) -> PathBuf {
        self.0.join("private")
    }

    /// Whether a node was initialised here.
    pub fn holds_a_node(&self) -> bool {
        self.key().exists()
    }

    /// The node's key.
    pub fn read_key(&self) -> Result<SecretKey, ConfigError> {
        keyfile::read(&self.key()).map_err(|e| ConfigError::NotANode(self.0.clone(), e))
    }

    /// The node's key and its ledger store.
    pub fn open(&self) -> Result<(SecretKey, Store), ConfigError> {
        self.open_with_cache(None)
    }

    /// As [`DataDir::open`], with sled's page cache of this many bytes.
    pub fn open_with_cache(&self, cache: Option<u64>) -> Result<(SecretKey, Store), ConfigError> {
        let key = self.read_key()?;
        let store = match cache {
            Some(bytes) => Store::open_with_cache(&self.ledger(), key.clone(), bytes),
            None => Store::open(&self.ledger(), key.clone()),
        }
        .map_err(|e| ConfigError::Store(self.0.clone(), e))?;
        Ok((key, store))
    }

    /// The API token.
    pub fn read_token(&self) -> Result<String, ConfigError> {
        let path = self.token();
        std::fs::read_to_string(&path)
            .map(|t| t.trim().to_owned())
            .map_err(|source| ConfigError::Io { path, source })
    }

    /// Reads `config.toml`; a key that is neither the office's nor a setting
    /// is an error (a typo would otherwise be silently ignored).
    pub fn read_config(&self) -> Result<OfficeConfig, ConfigError> {
        let path = self.config();
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Io {
            path: path.clone(),
            source,
        })?;
        let file = |message: String| ConfigError::File {
            path: path.clone(),
            message,
        };
        let mut table: toml::Table = toml::from_str(&text).map_err(|e| file(e.to_string()))?;
        let mut office = toml::Table::new();
        for key in ["name", "level", "origin"] {
            if let Some(value) = table.remove(key) {
                office.insert(key.into(), value);
            }
        }
        let settings: Settings = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| file(e.to_string()))?;
        #[derive(serde::Deserialize)]
        struct Office {
            name: String,
            #[serde(with = "level_name")]
            level: Level,
            origin: String,
        }
        let office: Office = toml::Value::Table(office)
            .try_into()
            .map_err(|e: toml::de::Error| file(e.to_string()))?;
        Ok(OfficeConfig {
            name: office.name,
            level: office.level,
            origin: office.origin,
            settings,
        })
    }

    /// Creates a node here: its key (mode 0600), `config.toml`, the API
    /// token (mode 0600) and the ledger store. Returns the node's key.
    pub fn init(&self, init: Init) -> Result<SecretKey, ConfigError> {
        if let Some(district) = &init.district {
            VerifierKey::parse(district).map_err(|e| {
                ConfigError::Invalid(format!(
                    "--district {district:?} is not a verifier key: {e}"
                ))
            })?;
        }
        if self.holds_a_node() {
            return Err(ConfigError::AlreadyANode(self.0.clone(), self.key()));
        }
        let default_origin = match (&init.public_host, &init.name) {
            (Some(host), Some(name)) => Some(
                yiyi_protocol::keys::public_origin(host, name)
                    .map_err(|e| ConfigError::Invalid(e.to_string()))?,
            ),
            (None, Some(name)) => Some(format!("yiyi/{name}")),
            (_, None) => None,
        };
        let origin = init.origin.or(default_origin);
        let key = match (&init.key_file, &origin) {
            (Some(file), _) => keyfile::read(file)?,
            (None, Some(origin)) => SecretKey::generate(origin)
                .map_err(|e| ConfigError::Invalid(format!("origin {origin:?}: {e}")))?,
            (None, None) => {
                return Err(ConfigError::Invalid(
                    "give --name (or --origin, or --key-file)".into(),
                ));
            }
        };
        if let Some(origin) = &origin
            && origin != key.name()
        {
            return Err(ConfigError::Invalid(format!(
                "the key is named {:?}, not {origin:?}: a ledger's key is named after its origin",
                key.name()
            )));
        }
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| ConfigError::Io { path, source }
        };
        std::fs::create_dir_all(&self.0).map_err(io(&self.0))?;
        keyfile::write(&self.key(), &key)?;
        let config = OfficeConfig {
            name: init.name.unwrap_or_else(|| key.name().to_owned()),
            level: init.level,
            origin: key.name().to_owned(),
            settings: Settings {
                district: init.district,
                ..Settings::default()
            },
        };
        let text = toml::to_string(&config).map_err(|e| ConfigError::File {
            path: self.config(),
            message: e.to_string(),
        })?;
        std::fs::write(self.config(), text).map_err(io(&self.config()))?;
        let token = hex::encode(
            yiyi_protocol::commitment::salt()
                .map_err(|e| ConfigError::Invalid(format!("no randomness for the token: {e}")))?,
        );
        write_private(&self.token(), &token)?;
        Store::open(&self.ledger(), key.clone())
            .map_err(|e| ConfigError::Store(self.0.clone(), e))?;
        Ok(key)
    }
}

/// Writes a new file readable only by its owner.
pub(crate) fn write_private(path: &Path, text: &str) -> Result<(), ConfigError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let io = |source| ConfigError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}

/// What `init` is given.
#[derive(Clone, Debug)]
pub struct Init {
    /// The office's level.
    pub level: Level,
    /// The office's name, e.g. 甸柳新村街道第一社区.
    pub name: Option<String>,
    /// The ledger's origin (default: `<public_host>/<name>`, else
    /// `yiyi/<name>`).
    pub origin: Option<String>,
    /// A host the office controls, to name the origin under.
    pub public_host: Option<String>,
    /// An existing secret key to use instead of a new one.
    pub key_file: Option<PathBuf>,
    /// The district's verifier key, pinned.
    pub district: Option<String>,
}

/// What `init` records about the office in `config.toml`, with the `run`
/// settings an office may keep there.
#[derive(serde::Serialize, Debug, Clone)]
pub struct OfficeConfig {
    /// The office's name.
    pub name: String,
    /// Its level.
    #[serde(with = "level_name")]
    pub level: Level,
    /// Its ledger's origin.
    pub origin: String,
    /// How it runs.
    #[serde(flatten)]
    pub settings: Settings,
}

/// How the node runs: the flags of `run`, and the same keys in config.toml.
#[derive(clap::Args, serde::Serialize, serde::Deserialize, Default, Clone, Debug)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where the HTTP API listens [default: 127.0.0.1:8111].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<SocketAddr>,
    /// Where libp2p listens (repeat for several) [default: /ip4/0.0.0.0/tcp/4111].
    #[arg(long)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub listen: Vec<Multiaddr>,
    /// A peer to connect to, e.g. /ip4/10.0.0.2/tcp/4111/p2p/12D3... (repeat).
    #[arg(long = "peer")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<Multiaddr>,
    /// The root's verifier key, pinned (see `init --district`; `--city`
    /// says the same).
    #[arg(long, alias = "city")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// Also replicate this office's ledger, charter or not: its verifier key
    /// or hex log key (repeat).
    #[arg(long = "follow")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub follow: Vec<String>,
    /// Replicate every log heard of on the network (an archive node).
    #[arg(long)]
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub archive: bool,
    /// Requests each peer may make per second before the rest are answered empty [default: 500].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests_per_second: Option<u32>,
    /// Serve HTTPS with this certificate (PEM, the chain after it); needs --tls-key.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
    /// With HTTPS: also listen here for plain HTTP that only redirects to HTTPS.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_redirect: Option<SocketAddr>,
    /// Let staff sign in over plain HTTP from other machines: only for a
    /// closed network, where nobody can read the traffic.
    #[arg(long)]
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub allow_insecure_login: bool,
    /// An outside witness to submit the ledger's checkpoints to, as
    /// "name cosigner-vkey url [per-day]" (repeat; C2SP tlog-witness).
    #[arg(long = "witness")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub witness: Vec<WitnessEndpoint>,
    /// Cosign this log's checkpoints as its outside witness: the log's
    /// verifier key (repeat).
    #[arg(long = "witness-for")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub witness_for: Vec<String>,
    /// The office's time limits: `[deadlines]` in config.toml only.
    #[arg(skip)]
    #[serde(skip_serializing_if = "DeadlineSettings::is_empty")]
    pub deadlines: DeadlineSettings,
}

/// The office's time limits (办理时限) in days, `[deadlines]` in
/// config.toml; each left out keeps its level's default
/// (docs/ACCOUNTABILITY.md). When they differ from what the ledger says,
/// the node records them at start, so that others judge by them too.
#[derive(serde::Serialize, serde::Deserialize, Default, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DeadlineSettings {
    /// An immediate item (即办件), from its classification [default: 7].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub immediate_days: Option<u32>,
    /// A suggestion (建议件) not yet sent up [default: 3].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion_days: Option<u32>,
    /// A matter escalated here, until this office decides [default: a
    /// street 15, a district or city 30].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_days: Option<u32>,
    /// A matter this office dispatched, until the departments' results
    /// [default: 30].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_days: Option<u32>,
    /// An individual dispute in mediation [default: 30].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mediation_days: Option<u32>,
}

impl DeadlineSettings {
    fn is_empty(&self) -> bool {
        *self == DeadlineSettings::default()
    }

    /// The limits these settings give an office of `level`, checked as the
    /// rules will check their record.
    pub fn limits(&self, level: Level) -> Result<Deadlines, ConfigError> {
        let defaults = Deadlines::defaults(level);
        let limits = Deadlines {
            immediate_days: self.immediate_days.unwrap_or(defaults.immediate_days),
            suggestion_days: self.suggestion_days.unwrap_or(defaults.suggestion_days),
            decision_days: self.decision_days.unwrap_or(defaults.decision_days),
            department_days: self.department_days.unwrap_or(defaults.department_days),
            mediation_days: self.mediation_days.unwrap_or(defaults.mediation_days),
        };
        for (name, days) in limits.named() {
            if days == 0 || days > MAX_DEADLINE_DAYS {
                return Err(ConfigError::Invalid(format!(
                    "[deadlines] {name} = {days}: a limit is 1 to {MAX_DEADLINE_DAYS} days"
                )));
            }
        }
        Ok(limits)
    }
}

impl Settings {
    /// These settings, with `file`'s where these have none.
    pub fn or(self, file: Settings) -> Settings {
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
            tls_cert: self.tls_cert.or(file.tls_cert),
            tls_key: self.tls_key.or(file.tls_key),
            http_redirect: self.http_redirect.or(file.http_redirect),
            allow_insecure_login: self.allow_insecure_login || file.allow_insecure_login,
            witness: pick(self.witness, file.witness),
            witness_for: pick(self.witness_for, file.witness_for),
            // Set in config.toml alone.
            deadlines: file.deadlines,
        }
    }
}

/// Everything a node needs to start, checked: what
/// [`crate::node::Node::spawn`] takes.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// The data directory (initialised).
    pub data: DataDir,
    /// The office's name.
    pub name: String,
    /// Its level.
    pub level: Level,
    /// Where the HTTP API listens; `None`: no API (a bare replica, as in the
    /// network benchmark).
    pub api: Option<SocketAddr>,
    /// The network's settings.
    pub net: NetConfig,
    /// The pinned district (`None`: this node is the top of its tree).
    pub district: Option<VerifierKey>,
    /// Logs followed charter or not.
    pub follow: Vec<LogKey>,
    /// Whether to follow every log heard of.
    pub archive: bool,
    /// sled's page cache, in bytes (`None`: sled's default).
    pub cache_bytes: Option<u64>,
    /// How the API is served: HTTPS or plain, and who may sign in.
    pub http: HttpConfig,
    /// The office's time limits, recorded at start when the ledger says
    /// otherwise.
    pub deadlines: Deadlines,
    /// Witnessing beyond the parent: outside witnesses, and logs this node
    /// witnesses from outside.
    pub witnessing: Witnessing,
}

/// Witnessing beyond the federation's own (parent cosigns child).
#[derive(Clone, Debug, Default)]
pub struct Witnessing {
    /// Outside witnesses the node submits its checkpoints to.
    pub outside: Vec<WitnessEndpoint>,
    /// Logs whose checkpoints this node cosigns as an outside witness.
    pub logs: Vec<VerifierKey>,
}

/// How the API, the board and the console are served.
#[derive(Clone, Debug, Default)]
pub struct HttpConfig {
    /// HTTPS with these files; `None`: plain HTTP.
    pub tls: Option<crate::tls::TlsFiles>,
    /// With HTTPS, a plain-HTTP listener that only redirects to it.
    pub redirect: Option<SocketAddr>,
    /// Staff may sign in over plain HTTP from other machines.
    pub allow_insecure_login: bool,
}

impl NodeConfig {
    /// The configuration of the node in `data`: `config.toml`, with
    /// `flags` taking precedence.
    pub fn read(data: DataDir, flags: Settings) -> Result<NodeConfig, ConfigError> {
        let mut office = data.read_config()?;
        // Paths in config.toml are the data directory's; on the command
        // line, the working directory's.
        for path in [&mut office.settings.tls_cert, &mut office.settings.tls_key] {
            *path = path.take().map(|p| data.path().join(p));
        }
        let settings = flags.or(office.settings);
        let district = settings
            .district
            .as_deref()
            .map(|text| {
                VerifierKey::parse(text).map_err(|e| {
                    ConfigError::Invalid(format!(
                        "the district key {text:?} is not a verifier key: {e}"
                    ))
                })
            })
            .transpose()?;
        let follow = settings
            .follow
            .iter()
            .map(|text| {
                text.parse::<LogKey>()
                    .map_err(|e| ConfigError::Invalid(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let witness_for = settings
            .witness_for
            .iter()
            .map(|text| {
                VerifierKey::parse(text)
                    .ok()
                    .filter(|k| !k.is_cosigner())
                    .ok_or_else(|| {
                        ConfigError::Invalid(format!(
                            "--witness-for {text:?} is not a log's verifier key"
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let tls = match (settings.tls_cert, settings.tls_key) {
            (Some(cert), Some(key)) => Some(crate::tls::TlsFiles { cert, key }),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid(
                    "HTTPS needs both --tls-cert and --tls-key".into(),
                ));
            }
        };
        if settings.http_redirect.is_some() && tls.is_none() {
            return Err(ConfigError::Invalid(
                "--http-redirect redirects to HTTPS: it needs --tls-cert and --tls-key".into(),
            ));
        }
        let listen = if settings.listen.is_empty() {
            vec!["/ip4/0.0.0.0/tcp/4111".parse().expect("a valid multiaddr")]
        } else {
            settings.listen
        };
        let deadlines = settings.deadlines.limits(office.level)?;
        Ok(NodeConfig {
            data,
            name: office.name,
            level: office.level,
            deadlines,
            api: Some(
                settings
                    .api
                    .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8111))),
            ),
            net: NetConfig {
                listen,
                peers: settings.peers,
                requests_per_second: settings.requests_per_second.unwrap_or(500),
                ..NetConfig::default()
            },
            district,
            follow,
            archive: settings.archive,
            cache_bytes: None,
            http: HttpConfig {
                tls,
                redirect: settings.http_redirect,
                allow_insecure_login: settings.allow_insecure_login,
            },
            witnessing: Witnessing {
                outside: settings.witness,
                logs: witness_for,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_named_as_flags_and_the_file_name_them() {
        assert_eq!(parse_level("street"), Ok(Level::Street));
        assert!(
            parse_level("grid")
                .unwrap_err()
                .contains("city, district, street or community")
        );
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path().join("node"));
        data.init(Init {
            level: Level::Street,
            name: Some("泉城路街道".into()),
            origin: None,
            public_host: None,
            key_file: None,
            district: None,
        })
        .unwrap();
        let office = data.read_config().unwrap();
        assert_eq!(
            (office.level, office.origin.as_str()),
            (Level::Street, "yiyi/泉城路街道")
        );
        assert!(matches!(
            data.init(Init {
                level: Level::Street,
                name: Some("again".into()),
                origin: None,
                public_host: None,
                key_file: None,
                district: None,
            }),
            Err(ConfigError::AlreadyANode(..))
        ));
    }
}

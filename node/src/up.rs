//! `yiyi-node up`: a node's first start and every start after, in one
//! command, for containers. A `FROM scratch` image has no shell to script
//! `init` and `run` with, and the offices of one deployment must learn each
//! other's keys before they can pin the district and admit their children.
//!
//! The offices meet in a shared directory, as they would at a notice board:
//! each posts its verifier key, name and level there once it has a key
//! (`<office>.toml`), and reads the district's (to pin it), its parent's (to
//! dial it by peer id) and its children's (to admit them by charter). Keys
//! are made at first start, in the node's own data directory; nothing
//! secret is shared, and nothing is baked into the image.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use yiyi_node::config::{DataDir, Init, Settings, parse_level};
use yiyi_node::office::Office;
use yiyi_node::private::PrivateStore;
use yiyi_protocol::VerifierKey;
use yiyi_protocol::proto::{self, Level, entry::Body};

/// The flags of `yiyi-node up`.
#[derive(clap::Args, Clone)]
pub(crate) struct Up {
    /// The data directory (initialised at first start).
    #[arg(long)]
    data: PathBuf,
    /// The directory the offices of this deployment share, to post their
    /// verifier keys and read each other's.
    #[arg(long)]
    shared: PathBuf,
    /// This office's short name in the shared directory, e.g. street-a.
    #[arg(long)]
    office: String,
    /// The office's level: city, district, street or community.
    #[arg(long, value_parser = parse_level)]
    level: Level,
    /// The office's name, e.g. 泉城路街道.
    #[arg(long)]
    name: String,
    /// The ledger's origin (default: <public-host>/<office>, else yiyi/<office>).
    #[arg(long)]
    origin: Option<String>,
    /// A host name the office controls (e.g. gongshi.lixia.example), to name the origin under.
    #[arg(long, conflicts_with = "origin")]
    public_host: Option<String>,
    /// The root office's short name, whose key to pin: the district's, or
    /// the city's where a city is the root (for every office below it).
    #[arg(long = "district-office", alias = "city-office")]
    district_office: Option<String>,
    /// The parent office's short name and where its children dial it, as
    /// NAME=MULTIADDR, e.g. street-a=/ip4/10.231.1.10/tcp/4111.
    #[arg(long)]
    parent: Option<String>,
    /// A child office to admit by charter once it has posted its key (repeat).
    #[arg(long = "child")]
    children: Vec<String>,
    /// How long to wait for another office's key, in seconds.
    #[arg(long, default_value_t = 120)]
    wait: u64,
    #[command(flatten)]
    settings: Settings,
}

/// What an office posts in the shared directory.
#[derive(serde::Serialize, serde::Deserialize)]
struct Posted {
    key: String,
    name: String,
    /// city, district, street or community.
    level: String,
}

impl Up {
    /// Initialises the node if it is new, posts its key, admits the
    /// children that have posted theirs, and runs it.
    pub(crate) async fn run(self) -> anyhow::Result<()> {
        let wait = Duration::from_secs(self.wait);
        let data = DataDir::new(&self.data);
        if !data.holds_a_node() {
            let district = match (self.level, &self.district_office) {
                (Level::City, _) | (Level::District, None) => None,
                (_, Some(root)) => Some(self.posted(root, wait).await?.key),
                (_, None) => bail!("a street or community needs --district-office"),
            };
            let origin = match (&self.origin, &self.public_host) {
                (Some(origin), _) => origin.clone(),
                (None, Some(host)) => yiyi_protocol::keys::public_origin(host, &self.office)?,
                (None, None) => format!("yiyi/{}", self.office),
            };
            data.init(Init {
                level: self.level,
                name: Some(self.name.clone()),
                origin: Some(origin),
                public_host: None,
                key_file: None,
                district,
            })?;
        }
        let key = data.read_key()?;
        self.post(&Posted {
            key: key.verifier().to_string(),
            name: self.name.clone(),
            level: yiyi_protocol::rules::names::level_name(self.level as i32).to_owned(),
        })?;

        let mut settings = self.settings.clone();
        if let Some(parent) = &self.parent {
            let (office, address) = parent
                .split_once('=')
                .context("--parent is NAME=MULTIADDR, e.g. street-a=/ip4/10.231.1.10/tcp/4111")?;
            let posted = self.posted(office, wait).await?;
            let log = VerifierKey::parse(&posted.key)?.log_key();
            let peer = yiyi_node::net::peer_of(&log).context("the parent's key is no peer id")?;
            settings.peers.push(
                format!("{address}/p2p/{peer}")
                    .parse()
                    .with_context(|| format!("--parent address {address:?}"))?,
            );
        }
        self.admit_children(wait).await?;
        super::run(&self.data, settings).await
    }

    fn post_path(&self, office: &str) -> PathBuf {
        self.shared.join(format!("{office}.toml"))
    }

    /// Posts (or re-posts, after a restore) this office's key: written
    /// aside and renamed, so that a reader never sees half a file.
    fn post(&self, posted: &Posted) -> anyhow::Result<()> {
        let path = self.post_path(&self.office);
        let text = toml::to_string(posted)?;
        if std::fs::read_to_string(&path).is_ok_and(|t| t == text) {
            return Ok(());
        }
        let aside = path.with_extension("toml.new");
        std::fs::write(&aside, &text).with_context(|| format!("writing {}", aside.display()))?;
        std::fs::rename(&aside, &path).with_context(|| format!("writing {}", path.display()))?;
        tracing::info!(office = self.office, key = posted.key, "posted the key");
        Ok(())
    }

    /// Waits for `office` to post its key.
    async fn posted(&self, office: &str, wait: Duration) -> anyhow::Result<Posted> {
        let path = self.post_path(office);
        let until = Instant::now() + wait;
        loop {
            if let Ok(text) = std::fs::read_to_string(&path) {
                return toml::from_str(&text)
                    .with_context(|| format!("reading {}", path.display()));
            }
            if Instant::now() > until {
                bail!(
                    "{office} has not posted its key in {} (waited {} s): is its node started?",
                    path.display(),
                    wait.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Admits by charter each child that has posted its key and is not
    /// admitted yet. A child that does not post in time is admitted at the
    /// next start (or by `yiyi charter admit`).
    async fn admit_children(&self, wait: Duration) -> anyhow::Result<()> {
        if self.children.is_empty() {
            return Ok(());
        }
        let data = DataDir::new(&self.data);
        let (_, store) = data.open()?;
        let private = PrivateStore::open(&data.private())?;
        let office = Office::open(store, private, self.level)?;
        let level = match self.level {
            Level::City => proto::Level::District,
            Level::District => proto::Level::Street,
            Level::Street => proto::Level::Community,
            _ => bail!("a community admits no offices: drop --child"),
        };
        for child in &self.children {
            let posted = match self.posted(child, wait).await {
                Ok(posted) => posted,
                Err(e) => {
                    tracing::warn!(child, error = %e, "not admitted yet");
                    continue;
                }
            };
            let log = VerifierKey::parse(&posted.key)?.log_key();
            if office.read(|s| s.charters.contains_key(&log)).await {
                continue;
            }
            let charter = proto::Charter {
                action: proto::charter::Action::Admit as i32,
                verifier_key: posted.key.clone(),
                name: posted.name.clone(),
                level: level as i32,
                ..Default::default()
            };
            let body = if self.level == Level::City {
                Body::CityCharter(proto::CityCharter {
                    charter: Some(charter),
                })
            } else {
                Body::Charter(charter)
            };
            office
                .record(body, "")
                .await
                .with_context(|| format!("admitting {child}"))?;
            tracing::info!(child, name = posted.name, "admitted by charter");
        }
        Ok(())
    }
}

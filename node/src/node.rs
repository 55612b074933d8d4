//! A running node (节点): the daemon's lifecycle in the library.
//!
//! [`Node::spawn`] opens the stores, reads the own ledger back through the
//! rules, starts the network, the office's reconciler and the HTTP API, and
//! returns once the API and libp2p listen; [`Node::join`] waits for it to
//! stop and [`Node::shutdown`] stops it. `yiyi-node run` and `up`, the demo
//! (through `run`), the network benchmark and in-process tests all start a
//! node this way, so a node is wired in one place.

use std::net::SocketAddr;
use std::sync::Arc;

use libp2p::{Multiaddr, PeerId};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::api::{self, ApiState};
use crate::config::{ConfigError, NodeConfig};
use crate::federation::Members;
use crate::net::{self, NetError, NetStatus};
use crate::office::{Office, OfficeError};
use crate::outside::OutsideWitnesses;
use crate::private::{PrivateError, PrivateStore};
use crate::store::Store;
use crate::witness::Witness;

/// Why a node could not start, or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The configuration or data directory.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The federation could not be read from the ledgers held.
    #[error("reading the federation: {0}")]
    Federation(crate::store::StoreError),
    /// The private store.
    #[error(transparent)]
    Private(#[from] PrivateError),
    /// The office could not read its ledger back.
    #[error(transparent)]
    Office(#[from] OfficeError),
    /// The network could not start.
    #[error(transparent)]
    Net(#[from] NetError),
    /// The API's address could not be bound, or serving failed.
    #[error("the API on {address}: {source}")]
    Api {
        /// Where it was to listen.
        address: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The HTTPS certificate or key will not do.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// One of the node's tasks panicked.
    #[error("a task of the node failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// A running node. Dropping it without [`Node::shutdown`] leaves its tasks
/// running until the runtime ends.
pub struct Node {
    office: Arc<Office>,
    members: Members,
    net_status: NetStatus,
    peer_id: PeerId,
    listening: Vec<Multiaddr>,
    api: Option<SocketAddr>,
    https: bool,
    stop: CancellationToken,
    tasks: Vec<JoinHandle<Result<(), NodeError>>>,
}

impl Node {
    /// Starts the node `config` describes; returns once it listens.
    pub async fn spawn(config: NodeConfig) -> Result<Node, NodeError> {
        let (key, store) = config.data.open_with_cache(config.cache_bytes)?;
        let token = config.data.read_token()?;
        let private = PrivateStore::open(&config.data.private())?;

        // A pinned district is named by its key until a ledger says more; a
        // node at the top of its own tree knows its name from its
        // configuration.
        let (district, district_name) = match &config.district {
            Some(key) => (key.clone(), key.name().to_owned()),
            None => (key.verifier(), config.name.clone()),
        };
        let members = Members::load(
            &store,
            district.clone(),
            &district_name,
            config.follow.iter().copied(),
            config.archive,
        )
        .map_err(NodeError::Federation)?;
        // A city at the top of its own tree is a city before its first
        // city charter says so.
        if config.district.is_none() && config.level == yiyi_protocol::proto::Level::City {
            members.set_root_level(yiyi_protocol::proto::Level::City);
        }
        let witness = Arc::new(Witness::new(
            store.clone(),
            members.clone(),
            key.clone(),
            config.witnessing.logs.clone(),
        ));
        let office = Arc::new(
            Office::open(store.clone(), private, config.level)?.follow_charters(members.clone()),
        );
        office.describe_first(&config.name).await?;
        office.keep_deadlines(config.deadlines).await?;
        // A certificate that will not do stops the node before it starts.
        let certs = match &config.http.tls {
            Some(files) => Some((
                files.clone(),
                crate::tls::certs(crate::tls::load(files, std::time::SystemTime::now())?),
            )),
            None => None,
        };
        let stop = CancellationToken::new();
        let mut tasks = Vec::new();

        let outside = Arc::new(OutsideWitnesses::new(
            store.clone(),
            members.clone(),
            config.witnessing.outside.clone(),
        ));
        let (submitting, stopped) = (outside.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            submitting.run(stopped).await;
            Ok(())
        }));

        let reconciler = office.clone();
        let stopped = stop.clone();
        tasks.push(tokio::spawn(async move {
            reconciler.keep_reconciled(stopped).await;
            Ok(())
        }));

        let network = net::spawn(
            &key,
            store.clone(),
            members.clone(),
            witness.clone(),
            office.clone(),
            config.net.clone(),
            stop.clone(),
        )
        .await?;
        let (peer_id, listening, net_status, locator) = (
            network.peer_id,
            network.listening.clone(),
            network.status.clone(),
            network.locator.clone(),
        );
        tasks.push(tokio::spawn(async move {
            network.join().await?;
            Ok(())
        }));

        let api = match config.api {
            Some(address) => {
                let listener = tokio::net::TcpListener::bind(address)
                    .await
                    .map_err(|source| NodeError::Api { address, source })?;
                let local = listener
                    .local_addr()
                    .map_err(|source| NodeError::Api { address, source })?;
                let state = Arc::new(ApiState {
                    office: office.clone(),
                    token,
                    name: config.name.clone(),
                    level: config.level,
                    members: members.clone(),
                    witness,
                    outside,
                    net: net_status.clone(),
                    locator,
                    courses: Default::default(),
                    stats: Default::default(),
                    limiter: Arc::new(api::limits::Limiter::new(Default::default())),
                    sessions: Arc::new(crate::console::session::Sessions::new(
                        crate::staff::Staff::new(config.data.path()),
                    )),
                    allow_insecure_login: config.http.allow_insecure_login,
                    concerns: crate::concerns::Concerns::open(office.private())?,
                    concern_quota: api::limits::Quota::new(10.0, 10.0),
                    receipt_misses: api::limits::Quota::new(20.0, 20.0),
                    rounds: Arc::new(crate::rounds::Rounds::open(office.private())?),
                    ballot_misses: api::limits::Quota::new(20.0, 20.0),
                });
                // The board's replay of every ledger held, done now rather
                // than on a resident's first visit (10,000 notices: ~1.5 s).
                let warm = state.clone();
                tokio::task::spawn_blocking(move || {
                    let _ = warm.courses.with(warm.office.store(), |_| ());
                });
                let acceptor = match &certs {
                    Some((files, certs)) => {
                        let watched = (files.clone(), certs.clone(), stop.clone());
                        tasks.push(tokio::spawn(async move {
                            let (files, certs, stop) = watched;
                            crate::tls::watch(files, certs, stop.cancelled_owned()).await;
                            Ok(())
                        }));
                        Some(crate::tls::acceptor(certs.clone())?)
                    }
                    None => None,
                };
                if let Some(address) = config.http.redirect {
                    let listener = tokio::net::TcpListener::bind(address)
                        .await
                        .map_err(|source| NodeError::Api { address, source })?;
                    let (state, stopped) = (state.clone(), stop.clone());
                    tasks.push(tokio::spawn(async move {
                        api::serve_redirect(
                            listener,
                            state,
                            local.port(),
                            stopped.cancelled_owned(),
                        )
                        .await
                        .map_err(|source| NodeError::Api { address, source })
                    }));
                }
                let stopped = stop.clone();
                tasks.push(tokio::spawn(async move {
                    api::serve(listener, state, acceptor, stopped.cancelled_owned())
                        .await
                        .map_err(|source| NodeError::Api {
                            address: local,
                            source,
                        })
                }));
                Some(local)
            }
            None => None,
        };
        tracing::info!(
            name = config.name,
            level = yiyi_protocol::rules::names::level_name(config.level as i32),
            district = %district,
            api = ?api,
            "serving"
        );
        Ok(Node {
            office,
            members,
            net_status,
            peer_id,
            listening,
            api,
            https: certs.is_some(),
            stop,
            tasks,
        })
    }

    /// Where the HTTP API listens (`None`: started without one).
    pub fn api(&self) -> Option<SocketAddr> {
        self.api
    }

    /// Whether the API is served over HTTPS.
    pub fn https(&self) -> bool {
        self.https
    }

    /// The node's libp2p peer id (derived from its ledger key).
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// The addresses peers dial, with the peer id.
    pub fn dial_addresses(&self) -> Vec<Multiaddr> {
        self.listening
            .iter()
            .map(|a| {
                a.clone()
                    .with(libp2p::multiaddr::Protocol::P2p(self.peer_id))
            })
            .collect()
    }

    /// The office: the one write path, and the state it holds.
    pub fn office(&self) -> &Arc<Office> {
        &self.office
    }

    /// The ledger store.
    pub fn store(&self) -> &Store {
        self.office.store()
    }

    /// The federation as this node sees it.
    pub fn members(&self) -> &Members {
        &self.members
    }

    /// What the network reports.
    pub fn net_status(&self) -> &NetStatus {
        &self.net_status
    }

    /// A token that stops the node when cancelled (for a signal handler).
    pub fn stopper(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Waits until the node stops (one of its tasks ends, or it is told to
    /// stop), then stops the rest; the first error, if any.
    pub async fn join(mut self) -> Result<(), NodeError> {
        let mut first = Ok(());
        let mut tasks = std::mem::take(&mut self.tasks);
        while !tasks.is_empty() {
            let (done, _, rest) = futures::future::select_all(tasks).await;
            tasks = rest;
            // Whichever task ends first, the node stops as a whole.
            self.stop.cancel();
            let result = done.map_err(NodeError::from).and_then(|r| r);
            if first.is_ok() {
                first = result;
            }
        }
        first
    }

    /// Stops the node: the API drains its connections, the network closes,
    /// and the stores are flushed and closed when the last task ends.
    pub async fn shutdown(self) -> Result<(), NodeError> {
        self.stop.cancel();
        self.join().await
    }
}

//! The yiyi node: the daemon an office runs.
//!
//! # Layout
//!
//! - [`store`]: the sled-backed ledger store: the office's own ledger and the
//!   replicas of other offices' public ledgers, with group-committed durable
//!   appends, proofs and checkpoints.
//! - [`keyfile`]: reading and writing the node's secret key file (mode 0600).
//! - [`private`]: the private store: data that never leaves the node.
//! - [`matters`]: escalated matters across the ledgers held.
//! - [`config`]: the data directory, `config.toml` and the flags, checked
//!   once into a [`config::NodeConfig`].
//! - [`node`]: [`node::Node::spawn`]: a running node that owns its tasks.
//! - [`office`]: the consultation procedure over the own ledger: rules
//!   checked before every append, notices written from the records; the one
//!   write path.
//! - [`escalation`]: the escalation desk: what escalated matters call for,
//!   decided for the office to write.
//! - [`actions`]: an office action of the HTTP contract becomes the record
//!   it writes (names parsed, private data kept, composed records).
//! - [`api`]: the HTTP API: the office's actions and the public reads; it
//!   parses and answers, the office decides.
//! - [`bundle`]: notice bundles for residents' offline checks.
//! - [`board`]: the notice board page (verifies in the browser) and feeds.
//! - [`console`]: the office console at `/office/`: staff sign in as
//!   themselves and work the procedure.
//! - [`stats`]: the statistics offices report.
//! - [`staff`]: staff accounts (Argon2id passwords, roles) for the office
//!   console.
//! - [`federation`]: which logs the node replicates, by charter chain from
//!   its pinned district key.
//! - [`witness`]: cosigning children's checkpoints (C2SP tlog-witness).
//! - [`net`]: libp2p between offices' nodes: announcements, `/yiyi/sync/1`,
//!   `/yiyi/witness/1`, `/yiyi/escalate/1`, equivocation proofs.

#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod actions;
pub mod api;
pub mod board;
pub mod bundle;
pub mod concerns;
pub mod config;
pub mod console;
pub mod escalation;
pub mod federation;
pub mod keyfile;
pub mod matters;
pub mod net;
pub mod node;
pub mod office;
pub mod outside;
pub mod private;
pub mod rounds;
pub mod staff;
pub mod stats;
pub mod store;
pub mod tls;
pub mod witness;

pub use store::{Appended, LogKey, LogState, Store, StoreError};

/// Milliseconds since the Unix epoch, as this machine's clock says (the time
/// of records and the "now" of overdue checks).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

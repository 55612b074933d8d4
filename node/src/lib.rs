//! The yiyi node: the daemon an office runs.
//!
//! # Layout
//!
//! - [`store`]: the sled-backed ledger store: the office's own ledger and the
//!   replicas of other offices' public ledgers, with group-committed durable
//!   appends, proofs and checkpoints.
//! - [`keyfile`]: reading and writing the node's secret key file (mode 0600).
//!
//! Networking and the HTTP API come in their own modules as they are built.

#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod keyfile;
pub mod store;

pub use store::{Appended, LogKey, LogState, Store, StoreError};

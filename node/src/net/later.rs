//! Later releases met on the network: logs that carry records of a later
//! release (kept, served and forwarded, not read), and peers that run one.
//! Each is said once — per log, per release — so that the operator learns to
//! upgrade without the log filling up (docs/DEPLOYMENT.md, "Upgrading a
//! federation").

use std::collections::HashSet;

use libp2p::PeerId;
use yiyi_protocol::Release;

use crate::store::{LogKey, Store};

/// What was said already.
pub(super) struct Later {
    logs: HashSet<LogKey>,
    releases: HashSet<Release>,
}

impl Later {
    /// Starts with what the store holds: each log with records of a later
    /// release is said once now.
    pub(super) fn new(store: &Store) -> Later {
        let mut later = Later {
            logs: HashSet::new(),
            releases: HashSet::new(),
        };
        match store.newer_records(None) {
            Ok(records) => {
                for r in records {
                    later.record(r.log, r.sequence, &r.reader_version);
                }
            }
            Err(e) => tracing::error!(error = %e, "reading the index of later releases' records"),
        }
        later
    }

    /// Entry `sequence` of `log` was written by a later release.
    pub(super) fn record(&mut self, log: LogKey, sequence: u64, reader_version: &str) {
        if self.logs.insert(log) {
            let reader = if reader_version.is_empty() {
                "a later release"
            } else {
                reader_version
            };
            tracing::warn!(
                log = %log,
                sequence,
                reader,
                "this log holds records of a later yiyi release, kept and forwarded but not read: upgrade this node to read them"
            );
        }
    }

    /// `peer` says in identify that it runs `agent`. Returns the release if
    /// it is a yiyi node's.
    pub(super) fn peer(&mut self, peer: PeerId, agent: &str) -> Option<Release> {
        let release = Release::from_agent(agent)?;
        let ours = Release::current();
        if release > ours && self.releases.insert(release) {
            tracing::warn!(
                %peer,
                theirs = %release,
                ours = %ours,
                "a peer runs a later yiyi release: records it writes may be kept unread here until this node is upgraded"
            );
        }
        Some(release)
    }
}

//! Reaching ledgers this node does not keep (调阅). A node keeps its own
//! ledger, its ancestors' and its subtree's; a resident may still ask it for
//! any notice of the federation. What a node does not hold it asks its
//! parent about, which asks its own, up to the root, which keeps every
//! ledger: first where the entry is (a *locate* request: the answer names
//! its log and the logs above it, whose charters admit it), then the
//! entries, by ordinary sync requests that each node on the way passes up
//! and whose answers it passes down. The asker verifies everything as it
//! verifies any replica: who relayed it does not matter.
//!
//! Each node relays at most [`MAX_RELAYED`] requests at once and locates at
//! most [`MAX_LOCATING`] entries at once; past that, requests get an empty
//! answer and residents a "not found" they can retry.

use std::collections::HashMap;
use std::time::Duration;

use libp2p::request_response::{OutboundRequestId, ResponseChannel};
use tokio::sync::{mpsc, oneshot};
use yiyi_protocol::merkle::Hash;
use yiyi_protocol::proto::{SyncRequest, SyncResponse};

use crate::federation::Members;
use crate::store::{LogKey, Store};

/// Requests passed to the parent and not answered yet, at most.
const MAX_RELAYED: usize = 256;
/// Entries being located at once, at most.
const MAX_LOCATING: usize = 64;
/// How long a resident's request waits for the network to say where an
/// entry is.
const LOCATE_WAIT: Duration = Duration::from_secs(15);

/// Where an entry is: its log (the logs above it are being fetched).
pub type Located = Option<LogKey>;

/// A handle to ask the network where an entry is; cheap to clone.
#[derive(Clone)]
pub struct Locator(mpsc::Sender<(Hash, oneshot::Sender<Located>)>);

impl Locator {
    /// A locator and the receiving end the network task reads.
    pub(super) fn new() -> (Locator, mpsc::Receiver<(Hash, oneshot::Sender<Located>)>) {
        let (tx, rx) = mpsc::channel(MAX_LOCATING);
        (Locator(tx), rx)
    }

    /// Asks, through the parent up to the root, which log holds the entry
    /// `hash`; once answered, that log and those above it are fetched
    /// (`Members::visit`). `None`: not found, or the network is busy.
    pub async fn locate(&self, hash: Hash) -> Located {
        let (reply, answer) = oneshot::channel();
        self.0.try_send((hash, reply)).ok()?;
        tokio::time::timeout(LOCATE_WAIT, answer)
            .await
            .ok()
            .and_then(Result::ok)
            .flatten()
    }
}

/// What the relay decides for a peer's sync request.
pub(super) enum Inbound {
    /// Answer it from the store.
    Serve,
    /// Pass it to the parent.
    Forward,
}

/// The relay's state: requests passed up, and locates asked.
#[derive(Default)]
pub(super) struct Relay {
    relayed: HashMap<OutboundRequestId, ResponseChannel<SyncResponse>>,
    locating: HashMap<OutboundRequestId, oneshot::Sender<Located>>,
}

impl Relay {
    /// Whether a peer's request is answered here or passed up: up when it
    /// asks for an entry or a log this node does not hold and does not keep
    /// (its parent may), and there is room.
    pub(super) fn inbound(
        &self,
        store: &Store,
        members: &Members,
        request: &SyncRequest,
    ) -> Inbound {
        let here = if !request.entry.is_empty() {
            Hash::from_slice(&request.entry)
                .ok()
                .is_none_or(|hash| matches!(store.entry_by_hash(&hash), Ok(Some(_))))
        } else {
            match LogKey::try_from(request.log.as_slice()) {
                Ok(log) => store.held(&log) > request.from || members.keeps(&log),
                Err(_) => true,
            }
        };
        if here || self.relayed.len() >= MAX_RELAYED {
            Inbound::Serve
        } else {
            Inbound::Forward
        }
    }

    /// A request passed to the parent as `id`; its answer goes to `channel`.
    pub(super) fn forwarded(
        &mut self,
        id: OutboundRequestId,
        channel: ResponseChannel<SyncResponse>,
    ) {
        self.relayed.insert(id, channel);
    }

    /// Whether another locate may be asked now.
    pub(super) fn may_locate(&self) -> bool {
        self.locating.len() < MAX_LOCATING
    }

    /// A locate sent as `id`; its answer goes to `reply`.
    pub(super) fn locating(&mut self, id: OutboundRequestId, reply: oneshot::Sender<Located>) {
        self.locating.insert(id, reply);
    }

    /// The answer to `id`, if it was relayed or a locate: handled here
    /// (passed down, or the located logs visited); `Err` gives back the
    /// response of one of the node's own sync requests.
    pub(super) fn answered(
        &mut self,
        members: &Members,
        id: &OutboundRequestId,
        response: SyncResponse,
    ) -> Result<Option<(ResponseChannel<SyncResponse>, SyncResponse)>, SyncResponse> {
        if let Some(channel) = self.relayed.remove(id) {
            return Ok(Some((channel, response)));
        }
        if let Some(reply) = self.locating.remove(id) {
            let _ = reply.send(located(members, &response));
            return Ok(None);
        }
        Err(response)
    }

    /// The request `id` failed: an empty answer goes down, a locate says
    /// not found. Returns the channel to answer on, if it was relayed.
    pub(super) fn failed(
        &mut self,
        id: &OutboundRequestId,
    ) -> Option<ResponseChannel<SyncResponse>> {
        if let Some(reply) = self.locating.remove(id) {
            let _ = reply.send(None);
        }
        self.relayed.remove(id)
    }
}

/// The log a locate's answer names, its lineage visited so that it is
/// fetched (the logs above first become members as their charters are
/// read, then the log itself).
fn located(members: &Members, response: &SyncResponse) -> Located {
    let log = LogKey::try_from(response.log.as_slice()).ok()?;
    let lineage = response
        .lineage
        .iter()
        .filter_map(|l| LogKey::try_from(l.as_slice()).ok())
        .take(8);
    members.visit(std::iter::once(log).chain(lineage));
    Some(log)
}

/// The answer to a locate, from what this node holds: the entry's log and
/// the logs above it as its federation knows them.
pub(super) fn locate_here(store: &Store, members: &Members, hash: &[u8]) -> SyncResponse {
    let found = Hash::from_slice(hash)
        .ok()
        .and_then(|hash| store.entry_by_hash(&hash).ok().flatten());
    let Some((log, _, _)) = found else {
        return SyncResponse::default();
    };
    let lineage = members.with(|f| f.lineage(&log));
    SyncResponse {
        log: log.to_vec(),
        lineage: lineage.iter().skip(1).map(|l| l.to_vec()).collect(),
        ..Default::default()
    }
}

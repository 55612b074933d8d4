//! What the API's handlers (and the board's) share: the office, the
//! federation, the network's status, the limits.

use std::sync::Arc;

use yiyi_protocol::proto::Level;

use super::limits;
use crate::board::course::Courses;
use crate::federation::Members;
use crate::net::NetStatus;
use crate::office::Office;
use crate::witness::Witness;

/// What the handlers share.
pub struct ApiState {
    /// The office.
    pub office: Arc<Office>,
    /// The API token (hex).
    pub token: String,
    /// The office's name as configured, e.g. 甸柳新村街道第一社区 (its profile
    /// names it once written: [`ApiState::office_name`]).
    pub name: String,
    /// The office's level: district, street or community.
    pub level: Level,
    /// The federation the node belongs to.
    pub members: Members,
    /// The witness that cosigns children's checkpoints.
    pub witness: Arc<Witness>,
    /// The outside witnesses this node submits its checkpoints to.
    pub outside: Arc<crate::outside::OutsideWitnesses>,
    /// What the network task reports.
    pub net: NetStatus,
    /// Asks the network for entries of ledgers not held here.
    pub locator: crate::net::Locator,
    /// The ledgers as the notice board shows them, replayed as they grow.
    pub courses: Courses,
    /// Recent statistics exports (`GET /api/v1/stats`).
    pub stats: crate::stats::Cache,
    /// What the public may make the API do (shared with the accept loop's
    /// connection slots).
    pub limiter: Arc<limits::Limiter>,
    /// Who is signed in to the console.
    pub sessions: Arc<crate::console::session::Sessions>,
    /// Staff may sign in over plain HTTP from other machines (a closed
    /// network's choice, `--allow-insecure-login`).
    pub allow_insecure_login: bool,
    /// Residents' concerns, kept in the private store.
    pub concerns: crate::concerns::Concerns,
    /// Concerns each address may raise (a few an hour).
    pub concern_quota: limits::Quota,
    /// Unknown receipt codes each address may look up (a few an hour).
    pub receipt_misses: limits::Quota,
    /// Residents' rounds: their codes and ballots, in the private store.
    pub rounds: Arc<crate::rounds::Rounds>,
    /// Participation codes not issued that each address may try (a few an
    /// hour): guessing is slowed.
    pub ballot_misses: limits::Quota,
}

impl ApiState {
    /// The office's name: as its latest profile gives it, else as
    /// configured.
    pub async fn office_name(&self) -> String {
        match self.office.profile().await {
            Some((_, p)) if !p.name.is_empty() => p.name,
            _ => self.name.clone(),
        }
    }
}

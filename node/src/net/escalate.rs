//! `/yiyi/escalate/1`: escalations leave the outbox for the parent office
//! they are addressed to, with their inclusion proof and the sender's
//! checkpoint; the parent checks them, signs a receipt in its own ledger
//! and answers with it. A repeated delivery gets the receipt already given,
//! so at-least-once delivery records each matter exactly once.

use libp2p::PeerId;
use libp2p::request_response::OutboundRequestId;
use yiyi_protocol::entry;
use yiyi_protocol::escalation::verify_delivery;
use yiyi_protocol::merkle::Hash;
use yiyi_protocol::proto::{EscalationDelivery, EscalationReceipt, entry::Body};

use super::{Task, parse_checkpoint, peer_of};
use crate::store::{LogKey, StoreError};

/// A delivery on its way.
pub(super) struct InFlight {
    escalation: Hash,
    to: LogKey,
}

impl Task {
    /// Sends the escalations due to addressees this node is connected to.
    /// One not connected is not counted as a failed attempt: it goes as
    /// soon as the addressee is back.
    pub(super) fn deliver_due(&mut self) {
        let Some(office) = self.office.clone() else {
            return;
        };
        let due = match office.outbox().due(crate::now_ms()) {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "reading the outbox");
                return;
            }
        };
        for item in due {
            if self
                .deliveries
                .values()
                .any(|d| d.escalation == item.escalation)
            {
                continue;
            }
            let Some(peer) = peer_of(&item.to).filter(|p| self.connected.contains_key(p)) else {
                continue;
            };
            let delivery = match self.delivery(&item.escalation) {
                Ok(delivery) => delivery,
                Err(e) => {
                    tracing::error!(escalation = %item.escalation.to_hex(), error = %e, "cannot build the delivery");
                    let _ = office.outbox().failed(&item.escalation, crate::now_ms());
                    continue;
                }
            };
            let id = self
                .swarm
                .behaviour_mut()
                .escalate
                .send_request(&peer, delivery);
            tracing::debug!(escalation = %item.escalation.to_hex(), %peer, attempt = item.attempts + 1, "delivering an escalation");
            self.deliveries.insert(
                id,
                InFlight {
                    escalation: item.escalation,
                    to: item.to,
                },
            );
        }
    }

    /// The escalation entry with its inclusion proof in the own latest
    /// checkpoint.
    fn delivery(&self, escalation: &Hash) -> Result<EscalationDelivery, StoreError> {
        let own = self.store.own_log();
        let (log, sequence, entry) = self
            .store
            .entry_by_hash(escalation)?
            .filter(|(log, _, _)| *log == own)
            .ok_or_else(|| StoreError::Corrupt("the escalation is not in the own ledger".into()))?;
        let checkpoint = self
            .store
            .checkpoint()?
            .ok_or_else(|| StoreError::Corrupt("no checkpoint of the own ledger".into()))?;
        let size = parse_checkpoint(&checkpoint)
            .map(|(c, _)| c.size)
            .ok_or_else(|| StoreError::Corrupt("the own checkpoint does not parse".into()))?;
        let proof = self.store.inclusion_proof(&log, sequence, size)?;
        Ok(EscalationDelivery {
            entry,
            inclusion_proof: proof.iter().map(|h| h.as_bytes().to_vec()).collect(),
            checkpoint,
        })
    }

    /// Checks an escalation delivered by `peer` and answers with the signed
    /// receipt, or with why it is refused.
    pub(super) async fn receive_delivery(
        &mut self,
        peer: PeerId,
        delivery: EscalationDelivery,
    ) -> EscalationReceipt {
        let refuse = |why: String| {
            tracing::warn!(%peer, reason = %why, "refused an escalation");
            EscalationReceipt {
                receipt_entry: Vec::new(),
                refused: why,
            }
        };
        if !self.limit.allow(peer) {
            return refuse("too many requests; try again later".into());
        }
        let Some(office) = self.office.clone() else {
            return refuse("this node takes no escalations".into());
        };
        let own = self.store.own_log();
        let from: LogKey = match entry::verify(&delivery.entry) {
            Ok(verified) => match verified.author().try_into() {
                Ok(from) => from,
                Err(_) => return refuse("the escalation's author is not a key".into()),
            },
            Err(e) => return refuse(format!("the escalation entry does not verify: {e}")),
        };
        if self.members.parent(&from) != Some(own) {
            return refuse("the sender is not an office this office admitted".into());
        }
        let Some(key) = self.members.key(&from) else {
            return refuse("the sender's key is not known".into());
        };
        let verified = match verify_delivery(&delivery, &key, &own) {
            Ok(verified) => verified,
            Err(e) => return refuse(e.to_string()),
        };
        match office.receive(&from, &verified).await {
            Ok(receipt) => {
                tracing::info!(from = %hex::encode(from), escalation = %verified.hash.to_hex(), "escalation received");
                EscalationReceipt {
                    receipt_entry: receipt,
                    refused: String::new(),
                }
            }
            Err(e) => refuse(e.to_string()),
        }
    }

    /// The addressee answered: a receipt that checks out empties the
    /// outbox item; anything else is a failed attempt, retried later.
    pub(super) fn receipt_came(&mut self, request: OutboundRequestId, answer: EscalationReceipt) {
        let (Some(sent), Some(office)) = (self.deliveries.remove(&request), self.office.clone())
        else {
            return;
        };
        let checked = if answer.refused.is_empty() {
            check_receipt(&answer.receipt_entry, &sent)
        } else {
            Err(answer.refused)
        };
        let done = match checked {
            Ok(()) => {
                tracing::info!(escalation = %sent.escalation.to_hex(), "receipt held");
                office
                    .outbox()
                    .delivered(&sent.escalation, &answer.receipt_entry)
            }
            Err(why) => {
                tracing::warn!(escalation = %sent.escalation.to_hex(), reason = %why, "escalation not received");
                office.outbox().failed(&sent.escalation, crate::now_ms())
            }
        };
        if let Err(e) = done {
            tracing::error!(error = %e, "updating the outbox");
        }
    }

    /// The delivery did not get through (timeout, connection lost).
    pub(super) fn delivery_failed(&mut self, request: OutboundRequestId) {
        if let (Some(sent), Some(office)) = (self.deliveries.remove(&request), &self.office)
            && let Err(e) = office.outbox().failed(&sent.escalation, crate::now_ms())
        {
            tracing::error!(error = %e, "updating the outbox");
        }
    }
}

/// A receipt is a signed entry of the addressee's ledger acknowledging this
/// escalation.
fn check_receipt(bytes: &[u8], sent: &InFlight) -> Result<(), String> {
    let verified = entry::verify(bytes).map_err(|e| format!("the receipt does not verify: {e}"))?;
    if verified.author() != sent.to.as_slice() {
        return Err("the receipt is not signed by the addressee".into());
    }
    match &verified.entry.body {
        Some(Body::Receipt(r))
            if r.escalation.as_ref().map(|e| e.hash.as_slice())
                == Some(sent.escalation.as_bytes().as_slice()) =>
        {
            Ok(())
        }
        _ => Err("the answer is not a receipt for this escalation".into()),
    }
}

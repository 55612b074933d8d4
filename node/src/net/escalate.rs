//! `/yiyi/escalate/1`: escalations leave the outbox for the parent office
//! they are addressed to, with their inclusion proof and the sender's
//! checkpoint; the parent checks them, signs a receipt in its own ledger
//! and answers with it. A repeated delivery gets the receipt already given,
//! so at-least-once delivery records each matter exactly once.

use std::collections::HashMap;

use libp2p::PeerId;
use libp2p::request_response::OutboundRequestId;
use yiyi_protocol::entry;
use yiyi_protocol::escalation::verify_delivery;
use yiyi_protocol::merkle::Hash;
use yiyi_protocol::proto::{EscalationDelivery, EscalationReceipt, entry::Body};

use super::connections::Connections;
use crate::federation::Members;
use crate::office::Office;
use crate::store::{LogKey, Store, StoreError};

/// A delivery on its way.
struct InFlight {
    escalation: Hash,
    to: LogKey,
}

/// The deliveries outstanding.
#[derive(Default)]
pub(super) struct Deliveries {
    in_flight: HashMap<OutboundRequestId, InFlight>,
}

/// A delivery to send.
pub(super) struct Delivery {
    pub(super) peer: PeerId,
    pub(super) request: EscalationDelivery,
    escalation: Hash,
    to: LogKey,
}

impl Deliveries {
    /// The escalations due to addressees this node is connected to. One not
    /// connected is not counted as a failed attempt: it goes as soon as the
    /// addressee is back.
    pub(super) fn due(&self, office: &Office, connections: &Connections) -> Vec<Delivery> {
        let due = match office.outbox().due(crate::now_ms()) {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "reading the outbox");
                return Vec::new();
            }
        };
        let mut deliveries = Vec::new();
        for item in due {
            if self
                .in_flight
                .values()
                .any(|d| d.escalation == item.escalation)
            {
                continue;
            }
            let Some(peer) = connections.writer_of(&item.to) else {
                continue;
            };
            match delivery(office.store(), &item.escalation) {
                Ok(request) => {
                    tracing::debug!(escalation = %item.escalation.to_hex(), %peer, attempt = item.attempts + 1, "delivering an escalation");
                    deliveries.push(Delivery {
                        peer,
                        request,
                        escalation: item.escalation,
                        to: item.to,
                    });
                }
                Err(e) => {
                    tracing::error!(escalation = %item.escalation.to_hex(), error = %e, "cannot build the delivery");
                    let _ = office.outbox().failed(&item.escalation, crate::now_ms());
                }
            }
        }
        deliveries
    }

    /// `delivery` went out as `id`.
    pub(super) fn sent(&mut self, id: OutboundRequestId, delivery: &Delivery) {
        self.in_flight.insert(
            id,
            InFlight {
                escalation: delivery.escalation,
                to: delivery.to,
            },
        );
    }

    /// The addressee answered: a receipt that checks out empties the outbox
    /// item; anything else is a failed attempt, retried later.
    pub(super) fn answered(
        &mut self,
        office: &Office,
        request: &OutboundRequestId,
        answer: EscalationReceipt,
    ) {
        let Some(sent) = self.in_flight.remove(request) else {
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
    pub(super) fn failed(&mut self, office: &Office, request: &OutboundRequestId) {
        if let Some(sent) = self.in_flight.remove(request)
            && let Err(e) = office.outbox().failed(&sent.escalation, crate::now_ms())
        {
            tracing::error!(error = %e, "updating the outbox");
        }
    }
}

/// The escalation entry with its inclusion proof in the own latest
/// checkpoint.
fn delivery(store: &Store, escalation: &Hash) -> Result<EscalationDelivery, StoreError> {
    let own = store.own_log();
    let (log, sequence, entry) = store
        .entry_by_hash(escalation)?
        .filter(|(log, _, _)| *log == own)
        .ok_or_else(|| StoreError::Corrupt("the escalation is not in the own ledger".into()))?;
    let checkpoint = store
        .checkpoint()?
        .ok_or_else(|| StoreError::Corrupt("no checkpoint of the own ledger".into()))?;
    let proof = store.inclusion_proof(&log, sequence, checkpoint.size())?;
    Ok(EscalationDelivery {
        entry,
        inclusion_proof: proof.iter().map(|h| h.as_bytes().to_vec()).collect(),
        checkpoint: checkpoint.to_string(),
    })
}

/// Checks an escalation delivered by `peer` and answers with the signed
/// receipt, or with why it is refused.
pub(super) async fn receive(
    office: &Office,
    members: &Members,
    peer: PeerId,
    delivery: EscalationDelivery,
) -> EscalationReceipt {
    let own = office.store().own_log();
    let from: LogKey = match entry::verify(&delivery.entry) {
        Ok(verified) => match verified.author().try_into() {
            Ok(from) => from,
            Err(_) => return refusal(peer, "the escalation's author is not a key".into()),
        },
        Err(e) => {
            return refusal(peer, format!("the escalation entry does not verify: {e}"));
        }
    };
    if members.parent(&from) != Some(own) {
        return refusal(
            peer,
            "the sender is not an office this office admitted".into(),
        );
    }
    let Some(key) = members.key(&from) else {
        return refusal(peer, "the sender's key is not known".into());
    };
    let verified = match verify_delivery(&delivery, &key, &own) {
        Ok(verified) => verified,
        Err(e) => return refusal(peer, e.to_string()),
    };
    match office.receive(&from, &verified).await {
        Ok(receipt) => {
            tracing::info!(from = %from, escalation = %verified.hash.to_hex(), "escalation received");
            EscalationReceipt {
                receipt_entry: receipt,
                refused: String::new(),
            }
        }
        Err(e) => refusal(peer, e.to_string()),
    }
}

/// An escalation refused, and why.
pub(super) fn refusal(peer: PeerId, why: String) -> EscalationReceipt {
    tracing::warn!(%peer, reason = %why, "refused an escalation");
    EscalationReceipt {
        receipt_entry: Vec::new(),
        refused: why,
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

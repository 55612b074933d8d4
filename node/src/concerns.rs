//! Residents' concerns (居民反映) taken in from the board: kept in the
//! node's private store, never replicated and never in a public list. The
//! resident gets a receipt code (回执码) that lets whoever holds it read
//! where her concern stands; the node keeps only the code's hash, so its
//! store does not give receipts away.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use yiyi_protocol::concern::{Concern, ConcernStatus};
use yiyi_protocol::tally::Code;

use crate::private::{PrivateError, PrivateStore};

/// Concerns by id (big-endian, so in the order received).
const CONCERNS: &[u8] = b"concerns-v1";
/// Concern ids by the hash of their receipt code.
const RECEIPTS: &[u8] = b"concern-receipts-v1";
/// Open311 clients by the hash of their `api_key`.
const CLIENTS: &[u8] = b"open311-clients-v1";

/// An Open311 client the office issued a key to (a hotline system, a
/// civic app).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// Its name, as staff gave it.
    pub name: String,
    /// When its key was issued (ms since the epoch).
    pub issued_ms: i64,
    /// Revoked: its key is refused.
    #[serde(default)]
    pub revoked: bool,
}

/// Concerns waiting at most: past it the board is asked to wait (503), so
/// that a flood from many addresses cannot fill the disk.
pub const MAX_WAITING: usize = 5000;

/// A concern as the node keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptConcern {
    /// Its id in this store.
    pub id: u64,
    /// When it came (ms since the epoch).
    pub received_ms: i64,
    /// What the resident sent.
    pub concern: Concern,
    /// The topic it was taken up in, once it was.
    #[serde(default)]
    pub topic: Option<String>,
    /// Whether it joined a topic taken up before (from other residents'
    /// concerns, or by the office).
    #[serde(default)]
    pub merged: bool,
    /// The office's reply, once it answered.
    #[serde(default)]
    pub reply: Option<String>,
    /// The Open311 client it came through, if not the board.
    #[serde(default)]
    pub via: Option<String>,
    /// Taken in at the 12345 desk as the matter `topic` names, not as a
    /// topic.
    #[serde(default)]
    pub desk: bool,
}

impl KeptConcern {
    /// Whether it waits for the office: neither taken up nor answered.
    pub fn is_waiting(&self) -> bool {
        self.topic.is_none() && self.reply.is_none()
    }

    /// Where it stands, for the receipt's holder.
    pub fn status(&self) -> ConcernStatus {
        let status = if self.topic.is_some() && self.desk {
            "matter"
        } else if self.topic.is_some() && self.merged {
            "merged"
        } else if self.topic.is_some() {
            "topic"
        } else if self.reply.is_some() {
            "answered"
        } else {
            "received"
        };
        ConcernStatus {
            status: status.into(),
            received_ms: self.received_ms,
            what: self.concern.what.clone(),
            topic: self.topic.clone().filter(|_| !self.desk),
            reply: self.reply.clone(),
            // Filled in by the API from the matters held.
            matter: None,
        }
    }
}

/// Why a concern was not taken in.
#[derive(Debug, thiserror::Error)]
pub enum ConcernsError {
    /// The private store failed.
    #[error(transparent)]
    Private(#[from] PrivateError),
    /// No randomness for the receipt.
    #[error("no randomness for a receipt: {0}")]
    Randomness(String),
    /// Too many concerns wait already.
    #[error("{MAX_WAITING} concerns are waiting for the office")]
    Full,
}

/// The concerns of one office.
#[derive(Clone)]
pub struct Concerns {
    private: PrivateStore,
    concerns: sled::Tree,
    receipts: sled::Tree,
    clients: sled::Tree,
}

/// The key a receipt is found by: its code's hash.
fn receipt_key(code: &Code) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"yiyi/concern-receipt/v1\n");
    h.update(code.as_bytes());
    h.finalize().into()
}

/// The key an Open311 client is found by: its `api_key`'s hash.
fn key_hash(api_key: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"yiyi/open311-key/v1\n");
    h.update(api_key.as_bytes());
    h.finalize().into()
}

fn from_sled(e: sled::Error) -> ConcernsError {
    ConcernsError::Private(PrivateError::Database(e))
}

impl Concerns {
    /// The concerns kept in `private`.
    pub fn open(private: &PrivateStore) -> Result<Concerns, PrivateError> {
        Ok(Concerns {
            private: private.clone(),
            concerns: private.tree(CONCERNS)?,
            receipts: private.tree(RECEIPTS)?,
            clients: private.tree(CLIENTS)?,
        })
    }

    /// Takes a checked concern in at `now_ms` (through the Open311 client
    /// `via`, if not the board); on disk before it returns. Returns its id
    /// and the receipt code, which is shown to the resident once.
    pub fn take(
        &self,
        concern: Concern,
        now_ms: i64,
        via: Option<&str>,
    ) -> Result<(u64, Code), ConcernsError> {
        if self.waiting()? >= MAX_WAITING {
            return Err(ConcernsError::Full);
        }
        let code = Code::generate().map_err(|e| ConcernsError::Randomness(e.to_string()))?;
        let id = self.private.next_id()?;
        let kept = KeptConcern {
            id,
            received_ms: now_ms,
            concern,
            topic: None,
            merged: false,
            reply: None,
            via: via.map(str::to_owned),
            desk: false,
        };
        let value = serde_json::to_vec(&kept).map_err(PrivateError::Corrupt)?;
        self.concerns
            .insert(id.to_be_bytes(), value)
            .map_err(from_sled)?;
        self.receipts
            .insert(receipt_key(&code), &id.to_be_bytes())
            .map_err(from_sled)?;
        self.concerns.flush().map_err(from_sled)?;
        self.receipts.flush().map_err(from_sled)?;
        Ok((id, code))
    }

    /// The concern a receipt code names, if any.
    pub fn by_receipt(&self, code: &Code) -> Result<Option<KeptConcern>, PrivateError> {
        let Some(id) = self.receipts.get(receipt_key(code))? else {
            return Ok(None);
        };
        match self.concerns.get(id)? {
            Some(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
            None => Ok(None),
        }
    }

    /// The concern with `id`, if there is one.
    pub fn get(&self, id: u64) -> Result<Option<KeptConcern>, PrivateError> {
        match self.concerns.get(id.to_be_bytes())? {
            Some(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
            None => Ok(None),
        }
    }

    /// The concerns `keep` keeps, oldest first.
    fn matching(
        &self,
        keep: impl Fn(&KeptConcern) -> bool,
    ) -> Result<Vec<KeptConcern>, PrivateError> {
        let mut list = Vec::new();
        for item in self.concerns.iter() {
            let kept: KeptConcern = serde_json::from_slice(&item?.1)?;
            if keep(&kept) {
                list.push(kept);
            }
        }
        Ok(list)
    }

    /// The concerns waiting for the office, newest first.
    pub fn list_waiting(&self) -> Result<Vec<KeptConcern>, PrivateError> {
        let mut list = self.matching(KeptConcern::is_waiting)?;
        list.reverse();
        Ok(list)
    }

    /// Changes the concern `id` with `change`; on disk before it returns.
    /// False when there is no such concern.
    fn update(&self, id: u64, change: impl FnOnce(&mut KeptConcern)) -> Result<bool, PrivateError> {
        let Some(mut kept) = self.get(id)? else {
            return Ok(false);
        };
        change(&mut kept);
        self.concerns
            .insert(id.to_be_bytes(), serde_json::to_vec(&kept)?)?;
        self.concerns.flush()?;
        Ok(true)
    }

    /// Records the office's reply to concern `id`, which its resident reads
    /// by her receipt.
    pub fn answer(&self, id: u64, reply: &str) -> Result<bool, PrivateError> {
        self.update(id, |kept| kept.reply = Some(reply.to_owned()))
    }

    /// Records that concern `id` was taken up as `topic`: a topic made
    /// from it, or (`merged`) one it joined.
    pub fn take_up(&self, id: u64, topic: &str, merged: bool) -> Result<bool, PrivateError> {
        self.update(id, |kept| {
            kept.topic = Some(topic.to_owned());
            kept.merged = merged;
        })
    }

    /// Records that concern `id` was taken in at the 12345 desk as the
    /// matter `matter`.
    pub fn to_desk(&self, id: u64, matter: &str) -> Result<bool, PrivateError> {
        self.update(id, |kept| {
            kept.topic = Some(matter.to_owned());
            kept.desk = true;
        })
    }

    /// The concerns that came through the Open311 client `via`, oldest
    /// first.
    pub fn through(&self, via: &str) -> Result<Vec<KeptConcern>, PrivateError> {
        self.matching(|kept| kept.via.as_deref() == Some(via))
    }

    /// The ids of the concerns taken up in (or joined to) `topic`.
    pub fn for_topic(&self, topic: &str) -> Result<Vec<u64>, PrivateError> {
        let taken = self.matching(|kept| kept.topic.as_deref() == Some(topic))?;
        Ok(taken.iter().map(|kept| kept.id).collect())
    }

    /// Records in the ledger how many residents' concerns `topic` now
    /// stands for: the count in public, which concerns in the private
    /// store (a commitment to their ids), so that the topic's record says
    /// how many residents raised it, never who.
    pub async fn record_raisers(
        &self,
        office: &crate::office::Office,
        topic: &str,
    ) -> Result<(), crate::office::OfficeError> {
        let ids = self.for_topic(topic)?;
        let commitment = office.keep_private("concern-raisers", topic, serde_json::json!(ids))?;
        office
            .record(
                yiyi_protocol::proto::entry::Body::PrivateCommitment(
                    yiyi_protocol::proto::PrivateCommitment {
                        kind: yiyi_protocol::proto::private_commitment::Kind::TopicRaiser as i32,
                        commitment,
                        subject: topic.to_owned(),
                        count: ids.len() as u32,
                    },
                ),
                "",
            )
            .await?;
        Ok(())
    }

    /// Issues an Open311 key to the client `name`: the key, shown once (the
    /// node keeps its hash).
    pub fn issue_key(&self, name: &str, now_ms: i64) -> Result<String, ConcernsError> {
        let mut bytes = [0u8; 20];
        getrandom::fill(&mut bytes).map_err(|e| ConcernsError::Randomness(e.to_string()))?;
        let key = hex::encode(bytes);
        let client = Client {
            name: name.to_owned(),
            issued_ms: now_ms,
            revoked: false,
        };
        let value = serde_json::to_vec(&client).map_err(PrivateError::Corrupt)?;
        self.clients
            .insert(key_hash(&key), value)
            .map_err(from_sled)?;
        self.clients.flush().map_err(from_sled)?;
        Ok(key)
    }

    /// The client an Open311 key was issued to, unless revoked.
    pub fn client(&self, api_key: &str) -> Result<Option<Client>, PrivateError> {
        match self.clients.get(key_hash(api_key.trim()))? {
            Some(bytes) => {
                let client: Client = serde_json::from_slice(&bytes)?;
                Ok((!client.revoked).then_some(client))
            }
            None => Ok(None),
        }
    }

    /// The clients keys were issued to, in the order of their names.
    pub fn clients(&self) -> Result<Vec<Client>, PrivateError> {
        let mut list = Vec::new();
        for item in self.clients.iter() {
            list.push(serde_json::from_slice::<Client>(&item?.1)?);
        }
        list.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(list)
    }

    /// Revokes every key of the client `name`. False when it has none.
    pub fn revoke(&self, name: &str) -> Result<bool, PrivateError> {
        let mut found = false;
        for item in self.clients.iter() {
            let (key, bytes) = item?;
            let mut client: Client = serde_json::from_slice(&bytes)?;
            if client.name == name && !client.revoked {
                client.revoked = true;
                self.clients.insert(key, serde_json::to_vec(&client)?)?;
                found = true;
            }
        }
        self.clients.flush()?;
        Ok(found)
    }

    /// How many concerns wait for the office (neither taken up nor
    /// answered).
    pub fn waiting(&self) -> Result<usize, PrivateError> {
        Ok(self.matching(KeptConcern::is_waiting)?.len())
    }
}

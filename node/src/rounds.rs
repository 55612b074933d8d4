//! Residents' rounds on the node (征询): opening one with its participation
//! codes, taking ballots, and closing it with its tally, all through
//! [`Office::record`]. The codes, the ballots by code and the comments are
//! kept in the private store and never replicated; the ledger gets the
//! round (salt, number of codes, their root) and the tally (counts, root),
//! and the board serves the ballots' leaves once tallied, so that anyone
//! recounts and each resident checks her receipt ([`yiyi_protocol::tally`]).
//!
//! One lock orders ballots and closing: a ballot acknowledged with a
//! receipt is in the tally, and none is taken after it.

use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use yiyi_protocol::Hash;
use yiyi_protocol::proto::{self, entry::Body, round::Purpose};
use yiyi_protocol::round::{
    BallotError, BallotForm, BallotReceipt, CloseRound, OpenRound, RoundView,
};
use yiyi_protocol::rules::{Consultation, RoundState, RuleError, rounds as rules};
use yiyi_protocol::tally::{self, Ballot, Code, Counted, Receipt};

use crate::office::{Office, OfficeError, Recorded};
use crate::private::{PrivateError, PrivateStore};

/// Issued codes by round and receipt: `round \n receipt` → the code.
const CODES: &[u8] = b"round-codes-v1";
/// Ballots by round and receipt: `round \n receipt` → [`KeptBallot`].
const BALLOTS: &[u8] = b"round-ballots-v1";

/// A ballot as the node keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptBallot {
    /// The option chosen, from 0.
    pub choice: u32,
    /// Her comment, or empty.
    pub comment: String,
    /// When it was last cast (ms since the epoch).
    pub cast_ms: i64,
    /// How often it was changed.
    pub changes: u32,
}

/// Why a round action did not happen; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum RoundsError {
    /// The office refused the record, or could not write it.
    #[error(transparent)]
    Office(#[from] OfficeError),
    /// The private store failed.
    #[error(transparent)]
    Private(#[from] PrivateError),
    /// No such round.
    #[error("there is no round {0:?}")]
    Unknown(String),
    /// The ballot does not check out against the round.
    #[error(transparent)]
    Ballot(#[from] BallotError),
    /// A code that was not issued for this round.
    #[error("this is not a participation code of round {0:?}")]
    NotIssued(String),
    /// A name the request gave that is not one of the choices.
    #[error("{0}")]
    Request(String),
    /// No randomness for codes or salt.
    #[error("no randomness for codes: {0}")]
    Randomness(String),
    /// The kept ballots do not count (a kept ballot past the options:
    /// the store was altered).
    #[error(transparent)]
    Tally(#[from] tally::TallyError),
}

fn key(round: &str, receipt: &Receipt) -> Vec<u8> {
    let mut key = Vec::with_capacity(round.len() + 33);
    key.extend_from_slice(round.as_bytes());
    key.push(b'\n');
    key.extend_from_slice(receipt.0.as_bytes());
    key
}

fn prefix(round: &str) -> Vec<u8> {
    let mut prefix = round.as_bytes().to_vec();
    prefix.push(b'\n');
    prefix
}

fn receipt_of(key: &[u8]) -> Option<Receipt> {
    let at = key.len().checked_sub(32)?;
    Hash::from_slice(&key[at..]).ok().map(Receipt)
}

/// The rounds of one office.
pub struct Rounds {
    codes: sled::Tree,
    ballots: sled::Tree,
    /// Orders openings, ballots and closing.
    gate: Mutex<()>,
}

impl Rounds {
    /// The rounds kept in `private`.
    pub fn open(private: &PrivateStore) -> Result<Rounds, PrivateError> {
        Ok(Rounds {
            codes: private.tree(CODES)?,
            ballots: private.tree(BALLOTS)?,
            gate: Mutex::new(()),
        })
    }

    /// Opens a round: draws the salt and the codes, keeps the codes, and
    /// records the round. Returns the record and the codes to print.
    pub async fn open_round(
        &self,
        office: &Office,
        request: OpenRound,
        now_ms: i64,
    ) -> Result<(Recorded, Vec<Code>), RoundsError> {
        let evaluation = match request.purpose.as_str() {
            "" | "consultation" => false,
            "evaluation" => true,
            other => {
                return Err(RoundsError::Request(format!(
                    "purpose {other:?}: consultation or evaluation"
                )));
            }
        };
        let options: Vec<String> = if evaluation {
            rules::EVALUATION_OPTIONS.map(String::from).to_vec()
        } else if request.options.is_empty() {
            rules::DEFAULT_OPTIONS.map(String::from).to_vec()
        } else {
            request
                .options
                .iter()
                .map(|o| o.trim().to_owned())
                .collect()
        };
        let question = match request.question.trim() {
            "" if evaluation => "您对这件事的办理结果是否满意？".to_owned(),
            question => question.to_owned(),
        };
        // One opening at a time, so that a refused one forgets only the
        // codes it drew.
        let _gate = self.gate.lock().await;
        // Refused before any code is drawn when the rules refuse the
        // round's shape (the codes' number, an id taken).
        let codes_issued = request.codes.min(rules::MAX_CODES + 1);
        let random = |e: getrandom::Error| RoundsError::Randomness(e.to_string());
        let mut salt = [0u8; 32];
        getrandom::fill(&mut salt).map_err(random)?;
        let mut round = proto::Round {
            id: request.id.trim().to_owned(),
            purpose: if evaluation {
                Purpose::Evaluation
            } else {
                Purpose::Consultation
            } as i32,
            meeting_id: if evaluation {
                String::new()
            } else {
                request.meeting.trim().to_owned()
            },
            topic_id: request.topic.trim().to_owned(),
            question,
            options,
            closes_ms: now_ms + i64::from(request.hours) * 3_600_000,
            codes_issued,
            salt: salt.to_vec(),
            codes_root: vec![0; 32],
        };
        office.check_next(&Body::Round(round.clone())).await?;
        if self.codes.scan_prefix(prefix(&round.id)).next().is_some() {
            return Err(OfficeError::Rule(RuleError::Duplicate {
                kind: "round",
                id: round.id,
            })
            .into());
        }
        let mut codes = Vec::with_capacity(codes_issued as usize);
        let mut receipts = Vec::with_capacity(codes_issued as usize);
        let mut batch = sled::Batch::default();
        while codes.len() < codes_issued as usize {
            let code = Code::generate().map_err(random)?;
            let receipt = code.receipt(&salt);
            batch.insert(key(&round.id, &receipt), code.as_bytes().as_slice());
            codes.push(code);
            receipts.push(receipt);
        }
        round.codes_root = tally::codes_root(&round.id, &receipts).0.to_vec();
        // The codes are on disk before the round that commits to them.
        self.codes.apply_batch(batch).map_err(PrivateError::from)?;
        self.codes.flush().map_err(PrivateError::from)?;
        let id = round.id.clone();
        match office.record(Body::Round(round), "").await {
            Ok(recorded) => Ok((recorded, codes)),
            Err(e) => {
                self.forget_codes(&id)?;
                Err(e.into())
            }
        }
    }

    /// The codes of round `id` still kept (until it is tallied), for
    /// printing.
    pub fn codes(&self, id: &str) -> Result<Vec<Code>, PrivateError> {
        let mut codes = Vec::new();
        for item in self.codes.scan_prefix(prefix(id)) {
            let (_, bytes) = item?;
            if let Ok(bytes) = <[u8; Code::LEN]>::try_from(bytes.as_ref()) {
                codes.push(Code::from_bytes(bytes));
            }
        }
        Ok(codes)
    }

    fn forget_codes(&self, id: &str) -> Result<(), PrivateError> {
        let mut batch = sled::Batch::default();
        for item in self.codes.scan_prefix(prefix(id)) {
            batch.remove(item?.0);
        }
        self.codes.apply_batch(batch)?;
        self.codes.flush()?;
        Ok(())
    }

    /// Takes a resident's ballot: checked against the round, with a code
    /// issued for it; a second ballot with the code replaces the first. On
    /// disk before the receipt is returned.
    pub async fn cast(
        &self,
        office: &Office,
        id: &str,
        form: BallotForm,
    ) -> Result<BallotReceipt, RoundsError> {
        let _gate = self.gate.lock().await;
        let round = self.round(office, id).await?;
        let ballot = form.check(&round, crate::now_ms())?;
        let salt: [u8; 32] = round.round.salt.as_slice().try_into().unwrap_or([0; 32]);
        let receipt = ballot.code.receipt(&salt);
        let key = key(id, &receipt);
        if self.codes.get(&key).map_err(PrivateError::from)?.is_none() {
            return Err(RoundsError::NotIssued(id.to_owned()));
        }
        let earlier = self.kept(&key)?;
        let kept = KeptBallot {
            choice: ballot.choice,
            comment: ballot.comment,
            cast_ms: crate::now_ms(),
            changes: earlier.as_ref().map_or(0, |b| b.changes + 1),
        };
        self.ballots
            .insert(
                key,
                serde_json::to_vec(&kept).map_err(PrivateError::Corrupt)?,
            )
            .map_err(PrivateError::from)?;
        self.ballots.flush().map_err(PrivateError::from)?;
        Ok(BallotReceipt {
            round: id.to_owned(),
            receipt: receipt.0.to_hex(),
            choice: kept.choice,
            changed: earlier.is_some(),
        })
    }

    fn kept(&self, key: &[u8]) -> Result<Option<KeptBallot>, PrivateError> {
        match self.ballots.get(key)? {
            Some(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Round `id` as the ledger has it.
    pub async fn round(&self, office: &Office, id: &str) -> Result<RoundState, RoundsError> {
        office
            .read(|s| s.rounds.get(id).cloned())
            .await
            .ok_or_else(|| RoundsError::Unknown(id.to_owned()))
    }

    /// The ballots kept for round `id`, by receipt.
    pub fn ballots(&self, id: &str) -> Result<Vec<(Receipt, KeptBallot)>, PrivateError> {
        let mut ballots = Vec::new();
        for item in self.ballots.scan_prefix(prefix(id)) {
            let (key, bytes) = item?;
            if let Some(receipt) = receipt_of(&key) {
                ballots.push((receipt, serde_json::from_slice(&bytes)?));
            }
        }
        Ok(ballots)
    }

    /// The ballots of round `id` counted into its tree: what its tally
    /// says, and what its receipts are proved from.
    pub fn count(&self, round: &RoundState) -> Result<Counted, RoundsError> {
        count(round, &self.ballots(&round.round.id)?)
    }

    /// Closes round `id`: records its tally (and, for an evaluation with
    /// ballots, the residents' evaluation of its topic), then forgets its
    /// codes. No ballot is taken meanwhile.
    pub async fn close(
        &self,
        office: &Office,
        id: &str,
        request: CloseRound,
    ) -> Result<Vec<Recorded>, RoundsError> {
        let _gate = self.gate.lock().await;
        let round = self.round(office, id).await?;
        let ballots = self.ballots(id)?;
        let counted = count(&round, &ballots)?;
        let comments = ballots
            .iter()
            .filter(|(_, b)| !b.comment.is_empty())
            .count() as u32;
        let claim = &counted.claim;
        let mut records = vec![Body::Tally(proto::Tally {
            round_id: id.to_owned(),
            counts: claim.counts.clone(),
            ballots: claim.ballots,
            ballots_root: claim.root.0.to_vec(),
            comments,
            early_reason: request.early_reason.trim().to_owned(),
        })];
        if round.purpose() == Purpose::Evaluation && claim.ballots > 0 {
            records.push(Body::Evaluation(proto::Evaluation {
                topic_id: round.round.topic_id.clone(),
                satisfied: claim.counts[0],
                basically_satisfied: claim.counts[1],
                dissatisfied: claim.counts[2],
            }));
        }
        let recorded = office.record_all(records).await?;
        self.forget_codes(id)?;
        Ok(recorded)
    }
}

/// `ballots` of `round` counted into its tree.
fn count(round: &RoundState, ballots: &[(Receipt, KeptBallot)]) -> Result<Counted, RoundsError> {
    let ballots = ballots
        .iter()
        .map(|(receipt, kept)| Ballot {
            receipt: *receipt,
            choice: kept.choice,
        })
        .collect();
    Ok(tally::count(
        &round.round.id,
        round.round.options.len(),
        ballots,
    )?)
}

/// A round as the board and the console show it, its topic named.
fn view_of(s: &Consultation, round: &RoundState, now_ms: i64) -> RoundView {
    let title = s
        .topics
        .get(&round.round.topic_id)
        .map_or("", |t| t.topic.title.as_str());
    RoundView::new(round, title, now_ms)
}

/// The office's rounds as the board and the console show them, newest
/// first.
pub async fn views(office: &Office) -> Vec<RoundView> {
    let now = crate::now_ms();
    let mut rounds = office
        .read(|s| {
            s.rounds
                .values()
                .map(|r| view_of(s, r, now))
                .collect::<Vec<_>>()
        })
        .await;
    rounds.sort_by_key(|r| std::cmp::Reverse(r.entry.sequence));
    rounds
}

/// Round `id` as the board and the console show it, if there is one.
pub async fn view(office: &Office, id: &str) -> Option<RoundView> {
    let now = crate::now_ms();
    office
        .read(|s| s.rounds.get(id).map(|r| view_of(s, r, now)))
        .await
}

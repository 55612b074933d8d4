//! Residents' rounds (征询) over HTTP: what the board shows of a round,
//! a resident's ballot as she sends it, and what she gets back. The raw
//! ballot ([`BallotForm`]) is checked once here against the round
//! ([`BallotForm::check`]); refusals say why in Chinese and in English. The
//! counting and the proofs are [`crate::tally`]'s; the rules of the round
//! and tally records, [`crate::rules::rounds`]'s.

use serde::{Deserialize, Serialize};

use crate::api::EntryAt;
use crate::rules::RoundState;
use crate::tally::{Code, CodeError};

/// Characters a ballot's comment may have at most.
pub const MAX_COMMENT: usize = 500;

/// A ballot as posted to `POST /api/v1/rounds/{id}/ballots`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotForm {
    /// The participation code from her card (any case, dashes optional).
    pub code: String,
    /// The option chosen, counting from 0.
    pub choice: u32,
    /// What she adds, if anything (kept on the node, read by staff).
    #[serde(default)]
    pub comment: String,
}

/// A ballot that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedBallot {
    /// Her code.
    pub code: Code,
    /// The option chosen.
    pub choice: u32,
    /// Her comment, trimmed.
    pub comment: String,
}

/// Why a ballot is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BallotError {
    /// Not a participation code.
    #[error(transparent)]
    Code(#[from] CodeError),
    /// An option the round does not have.
    #[error("option {choice} does not exist: the round has {options}")]
    Choice {
        /// The index given.
        choice: u32,
        /// How many options there are.
        options: usize,
    },
    /// The comment is too long.
    #[error("the comment has {0} characters; at most {MAX_COMMENT}")]
    Comment(usize),
    /// The round takes no more ballots.
    #[error("round {0:?} is closed")]
    Closed(String),
}

impl BallotError {
    /// The refusal in Chinese.
    pub fn zh(&self) -> String {
        match self {
            BallotError::Code(CodeError::Character(c)) => {
                format!("参与码中没有字符“{c}”，请对照卡片核对")
            }
            BallotError::Code(CodeError::Length(n)) => {
                format!("参与码为 16 位，您输入了 {n} 位")
            }
            BallotError::Choice { .. } => "请选择一个选项".into(),
            BallotError::Comment(n) => {
                format!("留言最多 {MAX_COMMENT} 个字，您写了 {n} 个字")
            }
            BallotError::Closed(_) => "本轮征询已经结束，不再接受意见".into(),
        }
    }

    /// The form field it is about.
    pub fn field(&self) -> &'static str {
        match self {
            BallotError::Code(_) => "code",
            BallotError::Choice { .. } => "choice",
            BallotError::Comment(_) => "comment",
            BallotError::Closed(_) => "round",
        }
    }
}

impl BallotForm {
    /// Checks the ballot against `round` at `now_ms`. Whether the code was
    /// issued for this round is the node's to say (it holds the codes).
    pub fn check(self, round: &RoundState, now_ms: i64) -> Result<CheckedBallot, BallotError> {
        if !round.takes_ballots(now_ms) {
            return Err(BallotError::Closed(round.round.id.clone()));
        }
        let code = Code::parse(&self.code)?;
        let options = round.round.options.len();
        if self.choice as usize >= options {
            return Err(BallotError::Choice {
                choice: self.choice,
                options,
            });
        }
        let comment = self.comment.trim().to_owned();
        let chars = comment.chars().count();
        if chars > MAX_COMMENT {
            return Err(BallotError::Comment(chars));
        }
        Ok(CheckedBallot {
            code,
            choice: self.choice,
            comment,
        })
    }
}

/// What a resident gets for her ballot: her receipt (回执), the choice it
/// holds now, and whether it replaced an earlier one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BallotReceipt {
    /// The round.
    pub round: String,
    /// Her receipt: her code's commitment, hex.
    pub receipt: String,
    /// The option counted for her, from 0.
    pub choice: u32,
    /// Whether this replaced her earlier ballot.
    pub changed: bool,
}

/// A round as the board shows it (`GET /api/v1/rounds/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundView {
    /// The round's id.
    pub id: String,
    /// `consultation` or `evaluation`.
    pub purpose: String,
    /// The topic's id.
    pub topic: String,
    /// The topic's title.
    pub topic_title: String,
    /// The meeting, for a consultation.
    pub meeting: String,
    /// What residents are asked.
    pub question: String,
    /// The options.
    pub options: Vec<String>,
    /// When it stops taking ballots (ms since the epoch).
    pub closes_ms: i64,
    /// Codes issued.
    pub codes_issued: u32,
    /// The receipts' salt, hex (a resident's receipt is
    /// SHA-256("yiyi/code/v1\n" || salt || code)).
    pub salt: String,
    /// `open`, `closed` (past its time, not tallied yet) or `tallied`.
    pub status: String,
    /// The round's entry.
    pub entry: EntryAt,
    /// The tally, once recorded.
    pub tally: Option<TallyView>,
}

/// A round's tally as the board shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TallyView {
    /// Ballots per option.
    pub counts: Vec<u32>,
    /// Ballots in all.
    pub ballots: u32,
    /// The root over the ballots, hex.
    pub root: String,
    /// Ballots that came with a comment.
    pub comments: u32,
    /// Why it closed early, if it did.
    pub early_reason: String,
    /// The tally's entry (its bundle proves it).
    pub entry: EntryAt,
}

impl RoundView {
    /// The view of `round` at `now_ms`; `topic_title` from the state.
    pub fn new(round: &RoundState, topic_title: &str, now_ms: i64) -> RoundView {
        let r = &round.round;
        let purpose = match round.purpose() {
            crate::proto::round::Purpose::Evaluation => "evaluation",
            _ => "consultation",
        };
        let status = if round.tally.is_some() {
            "tallied"
        } else if round.takes_ballots(now_ms) {
            "open"
        } else {
            "closed"
        };
        RoundView {
            id: r.id.clone(),
            purpose: purpose.into(),
            topic: r.topic_id.clone(),
            topic_title: topic_title.to_owned(),
            meeting: r.meeting_id.clone(),
            question: r.question.clone(),
            options: r.options.clone(),
            closes_ms: r.closes_ms,
            codes_issued: r.codes_issued,
            salt: hex::encode(&r.salt),
            status: status.into(),
            entry: EntryAt::new(round.opened.sequence, round.opened.hash),
            tally: round.tally.as_ref().map(|(at, t)| TallyView {
                counts: t.counts.clone(),
                ballots: t.ballots,
                root: hex::encode(&t.ballots_root),
                comments: t.comments,
                early_reason: t.early_reason.clone(),
                entry: EntryAt::new(at.sequence, at.hash),
            }),
        }
    }
}

/// One published ballot: a receipt and the option counted for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedBallot {
    /// The receipt, hex.
    pub receipt: String,
    /// The option, from 0.
    pub choice: u32,
}

/// A tallied round's ballots (`GET /api/v1/rounds/{id}/ballots`), in leaf
/// order: anyone recounts the tally from them ([`crate::tally::recount`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedBallots {
    /// The round.
    pub round: String,
    /// The ballots, sorted by receipt.
    pub ballots: Vec<PublishedBallot>,
}

/// The proof that a receipt's ballot is in a tally
/// (`GET /api/v1/rounds/{id}/receipts/{receipt}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptProofView {
    /// The round.
    pub round: String,
    /// The receipt, hex.
    pub receipt: String,
    /// The leaf's index.
    pub index: u64,
    /// The option counted for it.
    pub choice: u32,
    /// The inclusion proof, hex hashes, leaf to root.
    pub hashes: Vec<String>,
    /// The tally's entry.
    pub tally: EntryAt,
}

/// Staff open a round (`POST /api/v1/rounds`, with the node's token).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenRound {
    /// The round's id, e.g. `R-1211`.
    pub id: String,
    /// `consultation` (default) or `evaluation`.
    #[serde(default)]
    pub purpose: String,
    /// For a consultation: the meeting (online or card).
    #[serde(default)]
    pub meeting: String,
    /// The topic.
    pub topic: String,
    /// What residents are asked (an evaluation's by default).
    #[serde(default)]
    pub question: String,
    /// The options (同意 / 不同意 / 弃权 by default; an evaluation's are
    /// fixed).
    #[serde(default)]
    pub options: Vec<String>,
    /// How many codes to issue.
    pub codes: u32,
    /// Hours until it closes.
    pub hours: u32,
}

/// What opening a round gives staff: the record, and the codes to print
/// (shown to staff only; the node keeps them until the round is tallied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenedRound {
    /// The round's record.
    pub answer: crate::api::Answer,
    /// The participation codes, as printed.
    pub codes: Vec<String>,
}

/// Staff close a round (`POST /api/v1/rounds/{id}/close`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseRound {
    /// Why it closes before its time with codes unused.
    #[serde(default)]
    pub early_reason: String,
}

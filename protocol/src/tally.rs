//! Verifiable tallies of residents' rounds (计票): online and card
//! consultation, and residents' evaluation.
//!
//! An office hands out one-time participation codes (参与码) without keeping
//! who got which. A resident's ballot is published as a leaf that shows her
//! choice under a commitment to her code, never the code or her name:
//!
//! ```text
//! receipt = SHA-256("yiyi/code/v1\n" || round salt || code)      (回执)
//! leaf    = "yiyi/ballot/v1\n" || round id || "\n" || receipt || choice (u32, big-endian)
//! ```
//!
//! The tally carries the counts per option, the number of ballots and the
//! RFC 6962 root over the leaves sorted by receipt (one leaf per code: a
//! changed ballot replaces its leaf). So anyone recounts the counts from
//! the leaves ([`recount`]), and each resident checks that her receipt's
//! leaf, with her choice, is under the signed root ([`verify_receipt`]).
//! The codes issued are committed the same way when the round opens
//! ([`codes_root`]), so that codes added later show.
//!
//! Hashing, counting, proving and verifying are kept apart as in
//! [`crate::merkle`]; nothing here does I/O. See
//! `shared/notes/verifiable-tallies.md` for the design and its limits (an
//! office could cast codes nobody picked up; a receipt lets a resident
//! show her choice to others).

use std::fmt;

use sha2::{Digest, Sha256};

use crate::merkle::{self, Hash, MemoryTree, ProofError};

/// The domain-separation prefix of a code's commitment.
pub const CODE_CONTEXT: &[u8] = b"yiyi/code/v1\n";
/// The domain-separation prefix of a ballot's leaf.
pub const BALLOT_CONTEXT: &[u8] = b"yiyi/ballot/v1\n";
/// The domain-separation prefix of an issued code's leaf.
pub const ISSUED_CONTEXT: &[u8] = b"yiyi/issued/v1\n";

/// Crockford's base32: no I, L, O or U, so a code read aloud or typed from
/// a card is not mistaken.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A one-time participation code (参与码): 80 random bits, written as 16
/// characters in four groups (`7K3M-Q9XD-2HPF-W4TB`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code([u8; Code::LEN]);

/// Text that is not a participation code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// A character that no code has.
    #[error("a participation code has no {0:?}")]
    Character(char),
    /// Too many or too few characters.
    #[error("a participation code has 16 characters, this has {0}")]
    Length(usize),
}

impl Code {
    /// Bytes in a code.
    pub const LEN: usize = 10;

    /// A fresh random code.
    pub fn generate() -> Result<Code, getrandom::Error> {
        let mut bytes = [0u8; Code::LEN];
        getrandom::fill(&mut bytes)?;
        Ok(Code(bytes))
    }

    /// The code with these bytes (as kept by the node that issued it).
    pub fn from_bytes(bytes: [u8; Code::LEN]) -> Code {
        Code(bytes)
    }

    /// The code's bytes.
    pub fn as_bytes(&self) -> &[u8; Code::LEN] {
        &self.0
    }

    /// Parses a code as a person types it: either case, with or without the
    /// dashes or spaces, O read as 0 and I or L as 1.
    pub fn parse(text: &str) -> Result<Code, CodeError> {
        let mut value: u128 = 0;
        let mut digits = 0;
        for c in text
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '\u{3000}'))
        {
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            let digit = ALPHABET
                .iter()
                .position(|&a| char::from(a) == c)
                .ok_or(CodeError::Character(c))?;
            digits += 1;
            if digits <= 16 {
                value = value << 5 | digit as u128;
            }
        }
        if digits != 16 {
            return Err(CodeError::Length(digits));
        }
        let bytes = value.to_be_bytes();
        let mut code = [0u8; Code::LEN];
        code.copy_from_slice(&bytes[16 - Code::LEN..]);
        Ok(Code(code))
    }

    /// The commitment to this code in a round salted with `salt`: the
    /// resident's receipt.
    pub fn receipt(&self, salt: &[u8; 32]) -> Receipt {
        let mut h = Sha256::new();
        h.update(CODE_CONTEXT);
        h.update(salt);
        h.update(self.0);
        Receipt(Hash(h.finalize().into()))
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut value = [0u8; 16];
        value[16 - Code::LEN..].copy_from_slice(&self.0);
        let value = u128::from_be_bytes(value);
        for i in 0..16 {
            if i > 0 && i % 4 == 0 {
                f.write_str("-")?;
            }
            let digit = (value >> (5 * (15 - i))) & 31;
            write!(f, "{}", char::from(ALPHABET[digit as usize]))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A code is a secret of its holder: never in a log by accident.
        f.write_str("Code(…)")
    }
}

/// A resident's receipt (回执): the commitment to her code. It names her
/// leaf in the tally without revealing the code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Receipt(pub Hash);

impl fmt::Display for Receipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// One ballot as published: whose receipt, which option (an index into the
/// round's options).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Ballot {
    /// The commitment to the code it was cast with.
    pub receipt: Receipt,
    /// The option chosen, counting from 0.
    pub choice: u32,
}

impl Ballot {
    /// The leaf's bytes in the tally of round `round`.
    pub fn leaf(&self, round: &str) -> Vec<u8> {
        let mut leaf = Vec::with_capacity(BALLOT_CONTEXT.len() + round.len() + 1 + 32 + 4);
        leaf.extend_from_slice(BALLOT_CONTEXT);
        leaf.extend_from_slice(round.as_bytes());
        leaf.push(b'\n');
        leaf.extend_from_slice(self.receipt.0.as_bytes());
        leaf.extend_from_slice(&self.choice.to_be_bytes());
        leaf
    }
}

/// What a tally entry claims: the counts per option, in the round's order,
/// the number of ballots, and the root over their leaves.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Claim {
    /// Ballots per option.
    pub counts: Vec<u32>,
    /// Ballots in all (the tree's size).
    pub ballots: u32,
    /// The RFC 6962 root over the leaves sorted by receipt.
    pub root: Hash,
}

/// Why ballots do not make a tally, or a tally does not check out; each
/// says which figure or which receipt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TallyError {
    /// Two ballots with one code.
    #[error("two ballots with the receipt {0}: one code, one ballot")]
    DuplicateCode(Receipt),
    /// A choice past the round's options.
    #[error("a ballot chose option {choice}, the round has {options}")]
    UnknownOption {
        /// The index chosen.
        choice: u32,
        /// How many options the round has.
        options: usize,
    },
    /// Leaves not in the order of their receipts.
    #[error("the ballots are not sorted by receipt")]
    NotSorted,
    /// A ballot cast with a code that was not issued.
    #[error("the receipt {0} is not among the codes issued")]
    NotIssued(Receipt),
    /// The counts have another number of options than the round.
    #[error("the tally counts {claimed} options, the round has {options}")]
    OptionCount {
        /// Options in the claim.
        claimed: usize,
        /// Options in the round.
        options: usize,
    },
    /// An option's count differs from the ballots.
    #[error("option {option}: the tally says {claimed}, the ballots give {counted}")]
    Count {
        /// The option, counting from 0.
        option: usize,
        /// What the tally says.
        claimed: u32,
        /// What the ballots give.
        counted: u32,
    },
    /// The number of ballots differs.
    #[error("the tally says {claimed} ballots, there are {counted}")]
    Ballots {
        /// What the tally says.
        claimed: u32,
        /// What was counted.
        counted: u32,
    },
    /// The root over the ballots is not the tally's.
    #[error("the ballots' root is {counted}, the tally's is {claimed}")]
    Root {
        /// The tally's root.
        claimed: Hash,
        /// The root over the ballots given.
        counted: Hash,
    },
    /// The receipt's leaf is not under the tally's root.
    #[error("the receipt {receipt} is not in the tally: {reason}")]
    Receipt {
        /// The resident's receipt.
        receipt: Receipt,
        /// What failed.
        reason: ProofError,
    },
    /// The receipt's leaf is in the tally with another choice.
    #[error("the receipt {receipt} is counted for option {counted}, not {expected}")]
    Choice {
        /// The resident's receipt.
        receipt: Receipt,
        /// What she chose.
        expected: u32,
        /// What the tally holds.
        counted: u32,
    },
}

/// Ballots counted: the claim a tally entry makes, and the tree to prove
/// each receipt from.
#[derive(Clone, Debug)]
pub struct Counted {
    /// The counts, the number of ballots and the root.
    pub claim: Claim,
    /// The ballots in leaf order (sorted by receipt).
    pub ballots: Vec<Ballot>,
    tree: MemoryTree,
}

/// Counts the ballots of round `round` with `options` options: sorts them
/// by receipt, refuses a second ballot of one code and a choice past the
/// options, and builds the tree.
pub fn count(round: &str, options: usize, mut ballots: Vec<Ballot>) -> Result<Counted, TallyError> {
    ballots.sort_unstable_by_key(|b| b.receipt);
    if let Some(pair) = ballots.windows(2).find(|p| p[0].receipt == p[1].receipt) {
        return Err(TallyError::DuplicateCode(pair[0].receipt));
    }
    let mut counts = vec![0u32; options];
    let mut tree = MemoryTree::new();
    for ballot in &ballots {
        let slot = counts
            .get_mut(ballot.choice as usize)
            .ok_or(TallyError::UnknownOption {
                choice: ballot.choice,
                options,
            })?;
        *slot += 1;
        tree.push_hash(merkle::leaf_hash(&ballot.leaf(round)));
    }
    Ok(Counted {
        claim: Claim {
            counts,
            ballots: ballots.len() as u32,
            root: tree.root(),
        },
        ballots,
        tree,
    })
}

/// The proof that a receipt's ballot is in a tally.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ReceiptProof {
    /// The leaf's index (its place among the sorted receipts).
    pub index: u64,
    /// The choice the leaf holds.
    pub choice: u32,
    /// The RFC 6962 inclusion proof, leaf to root.
    pub hashes: Vec<Hash>,
}

impl Counted {
    /// The proof for `receipt`, if a ballot was cast with its code.
    pub fn prove(&self, receipt: &Receipt) -> Option<ReceiptProof> {
        let index = self
            .ballots
            .binary_search_by_key(receipt, |b| b.receipt)
            .ok()?;
        let hashes = merkle::inclusion_proof(&self.tree, index as u64, self.tree.size()).ok()?;
        Some(ReceiptProof {
            index: index as u64,
            choice: self.ballots[index].choice,
            hashes,
        })
    }
}

/// Checks a resident's receipt against a tally of round `round`: her
/// ballot's leaf, with the choice the proof names, is under the claimed
/// root; when she remembers her choice (`expected`), it must be that one.
/// Returns the choice counted.
pub fn verify_receipt(
    round: &str,
    claim: &Claim,
    receipt: &Receipt,
    proof: &ReceiptProof,
    expected: Option<u32>,
) -> Result<u32, TallyError> {
    let leaf = Ballot {
        receipt: *receipt,
        choice: proof.choice,
    }
    .leaf(round);
    merkle::verify_inclusion(
        proof.index,
        u64::from(claim.ballots),
        &merkle::leaf_hash(&leaf),
        &proof.hashes,
        &claim.root,
    )
    .map_err(|reason| TallyError::Receipt {
        receipt: *receipt,
        reason,
    })?;
    match expected {
        Some(expected) if expected != proof.choice => Err(TallyError::Choice {
            receipt: *receipt,
            expected,
            counted: proof.choice,
        }),
        _ => Ok(proof.choice),
    }
}

/// Recounts a tally from its published ballots, as anyone can: they must
/// be sorted by receipt with one per code, each cast with an issued code
/// (when the issued receipts are given), and give exactly the claimed
/// counts, number and root. Says which figure differs.
pub fn recount(
    round: &str,
    options: usize,
    claim: &Claim,
    ballots: &[Ballot],
    issued: Option<&[Receipt]>,
) -> Result<(), TallyError> {
    if let Some(p) = ballots.windows(2).find(|p| p[0].receipt >= p[1].receipt) {
        return Err(if p[0].receipt == p[1].receipt {
            TallyError::DuplicateCode(p[0].receipt)
        } else {
            TallyError::NotSorted
        });
    }
    if let Some(issued) = issued {
        let mut issued = issued.to_vec();
        issued.sort_unstable();
        if let Some(b) = ballots
            .iter()
            .find(|b| issued.binary_search(&b.receipt).is_err())
        {
            return Err(TallyError::NotIssued(b.receipt));
        }
    }
    if claim.counts.len() != options {
        return Err(TallyError::OptionCount {
            claimed: claim.counts.len(),
            options,
        });
    }
    let counted = count(round, options, ballots.to_vec())?;
    for (option, (&claimed, &counted)) in claim.counts.iter().zip(&counted.claim.counts).enumerate()
    {
        if claimed != counted {
            return Err(TallyError::Count {
                option,
                claimed,
                counted,
            });
        }
    }
    if claim.ballots != counted.claim.ballots {
        return Err(TallyError::Ballots {
            claimed: claim.ballots,
            counted: counted.claim.ballots,
        });
    }
    if claim.root != counted.claim.root {
        return Err(TallyError::Root {
            claimed: claim.root,
            counted: counted.claim.root,
        });
    }
    Ok(())
}

/// The RFC 6962 root over the receipts of the codes issued for round
/// `round`, sorted: committed when the round opens, so that a code added
/// later shows.
pub fn codes_root(round: &str, issued: &[Receipt]) -> Hash {
    let mut issued = issued.to_vec();
    issued.sort_unstable();
    let mut tree = MemoryTree::new();
    for receipt in issued {
        let mut leaf = Vec::with_capacity(ISSUED_CONTEXT.len() + round.len() + 1 + 32);
        leaf.extend_from_slice(ISSUED_CONTEXT);
        leaf.extend_from_slice(round.as_bytes());
        leaf.push(b'\n');
        leaf.extend_from_slice(receipt.0.as_bytes());
        tree.push_hash(merkle::leaf_hash(&leaf));
    }
    tree.root()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_reads_back_as_written_and_as_people_type_it() {
        for _ in 0..200 {
            let code = Code::generate().unwrap();
            let shown = code.to_string();
            assert_eq!(shown.len(), 19);
            assert_eq!(Code::parse(&shown), Ok(code));
            assert_eq!(
                Code::parse(&shown.to_lowercase().replace('-', " ")),
                Ok(code)
            );
        }
        let code = Code::parse("0000-0000-0000-001Z").unwrap();
        assert_eq!(code.as_bytes()[9], 0x3f);
        assert_eq!(
            Code::parse("OOOO oooo 0000 0ilZ"),
            Code::parse("0000-0000-0000-011Z")
        );
        assert_eq!(
            Code::parse("0000-0000-0000-00U1"),
            Err(CodeError::Character('U'))
        );
        assert_eq!(
            Code::parse("0000-0000-0000-000"),
            Err(CodeError::Length(15))
        );
        assert_eq!(
            Code::parse("0000-0000-0000-00000"),
            Err(CodeError::Length(17))
        );
        assert_eq!(format!("{code:?}"), "Code(…)");
    }
}

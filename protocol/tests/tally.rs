//! Verifiable tallies: receipts, leaves, roots and proofs agree with an
//! independent implementation (`vectors/tally.py`, Python's hashlib); a
//! recount finds every figure a tally could misstate; a resident's check
//! catches a ballot dropped or changed after her receipt was given.

use proptest::prelude::*;
use serde_json::Value;
use yiyi_protocol::merkle::Hash;
use yiyi_protocol::tally::{
    Ballot, Claim, Code, Receipt, TallyError, codes_root, count, recount, verify_receipt,
};

fn vectors() -> Value {
    let path = format!("{}/tests/vectors/tally.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect(&path)
}

fn hash(v: &Value) -> Hash {
    Hash::from_hex(v.as_str().unwrap()).unwrap()
}

/// The vectors' round: its id, options, salt, the codes issued and the
/// ballots cast (in the order cast, not sorted).
struct Round {
    id: String,
    options: usize,
    salt: [u8; 32],
    codes: Vec<Code>,
    ballots: Vec<Ballot>,
}

fn round(v: &Value) -> Round {
    let salt: [u8; 32] = hex::decode(v["salt"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let codes: Vec<Code> = v["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Code::parse(c["shown"].as_str().unwrap()).unwrap())
        .collect();
    let ballots = v["ballots"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|b| Ballot {
            receipt: Receipt(hash(&b["receipt"])),
            choice: b["choice"].as_u64().unwrap() as u32,
        })
        .collect();
    Round {
        id: v["round"].as_str().unwrap().to_owned(),
        options: v["options"].as_u64().unwrap() as usize,
        salt,
        codes,
        ballots,
    }
}

#[test]
fn codes_receipts_leaves_roots_and_proofs_match_an_independent_implementation() {
    let v = vectors();
    let r = round(&v);
    for (code, shown) in r.codes.iter().zip(v["codes"].as_array().unwrap()) {
        assert_eq!(
            hex::encode(code.as_bytes()),
            shown["bytes"].as_str().unwrap()
        );
        assert_eq!(code.to_string(), shown["shown"].as_str().unwrap());
    }
    let receipts: Vec<Receipt> = r.codes.iter().map(|c| c.receipt(&r.salt)).collect();
    for (receipt, expected) in receipts.iter().zip(v["receipts"].as_array().unwrap()) {
        assert_eq!(receipt.0, hash(expected));
    }
    let counted = count(&r.id, r.options, r.ballots.clone()).unwrap();
    for (ballot, leaf) in counted.ballots.iter().zip(v["leaves"].as_array().unwrap()) {
        assert_eq!(hex::encode(ballot.leaf(&r.id)), leaf.as_str().unwrap());
    }
    let counts: Vec<u32> = v["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap() as u32)
        .collect();
    assert_eq!(
        counted.claim,
        Claim {
            counts,
            ballots: 10,
            root: hash(&v["root"])
        }
    );
    assert_eq!(codes_root(&r.id, &receipts), hash(&v["codes_root"]));
    for (ballot, expected) in counted.ballots.iter().zip(v["proofs"].as_array().unwrap()) {
        let proof = counted.prove(&ballot.receipt).unwrap();
        assert_eq!(proof.index, expected["index"].as_u64().unwrap());
        let hashes: Vec<Hash> = expected["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(hash)
            .collect();
        assert_eq!(proof.hashes, hashes);
        assert_eq!(
            verify_receipt(
                &r.id,
                &counted.claim,
                &ballot.receipt,
                &proof,
                Some(ballot.choice)
            ),
            Ok(ballot.choice)
        );
    }
    // The two codes never used have no ballot to prove.
    assert_eq!(counted.prove(&receipts[10]), None);
    recount(
        &r.id,
        r.options,
        &counted.claim,
        &counted.ballots,
        Some(&receipts),
    )
    .unwrap();
}

#[test]
fn a_recount_names_the_figure_a_tally_misstates() {
    let r = round(&vectors());
    let counted = count(&r.id, r.options, r.ballots.clone()).unwrap();
    let issued: Vec<Receipt> = r.codes.iter().map(|c| c.receipt(&r.salt)).collect();
    let recounted = |claim: &Claim, ballots: &[Ballot]| {
        recount(&r.id, r.options, claim, ballots, Some(&issued))
    };
    let mut claim = counted.claim.clone();
    claim.counts[0] += 1;
    claim.counts[1] -= 1;
    assert_eq!(
        recounted(&claim, &counted.ballots),
        Err(TallyError::Count {
            option: 0,
            claimed: 7,
            counted: 6
        })
    );
    let mut claim = counted.claim.clone();
    claim.ballots += 1;
    assert!(matches!(
        recounted(&claim, &counted.ballots),
        Err(TallyError::Ballots {
            claimed: 11,
            counted: 10
        })
    ));
    // Leaves served without one ballot: the counts no longer add up.
    let dropped = &counted.ballots[1..];
    assert!(matches!(
        recounted(&counted.claim, dropped),
        Err(TallyError::Count { .. })
    ));
    // One choice swapped for another in the served leaves, counts kept:
    // the root gives it away.
    let mut swapped = counted.ballots.clone();
    let (a, b) = (
        swapped.iter().position(|x| x.choice == 0).unwrap(),
        swapped.iter().position(|x| x.choice == 1).unwrap(),
    );
    (swapped[a].choice, swapped[b].choice) = (1, 0);
    assert!(matches!(
        recounted(&counted.claim, &swapped),
        Err(TallyError::Root { .. })
    ));
    // A leaf twice, leaves out of order, a code never issued, too many options.
    let mut twice = counted.ballots.clone();
    twice.insert(1, twice[0]);
    assert_eq!(
        recounted(&counted.claim, &twice),
        Err(TallyError::DuplicateCode(twice[0].receipt))
    );
    let mut unsorted = counted.ballots.clone();
    unsorted.swap(0, 1);
    assert_eq!(
        recounted(&counted.claim, &unsorted),
        Err(TallyError::NotSorted)
    );
    let stranger = Code::parse("ZZZZ-ZZZZ-ZZZZ-ZZZZ").unwrap().receipt(&r.salt);
    let mut foreign = counted.ballots.clone();
    foreign.push(Ballot {
        receipt: stranger,
        choice: 0,
    });
    foreign.sort_by_key(|b| b.receipt);
    assert_eq!(
        recounted(&counted.claim, &foreign),
        Err(TallyError::NotIssued(stranger))
    );
    assert!(matches!(
        recount(&r.id, 2, &counted.claim, &counted.ballots, None),
        Err(TallyError::OptionCount {
            claimed: 3,
            options: 2
        })
    ));
    // Counting refuses what no round holds.
    assert!(matches!(
        count(&r.id, 2, r.ballots.clone()),
        Err(TallyError::UnknownOption {
            choice: 2,
            options: 2
        })
    ));
}

#[test]
fn a_resident_s_check_catches_her_ballot_dropped_or_changed() {
    let r = round(&vectors());
    let counted = count(&r.id, r.options, r.ballots.clone()).unwrap();
    let mine = counted.ballots[3];
    let proof = counted.prove(&mine.receipt).unwrap();
    // The office drops her ballot and tallies the rest: no proof exists
    // for her receipt, and the old one does not lead to the new root.
    let without: Vec<Ballot> = counted
        .ballots
        .iter()
        .copied()
        .filter(|b| *b != mine)
        .collect();
    let tallied = count(&r.id, r.options, without).unwrap();
    assert_eq!(tallied.prove(&mine.receipt), None);
    assert!(matches!(
        verify_receipt(&r.id, &tallied.claim, &mine.receipt, &proof, Some(mine.choice)),
        Err(TallyError::Receipt { receipt, .. }) if receipt == mine.receipt
    ));
    // The office counts her code for another option: its proof names the
    // other choice, which she did not make.
    let mut changed = counted.ballots.clone();
    changed[3].choice = (mine.choice + 1) % 3;
    let tallied = count(&r.id, r.options, changed).unwrap();
    let served = tallied.prove(&mine.receipt).unwrap();
    assert_eq!(
        verify_receipt(
            &r.id,
            &tallied.claim,
            &mine.receipt,
            &served,
            Some(mine.choice)
        ),
        Err(TallyError::Choice {
            receipt: mine.receipt,
            expected: mine.choice,
            counted: served.choice
        })
    );
    // A proof with the choice altered does not verify either.
    let mut altered = proof.clone();
    altered.choice = served.choice;
    assert!(matches!(
        verify_receipt(&r.id, &counted.claim, &mine.receipt, &altered, None),
        Err(TallyError::Receipt { .. })
    ));
    // Nor does it in another round's tally.
    assert!(matches!(
        verify_receipt("R-other", &counted.claim, &mine.receipt, &proof, None),
        Err(TallyError::Receipt { .. })
    ));
}

proptest! {
    #[test]
    fn every_receipt_verifies_and_every_tally_recounts(
        choices in prop::collection::vec(0u32..4, 0..200),
    ) {
        let salt = [7u8; 32];
        let codes: Vec<Code> = (0..choices.len()).map(|_| Code::generate().unwrap()).collect();
        let ballots: Vec<Ballot> = codes
            .iter()
            .zip(&choices)
            .map(|(code, &choice)| Ballot { receipt: code.receipt(&salt), choice })
            .collect();
        let counted = count("R-p", 4, ballots.clone()).unwrap();
        prop_assert_eq!(counted.claim.ballots as usize, choices.len());
        prop_assert_eq!(counted.claim.counts.iter().sum::<u32>() as usize, choices.len());
        for ballot in &ballots {
            let proof = counted.prove(&ballot.receipt).unwrap();
            prop_assert_eq!(
                verify_receipt("R-p", &counted.claim, &ballot.receipt, &proof, Some(ballot.choice)),
                Ok(ballot.choice)
            );
        }
        let issued: Vec<Receipt> = ballots.iter().map(|b| b.receipt).collect();
        prop_assert_eq!(recount("R-p", 4, &counted.claim, &counted.ballots, Some(&issued)), Ok(()));
    }
}

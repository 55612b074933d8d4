//! The Merkle tree against the RFC's own recursive definitions, and proofs
//! under every single-bit change.

use proptest::prelude::*;
use yiyi_protocol::merkle::{
    Hash, MemoryTree, ProofError, consistency_proof, empty_root, inclusion_proof, leaf_hash,
    node_hash, verify_consistency, verify_inclusion,
};

/// RFC 6962 §2.1 MTH, written as the RFC writes it.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = n.next_power_of_two() / 2;
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// RFC 6962 §2.1.1 PATH.
fn path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return vec![];
    }
    let k = n.next_power_of_two() / 2;
    if m < k {
        let mut p = path(m, &leaves[..k]);
        p.push(mth(&leaves[k..]));
        p
    } else {
        let mut p = path(m - k, &leaves[k..]);
        p.push(mth(&leaves[..k]));
        p
    }
}

/// RFC 6962 §2.1.2 SUBPROOF.
fn subproof(m: usize, leaves: &[Hash], whole: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if whole { vec![] } else { vec![mth(leaves)] };
    }
    let k = n.next_power_of_two() / 2;
    if m <= k {
        let mut p = subproof(m, &leaves[..k], whole);
        p.push(mth(&leaves[k..]));
        p
    } else {
        let mut p = subproof(m - k, &leaves[k..], false);
        p.push(mth(&leaves[..k]));
        p
    }
}

fn leaves(n: usize) -> Vec<Hash> {
    (0..n)
        .map(|i| leaf_hash(&(i as u64).to_be_bytes()))
        .collect()
}

fn tree(hashes: &[Hash]) -> MemoryTree {
    let mut tree = MemoryTree::new();
    for h in hashes {
        tree.push_hash(*h);
    }
    tree
}

#[test]
fn every_size_up_to_130_matches_the_rfc_definitions() {
    let all = leaves(130);
    let full = tree(&all);
    for n in 0..=all.len() {
        let prefix = tree(&all[..n]);
        assert_eq!(prefix.root(), mth(&all[..n]), "root of size {n}");
        for m in 0..n {
            let proof = inclusion_proof(&full, m as u64, n as u64).unwrap();
            assert_eq!(proof, path(m, &all[..n]), "PATH({m}, {n})");
            verify_inclusion(m as u64, n as u64, &all[m], &proof, &mth(&all[..n])).unwrap();
        }
        for m in 1..n {
            let proof = consistency_proof(&full, m as u64, n as u64).unwrap();
            assert_eq!(proof, subproof(m, &all[..n], true), "PROOF({m}, {n})");
            verify_consistency(m as u64, n as u64, &mth(&all[..m]), &mth(&all[..n]), &proof)
                .unwrap();
        }
    }
}

#[test]
fn edge_cases_follow_rfc_9162() {
    let all = leaves(8);
    let t = tree(&all);
    let root = t.root();
    // Equal sizes: empty proof, equal roots.
    verify_consistency(8, 8, &root, &root, &[]).unwrap();
    assert!(verify_consistency(8, 8, &root, &all[0], &[]).is_err());
    assert!(verify_consistency(8, 8, &root, &root, &[root]).is_err());
    // Size 0 proves nothing and is refused, as transparency-dev refuses it.
    assert_eq!(
        verify_consistency(0, 8, &empty_root(), &root, &[]),
        Err(ProofError::EmptyOldTree)
    );
    assert!(verify_consistency(0, 0, &empty_root(), &empty_root(), &[]).is_err());
    // A larger old size is refused, as is an empty proof between different sizes.
    assert!(matches!(
        verify_consistency(9, 8, &root, &root, &[]),
        Err(ProofError::SizeOrder { .. })
    ));
    assert!(matches!(
        verify_consistency(3, 8, &mth(&all[..3]), &root, &[]),
        Err(ProofError::WrongLength { .. })
    ));
    // An index outside the tree.
    assert!(matches!(
        verify_inclusion(8, 8, &all[0], &[], &root),
        Err(ProofError::IndexOutOfRange { .. })
    ));
    // Proof generation refuses what the tree does not have.
    assert!(inclusion_proof(&t, 8, 8).is_err());
    assert!(inclusion_proof(&t, 0, 9).is_err());
    assert!(consistency_proof(&t, 5, 4).is_err());
    assert_eq!(consistency_proof(&t, 0, 8).unwrap(), vec![]);
    assert_eq!(consistency_proof(&t, 8, 8).unwrap(), vec![]);
}

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut b = h.0;
    b[bit / 8] ^= 1 << (bit % 8);
    Hash(b)
}

/// The sequence of left/right combinations an inclusion proof is checked
/// with. Two (index, size) pairs with the same shape compute the same root
/// from the same proof: RFC 6962 verification cannot tell them apart, and only
/// the signed (size, root) pair of a checkpoint can.
fn inclusion_shape(index: u64, size: u64) -> Option<Vec<bool>> {
    if index >= size {
        return None;
    }
    let inner = (64 - (index ^ (size - 1)).leading_zeros()) as usize;
    let border = index.checked_shr(inner as u32).unwrap_or(0).count_ones() as usize;
    let mut shape: Vec<bool> = (0..inner).map(|i| index >> i & 1 == 1).collect();
    shape.extend(std::iter::repeat_n(true, border));
    Some(shape)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn inclusion_proofs_verify_and_every_bit_flip_is_rejected(
        size in 1u64..300, index_seed in any::<u64>(), bit in 0usize..256, size_bit in 0usize..64,
    ) {
        let all = leaves(size as usize);
        let t = tree(&all);
        let index = index_seed % size;
        let root = t.root();
        let leaf = all[index as usize];
        let proof = inclusion_proof(&t, index, size).unwrap();
        prop_assert!(verify_inclusion(index, size, &leaf, &proof, &root).is_ok());

        prop_assert!(verify_inclusion(index, size, &leaf, &proof, &flip(&root, bit)).is_err());
        prop_assert!(verify_inclusion(index, size, &flip(&leaf, bit), &proof, &root).is_err());
        for i in 0..proof.len() {
            let mut bad = proof.clone();
            bad[i] = flip(&bad[i], bit);
            prop_assert!(verify_inclusion(index, size, &leaf, &bad, &root).is_err());
        }
        let mut longer = proof.clone();
        longer.push(root);
        prop_assert!(verify_inclusion(index, size, &leaf, &longer, &root).is_err());
        if !proof.is_empty() {
            prop_assert!(verify_inclusion(index, size, &leaf, &proof[1..], &root).is_err());
        }
        for b in 0..64 {
            let other = index ^ (1 << b);
            prop_assert!(verify_inclusion(other, size, &leaf, &proof, &root).is_err(),
                "index {} -> {}", index, other);
        }
        // A flipped size is refused unless it yields the very same checking
        // path, in which case the proof still proves nothing about a tree of
        // that size: the root of that tree differs.
        let other = size ^ (1 << size_bit);
        let accepted = verify_inclusion(index, other, &leaf, &proof, &root).is_ok();
        let same_shape = inclusion_shape(index, other) == inclusion_shape(index, size);
        prop_assert_eq!(accepted, same_shape, "size {} -> {}", size, other);
        if accepted && other < 600 {
            let other_root = mth(&leaves(other as usize));
            prop_assert!(verify_inclusion(index, other, &leaf, &proof, &other_root).is_err());
        }
    }

    #[test]
    fn consistency_proofs_verify_and_every_bit_flip_is_rejected(
        size in 2u64..300, old_seed in any::<u64>(), bit in 0usize..256, size_bit in 0usize..64,
    ) {
        let all = leaves(size as usize);
        let t = tree(&all);
        let old = 1 + old_seed % (size - 1);
        let (old_root, root) = (mth(&all[..old as usize]), t.root());
        let proof = consistency_proof(&t, old, size).unwrap();
        prop_assert!(verify_consistency(old, size, &old_root, &root, &proof).is_ok());

        prop_assert!(verify_consistency(old, size, &flip(&old_root, bit), &root, &proof).is_err());
        prop_assert!(verify_consistency(old, size, &old_root, &flip(&root, bit), &proof).is_err());
        for i in 0..proof.len() {
            let mut bad = proof.clone();
            bad[i] = flip(&bad[i], bit);
            prop_assert!(verify_consistency(old, size, &old_root, &root, &bad).is_err());
        }
        let mut longer = proof.clone();
        longer.push(root);
        prop_assert!(verify_consistency(old, size, &old_root, &root, &longer).is_err());
        prop_assert!(verify_consistency(old, size, &old_root, &root, &proof[1..]).is_err());
        let other_old = old ^ (1 << size_bit);
        prop_assert!(verify_consistency(other_old, size, &old_root, &root, &proof).is_err(),
            "old size {} -> {}", old, other_old);
        let other = size ^ (1 << size_bit);
        let accepted = verify_consistency(old, other, &old_root, &root, &proof).is_ok();
        if accepted && other < 600 {
            // As with inclusion: only a path-identical size passes, and the
            // real tree of that size has another root.
            let other_root = mth(&leaves(other as usize));
            prop_assert!(verify_consistency(old, other, &old_root, &other_root, &proof).is_err());
        }
    }
}

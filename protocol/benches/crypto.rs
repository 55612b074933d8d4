#![allow(missing_docs)] // criterion_group! generates undocumented functions
//! The primitives a ledger is built from: Ed25519 signing and verification,
//! entry signing and verification, Merkle proofs at a million entries, and
//! a residents' round of 10,000 ballots counted, recounted and checked.
//!
//! `cargo bench -p yiyi-protocol`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use prost::Message;
use yiyi_protocol::entry;
use yiyi_protocol::merkle::{
    MemoryTree, consistency_proof, inclusion_proof, leaf_hash, verify_consistency, verify_inclusion,
};
use yiyi_protocol::proto::{self, entry::Body};
use yiyi_protocol::tally::{self, Ballot, Code};
use yiyi_protocol::{ChainHead, SecretKey};

const MILLION: u64 = 1 << 20;

fn signatures(c: &mut Criterion) {
    let key = SecretKey::from_seed("bench", [1; 32]).unwrap();
    let message = [7u8; 256];
    let signature = key.sign(&message);
    let verifier = key.verifier();
    let mut g = c.benchmark_group("ed25519");
    g.throughput(Throughput::Elements(1));
    g.bench_function("sign 256 B", |b| b.iter(|| key.sign(black_box(&message))));
    g.bench_function("verify_strict 256 B", |b| {
        b.iter(|| assert!(verifier.verify(black_box(&message), &signature)))
    });
    g.finish();

    let body = Body::Notice(proto::Notice {
        title: "关于小区停车位施划的协商结果公示".into(),
        body: "经协商，同意在东侧空地施划停车位二十个，由物业负责，月底前完成。".into(),
        lang: "zh-CN".into(),
        ..Default::default()
    });
    let unsigned = ChainHead::default().next_entry(key.public_bytes(), 1_764_000_000_000, body);
    let signed = entry::sign(&unsigned, &key).unwrap();
    let mut g = c.benchmark_group("entry");
    g.throughput(Throughput::Elements(1));
    g.bench_function("encode and sign", |b| {
        b.iter(|| entry::sign(black_box(&unsigned), &key).unwrap())
    });
    g.bench_function("decode and verify", |b| {
        b.iter(|| entry::verify(black_box(&signed.bytes)).unwrap())
    });
    // The same notice as a later release might write it, with a field this
    // release does not know: verified the same way, kept unread.
    let mut later = unsigned.encode_to_vec();
    later.extend_from_slice(&[0xc2, 0x02, 0x02, 0x08, 0x01]); // field 40: {1: 1}
    let later = entry::sign_encoded(later, &key).unwrap();
    assert!(later.is_newer());
    g.bench_function("decode and verify, a later release's", |b| {
        b.iter(|| entry::verify(black_box(&later.bytes)).unwrap())
    });
    g.finish();
}

fn proofs(c: &mut Criterion) {
    let mut tree = MemoryTree::new();
    for i in 0..MILLION {
        tree.push_hash(leaf_hash(&i.to_be_bytes()));
    }
    let root = tree.root();
    let old = MILLION / 3;
    let old_root = yiyi_protocol::merkle::range_root(&tree, 0, old).unwrap();
    let mut index = 0u64;
    let mut g = c.benchmark_group("merkle at 2^20 entries (memory)");
    g.throughput(Throughput::Elements(1));
    g.bench_function("inclusion proof", |b| {
        b.iter(|| {
            index = (index + 7919) % MILLION;
            inclusion_proof(&tree, index, MILLION).unwrap()
        })
    });
    g.bench_function("consistency proof", |b| {
        b.iter(|| consistency_proof(&tree, old, MILLION).unwrap())
    });
    let proof = inclusion_proof(&tree, 12345, MILLION).unwrap();
    let leaf = tree.leaf(12345).unwrap();
    g.bench_function("verify inclusion", |b| {
        b.iter(|| verify_inclusion(12345, MILLION, black_box(&leaf), &proof, &root).unwrap())
    });
    let cproof = consistency_proof(&tree, old, MILLION).unwrap();
    g.bench_function("verify consistency", |b| {
        b.iter(|| verify_consistency(old, MILLION, &old_root, black_box(&root), &cproof).unwrap())
    });
    g.finish();
}

fn tallies(c: &mut Criterion) {
    const BALLOTS: usize = 10_000;
    let salt = [9u8; 32];
    let ballots: Vec<Ballot> = (0..BALLOTS)
        .map(|i| Ballot {
            receipt: Code::generate().unwrap().receipt(&salt),
            choice: (i % 3) as u32,
        })
        .collect();
    let counted = tally::count("R-1", 3, ballots.clone()).unwrap();
    let mine = ballots[4321].receipt;
    let proof = counted.prove(&mine).unwrap();
    let mut g = c.benchmark_group("tally of 10,000 ballots");
    g.sample_size(20);
    g.bench_function("count (sort, counts, root)", |b| {
        b.iter(|| tally::count("R-1", 3, black_box(ballots.clone())).unwrap())
    });
    g.bench_function("recount from the leaves", |b| {
        b.iter(|| {
            tally::recount("R-1", 3, &counted.claim, black_box(&counted.ballots), None).unwrap()
        })
    });
    g.bench_function("prove a receipt", |b| {
        b.iter(|| counted.prove(black_box(&mine)).unwrap())
    });
    g.bench_function("check a receipt", |b| {
        b.iter(|| {
            tally::verify_receipt(
                "R-1",
                &counted.claim,
                black_box(&mine),
                &proof,
                Some(proof.choice),
            )
            .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, signatures, proofs, tallies);
criterion_main!(benches);

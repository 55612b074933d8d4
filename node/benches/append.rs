#![allow(missing_docs)] // criterion_group! generates undocumented functions
//! Durable appends to the ledger store, against raw Ed25519 signing measured
//! in the same run (the machines are shared and noisy, so only the ratio
//! travels), and inclusion proofs and tlog-tiles read from the store at a
//! million entries.
//!
//! `cargo bench -p yiyi-node`

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokio::runtime::Runtime;
use yiyi_node::Store;
use yiyi_protocol::SecretKey;
use yiyi_protocol::merkle::verify_inclusion;
use yiyi_protocol::proto::{self, entry::Body};

fn office() -> SecretKey {
    SecretKey::from_seed("yiyi/bench/append", [5; 32]).unwrap()
}

/// A progress notice of about the size offices write (≈ 200 bytes signed).
fn body(n: u64) -> Body {
    Body::Progress(proto::Progress {
        topic_id: "T-2026-011".into(),
        text: format!("第 {n} 次进展公示：施工队已进场，预计本月底前完成停车位施划。"),
        completed: false,
    })
}

/// Appends `total` entries from `writers` tasks on a two-thread runtime (as
/// in the node), each awaiting its own append's durability before the next;
/// returns the elapsed time.
fn append_concurrently(
    runtime: &Runtime,
    store: &Arc<Store>,
    writers: u64,
    total: u64,
) -> Duration {
    runtime.block_on(async {
        let start = Instant::now();
        let tasks: Vec<_> = (0..writers)
            .map(|w| {
                let store = store.clone();
                let share = total / writers + u64::from(w < total % writers);
                tokio::spawn(async move {
                    for n in 0..share {
                        store.append(body(n)).await.expect("append");
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("writer");
        }
        start.elapsed()
    })
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime")
}

fn appends(c: &mut Criterion) {
    let key = office();
    let message = [7u8; 256];
    let mut g = c.benchmark_group("durable append");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("raw ed25519 sign (baseline)", |b| {
        b.iter(|| key.sign(&message))
    });
    let runtime = runtime();
    for writers in [1u64, 8, 64, 256] {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(Store::open(dir.path(), office()).expect("store"));
        g.bench_function(format!("{writers} concurrent writers"), |b| {
            b.iter_custom(|iters| append_concurrently(&runtime, &store, writers, iters))
        });
    }
    g.finish();
}

/// Bytes in the files under `dir`.
fn disk_usage(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => disk_usage(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

fn store_proofs(c: &mut Criterion) {
    const SIZE: u64 = 1 << 20;
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(Store::open(dir.path(), office()).expect("store"));
    let took = append_concurrently(&runtime(), &store, 256, SIZE);
    eprintln!(
        "built a {SIZE}-entry ledger with 256 writers in {:.1} s ({:.0} durable appends/s)",
        took.as_secs_f64(),
        SIZE as f64 / took.as_secs_f64()
    );
    let log = store.own_log();
    let root = store.state(&log).expect("state").root;
    eprintln!(
        "the store takes {:.0} MB on disk",
        disk_usage(dir.path()) as f64 / 1e6
    );
    let mut index = 0u64;
    let mut g = c.benchmark_group("store at 2^20 entries");
    g.throughput(Throughput::Elements(1));
    g.bench_function("inclusion proof", |b| {
        b.iter(|| {
            index = (index + 7919) % SIZE;
            store.inclusion_proof(&log, index, SIZE).expect("proof")
        })
    });
    g.bench_function("consistency proof", |b| {
        b.iter(|| {
            store
                .consistency_proof(&log, SIZE / 3, SIZE)
                .expect("proof")
        })
    });
    // What `/tlog/<log>/tile/…` reads: a full tile of 256 hashes at level
    // 0 and at level 1, and an entry bundle of 256 entries.
    let mut tile = 0u64;
    for level in [0u8, 1] {
        let tiles = SIZE >> (8 * (u32::from(level) + 1));
        g.bench_function(format!("a full level-{level} tile"), |b| {
            b.iter(|| {
                tile = (tile + 7) % tiles;
                store.tile_hashes(&log, level, tile, 256).expect("tile")
            })
        });
    }
    g.bench_function("an entry bundle of 256 entries", |b| {
        b.iter(|| {
            tile = (tile + 7) % (SIZE / 256);
            let entries: Vec<Vec<u8>> = (tile * 256..(tile + 1) * 256)
                .map(|i| store.entry(&log, i).expect("read").expect("held"))
                .collect();
            yiyi_protocol::tiles::encode_bundle(&entries).expect("bundle")
        })
    });
    g.finish();
    // The proofs benchmarked are real ones.
    let proof = store.inclusion_proof(&log, 4242, SIZE).expect("proof");
    let (_, _, bytes) = store
        .entry_by_hash(
            &yiyi_protocol::entry::verify(&store.entry(&log, 4242).expect("read").expect("entry"))
                .expect("valid")
                .hash,
        )
        .expect("read")
        .expect("indexed");
    let leaf = yiyi_protocol::merkle::leaf_hash(&bytes);
    verify_inclusion(4242, SIZE, &leaf, &proof, &root).expect("the benchmarked proofs verify");
}

/// Catch-up as replication does it: another office's 10,000 entries,
/// received in responses of 256 and stored one response after another
/// (`Store::append_replicas`: signatures checked on both cores, then
/// committed in order), against verifying the same signatures alone.
fn catch_up(c: &mut Criterion) {
    const ENTRIES: u64 = 10_000;
    const RESPONSE: usize = 256;
    let runtime = runtime();
    let source_dir = tempfile::tempdir().expect("temp dir");
    let source = Arc::new(Store::open(source_dir.path(), office()).expect("store"));
    append_concurrently(&runtime, &source, 256, ENTRIES);
    let log = source.own_log();
    let entries: Vec<Vec<u8>> = (0..ENTRIES)
        .map(|n| source.entry(&log, n).expect("read").expect("entry"))
        .collect();
    let mut g = c.benchmark_group("catch-up of 10,000 entries");
    g.sample_size(10);
    g.throughput(Throughput::Elements(ENTRIES));
    g.bench_function("verify the signatures only (both cores)", |b| {
        b.iter(|| {
            std::thread::scope(|scope| {
                for part in entries.chunks(entries.len() / 2) {
                    scope.spawn(move || {
                        for bytes in part {
                            yiyi_protocol::entry::verify(bytes).expect("valid");
                        }
                    });
                }
            })
        })
    });
    g.bench_function("verified and stored, 256 a response", |b| {
        b.iter_custom(|iterations| {
            let mut took = Duration::ZERO;
            for _ in 0..iterations {
                let dir = tempfile::tempdir().expect("temp dir");
                let key = SecretKey::from_seed("yiyi/bench/replica", [6; 32]).unwrap();
                let store = Store::open(dir.path(), key).expect("store");
                let start = Instant::now();
                runtime.block_on(async {
                    for response in entries.chunks(RESPONSE) {
                        for outcome in store.append_replicas(log, response.to_vec()).await {
                            outcome.expect("stored");
                        }
                    }
                });
                took += start.elapsed();
            }
            took
        })
    });
    g.finish();
}

criterion_group!(benches, appends, store_proofs, catch_up);
criterion_main!(benches);

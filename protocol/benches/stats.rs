#![allow(missing_docs)] // criterion_group! generates undocumented functions
//! Statistics at a city's scale: the figures of 1,551 offices' ledgers of
//! 40 topics each (62,040 topics), by office and by category, as a
//! district's or a city's `GET /api/v1/stats?scope=subtree` computes them
//! once the ledgers are replayed.
//!
//! `cargo bench -p yiyi-protocol --bench stats`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use yiyi_protocol::LogKey;
use yiyi_protocol::merkle::Hash;
use yiyi_protocol::proto::{self, entry::Body, gate_decision::Verdict};
use yiyi_protocol::rules::{Consultation, Date, Position};
use yiyi_protocol::stats::{Counted, GroupBy, Period, Query, compute};

const OFFICES: usize = 1_551;
const TOPICS: usize = 40;

/// An office's ledger of `TOPICS` topics: a third declined, a third
/// accepted, a third referred, as the rules apply them.
fn office(n: usize) -> Consultation {
    let mut state = Consultation::new();
    let mut sequence = 0u64;
    let mut apply = |state: &mut Consultation, body: Body| {
        sequence += 1;
        let mut hash = Hash::default();
        hash.0[..8].copy_from_slice(&sequence.to_be_bytes());
        hash.0[8..16].copy_from_slice(&(n as u64).to_be_bytes());
        state.apply(
            &body,
            Position {
                sequence,
                hash,
                time_ms: 1_793_581_200_000 + sequence as i64 * 60_000,
            },
        );
    };
    for t in 0..TOPICS {
        let id = format!("T-{t}");
        apply(
            &mut state,
            Body::Topic(proto::Topic {
                id: id.clone(),
                title: "社区事务".into(),
                category: 1 + (t % 3) as i32,
                scale: proto::Scale::Minor as i32,
                source: proto::topic::Source::Resident as i32,
                ..Default::default()
            }),
        );
        let verdict = [
            Verdict::DeclineRegulated,
            Verdict::Accept,
            Verdict::IndividualDispute,
        ][t % 3];
        apply(
            &mut state,
            Body::GateDecision(proto::GateDecision {
                topic_id: id,
                verdict: verdict as i32,
                ..Default::default()
            }),
        );
    }
    state
}

fn figures(c: &mut Criterion) {
    let states: Vec<Consultation> = (0..OFFICES).map(office).collect();
    let counted: Vec<Counted<'_>> = states
        .iter()
        .enumerate()
        .map(|(i, state)| {
            let mut key = [0u8; 32];
            key[..8].copy_from_slice(&(i as u64).to_be_bytes());
            Counted {
                log: LogKey(key),
                state,
            }
        })
        .collect();
    let day = Date::parse("2026-11-30").unwrap();
    let mut g = c.benchmark_group("stats");
    g.throughput(Throughput::Elements((OFFICES * TOPICS) as u64));
    g.sample_size(20);
    for by in [GroupBy::Office, GroupBy::Category] {
        let query = Query {
            period: Period {
                from: Some(Date::parse("2026-11-01").unwrap()),
                to: Some(day),
            },
            by,
            on: day,
        };
        g.bench_function(format!("1551 offices x 40 topics by {}", by.name()), |b| {
            b.iter(|| black_box(compute(black_box(&counted), &query)))
        });
    }
    g.finish();
}

criterion_group!(benches, figures);
criterion_main!(benches);

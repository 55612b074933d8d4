//! The ledger store as the node uses it: appends, reads, proofs, replicas,
//! refusals that change nothing, and reopening.

use std::sync::Arc;

use yiyi_node::{Store, StoreError};
use yiyi_protocol::entry::{self, EntryError};
use yiyi_protocol::merkle::{verify_consistency, verify_inclusion};
use yiyi_protocol::proto::{self, entry::Body};
use yiyi_protocol::{ChainHead, Checkpoint, SecretKey};

fn office() -> SecretKey {
    SecretKey::from_seed("yiyi/lixia/quancheng/shunyu", [11; 32]).unwrap()
}

fn progress(n: u64) -> Body {
    Body::Progress(proto::Progress {
        topic_id: "T-2026-011".into(),
        text: format!("第 {n} 次进展：施工队已进场"),
        completed: false,
    })
}

#[test]
fn appends_are_read_back_by_sequence_and_hash_with_proofs_at_any_size() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), office()).unwrap();
    let log = store.own_log();
    let mut appended = Vec::new();
    for n in 0..37 {
        let a = store.append_blocking(progress(n)).unwrap();
        assert_eq!(a.sequence, n);
        appended.push(a);
    }
    let state = store.state(&log).unwrap();
    assert_eq!(state.head.size, 37);
    assert_eq!(state.head.last, appended[36].hash);

    for a in &appended {
        let bytes = store.entry(&log, a.sequence).unwrap().unwrap();
        let verified = entry::verify(&bytes).unwrap();
        assert_eq!(verified.hash, a.hash);
        let (l, seq, by_hash) = store.entry_by_hash(&a.hash).unwrap().unwrap();
        assert_eq!((l, seq, by_hash), (log, a.sequence, bytes));
    }
    assert!(store.entry(&log, 37).unwrap().is_none());

    // The checkpoint is signed by the office's key and covers everything.
    let note = store.checkpoint().unwrap().unwrap();
    let (checkpoint, _) = Checkpoint::open(note.as_str(), &office().verifier()).unwrap();
    assert_eq!((checkpoint.size, checkpoint.root), (37, state.root));

    // Proofs against the current and against older sizes.
    for size in [1u64, 2, 5, 16, 17, 37] {
        let root = store.root_at(&log, size).unwrap();
        for index in [0, size / 2, size - 1] {
            let proof = store.inclusion_proof(&log, index, size).unwrap();
            verify_inclusion(index, size, &appended[index as usize].hash, &proof, &root).unwrap();
        }
        if size < 37 {
            let proof = store.consistency_proof(&log, size, 37).unwrap();
            verify_consistency(size, 37, &root, &state.root, &proof).unwrap();
        }
    }
    assert!(matches!(
        store.inclusion_proof(&log, 37, 37),
        Err(StoreError::OutOfRange(_))
    ));
    assert!(matches!(
        store.consistency_proof(&log, 5, 38),
        Err(StoreError::OutOfRange(_))
    ));
    store.verify_log(&log).unwrap();
}

#[test]
fn reopening_gives_the_same_log_and_root() {
    let dir = tempfile::tempdir().unwrap();
    let (log, before) = {
        let store = Store::open(dir.path(), office()).unwrap();
        for n in 0..10 {
            store.append_blocking(progress(n)).unwrap();
        }
        (store.own_log(), store.state(&store.own_log()).unwrap())
    };
    let store = Store::open(dir.path(), office()).unwrap();
    assert_eq!(store.state(&log).unwrap(), before);
    assert_eq!(store.verify_log(&log).unwrap(), before);
    // And it carries on where it stopped.
    assert_eq!(store.append_blocking(progress(10)).unwrap().sequence, 10);
    store.verify_log(&log).unwrap();
}

#[test]
fn a_store_closed_a_moment_ago_reopens_and_one_in_use_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    // sled's background threads release the lock just after a close: a
    // reopen at once must wait for it, not fail.
    for n in 0..30 {
        let store = Store::open(dir.path(), office()).unwrap();
        assert_eq!(store.append_blocking(progress(n)).unwrap().sequence, n);
    }
    let open = Store::open(dir.path(), office()).unwrap();
    match Store::open(dir.path(), office()) {
        Err(e @ StoreError::Locked(_)) => {
            assert!(e.to_string().contains("in use by another process"), "{e}")
        }
        other => panic!("a store in use opened twice: {:?}", other.err()),
    }
    drop(open);
}

#[test]
fn concurrent_appends_are_all_ordered_into_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), office()).unwrap());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                (0..50)
                    .map(|n| {
                        store
                            .append_blocking(progress(t * 100 + n))
                            .unwrap()
                            .sequence
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut sequences: Vec<u64> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    sequences.sort();
    assert_eq!(sequences, (0..400).collect::<Vec<_>>());
    assert_eq!(store.verify_log(&store.own_log()).unwrap().head.size, 400);
}

/// Another office's ledger, built as it would arrive from the network.
fn other_ledger(n: u64) -> (SecretKey, Vec<Vec<u8>>) {
    let key = SecretKey::from_seed("yiyi/lixia/quancheng", [22; 32]).unwrap();
    let mut head = ChainHead::default();
    let mut entries = Vec::new();
    for i in 0..n {
        let e = entry::sign(&head.next_entry(&key.log_key(), 1, progress(i)), &key).unwrap();
        head = head.advance(&e);
        entries.push(e.bytes);
    }
    (key, entries)
}

#[tokio::test]
async fn replicas_take_only_the_next_valid_entry_of_their_log() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), office()).unwrap();
    let (street, entries) = other_ledger(5);
    let log = street.log_key();
    store.append_replica(log, &entries[0]).await.unwrap();
    store.append_replica(log, &entries[1]).await.unwrap();
    let before = store.state(&log).unwrap();

    let refused = [
        // A replay of entry 1.
        store.append_replica(log, &entries[1]).await,
        // A gap: entry 3 before entry 2.
        store.append_replica(log, &entries[3]).await,
        // Truncated and garbage bytes.
        store.append_replica(log, &entries[2][..20]).await,
        store.append_replica(log, b"not a protobuf at all").await,
        // Entry 2 filed under another log's key.
        store.append_replica(store.own_log(), &entries[2]).await,
    ];
    for outcome in &refused {
        assert!(
            matches!(outcome, Err(StoreError::Rejected(_))),
            "{outcome:?}"
        );
    }
    assert!(matches!(
        refused[0],
        Err(StoreError::Rejected(EntryError::WrongSequence {
            expected: 2,
            got: 1
        }))
    ));
    // A forged signature on the right next entry.
    let mut forged = entries[2].clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    assert!(store.append_replica(log, &forged).await.is_err());
    // A valid signed entry whose previous hash does not link.
    let mut fork_head = ChainHead {
        size: 2,
        last: Default::default(),
    };
    fork_head.last.0[0] = 1;
    let fork = entry::sign(
        &fork_head.next_entry(&street.log_key(), 1, progress(9)),
        &street,
    )
    .unwrap();
    assert!(matches!(
        store.append_replica(log, &fork.bytes).await,
        Err(StoreError::Rejected(EntryError::WrongPrevious { .. }))
    ));

    // Nothing changed.
    assert_eq!(store.state(&log).unwrap(), before);
    assert!(store.entry(&log, 2).unwrap().is_none());
    assert!(store.state(&store.own_log()).unwrap().head.size == 0);
    // And the right entry still goes in.
    store.append_replica(log, &entries[2]).await.unwrap();
    assert_eq!(store.verify_log(&log).unwrap().head.size, 3);
    let mut logs = store.logs().unwrap();
    logs.sort();
    assert_eq!(logs, vec![log]);
}

#[test]
fn proofs_across_tile_boundaries_match_an_in_memory_tree_before_and_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let mut reference = yiyi_protocol::merkle::MemoryTree::new();
    for round in 0..2 {
        let store = Arc::new(Store::open(dir.path(), office()).unwrap());
        let log = store.own_log();
        // Groups of every size, from 4 threads, so tiles fill mid-group.
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for n in 0..150 {
                        store.append_blocking(progress(t * 1000 + n)).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let size = store.state(&log).unwrap().head.size;
        assert_eq!(size, 600 * (round + 1));
        for seq in reference.size()..size {
            let bytes = store.entry(&log, seq).unwrap().unwrap();
            reference.push_hash(yiyi_protocol::merkle::leaf_hash(&bytes));
        }
        assert_eq!(store.state(&log).unwrap().root, reference.root());
        for old in [1, 255, 256, 257, 511, 512, 513, 600, size - 1] {
            let expected = yiyi_protocol::merkle::range_root(&reference, 0, old).unwrap();
            assert_eq!(store.root_at(&log, old).unwrap(), expected, "root at {old}");
            assert_eq!(
                store.consistency_proof(&log, old, size).unwrap(),
                yiyi_protocol::merkle::consistency_proof(&reference, old, size).unwrap()
            );
            for index in [0, old / 2, old - 1] {
                assert_eq!(
                    store.inclusion_proof(&log, index, old).unwrap(),
                    yiyi_protocol::merkle::inclusion_proof(&reference, index, old).unwrap()
                );
            }
        }
        store.verify_log(&log).unwrap();
    }
}

/// An entry of `key`'s log after `head`, as a later release writes it: a
/// record kind this build does not know (field 100, well past the kinds in
/// use), read by `reader`.
fn later_entry(key: &SecretKey, head: &ChainHead, reader: &str) -> yiyi_protocol::VerifiedEntry {
    use prost::Message;
    let mut e = head.next_entry(&key.log_key(), 1, progress(0));
    e.body = None;
    e.reader_version = reader.into();
    let mut bytes = e.encode_to_vec();
    bytes.extend_from_slice(&[0xa2, 0x06, 0x02, 0x08, 0x01]); // field 100: {1: 1}
    entry::sign_encoded(bytes, key).unwrap()
}

#[test]
fn a_later_release_s_entries_are_stored_indexed_and_verified_like_any_other() {
    let dir = tempfile::tempdir().unwrap();
    let other = SecretKey::from_seed("yiyi/lixia/quancheng/xinban", [12; 32]).unwrap();
    let log = other.log_key();
    let mut head = ChainHead::default();
    let mut hashes = Vec::new();
    {
        let store = Store::open(dir.path(), office()).unwrap();
        for n in 0..4u64 {
            let e = if n % 2 == 1 {
                later_entry(&other, &head, "0.3.0")
            } else {
                entry::sign(&head.next_entry(&log, 1, progress(n)), &other).unwrap()
            };
            head = head.advance(&e);
            hashes.push(e.hash);
            store.append_replica_blocking(log, &e.bytes).unwrap();
        }
    }
    // Reopened: the index survived with the entries, and only the later
    // release's entries are in it.
    let store = Store::open(dir.path(), office()).unwrap();
    let newer = store.newer_records(Some(&log)).unwrap();
    let listed: Vec<(u64, _, &str)> = newer
        .iter()
        .map(|r| (r.sequence, r.hash, r.reader_version.as_str()))
        .collect();
    assert_eq!(listed, [(1, hashes[1], "0.3.0"), (3, hashes[3], "0.3.0")]);
    assert_eq!(store.newer_records(None).unwrap(), newer);
    assert!(
        store
            .newer_records(Some(&store.own_log()))
            .unwrap()
            .is_empty()
    );
    // Walked, verified end to end and proved like every entry; the later
    // release's come without a body.
    let bodies: Vec<bool> = store
        .entries(&log, 0)
        .map(|e| e.unwrap().body().is_some())
        .collect();
    assert_eq!(bodies, [true, false, true, false]);
    store.verify_log(&log).unwrap();
    let root = store.root_at(&log, 4).unwrap();
    let proof = store.inclusion_proof(&log, 1, 4).unwrap();
    verify_inclusion(1, 4, &hashes[1], &proof, &root).unwrap();
}

/// A whole catch-up response goes to the writer in log order, however many
/// entries wait on its queue: 2,000 entries of another ledger handed over
/// in one call are all stored, in order (a `join_all` of whole requests once
/// let them overtake each other on a full queue, and the later ones were
/// refused for their sequence numbers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_catch_up_response_is_stored_in_log_order() {
    let (key, entries) = other_ledger(2000);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), office()).unwrap();
    let log = key.log_key();
    for (round, response) in entries.chunks(1000).enumerate() {
        let outcomes = store.append_replicas(log, response.to_vec()).await;
        assert_eq!(outcomes.len(), response.len());
        for (i, outcome) in outcomes.into_iter().enumerate() {
            let appended = outcome.unwrap_or_else(|e| panic!("entry {}: {e}", round * 1000 + i));
            assert_eq!(appended.sequence, (round * 1000 + i) as u64);
        }
    }
    assert_eq!(store.held(&log), 2000);
}

/// Catch-up overlaps responses: the next is verified while the last
/// commits, and handed to the writer once the last was. Three responses
/// verified side by side and submitted in log order are all stored, in
/// order, with the commits awaited only at the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_verified_side_by_side_are_stored_in_log_order() {
    let (key, entries) = other_ledger(900);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), office()).unwrap();
    let log = key.log_key();
    let verified = futures::future::join_all(
        entries
            .chunks(300)
            .map(|response| store.verify_replicas(log, response.to_vec())),
    )
    .await;
    let mut submitted = Vec::new();
    for response in verified {
        submitted.push(store.submit_replicas(response).await);
    }
    let mut next = 0;
    for response in submitted {
        for outcome in response.committed().await {
            assert_eq!(outcome.unwrap().sequence, next);
            next += 1;
        }
    }
    assert_eq!(store.held(&log), 900);
}

/// A response that does not fit (here: its first entry's signature is
/// broken) stops where it stops, and the one submitted after it, whose
/// entries were to follow it, is refused by the writer in turn: nothing
/// past the last good entry is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_after_one_that_did_not_fit_is_refused_too() {
    let (key, mut entries) = other_ledger(20);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), office()).unwrap();
    let log = key.log_key();
    let last = entries[10].len() - 1;
    entries[10][last] ^= 1;
    let first = store.verify_replicas(log, entries[..10].to_vec()).await;
    let broken = store.verify_replicas(log, entries[10..15].to_vec()).await;
    let after = store.verify_replicas(log, entries[15..].to_vec()).await;
    let first = store.submit_replicas(first).await;
    let broken = store.submit_replicas(broken).await;
    let after = store.submit_replicas(after).await;
    assert!(first.committed().await.iter().all(Result::is_ok));
    let broken = broken.committed().await;
    assert_eq!(broken.len(), 1, "nothing of it was taken");
    assert!(matches!(broken[0], Err(StoreError::Rejected(_))));
    let after = after.committed().await;
    assert!(
        matches!(after[0], Err(StoreError::Rejected(_))),
        "{:?}",
        after[0]
    );
    assert!(after[1..].iter().all(Result::is_err));
    assert_eq!(store.held(&log), 10);
}

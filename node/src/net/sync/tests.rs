//! The sync client's hedged requests and the overlapping answers they
//! bring.

use std::time::{Duration, Instant};

use libp2p::PeerId;
use yiyi_protocol::proto::{self, SyncResponse, entry::Body};
use yiyi_protocol::{ChainHead, SecretKey, entry};

use super::{Fetched, Pending, Storing, SyncClient, may_fetch};
use crate::store::{LogKey, Store};

fn fetch(peer: PeerId, log: LogKey, ago: Duration) -> Pending {
    Pending {
        peer,
        log,
        from: 0,
        probe: None,
        sent: Instant::now() - ago,
    }
}

/// A log is asked of a second peer only once the first fetch has waited
/// a while, never twice of one peer, and never of a third.
#[test]
fn a_fetch_unanswered_for_a_second_is_hedged_with_another_peer_once() {
    let log = SecretKey::from_seed("yiyi/lixia/quancheng", [22; 32])
        .unwrap()
        .log_key();
    let (a, b, c) = (PeerId::random(), PeerId::random(), PeerId::random());
    assert!(may_fetch([].iter(), &log, &a), "nothing out: ask");

    let young = [fetch(a, log, Duration::ZERO)];
    assert!(!may_fetch(young.iter(), &log, &a), "not twice of one peer");
    assert!(
        !may_fetch(young.iter(), &log, &b),
        "not while the first is young"
    );

    let old = [fetch(a, log, Duration::from_secs(2))];
    assert!(!may_fetch(old.iter(), &log, &a), "not twice of one peer");
    assert!(may_fetch(old.iter(), &log, &b), "an old fetch is hedged");

    let both = [
        fetch(a, log, Duration::from_secs(3)),
        fetch(b, log, Duration::from_secs(2)),
    ];
    assert!(!may_fetch(both.iter(), &log, &c), "at most two out");

    let probing = [Pending {
        probe: Some(4),
        ..fetch(a, log, Duration::ZERO)
    }];
    assert!(may_fetch(probing.iter(), &log, &a), "a probe is no fetch");
}

/// A log that its parent office held none of is asked of it again after
/// 1, 2 and 4 s (ticks of 500 ms), three times at most, and the schedule
/// starts afresh once some of it is held.
#[test]
fn a_log_nobody_held_is_asked_again_soon_then_left_to_the_round() {
    let log = SecretKey::from_seed("yiyi/lixia/quancheng/xinban", [23; 32])
        .unwrap()
        .log_key();
    let (parent, other) = (PeerId::random(), PeerId::random());
    let mut client = SyncClient::default();
    let due = |client: &mut SyncClient, tick: u64| {
        client.due(
            tick,
            vec![log],
            &[parent, other],
            |_| false,
            |_| Some(parent),
        )
    };
    // Learnt at tick 1 (the round's tick for it is 0): asked at once, then
    // of the other peer too; neither held any.
    assert_eq!(due(&mut client, 1), vec![(parent, log)]);
    client.request(parent, log, 0, false);
    client.request(other, log, 0, false);
    client.none_held(log, 1);
    client.none_held(log, 1); // a second empty answer changes nothing
    // Asked of the parent two ticks later, and not before; the other peer
    // is not swept again.
    assert!(due(&mut client, 2).is_empty());
    assert_eq!(due(&mut client, 3), vec![(parent, log)]);
    assert_eq!(client.untried(&log, &[parent, other]), None);
    // Then four ticks later, then eight; then no more before the round.
    client.none_held(log, 3);
    assert!(due(&mut client, 6).is_empty());
    assert_eq!(due(&mut client, 7), vec![(parent, log)]);
    client.none_held(log, 7);
    assert!(due(&mut client, 14).is_empty());
    assert_eq!(due(&mut client, 15), vec![(parent, log)]);
    client.none_held(log, 15);
    assert!((16..60).all(|tick| due(&mut client, tick).is_empty()));
    // Some of it stored: a later empty answer starts the schedule afresh.
    client.some_held(&log);
    client.none_held(log, 60);
    assert_eq!(due(&mut client, 62), vec![(parent, log)]);
}

fn signed(key: &SecretKey, n: u64) -> Vec<Vec<u8>> {
    let mut head = ChainHead::default();
    (0..n)
        .map(|i| {
            let body = Body::Progress(proto::Progress {
                topic_id: "T-2026-011".into(),
                text: format!("第 {i} 次进展"),
                completed: false,
            });
            let e = entry::sign(&head.next_entry(&key.log_key(), 1, body), key).unwrap();
            head = head.advance(&e);
            e.bytes
        })
        .collect()
}

/// Two peers asked for the same entries both answer: the second answer's
/// entries already on their way are dropped, the rest stored after them,
/// nothing refused; the next fetch starts after both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_answers_store_each_entry_once() {
    let dir = tempfile::tempdir().unwrap();
    let office = SecretKey::from_seed("yiyi/lixia/quancheng/shunyu", [11; 32]).unwrap();
    let store = Store::open(dir.path(), office).unwrap();
    let street = SecretKey::from_seed("yiyi/lixia/quancheng", [22; 32]).unwrap();
    let log = street.log_key();
    let entries = signed(&street, 15);
    let answer = |peer, from: u64, to: usize| Fetched {
        peer,
        log,
        from,
        response: SyncResponse {
            entries: entries[from as usize..to].to_vec(),
            size: 15,
            ..Default::default()
        },
    };
    let mut storing = Storing::new(store.clone());
    assert_eq!(storing.next(&log), 0);
    storing.push(answer(PeerId::random(), 0, 10));
    assert_eq!(
        storing.next(&log),
        10,
        "the next fetch starts past the queue"
    );
    storing.push(answer(PeerId::random(), 0, 15));
    storing.push(answer(PeerId::random(), 12, 15));
    // They finish in any order; each is stored after the one pushed before.
    let mut done = Vec::new();
    for _ in 0..3 {
        done.push(storing.stored().await);
    }
    done.sort_by_key(|d| (d.fetched.from, d.received));
    let [first, second, third] = <[_; 3]>::try_from(done).ok().unwrap();
    assert_eq!(
        (first.received, first.stored.entries.len()),
        (10, 10),
        "the first answer whole"
    );
    assert_eq!(
        (second.received, second.stored.entries.len()),
        (15, 5),
        "only what the first did not bring"
    );
    assert_eq!(second.stored.entries[0].0.sequence, 10);
    assert_eq!((third.received, third.stored.entries.len()), (3, 0));
    assert!(!first.stored.refused && !second.stored.refused && !third.stored.refused);
    assert_eq!(store.held(&log), 15);
    assert_eq!(storing.next(&log), 15);
}

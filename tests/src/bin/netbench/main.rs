//! The network benchmark: a district with its streets and communities (or
//! with `--districts N`, a city with N such districts), all in this process, each a [`Node::spawn`]ed node as `yiyi-node run` starts
//! it (its own data directory and sled store, libp2p on loopback TCP,
//! federation, witness and office), without the HTTP API.
//!
//! It prints: how long the federation takes to form; for notices published
//! at communities, the time until every node holds each (p50, p99, max);
//! the catch-up rate of a community that was offline while 10,000 entries
//! were written elsewhere; and resident memory per node.
//!
//! `cargo run --release -p yiyi-tests --bin netbench -- --streets 10 --communities-per-street 10`
//! (`--districts 10 --streets 14 --communities-per-street 10`: 1,551 nodes,
//! `--streets` then counting per district)

use std::time::{Duration, Instant};

use libp2p::Multiaddr;
use yiyi_node::config::{DataDir, Init, NodeConfig};
use yiyi_node::net::NetConfig;
use yiyi_node::node::Node;
use yiyi_node::{LogKey, Store};
use yiyi_protocol::proto::{self, Level, charter::Action, entry::Body};
use yiyi_protocol::rules::Deadlines;
use yiyi_protocol::{Hash, SecretKey, VerifierKey};

mod laggard;
use laggard::laggard;

struct Options {
    /// 0: the root is a district; else a city with this many districts.
    districts: usize,
    /// Per district.
    streets: usize,
    communities_per_street: usize,
    notices: usize,
    catch_up: usize,
    /// Seconds the formed federation is left at rest, its CPU measured.
    rest: usize,
}

/// How many of `node`'s sync requests went unanswered, and how many were
/// answered after more than a second.
fn sync_trouble_at(node: &BenchNode) -> (u64, u64) {
    node.with(|n| {
        let s = n.net_status();
        (s.sync_failed_count(), s.sync_slow_count())
    })
}

fn options() -> Options {
    let mut o = Options {
        districts: 0,
        streets: 10,
        communities_per_street: 10,
        notices: 30,
        catch_up: 10_000,
        rest: 10,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = || -> usize {
            pair.get(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{} needs a number", pair[0]))
        };
        match pair[0].as_str() {
            "--districts" => o.districts = value(),
            "--streets" => o.streets = value(),
            "--communities-per-street" => o.communities_per_street = value(),
            "--notices" => o.notices = value(),
            "--catch-up" => o.catch_up = value(),
            "--rest" => o.rest = value(),
            "--bench" => {}
            other => panic!(
                "unknown option {other}; use --districts N --streets N --communities-per-street N --notices N --catch-up N --rest SECONDS"
            ),
        }
    }
    o
}

/// One node: what `yiyi-node run` starts, minus the HTTP API.
struct BenchNode {
    key: SecretKey,
    config: NodeConfig,
    /// `None` while switched off (the data directory stays).
    node: std::sync::Mutex<Option<Node>>,
    address: Multiaddr,
    _dir: tempfile::TempDir,
}

impl BenchNode {
    async fn start(
        key: SecretKey,
        level: Level,
        district: &VerifierKey,
        peers: Vec<Multiaddr>,
    ) -> BenchNode {
        let dir = tempfile::tempdir().expect("temp dir");
        let key_file = dir.path().join("node.key");
        yiyi_node::keyfile::write(&key_file, &key).expect("key file");
        let data = DataDir::new(dir.path().join("node"));
        data.init(Init {
            level,
            name: Some(key.name().to_owned()),
            origin: Some(key.name().to_owned()),
            public_host: None,
            key_file: Some(key_file),
            district: None,
        })
        .expect("init");
        let config = NodeConfig {
            data,
            name: key.name().to_owned(),
            level,
            api: None,
            net: NetConfig {
                listen: vec!["/ip4/127.0.0.1/tcp/0".parse().expect("address")],
                peers,
                ..Default::default()
            },
            // The district pins itself, as a district's node does.
            district: (district != &key.verifier()).then(|| district.clone()),
            follow: Vec::new(),
            archive: false,
            // A small page cache: 111 nodes share this machine.
            cache_bytes: Some(2 * 1024 * 1024),
            http: Default::default(),
            deadlines: Deadlines::defaults(level),
            witnessing: Default::default(),
        };
        let node = Node::spawn(config.clone()).await.expect("node");
        BenchNode {
            key,
            config,
            address: node.dial_addresses()[0].clone(),
            node: std::sync::Mutex::new(Some(node)),
            _dir: dir,
        }
    }

    /// `f` of the running node.
    fn with<R>(&self, f: impl FnOnce(&Node) -> R) -> R {
        f(self
            .node
            .lock()
            .expect("lock")
            .as_ref()
            .expect("a running node"))
    }

    /// Starts the node again (on the same data directory) with `peers`.
    async fn connect(&self, peers: Vec<Multiaddr>) {
        let mut config = self.config.clone();
        config.net.peers = peers;
        let node = Node::spawn(config).await.expect("node");
        *self.node.lock().expect("lock") = Some(node);
    }

    /// Stops the node, as if it were switched off.
    async fn disconnect(&self) {
        let node = self.node.lock().expect("lock").take();
        if let Some(node) = node {
            node.shutdown().await.expect("a clean stop");
        }
    }

    fn members(&self) -> yiyi_node::federation::Members {
        self.with(|n| n.members().clone())
    }

    fn store(&self) -> Store {
        self.with(|n| n.store().clone())
    }

    fn log(&self) -> LogKey {
        self.key.log_key()
    }

    /// Records `body` through the office, as every office action is.
    async fn record(&self, body: Body) -> Hash {
        let office = self.with(|n| n.office().clone());
        office.record(body, "").await.expect("recorded").entry.hash
    }

    /// Appends `body` to the store alone: the bulk writes of the catch-up
    /// figure, committed in groups as replication stores them (the office's
    /// lock would take them one commit each).
    async fn append(&self, body: Body) -> Hash {
        self.store().append(body).await.expect("append").hash
    }

    /// Admits `child`, of the level below this one's, by charter (a city's
    /// by city charter).
    async fn admit(&self, child: &BenchNode) {
        let charter = proto::Charter {
            action: Action::Admit as i32,
            verifier_key: child.key.verifier().to_string(),
            name: child.key.name().to_owned(),
            level: child.config.level as i32,
            origin: child.key.name().to_owned(),
            ..Default::default()
        };
        self.record(if self.config.level == Level::City {
            Body::CityCharter(proto::CityCharter {
                charter: Some(charter),
            })
        } else {
            Body::Charter(charter)
        })
        .await;
    }

    fn size_of(&self, log: &LogKey) -> u64 {
        self.with(|n| n.store().state(log).map(|s| s.head.size).unwrap_or(0))
    }
}

fn notice(title: String) -> Body {
    Body::Notice(proto::Notice {
        title,
        body: "经居民议事会协商，决定在小区东门增设非机动车停放区。".into(),
        ..Default::default()
    })
}

fn key(name: &str) -> SecretKey {
    SecretKey::generate(name).expect("key")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// CPU seconds this process has used (user and system), from
/// `/proc/self/stat`.
fn cpu_seconds() -> f64 {
    let ticks_per_second = 100.0; // USER_HZ on Linux
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // After the command name in parentheses: utime is field 14,
            // stime 15 (counting from 1).
            let rest = s.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) / ticks_per_second)
        })
        .unwrap_or(0.0)
}

fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// The offices' tree, by index in the list of nodes.
struct Tree {
    parents: Vec<Option<usize>>,
}

impl Tree {
    fn new(parents: Vec<Option<usize>>) -> Tree {
        Tree { parents }
    }

    /// `i` and its ancestors.
    fn lineage(&self, i: usize) -> Vec<usize> {
        std::iter::successors(Some(i), |at| self.parents[*at]).collect()
    }

    /// The offices whose ledgers office `i` keeps: its own, its ancestors',
    /// its descendants'.
    fn kept(&self, i: usize) -> Vec<usize> {
        let mine = self.lineage(i);
        (0..self.parents.len())
            .filter(|j| mine.contains(j) || self.lineage(*j).contains(&i))
            .collect()
    }

    /// The same, as logs.
    fn keeps(&self, i: usize, nodes: &[&BenchNode]) -> std::collections::BTreeSet<LogKey> {
        self.kept(i).into_iter().map(|j| nodes[j].log()).collect()
    }
}

/// Waits until every node holds every log its office keeps as far as its
/// writer has it.
async fn converged(nodes: &[&BenchNode], tree: &Tree, limit: Duration) -> bool {
    let start = Instant::now();
    let mut said = Instant::now();
    let kept: Vec<Vec<usize>> = (0..nodes.len()).map(|i| tree.kept(i)).collect();
    while start.elapsed() < limit {
        let behind: u64 = nodes
            .iter()
            .zip(&kept)
            .map(|(n, kept)| {
                kept.iter()
                    .map(|w| nodes[*w].size_of(&nodes[*w].log()))
                    .zip(kept.iter().map(|w| n.size_of(&nodes[*w].log())))
                    .map(|(theirs, held)| theirs.saturating_sub(held))
                    .sum::<u64>()
            })
            .sum();
        if behind == 0 {
            return true;
        }
        if said.elapsed() > Duration::from_secs(5) {
            said = Instant::now();
            eprintln!(
                "  converging: {:.0} s, entries still to replicate across all nodes: {behind}",
                start.elapsed().as_secs_f64()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    false
}

#[tokio::main]
async fn main() {
    // Keep glibc's mmap threshold at its start value (128 KiB). Left
    // dynamic, it rises once a large block is freed, and every sled
    // database opened after that (two per node: the ledger and the private
    // store) carves its zeroed page table (about 6 MiB) from the shared
    // heap and writes it, where a node in its own process gets untouched
    // zero pages from mmap: 7.0 instead of 1.3 MiB per node with 13 nodes,
    // an artefact of many nodes in one process (docs/PERFORMANCE.md).
    // SAFETY: mallopt only sets a tunable of the allocator (under its own
    // lock), here before any node has allocated anything.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
    let o = options();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "off".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    // The levels from the root down, and how many children each office of
    // the level above has.
    let mut levels = vec![
        (Level::District, 1),
        (Level::Street, o.streets),
        (Level::Community, o.communities_per_street),
    ];
    if o.districts > 0 {
        levels[0].1 = o.districts;
        levels.insert(0, (Level::City, 1));
    }
    let total: usize = levels
        .iter()
        .scan(1, |n, (_, per)| {
            *n *= per;
            Some(*n)
        })
        .sum();
    let count = |level: Level| {
        levels
            .iter()
            .take_while(|(l, _)| *l != level)
            .chain(levels.iter().find(|(l, _)| *l == level))
            .map(|(_, per)| per)
            .product::<usize>()
    };
    println!(
        "netbench: {}{} streets, {} communities = {total} nodes on 127.0.0.1",
        if o.districts > 0 {
            format!("1 city, {} districts, ", o.districts)
        } else {
            "1 district, ".to_owned()
        },
        count(Level::Street),
        count(Level::Community),
    );
    let rss_before = resident_bytes();
    let start = Instant::now();

    // Level by level: each office dials its parent only and is admitted by
    // it. `all` holds them in that order, the root first; `parents` each
    // one's parent by index in `all`.
    let root_key = key("yiyi/r");
    let pinned = root_key.verifier();
    let mut all_nodes = vec![BenchNode::start(root_key, levels[0].0, &pinned, vec![]).await];
    let mut parents: Vec<Option<usize>> = vec![None];
    let mut above = 0..1;
    for (level, per) in &levels[1..] {
        let first = all_nodes.len();
        for p in above.clone() {
            for c in 0..*per {
                let name = format!("{}/{c}", all_nodes[p].key.name());
                let address = all_nodes[p].address.clone();
                let child = BenchNode::start(key(&name), *level, &pinned, vec![address]).await;
                all_nodes[p].admit(&child).await;
                all_nodes.push(child);
                parents.push(Some(p));
            }
        }
        above = first..all_nodes.len();
    }
    let all: Vec<&BenchNode> = all_nodes.iter().collect();
    let at_level = |level: Level| -> Vec<usize> {
        (0..all.len())
            .filter(|i| all[*i].config.level == level)
            .collect()
    };
    let (street_at, community_at) = (at_level(Level::Street), at_level(Level::Community));
    let tree = Tree::new(parents);
    // What each office keeps, computed once: the watching must not cost
    // the nodes it watches their CPU.
    let keeps: Vec<std::collections::BTreeSet<LogKey>> =
        (0..all.len()).map(|i| tree.keeps(i, &all)).collect();
    let formed = async {
        let t = Instant::now();
        let mut said = Instant::now();
        while t.elapsed() < Duration::from_secs(300) {
            let placed: Vec<bool> = all
                .iter()
                .zip(&keeps)
                .map(|(n, keeps)| *keeps == n.members().follows().into_iter().collect())
                .collect();
            if placed.iter().all(|p| *p) {
                return true;
            }
            if said.elapsed() > Duration::from_secs(5) {
                said = Instant::now();
                // The first node not there yet: what it follows against
                // what its office keeps.
                let laggard = placed
                    .iter()
                    .position(|p| !p)
                    .map(|i| laggard(i, &all, &keeps[i], &tree));
                eprintln!(
                    "  forming: {:.0} s, nodes following what their office keeps: {} of {total}{}",
                    t.elapsed().as_secs_f64(),
                    placed.iter().filter(|p| **p).count(),
                    laggard.unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        false
    }
    .await;
    assert!(formed, "the federation did not form in 300 s");
    assert!(
        converged(&all, &tree, Duration::from_secs(300)).await,
        "no convergence"
    );
    println!(
        "federation formed, every node holding the ledgers its office keeps (its own, its ancestors', its subtree's): {:.1} s after the first node started",
        start.elapsed().as_secs_f64()
    );

    let messages = |nodes: &[&BenchNode]| -> u64 {
        nodes
            .iter()
            .map(|n| n.with(|n| n.net_status().message_count()))
            .sum()
    };

    // What the federation costs at rest: CPU and peer messages with
    // nothing written.
    let (cpu, handled, t) = (cpu_seconds(), messages(&all), Instant::now());
    tokio::time::sleep(Duration::from_secs(o.rest as u64)).await;
    let seconds = t.elapsed().as_secs_f64();
    println!(
        "at rest: {:.0}% of one core for {total} nodes = {:.2} ms CPU per node per second; {:.2} peer messages handled per node per second",
        (cpu_seconds() - cpu) / seconds * 100.0,
        (cpu_seconds() - cpu) * 1e3 / seconds / total as f64,
        (messages(&all) - handled) as f64 / seconds / total as f64,
    );

    // Notices at communities, one at a time: the time until every node that
    // keeps the community's ledger holds each.
    let community_nodes: Vec<&BenchNode> = community_at.iter().map(|i| all[*i]).collect();
    let street_nodes: Vec<&BenchNode> = street_at.iter().map(|i| all[*i]).collect();
    let sync_trouble = || -> (u64, u64) {
        all.iter()
            .map(|n| sync_trouble_at(n))
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    };
    let trouble_before = sync_trouble();
    let before = (
        messages(&community_nodes),
        messages(&street_nodes),
        messages(&all),
        cpu_seconds(),
    );
    let mut latencies = Vec::new();
    let mut slowest = Vec::new();
    let mut missing = 0;
    for n in 0..o.notices {
        let at = community_at[(n * 37) % community_at.len()];
        let publisher = all[at];
        let holders: Vec<&BenchNode> = tree.lineage(at).into_iter().map(|i| all[i]).collect();
        let t0 = Instant::now();
        let hash = publisher
            .record(notice(format!("第{n}号公示：非机动车停放区")))
            .await;
        let mut arrived = vec![None; holders.len()];
        while arrived.iter().any(Option::is_none) && t0.elapsed() < Duration::from_secs(60) {
            for (i, node) in holders.iter().enumerate() {
                if arrived[i].is_none()
                    && node.with(|n| matches!(n.store().entry_by_hash(&hash), Ok(Some(_))))
                {
                    arrived[i] = Some(t0.elapsed());
                }
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // A late arrival says where: the node, and how many of the
        // publisher's announcements it heard (none: they did not reach it).
        for (i, at) in arrived.iter().enumerate() {
            if let Some(late) = at.filter(|t| *t > Duration::from_secs(1)) {
                let heard = holders[i].with(|n| n.net_status().logs());
                let announcements = heard.get(&publisher.log()).map_or(0, |p| p.announcements);
                let (failed, slow) = sync_trouble_at(holders[i]);
                eprintln!(
                    "  notice {n} reached {} after {} ms ({announcements} announcements of {} heard there; its sync requests so far: {failed} unanswered, {slow} answered after > 1 s)",
                    holders[i].key.name(),
                    late.as_millis(),
                    publisher.key.name()
                );
            }
        }
        // Counted, not fatal: the figure says how many never arrived.
        let not_there = arrived.iter().filter(|a| a.is_none()).count();
        if not_there > 0 {
            eprintln!("  notice {n} did not reach {not_there} of the nodes that keep it in 60 s");
            missing += not_there;
        }
        let times: Vec<Duration> = arrived.into_iter().flatten().collect();
        if let Some(last) = times.iter().max() {
            slowest.push(*last);
        }
        latencies.extend(times);
    }
    let notices = o.notices.max(1) as f64;
    let per_node =
        |now: u64, then: u64, nodes: usize| (now - then) as f64 / notices / nodes.max(1) as f64;
    println!(
        "messages per notice per node (gossip and sync handled, idle checks included): communities {:.1}, streets {:.1}, all {:.1}; CPU {:.2} ms per notice per node",
        per_node(messages(&community_nodes), before.0, community_nodes.len()),
        per_node(messages(&street_nodes), before.1, street_nodes.len()),
        per_node(messages(&all), before.2, all.len()),
        (cpu_seconds() - before.3) * 1e3 / notices / all.len() as f64,
    );
    let trouble = sync_trouble();
    println!(
        "sync requests while the notices spread: {} unanswered, {} answered after > 1 s (before, while forming and at rest: {}, {})",
        trouble.0 - trouble_before.0,
        trouble.1 - trouble_before.1,
        trouble_before.0,
        trouble_before.1,
    );
    latencies.sort();
    slowest.sort();
    println!(
        "notice at every node that keeps its ledger ({} notices, {} arrivals, {missing} not within 60 s): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; \
         last node per notice: p50 {:.0} ms, max {:.0} ms",
        o.notices,
        latencies.len(),
        percentile(&latencies, 50.0).as_secs_f64() * 1e3,
        percentile(&latencies, 99.0).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        percentile(&slowest, 50.0).as_secs_f64() * 1e3,
        slowest.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    let rss = resident_bytes();
    println!(
        "resident memory: {:.1} MiB for {total} nodes = {:.2} MiB per node",
        rss as f64 / 1048576.0,
        rss.saturating_sub(rss_before) as f64 / 1048576.0 / total as f64
    );

    // Catch-up: a community goes offline while its street writes.
    let writer_at = street_at[0];
    let writer = all[writer_at];
    let offline_at = community_at[0];
    let its_street = writer.address.clone();
    let before = all[offline_at].size_of(&writer.log());
    all[offline_at].disconnect().await;
    let t_write = Instant::now();
    let mut written = 0;
    while written < o.catch_up {
        let batch = (o.catch_up - written).min(256);
        let appends = (0..batch).map(|i| writer.append(notice(format!("补录第{}条", written + i))));
        futures::future::join_all(appends).await;
        written += batch;
    }
    let target = writer.size_of(&writer.log());
    println!(
        "wrote {written} entries at a street in {:.1} s while one of its communities was offline",
        t_write.elapsed().as_secs_f64()
    );
    // Every node that keeps the street's ledger, but the one offline.
    let online: Vec<&BenchNode> = all
        .iter()
        .copied()
        .filter(|n| n.log() != all[offline_at].log())
        .collect();
    let online_tree = Tree::new(
        tree.parents
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != offline_at)
            .map(|(_, p)| p.map(|p| p - usize::from(p > offline_at)))
            .collect(),
    );
    let holders = online
        .iter()
        .enumerate()
        .filter(|(i, _)| online_tree.kept(*i).contains(&writer_at))
        .count();
    let t_spread = Instant::now();
    assert!(
        converged(&online, &online_tree, Duration::from_secs(900)).await,
        "the others did not converge"
    );
    println!(
        "the other {} nodes that keep its ledger all held them {:.1} s later ({:.0} verified entries stored per second across the process)",
        holders - 1,
        t_spread.elapsed().as_secs_f64(),
        (written * (holders - 1)) as f64 / t_spread.elapsed().as_secs_f64()
    );
    let offline = all[offline_at];
    let t0 = Instant::now();
    offline.connect(vec![its_street]).await;
    let started = t0.elapsed();
    let mut first = None;
    while offline.size_of(&writer.log()) < target && t0.elapsed() < Duration::from_secs(300) {
        if first.is_none() && offline.size_of(&writer.log()) > before {
            first = Some(t0.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let fetched = offline.size_of(&writer.log()) - before;
    let elapsed = t0.elapsed();
    assert_eq!(
        offline.size_of(&writer.log()),
        target,
        "catch-up incomplete"
    );
    let first = first.unwrap_or(elapsed);
    println!(
        "catch-up: {fetched} verified entries in {:.2} s = {:.0} entries/s (from reconnect to the last one stored; the node took {:.2} s to start, the first was stored after {:.2} s, the rest at {:.0} entries/s)",
        elapsed.as_secs_f64(),
        fetched as f64 / elapsed.as_secs_f64(),
        started.as_secs_f64(),
        first.as_secs_f64(),
        fetched as f64 / (elapsed - first).as_secs_f64().max(1e-3)
    );
}

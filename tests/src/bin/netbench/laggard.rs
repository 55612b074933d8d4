//! netbench's diagnosis of a node that lags while the federation forms:
//! what it is short of and, hop by hop, where the announcements that
//! should have told it stopped (how the city's tail was traced to
//! gossipsub's hundred-group limit, issue 20).

use yiyi_node::LogKey;

use super::{BenchNode, Tree};

/// Why node `i`, which does not follow all that `keeps` says yet, lags:
/// what it follows, the ledgers it holds short of their writer (and of
/// those, how many the writer's parent holds in full, how many it heard
/// reach further, how many are in groups it is not in), the first of them
/// hop by hop, the announcements it heard per child office (of its own
/// ledger / of its children's) and in how many groups the child knows it
/// is, and gossip lost across the federation.
pub(super) fn laggard(
    i: usize,
    all: &[&BenchNode],
    keeps: &std::collections::BTreeSet<LogKey>,
    tree: &Tree,
) -> String {
    let follows: std::collections::BTreeSet<LogKey> =
        all[i].members().follows().into_iter().collect();
    let heard = all[i].with(|n| n.net_status().logs());
    let writer = |log: &LogKey| all.iter().position(|n| n.log() == *log);
    let short: Vec<LogKey> = follows
        .iter()
        .filter(|log| writer(log).is_some_and(|w| all[w].size_of(log) > all[i].size_of(log)))
        .copied()
        .collect();
    let heard_further = short
        .iter()
        .filter(|log| {
            heard
                .get(*log)
                .is_some_and(|p| p.heard > all[i].size_of(log))
        })
        .count();
    let parent_holds = short
        .iter()
        .filter(|log| {
            writer(log).is_some_and(|w| {
                tree.parents[w].is_some_and(|p| all[p].size_of(log) >= all[w].size_of(log))
            })
        })
        .count();
    let me = all[i].with(|n| n.peer_id().to_string());
    let groups_here = all[i].with(|n| n.net_status().subscribed());
    let not_in_group = short
        .iter()
        .filter(|log| {
            let group = all[i].with(|n| n.members().announced_with(log));
            !groups_here.contains(
                &yiyi_node::net::announcement_topic(&group)
                    .hash()
                    .to_string(),
            )
        })
        .count();
    let first = short
        .first()
        .and_then(|log| {
            let w = writer(log)?;
            let p = tree.parents[w]?;
            let at = |n: &BenchNode| {
                let progress = n
                    .with(|n| n.net_status().logs())
                    .get(log)
                    .copied()
                    .unwrap_or_default();
                format!(
                    "holds {}, heard {} in {} announcements",
                    n.size_of(log),
                    progress.heard,
                    progress.announcements
                )
            };
            Some(format!(
                " (first: {} writes {}; its parent {} {}; here {})",
                all[w].key.name(),
                all[w].size_of(log),
                all[p].key.name(),
                at(all[p]),
                at(all[i])
            ))
        })
        .unwrap_or_default();
    let count = |j: usize| heard.get(&all[j].log()).map_or(0, |p| p.announcements);
    let per_child: Vec<String> = (0..all.len())
        .filter(|c| tree.parents[*c] == Some(i))
        .take(12)
        .map(|c| {
            let below: u64 = (0..all.len())
                .filter(|g| tree.parents[*g] == Some(c))
                .map(count)
                .sum();
            let knows = all[c]
                .with(|n| n.net_status().subscribers())
                .values()
                .filter(|peers| peers.contains(&me))
                .count();
            format!(
                "{} {}/{below} (in {knows} groups there)",
                all[c].key.name(),
                count(c)
            )
        })
        .collect();
    let (messages, over_limit) = all[i].with(|n| {
        let s = n.net_status();
        (s.message_count(), s.gossip_ignored_count())
    });
    let (unsent, expired) = all.iter().fold((0, 0), |(u, e), n| {
        n.with(|n| {
            let s = n.net_status();
            (
                u + s.gossip_unsent_count(),
                e + s.announcements_expired_count(),
            )
        })
    });
    format!(
        "; e.g. {} follows {}, keeps {} ({} missing); holds {} of those it follows short of their writer ({parent_holds} held in full by the writer's parent, {heard_further} heard to reach further, {not_in_group} in a group it is not in){first}; announcements heard per child (its own/its children's): {}; {messages} messages handled, {over_limit} gossip over the rate limit; federation: {unsent} gossip unsent to slow peers, {expired} announcements expired",
        all[i].key.name(),
        follows.len(),
        keeps.len(),
        keeps.difference(&follows).count(),
        short.len(),
        per_child.join(", ")
    )
}

//! The event loop's announcements: the gossip groups it subscribes to, its
//! own ledger's announcements, and the judgement of those it hears (with
//! the checkpoint policy that decides what a heard checkpoint makes it do).

use libp2p::PeerId;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance};
use prost::Message as _;
use yiyi_protocol::checkpoint::SignedCheckpoint;

use super::EventLoop;
use crate::net::checkpoints::{self, Checkpoints, Heard};
use crate::net::gossip::{Gossip, Report};
use crate::store::LogKey;

impl EventLoop {
    /// Subscribes to the gossip group of every log followed (and leaves the
    /// groups of logs no longer followed). Called every tick; does nothing
    /// unless what is followed changed.
    pub(super) fn subscribe(&mut self) {
        let follows = self.members.follows();
        if follows == self.subscribed_for && !self.subscribed.is_empty() {
            return;
        }
        let groups: std::collections::HashMap<gossipsub::TopicHash, IdentTopic> = follows
            .iter()
            .chain([&self.store.own_log()])
            .map(|log| crate::net::announcement_topic(&self.members.announced_with(log)))
            .map(|topic| (topic.hash(), topic))
            .collect();
        let gossipsub = &mut self.swarm.behaviour_mut().gossipsub;
        self.subscribed.retain(|hash| {
            let keep = groups.contains_key(hash);
            if !keep {
                let _ = gossipsub.unsubscribe(&IdentTopic::new(hash.as_str()));
            }
            keep
        });
        for (hash, topic) in groups {
            if !self.subscribed.contains(&hash) && gossipsub.subscribe(&topic).is_ok() {
                self.subscribed.insert(hash);
            }
        }
        self.subscribed_for = follows;
    }

    /// Tells the status who is in which gossip group, for diagnosis:
    /// netbench found this way that peers dropped the city's subscriptions
    /// past a hundred groups (see `MAX_PEER_GROUPS`).
    pub(super) fn report_groups(&self) {
        let gossipsub = &self.swarm.behaviour().gossipsub;
        let subscribed = gossipsub.topics().map(|t| t.to_string()).collect();
        let mut subscribers: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (peer, topics) in gossipsub.all_peers() {
            for topic in topics {
                subscribers
                    .entry(topic.to_string())
                    .or_default()
                    .push(peer.to_string());
            }
        }
        self.status.set_groups(subscribed, subscribers);
    }

    /// Announces the own ledger if it grew (or `again`, anyway): on its
    /// gossip group's topic, and on the old shared topic too while a peer
    /// of an earlier release is connected (it hears nothing else).
    pub(super) fn announce(&mut self, again: bool) {
        let own = self.store.own_log();
        let size = self.store.held(&own);
        if !self.gossip.due(size, again) {
            return;
        }
        let best = self.store.best_checkpoint(&own).ok().flatten();
        let Some(announcement) = self.gossip.announcement(own, size, best.as_ref(), again) else {
            return;
        };
        let data = announcement.encode_to_vec();
        let mut topics = vec![self.own_group()];
        if self
            .connections
            .any_before(crate::net::SCOPED_ANNOUNCEMENTS)
        {
            topics.push(self.announcements.clone());
        }
        let mut sent = false;
        for topic in topics {
            match self
                .swarm
                .behaviour_mut()
                .gossipsub
                .publish(topic, data.clone())
            {
                Ok(_) | Err(gossipsub::PublishError::Duplicate) => sent = true,
                Err(e) => tracing::debug!(error = %e, "announcement not sent"),
            }
        }
        if sent {
            self.gossip.announced(size);
        }
    }

    /// A peer joined gossip group `topic`: if it is the group the own
    /// ledger is announced in, repeat the announcement more often for a
    /// while (see `SETTLING_TICKS`).
    pub(super) fn joined(&mut self, topic: &gossipsub::TopicHash) {
        if self.own_group().hash() == *topic {
            self.group_joined = self.ticks;
        }
    }

    /// The gossip group the own ledger is announced in.
    fn own_group(&self) -> IdentTopic {
        crate::net::announcement_topic(&self.members.announced_with(&self.store.own_log()))
    }

    pub(super) fn report(&mut self, reports: Vec<Report>) {
        for (message, source, acceptance) in reports {
            let _ = self
                .swarm
                .behaviour_mut()
                .gossipsub
                .report_message_validation_result(&message, &source, acceptance);
        }
    }

    /// Validates an announcement: forwarded only if it is a log this node
    /// accepts, its checkpoint is signed by the log's key, and this node
    /// holds the entries it announces (`None`: not yet; decided once they
    /// are fetched).
    pub(super) fn announced(
        &mut self,
        peer: PeerId,
        message: &gossipsub::MessageId,
        data: &[u8],
    ) -> Option<MessageAcceptance> {
        let Some(heard) = Gossip::decode(data) else {
            return Some(MessageAcceptance::Reject);
        };
        let log = heard.log;
        self.members.heard(&log);
        if !self.members.accepts(&log) {
            // Not ours to judge or spread: another federation's, or a log
            // whose charter chain does not reach the district.
            tracing::debug!(log = %log, "announcement of a log outside the federation ignored");
            return Some(MessageAcceptance::Ignore);
        }
        self.status.announced(log);
        if log != self.store.own_log() && !self.members.is_followed(&log) {
            // A sibling's, heard in a shared group: not kept here, so not
            // fetched, and not passed on (its entries are not held here).
            return Some(MessageAcceptance::Ignore);
        }
        let Some(checkpoint) = heard.checkpoint else {
            self.status.refused();
            return Some(MessageAcceptance::Reject);
        };
        if !self.consider(peer, log, checkpoint.clone()) {
            return Some(MessageAcceptance::Reject);
        }
        if log == self.store.own_log() {
            return Some(MessageAcceptance::Accept);
        }
        let held = self.store.held(&log);
        self.gossip
            .judge(message, peer, log, checkpoint.size(), held)
    }

    /// Does what the checkpoint policy says of `checkpoint` of `log` from
    /// `peer`. Returns false if it is not validly signed.
    pub(super) fn consider(
        &mut self,
        peer: PeerId,
        log: LogKey,
        checkpoint: SignedCheckpoint,
    ) -> bool {
        let heard = Checkpoints::consider(&self.store, &self.members, log, &checkpoint);
        if heard.valid() {
            self.status.heard(log, checkpoint.size());
        }
        match heard {
            Heard::NoKey => return false,
            Heard::Refused => {
                tracing::warn!(%peer, log = %log, "a checkpoint not signed by its log's key: refused");
                self.status.refused();
                return false;
            }
            Heard::Equivocation(proof) => {
                self.equivocation(proof, true);
            }
            Heard::Fetch => {
                if log != self.store.own_log() && self.members.is_followed(&log) {
                    self.checkpoints.wait_for_entries(log, peer, checkpoint);
                    self.request(peer, log);
                }
            }
            Heard::Keep(Some(keep)) => {
                let _ = checkpoints::keep(&self.store, &self.members, &log, &keep);
            }
            Heard::Probe(sequence) => {
                tracing::warn!(%peer, log = %log, size = checkpoint.size(), "a checkpoint that contradicts the entries held");
                self.probe(peer, log, sequence);
            }
            Heard::Keep(None) | Heard::Nothing => {}
        }
        true
    }
}

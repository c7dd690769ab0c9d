//! Per-topic message rings under one global byte budget. Each topic keeps at
//! most `per_topic` recent messages. The budget covers the rings and whatever
//! else the caller counts against it (the topic tree's own memory). Past it:
//!
//! 1. the oldest messages across all topics go first, each topic's latest kept;
//! 2. when the latest messages alone do not fit, the latest payloads of the
//!    topics quiet the longest are let go too (the topic stays in the tree).
//!
//! Every eviction is counted so the user can see what was let go. Each message
//! is looked at a bounded number of times, whatever the number of topics: the
//! cost per message is amortised O(log topics), never a walk over all topics.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::topic_tree::NodeId;
use crate::vocab::{MessageProperties, ReceivedMessage};

/// Default number of messages kept per topic.
pub const DEFAULT_PER_TOPIC: usize = 1_000;
/// Default payload byte budget shared by all topics (256 MiB).
pub const DEFAULT_BYTE_BUDGET: usize = 256 * 1024 * 1024;

/// Bookkeeping charged per stored message on top of its payload, so the
/// budget matches what the process really holds: the `StoredMessage` (40 B)
/// plus its ring's growth slack (rings double, up to 40 B more), the arrival
/// entry (16 B, and its queue's slack), and allocator rounding. Measured in the
/// end-to-end soak: at 64 B charged, 256 MiB of "budget" held ~330 MiB.
const PER_MESSAGE_OVERHEAD: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Arrival order across all topics; strictly increasing.
    pub seq: u64,
    pub payload: Box<[u8]>,
    /// Nanoseconds since the Unix epoch (8 bytes rather than `SystemTime`'s 16).
    received_ns: u64,
    pub qos: u8,
    pub retain: bool,
    /// The broker marked it as a redelivery (DUP).
    pub dup: bool,
    /// MQTT 5 properties, when the message had any.
    pub properties: Option<Box<MessageProperties>>,
}

impl StoredMessage {
    pub fn received_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_nanos(self.received_ns)
    }

    fn cost(&self) -> usize {
        self.payload.len() + PER_MESSAGE_OVERHEAD + self.properties.as_ref().map_or(0, |p| p.heap_bytes())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryLimits {
    pub per_topic: usize,
    pub byte_budget: usize,
}

impl Default for HistoryLimits {
    fn default() -> Self {
        Self {
            per_topic: DEFAULT_PER_TOPIC,
            byte_budget: DEFAULT_BYTE_BUDGET,
        }
    }
}

#[derive(Debug, Default)]
pub struct History {
    limits: HistoryLimits,
    /// Indexed by `NodeId`; empty for nodes without messages.
    /// In chunks: half a million topics grow without one long copy.
    rings: super::chunked::ChunkedVec<VecDeque<StoredMessage>>,
    /// (node, seq) in arrival order; entries whose message is already gone are skipped.
    /// In chunks: a million entries grow without one long copy.
    arrival: super::chunked::ChunkedQueue<(NodeId, u64)>,
    /// Latest messages of their topic met at the front of `arrival` while over
    /// budget: set aside, oldest first. Each is older than everything still in
    /// `arrival`. Step 2 of the budget takes from here.
    parked: VecDeque<(NodeId, u64)>,
    /// Per node: its oldest message is in `parked` (its ring holds only it, or
    /// it was released into `released`).
    is_parked: super::chunked::ChunkedVec<bool>,
    /// Parked messages that are no longer their topic's latest (a newer one
    /// came): evictable, oldest first; all older than anything in `arrival`.
    released: BinaryHeap<Reverse<(u64, NodeId)>>,
    next_seq: u64,
    bytes: usize,
    stored: usize,
    /// Topics holding at least one message: `stored` less this is how many
    /// messages are not their topic's latest (what step 1 of the budget can
    /// let go before any latest).
    topics_held: usize,
    evicted: u64,
    /// Latest messages of their topic let go because the latest messages (and
    /// the tree) alone exceeded the budget.
    latest_let_go: u64,
    #[cfg(test)]
    looked_at: u64,
}

impl History {
    pub fn new(limits: HistoryLimits) -> Self {
        Self {
            limits: HistoryLimits {
                per_topic: limits.per_topic.max(1),
                byte_budget: limits.byte_budget,
            },
            ..Self::default()
        }
    }

    pub fn limits(&self) -> HistoryLimits {
        self.limits
    }

    /// Change the bounds; what no longer fits is evicted now (oldest first,
    /// the latest of every topic kept while they fit). O(topics), on a user's
    /// request only. `outside` is what else counts against the budget.
    pub fn set_limits(&mut self, limits: HistoryLimits, outside: usize) {
        self.limits = HistoryLimits {
            per_topic: limits.per_topic.max(1),
            byte_budget: limits.byte_budget,
        };
        for ring in self.rings.iter_mut() {
            while ring.len() > self.limits.per_topic {
                if let Some(old) = ring.pop_front() {
                    self.bytes -= old.cost();
                    self.stored -= 1;
                    self.evicted += 1;
                }
            }
        }
        for (parked, ring) in self.is_parked.iter_mut().zip(self.rings.iter()) {
            // A trimmed ring's front is a message still queued in `arrival`.
            *parked &= ring.len() == 1;
        }
        self.enforce_budget(outside);
    }

    /// Payload bytes (plus a small per-message overhead) currently held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Messages currently held across all topics.
    pub fn stored_messages(&self) -> usize {
        self.stored
    }

    /// Messages let go because of the per-topic depth or the byte budget
    /// (the latest messages let go included).
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Latest messages of a topic let go because the latest messages and the
    /// topic tree alone exceeded the budget; those topics show no payload.
    pub fn latest_let_go(&self) -> u64 {
        self.latest_let_go
    }

    /// Messages of one topic, oldest first.
    pub fn messages(&self, node: NodeId) -> &VecDeque<StoredMessage> {
        static EMPTY: VecDeque<StoredMessage> = VecDeque::new();
        self.rings.get(node as usize).unwrap_or(&EMPTY)
    }

    pub fn latest(&self, node: NodeId) -> Option<&StoredMessage> {
        self.rings.get(node as usize).and_then(|r| r.back())
    }

    /// Store a message of `node`. `outside` is what else counts against the
    /// budget (the tree's own bytes), so the whole stays within it.
    pub fn push(&mut self, node: NodeId, message: ReceivedMessage, outside: usize) {
        let ReceivedMessage {
            payload,
            qos,
            retain,
            dup,
            received_at,
            properties,
            ..
        } = message;
        let index = node as usize;
        self.reserve_node(node);
        let seq = self.next_seq;
        self.next_seq += 1;
        let received_ns = received_at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        let message = StoredMessage {
            seq,
            payload,
            received_ns,
            qos,
            retain,
            dup,
            properties,
        };
        self.bytes += message.cost();
        self.stored += 1;
        let ring = &mut self.rings[index];
        if ring.capacity() == 0 {
            // Most topics hold one message: do not pay for VecDeque's default of four.
            ring.reserve_exact(1);
        }
        if ring.is_empty() {
            self.topics_held += 1;
        }
        if std::mem::take(&mut self.is_parked[index])
            && let Some(front) = ring.front()
        {
            // The parked latest is the latest no more: evictable again.
            self.released.push(Reverse((front.seq, node)));
        }
        ring.push_back(message);
        if ring.len() > self.limits.per_topic
            && let Some(old) = ring.pop_front()
        {
            self.bytes -= old.cost();
            self.stored -= 1;
            self.evicted += 1;
        }
        self.arrival.push_back((node, seq));
        self.enforce_budget(outside);
    }

    fn over(&self, outside: usize) -> bool {
        self.bytes.saturating_add(outside) > self.limits.byte_budget
    }

    /// Make room in the per-node index for `node` (done by `push` too; the
    /// Model does it first so that `index_bytes` is final when it says what
    /// else counts against the budget).
    pub fn reserve_node(&mut self, node: NodeId) {
        let index = node as usize;
        if self.rings.len() <= index {
            self.rings.resize_with(index + 1, VecDeque::new);
            self.is_parked.resize_with(index + 1, || false);
        }
    }

    /// Bytes of the per-node index (a ring head and a flag per node of the
    /// tree, parents included): the Model counts them against the budget.
    pub fn index_bytes(&self) -> usize {
        self.rings.heap_bytes() + self.is_parked.heap_bytes()
    }

    /// At most how much `index_bytes` grows when the tree reaches `nodes` nodes.
    pub fn index_growth_bound(&self, nodes: usize) -> usize {
        let added = nodes.saturating_sub(self.rings.len());
        self.rings.growth_bytes(added) + self.is_parked.growth_bytes(added)
    }

    /// Queue entries looked at by the budget so far: the work it did.
    #[cfg(test)]
    fn looked_at(&self) -> u64 {
        self.looked_at
    }

    fn drop_front(&mut self, node: NodeId) {
        let ring = &mut self.rings[node as usize];
        if let Some(old) = ring.pop_front() {
            self.bytes -= old.cost();
            self.stored -= 1;
            self.evicted += 1;
            if ring.is_empty() {
                self.topics_held -= 1;
            }
        }
    }

    fn enforce_budget(&mut self, outside: usize) {
        // Step 1: oldest first, each topic's latest set aside. Every message
        // passes through `arrival` once and through `released` at most once
        // per time it is set aside, so this is amortised O(log topics).
        // With only latest messages left there is nothing for it to do: it
        // would set aside the whole queue in one go (130 ms at the first
        // overrun of a million topics); step 2 takes them from the queue.
        while self.over(outside) && self.stored > self.topics_held {
            // Released messages are older than anything still in `arrival`.
            let (node, seq, from_arrival) = if let Some(Reverse((seq, node))) = self.released.pop() {
                (node, seq, false)
            } else if let Some((node, seq)) = self.arrival.pop_front() {
                (node, seq, true)
            } else {
                break;
            };
            #[cfg(test)]
            {
                self.looked_at += 1;
            }
            let ring = &self.rings[node as usize];
            if ring.front().map(|front| front.seq) != Some(seq) {
                // Already gone through the per-topic bound.
                continue;
            }
            if ring.len() > 1 {
                self.drop_front(node);
            } else if from_arrival {
                // The topic's latest: kept while anything older can go.
                self.parked.push_back((node, seq));
                self.is_parked[node as usize] = true;
            }
        }
        // Step 2: only latest messages are left and they (with the tree) do not
        // fit: the topics quiet the longest lose their latest payload. Those
        // set aside are older than any still in `arrival`, so they go first.
        while self.over(outside) {
            let Some((node, seq)) = self.parked.pop_front().or_else(|| self.arrival.pop_front()) else {
                break;
            };
            #[cfg(test)]
            {
                self.looked_at += 1;
            }
            let ring = &self.rings[node as usize];
            if ring.front().is_some_and(|front| front.seq == seq) {
                let latest = ring.len() == 1;
                self.is_parked[node as usize] = false;
                self.drop_front(node);
                if latest {
                    self.latest_let_go += 1;
                }
            }
        }
        // Entries of messages already gone must not pile up: compact when they
        // outnumber the live ones (amortised O(1) per message).
        if self.arrival.len() > 2 * self.stored + 1024 {
            let rings = &self.rings;
            self.arrival
                .retain(|&(node, seq)| rings[node as usize].front().is_some_and(|front| front.seq <= seq));
        }
        if self.parked.len() + self.released.len() > 2 * self.stored + 1024 {
            let rings = &self.rings;
            let is_parked = &self.is_parked;
            self.parked.retain(|&(node, seq)| {
                is_parked[node as usize] && rings[node as usize].front().is_some_and(|front| front.seq == seq)
            });
            self.released
                .retain(|&Reverse((seq, node))| rings[node as usize].front().is_some_and(|front| front.seq <= seq));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(h: &mut History, node: NodeId, payload: &[u8]) {
        h.push(node, ReceivedMessage::new("t", payload, 0, false), 0);
    }

    #[test]
    fn per_topic_depth_keeps_the_newest() {
        let mut h = History::new(HistoryLimits {
            per_topic: 3,
            byte_budget: usize::MAX,
        });
        for i in 0..10u8 {
            push(&mut h, 1, &[i]);
        }
        let kept: Vec<u8> = h.messages(1).iter().map(|m| m.payload[0]).collect();
        assert_eq!(kept, [7, 8, 9]);
        assert_eq!(h.stored_messages(), 3);
        assert_eq!(h.evicted(), 7);
        assert_eq!(h.latest(1).unwrap().payload[..], [9]);
    }

    #[test]
    fn byte_budget_evicts_oldest_across_topics_but_keeps_each_latest() {
        let budget = 10 * (100 + PER_MESSAGE_OVERHEAD);
        let mut h = History::new(HistoryLimits {
            per_topic: 1_000,
            byte_budget: budget,
        });
        // Topic 1 talks a lot, topic 2 once, early.
        push(&mut h, 2, &[2; 100]);
        for _ in 0..50 {
            push(&mut h, 1, &[1; 100]);
        }
        assert!(h.bytes() <= budget, "{} > {budget}", h.bytes());
        assert_eq!(h.messages(2).len(), 1, "the only message of a topic is never evicted");
        assert_eq!(h.messages(1).len(), 9);
        assert_eq!(h.evicted(), 41);
        assert_eq!(h.stored_messages(), 10);
    }

    #[test]
    fn latest_messages_are_kept_while_they_fit_then_the_quietest_go() {
        let unit = 5 + PER_MESSAGE_OVERHEAD;
        let mut h = History::new(HistoryLimits {
            per_topic: 10,
            byte_budget: 5 * unit,
        });
        for node in 0..5 {
            push(&mut h, node, b"hello");
            push(&mut h, node, b"world");
        }
        for node in 0..5 {
            assert_eq!(&h.latest(node).unwrap().payload[..], b"world");
            assert_eq!(h.messages(node).len(), 1);
        }
        assert_eq!(h.evicted(), 5);
        assert_eq!(h.latest_let_go(), 0);
        // A sixth topic: the latest messages alone no longer fit. The topic
        // quiet the longest (0) loses its payload, not the one just heard.
        push(&mut h, 5, b"fresh");
        assert!(h.bytes() <= 5 * unit, "{}", h.bytes());
        assert!(h.latest(0).is_none());
        assert_eq!(&h.latest(5).unwrap().payload[..], b"fresh");
        assert_eq!(h.latest_let_go(), 1);
        assert_eq!(h.evicted(), 6);
        // Topic 1 speaks again: its old latest goes before anyone else's.
        push(&mut h, 1, b"again");
        assert_eq!(&h.latest(1).unwrap().payload[..], b"again");
        assert_eq!(h.messages(1).len(), 1);
        for node in 2..6 {
            assert!(h.latest(node).is_some(), "topic {node} kept");
        }
        assert_eq!(h.latest_let_go(), 1);
    }

    #[test]
    fn what_else_counts_against_the_budget_is_respected() {
        let unit = 100 + PER_MESSAGE_OVERHEAD;
        let mut h = History::new(HistoryLimits {
            per_topic: 100,
            byte_budget: 10 * unit,
        });
        for i in 0..20u8 {
            h.push(0, ReceivedMessage::new("t", &[i; 100][..], 0, false), 4 * unit);
            assert!(h.bytes() + 4 * unit <= 10 * unit, "{}", h.bytes());
        }
        assert_eq!(h.stored_messages(), 6);
        // The tree grew past the whole budget: even the latest goes.
        h.push(1, ReceivedMessage::new("t", &[1u8; 100][..], 0, false), 11 * unit);
        assert_eq!(h.stored_messages(), 0);
        assert_eq!(h.latest_let_go(), 2);
    }

    #[test]
    fn many_quiet_topics_over_budget_cost_each_message_little() {
        // 20,000 topics whose latest messages alone pass the budget, then a
        // chatty topic and new topics: the budget must not walk all topics
        // for each message (it did: 100,000 topics at 1 MiB took 50 s).
        let unit = 10 + PER_MESSAGE_OVERHEAD;
        let mut h = History::new(HistoryLimits {
            per_topic: 100,
            byte_budget: 10_000 * unit,
        });
        let topics = 20_000u32;
        for node in 0..topics {
            push(&mut h, node, &[1; 10]);
        }
        let mut pushes = u64::from(topics);
        for i in 0..20_000u32 {
            push(&mut h, topics, &[2; 10]);
            push(&mut h, topics + 1 + i, &[3; 10]);
            push(&mut h, i % 50, &[4; 10]);
            pushes += 3;
            assert!(h.bytes() <= 10_000 * unit);
        }
        assert!(
            h.looked_at() <= 4 * pushes,
            "the budget looked at {} entries for {pushes} messages",
            h.looked_at()
        );
        assert_eq!(&h.latest(topics).unwrap().payload[..], &[2; 10]);
        assert_eq!(&h.latest(topics + 20_000).unwrap().payload[..], &[3; 10]);
    }

    #[test]
    fn the_first_overrun_of_latest_messages_lets_the_quietest_go_without_walking_all() {
        // 20,000 topics of one message each fill the budget; the next topic
        // passes it: the quietest topic's latest goes, and the budget looks
        // at a few entries, not all 20,000 (it set the whole queue aside).
        let unit = 10 + PER_MESSAGE_OVERHEAD;
        let topics = 20_000u32;
        let mut h = History::new(HistoryLimits {
            per_topic: 100,
            byte_budget: topics as usize * unit,
        });
        for node in 0..topics {
            push(&mut h, node, &[1; 10]);
        }
        assert_eq!(h.latest_let_go(), 0);
        let before = h.looked_at();
        push(&mut h, topics, &[2; 10]);
        assert!(h.looked_at() - before <= 2, "looked at {}", h.looked_at() - before);
        assert_eq!(h.latest_let_go(), 1);
        assert!(h.latest(0).is_none(), "the quietest topic's latest went");
        assert!(h.latest(1).is_some() && h.latest(topics).is_some());
        // A topic with an older message: that one goes before any latest,
        // wherever it is in the queue.
        push(&mut h, 5, &[3; 10]);
        assert_eq!(h.latest_let_go(), 1);
        assert_eq!(h.messages(5).len(), 1);
        assert_eq!(&h.latest(5).unwrap().payload[..], &[3; 10]);
        // Then the quietest latest again, in arrival order.
        push(&mut h, topics + 1, &[4; 10]);
        assert!(h.latest(1).is_none() && h.latest(2).is_some());
        assert_eq!(h.latest_let_go(), 2);
        assert_eq!(h.stored_messages(), topics as usize);
    }

    #[test]
    fn a_kept_latest_message_does_not_hide_newer_ones_from_the_budget() {
        let unit = 100 + PER_MESSAGE_OVERHEAD;
        let mut h = History::new(HistoryLimits {
            per_topic: 1_000,
            byte_budget: 3 * unit,
        });
        push(&mut h, 0, &[0; 100]);
        push(&mut h, 1, &[1; 100]);
        push(&mut h, 1, &[2; 100]);
        // Over budget: topic 0's only message is kept and re-queued behind.
        push(&mut h, 1, &[3; 100]);
        // Topic 0 gets newer messages; the budget must still hold as they come.
        for i in 4..40u8 {
            push(&mut h, 0, &[i; 100]);
            assert!(h.bytes() <= 3 * unit, "over budget after message {i}: {}", h.bytes());
        }
        assert_eq!(h.latest(0).unwrap().payload[0], 39);
        assert_eq!(h.latest(1).unwrap().payload[0], 3);
    }

    #[test]
    fn lowering_the_limits_evicts_at_once() {
        let mut h = History::new(HistoryLimits {
            per_topic: 100,
            byte_budget: usize::MAX,
        });
        for i in 0..50u8 {
            push(&mut h, 0, &[i; 100]);
            push(&mut h, 1, &[i; 100]);
        }
        h.set_limits(
            HistoryLimits {
                per_topic: 10,
                byte_budget: usize::MAX,
            },
            0,
        );
        assert_eq!(h.messages(0).len(), 10);
        assert_eq!(h.messages(0).front().unwrap().payload[0], 40);
        let budget = 6 * (100 + PER_MESSAGE_OVERHEAD);
        h.set_limits(
            HistoryLimits {
                per_topic: 10,
                byte_budget: budget,
            },
            0,
        );
        assert!(h.bytes() <= budget);
        assert_eq!(h.stored_messages(), 6);
        assert_eq!(h.latest(0).unwrap().payload[0], 49);
        assert_eq!(h.latest(1).unwrap().payload[0], 49);
        assert_eq!(h.evicted(), 100 - 6);
    }

    #[test]
    fn stale_arrival_entries_do_not_accumulate() {
        let mut h = History::new(HistoryLimits {
            per_topic: 2,
            byte_budget: usize::MAX,
        });
        push(&mut h, 1, b"once");
        for _ in 0..100_000 {
            push(&mut h, 0, b"x");
        }
        assert!(
            h.arrival.len() <= 2 * 3 + 1024,
            "arrival queue grew to {}",
            h.arrival.len()
        );
    }
}

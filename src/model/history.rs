//! Per-topic message rings under one global byte budget. Each topic keeps at
//! most `per_topic` recent messages; when the payload bytes of all rings pass
//! `byte_budget`, the oldest messages across all topics go first. The latest
//! message of every topic is always kept, and every eviction is counted so the
//! user can see what was let go.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::message::{MessageProperties, ReceivedMessage};
use super::topic_tree::NodeId;

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
    rings: Vec<VecDeque<StoredMessage>>,
    /// (node, seq) in arrival order; entries whose message is already gone are skipped.
    arrival: VecDeque<(NodeId, u64)>,
    next_seq: u64,
    bytes: usize,
    stored: usize,
    evicted: u64,
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
    /// the latest of every topic kept). O(topics), on a user's request only.
    pub fn set_limits(&mut self, limits: HistoryLimits) {
        self.limits = HistoryLimits {
            per_topic: limits.per_topic.max(1),
            byte_budget: limits.byte_budget,
        };
        for ring in &mut self.rings {
            while ring.len() > self.limits.per_topic {
                if let Some(old) = ring.pop_front() {
                    self.bytes -= old.cost();
                    self.stored -= 1;
                    self.evicted += 1;
                }
            }
        }
        self.enforce_budget();
    }

    /// Payload bytes (plus a small per-message overhead) currently held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Messages currently held across all topics.
    pub fn stored_messages(&self) -> usize {
        self.stored
    }

    /// Messages let go because of the per-topic depth or the byte budget.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Messages of one topic, oldest first.
    pub fn messages(&self, node: NodeId) -> &VecDeque<StoredMessage> {
        static EMPTY: VecDeque<StoredMessage> = VecDeque::new();
        self.rings.get(node as usize).unwrap_or(&EMPTY)
    }

    pub fn latest(&self, node: NodeId) -> Option<&StoredMessage> {
        self.rings.get(node as usize).and_then(|r| r.back())
    }

    pub fn push(&mut self, node: NodeId, message: ReceivedMessage) {
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
        if self.rings.len() <= index {
            self.rings.resize_with(index + 1, VecDeque::new);
        }
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
        ring.push_back(message);
        if ring.len() > self.limits.per_topic
            && let Some(old) = ring.pop_front()
        {
            self.bytes -= old.cost();
            self.stored -= 1;
            self.evicted += 1;
        }
        self.arrival.push_back((node, seq));
        self.enforce_budget();
    }

    fn enforce_budget(&mut self) {
        // Each arrival entry is looked at once per pass; a latest-of-topic entry
        // is re-queued, so the pass ends when only latest messages are left.
        let mut requeued = 0;
        while self.bytes > self.limits.byte_budget && requeued < self.arrival.len() {
            let Some((node, seq)) = self.arrival.pop_front() else {
                break;
            };
            let ring = &mut self.rings[node as usize];
            match ring.front().map(|front| front.seq) {
                Some(front) if front == seq && ring.len() > 1 => {
                    if let Some(old) = ring.pop_front() {
                        self.bytes -= old.cost();
                        self.stored -= 1;
                        self.evicted += 1;
                    }
                }
                // The topic's latest (kept), or a live message behind an older
                // one that was re-queued earlier: look at it again later.
                Some(front) if front <= seq => {
                    self.arrival.push_back((node, seq));
                    requeued += 1;
                }
                // Already gone through the per-topic bound.
                _ => {}
            }
        }
        // Entries of messages already gone through the per-topic bound must not
        // pile up: compact when they outnumber the live ones (amortised O(1)).
        if self.arrival.len() > 2 * self.stored + 1024 {
            let rings = &self.rings;
            self.arrival
                .retain(|&(node, seq)| rings[node as usize].front().is_some_and(|front| front.seq <= seq));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(h: &mut History, node: NodeId, payload: &[u8]) {
        h.push(node, ReceivedMessage::new("t", payload, 0, false));
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
    fn budget_smaller_than_latest_messages_keeps_all_latest() {
        let mut h = History::new(HistoryLimits {
            per_topic: 10,
            byte_budget: 1,
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
        h.set_limits(HistoryLimits {
            per_topic: 10,
            byte_budget: usize::MAX,
        });
        assert_eq!(h.messages(0).len(), 10);
        assert_eq!(h.messages(0).front().unwrap().payload[0], 40);
        let budget = 6 * (100 + PER_MESSAGE_OVERHEAD);
        h.set_limits(HistoryLimits {
            per_topic: 10,
            byte_budget: budget,
        });
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

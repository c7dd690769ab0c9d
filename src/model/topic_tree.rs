//! The topic hierarchy as an arena: nodes live in one `Vec`, children are kept
//! in natural order (`sensor2` before `sensor10`), and a hash index maps a full
//! topic to its node. Counts are updated along the path of each new message, so
//! a message costs O(topic depth) and nothing ever walks the whole tree.

use std::cmp::Ordering;
use std::collections::HashMap;

/// Index of a node in the arena. Stable for the lifetime of the tree.
pub type NodeId = usize;

/// The invisible root every top-level segment hangs from.
pub const ROOT: NodeId = 0;

#[derive(Debug, Clone)]
pub struct TopicNode {
    /// The segment name (may be empty: `a//b` has an empty middle segment).
    pub name: String,
    /// The full topic this node stands for (`home/living_room/light`).
    pub topic: String,
    pub parent: Option<NodeId>,
    pub children: Vec<NodeId>,
    pub depth: usize,
    /// Messages received on exactly this topic.
    pub own_messages: u64,
    /// Messages received on this topic and every topic below it.
    pub subtree_messages: u64,
    /// Topics that have received at least one message, below this node (not counting itself).
    pub subtopics: u64,
    /// The broker holds a retained message for this topic, as far as we have seen.
    pub retained: bool,
}

impl TopicNode {
    /// Whether a message has ever arrived on exactly this topic.
    pub fn has_messages(&self) -> bool {
        self.own_messages > 0
    }
}

#[derive(Debug, Clone)]
pub struct TopicTree {
    nodes: Vec<TopicNode>,
    index: HashMap<String, NodeId>,
    /// Topics that have received at least one message.
    topic_count: u64,
}

impl Default for TopicTree {
    fn default() -> Self {
        Self::new()
    }
}

impl TopicTree {
    pub fn new() -> Self {
        let root = TopicNode {
            name: String::new(),
            topic: String::new(),
            parent: None,
            children: Vec::new(),
            depth: 0,
            own_messages: 0,
            subtree_messages: 0,
            subtopics: 0,
            retained: false,
        };
        Self {
            nodes: vec![root],
            index: HashMap::new(),
            topic_count: 0,
        }
    }

    pub fn node(&self, id: NodeId) -> &TopicNode {
        &self.nodes[id]
    }

    pub fn get(&self, topic: &str) -> Option<NodeId> {
        self.index.get(topic).copied()
    }

    /// Number of distinct topics that have received a message.
    pub fn topic_count(&self) -> u64 {
        self.topic_count
    }

    /// Number of nodes, including intermediate levels and the root.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Top-level nodes, in natural order.
    pub fn roots(&self) -> &[NodeId] {
        &self.nodes[ROOT].children
    }

    /// Record one message on `topic`; returns the topic's node.
    pub fn record(&mut self, topic: &str, retain: bool, empty_payload: bool) -> NodeId {
        let id = match self.index.get(topic) {
            Some(&id) => id,
            None => self.insert_path(topic),
        };
        let first_message = self.nodes[id].own_messages == 0;
        {
            let node = &mut self.nodes[id];
            node.own_messages += 1;
            // A retained message arrives flagged; an empty payload clears what the
            // broker retains (live messages arrive unflagged and leave the mark alone).
            if empty_payload {
                node.retained = false;
            } else if retain {
                node.retained = true;
            }
        }
        if first_message {
            self.topic_count += 1;
        }
        let mut cursor = Some(id);
        let mut below = false;
        while let Some(n) = cursor {
            let node = &mut self.nodes[n];
            node.subtree_messages += 1;
            if first_message && below {
                node.subtopics += 1;
            }
            below = true;
            cursor = node.parent;
        }
        id
    }

    fn insert_path(&mut self, topic: &str) -> NodeId {
        let mut parent = ROOT;
        let mut end = 0;
        for (depth, segment) in topic.split('/').enumerate() {
            end += segment.len();
            let prefix = &topic[..end];
            let id = match self.index.get(prefix) {
                Some(&id) => id,
                None => {
                    let id = self.nodes.len();
                    self.nodes.push(TopicNode {
                        name: segment.to_owned(),
                        topic: prefix.to_owned(),
                        parent: Some(parent),
                        children: Vec::new(),
                        depth,
                        own_messages: 0,
                        subtree_messages: 0,
                        subtopics: 0,
                        retained: false,
                    });
                    self.index.insert(prefix.to_owned(), id);
                    let names = &self.nodes;
                    let siblings = &self.nodes[parent].children;
                    let at = siblings
                        .binary_search_by(|&s| natural_cmp(&names[s].name, segment))
                        .unwrap_or_else(|at| at);
                    self.nodes[parent].children.insert(at, id);
                    id
                }
            };
            parent = id;
            end += 1; // the '/' separator
        }
        parent
    }
}

/// Compare two topic segments the way people read them: runs of digits by
/// value (`sensor2` < `sensor10`), everything else by character.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let (na, nb) = (trim_zeros(&a[..da]), trim_zeros(&b[..db]));
                let ord = na
                    .len()
                    .cmp(&nb.len())
                    .then_with(|| na.cmp(nb))
                    .then_with(|| da.cmp(&db));
                if ord != Ordering::Equal {
                    return ord;
                }
                a = &a[da..];
                b = &b[db..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let start = digits.iter().position(|&d| d != b'0').unwrap_or(digits.len());
    &digits[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(tree: &TopicTree, ids: &[NodeId]) -> Vec<String> {
        ids.iter().map(|&id| tree.node(id).name.clone()).collect()
    }

    #[test]
    fn counts_follow_the_path() {
        let mut tree = TopicTree::new();
        tree.record("home/living_room/light", false, false);
        tree.record("home/living_room/light", false, false);
        tree.record("home/living_room/tv", false, false);
        tree.record("home/bedroom/light", false, false);
        tree.record("iot/sensor/temperature", false, false);

        assert_eq!(tree.topic_count(), 4);
        let home = tree.get("home").unwrap();
        assert_eq!(tree.node(home).subtree_messages, 4);
        assert_eq!(tree.node(home).subtopics, 3);
        assert!(!tree.node(home).has_messages());
        let living = tree.get("home/living_room").unwrap();
        assert_eq!(tree.node(living).subtopics, 2);
        let light = tree.get("home/living_room/light").unwrap();
        assert_eq!(tree.node(light).own_messages, 2);
        assert_eq!(tree.node(light).subtopics, 0);
        assert_eq!(tree.node(ROOT).subtree_messages, 5);
        assert_eq!(names(&tree, tree.roots()), ["home", "iot"]);
    }

    #[test]
    fn a_topic_that_is_also_a_parent_counts_once() {
        let mut tree = TopicTree::new();
        tree.record("a/b", false, false);
        tree.record("a", false, false);
        tree.record("a/b/c", false, false);
        let a = tree.get("a").unwrap();
        assert_eq!(tree.topic_count(), 3);
        assert_eq!(tree.node(a).subtopics, 2);
        assert_eq!(tree.node(a).subtree_messages, 3);
        assert_eq!(tree.node(a).own_messages, 1);
    }

    #[test]
    fn retained_mark_is_set_by_retained_and_cleared_by_empty_payload() {
        let mut tree = TopicTree::new();
        let id = tree.record("devices/gw/status", true, false);
        assert!(tree.node(id).retained);
        tree.record("devices/gw/status", false, false);
        assert!(
            tree.node(id).retained,
            "a live update leaves the broker's retained copy in place"
        );
        tree.record("devices/gw/status", false, true);
        assert!(!tree.node(id).retained);
    }

    #[test]
    fn children_are_in_natural_order() {
        let mut tree = TopicTree::new();
        for t in ["s/sensor10", "s/sensor2", "s/sensor1", "s/alpha", "s/sensor02"] {
            tree.record(t, false, false);
        }
        let s = tree.get("s").unwrap();
        assert_eq!(
            names(&tree, &tree.node(s).children),
            ["alpha", "sensor1", "sensor2", "sensor02", "sensor10"]
        );
    }

    #[test]
    fn empty_and_leading_slash_segments_are_nodes() {
        let mut tree = TopicTree::new();
        tree.record("/leading", false, false);
        tree.record("a//b", false, false);
        assert!(tree.get("").is_some());
        assert!(tree.get("/leading").is_some());
        assert!(tree.get("a/").is_some());
        assert_eq!(tree.node(tree.get("a//b").unwrap()).depth, 2);
        assert_eq!(tree.topic_count(), 2);
    }
}

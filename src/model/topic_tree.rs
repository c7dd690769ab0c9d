//! The topic hierarchy as an arena: nodes live in one `Vec`, segment names are
//! interned once in a shared text buffer, children are kept in natural order
//! (`sensor2` before `sensor10`), and a hash index maps a full topic to its
//! node without storing the topic again (a hit is confirmed by walking the
//! node's ancestors). Counts are updated along the path of each message:
//! O(topic depth) per message, never a walk over all topics.

use std::cmp::Ordering;
use std::hash::Hasher as _;

use rustc_hash::FxHasher;

use super::chunked::ChunkedVec;
use super::sharded::ShardedTable;

/// Index of a node in the arena. Stable for the lifetime of the tree.
pub type NodeId = u32;

/// The invisible root every top-level segment hangs from.
pub const ROOT: NodeId = 0;

/// One level of the hierarchy.
#[derive(Debug, Clone)]
pub struct TopicNode {
    /// `ROOT` for top-level nodes (and for the root itself).
    pub parent: NodeId,
    /// Interned segment name; read it with [`TopicTree::name`].
    segment: u32,
    pub depth: u16,
    /// The broker holds a retained message for this topic, as far as we have seen.
    pub retained: bool,
    pub children: Vec<NodeId>,
    /// Messages received on exactly this topic.
    pub own_messages: u64,
    /// Messages received on this topic and every topic below it.
    pub subtree_messages: u64,
    /// Topics that have received at least one message, below this node (not counting itself).
    pub subtopics: u32,
    /// Hash of the full topic, kept so the index can grow without rebuilding topics.
    topic_hash: u64,
}

impl TopicNode {
    /// Whether a message has ever arrived on exactly this topic.
    pub fn has_messages(&self) -> bool {
        self.own_messages > 0
    }
}

/// The most text the interner holds: its spans are u32 offsets. (Small under
/// test, so the refusal can be tested without 4 GiB of names.)
#[cfg(not(test))]
const TEXT_LIMIT: usize = u32::MAX as usize;
#[cfg(test)]
const TEXT_LIMIT: usize = 1 << 20;

/// Heap bytes charged per node for its place in its parent's child list (a
/// first allocation of four ids and the allocator's rounding).
const CHILD_SLOT_BYTES: usize = 32;

/// Bytes of names per text chunk. A name never spans two chunks, so a chunk
/// may end up to one name short of full. (Small under test, as the limit.)
#[cfg(not(test))]
const TEXT_CHUNK: usize = 1 << 20;
#[cfg(test)]
const TEXT_CHUNK: usize = 1 << 17;

/// Segment names, each stored once, in chunks of text: 8 MiB of names in
/// one `String` grew by copying them all (56 ms in a frame at 660,000 nodes).
#[derive(Debug, Clone, Default)]
struct Interner {
    /// Each grows like a `String` (doubling from 8 bytes) up to [`TEXT_CHUNK`].
    text: Vec<String>,
    /// The capacity of every chunk but the last, summed (`text_bytes` is
    /// asked for every message).
    text_before_last: usize,
    /// (chunk × [`TEXT_CHUNK`] + offset, length) of each name.
    spans: ChunkedVec<(u32, u32)>,
    table: ShardedTable,
}

/// A name's text, from its span.
fn name_at(text: &[String], (start, len): (u32, u32)) -> &str {
    let (chunk, offset) = (start as usize / TEXT_CHUNK, start as usize % TEXT_CHUNK);
    &text[chunk][offset..offset + len as usize]
}

/// Where a name of `len` bytes goes after a last chunk of `last` bytes in
/// `capacity`: in it (true) or in a new chunk; and that chunk's capacity
/// after (doubling, at least 8, at most [`TEXT_CHUNK`] unless the name alone
/// is longer).
fn place_name(last: usize, capacity: usize, len: usize) -> (bool, usize) {
    if last + len <= capacity {
        return (true, capacity);
    }
    let (fits, last, capacity) = if last + len <= TEXT_CHUNK {
        (true, last, capacity)
    } else {
        (false, 0, 0)
    };
    let needed = last + len;
    let grown = if needed <= capacity {
        capacity
    } else {
        (capacity * 2).max(needed).max(8).min(TEXT_CHUNK.max(needed))
    };
    (fits, grown)
}

impl Interner {
    fn get(&self, id: u32) -> &str {
        name_at(&self.text, self.spans[id as usize])
    }

    /// The span position after the last name: what the u32 offsets must hold.
    fn text_end(&self) -> usize {
        self.text
            .last()
            .map_or(0, |last| (self.text.len() - 1) * TEXT_CHUNK + last.len())
    }

    fn text_bytes(&self) -> usize {
        debug_assert_eq!(
            self.text_before_last,
            self.text.iter().rev().skip(1).map(String::capacity).sum::<usize>()
        );
        self.text_before_last
            + self.text.last().map_or(0, String::capacity)
            + self.text.capacity() * std::mem::size_of::<String>()
    }

    /// How much [`Self::text_bytes`] grows when `names` are interned: the
    /// names not interned yet placed as `intern` places them. (Placing a
    /// known name too could move the rest to a new chunk early, below what
    /// they really cost.)
    fn text_growth(&self, topic: &str) -> usize {
        let (mut last, mut capacity) = self.text.last().map_or((0, 0), |t| (t.len(), t.capacity()));
        if last + topic.len() <= capacity {
            // All of it fits the last chunk as it is: nothing grows (the usual case).
            return 0;
        }
        let names = topic.split('/');
        let (mut grown, mut chunks) = (0, self.text.len().max(1));
        let mut seen: std::collections::HashSet<&str, std::hash::BuildHasherDefault<FxHasher>> = Default::default();
        let known = |name: &str| self.table.find(hash_str(name), |&id| self.get(id) == name).is_some();
        for name in names.filter(|name| !known(name) && seen.insert(*name)) {
            let (fits, next) = place_name(last, capacity, name.len());
            if fits {
                grown += next - capacity;
                last += name.len();
            } else {
                grown += next;
                chunks += 1;
                last = name.len();
            }
            capacity = next;
        }
        // `Vec::push` doubles (at least 4).
        let mut list = self.text.capacity();
        while list < chunks {
            list = (list * 2).max(4);
        }
        let list = list - self.text.capacity();
        grown + list * std::mem::size_of::<String>()
    }

    fn intern(&mut self, s: &str) -> u32 {
        let hash = hash_str(s);
        let Self {
            text,
            text_before_last,
            spans,
            table,
        } = self;
        if let Some(&id) = table.find(hash, |&id| name_at(text, spans[id as usize]) == s) {
            return id;
        }
        let (last, capacity) = text.last().map_or((0, 0), |t| (t.len(), t.capacity()));
        let (fits, grown) = place_name(last, capacity, s.len());
        if !fits || text.is_empty() {
            *text_before_last += text.last().map_or(0, String::capacity);
            text.push(String::new());
        }
        let at = text.len() - 1;
        let chunk = &mut text[at];
        if grown > chunk.capacity() {
            chunk.reserve_exact(grown - chunk.len());
        }
        let start = at * TEXT_CHUNK + chunk.len();
        chunk.push_str(s);
        let id = spans.len() as u32;
        spans.push((start as u32, s.len() as u32));
        let (text, spans) = (&*text, &*spans);
        table.insert_unique(hash, id, |&id| hash_str(name_at(text, spans[id as usize])));
        id
    }
}

/// The hash of a full topic, level by level, so that each level's hash
/// follows from its parent's in O(segment) ([`TopicHasher`]).
fn topic_hash(topic: &str) -> u64 {
    let mut hasher = TopicHasher::default();
    for segment in topic.split('/') {
        hasher.push(segment);
    }
    hasher.finish()
}

/// The running hash of a topic's levels so far.
#[derive(Clone, Default)]
struct TopicHasher {
    state: FxHasher,
    levels: usize,
}

impl TopicHasher {
    fn push(&mut self, segment: &str) {
        if self.levels > 0 {
            self.state.write_u8(b'/');
        }
        self.state.write(segment.as_bytes());
        self.levels += 1;
    }

    fn finish(&self) -> u64 {
        let mut end = self.state.clone();
        end.write_u8(0xff);
        end.finish()
    }
}

fn hash_str(s: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(s.as_bytes());
    h.write_u8(0xff);
    h.finish()
}

#[derive(Debug, Clone)]
pub struct TopicTree {
    /// In chunks: half a million nodes grow without one long copy.
    nodes: ChunkedVec<TopicNode>,
    segments: Interner,
    /// Full topic -> node, for every node but the root.
    index: ShardedTable,
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
        let mut segments = Interner::default();
        let root_name = segments.intern("");
        let root = TopicNode {
            parent: ROOT,
            segment: root_name,
            depth: 0,
            retained: false,
            children: Vec::new(),
            own_messages: 0,
            subtree_messages: 0,
            subtopics: 0,
            topic_hash: 0,
        };
        let mut nodes = ChunkedVec::default();
        nodes.push(root);
        Self {
            nodes,
            segments,
            index: ShardedTable::default(),
            topic_count: 0,
        }
    }

    pub fn node(&self, id: NodeId) -> &TopicNode {
        &self.nodes[id as usize]
    }

    /// The segment name of a node (`light` for `home/living_room/light`).
    pub fn name(&self, id: NodeId) -> &str {
        self.segments.get(self.nodes[id as usize].segment)
    }

    /// The full topic of a node, rebuilt from its ancestors.
    pub fn topic(&self, id: NodeId) -> String {
        let mut parts = Vec::with_capacity(usize::from(self.node(id).depth) + 1);
        let mut cursor = id;
        while cursor != ROOT {
            parts.push(self.name(cursor));
            cursor = self.node(cursor).parent;
        }
        parts.reverse();
        parts.join("/")
    }

    /// The node of a full topic, if it has been seen.
    pub fn get(&self, topic: &str) -> Option<NodeId> {
        self.index
            .find(topic_hash(topic), |&id| self.is_topic_of(id, topic))
            .copied()
    }

    /// Whether `topic` is exactly the path of node `id`, compared from the last level up.
    fn is_topic_of(&self, id: NodeId, topic: &str) -> bool {
        let mut rest = topic;
        let mut cursor = id;
        loop {
            let node = self.node(cursor);
            let Some(head) = rest.strip_suffix(self.segments.get(node.segment)) else {
                return false;
            };
            let parent = node.parent;
            if parent == ROOT {
                return head.is_empty();
            }
            let Some(head) = head.strip_suffix('/') else {
                return false;
            };
            rest = head;
            cursor = parent;
        }
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
        &self.nodes[ROOT as usize].children
    }

    /// Every node id but the root.
    pub fn ids(&self) -> impl Iterator<Item = NodeId> + use<> {
        1..self.nodes.len() as NodeId
    }

    /// Topics at or below `node` (the node included) whose retained mark is set, in tree order.
    pub fn retained_at_or_below(&self, node: NodeId) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![node];
        while let Some(id) = stack.pop() {
            if id != ROOT && self.node(id).retained {
                out.push(self.topic(id));
            }
            stack.extend(self.node(id).children.iter().rev().copied());
        }
        out
    }

    /// Heap bytes the tree holds (nodes, names, both hash tables), as the
    /// history budget counts them. O(1).
    pub fn heap_bytes(&self) -> usize {
        self.nodes.heap_bytes()
            + self.nodes.len() * CHILD_SLOT_BYTES
            + self.segments.text_bytes()
            + self.segments.spans.heap_bytes()
            + self.segments.table.heap_bytes()
            + self.index.heap_bytes()
    }

    /// At most how many bytes `heap_bytes` grows by when a topic of `levels`
    /// levels and `len` bytes is added (every level new, every table grown).
    fn growth_bound(&self, topic: &str, levels: usize) -> usize {
        self.nodes.growth_bytes(levels)
            + levels * CHILD_SLOT_BYTES
            + self.segments.text_growth(topic)
            + self.segments.spans.growth_bytes(levels)
            + self.segments.table.growth_bound(levels)
            + self.index.growth_bound(levels)
    }

    /// Record one message on `topic`; returns the topic's node. A topic not
    /// yet in the tree is added only while the tree, with it, fits in `room`
    /// bytes (and its ids and name offsets do not overflow); otherwise `None`
    /// and nothing changes.
    pub fn record(&mut self, topic: &str, retain: bool, empty_payload: bool, room: usize) -> Option<NodeId> {
        self.record_within(topic, retain, empty_payload, |_| room)
    }

    /// [`Self::record`], with the room asked for only when the topic is new:
    /// `room(nodes_after)` (the caller's own per-node costs depend on
    /// how many nodes there would be), so a known topic costs no more.
    pub fn record_within(
        &mut self,
        topic: &str,
        retain: bool,
        empty_payload: bool,
        room: impl FnOnce(usize) -> usize,
    ) -> Option<NodeId> {
        let id = match self.get(topic) {
            Some(id) => id,
            None => {
                let levels = topic.split('/').count();
                let room = room(self.nodes.len().saturating_add(levels));
                if self.heap_bytes().saturating_add(self.growth_bound(topic, levels)) > room
                    // A name that does not fit its chunk's rest starts the next one:
                    // the span end moves by less than twice the names' length.
                    || self.segments.text_end().saturating_add(2 * topic.len()) > TEXT_LIMIT
                    || self.nodes.len().saturating_add(levels) > NodeId::MAX as usize
                {
                    return None;
                }
                self.insert_path(topic)
            }
        };
        let node = &mut self.nodes[id as usize];
        let first_message = node.own_messages == 0;
        node.own_messages += 1;
        // A retained message arrives flagged; an empty payload clears what the
        // broker retains (live messages arrive unflagged and leave the mark alone).
        if empty_payload {
            node.retained = false;
        } else if retain {
            node.retained = true;
        }
        if first_message {
            self.topic_count += 1;
        }
        let mut cursor = id;
        let mut below = false;
        loop {
            let node = &mut self.nodes[cursor as usize];
            node.subtree_messages += 1;
            if first_message && below {
                node.subtopics += 1;
            }
            if cursor == ROOT {
                break;
            }
            below = true;
            cursor = node.parent;
        }
        Some(id)
    }

    /// Walk down from the root level by level: each level is found among its
    /// parent's children (kept sorted), or added. O(depth × log siblings), so a
    /// topic 32,000 levels deep costs what its bytes cost, not their square.
    fn insert_path(&mut self, topic: &str) -> NodeId {
        let mut parent = ROOT;
        let mut hasher = TopicHasher::default();
        let mut adding = false;
        for (depth, segment) in topic.split('/').enumerate() {
            hasher.push(segment);
            let found = if adding { None } else { self.child(parent, segment) };
            parent = match found {
                Some(id) => id,
                None => {
                    // Below a new level everything is new: no more searching.
                    adding = true;
                    self.add_child(parent, segment, hasher.finish(), depth)
                }
            };
        }
        parent
    }

    /// The child of `parent` named `segment`, if there is one.
    fn child(&self, parent: NodeId, segment: &str) -> Option<NodeId> {
        let children = &self.nodes[parent as usize].children;
        children
            .binary_search_by(|&c| natural_cmp(self.name(c), segment))
            .ok()
            .map(|at| children[at])
    }

    fn add_child(&mut self, parent: NodeId, segment: &str, topic_hash: u64, depth: usize) -> NodeId {
        let id = self.nodes.len() as NodeId;
        let name = self.segments.intern(segment);
        self.nodes.push(TopicNode {
            parent,
            segment: name,
            depth: depth.min(usize::from(u16::MAX)) as u16,
            retained: false,
            children: Vec::new(),
            own_messages: 0,
            subtree_messages: 0,
            subtopics: 0,
            topic_hash,
        });
        let Self {
            nodes, segments, index, ..
        } = self;
        index.insert_unique(topic_hash, id, |&other| nodes[other as usize].topic_hash);
        let siblings = &nodes[parent as usize].children;
        let at = siblings
            .binary_search_by(|&s| natural_cmp(segments.get(nodes[s as usize].segment), segment))
            .unwrap_or_else(|at| at);
        nodes[parent as usize].children.insert(at, id);
        id
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
        ids.iter().map(|&id| tree.name(id).to_owned()).collect()
    }

    #[test]
    fn the_growth_bound_holds_as_names_fill_chunk_after_chunk() {
        let mut tree = TopicTree::new();
        let topic = |i: usize| format!("{}/{}/{i}", "n".repeat(i % 1_200), "层".repeat(i % 50));
        for i in 0..2_400 {
            let topic = topic(i);
            let limit = tree.heap_bytes() + tree.growth_bound(&topic, topic.split('/').count());
            tree.record(&topic, false, false, usize::MAX).unwrap();
            assert!(tree.heap_bytes() <= limit, "topic {i}: {} > {limit}", tree.heap_bytes());
        }
        assert!(tree.segments.text.len() >= 4, "{} chunks", tree.segments.text.len());
        assert!(tree.segments.text.iter().all(|t| t.capacity() <= TEXT_CHUNK));
        for i in [0, 1_199, 1_200, 2_399] {
            let id = tree.get(&topic(i)).expect("found by its topic");
            assert_eq!(tree.topic(id), topic(i));
        }
    }

    #[test]
    fn a_known_name_does_not_hide_the_growth_of_the_new_ones_after_it() {
        // A last chunk exactly full 4,096 bytes short of TEXT_CHUNK, ending
        // with a 4,097-byte name X; then X/B1/B2/B3. Placing X again would
        // open a new chunk for all three; really B1 grows the old chunk to
        // the full TEXT_CHUNK, and B2 and B3 open the next one.
        let mut tree = TopicTree::new();
        let part = (TEXT_CHUNK - 4_096) / 8;
        let x = "x".repeat(4_097);
        let mut fill: Vec<String> = (0..7).map(|i| char::from(b'a' + i).to_string().repeat(part)).collect();
        fill.push("f".repeat(part - x.len()));
        fill.push(x.clone());
        for name in &fill {
            tree.record(name, false, false, usize::MAX).unwrap();
        }
        let last = tree.segments.text.last().unwrap();
        assert_eq!((last.len(), last.capacity()), (TEXT_CHUNK - 4_096, TEXT_CHUNK - 4_096));
        let topic = format!("{x}/{}/{}/q", "1".repeat(4_096), "2".repeat(8_194));
        let limit = tree.heap_bytes() + tree.growth_bound(&topic, 4);
        tree.record(&topic, false, false, usize::MAX).unwrap();
        assert!(tree.heap_bytes() <= limit, "{} > {limit}", tree.heap_bytes());
    }

    #[test]
    fn new_topics_stop_at_the_room_given_and_at_the_name_limit() {
        let mut tree = TopicTree::new();
        let a = tree.record("a/b", false, false, usize::MAX).unwrap();
        let full = tree.heap_bytes();
        assert!(full > 0);
        let before = tree.heap_bytes();
        let room = before + tree.growth_bound("e/f", 2);
        assert!(tree.record("e/f", false, false, room).is_some());
        assert!(
            tree.heap_bytes() <= room,
            "the bound holds: {} > {room}",
            tree.heap_bytes()
        );
        assert_eq!(tree.record("c/d", false, false, full), None, "no room for a new topic");
        assert_eq!(tree.get("c"), None, "nothing of it was added");
        assert_eq!(
            tree.record("a/b", false, false, full),
            Some(a),
            "known topics still count"
        );
        assert_eq!(tree.node(a).own_messages, 2);
        // Names up to the interner's limit (u32 offsets; 1 MiB under test).
        let long = "x".repeat(60_000);
        let mut added = 0;
        for i in 0.. {
            if tree.record(&format!("{i}{long}"), false, false, usize::MAX).is_none() {
                break;
            }
            added += 1;
        }
        assert!((10..=17).contains(&added), "{added} topics of 60,000 bytes in 1 MiB");
        assert!(tree.segments.text_end() <= TEXT_LIMIT);
        assert!(tree.record("a/b", false, false, usize::MAX).is_some());
    }

    #[test]
    fn counts_follow_the_path() {
        let mut tree = TopicTree::new();
        tree.record("home/living_room/light", false, false, usize::MAX).unwrap();
        tree.record("home/living_room/light", false, false, usize::MAX).unwrap();
        tree.record("home/living_room/tv", false, false, usize::MAX).unwrap();
        tree.record("home/bedroom/light", false, false, usize::MAX).unwrap();
        tree.record("iot/sensor/temperature", false, false, usize::MAX).unwrap();

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
        assert_eq!(tree.topic(light), "home/living_room/light");
        assert_eq!(tree.node(ROOT).subtree_messages, 5);
        assert_eq!(names(&tree, tree.roots()), ["home", "iot"]);
    }

    #[test]
    fn a_topic_that_is_also_a_parent_counts_once() {
        let mut tree = TopicTree::new();
        tree.record("a/b", false, false, usize::MAX).unwrap();
        tree.record("a", false, false, usize::MAX).unwrap();
        tree.record("a/b/c", false, false, usize::MAX).unwrap();
        let a = tree.get("a").unwrap();
        assert_eq!(tree.topic_count(), 3);
        assert_eq!(tree.node(a).subtopics, 2);
        assert_eq!(tree.node(a).subtree_messages, 3);
        assert_eq!(tree.node(a).own_messages, 1);
    }

    #[test]
    fn retained_mark_is_set_by_retained_and_cleared_by_empty_payload() {
        let mut tree = TopicTree::new();
        let id = tree.record("devices/gw/status", true, false, usize::MAX).unwrap();
        assert!(tree.node(id).retained);
        tree.record("devices/gw/status", false, false, usize::MAX).unwrap();
        assert!(
            tree.node(id).retained,
            "a live update leaves the broker's retained copy in place"
        );
        tree.record("devices/gw/status", false, true, usize::MAX).unwrap();
        assert!(!tree.node(id).retained);
    }

    #[test]
    fn retained_topics_below_a_node() {
        let mut tree = TopicTree::new();
        tree.record("dev/a/status", true, false, usize::MAX).unwrap();
        tree.record("dev/b/status", false, false, usize::MAX).unwrap();
        tree.record("dev/c", true, false, usize::MAX).unwrap();
        tree.record("dev/c/x", true, false, usize::MAX).unwrap();
        tree.record("other", true, false, usize::MAX).unwrap();
        let dev = tree.get("dev").unwrap();
        assert_eq!(tree.retained_at_or_below(dev), ["dev/a/status", "dev/c", "dev/c/x"]);
        tree.record("dev/c", false, true, usize::MAX).unwrap(); // cleared
        assert_eq!(tree.retained_at_or_below(dev), ["dev/a/status", "dev/c/x"]);
        assert_eq!(tree.retained_at_or_below(ROOT).len(), 3);
    }

    #[test]
    fn children_are_in_natural_order() {
        let mut tree = TopicTree::new();
        for t in ["s/sensor10", "s/sensor2", "s/sensor1", "s/alpha", "s/sensor02"] {
            tree.record(t, false, false, usize::MAX).unwrap();
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
        tree.record("/leading", false, false, usize::MAX).unwrap();
        tree.record("a//b", false, false, usize::MAX).unwrap();
        assert!(tree.get("").is_some());
        assert!(tree.get("/leading").is_some());
        assert!(tree.get("a/").is_some());
        assert_eq!(tree.node(tree.get("a//b").unwrap()).depth, 2);
        assert_eq!(tree.topic(tree.get("a//b").unwrap()), "a//b");
        assert_eq!(tree.topic_count(), 2);
    }

    #[test]
    fn lookups_never_confuse_similar_paths() {
        let mut tree = TopicTree::new();
        let topics = ["a/bc", "ab/c", "a/b/c", "abc", "a/b", "c", "b/c", "/a/bc", "a/bc/"];
        let ids: Vec<NodeId> = topics
            .iter()
            .map(|t| tree.record(t, false, false, usize::MAX).unwrap())
            .collect();
        for (t, id) in topics.iter().zip(&ids) {
            assert_eq!(tree.get(t), Some(*id), "{t}");
            assert_eq!(&tree.topic(*id), t);
        }
        assert_eq!(tree.get("bc"), None);
        assert_eq!(tree.get("a/b/c/d"), None);
        // Many topics: the index grows and rehashes without losing any.
        for i in 0..20_000 {
            tree.record(&format!("load/site_{}/sensor_{i}", i % 7), false, false, usize::MAX);
        }
        for i in (0..20_000).step_by(997) {
            let t = format!("load/site_{}/sensor_{i}", i % 7);
            assert_eq!(tree.topic(tree.get(&t).unwrap()), t);
        }
        assert_eq!(tree.topic_count(), topics.len() as u64 + 20_000);
    }
}

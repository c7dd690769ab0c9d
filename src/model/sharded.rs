//! A hash table of ids kept in shards that grow at fill levels of their own.
//! One `HashTable` of a million ids grows by rehashing all of them in one
//! go: 65–143 ms in a frame at 917,000 topics, each id's hash read from a
//! node far away in memory. Here each shard holds about 1/32 of the ids and
//! grows at its own fraction of full (from half to 63/64), so the shards grow
//! one at a time, spread over the next ids, each a 32nd of the work.

use hashbrown::HashTable;

const SHARDS: usize = 32;

/// Heap bytes charged per slot: the id and its control byte.
const SLOT_BYTES: usize = std::mem::size_of::<u32>() + 1;

#[derive(Debug, Clone)]
pub struct ShardedTable {
    shards: Vec<HashTable<u32>>,
    /// The shards' capacities summed: `heap_bytes` is asked for every message.
    capacity: usize,
    /// The fewest ids any shard takes before its early limit: fewer than that
    /// added grow nothing (`growth_bound` is asked for every new topic).
    min_room: usize,
}

impl Default for ShardedTable {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| HashTable::new()).collect(),
            capacity: 0,
            min_room: 0,
        }
    }
}

/// The shard of a hash: bits hashbrown uses neither for the bucket (low
/// bits, below 2^40 buckets) nor for its control byte (the top seven).
fn shard_of(hash: u64) -> usize {
    (hash >> 40) as usize % SHARDS
}

/// How many ids shard `shard` holds before it grows early: from half of
/// its capacity (shard 0) to 63/64 of it (shard 31).
fn early_limit(shard: usize, capacity: usize) -> usize {
    capacity * (SHARDS + shard) / (2 * SHARDS)
}

/// How many more ids shard `at` takes before its early limit.
fn room(at: usize, shard: &HashTable<u32>) -> usize {
    early_limit(at, shard.capacity()).saturating_sub(shard.len())
}

impl ShardedTable {
    pub fn find(&self, hash: u64, eq: impl FnMut(&u32) -> bool) -> Option<&u32> {
        self.shards[shard_of(hash)].find(hash, eq)
    }

    /// Insert an id not in the table yet; `hasher` gives any id's hash.
    pub fn insert_unique(&mut self, hash: u64, id: u32, hasher: impl Fn(&u32) -> u64) {
        let at = shard_of(hash);
        let shard = &mut self.shards[at];
        let before = shard.capacity();
        if shard.len() >= early_limit(at, before) {
            // Double now, at this shard's own fill level.
            shard.reserve(before - shard.len() + 1, &hasher);
        }
        shard.insert_unique(hash, id, hasher);
        let after = shard.capacity();
        self.capacity += after - before;
        if after == before {
            self.min_room = self.min_room.min(room(at, shard));
        } else {
            // A shard grew: its room is large again; the least is elsewhere.
            self.min_room = self
                .shards
                .iter()
                .enumerate()
                .map(|(at, s)| room(at, s))
                .min()
                .unwrap_or(0);
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.shards.iter().map(HashTable::len).sum()
    }

    /// Heap bytes held, as slots times [`SLOT_BYTES`].
    pub fn heap_bytes(&self) -> usize {
        debug_assert_eq!(
            self.capacity,
            self.shards.iter().map(HashTable::capacity).sum::<usize>()
        );
        self.capacity * SLOT_BYTES
    }

    /// At most how much [`Self::heap_bytes`] grows by when `added` ids go in.
    /// Only a shard that may reach its early limit grows: it doubles, or,
    /// taking `a` of the ids, ends at most at four times what it then holds
    /// (it may double at half full). The lesser of two bounds: the `added`
    /// largest such growths (tight for a few ids), and every such shard
    /// doubling plus four slots per id (tight for many).
    pub fn growth_bound(&self, added: usize) -> usize {
        if added <= self.min_room {
            return 0;
        }
        // On the stack: this runs for every new topic.
        let mut few = [0usize; SHARDS];
        let mut growing = 0;
        let mut many = 4 * added;
        for (at, shard) in self.shards.iter().enumerate() {
            let (len, capacity) = (shard.len(), shard.capacity());
            if len + added > early_limit(at, capacity) {
                few[growing] = (2 * capacity + 8).max(4 * (len + added) + 8) - capacity;
                growing += 1;
                many += (2 * capacity + 8).max(4 * len + 8) - capacity;
            }
        }
        let few = &mut few[..growing];
        if added < growing {
            few.sort_unstable_by(|a, b| b.cmp(a));
        }
        let few: usize = few.iter().take(added).sum();
        few.min(many) * SLOT_BYTES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(id: u32) -> u64 {
        // A well-mixed hash of the id, as the tree's FxHasher gives.
        let mut x = u64::from(id).wrapping_add(0x9E37_79B9_7F4A_7C15);
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^ (x >> 31)
    }

    #[test]
    fn shards_grow_one_at_a_time_each_a_small_part_of_the_table() {
        let mut table = ShardedTable::default();
        let mut largest_step = 0;
        let mut steps = 0;
        for id in 0..200_000u32 {
            let before = table.heap_bytes();
            let bound = table.growth_bound(1);
            table.insert_unique(hash(id), id, |&id| hash(id));
            let grown = table.heap_bytes() - before;
            assert!(grown <= bound, "id {id}: grew {grown}, bound {bound}");
            if grown > 0 {
                steps += 1;
                if id > 50_000 {
                    largest_step = largest_step.max(grown);
                }
            }
        }
        assert_eq!(table.len(), 200_000);
        for id in (0..200_000u32).step_by(997) {
            assert_eq!(table.find(hash(id), |&other| other == id), Some(&id));
        }
        assert_eq!(table.find(hash(200_001), |&other| other == 200_001), None);
        // One table would grow its whole size at once (over 1 MB here); the
        // shards grow many times, each by about a 32nd of that.
        assert!(steps > 4 * SHARDS, "{steps} growth steps");
        assert!(
            largest_step * 8 < table.heap_bytes(),
            "largest step {largest_step} of {}",
            table.heap_bytes()
        );
    }

    #[test]
    fn the_bound_holds_for_many_ids_at_once() {
        // A topic 32,000 levels deep brings that many ids in one go.
        for start in [0u32, 1, 100, 5_000] {
            let mut table = ShardedTable::default();
            for id in 0..start {
                table.insert_unique(hash(id), id, |&id| hash(id));
            }
            for added in [1u32, 3, 40, 32_000] {
                let mut grown = table.clone();
                let limit = grown.heap_bytes() + grown.growth_bound(added as usize);
                for id in start..start + added {
                    grown.insert_unique(hash(id), id, |&id| hash(id));
                }
                assert!(grown.heap_bytes() <= limit, "start {start}, added {added}");
            }
        }
    }
}

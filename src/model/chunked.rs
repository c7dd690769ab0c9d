//! Growable storage kept in fixed-size chunks: a first-in first-out queue
//! and an indexed array. A `VecDeque` or `Vec` of a million entries grows by
//! copying all of them into a buffer twice the size: 44 ms in one frame for
//! the history's arrival queue at 20,000 msg/s, 191 ms for the topic tree's
//! nodes at half a million topics, page faults included. These grow a chunk
//! at a time and never move more than one chunk of what they hold.

use std::collections::VecDeque;

/// Entries per chunk: 4,096 (64 KiB of `(u32, u64)` pairs).
const CHUNK: usize = 4096;

#[derive(Debug, Default)]
pub struct ChunkedQueue<T> {
    chunks: VecDeque<Vec<T>>,
    /// Entries of the first chunk already popped.
    head: usize,
    len: usize,
}

impl<T> ChunkedQueue<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn push_back(&mut self, value: T) {
        match self.chunks.back_mut() {
            Some(last) if last.len() < CHUNK => last.push(value),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(value);
                self.chunks.push_back(chunk);
            }
        }
        self.len += 1;
    }

    pub fn pop_front(&mut self) -> Option<T>
    where
        T: Copy,
    {
        let first = self.chunks.front()?;
        let value = first[self.head];
        self.head += 1;
        if self.head == first.len() {
            self.chunks.pop_front();
            self.head = 0;
        }
        self.len -= 1;
        Some(value)
    }

    /// Keep only the entries `keep` says yes to, in order, packed into full
    /// chunks: a few live entries left in many chunks would otherwise hold
    /// 64 KiB each for good. Each old chunk is freed as soon as it is read,
    /// so at most one chunk more than the result is held at any time.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let old = std::mem::take(&mut self.chunks);
        let head = std::mem::take(&mut self.head);
        self.len = 0;
        for (i, chunk) in old.into_iter().enumerate() {
            let skip = if i == 0 { head } else { 0 };
            for value in chunk.into_iter().skip(skip) {
                if keep(&value) {
                    self.push_back(value);
                }
            }
        }
    }
}

/// An array indexed like a `Vec`, kept in chunks of [`CHUNK`] elements.
/// The first chunk grows like a `Vec` (doubling from 4) up to [`CHUNK`], so
/// a small array costs no more than a `Vec` would; the next ones are taken
/// whole. Growing never copies more than half a chunk.
#[derive(Debug, Clone)]
pub struct ChunkedVec<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for ChunkedVec<T> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> ChunkedVec<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        self.chunks.get(index / CHUNK)?.get(index % CHUNK)
    }

    pub fn push(&mut self, value: T) {
        let last = match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => last,
            _ => {
                // Only the first chunk grows from small; the next ones are
                // for large arrays, taken whole.
                let next = if self.chunks.is_empty() {
                    Vec::new()
                } else {
                    Vec::with_capacity(CHUNK)
                };
                self.chunks.push(next);
                self.chunks.last_mut().expect("just pushed")
            }
        };
        if last.len() == last.capacity() {
            let grown = next_capacity(last.capacity());
            last.reserve_exact(grown - last.len());
        }
        last.push(value);
        self.len += 1;
    }

    /// Grow to `len` elements made by `make` (never shrinks).
    pub fn resize_with(&mut self, len: usize, mut make: impl FnMut() -> T) {
        while self.len < len {
            self.push(make());
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.chunks.iter_mut().flatten()
    }

    /// Heap bytes held: every chunk's capacity and the list of chunks.
    pub fn heap_bytes(&self) -> usize {
        let held: usize = match self.chunks.last() {
            Some(last) => (self.chunks.len() - 1) * CHUNK + last.capacity(),
            None => 0,
        };
        held * std::mem::size_of::<T>() + self.chunks.capacity() * std::mem::size_of::<Vec<T>>()
    }

    /// At most how much [`Self::heap_bytes`] grows by when `added` more
    /// elements are pushed: exactly what the pushes would allocate.
    pub fn growth_bytes(&self, added: usize) -> usize {
        // Worked out chunk by chunk, as `push` would grow them.
        let (mut len, mut capacity) = self.chunks.last().map_or((CHUNK, CHUNK), |c| (c.len(), c.capacity()));
        let mut left = added;
        let mut grown = 0;
        let mut new_chunks = 0;
        while left > capacity - len {
            left -= capacity - len;
            if capacity < CHUNK {
                let next = next_capacity(capacity);
                grown += next - capacity;
                len = capacity;
                capacity = next;
            } else if self.chunks.is_empty() && new_chunks == 0 {
                new_chunks += 1;
                (len, capacity) = (0, 0);
            } else {
                new_chunks += 1;
                grown += CHUNK;
                (len, capacity) = (0, CHUNK);
            }
        }
        let list = self.chunks.len() + new_chunks;
        let list_grown = if list > self.chunks.capacity() {
            // `Vec::push` doubles (at least 4 slots of 24 bytes).
            let mut next = self.chunks.capacity();
            while next < list {
                next = (next * 2).max(4);
            }
            next - self.chunks.capacity()
        } else {
            0
        };
        grown * std::mem::size_of::<T>() + list_grown * std::mem::size_of::<Vec<T>>()
    }
}

/// A chunk's next capacity: double, at least 4, at most [`CHUNK`].
fn next_capacity(capacity: usize) -> usize {
    (capacity * 2).clamp(4, CHUNK)
}

impl<T> std::ops::Index<usize> for ChunkedVec<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        &self.chunks[index / CHUNK][index % CHUNK]
    }
}

impl<T> std::ops::IndexMut<usize> for ChunkedVec<T> {
    fn index_mut(&mut self, index: usize) -> &mut T {
        &mut self.chunks[index / CHUNK][index % CHUNK]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_array_in_chunks_is_indexed_like_a_vec_and_never_moves_a_full_chunk() {
        let mut v = ChunkedVec::default();
        let n = 2 * CHUNK + 300;
        for i in 0..n {
            let predicted = v.heap_bytes() + v.growth_bytes(1);
            // The chunks already full stay where they are.
            let first = (v.len() > CHUNK).then(|| v.chunks[0].as_ptr());
            v.push(i as u64);
            assert_eq!(v.heap_bytes(), predicted, "after {i}");
            if let Some(first) = first {
                assert_eq!(v.chunks[0].as_ptr(), first);
            }
        }
        assert_eq!(v.len(), n);
        assert!(v.chunks.iter().all(|c| c.capacity() <= CHUNK));
        assert_eq!(v[0], 0);
        assert_eq!(v[CHUNK], CHUNK as u64);
        assert_eq!(v[n - 1], (n - 1) as u64);
        assert_eq!(v.get(n), None);
        v[CHUNK + 1] = 7;
        assert_eq!(v.iter().nth(CHUNK + 1), Some(&7));
        assert_eq!(v.iter().count(), n);
        // Small arrays cost what a Vec would: 4, 8, 16… slots.
        let mut small = ChunkedVec::default();
        small.resize_with(5, || 1u64);
        assert_eq!(small.heap_bytes(), 8 * 8 + 4 * std::mem::size_of::<Vec<u64>>());
    }

    #[test]
    fn growth_is_bounded_for_many_elements_at_once() {
        // A topic 32,000 levels deep adds that many nodes in one go.
        for start in [0, 3, CHUNK - 1, CHUNK, 5 * CHUNK + 9] {
            let mut v = ChunkedVec::default();
            v.resize_with(start, || 0u32);
            for added in [1, 2, 100, CHUNK, 32_000] {
                let mut w = v.clone();
                let predicted = w.heap_bytes() + w.growth_bytes(added);
                w.resize_with(start + added, || 0);
                // A clone's list of chunks may be tighter than the original's;
                // what matters is that the bound is never exceeded.
                assert!(w.heap_bytes() <= predicted, "start {start}, added {added}");
            }
        }
    }

    #[test]
    fn sparse_survivors_are_packed_so_the_chunks_stay_bounded() {
        // A fast topic's entries die, a slow topic's few live ones stay
        // spread over every chunk: compaction after compaction, the chunks
        // held stay those the live entries need.
        let mut q = ChunkedQueue::default();
        let mut next = 0u64;
        for _ in 0..50 {
            for _ in 0..4 * CHUNK {
                q.push_back(next);
                next += 1;
            }
            q.retain(|&i| i % 1000 == 0);
            assert!(
                q.chunks.len() <= q.len().div_ceil(CHUNK) + 1,
                "{} chunks for {}",
                q.chunks.len(),
                q.len()
            );
        }
        assert_eq!(q.len() as u64, next.div_ceil(1000));
        assert_eq!(q.pop_front(), Some(0));
        assert_eq!(q.pop_front(), Some(1000));
    }

    #[test]
    fn entries_come_out_in_order_across_chunks() {
        let mut q = ChunkedQueue::default();
        let n = 3 * CHUNK + 17;
        for i in 0..n {
            q.push_back(i);
        }
        assert_eq!(q.len(), n);
        assert_eq!(q.chunks.len(), 4, "a chunk at a time");
        for i in 0..CHUNK + 5 {
            assert_eq!(q.pop_front(), Some(i));
        }
        assert_eq!(q.len(), n - CHUNK - 5);
        assert_eq!(q.chunks.len(), 3, "an emptied chunk goes");
        let rest: Vec<usize> = std::iter::from_fn(|| q.pop_front()).collect();
        assert_eq!(rest, (CHUNK + 5..n).collect::<Vec<_>>());
        assert_eq!(q.len(), 0);
        assert_eq!(q.pop_front(), None);
    }

    #[test]
    fn retain_keeps_order_and_the_count_and_the_queue_goes_on() {
        let mut q = ChunkedQueue::default();
        for i in 0..2 * CHUNK + 100 {
            q.push_back(i);
        }
        for _ in 0..10 {
            q.pop_front();
        }
        // Keep the multiples of 3; a whole chunk's worth of entries
        // filtered out leaves no empty chunk behind.
        q.retain(|&i| i % 3 == 0 && !(CHUNK..2 * CHUNK).contains(&i));
        let expected: Vec<usize> = (10..2 * CHUNK + 100)
            .filter(|&i| i % 3 == 0 && !(CHUNK..2 * CHUNK).contains(&i))
            .collect();
        assert_eq!(q.len(), expected.len());
        assert!(q.chunks.iter().all(|c| !c.is_empty()));
        assert_eq!(q.chunks.len(), expected.len().div_ceil(CHUNK), "packed");
        q.push_back(usize::MAX);
        let all: Vec<usize> = std::iter::from_fn(|| q.pop_front()).collect();
        assert_eq!(all[..expected.len()], expected[..]);
        assert_eq!(all.last(), Some(&usize::MAX));
    }
}

//! A first-in first-out queue kept in fixed-size chunks. A `VecDeque` of a
//! million entries grows by copying all of them into a buffer twice the
//! size (44 ms in one frame at 20,000 msg/s, page faults included); this one
//! grows a chunk at a time and never moves what it holds.

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

#[cfg(test)]
mod tests {
    use super::*;

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

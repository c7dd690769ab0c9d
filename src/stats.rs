//! `--stats-json`: once a second the app replaces a file with its counters, so
//! benchmarks and tests can watch a running window from outside. Frame times
//! are the time spent in logic()+ui() per frame over the last 10 s.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;

const FRAME_WINDOW: Duration = Duration::from_secs(10);

#[derive(Debug, Serialize)]
pub struct ConnectionStats {
    pub name: String,
    pub state: String,
    pub error: Option<String>,
    pub received: u64,
    /// Rows the topic tree lists (what is expanded): lets a script see that a
    /// click on "Expand all" landed.
    pub tree_rows: usize,
}

#[derive(Debug, Serialize)]
pub struct StatsSnapshot {
    pub received: u64,
    pub applied: u64,
    pub dropped: u64,
    pub topics: u64,
    pub stored_messages: usize,
    /// What the history budget governs: stored messages and the topic tree.
    pub store_bytes: usize,
    /// The topic tree's share of `store_bytes`.
    pub tree_bytes: usize,
    pub evicted: u64,
    pub frames: u64,
    pub frame_ms_p50: f64,
    pub frame_ms_p99: f64,
    pub rss_bytes: u64,
    pub uptime_s: f64,
    /// Process start to the end of the first frame's `ui()`.
    pub first_frame_ms: Option<f64>,
    pub connections: Vec<ConnectionStats>,
}

impl StatsSnapshot {
    /// The numbers of every open connection now; `started`: when the process
    /// started; `first_frame`: how long after that the first frame was drawn.
    pub fn of(
        sessions: &[crate::session::Session],
        frames: &FrameTimes,
        started: Instant,
        first_frame: Option<Duration>,
        now: Instant,
    ) -> Self {
        let (p50, p99) = frames.percentiles();
        let models = || sessions.iter().map(|s| &s.model);
        Self {
            received: sessions.iter().map(|s| s.received()).sum(),
            applied: models().map(crate::model::Model::applied).sum(),
            // The pipeline from worker to Model never discards; history eviction is
            // `evicted`. What is dropped is a message on a new topic once the tree
            // alone fills the budget, and a message over the size limit on MQTT
            // 3.1.1 (read, said, not kept).
            dropped: models().map(crate::model::Model::refused_topics).sum::<u64>()
                + sessions.iter().map(|s| s.too_large).sum::<u64>(),
            topics: models().map(|m| m.tree.topic_count()).sum(),
            stored_messages: models().map(|m| m.history.stored_messages()).sum(),
            store_bytes: models().map(crate::model::Model::budget_bytes).sum(),
            tree_bytes: models().map(|m| m.tree.heap_bytes()).sum(),
            evicted: models().map(|m| m.history.evicted()).sum(),
            frames: frames.frames(),
            frame_ms_p50: p50,
            frame_ms_p99: p99,
            rss_bytes: rss_bytes(),
            uptime_s: now.duration_since(started).as_secs_f64(),
            first_frame_ms: first_frame.map(|d| d.as_secs_f64() * 1000.0),
            connections: sessions
                .iter()
                .map(|s| ConnectionStats {
                    name: s.handle.name().to_owned(),
                    state: s.state.label().to_owned(),
                    error: s.state.error().map(str::to_owned),
                    received: s.received(),
                    tree_rows: s.tree.rows().len(),
                })
                .collect(),
        }
    }
}

/// Frame work times over a sliding window.
#[derive(Debug, Default)]
pub struct FrameTimes {
    frames: u64,
    recent: VecDeque<(Instant, f64)>,
}

impl FrameTimes {
    pub fn record(&mut self, at: Instant, work: Duration) {
        self.frames += 1;
        self.recent.push_back((at, work.as_secs_f64() * 1000.0));
        while self
            .recent
            .front()
            .is_some_and(|(t, _)| at.duration_since(*t) > FRAME_WINDOW)
        {
            self.recent.pop_front();
        }
    }

    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// (p50, p99) in milliseconds over the window.
    pub fn percentiles(&self) -> (f64, f64) {
        if self.recent.is_empty() {
            return (0.0, 0.0);
        }
        let mut ms: Vec<f64> = self.recent.iter().map(|(_, m)| *m).collect();
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
        (at(0.50), at(0.99))
    }
}

/// Resident memory of this process, from /proc (0 where unavailable).
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

pub struct StatsFile {
    path: PathBuf,
    last_write: Option<Instant>,
}

impl StatsFile {
    pub fn new(path: PathBuf) -> Self {
        Self { path, last_write: None }
    }

    pub fn due(&self, now: Instant) -> bool {
        self.last_write
            .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1))
    }

    /// Write the snapshot through `writer` (its thread syncs the file, not the frame).
    pub fn write(&mut self, now: Instant, snapshot: &StatsSnapshot, writer: &crate::files::BackgroundWriter) {
        self.last_write = Some(now);
        match serde_json::to_vec_pretty(snapshot) {
            Ok(json) => writer.write_and_say(&self.path, json, false, "the stats file", None),
            Err(e) => tracing::warn!(path = %self.path.display(), error = %e, "could not write the stats file"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_over_the_window() {
        let mut f = FrameTimes::default();
        let t0 = Instant::now();
        for i in 0..100u64 {
            f.record(t0 + Duration::from_millis(i), Duration::from_millis(i + 1));
        }
        let (p50, p99) = f.percentiles();
        assert!((p50 - 51.0).abs() < 1.01, "{p50}");
        assert!((p99 - 99.0).abs() < 1.01, "{p99}");
        f.record(t0 + Duration::from_secs(30), Duration::from_millis(2));
        assert_eq!(f.percentiles(), (2.0, 2.0), "old frames leave the window");
        assert_eq!(f.frames(), 101);
    }

    #[test]
    fn rss_is_read() {
        assert!(rss_bytes() > 0);
    }
}

//! One numeric time series for charts: a (topic, value path), a bounded ring
//! of (time, value) points fed as messages arrive, and the state of its
//! threshold rule. Values that are missing or not numeric are counted, never
//! plotted as zero. Min/max decimation per pixel column keeps drawing cheap.

use std::collections::VecDeque;
use std::time::{SystemTime, UNIX_EPOCH};

use super::alerts::{AlertEvent, AlertState, Threshold};
use crate::payload::extract_number;

/// Default number of points kept per series.
pub const DEFAULT_SERIES_POINTS: usize = 100_000;

pub type SeriesId = usize;

#[derive(Debug, Clone)]
pub struct Series {
    pub topic: String,
    /// Path of the value in the payload, empty for a payload that is itself a number.
    pub path: String,
    /// (unix seconds, value), oldest first.
    pub points: VecDeque<[f64; 2]>,
    /// Messages on the topic whose value was missing or not numeric.
    pub skipped: u64,
    /// Index into the series palette, fixed for the life of the series.
    pub color: usize,
    pub threshold: Threshold,
    pub alert: AlertState,
    capacity: usize,
}

impl Series {
    pub fn new(topic: &str, path: &str, capacity: usize, color: usize) -> Self {
        Self {
            topic: topic.to_owned(),
            path: path.to_owned(),
            points: VecDeque::new(),
            skipped: 0,
            color,
            threshold: Threshold::default(),
            alert: AlertState::Normal,
            capacity: capacity.max(2),
        }
    }

    /// What the legend calls this series.
    pub fn label(&self) -> String {
        if self.path.is_empty() {
            self.topic.clone()
        } else {
            format!("{} · {}", self.topic, self.path)
        }
    }

    pub fn last(&self) -> Option<f64> {
        self.points.back().map(|p| p[1])
    }

    /// Take one message; returns the alert raised or cleared by its value.
    pub fn feed(&mut self, payload: &[u8], at: SystemTime) -> Option<AlertEvent> {
        match extract_number(payload, &self.path) {
            Some(value) => {
                if self.points.len() >= self.capacity {
                    self.points.pop_front();
                }
                self.points.push_back([unix_seconds(at), value]);
                self.check(value, at)
            }
            None => {
                self.skipped += 1;
                None
            }
        }
    }

    /// A new rule: judged at once against the last value.
    pub fn set_threshold(&mut self, threshold: Threshold, now: SystemTime) -> Option<AlertEvent> {
        let old = std::mem::replace(&mut self.threshold, threshold);
        let was = self.alert;
        self.alert = AlertState::Normal;
        let event = self.last().and_then(|v| self.check(v, now));
        if event.is_none() && was != AlertState::Normal && self.alert == AlertState::Normal {
            // The rule that raised the alert is gone or moved: say it cleared.
            return Some(self.event(self.last().unwrap_or(f64::NAN), now, &old, false));
        }
        // Still alerting under the new rule after alerting under the old: no news.
        if was != AlertState::Normal && self.alert == was {
            return None;
        }
        event
    }

    fn check(&mut self, value: f64, at: SystemTime) -> Option<AlertEvent> {
        if !self.threshold.is_set() {
            return None;
        }
        let before = self.alert;
        self.alert = self.threshold.next_state(before, value);
        if self.alert == before {
            return None;
        }
        let rule = self.threshold;
        Some(self.event(value, at, &rule, self.alert != AlertState::Normal))
    }

    fn event(&self, value: f64, at: SystemTime, rule: &Threshold, raised: bool) -> AlertEvent {
        AlertEvent {
            at,
            topic: self.topic.clone(),
            path: self.path.clone(),
            value,
            rule: rule.describe(),
            raised,
        }
    }

    /// Keep at most `capacity` points from now on (the oldest go first).
    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity.max(2);
        while self.points.len() > self.capacity {
            self.points.pop_front();
        }
    }
}

pub fn unix_seconds(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Lowest, highest, mean and last of the values seen, for the series table.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    pub count: u64,
    pub min: f64,
    pub max: f64,
    sum: f64,
    pub last: f64,
}

impl Stats {
    pub fn add(&mut self, value: f64) {
        if self.count == 0 {
            self.min = value;
            self.max = value;
        } else {
            self.min = self.min.min(value);
            self.max = self.max.max(value);
        }
        self.sum += value;
        self.last = value;
        self.count += 1;
    }

    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn t(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn decimating_nothing_or_little_allocates_no_more_than_the_points() {
        let none = decimate(std::iter::empty(), 0.0, 1.0, 4_000);
        assert_eq!(none.capacity(), 0, "an empty series costs nothing per frame");
        let three = decimate([[0.0, 1.0], [0.5, 2.0], [1.0, 3.0]].into_iter(), 0.0, 1.0, 4_000);
        assert_eq!(three.len(), 3);
        assert!(three.capacity() <= 3);
    }

    #[test]
    fn appends_values_and_skips_non_numbers() {
        let mut s = Series::new("iot/s1/temperature", "temperature", 100, 0);
        s.feed(br#"{"temperature": 21.5}"#, t(10));
        s.feed(br#"{"temperature": "n/a"}"#, t(11));
        s.feed(b"garbage", t(12));
        s.feed(br#"{"temperature": 22}"#, t(14));
        assert_eq!(
            s.points.iter().copied().collect::<Vec<_>>(),
            [[10.0, 21.5], [14.0, 22.0]]
        );
        assert_eq!(s.skipped, 2);
        assert_eq!(s.last(), Some(22.0));
    }

    #[test]
    fn is_a_bounded_ring() {
        let mut s = Series::new("a", "", 3, 0);
        for i in 0..6 {
            s.feed(format!("{i}").as_bytes(), t(i));
        }
        assert_eq!(s.points.iter().map(|p| p[1]).collect::<Vec<_>>(), [3.0, 4.0, 5.0]);
        s.set_capacity(2);
        assert_eq!(s.points.iter().map(|p| p[1]).collect::<Vec<_>>(), [4.0, 5.0]);
    }

    #[test]
    fn threshold_raises_once_and_clears_past_the_hysteresis() {
        let mut s = Series::new("iot/s1/temperature", "", 100, 0);
        s.set_threshold(Threshold::above(28.0), t(0));
        let events: Vec<(f64, bool)> = ["27", "28.4", "27.8", "28.9", "27.4", "27.9"]
            .iter()
            .enumerate()
            .filter_map(|(i, v)| s.feed(v.as_bytes(), t(i as u64)))
            .map(|e| (e.value, e.raised))
            .collect();
        assert_eq!(events, [(28.4, true), (27.4, false)]);
        // A rule set while the value is already above raises at once…
        s.feed(b"30", t(9));
        assert_eq!(s.alert, AlertState::Above);
        let moved = s.set_threshold(Threshold::above(29.0), t(10));
        assert!(moved.is_none(), "still above the moved line: no news");
        // …and removing the rule clears the alert.
        let cleared = s.set_threshold(Threshold::default(), t(11)).unwrap();
        assert!(!cleared.raised);
        assert_eq!(cleared.rule, "> 29");
        assert_eq!(s.alert, AlertState::Normal);
    }

    #[test]
    fn stats() {
        let mut stats = Stats::default();
        assert_eq!(stats.mean(), None);
        for v in [3.0, -1.0, 4.0] {
            stats.add(v);
        }
        assert_eq!((stats.min, stats.max, stats.last, stats.count), (-1.0, 4.0, 4.0, 3));
        assert_eq!(stats.mean(), Some(2.0));
    }
}

/// (column, first, lowest, highest, last) of a pixel column being filled.
type Column = (usize, [f64; 2], [f64; 2], [f64; 2], [f64; 2]);

/// Points to draw for a series across `columns` pixel columns of
/// `[x_min, x_max]`: per column its first, lowest, highest and last point, in
/// time order (at most 4 per column). The line looks the same as with every
/// point — every spike's top and bottom are kept — and the cost of drawing is
/// bounded by the pixels, not by the points. `points` must be sorted by time.
pub fn decimate(points: impl Iterator<Item = [f64; 2]>, x_min: f64, x_max: f64, columns: usize) -> Vec<[f64; 2]> {
    let columns = columns.max(1);
    let span = (x_max - x_min).max(f64::MIN_POSITIVE);
    // At most four points per column, and never more than there are: a series
    // with nothing in view (or a few points) costs nothing per frame.
    let (lower, upper) = points.size_hint();
    let mut out = Vec::with_capacity(upper.unwrap_or(lower).min(columns * 4));
    let mut current: Option<Column> = None;
    let flush = |out: &mut Vec<[f64; 2]>, c: Column| {
        let (_, first, min, max, last) = c;
        let mut four = [first, min, max, last];
        four.sort_by(|a, b| a[0].total_cmp(&b[0]));
        for p in four {
            if out.last() != Some(&p) {
                out.push(p);
            }
        }
    };
    for p in points {
        let column = (((p[0] - x_min) / span) * columns as f64).clamp(0.0, (columns - 1) as f64) as usize;
        match &mut current {
            Some((c, _, min, max, last)) if *c == column => {
                if p[1] < min[1] {
                    *min = p;
                }
                if p[1] > max[1] {
                    *max = p;
                }
                *last = p;
            }
            _ => {
                if let Some(done) = current.take() {
                    flush(&mut out, done);
                }
                current = Some((column, p, p, p, p));
            }
        }
    }
    if let Some(done) = current {
        flush(&mut out, done);
    }
    out
}

#[cfg(test)]
mod decimation_tests {
    use super::decimate;

    #[test]
    fn decimation_keeps_every_columns_min_and_max() {
        // 100,000 points of a wave with one spike up and one down.
        let mut points: Vec<[f64; 2]> = (0..100_000).map(|i| [i as f64, (i as f64 / 500.0).sin()]).collect();
        points[31_337][1] = 50.0;
        points[77_777][1] = -40.0;
        let drawn = decimate(points.iter().copied(), 0.0, 99_999.0, 800);
        assert!(drawn.len() <= 800 * 4, "{}", drawn.len());
        assert!(drawn.contains(&[31_337.0, 50.0]), "the spike up is kept");
        assert!(drawn.contains(&[77_777.0, -40.0]), "the spike down is kept");
        assert!(
            drawn.contains(&points[0]) && drawn.contains(&points[99_999]),
            "both ends are kept"
        );
        assert!(drawn.windows(2).all(|w| w[0][0] <= w[1][0]), "in time order");
        // Few points: all of them, unchanged.
        let few = [[0.0, 1.0], [1.0, 2.0], [2.0, 0.5]];
        assert_eq!(decimate(few.iter().copied(), 0.0, 2.0, 800), few);
    }
}

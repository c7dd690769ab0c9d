//! Numeric time series for charts: one per (topic, value path), each a bounded
//! ring of (time, value) points fed as messages arrive and back-filled from
//! history when created. Values that are missing or not numeric are counted,
//! never plotted as zero.

use std::collections::{HashMap, VecDeque};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::payload::extract_number;

/// Default number of points kept per series.
pub const DEFAULT_SERIES_POINTS: usize = 100_000;

pub type SeriesId = usize;

#[derive(Debug, Clone)]
pub struct Series {
    pub topic: String,
    /// JSON path of the value, empty for a payload that is itself a number.
    pub path: String,
    /// (unix seconds, value), oldest first.
    pub points: VecDeque<[f64; 2]>,
    /// Messages on the topic whose value was missing or not numeric.
    pub skipped: u64,
    capacity: usize,
}

impl Series {
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

    fn feed(&mut self, payload: &[u8], at: SystemTime) {
        match extract_number(payload, &self.path) {
            Some(value) => {
                if self.points.len() == self.capacity {
                    self.points.pop_front();
                }
                self.points.push_back([unix_seconds(at), value]);
            }
            None => self.skipped += 1,
        }
    }
}

pub fn unix_seconds(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

#[derive(Debug, Default)]
pub struct SeriesSet {
    series: Vec<Series>,
    by_topic: HashMap<String, Vec<SeriesId>>,
    capacity: usize,
}

impl SeriesSet {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(2),
            ..Self::default()
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (SeriesId, &Series)> {
        self.series.iter().enumerate()
    }

    pub fn get(&self, id: SeriesId) -> Option<&Series> {
        self.series.get(id)
    }

    pub fn len(&self) -> usize {
        self.series.len()
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    pub fn find(&self, topic: &str, path: &str) -> Option<SeriesId> {
        self.by_topic
            .get(topic)?
            .iter()
            .copied()
            .find(|&id| self.series[id].path == path)
    }

    /// Add a series (or return the existing one), back-filled from `history`
    /// (oldest first).
    pub fn add<'a>(
        &mut self,
        topic: &str,
        path: &str,
        history: impl IntoIterator<Item = (&'a [u8], SystemTime)>,
    ) -> SeriesId {
        if let Some(id) = self.find(topic, path) {
            return id;
        }
        let mut series = Series {
            topic: topic.to_owned(),
            path: path.to_owned(),
            points: VecDeque::new(),
            skipped: 0,
            capacity: self.capacity,
        };
        for (payload, at) in history {
            series.feed(payload, at);
        }
        let id = self.series.len();
        self.series.push(series);
        self.by_topic.entry(topic.to_owned()).or_default().push(id);
        id
    }

    /// Drop every series (the chart's "clear").
    pub fn clear(&mut self) {
        self.series.clear();
        self.by_topic.clear();
    }

    /// Feed one message to the series of its topic, if any.
    pub fn feed(&mut self, topic: &str, payload: &[u8], at: SystemTime) {
        if let Some(ids) = self.by_topic.get(topic) {
            for &id in ids {
                self.series[id].feed(payload, at);
            }
        }
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
    fn appends_values_and_skips_non_numbers() {
        let mut set = SeriesSet::new(100);
        let id = set.add("iot/s1/temperature", "temperature", []);
        set.feed("iot/s1/temperature", br#"{"temperature": 21.5}"#, t(10));
        set.feed("iot/s1/temperature", br#"{"temperature": "n/a"}"#, t(11));
        set.feed("iot/s1/temperature", b"garbage", t(12));
        set.feed("iot/other", br#"{"temperature": 99}"#, t(13));
        set.feed("iot/s1/temperature", br#"{"temperature": 22}"#, t(14));
        let s = set.get(id).unwrap();
        assert_eq!(
            s.points.iter().copied().collect::<Vec<_>>(),
            [[10.0, 21.5], [14.0, 22.0]]
        );
        assert_eq!(s.skipped, 2);
        assert_eq!(s.last(), Some(22.0));
    }

    #[test]
    fn backfills_from_history_and_is_bounded() {
        let mut set = SeriesSet::new(3);
        let history: Vec<(Vec<u8>, SystemTime)> = (0..5).map(|i| (format!("{i}").into_bytes(), t(i))).collect();
        let id = set.add("a", "", history.iter().map(|(p, at)| (p.as_slice(), *at)));
        assert_eq!(
            set.get(id).unwrap().points.iter().map(|p| p[1]).collect::<Vec<_>>(),
            [2.0, 3.0, 4.0]
        );
        set.feed("a", b"5", t(5));
        assert_eq!(
            set.get(id).unwrap().points.iter().map(|p| p[1]).collect::<Vec<_>>(),
            [3.0, 4.0, 5.0]
        );
        assert_eq!(set.add("a", "", []), id, "adding twice returns the same series");
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn several_paths_on_one_topic() {
        let mut set = SeriesSet::new(10);
        let a = set.add("t", "a", []);
        let b = set.add("t", "b", []);
        set.feed("t", br#"{"a": 1, "b": 2}"#, t(1));
        assert_eq!(set.get(a).unwrap().last(), Some(1.0));
        assert_eq!(set.get(b).unwrap().last(), Some(2.0));
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
    let mut out = Vec::with_capacity(columns * 4);
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

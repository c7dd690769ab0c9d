//! Everything one connection has seen, as plain data: the topic tree, the
//! per-topic history and the chart series. The UI thread owns it and panels
//! read it through `&Model`. No egui and no tokio in here.

mod alerts;
mod charts;
mod chunked;
pub mod ha;
mod history;
mod series;
mod sharded;
pub mod sparkplug;
pub mod sys;
mod topic_tree;

pub use alerts::{AlertEvent, AlertLog, AlertState, DEFAULT_HYSTERESIS, Threshold, number};
pub use charts::{Chart, ChartLayout, Charts, MAX_SERIES_PER_CHART, SeriesSpec, Source, alert_word};
pub use history::{DEFAULT_BYTE_BUDGET, DEFAULT_PER_TOPIC, History, HistoryLimits, StoredMessage};
pub use series::{DEFAULT_SERIES_POINTS, Series, SeriesId, Stats, decimate, unix_seconds};
pub use topic_tree::{NodeId, ROOT, TopicNode, TopicTree, natural_cmp};

use std::time::{Duration, Instant, SystemTime};

use crate::vocab::ReceivedMessage;

#[derive(Debug)]
pub struct Model {
    pub tree: TopicTree,
    pub history: History,
    pub charts: Charts,
    /// Home Assistant discovery: names of state and command topics.
    pub ha: ha::HomeAssistant,
    /// Sparkplug B edge nodes: the names behind aliases, births, deaths, sequence gaps.
    pub sparkplug: sparkplug::Sparkplug,
    /// Messages applied to this model since it was created.
    applied: u64,
    /// Messages whose topic was not valid UTF-8 (kept with their bytes, escaped).
    invalid_topics: u64,
    /// Messages on a new topic not kept because the topic tree alone filled
    /// the history budget (counted and shown, never silently lost).
    refused_topics: u64,
    rate: RateMeter,
}

impl Default for Model {
    fn default() -> Self {
        Self::new(HistoryLimits::default(), DEFAULT_SERIES_POINTS)
    }
}

impl Model {
    pub fn new(limits: HistoryLimits, series_points: usize) -> Self {
        Self {
            tree: TopicTree::new(),
            history: History::new(limits),
            charts: Charts::new(series_points),
            ha: ha::HomeAssistant::default(),
            sparkplug: sparkplug::Sparkplug::default(),
            applied: 0,
            invalid_topics: 0,
            refused_topics: 0,
            rate: RateMeter::default(),
        }
    }

    /// Apply a batch of messages in arrival order. O(topic length) per message.
    ///
    /// The history budget covers the stored messages and the tree's own
    /// memory. Past it: older messages go first, then the latest payloads of
    /// the quietest topics; once the tree alone fills it, messages on new
    /// topics are counted in `refused_topics` and not kept.
    pub fn apply(&mut self, batch: impl IntoIterator<Item = ReceivedMessage>, now: Instant) {
        let mut n = 0u64;
        let budget = self.history.limits().byte_budget;
        for m in batch {
            n += 1;
            if crate::vocab::topic::has_invalid_bytes(&m.topic) {
                self.invalid_topics += 1;
            }
            // A new topic may grow the tree into what the history's own index
            // leaves (worked out only for a topic not yet in the tree).
            let history = &self.history;
            let room = |nodes: usize| budget.saturating_sub(history.index_bytes() + history.index_growth_bound(nodes));
            let Some(node) = self.tree.record_within(&m.topic, m.retain, m.payload.is_empty(), room) else {
                self.refused_topics += 1;
                continue;
            };
            let spb = crate::payload::is_sparkplug_topic(&m.topic);
            if spb {
                self.sparkplug.observe(&m.topic, &m.payload);
            }
            if self.charts.is_feeding() {
                if self.tree.node(node).own_messages == 1 {
                    // First message on this topic: wildcard series may start for it.
                    self.charts.topic_appeared(&m.topic);
                }
                // Sparkplug data by alias only: charted by the names of the births
                // (the stored payload stays the bytes as received).
                let named = if spb {
                    self.sparkplug.named(&m.topic, &m.payload)
                } else {
                    None
                };
                self.charts
                    .feed(&m.topic, named.as_deref().unwrap_or(&m.payload), m.received_at);
            }
            self.ha.observe(&m.topic, &m.payload);
            self.history.reserve_node(node);
            let outside = self.tree.heap_bytes() + self.history.index_bytes();
            self.history.push(node, m, outside);
        }
        self.applied += n;
        self.rate.add(n, now);
    }

    /// Change how much history is kept; what no longer fits goes now.
    pub fn set_history_limits(&mut self, limits: HistoryLimits) {
        self.history
            .set_limits(limits, self.tree.heap_bytes() + self.history.index_bytes());
    }

    /// Bytes the history budget governs: stored messages and the topic tree.
    pub fn budget_bytes(&self) -> usize {
        self.history.bytes() + self.history.index_bytes() + self.tree.heap_bytes()
    }

    /// Messages on new topics not kept: the topic tree alone filled the budget.
    pub fn refused_topics(&self) -> u64 {
        self.refused_topics
    }

    pub fn applied(&self) -> u64 {
        self.applied
    }

    /// Messages received on a topic that is not valid UTF-8.
    pub fn invalid_topics(&self) -> u64 {
        self.invalid_topics
    }

    /// Messages per second over the last few seconds.
    pub fn rate(&self, now: Instant) -> f64 {
        self.rate.per_second(now)
    }

    /// Start a chart series for (topic, path) on the first chart, back-filled from history.
    pub fn add_series(&mut self, topic: &str, path: &str) -> usize {
        self.add_source(0, SeriesSpec::new(topic, path))
    }

    /// Add a source to a chart: one series per topic seen so far that
    /// matches, each back-filled from its history; topics that appear later
    /// join as they do. Returns the source's index in the chart.
    pub fn add_source(&mut self, chart: usize, spec: SeriesSpec) -> usize {
        let tree = &self.tree;
        let history = &self.history;
        let topics: Vec<(String, crate::model::NodeId)> = if spec.is_wildcard() {
            // Once per new source: walking the topics is fine here.
            tree.ids()
                .filter(|&id| tree.node(id).own_messages > 0)
                .map(|id| (tree.topic(id), id))
                .filter(|(topic, _)| crate::vocab::topic::filter_matches(&spec.filter, topic))
                .collect()
        } else {
            tree.get(&spec.filter)
                .map(|id| (spec.filter.clone(), id))
                .into_iter()
                .collect()
        };
        let with_history = topics.iter().map(|(topic, node)| {
            (
                topic.as_str(),
                history
                    .messages(*node)
                    .iter()
                    .map(|m| (&m.payload[..], m.received_at())),
            )
        });
        self.charts.add_source(chart, spec, with_history, SystemTime::now())
    }

    /// Read Home Assistant discovery under another prefix, from the configs
    /// already stored (they are retained, so usually all there).
    pub fn set_ha_prefix(&mut self, prefix: &str) {
        if self.ha.prefix() == prefix.trim_matches('/') {
            return;
        }
        self.ha = ha::HomeAssistant::new(prefix);
        let Some(root) = self.tree.get(self.ha.prefix()) else {
            return;
        };
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            if let Some(latest) = self.history.latest(id) {
                self.ha.observe(&self.tree.topic(id), &latest.payload);
            }
            stack.extend(self.tree.node(id).children.iter().copied());
        }
    }

    /// Restore saved chart layouts (on connect), back-filled from what is stored.
    pub fn restore_charts(&mut self, layouts: &[ChartLayout]) {
        for layout in layouts {
            let chart = self.charts.add_chart(&layout.name);
            for spec in &layout.series {
                let source = self.add_source(chart, spec.clone());
                self.charts.set_hidden(chart, source, spec.hidden);
            }
        }
    }
}

/// Messages per second, counted in one-second buckets over a short window.
#[derive(Debug, Default)]
struct RateMeter {
    start: Option<Instant>,
    /// (second since start, count), oldest first.
    buckets: std::collections::VecDeque<(u64, u64)>,
}

const RATE_WINDOW_S: u64 = 5;

impl RateMeter {
    fn add(&mut self, n: u64, now: Instant) {
        let start = *self.start.get_or_insert(now);
        let second = now.saturating_duration_since(start).as_secs();
        match self.buckets.back_mut() {
            Some((s, count)) if *s == second => *count += n,
            _ => self.buckets.push_back((second, n)),
        }
        while self
            .buckets
            .front()
            .is_some_and(|(s, _)| s + RATE_WINDOW_S + 1 < second)
        {
            self.buckets.pop_front();
        }
    }

    fn per_second(&self, now: Instant) -> f64 {
        let Some(start) = self.start else { return 0.0 };
        let elapsed = now.saturating_duration_since(start);
        let current = elapsed.as_secs();
        // Whole seconds only: the current, partial second would read low.
        let from = current.saturating_sub(RATE_WINDOW_S);
        let total: u64 = self
            .buckets
            .iter()
            .filter(|(s, _)| *s >= from && *s < current)
            .map(|(_, c)| c)
            .sum();
        let window = (current - from).max(1);
        if elapsed < Duration::from_secs(1) {
            return 0.0;
        }
        total as f64 / window as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::MessageProperties;

    fn msg(topic: &str, payload: &[u8], retain: bool) -> ReceivedMessage {
        ReceivedMessage::new(topic, payload, 1, retain)
    }

    #[test]
    fn apply_fills_tree_history_and_series() {
        let mut model = Model::default();
        let now = Instant::now();
        model.apply(vec![msg("iot/s1/temperature", br#"{"temperature":21.0}"#, false)], now);
        let series = model.add_series("iot/s1/temperature", "temperature");
        model.apply(
            vec![
                msg("iot/s1/temperature", br#"{"temperature":22.5}"#, false),
                msg("devices/gw/status", b"online", true),
            ],
            now,
        );
        assert_eq!(model.applied(), 3);
        assert_eq!(model.tree.topic_count(), 2);
        let node = model.tree.get("iot/s1/temperature").unwrap();
        assert_eq!(model.history.messages(node).len(), 2);
        let id = model.charts.charts()[0].sources[series].series[0];
        let points: Vec<f64> = model.charts.series(id).unwrap().points.iter().map(|p| p[1]).collect();
        assert_eq!(points, [21.0, 22.5], "back-filled, then live");
        let status = model.tree.get("devices/gw/status").unwrap();
        assert!(model.tree.node(status).retained);
        assert!(model.history.latest(status).unwrap().retain);
        assert!(!model.history.latest(status).unwrap().dup);
    }

    #[test]
    fn wildcard_series_join_as_topics_arrive_and_raise_alerts() {
        let mut model = Model::default();
        let now = Instant::now();
        model.apply(vec![msg("iot/s1/temperature", br#"{"temperature":21.0}"#, false)], now);
        let mut spec = SeriesSpec::new("iot/+/temperature", "temperature");
        spec.threshold = Threshold::above(28.0);
        model.add_source(0, spec);
        model.apply(
            vec![
                msg("iot/s2/temperature", br#"{"temperature":29.5}"#, false),
                msg("iot/s2/humidity", br#"{"humidity":40}"#, false),
                msg("iot/s1/temperature", br#"{"temperature":22.0}"#, false),
            ],
            now,
        );
        let topics: Vec<(&str, Vec<f64>)> = model
            .charts
            .all_series()
            .map(|(_, s)| (s.topic.as_str(), s.points.iter().map(|p| p[1]).collect()))
            .collect();
        assert_eq!(
            topics,
            [
                ("iot/s1/temperature", vec![21.0, 22.0]),
                ("iot/s2/temperature", vec![29.5])
            ]
        );
        let alerting: Vec<&str> = model.charts.alerting().map(|s| s.topic.as_str()).collect();
        assert_eq!(alerting, ["iot/s2/temperature"]);
        // Restored from its layout in a new model, the chart back-fills.
        let layouts = model.charts.layouts();
        let mut again = Model::default();
        again.apply(vec![msg("iot/s9/temperature", br#"{"temperature":30}"#, true)], now);
        again.restore_charts(&layouts);
        assert_eq!(again.charts.charts()[0].sources[0].series.len(), 1);
        assert_eq!(
            again.charts.alerting().count(),
            1,
            "the rule judges the latest value at once"
        );
    }

    #[test]
    fn delivery_flags_and_properties_are_kept_with_the_message() {
        let mut model = Model::default();
        let props = MessageProperties {
            content_type: Some("text/plain".into()),
            ..MessageProperties::default()
        };
        model.apply(
            vec![msg("a", b"again", false).with_dup(true).with_properties(props.clone())],
            Instant::now(),
        );
        let stored = model.history.latest(model.tree.get("a").unwrap()).unwrap();
        assert!(stored.dup);
        assert_eq!(stored.properties.as_deref(), Some(&props));
        // Properties count against the history budget.
        assert!(model.history.bytes() > "again".len() + 128);
    }

    #[test]
    fn deep_topics_and_many_topics_stay_within_the_budget() {
        // 32,000-level topics of ~64 KB: the tree's own memory (nodes, index)
        // is most of what they cost, and it counts against the budget.
        let budget = 16 * 1024 * 1024;
        let mut model = Model::new(
            HistoryLimits {
                per_topic: 100,
                byte_budget: budget,
            },
            100,
        );
        let deep = |i: usize| format!("{i}/{}", ["层"; 32_000].join("/"));
        for i in 0..20 {
            model.apply(vec![msg(&deep(i), b"x", false)], Instant::now());
            assert!(model.budget_bytes() <= budget, "{} > {budget}", model.budget_bytes());
        }
        let kept = model.tree.topic_count();
        assert!((1..20).contains(&kept), "{kept} deep topics kept");
        assert_eq!(model.refused_topics(), 20 - kept, "every message not kept is counted");
        assert_eq!(model.applied(), 20);
        // A known topic still updates.
        model.apply(vec![msg(&deep(0), b"again", false)], Instant::now());
        let node = model.tree.get(&deep(0)).unwrap();
        assert_eq!(model.tree.node(node).own_messages, 2);
        assert_eq!(&model.history.latest(node).unwrap().payload[..], b"again");
        assert!(model.budget_bytes() <= budget);
    }

    #[test]
    fn rate_counts_whole_seconds() {
        let mut meter = RateMeter::default();
        let t0 = Instant::now();
        for s in 0..4 {
            meter.add(100, t0 + Duration::from_secs(s));
        }
        let rate = meter.per_second(t0 + Duration::from_millis(4_500));
        assert!((rate - 100.0).abs() < 1e-9, "{rate}");
        assert_eq!(meter.per_second(t0 + Duration::from_secs(60)), 0.0);
    }
}

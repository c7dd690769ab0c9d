//! The charts of one connection: each chart holds sources, a source is a
//! (topic or topic filter, value path) with an optional threshold rule, and
//! each source draws one series per matching topic. A filter with wildcards
//! gets a new series whenever a matching topic appears. The layouts (charts,
//! sources, rules) are plain data saved with the profile.

use std::collections::HashMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::alerts::{AlertLog, AlertState, Threshold};
use super::series::{Series, SeriesId};
use crate::vocab::topic::filter_matches;

/// One line of a chart as saved: what to plot and the rule on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesSpec {
    /// A topic, or a filter with `+`/`#` for one series per matching topic.
    pub filter: String,
    /// Where the value is in the payload (`temperature`, `sensors[0].value`);
    /// empty when the payload is the number.
    #[serde(default)]
    pub path: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
    /// Read against the right-hand axis, scaled to the plot's height of its
    /// own (watts beside °C without flattening either).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub right_axis: bool,
    #[serde(default, skip_serializing_if = "is_unset")]
    pub threshold: Threshold,
}

fn is_unset(t: &Threshold) -> bool {
    !t.is_set()
}

impl SeriesSpec {
    pub fn new(filter: &str, path: &str) -> Self {
        Self {
            filter: filter.to_owned(),
            path: path.to_owned(),
            hidden: false,
            right_axis: false,
            threshold: Threshold::default(),
        }
    }

    pub fn is_wildcard(&self) -> bool {
        self.filter.contains(['+', '#'])
    }

    pub fn label(&self) -> String {
        if self.path.is_empty() {
            self.filter.clone()
        } else {
            format!("{} · {}", self.filter, self.path)
        }
    }
}

/// One chart as saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartLayout {
    pub name: String,
    #[serde(default)]
    pub series: Vec<SeriesSpec>,
}

#[derive(Debug, Clone)]
pub struct Source {
    pub spec: SeriesSpec,
    /// The series drawn for it: one per matching topic.
    pub series: Vec<SeriesId>,
    /// Matching topics not charted because the chart holds [`MAX_SERIES_PER_CHART`].
    pub left_out: usize,
}

/// Series one chart holds at most: a wildcard over 60,000 topics must not
/// become 60,000 series (memory and frame time); the rest are counted and said.
pub const MAX_SERIES_PER_CHART: usize = 64;

#[derive(Debug, Clone)]
pub struct Chart {
    pub name: String,
    pub sources: Vec<Source>,
}

#[derive(Debug, Default)]
pub struct Charts {
    charts: Vec<Chart>,
    /// Every series; a removed one leaves `None` so ids stay valid.
    series: Vec<Option<Series>>,
    by_topic: HashMap<String, Vec<SeriesId>>,
    /// Sources with wildcards, as (chart, source); checked when a topic first appears.
    wildcards: Vec<(usize, usize)>,
    capacity: usize,
    next_color: usize,
    pub alerts: AlertLog,
}

impl Charts {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(2),
            ..Self::default()
        }
    }

    pub fn charts(&self) -> &[Chart] {
        &self.charts
    }

    pub fn series(&self, id: SeriesId) -> Option<&Series> {
        self.series.get(id)?.as_ref()
    }

    /// Every live series, of every chart.
    pub fn all_series(&self) -> impl Iterator<Item = (SeriesId, &Series)> {
        self.series
            .iter()
            .enumerate()
            .filter_map(|(id, s)| s.as_ref().map(|s| (id, s)))
    }

    /// Whether any chart has anything to feed (then messages are looked at).
    pub fn is_feeding(&self) -> bool {
        !self.by_topic.is_empty() || !self.wildcards.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Points kept per series, for every series from now on.
    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity.max(2);
        for s in self.series.iter_mut().flatten() {
            s.set_capacity(self.capacity);
        }
    }

    /// The layouts to save.
    pub fn layouts(&self) -> Vec<ChartLayout> {
        self.charts
            .iter()
            .map(|c| ChartLayout {
                name: c.name.clone(),
                series: c.sources.iter().map(|s| s.spec.clone()).collect(),
            })
            .collect()
    }

    /// Add an empty chart; returns its index.
    pub fn add_chart(&mut self, name: &str) -> usize {
        self.charts.push(Chart {
            name: name.to_owned(),
            sources: Vec::new(),
        });
        self.charts.len() - 1
    }

    /// A name not yet used, numbered after the tabs: the third tab is "Chart 3".
    pub fn next_chart_name(&self) -> String {
        (self.charts.len() + 1..)
            .map(|i| format!("Chart {i}"))
            .find(|name| self.charts.iter().all(|c| &c.name != name))
            .unwrap_or_default()
    }

    pub fn rename_chart(&mut self, chart: usize, name: &str) {
        if let Some(c) = self.charts.get_mut(chart) {
            c.name = name.to_owned();
        }
    }

    /// Remove a chart and its series.
    pub fn remove_chart(&mut self, chart: usize) {
        if chart >= self.charts.len() {
            return;
        }
        while !self.charts[chart].sources.is_empty() {
            self.remove_source(chart, 0);
        }
        self.charts.remove(chart);
        self.reindex_wildcards();
    }

    /// Add a source to a chart (the chart is made if it does not exist yet).
    /// `topics` are the topics seen so far, each with its stored messages
    /// (oldest first) to back-fill from. Adding the same source twice returns
    /// the existing one.
    pub fn add_source<'a, T, H>(&mut self, chart: usize, spec: SeriesSpec, topics: T, now: SystemTime) -> usize
    where
        T: IntoIterator<Item = (&'a str, H)>,
        H: IntoIterator<Item = (&'a [u8], SystemTime)>,
    {
        while self.charts.len() <= chart {
            let name = self.next_chart_name();
            self.add_chart(&name);
        }
        if let Some(i) = self.charts[chart]
            .sources
            .iter()
            .position(|s| s.spec.filter == spec.filter && s.spec.path == spec.path)
        {
            return i;
        }
        let wildcard = spec.is_wildcard();
        let index = self.charts[chart].sources.len();
        self.charts[chart].sources.push(Source {
            spec: spec.clone(),
            series: Vec::new(),
            left_out: 0,
        });
        for (topic, history) in topics {
            let matches = if wildcard {
                filter_matches(&spec.filter, topic)
            } else {
                topic == spec.filter
            };
            if matches {
                let Some(id) = self.new_series(chart, index, topic) else {
                    continue;
                };
                if let Some(series) = self.series[id].as_mut() {
                    // Back-filled values raise no alerts (the rule is not on yet):
                    // they are the past. Then the rule judges the latest value.
                    series.threshold = Threshold::default();
                    for (payload, at) in history {
                        series.feed(payload, at);
                    }
                    if let Some(event) = series.set_threshold(spec.threshold, now) {
                        self.alerts.push(event);
                    }
                }
            }
        }
        if wildcard {
            self.wildcards.push((chart, index));
        } else if self.charts[chart].sources[index].series.is_empty() {
            // An exact topic not seen yet: its series starts empty and fills as it arrives.
            self.new_series(chart, index, &spec.filter);
        }
        index
    }

    fn new_series(&mut self, chart: usize, source: usize, topic: &str) -> Option<SeriesId> {
        let held: usize = self.charts[chart].sources.iter().map(|s| s.series.len()).sum();
        if held >= MAX_SERIES_PER_CHART {
            self.charts[chart].sources[source].left_out += 1;
            return None;
        }
        let spec = &self.charts[chart].sources[source].spec;
        let mut series = Series::new(topic, &spec.path, self.capacity, self.next_color);
        series.threshold = spec.threshold;
        self.next_color += 1;
        let id = self.series.len();
        self.series.push(Some(series));
        self.charts[chart].sources[source].series.push(id);
        self.by_topic.entry(topic.to_owned()).or_default().push(id);
        Some(id)
    }

    /// Remove a source and its series.
    pub fn remove_source(&mut self, chart: usize, source: usize) {
        let Some(c) = self.charts.get_mut(chart) else { return };
        if source >= c.sources.len() {
            return;
        }
        let removed = c.sources.remove(source);
        for id in removed.series {
            if let Some(s) = self.series[id].take()
                && let Some(ids) = self.by_topic.get_mut(&s.topic)
            {
                ids.retain(|&i| i != id);
                if ids.is_empty() {
                    self.by_topic.remove(&s.topic);
                }
            }
        }
        self.reindex_wildcards();
    }

    fn reindex_wildcards(&mut self) {
        self.wildcards = self
            .charts
            .iter()
            .enumerate()
            .flat_map(|(c, chart)| {
                chart
                    .sources
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.spec.is_wildcard())
                    .map(move |(i, _)| (c, i))
            })
            .collect();
    }

    pub fn source(&self, chart: usize, source: usize) -> Option<&Source> {
        self.charts.get(chart)?.sources.get(source)
    }

    pub fn set_right_axis(&mut self, chart: usize, source: usize, right: bool) {
        if let Some(s) = self.charts.get_mut(chart).and_then(|c| c.sources.get_mut(source)) {
            s.spec.right_axis = right;
        }
    }

    pub fn set_hidden(&mut self, chart: usize, source: usize, hidden: bool) {
        if let Some(s) = self.charts.get_mut(chart).and_then(|c| c.sources.get_mut(source)) {
            s.spec.hidden = hidden;
        }
    }

    /// Set (or, with an unset rule, remove) the threshold of a source; each of
    /// its series is judged at once against its last value.
    pub fn set_threshold(&mut self, chart: usize, source: usize, threshold: Threshold, now: SystemTime) {
        let Some(s) = self.charts.get_mut(chart).and_then(|c| c.sources.get_mut(source)) else {
            return;
        };
        s.spec.threshold = threshold;
        for &id in &s.series {
            if let Some(event) = self.series[id]
                .as_mut()
                .and_then(|series| series.set_threshold(threshold, now))
            {
                self.alerts.push(event);
            }
        }
    }

    /// A topic got its first message: wildcard sources that match start a series for it.
    pub fn topic_appeared(&mut self, topic: &str) {
        for i in 0..self.wildcards.len() {
            let (chart, source) = self.wildcards[i];
            let src = &self.charts[chart].sources[source];
            if filter_matches(&src.spec.filter, topic)
                && !src
                    .series
                    .iter()
                    .any(|&id| self.series[id].as_ref().is_some_and(|s| s.topic == topic))
            {
                self.new_series(chart, source, topic);
            }
        }
    }

    /// Feed one message to the series of its topic, if any.
    pub fn feed(&mut self, topic: &str, payload: &[u8], at: SystemTime) {
        if let Some(ids) = self.by_topic.get(topic) {
            for &id in ids {
                if let Some(event) = self.series[id].as_mut().and_then(|s| s.feed(payload, at)) {
                    self.alerts.push(event);
                }
            }
        }
    }

    /// Series whose value is past their rule right now.
    pub fn alerting(&self) -> impl Iterator<Item = &Series> {
        self.series.iter().flatten().filter(|s| s.alert != AlertState::Normal)
    }
}

/// The words for an alert state in the series table.
pub fn alert_word(state: AlertState) -> Option<&'static str> {
    match state {
        AlertState::Normal => None,
        AlertState::Above => Some("above"),
        AlertState::Below => Some("below"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn t(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    /// Topics seen so far, each with its (payload, time) history.
    type Seen<'a> = Vec<(&'a str, Vec<(&'a [u8], SystemTime)>)>;

    fn nothing<'a>() -> Seen<'a> {
        Vec::new()
    }

    fn topics_of(charts: &Charts, chart: usize, source: usize) -> Vec<String> {
        charts.charts()[chart].sources[source]
            .series
            .iter()
            .map(|&id| charts.series(id).unwrap().topic.clone())
            .collect()
    }

    #[test]
    fn a_wildcard_makes_one_series_per_topic_and_new_topics_join() {
        let mut charts = Charts::new(100);
        // Two topics already seen, one that does not match.
        let seen: Seen = vec![
            ("iot/s1/temperature", vec![(br#"{"temperature":20}"#, t(1))]),
            ("iot/s2/temperature", vec![(br#"{"temperature":21}"#, t(2))]),
            ("iot/s1/humidity", vec![(br#"{"humidity":50}"#, t(3))]),
        ];
        let source = charts.add_source(0, SeriesSpec::new("iot/+/temperature", "temperature"), seen, t(4));
        assert_eq!(
            topics_of(&charts, 0, source),
            ["iot/s1/temperature", "iot/s2/temperature"]
        );
        let first = charts.charts()[0].sources[source].series[0];
        assert_eq!(charts.series(first).unwrap().last(), Some(20.0), "back-filled");

        // A third sensor appears later and joins the chart.
        charts.topic_appeared("iot/s3/temperature");
        charts.feed("iot/s3/temperature", br#"{"temperature":22.5}"#, t(5));
        charts.topic_appeared("iot/s3/humidity");
        assert_eq!(topics_of(&charts, 0, source).len(), 3);
        let third = charts.charts()[0].sources[source].series[2];
        assert_eq!(charts.series(third).unwrap().last(), Some(22.5));
        // The same topic appearing again does not double it.
        charts.topic_appeared("iot/s3/temperature");
        assert_eq!(topics_of(&charts, 0, source).len(), 3);
        // Distinct colours.
        let colours: Vec<usize> = charts.all_series().map(|(_, s)| s.color).collect();
        assert_eq!(colours, [0, 1, 2]);

        // Removing the source stops the feeding and the joining.
        charts.remove_source(0, source);
        assert!(!charts.is_feeding());
        charts.topic_appeared("iot/s4/temperature");
        assert_eq!(charts.all_series().count(), 0);
    }

    #[test]
    fn an_exact_topic_not_seen_yet_fills_when_it_arrives() {
        let mut charts = Charts::new(100);
        charts.add_source(1, SeriesSpec::new("a/b", ""), nothing(), t(0));
        assert_eq!(charts.charts().len(), 2, "charts up to the one asked for are made");
        assert_eq!(charts.charts()[1].name, "Chart 2");
        charts.feed("a/b", b"3.5", t(1));
        let (_, s) = charts.all_series().next().unwrap();
        assert_eq!(s.last(), Some(3.5));
        assert_eq!(
            charts.add_source(1, SeriesSpec::new("a/b", ""), nothing(), t(2)),
            0,
            "no duplicate"
        );
        assert_eq!(charts.all_series().count(), 1);
    }

    #[test]
    fn thresholds_log_alerts_per_topic_and_layouts_round_trip() {
        let mut charts = Charts::new(100);
        let mut spec = SeriesSpec::new("iot/+/temperature", "");
        spec.threshold = Threshold::above(28.0);
        charts.add_source(0, spec, nothing(), t(0));
        for topic in ["iot/s1/temperature", "iot/s2/temperature"] {
            charts.topic_appeared(topic);
        }
        charts.feed("iot/s1/temperature", b"29", t(1));
        charts.feed("iot/s2/temperature", b"25", t(1));
        let alerting: Vec<&str> = charts.alerting().map(|s| s.topic.as_str()).collect();
        assert_eq!(alerting, ["iot/s1/temperature"]);
        charts.feed("iot/s1/temperature", b"27", t(2));
        assert_eq!(charts.alerting().count(), 0);
        let log: Vec<(String, bool)> = charts
            .alerts
            .entries()
            .iter()
            .map(|e| (e.topic.clone(), e.raised))
            .collect();
        assert_eq!(
            log,
            [
                ("iot/s1/temperature".into(), true),
                ("iot/s1/temperature".into(), false)
            ]
        );

        let layouts = charts.layouts();
        let json = serde_json::to_string(&layouts).unwrap();
        assert!(json.contains(r#""above":28.0"#), "{json}");
        let back: Vec<ChartLayout> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, layouts);
        // A layout written by hand with only the essentials loads.
        let minimal: Vec<ChartLayout> =
            serde_json::from_str(r#"[{"name":"Temps","series":[{"filter":"iot/+/t"}]}]"#).unwrap();
        assert_eq!(minimal[0].series[0], SeriesSpec::new("iot/+/t", ""));
    }

    #[test]
    fn a_wildcard_over_many_topics_holds_a_bounded_number_of_series_and_counts_the_rest() {
        let mut charts = Charts::new(100);
        // 40 topics seen before the chart, 160 after.
        let before: Vec<String> = (0..40).map(|i| format!("plant/s{i}/t")).collect();
        let idx = charts.add_source(
            0,
            SeriesSpec::new("plant/+/t", ""),
            before.iter().map(|t| (t.as_str(), Vec::<(&[u8], SystemTime)>::new())),
            SystemTime::now(),
        );
        for i in 40..200 {
            charts.topic_appeared(&format!("plant/s{i}/t"));
        }
        let source = &charts.charts()[0].sources[idx];
        assert_eq!(source.series.len(), MAX_SERIES_PER_CHART);
        assert_eq!(source.left_out, 200 - MAX_SERIES_PER_CHART);
        assert_eq!(charts.all_series().count(), MAX_SERIES_PER_CHART);
    }
}

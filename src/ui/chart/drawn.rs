//! What the chart draws in a frame: each series' points in view, decimated
//! to the plot's pixel columns, with its numbers; and the scale that puts the
//! right-axis sources onto the left axis' range.

use super::style;
use crate::model::{AlertState, Chart, Model, Stats};

/// A series as drawn this frame.
#[derive(Clone)]
pub(super) struct Drawn {
    pub label: String,
    pub topic: String,
    pub color: egui::Color32,
    pub points: Vec<[f64; 2]>,
    pub stats: Stats,
    pub last: Option<f64>,
    pub skipped: u64,
    pub alert: AlertState,
}

/// The scale (a, b) that draws the right-axis sources' values v at a·v + b,
/// so that their range in view fills the left sources' range; None unless
/// both sides have points in view.
pub(super) fn right_axis_scale(chart: &Chart, drawn: &[Vec<Drawn>]) -> Option<(f64, f64)> {
    let range = |right: bool| {
        let mut values = chart
            .sources
            .iter()
            .zip(drawn)
            .filter(|(s, _)| !s.spec.hidden && s.spec.right_axis == right)
            .flat_map(|(_, series)| series.iter().flat_map(|d| d.points.iter().map(|p| p[1])))
            .filter(|v| v.is_finite())
            .peekable();
        values.peek()?;
        Some(values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v))))
    };
    let (left, right) = (range(false)?, range(true)?);
    // A flat side still gets a span (a tenth of its value, or 1).
    let span = |(lo, hi): (f64, f64)| {
        let s = hi - lo;
        if s > 0.0 { s } else { (lo.abs() * 0.1).max(1.0) }
    };
    let a = span(left) / span(right);
    Some((a, left.0 - a * right.0))
}

/// Decimated points and statistics of every series of `chart` over `[x_min, x_max]`,
/// grouped by source.
pub(super) fn prepare(model: &Model, chart: &Chart, x_min: f64, x_max: f64, columns: usize) -> Vec<Vec<Drawn>> {
    chart
        .sources
        .iter()
        .map(|source| {
            source
                .series
                .iter()
                .filter_map(|&id| model.charts.series(id))
                .map(|series| {
                    let p = &series.points;
                    // One point either side of the view so lines run to its edges.
                    let start = p.partition_point(|q| q[0] < x_min).saturating_sub(1);
                    let end = (p.partition_point(|q| q[0] <= x_max) + 1).min(p.len());
                    let mut stats = Stats::default();
                    let in_view = p.range(start..end.max(start)).copied().inspect(|q| {
                        if q[0] >= x_min && q[0] <= x_max {
                            stats.add(q[1]);
                        }
                    });
                    let points = if source.spec.hidden {
                        in_view.for_each(drop);
                        Vec::new()
                    } else {
                        crate::model::decimate(in_view, x_min, x_max, columns)
                    };
                    Drawn {
                        label: series.label(),
                        topic: series.topic.clone(),
                        color: style::series_color(series.color),
                        points,
                        stats,
                        last: series.last(),
                        skipped: series.skipped,
                        alert: series.alert,
                    }
                })
                .collect()
        })
        .collect()
}

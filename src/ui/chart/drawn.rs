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

#[cfg(test)]
mod tests {
    use egui::epaint::{Mesh, Shape, Stroke, TessellationOptions, Tessellator};

    /// The triangles egui makes of a 1.5 px line through `points` (screen
    /// coordinates), as the plot draws a series.
    fn line_mesh(points: Vec<egui::Pos2>) -> Mesh {
        let mut tessellator = Tessellator::new(1.0, TessellationOptions::default(), [1, 1], Vec::new());
        let mut mesh = Mesh::default();
        tessellator.tessellate_shape(Shape::line(points, Stroke::new(1.5, egui::Color32::GREEN)), &mut mesh);
        mesh
    }

    /// A sensor sending a sawtooth every 0.3 s in bursts, over a window
    /// where 0.3 s is a fraction of a pixel: decimated, mapped to the screen
    /// as egui_plot maps it, and tessellated, the line stays within a few
    /// pixels of its points. (Near-vertical zigzags a hair apart made egui's
    /// sharp-corner join throw a vertex across the whole plot: a solid
    /// triangle where a line should be.)
    #[test]
    fn a_dense_zigzag_is_drawn_as_a_line_not_a_filled_shape() {
        let t0 = 1_764_000_000.0;
        let mut raw = Vec::new();
        for burst in 0..3 {
            for i in 0..30 {
                let t = t0 + f64::from(burst) * 70.0 + f64::from(i) * 0.3 + f64::from(i % 7) * 0.0137;
                raw.push([t, 20.5 + f64::from(i % 10)]);
            }
        }
        let (x_min, x_max) = (t0 - 30.0, t0 + 300.0);
        for width in [437.0_f32, 440.0, 512.0, 613.0] {
            let columns = width as usize;
            let points = crate::model::decimate(raw.iter().copied(), x_min, x_max, columns);
            let frame = egui::Rect::from_min_size(egui::pos2(880.0, 615.0), egui::vec2(width, 180.0));
            let screen: Vec<egui::Pos2> = points
                .iter()
                .map(|p| {
                    let x = f64::from(frame.left()) + (p[0] - x_min) / (x_max - x_min) * f64::from(frame.width());
                    let y = f64::from(frame.bottom()) - (p[1] - 19.0) / 12.0 * f64::from(frame.height());
                    egui::pos2(x as f32, y as f32)
                })
                .collect();
            let mesh = line_mesh(screen.clone());
            for v in &mesh.vertices {
                let near = screen.iter().map(|p| p.distance(v.pos)).fold(f32::INFINITY, f32::min);
                assert!(
                    near.is_finite() && near < 4.0,
                    "width {width}: a vertex {near} px from every point: {v:?}"
                );
            }
        }
    }
}

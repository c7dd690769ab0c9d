//! The plot itself, drawn on screen and, for a 2× PNG, off screen: the
//! series (right-axis ones scaled), the thresholds, the axes and their
//! labels.

use egui::RichText;
use egui_plot::{HLine, HoverPosition, Line, LineStyle, Plot, PlotPoints};

use super::drawn::Drawn;
use super::grid;
use crate::model::{AlertState, Chart, number};
use crate::ui::style;

/// How the plot's bounds are set this frame.
#[derive(Debug, Clone, Copy)]
pub(super) enum View {
    /// The time window up to now; the value axis follows the data.
    Follow { x: (f64, f64), now: f64 },
    /// The wheel zoomed time around the pointer by this much.
    Wheel(f32),
    /// These bounds exactly (the PNG drawn off screen: the view on screen).
    Fixed(egui_plot::PlotBounds),
    /// Where the user left it.
    Keep,
}

/// The plot itself: each series (right-axis ones scaled by `scale`), the
/// thresholds, the axes; with `exporting`, no crosshair or tooltip and the
/// chart's name top left. Drawn on screen and, for a 2× PNG, off screen.
pub(super) fn draw_plot(
    ui: &mut egui::Ui,
    chart: &Chart,
    drawn: &[Vec<Drawn>],
    scale: Option<(f64, f64)>,
    view: View,
    exporting: bool,
) -> egui_plot::PlotResponse<()> {
    // Sources read against the right-hand axis are drawn scaled onto the
    // left one's range in view (y = a·v + b); the right axis reads back v.
    let right_names: std::collections::HashSet<String> = chart
        .sources
        .iter()
        .zip(drawn)
        .filter(|(s, _)| s.spec.right_axis && scale.is_some())
        .flat_map(|(_, series)| series.iter().map(|d| d.label.clone()))
        .collect();
    let to_plot = move |v: f64, right: bool| match scale {
        Some((a, b)) if right => a * v + b,
        _ => v,
    };
    let from_plot = move |y: f64, right: bool| match scale {
        Some((a, b)) if right => (y - b) / a,
        _ => y,
    };
    let mut axes = vec![
        egui_plot::AxisHints::new_y()
            .min_thickness(style::CHART_Y_AXIS_WIDTH)
            .formatter(|mark, _range| format!("{}", mark.value)),
    ];
    if scale.is_some() {
        axes.push(
            egui_plot::AxisHints::new_y()
                .placement(egui_plot::HPlacement::Right)
                .min_thickness(style::CHART_Y_AXIS_WIDTH)
                .formatter(move |mark, _range| {
                    // As many decimals as the tick step needs, in the right side's units.
                    let step = scale.map_or(mark.step_size, |(a, _)| mark.step_size / a).abs();
                    let decimals = if step > 0.0 {
                        (-step.log10()).ceil().clamp(0.0, 6.0) as usize
                    } else {
                        2
                    };
                    format!("{:.decimals$}", from_plot(mark.value, true))
                }),
        );
    }
    // No legend over the data on screen: the table beside the plot is its
    // legend (each series in its colour, with its numbers). A PNG has no
    // table: it carries the legend, top right.
    let mut plot = Plot::new("live_chart");
    if exporting {
        plot = plot.legend(egui_plot::Legend::default().position(egui_plot::Corner::RightTop));
    }
    plot.allow_scroll(false)
        .x_grid_spacer(grid::time_marks)
        .y_grid_spacer(grid::value_marks)
        .x_axis_formatter(|mark, _range| clock_label(mark.value))
        .custom_y_axes(axes)
        // The frame a PNG is cut from has no crosshair or tooltip in it.
        .show_crosshair(!exporting)
        .label_formatter(move |hover| match hover {
            _ if exporting => None,
            HoverPosition::NearDataPoint {
                plot_name, position, ..
            } => Some(format!(
                "{plot_name}\n{}\n{}",
                clock_label(position.x),
                number(from_plot(position.y, right_names.contains(*plot_name)))
            )),
            HoverPosition::Elsewhere { .. } => None,
        })
        .allow_double_click_reset(false)
        .show(ui, |plot| {
            if exporting {
                // The PNG carries the chart's name, top left inside the plot.
                let bounds = plot.plot_bounds();
                plot.text(
                    egui_plot::Text::new(
                        // Unnamed: not a legend entry.
                        "",
                        egui_plot::PlotPoint::new(bounds.min()[0], bounds.max()[1]),
                        RichText::new(&chart.name).strong().size(15.0),
                    )
                    .anchor(egui::Align2::LEFT_TOP),
                );
            }
            match view {
                View::Follow { x, now } => {
                    plot.set_plot_bounds_x(x.0..=x.1.max(now));
                    plot.set_auto_bounds([false, true]);
                }
                View::Wheel(wheel) => {
                    // Up (away from you) zooms in on time, down zooms out.
                    plot.zoom_bounds_around_hovered(egui::vec2((wheel * 0.004).exp(), 1.0));
                    plot.set_auto_bounds([false, true]);
                }
                View::Fixed(bounds) => {
                    plot.set_plot_bounds(bounds);
                    plot.set_auto_bounds([false, false]);
                }
                View::Keep => {}
            }
            for (source, series) in chart.sources.iter().zip(drawn) {
                if source.spec.hidden {
                    continue;
                }
                let right = source.spec.right_axis;
                for d in series {
                    let points: PlotPoints = d.points.iter().map(|p| [p[0], to_plot(p[1], right)]).collect();
                    let width = if d.alert == AlertState::Normal { 1.5 } else { 2.5 };
                    // Our own decimation keeps each pixel column's extremes; egui_plot's
                    // "band" drawing of dense lines would join a burst's full height to
                    // the next point across a gap as one filled shape.
                    plot.line(
                        Line::new(d.label.clone(), points)
                            .color(d.color)
                            .width(width)
                            .allow_band(false),
                    );
                }
                let t = source.spec.threshold;
                for (limit, word) in [(t.above, ">"), (t.below, "<")] {
                    if let Some(limit) = limit {
                        let name = format!("{} {word} {}", source.spec.label(), number(limit));
                        plot.add(
                            HLine::new(name, to_plot(limit, right))
                                .color(style::THRESHOLD)
                                .style(LineStyle::dashed_loose())
                                .width(1.0),
                        );
                    }
                }
            }
        })
}

/// A chart time (seconds since 1970) as local clock time; empty for a
/// value no calendar holds (an axis zoomed out past year 262,143).
pub(crate) fn clock_label(unix: f64) -> String {
    if !unix.is_finite() || unix <= 0.0 {
        return String::new();
    }
    // `as` saturates; chrono says None past its range (its `From<SystemTime>`
    // would panic there).
    chrono::DateTime::from_timestamp_millis((unix * 1000.0) as i64)
        .map(|t| t.with_timezone(&chrono::Local).format("%H:%M:%S").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_time_past_any_calendar_is_no_label_and_no_panic() {
        assert_eq!(super::clock_label(1e13), "", "year 318,857");
        assert_eq!(super::clock_label(1e300), "");
        assert_eq!(super::clock_label(f64::NAN), "");
        assert_eq!(super::clock_label(1_764_518_400.0).len(), "12:00:00".len());
    }
}

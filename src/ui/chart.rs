//! The live chart: every series on one time axis with local clock labels,
//! a legend, and a window that follows the newest data.

use std::time::SystemTime;

use egui_plot::{HoverPosition, Legend, Line, Plot, PlotPoints};

use super::{Action, style};
use crate::model::{Model, unix_seconds};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeWindow {
    OneMinute,
    TenMinutes,
    OneHour,
    All,
}

impl TimeWindow {
    fn seconds(self) -> Option<f64> {
        match self {
            TimeWindow::OneMinute => Some(60.0),
            TimeWindow::TenMinutes => Some(600.0),
            TimeWindow::OneHour => Some(3600.0),
            TimeWindow::All => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            TimeWindow::OneMinute => "1 min",
            TimeWindow::TenMinutes => "10 min",
            TimeWindow::OneHour => "1 h",
            TimeWindow::All => "All",
        }
    }
}

#[derive(Debug)]
pub struct ChartPanel {
    window: TimeWindow,
}

impl Default for ChartPanel {
    fn default() -> Self {
        Self {
            window: TimeWindow::TenMinutes,
        }
    }
}

impl ChartPanel {
    /// A chart showing this time window.
    pub fn with_window(window: TimeWindow) -> Self {
        Self { window }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, model: &Model) -> Option<Action> {
        let mut action = None;
        ui.horizontal(|ui| {
            ui.strong("Chart");
            for w in [
                TimeWindow::OneMinute,
                TimeWindow::TenMinutes,
                TimeWindow::OneHour,
                TimeWindow::All,
            ] {
                ui.selectable_value(&mut self.window, w, w.label());
            }
            if !model.series.is_empty() && ui.small_button("Clear chart").clicked() {
                action = Some(Action::ClearCharts);
            }
        });
        if model.series.is_empty() {
            ui.weak(
                "Select a topic with a numeric value and press a 📈 Chart button in the inspector to plot it live.",
            );
            // Hold the panel's height: a panel remembers the size of its content.
            ui.allocate_space(ui.available_size());
            return action;
        }
        let now = unix_seconds(SystemTime::now());
        let from = self.window.seconds().map(|w| now - w);
        // One pixel column per screen pixel of the plot (a few are the axis).
        let columns = (ui.available_width() * ui.ctx().pixels_per_point()).max(1.0) as usize;
        Plot::new("live_chart")
            .legend(
                Legend::default()
                    .position(egui_plot::Corner::LeftTop)
                    .background_alpha(0.6),
            )
            .x_axis_formatter(|mark, _range| clock_label(mark.value))
            .y_axis_min_width(style::CHART_Y_AXIS_WIDTH)
            .y_axis_formatter(|mark, _range| format!("{}", mark.value))
            .label_formatter(|hover| match hover {
                HoverPosition::NearDataPoint {
                    plot_name, position, ..
                } => Some(format!("{plot_name}\n{}\n{:.3}", clock_label(position.x), position.y)),
                HoverPosition::Elsewhere { .. } => None,
            })
            .allow_scroll(false)
            .show(ui, |plot| {
                for (i, series) in model.series.iter() {
                    let start = match from {
                        Some(from) => series.points.partition_point(|p| p[0] < from),
                        None => 0,
                    };
                    // Min/max per pixel column: drawing costs pixels, not points.
                    let x_min = from.or_else(|| series.points.front().map(|p| p[0])).unwrap_or(now);
                    let x_max = series.points.back().map_or(now, |p| p[0].max(now));
                    let points: PlotPoints =
                        crate::model::decimate(series.points.range(start..).copied(), x_min, x_max, columns).into();
                    plot.line(
                        Line::new(series.label(), points)
                            .color(style::series_color(i))
                            .width(1.5),
                    );
                }
            });
        action
    }
}

fn clock_label(unix: f64) -> String {
    if !unix.is_finite() || unix <= 0.0 {
        return String::new();
    }
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs_f64(unix);
    chrono::DateTime::<chrono::Local>::from(at)
        .format("%H:%M:%S")
        .to_string()
}

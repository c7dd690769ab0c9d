//! The live charts: tabs of charts, each with its series on one time axis
//! (local clock labels), a table of the series (colour, show/hide, min / max /
//! mean / last in view, threshold rule, remove), the alerts log, and a window
//! that follows the newest data until the user pauses, drags or zooms.

use std::path::PathBuf;
use std::time::SystemTime;

use egui::RichText;

use super::alerts::{RuleForm, alerts_ui};
use super::{Action, ChartEdit, style};
use crate::export::encode_png;
use crate::model::{Chart, Model, alert_word, number, unix_seconds};
use crate::ui::{ConnectionAction, WindowAction};

mod controls;
mod drawn;
mod grid;
mod offscreen;
mod plot;

use drawn::{Drawn, prepare, right_axis_scale};
pub(crate) use plot::clock_label;
use plot::{View, draw_plot};

/// The shortest time axis shown while following (seconds).
const MIN_SPAN_S: f64 = 30.0;

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

/// The add-series row: a topic or filter and a value path.
#[derive(Debug, Default)]
struct AddForm {
    filter: String,
    path: String,
    error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExportKind {
    Csv,
    Png,
}

#[derive(Debug)]
pub struct ChartPanel {
    window: TimeWindow,
    /// The chart tab on screen.
    current: usize,
    /// Following the newest data; false when paused (the view stays put).
    follow: bool,
    /// The x range on screen in the last frame.
    view: Option<(f64, f64)>,
    add: Option<AddForm>,
    rule: Option<RuleForm>,
    rename: Option<(usize, String)>,
    export: Option<(ExportKind, String)>,
    /// The desktop's file chooser, beside the export path.
    export_browse: crate::ui::file_chooser::Browse,
    /// A PNG asked for: the screenshot is on its way to this path.
    png_pending: Option<PathBuf>,
    /// "2×" ticked in the PNG export row.
    png_double: bool,
    /// A 2× PNG asked for: drawn off screen from the next frame's plot.
    png_double_pending: Option<PathBuf>,
    /// The 2× PNG being drawn off screen, and where it goes.
    png_job: crate::jobs::Latest<Result<Vec<u8>, String>>,
    png_ticket: Option<(u64, PathBuf)>,
    /// The plot's bounds on screen in the last frame.
    shown_bounds: Option<egui_plot::PlotBounds>,
    /// (a, b) of the right-hand axis in the last frame: drawn at a·v + b.
    right_scale: Option<(f64, f64)>,
    /// Filled by the screenshot callback.
    screenshot: std::sync::Arc<std::sync::Mutex<Option<std::sync::Arc<egui::ColorImage>>>>,
    /// Where the plot was drawn, in points, for cropping the PNG.
    plot_rect: Option<egui::Rect>,
    show_alerts: bool,
    /// What the last frame drew: (series label, its decimated points), kept
    /// (moved, not copied) so what is on screen can be asked for.
    drawn: Vec<(String, Vec<[f64; 2]>)>,
}

impl Default for ChartPanel {
    fn default() -> Self {
        Self::with_window(TimeWindow::TenMinutes)
    }
}

impl ChartPanel {
    /// A chart showing this time window.
    pub fn with_window(window: TimeWindow) -> Self {
        Self {
            window,
            current: 0,
            follow: true,
            view: None,
            add: None,
            rule: None,
            rename: None,
            export: None,
            export_browse: crate::ui::file_chooser::Browse::default(),
            png_pending: None,
            png_double: false,
            png_double_pending: None,
            png_job: crate::jobs::Latest::new("chart-png"),
            png_ticket: None,
            shown_bounds: None,
            right_scale: None,
            screenshot: Default::default(),
            plot_rect: None,
            show_alerts: false,
            drawn: Vec::new(),
        }
    }

    /// Where the plot was drawn in the last frame (points).
    pub fn plot_rect(&self) -> Option<egui::Rect> {
        self.plot_rect
    }

    /// How the right-hand axis was drawn in the last frame: values v at a·v + b.
    pub fn right_axis_scale(&self) -> Option<(f64, f64)> {
        self.right_scale
    }

    /// The time the plot showed in the last frame: (from, to), in seconds since 1970.
    pub fn time_view(&self) -> Option<(f64, f64)> {
        self.view
    }

    /// The series drawn in the last frame with the points drawn for each
    /// (after decimation; none for a hidden series).
    pub fn drawn(&self) -> &[(String, Vec<[f64; 2]>)] {
        &self.drawn
    }

    /// The chart tab on screen (new series from the inspector go there).
    pub fn current(&self) -> usize {
        self.current
    }

    /// Show the chart tab `chart`.
    pub fn show_chart(&mut self, chart: usize) {
        self.current = chart;
    }

    pub fn is_following(&self) -> bool {
        self.follow
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, model: &Model) -> Vec<Action> {
        let mut actions = Vec::new();
        let charts = model.charts.charts();
        self.current = self.current.min(charts.len().saturating_sub(1));
        actions.extend(self.take_screenshot(ui));
        self.toolbar_ui(ui, model, &mut actions);
        self.forms_ui(ui, &mut actions);
        let now = unix_seconds(SystemTime::now());
        let Some(chart) = charts.get(self.current).filter(|c| !c.sources.is_empty()) else {
            if self.show_alerts {
                alerts_ui(ui, model);
            } else {
                ui.weak(
                    "Press a 📈 Chart button in the inspector on a numeric value, or ➕ Add series \
                     with a topic or a filter like iot/+/temperature, to plot it live.",
                );
            }
            ui.allocate_space(ui.available_size());
            self.drawn.clear();
            return actions;
        };
        let (x_min, x_max) = self.x_range(model, chart, now);
        // One pixel column per screen pixel of the plot.
        let table_width = style::CHART_TABLE_WIDTH.min(ui.available_width() * 0.4);
        let columns = ((ui.available_width() - table_width) * ui.ctx().pixels_per_point()).max(1.0) as usize;
        let drawn = prepare(model, chart, x_min, x_max, columns);
        let height = ui.available_height();
        ui.horizontal_top(|ui| {
            let down = egui::Layout::top_down(egui::Align::LEFT);
            ui.allocate_ui_with_layout(egui::vec2(table_width, height), down, |ui| {
                ui.set_min_size(egui::vec2(table_width, height));
                egui::ScrollArea::vertical()
                    .id_salt("chart_table")
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        if self.show_alerts {
                            alerts_ui(ui, model);
                        } else {
                            actions.extend(self.table_ui(ui, chart, &drawn));
                        }
                    });
            });
            ui.separator();
            self.plot_ui(ui, chart, &drawn, (x_min, x_max), now);
            self.start_double_png(ui, model, chart, columns);
            // Following live, time moves a pixel every (window / width): a
            // frame then, no more (10 min over 500 px: one a second and a bit).
            if self.follow
                && let Some(rect) = self.plot_rect
            {
                let per_pixel = (x_max - x_min) / f64::from(rect.width().max(1.0));
                let every = std::time::Duration::from_secs_f64(per_pixel.clamp(0.05, 5.0));
                ui.ctx().request_repaint_after(style::next_beat(every));
            }
        });
        self.drawn = drawn.into_iter().flatten().map(|d| (d.label, d.points)).collect();
        actions
    }

    /// The x range to show: the window up to now when following, else where the user left it.
    fn x_range(&self, model: &Model, chart: &Chart, now: f64) -> (f64, f64) {
        if !self.follow
            && let Some(view) = self.view
        {
            return view;
        }
        let first = chart
            .sources
            .iter()
            .flat_map(|s| s.series.iter())
            .filter_map(|&id| model.charts.series(id)?.points.front().map(|p| p[0]))
            .fold(f64::INFINITY, f64::min);
        // Until there is a window's worth of data, the axis starts at the
        // first point (a fresh chart is not a line squeezed at the right edge).
        let start = match (self.window.seconds(), first.is_finite()) {
            (Some(w), true) => first.max(now - w),
            (Some(w), false) => now - w,
            (None, true) => first,
            (None, false) => now - MIN_SPAN_S,
        };
        (start.min(now - MIN_SPAN_S), now)
    }

    fn table_ui(&mut self, ui: &mut egui::Ui, chart: &Chart, drawn: &[Vec<Drawn>]) -> Vec<Action> {
        let mut actions = Vec::new();
        let left_out: usize = chart.sources.iter().map(|s| s.left_out).sum();
        if left_out > 0 {
            ui.colored_label(
                style::error(),
                format!(
                    "{left_out} more matching topic{} not charted: a chart holds at most {} series (use a narrower filter, or another chart)",
                    if left_out == 1 { " is" } else { "s are" },
                    crate::model::MAX_SERIES_PER_CHART
                ),
            );
        }
        for (i, (source, series)) in chart.sources.iter().zip(drawn).enumerate() {
            let spec = &source.spec;
            let single = !spec.is_wildcard() && series.len() == 1;
            ui.horizontal(|ui| {
                let mut shown = !spec.hidden;
                let name = format!("Show {}", spec.label());
                let check = ui.checkbox(&mut shown, "").on_hover_text("Show or hide this series");
                check.widget_info(|| egui::WidgetInfo::selected(egui::Role::CheckBox, true, shown, &name));
                if check.changed() {
                    actions.push(Action::Connection(ConnectionAction::EditCharts(ChartEdit::SetHidden {
                        chart: self.current,
                        source: i,
                        hidden: !shown,
                    })));
                }
                let remove = format!("Remove {}", spec.label());
                let button = ui.small_button("✖").on_hover_text("Remove this series");
                button.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &remove));
                if button.clicked() {
                    // An open rule form points at sources by position: it would now point elsewhere.
                    self.rule = None;
                    actions.push(Action::Connection(ConnectionAction::EditCharts(
                        ChartEdit::RemoveSeries {
                            chart: self.current,
                            source: i,
                        },
                    )));
                }
                let rule = if spec.threshold.is_set() {
                    RichText::new(format!("⚠ {}", spec.threshold.describe())).color(style::THRESHOLD)
                } else {
                    RichText::new("⚠ rule…")
                };
                let name = format!("Alert rule for {}", spec.label());
                let button = ui
                    .small_button(rule)
                    .on_hover_text("Alert when the value goes above or below a line");
                button.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
                if button.clicked() {
                    self.rule = Some(RuleForm::new(self.current, i, spec));
                }
                if chart.sources.len() > 1 {
                    // Another unit (W beside °C): its own axis on the right.
                    let axis = ui
                        .selectable_label(spec.right_axis, RichText::new("⇥ right axis").small())
                        .on_hover_text("Read this series against an axis of its own on the right, scaled to the plot");
                    let name = format!("Right axis for {}", spec.label());
                    axis.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, spec.right_axis, &name));
                    if axis.clicked() {
                        actions.push(Action::Connection(ConnectionAction::EditCharts(
                            ChartEdit::SetRightAxis {
                                chart: self.current,
                                source: i,
                                right: !spec.right_axis,
                            },
                        )));
                    }
                }
                if single {
                    swatch(ui, series[0].color);
                    ui.add(egui::Label::new(&series[0].label).truncate());
                } else {
                    ui.add(egui::Label::new(RichText::new(spec.label()).strong()).truncate());
                }
            });
            if series.is_empty() {
                ui.weak("    no matching topic yet");
            }
            // A filter's matches that never had a number at this path (a
            // status topic beside the sensors, say) are counted, not listed.
            let numberless = |d: &&Drawn| spec.is_wildcard() && d.last.is_none() && d.skipped > 0;
            let without = series.iter().filter(numberless).count();
            if without > 0 {
                let topics = crate::ui::counted(without as u64, "matching topic", "matching topics");
                ui.weak(format!("    {topics} without a number at this path, not listed"));
            }
            for d in series.iter().filter(|d| !numberless(d)) {
                ui.horizontal(|ui| {
                    ui.add_space(style::TREE_INDENT);
                    if !single {
                        // The source's line above names the path: the topic is enough here.
                        swatch(ui, d.color);
                        ui.add(egui::Label::new(&d.topic).truncate());
                    }
                });
                ui.horizontal_wrapped(|ui| {
                    ui.add_space(style::TREE_INDENT);
                    stats_line(ui, d);
                });
            }
            ui.add_space(4.0);
        }
        actions
    }

    fn plot_ui(&mut self, ui: &mut egui::Ui, chart: &Chart, drawn: &[Vec<Drawn>], x: (f64, f64), now: f64) {
        // The wheel over the plot zooms time around the pointer (the value
        // axis follows the data): that leaves following live, before drawing,
        // so the first notch counts.
        // (Only where the chart is what the pointer is over: not a toast or a
        // dialog above it.)
        let on_top = ui
            .ctx()
            .pointer_hover_pos()
            .is_some_and(|pos| ui.ctx().layer_id_at(pos) == Some(ui.layer_id()));
        let wheel = ui.input(|i| {
            let over = on_top
                && self
                    .plot_rect
                    .zip(i.pointer.hover_pos())
                    .is_some_and(|(rect, pos)| rect.contains(pos));
            if over && i.modifiers.is_none() {
                i.smooth_scroll_delta.y
            } else {
                0.0
            }
        });
        if wheel != 0.0 {
            self.follow = false;
        }
        let follow = self.follow;
        let exporting = self.png_pending.is_some();
        // The whole area of the plot, axes included: what a PNG export shows.
        let area = egui::Rect::from_min_max(ui.cursor().min, ui.max_rect().max);
        let scale = right_axis_scale(chart, drawn);
        self.right_scale = scale;
        let view = if follow {
            View::Follow { x, now }
        } else if wheel != 0.0 {
            View::Wheel(wheel)
        } else {
            View::Keep
        };
        let response = draw_plot(ui, chart, drawn, scale, view, exporting);
        let r = &response.response;
        let moved = r.dragged()
            || (r.hovered() && ui.input(|i| i.smooth_scroll_delta != egui::Vec2::ZERO || i.zoom_delta() != 1.0));
        if moved {
            self.follow = false;
        }
        if r.double_clicked() {
            self.follow = true;
        }
        let bounds = *response.transform.bounds();
        self.view = Some((bounds.min()[0], bounds.max()[0]));
        self.shown_bounds = Some(bounds);
        self.plot_rect = Some(area.intersect(ui.clip_rect()).union(r.rect));
    }

    /// The 2× PNG asked for, once the one before it is done: this frame's
    /// plot drawn again off screen at twice the pixels, its series decimated
    /// for twice the pixel columns.
    fn start_double_png(&mut self, ui: &egui::Ui, model: &Model, chart: &Chart, columns: usize) {
        if self.png_ticket.is_some() {
            return; // one at a time: the next starts when this one is saved
        }
        // Taken only once the plot it is drawn from is known: never lost.
        let (Some(bounds), Some(rect)) = (self.shown_bounds, self.plot_rect) else {
            return;
        };
        let Some(path) = self.png_double_pending.take() else {
            return;
        };
        let drawn = prepare(model, chart, bounds.min()[0], bounds.max()[0], columns * 2);
        // Twice the window's pixels, at most 8,192 on a side.
        let ppp =
            (ui.ctx().pixels_per_point() * 2.0).min(offscreen::MAX_SIDE / rect.width().max(rect.height()).max(1.0));
        let scene = offscreen::Scene {
            chart: chart.clone(),
            scale: right_axis_scale(chart, &drawn),
            drawn,
            bounds,
            size: rect.size(),
            pixels_per_point: ppp,
            theme: ui.ctx().theme(),
            style: ui.ctx().global_style(),
        };
        let ctx = ui.ctx().clone();
        let ticket = self
            .png_job
            .submit(move || offscreen::render(&scene), move || ctx.request_repaint());
        self.png_ticket = Some((ticket, path));
    }

    /// The screenshot asked for by "Chart as PNG": crop it to the plot and
    /// save it; or the 2× PNG drawn off screen, once it is done.
    fn take_screenshot(&mut self, ui: &egui::Ui) -> Option<Action> {
        if let Some((ticket, _)) = &self.png_ticket
            && let Some(result) = self.png_job.take(*ticket)
        {
            let (_, path) = self.png_ticket.take()?;
            return Some(match result.and_then(|r| r) {
                Ok(bytes) => Action::Window(WindowAction::SaveFile {
                    path,
                    bytes,
                    what: "the chart (PNG, 2×)".into(),
                }),
                Err(e) => Action::Window(WindowAction::Failed(format!("Could not make the PNG: {e}"))),
            });
        }
        self.png_pending.as_ref()?;
        let image = self.screenshot.lock().ok()?.take()?;
        let path = self.png_pending.take()?;
        let rect = self.plot_rect.unwrap_or(egui::Rect::EVERYTHING);
        let ppp = ui.ctx().pixels_per_point();
        Some(match encode_png(&image, rect, ppp) {
            Ok(bytes) => Action::Window(WindowAction::SaveFile {
                path,
                bytes,
                what: "the chart (PNG)".into(),
            }),
            Err(e) => Action::Window(WindowAction::Failed(format!("Could not make the PNG: {e}"))),
        })
    }
}

fn swatch(ui: &mut egui::Ui, color: egui::Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
    ui.painter().rect_filled(rect, 2.0, color);
}

fn stats_line(ui: &mut egui::Ui, d: &Drawn) {
    let last = d.last.map(number).unwrap_or_else(|| "–".into());
    let last = match alert_word(d.alert) {
        Some(word) => RichText::new(format!("{last} ⚠ {word}")).color(style::error()).strong(),
        None => RichText::new(last).strong(),
    };
    ui.label(RichText::new("last").small().color(style::counts()));
    let cell = ui.label(last.monospace());
    if d.skipped > 0 {
        cell.on_hover_text(format!(
            "{} messages had no numeric value here and were skipped",
            d.skipped
        ));
    }
    let s = &d.stats;
    if s.count > 0 {
        let mean = s.mean().unwrap_or(s.last);
        ui.label(
            RichText::new(format!(
                "in view: min {} · max {} · mean {:.2} · {} pts",
                number(s.min),
                number(s.max),
                mean,
                s.count
            ))
            .small()
            .color(style::counts()),
        );
    } else {
        ui.label(RichText::new("no points in view").small().color(style::counts()));
    }
}

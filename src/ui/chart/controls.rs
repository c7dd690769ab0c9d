//! The chart's controls above the plot: its tabs, the time window, pause and
//! follow, Add series, the alert rules, Rename, and Export as CSV or PNG.

use super::*;
use crate::export::default_export_path;
use crate::model::{Model, SeriesSpec, Threshold};
use crate::ui::ConnectionAction;
use crate::ui::file_chooser::{Purpose, start_folder};
use crate::ui::{Action, ChartEdit, style};
use egui::RichText;
use std::path::PathBuf;

impl ChartPanel {
    pub(super) fn toolbar_ui(&mut self, ui: &mut egui::Ui, model: &Model, actions: &mut Vec<Action>) {
        let charts = model.charts.charts();
        ui.horizontal_wrapped(|ui| {
            let names: Vec<String> = if charts.is_empty() {
                vec![model.charts.next_chart_name()]
            } else {
                charts.iter().map(|c| c.name.clone()).collect()
            };
            for (i, name) in names.iter().enumerate() {
                let tab = ui.selectable_label(i == self.current, RichText::new(name).strong());
                if tab.clicked() {
                    self.current = i;
                    self.rule = None;
                }
                if i < charts.len() {
                    tab.context_menu(|ui| {
                        if ui.button("Rename…").clicked() {
                            self.rename = Some((i, name.clone()));
                            ui.close();
                        }
                        if ui.button("Remove chart").clicked() {
                            self.rule = None;
                            actions.push(Action::Connection(ConnectionAction::EditCharts(
                                ChartEdit::RemoveChart(i),
                            )));
                            ui.close();
                        }
                    });
                }
            }
            if ui.small_button("➕ Chart").on_hover_text("Add a chart tab").clicked() {
                actions.push(Action::Connection(ConnectionAction::EditCharts(ChartEdit::AddChart)));
                self.current = charts.len().max(1);
            }
            ui.separator();
            for w in [
                TimeWindow::OneMinute,
                TimeWindow::TenMinutes,
                TimeWindow::OneHour,
                TimeWindow::All,
            ] {
                if ui.selectable_value(&mut self.window, w, w.label()).clicked() {
                    self.follow = true;
                }
            }
            let (icon, tip) = if self.follow {
                (
                    "⏸ Pause",
                    "Stop following the newest data (dragging or zooming the chart also pauses)",
                )
            } else {
                ("▶ Follow live", "Show the newest data again")
            };
            if ui.button(icon).on_hover_text(tip).clicked() {
                self.follow = !self.follow;
            }
            ui.separator();
            if ui.button("➕ Add series").clicked() {
                self.add = Some(AddForm::default());
            }
            ui.menu_button("Export", |ui| {
                let stem = charts.get(self.current).map_or("chart", |c| c.name.as_str()).to_owned();
                if ui.button("Series as CSV…").clicked() {
                    self.export = Some((
                        ExportKind::Csv,
                        default_export_path(start_folder(ui.ctx()), &stem, "csv"),
                    ));
                    ui.close();
                }
                if ui.button("Chart as PNG…").clicked() {
                    self.export = Some((
                        ExportKind::Png,
                        default_export_path(start_folder(ui.ctx()), &stem, "png"),
                    ));
                    ui.close();
                }
            });
            let active = model.charts.alerting().count();
            let alerts = if active > 0 {
                RichText::new(format!("⚠ Alerts ({active})")).color(style::error())
            } else {
                RichText::new(format!("Alerts log ({})", model.charts.alerts.entries().len()))
            };
            if ui.selectable_label(self.show_alerts, alerts).clicked() {
                self.show_alerts = !self.show_alerts;
            }
        });
    }

    pub(super) fn forms_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        if let Some(form) = &mut self.add {
            let mut close = false;
            ui.horizontal_wrapped(|ui| {
                let label = ui.label("Topic or filter");
                let topic = ui
                    .add(
                        egui::TextEdit::singleline(&mut form.filter)
                            .hint_text("iot/+/temperature")
                            .desired_width(220.0),
                    )
                    .labelled_by(label.id);
                let label = ui.label("Value path");
                let path = ui
                    .add(
                        egui::TextEdit::singleline(&mut form.path)
                            .hint_text("temperature (empty: the payload)")
                            .desired_width(200.0),
                    )
                    .labelled_by(label.id);
                let enter = (topic.lost_focus() || path.lost_focus()) && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if ui.button("Add").clicked() || enter {
                    let filter = form.filter.trim();
                    match crate::vocab::topic::validate_filter(filter) {
                        Ok(()) => {
                            actions.push(Action::Connection(ConnectionAction::EditCharts(ChartEdit::AddSeries {
                                chart: self.current,
                                spec: SeriesSpec::new(filter, form.path.trim()),
                            })));
                            close = true;
                        }
                        Err(e) => form.error = Some(e),
                    }
                }
                if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                    close = true;
                }
            });
            if let Some(e) = &form.error {
                ui.colored_label(style::error(), e);
            }
            if close {
                self.add = None;
                self.follow = true;
            }
        }
        if let Some(form) = &mut self.rule {
            let mut close = false;
            ui.horizontal_wrapped(|ui| {
                ui.label(format!("Alert on {} when", form.label));
                for (text, name, hint) in [
                    (&mut form.above, "above", "28"),
                    (&mut form.below, "below", ""),
                    (&mut form.hysteresis, "hysteresis", "0.5"),
                ] {
                    let label = ui.label(name);
                    let field = egui::TextEdit::singleline(text).hint_text(hint).desired_width(60.0);
                    ui.add(field).labelled_by(label.id);
                }
                if ui.button("Set rule").clicked() {
                    match form.parse() {
                        Ok(threshold) => {
                            actions.push(Action::Connection(ConnectionAction::EditCharts(
                                ChartEdit::SetThreshold {
                                    chart: form.chart,
                                    source: form.source,
                                    threshold,
                                },
                            )));
                            close = true;
                        }
                        Err(e) => form.error = Some(e),
                    }
                }
                if ui.button("Remove rule").clicked() {
                    actions.push(Action::Connection(ConnectionAction::EditCharts(
                        ChartEdit::SetThreshold {
                            chart: form.chart,
                            source: form.source,
                            threshold: Threshold::default(),
                        },
                    )));
                    close = true;
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
            });
            if let Some(e) = &form.error {
                ui.colored_label(style::error(), e);
            }
            if close {
                self.rule = None;
            }
        }
        if let Some((chart, name)) = &mut self.rename {
            let mut close = false;
            ui.horizontal(|ui| {
                let label = ui.label("Chart name");
                ui.add(egui::TextEdit::singleline(name).desired_width(160.0))
                    .labelled_by(label.id);
                if ui.button("Rename").clicked() && !name.trim().is_empty() {
                    actions.push(Action::Connection(ConnectionAction::EditCharts(
                        ChartEdit::RenameChart(*chart, name.trim().to_owned()),
                    )));
                    close = true;
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
            });
            if close {
                self.rename = None;
            }
        }
        if let Some((kind, path)) = &mut self.export {
            let mut close = false;
            ui.horizontal(|ui| {
                let label = ui.label(match kind {
                    ExportKind::Csv => "Save the series as CSV to",
                    ExportKind::Png => "Save the chart as PNG to",
                });
                ui.add(egui::TextEdit::singleline(path).desired_width(320.0))
                    .labelled_by(label.id);
                let title = match kind {
                    ExportKind::Csv => "Save the series as CSV",
                    ExportKind::Png => "Save the chart as PNG",
                };
                self.export_browse.button(ui, path, Purpose::Save, title, &[]);
                if *kind == ExportKind::Png {
                    ui.checkbox(&mut self.png_double, "2×")
                        .on_hover_text("Twice the pixels of the screen: sharp in print and on slides");
                }
                if ui.button("Save").clicked() && !path.trim().is_empty() {
                    let path = PathBuf::from(path.trim());
                    match kind {
                        ExportKind::Csv => actions.push(Action::Connection(ConnectionAction::ExportCsv {
                            chart: self.current,
                            path,
                        })),
                        ExportKind::Png if self.png_double => self.png_double_pending = Some(path),
                        ExportKind::Png => {
                            self.png_pending = Some(path);
                            let slot = self.screenshot.clone();
                            let ctx = ui.ctx().clone();
                            ui.ctx().request_screenshot(move |image| {
                                if let Ok(mut slot) = slot.lock() {
                                    *slot = Some(image);
                                }
                                ctx.request_repaint();
                            });
                        }
                    }
                    close = true;
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
            });
            self.export_browse.problem_ui(ui);
            if close {
                self.export = None;
                self.export_browse.forget();
            }
        }
    }
}

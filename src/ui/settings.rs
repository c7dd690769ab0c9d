//! The settings window: theme and size; how many messages each topic keeps and how much
//! memory all history may use, with what is held now; and how many points
//! each chart series keeps.

use super::{Action, WindowAction};
use crate::model::Model;
use crate::payload::human_size;
use crate::settings::{
    BUDGET_MIB_RANGE, CHART_POINTS_RANGE, MAX_PACKET_MIB_RANGE, PER_TOPIC_RANGE, Settings, Theme, UI_SCALE_RANGE,
};

#[derive(Debug)]
pub struct SettingsWindow {
    draft: Settings,
}

impl SettingsWindow {
    pub fn new(current: Settings) -> Self {
        Self { draft: current }
    }

    pub fn ui(&mut self, ctx: &egui::Context, open: &mut bool, model: Option<&Model>) -> Option<Action> {
        let mut action = None;
        super::dialog::window(ctx, "Settings", 460.0)
            .resizable(false)
            .open(open)
            .show(ctx, |ui| {
                egui::Grid::new("settings_grid").num_columns(2).spacing([12.0, 8.0]).show(ui, |ui| {
                    let label = ui.label("Messages kept per topic");
                    ui.add(egui::DragValue::new(&mut self.draft.history_per_topic).range(PER_TOPIC_RANGE))
                        .labelled_by(label.id);
                    ui.end_row();
                    let label = ui.label("History memory budget (MiB)");
                    ui.add(egui::DragValue::new(&mut self.draft.history_budget_mib).range(BUDGET_MIB_RANGE))
                        .labelled_by(label.id);
                    ui.end_row();
                    ui.label("Theme");
                    ui.horizontal(|ui| {
                        for theme in Theme::ALL {
                            ui.radio_value(&mut self.draft.theme, theme, theme.label());
                        }
                    });
                    ui.end_row();
                    let label = ui.label("Size (%)");
                    ui.add(egui::DragValue::new(&mut self.draft.ui_scale_percent).range(UI_SCALE_RANGE))
                        .labelled_by(label.id)
                        .on_hover_text("Everything on screen, bigger or smaller (Ctrl + and Ctrl − also work)");
                    ui.end_row();
                    let label = ui.label("Home Assistant discovery prefix");
                    ui.add(egui::TextEdit::singleline(&mut self.draft.ha_prefix).desired_width(140.0))
                        .labelled_by(label.id)
                        .on_hover_text("Discovery configs on <prefix>/<component>/…/config name the devices' topics in the tree");
                    ui.end_row();
                    let label = ui.label("Points kept per chart series");
                    ui.add(egui::DragValue::new(&mut self.draft.chart_points).range(CHART_POINTS_RANGE))
                        .labelled_by(label.id)
                        .on_hover_text("16 bytes a point; past this the oldest points of a series go first");
                    ui.end_row();
                    let label = ui.label("Largest packet accepted (MiB)");
                    ui.add(egui::DragValue::new(&mut self.draft.max_packet_mib).range(MAX_PACKET_MIB_RANGE))
                        .labelled_by(label.id)
                        .on_hover_text(
                            "For connections that do not set their own (profile form: Max packet). MQTT 5 brokers \
                             then do not send us bigger messages; applies at the next connect.",
                        );
                    ui.end_row();
                });
                ui.weak(
                    "The budget covers the messages kept and the topic tree. Past it the oldest messages of all topics \
                     go first; the latest message of every topic is kept while they fit, then the topics quiet the \
                     longest lose theirs; when the tree alone fills it, messages on new topics are counted, not kept.",
                );
                if let Some(model) = model {
                    ui.label(format!(
                        "Now: {} messages in {} ({} let go so far).",
                        model.history.stored_messages(),
                        human_size(model.budget_bytes()),
                        model.history.evicted()
                    ));
                }
                ui.horizontal(|ui| {
                    if ui.button("Apply").clicked() {
                        action = Some(Action::Window(WindowAction::ApplySettings(self.draft.clone())));
                    }
                    if ui.button("Defaults").clicked() {
                        // What a newer build wrote is not a setting of this one: kept.
                        self.draft = Settings {
                            version: self.draft.version,
                            unknown: std::mem::take(&mut self.draft.unknown),
                            ..Settings::default()
                        };
                    }
                });
            });
        action
    }
}

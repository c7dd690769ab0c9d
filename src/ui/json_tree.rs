//! A structured payload (JSON, and MessagePack, CBOR or Sparkplug B shown as
//! JSON) as a collapsible tree: search inside it, copy a value or its path,
//! and a Chart action on every numeric leaf (JSON, MessagePack, CBOR). Draws at most
//! `MAX_ROWS` rows per frame and says how many it left out.

use egui::RichText;
use serde_json::Value;

use super::{Action, style};
use crate::ui::ConnectionAction;

/// Rows drawn at most per frame, so a huge document cannot stall the window.
const MAX_ROWS: usize = 2_000;

struct Walk<'a> {
    topic: &'a str,
    /// Leaves can be charted (the stored payload is one that series read by path).
    chartable: bool,
    /// Sparkplug B: only metric values chart, by the metric's name.
    sparkplug: bool,
    /// The name of the Sparkplug metric being drawn, for its value leaf.
    metric: Option<String>,
    query: String,
    rows: usize,
    skipped: usize,
    action: Option<Action>,
}

fn child_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Draw `value` as a tree. `query` (case-insensitive) keeps only the leaves
/// whose path or value contains it, listed flat with their paths.
pub fn json_tree_ui(
    ui: &mut egui::Ui,
    value: &Value,
    query: &str,
    topic: &str,
    chartable: bool,
    sparkplug: bool,
) -> Option<Action> {
    let mut walk = Walk {
        topic,
        chartable: chartable || sparkplug,
        sparkplug,
        metric: None,
        query: query.trim().to_lowercase(),
        rows: 0,
        skipped: 0,
        action: None,
    };
    if walk.query.is_empty() {
        walk.node_ui(ui, "", "(root)", value, 0);
    } else {
        let mut matches = 0;
        walk.matches_ui(ui, "", value, &mut matches);
        if matches == 0 {
            ui.weak(format!("Nothing in this payload matches '{query}'."));
        }
    }
    if walk.skipped > 0 {
        ui.label(
            RichText::new(format!("{} more rows not drawn; search to narrow down.", walk.skipped))
                .color(style::connecting()),
        );
    }
    walk.action
}

impl Walk<'_> {
    fn budget(&mut self) -> bool {
        if self.rows >= MAX_ROWS {
            self.skipped += 1;
            return false;
        }
        self.rows += 1;
        true
    }

    fn node_ui(&mut self, ui: &mut egui::Ui, path: &str, key: &str, value: &Value, depth: usize) {
        if !self.budget() {
            return;
        }
        match value {
            Value::Object(map) => {
                if self.sparkplug {
                    self.metric = map.get("name").and_then(Value::as_str).map(str::to_owned);
                }
                let header = format!("{key}  {{{}}}", map.len());
                egui::CollapsingHeader::new(RichText::new(header).monospace())
                    .id_salt(("json", path))
                    .default_open(depth < 3)
                    .show(ui, |ui| {
                        for (k, v) in map {
                            self.node_ui(ui, &child_path(path, k), k, v, depth + 1);
                        }
                    });
            }
            Value::Array(items) => {
                let header = format!("{key}  [{}]", items.len());
                egui::CollapsingHeader::new(RichText::new(header).monospace())
                    .id_salt(("json", path))
                    .default_open(depth < 3)
                    .show(ui, |ui| {
                        for (i, v) in items.iter().enumerate() {
                            let at = format!("{path}[{i}]");
                            self.node_ui(ui, &at, &format!("[{i}]"), v, depth + 1);
                        }
                    });
            }
            leaf => self.leaf_ui(ui, path, key, leaf),
        }
    }

    fn matches_ui(&mut self, ui: &mut egui::Ui, path: &str, value: &Value, matches: &mut usize) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    self.matches_ui(ui, &child_path(path, k), v, matches);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.matches_ui(ui, &format!("{path}[{i}]"), v, matches);
                }
            }
            leaf => {
                let text = leaf.to_string();
                if path.to_lowercase().contains(&self.query) || text.to_lowercase().contains(&self.query) {
                    *matches += 1;
                    if self.budget() {
                        self.leaf_ui(ui, path, path, leaf);
                    }
                }
            }
        }
    }

    fn leaf_ui(&mut self, ui: &mut egui::Ui, path: &str, key: &str, value: &Value) {
        let text = value.to_string();
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("{key}:")).monospace().color(style::counts()));
            let shown = ui
                .label(RichText::new(&text).monospace())
                .on_hover_text(format!("{path}\nRight-click: copy the value or its path"));
            shown.context_menu(|ui| {
                if ui.button("Copy value").clicked() {
                    let raw = match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    ui.ctx().copy_text(raw);
                    ui.close();
                }
                if ui.button("Copy path").clicked() {
                    ui.ctx().copy_text(path.to_owned());
                    ui.close();
                }
            });
            let chart_path = if self.sparkplug {
                // Only a metric's value, addressed by the metric's name.
                self.metric
                    .as_ref()
                    .filter(|_| path.ends_with(".value") && path.starts_with("metrics["))
                    .map(|m| format!("{}{m}", crate::payload::SPARKPLUG_METRIC_PATH))
            } else {
                Some(path.to_owned())
            };
            if self.chartable
                && let Some(chart_path) = chart_path
                && (value.as_f64().is_some_and(f64::is_finite) || value.is_boolean() && self.sparkplug)
            {
                let shown = chart_path
                    .strip_prefix(crate::payload::SPARKPLUG_METRIC_PATH)
                    .unwrap_or(&chart_path);
                let name = format!("Chart {shown}");
                let button = ui.small_button("📈").on_hover_text(format!("{name} live"));
                button.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
                if button.clicked() {
                    self.action = Some(Action::Connection(ConnectionAction::Chart {
                        topic: self.topic.to_owned(),
                        path: chart_path.clone(),
                        new_chart: false,
                    }));
                }
            }
        });
    }
}

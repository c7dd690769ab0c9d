//! The Sparkplug B line of the inspector: the edge node of the selected
//! topic (online or not, sequence gaps, its last birth or death) and the
//! Rebirth command. Reads the Model; sends nothing itself (returns an Action).

use egui::RichText;

use super::{Action, style};
use crate::model::Model;
use crate::ui::ConnectionAction;

/// The edge node of a Sparkplug topic: online or not, sequence gaps, the last
/// birth/death, and the Rebirth command (NCMD `Node Control/Rebirth`).
pub fn edge_node_ui(
    ui: &mut egui::Ui,
    model: &Model,
    spb: &crate::model::sparkplug::SparkplugTopic<'_>,
) -> Option<Action> {
    let mut action = None;
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(format!("Edge node {}", spb.node)).strong());
        match model.sparkplug.node(spb.group, spb.node) {
            Some(node) => {
                let (text, colour) = if node.online {
                    ("online", style::connected())
                } else {
                    ("offline", style::error())
                };
                ui.colored_label(colour, text);
                if node.gaps > 0 {
                    ui.colored_label(
                        style::error(),
                        format!("{} sequence gap{}", node.gaps, if node.gaps == 1 { "" } else { "s" }),
                    );
                }
                if !node.last_event.is_empty() {
                    ui.weak(format!("last: {}", node.last_event));
                }
            }
            None => {
                ui.weak("no birth seen yet: metrics sent by alias have no names until one arrives");
            }
        }
        if ui
            .small_button("Rebirth")
            .on_hover_text(format!(
                "Ask the edge node to publish its NBIRTH/DBIRTH again (NCMD Node Control/Rebirth on {})",
                spb.node_command_topic()
            ))
            .clicked()
        {
            let now_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            action = Some(Action::Connection(ConnectionAction::Publish(Box::new(
                crate::publish::PublishRequest {
                    topic: spb.node_command_topic(),
                    payload: crate::payload::sparkplug::rebirth_command(now_ms),
                    qos: 0,
                    retain: false,
                    properties: Default::default(),
                },
            ))));
        }
    });
    action
}

/// Rows the metrics table lays out at most; the JSON below has them all.
pub const TABLE_ROWS: usize = 200;

/// A Sparkplug payload's metrics as a table: name, value, type and the
/// metric's time in local clock time (the JSON below keeps every field).
/// `payload` is the decoded payload as the inspector's JSON shows it.
pub fn metrics_table_ui(ui: &mut egui::Ui, payload: &serde_json::Value) {
    let Some(metrics) = payload.get("metrics").and_then(|m| m.as_array()) else {
        return;
    };
    if metrics.is_empty() {
        return;
    }
    let mut head = Vec::new();
    if let Some(at) = payload.get("timestamp").and_then(serde_json::Value::as_u64) {
        head.push(format!("sent {}", when(at)));
    }
    if let Some(seq) = payload.get("seq").and_then(serde_json::Value::as_u64) {
        head.push(format!("seq {seq}"));
    }
    head.push(crate::ui::counted(metrics.len() as u64, "metric", "metrics"));
    ui.label(RichText::new(head.join(" · ")).small().color(style::counts()));
    egui::Grid::new("sparkplug_metrics")
        .striped(true)
        .num_columns(4)
        .spacing([14.0, 2.0])
        .show(ui, |ui| {
            for title in ["Metric", "Value", "Type", "Time"] {
                ui.label(RichText::new(title).strong());
            }
            ui.end_row();
            for metric in metrics.iter().take(TABLE_ROWS) {
                let name = match (metric.get("name").and_then(|n| n.as_str()), metric.get("alias")) {
                    (Some(name), _) => name.to_owned(),
                    (None, Some(alias)) => format!("alias {alias}"),
                    (None, None) => "(no name)".to_owned(),
                };
                ui.label(RichText::new(name).monospace());
                let value = match metric.get("value") {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(v @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
                        crate::payload::preview(v.to_string().as_bytes(), 40)
                    }
                    Some(v) => v.to_string(),
                    None => String::new(),
                };
                ui.label(RichText::new(value).monospace());
                ui.label(RichText::new(metric.get("type").and_then(|t| t.as_str()).unwrap_or("")).small());
                let time = metric
                    .get("timestamp")
                    .and_then(serde_json::Value::as_u64)
                    .map(when)
                    .unwrap_or_default();
                ui.label(RichText::new(time).small().color(style::counts()));
                ui.end_row();
            }
        });
    if metrics.len() > TABLE_ROWS {
        ui.weak(format!(
            "… and {} more metrics (all in the JSON below)",
            metrics.len() - TABLE_ROWS
        ));
    }
    ui.add_space(4.0);
}

/// A Sparkplug time (ms since 1970) in local clock time; the date too when it is not today.
pub fn when(ms: u64) -> String {
    // The number comes from the payload: a time past any calendar is said
    // as it is (chrono's `From<SystemTime>` would panic on it).
    let Some(utc) = i64::try_from(ms).ok().and_then(chrono::DateTime::from_timestamp_millis) else {
        return format!("{ms} ms (not a date)");
    };
    let local = utc.with_timezone(&chrono::Local);
    if local.date_naive() == chrono::Local::now().date_naive() {
        local.format("%H:%M:%S%.3f").to_string()
    } else {
        local.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_read_as_clock_times() {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let today = super::when(now_ms);
        assert_eq!(today.len(), "12:34:56.789".len(), "{today}");
        assert_eq!(&today[2..3], ":");
        // 2025-03-04T08:13:12Z, some day that is not today: the date is said.
        assert!(super::when(1_741_075_992_000).starts_with("2025-03-0"));
        // A timestamp no calendar holds (an edge node's garbage, or a hostile
        // payload): said as the number it is, not a panic of the window.
        assert_eq!(super::when(u64::MAX), "18446744073709551615 ms (not a date)");
    }
}

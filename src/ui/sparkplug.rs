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

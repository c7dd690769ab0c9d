//! The publish form: topic, payload, QoS and retain. An invalid topic is
//! refused next to the field; the broker's answer shows under the button.
//! Ctrl+Enter publishes.

use egui::RichText;

use super::{Action, style};
use crate::mqtt::validate_topic;

#[derive(Debug)]
pub struct PublishPanel {
    pub topic: String,
    pub payload: String,
    pub qos: u8,
    pub retain: bool,
    error: Option<String>,
    /// The latest answer: Ok(text) for success, Err(text) for failure.
    result: Option<Result<String, String>>,
}

impl Default for PublishPanel {
    fn default() -> Self {
        Self {
            topic: "test/mqscope".to_owned(),
            payload: r#"{"temperature": 23.5, "unit": "Celsius"}"#.to_owned(),
            qos: 1,
            retain: false,
            error: None,
            result: None,
        }
    }
}

impl PublishPanel {
    pub fn set_result(&mut self, result: Result<String, String>) {
        self.result = Some(result);
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, connected: bool, selected_topic: Option<&str>) -> Option<Action> {
        ui.strong("Publish");
        ui.add_space(style::PANEL_GAP);
        let topic_label = ui.label("Topic");
        let topic_edit = ui
            .add(
                egui::TextEdit::singleline(&mut self.topic)
                    .desired_width(f32::INFINITY)
                    .hint_text("home/living_room/light"),
            )
            .labelled_by(topic_label.id);
        if topic_edit.changed() {
            self.error = None;
        }
        if let Some(selected) = selected_topic
            && selected != self.topic
            && ui.small_button("Use selected topic").on_hover_text(selected).clicked()
        {
            self.topic = selected.to_owned();
            self.error = None;
        }
        if let Some(error) = &self.error {
            ui.label(RichText::new(error).color(style::ERROR));
        }
        ui.add_space(style::PANEL_GAP);
        let payload_label = ui.label("Payload");
        ui.add(
            egui::TextEdit::multiline(&mut self.payload)
                .code_editor()
                .desired_rows(6)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(payload_label.id);
        ui.horizontal(|ui| {
            ui.label("QoS");
            for q in 0..=2u8 {
                ui.radio_value(&mut self.qos, q, q.to_string());
            }
            ui.checkbox(&mut self.retain, "Retain");
        });
        ui.add_space(style::PANEL_GAP);
        let shortcut = ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Enter));
        let button = ui
            .add_enabled(connected, egui::Button::new("Publish"))
            .on_hover_text("Ctrl+Enter")
            .on_disabled_hover_text("Connect to a broker first");
        let mut action = None;
        if (button.clicked() || (shortcut && connected)) && self.validate() {
            action = Some(Action::Publish {
                topic: self.topic.clone(),
                payload: self.payload.clone().into_bytes(),
                qos: self.qos,
                retain: self.retain,
            });
            self.result = Some(Ok(format!("Sending to {}…", self.topic)));
        }
        match &self.result {
            Some(Ok(text)) => {
                ui.label(RichText::new(text).color(style::OK_TEXT));
            }
            Some(Err(text)) => {
                ui.label(RichText::new(text).color(style::ERROR));
            }
            None => {}
        }
        action
    }

    fn validate(&mut self) -> bool {
        match validate_topic(&self.topic) {
            Ok(()) => {
                self.error = None;
                true
            }
            Err(e) => {
                self.error = Some(e);
                self.result = None;
                false
            }
        }
    }
}

//! The publish form's optional sections: MQTT 5 properties, repeat, the sent
//! history and templates.

use std::time::Instant;

use egui::RichText;

use super::{PublishPanel, Source};
use crate::payload::human_size;
use crate::publish::{PublishTemplate, Rate, Repeat};
use crate::ui::{Action, style};
use crate::ui::{ConnectionAction, WindowAction};
use crate::vocab::MessageProperties;
use crate::vocab::ProtocolVersion;
use crate::vocab::topic::validate_topic;

#[derive(Debug, Default)]
pub(super) struct PropertiesForm {
    content_type: String,
    utf8: bool,
    expiry_s: String,
    response_topic: String,
    correlation: String,
    user: Vec<(String, String)>,
}

impl PropertiesForm {
    pub(super) fn build(&self) -> Result<MessageProperties, String> {
        let expiry = self.expiry_s.trim();
        let message_expiry_s = if expiry.is_empty() {
            None
        } else {
            Some(
                expiry
                    .parse::<u32>()
                    .map_err(|_| format!("Message expiry: '{expiry}' is not a number of seconds."))?,
            )
        };
        let response = self.response_topic.trim();
        if !response.is_empty() {
            validate_topic(response).map_err(|e| format!("Response topic: {e}"))?;
        }
        if let Some((key, _)) = self.user.iter().find(|(k, v)| k.trim().is_empty() && !v.is_empty()) {
            return Err(format!("A user property needs a name (value '{key}')."));
        }
        let text = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        Ok(MessageProperties {
            payload_is_utf8: self.utf8.then_some(true),
            message_expiry_s,
            content_type: text(&self.content_type),
            response_topic: text(response),
            correlation_data: (!self.correlation.is_empty()).then(|| self.correlation.as_bytes().into()),
            user_properties: self
                .user
                .iter()
                .filter(|(k, _)| !k.trim().is_empty())
                .map(|(k, v)| (k.trim().to_owned(), v.clone()))
                .collect(),
            subscription_ids: Vec::new(),
        })
    }
}

impl PublishPanel {
    pub(super) fn properties_ui(&mut self, ui: &mut egui::Ui) {
        egui::CollapsingHeader::new("MQTT 5 properties to send")
            .id_salt("publish_properties")
            .show(ui, |ui| {
                let p = &mut self.properties;
                egui::Grid::new("publish_properties_grid")
                    .num_columns(2)
                    .show(ui, |ui| {
                        for (label, text, hint) in [
                            ("Content type", &mut p.content_type, "application/json"),
                            ("Message expiry (s)", &mut p.expiry_s, "none"),
                            ("Response topic", &mut p.response_topic, "replies/me"),
                            ("Correlation data", &mut p.correlation, "request-42"),
                        ] {
                            let l = ui.label(label);
                            ui.add(egui::TextEdit::singleline(text).hint_text(hint).desired_width(150.0))
                                .labelled_by(l.id);
                            ui.end_row();
                        }
                    });
                ui.checkbox(&mut p.utf8, "Payload is UTF-8 text (format indicator 1)");
                ui.label("User properties");
                let mut remove = None;
                for (i, (key, value)) in p.user.iter_mut().enumerate() {
                    ui.horizontal(|ui| {
                        let l = ui.label("name");
                        ui.add(egui::TextEdit::singleline(key).desired_width(80.0))
                            .labelled_by(l.id);
                        let l = ui.label("value");
                        ui.add(egui::TextEdit::singleline(value).desired_width(90.0))
                            .labelled_by(l.id);
                        if ui.small_button("✖").on_hover_text("Remove").clicked() {
                            remove = Some(i);
                        }
                    });
                }
                if let Some(i) = remove {
                    p.user.remove(i);
                }
                if ui.small_button("➕ User property").clicked() {
                    p.user.push((String::new(), String::new()));
                }
            });
    }

    pub(super) fn repeat_ui(&mut self, ui: &mut egui::Ui, connected: bool, protocol: ProtocolVersion) {
        let title = match &self.repeat {
            Some(job) => format!("Repeat (running: {} sent)", job.sent()),
            None => "Repeat".to_owned(),
        };
        egui::CollapsingHeader::new(title)
            .id_salt("publish_repeat")
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    let label = ui.label(if self.repeat_per_second {
                        "Messages per second"
                    } else {
                        "Every (seconds)"
                    });
                    ui.add(egui::TextEdit::singleline(&mut self.repeat_every).desired_width(50.0))
                        .labelled_by(label.id);
                    ui.checkbox(&mut self.repeat_per_second, "per second");
                });
                ui.horizontal(|ui| match &self.repeat {
                    None => {
                        if ui
                            .add_enabled(connected, egui::Button::new("▶ Start"))
                            .on_hover_text(
                                "Publish this form now and then at this rate; placeholders are evaluated at each send",
                            )
                            .clicked()
                        {
                            self.start_repeat(protocol);
                        }
                    }
                    Some(_) => {
                        if ui.button("■ Stop").clicked()
                            && let Some(job) = self.repeat.take()
                        {
                            self.stopped = Some((job.topic().to_owned(), job.sent()));
                        }
                    }
                });
                if let Some(job) = &self.repeat {
                    let interval = job.interval().as_secs_f64();
                    ui.label(format!(
                        "{} sent to {} · {} acknowledged{} · one every {}",
                        job.sent(),
                        job.topic(),
                        self.acked,
                        if self.failed > 0 {
                            format!(" · {} refused", self.failed)
                        } else {
                            String::new()
                        },
                        if interval >= 1.0 {
                            format!("{interval} s")
                        } else {
                            format!("{:.0} ms", interval * 1000.0)
                        }
                    ));
                }
                if self.repeat.is_some() && self.held_back {
                    ui.label(
                        RichText::new(
                            "Held back: the connection has not yet sent the messages before (the broker is slower \
                             than this rate); sending resumes as it catches up.",
                        )
                        .color(style::connecting()),
                    );
                }
                if self.repeat.is_none()
                    && let Some((topic, sent)) = &self.stopped
                {
                    ui.label(format!("Stopped: {sent} sent to {topic} · {} acknowledged", self.acked));
                }
                if let Some(e) = &self.repeat_error {
                    ui.label(RichText::new(e).color(style::error()));
                }
            });
    }

    fn start_repeat(&mut self, protocol: ProtocolVersion) {
        self.repeat_error = None;
        if let Err(e) = validate_topic(self.topic.trim()) {
            self.repeat_error = Some(e);
            return;
        }
        let number = self.repeat_every.trim().replace(',', ".");
        let Ok(value) = number.parse::<f64>() else {
            self.repeat_error = Some(format!("'{}' is not a number.", self.repeat_every.trim()));
            return;
        };
        let rate = if self.repeat_per_second {
            Rate::PerSecond(value)
        } else {
            Rate::EverySeconds(value)
        };
        let started = self.form().and_then(|(mut form, file)| {
            if file.is_some() {
                return Err("Repeat publishes typed payloads, not files.".into());
            }
            if protocol == ProtocolVersion::V311 {
                form.properties = MessageProperties::default();
            }
            Repeat::start(form, rate, Instant::now())
        });
        match started {
            Ok(job) => {
                self.acked = 0;
                self.failed = 0;
                self.stopped = None;
                self.repeat = Some(job);
            }
            Err(e) => self.repeat_error = Some(e),
        }
    }

    pub(super) fn history_ui(&mut self, ui: &mut egui::Ui, connected: bool) -> Vec<Action> {
        let mut actions = Vec::new();
        egui::CollapsingHeader::new(format!("Sent ({})", self.history.len()))
            .id_salt("publish_history")
            .show(ui, |ui| {
                if self.history.is_empty() {
                    ui.weak("Messages you publish are listed here, newest first (the last 100, kept across restarts).");
                }
                let mut load = None;
                for (i, entry) in self.history.iter().enumerate() {
                    ui.horizontal(|ui| {
                        let name = format!("Send again to {} ({})", entry.topic, crate::ui::clock(entry.at()));
                        let request = entry.request();
                        let button = ui
                            .add_enabled(connected && request.is_some(), egui::Button::new("↻").small())
                            .on_hover_text(match &entry.text {
                                Some(text) => format!("Send again: {}", crate::payload::preview(text.as_bytes(), 80)),
                                None if request.is_some() => "Send the same bytes again".to_owned(),
                                None => "Too large to keep for sending again".to_owned(),
                            });
                        button.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
                        if button.clicked()
                            && let Some(request) = request
                        {
                            actions.push(Action::Connection(ConnectionAction::Publish(Box::new(request))));
                        }
                        let button = ui
                            .add_enabled(entry.payload().is_some(), egui::Button::new("Load").small())
                            .on_hover_text("Put this message back in the form, to change and send");
                        let name = format!("Load into the form: {} ({})", entry.topic, crate::ui::clock(entry.at()));
                        button.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
                        if button.clicked() {
                            load = Some(i);
                        }
                        ui.label(RichText::new(crate::ui::clock(entry.at())).monospace().small());
                        ui.label(
                            RichText::new(format!("QoS {}{}", entry.qos, if entry.retain { " · R" } else { "" }))
                                .small()
                                .color(style::counts()),
                        );
                        ui.add(egui::Label::new(&entry.topic).truncate()).on_hover_text(format!(
                            "{} · QoS {}{}",
                            human_size(entry.size),
                            entry.qos,
                            if entry.retain { " · retained" } else { "" }
                        ));
                    });
                    // What was sent, on a line of its own.
                    let shown = match (&entry.text, &entry.base64) {
                        (Some(text), _) => crate::payload::preview(text.as_bytes(), 60),
                        (None, Some(_)) => format!("{} of binary", human_size(entry.size)),
                        (None, None) => format!("{} (too large to keep)", human_size(entry.size)),
                    };
                    ui.horizontal(|ui| {
                        ui.add_space(style::TREE_INDENT);
                        ui.add(
                            egui::Label::new(RichText::new(shown).monospace().small().color(style::preview()))
                                .truncate(),
                        );
                    });
                }
                if let Some(i) = load {
                    let entry = &self.history[i];
                    self.topic = entry.topic.clone();
                    self.convert_note = None;
                    self.result = None;
                    match entry.text.as_ref().filter(|t| !t.contains("{{")) {
                        Some(text) => {
                            self.payload = text.clone();
                            // JSON stays JSON; other text goes as text.
                            let json = crate::payload::check_json(text).is_ok();
                            self.source = Source::Typed(if json {
                                crate::payload::PayloadFormat::Json
                            } else {
                                crate::payload::PayloadFormat::Text
                            });
                        }
                        None => {
                            // Binary (or text holding "{{", which the form would read as a
                            // placeholder): shown as Hex, the same bytes.
                            let bytes = entry.payload().unwrap_or_default();
                            self.payload = bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
                            self.source = Source::Typed(crate::payload::PayloadFormat::Hex);
                        }
                    }
                    self.qos = entry.qos.min(2);
                    self.retain = entry.retain;
                    self.payload_check = None;
                    self.topic_error = None;
                }
            });
        actions
    }

    pub(super) fn templates_ui(&mut self, ui: &mut egui::Ui) -> Option<Action> {
        let mut changed = false;
        egui::CollapsingHeader::new(format!("Templates ({})", self.templates.len()))
            .id_salt("publish_templates")
            .show(ui, |ui| {
                let mut load = None;
                let mut remove = None;
                for (i, t) in self.templates.iter().enumerate() {
                    ui.horizontal(|ui| {
                        let button = ui.small_button("Load");
                        let name = format!("Load template {}", t.name);
                        button.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
                        if button.clicked() {
                            load = Some(i);
                        }
                        let button = ui.small_button("✖");
                        let name = format!("Delete template {}", t.name);
                        button.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
                        if button.clicked() {
                            remove = Some(i);
                        }
                        ui.label(&t.name).on_hover_text(&t.topic);
                    });
                }
                if let Some(i) = load {
                    let t = self.templates[i].clone();
                    self.topic = t.topic;
                    self.payload = t.payload;
                    self.source = Source::Typed(t.format);
                    self.qos = t.qos.min(2);
                    self.retain = t.retain;
                    self.payload_check = None;
                    self.topic_error = None;
                }
                if let Some(i) = remove {
                    self.templates.remove(i);
                    changed = true;
                }
                ui.horizontal(|ui| {
                    let label = ui.label("Name");
                    ui.add(egui::TextEdit::singleline(&mut self.template_name).desired_width(110.0))
                        .labelled_by(label.id);
                    let format = match self.source {
                        Source::Typed(format) => Some(format),
                        Source::File => None,
                    };
                    let name = self.template_name.trim().to_owned();
                    if ui
                        .add_enabled(!name.is_empty() && format.is_some(), egui::Button::new("Save form"))
                        .on_hover_text("Save the topic, payload, format, QoS and retain under this name")
                        .clicked()
                        && let Some(format) = format
                    {
                        let template = PublishTemplate {
                            name: name.clone(),
                            topic: self.topic.trim().to_owned(),
                            payload: self.payload.clone(),
                            format,
                            qos: self.qos,
                            retain: self.retain,
                        };
                        match self.templates.iter_mut().find(|t| t.name == name) {
                            Some(existing) => *existing = template,
                            None => self.templates.push(template),
                        }
                        self.template_name.clear();
                        changed = true;
                    }
                });
            });
        changed.then(|| Action::Window(WindowAction::TemplatesChanged(self.templates.clone())))
    }
}

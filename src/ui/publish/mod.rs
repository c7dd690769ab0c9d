//! The publish form, like a test bench: a topic (checked, with completion
//! from the topics seen, filled by selecting a topic in the tree), a payload in a format (Text, JSON checked live with
//! line and column, Hex, Base64, or a file), QoS and retain, MQTT 5
//! properties, the broker's answer, placeholders evaluated at each send, a
//! repeat that fakes a sensor, the last 100 sent messages and named
//! templates. Ctrl+Enter publishes.

use std::collections::VecDeque;
use std::time::{Instant, SystemTime};

use egui::RichText;

mod placeholders;
mod sections;

use sections::PropertiesForm;

use super::{Action, style};
use crate::model::Model;
use crate::payload::{PayloadFormat, SendContext, Template, encode, format_json, human_size};
use crate::publish::{PublishRequest, PublishRequestForm, PublishTemplate, PublishedEntry, Repeat};
use crate::ui::ConnectionAction;
use crate::vocab::MessageProperties;
use crate::vocab::ProtocolVersion;
use crate::vocab::topic::validate_topic;

/// Topics offered under the topic field while typing.
const SUGGESTIONS: usize = 8;

/// Where the payload comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Typed(PayloadFormat),
    File,
}

/// The largest payload MQTT carries (the packet's length field): a bigger
/// file could not be sent anyway.
const MAX_PAYLOAD_FILE_BYTES: u64 = 268_435_455;

#[derive(Debug)]
pub struct PublishPanel {
    pub topic: String,
    pub payload: String,
    source: Source,
    pub qos: u8,
    pub retain: bool,
    file_path: String,
    /// The file loaded as payload: (path, bytes) or why it could not be read.
    file: Option<Result<(String, Vec<u8>), String>>,
    /// Payload files are read here, off the frame; the ticket of the one being read.
    file_reader: crate::jobs::Latest<Result<(String, Vec<u8>), String>>,
    /// The desktop's file chooser, beside the file path.
    file_browse: crate::ui::file_chooser::Browse,
    file_reading: Option<u64>,
    properties: PropertiesForm,
    topic_error: Option<String>,
    /// What is wrong with the payload as typed (checked when it changes).
    payload_check: Option<Result<(), String>>,
    /// Why the payload was kept as typed when its format tab changed.
    convert_note: Option<String>,
    /// The latest answer: Ok(text) for success, Err(text) for failure.
    result: Option<Result<String, String>>,
    suggestions: Vec<String>,
    suggestions_for: Option<String>,
    /// Where the suggestions were drawn last frame.
    suggestions_rect: Option<egui::Rect>,
    /// The tree's selection last seen, to fill the topic when it changes.
    last_selected: Option<String>,
    confirm_clear: bool,
    /// Counts single sends, for `{{counter}}`.
    sends: u64,
    repeat_every: String,
    repeat_per_second: bool,
    repeat: Option<Repeat>,
    repeat_error: Option<String>,
    /// The repeat waits: the connection has not taken what it sent.
    held_back: bool,
    /// The last repeat stopped: (topic, messages sent).
    stopped: Option<(String, u64)>,
    acked: u64,
    failed: u64,
    /// Sent messages, newest first.
    pub history: VecDeque<PublishedEntry>,
    pub templates: Vec<PublishTemplate>,
    template_name: String,
}

impl Default for PublishPanel {
    fn default() -> Self {
        Self {
            topic: "test/mqscope".to_owned(),
            payload: r#"{"temperature": 23.5, "unit": "Celsius"}"#.to_owned(),
            source: Source::Typed(PayloadFormat::Json),
            qos: 1,
            retain: false,
            file_path: String::new(),
            file: None,
            file_reader: crate::jobs::Latest::new("payload-file"),
            file_browse: crate::ui::file_chooser::Browse::default(),
            file_reading: None,
            properties: PropertiesForm::default(),
            topic_error: None,
            payload_check: None,
            convert_note: None,
            result: None,
            suggestions: Vec::new(),
            suggestions_for: None,
            suggestions_rect: None,
            last_selected: None,
            confirm_clear: false,
            sends: 0,
            repeat_every: "1".to_owned(),
            repeat_per_second: false,
            repeat: None,
            repeat_error: None,
            held_back: false,
            stopped: None,
            acked: 0,
            failed: 0,
            history: VecDeque::new(),
            templates: Vec::new(),
            template_name: String::new(),
        }
    }
}

impl PublishPanel {
    pub fn set_result(&mut self, result: Result<String, String>) {
        self.result = Some(result);
    }

    /// The broker's answer to one of ours (PUBACK/PUBCOMP, or a refusal).
    pub fn answered(&mut self, topic: &str, outcome: Result<u8, String>) {
        // Answers for a just-stopped repeat still arrive: they count there too.
        let repeating = self.repeat.as_ref().is_some_and(|r| r.topic() == topic)
            || self.stopped.as_ref().is_some_and(|(t, _)| t == topic);
        match (outcome, repeating) {
            (Ok(_), true) => self.acked += 1,
            (Err(reason), true) => {
                self.failed += 1;
                self.result = Some(Err(format!("Not published to {topic}: {reason}")));
            }
            (Ok(qos), false) => {
                let how = match qos {
                    0 => "sent (QoS 0: no answer)",
                    1 => "acknowledged by the broker: PUBACK",
                    _ => "acknowledged by the broker: PUBCOMP",
                };
                self.result = Some(Ok(format!("Published to {topic} (QoS {qos}, {how})")));
            }
            (Err(reason), false) => self.result = Some(Err(format!("Not published to {topic}: {reason}"))),
        }
    }

    /// Whether the repeat waits for the connection to take what was sent.
    pub fn set_held_back(&mut self, held_back: bool) {
        self.held_back = held_back;
    }

    pub fn is_repeating(&self) -> bool {
        self.repeat.is_some()
    }

    /// The repeat job's messages due by now, and when the next one is.
    pub fn take_due(&mut self, now: Instant) -> (Vec<PublishRequest>, Option<Instant>) {
        let Some(job) = &mut self.repeat else {
            return (Vec::new(), None);
        };
        match job.take_due(now, SystemTime::now()) {
            Ok(due) => {
                let next = job.next_at();
                (due, Some(next))
            }
            Err(e) => {
                self.repeat_error = Some(format!("Repeat stopped: {e}"));
                self.repeat = None;
                (Vec::new(), None)
            }
        }
    }

    fn form(&self) -> Result<(PublishRequestForm<'_>, Option<&[u8]>), String> {
        let properties = self.properties.build()?;
        let (format, file) = match self.source {
            Source::Typed(format) => (format, None),
            Source::File => match &self.file {
                Some(Ok((_, bytes))) => (PayloadFormat::Text, Some(bytes.as_slice())),
                Some(Err(e)) => return Err(e.clone()),
                None => return Err("Choose a file and press Load.".into()),
            },
        };
        Ok((
            PublishRequestForm {
                topic: self.topic.trim(),
                payload: &self.payload,
                format,
                qos: self.qos,
                retain: self.retain,
                properties,
            },
            file,
        ))
    }

    /// The payload changed (typed, or a placeholder put in): what was said
    /// of it as it was goes.
    fn payload_edited(&mut self) {
        self.payload_check = None;
        self.convert_note = None;
        // A refusal under the button was about the payload as it was.
        if matches!(self.result, Some(Err(_))) {
            self.result = None;
        }
    }

    /// The message the form describes now, placeholders evaluated.
    fn request(&mut self, protocol: ProtocolVersion) -> Result<PublishRequest, String> {
        if let Err(e) = validate_topic(self.topic.trim()) {
            self.topic_error = Some(e.clone());
            return Err(e);
        }
        let counter = self.sends + 1;
        let (form, file) = self.form()?;
        let payload = match file {
            Some(bytes) => bytes.to_vec(),
            None => {
                let text = Template::parse(form.payload)?.render(
                    &SendContext {
                        counter,
                        now: SystemTime::now(),
                    },
                    &mut fastrand::Rng::new(),
                );
                encode(form.format, &text)?
            }
        };
        let properties = match protocol {
            ProtocolVersion::V5 => form.properties,
            ProtocolVersion::V311 => MessageProperties::default(),
        };
        Ok(PublishRequest {
            topic: form.topic.to_owned(),
            payload,
            qos: form.qos,
            retain: form.retain,
            properties,
        })
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        model: &Model,
        connected: bool,
        protocol: ProtocolVersion,
        selected_topic: Option<&str>,
    ) -> Vec<Action> {
        let mut actions = Vec::new();
        if let Some(ticket) = self.file_reading
            && let Some(read) = self.file_reader.take(ticket)
        {
            self.file = Some(read.and_then(|read| read));
            self.file_reading = None;
        }
        egui::ScrollArea::vertical()
            .id_salt("publish_scroll")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                actions.extend(self.form_ui(ui, model, connected, protocol, selected_topic));
                ui.add_space(style::PANEL_GAP);
                self.repeat_ui(ui, connected, protocol);
                actions.extend(self.history_ui(ui, connected));
                actions.extend(self.templates_ui(ui));
            });
        actions
    }

    fn form_ui(
        &mut self,
        ui: &mut egui::Ui,
        model: &Model,
        connected: bool,
        protocol: ProtocolVersion,
        selected_topic: Option<&str>,
    ) -> Vec<Action> {
        let mut actions = Vec::new();
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
            self.topic_error = validate_topic(self.topic.trim())
                .err()
                .filter(|_| !self.topic.is_empty());
            self.confirm_clear = false;
        }
        // The list stays while the pointer is on it: pressing a suggestion takes
        // the focus from the field before the click completes.
        // (The list is a popup on a layer of its own: the pointer's position, not this layer's hover.)
        let over_list = self
            .suggestions_rect
            .zip(ui.ctx().pointer_hover_pos())
            .is_some_and(|(r, p)| r.contains(p));
        if topic_edit.has_focus() {
            self.suggest(model);
        }
        if (topic_edit.has_focus() || over_list) && !self.suggestions.is_empty() {
            let mut chosen = None;
            // A popup under the field, over the form: nothing below it moves.
            let list = egui::Area::new(egui::Id::unique("publish_topic_suggestions"))
                .order(egui::Order::Foreground)
                .fixed_pos(topic_edit.rect.left_bottom())
                .show(ui.ctx(), |ui| {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.set_min_width(topic_edit.rect.width() - 12.0);
                        for topic in &self.suggestions {
                            if ui
                                .add(egui::Button::new(RichText::new(topic).monospace().small()).frame(false))
                                .on_hover_text("Use this topic")
                                .clicked()
                            {
                                chosen = Some(topic.clone());
                            }
                        }
                    });
                });
            self.suggestions_rect = (!self.suggestions.is_empty()).then_some(list.response.rect);
            if let Some(topic) = chosen {
                self.topic = topic;
                self.topic_error = None;
                self.suggestions.clear();
                self.suggestions_rect = None;
            }
        } else {
            self.suggestions_rect = None;
        }
        // Selecting a topic in the tree fills the field (once per selection,
        // so typing over it afterwards sticks).
        if selected_topic != self.last_selected.as_deref() {
            self.last_selected = selected_topic.map(str::to_owned);
            // A topic that is not UTF-8 cannot be published to: the field keeps its text.
            if let Some(selected) = selected_topic.filter(|t| !crate::vocab::topic::has_invalid_bytes(t)) {
                self.topic = selected.to_owned();
                self.topic_error = None;
                self.confirm_clear = false;
            }
        }
        if let Some(error) = &self.topic_error {
            ui.label(RichText::new(error).color(style::error()));
        }
        ui.add_space(style::PANEL_GAP);
        let mut payload_label = None;
        ui.horizontal_wrapped(|ui| {
            payload_label = Some(ui.label("Payload").id);
            // Named "Payload as …" for screen readers: the inspector has buttons called Hex and JSON too.
            for format in PayloadFormat::ALL {
                let selected = self.source == Source::Typed(format);
                let tab = ui.selectable_label(selected, format.label());
                let name = format!("Payload as {}", format.label());
                tab.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, selected, &name));
                if tab.clicked() && !selected {
                    // The same bytes, shown the new way (or kept, and why).
                    self.convert_note = None;
                    if let Source::Typed(from) = self.source {
                        match crate::payload::convert(&self.payload, from, format) {
                            Ok(text) => self.payload = text,
                            Err(why) => self.convert_note = Some(why),
                        }
                    }
                    self.source = Source::Typed(format);
                    // A file still being chosen is not wanted any more.
                    self.file_browse.forget();
                    self.payload_check = None;
                }
            }
            let selected = self.source == Source::File;
            let tab = ui.selectable_label(selected, "File");
            tab.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, selected, "Payload from a file"));
            if tab.clicked() {
                self.source = Source::File;
            }
        });
        if let Some(note) = &self.convert_note {
            ui.label(RichText::new(note).small().color(style::connecting()));
        }
        match self.source {
            Source::Typed(format) => {
                // Its own id: a note appearing above it keeps its focus.
                let edit = ui.add(
                    egui::TextEdit::multiline(&mut self.payload)
                        .id_salt("publish_payload")
                        .code_editor()
                        .desired_rows(6)
                        .desired_width(f32::INFINITY),
                );
                let edit_id = edit.id;
                let edit = match payload_label {
                    Some(id) => edit.labelled_by(id),
                    None => edit,
                };
                if edit.changed() {
                    self.payload_edited();
                }
                let check = self
                    .payload_check
                    .get_or_insert_with(|| check_payload(format, &self.payload))
                    .clone();
                // The buttons keep their row whatever the check says: a long
                // mistake goes on the row under them, so nothing jumps as it
                // comes and goes while typing.
                ui.horizontal_wrapped(|ui| {
                    if format == PayloadFormat::Json
                        && ui
                            .small_button("Format")
                            .on_hover_text("Indent the JSON (placeholders are kept as written)")
                            .clicked()
                    {
                        match format_json(&self.payload) {
                            Ok(pretty) => {
                                self.payload = pretty;
                                self.payload_check = None;
                            }
                            Err(e) => self.payload_check = Some(Err(e)),
                        }
                    }
                    if matches!(format, PayloadFormat::Text | PayloadFormat::Json)
                        && placeholders::menu(ui, &mut self.payload, edit_id)
                    {
                        self.payload_edited();
                    }
                    if check.is_ok() && format == PayloadFormat::Json {
                        ui.label(RichText::new("✔ valid JSON").small().color(style::ok_text()));
                    }
                });
                if let Err(e) = &check {
                    ui.label(RichText::new(e).small().color(style::error()));
                }
            }
            Source::File => {
                ui.horizontal(|ui| {
                    let label = ui.label("File");
                    ui.add(egui::TextEdit::singleline(&mut self.file_path).desired_width(160.0))
                        .labelled_by(label.id);
                    let chosen = self.file_browse.button(
                        ui,
                        &mut self.file_path,
                        crate::ui::file_chooser::Purpose::Open,
                        "Publish a file",
                        &[],
                    );
                    // A file chosen is read at once, as Load would.
                    if ui.button("Load").clicked() || chosen {
                        let path = self.file_path.trim().to_owned();
                        let ctx = ui.ctx().clone();
                        self.file = None;
                        self.file_reading = Some(self.file_reader.submit(
                            move || {
                                crate::files::read_limited(std::path::Path::new(&path), "file", MAX_PAYLOAD_FILE_BYTES)
                                    .map(|bytes| (path, bytes))
                            },
                            move || ctx.request_repaint(),
                        ));
                    }
                });
                self.file_browse.problem_ui(ui);
                if self.file_reading.is_some() {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Reading the file…");
                    });
                }
                match &self.file {
                    Some(Ok((path, bytes))) => {
                        ui.label(format!("{} from {path}", human_size(bytes.len())));
                    }
                    Some(Err(e)) => {
                        ui.label(RichText::new(e).color(style::error()));
                    }
                    None => {}
                }
            }
        }
        ui.horizontal(|ui| {
            ui.label("QoS");
            for q in 0..=2u8 {
                ui.radio_value(&mut self.qos, q, q.to_string());
            }
            ui.checkbox(&mut self.retain, "Retain");
        });
        if protocol == ProtocolVersion::V5 {
            self.properties_ui(ui);
        }
        ui.add_space(style::PANEL_GAP);
        let shortcut = ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Enter));
        ui.horizontal(|ui| {
            let button = ui
                .add_enabled(connected, egui::Button::new("Publish"))
                .on_hover_text("Ctrl+Enter")
                .on_disabled_hover_text("Connect to a broker first");
            if button.clicked() || (shortcut && connected) {
                match self.request(protocol) {
                    Ok(request) => {
                        self.sends += 1;
                        self.result = Some(Ok(format!("Sending to {}…", request.topic)));
                        actions.push(Action::Connection(ConnectionAction::Publish(Box::new(request))));
                    }
                    // A topic mistake is shown under the topic field, not twice.
                    Err(e) => self.result = self.topic_error.is_none().then_some(Err(e)),
                }
            }
            let topic = self.topic.trim().to_owned();
            if ui
                .add_enabled(
                    connected && validate_topic(&topic).is_ok(),
                    egui::Button::new("Clear retained…"),
                )
                .on_hover_text("Publish an empty retained message: the broker forgets the retained one")
                .clicked()
            {
                self.confirm_clear = true;
            }
        });
        if self.confirm_clear {
            let topic = self.topic.trim().to_owned();
            ui.label(format!(
                "Publish an empty retained message to {topic}? The broker drops its retained message there."
            ));
            ui.horizontal(|ui| {
                if ui.button("Clear it").clicked() {
                    actions.push(Action::Connection(ConnectionAction::ClearRetained(vec![topic.clone()])));
                    self.result = Some(Ok(format!("Clearing the retained message of {topic}…")));
                    self.confirm_clear = false;
                }
                if ui.button("Keep it").clicked() {
                    self.confirm_clear = false;
                }
            });
        }
        match &self.result {
            Some(Ok(text)) => {
                ui.label(RichText::new(text).color(style::ok_text()));
            }
            Some(Err(text)) => {
                ui.label(RichText::new(text).color(style::error()));
            }
            None => {}
        }
        actions
    }

    /// Topics seen that contain what is typed, computed when the text changes.
    fn suggest(&mut self, model: &Model) {
        let query = self.topic.trim().to_lowercase();
        if self.suggestions_for.as_deref() == Some(query.as_str()) {
            return;
        }
        self.suggestions.clear();
        if !query.is_empty() {
            let tree = &model.tree;
            let mut found: Vec<String> = tree
                .ids()
                .filter(|&id| tree.node(id).own_messages > 0)
                .map(|id| tree.topic(id))
                .filter(|t| t.to_lowercase().contains(&query) && t.to_lowercase() != query)
                // The broker's own $SYS topics only when asked for: they are not published to.
                .filter(|t| !t.starts_with('$') || query.starts_with('$'))
                .take(SUGGESTIONS * 8)
                .collect();
            found.sort_by_key(|t| (!t.to_lowercase().starts_with(&query), t.len()));
            found.truncate(SUGGESTIONS);
            self.suggestions = found;
        }
        self.suggestions_for = Some(query);
    }
}

/// What is wrong with a typed payload, if anything: its placeholders, then
/// its format (with placeholders filled in).
fn check_payload(format: PayloadFormat, text: &str) -> Result<(), String> {
    let template = Template::parse(text)?;
    let rendered = template.render(
        &SendContext {
            counter: 1,
            now: SystemTime::now(),
        },
        &mut fastrand::Rng::with_seed(0),
    );
    encode(format, &rendered).map(|_| ())
}

//! Import connections (MQTT Explorer, MQTTX, mqscope), export ours, open a
//! recording: a small window with a file path, and what happened.

use std::path::PathBuf;

use egui::RichText;

use super::file_chooser::Purpose;
use super::{Action, style};
use crate::ui::{ConnectionAction, WindowAction};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferMode {
    Import,
    Export,
    /// Open a recording as an offline connection.
    Recording,
    /// Record the connection on screen to a file.
    Record,
    /// Export the stored messages of a topic and everything below it.
    ExportMessages(crate::model::NodeId),
}

#[derive(Debug)]
pub struct TransferWindow {
    mode: TransferMode,
    path: String,
    with_passwords: bool,
    /// Replay pace: None = as fast as possible, else times real time.
    speed: Option<f64>,
    /// Export messages as CSV (else NDJSON).
    csv: bool,
    /// What the last try did: a summary and per-entry notes, or the error.
    outcome: Option<Result<(String, Vec<String>), String>>,
    /// Work under way in the background ("Reading …"), until its outcome.
    busy: Option<String>,
    /// The desktop's file chooser, beside the path field.
    browse: super::file_chooser::Browse,
}

impl TransferWindow {
    /// `folder`: where the user last read or wrote a file (the home folder if none).
    pub fn new(mode: TransferMode, folder: Option<&std::path::Path>) -> Self {
        let dirs_home = || folder.map_or_else(dirs_home, std::path::Path::to_path_buf);
        let path = match mode {
            TransferMode::Import => default_import_path(),
            TransferMode::Export => dirs_home().join("mqscope-connections.json"),
            // No file is chosen yet: the field starts empty (the home folder is not a recording).
            TransferMode::Recording => PathBuf::new(),
            TransferMode::Record => dirs_home().join(format!(
                "mqscope-{}.ndjson",
                chrono::Local::now().format("%Y%m%d-%H%M%S")
            )),
            TransferMode::ExportMessages(_) => dirs_home().join(format!(
                "mqscope-messages-{}.ndjson",
                chrono::Local::now().format("%Y%m%d-%H%M%S")
            )),
        };
        Self {
            mode,
            path: path.display().to_string(),
            with_passwords: false,
            speed: None,
            csv: false,
            outcome: None,
            busy: None,
            browse: super::file_chooser::Browse::default(),
        }
    }

    pub fn set_outcome(&mut self, outcome: Result<(String, Vec<String>), String>) {
        self.outcome = Some(outcome);
        self.busy = None;
    }

    /// Say what runs in the background until [`Self::set_outcome`].
    pub fn set_busy(&mut self, what: String) {
        self.outcome = None;
        self.busy = Some(what);
    }

    pub fn ui(&mut self, ctx: &egui::Context, open: &mut bool) -> Option<Action> {
        let mut action = None;
        let mut closed = false;
        let title = match self.mode {
            TransferMode::Import => "Import connections",
            TransferMode::Export => "Export connections",
            TransferMode::Recording => "Open a recording",
            TransferMode::Record => "Record messages",
            TransferMode::ExportMessages(_) => "Export messages",
        };
        super::dialog::window(ctx, title, 520.0)
            .open(open)
            .show(ctx, |ui| {
                match self.mode {
                    TransferMode::Import => {
                        ui.label("From MQTT Explorer's settings.json (its certificates become files), MQTTX's exported connections (JSON, YAML, XML or CSV), or an mqscope export.");
                    }
                    TransferMode::Export => {
                        ui.label("All saved connections, as a file another mqscope can import.");
                    }
                    TransferMode::Record => {
                        ui.label("Every message this connection receives from now on, one JSON line each (the --record format; appended if the file exists). Open it later with Connection, Open recording…");
                    }
                    TransferMode::ExportMessages(_) => {
                        ui.label("The stored messages of this topic and every topic below it, oldest first.");
                        ui.horizontal(|ui| {
                            if ui.radio_value(&mut self.csv, false, "NDJSON (reopens as a recording)").clicked() {
                                self.path = self.path.replace(".csv", ".ndjson");
                            }
                            if ui.radio_value(&mut self.csv, true, "CSV").clicked() {
                                self.path = self.path.replace(".ndjson", ".csv");
                            }
                        });
                    }
                    TransferMode::Recording => {
                        ui.label("A file written by --record (one JSON line per message), saved mosquitto_sub output (-F %j, or -v: topic, space, payload), or MQTTX's message export (CSV). It is read as it replays, whatever its size, and opens as an offline connection: tree, inspector and charts work on it.");
                    }
                }
                ui.horizontal(|ui| {
                    let label = ui.label("File");
                    let hint = match self.mode {
                        TransferMode::Recording => "path of a recording, e.g. ~/capture.ndjson",
                        _ => "",
                    };
                    ui.add(
                        egui::TextEdit::singleline(&mut self.path)
                            .desired_width(400.0)
                            .hint_text(hint),
                    )
                    .labelled_by(label.id);
                    let (purpose, filters): (_, &[super::file_chooser::Filter]) = match self.mode {
                        TransferMode::Import => (
                            Purpose::Open,
                            &[("Connection files", &["json", "yaml", "yml", "xml", "csv"])],
                        ),
                        TransferMode::Recording => (Purpose::Open, &[]),
                        _ => (Purpose::Save, &[]),
                    };
                    self.browse.button(ui, &mut self.path, purpose, title, filters);
                });
                self.browse.problem_ui(ui);
                if self.mode == TransferMode::Export {
                    ui.checkbox(&mut self.with_passwords, "Include passwords kept in the profile file (written in plain text; keyring ones stay there)");
                }
                if self.mode == TransferMode::Recording {
                    ui.horizontal(|ui| {
                        ui.label("Replay");
                        ui.radio_value(&mut self.speed, None, "as fast as possible");
                        ui.radio_value(&mut self.speed, Some(1.0), "1×");
                        ui.radio_value(&mut self.speed, Some(10.0), "10×");
                    });
                }
                let path = PathBuf::from(self.path.trim());
                let go = match self.mode {
                    TransferMode::Import => "Import",
                    TransferMode::Export => "Export",
                    TransferMode::Recording => "Open",
                    TransferMode::Record => "Start recording",
                    TransferMode::ExportMessages(_) => "Write the file",
                };
                let mut clicked = false;
                let mut cancel = false;
                ui.horizontal(|ui| {
                    clicked = ui.add_enabled(!self.path.trim().is_empty(), egui::Button::new(go)).clicked();
                    cancel = ui.button("Cancel").clicked();
                });
                if cancel {
                    closed = true;
                }
                if clicked {
                    action = Some(match self.mode {
                        TransferMode::Import => Action::Window(WindowAction::ImportProfiles(path)),
                        TransferMode::Export => Action::Window(WindowAction::ExportProfiles {
                            path,
                            with_passwords: self.with_passwords,
                        }),
                        TransferMode::Recording => Action::Window(WindowAction::OpenRecording { path, speed: self.speed }),
                        TransferMode::Record => Action::Connection(ConnectionAction::StartRecording(path)),
                        TransferMode::ExportMessages(node) => Action::Connection(ConnectionAction::ExportMessages {
                            node,
                            path,
                            csv: self.csv,
                        }),
                    });
                }
                if let Some(busy) = &self.busy {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(busy);
                    });
                }
                match &self.outcome {
                    Some(Ok((summary, notes))) => {
                        ui.label(RichText::new(summary).color(style::ok_text()));
                        // Only the rows on screen are laid out: an import of
                        // thousands of connections has thousands of notes.
                        let row = ui.text_style_height(&egui::TextStyle::Body);
                        egui::ScrollArea::vertical()
                            .max_height(200.0)
                            .show_rows(ui, row, notes.len(), |ui, range| {
                                for note in &notes[range] {
                                    ui.add(egui::Label::new(note).truncate());
                                }
                            });
                    }
                    Some(Err(e)) => {
                        ui.label(RichText::new(e).color(style::error()));
                    }
                    None => {}
                }
            });
        if closed {
            *open = false;
        }
        action
    }
}

fn dirs_home() -> PathBuf {
    directories::UserDirs::new()
        .map(|d| d.home_dir().to_path_buf())
        .unwrap_or_default()
}

/// MQTT Explorer's settings file where it usually is, else the home folder.
fn default_import_path() -> PathBuf {
    let explorer = directories::BaseDirs::new().map(|d| d.config_dir().join("MQTT-Explorer").join("settings.json"));
    match explorer {
        Some(path) if path.exists() => path,
        _ => dirs_home(),
    }
}

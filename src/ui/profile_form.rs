//! The connection profile form (a window): protocol version, transport
//! (TCP, TLS, WebSockets), host, port, TLS files, client id, credentials,
//! session options, Last Will, limits and subscriptions. (The prompt for a
//! password the user chose not to save is `password_prompt.rs`.)

use std::path::PathBuf;

use egui::RichText;

use super::form_fields::{Check, field, file_field, number, secret_field};
use super::{Action, style};
use crate::profiles::Profile;
use crate::secret::Secret;
use crate::secret_store::{PasswordStorage, StoreStatus};
use crate::ui::WindowAction;
use crate::vocab::{LastWill, ProtocolVersion, Subscription, Transport};

#[derive(Debug)]
pub struct ProfileForm {
    /// Name of the profile being edited; `None` for a new one.
    previous: Option<String>,
    profile: Profile,
    password: String,
    passphrase: String,
    subscriptions: String,
    port: String,
    keepalive: String,
    session_expiry: String,
    max_inflight: String,
    max_packet: String,
    ca_file: String,
    client_cert: String,
    client_key: String,
    will: LastWill,
    will_enabled: bool,
    /// The profile being edited keeps its password in the keyring: an empty field keeps it.
    had_keyring: bool,
    /// What the window said of the last save (a name taken, say).
    error: Option<String>,
    /// Fields the user changed: their problems show as they type.
    touched: std::collections::HashSet<&'static str>,
    /// A save was tried: every field's problem shows.
    tried: bool,
    show_password: bool,
    show_passphrase: bool,
    /// Delete was pressed once: the form asks to confirm.
    confirm_delete: bool,
    /// The file choosers beside the CA file, client certificate and key.
    browse: [super::file_chooser::Browse; 3],
}

impl ProfileForm {
    /// A form for a new profile; its password is kept in `storage` unless the user chooses otherwise.
    pub fn new_profile(existing: &[Profile], storage: PasswordStorage) -> Self {
        let mut profile = Profile {
            password_storage: storage,
            ..Profile::default()
        };
        let mut n = 1;
        while existing.iter().any(|p| p.name == profile.name) {
            n += 1;
            profile.name = format!("Local Mosquitto {n}");
        }
        Self::edit(None, profile)
    }

    pub fn edit(previous: Option<String>, profile: Profile) -> Self {
        Self {
            had_keyring: previous.is_some() && profile.password_storage == PasswordStorage::Keyring,
            previous,
            password: profile
                .password
                .as_ref()
                .map(|p| p.expose().to_owned())
                .unwrap_or_default(),
            passphrase: profile
                .key_passphrase
                .as_ref()
                .map(|p| p.expose().to_owned())
                .unwrap_or_default(),
            subscriptions: profile
                .subscriptions
                .iter()
                .map(|s| s.filter.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            port: profile.port.to_string(),
            keepalive: profile.keepalive_s.to_string(),
            session_expiry: profile.session_expiry_s.to_string(),
            max_inflight: profile.max_inflight.to_string(),
            max_packet: match profile.max_packet_bytes {
                0 => String::new(),
                n => n.to_string(),
            },
            ca_file: path_text(&profile.tls.ca_file),
            client_cert: path_text(&profile.tls.client_cert),
            client_key: path_text(&profile.tls.client_key),
            will_enabled: profile.will.is_some(),
            will: profile.will.clone().unwrap_or_default(),
            profile,
            error: None,
            touched: Default::default(),
            tried: false,
            show_password: false,
            show_passphrase: false,
            confirm_delete: false,
            browse: Default::default(),
        }
    }

    pub fn set_error(&mut self, error: String) {
        self.error = Some(error);
    }

    /// Draws the window; `open` becomes false when the user closes it.
    pub fn ui(&mut self, ctx: &egui::Context, open: &mut bool, keyring: &StoreStatus) -> Option<Action> {
        let mut action = None;
        let mut cancelled = false;
        let problems = self.problems();
        let mut touched = std::mem::take(&mut self.touched);
        let mut check = Check {
            problems: &problems,
            tried: self.tried,
            touched: &mut touched,
        };
        let title = if self.previous.is_some() {
            "Edit connection"
        } else {
            "New connection"
        };
        super::dialog::window(ctx, title, 460.0)
            .resizable(false)
            .open(open)
            .show(ctx, |ui| {
                // Room left for the title, notes and buttons, whatever the window's height.
                let room = (ctx.content_rect().height() - 260.0).clamp(160.0, 560.0);
                egui::ScrollArea::vertical().max_height(room).show(ui, |ui| {
                    egui::Grid::new("profile_grid")
                        .num_columns(2)
                        .spacing([12.0, 6.0])
                        .show(ui, |ui| {
                            field(ui, "Name", &mut self.profile.name, "", &mut check);
                            field(
                                ui,
                                "Folder",
                                &mut self.profile.folder,
                                "optional: groups connections in the menu",
                                &mut check,
                            );
                            ui.label("Protocol");
                            ui.horizontal(|ui| {
                                for v in [ProtocolVersion::V311, ProtocolVersion::V5] {
                                    ui.radio_value(&mut self.profile.protocol, v, v.label());
                                }
                            });
                            ui.end_row();
                            ui.label("Transport");
                            ui.horizontal(|ui| {
                                let before = self.profile.transport;
                                for (t, label) in [
                                    (Transport::Tcp, "TCP"),
                                    (Transport::Tls, "TLS"),
                                    (Transport::Ws, "WebSocket"),
                                    (Transport::Wss, "WebSocket + TLS"),
                                ] {
                                    ui.radio_value(&mut self.profile.transport, t, label);
                                }
                                // Follow the usual port when the user has not chosen another.
                                if before != self.profile.transport
                                    && self.port.trim() == before.default_port().to_string()
                                {
                                    self.port = self.profile.transport.default_port().to_string();
                                }
                            });
                            ui.end_row();
                            field(
                                ui,
                                "Host",
                                &mut self.profile.host,
                                "e.g. broker.local or 192.168.1.10",
                                &mut check,
                            );
                            field(ui, "Port", &mut self.port, "1–65535", &mut check);
                            if self.profile.transport.is_websocket() {
                                field(
                                    ui,
                                    "WebSocket path",
                                    &mut self.profile.ws_path,
                                    "e.g. /mqtt",
                                    &mut check,
                                );
                            }
                            if self.profile.transport.uses_tls() {
                                file_field(
                                    ui,
                                    "CA file (PEM)",
                                    &mut self.ca_file,
                                    "empty: the system's root certificates",
                                    &mut check,
                                    &mut self.browse[0],
                                );
                                file_field(
                                    ui,
                                    "Client certificate",
                                    &mut self.client_cert,
                                    "for mutual TLS (PEM)",
                                    &mut check,
                                    &mut self.browse[1],
                                );
                                file_field(
                                    ui,
                                    "Client key",
                                    &mut self.client_key,
                                    "for mutual TLS (PEM)",
                                    &mut check,
                                    &mut self.browse[2],
                                );
                                let hint = if self.had_keyring {
                                    "if encrypted; empty keeps the saved one"
                                } else {
                                    "only for an encrypted key"
                                };
                                secret_field(
                                    ui,
                                    "Key passphrase",
                                    &mut self.passphrase,
                                    hint,
                                    &mut self.show_passphrase,
                                );
                                ui.label("");
                                ui.checkbox(
                                    &mut self.profile.tls.insecure,
                                    "Allow insecure (skip certificate verification)",
                                )
                                .on_hover_text("Encrypts but does not check who the broker is. Shown while connected.");
                                ui.end_row();
                            }
                            field(
                                ui,
                                "Client id",
                                &mut self.profile.client_id,
                                "empty: generated mqscope-…",
                                &mut check,
                            );
                            field(ui, "User name", &mut self.profile.username, "", &mut check);
                            let hint = if self.had_keyring {
                                "saved in the system keyring; type to replace"
                            } else {
                                ""
                            };
                            secret_field(ui, "Password", &mut self.password, hint, &mut self.show_password);
                            ui.label("Keep the password")
                                .on_hover_text("The password and the client key's passphrase are kept alike");
                            ui.vertical(|ui| self.storage_ui(ui, keyring));
                            ui.end_row();
                            field(ui, "Keepalive (s)", &mut self.keepalive, "seconds, e.g. 60", &mut check);
                            ui.label("");
                            let clean = match self.profile.protocol {
                                ProtocolVersion::V311 => "Clean session",
                                ProtocolVersion::V5 => "Clean start",
                            };
                            ui.checkbox(&mut self.profile.clean_session, clean);
                            ui.end_row();
                            if self.profile.protocol == ProtocolVersion::V5 {
                                field(
                                    ui,
                                    "Session expiry (s)",
                                    &mut self.session_expiry,
                                    "0: ends with the connection",
                                    &mut check,
                                );
                            }
                            field(ui, "Max in flight", &mut self.max_inflight, "e.g. 100", &mut check);
                            field(
                                ui,
                                "Max packet (bytes)",
                                &mut self.max_packet,
                                "empty: as in Settings",
                                &mut check,
                            );
                            ui.label("");
                            ui.checkbox(&mut self.will_enabled, "Last Will").on_hover_text(
                                "A message the broker publishes for us if we vanish without disconnecting",
                            );
                            ui.end_row();
                            if self.will_enabled {
                                field(
                                    ui,
                                    "Will topic",
                                    &mut self.will.topic,
                                    "e.g. clients/mqscope/status",
                                    &mut check,
                                );
                                field(ui, "Will payload", &mut self.will.payload, "e.g. offline", &mut check);
                                ui.label("Will QoS");
                                ui.horizontal(|ui| {
                                    for q in 0..=2 {
                                        ui.radio_value(&mut self.will.qos, q, q.to_string());
                                    }
                                    ui.checkbox(&mut self.will.retain, "Retain");
                                });
                                ui.end_row();
                                if self.profile.protocol == ProtocolVersion::V5 {
                                    let mut delay = self.will.delay_s.to_string();
                                    field(ui, "Will delay (s)", &mut delay, "0", &mut check);
                                    if let Ok(d) = delay.trim().parse() {
                                        self.will.delay_s = d;
                                    } else if delay.trim().is_empty() {
                                        self.will.delay_s = 0;
                                    }
                                }
                            }
                            let label = ui.label("Subscriptions");
                            let edit = ui
                                .add(
                                    egui::TextEdit::multiline(&mut self.subscriptions)
                                        .desired_rows(3)
                                        .hint_text("one filter per line, e.g. home/#"),
                                )
                                .labelled_by(label.id);
                            if edit.changed() {
                                check.touched.insert("Subscriptions");
                                ui.ctx().request_discard("the subscriptions changed");
                            }
                            ui.end_row();
                            check.under(ui, "Subscriptions");
                        });
                });
                if self.profile.password_storage == PasswordStorage::File && !self.password.is_empty() {
                    ui.label(
                        RichText::new(
                            "The password will be stored unencrypted in profiles.json (readable only by you).",
                        )
                        .color(style::connecting()),
                    );
                }
                if let Some(error) = &self.error {
                    ui.label(RichText::new(error).color(style::error()));
                }
                if self.tried && !problems.is_empty() {
                    let n = problems.len();
                    let noun = if n == 1 { "field needs" } else { "fields need" };
                    ui.label(
                        RichText::new(format!("Not saved: {n} {noun} a fix (marked ⚠ above).")).color(style::error()),
                    );
                }
                ui.separator();
                ui.horizontal(|ui| {
                    let save = ui.button("Save").clicked();
                    let connect = ui.button("Save and connect").clicked();
                    if ui.button("Cancel").clicked() {
                        cancelled = true;
                    }
                    if (save || connect)
                        && {
                            self.tried = true;
                            problems.is_empty()
                        }
                        && let Some(profile) = self.build()
                    {
                        action = Some(Action::Window(WindowAction::SaveProfile {
                            previous: self.previous.clone(),
                            profile: Box::new(profile),
                            connect,
                            password: secret(&self.password),
                            passphrase: secret(&self.passphrase),
                        }));
                    }
                    // Delete stands apart, on the right, in red, and asks first.
                    if let Some(name) = &self.previous {
                        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                            if self.confirm_delete {
                                if ui.button("Keep it").clicked() {
                                    self.confirm_delete = false;
                                }
                                let sure =
                                    egui::Button::new(RichText::new("Delete for good").color(egui::Color32::WHITE))
                                        .fill(style::DANGER);
                                if ui.add(sure).clicked() {
                                    action = Some(Action::Window(WindowAction::DeleteProfile(name.clone())));
                                }
                                ui.label(format!("Delete '{name}'?"));
                            } else if ui
                                .add(egui::Button::new(RichText::new("Delete").color(style::error())))
                                .on_hover_text("Delete this connection (and its keyring entries); asks first")
                                .clicked()
                            {
                                self.confirm_delete = true;
                            }
                        });
                    }
                });
            });
        self.touched = touched;
        if cancelled {
            *open = false;
        }
        action
    }

    /// The three places a password can live; the keyring greyed out, with the reason, when there is none.
    fn storage_ui(&mut self, ui: &mut egui::Ui, keyring: &StoreStatus) {
        let storage = &mut self.profile.password_storage;
        let usable = *keyring == StoreStatus::Available;
        let combo = egui::ComboBox::from_id_salt("password_storage")
            .selected_text(storage.label())
            .width(240.0)
            .show_ui(ui, |ui| {
                let keyring_choice = ui
                    .add_enabled(
                        usable,
                        egui::Button::selectable(
                            *storage == PasswordStorage::Keyring,
                            PasswordStorage::Keyring.label(),
                        ),
                    )
                    .on_hover_text("Encrypted by the operating system (Secret Service, Keychain, Credential Manager)");
                if keyring_choice.clicked() {
                    *storage = PasswordStorage::Keyring;
                }
                ui.selectable_value(storage, PasswordStorage::File, PasswordStorage::File.label())
                    .on_hover_text("Unencrypted in profiles.json, which only your user can read (0600)");
                ui.selectable_value(storage, PasswordStorage::Ask, PasswordStorage::Ask.label())
                    .on_hover_text("Kept only in memory while mqscope runs");
            });
        let chosen = storage.label();
        combo.response.widget_info(|| {
            let mut info = egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Password storage");
            info.current_text_value = Some(chosen.to_owned());
            info
        });
        if self.had_keyring && *storage == PasswordStorage::Keyring && self.password.is_empty() {
            ui.weak("The password saved there stays unless you type a new one.");
        }
        match keyring {
            StoreStatus::Available => {}
            StoreStatus::Checking => {
                ui.weak("(checking for a system keyring…)");
            }
            StoreStatus::Unavailable(why) => {
                ui.weak(format!("No system keyring: {why}."));
            }
        }
    }

    /// What is wrong with the draft, by field, in the form's order: shown
    /// under each field as it is typed, and what keeps Save from saving.
    fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if self.profile.name.trim().is_empty() {
            problems.push(("Name", "Give the connection a name.".to_owned()));
        }
        let host = self.profile.host.trim();
        if host.is_empty() {
            problems.push(("Host", "Enter the broker's host name or address.".to_owned()));
        } else if host.contains("://") || host.contains(char::is_whitespace) {
            problems.push((
                "Host",
                "Only the host name or address: the transport and port have their own fields.".to_owned(),
            ));
        }
        if !matches!(self.port.trim().parse::<u16>(), Ok(p) if p > 0) {
            problems.push((
                "Port",
                format!("'{}' is not a port number (1-65535).", self.port.trim()),
            ));
        }
        if self.profile.transport.uses_tls() && self.client_cert.trim().is_empty() != self.client_key.trim().is_empty()
        {
            problems.push((
                "Client key",
                "A client certificate and its key go together: give both files, or neither.".to_owned(),
            ));
        }
        if self.keepalive.trim().parse::<u16>().is_err() {
            problems.push((
                "Keepalive (s)",
                format!("'{}' is not a keepalive in seconds (0-65535).", self.keepalive.trim()),
            ));
        }
        if self.profile.protocol == ProtocolVersion::V5
            && let Err(e) = number(&self.session_expiry, "seconds")
                .and_then(|n| u32::try_from(n).map_err(|_| "The session expiry is at most 4294967295 s.".to_owned()))
        {
            problems.push(("Session expiry (s)", e));
        }
        match number(&self.max_inflight, "messages") {
            Ok(n) if (1..=u64::from(u16::MAX)).contains(&n) => {}
            Ok(_) => problems.push(("Max in flight", "Max in flight is between 1 and 65535.".to_owned())),
            Err(e) => problems.push(("Max in flight", e)),
        }
        match number(&self.max_packet, "bytes") {
            Ok(n) if n == 0 || (1_024..=crate::vocab::DEFAULT_MAX_PACKET_BYTES as u64).contains(&n) => {}
            Ok(_) => problems.push((
                "Max packet (bytes)",
                "The max packet size is between 1024 and 268435455 bytes.".to_owned(),
            )),
            Err(e) => problems.push(("Max packet (bytes)", e)),
        }
        if self.will_enabled
            && let Err(e) = crate::vocab::topic::validate_topic(&self.will.topic)
        {
            problems.push(("Will topic", e.to_string()));
        }
        for filter in self.filters() {
            if let Err(e) = crate::vocab::topic::validate_filter(filter) {
                problems.push(("Subscriptions", format!("'{filter}': {e}")));
                break;
            }
        }
        problems
    }

    /// The subscription filters typed, one per line (or comma).
    fn filters(&self) -> impl Iterator<Item = &str> {
        self.subscriptions
            .split(['\n', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// The profile the form describes, when it has no problems left.
    fn build(&mut self) -> Option<Profile> {
        if !self.problems().is_empty() {
            return None;
        }
        let mut profile = self.profile.clone();
        profile.name = profile.name.trim().to_owned();
        profile.host = profile.host.trim().to_owned();
        profile.port = self.port.trim().parse().ok()?;
        profile.keepalive_s = self.keepalive.trim().parse().ok()?;
        // Keep the QoS and options of filters that stay; new ones get the defaults.
        profile.subscriptions = self
            .filters()
            .map(|f| {
                self.profile
                    .subscriptions
                    .iter()
                    .find(|s| s.filter == f)
                    .cloned()
                    .unwrap_or_else(|| Subscription::new(f))
            })
            .collect();
        // An MQTT 5 setting: on 3.1.1 the field is not shown, and not read.
        profile.session_expiry_s = if profile.protocol == ProtocolVersion::V5 {
            u32::try_from(number(&self.session_expiry, "seconds").ok()?).ok()?
        } else {
            0
        };
        profile.max_inflight = u16::try_from(number(&self.max_inflight, "messages").ok()?).ok()?;
        profile.max_packet_bytes = number(&self.max_packet, "bytes").ok()? as usize;
        profile.tls.ca_file = path_of(&self.ca_file);
        profile.tls.client_cert = path_of(&self.client_cert);
        profile.tls.client_key = path_of(&self.client_key);
        profile.will = self.will_enabled.then(|| self.will.clone());
        profile.password = secret(&self.password);
        profile.key_passphrase = secret(&self.passphrase);
        if let Err(e) = profile.validate() {
            self.error = Some(e);
            return None;
        }
        self.error = None;
        Some(profile)
    }
}

/// A typed secret; an empty field is none.
fn secret(text: &str) -> Option<Secret> {
    (!text.is_empty()).then(|| Secret::new(text))
}

fn path_text(path: &Option<PathBuf>) -> String {
    path.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
}

fn path_of(text: &str) -> Option<PathBuf> {
    let text = text.trim();
    (!text.is_empty()).then(|| PathBuf::from(text))
}

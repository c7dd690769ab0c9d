//! The connection profile form (a window): protocol version, transport
//! (TCP, TLS, WebSockets), host, port, TLS files, client id, credentials,
//! session options, Last Will, limits and subscriptions. Also the small
//! prompt that asks for a password the user chose not to save.

use std::path::PathBuf;

use egui::RichText;

use super::{Action, style};
use crate::profiles::Profile;
use crate::secret::Secret;
use crate::secret_store::{Credentials, PasswordStorage, StoreStatus};
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
    error: Option<String>,
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
        }
    }

    pub fn set_error(&mut self, error: String) {
        self.error = Some(error);
    }

    /// Draws the window; `open` becomes false when the user closes it.
    pub fn ui(&mut self, ctx: &egui::Context, open: &mut bool, keyring: &StoreStatus) -> Option<Action> {
        let mut action = None;
        let title = if self.previous.is_some() {
            "Edit connection"
        } else {
            "New connection"
        };
        egui::Window::new(title)
            .collapsible(false)
            .resizable(false)
            .default_width(380.0)
            .open(open)
            .show(ctx, |ui| {
                egui::ScrollArea::vertical().max_height(560.0).show(ui, |ui| {
                    egui::Grid::new("profile_grid")
                        .num_columns(2)
                        .spacing([12.0, 6.0])
                        .show(ui, |ui| {
                            field(ui, "Name", &mut self.profile.name, "");
                            field(
                                ui,
                                "Folder",
                                &mut self.profile.folder,
                                "optional: groups connections in the menu",
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
                            field(ui, "Host", &mut self.profile.host, "localhost");
                            field(ui, "Port", &mut self.port, "1883");
                            if self.profile.transport.is_websocket() {
                                field(ui, "WebSocket path", &mut self.profile.ws_path, "/mqtt");
                            }
                            if self.profile.transport.uses_tls() {
                                field(
                                    ui,
                                    "CA file (PEM)",
                                    &mut self.ca_file,
                                    "empty: the system's root certificates",
                                );
                                field(ui, "Client certificate", &mut self.client_cert, "for mutual TLS (PEM)");
                                field(ui, "Client key", &mut self.client_key, "for mutual TLS (PEM)");
                                let hint = if self.had_keyring {
                                    "if encrypted; empty keeps the saved one"
                                } else {
                                    "only for an encrypted key"
                                };
                                secret_field(ui, "Key passphrase", &mut self.passphrase, hint);
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
                            );
                            field(ui, "User name", &mut self.profile.username, "");
                            let hint = if self.had_keyring {
                                "saved in the system keyring; type to replace"
                            } else {
                                ""
                            };
                            secret_field(ui, "Password", &mut self.password, hint);
                            ui.label("Keep the password")
                                .on_hover_text("The password and the client key's passphrase are kept alike");
                            ui.vertical(|ui| self.storage_ui(ui, keyring));
                            ui.end_row();
                            field(ui, "Keepalive (s)", &mut self.keepalive, "60");
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
                                );
                            }
                            field(ui, "Max in flight", &mut self.max_inflight, "100");
                            field(ui, "Max packet (bytes)", &mut self.max_packet, "empty: as in Settings");
                            ui.label("");
                            ui.checkbox(&mut self.will_enabled, "Last Will").on_hover_text(
                                "A message the broker publishes for us if we vanish without disconnecting",
                            );
                            ui.end_row();
                            if self.will_enabled {
                                field(ui, "Will topic", &mut self.will.topic, "clients/mqscope/status");
                                field(ui, "Will payload", &mut self.will.payload, "offline");
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
                                    field(ui, "Will delay (s)", &mut delay, "0");
                                    if let Ok(d) = delay.trim().parse() {
                                        self.will.delay_s = d;
                                    } else if delay.trim().is_empty() {
                                        self.will.delay_s = 0;
                                    }
                                }
                            }
                            let label = ui.label("Subscriptions");
                            ui.add(
                                egui::TextEdit::multiline(&mut self.subscriptions)
                                    .desired_rows(3)
                                    .hint_text("one filter per line, e.g. #"),
                            )
                            .labelled_by(label.id);
                            ui.end_row();
                        });
                });
                if self.profile.password_storage == PasswordStorage::File && !self.password.is_empty() {
                    ui.label(
                        RichText::new(
                            "The password will be stored unencrypted in profiles.json (readable only by you).",
                        )
                        .color(style::CONNECTING),
                    );
                }
                if let Some(error) = &self.error {
                    ui.label(RichText::new(error).color(style::ERROR));
                }
                ui.separator();
                ui.horizontal(|ui| {
                    let save = ui.button("Save").clicked();
                    let connect = ui.button("Save and connect").clicked();
                    if (save || connect)
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
                    if let Some(name) = &self.previous
                        && ui.button("Delete").clicked()
                    {
                        action = Some(Action::Window(WindowAction::DeleteProfile(name.clone())));
                    }
                });
            });
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

    fn build(&mut self) -> Option<Profile> {
        let mut profile = self.profile.clone();
        profile.name = profile.name.trim().to_owned();
        profile.port = match self.port.trim().parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => {
                self.error = Some(format!("'{}' is not a port number (1-65535).", self.port.trim()));
                return None;
            }
        };
        profile.keepalive_s = match self.keepalive.trim().parse::<u16>() {
            Ok(k) => k,
            Err(_) => {
                self.error = Some(format!(
                    "'{}' is not a keepalive in seconds (0-65535).",
                    self.keepalive.trim()
                ));
                return None;
            }
        };
        // Keep the QoS and options of filters that stay; new ones get the defaults.
        profile.subscriptions = self
            .subscriptions
            .split(['\n', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|f| {
                self.profile
                    .subscriptions
                    .iter()
                    .find(|s| s.filter == f)
                    .cloned()
                    .unwrap_or_else(|| Subscription::new(f))
            })
            .collect();
        let number = |text: &str, what: &str| -> Result<u64, String> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(0);
            }
            text.parse::<u64>()
                .map_err(|_| format!("'{text}' is not a number of {what}."))
        };
        let numbers = (|| -> Result<(), String> {
            profile.session_expiry_s = u32::try_from(number(&self.session_expiry, "seconds")?)
                .map_err(|_| "The session expiry is at most 4294967295 s.".to_owned())?;
            profile.max_inflight = u16::try_from(number(&self.max_inflight, "messages")?)
                .ok()
                .filter(|n| *n > 0)
                .ok_or("Max in flight is between 1 and 65535.")?;
            let max_packet = number(&self.max_packet, "bytes")?;
            if max_packet != 0 && !(1_024..=crate::vocab::DEFAULT_MAX_PACKET_BYTES as u64).contains(&max_packet) {
                return Err("The max packet size is between 1024 and 268435455 bytes.".into());
            }
            profile.max_packet_bytes = max_packet as usize;
            Ok(())
        })();
        if let Err(e) = numbers {
            self.error = Some(e);
            return None;
        }
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

/// A grid row with a masked text field.
fn secret_field(ui: &mut egui::Ui, label: &str, value: &mut String, hint: &str) {
    let label = ui.label(label);
    ui.add(egui::TextEdit::singleline(value).password(true).hint_text(hint))
        .labelled_by(label.id);
    ui.end_row();
}

fn field(ui: &mut egui::Ui, label: &str, value: &mut String, hint: &str) {
    let label = ui.label(label);
    ui.add(egui::TextEdit::singleline(value).hint_text(hint))
        .labelled_by(label.id);
    ui.end_row();
}

/// Asks for what a profile needs and does not have: its password, its key
/// passphrase, or both.
#[derive(Debug)]
pub struct PasswordPrompt {
    pub profile: String,
    pub asks_password: bool,
    pub asks_passphrase: bool,
    /// What is known already (from the keyring or the file), sent along.
    known: Credentials,
    password: String,
    passphrase: String,
    focused: bool,
    /// Why it asks, when that is not the usual reason (a keyring without the entry, say).
    note: Option<String>,
}

impl PasswordPrompt {
    pub fn new(profile: String, asks_password: bool, asks_passphrase: bool, known: Credentials) -> Self {
        Self {
            profile,
            asks_password,
            asks_passphrase,
            known,
            password: String::new(),
            passphrase: String::new(),
            focused: false,
            note: None,
        }
    }

    pub fn note(&mut self, note: String) {
        self.note = Some(note);
    }

    pub fn ui(&mut self, ctx: &egui::Context, open: &mut bool) -> Option<Action> {
        let mut action = None;
        let title = if self.asks_password {
            format!("Password for {}", self.profile)
        } else {
            format!("Key passphrase for {}", self.profile)
        };
        egui::Window::new(title)
            .collapsible(false)
            .resizable(false)
            .open(open)
            .show(ctx, |ui| {
                if let Some(note) = &self.note {
                    ui.label(note);
                }
                let mut enter = false;
                let mut first = true;
                for (asked, label, text) in [
                    (self.asks_password, "Password", &mut self.password),
                    (self.asks_passphrase, "Key passphrase", &mut self.passphrase),
                ] {
                    if !asked {
                        continue;
                    }
                    let label = ui.label(label);
                    let edit = ui
                        .add(egui::TextEdit::singleline(text).password(true))
                        .labelled_by(label.id);
                    if first && !self.focused {
                        edit.request_focus();
                        self.focused = true;
                    }
                    first = false;
                    enter |= edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                }
                if ui.button("Connect").clicked() || enter {
                    let typed = |asked: bool, text: &mut String, known: &Option<Secret>| {
                        if asked {
                            Some(Secret::new(std::mem::take(text)))
                        } else {
                            known.clone()
                        }
                    };
                    action = Some(Action::Window(WindowAction::ConnectProfile {
                        name: self.profile.clone(),
                        password: typed(self.asks_password, &mut self.password, &self.known.password),
                        passphrase: typed(self.asks_passphrase, &mut self.passphrase, &self.known.passphrase),
                    }));
                }
            });
        action
    }
}

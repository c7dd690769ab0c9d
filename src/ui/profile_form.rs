//! The connection profile form (a window): host, port, client id, user name,
//! password, keepalive, clean session and subscriptions. Also the small prompt
//! that asks for a password the user chose not to save.

use egui::RichText;

use super::{Action, style};
use crate::profiles::Profile;
use crate::secret::Secret;

#[derive(Debug)]
pub struct ProfileForm {
    /// Name of the profile being edited; `None` for a new one.
    previous: Option<String>,
    profile: Profile,
    password: String,
    subscriptions: String,
    port: String,
    keepalive: String,
    error: Option<String>,
}

impl ProfileForm {
    pub fn new_profile(existing: &[Profile]) -> Self {
        let mut profile = Profile::default();
        let mut n = 1;
        while existing.iter().any(|p| p.name == profile.name) {
            n += 1;
            profile.name = format!("Local Mosquitto {n}");
        }
        Self::edit(None, profile)
    }

    pub fn edit(previous: Option<String>, profile: Profile) -> Self {
        Self {
            previous,
            password: profile
                .password
                .as_ref()
                .map(|p| p.expose().to_owned())
                .unwrap_or_default(),
            subscriptions: profile.subscriptions.join("\n"),
            port: profile.port.to_string(),
            keepalive: profile.keepalive_s.to_string(),
            profile,
            error: None,
        }
    }

    pub fn set_error(&mut self, error: String) {
        self.error = Some(error);
    }

    /// Draws the window; `open` becomes false when the user closes it.
    pub fn ui(&mut self, ctx: &egui::Context, open: &mut bool) -> Option<Action> {
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
                egui::Grid::new("profile_grid")
                    .num_columns(2)
                    .spacing([12.0, 6.0])
                    .show(ui, |ui| {
                        field(ui, "Name", &mut self.profile.name, "");
                        field(ui, "Host", &mut self.profile.host, "localhost");
                        field(ui, "Port", &mut self.port, "1883");
                        field(
                            ui,
                            "Client id",
                            &mut self.profile.client_id,
                            "empty: generated mqscope-…",
                        );
                        field(ui, "User name", &mut self.profile.username, "");
                        let label = ui.label("Password");
                        ui.add(egui::TextEdit::singleline(&mut self.password).password(true))
                            .labelled_by(label.id);
                        ui.end_row();
                        ui.label("");
                        ui.checkbox(
                            &mut self.profile.save_password,
                            "Save password in the profile file (plain text)",
                        )
                        .on_hover_text("Otherwise mqscope asks for it at each connect and keeps it only in memory.");
                        ui.end_row();
                        field(ui, "Keepalive (s)", &mut self.keepalive, "60");
                        ui.label("");
                        ui.checkbox(&mut self.profile.clean_session, "Clean session");
                        ui.end_row();
                        let label = ui.label("Subscriptions");
                        ui.add(
                            egui::TextEdit::multiline(&mut self.subscriptions)
                                .desired_rows(3)
                                .hint_text("one filter per line, e.g. #"),
                        )
                        .labelled_by(label.id);
                        ui.end_row();
                    });
                if self.profile.save_password && !self.password.is_empty() {
                    ui.label(
                        RichText::new("The password will be stored unencrypted (file readable only by you).")
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
                        let password = (!self.password.is_empty()).then(|| Secret::new(self.password.clone()));
                        action = Some(Action::SaveProfile {
                            previous: self.previous.clone(),
                            profile,
                            connect,
                            password,
                        });
                    }
                    if let Some(name) = &self.previous
                        && ui.button("Delete").clicked()
                    {
                        action = Some(Action::DeleteProfile(name.clone()));
                    }
                });
            });
        action
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
        profile.subscriptions = self
            .subscriptions
            .split(['\n', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        profile.password = (!self.password.is_empty()).then(|| Secret::new(self.password.clone()));
        if let Err(e) = profile.validate() {
            self.error = Some(e);
            return None;
        }
        self.error = None;
        Some(profile)
    }
}

fn field(ui: &mut egui::Ui, label: &str, value: &mut String, hint: &str) {
    let label = ui.label(label);
    ui.add(egui::TextEdit::singleline(value).hint_text(hint))
        .labelled_by(label.id);
    ui.end_row();
}

/// Asks for the password of a profile that does not save it.
#[derive(Debug)]
pub struct PasswordPrompt {
    pub profile: String,
    password: String,
    focused: bool,
}

impl PasswordPrompt {
    pub fn new(profile: String) -> Self {
        Self {
            profile,
            password: String::new(),
            focused: false,
        }
    }

    pub fn ui(&mut self, ctx: &egui::Context, open: &mut bool) -> Option<Action> {
        let mut action = None;
        egui::Window::new(format!("Password for {}", self.profile))
            .collapsible(false)
            .resizable(false)
            .open(open)
            .show(ctx, |ui| {
                let label = ui.label("Password");
                let edit = ui
                    .add(egui::TextEdit::singleline(&mut self.password).password(true))
                    .labelled_by(label.id);
                if !self.focused {
                    edit.request_focus();
                    self.focused = true;
                }
                let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if ui.button("Connect").clicked() || enter {
                    action = Some(Action::ConnectProfile {
                        name: self.profile.clone(),
                        password: Some(Secret::new(std::mem::take(&mut self.password))),
                    });
                }
            });
        action
    }
}

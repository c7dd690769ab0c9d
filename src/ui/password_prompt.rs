//! The small modal that asks for what a profile needs and does not have:
//! its password, its key passphrase, or both (secrets the user chose not to
//! save, or a keyring without the entry).

use crate::secret::Secret;
use crate::secret_store::Credentials;
use crate::ui::{Action, WindowAction};

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
        // Modal: nothing else happens until it is answered or cancelled.
        let modal = egui::Modal::new(egui::Id::unique("password_prompt")).show(ctx, |ui| {
            ui.set_width(340.0);
            ui.heading(&title);
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
            let mut connect = enter;
            ui.horizontal(|ui| {
                connect |= ui.button("Connect").clicked();
                if ui.button("Cancel").clicked() {
                    *open = false;
                }
            });
            if connect {
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
        // Not on a click beside it (a misclick would throw away what was
        // typed): Cancel, or Escape (the window's dialogs_ui), closes it.
        let _ = modal;
        action
    }
}

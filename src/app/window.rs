//! What the window carries out: its own actions (tabs, profiles, files,
//! settings, words), what a connection's action asks of it (`Effect`), the
//! profile workflow's steps (`Next`), and opening a connection, a recording or
//! the demo in a tab of its own.

use super::*;
use crate::accounts::Next;
use crate::demo::DEMO_NAME;
use crate::model::Model;
use crate::mqtt::ConnectionHandle;
use crate::secret_store::Credentials;
use crate::session::{Effect, Session};
use crate::ui::Action;
use crate::ui::WindowAction;
use crate::ui::clear_retained::ClearRetainedPrompt;
use crate::ui::password_prompt::PasswordPrompt;
use crate::ui::profile_form::ProfileForm;
use crate::ui::settings::SettingsWindow;
use crate::ui::transfer::TransferWindow;
use crate::vocab::ConnectionSpec;

impl MqscopeApp {
    pub(super) fn start(&mut self, startup: Startup) {
        match startup {
            Startup::Welcome => {}
            Startup::Demo => self.handle(Action::Window(WindowAction::StartDemo)),
            Startup::Connect(spec) => self.connect(*spec),
            Startup::Profile(name) => self.handle(Action::Window(WindowAction::ConnectProfile {
                name,
                password: None,
                passphrase: None,
            })),
            Startup::Open(path) => self.handle(Action::Window(WindowAction::OpenRecording { path, speed: None })),
        }
    }

    /// Open a new connection in its own tab and show it.
    pub(super) fn connect(&mut self, mut spec: ConnectionSpec) {
        if spec.max_packet_bytes == 0 {
            spec.max_packet_bytes = self.settings.max_packet_bytes();
        }
        let Some(wake) = self.wake.clone() else {
            self.pending = Some(Startup::Connect(Box::new(spec)));
            return;
        };
        tracing::info!(name = %spec.name, address = %spec.url(), protocol = spec.protocol.label(), "connecting");
        // The same connection open in a tab (closed, failed, or edited and
        // connected again): connected again in that tab, its tree kept. The
        // same name on another broker (the profile's address was edited): the
        // old tab closes, so that no two tabs share a name.
        if let Some(index) = self
            .sessions
            .iter()
            .position(|s| s.offline_file.is_none() && s.name() == spec.name)
        {
            if self.sessions[index].handle.spec.url() == spec.url() {
                let handle = ConnectionHandle::spawn(spec, &self.runtime, wake);
                self.sessions[index].replace_connection(handle, &mut self.notices);
                self.active = index;
                return;
            }
            self.close_session(index);
        }
        let handle = ConnectionHandle::spawn(spec, &self.runtime, wake);
        let mut model = Model::new(self.settings.history_limits(), self.settings.chart_points());
        model.set_ha_prefix(&self.settings.ha_prefix);
        // What this connection kept last time: charts, templates, sent messages.
        let name = handle.name();
        let kept = self.accounts.kept(name);
        model.restore_charts(&kept.charts);
        if name == DEMO_NAME && model.charts.charts().is_empty() {
            model.restore_charts(&crate::demo::default_charts());
        }
        // `--chart` series open on the first connection.
        for (topic, path) in self.charts.drain(..) {
            model.add_series(&topic, &path);
        }
        let id = self.next_session_id;
        self.next_session_id += 1;
        let mut session = Session::new(id, handle, model);
        // `--record`: the first connection records from its first message, and
        // can be stopped from the top bar like a recording started there.
        session.recorder = self.recorder.take();
        if let Some(topics) = self.expanded_memory.get(session.name()) {
            session.tree.restore_expanded(topics.clone());
        }
        session.publish.templates = kept.templates;
        session.publish.history = kept.published;
        self.sessions.push(session);
        self.active = self.sessions.len() - 1;
    }

    /// Keep the chart layouts of the connection on screen.
    pub(super) fn save_chart_layouts(&mut self) {
        if let Some(session) = self.sessions.get(self.active) {
            let step = self
                .accounts
                .keep_charts(session.name(), session.model.charts.layouts());
            self.follow(step.into_iter().collect());
        }
    }

    /// Open a recording in its own tab, replayed into a fresh Model. The file
    /// is read on a thread of its own as the replay goes; the tab says how far
    /// it got, what it could not read, or why it could not read at all.
    pub(super) fn open_recording(&mut self, path: &std::path::Path, speed: Option<f64>) -> Result<(), String> {
        let Some(wake) = self.wake.clone() else {
            self.pending = Some(Startup::Open(path.to_path_buf()));
            return Ok(());
        };
        let file = path
            .file_name()
            .map_or_else(|| path.display().to_string(), |f| f.to_string_lossy().into_owned());
        let mut spec = ConnectionSpec::new("recording", 0);
        spec.name = format!("{file} (offline)");
        tracing::info!(name = %spec.name, "opening a recording");
        let feed = crate::record::feed_from_file(path);
        let handle = ConnectionHandle::replay(spec, feed, speed, &self.runtime, wake);
        let mut model = Model::new(self.settings.history_limits(), self.settings.chart_points());
        model.set_ha_prefix(&self.settings.ha_prefix);
        let id = self.next_session_id;
        self.next_session_id += 1;
        let mut session = Session::new(id, handle, model);
        session.offline_file = Some(path.to_path_buf());
        self.sessions.push(session);
        self.active = self.sessions.len() - 1;
        Ok(())
    }

    /// Look at the file the Open window names, on a thread of its own; the
    /// tab opens (or the window says why not) in `finish_recording_check`.
    pub(super) fn check_recording(&mut self, path: std::path::PathBuf, speed: Option<f64>) {
        let wake = self.wake.clone();
        let checked = path.clone();
        let ticket = self.recording_check.submit(
            move || match std::fs::metadata(&checked) {
                Ok(meta) if meta.is_dir() => Err(format!(
                    "{} is a folder: choose a recording file in it.",
                    checked.display()
                )),
                Ok(_) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Err(format!("There is no file at {}.", checked.display()))
                }
                Err(e) => Err(format!("Cannot read {}: {e}", checked.display())),
            },
            move || {
                if let Some(wake) = &wake {
                    wake();
                }
            },
        );
        self.recording_pending = Some((ticket, path, speed));
        if let Some(window) = &mut self.transfer {
            window.set_busy("Looking at the file…".to_owned());
        }
    }

    /// The Open window's check came back: open the tab, or say why not there.
    pub(super) fn finish_recording_check(&mut self) {
        let Some((ticket, _, _)) = &self.recording_pending else {
            return;
        };
        let Some(result) = self.recording_check.take(*ticket) else {
            return;
        };
        let Some((_, path, speed)) = self.recording_pending.take() else {
            return;
        };
        match result.and_then(|checked| checked) {
            Ok(()) => self.open_checked_recording(&path, speed),
            Err(e) => match &mut self.transfer {
                Some(window) => window.set_outcome(Err(e)),
                None => self.notices.warn(e),
            },
        }
    }

    fn open_checked_recording(&mut self, path: &std::path::Path, speed: Option<f64>) {
        match self.open_recording(path, speed) {
            Ok(()) => self.transfer = None,
            Err(e) => match &mut self.transfer {
                Some(window) => window.set_outcome(Err(e)),
                None => self.notices.warn(e),
            },
        }
    }

    /// Carry out what the profile workflow decided.
    pub(super) fn follow(&mut self, steps: Vec<Next>) {
        for step in steps {
            match step {
                Next::Connect { profile, spec } => {
                    self.password_prompt = None;
                    self.last_profile = Some(profile);
                    self.connect(*spec);
                }
                Next::Ask(request) => {
                    let mut prompt =
                        PasswordPrompt::new(request.profile, request.password, request.passphrase, request.known);
                    if let Some(note) = request.note {
                        prompt.note(note);
                    }
                    self.password_prompt = Some(prompt);
                }
                Next::Info(words) => self.notices.info(words),
                Next::Warn(words) => self.notices.warn(words),
                Next::FormError(error) => {
                    if let Some(form) = &mut self.profile_form {
                        form.set_error(error);
                    }
                }
                Next::FormDone => self.profile_form = None,
            }
        }
    }

    /// Read a file of connections on a background thread; `finish_import` adds them.
    pub(super) fn start_import(&mut self, path: std::path::PathBuf) {
        if let Some(window) = &mut self.transfer {
            window.set_busy(format!("Reading {}…", path.display()));
        }
        self.accounts.start_import(path, self.wake.clone());
    }

    /// Say what the imports finished since the last frame added.
    pub(super) fn finish_import(&mut self) {
        for outcome in self.accounts.finished_imports() {
            match &mut self.transfer {
                Some(window) => window.set_outcome(outcome),
                None => match outcome {
                    Ok((summary, _)) => self.notices.info(summary),
                    Err(e) => self.notices.warn(e),
                },
            }
        }
    }

    /// Keep the publish templates of the connection on screen.
    pub(super) fn save_templates(&mut self, templates: Vec<crate::publish::PublishTemplate>) {
        if let Some(session) = self.sessions.get(self.active) {
            let step = self.accounts.keep_templates(session.name(), templates);
            self.follow(step.into_iter().collect());
        }
    }

    /// Keep the sent history of the connection on screen (connections.json).
    pub(super) fn save_sent(&mut self) {
        if let Some(session) = self.sessions.get(self.active) {
            let step = self.accounts.keep_sent(session.name(), session.publish.history.clone());
            self.follow(step.into_iter().collect());
        }
    }

    /// Disconnect and remove a tab; the others keep running.
    pub(super) fn close_session(&mut self, index: usize) {
        if index >= self.sessions.len() {
            return;
        }
        let session = self.sessions.remove(index);
        // Its notices go with it (what they said stays in the notices log).
        self.notices.forget_owner(session.id);
        self.remember_expanded(&session);
        session.handle.close();
        if self.active > index || self.active >= self.sessions.len() {
            self.active = self.active.saturating_sub(1);
        }
    }

    /// Start the built-in broker and sensors on a background thread (it can
    /// take seconds); `finish_demo_start` opens its tab when it is up.
    pub(super) fn start_demo(&mut self) {
        if self.demo.port().is_some() {
            self.open_demo_tab();
            return;
        }
        if !self.demo.is_starting() {
            self.notices
                .set("demo", false, "Starting the demo broker and its sensors…");
            self.demo.start(&self.runtime, self.wake.clone());
        }
    }

    pub(super) fn finish_demo_start(&mut self) {
        let Some(started) = self.demo.finished() else {
            return;
        };
        self.notices.remove("demo");
        match started {
            Ok(_) => self.open_demo_tab(),
            Err(e) => self.notices.warn(e),
        }
    }

    pub(super) fn open_demo_tab(&mut self) {
        if let Some(port) = self.demo_port() {
            // One demo tab is enough: show it if it is open.
            if let Some(i) = self.sessions.iter().position(|s| s.name() == DEMO_NAME) {
                self.active = i;
                return;
            }
            let mut spec = ConnectionSpec::new("127.0.0.1", port);
            spec.name = DEMO_NAME.to_owned();
            self.connect(spec);
        }
    }

    /// What a connection's action asked of the window.
    pub(super) fn effect(&mut self, effect: Effect) {
        match effect {
            Effect::ChartsChanged => self.save_chart_layouts(),
            Effect::SentChanged => self.save_sent(),
            Effect::SaveFile { path, bytes, what } => self.save_file(path, bytes, what),
            // From the open tab's connection: on its tab.
            Effect::Failed(text) => match self.sessions.get(self.active) {
                Some(session) => self.notices.tab(session.id).warn(text),
                None => self.notices.warn(text),
            },
            Effect::Info(text) => match self.sessions.get(self.active) {
                Some(session) => self.notices.tab(session.id).info(text),
                None => self.notices.info(text),
            },
        }
    }

    /// Saved payloads and exported messages are the user's data: private.
    /// Written on the writer's thread; the notice comes when it is on disk.
    pub(super) fn save_file(&mut self, path: std::path::PathBuf, bytes: Vec<u8>, what: String) {
        let saved = format!(
            "Saved {what} ({}) to {}.",
            crate::payload::human_size(bytes.len()),
            path.display()
        );
        self.writer.write_and_say(&path, bytes, true, &what, Some(saved));
    }

    /// Carry out what concerns the window: tabs, profiles, files, settings, words.
    pub(super) fn window(&mut self, action: WindowAction) {
        match action {
            WindowAction::SelectConnection(index) => {
                self.active = index.min(self.sessions.len().saturating_sub(1));
            }
            WindowAction::CloseConnection(index) => self.close_session(index),
            WindowAction::Reconnect => {
                if let Some(session) = self.sessions.get(self.active) {
                    let mut spec = session.handle.spec.clone();
                    // With what it was subscribed to when it closed.
                    spec.subscriptions = session.handle.subscriptions();
                    self.connect(spec);
                }
            }
            WindowAction::StartDemo => self.start_demo(),
            WindowAction::NewProfile => {
                let storage = self.accounts.default_storage();
                self.profile_form = Some(ProfileForm::new_profile(self.accounts.profiles.profiles(), storage));
            }
            WindowAction::EditProfile(name) => {
                if let Some(profile) = self.accounts.profiles.get(&name) {
                    self.profile_form = Some(ProfileForm::edit(Some(name), profile.clone()));
                }
            }
            WindowAction::ConnectProfile {
                name,
                password,
                passphrase,
            } => {
                // Open already, on the profile's broker: show its tab rather
                // than a second connection (an edited address connects anew).
                let url = self.accounts.profiles.get(&name).map(|p| p.to_spec(None, None).url());
                if let Some(index) = self
                    .sessions
                    .iter()
                    .position(|s| s.is_live() && s.name() == name && Some(s.handle.spec.url()) == url)
                {
                    self.active = index;
                    return;
                }
                let steps = self.accounts.connect(name, Credentials { password, passphrase }, None);
                self.follow(steps);
            }
            WindowAction::SaveProfile {
                previous,
                profile,
                connect,
                password,
                passphrase,
            } => {
                let steps = self
                    .accounts
                    .save(previous, *profile, Credentials { password, passphrase }, connect);
                self.follow(steps);
            }
            WindowAction::DeleteProfile(name) => {
                self.profile_form = None;
                let steps = self.accounts.delete(&name);
                self.follow(steps);
            }
            WindowAction::AskClearRetained(node) => {
                let Some(model) = self.model() else { return };
                let mut topics = model.tree.retained_at_or_below(node);
                let root = model.tree.topic(node);
                // A topic that is not UTF-8 cannot be published to (the MQTT library
                // sends UTF-8 topics only): say so instead of clearing another topic.
                let unreachable = topics
                    .iter()
                    .filter(|t| crate::vocab::topic::has_invalid_bytes(t))
                    .count();
                if unreachable > 0 {
                    topics.retain(|t| !crate::vocab::topic::has_invalid_bytes(t));
                    self.notices.warn(format!(
                        "{unreachable} retained topic{} below {} {} not valid UTF-8 and cannot be cleared from mqscope \
                         (clear {} with a client that sends raw topic bytes).",
                        if unreachable == 1 { "" } else { "s" },
                        crate::vocab::topic::display(&root),
                        if unreachable == 1 { "is" } else { "are" },
                        if unreachable == 1 { "it" } else { "them" },
                    ));
                }
                if topics.is_empty() && unreachable > 0 {
                    return;
                }
                if topics.is_empty() {
                    self.notices.info(format!("No retained messages at or below {root}."));
                } else {
                    self.confirm_clear = Some(ClearRetainedPrompt::new(root, topics));
                }
            }
            WindowAction::SaveFile { path, bytes, what } => self.save_file(path, bytes, what),
            WindowAction::Failed(text) => self.notices.warn(text),
            WindowAction::Info(text) => self.notices.info(text),
            WindowAction::OpenTransfer(mode) => {
                self.transfer = Some(TransferWindow::new(mode, self.start_folder().as_deref()))
            }
            WindowAction::MoveProfile { name, by } => {
                if let Err(e) = self.accounts.profiles.shift(&name, by) {
                    self.notices.warn(format!("Not moved: {e}"));
                }
            }
            WindowAction::DuplicateProfile(name) => {
                if let Some(copy) = self.accounts.duplicate(&name) {
                    self.profile_form = Some(ProfileForm::edit(None, copy));
                }
            }
            WindowAction::OpenRecording { path, speed } => {
                if self.transfer.is_some() {
                    // From the Open window: a folder or a missing file is said
                    // there, not as a tab; the check runs off this thread.
                    self.check_recording(path, speed);
                } else {
                    self.open_checked_recording(&path, speed);
                }
            }
            WindowAction::ImportProfiles(path) => self.start_import(path),
            WindowAction::ExportProfiles { path, with_passwords } => {
                let bytes = crate::profiles::export(self.accounts.profiles.profiles(), with_passwords);
                let n = self.accounts.profiles.profiles().len();
                let passwords = if with_passwords {
                    "with their saved passwords (the file is readable by you only)"
                } else {
                    "without passwords"
                };
                let saved = format!(
                    "Exported {n} connection{} to {}, {passwords}.",
                    if n == 1 { "" } else { "s" },
                    path.display()
                );
                self.writer
                    .write_and_say(&path, bytes, true, "the exported connections", Some(saved.clone()));
                if let Some(window) = &mut self.transfer {
                    window.set_outcome(Ok((
                        format!(
                            "Writing {n} connection{} to {}…",
                            if n == 1 { "" } else { "s" },
                            path.display()
                        ),
                        Vec::new(),
                    )));
                }
            }
            WindowAction::TemplatesChanged(templates) => self.save_templates(templates),
            WindowAction::OpenSettings => self.settings_window = Some(SettingsWindow::new(self.settings.clone())),
            WindowAction::ApplySettings(settings) => {
                self.settings = settings.clone();
                for session in &mut self.sessions {
                    session.model.set_history_limits(settings.history_limits());
                    session.model.charts.set_capacity(settings.chart_points());
                    session.model.set_ha_prefix(&settings.ha_prefix);
                }
                if let Err(e) = settings.save(&self.config_dir, &self.writer) {
                    self.notices.warn(format!(
                        "Settings applied but not saved to {}: {e}",
                        self.config_dir.display()
                    ));
                }
            }
        }
    }

    /// The dialogs open over the window: profile form, password prompt, clear
    /// retained, shortcut sheet, import/export/record, settings.
    pub(super) fn dialogs_ui(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let ctx = ctx.clone();
        // Escape closes the dialog opened last (as Cancel would), one per
        // press; not while a drop-down or menu is open (Escape closes that).
        let open = [
            (Dialog::Prompt, self.password_prompt.is_some()),
            (Dialog::ClearRetained, self.confirm_clear.is_some()),
            (Dialog::ProfileForm, self.profile_form.is_some()),
            (Dialog::Transfer, self.transfer.is_some()),
            (Dialog::Settings, self.settings_window.is_some()),
            (Dialog::Shortcuts, self.shortcut_sheet),
        ];
        self.dialogs.retain(|d| open.iter().any(|(o, is)| o == d && *is));
        for (dialog, is_open) in open {
            if is_open && !self.dialogs.contains(&dialog) {
                self.dialogs.push(dialog);
            }
        }
        if !egui::Popup::is_any_open(&ctx)
            && let Some(&top) = self.dialogs.last()
            && crate::ui::dialog::escape(&ctx)
        {
            self.dialogs.pop();
            match top {
                Dialog::Prompt => {
                    self.password_prompt = None;
                    self.accounts.prompt_closed();
                }
                Dialog::ClearRetained => self.confirm_clear = None,
                Dialog::ProfileForm => self.profile_form = None,
                Dialog::Transfer => self.transfer = None,
                Dialog::Settings => self.settings_window = None,
                Dialog::Shortcuts => self.shortcut_sheet = false,
            }
        }
        if let Some(form) = &mut self.profile_form {
            let mut open = true;
            actions.extend(form.ui(&ctx, &mut open, self.accounts.keyring_status()));
            if !open {
                self.profile_form = None;
            }
        }
        if let Some(prompt) = &mut self.password_prompt {
            let mut open = true;
            actions.extend(prompt.ui(&ctx, &mut open));
            if !open {
                self.password_prompt = None;
                self.accounts.prompt_closed();
            }
        }
        if let Some(prompt) = &mut self.confirm_clear {
            let (action, open) = prompt.ui(&ctx);
            actions.extend(action);
            if !open {
                self.confirm_clear = None;
            }
        }
        if self.shortcut_sheet {
            crate::ui::shortcuts::sheet(&ctx, &mut self.shortcut_sheet);
        }
        if let Some(window) = &mut self.transfer {
            let mut open = true;
            actions.extend(window.ui(&ctx, &mut open));
            if !open {
                self.transfer = None;
            }
        }
        if let Some(window) = &mut self.settings_window {
            let mut open = true;
            let model = self.sessions.get(self.active).map(|s| &s.model);
            actions.extend(window.ui(&ctx, &mut open, model));
            if !open {
                self.settings_window = None;
            }
        }
    }
}

/// The dialogs Escape can close, in the order they were opened (`dialogs_ui`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialog {
    Prompt,
    ClearRetained,
    ProfileForm,
    Transfer,
    Settings,
    Shortcuts,
}

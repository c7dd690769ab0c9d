//! `MqscopeApp`: `logic()` drains connection events into the Model under a
//! time budget (it runs even while the window is hidden); `ui()` lays out the
//! panels, which read `&Model` and return Actions; Actions become Commands.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::accounts::{Accounts, Next};
use crate::demo::{DEMO_NAME, DemoStart};
use crate::model::Model;
use crate::mqtt::{ConnectionHandle, Wake};
use crate::profiles::{ExtrasStore, ProfileStore};
use crate::record::Recorder;
use crate::secret_store::{Credentials, SecretStore, StoreStatus};
use crate::session::{Effect, Session};
use crate::settings::Settings;
use crate::settings::Theme;
use crate::stats::{FrameTimes, StatsFile, StatsSnapshot};
use crate::ui::Action;
use crate::ui::clear_retained::ClearRetainedPrompt;
use crate::ui::notices::Notices;
use crate::ui::profile_form::{PasswordPrompt, ProfileForm};
use crate::ui::settings::SettingsWindow;
use crate::ui::status::{StatusLine, status_bar_ui};
use crate::ui::transfer::TransferWindow;
use crate::ui::welcome::welcome_ui;
use crate::ui::{ConnectionAction, WindowAction};
use crate::vocab::{ConnectionSpec, ConnectionState};

/// Longest a frame spends applying messages before it draws and comes back.
const DRAIN_BUDGET: Duration = Duration::from_millis(8);
/// How soon a batch from the network asks for a frame: a burst costs one repaint.
const BATCH_REPAINT_DELAY: Duration = Duration::from_millis(30);

/// What to do once the window exists.
#[derive(Debug, Clone, PartialEq)]
pub enum Startup {
    Welcome,
    Demo,
    Connect(Box<ConnectionSpec>),
    Profile(String),
    /// A recording to replay (`--open FILE`), as fast as it can be drawn.
    Open(PathBuf),
}

#[derive(Debug, Clone)]
pub struct AppOptions {
    pub startup: Startup,
    pub config_dir: PathBuf,
    pub stats_json: Option<PathBuf>,
    pub record: Option<PathBuf>,
    /// Chart series to open once connected: (topic, value path).
    pub charts: Vec<(String, String)>,
    /// When the process started, for the time to the first frame.
    pub process_start: Instant,
    /// Draw with wgpu instead of glow (builds with the `wgpu` feature).
    pub wgpu: bool,
    /// Keep passwords in the system keyring under this service name; `None`: no keyring.
    pub keyring: Option<String>,
}

pub struct MqscopeApp {
    runtime: tokio::runtime::Handle,
    wake: Option<Wake>,
    pending: Option<Startup>,
    /// Open connections, one tab each, in the order they were opened.
    sessions: Vec<Session>,
    /// Index of the tab on screen.
    active: usize,
    demo: DemoStart,
    /// Saved connections and their secrets (the keyring's thread), window-free.
    accounts: Accounts,
    notices: Notices,
    profile_form: Option<ProfileForm>,
    password_prompt: Option<PasswordPrompt>,
    confirm_clear: Option<ClearRetainedPrompt>,
    settings: Settings,
    settings_window: Option<SettingsWindow>,
    transfer: Option<TransferWindow>,
    /// The F1 sheet is open.
    shortcut_sheet: bool,
    /// Theme and size last given to egui.
    applied_look: Option<(Theme, u16)>,
    /// The window title last set.
    title: String,
    /// The profile connected to last (kept across runs by eframe's storage).
    last_profile: Option<String>,
    /// Expanded tree topics by connection name (kept across runs by eframe's storage).
    expanded_memory: crate::ui::tree::ExpandedMemory,
    config_dir: PathBuf,
    /// Connection files are read and parsed here, off the frame, each in
    /// turn; their results come back on the channel.
    /// Every file this window writes goes through here, off the UI thread.
    writer: crate::files::BackgroundWriter,
    /// Held while running: a second instance does not overwrite our files.
    _folder_lock: Option<std::fs::File>,
    stats: Option<StatsFile>,
    /// `--record`, until the first connection opens and takes it.
    recorder: Option<Recorder>,
    next_session_id: u64,
    frames: FrameTimes,
    logic_time: Duration,
    /// See [`MqscopeApp::set_drain_budget`].
    drain_budget: Duration,
    started: Instant,
    /// Process start to the end of the first `ui()`.
    first_frame: Option<Duration>,
    /// Series to open on the next connection (from `--chart`).
    charts: Vec<(String, String)>,
}

impl MqscopeApp {
    /// Build the app; connections start on the first frame, once there is a
    /// context to wake. Network tasks are spawned on `runtime`.
    pub fn new(options: AppOptions, runtime: tokio::runtime::Handle) -> Self {
        let (folder_lock, writer, lock_warning) = match crate::files::lock_folder(&options.config_dir) {
            Ok(lock) => (lock, crate::files::BackgroundWriter::new(), None),
            Err(why) => {
                let warning = format!("Read-only: {why}.");
                (None, crate::files::BackgroundWriter::read_only(why), Some(warning))
            }
        };
        let (profiles, warning) = ProfileStore::load_with(&options.config_dir, writer.clone());
        let (settings, settings_warning) = Settings::load(&options.config_dir);
        let (extras, extras_warning) = ExtrasStore::load_with(&options.config_dir, writer.clone());
        let mut notices = Notices::default();
        for warning in [lock_warning, warning, settings_warning, extras_warning]
            .into_iter()
            .flatten()
        {
            notices.warn(warning);
        }
        let recorder = options.record.as_ref().and_then(|path| match Recorder::open(path) {
            Ok(r) => Some(r),
            Err(e) => {
                notices.warn(format!("Not recording: could not open {}: {e}", path.display()));
                None
            }
        });
        let names: Vec<String> = profiles.profiles().iter().map(|p| p.name.clone()).collect();
        Self {
            runtime,
            wake: None,
            pending: Some(options.startup),
            sessions: Vec::new(),
            active: 0,
            demo: DemoStart::default(),
            accounts: Accounts::new(
                profiles,
                extras,
                match &options.keyring {
                    Some(service) => {
                        let store = SecretStore::os(service);
                        store.move_legacy_passphrases(names);
                        store
                    }
                    None => SecretStore::unavailable("the keyring is turned off (--no-keyring)"),
                },
            ),
            notices,
            profile_form: None,
            password_prompt: None,
            confirm_clear: None,
            settings,
            settings_window: None,
            transfer: None,
            shortcut_sheet: false,
            applied_look: None,
            title: String::new(),
            last_profile: None,
            expanded_memory: Default::default(),
            config_dir: options.config_dir.clone(),
            writer,
            _folder_lock: folder_lock,
            stats: options.stats_json.map(StatsFile::new),
            recorder,
            next_session_id: 0,
            frames: FrameTimes::default(),
            logic_time: Duration::ZERO,
            drain_budget: DRAIN_BUDGET,
            started: options.process_start,
            first_frame: None,
            charts: options.charts,
        }
    }

    fn session(&self) -> Option<&Session> {
        self.sessions.get(self.active)
    }

    /// The Model of the connection on screen, if any.
    pub fn model(&self) -> Option<&Model> {
        self.session().map(|s| &s.model)
    }

    /// Whether a publish form's repeat job is running on any connection.
    pub fn repeating(&self) -> bool {
        self.sessions.iter().any(|s| s.publish.is_repeating())
    }

    /// The chart panel of the connection on screen (what it drew, whether it follows).
    pub fn chart_panel(&self) -> Option<&crate::ui::chart::ChartPanel> {
        self.session().map(|s| &s.chart)
    }

    /// The Model of the `index`-th open connection (in tab order).
    pub fn model_of(&self, index: usize) -> Option<&Model> {
        self.sessions.get(index).map(|s| &s.model)
    }

    /// Names of the open connections, in tab order.
    pub fn connection_names(&self) -> Vec<String> {
        self.sessions.iter().map(|s| s.name().to_owned()).collect()
    }

    pub fn connection_state(&self) -> Option<&ConnectionState> {
        self.session().map(|s| &s.state)
    }

    /// Publishes of the connection on screen that it has not taken yet.
    pub fn publishes_waiting(&self) -> usize {
        self.session().map_or(0, |s| s.handle.publishes_waiting())
    }

    /// State of the `index`-th open connection.
    pub fn connection_state_of(&self, index: usize) -> Option<&ConnectionState> {
        self.sessions.get(index).map(|s| &s.state)
    }

    /// Messages the connection workers got from their brokers, all connections.
    pub fn received(&self) -> u64 {
        self.sessions.iter().map(|s| s.handle.received()).sum()
    }

    pub fn applied(&self) -> u64 {
        self.sessions.iter().map(|s| s.model.applied()).sum()
    }

    /// The embedded broker's port, when the demo runs.
    pub fn demo_port(&self) -> Option<u16> {
        self.demo.port()
    }

    /// Whether the system keyring can be used (it is checked in the background at start).
    pub fn keyring_status(&self) -> &StoreStatus {
        self.accounts.keyring_status()
    }

    /// How many key passphrases the start-up check moved to their own keyring
    /// service; `None` until it has run (or with no keyring).
    pub fn passphrases_moved(&self) -> Option<usize> {
        self.accounts.passphrases_moved()
    }

    /// How long one frame may spend applying connection events (8 ms); what
    /// is left waits for the next frame. Zero: one event per frame.
    pub fn set_drain_budget(&mut self, budget: Duration) {
        self.drain_budget = budget;
    }

    /// Messages shown to the user in the notice strip.
    /// The saved profiles' names, in list order.
    pub fn profile_names(&self) -> Vec<&str> {
        self.accounts
            .profiles
            .profiles()
            .iter()
            .map(|p| p.name.as_str())
            .collect()
    }

    /// Wait until every file this window asked to write is on disk.
    pub fn flush_files(&self) {
        self.writer.flush();
    }

    pub fn notices(&self) -> impl Iterator<Item = &str> {
        self.notices.texts()
    }

    /// Drain events into the Model. Called by eframe before every frame and
    /// while the window is hidden.
    pub fn logic(&mut self, ctx: &egui::Context) {
        let start = Instant::now();
        if self.wake.is_none() {
            crate::ui::style::install_system_fonts(ctx);
            let ctx = ctx.clone();
            self.wake = Some(Arc::new(move || ctx.request_repaint_after(BATCH_REPAINT_DELAY)));
            if let Some(startup) = self.pending.take() {
                self.start(startup);
            }
        }
        self.accounts.wake(ctx);
        let steps = self.accounts.poll();
        self.follow(steps);
        self.drain(ctx, start + self.drain_budget);
        // Repeat jobs of the publish forms: send what is due, wake for the next.
        let now = Instant::now();
        if let Some(next) = self.sessions.iter_mut().filter_map(|s| s.tick(now)).min() {
            ctx.request_repaint_after(next.saturating_duration_since(now));
        }
        let now = Instant::now();
        if let Some(stats) = &self.stats
            && stats.due(now)
        {
            let snapshot = StatsSnapshot::of(&self.sessions, &self.frames, self.started, self.first_frame, now);
            if let Some(stats) = &mut self.stats {
                stats.write(now, &snapshot, &self.writer);
            }
        }
        self.finish_import();
        self.finish_demo_start();
        // What the writer thread did since the last frame.
        for error in self.writer.take_errors() {
            self.notices.warn(error);
        }
        for saved in self.writer.take_saved() {
            self.notices.info(saved);
        }
        if !self.sessions.is_empty() || self.stats.is_some() {
            // Keep the rate, the reconnect countdown and the stats file fresh.
            ctx.request_repaint_after(Duration::from_secs(1));
        }
        self.logic_time = start.elapsed();
    }

    fn drain(&mut self, ctx: &egui::Context, deadline: Instant) {
        // Round-robin one event per session at a time would be fairer but
        // costlier; each session drains in turn, and the budget is shared.
        'sessions: for session in &mut self.sessions {
            while let Some(event) = session.handle.try_event() {
                session.on_event(event, &mut self.notices);
                if Instant::now() >= deadline {
                    // The rest waits for the next frame, which comes at once.
                    ctx.request_repaint();
                    break 'sessions;
                }
            }
        }
        for session in &mut self.sessions {
            session.show_alerts(&mut self.notices);
        }
    }

    fn start(&mut self, startup: Startup) {
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
    fn connect(&mut self, mut spec: ConnectionSpec) {
        if spec.max_packet_bytes == 0 {
            spec.max_packet_bytes = self.settings.max_packet_bytes();
        }
        let Some(wake) = self.wake.clone() else {
            self.pending = Some(Startup::Connect(Box::new(spec)));
            return;
        };
        tracing::info!(name = %spec.name, address = %spec.url(), protocol = spec.protocol.label(), "connecting");
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
    fn save_chart_layouts(&mut self) {
        if let Some(session) = self.sessions.get(self.active) {
            let step = self
                .accounts
                .keep_charts(session.name(), session.model.charts.layouts());
            self.follow(step.into_iter().collect());
        }
    }

    /// The profile connected to last, if any.
    pub fn last_profile(&self) -> Option<&str> {
        self.last_profile.as_deref()
    }

    /// What an earlier run's `save` left in eframe's storage: the profile
    /// used last and the expanded tree topics (called once, at start).
    pub fn restore(&mut self, storage: &dyn eframe::Storage) {
        self.last_profile = storage.get_string(LAST_PROFILE_KEY).filter(|name| !name.is_empty());
        if let Some(expanded) = storage.get_string(EXPANDED_KEY) {
            self.set_expanded_memory(&expanded);
        }
    }

    /// Expanded tree topics by connection, as eframe's storage keeps them (JSON).
    fn expanded_memory(&mut self) -> String {
        for session in &self.sessions {
            let topics = session.tree.expanded_topics(&session.model.tree);
            self.expanded_memory.remember(session.name(), topics);
        }
        serde_json::to_string(&self.expanded_memory).unwrap_or_default()
    }

    /// Expanded tree topics of an earlier run (JSON from eframe's storage);
    /// a connection opened later under one of these names opens them as they appear.
    fn set_expanded_memory(&mut self, json: &str) {
        self.expanded_memory = serde_json::from_str(json).unwrap_or_default();
        for session in &mut self.sessions {
            if let Some(topics) = self.expanded_memory.get(session.name()) {
                session.tree.restore_expanded(topics.clone());
            }
        }
    }

    fn remember_expanded(&mut self, session: &Session) {
        let topics = session.tree.expanded_topics(&session.model.tree);
        self.expanded_memory.remember(session.name(), topics);
    }

    /// The window's title as last set ("Demo broker — connected — mqscope").
    pub fn window_title(&self) -> &str {
        &self.title
    }

    /// Theme, size and window title, set when they change (egui's own
    /// Ctrl+/Ctrl− zoom is left alone in between).
    fn apply_look(&mut self, ctx: &egui::Context) {
        let look = (self.settings.theme, self.settings.ui_scale_percent);
        if self.applied_look != Some(look) {
            ctx.set_theme(match self.settings.theme {
                Theme::Dark => egui::ThemePreference::Dark,
                Theme::Light => egui::ThemePreference::Light,
                Theme::System => egui::ThemePreference::System,
            });
            ctx.set_zoom_factor(self.settings.zoom());
            self.applied_look = Some(look);
        }
        let title = match self.session() {
            Some(s) => format!("{} — {} — mqscope", s.name(), s.state.label()),
            None => "mqscope".to_owned(),
        };
        if self.title != title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    /// Open a recording in its own tab, replayed into a fresh Model. The file
    /// is read on a thread of its own as the replay goes; the tab says how far
    /// it got, what it could not read, or why it could not read at all.
    fn open_recording(&mut self, path: &std::path::Path, speed: Option<f64>) -> Result<(), String> {
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
        self.sessions.push(Session::new(id, handle, model));
        self.active = self.sessions.len() - 1;
        Ok(())
    }

    /// Carry out what the profile workflow decided.
    fn follow(&mut self, steps: Vec<Next>) {
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
    fn start_import(&mut self, path: std::path::PathBuf) {
        if let Some(window) = &mut self.transfer {
            window.set_busy(format!("Reading {}…", path.display()));
        }
        self.accounts.start_import(path, self.wake.clone());
    }

    /// Say what the imports finished since the last frame added.
    fn finish_import(&mut self) {
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
    fn save_templates(&mut self, templates: Vec<crate::publish::PublishTemplate>) {
        if let Some(session) = self.sessions.get(self.active) {
            let step = self.accounts.keep_templates(session.name(), templates);
            self.follow(step.into_iter().collect());
        }
    }

    /// Keep the sent history of the connection on screen (connections.json).
    fn save_sent(&mut self) {
        if let Some(session) = self.sessions.get(self.active) {
            let step = self.accounts.keep_sent(session.name(), session.publish.history.clone());
            self.follow(step.into_iter().collect());
        }
    }

    /// Disconnect and remove a tab; the others keep running.
    fn close_session(&mut self, index: usize) {
        if index >= self.sessions.len() {
            return;
        }
        let session = self.sessions.remove(index);
        self.remember_expanded(&session);
        session.handle.close();
        if self.active > index || self.active >= self.sessions.len() {
            self.active = self.active.saturating_sub(1);
        }
    }

    /// Start the built-in broker and sensors on a background thread (it can
    /// take seconds); `finish_demo_start` opens its tab when it is up.
    fn start_demo(&mut self) {
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

    fn finish_demo_start(&mut self) {
        let Some(started) = self.demo.finished() else {
            return;
        };
        self.notices.remove("demo");
        match started {
            Ok(_) => self.open_demo_tab(),
            Err(e) => self.notices.warn(e),
        }
    }

    fn open_demo_tab(&mut self) {
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

    /// Route an action to who carries it out: the connection on screen, or the window.
    fn handle(&mut self, action: Action) {
        match action {
            Action::Connection(action) => {
                if matches!(
                    action,
                    ConnectionAction::StartRecording(_) | ConnectionAction::ExportMessages { .. }
                ) {
                    // Its window is done; the session takes it from here.
                    self.transfer = None;
                }
                // With no connection open there is nothing to act on.
                let Some(session) = self.sessions.get_mut(self.active) else {
                    return;
                };
                if let Some(effect) = session.handle(action) {
                    self.effect(effect);
                }
            }
            Action::Window(action) => self.window(action),
        }
    }

    /// What a connection's action asked of the window.
    fn effect(&mut self, effect: Effect) {
        match effect {
            Effect::ChartsChanged => self.save_chart_layouts(),
            Effect::SentChanged => self.save_sent(),
            Effect::SaveFile { path, bytes, what } => self.save_file(path, bytes, what),
            Effect::Failed(text) => self.notices.warn(text),
            Effect::Info(text) => self.notices.info(text),
        }
    }

    /// Saved payloads and exported messages are the user's data: private.
    /// Written on the writer's thread; the notice comes when it is on disk.
    fn save_file(&mut self, path: std::path::PathBuf, bytes: Vec<u8>, what: String) {
        let saved = format!(
            "Saved {what} ({}) to {}.",
            crate::payload::human_size(bytes.len()),
            path.display()
        );
        self.writer.write_and_say(&path, bytes, true, &what, Some(saved));
    }

    /// Carry out what concerns the window: tabs, profiles, files, settings, words.
    fn window(&mut self, action: WindowAction) {
        match action {
            WindowAction::SelectConnection(index) => {
                self.active = index.min(self.sessions.len().saturating_sub(1));
            }
            WindowAction::CloseConnection(index) => self.close_session(index),
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
            WindowAction::OpenTransfer(mode) => self.transfer = Some(TransferWindow::new(mode)),
            WindowAction::MoveProfile { name, by } => {
                if let Err(e) = self.accounts.profiles.shift(&name, by) {
                    self.notices.warn(format!("Not moved: {e}"));
                }
            }
            WindowAction::DuplicateProfile(name) => {
                if let Some(original) = self.accounts.profiles.get(&name) {
                    let mut copy = original.clone();
                    copy.name = crate::profiles::unique_name(&name, |n| self.accounts.profiles.get(n).is_some());
                    self.profile_form = Some(ProfileForm::edit(None, copy));
                }
            }
            WindowAction::OpenRecording { path, speed } => match self.open_recording(&path, speed) {
                Ok(()) => self.transfer = None,
                Err(e) => {
                    if let Some(window) = &mut self.transfer {
                        window.set_outcome(Err(e));
                    }
                }
            },
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

    /// Lay out the window. Panels return Actions, handled after drawing.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let start = Instant::now();
        let mut actions: Vec<Action> = Vec::new();
        self.apply_look(ui.ctx());
        actions.extend(crate::ui::shortcuts::window_keys(
            ui.ctx(),
            self.sessions.len(),
            self.active,
            &mut self.shortcut_sheet,
        ));
        let on_screen = self.session().map(Session::on_screen);
        egui::Panel::top("top_bar").show(ui, |ui| {
            crate::ui::chrome::top_bar_ui(
                ui,
                on_screen.as_ref(),
                &self.accounts.profiles,
                !self.sessions.is_empty(),
                self.active,
                &mut actions,
            );
        });
        if !self.sessions.is_empty() {
            let tabs: Vec<_> = self.sessions.iter().map(Session::tab).collect();
            egui::Panel::top("connection_tabs").show(ui, |ui| {
                crate::ui::chrome::tabs_ui(ui, &tabs, self.active, &mut actions)
            });
        }
        self.notices.ui(ui);
        let activity = match self.sessions.get_mut(self.active) {
            Some(session) => session.clearing_progress(&mut self.notices),
            None => None,
        };
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            let now = Instant::now();
            let session = self.session();
            let line = StatusLine {
                activity: activity.as_deref(),
                state: session.map(|s| (&s.state, s.handle.spec.name.as_str())),
                rate: self.model().map_or(0.0, |m| m.rate(now)),
                topics: self.model().map_or(0, |m| m.tree.topic_count()),
                received: session.map_or(0, |s| s.handle.received()),
                applied: self.model().map_or(0, Model::applied),
                stored: self.model().map_or(0, |m| m.history.stored_messages()),
                stored_bytes: self.model().map_or(0, Model::budget_bytes),
                evicted: self.model().map_or(0, |m| m.history.evicted()),
                latest_let_go: self.model().map_or(0, |m| m.history.latest_let_go()),
                refused_topics: self.model().map_or(0, Model::refused_topics),
                invalid_topics: self.model().map_or(0, Model::invalid_topics),
                reading: session.and_then(|s| s.handle.reading_progress()),
            };
            status_bar_ui(ui, &line, now);
        });
        if let Some(session) = self.sessions.get_mut(self.active) {
            session.panels_ui(ui, &mut actions);
        } else {
            egui::CentralPanel::default().show(ui, |ui| {
                actions.extend(welcome_ui(
                    ui,
                    self.accounts.profiles.profiles(),
                    self.last_profile.as_deref(),
                ))
            });
        }
        let ctx = ui.ctx().clone();
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
        for action in actions {
            self.handle(action);
        }
        self.frames.record(Instant::now(), self.logic_time + start.elapsed());
        if self.first_frame.is_none() {
            self.first_frame = Some(self.started.elapsed());
            tracing::info!(ms = self.started.elapsed().as_millis(), "first frame");
        }
    }
}

impl Drop for MqscopeApp {
    /// Nothing asked to be saved is lost at exit: wait for the writer and
    /// for every recording's last lines.
    fn drop(&mut self) {
        for recorder in self
            .sessions
            .iter()
            .filter_map(|s| s.recorder.as_ref())
            .chain(&self.recorder)
        {
            if let Err(e) = recorder.flush() {
                tracing::warn!(path = %recorder.path().display(), %e, "the recording's last lines could not be written");
            }
        }
        self.writer.flush();
    }
}

impl eframe::App for MqscopeApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        MqscopeApp::logic(self, ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        MqscopeApp::ui(self, ui);
    }

    /// Window state, not profile data: eframe's own storage.
    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        storage.set_string(LAST_PROFILE_KEY, self.last_profile.clone().unwrap_or_default());
        let expanded = self.expanded_memory();
        storage.set_string(EXPANDED_KEY, expanded);
    }
}

/// eframe storage key of the expanded tree topics, by connection name.
const EXPANDED_KEY: &str = "expanded_topics";

/// eframe storage key of the profile connected to last.
const LAST_PROFILE_KEY: &str = "last_profile";

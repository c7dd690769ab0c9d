//! `MqscopeApp`, the window, which routes: `logic()` drains connection events
//! into the Models under a time budget (it runs even while the window is
//! hidden); `ui()` lays out the chrome, the panels and the dialogs, which
//! return Actions; each Action goes to the connection on screen
//! (`Session::handle`) or to the window (`window.rs`). No domain logic here.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::accounts::Accounts;
use crate::demo::DemoStart;
use crate::model::Model;
use crate::mqtt::Wake;
use crate::profiles::{ExtrasStore, ProfileStore};
use crate::record::Recorder;
use crate::secret_store::{SecretStore, StoreStatus};
use crate::session::Session;
use crate::settings::Settings;
use crate::settings::Theme;
use crate::stats::{FrameTimes, StatsFile, StatsSnapshot};
use crate::ui::Action;
use crate::ui::ConnectionAction;
use crate::ui::clear_retained::ClearRetainedPrompt;
use crate::ui::notices::Notices;
use crate::ui::password_prompt::PasswordPrompt;
use crate::ui::profile_form::ProfileForm;
use crate::ui::settings::SettingsWindow;
use crate::ui::status::{StatusLine, status_bar_ui};
use crate::ui::transfer::TransferWindow;
use crate::ui::welcome::welcome_ui;
use crate::vocab::{ConnectionSpec, ConnectionState};

mod look;
mod memory;
mod pace;
mod window;

/// Longest a frame spends applying messages before it draws and comes back.
const DRAIN_BUDGET: Duration = Duration::from_millis(8);
/// A frame longer than this is logged at debug level, with where it went.
const SLOW_FRAME: Duration = Duration::from_millis(16);
/// How soon a batch from the network asks for a frame: on the next beat
/// (`style::BEAT`), so a burst, or a trickle, costs a few frames a second.
const BATCH_REPAINT_DELAY: Duration = Duration::ZERO;

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
    /// Which foldable panels (publish form, charts) are open, for every tab.
    panels: crate::ui::layout::PanelsShown,
    /// Open dialogs, the last opened last: Escape closes the last.
    dialogs: Vec<window::Dialog>,
    /// The folder of the file the user last named (a recording, an export),
    /// on its way into egui's memory, where every file field reads it
    /// (`ui::file_chooser::start_folder`); kept between runs.
    last_folder: Option<std::path::PathBuf>,
    /// The window's context, once it has run a frame (for what `save` reads).
    ctx: Option<egui::Context>,
    /// When the user last touched the window (the beat is full while recent).
    last_input: Instant,
    /// The Open window's look at a recording's path, off the UI thread.
    recording_check: crate::jobs::Latest<Result<(), String>>,
    /// (ticket, path, speed) of the recording waiting for its check.
    recording_pending: Option<(u64, std::path::PathBuf, Option<f64>)>,
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
    /// The first window was checked against its monitor (`fit_on_screen`).
    fitted: bool,
    /// The window title last set.
    title: String,
    /// The profile connected to last (kept across runs by eframe's storage).
    last_profile: Option<String>,
    /// Expanded tree topics by connection name (kept across runs by eframe's storage).
    expanded_memory: crate::ui::tree::ExpandedMemory,
    config_dir: PathBuf,
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
    /// The part of `logic_time` spent applying what the connections sent.
    drain_time: Duration,
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
            panels: Default::default(),
            dialogs: Vec::new(),
            last_folder: None,
            ctx: None,
            last_input: Instant::now(),
            recording_check: crate::jobs::Latest::new("recording-check"),
            recording_pending: None,
            profile_form: None,
            password_prompt: None,
            confirm_clear: None,
            settings,
            settings_window: None,
            transfer: None,
            shortcut_sheet: false,
            applied_look: None,
            fitted: false,
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
            drain_time: Duration::ZERO,
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
        self.sessions.iter().map(|s| s.received()).sum()
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

    /// Every notice shown since start, oldest first.
    pub fn notices_logged(&self) -> impl Iterator<Item = &str> {
        self.notices.logged()
    }

    /// How long toasts stay on screen (a test need not wait 15 s).
    pub fn set_notice_lifetimes(&mut self, lifetimes: crate::ui::notices::Lifetimes) {
        self.notices.set_lifetimes(lifetimes);
    }

    /// Drain events into the Model. Called by eframe before every frame and
    /// while the window is hidden.
    pub fn logic(&mut self, ctx: &egui::Context) {
        let start = Instant::now();
        if self.wake.is_none() {
            crate::ui::style::install_system_fonts(ctx);
            let ctx = ctx.clone();
            self.wake = Some(Arc::new(move || {
                ctx.request_repaint_after(crate::ui::style::next_beat(BATCH_REPAINT_DELAY))
            }));
            if let Some(startup) = self.pending.take() {
                self.start(startup);
            }
        }
        if self.ctx.is_none() {
            self.ctx = Some(ctx.clone());
        }
        if let Some(folder) = self.last_folder.take() {
            crate::ui::file_chooser::set_start_folder(ctx, &folder);
        }
        self.accounts.wake(ctx);
        let steps = self.accounts.poll();
        self.follow(steps);
        let drain_start = Instant::now();
        self.drain(ctx, start + self.drain_budget);
        self.drain_time = drain_start.elapsed();
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
        self.finish_recording_check();
        self.finish_demo_start();
        // What the writer thread did since the last frame.
        for error in self.writer.take_errors() {
            self.notices.warn(error);
        }
        for saved in self.writer.take_saved() {
            self.notices.info(saved);
        }
        self.pace(ctx);
        self.logic_time = start.elapsed();
    }

    fn drain(&mut self, ctx: &egui::Context, deadline: Instant) {
        // Round-robin one event per session at a time would be fairer but
        // costlier; each session drains in turn, and the budget is shared.
        'sessions: for session in &mut self.sessions {
            // A batch is applied a slice at a time, the deadline looked at
            // between slices (at least one slice or one event a frame); the
            // next event waits for the batch's end.
            loop {
                if session.has_unapplied() {
                    if !session.apply_unapplied(Some(deadline)) {
                        ctx.request_repaint();
                        break 'sessions;
                    }
                } else {
                    let Some(event) = session.handle.try_event() else {
                        break;
                    };
                    session.on_event(event, &mut self.notices);
                    if session.has_unapplied() {
                        continue;
                    }
                }
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

    /// The window's title as last set ("Demo broker — connected — mqscope").
    pub fn window_title(&self) -> &str {
        &self.title
    }

    /// Route an action to who carries it out: the connection on screen, or the window.
    fn handle(&mut self, action: Action) {
        // A file the user named: its folder is where the next file window starts.
        if let Some(folder) = memory::named_file(&action)
            .filter(|p| p.is_absolute())
            .and_then(std::path::Path::parent)
            .filter(|f| !f.as_os_str().is_empty())
        {
            self.last_folder = Some(folder.to_path_buf());
        }
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
        let open: Vec<&str> = self
            .sessions
            .iter()
            .filter(|s| s.is_live())
            .map(Session::name)
            .collect();
        egui::Panel::top("top_bar").show(ui, |ui| {
            crate::ui::chrome::top_bar_ui(
                ui,
                on_screen.as_ref(),
                &self.accounts.profiles,
                &open,
                !self.sessions.is_empty(),
                self.active,
                &mut actions,
            );
        });
        if !self.sessions.is_empty() {
            let tabs: Vec<_> = self
                .sessions
                .iter()
                .map(|s| crate::ui::chrome::Tab {
                    notices: self.notices.waiting_for(s.id),
                    ..s.tab()
                })
                .collect();
            egui::Panel::top("connection_tabs").show(ui, |ui| {
                crate::ui::chrome::tabs_ui(ui, &tabs, self.active, &mut self.panels, &mut actions)
            });
        }
        let activity = match self.sessions.get_mut(self.active) {
            Some(session) => session.clearing_progress(&mut self.notices),
            None => None,
        };
        let notices = &mut self.notices;
        let session = self.sessions.get(self.active);
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            let now = Instant::now();
            let line = match session {
                Some(session) => session.status_line(activity.as_deref(), now),
                None => StatusLine {
                    activity: activity.as_deref(),
                    ..StatusLine::default()
                },
            };
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                notices.log_button_ui(ui);
                ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                    status_bar_ui(ui, &line, now)
                });
            });
        });
        if let Some(session) = self.sessions.get_mut(self.active) {
            session.panels_ui(ui, &mut self.panels, &mut actions);
        } else {
            egui::CentralPanel::default().show(ui, |ui| {
                actions.extend(welcome_ui(
                    ui,
                    self.accounts.profiles.profiles(),
                    self.last_profile.as_deref(),
                ))
            });
        }
        self.dialogs_ui(ui.ctx(), &mut actions);
        // Over everything, moving nothing.
        // Toasts wait while a form that needs the whole window is open (the
        // profile form, the password prompt, a confirmation); windows whose
        // results come as notices (import, export, settings) show them.
        let dialog = self.profile_form.is_some() || self.password_prompt.is_some() || self.confirm_clear.is_some();
        self.notices
            .ui(ui.ctx(), self.sessions.get(self.active).map(|s| s.id), dialog);
        for action in actions {
            self.handle(action);
        }
        let ui_time = start.elapsed();
        self.frames.record(Instant::now(), self.logic_time + ui_time);
        if self.logic_time + ui_time > SLOW_FRAME {
            // Where a long frame went (RUST_LOG=mqscope=debug).
            tracing::debug!(
                logic_ms = self.logic_time.as_secs_f64() * 1000.0,
                of_which_drain_ms = self.drain_time.as_secs_f64() * 1000.0,
                ui_ms = ui_time.as_secs_f64() * 1000.0,
                "slow frame"
            );
        }
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
        self.keep(storage);
    }
}

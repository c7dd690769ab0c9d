//! `MqscopeApp`: `logic()` drains connection events into the Model under a
//! time budget (it runs even while the window is hidden); `ui()` lays out the
//! panels, which read `&Model` and return Actions; Actions become Commands.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::RichText;

use crate::demo::{DemoBroker, run_sensors};
use crate::model::{DEFAULT_SERIES_POINTS, Model};
use crate::mqtt::{Command, ConnectionHandle, ConnectionSpec, ConnectionState, Event, Wake};
use crate::profiles::ProfileStore;
use crate::record::Recorder;
use crate::settings::Settings;
use crate::stats::{ConnectionStats, FrameTimes, StatsFile, StatsSnapshot, rss_bytes};
use crate::ui::chart::ChartPanel;
use crate::ui::clear_retained::ClearRetainedPrompt;
use crate::ui::inspector::InspectorPanel;
use crate::ui::notices::Notices;
use crate::ui::profile_form::{PasswordPrompt, ProfileForm};
use crate::ui::publish::PublishPanel;
use crate::ui::settings::SettingsWindow;
use crate::ui::status::{StatusLine, state_dot_ui, state_text, status_bar_ui};
use crate::ui::tree::TreePanel;
use crate::ui::welcome::welcome_ui;
use crate::ui::{Action, style};

/// Longest a frame spends applying messages before it draws and comes back.
const DRAIN_BUDGET: Duration = Duration::from_millis(8);
/// How soon a batch from the network asks for a frame: a burst costs one repaint.
const BATCH_REPAINT_DELAY: Duration = Duration::from_millis(30);

/// Longest the demo waits for its sensors' first (retained) message.
const DEMO_READY_TIMEOUT: Duration = Duration::from_secs(3);

/// What to do once the window exists.
#[derive(Debug, Clone, PartialEq)]
pub enum Startup {
    Welcome,
    Demo,
    Connect(ConnectionSpec),
    Profile(String),
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
}

struct Session {
    handle: ConnectionHandle,
    model: Model,
    state: ConnectionState,
}

pub struct MqscopeApp {
    runtime: tokio::runtime::Handle,
    wake: Option<Wake>,
    pending: Option<Startup>,
    session: Option<Session>,
    demo: Option<DemoBroker>,
    profiles: ProfileStore,
    notices: Notices,
    tree: TreePanel,
    inspector: InspectorPanel,
    chart: ChartPanel,
    publish: PublishPanel,
    profile_form: Option<ProfileForm>,
    password_prompt: Option<PasswordPrompt>,
    confirm_clear: Option<ClearRetainedPrompt>,
    settings: Settings,
    settings_window: Option<SettingsWindow>,
    config_dir: PathBuf,
    /// Topics whose retained message is being cleared.
    clearing: Option<Vec<String>>,
    stats: Option<StatsFile>,
    recorder: Option<Recorder>,
    frames: FrameTimes,
    logic_time: Duration,
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
        let (profiles, warning) = ProfileStore::load(&options.config_dir);
        let (settings, settings_warning) = Settings::load(&options.config_dir);
        let mut notices = Notices::default();
        for warning in [warning, settings_warning].into_iter().flatten() {
            notices.warn(warning);
        }
        let recorder = options.record.as_ref().and_then(|path| match Recorder::open(path) {
            Ok(r) => Some(r),
            Err(e) => {
                notices.warn(format!("Not recording: could not open {}: {e}", path.display()));
                None
            }
        });
        Self {
            runtime,
            wake: None,
            pending: Some(options.startup),
            session: None,
            demo: None,
            profiles,
            notices,
            tree: TreePanel::default(),
            inspector: InspectorPanel::default(),
            chart: ChartPanel::default(),
            publish: PublishPanel::default(),
            profile_form: None,
            password_prompt: None,
            confirm_clear: None,
            settings,
            settings_window: None,
            config_dir: options.config_dir.clone(),
            clearing: None,
            stats: options.stats_json.map(StatsFile::new),
            recorder,
            frames: FrameTimes::default(),
            logic_time: Duration::ZERO,
            started: options.process_start,
            first_frame: None,
            charts: options.charts,
        }
    }

    /// The Model of the open connection, if any.
    pub fn model(&self) -> Option<&Model> {
        self.session.as_ref().map(|s| &s.model)
    }

    pub fn connection_state(&self) -> Option<&ConnectionState> {
        self.session.as_ref().map(|s| &s.state)
    }

    /// Messages the connection worker got from the broker.
    pub fn received(&self) -> u64 {
        self.session.as_ref().map_or(0, |s| s.handle.received())
    }

    /// The embedded broker's port, when the demo runs.
    pub fn demo_port(&self) -> Option<u16> {
        self.demo.as_ref().map(|d| d.port)
    }

    /// Messages shown to the user in the notice strip.
    pub fn notices(&self) -> impl Iterator<Item = &str> {
        self.notices.texts()
    }

    /// Drain events into the Model. Called by eframe before every frame and
    /// while the window is hidden.
    pub fn logic(&mut self, ctx: &egui::Context) {
        let start = Instant::now();
        if self.wake.is_none() {
            let ctx = ctx.clone();
            self.wake = Some(Arc::new(move || ctx.request_repaint_after(BATCH_REPAINT_DELAY)));
            if let Some(startup) = self.pending.take() {
                self.start(startup);
            }
        }
        self.drain(ctx, start + DRAIN_BUDGET);
        let now = Instant::now();
        if let Some(stats) = &self.stats
            && stats.due(now)
        {
            let snapshot = self.snapshot(now);
            if let Some(stats) = &mut self.stats {
                stats.write(now, &snapshot);
            }
        }
        if self.session.is_some() || self.stats.is_some() {
            // Keep the rate, the reconnect countdown and the stats file fresh.
            ctx.request_repaint_after(Duration::from_secs(1));
        }
        self.logic_time = start.elapsed();
    }

    fn drain(&mut self, ctx: &egui::Context, deadline: Instant) {
        let Some(session) = &mut self.session else {
            return;
        };
        while let Some(event) = session.handle.try_event() {
            match event {
                Event::Messages(batch) => {
                    if let Some(recorder) = &mut self.recorder
                        && let Err(e) = recorder.write_batch(&batch)
                    {
                        self.notices.warn(format!("Recording stopped: could not write: {e}"));
                        self.recorder = None;
                    }
                    session.model.apply(batch, Instant::now());
                }
                Event::State(state) => session.state = state,
                Event::Published { topic, qos } => {
                    let how = if qos == 0 { "sent" } else { "acknowledged by the broker" };
                    self.publish
                        .set_result(Ok(format!("Published to {topic} (QoS {qos}, {how})")));
                }
                Event::PublishFailed { topic, reason } => {
                    self.publish
                        .set_result(Err(format!("Not published to {topic}: {reason}")));
                }
                Event::Subscribed { filter, granted_qos } => {
                    tracing::debug!(%filter, granted_qos, "subscribed");
                }
                Event::SubscribeRefused { filter } => self
                    .notices
                    .warn(format!("The broker refused the subscription {filter}")),
            }
            if Instant::now() >= deadline {
                // The rest waits for the next frame, which comes at once.
                ctx.request_repaint();
                break;
            }
        }
    }

    fn snapshot(&self, now: Instant) -> StatsSnapshot {
        let (p50, p99) = self.frames.percentiles();
        let model = self.model();
        StatsSnapshot {
            received: self.received(),
            applied: model.map_or(0, Model::applied),
            // The pipeline from worker to Model never discards; history eviction is `evicted`.
            dropped: 0,
            topics: model.map_or(0, |m| m.tree.topic_count()),
            stored_messages: model.map_or(0, |m| m.history.stored_messages()),
            store_bytes: model.map_or(0, |m| m.history.bytes()),
            evicted: model.map_or(0, |m| m.history.evicted()),
            frames: self.frames.frames(),
            frame_ms_p50: p50,
            frame_ms_p99: p99,
            rss_bytes: rss_bytes(),
            uptime_s: now.duration_since(self.started).as_secs_f64(),
            first_frame_ms: self.first_frame.map(|d| d.as_secs_f64() * 1000.0),
            connections: self
                .session
                .iter()
                .map(|s| ConnectionStats {
                    name: s.handle.name().to_owned(),
                    state: s.state.label().to_owned(),
                    error: s.state.error().map(str::to_owned),
                    received: s.handle.received(),
                })
                .collect(),
        }
    }

    fn start(&mut self, startup: Startup) {
        match startup {
            Startup::Welcome => {}
            Startup::Demo => self.handle(Action::StartDemo),
            Startup::Connect(spec) => self.connect(spec),
            Startup::Profile(name) => self.handle(Action::ConnectProfile { name, password: None }),
        }
    }

    fn connect(&mut self, spec: ConnectionSpec) {
        let Some(wake) = self.wake.clone() else {
            self.pending = Some(Startup::Connect(spec));
            return;
        };
        tracing::info!(name = %spec.name, address = %spec.address(), "connecting");
        self.session = None; // closes the previous connection
        self.tree = TreePanel::default();
        self.inspector = InspectorPanel::default();
        let handle = ConnectionHandle::spawn(spec, &self.runtime, wake);
        self.session = Some(Session {
            handle,
            model: Model::new(self.settings.history_limits(), DEFAULT_SERIES_POINTS),
            state: ConnectionState::Connecting,
        });
        if let Some(session) = &mut self.session {
            for (topic, path) in &self.charts {
                session.model.add_series(topic, path);
            }
        }
    }

    fn start_demo(&mut self) {
        if self.demo.is_none() {
            match DemoBroker::start() {
                Ok(broker) => {
                    let (stored_tx, stored_rx) = std::sync::mpsc::channel();
                    let sensors = run_sensors("127.0.0.1".to_owned(), broker.port, fastrand::u64(..), Some(stored_tx));
                    self.runtime.spawn(sensors);
                    // Subscribe only once the retained status is stored, so it shows as retained.
                    // Bounded: a slow start must not hold the window.
                    if stored_rx.recv_timeout(DEMO_READY_TIMEOUT).is_err() {
                        tracing::warn!("the demo sensors were slow to start");
                    }
                    self.demo = Some(broker);
                }
                Err(e) => {
                    self.notices.warn(format!("The demo could not start: {e:#}"));
                    return;
                }
            }
        }
        if let Some(port) = self.demo_port() {
            let mut spec = ConnectionSpec::new("127.0.0.1", port);
            spec.name = "Demo broker".to_owned();
            self.connect(spec);
        }
    }

    fn handle(&mut self, action: Action) {
        match action {
            Action::SelectTopic(node) => self.inspector.select(node),
            Action::Chart { topic, path } => {
                if let Some(session) = &mut self.session {
                    session.model.add_series(&topic, &path);
                }
            }
            Action::ClearCharts => {
                if let Some(session) = &mut self.session {
                    session.model.series.clear();
                }
            }
            Action::Publish {
                topic,
                payload,
                qos,
                retain,
            } => {
                if let Some(session) = &self.session {
                    session.handle.send(Command::Publish {
                        topic,
                        payload,
                        qos,
                        retain,
                    });
                }
            }
            Action::StartDemo => self.start_demo(),
            Action::NewProfile => self.profile_form = Some(ProfileForm::new_profile(self.profiles.profiles())),
            Action::EditProfile(name) => {
                if let Some(profile) = self.profiles.get(&name) {
                    self.profile_form = Some(ProfileForm::edit(Some(name), profile.clone()));
                }
            }
            Action::ConnectProfile { name, password } => {
                let Some(profile) = self.profiles.get(&name).cloned() else {
                    self.notices
                        .warn(format!("There is no saved connection named '{name}'."));
                    return;
                };
                if !profile.username.is_empty() && password.is_none() && profile.password.is_none() {
                    self.password_prompt = Some(PasswordPrompt::new(name));
                    return;
                }
                self.password_prompt = None;
                self.connect(profile.to_spec(password));
            }
            Action::SaveProfile {
                previous,
                profile,
                connect,
                password,
            } => match self.profiles.upsert(previous.as_deref(), profile.clone()) {
                Ok(()) => {
                    self.profile_form = None;
                    if connect {
                        self.connect(profile.to_spec(password));
                    }
                }
                Err(e) => {
                    if let Some(form) = &mut self.profile_form {
                        form.set_error(format!("Not saved: {e}"));
                    }
                }
            },
            Action::DeleteProfile(name) => {
                self.profile_form = None;
                match self.profiles.delete(&name) {
                    Ok(()) => self.notices.info(format!("Deleted the connection '{name}'.")),
                    Err(e) => self.notices.warn(format!("Not deleted: {e}")),
                }
            }
            Action::Disconnect => {
                if let Some(session) = &self.session {
                    session.handle.close();
                }
            }
            Action::Retry => {
                if let Some(session) = &self.session {
                    session.handle.send(Command::Reconnect);
                }
            }
            Action::AskClearRetained(node) => {
                let Some(model) = self.model() else { return };
                let topics = model.tree.retained_at_or_below(node);
                let root = model.tree.topic(node);
                if topics.is_empty() {
                    self.notices.info(format!("No retained messages at or below {root}."));
                } else {
                    self.confirm_clear = Some(ClearRetainedPrompt::new(root, topics));
                }
            }
            Action::OpenSettings => self.settings_window = Some(SettingsWindow::new(self.settings)),
            Action::ApplySettings(settings) => {
                self.settings = settings;
                if let Some(session) = &mut self.session {
                    session.model.set_history_limits(settings.history_limits());
                }
                if let Err(e) = settings.save(&self.config_dir) {
                    self.notices.warn(format!(
                        "Settings applied but not saved to {}: {e}",
                        self.config_dir.display()
                    ));
                }
            }
            Action::ClearRetained(topics) => {
                let Some(session) = &self.session else { return };
                for topic in &topics {
                    // QoS 1: each clear is acknowledged, and the broker echoes the
                    // empty message to our subscription, which unmarks the topic.
                    session.handle.send(Command::Publish {
                        topic: topic.clone(),
                        payload: Vec::new(),
                        qos: 1,
                        retain: true,
                    });
                }
                self.clearing = Some(topics);
            }
        }
    }

    /// "Clearing retained 3/10" while the broker confirms, then forgets it.
    fn clearing_progress(&mut self) -> Option<String> {
        let topics = self.clearing.as_ref()?;
        let model = self.model()?;
        let done = topics
            .iter()
            .filter(|t| model.tree.get(t).is_none_or(|id| !model.tree.node(id).retained))
            .count();
        if done == topics.len() {
            let n = topics.len();
            self.clearing = None;
            self.notices.info(format!("Cleared {n} retained messages."));
            return None;
        }
        Some(format!("Clearing retained messages: {done}/{}", topics.len()))
    }

    /// Lay out the window. Panels return Actions, handled after drawing.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let start = Instant::now();
        let mut actions: Vec<Action> = Vec::new();
        egui::Panel::top("top_bar").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(RichText::new("mqscope").strong().size(16.0));
                ui.separator();
                self.connection_menu_ui(ui, &mut actions);
                if ui.button("Settings").clicked() {
                    actions.push(Action::OpenSettings);
                }
                if let Some(session) = &self.session {
                    let (text, color) = state_text(&session.state, &session.handle.spec.address(), Instant::now());
                    state_dot_ui(ui, color);
                    ui.label(RichText::new(session.handle.name()).strong());
                    ui.label(RichText::new(text).color(color));
                    if matches!(
                        session.state,
                        ConnectionState::Failed { .. } | ConnectionState::Reconnecting { .. }
                    ) && ui.button("Retry now").clicked()
                    {
                        actions.push(Action::Retry);
                    }
                }
            });
        });
        self.notices.ui(ui);
        let activity = self.clearing_progress();
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            let now = Instant::now();
            let line = StatusLine {
                activity: activity.as_deref(),
                state: self.session.as_ref().map(|s| (&s.state, s.handle.spec.name.as_str())),
                rate: self.model().map_or(0.0, |m| m.rate(now)),
                topics: self.model().map_or(0, |m| m.tree.topic_count()),
                received: self.received(),
                applied: self.model().map_or(0, Model::applied),
                stored: self.model().map_or(0, |m| m.history.stored_messages()),
                stored_bytes: self.model().map_or(0, |m| m.history.bytes()),
                evicted: self.model().map_or(0, |m| m.history.evicted()),
            };
            status_bar_ui(ui, &line, now);
        });
        if let Some(session) = &self.session {
            let model = &session.model;
            let connected = session.state == ConnectionState::Connected;
            egui::Panel::left("tree_panel")
                .resizable(true)
                .default_size(460.0)
                .min_size(220.0)
                .show(ui, |ui| actions.extend(self.tree.ui(ui, model)));
            let selected_topic = self.tree.selected.map(|id| model.tree.topic(id));
            egui::Panel::right("publish_panel")
                .resizable(true)
                .default_size(300.0)
                .min_size(220.0)
                .show(ui, |ui| {
                    actions.extend(self.publish.ui(ui, connected, selected_topic.as_deref()))
                });
            egui::Panel::bottom("chart_panel")
                .resizable(true)
                .default_size(style::CHART_HEIGHT)
                .min_size(style::CHART_MIN_HEIGHT)
                .show(ui, |ui| actions.extend(self.chart.ui(ui, model)));
            egui::CentralPanel::default().show(ui, |ui| actions.extend(self.inspector.ui(ui, model)));
        } else {
            egui::CentralPanel::default().show(ui, |ui| actions.extend(welcome_ui(ui, self.profiles.profiles())));
        }
        let ctx = ui.ctx().clone();
        if let Some(form) = &mut self.profile_form {
            let mut open = true;
            actions.extend(form.ui(&ctx, &mut open));
            if !open {
                self.profile_form = None;
            }
        }
        if let Some(prompt) = &mut self.password_prompt {
            let mut open = true;
            actions.extend(prompt.ui(&ctx, &mut open));
            if !open {
                self.password_prompt = None;
            }
        }
        if let Some(prompt) = &mut self.confirm_clear {
            let (action, open) = prompt.ui(&ctx);
            actions.extend(action);
            if !open {
                self.confirm_clear = None;
            }
        }
        if let Some(window) = &mut self.settings_window {
            let mut open = true;
            let model = self.session.as_ref().map(|s| &s.model);
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

    fn connection_menu_ui(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        ui.menu_button("Connection", |ui| {
            if ui.button("New connection…").clicked() {
                actions.push(Action::NewProfile);
            }
            if ui.button("Start demo").clicked() {
                actions.push(Action::StartDemo);
            }
            if self
                .session
                .as_ref()
                .is_some_and(|s| s.state != ConnectionState::Closed)
                && ui.button("Disconnect").clicked()
            {
                actions.push(Action::Disconnect);
            }
            if !self.profiles.profiles().is_empty() {
                ui.separator();
                for profile in self.profiles.profiles() {
                    ui.horizontal(|ui| {
                        if ui.button(format!("Connect to {}", profile.name)).clicked() {
                            actions.push(Action::ConnectProfile {
                                name: profile.name.clone(),
                                password: None,
                            });
                        }
                        if ui.small_button("Edit").clicked() {
                            actions.push(Action::EditProfile(profile.name.clone()));
                        }
                    });
                }
            }
        });
    }
}

impl eframe::App for MqscopeApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        MqscopeApp::logic(self, ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        MqscopeApp::ui(self, ui);
    }
}

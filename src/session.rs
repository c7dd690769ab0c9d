//! One open connection as the window shows it: the connection handle, its own
//! Model, and its own panels (tree, inspector, chart, publish form,
//! subscriptions). Sessions never share messages or panel state, so several
//! connections can stay open side by side and closing one leaves the others be.

use std::time::{Instant, SystemTime};

use crate::model::{Model, SeriesSpec};
use crate::mqtt::{Command, ConnectionHandle, Event};
use crate::publish::PublishRequest;
use crate::ui::chart::ChartPanel;
use crate::ui::inspector::InspectorPanel;
use crate::ui::layout::{self, PanelsShown};
use crate::ui::notices::Notices;
use crate::ui::publish::PublishPanel;
use crate::ui::subscriptions::{SubscriptionStatus, SubscriptionsPanel};
use crate::ui::tree::TreePanel;
use crate::ui::{Action, ChartEdit, ConnectionAction};
use crate::vocab::{ConnectionState, MessageProperties};

/// Publishes a repeat job may have waiting for the connection: past this it
/// holds back instead of growing the queue (a broker slower than the job).
const MAX_PUBLISHES_WAITING: usize = 1_000;

/// Messages applied between two looks at the frame's drain deadline. A batch
/// holds up to a thousand messages; on new topics each costs tens of
/// microseconds, so a whole batch at once held one frame for 30–40 ms.
pub const APPLY_SLICE: usize = 64;

/// What carrying out a connection's action asks of the window.
#[derive(Debug)]
pub enum Effect {
    /// The chart layouts changed: keep them.
    ChartsChanged,
    /// The sent history changed: keep it.
    SentChanged,
    /// Write these bytes (privately) and say so; `what` names them ("12 messages").
    SaveFile {
        path: std::path::PathBuf,
        bytes: Vec<u8>,
        what: String,
    },
    Failed(String),
    Info(String),
}

pub struct Session {
    /// Stable for the life of the app, unlike the tab index.
    pub id: u64,
    pub handle: ConnectionHandle,
    pub model: Model,
    pub state: ConnectionState,
    pub tree: TreePanel,
    pub inspector: InspectorPanel,
    pub chart: ChartPanel,
    pub publish: PublishPanel,
    pub subscriptions: SubscriptionsPanel,
    /// Topics whose retained message is being cleared.
    clearing: Option<Vec<String>>,
    /// The broker's `$SYS` dashboard is open.
    pub sys_open: bool,
    /// What the `$SYS` dashboard shows, read again only when `$SYS` news arrives.
    sys_cache: crate::ui::broker_stats::BrokerWindowCache,
    /// Messages read and not kept: larger than the limit (MQTT 3.1.1).
    pub too_large: u64,
    /// Recording this connection's messages (started from the window).
    pub recorder: Option<crate::record::Recorder>,
    /// The file this tab replays, when it is a recording (offline: no broker).
    pub offline_file: Option<std::path::PathBuf>,
    /// The rest of the batch being applied (a slice at a time, see
    /// [`APPLY_SLICE`]): the next event is taken only once it is empty.
    unapplied: std::vec::IntoIter<crate::vocab::ReceivedMessage>,
    /// Messages the tab's earlier connections received (before a Reconnect):
    /// with the current one's, what `applied` is compared with.
    received_before: u64,
}

impl Session {
    pub fn new(id: u64, handle: ConnectionHandle, model: Model) -> Self {
        let subscriptions = SubscriptionsPanel::new(&handle.spec.subscriptions);
        Self {
            id,
            handle,
            model,
            state: ConnectionState::Connecting,
            tree: TreePanel::default(),
            inspector: InspectorPanel::default(),
            chart: ChartPanel::default(),
            publish: PublishPanel::default(),
            subscriptions,
            clearing: None,
            sys_open: false,
            sys_cache: Default::default(),
            recorder: None,
            too_large: 0,
            offline_file: None,
            unapplied: Vec::new().into_iter(),
            received_before: 0,
        }
    }

    /// Part of a batch is still to be applied.
    pub fn has_unapplied(&self) -> bool {
        self.unapplied.len() > 0
    }

    /// Apply what is left of the batch being applied, a slice at a time,
    /// until it is all applied (true) or `deadline` has passed (false; at
    /// least one slice is applied). Without a deadline, all of it.
    pub fn apply_unapplied(&mut self, deadline: Option<Instant>) -> bool {
        while self.unapplied.len() > 0 {
            self.model
                .apply(self.unapplied.by_ref().take(APPLY_SLICE), Instant::now());
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                return self.unapplied.len() == 0;
            }
        }
        true
    }

    /// Messages this tab's connections received from the broker, all of them.
    pub fn received(&self) -> u64 {
        self.received_before + self.handle.received()
    }

    /// A live connection open in this tab: connected or on its way there
    /// (not closed, not failed, not a recording).
    pub fn is_live(&self) -> bool {
        self.offline_file.is_none()
            && matches!(
                self.state,
                ConnectionState::Connected | ConnectionState::Connecting | ConnectionState::Reconnecting { .. }
            )
    }

    /// Connect this tab again with `handle` (same broker): the tree, charts
    /// and history stay; the subscriptions are the new connection's.
    /// What the old connection handed over already is applied first; what it
    /// had received and not handed over stays counted in `received` (so the
    /// status bar shows it as not applied, not as never received).
    pub fn replace_connection(&mut self, handle: ConnectionHandle, notices: &mut Notices) {
        self.handle.close();
        while let Some(event) = self.handle.try_event() {
            self.on_event(event, notices);
        }
        self.apply_unapplied(None);
        self.received_before += self.handle.received();
        self.subscriptions = SubscriptionsPanel::new(&handle.spec.subscriptions);
        self.handle = handle;
        self.state = ConnectionState::Connecting;
        // Clears sent on the old connection are not followed on the new one.
        self.clearing = None;
    }

    /// Where this tab's messages come from: the broker's URL, or the recording's path.
    fn source(&self) -> String {
        match &self.offline_file {
            Some(path) => path.display().to_string(),
            None => self.handle.spec.url(),
        }
    }

    /// What the top bar shows of this connection.
    pub fn on_screen(&self) -> crate::ui::chrome::OnScreen<'_> {
        let spec = &self.handle.spec;
        crate::ui::chrome::OnScreen {
            name: self.name(),
            url: self.source(),
            state: &self.state,
            protocol: spec.protocol,
            insecure: spec.transport.uses_tls() && spec.tls.insecure,
            sys_open: self.sys_open,
            recording: self.recorder.as_ref().map(|r| crate::ui::chrome::Recording {
                bytes: r.size(),
                messages: r.messages(),
                not_recorded: r.not_recorded(),
                path: r.path().display().to_string(),
            }),
            offline: self.offline_file.is_some(),
        }
    }

    /// What the status bar says of this connection at `now`.
    pub fn status_line<'a>(
        &'a self,
        activity: Option<&'a str>,
        now: std::time::Instant,
    ) -> crate::ui::status::StatusLine<'a> {
        let model = &self.model;
        crate::ui::status::StatusLine {
            activity,
            state: Some((&self.state, self.handle.spec.name.as_str())),
            rate: model.rate(now),
            topics: model.tree.topic_count(),
            received: self.received(),
            applied: model.applied(),
            stored: model.history.stored_messages(),
            stored_bytes: model.budget_bytes(),
            evicted: model.history.evicted(),
            latest_let_go: model.history.latest_let_go(),
            refused_topics: model.refused_topics(),
            invalid_topics: model.invalid_topics(),
            reading: self.handle.reading_progress(),
        }
    }

    /// Its tab in the row of connections.
    pub fn tab(&self) -> crate::ui::chrome::Tab<'_> {
        crate::ui::chrome::Tab {
            name: self.name(),
            url: self.source(),
            state: &self.state,
            offline: self.offline_file.is_some(),
            notices: 0,
        }
    }

    pub fn name(&self) -> &str {
        self.handle.name()
    }

    /// Apply one event from this session's connection. A batch of messages
    /// is recorded at once and applied by [`Self::apply_unapplied`]; what is
    /// left of an earlier batch is applied first, so order is kept.
    pub fn on_event(&mut self, event: Event, notices: &mut Notices) {
        self.apply_unapplied(None);
        match event {
            Event::Messages(batch) => {
                if let Some(recorder) = &mut self.recorder
                    && let Err(e) = recorder.write_batch(&batch)
                {
                    notices.tab(self.id).warn(format!(
                        "Recording of {} stopped: could not write {}: {e}",
                        self.handle.name(),
                        recorder.path().display()
                    ));
                    self.recorder = None;
                }
                self.unapplied = batch.into_iter();
            }
            Event::State(state) => {
                if state == ConnectionState::Connected || self.state == ConnectionState::Connected {
                    // Every subscription is sent again on each CONNACK; and a
                    // grant does not outlive the connection it was given on.
                    self.subscriptions.mark_all_pending();
                }
                self.state = state;
            }
            Event::Published { topic, qos } => self.publish.answered(&topic, Ok(qos)),
            Event::PublishFailed { topic, reason } => self.publish.answered(&topic, Err(reason)),
            Event::Subscribed { filter, granted_qos } => {
                tracing::debug!(%filter, granted_qos, "subscribed");
                self.subscriptions
                    .set_status(&filter, SubscriptionStatus::Granted(granted_qos));
            }
            Event::SubscribeRefused { filter, reason } => {
                notices.tab(self.id).warn(format!(
                    "{}: the broker refused the subscription {filter}: {reason}",
                    self.name()
                ));
                self.subscriptions
                    .set_status(&filter, SubscriptionStatus::Refused(reason));
            }
            Event::Unsubscribed { filter } => tracing::debug!(%filter, "unsubscribed"),
            Event::TooLarge { topic, bytes, limit } => {
                self.too_large += 1;
                notices.tab(self.id).set(
                    &format!("too-large-{}", self.id),
                    true,
                    format!(
                        "{}: a {} message on {} was larger than the {} limit (Settings → Largest packet) and was not kept ({} so far).",
                        self.name(),
                        crate::payload::human_size(bytes),
                        crate::vocab::topic::display(&topic),
                        crate::payload::human_size(limit),
                        self.too_large
                    ),
                );
            }
        }
    }

    /// Carry out an action on this connection; what the window must do after
    /// it (keep a layout, write a file, say something) comes back typed.
    pub fn handle(&mut self, action: ConnectionAction) -> Option<Effect> {
        match action {
            ConnectionAction::SelectTopic(node) => self.inspector.select(node),
            ConnectionAction::Chart { topic, path, new_chart } => {
                let chart = if new_chart {
                    self.edit_charts(ChartEdit::AddChart);
                    let last = self.model.charts.charts().len().saturating_sub(1);
                    self.chart.show_chart(last);
                    last
                } else {
                    self.chart.current().min(self.model.charts.charts().len())
                };
                self.model.add_source(chart, SeriesSpec::new(&topic, &path));
                return Some(Effect::ChartsChanged);
            }
            ConnectionAction::EditCharts(edit) => {
                self.edit_charts(edit);
                return Some(Effect::ChartsChanged);
            }
            ConnectionAction::ExportCsv { chart, path } => {
                return Some(match crate::export::chart_csv(&self.model, chart) {
                    Some((bytes, rows)) => Effect::SaveFile {
                        path,
                        bytes,
                        what: format!("{rows} chart points as CSV"),
                    },
                    None => Effect::Failed("There is no chart to export.".into()),
                });
            }
            ConnectionAction::Publish(request) => {
                crate::publish::remember(
                    &mut self.publish.history,
                    crate::publish::PublishedEntry::new(&request, SystemTime::now()),
                );
                self.send(*request);
                return Some(Effect::SentChanged);
            }
            ConnectionAction::Subscribe(sub) => {
                // Listed whoever asked (the panel lists its own; the $SYS window's too).
                self.subscriptions.add(sub.clone());
                self.handle.send(Command::Subscribe(sub));
            }
            ConnectionAction::Unsubscribe(filter) => self.handle.send(Command::Unsubscribe { filter }),
            ConnectionAction::Disconnect => self.handle.close(),
            ConnectionAction::ToggleBrokerStats => self.sys_open = !self.sys_open,
            ConnectionAction::StartRecording(path) => match crate::record::Recorder::open(&path) {
                Ok(recorder) => self.recorder = Some(recorder),
                Err(e) => return Some(Effect::Failed(format!("Cannot record to {}: {e}", path.display()))),
            },
            ConnectionAction::StopRecording => {
                if let Some(r) = self.recorder.take() {
                    let lost = match r.not_recorded() {
                        0 => String::new(),
                        n => format!(" {n} messages were not recorded: the disk fell behind."),
                    };
                    return Some(Effect::Info(format!(
                        "Recorded {} messages to {} ({}).{lost}",
                        r.messages(),
                        r.path().display(),
                        crate::payload::human_size(r.size() as usize)
                    )));
                }
            }
            ConnectionAction::ExportMessages { node, path, csv } => {
                let (bytes, n) = crate::export::export_messages(&self.model, node, csv);
                return Some(Effect::SaveFile {
                    path,
                    bytes,
                    what: format!("{n} messages"),
                });
            }
            ConnectionAction::Retry => self.handle.send(Command::Reconnect),
            ConnectionAction::ClearRetained(topics) => {
                for topic in &topics {
                    // QoS 1: each clear is acknowledged, and the broker echoes the
                    // empty message to our subscription, which unmarks the topic.
                    self.handle.send(Command::Publish {
                        topic: topic.clone(),
                        payload: Vec::new(),
                        qos: 1,
                        retain: true,
                        properties: MessageProperties::default(),
                    });
                }
                self.clearing = Some(topics);
            }
        }
        None
    }

    fn send(&self, request: PublishRequest) {
        self.handle.send(Command::Publish {
            topic: request.topic,
            payload: request.payload,
            qos: request.qos,
            retain: request.retain,
            properties: request.properties,
        });
    }

    /// Send what the publish form's repeat owes by `now`; returns when it is next due.
    pub fn tick(&mut self, now: Instant) -> Option<Instant> {
        if !self.publish.is_repeating() {
            return None;
        }
        if self.state != ConnectionState::Connected {
            // Nothing piles up while offline: the job waits (its schedule catches up in one bounded burst).
            return Some(now + std::time::Duration::from_millis(250));
        }
        // Backpressure: while the connection has not taken what was sent,
        // nothing more is made (the schedule catches up in one bounded burst).
        let waiting = self.handle.publishes_waiting();
        self.publish.set_held_back(waiting >= MAX_PUBLISHES_WAITING);
        if waiting >= MAX_PUBLISHES_WAITING {
            return Some(now + std::time::Duration::from_millis(50));
        }
        let (due, next) = self.publish.take_due(now);
        for request in due {
            self.send(request);
        }
        next
    }

    fn edit_charts(&mut self, edit: ChartEdit) {
        let charts = &mut self.model.charts;
        let now = SystemTime::now();
        match edit {
            ChartEdit::AddChart => {
                let name = charts.next_chart_name();
                if charts.charts().is_empty() {
                    // The tab on screen before any chart exists is "Chart 1": make it real first.
                    charts.add_chart(&name);
                    let name = charts.next_chart_name();
                    charts.add_chart(&name);
                } else {
                    charts.add_chart(&name);
                }
            }
            ChartEdit::RenameChart(chart, name) => charts.rename_chart(chart, &name),
            ChartEdit::RemoveChart(chart) => charts.remove_chart(chart),
            ChartEdit::AddSeries { chart, spec } => {
                self.model.add_source(chart, spec);
            }
            ChartEdit::RemoveSeries { chart, source } => charts.remove_source(chart, source),
            ChartEdit::SetHidden { chart, source, hidden } => charts.set_hidden(chart, source, hidden),
            ChartEdit::SetRightAxis { chart, source, right } => charts.set_right_axis(chart, source, right),
            ChartEdit::SetThreshold {
                chart,
                source,
                threshold,
            } => charts.set_threshold(chart, source, threshold, now),
        }
    }

    /// Alerts raised or cleared since the last call, as notices; and the
    /// tree's alert marks (alerting topics and the rows above them).
    pub fn show_alerts(&mut self, notices: &mut Notices) {
        let events = self.model.charts.alerts.take_unseen();
        if let Some(latest) = events.last() {
            // One line per connection, showing the latest news.
            let active = self.model.charts.alerting().count();
            let more = match active {
                0 => String::new(),
                1 if latest.raised => String::new(),
                n => format!(
                    " ({} raised: see the chart's alerts log)",
                    crate::ui::counted(n as u64, "alert", "alerts")
                ),
            };
            let text = format!("{}: {}{more}", self.name(), latest.headline());
            let key = format!("alerts-{}", self.id);
            // A raised alert is news; its clearing updates a toast still on
            // screen, else goes to the log only (the alerts log has it all).
            if latest.raised || notices.has_key(&key) {
                notices.tab(self.id).set(&key, active > 0, text);
            } else {
                notices.log_only(false, &text);
            }
        }
        let tree = &self.model.tree;
        self.tree.alerts.clear();
        for series in self.model.charts.alerting() {
            let mut node = tree.get(&series.topic);
            while let Some(id) = node.filter(|&id| id != crate::model::ROOT) {
                if !self.tree.alerts.insert(id) {
                    break;
                }
                node = Some(tree.node(id).parent);
            }
        }
    }

    /// "Clearing retained 3/10" while the broker confirms, then forgets it.
    pub fn clearing_progress(&mut self, notices: &mut Notices) -> Option<String> {
        let topics = self.clearing.as_ref()?;
        let tree = &self.model.tree;
        let done = topics
            .iter()
            .filter(|t| tree.get(t).is_none_or(|id| !tree.node(id).retained))
            .count();
        if done == topics.len() {
            let n = topics.len();
            self.clearing = None;
            notices.tab(self.id).info(format!("Cleared {n} retained messages."));
            return None;
        }
        Some(format!("Clearing retained messages: {done}/{}", topics.len()))
    }

    /// The connection's panels: subscriptions and tree down the left, charts
    /// along the bottom of the rest, publish form on the right, inspector in
    /// the middle.
    /// `shown`: which foldable panels are open (the user may fold one here,
    /// by dragging its edge).
    pub fn panels_ui(&mut self, ui: &mut egui::Ui, shown: &mut PanelsShown, actions: &mut Vec<Action>) {
        let connected = self.state == ConnectionState::Connected;
        let protocol = self.handle.spec.protocol;
        self.tree.marks = self.subscriptions.marks();
        let model = &self.model;
        // A recording has no broker: nothing to subscribe or publish to.
        let offline = self.offline_file.is_some();
        let mut publish_shown = shown.publish && !offline;
        let room = ui.available_rect_before_wrap();
        let sizes = layout::sizes(
            room.width(),
            room.height(),
            PanelsShown {
                publish: publish_shown,
                ..*shown
            },
        );
        egui::Panel::left("tree_panel")
            .resizable(true)
            .default_size(sizes.tree.0)
            .size_range(layout::TREE_MIN_WIDTH..=sizes.tree.1)
            .show(ui, |ui| {
                if offline {
                    ui.weak("A recording: the messages as they were recorded.");
                } else {
                    let count = self.subscriptions.rows().len();
                    egui::CollapsingHeader::new(format!("Subscriptions ({count})"))
                        .id_salt("subscriptions")
                        .default_open(true)
                        .show(ui, |ui| actions.extend(self.subscriptions.ui(ui, protocol)));
                }
                ui.separator();
                actions.extend(self.tree.ui(ui, model));
            });
        // The charts next, so they span the width right of the tree, under the inspector and publish form.
        let chart_max =
            (ui.available_height() - layout::INSPECTOR_MIN_HEIGHT).clamp(layout::CHART_MIN_HEIGHT, sizes.chart.1);
        egui::Panel::bottom("chart_panel")
            .resizable(true)
            .default_size(sizes.chart.0)
            .size_range(layout::CHART_MIN_HEIGHT..=chart_max)
            .show_collapsible(ui, &mut shown.charts, |ui| actions.extend(self.chart.ui(ui, model)));
        let selected_topic = self.tree.selected.map(|id| model.tree.topic(id));
        let publish_max =
            (ui.available_width() - layout::INSPECTOR_MIN_WIDTH).clamp(layout::PUBLISH_MIN_WIDTH, sizes.publish.1);
        egui::Panel::right("publish_panel")
            .resizable(true)
            .default_size(sizes.publish.0)
            .size_range(layout::PUBLISH_MIN_WIDTH..=publish_max)
            .show_collapsible(ui, &mut publish_shown, |ui| {
                actions.extend(
                    self.publish
                        .ui(ui, model, connected, protocol, selected_topic.as_deref()),
                )
            });
        if !offline {
            shown.publish = publish_shown;
        }
        egui::CentralPanel::default().show(ui, |ui| actions.extend(self.inspector.ui(ui, model)));
        if self.sys_open {
            let subscribed = self
                .subscriptions
                .rows()
                .iter()
                .any(|r| r.sub.filter.starts_with("$SYS"));
            let mut open = true;
            actions.extend(crate::ui::broker_stats::broker_window(
                ui.ctx(),
                &mut open,
                model,
                subscribed,
                &mut self.sys_cache,
            ));
            self.sys_open = open;
        }
    }
}

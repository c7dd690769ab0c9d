//! Drawing, with egui only. Each panel is a struct with
//! `fn ui(&mut self, ui, &Model) -> Vec<Action>` (or `Option` where a frame
//! can ask at most one thing): it reads the Model and says, in order, what the
//! user asked for; the app routes each Action to the connection or the window.
//! Nothing here talks to the network or changes the Model.

pub mod alerts;
pub mod broker_stats;
pub mod chart;
pub mod chrome;
pub mod clear_retained;
pub mod dialog;
pub mod file_chooser;
mod form_fields;
pub mod inspector;
pub mod json_colour;
pub mod json_tree;
pub mod layout;
pub mod notices;
pub mod password_prompt;
pub mod profile_form;
pub mod publish;
pub mod settings;
pub mod shortcuts;
pub mod sparkplug;
pub mod status;
pub mod style;
pub mod subscriptions;
pub mod transfer;
pub mod tree;
pub mod welcome;

use crate::model::NodeId;
use crate::profiles::Profile;
use crate::secret::Secret;

/// What the user asked for, typed by who carries it out: the connection on
/// screen, or the window. Panels push Actions; the app routes each to its
/// handler, which matches it whole (no "anything else" arm).
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Connection(ConnectionAction),
    Window(WindowAction),
}

/// What the connection on screen does (`Session::handle`).
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectionAction {
    SelectTopic(NodeId),
    /// Chart this value: in the chart on screen, or in a new chart of its own.
    Chart {
        topic: String,
        path: String,
        new_chart: bool,
    },
    /// Change the charts of the connection on screen.
    EditCharts(ChartEdit),
    /// Write a chart's series to a CSV file.
    ExportCsv {
        chart: usize,
        path: std::path::PathBuf,
    },
    /// Send one message (the publish form, or one from the sent history).
    Publish(Box<crate::publish::PublishRequest>),
    /// Show or hide the broker's `$SYS` dashboard of the connection on screen.
    ToggleBrokerStats,
    /// Record the connection on screen to this file (NDJSON, appended).
    StartRecording(std::path::PathBuf),
    StopRecording,
    /// Write the stored messages at and below a topic to a file.
    ExportMessages {
        node: NodeId,
        path: std::path::PathBuf,
        csv: bool,
    },
    Subscribe(crate::vocab::Subscription),
    Unsubscribe(String),
    Disconnect,
    Retry,
    /// Publish an empty retained message to each of these topics.
    ClearRetained(Vec<String>),
}

/// What the window does (`MqscopeApp`): tabs, profiles, files, settings, words.
#[derive(Debug, Clone, PartialEq)]
pub enum WindowAction {
    /// The publish templates changed: save them with the profile.
    TemplatesChanged(Vec<crate::publish::PublishTemplate>),
    /// Open the import or export window.
    OpenTransfer(transfer::TransferMode),
    /// Import the connections in this file (MQTT Explorer, MQTTX, mqscope).
    ImportProfiles(std::path::PathBuf),
    /// Open a recording (NDJSON or `mosquitto_sub -v` text) as an offline connection.
    OpenRecording {
        path: std::path::PathBuf,
        speed: Option<f64>,
    },
    /// Write every profile to this file.
    ExportProfiles {
        path: std::path::PathBuf,
        with_passwords: bool,
    },
    /// Show this open connection (its index in the tabs).
    SelectConnection(usize),
    /// Disconnect and close this open connection's tab.
    CloseConnection(usize),
    /// Connect the tab on screen again after a disconnect.
    Reconnect,
    StartDemo,
    NewProfile,
    EditProfile(String),
    /// Connect with a saved profile; secrets given here (typed in the
    /// prompt) come before the saved ones.
    ConnectProfile {
        name: String,
        password: Option<Secret>,
        passphrase: Option<Secret>,
    },
    SaveProfile {
        previous: Option<String>,
        profile: Box<Profile>,
        connect: bool,
        /// Typed in the form (empty fields: `None`).
        password: Option<Secret>,
        passphrase: Option<Secret>,
    },
    DeleteProfile(String),
    /// Open the form on a copy of this profile (saved as new).
    DuplicateProfile(String),
    /// Move a profile up (-1) or down (1) in the list.
    MoveProfile {
        name: String,
        by: isize,
    },
    /// Ask before clearing the retained messages of a topic and everything below it.
    AskClearRetained(NodeId),
    /// Write these bytes to a file; `what` names them in the message ("the payload").
    SaveFile {
        path: std::path::PathBuf,
        bytes: Vec<u8>,
        what: String,
    },
    /// Something went wrong that the user should read.
    Failed(String),
    /// Something was done that the user should know.
    Info(String),
    OpenSettings,
    ApplySettings(crate::settings::Settings),
}

/// A change to the charts of one connection.
#[derive(Debug, Clone, PartialEq)]
pub enum ChartEdit {
    AddChart,
    RenameChart(usize, String),
    RemoveChart(usize),
    AddSeries {
        chart: usize,
        spec: crate::model::SeriesSpec,
    },
    RemoveSeries {
        chart: usize,
        source: usize,
    },
    SetHidden {
        chart: usize,
        source: usize,
        hidden: bool,
    },
    /// Read this source against the right-hand axis (or back on the left).
    SetRightAxis {
        chart: usize,
        source: usize,
        right: bool,
    },
    SetThreshold {
        chart: usize,
        source: usize,
        threshold: crate::model::Threshold,
    },
}

/// A count with its noun, singular for one: "1 topic", "0 topics", "2 msgs".
pub fn counted(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Format a time as local `HH:MM:SS.mmm`.
pub fn clock(at: std::time::SystemTime) -> String {
    chrono::DateTime::<chrono::Local>::from(at)
        .format("%H:%M:%S%.3f")
        .to_string()
}

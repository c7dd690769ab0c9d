//! The connection badge and the status bar: state, rate, topic count, and the
//! received/applied counters that prove nothing was lost.

use std::time::Instant;

use egui::RichText;

use super::style;
use crate::payload::human_size;
use crate::vocab::ConnectionState;

/// The state in words, with its colour: "Reconnecting in 3 s: …".
pub fn state_text(state: &ConnectionState, address: &str, now: Instant) -> (String, egui::Color32) {
    match state {
        ConnectionState::Connecting => (format!("Connecting to {address}…"), style::connecting()),
        ConnectionState::Connected => (format!("Connected to {address}"), style::connected()),
        ConnectionState::Reconnecting {
            retry_at,
            attempt,
            reason,
        } => {
            let secs = retry_at.saturating_duration_since(now).as_secs_f32().ceil();
            (
                format!("Reconnecting in {secs:.0} s (attempt {attempt}): {reason}"),
                style::connecting(),
            )
        }
        ConnectionState::Failed { reason } => (format!("Error: {reason}"), style::error()),
        ConnectionState::Closed => ("Disconnected".to_owned(), style::closed()),
        // A recording: its name is beside it; there is no address to show.
        ConnectionState::Offline { note } => (format!("Offline: {note}"), style::retained()),
    }
}

/// The state's colour alone, for a tab's dot.
pub fn state_color(state: &ConnectionState) -> egui::Color32 {
    match state {
        ConnectionState::Connecting | ConnectionState::Reconnecting { .. } => style::connecting(),
        ConnectionState::Connected => style::connected(),
        ConnectionState::Failed { .. } => style::error(),
        ConnectionState::Closed => style::closed(),
        ConnectionState::Offline { .. } => style::retained(),
    }
}

/// A small filled circle in the state's colour (the default fonts lack "●").
pub fn state_dot_ui(ui: &mut egui::Ui, color: egui::Color32) {
    let size = egui::vec2(10.0, 10.0);
    let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), 4.5, color);
}

#[derive(Default)]
pub struct StatusLine<'a> {
    /// Work in progress to mention, e.g. clearing retained messages.
    pub activity: Option<&'a str>,
    pub state: Option<(&'a ConnectionState, &'a str)>,
    pub rate: f64,
    pub topics: u64,
    pub received: u64,
    pub applied: u64,
    pub stored: usize,
    /// Stored messages and the topic tree: what the history budget governs.
    pub stored_bytes: usize,
    pub evicted: u64,
    /// Latest messages of a topic let go: the latest messages alone passed the budget.
    pub latest_let_go: u64,
    /// Messages on new topics not kept: the topic tree alone filled the budget.
    pub refused_topics: u64,
    /// Messages whose topic was not UTF-8.
    pub invalid_topics: u64,
    /// A recording being read: how far, 0.0–1.0.
    pub reading: Option<f32>,
}

pub fn status_bar_ui(ui: &mut egui::Ui, line: &StatusLine<'_>, now: Instant) {
    ui.horizontal(|ui| {
        match line.state {
            Some((state, address)) => {
                let (text, color) = state_text(state, address, now);
                state_dot_ui(ui, color);
                ui.label(text);
            }
            None => {
                state_dot_ui(ui, style::closed());
                ui.label("Not connected");
            }
        }
        if let Some(fraction) = line.reading {
            ui.add(
                egui::ProgressBar::new(fraction)
                    .desired_width(140.0)
                    .text(format!("reading {:.0}%", fraction * 100.0)),
            );
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(250));
        }
        ui.separator();
        ui.label(format!("{:.1} msg/s", line.rate));
        ui.separator();
        ui.label(super::counted(line.topics, "topic", "topics"));
        ui.separator();
        ui.label(format!("received {} · applied {}", line.received, line.applied))
            .on_hover_text("Messages the connection got from the broker, and messages in the tree");
        ui.separator();
        ui.label(format!("stored {} ({})", line.stored, human_size(line.stored_bytes)))
            .on_hover_text("Messages kept, and the memory they and the topic tree take: what the history budget (Settings) bounds.");
        if let Some(activity) = line.activity {
            ui.separator();
            ui.spinner();
            ui.label(activity);
        }
        if line.invalid_topics > 0 {
            ui.separator();
            ui.label(
                RichText::new(format!("{} with a topic that is not UTF-8", line.invalid_topics)).color(style::error()),
            )
            .on_hover_text(
                "The broker sent topics with bytes that are not UTF-8 (MQTT forbids them). They are kept as \
                 received and shown with each bad byte as \\xNN.",
            );
        }
        if line.evicted > 0 {
            ui.label(RichText::new(format!("· {} older messages let go", line.evicted)).color(style::counts()))
                .on_hover_text("History is bounded: the oldest messages beyond the per-topic depth or the memory budget are dropped; the latest of every topic is kept while the latest messages fit.");
        }
        if line.latest_let_go > 0 {
            ui.label(
                RichText::new(format!("· {} latest payloads let go", line.latest_let_go)).color(style::connecting()),
            )
            .on_hover_text(
                "The latest messages of all topics, with the topic tree, passed the history budget: the topics \
                 quiet the longest lost their last payload (the topic stays in the tree). Raise the budget in Settings.",
            );
        }
        if line.refused_topics > 0 {
            ui.label(
                RichText::new(format!("· {} messages on new topics not kept", line.refused_topics)).color(style::error()),
            )
            .on_hover_text(
                "The topic tree alone fills the history budget: messages on topics not yet in the tree are counted \
                 but not kept. Known topics still update. Raise the budget in Settings.",
            );
        }
    });
}

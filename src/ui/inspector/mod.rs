//! The message inspector: the selected topic's payload in the view chosen for
//! that topic (auto-detected JSON, text, MessagePack, CBOR or a paged hex dump;
//! or forced: JSON, text, hex, Base64, MessagePack, CBOR, Sparkplug B), when
//! and how it arrived, its MQTT 5 properties, a Chart button on every number
//! in it, a diff against the message before, and the topic's history.

use egui::{RichText, TextStyle};

use super::{Action, clock, style};
use crate::model::{Model, NodeId};
use crate::ui::{ConnectionAction, WindowAction};
use std::collections::HashMap;

use base64::Engine as _;

use crate::payload::{
    Change, LineChange, PayloadDiff, PayloadView, Rendered, decode_prefix, diff, hex_line, hex_line_count, human_size,
    numeric_fields, preview, render,
};

/// Decoded text shown at most; past it the view says how much is hidden.
const MAX_SHOWN_BYTES: usize = 1024 * 1024;
/// Payloads past this size are decoded from their first bytes only, so a
/// 64 MiB payload never stalls a frame (the paged viewer is a later step).
const DECODE_LIMIT_BYTES: usize = 256 * 1024;
/// Chart buttons offered per message.
const MAX_CHART_FIELDS: usize = 12;

#[derive(Debug, Default)]
pub struct InspectorPanel {
    /// A message picked from the history, by sequence number; `None` follows the latest.
    pinned_seq: Option<u64>,
    node: Option<NodeId>,
    cache: Option<ShownMessage>,
    /// The view chosen per topic; topics without an entry are auto-detected.
    views: HashMap<String, PayloadView>,
    /// Show what changed since the message before instead of the payload.
    show_diff: bool,
    /// Show structured payloads as a collapsible tree.
    as_tree: bool,
    tree_query: String,
    /// The "Save to" path while the save row is open.
    save_path: Option<String>,
    /// The desktop's file chooser, beside the "Save to" path.
    save_browse: crate::ui::file_chooser::Browse,
    /// A large message the user asked to decode whole ("Decode all anyway").
    decode_all_seq: Option<u64>,
    /// The message chosen in the history to diff against (else the one before).
    compare_seq: Option<u64>,
    /// Diffs run here, off the frame; only the one for the message on screen matters.
    diffs: crate::jobs::Latest<PayloadDiff>,
}

/// The diff of the message on screen.
#[derive(Debug)]
enum DiffState {
    /// Not asked for, or nothing to compare with.
    Off,
    /// Computing on the background thread (its ticket).
    Pending(u64),
    Ready(PayloadDiff),
    /// The comparison failed (in words).
    Failed(String),
}

/// The message on screen, decoded once rather than every frame.
#[derive(Debug)]
struct ShownMessage {
    seq: u64,
    view: PayloadView,
    rendered: Rendered,
    /// Whether the diff was asked for when this was built.
    diff_requested: bool,
    /// The chosen message the diff is against, when one was chosen.
    diff_against: Option<u64>,
    /// Against the message before it, when the diff is on and there is one.
    diff: DiffState,
    /// Only the first `DECODE_LIMIT_BYTES` were decoded.
    prefix_only: bool,
    /// Line numbers for the text views ("1\n2\n…"), built once per message.
    gutter: String,
    /// The rendered text parsed back, for the tree (structured views only).
    tree: Option<serde_json::Value>,
    /// Numeric fields (path, value), each offered as a Chart button.
    fields: Vec<(String, f64)>,
}

mod history;
mod parts;
mod shown;
use parts::{default_save_path, diff_ui, hex_dump_ui, properties_ui};

impl InspectorPanel {
    pub fn select(&mut self, node: NodeId) {
        if self.node != Some(node) {
            self.node = Some(node);
            self.pinned_seq = None;
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, model: &Model) -> Vec<Action> {
        let Some(node) = self.node else {
            ui.add_space(20.0);
            ui.vertical_centered(|ui| ui.weak("Select a topic in the tree to see its messages."));
            return Vec::new();
        };
        if let Some(cache) = &mut self.cache
            && let DiffState::Pending(ticket) = cache.diff
            && let Some(done) = self.diffs.take(ticket)
        {
            cache.diff = match done {
                Ok(diff) => DiffState::Ready(diff),
                Err(why) => DiffState::Failed(format!("The comparison could not be made: {why}")),
            };
        }
        let topic = model.tree.topic(node);
        let history = model.history.messages(node);
        let mut actions = Vec::new();
        actions.extend(header_ui(ui, model, &topic));
        let message = match self.pinned_seq {
            Some(seq) => history.iter().find(|m| m.seq == seq).or(history.back()),
            None => history.back(),
        };
        let Some(message) = message else {
            no_message_ui(ui, model, node);
            // What the header asked (a Sparkplug rebirth) still counts.
            return actions;
        };
        self.refresh_shown(ui.ctx(), model, &topic, history, message);
        let default_view = PayloadView::default_for_topic(&topic);
        let view = self.views.get(&topic).copied().unwrap_or(default_view);
        let show_diff = self.show_diff;
        let structured = self
            .cache
            .as_ref()
            .is_some_and(|c| matches!(c.rendered.kind, "JSON" | "MessagePack" | "CBOR" | "Sparkplug B"));
        let Some(ShownMessage {
            rendered,
            diff,
            fields,
            prefix_only,
            tree,
            gutter,
            ..
        }) = &self.cache
        else {
            return actions;
        };
        ui.horizontal_wrapped(|ui| {
            let latest = history.back().is_some_and(|m| m.seq == message.seq);
            let ago = std::time::SystemTime::now()
                .duration_since(message.received_at())
                .map_or_else(
                    |_| "just now".to_owned(),
                    |d| format!("{} ago", crate::payload::human_duration(d)),
                );
            ui.label(format!("Received {} ({ago})", clock(message.received_at())));
            ui.label(format!("QoS {}", message.qos));
            if message.retain {
                ui.label(RichText::new("retained").color(style::retained()));
            }
            if message.dup {
                ui.label(RichText::new("dup").color(style::connecting()))
                    .on_hover_text("The broker marked this as a redelivery (DUP flag)");
            }
            ui.label(human_size(message.payload.len()));
            ui.label(rendered.kind);
            if !latest {
                ui.label(RichText::new("earlier message").italics());
                if ui.small_button("Follow latest").clicked() {
                    self.pinned_seq = None;
                }
            }
        });
        if let Some(entity) = model.ha.get(&topic) {
            ui.horizontal_wrapped(|ui| {
                ui.label(
                    RichText::new(format!("🏠 {}", model.ha.title(entity)))
                        .strong()
                        .color(style::ha_name()),
                );
                ui.label(format!("Home Assistant {} · {} topic", entity.component, entity.role));
                if let Some(unit) = &entity.unit {
                    ui.label(format!("unit {unit}"));
                }
                if let Some(class) = &entity.device_class {
                    ui.label(format!("device class {class}"));
                }
            });
        }
        if let Some(props) = &message.properties {
            properties_ui(ui, props);
        }
        if !fields.is_empty() {
            ui.horizontal_wrapped(|ui| {
                ui.label("Chart:");
                // With something charted already, 📈 asks: this chart or a new one.
                let ask = model.charts.charts().iter().any(|c| !c.sources.is_empty());
                for (path, value) in fields {
                    let name = match path.strip_prefix(crate::payload::SPARKPLUG_METRIC_PATH) {
                        _ if path.is_empty() => "value",
                        Some(metric) => metric,
                        None => path.as_str(),
                    };
                    let label = format!("📈 {name}");
                    let chart = |new_chart| {
                        Action::Connection(ConnectionAction::Chart {
                            topic: topic.clone(),
                            path: path.clone(),
                            new_chart,
                        })
                    };
                    if ask {
                        ui.menu_button(label, |ui| {
                            if ui.button("Add to the chart on screen").clicked() {
                                actions.push(chart(false));
                            }
                            if ui.button("Add to a new chart").clicked() {
                                actions.push(chart(true));
                            }
                        })
                        .response
                        .on_hover_text(format!("Chart {name} (now {value}) live"));
                    } else if ui
                        .button(label)
                        .on_hover_text(format!("Chart {name} (now {value}) live"))
                        .clicked()
                    {
                        actions.push(chart(false));
                    }
                }
            });
        }
        let mut chosen = view;
        ui.horizontal_wrapped(|ui| {
            ui.label("View");
            for v in PayloadView::ALL {
                ui.selectable_value(&mut chosen, v, v.label())
                    .on_hover_text(format!("Show this topic's payloads as {}", v.label()));
            }
            ui.separator();
            if structured {
                ui.checkbox(&mut self.as_tree, "Tree");
            }
            ui.checkbox(&mut self.show_diff, "Diff with previous");
            if ui.button("Save payload…").clicked() {
                let folder = crate::ui::file_chooser::start_folder(ui.ctx());
                self.save_path = Some(default_save_path(folder, &topic, rendered.kind).display().to_string());
            }
            let mut copied = false;
            ui.menu_button("Copy payload", |ui| {
                let payload = &message.payload;
                if ui.button("As shown").clicked() {
                    ui.ctx().copy_text(rendered.text.clone());
                    copied = true;
                    ui.close();
                }
                if structured && ui.button("As JSON").clicked() {
                    // MessagePack, CBOR and Sparkplug B are rendered as JSON.
                    ui.ctx().copy_text(rendered.text.clone());
                    copied = true;
                    ui.close();
                }
                if ui.button("As text (UTF-8)").clicked() {
                    ui.ctx().copy_text(String::from_utf8_lossy(payload).into_owned());
                    copied = true;
                    ui.close();
                }
                if ui.button("As hex").clicked() {
                    ui.ctx()
                        .copy_text(payload.iter().map(|b| format!("{b:02x}")).collect::<String>());
                    copied = true;
                    ui.close();
                }
                if ui.button("As Base64").clicked() {
                    ui.ctx()
                        .copy_text(base64::engine::general_purpose::STANDARD.encode(payload));
                    copied = true;
                    ui.close();
                }
            });
            if copied {
                actions.push(Action::Window(WindowAction::Info("Copied the payload.".into())));
            }
        });
        let topic_key = topic.clone();
        if chosen != view {
            // Sticks for this topic until changed back to its default.
            if chosen == default_view {
                self.views.remove(&topic_key);
            } else {
                self.views.insert(topic_key, chosen);
            }
        }
        if let Some(path) = &mut self.save_path {
            let mut close = false;
            ui.horizontal(|ui| {
                let label = ui.label("Save to");
                ui.add(egui::TextEdit::singleline(path).desired_width(320.0))
                    .labelled_by(label.id);
                self.save_browse.button(
                    ui,
                    path,
                    crate::ui::file_chooser::Purpose::Save,
                    "Save the payload",
                    &[],
                );
                if ui.button("Save").clicked() && !path.trim().is_empty() {
                    actions.push(Action::Window(WindowAction::SaveFile {
                        path: std::path::PathBuf::from(path.trim()),
                        bytes: message.payload.to_vec(),
                        what: "the payload".into(),
                    }));
                    close = true;
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
            });
            self.save_browse.problem_ui(ui);
            if close {
                self.save_path = None;
                self.save_browse.forget();
            }
        }
        if let Some(note) = &rendered.note {
            ui.label(RichText::new(note).color(style::connecting()));
        }
        ui.separator();
        let text = rendered.text.as_str();
        // Room for at least eight rows of history, and the payload above them.
        let least = style::HISTORY_ROW_HEIGHT * 8.0 + 28.0;
        let history_height = (ui.available_height() * 0.4)
            .clamp(least, 360.0)
            .min(ui.available_height() * 0.6);
        // Binary (chosen or detected) pages through the whole payload, a
        // screenful of lines at a time: no size limit, no truncation.
        let paged_hex = matches!(diff, DiffState::Off)
            && !self.show_diff
            && (view == PayloadView::Hex || (view == PayloadView::Auto && rendered.kind == "Hex"));
        if *prefix_only && !paged_hex {
            ui.horizontal_wrapped(|ui| {
                ui.label(
                    RichText::new(format!(
                        "Showing the first {} of this {} payload; the stored payload is complete.",
                        human_size(DECODE_LIMIT_BYTES),
                        human_size(message.payload.len())
                    ))
                    .color(style::connecting()),
                );
                if ui
                    .button("Decode all anyway")
                    .on_hover_text("Decode and pretty-print the whole payload; may take a moment")
                    .clicked()
                {
                    self.decode_all_seq = Some(message.seq);
                }
            });
        }
        if paged_hex {
            hex_dump_ui(ui, &message.payload, history_height);
        } else {
            egui::ScrollArea::both()
                .id_salt("payload")
                .max_height(ui.available_height() - history_height)
                .auto_shrink([false, true])
                .show(ui, |ui| {
                    if let DiffState::Pending(_) = diff {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label("Comparing with the message before…");
                        });
                        return;
                    }
                    if let DiffState::Failed(why) = diff {
                        ui.colored_label(style::error(), why);
                        return;
                    }
                    if let DiffState::Ready(diff) = diff {
                        if let Some(seq) = self.compare_seq
                            && let Some(other) = history.iter().find(|m| m.seq == seq)
                        {
                            ui.horizontal(|ui| {
                                ui.label(format!(
                                    "Against the message of {} (chosen)",
                                    clock(other.received_at())
                                ));
                                if ui.small_button("Against the previous one").clicked() {
                                    self.compare_seq = None;
                                }
                            });
                        }
                        diff_ui(ui, diff, &message.payload);
                        return;
                    }
                    if show_diff {
                        ui.label("No earlier message of this topic is kept to compare with.");
                        return;
                    }
                    if self.as_tree
                        && let Some(value) = tree
                    {
                        ui.horizontal(|ui| {
                            let label = ui.label("Find in payload");
                            ui.add(egui::TextEdit::singleline(&mut self.tree_query).hint_text("key or value"))
                                .labelled_by(label.id);
                        });
                        // Series read JSON, MessagePack and CBOR by path, and Sparkplug B metrics by name.
                        let chartable = matches!(rendered.kind, "JSON" | "MessagePack" | "CBOR");
                        let sparkplug = rendered.kind == "Sparkplug B";
                        if let Some(a) =
                            super::json_tree::json_tree_ui(ui, value, &self.tree_query, &topic, chartable, sparkplug)
                        {
                            actions.push(a);
                        }
                        return;
                    }
                    // Sparkplug: the metrics as a table first, the whole payload below.
                    if rendered.kind == "Sparkplug B"
                        && let Some(value) = tree
                    {
                        super::sparkplug::metrics_table_ui(ui, value);
                    }
                    let shown = truncate_at_char(text, MAX_SHOWN_BYTES);
                    let mut view = shown;
                    ui.horizontal_top(|ui| {
                        if !gutter.is_empty() {
                            // Line numbers beside the text (lines do not wrap: the area scrolls sideways).
                            ui.add_space(2.0);
                            ui.add(
                                egui::Label::new(RichText::new(gutter).monospace().color(style::counts()))
                                    .selectable(false),
                            );
                        }
                        // JSON (and what is shown as JSON) coloured by part.
                        let coloured = matches!(rendered.kind, "JSON" | "MessagePack" | "CBOR" | "Sparkplug B");
                        let dark = ui.visuals().dark_mode;
                        let plain = ui.visuals().text_color();
                        let mut layouter = |ui: &egui::Ui, text: &dyn egui::TextBuffer, wrap: f32| {
                            let font = TextStyle::Monospace.resolve(ui.style());
                            let mut job = if coloured {
                                super::json_colour::highlight(text.as_str(), font, dark, plain)
                            } else {
                                egui::text::LayoutJob::simple(text.as_str().to_owned(), font, plain, wrap)
                            };
                            job.wrap.max_width = wrap;
                            ui.fonts_mut(|f| f.layout_job(job))
                        };
                        ui.add(
                            egui::TextEdit::multiline(&mut view)
                                .font(TextStyle::Monospace)
                                .desired_width(f32::INFINITY)
                                .code_editor()
                                .layouter(&mut layouter),
                        );
                    });
                    if shown.len() < text.len() {
                        ui.label(
                            RichText::new(format!(
                                "Showing the first {} of {} of decoded text; the stored payload is complete ({}).",
                                human_size(shown.len()),
                                human_size(text.len()),
                                human_size(message.payload.len())
                            ))
                            .color(style::connecting()),
                        );
                    }
                });
        }
        self.history_ui(ui, history, message.seq);
        actions
    }
}

/// The topic as a heading (copyable), a warning when it is not UTF-8, and a
/// Sparkplug edge node's state and commands.
fn header_ui(ui: &mut egui::Ui, model: &Model, topic: &str) -> Vec<Action> {
    let mut actions = Vec::new();
    ui.horizontal(|ui| {
        let shown = crate::vocab::topic::display(topic);
        ui.heading(RichText::new(shown.as_ref()).monospace());
        if ui.small_button("Copy topic").clicked() {
            ui.ctx().copy_text(shown.into_owned());
            // Copying shows nothing by itself: say it was done.
            actions.push(Action::Window(WindowAction::Info("Copied the topic.".into())));
        }
    });
    if crate::vocab::topic::has_invalid_bytes(topic) {
        let bytes = crate::vocab::topic::to_wire(topic);
        ui.colored_label(
            style::error(),
            format!(
                "This topic is not valid UTF-8 (MQTT requires it): each bad byte is shown as \\xNN. \
                 As received, {} bytes: {}",
                bytes.len(),
                bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
            ),
        );
    }
    if let Some(spb) = crate::model::sparkplug::SparkplugTopic::parse(topic) {
        actions.extend(super::sparkplug::edge_node_ui(ui, model, &spb));
    }
    actions
}

/// Why a topic shows no message: none kept under the budget, or none of its own.
fn no_message_ui(ui: &mut egui::Ui, model: &Model, node: NodeId) {
    if model.tree.node(node).has_messages() {
        ui.colored_label(
            style::connecting(),
            format!(
                "{} messages arrived on this topic; none is kept: the latest messages of all topics and the \
                 topic tree passed the history budget, and this topic was among the quietest. Raise the \
                 budget in Settings to keep more.",
                model.tree.node(node).own_messages
            ),
        );
    } else {
        ui.weak("No message on this topic itself; select one of its subtopics.");
    }
}

fn truncate_at_char(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

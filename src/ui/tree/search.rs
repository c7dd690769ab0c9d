//! The tree's search (Ctrl+F): an incremental filter over topics and,
//! optionally, payloads that runs a slice of the tree per frame, so a million
//! topics never stall one; and the highlight of what matched in a row's name.

use std::time::{Duration, Instant};

use egui::text::LayoutJob;
use egui::{Align, Color32, Key, Layout, Modifiers, RichText, TextFormat};

use super::TreePanel;
use crate::model::{Model, NodeId, ROOT, TopicTree};
use crate::ui::style;

/// Time a frame may spend on the search before it draws.
const SEARCH_SLICE: Duration = Duration::from_millis(3);

#[derive(Debug, Default)]
pub struct SearchBox {
    pub query: String,
    pub payloads: bool,
    pub(super) job: Option<SearchJob>,
    pub(super) version: u64,
    focus_requested: bool,
}

/// An incremental filter over the tree's nodes.
#[derive(Debug)]
pub(super) struct SearchJob {
    pub(super) query: String,
    payloads: bool,
    /// Nodes scanned so far (ids below this).
    scanned: usize,
    /// Indexed by node id: the node or one of its descendants matches.
    pub(super) visible: Vec<bool>,
    /// Indexed by node id: the node itself matches.
    pub(super) matched: Vec<bool>,
    pub(super) matches: u64,
}

impl SearchJob {
    pub(super) fn new(query: &str, payloads: bool) -> Self {
        Self {
            query: query.to_lowercase(),
            payloads,
            scanned: 1,
            visible: vec![false; 1],
            matched: vec![false; 1],
            matches: 0,
        }
    }

    /// Scan nodes for `budget`; returns whether anything became visible.
    pub(super) fn run(&mut self, model: &Model, budget: Duration) -> bool {
        let tree = &model.tree;
        let total = tree.node_count();
        self.visible.resize(total, false);
        self.matched.resize(total, false);
        let start = Instant::now();
        let mut changed = false;
        while self.scanned < total {
            // Check the clock every 1,024 nodes only.
            let end = (self.scanned + 1_024).min(total);
            for id in self.scanned..end {
                if self.matches_node(model, id as NodeId) {
                    self.matched[id] = true;
                    self.matches += 1;
                    changed = true;
                    let mut cursor = id as NodeId;
                    while cursor != ROOT && !self.visible[cursor as usize] {
                        self.visible[cursor as usize] = true;
                        cursor = tree.node(cursor).parent;
                    }
                }
            }
            self.scanned = end;
            if start.elapsed() >= budget {
                break;
            }
        }
        changed
    }

    fn matches_node(&self, model: &Model, id: NodeId) -> bool {
        let tree = &model.tree;
        if contains_lowercase(tree.name(id), &self.query) {
            return true;
        }
        // A match across levels ("living_room/light") needs the full topic.
        if self.query.contains('/') && contains_lowercase(&tree.topic(id), &self.query) {
            return true;
        }
        self.payloads
            && model
                .history
                .latest(id)
                .and_then(|m| std::str::from_utf8(&m.payload).ok())
                .is_some_and(|text| contains_lowercase(text, &self.query))
    }

    pub(super) fn done(&self, tree: &TopicTree) -> bool {
        self.scanned >= tree.node_count()
    }
}

fn contains_lowercase(haystack: &str, lowercase_needle: &str) -> bool {
    if lowercase_needle.is_empty() {
        true
    } else if haystack.is_ascii() && lowercase_needle.is_ascii() {
        // No allocation on the common path: topics are mostly ASCII.
        haystack
            .as_bytes()
            .windows(lowercase_needle.len())
            .any(|w| w.eq_ignore_ascii_case(lowercase_needle.as_bytes()))
    } else {
        haystack.to_lowercase().contains(lowercase_needle)
    }
}

impl TreePanel {
    pub(super) fn search_ui(&mut self, ui: &mut egui::Ui, model: &Model) {
        let tree = &model.tree;
        let mut changed = false;
        // Rows that wrap in a narrow panel rather than cut their buttons off.
        let narrow = ui.available_width() < 330.0;
        ui.horizontal_wrapped(|ui| {
            ui.strong("Topics");
            ui.label(RichText::new(crate::ui::counted(tree.topic_count(), "topic", "topics")).color(style::counts()));
            // Expand all, then Collapse all, reading left to right either way.
            let (mut expand, mut collapse) = (false, false);
            if narrow {
                expand = ui.small_button("Expand all").clicked();
                collapse = ui.small_button("Collapse all").clicked();
            } else {
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    collapse = ui.small_button("Collapse all").clicked();
                    expand = ui.small_button("Expand all").clicked();
                });
            }
            if expand {
                self.expand_all(tree);
            }
            if collapse {
                self.collapse_all();
            }
        });
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Search");
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut self.search.query)
                        .hint_text("topic (Ctrl+F)")
                        .desired_width((ui.available_width() - 110.0).max(120.0)),
                )
                .labelled_by(label.id);
            if self.search.focus_requested {
                edit.request_focus();
                self.search.focus_requested = false;
            }
            if edit.has_focus() && ui.input(|i| i.key_pressed(Key::Escape)) {
                self.search.query.clear();
            }
            changed |= edit.changed();
            changed |= ui
                .checkbox(&mut self.search.payloads, "payloads")
                .on_hover_text("Also match the last payload of each topic")
                .changed();
        });
        if ui.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::F)) {
            self.search.focus_requested = true;
        }
        let query = self.search.query.trim().to_owned();
        let stale = match &self.search.job {
            Some(job) => changed && (job.query != query.to_lowercase() || job.payloads != self.search.payloads),
            None => !query.is_empty(),
        };
        if stale || (changed && query.is_empty()) {
            self.search.job = (!query.is_empty()).then(|| SearchJob::new(&query, self.search.payloads));
            self.search.version += 1;
        }
        if let Some(job) = &mut self.search.job {
            if !job.done(tree) && job.run(model, SEARCH_SLICE) {
                self.search.version += 1;
            }
            ui.horizontal(|ui| {
                let noun = if job.matches == 1 { "match" } else { "matches" };
                ui.label(RichText::new(format!("{} {noun}", job.matches)).color(style::counts()));
                if !job.done(tree) {
                    let progress = job.scanned as f32 / tree.node_count().max(1) as f32;
                    ui.add(egui::ProgressBar::new(progress).desired_width(120.0).text("searching"));
                    ui.ctx().request_repaint();
                }
            });
        }
    }
}

/// The segment name, with the searched text highlighted in it.
pub(super) fn name_text(ui: &egui::Ui, name: &str, query: Option<&str>, matched: bool) -> egui::WidgetText {
    let color = ui.visuals().strong_text_color();
    let Some(query) = query.filter(|_| matched) else {
        return RichText::new(name).strong().color(color).into();
    };
    let font = egui::TextStyle::Body.resolve(ui.style());
    let plain = TextFormat::simple(font.clone(), color);
    let hit = TextFormat {
        background: style::SEARCH_HIT_BG,
        color: Color32::WHITE,
        ..TextFormat::simple(font, color)
    };
    let mut job = LayoutJob::default();
    match highlight_range(name, query) {
        Some(range) => {
            job.append(&name[..range.start], 0.0, plain.clone());
            job.append(&name[range.clone()], 0.0, hit);
            job.append(&name[range.end..], 0.0, plain);
        }
        // Matched on the full topic or the payload: mark the whole name.
        None => job.append(name, 0.0, hit),
    }
    job.into()
}

/// Where `lowercase_query` is in `name`, ignoring case, as a byte range of
/// `name` on character boundaries; `None` when it is not there, or when
/// lowercasing changes the text's shape ('İ', 'ẞ') so offsets do not carry over.
pub(super) fn highlight_range(name: &str, lowercase_query: &str) -> Option<std::ops::Range<usize>> {
    let lower = name.to_lowercase();
    let same_shape = lower.len() == name.len()
        && lower
            .char_indices()
            .zip(name.char_indices())
            .all(|((a, _), (b, _))| a == b);
    let start = lower
        .find(lowercase_query)
        .filter(|_| same_shape && !lowercase_query.is_empty())?;
    Some(start..start + lowercase_query.len())
}

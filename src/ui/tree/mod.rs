//! The live topic tree. Rows come from a flattened list of visible nodes that
//! is rebuilt only when the tree's shape, the expansion or the search changes,
//! and are drawn with a virtualised scroll: a frame costs what is on screen.
//! Search (Ctrl+F) filters by topic and optionally payload substring; it runs
//! a slice of the tree per frame, so a million topics never stall a frame.

use std::time::{Duration, SystemTime};

use egui::{Key, RichText, Sense};

use super::{Action, style};
use crate::model::{Model, NodeId, ROOT, TopicTree};
use crate::payload::preview;
use crate::ui::{ConnectionAction, WindowAction};

mod expanded;
mod search;
pub use expanded::{ExpandedMemory, REMEMBERED_CONNECTIONS};
pub use search::SearchBox;
use search::name_text;

/// Whether `id` is in the Sparkplug B namespace (under `spBv1.0`).
fn sparkplug_root(tree: &crate::model::TopicTree, mut id: NodeId) -> bool {
    while tree.node(id).depth > 0 {
        id = tree.node(id).parent;
    }
    tree.name(id) == "spBv1.0"
}

/// Small trees open their first two levels as they appear; big ones stay folded.
const AUTO_EXPAND_NODE_LIMIT: usize = 200;
/// How long remembered expanded topics are looked for as topics arrive.
const RESTORE_FOR: Duration = Duration::from_secs(120);
/// Expanded topics remembered per connection, at most.
pub const REMEMBERED_EXPANDED: usize = 2_000;
/// How long a row is marked after a message arrives. The mark is a step, not
/// a fade: a fade asked for 20 frames a second whenever anything arrived;
/// a step asks for one frame, when it ends.
const HIGHLIGHT_FOR: Duration = Duration::from_millis(1000);

#[derive(Debug, Default)]
pub struct TreePanel {
    /// Indexed by node id.
    expanded: Vec<bool>,
    pub selected: Option<NodeId>,
    /// Nodes below this id have been seen (for auto-expanding new top levels).
    seen_nodes: usize,
    rows: Vec<NodeId>,
    /// What `rows` was built from: (node count, expansion version, search version).
    rows_key: Option<(usize, u64, u64)>,
    expansion_version: u64,
    scroll_to_selected: bool,
    /// The first row on screen and the scroll offset, to keep the view still as rows are added above.
    anchor: Option<(NodeId, f32)>,
    /// A scroll offset asked for but not yet granted.
    pending_offset: Option<f32>,
    pub search: SearchBox,
    /// (filter, colour) of the connection's subscriptions, most specific
    /// first: a topic's row carries the colour of the first that matches it.
    pub marks: Vec<(String, egui::Color32)>,
    /// Topics with a chart alert raised, and every row above them.
    pub alerts: std::collections::HashSet<NodeId>,
    /// Topics expanded in an earlier run, opened as they appear (until the deadline).
    restore: Vec<String>,
    restore_until: Option<std::time::Instant>,
    /// Look for them on the next frame even if no topic was added.
    restore_now: bool,
}

impl TreePanel {
    pub fn is_expanded(&self, id: NodeId) -> bool {
        self.expanded.get(id as usize).copied().unwrap_or(false)
    }

    pub fn set_expanded(&mut self, id: NodeId, open: bool) {
        let index = id as usize;
        if self.expanded.len() <= index {
            self.expanded.resize(index + 1, false);
        }
        if self.expanded[index] != open {
            self.expanded[index] = open;
            self.expansion_version += 1;
        }
    }

    pub fn expand_all(&mut self, tree: &TopicTree) {
        self.expanded = vec![true; tree.node_count()];
        self.expansion_version += 1;
    }

    /// Open these topics (from an earlier run) when they appear.
    pub fn restore_expanded(&mut self, topics: Vec<String>) {
        self.restore = topics;
        self.restore.truncate(REMEMBERED_EXPANDED);
        self.restore_until = Some(std::time::Instant::now() + RESTORE_FOR);
        self.restore_now = true;
    }

    /// The expanded topics, to remember for the next run (and those still
    /// being looked for). Walks the expansion flags: for saving, not per frame.
    pub fn expanded_topics(&self, tree: &TopicTree) -> Vec<String> {
        let mut topics: Vec<String> = self
            .expanded
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(id, open)| **open && *id < tree.node_count())
            .map(|(id, _)| tree.topic(id as NodeId))
            .filter(|t| !t.is_empty())
            .take(REMEMBERED_EXPANDED)
            .collect();
        for pending in &self.restore {
            if topics.len() >= REMEMBERED_EXPANDED {
                break;
            }
            topics.push(pending.clone());
        }
        topics
    }

    pub fn collapse_all(&mut self) {
        self.expanded.clear();
        self.expansion_version += 1;
    }

    /// The rows currently listed (for tests and keyboard moves).
    pub fn rows(&self) -> &[NodeId] {
        &self.rows
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, model: &Model) -> Vec<Action> {
        let tree = &model.tree;
        self.auto_expand(tree);
        self.search_ui(ui, model);
        self.refresh_rows(model);
        // Everything asked this frame, in order: none is overwritten by a later one.
        let mut actions: Vec<Action> = self.keyboard(ui, model).into_iter().collect();
        ui.separator();
        if self.rows.is_empty() {
            if self.search.job.is_some() {
                ui.weak("No topic matches.");
            } else {
                ui.weak("No messages yet. Topics appear here as they arrive.");
            }
            return actions;
        }
        let row_height = style::TREE_ROW_HEIGHT;
        let spacing = ui.spacing().item_spacing.y;
        let mut scroll = egui::ScrollArea::both()
            .auto_shrink([false, false])
            .id_salt("topic_tree");
        let scroll_to = self
            .scroll_to_selected
            .then(|| self.selected.and_then(|s| self.rows.iter().position(|&r| r == s)))
            .flatten();
        let pitch = row_height + spacing;
        // The offset this frame asks for, if any. Remembered as asked: egui may
        // clamp it to last frame's (shorter) content, and the next frame asks again.
        let mut intended = None;
        // The row the view is kept on while rows arrive above it.
        let mut following = None;
        if let Some(index) = scroll_to {
            intended = Some((index as f32 * pitch - ui.available_height() / 2.0).max(0.0));
        } else if let Some((node, offset)) = self.anchor {
            // Rows added above the first visible one would push the view down: follow the anchor.
            if let Some(index) = self.rows.iter().position(|&r| r == node) {
                let expected = index as f32 * pitch;
                let first_visible = (offset / pitch).floor() * pitch;
                if (expected - first_visible).abs() > 0.5 {
                    intended = Some(offset + expected - first_visible);
                    following = Some(node);
                }
            }
        }
        // An offset egui clamped last frame (content was shorter then) is asked for again.
        let intended = intended.or(self.pending_offset.take());
        // Never ask for more than the rows can scroll: egui draws this frame at the
        // offset asked (it clamps only afterwards), so an offset past the end would
        // leave the first rows undrawn and out of reach, frame after frame.
        let most = (rows_height(self.rows.len(), pitch, spacing) - ui.available_height()).max(0.0);
        let clamped = intended.is_some_and(|offset| offset > most + 0.5);
        let intended = intended.map(|offset| offset.clamp(0.0, most));
        if let Some(offset) = intended {
            scroll = scroll.vertical_scroll_offset(offset);
        }
        self.scroll_to_selected = false;
        let rows = std::mem::take(&mut self.rows);
        let now = SystemTime::now();
        // The soonest a mark on screen ends: the frame then takes it away.
        let mut next_end: Option<Duration> = None;
        let output = scroll.show_rows(ui, row_height, rows.len(), |ui, range| {
            for &id in &rows[range] {
                let (row_action, glow) = self.row_ui(ui, model, id, now);
                if let Some(left) = glow {
                    next_end = Some(next_end.map_or(left, |n| n.min(left)));
                }
                actions.extend(row_action);
            }
        });
        let actual = output.state.clamped_offset().y;
        self.anchor = match intended {
            Some(offset) => {
                if (actual - offset).abs() > 0.5 {
                    self.pending_offset = Some(offset);
                }
                match following {
                    // Held at the end for now: keep following the same row, not the
                    // one the end happens to show, so it stays in view as rows arrive.
                    Some(node) if clamped => Some((node, offset)),
                    _ => rows.get((offset / pitch) as usize).map(|&id| (id, offset)),
                }
            }
            // The row at the offset the view ends the frame at. Not the first
            // row drawn: egui applies the wheel after drawing, so that row is
            // last frame's, and pairing it with the new offset pulled the view
            // back each frame (the wheel barely moved a long tree).
            None => rows.get((actual / pitch).floor() as usize).map(|&id| (id, actual)),
        };
        self.rows = rows;
        if let Some(left) = next_end {
            ui.ctx().request_repaint_after(style::next_beat(left));
        }
        actions
    }

    fn auto_expand(&mut self, tree: &TopicTree) {
        let grew = tree.node_count() > self.seen_nodes;
        if let Some(until) = self.restore_until
            && (grew || self.restore_now)
        {
            self.restore_now = false;
            // Only when topics were added: each remembered one is one lookup, O(depth).
            let mut restore = std::mem::take(&mut self.restore);
            restore.retain(|topic| match tree.get(topic) {
                Some(id) => {
                    self.set_expanded(id, true);
                    false
                }
                None => true,
            });
            if restore.is_empty() || std::time::Instant::now() > until {
                self.restore_until = None;
            } else {
                self.restore = restore;
            }
        }
        if grew {
            // A small tree opens its first two levels as they appear; the
            // Sparkplug namespace, three levels deeper by design
            // (spBv1.0/group/DDATA/edge/device), opens down to its devices,
            // so that they show like home/kitchen/light does.
            if tree.node_count() <= AUTO_EXPAND_NODE_LIMIT {
                for id in self.seen_nodes.max(1)..tree.node_count() {
                    let node = tree.node(id as NodeId);
                    let open_to = if sparkplug_root(tree, id as NodeId) { 3 } else { 1 };
                    if node.depth <= open_to {
                        self.set_expanded(id as NodeId, true);
                    }
                }
            }
            self.seen_nodes = tree.node_count();
        }
    }

    /// Rebuild the visible rows if the shape, expansion or search changed since the last call.
    pub fn refresh_rows(&mut self, model: &Model) {
        let key = (model.tree.node_count(), self.expansion_version, self.search.version);
        if self.rows_key == Some(key) {
            return;
        }
        self.rows_key = Some(key);
        self.rows.clear();
        let mut stack: Vec<NodeId> = model.tree.roots().iter().rev().copied().collect();
        while let Some(id) = stack.pop() {
            let open = match &self.search.job {
                // While searching, everything that leads to a match is open and nothing else shows.
                Some(job) => {
                    if !job.visible.get(id as usize).copied().unwrap_or(false) {
                        continue;
                    }
                    true
                }
                None => self.is_expanded(id),
            };
            self.rows.push(id);
            if open {
                stack.extend(model.tree.node(id).children.iter().rev().copied());
            }
        }
    }

    /// The row's actions, and how long its arrival mark has left (if it has one).
    fn row_ui(
        &mut self,
        ui: &mut egui::Ui,
        model: &Model,
        id: NodeId,
        now: SystemTime,
    ) -> (Vec<Action>, Option<Duration>) {
        let tree = &model.tree;
        let node = tree.node(id);
        let mut actions = Vec::new();
        let latest = model.history.latest(id);
        let age = latest.and_then(|m| now.duration_since(m.received_at()).ok());
        let glow = age.filter(|a| *a < HIGHLIGHT_FOR).map(|a| HIGHLIGHT_FOR - a);
        let searching = self.search.job.is_some();
        // Reserve the background now so the glow is painted under the row's text.
        let background = ui.painter().add(egui::Shape::Noop);
        let row = ui.horizontal(|ui| {
            ui.set_min_height(style::TREE_ROW_HEIGHT);
            ui.add_space(f32::from(node.depth) * style::TREE_INDENT);
            if node.children.is_empty() {
                ui.add_space(style::TREE_INDENT + 4.0);
            } else {
                let open = searching || self.is_expanded(id);
                let (rect, response) =
                    ui.allocate_exact_size(egui::vec2(style::TREE_INDENT, style::TREE_INDENT), Sense::click());
                egui::collapsing_header::paint_default_icon(ui, if open { 1.0 } else { 0.0 }, &response);
                let _ = rect;
                if response
                    .on_hover_text(if open { "Collapse" } else { "Expand" })
                    .clicked()
                    && !searching
                {
                    self.set_expanded(id, !open);
                }
            }
            let raw_name = tree.name(id);
            let shown = crate::vocab::topic::display(raw_name);
            let name = if raw_name.is_empty() { "(empty)" } else { shown.as_ref() };
            let matched = self
                .search
                .job
                .as_ref()
                .is_some_and(|job| job.matched.get(id as usize).copied().unwrap_or(false));
            let text = if crate::vocab::topic::has_invalid_bytes(raw_name) {
                // Bytes that are not UTF-8, each shown as \xNN, in the error colour.
                RichText::new(name).strong().color(style::error()).into()
            } else {
                name_text(ui, name, self.search.job.as_ref().map(|j| j.query.as_str()), matched)
            };
            let selected = self.selected == Some(id);
            let label = ui.selectable_label(selected, text);
            if label.clicked() {
                self.selected = Some(id);
                if !node.children.is_empty() && !self.is_expanded(id) {
                    self.set_expanded(id, true);
                }
                actions.push(Action::Connection(ConnectionAction::SelectTopic(id)));
            }
            label.context_menu(|ui| {
                if ui.button("Copy topic").clicked() {
                    ui.ctx().copy_text(tree.topic(id));
                    ui.close();
                }
                if !node.children.is_empty() && ui.button("Expand all below").clicked() {
                    self.expand_below(tree, id);
                    ui.close();
                }
                if ui.button("Export messages…").clicked() {
                    actions.push(Action::Window(WindowAction::OpenTransfer(
                        super::transfer::TransferMode::ExportMessages(id),
                    )));
                    ui.close();
                }
                if ui.button("Clear retained messages…").clicked() {
                    actions.push(Action::Window(WindowAction::AskClearRetained(id)));
                    ui.close();
                }
            });
            let msgs = super::counted(node.subtree_messages, "msg", "msgs");
            let counts = if node.subtopics > 0 {
                format!("{msgs} · {}", super::counted(node.subtopics, "topic", "topics"))
            } else {
                msgs
            };
            ui.label(RichText::new(counts).small().color(style::counts()));
            if !model.ha.is_empty()
                && let Some(entity) = model.ha.get(&tree.topic(id))
            {
                ui.label(
                    RichText::new(format!("🏠 {}", model.ha.title(entity)))
                        .small()
                        .color(style::ha_name()),
                )
                .on_hover_text(format!(
                    "Home Assistant {} {} topic (from {})",
                    entity.component, entity.role, entity.config_topic
                ));
            }
            if self.alerts.contains(&id) {
                ui.label(RichText::new("⚠").strong().color(style::error()))
                    .on_hover_text("A chart alert is raised on this topic or below it (see the alerts log)");
            }
            if node.retained {
                ui.label(RichText::new("R").small().strong().color(style::retained()))
                    .on_hover_text("The broker holds a retained message for this topic");
            }
            if let Some(last) = latest {
                // Cut at the panel's visible edge with an ellipsis (the
                // tree scrolls sideways for deep topics, so its width is not the limit).
                let label = egui::Label::new(
                    RichText::new(preview(&last.payload, style::PREVIEW_CHARS))
                        .monospace()
                        .color(style::preview()),
                )
                .truncate();
                let room = ui.clip_rect().right() - ui.cursor().left();
                if room > 24.0 {
                    ui.allocate_ui(egui::vec2(room, style::TREE_ROW_HEIGHT), |ui| ui.add(label));
                } else {
                    ui.add(label);
                }
            }
        });
        if latest.is_some()
            && let Some(colour) = self.mark_of(&tree.topic(id))
        {
            let rect = row.response.rect;
            let bar = egui::Rect::from_min_size(
                rect.left_top(),
                egui::vec2(style::SUBSCRIPTION_MARK_WIDTH, rect.height()),
            );
            ui.painter().rect_filled(bar, 1.0, colour);
        }
        if glow.is_some() {
            let rect = row.response.rect.with_max_x(ui.max_rect().right());
            ui.painter()
                .set(background, egui::Shape::rect_filled(rect, 2.0, style::ARRIVAL_GLOW));
        }
        (actions, glow)
    }

    /// The colour of the first (most specific) subscription that matches `topic`. Only rows
    /// on screen ask, so the cost is (visible rows × subscriptions) per frame.
    fn mark_of(&self, topic: &str) -> Option<egui::Color32> {
        if self.marks.len() < 2 {
            // One subscription marks everything: no information, no paint.
            return None;
        }
        self.marks
            .iter()
            .find(|(filter, _)| crate::vocab::topic::filter_matches(filter, topic))
            .map(|(_, colour)| *colour)
    }

    fn expand_below(&mut self, tree: &TopicTree, id: NodeId) {
        let mut stack = vec![id];
        while let Some(n) = stack.pop() {
            self.set_expanded(n, true);
            stack.extend(tree.node(n).children.iter().copied());
        }
    }

    /// Up/down move the selection, left/right fold and unfold, Enter toggles,
    /// Home/End jump, Ctrl+C copies the topic; only when no text field has focus.
    fn keyboard(&mut self, ui: &egui::Ui, model: &Model) -> Option<Action> {
        if ui.ctx().memory(|m| m.focused().is_some()) || self.rows.is_empty() {
            return None;
        }
        let (up, down, left, right, enter, home, end) = ui.input(|i| {
            (
                i.key_pressed(Key::ArrowUp),
                i.key_pressed(Key::ArrowDown),
                i.key_pressed(Key::ArrowLeft),
                i.key_pressed(Key::ArrowRight),
                i.key_pressed(Key::Enter),
                i.key_pressed(Key::Home),
                i.key_pressed(Key::End),
            )
        });
        let copy = ui.input(|i| i.events.iter().any(|e| matches!(e, egui::Event::Copy)));
        if copy && let Some(selected) = self.selected {
            ui.ctx().copy_text(model.tree.topic(selected));
        }
        let position = self.selected.and_then(|s| self.rows.iter().position(|&r| r == s));
        let last = self.rows.len() - 1;
        let next = match position {
            None if up || down || home || end => Some(if end { self.rows[last] } else { self.rows[0] }),
            None => None,
            Some(p) if up => Some(self.rows[p.saturating_sub(1)]),
            Some(p) if down => Some(self.rows[(p + 1).min(last)]),
            Some(_) if home => Some(self.rows[0]),
            Some(_) if end => Some(self.rows[last]),
            Some(_) => {
                let current = self.selected?;
                let has_children = !model.tree.node(current).children.is_empty();
                if right && has_children {
                    self.set_expanded(current, true);
                } else if enter && has_children {
                    self.set_expanded(current, !self.is_expanded(current));
                } else if left {
                    if has_children && self.is_expanded(current) {
                        self.set_expanded(current, false);
                    } else {
                        // Already folded: go to the parent.
                        let parent = model.tree.node(current).parent;
                        if parent != ROOT {
                            self.selected = Some(parent);
                            self.scroll_to_selected = true;
                            return Some(Action::Connection(ConnectionAction::SelectTopic(parent)));
                        }
                    }
                }
                None
            }
        };
        let next = next?;
        self.selected = Some(next);
        self.scroll_to_selected = true;
        Some(Action::Connection(ConnectionAction::SelectTopic(next)))
    }
}

/// The height of `rows` rows as `show_rows` lays them out.
fn rows_height(rows: usize, pitch: f32, spacing: f32) -> f32 {
    (rows as f32 * pitch - spacing).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::search::{SearchJob, highlight_range};
    use super::*;
    use std::time::Instant;

    #[test]
    fn expanded_memory_keeps_the_most_recent_connections() {
        let mut memory = ExpandedMemory::default();
        for i in 0..REMEMBERED_CONNECTIONS + 5 {
            memory.remember(&format!("broker {i}"), vec![format!("site/{i}")]);
        }
        memory.remember("broker 3", vec!["again".into()]);
        assert!(memory.get("broker 0").is_none(), "the least recent went");
        assert_eq!(
            memory.get("broker 3"),
            Some(&vec!["again".to_owned()]),
            "used again: kept"
        );
        assert_eq!(memory.get("broker 54"), Some(&vec!["site/54".to_owned()]));
        let json = serde_json::to_string(&memory).unwrap();
        let back: ExpandedMemory = serde_json::from_str(&json).unwrap();
        assert_eq!(back.get("broker 3"), memory.get("broker 3"));
    }
    use crate::vocab::ReceivedMessage;

    fn model(topics: &[(&str, &str)]) -> Model {
        let mut model = Model::default();
        let batch = topics
            .iter()
            .map(|(t, p)| ReceivedMessage::new(*t, p.as_bytes(), 0, false));
        model.apply(batch, Instant::now());
        model
    }

    fn search(model: &Model, query: &str, payloads: bool) -> (u64, Vec<String>) {
        let mut panel = TreePanel::default();
        panel.search.job = Some(SearchJob::new(query, payloads));
        while !panel.search.job.as_ref().unwrap().done(&model.tree) {
            panel.search.job.as_mut().unwrap().run(model, Duration::from_millis(1));
        }
        panel.search.version += 1;
        panel.refresh_rows(model);
        let matches = panel.search.job.as_ref().unwrap().matches;
        (matches, panel.rows().iter().map(|&id| model.tree.topic(id)).collect())
    }

    #[test]
    fn search_keeps_matches_and_their_ancestors_only() {
        let m = model(&[
            ("home/living_room/light", "ON"),
            ("home/bedroom/light", "OFF"),
            ("home/kitchen/power", "12 W"),
            ("iot/sensor/temperature", r#"{"unit":"Celsius"}"#),
        ]);
        let (n, rows) = search(&m, "LIGHT", false);
        assert_eq!(n, 2, "case-insensitive");
        assert_eq!(
            rows,
            [
                "home",
                "home/bedroom",
                "home/bedroom/light",
                "home/living_room",
                "home/living_room/light"
            ]
        );
        let (n, rows) = search(&m, "living_room/li", false);
        assert_eq!(n, 1, "a query with / matches across levels");
        assert_eq!(rows.last().unwrap(), "home/living_room/light");
        assert_eq!(search(&m, "celsius", false).0, 0);
        let (n, rows) = search(&m, "celsius", true);
        assert_eq!(n, 1, "payload search");
        assert_eq!(rows, ["iot", "iot/sensor", "iot/sensor/temperature"]);
    }

    /// The tree panel alone in a window of `height` points, fed one topic per frame.
    fn panel_harness(height: f32) -> egui_kittest::Harness<'static, (TreePanel, Model)> {
        egui_kittest::Harness::builder()
            .with_size(egui::vec2(500.0, height))
            .build_ui_state(
                |ui, (panel, model): &mut (TreePanel, Model)| {
                    if ui.ctx().cumulative_pass_nr() == 0 {
                        style::install_system_fonts(ui.ctx());
                    }
                    panel.ui(ui, model);
                },
                (TreePanel::default(), Model::default()),
            )
    }

    fn arrive(harness: &mut egui_kittest::Harness<'static, (TreePanel, Model)>, topic: &str) {
        let message = ReceivedMessage::new(topic, &b"1"[..], 0, false);
        harness.state_mut().1.apply(vec![message], Instant::now());
        harness.step();
    }

    /// Messages on all of `topics` arrive in one batch, before the next frame.
    fn arrive_all(harness: &mut egui_kittest::Harness<'static, (TreePanel, Model)>, all: &[String]) {
        let messages = all
            .iter()
            .map(|t| ReceivedMessage::new(t.as_str(), &b"1"[..], 0, false));
        harness.state_mut().1.apply(messages, Instant::now());
    }

    /// The labels of the segment rows on screen (a row's name is a selectable label).
    /// On screen means drawn where the rows are seen: below the search row and
    /// inside the window. A row drawn above the list's top is clipped away: the
    /// accessibility tree still has it, the user does not see it.
    fn shown(harness: &egui_kittest::Harness<'static, (TreePanel, Model)>, names: &[&str]) -> Vec<String> {
        use egui_kittest::kittest::Queryable as _;
        let top = harness.get_by_label("Search").rect().max.y;
        let bottom = harness.ctx.content_rect().max.y;
        names
            .iter()
            .filter(|n| {
                harness
                    .query_all_by_label(n)
                    .any(|node| node.rect().min.y >= top && node.rect().max.y <= bottom)
            })
            .map(|n| (*n).to_owned())
            .collect()
    }

    #[test]
    fn topics_arriving_above_the_first_row_stay_on_screen_when_all_fit() {
        // The order of the report: a Chinese topic, then topics that sort above it.
        let mut harness = panel_harness(600.0);
        for topic in ["m/x", "传/x", "a/x", "b/x", "z/x"] {
            arrive(&mut harness, topic);
        }
        assert_eq!(harness.state().1.tree.topic_count(), 5);
        assert_eq!(
            shown(&harness, &["a", "b", "m", "z", "传"]),
            ["a", "b", "m", "z", "传"],
            "every counted topic has its row on screen"
        );
        // The tutorial traffic, then a search.
        let mut harness = panel_harness(600.0);
        for topic in ["传感器/客厅/温度", "/python/mqtt", "big/payload"] {
            arrive(&mut harness, topic);
        }
        assert_eq!(
            shown(&harness, &["python", "big", "传感器"]),
            ["python", "big", "传感器"]
        );
        harness.state_mut().0.search.query = "python".to_owned();
        harness.state_mut().0.search.job = Some(SearchJob::new("python", false));
        harness.state_mut().0.search.version += 1;
        harness.run_steps(3);
        assert_eq!(
            shown(&harness, &["python", "big", "传感器"]),
            ["python"],
            "the match is listed"
        );
    }

    #[test]
    fn the_first_row_stays_in_view_while_many_rows_arrive_above_it_in_batches() {
        let mut harness = panel_harness(400.0);
        for topic in ["devices/gw/status", "devices/gw/uptime"] {
            arrive(&mut harness, topic);
        }
        // 120 rows arrive above, ten per frame: first they fit, then they do not.
        for batch in 0..12 {
            let messages =
                (0..10).map(|i| ReceivedMessage::new(format!("aaa/new_{}", batch * 10 + i), &b"1"[..], 0, false));
            harness.state_mut().1.apply(messages, Instant::now());
            harness.step();
        }
        harness.run_steps(2);
        assert_eq!(
            shown(&harness, &["devices", "status", "uptime"]),
            ["devices", "status", "uptime"],
            "the rows that were on screen stay on screen"
        );
    }

    /// Turn the mouse wheel `notches` over the rows, then let it settle.
    fn wheel(harness: &mut egui_kittest::Harness<'static, (TreePanel, Model)>, notches: f32) {
        use egui_kittest::kittest::Queryable as _;
        let at = harness.get_by_label("Search").rect().center() + egui::vec2(0.0, 150.0);
        harness.event(egui::Event::PointerMoved(at));
        harness.step();
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Line,
            delta: egui::vec2(0.0, -notches),
            phase: egui::TouchPhase::Move,
            modifiers: egui::Modifiers::NONE,
            source: egui::MouseWheelSource::Wheel,
        });
        harness.run_steps(20);
    }

    #[test]
    fn the_wheel_scrolls_a_long_tree_down_to_its_end_and_back() {
        let mut harness = panel_harness(400.0);
        let names: Vec<String> = (0..200).map(|i| format!("t{i:03}")).collect();
        arrive_all(&mut harness, &names);
        harness.run_steps(3);
        let all: Vec<&str> = names.iter().map(String::as_str).collect();
        let first_shown = |h: &egui_kittest::Harness<'static, (TreePanel, Model)>| {
            shown(h, &all).first().cloned().expect("rows on screen")
        };
        assert_eq!(first_shown(&harness), "t000");
        // Five notches: well down the list, and it stays there.
        wheel(&mut harness, 5.0);
        let after = first_shown(&harness);
        assert!(after.as_str() >= "t005", "five notches moved the list to {after}");
        harness.run_steps(10);
        assert_eq!(first_shown(&harness), after, "the view stays where the wheel left it");
        // All the way down: the last row is reached and stays in view.
        for _ in 0..20 {
            wheel(&mut harness, 10.0);
        }
        assert_eq!(shown(&harness, &["t199"]), ["t199"], "the end is reached");
        harness.run_steps(10);
        assert_eq!(shown(&harness, &["t199"]), ["t199"], "and kept");
        // And back up to the top.
        for _ in 0..20 {
            wheel(&mut harness, -10.0);
        }
        assert_eq!(first_shown(&harness), "t000");
    }

    #[test]
    fn opening_a_node_of_thousands_keeps_it_in_view_and_the_wheel_goes_on() {
        let mut harness = panel_harness(400.0);
        let topics: Vec<String> = (0..3_000).map(|i| format!("sim/s{i:04}")).collect();
        arrive_all(&mut harness, &topics);
        arrive(&mut harness, "zone/a");
        harness.run_steps(3);
        {
            use egui_kittest::kittest::Queryable as _;
            harness.get_by_label("sim").click();
        }
        harness.run_steps(10);
        assert!(harness.state().0.rows().len() > 3_000, "sim is open");
        assert_eq!(shown(&harness, &["sim", "s0000", "s0001"]), ["sim", "s0000", "s0001"]);
        wheel(&mut harness, 5.0);
        harness.run_steps(10);
        assert_eq!(
            shown(&harness, &["sim", "s0000"]),
            Vec::<String>::new(),
            "the wheel moved on"
        );
        assert_eq!(shown(&harness, &["s0010"]), ["s0010"]);
    }

    #[test]
    fn an_offset_asked_past_the_end_never_hides_the_first_rows() {
        let mut harness = panel_harness(600.0);
        for topic in ["m/x", "a/x", "b/x"] {
            arrive(&mut harness, topic);
        }
        // As after rows were added above the first visible one while all rows fit:
        // an anchor and a pending offset further down than the rows reach.
        let m = harness.state().1.tree.get("m").unwrap();
        harness.state_mut().0.anchor = Some((m, 0.0));
        harness.state_mut().0.pending_offset = Some(500.0);
        harness.run_steps(3);
        assert_eq!(shown(&harness, &["a", "b", "m"]), ["a", "b", "m"]);
    }

    #[test]
    fn rows_follow_expansion_without_search() {
        let m = model(&[("a/b/c", "1"), ("a/d", "2"), ("e", "3")]);
        let mut panel = TreePanel::default();
        panel.refresh_rows(&m);
        let names = |p: &TreePanel| p.rows().iter().map(|&id| m.tree.topic(id)).collect::<Vec<_>>();
        assert_eq!(names(&panel), ["a", "e"]);
        panel.set_expanded(m.tree.get("a").unwrap(), true);
        panel.refresh_rows(&m);
        assert_eq!(names(&panel), ["a", "a/b", "a/d", "e"]);
        panel.expand_all(&m.tree);
        panel.refresh_rows(&m);
        assert_eq!(names(&panel), ["a", "a/b", "a/b/c", "a/d", "e"]);
        panel.collapse_all();
        panel.refresh_rows(&m);
        assert_eq!(names(&panel), ["a", "e"]);
    }

    use proptest::prelude::*;

    /// A topic level from a mix of scripts, digits and the odd empty level.
    fn level() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-c]{0,2}[0-9]{0,3}",
            "(传|感|器|客|厅|温|度){1,3}",
            "(Ω|μ|Ж|я|é|ß|İ|ẞ|🌡){1,2}",
            Just(String::new()),
        ]
    }

    fn topic() -> impl Strategy<Value = String> {
        proptest::collection::vec(level(), 1..4).prop_map(|levels| levels.join("/"))
    }

    /// The order the tree promises: level by level, natural order within a level.
    fn tree_order(a: &str, b: &str) -> std::cmp::Ordering {
        let (mut x, mut y) = (a.split('/'), b.split('/'));
        loop {
            match (x.next(), y.next()) {
                (None, None) => return std::cmp::Ordering::Equal,
                (None, Some(_)) => return std::cmp::Ordering::Less,
                (Some(_), None) => return std::cmp::Ordering::Greater,
                (Some(p), Some(q)) => match crate::model::natural_cmp(p, q) {
                    std::cmp::Ordering::Equal => {}
                    other => return other,
                },
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_topics_in_any_order_flatten_to_the_sorted_topics(
            topics in proptest::collection::vec(topic(), 1..40),
            seed in any::<u64>(),
        ) {
            let mut shuffled = topics.clone();
            fastrand::Rng::with_seed(seed).shuffle(&mut shuffled);
            let mut m = Model::default();
            for t in &shuffled {
                m.apply(vec![ReceivedMessage::new(t.as_str(), &b"1"[..], 0, false)], Instant::now());
            }
            let mut panel = TreePanel::default();
            panel.expand_all(&m.tree);
            panel.refresh_rows(&m);
            // Every node is a row once, parents before children, siblings in order.
            let rows: Vec<String> = panel.rows().iter().map(|&id| m.tree.topic(id)).collect();
            let mut expected: Vec<String> = m.tree.ids().map(|id| m.tree.topic(id)).collect();
            expected.sort_by(|a, b| tree_order(a, b));
            prop_assert_eq!(&rows, &expected);
            // Every topic with a message is among them, and found by searching its last level.
            let mut wanted: Vec<&String> = topics.iter().collect();
            wanted.sort();
            wanted.dedup();
            prop_assert_eq!(m.tree.topic_count(), wanted.len() as u64);
            for t in wanted {
                prop_assert!(rows.contains(t), "{} has no row", t);
                let last = t.rsplit('/').next().unwrap_or_default();
                if !last.is_empty() {
                    let (_, found) = search(&m, last, false);
                    prop_assert!(found.contains(t), "searching {:?} does not list {}", last, t);
                }
            }
        }

        #[test]
        fn natural_order_is_a_total_order(a in level(), b in level(), c in level()) {
            use std::cmp::Ordering::*;
            let cmp = crate::model::natural_cmp;
            prop_assert_eq!(cmp(&a, &b), cmp(&b, &a).reverse());
            prop_assert_eq!(cmp(&a, &b) == Equal, a == b);
            if cmp(&a, &b) != Greater && cmp(&b, &c) != Greater {
                prop_assert_ne!(cmp(&a, &c), Greater, "{:?} <= {:?} <= {:?}", a, b, c);
            }
        }

        #[test]
        fn every_match_is_highlighted_where_it_is(name in "\\PC{0,12}", cut in 0usize..12, len in 1usize..4) {
            // The query is a piece of the name itself (any script, any case):
            // the mark covers text that reads as the query, on char boundaries.
            let chars: Vec<char> = name.chars().collect();
            let start = cut.min(chars.len());
            let piece: String = chars[start..(start + len).min(chars.len())].iter().collect();
            prop_assume!(!piece.is_empty());
            let query = piece.to_lowercase();
            match highlight_range(&name, &query) {
                Some(range) => {
                    prop_assert!(name.is_char_boundary(range.start) && name.is_char_boundary(range.end));
                    prop_assert_eq!(name[range].to_lowercase(), query);
                }
                // Only where lowercasing changes some character's length ('İ', 'ẞ'):
                // then the whole name is marked.
                None => prop_assert!(
                    name.chars().any(|c| c.to_lowercase().map(char::len_utf8).sum::<usize>() != c.len_utf8()),
                    "{:?} in {:?} was not marked", query, name
                ),
            }
        }

        #[test]
        fn any_name_and_query_highlight_without_panicking(name in "\\PC{0,12}", query in "\\PC{1,3}") {
            let ctx = egui::Context::default();
            let mut out = ctx.run_ui(egui::RawInput::default(), |ui| {
                let _ = name_text(ui, &name, Some(&query.to_lowercase()), true);
            });
            out.textures_delta.clear();
        }
    }

    #[test]
    fn a_search_for_sharp_s_in_a_capital_dotted_i_name_does_not_panic() {
        let ctx = egui::Context::default();
        let mut out = ctx.run_ui(egui::RawInput::default(), |ui| {
            let _ = name_text(ui, "İẞ", Some("ß"), true);
            let _ = name_text(ui, "straße", Some("ß"), true);
        });
        out.textures_delta.clear();
    }

    #[test]
    fn a_topic_32000_levels_deep_is_counted_drawn_and_found() {
        let deep = (0..32_000).map(|i| format!("l{i}")).collect::<Vec<_>>().join("/");
        let mut harness = panel_harness(600.0);
        arrive(&mut harness, &deep);
        let model = &harness.state().1;
        assert_eq!(model.tree.topic_count(), 1);
        let leaf = model.tree.get(&deep).expect("the whole topic is one path");
        assert_eq!(model.tree.node(leaf).depth, 31_999);
        // Found by search: the match and every level above it are listed.
        let mut panel = TreePanel::default();
        panel.search.job = Some(SearchJob::new("l31999", false));
        while !panel.search.job.as_ref().unwrap().done(&model.tree) {
            panel.search.job.as_mut().unwrap().run(model, Duration::from_millis(5));
        }
        panel.search.version += 1;
        panel.refresh_rows(model);
        assert_eq!(panel.search.job.as_ref().unwrap().matches, 1);
        assert_eq!((panel.rows().len(), panel.rows().last()), (32_000, Some(&leaf)));
        // Drawn, all levels open.
        let (panel, model) = harness.state_mut();
        panel.expand_all(&model.tree);
        harness.run_steps(2);
        assert_eq!(shown(&harness, &["l0", "l1"]), ["l0", "l1"]);
    }
}

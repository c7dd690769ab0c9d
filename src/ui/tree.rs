//! The live topic tree: a flattened list of visible rows drawn with a
//! virtualised scroll, so a frame costs what is on screen. Each row shows the
//! segment, a preview of the last value, message and subtopic counts and a
//! retained mark.

use std::collections::HashSet;

use egui::{Align, Layout, RichText, Sense};

use super::{Action, style};
use crate::model::{Model, NodeId, ROOT};
use crate::payload::preview;

#[derive(Debug, Default)]
pub struct TreePanel {
    pub expanded: HashSet<NodeId>,
    pub selected: Option<NodeId>,
    /// Nodes below this id have been seen (for auto-expanding new top levels).
    seen_nodes: usize,
    rows: Vec<NodeId>,
    scroll_to_selected: bool,
}

/// Small trees open their first two levels as they appear; big ones stay folded.
const AUTO_EXPAND_NODE_LIMIT: usize = 200;

impl TreePanel {
    pub fn ui(&mut self, ui: &mut egui::Ui, model: &Model) -> Option<Action> {
        let tree = &model.tree;
        if tree.node_count() > self.seen_nodes {
            if tree.node_count() <= AUTO_EXPAND_NODE_LIMIT {
                for id in self.seen_nodes.max(1)..tree.node_count() {
                    if tree.node(id).depth <= 1 {
                        self.expanded.insert(id);
                    }
                }
            }
            self.seen_nodes = tree.node_count();
        }
        self.rows.clear();
        self.collect_rows(model, ROOT);

        let mut action = self.keyboard(ui, model);
        ui.horizontal(|ui| {
            ui.strong("Topics");
            ui.label(RichText::new(format!("{} topics", tree.topic_count())).color(style::COUNTS));
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                if ui.small_button("Collapse all").clicked() {
                    self.expanded.clear();
                }
                if ui.small_button("Expand all").clicked() {
                    self.expanded.extend(1..tree.node_count());
                }
            });
        });
        ui.separator();
        if self.rows.is_empty() {
            ui.weak("No messages yet. Topics appear here as they arrive.");
            return action;
        }
        let scroll_to = self
            .scroll_to_selected
            .then(|| self.selected.and_then(|s| self.rows.iter().position(|&r| r == s)))
            .flatten();
        self.scroll_to_selected = false;
        let mut scroll = egui::ScrollArea::both().auto_shrink([false, false]);
        if let Some(index) = scroll_to {
            // Keep the keyboard selection in view.
            let offset = ui.spacing().item_spacing.y + style::TREE_ROW_HEIGHT;
            let visible = ui.available_height();
            let target = index as f32 * offset;
            scroll = scroll.vertical_scroll_offset((target - visible / 2.0).max(0.0));
        }
        let rows = std::mem::take(&mut self.rows);
        scroll.show_rows(ui, style::TREE_ROW_HEIGHT, rows.len(), |ui, range| {
            for &id in &rows[range] {
                if let Some(a) = self.row_ui(ui, model, id) {
                    action = Some(a);
                }
            }
        });
        self.rows = rows;
        action
    }

    fn collect_rows(&mut self, model: &Model, node: NodeId) {
        for &child in &model.tree.node(node).children {
            self.rows.push(child);
            if self.expanded.contains(&child) {
                self.collect_rows(model, child);
            }
        }
    }

    fn row_ui(&mut self, ui: &mut egui::Ui, model: &Model, id: NodeId) -> Option<Action> {
        let node = model.tree.node(id);
        let mut action = None;
        ui.horizontal(|ui| {
            ui.set_min_height(style::TREE_ROW_HEIGHT);
            ui.add_space(node.depth as f32 * style::TREE_INDENT);
            if node.children.is_empty() {
                ui.add_space(style::TREE_INDENT + 4.0);
            } else {
                let open = self.expanded.contains(&id);
                let arrow = ui
                    .add(egui::Label::new(if open { "⏷" } else { "⏵" }).sense(Sense::click()))
                    .on_hover_text(if open { "Collapse" } else { "Expand" });
                if arrow.clicked() {
                    self.toggle(id);
                }
            }
            let name = if node.name.is_empty() {
                "(empty)"
            } else {
                node.name.as_str()
            };
            let selected = self.selected == Some(id);
            let label = ui.selectable_label(selected, RichText::new(name).strong());
            if label.clicked() {
                self.selected = Some(id);
                if !node.children.is_empty() && !self.expanded.contains(&id) {
                    self.expanded.insert(id);
                }
                action = Some(Action::SelectTopic(id));
            }
            label.on_hover_text(&node.topic);
            let counts = if node.subtopics > 0 {
                format!("{} msgs · {} topics", node.subtree_messages, node.subtopics)
            } else {
                format!("{} msgs", node.subtree_messages)
            };
            ui.label(RichText::new(counts).small().color(style::COUNTS));
            if node.retained {
                ui.label(RichText::new("R").small().strong().color(style::RETAINED))
                    .on_hover_text("The broker holds a retained message for this topic");
            }
            if let Some(last) = model.history.latest(id) {
                ui.label(
                    RichText::new(preview(&last.payload, style::PREVIEW_CHARS))
                        .monospace()
                        .color(style::PREVIEW),
                );
            }
        });
        action
    }

    fn toggle(&mut self, id: NodeId) {
        if !self.expanded.remove(&id) {
            self.expanded.insert(id);
        }
    }

    /// Up/down move the selection, left/right fold and unfold, when no text field has focus.
    fn keyboard(&mut self, ui: &egui::Ui, model: &Model) -> Option<Action> {
        if ui.ctx().memory(|m| m.focused().is_some()) || self.rows.is_empty() {
            return None;
        }
        let (up, down, left, right) = ui.input(|i| {
            (
                i.key_pressed(egui::Key::ArrowUp),
                i.key_pressed(egui::Key::ArrowDown),
                i.key_pressed(egui::Key::ArrowLeft),
                i.key_pressed(egui::Key::ArrowRight),
            )
        });
        if !(up || down || left || right) {
            return None;
        }
        let position = self.selected.and_then(|s| self.rows.iter().position(|&r| r == s));
        let next = match (position, up, down) {
            (None, _, _) => Some(self.rows[0]),
            (Some(p), true, _) => Some(self.rows[p.saturating_sub(1)]),
            (Some(p), _, true) => Some(self.rows[(p + 1).min(self.rows.len() - 1)]),
            (Some(_), _, _) => {
                let current = self.selected?;
                if right {
                    self.expanded.insert(current);
                } else if !self.expanded.remove(&current) {
                    // Already folded: go to the parent.
                    if let Some(parent) = model.tree.node(current).parent.filter(|&p| p != ROOT) {
                        self.selected = Some(parent);
                        self.scroll_to_selected = true;
                        return Some(Action::SelectTopic(parent));
                    }
                }
                None
            }
        };
        let next = next?;
        self.selected = Some(next);
        self.scroll_to_selected = true;
        Some(Action::SelectTopic(next))
    }
}

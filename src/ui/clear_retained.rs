//! The confirmation before clearing retained messages: how many topics, the
//! first few of them, and what clearing does.

use super::Action;
use crate::ui::ConnectionAction;

#[derive(Debug)]
pub struct ClearRetainedPrompt {
    /// The topic the user picked; everything at or below it is cleared.
    root: String,
    topics: Vec<String>,
}

impl ClearRetainedPrompt {
    pub fn new(root: String, topics: Vec<String>) -> Self {
        Self { root, topics }
    }

    /// Draws the window; returns the action chosen and whether it stays open.
    pub fn ui(&mut self, ctx: &egui::Context) -> (Option<Action>, bool) {
        let mut action = None;
        let mut open = true;
        // Modal: a destructive step is answered before anything else.
        let modal = egui::Modal::new(egui::Id::unique("clear_retained")).show(ctx, |ui| {
            ui.heading("Clear retained messages");
            let n = self.topics.len();
            let noun = if n == 1 { "topic" } else { "topics" };
            ui.label(format!(
                "Clear the retained message of {n} {noun} at or below {}?",
                self.root
            ));
            ui.label("mqscope publishes an empty retained message to each; the broker then forgets them.");
            for topic in self.topics.iter().take(5) {
                ui.monospace(topic);
            }
            if n > 5 {
                ui.weak(format!("… and {} more", n - 5));
            }
            ui.horizontal(|ui| {
                if ui.button(format!("Clear {n} retained")).clicked() {
                    action = Some(Action::Connection(ConnectionAction::ClearRetained(std::mem::take(
                        &mut self.topics,
                    ))));
                    open = false;
                }
                if ui.button("Cancel").clicked() {
                    open = false;
                }
            });
        });
        // Cancel or Escape (the window's dialogs_ui) closes it; a click beside it does not.
        let _ = modal;
        (action, open)
    }
}

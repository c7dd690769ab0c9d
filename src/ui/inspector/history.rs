//! The inspector's history: every stored message of the topic, newest first,
//! one line each in a virtual scroll; a click shows one (and keeps it shown
//! while new ones arrive), Up/Down walk the list, a menu diffs against one.

use super::*;

impl InspectorPanel {
    /// `current`: the message shown above the list.
    pub(super) fn history_ui(
        &mut self,
        ui: &mut egui::Ui,
        history: &std::collections::VecDeque<crate::model::StoredMessage>,
        current: u64,
    ) {
        ui.separator();
        ui.strong(format!("History ({} kept)", history.len()));
        egui::ScrollArea::vertical()
            .id_salt("history")
            .auto_shrink([false, false])
            .show_rows(ui, style::HISTORY_ROW_HEIGHT, history.len(), |ui, range| {
                // One line per message: rows have a fixed height for the virtual scroll.
                ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
                // Newest first.
                for i in range {
                    let m = &history[history.len() - 1 - i];
                    let text = format!(
                        "{}  {:>9}  {}",
                        clock(m.received_at()),
                        human_size(m.payload.len()),
                        preview(&m.payload, 60)
                    );
                    // The row's identity is its message, not its place: as newer
                    // messages arrive above, keyboard focus stays with the message
                    // it was on (and so does the one shown), not with the row index.
                    let seq = m.seq;
                    let row = ui
                        .push_id(seq, |ui| {
                            ui.selectable_label(seq == current, RichText::new(text).monospace())
                        })
                        .inner;
                    row.context_menu(|ui| {
                        if ui.button("Diff the shown message against this one").clicked() {
                            self.compare_seq = Some(seq);
                            self.show_diff = true;
                            ui.close();
                        }
                    });
                    if row.clicked() {
                        self.pinned_seq = Some(m.seq);
                        // Focus stays on the list, so Up/Down walk through it
                        // (egui moves focus between rows) and the tree leaves them be.
                        row.request_focus();
                    } else if row.has_focus() && m.seq != current {
                        self.pinned_seq = Some(m.seq);
                    }
                }
            });
    }
}

//! The profile form's fields: a text field with its problem on the row under
//! it, a password field with Show/Hide, and numbers typed in fields. Each
//! field has an id of its own, so that a problem row appearing above it
//! never takes its focus.

use egui::RichText;

use super::style;

/// Where the form shows a field's problem: on the row under the field, once
/// the field was touched or a save tried, gone as soon as it is fixed.
pub(super) struct Check<'a> {
    pub problems: &'a [(&'static str, String)],
    pub tried: bool,
    pub touched: &'a mut std::collections::HashSet<&'static str>,
}

impl Check<'_> {
    /// After the row of `field`: its problem, if it has one to show.
    pub fn under(&self, ui: &mut egui::Ui, field: &'static str) {
        if !(self.tried || self.touched.contains(field)) {
            return;
        }
        if let Some((_, problem)) = self.problems.iter().find(|(f, _)| *f == field) {
            ui.label("");
            ui.label(RichText::new(format!("⚠ {problem}")).color(style::error()));
            ui.end_row();
        }
    }
}

/// A password field with a Show/Hide switch beside it.
pub(super) fn secret_field(ui: &mut egui::Ui, label: &'static str, value: &mut String, hint: &str, shown: &mut bool) {
    let text = ui.label(label);
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(value)
                .password(!*shown)
                .hint_text(hint)
                .id_salt(label),
        )
        .labelled_by(text.id);
        let switch = ui
            .small_button(if *shown { "Hide" } else { "Show" })
            .on_hover_text(if *shown {
                "Hide what was typed"
            } else {
                "Show what was typed"
            });
        let name = format!("{} {label}", if *shown { "Hide" } else { "Show" });
        switch.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
        if switch.clicked() {
            *shown = !*shown;
        }
    });
    ui.end_row();
}

/// A whole number typed in a field (empty: 0).
pub(super) fn number(text: &str, what: &str) -> Result<u64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    text.parse::<u64>()
        .map_err(|_| format!("'{text}' is not a number of {what}."))
}

/// A text field; its problem (from `check`) on the row under it.
pub(super) fn field(ui: &mut egui::Ui, label: &'static str, value: &mut String, hint: &str, check: &mut Check) {
    let text = ui.label(label);
    // Its own id, so that a problem row appearing above it keeps its focus.
    let edit = ui
        .add(egui::TextEdit::singleline(value).hint_text(hint).id_salt(label))
        .labelled_by(text.id);
    if edit.changed() {
        check.touched.insert(label);
        // The problems were worked out before this edit: draw the frame
        // again with the new ones, so that no stale row shifts the form.
        ui.ctx().request_discard("a profile field changed");
    }
    ui.end_row();
    check.under(ui, label);
}

/// A file path field with "Browse…" beside it (the desktop's file chooser);
/// its problem (from `check`) on the row under it.
pub(super) fn file_field(
    ui: &mut egui::Ui,
    label: &'static str,
    value: &mut String,
    hint: &str,
    check: &mut Check,
    browse: &mut super::file_chooser::Browse,
) {
    let text = ui.label(label);
    let mut changed = false;
    ui.horizontal(|ui| {
        let edit = ui
            .add(egui::TextEdit::singleline(value).hint_text(hint).id_salt(label))
            .labelled_by(text.id);
        changed = edit.changed();
        changed |= browse.button(ui, value, super::file_chooser::Purpose::Open, label, &[]);
    });
    if changed {
        check.touched.insert(label);
        ui.ctx().request_discard("a profile field changed");
    }
    ui.end_row();
    if browse.has_problem() {
        ui.label("");
        browse.problem_ui(ui);
        ui.end_row();
    }
    check.under(ui, label);
}

//! The "{{…}}" menu of the publish form: each placeholder, said in
//! words, put in at the payload's cursor (or over its selection).

use egui::text::{CCursor, CCursorRange};

/// What the menu offers: the placeholder as typed, and what it becomes.
const MENU: &[(&str, &str)] = &[
    ("{{counter}}", "the send's number: 1, 2, 3…"),
    ("{{timestamp}}", "seconds since 1970 (Unix time)"),
    ("{{timestamp_ms}}", "milliseconds since 1970"),
    ("{{now}}", "the time in UTC, e.g. 2026-11-30T17:00:00.000Z"),
    ("{{random(20,30)}}", "a number with two decimals between the two"),
    ("{{randint(0,100)}}", "a whole number between the two"),
    ("{{uuid}}", "a new random UUID"),
];

/// Put `insert` in `text` over the characters `start..end` (character
/// offsets, as egui's cursor counts them); returns the character offset just
/// after it.
fn insert_at(text: &mut String, start: usize, end: usize, insert: &str) -> usize {
    let chars = text.chars().count();
    let (start, end) = (start.min(end).min(chars), start.max(end).min(chars));
    let byte = |chars: usize| text.char_indices().nth(chars).map_or(text.len(), |(b, _)| b);
    let (from, to) = (byte(start), byte(end));
    text.replace_range(from..to, insert);
    start + insert.chars().count()
}

/// The menu button. A chosen placeholder goes in at the cursor of the text
/// field `edit` (at the end if it never had one), which keeps the focus with
/// the cursor after it. True when `text` changed.
pub(super) fn menu(ui: &mut egui::Ui, text: &mut String, edit: egui::Id) -> bool {
    let mut changed = false;
    // As short as the "{{…}}" note it replaced: at 800×600 a wider button
    // wrapped to a row of its own and pushed Publish out of the panel.
    ui.menu_button(egui::RichText::new("{{…}}").small(), |ui| {
        ui.label(egui::RichText::new("Evaluated at each send").small().weak());
        for (placeholder, meaning) in MENU {
            let item = ui.button(*placeholder).on_hover_text(*meaning);
            if item.clicked() {
                let mut state = egui::TextEdit::load_state(ui.ctx(), edit).unwrap_or_default();
                let end = text.chars().count();
                let [a, b] = state
                    .cursor
                    .char_range()
                    .map_or([CCursor::new(end); 2], |r| r.sorted_cursors());
                let after = insert_at(text, a.index.0.min(end), b.index.0.min(end), placeholder);
                state
                    .cursor
                    .set_char_range(Some(CCursorRange::one(CCursor::new(after))));
                egui::TextEdit::store_state(ui.ctx(), edit, state);
                ui.ctx().memory_mut(|m| m.request_focus(edit));
                changed = true;
                ui.close();
            }
        }
    })
    .response
    .on_hover_text("Insert a placeholder at the cursor");
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_placeholder_goes_in_at_the_cursor_or_over_the_selection() {
        let mut text = r#"{"温度": , "n": 1}"#.to_owned();
        // After `"温度": ` (7 characters, 11 bytes).
        let after = insert_at(&mut text, 7, 7, "{{random(20,30)}}");
        assert_eq!(text, r#"{"温度": {{random(20,30)}}, "n": 1}"#);
        assert_eq!(after, 7 + 17);
        // A selection, given either way round, is replaced.
        let mut text = "n=1;".to_owned();
        assert_eq!(insert_at(&mut text, 3, 2, "{{counter}}"), 2 + 11);
        assert_eq!(text, "n={{counter}};");
        // Past the end: appended.
        let mut text = "x".to_owned();
        assert_eq!(insert_at(&mut text, 5, 5, "{{uuid}}"), 1 + 8, "the cursor after it");
        assert_eq!(text, "x{{uuid}}");
    }

    #[test]
    fn every_placeholder_offered_is_one_the_template_knows() {
        for (placeholder, _) in MENU {
            assert!(
                crate::payload::PLACEHOLDERS.contains(
                    &placeholder
                        .replace("(20,30)", "(min,max)")
                        .replace("(0,100)", "(min,max)")
                ),
                "{placeholder}"
            );
            crate::payload::Template::parse(placeholder).unwrap();
        }
    }
}

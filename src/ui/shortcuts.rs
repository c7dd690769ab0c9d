//! The keyboard shortcut sheet (F1).

/// Every shortcut, as (keys, what it does). Ctrl is Cmd on macOS.
pub const SHORTCUTS: [(&str, &str); 16] = [
    ("F1", "Show or hide this sheet"),
    ("Ctrl+F", "Search the topic tree"),
    ("↑ / ↓", "Previous / next topic in the tree"),
    ("← / →", "Fold / unfold the selected topic"),
    ("Home / End", "First / last topic"),
    ("Enter", "Fold or unfold the selected topic"),
    ("Ctrl+C", "Copy the selected topic (in the tree)"),
    ("↑ / ↓ on a history row", "Older / newer message of the topic"),
    ("Ctrl+Enter", "Publish the form"),
    ("Ctrl+N", "New connection"),
    ("Ctrl+D", "Disconnect"),
    ("Ctrl+R", "Reconnect now"),
    ("Ctrl+W", "Close the connection's tab"),
    ("Ctrl+PageDown / PageUp", "Next / previous connection tab"),
    ("Ctrl+,", "Settings"),
    ("Ctrl+ + / Ctrl+ − / Ctrl+0", "Bigger / smaller / 100 %"),
];

pub fn sheet(ctx: &egui::Context, open: &mut bool) {
    egui::Window::new("Keyboard shortcuts")
        .open(open)
        .collapsible(false)
        .resizable(false)
        .show(ctx, |ui| {
            egui::Grid::new("shortcut_sheet")
                .striped(true)
                .spacing([16.0, 4.0])
                .show(ui, |ui| {
                    for (keys, what) in SHORTCUTS {
                        ui.monospace(keys);
                        ui.label(what);
                        ui.end_row();
                    }
                });
            ui.weak("Ctrl is ⌘ on macOS. Keys act when no text field has the focus, except the Ctrl ones.");
        });
}

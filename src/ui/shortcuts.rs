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
    super::dialog::window(ctx, "Keyboard shortcuts", 420.0)
        .open(open)
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

/// The keyboard shortcuts of the whole window (the sheet lists them), as
/// Actions; F1 opens and closes the sheet. `tabs`: connections open;
/// `active`: the one on screen.
pub fn window_keys(ctx: &egui::Context, tabs: usize, active: usize, sheet: &mut bool) -> Vec<super::Action> {
    use super::{Action, ConnectionAction, WindowAction};
    use egui::{Key, Modifiers};
    let (help, new, disconnect, retry, close, next, previous, settings) = ctx.input_mut(|i| {
        (
            i.consume_key(Modifiers::NONE, Key::F1),
            i.consume_key(Modifiers::COMMAND, Key::N),
            i.consume_key(Modifiers::COMMAND, Key::D),
            i.consume_key(Modifiers::COMMAND, Key::R),
            i.consume_key(Modifiers::COMMAND, Key::W),
            i.consume_key(Modifiers::COMMAND, Key::PageDown),
            i.consume_key(Modifiers::COMMAND, Key::PageUp),
            i.consume_key(Modifiers::COMMAND, Key::Comma),
        )
    });
    let mut actions = Vec::new();
    if help {
        *sheet = !*sheet;
    }
    if new {
        actions.push(Action::Window(WindowAction::NewProfile));
    }
    if settings {
        actions.push(Action::Window(WindowAction::OpenSettings));
    }
    if tabs == 0 {
        return actions;
    }
    if disconnect {
        actions.push(Action::Connection(ConnectionAction::Disconnect));
    }
    if retry {
        actions.push(Action::Connection(ConnectionAction::Retry));
    }
    if close {
        actions.push(Action::Window(WindowAction::CloseConnection(active)));
    }
    if next {
        actions.push(Action::Window(WindowAction::SelectConnection((active + 1) % tabs)));
    }
    if previous {
        actions.push(Action::Window(WindowAction::SelectConnection(
            (active + tabs - 1) % tabs,
        )));
    }
    actions
}

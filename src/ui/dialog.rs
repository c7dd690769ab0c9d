//! What the dialogs share: each opens centred on the window (the user may
//! move it after), none folds into its title bar, and Escape closes the one
//! opened last, unless a drop-down is open (`app::window::dialogs_ui` keeps
//! the order). Dialogs that
//! must be answered before anything else (a password, a destructive
//! confirmation) are `egui::Modal`s instead: the rest of the window waits.

/// A dialog window titled `title`, about `width` wide, centred across
/// `ctx`'s window and a little below its top bar when it first opens. (Its
/// corner is placed, not its centre: a form's grid settles its width over
/// the first frames, and a centred window would jump under the pointer.)
pub fn window<'a>(ctx: &egui::Context, title: impl Into<egui::WidgetText>, width: f32) -> egui::Window<'a> {
    let screen = ctx.content_rect();
    let left = (screen.center().x - width / 2.0).max(screen.left() + 8.0);
    let top = (screen.top() + screen.height() * 0.1).max(screen.top() + 64.0);
    egui::Window::new(title)
        .collapsible(false)
        .pivot(egui::Align2::LEFT_TOP)
        .default_pos(egui::pos2(left, top))
        .default_width(width)
}

/// Whether Escape was pressed this frame; taken, so that only one dialog
/// (the top one) closes for one press.
pub fn escape(ctx: &egui::Context) -> bool {
    ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape))
}

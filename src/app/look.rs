//! How the window looks: the theme and zoom the settings ask for, small
//! print readable, text colours for the theme on screen, the window's title,
//! and a first window that fits its monitor.

use super::*;

impl MqscopeApp {
    /// Theme, size and window title, set when they change (egui's own
    /// Ctrl+/Ctrl− zoom is left alone in between).
    pub(super) fn apply_look(&mut self, ctx: &egui::Context) {
        self.fit_on_screen(ctx);
        let look = (self.settings.theme, self.settings.ui_scale_percent);
        if self.applied_look != Some(look) {
            ctx.set_theme(match self.settings.theme {
                Theme::Dark => egui::ThemePreference::Dark,
                Theme::Light => egui::ThemePreference::Light,
                Theme::System => egui::ThemePreference::System,
            });
            ctx.set_zoom_factor(self.settings.zoom());
            // Small print (the tree's counts, badges) readable: egui's is 9 pt.
            ctx.all_styles_mut(|style| {
                style.text_styles.insert(
                    egui::TextStyle::Small,
                    egui::FontId::proportional(crate::ui::style::SMALL_TEXT),
                );
            });
            self.applied_look = Some(look);
        }
        // Text colours for the theme on screen (System may switch it any time).
        crate::ui::style::set_light(ctx.theme() == egui::Theme::Light);
        let title = match self.session() {
            Some(s) => format!("{} — {} — mqscope", s.name(), s.state.label()),
            None => "mqscope".to_owned(),
        };
        if self.title != title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    /// Once, as soon as the window system says where the window is: a first
    /// window larger than its monitor (1360×840 and a title bar on a 1366×768
    /// laptop) is maximised instead, so that the status bar is on screen.
    fn fit_on_screen(&mut self, ctx: &egui::Context) {
        if self.fitted {
            return;
        }
        let (monitor, inner) = ctx.input(|i| (i.viewport().monitor_size, i.viewport().inner_rect));
        let (Some(monitor), Some(inner)) = (monitor, inner) else {
            return;
        };
        self.fitted = true;
        // A title bar (and most desktops' panels) need room beside the
        // window's own area; the window manager may not have added its frame
        // yet, so the frame cannot be measured here.
        const DECORATION_ROOM: f32 = 40.0;
        if inner.width() > monitor.x - 0.5 || inner.height() + DECORATION_ROOM > monitor.y {
            ctx.send_viewport_cmd(egui::ViewportCommand::Maximized(true));
        }
    }
}

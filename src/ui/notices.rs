//! The strip of messages under the top bar: what went wrong (or was done) that
//! the user should read, each dismissable.

use egui::RichText;

use super::style;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NoticeKind {
    Info,
    Warning,
}

#[derive(Debug, Default)]
pub struct Notices {
    items: Vec<(NoticeKind, String)>,
}

impl Notices {
    pub fn info(&mut self, text: impl Into<String>) {
        self.items.push((NoticeKind::Info, text.into()));
    }

    pub fn warn(&mut self, text: impl Into<String>) {
        self.items.push((NoticeKind::Warning, text.into()));
    }

    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.items.iter().map(|(_, text)| text.as_str())
    }

    pub fn ui(&mut self, ui: &mut egui::Ui) {
        if self.items.is_empty() {
            return;
        }
        let mut dismissed = None;
        egui::Panel::top("notices").show(ui, |ui| {
            for (i, (kind, text)) in self.items.iter().enumerate() {
                let fill = match kind {
                    NoticeKind::Info => style::INFO_BG,
                    NoticeKind::Warning => style::WARNING_BG,
                };
                egui::Frame::new()
                    .fill(fill)
                    .inner_margin(6.0)
                    .corner_radius(4.0)
                    .show(ui, |ui| {
                        ui.horizontal(|ui| {
                            if ui.small_button("×").on_hover_text("Dismiss").clicked() {
                                dismissed = Some(i);
                            }
                            ui.label(RichText::new(text).color(style::NOTICE_TEXT));
                        });
                    });
            }
        });
        if let Some(i) = dismissed {
            self.items.remove(i);
        }
    }
}

//! The strip of messages under the top bar: what went wrong (or was done) that
//! the user should read, each dismissable.

use egui::RichText;

use super::style;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NoticeKind {
    Info,
    Warning,
}

/// Notices kept at most: the oldest go first (a stream of refusals must not
/// grow the strip, or memory, without end).
pub const MAX_NOTICES: usize = 8;

#[derive(Debug, Default)]
pub struct Notices {
    /// (kind, text, key): a keyed notice is replaced by the next with the same key.
    items: Vec<(NoticeKind, String, Option<String>)>,
}

impl Notices {
    pub fn info(&mut self, text: impl Into<String>) {
        self.push(NoticeKind::Info, text.into(), None);
    }

    pub fn warn(&mut self, text: impl Into<String>) {
        self.push(NoticeKind::Warning, text.into(), None);
    }

    /// A notice already showing is not shown twice; past the cap the oldest goes.
    fn push(&mut self, kind: NoticeKind, text: String, key: Option<String>) {
        self.items.retain(|(_, existing, k)| k.is_some() || *existing != text);
        self.items.push((kind, text, key));
        while self.items.len() > MAX_NOTICES {
            // Infos go before warnings, and a warning of the same subject's
            // news (keyed) before the oldest warning, which may say what was lost.
            // (Never the one just added: it is the last.)
            let older = &self.items[..self.items.len() - 1];
            let at = older
                .iter()
                .position(|(k, _, _)| *k == NoticeKind::Info)
                .or_else(|| older.iter().position(|(_, _, key)| key.is_some()))
                .unwrap_or(1.min(older.len().saturating_sub(1)));
            self.items.remove(at);
        }
    }

    /// Show `text` in place of the notice with this key (or as a new one), so
    /// a stream of news on one subject takes one line, not one each.
    pub fn set(&mut self, key: &str, warning: bool, text: impl Into<String>) {
        let kind = if warning { NoticeKind::Warning } else { NoticeKind::Info };
        let item = (kind, text.into(), Some(key.to_owned()));
        match self.items.iter_mut().find(|(_, _, k)| k.as_deref() == Some(key)) {
            Some(existing) => *existing = item,
            None => self.push(item.0, item.1, item.2),
        }
    }

    /// Take away the notice with this key (its news is over).
    pub fn remove(&mut self, key: &str) {
        self.items.retain(|(_, _, k)| k.as_deref() != Some(key));
    }

    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.items.iter().map(|(_, text, _)| text.as_str())
    }

    pub fn ui(&mut self, ui: &mut egui::Ui) {
        if self.items.is_empty() {
            return;
        }
        let mut dismissed = None;
        egui::Panel::top("notices").show(ui, |ui| {
            for (i, (kind, text, _)) in self.items.iter().enumerate() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_endless_notices_stay_bounded() {
        let mut notices = Notices::default();
        for _ in 0..1_000 {
            notices.warn("The broker refused the subscription to a/#.");
        }
        assert_eq!(notices.texts().count(), 1, "the same words once");
        for i in 0..1_000 {
            notices.warn(format!("refusal {i}"));
        }
        let texts: Vec<&str> = notices.texts().collect();
        assert_eq!(texts.len(), MAX_NOTICES);
        assert_eq!(texts.last(), Some(&"refusal 999"), "the newest stay");
        assert_eq!(
            texts[0], "The broker refused the subscription to a/#.",
            "the first warning stays"
        );
        notices.set("tls", true, "keyed");
        notices.set("tls", true, "keyed again");
        assert_eq!(notices.texts().filter(|t| t.starts_with("keyed")).count(), 1);
    }
}

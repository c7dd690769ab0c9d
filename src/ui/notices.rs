//! Notices: what went wrong (or was done) that the user should read. Each
//! shows as a toast over the bottom right of the window, so raising or
//! clearing one never moves the widgets under the mouse. A toast leaves on
//! its own once it has been on screen long enough to read (not while the
//! pointer rests on it), and stays in the notices log, opened from the
//! status bar. A notice about one connection shows only on its tab.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime};

use egui::RichText;

use super::style;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NoticeKind {
    Info,
    Warning,
}

/// Notices kept waiting to be shown at most: the oldest go first (a stream
/// of refusals must not grow the stack, or memory, without end).
pub const MAX_NOTICES: usize = 8;
/// Toasts on screen at once; the rest wait their turn (counted under them).
pub const SHOWN_AT_ONCE: usize = 3;
/// Lines the notices log keeps.
pub const LOG_LINES: usize = 200;

/// How long a toast stays on screen (pointer away) before it leaves.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub info: Duration,
    pub warning: Duration,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            info: Duration::from_secs(6),
            warning: Duration::from_secs(15),
        }
    }
}

#[derive(Debug)]
struct Notice {
    kind: NoticeKind,
    text: String,
    /// A keyed notice is replaced by the next with the same key.
    key: Option<String>,
    /// The connection it is about (its tab), or None for the whole window.
    owner: Option<u64>,
    /// Time spent on screen with the pointer away.
    shown: Duration,
}

#[derive(Debug, Default)]
pub struct Notices {
    items: Vec<Notice>,
    /// (when, warning, text, key), newest last: a keyed notice's news takes
    /// its earlier line's place, so a stream of updates does not fill the log.
    log: VecDeque<(SystemTime, bool, String, Option<String>)>,
    log_open: bool,
    lifetimes: Lifetimes,
    last_frame: Option<Instant>,
}

/// The notices of one connection's tab.
pub struct TabNotices<'a> {
    notices: &'a mut Notices,
    owner: u64,
}

impl TabNotices<'_> {
    pub fn info(&mut self, text: impl Into<String>) {
        self.notices.push(NoticeKind::Info, text.into(), None, Some(self.owner));
    }

    pub fn warn(&mut self, text: impl Into<String>) {
        self.notices
            .push(NoticeKind::Warning, text.into(), None, Some(self.owner));
    }

    pub fn set(&mut self, key: &str, warning: bool, text: impl Into<String>) {
        self.notices.set_for(Some(self.owner), key, warning, text.into());
    }
}

impl Notices {
    /// A notice about the window as a whole: shown whichever tab is open.
    pub fn info(&mut self, text: impl Into<String>) {
        self.push(NoticeKind::Info, text.into(), None, None);
    }

    pub fn warn(&mut self, text: impl Into<String>) {
        self.push(NoticeKind::Warning, text.into(), None, None);
    }

    /// Notices about the connection `owner` (a session's id): shown on its tab.
    pub fn tab(&mut self, owner: u64) -> TabNotices<'_> {
        TabNotices { notices: self, owner }
    }

    pub fn set_lifetimes(&mut self, lifetimes: Lifetimes) {
        self.lifetimes = lifetimes;
    }

    /// A notice already waiting is not shown twice; past the cap the oldest goes.
    fn push(&mut self, kind: NoticeKind, text: String, key: Option<String>, owner: Option<u64>) {
        self.remember(kind, &text, key.as_deref());
        self.items
            .retain(|n| n.key.is_some() || n.text != text || n.owner != owner);
        self.items.push(Notice {
            kind,
            text,
            key,
            owner,
            shown: Duration::ZERO,
        });
        while self.items.len() > MAX_NOTICES {
            // Infos go before warnings, and a warning of the same subject's
            // news (keyed) before the oldest warning, which may say what was lost.
            // (Never the one just added: it is the last. All stay in the log.)
            let older = &self.items[..self.items.len() - 1];
            let at = older
                .iter()
                .position(|n| n.kind == NoticeKind::Info)
                .or_else(|| older.iter().position(|n| n.key.is_some()))
                .unwrap_or(1.min(older.len().saturating_sub(1)));
            self.items.remove(at);
        }
    }

    fn remember(&mut self, kind: NoticeKind, text: &str, key: Option<&str>) {
        if self.log.back().is_some_and(|(_, _, last, _)| last == text) {
            return;
        }
        if let Some(key) = key {
            self.log.retain(|(_, _, _, k)| k.as_deref() != Some(key));
        }
        self.log.push_back((
            SystemTime::now(),
            kind == NoticeKind::Warning,
            text.to_owned(),
            key.map(str::to_owned),
        ));
        while self.log.len() > LOG_LINES {
            self.log.pop_front();
        }
    }

    /// Show `text` in place of the notice with this key (or as a new one), so
    /// a stream of news on one subject takes one toast, not one each.
    pub fn set(&mut self, key: &str, warning: bool, text: impl Into<String>) {
        self.set_for(None, key, warning, text.into());
    }

    fn set_for(&mut self, owner: Option<u64>, key: &str, warning: bool, text: String) {
        let kind = if warning { NoticeKind::Warning } else { NoticeKind::Info };
        match self.items.iter_mut().find(|n| n.key.as_deref() == Some(key)) {
            Some(existing) => {
                if kind == NoticeKind::Warning && existing.kind != NoticeKind::Warning {
                    // Worse news is read afresh; a stream of updates on one
                    // subject still leaves once it has been on screen long enough.
                    existing.shown = Duration::ZERO;
                }
                existing.kind = kind;
                existing.text = text.clone();
                self.remember(kind, &text, Some(key));
            }
            None => self.push(kind, text, Some(key.to_owned()), owner),
        }
    }

    /// Take away the notices of a tab that closed (the log keeps their words).
    pub fn forget_owner(&mut self, owner: u64) {
        self.items.retain(|n| n.owner != Some(owner));
    }

    /// How many notices wait for the tab `owner` (its tab shows a mark).
    pub fn waiting_for(&self, owner: u64) -> usize {
        self.items.iter().filter(|n| n.owner == Some(owner)).count()
    }

    /// Take away the notice with this key (its news is over).
    pub fn remove(&mut self, key: &str) {
        self.items.retain(|n| n.key.as_deref() != Some(key));
    }

    /// Every notice waiting or on screen, any tab's.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.items.iter().map(|n| n.text.as_str())
    }

    /// What the log holds, oldest first.
    pub fn logged(&self) -> impl Iterator<Item = &str> {
        self.log.iter().map(|(_, _, text, _)| text.as_str())
    }

    /// The status bar's way into the log.
    pub fn log_button_ui(&mut self, ui: &mut egui::Ui) {
        if self.log.is_empty() {
            return;
        }
        let label = format!("Notices ({})", self.log.len());
        if ui
            .small_button(label)
            .on_hover_text("Every notice shown since the window opened")
            .clicked()
        {
            self.log_open = !self.log_open;
        }
    }

    /// Put `text` in the log only (news that needs no toast).
    pub fn log_only(&mut self, warning: bool, text: &str) {
        let kind = if warning { NoticeKind::Warning } else { NoticeKind::Info };
        self.remember(kind, text, None);
    }

    /// Whether a notice with this key waits or shows.
    pub fn has_key(&self, key: &str) -> bool {
        self.items.iter().any(|n| n.key.as_deref() == Some(key))
    }

    /// The toasts of the window and of the tab `active` shows, over the
    /// bottom right corner; and the log, if open. While a form is open
    /// (`dialog`), toasts wait, unaged: they would cover it.
    pub fn ui(&mut self, ctx: &egui::Context, active: Option<u64>, dialog: bool) {
        let now = Instant::now();
        // A window that drew nothing for a long while (hidden, minimised)
        // does not age its toasts unseen.
        let elapsed = self
            .last_frame
            .map_or(Duration::ZERO, |last| now.saturating_duration_since(last))
            .min(Duration::from_secs(1));
        self.last_frame = Some(now);
        self.log_ui(ctx);
        if dialog {
            self.last_frame = None;
            return;
        }

        let lifetimes = self.lifetimes;
        let life = |kind| match kind {
            NoticeKind::Info => lifetimes.info,
            NoticeKind::Warning => lifetimes.warning,
        };
        let (shown, waiting) = self.showing(active);
        if shown.is_empty() {
            self.last_frame = None;
            return;
        }
        let mut dismissed = Vec::new();
        let mut open_log = false;
        let mut hovered = false;
        let items = &self.items;
        let area = egui::Area::new(egui::Id::unique("notices"))
            .order(egui::Order::Foreground)
            .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-12.0, -34.0))
            .interactable(true)
            .show(ctx, |ui| {
                ui.set_max_width(style::TOAST_WIDTH);
                for &i in &shown {
                    let notice = &items[i];
                    let fill = match notice.kind {
                        NoticeKind::Info => style::INFO_BG,
                        NoticeKind::Warning => style::WARNING_BG,
                    };
                    egui::Frame::new()
                        .fill(fill)
                        .inner_margin(8.0)
                        .corner_radius(6.0)
                        .shadow(ui.visuals().popup_shadow)
                        .show(ui, |ui| {
                            ui.set_width(style::TOAST_WIDTH);
                            ui.horizontal(|ui| {
                                if ui
                                    .small_button(RichText::new("×").color(style::NOTICE_TEXT))
                                    .on_hover_text("Dismiss (it stays in the notices log)")
                                    .clicked()
                                {
                                    dismissed.push(i);
                                }
                                ui.add(egui::Label::new(RichText::new(&notice.text).color(style::NOTICE_TEXT)).wrap());
                            });
                        });
                    ui.add_space(4.0);
                }
                if waiting > 0 {
                    let more = crate::ui::counted(waiting as u64, "more notice", "more notices");
                    if ui.small_button(format!("+{more} · open the log")).clicked() {
                        open_log = true;
                    }
                }
            });
        hovered |= area.response.contains_pointer();
        if open_log {
            self.log_open = true;
        }
        // Age what was on screen; the pointer resting on them holds them all.
        let mut next = None::<Duration>;
        for &i in &shown {
            let notice = &mut self.items[i];
            if !hovered {
                notice.shown += elapsed;
            }
            let left = life(notice.kind).saturating_sub(notice.shown);
            if left.is_zero() {
                dismissed.push(i);
            } else {
                next = Some(next.map_or(left, |n| n.min(left)));
            }
        }
        dismissed.sort_unstable();
        dismissed.dedup();
        let gone = !dismissed.is_empty();
        for i in dismissed.into_iter().rev() {
            self.items.remove(i);
        }
        if gone {
            // The next in line takes the place of what left (one frame).
            ctx.request_repaint();
        } else if let Some(next) = next.filter(|_| !hovered) {
            // When the first on screen is due to leave; nothing while the
            // pointer holds them (its leaving brings a frame), and nothing
            // for another tab's notices (they wait, unaged, for their tab).
            ctx.request_repaint_after(next);
        }
    }

    /// Which notices are on screen with the tab of `active` open (indices,
    /// oldest first), and how many more wait their turn.
    fn showing(&self, active: Option<u64>) -> (Vec<usize>, usize) {
        let visible: Vec<usize> = self
            .items
            .iter()
            .enumerate()
            .filter(|(_, n)| n.owner.is_none() || n.owner == active)
            .map(|(i, _)| i)
            .collect();
        let waiting = visible.len().saturating_sub(SHOWN_AT_ONCE);
        (visible.into_iter().take(SHOWN_AT_ONCE).collect(), waiting)
    }

    fn log_ui(&mut self, ctx: &egui::Context) {
        if !self.log_open {
            return;
        }
        let mut open = true;
        // It opens by its button, at the status bar's right end, growing up
        // and to the left (it opened at the window's top left, far from it).
        let screen = ctx.content_rect();
        egui::Window::new("Notices")
            .open(&mut open)
            .collapsible(false)
            .pivot(egui::Align2::RIGHT_BOTTOM)
            .default_pos(egui::pos2(screen.right() - 8.0, screen.bottom() - 36.0))
            .default_size(egui::vec2(520.0, 320.0))
            .show(ctx, |ui| {
                egui::ScrollArea::vertical().stick_to_bottom(true).show(ui, |ui| {
                    for (when, warning, text, _) in &self.log {
                        let time = chrono::DateTime::<chrono::Local>::from(*when).format("%H:%M:%S");
                        ui.horizontal_wrapped(|ui| {
                            ui.label(RichText::new(time.to_string()).monospace().weak());
                            let text = RichText::new(text);
                            ui.label(if *warning {
                                text.color(style::warning_text())
                            } else {
                                text
                            });
                        });
                    }
                });
            });
        if !open {
            self.log_open = false;
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
        assert_eq!(notices.logged().count(), 1, "and logged once");
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
        assert_eq!(notices.logged().count(), LOG_LINES, "the log is bounded too");
        assert_eq!(notices.logged().last(), Some("refusal 999"));
        notices.set("tls", true, "keyed");
        notices.set("tls", true, "keyed again");
        assert_eq!(notices.texts().filter(|t| t.starts_with("keyed")).count(), 1);
    }

    #[test]
    fn a_tabs_notice_shows_on_its_tab_and_the_same_words_on_two_tabs_are_two() {
        let mut notices = Notices::default();
        notices.info("Saved your profiles.");
        notices.tab(1).warn("closed the connection");
        notices.tab(2).warn("closed the connection");
        notices.tab(2).set("alerts-2", true, "temperature above 28");
        assert_eq!(notices.texts().count(), 4);
        let texts =
            |shown: Vec<usize>| -> Vec<String> { shown.into_iter().map(|i| notices.items[i].text.clone()).collect() };
        assert_eq!(
            texts(notices.showing(Some(1)).0),
            ["Saved your profiles.", "closed the connection"]
        );
        assert_eq!(
            texts(notices.showing(Some(2)).0),
            ["Saved your profiles.", "closed the connection", "temperature above 28"]
        );
        assert_eq!(texts(notices.showing(None).0), ["Saved your profiles."]);
        notices.tab(2).warn("one more");
        let (shown, waiting) = notices.showing(Some(2));
        assert_eq!((shown.len(), waiting), (SHOWN_AT_ONCE, 1), "the fourth waits its turn");
        assert_eq!(notices.waiting_for(2), 3);
        // A tab that closes takes its notices with it; the log keeps them.
        notices.forget_owner(2);
        assert_eq!(notices.waiting_for(2), 0);
        assert_eq!(notices.texts().count(), 2);
        assert!(notices.logged().any(|t| t == "one more"));
        // A keyed notice's news replaces its line in the log.
        for n in 0..500 {
            notices.tab(1).set("too-large-1", true, format!("{n} so far"));
        }
        assert_eq!(notices.logged().filter(|t| t.ends_with("so far")).count(), 1);
    }
}

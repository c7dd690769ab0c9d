//! Every colour, spacing and size the panels use, in one place.

use std::sync::atomic::{AtomicBool, Ordering};

use egui::Color32;

/// The beat the window's own repaints keep (news from the network, marks
/// ending, the live chart's clock, the rate): all land on the same quarter
/// seconds of the clock, so a quiet window draws at most four frames a second
/// whatever asks, and an idle one none. Input still draws at once.
pub const BEAT: std::time::Duration = std::time::Duration::from_millis(250);
/// The beat while nobody touches the window: news still shows twice a
/// second, at half the frames. (Input brings back the full beat at once.)
pub const CALM_BEAT: std::time::Duration = std::time::Duration::from_millis(500);

/// The beat in use, in ms: `BEAT` while the user interacts, `CALM_BEAT`
/// after a while without input (the window sets it every frame; the
/// network's wake reads it from its own thread).
static BEAT_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(250);

/// Use the full beat (`interacting`) or the calm one.
pub fn set_interacting(interacting: bool) {
    let beat = if interacting { BEAT } else { CALM_BEAT };
    BEAT_MS.store(beat.as_millis() as u64, Ordering::Relaxed);
}

/// How long from now to the first beat at least `after` away.
pub fn next_beat(after: std::time::Duration) -> std::time::Duration {
    let beat = std::time::Duration::from_millis(BEAT_MS.load(Ordering::Relaxed).max(1));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    beat_delay(now, after, beat)
}

/// From `now` (time since the epoch) to the first multiple of `beat` at or
/// after `now + after`, to the nanosecond: a frame drawn just after a beat
/// that asks for the next one waits for it (rounded to whole milliseconds,
/// 250.3 ms would round down to 250 and ask for a second frame at once).
fn beat_delay(now: std::time::Duration, after: std::time::Duration, beat: std::time::Duration) -> std::time::Duration {
    let beat_ns = beat.as_nanos().max(1);
    let on_beat = (now + after).as_nanos().div_ceil(beat_ns) * beat_ns;
    let delay = on_beat - now.as_nanos();
    std::time::Duration::from_nanos(u64::try_from(delay).unwrap_or(u64::MAX))
}

/// Whether the light theme is on screen: the colours of text are chosen
/// for it (set by the window as it applies the theme, every frame).
static LIGHT: AtomicBool = AtomicBool::new(false);

pub fn set_light(light: bool) {
    LIGHT.store(light, Ordering::Relaxed);
}

/// `dark` on the dark theme, `light` on the light one: every text colour
/// reads on its theme's panels (`tests::text_colours_read_on_both_themes`).
fn themed(dark: Color32, light: Color32) -> Color32 {
    if LIGHT.load(Ordering::Relaxed) { light } else { dark }
}

pub const TREE_ROW_HEIGHT: f32 = 20.0;
pub const TREE_INDENT: f32 = 14.0;
pub const PREVIEW_CHARS: usize = 48;
/// Size of small print (egui's `.small()`), in points.
pub const SMALL_TEXT: f32 = 11.0;
pub const HISTORY_ROW_HEIGHT: f32 = 18.0;
pub const CHART_Y_AXIS_WIDTH: f32 = 44.0;
/// Width of the series table beside the chart.
pub const CHART_TABLE_WIDTH: f32 = 400.0;
pub const PANEL_GAP: f32 = 6.0;

pub fn connected() -> Color32 {
    themed(Color32::from_rgb(80, 200, 120), Color32::from_rgb(20, 120, 60))
}
pub fn connecting() -> Color32 {
    themed(Color32::from_rgb(230, 190, 60), Color32::from_rgb(150, 100, 0))
}
pub fn error() -> Color32 {
    themed(Color32::from_rgb(235, 90, 80), Color32::from_rgb(190, 40, 30))
}
pub fn closed() -> Color32 {
    themed(Color32::from_gray(150), Color32::from_gray(95))
}
pub fn retained() -> Color32 {
    themed(Color32::from_rgb(120, 160, 255), Color32::from_rgb(40, 80, 200))
}
pub fn preview() -> Color32 {
    themed(Color32::from_gray(160), Color32::from_gray(80))
}
pub fn counts() -> Color32 {
    themed(Color32::from_gray(145), Color32::from_gray(95))
}
pub const WARNING_BG: Color32 = Color32::from_rgb(90, 60, 20);
pub const NOTICE_TEXT: Color32 = Color32::WHITE;
pub const INFO_BG: Color32 = Color32::from_rgb(30, 60, 90);
/// Warnings in the notices log (readable on both themes).
pub fn warning_text() -> Color32 {
    themed(Color32::from_rgb(220, 140, 40), Color32::from_rgb(160, 90, 0))
}
/// Width of a toast (a notice over the window).
pub const TOAST_WIDTH: f32 = 380.0;
/// Row background right after a message arrives; fades out over a second.
pub const ARRIVAL_GLOW: Color32 = Color32::from_rgba_premultiplied(16, 40, 22, 40);
pub const SEARCH_HIT_BG: Color32 = Color32::from_rgb(150, 110, 20);
/// Background of changed bytes in a binary diff.
pub const DIFF_CHANGED_BG: Color32 = Color32::from_rgb(120, 70, 20);
pub const HEX_FONT_SIZE: f32 = 12.0;
/// Home Assistant entity names in the tree.
pub fn ha_name() -> Color32 {
    themed(Color32::from_rgb(90, 180, 230), Color32::from_rgb(20, 110, 170))
}
/// Threshold lines on charts.
pub const THRESHOLD: Color32 = Color32::from_rgb(235, 90, 80);
/// The fill of a button that destroys something (Delete for good).
pub const DANGER: Color32 = Color32::from_rgb(190, 50, 45);
pub fn ok_text() -> Color32 {
    themed(Color32::from_rgb(110, 210, 140), Color32::from_rgb(20, 120, 60))
}

/// Series colours, picked to stay apart on a dark background.
pub const SERIES: [Color32; 10] = [
    Color32::from_rgb(255, 140, 60),
    Color32::from_rgb(80, 170, 255),
    Color32::from_rgb(120, 220, 120),
    Color32::from_rgb(240, 90, 160),
    Color32::from_rgb(250, 220, 80),
    Color32::from_rgb(170, 130, 255),
    Color32::from_rgb(80, 220, 210),
    Color32::from_rgb(255, 110, 100),
    Color32::from_rgb(180, 200, 120),
    Color32::from_rgb(200, 160, 120),
];

pub fn series_color(index: usize) -> Color32 {
    SERIES[index % SERIES.len()]
}

/// Subscription colours (marks in the tree): softer than the series colours,
/// so a marked row does not read as a chart line.
pub const SUBSCRIPTIONS: [Color32; 8] = [
    Color32::from_rgb(100, 180, 255),
    Color32::from_rgb(255, 170, 70),
    Color32::from_rgb(140, 220, 120),
    Color32::from_rgb(230, 110, 200),
    Color32::from_rgb(240, 220, 90),
    Color32::from_rgb(160, 140, 255),
    Color32::from_rgb(90, 220, 210),
    Color32::from_rgb(250, 120, 110),
];

pub fn subscription_color(index: usize) -> Color32 {
    SUBSCRIPTIONS[index % SUBSCRIPTIONS.len()]
}

/// Width of the subscription mark at the left of a tree row.
pub const SUBSCRIPTION_MARK_WIDTH: f32 = 3.0;
/// The "insecure TLS" badge while connected.
pub fn insecure() -> Color32 {
    themed(Color32::from_rgb(235, 120, 60), Color32::from_rgb(180, 70, 10))
}
pub fn tab_active_bg() -> Color32 {
    themed(Color32::from_gray(60), Color32::from_gray(205))
}

/// Fonts for every script: egui's own fonts cover Latin, Greek and Cyrillic;
/// for a character they lack (Chinese, Japanese, Arabic, ...) a system font that
/// has it is found and memory-mapped the first time it is drawn. The system's
/// fonts are listed on a background thread, so the window does not wait.
pub fn install_system_fonts(ctx: &egui::Context) {
    ctx.add_font_provider(std::sync::Arc::new(egui_system_font_provider::SystemFontProvider::new()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_just_past_a_beat_waits_for_the_next_one() {
        let ms = |m: f64| std::time::Duration::from_secs_f64(m / 1000.0);
        let beat = ms(250.0);
        // 0.3 ms past a beat: the next beat, not at once (the old rounding
        // to whole ms said 0 here, and each beat drew two frames).
        let delay = beat_delay(ms(1_000_250.3), ms(0.0), beat);
        assert!((delay.as_secs_f64() * 1000.0 - 249.7).abs() < 1e-6, "{delay:?}");
        // On a beat exactly: that beat.
        assert_eq!(beat_delay(ms(1_000_250.0), ms(0.0), beat), ms(0.0));
        // At least `after` away, on a beat.
        let delay = beat_delay(ms(1_000_100.0), ms(1000.0), beat);
        assert!((delay.as_secs_f64() * 1000.0 - 1150.0).abs() < 1e-6, "{delay:?}");
    }

    #[test]
    fn repaints_land_on_the_beat() {
        // Calm: on the half seconds.
        set_interacting(false);
        let delay = next_beat(std::time::Duration::ZERO);
        assert!(delay <= CALM_BEAT);
        let at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            + delay;
        let off = (at.as_millis() % 500) as i64;
        assert!(!(20..=480).contains(&off), "{off} ms off the calm beat");
        set_interacting(true);
        for after in [0, 1, 249, 250, 999, 1000] {
            let after = std::time::Duration::from_millis(after);
            let delay = next_beat(after);
            assert!(delay >= after, "{delay:?} before {after:?}");
            assert!(delay <= after + BEAT, "{delay:?} more than a beat past {after:?}");
            let at = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                + delay;
            // On a beat (a quarter second; a calm beat is on one too), give
            // or take the time the test took.
            let off = (at.as_millis() % 250) as i64;
            assert!(!(20..=230).contains(&off), "{off} ms off the beat");
        }
    }

    /// WCAG's relative luminance of an sRGB colour.
    fn luminance(c: Color32) -> f64 {
        let channel = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.03928 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(c.r()) + 0.7152 * channel(c.g()) + 0.0722 * channel(c.b())
    }

    fn contrast(a: Color32, b: Color32) -> f64 {
        let (a, b) = (luminance(a), luminance(b));
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    #[test]
    fn text_colours_read_on_both_themes() {
        for (light, visuals) in [(false, egui::Visuals::dark()), (true, egui::Visuals::light())] {
            set_light(light);
            for (name, colour) in [
                ("connected", connected()),
                ("connecting", connecting()),
                ("error", error()),
                ("closed", closed()),
                ("retained", retained()),
                ("preview", preview()),
                ("counts", counts()),
                ("warning text", warning_text()),
                ("ok text", ok_text()),
                ("Home Assistant name", ha_name()),
                ("insecure", insecure()),
            ] {
                for (surface, fill) in [("panel", visuals.panel_fill), ("window", visuals.window_fill)] {
                    let ratio = contrast(colour, fill);
                    // WCAG AA for text.
                    assert!(
                        ratio >= 4.5,
                        "{name} on the {} theme's {surface}: contrast {ratio:.2}",
                        if light { "light" } else { "dark" }
                    );
                }
            }
            // The open tab's label (strong text) on its background.
            assert!(contrast(visuals.strong_text_color(), tab_active_bg()) >= 4.5);
        }
        set_light(false);
    }
}

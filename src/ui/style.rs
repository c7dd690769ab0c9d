//! Every colour, spacing and size the panels use, in one place.

use egui::Color32;

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

pub const CONNECTED: Color32 = Color32::from_rgb(80, 200, 120);
pub const CONNECTING: Color32 = Color32::from_rgb(230, 190, 60);
pub const ERROR: Color32 = Color32::from_rgb(235, 90, 80);
pub const CLOSED: Color32 = Color32::from_gray(140);
pub const RETAINED: Color32 = Color32::from_rgb(120, 160, 255);
pub const PREVIEW: Color32 = Color32::from_gray(150);
pub const COUNTS: Color32 = Color32::from_gray(120);
pub const WARNING_BG: Color32 = Color32::from_rgb(90, 60, 20);
pub const NOTICE_TEXT: Color32 = Color32::WHITE;
pub const INFO_BG: Color32 = Color32::from_rgb(30, 60, 90);
/// Warnings in the notices log (readable on both themes).
pub const WARNING_TEXT: Color32 = Color32::from_rgb(220, 140, 40);
/// Width of a toast (a notice over the window).
pub const TOAST_WIDTH: f32 = 380.0;
/// Row background right after a message arrives; fades out over a second.
pub const ARRIVAL_GLOW: Color32 = Color32::from_rgba_premultiplied(16, 40, 22, 40);
pub const SEARCH_HIT_BG: Color32 = Color32::from_rgb(150, 110, 20);
/// Background of changed bytes in a binary diff.
pub const DIFF_CHANGED_BG: Color32 = Color32::from_rgb(120, 70, 20);
pub const HEX_FONT_SIZE: f32 = 12.0;
/// Home Assistant entity names in the tree.
pub const HA_NAME: Color32 = Color32::from_rgb(90, 180, 230);
/// Threshold lines on charts.
pub const THRESHOLD: Color32 = Color32::from_rgb(235, 90, 80);
/// The fill of a button that destroys something (Delete for good).
pub const DANGER: Color32 = Color32::from_rgb(190, 50, 45);
pub const OK_TEXT: Color32 = Color32::from_rgb(110, 210, 140);

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
pub const INSECURE: Color32 = Color32::from_rgb(235, 120, 60);
pub const TAB_ACTIVE_BG: Color32 = Color32::from_gray(60);

/// Fonts for every script: egui's own fonts cover Latin, Greek and Cyrillic;
/// for a character they lack (Chinese, Japanese, Arabic, ...) a system font that
/// has it is found and memory-mapped the first time it is drawn. The system's
/// fonts are listed on a background thread, so the window does not wait.
pub fn install_system_fonts(ctx: &egui::Context) {
    ctx.add_font_provider(std::sync::Arc::new(egui_system_font_provider::SystemFontProvider::new()));
}

//! Pieces of the inspector drawn from plain data: MQTT 5 properties, a diff
//! against another message, the changed bytes of a binary payload, and where
//! a payload is saved by default.

use super::*;

/// The MQTT 5 properties of a message, one per line, as sent.
pub(super) fn properties_ui(ui: &mut egui::Ui, props: &crate::vocab::MessageProperties) {
    egui::CollapsingHeader::new("MQTT 5 properties")
        .id_salt("mqtt5_properties")
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new("mqtt5_properties_grid")
                .num_columns(2)
                .spacing([12.0, 2.0])
                .show(ui, |ui| {
                    let mut row = |name: &str, value: String| {
                        ui.label(RichText::new(name).color(style::counts()));
                        ui.label(RichText::new(value).monospace());
                        ui.end_row();
                    };
                    if let Some(ct) = &props.content_type {
                        row("Content type", ct.clone());
                    }
                    if let Some(utf8) = props.payload_is_utf8 {
                        row(
                            "Payload format",
                            if utf8 { "UTF-8 text (1)" } else { "bytes (0)" }.to_owned(),
                        );
                    }
                    if let Some(expiry) = props.message_expiry_s {
                        row("Message expiry", format!("{expiry} s"));
                    }
                    if let Some(topic) = &props.response_topic {
                        row("Response topic", topic.clone());
                    }
                    if let Some(data) = &props.correlation_data {
                        let text = match std::str::from_utf8(data) {
                            Ok(text) if !text.chars().any(char::is_control) => format!("\"{text}\""),
                            _ => crate::payload::hex_dump(data)
                                .lines()
                                .next()
                                .unwrap_or_default()
                                .to_owned(),
                        };
                        row("Correlation data", text);
                    }
                    if !props.subscription_ids.is_empty() {
                        let ids: Vec<String> = props.subscription_ids.iter().map(ToString::to_string).collect();
                        row("Subscription ids", ids.join(", "));
                    }
                });
            // A broker may send thousands: only the rows on screen are laid
            // out, each cut to one line.
            let users = &props.user_properties;
            if !users.is_empty() {
                ui.label(RichText::new(format!("User properties ({})", users.len())).color(style::counts()));
                let row_height = ui.text_style_height(&TextStyle::Monospace) + 2.0;
                egui::ScrollArea::vertical()
                    .id_salt("mqtt5_user_properties")
                    .max_height(row_height * 8.0)
                    .auto_shrink([false, true])
                    .show_rows(ui, row_height, users.len(), |ui, range| {
                        for (key, value) in &users[range] {
                            let text = format!(
                                "{} = {}",
                                truncate_at_char(key, USER_PROPERTY_SHOWN),
                                truncate_at_char(value, USER_PROPERTY_SHOWN)
                            );
                            ui.add(egui::Label::new(RichText::new(text).monospace()).truncate())
                                .on_hover_text(format!("{} bytes", key.len() + value.len()));
                        }
                    });
            }
        });
}

/// Bytes of a user property's key or value shown on its row.
const USER_PROPERTY_SHOWN: usize = 200;

/// What changed since the message before, one line per change.
pub(super) fn diff_ui(ui: &mut egui::Ui, diff: &PayloadDiff, payload: &[u8]) {
    let mono = |text: String, color: egui::Color32| RichText::new(text).monospace().color(color);
    match diff {
        PayloadDiff::Identical => {
            ui.label("Identical to the message before.");
        }
        PayloadDiff::Json(changes) => {
            if changes.is_empty() {
                ui.label("Same JSON value as the message before (only formatting differs).");
            }
            for change in changes {
                match change {
                    Change::Changed { path, old, new } => {
                        ui.label(mono(format!("~ {path}: {old} → {new}"), style::connecting()));
                    }
                    Change::Added { path, new } => {
                        ui.label(mono(format!("+ {path}: {new}"), style::ok_text()));
                    }
                    Change::Removed { path, old } => {
                        ui.label(mono(format!("- {path}: {old}"), style::error()));
                    }
                }
            }
        }
        PayloadDiff::Text(lines) => {
            for line in lines {
                match line {
                    LineChange::Same(l) => ui.label(mono(format!("  {l}"), style::preview())),
                    LineChange::Added(l) => ui.label(mono(format!("+ {l}"), style::ok_text())),
                    LineChange::Removed(l) => ui.label(mono(format!("- {l}"), style::error())),
                    LineChange::Note(note) => ui.weak(note.as_str()),
                };
            }
        }
        PayloadDiff::Bytes {
            ranges,
            old_len,
            new_len,
        } => {
            let sizes = if old_len == new_len {
                format!("both {}", human_size(*new_len))
            } else {
                format!("{} before, {} now", human_size(*old_len), human_size(*new_len))
            };
            ui.label(format!("{} changed byte range(s); {sizes}", ranges.len()));
            changed_hex_ui(ui, payload, ranges);
        }
    }
}

/// Where a payload is saved unless the user says otherwise: `folder` (where
/// the last file went), else the downloads folder; named after the topic,
/// with an extension for what it holds.
pub(super) fn default_save_path(folder: Option<std::path::PathBuf>, topic: &str, kind: &str) -> std::path::PathBuf {
    let dir = folder
        .or_else(|| directories::UserDirs::new().and_then(|d| d.download_dir().map(std::path::Path::to_path_buf)))
        .or_else(|| directories::UserDirs::new().map(|d| d.home_dir().to_path_buf()))
        .unwrap_or_default();
    let name: String = topic
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let ext = match kind {
        "JSON" => "json",
        "Text" => "txt",
        _ => "bin",
    };
    dir.join(format!("{name}.{ext}"))
}

/// The hex lines of `payload` that hold changed bytes, the changed bytes in
/// colour. At most 200 lines.
pub(super) fn changed_hex_ui(ui: &mut egui::Ui, payload: &[u8], ranges: &[(usize, usize)]) {
    let changed = |i: usize| {
        let at = ranges.partition_point(|&(_, end)| end <= i);
        ranges.get(at).is_some_and(|&(start, _)| start <= i)
    };
    let mut lines: Vec<usize> = ranges
        .iter()
        .flat_map(|&(start, end)| start / 16..=(end.saturating_sub(1)) / 16)
        .collect();
    lines.dedup();
    let font = egui::FontId::monospace(style::HEX_FONT_SIZE);
    for &line in lines.iter().take(200) {
        let mut job = egui::text::LayoutJob::default();
        let plain = egui::TextFormat::simple(font.clone(), style::preview());
        let hot = egui::TextFormat {
            background: style::DIFF_CHANGED_BG,
            ..egui::TextFormat::simple(font.clone(), style::NOTICE_TEXT)
        };
        job.append(&format!("{:08x}  ", line * 16), 0.0, plain.clone());
        for (i, byte) in payload.iter().enumerate().skip(line * 16).take(16) {
            let format = if changed(i) { hot.clone() } else { plain.clone() };
            job.append(&format!("{byte:02x}"), 0.0, format);
            job.append(" ", 0.0, plain.clone());
        }
        ui.label(job);
    }
    if lines.len() > 200 {
        ui.label(format!("… and {} more changed lines", lines.len() - 200));
    }
}

/// A binary payload as a hex dump, all of it, a screenful of lines at a time
/// (no size limit, no truncation), leaving `below` points of height for what follows.
pub(super) fn hex_dump_ui(ui: &mut egui::Ui, payload: &[u8], below: f32) {
    let lines = hex_line_count(payload.len());
    ui.label(
        RichText::new(format!(
            "Hex dump: {lines} line{}, all {} shown (scroll to page)",
            if lines == 1 { "" } else { "s" },
            human_size(payload.len())
        ))
        .small()
        .color(style::counts()),
    );
    let row_height = ui.text_style_height(&TextStyle::Monospace);
    egui::ScrollArea::both()
        .id_salt("payload_hex")
        .max_height(ui.available_height() - below)
        .auto_shrink([false, true])
        .show_rows(ui, row_height, lines, |ui, range| {
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
            for line in range {
                ui.label(RichText::new(hex_line(payload, line)).monospace());
            }
        });
}

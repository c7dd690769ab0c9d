//! Reading and writing payloads: the bytes the publish form sends (`encode`,
//! with placeholders from `template`); how to show them (pretty JSON, text, hex dump, Base64,
//! MessagePack, CBOR; see `formats`), what changed between two (`diff`), a short
//! one-line preview for the tree, and numbers for charts. Pure functions over
//! bytes: no egui, never panics on any input, never changes the stored bytes.

mod diff;
mod encode;
mod formats;
mod numeric;
pub mod sparkplug;
mod template;

pub use diff::{Change, LineChange, PayloadDiff, diff};
pub use encode::{PayloadFormat, check_json, convert, encode, format_json};
pub use formats::{PayloadView, Rendered, cbor, json, messagepack, render};
pub use numeric::{SPARKPLUG_METRIC_PATH, extract_number, numeric_fields, sparkplug_fields};
pub use sparkplug::{
    Metric as SparkplugMetric, MetricValue as SparkplugValue, Payload as SparkplugPayload, is_sparkplug_topic,
    sparkplug,
};
pub use template::{PLACEHOLDERS, SendContext, Template};

use std::fmt::Write as _;

/// The payload as text when it is UTF-8 without control characters other
/// than tab and line breaks: packed binary is often valid UTF-8 by chance.
pub fn as_text(bytes: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(bytes).ok()?;
    is_plain_text(text).then_some(text)
}

/// Like [`as_text`] for the first bytes of a longer payload: a character cut
/// at the end of the prefix does not make it binary.
pub fn as_text_prefix(bytes: &[u8]) -> Option<&str> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&bytes[..e.valid_up_to()]).ok()?,
        Err(_) => return None,
    };
    is_plain_text(text).then_some(text)
}

fn is_plain_text(text: &str) -> bool {
    text.chars().all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
}

/// Bytes of a payload a one-line preview looks at.
const PREVIEW_SCAN_BYTES: usize = 1024;

/// How to show the first bytes of a payload too large to decode whole:
/// text when they are text (a character cut at the end is fine), else hex.
pub fn decode_prefix(bytes: &[u8]) -> Rendered {
    let (kind, text) = match as_text_prefix(bytes) {
        Some(text) => ("Text", text.to_owned()),
        None => ("Hex", hex_dump(bytes)),
    };
    Rendered { kind, text, note: None }
}

/// A classic hex dump: offset, 16 bytes in hex, and their printable ASCII.
pub fn hex_dump(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 4 + 16);
    for line in 0..hex_line_count(bytes.len()) {
        hex_line_into(bytes, line, &mut out);
        out.push('\n');
    }
    out
}

/// Lines of 16 bytes in the hex dump of a payload of `len` bytes.
pub fn hex_line_count(len: usize) -> usize {
    len.div_ceil(16)
}

/// Line `line` of the hex dump of `bytes` (offset, 16 bytes in hex, ASCII),
/// without building the rest: a 64 MiB payload pages through at the cost of
/// the lines on screen.
pub fn hex_line(bytes: &[u8], line: usize) -> String {
    let mut out = String::with_capacity(80);
    hex_line_into(bytes, line, &mut out);
    out
}

fn hex_line_into(bytes: &[u8], line: usize, out: &mut String) {
    let start = line.saturating_mul(16).min(bytes.len());
    let chunk = &bytes[start..(start + 16).min(bytes.len())];
    let _ = write!(out, "{start:08x}  ");
    for i in 0..16 {
        match chunk.get(i) {
            Some(b) => {
                let _ = write!(out, "{b:02x} ");
            }
            None => out.push_str("   "),
        }
        if i == 7 {
            out.push(' ');
        }
    }
    out.push(' ');
    out.extend(chunk.iter().map(|&b| {
        if b.is_ascii_graphic() || b == b' ' {
            b as char
        } else {
            '.'
        }
    }));
}

/// A one-line preview of at most `max_chars` characters for the topic tree.
/// Whitespace runs collapse to one space; binary shows its first bytes in hex.
pub fn preview(bytes: &[u8], max_chars: usize) -> String {
    if bytes.is_empty() {
        return "(empty)".to_owned();
    }
    // Look at a bounded prefix only: a preview of a 64 MiB payload costs what one of 1 KiB does.
    let prefix = &bytes[..bytes.len().min(PREVIEW_SCAN_BYTES)];
    match as_text_prefix(prefix) {
        Some(text) => {
            let mut out = String::new();
            let mut count = 0;
            let mut last_space = false;
            for c in text.chars() {
                let c = if c.is_whitespace() { ' ' } else { c };
                if c == ' ' && last_space {
                    continue;
                }
                last_space = c == ' ';
                if count == max_chars {
                    out.push('…');
                    break;
                }
                out.push(c);
                count += 1;
            }
            out
        }
        None => {
            let shown = bytes.len().min(max_chars / 3).max(1);
            let mut out = String::from("0x");
            for b in &bytes[..shown] {
                let _ = write!(out, "{b:02x}");
            }
            if shown < bytes.len() {
                out.push('…');
            }
            out
        }
    }
}

/// "3 s", "4 min", "2 h 5 min", "3 d": a duration, to the unit that matters.
pub fn human_duration(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3_600 => format!("{} min", s / 60),
        3_600..86_400 => format!("{} h {} min", s / 3_600, s % 3_600 / 60),
        _ => format!("{} d", s / 86_400),
    }
}

/// Human size: `512 B`, `1.5 KiB`, `16.0 MiB`.
pub fn human_size(bytes: usize) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_pretty_printed() {
        let d = render(br#"{"temperature":23.4,"unit":"Celsius"}"#, PayloadView::Auto);
        assert_eq!(d.kind, "JSON");
        assert!(d.text.contains("\n  \"temperature\": 23.4"), "{}", d.text);
    }

    #[test]
    fn broken_json_falls_back_to_text() {
        let d = render(br#"{"temperature": 23.4"#, PayloadView::Auto);
        assert_eq!((d.kind, d.text.as_str()), ("Text", r#"{"temperature": 23.4"#));
    }

    #[test]
    fn bare_number_is_text() {
        let d = render(b"23.5", PayloadView::Auto);
        assert_eq!((d.kind, d.text.as_str()), ("Text", "23.5"));
    }

    #[test]
    fn hex_lines_page_without_building_the_dump() {
        let bytes: Vec<u8> = (0..40).collect();
        assert_eq!(hex_line_count(bytes.len()), 3);
        assert_eq!(hex_line_count(0), 0);
        let dump: Vec<String> = hex_dump(&bytes).lines().map(str::to_owned).collect();
        for (i, line) in dump.iter().enumerate() {
            assert_eq!(&hex_line(&bytes, i), line);
        }
        assert!(hex_line(&bytes, 2).starts_with("00000020  20 21 22 23 24 25 26 27"));
        // Past the end: an empty line at the end offset, not a panic.
        assert!(hex_line(&bytes, 99).starts_with("00000028"));
    }

    #[test]
    fn binary_is_hex_dumped() {
        let bytes: Vec<u8> = (0..20).chain([0xff, 0xfe]).collect();
        let d = render(&bytes, PayloadView::Auto);
        assert_eq!(d.kind, "Hex");
        let lines: Vec<&str> = d.text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].starts_with("00000000  00 01 02 03 04 05 06 07  08 09"),
            "{}",
            lines[0]
        );
        assert!(lines[1].starts_with("00000010  10 11 12 13 ff fe"), "{}", lines[1]);
    }

    #[test]
    fn utf8_with_control_bytes_is_binary() {
        // Two little-endian f32s that happen to be valid UTF-8.
        let packed = [0x5a, 0x75, 0x7d, 0x44, 0x44, 0x00, 0x2c, 0x42];
        assert!(std::str::from_utf8(&packed).is_ok());
        assert_eq!(render(&packed, PayloadView::Auto).kind, "Hex");
        assert!(preview(&packed, 30).starts_with("0x5a757d"));
        assert_eq!(render(b"line one\n\tline two\r\n", PayloadView::Auto).kind, "Text");
    }

    #[test]
    fn previews_of_huge_payloads_look_at_a_prefix() {
        let mut big = "é".repeat(600_000).into_bytes(); // 1.2 MB of two-byte characters
        big.push(0xff); // invalid far past the prefix: the preview cannot know
        assert_eq!(preview(&big, 3), "ééé…");
        let binary = vec![0u8; 64 * 1024 * 1024];
        assert!(preview(&binary, 12).starts_with("0x0000"));
    }

    #[test]
    fn preview_is_one_bounded_line() {
        assert_eq!(preview(b"{\n  \"a\": 1\n}", 40), "{ \"a\": 1 }");
        assert_eq!(preview("ééééé".as_bytes(), 3), "ééé…");
        assert_eq!(preview(&[0xff, 0x00, 0x10], 30), "0xff0010");
        assert_eq!(preview(b"", 30), "(empty)");
    }

    #[test]
    fn sizes_read_like_a_person_writes_them() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(16 * 1024 * 1024), "16.0 MiB");
    }
}

//! JSON as the inspector shows it, coloured by what each part is: keys,
//! strings, numbers, true/false/null and punctuation, in colours that read
//! on either theme. Text that is not JSON is coloured as far as it reads like
//! it; past [`MAX_COLOURED`] it is left plain (a megabyte of sections would
//! cost more each frame than the colours are worth).

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId};

/// Larger text is shown uncoloured.
pub const MAX_COLOURED: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Key,
    Str,
    Number,
    Literal,
    Other,
}

/// The parts of `text`, in order, as (part, byte range).
pub fn parts(text: &str) -> Vec<(Part, std::ops::Range<usize>)> {
    let bytes = text.as_bytes();
    let mut out: Vec<(Part, std::ops::Range<usize>)> = Vec::new();
    let mut push = |part: Part, range: std::ops::Range<usize>| match out.last_mut() {
        Some((last, r)) if *last == part && r.end == range.start => r.end = range.end,
        _ => out.push((part, range)),
    };
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                // A key is a string followed by a colon.
                let after = bytes[i..].iter().find(|b| !b.is_ascii_whitespace());
                push(if after == Some(&b':') { Part::Key } else { Part::Str }, start..i);
            }
            b'-' | b'0'..=b'9' => {
                i += 1;
                while i < bytes.len() && matches!(bytes[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
                    i += 1;
                }
                push(Part::Number, start..i);
            }
            b't' | b'f' | b'n' => {
                let word = ["true", "false", "null"]
                    .into_iter()
                    .find(|w| bytes[i..].starts_with(w.as_bytes()));
                i += word.map_or(1, str::len);
                push(if word.is_some() { Part::Literal } else { Part::Other }, start..i);
            }
            _ => {
                // Up to the next character that starts a part (ASCII, so a char boundary).
                i += 1;
                while i < bytes.len() && !matches!(bytes[i], b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n') {
                    i += 1;
                }
                push(Part::Other, start..i);
            }
        }
    }
    out
}

/// The colour of a part on the dark (`dark`) or light theme; `text` for punctuation.
pub fn colour(part: Part, dark: bool, text: Color32) -> Color32 {
    match (part, dark) {
        (Part::Key, true) => Color32::from_rgb(130, 175, 255),
        (Part::Key, false) => Color32::from_rgb(25, 75, 185),
        (Part::Str, true) => Color32::from_rgb(160, 205, 120),
        (Part::Str, false) => Color32::from_rgb(30, 115, 40),
        (Part::Number, true) => Color32::from_rgb(235, 165, 95),
        (Part::Number, false) => Color32::from_rgb(165, 85, 0),
        (Part::Literal, true) => Color32::from_rgb(205, 145, 235),
        (Part::Literal, false) => Color32::from_rgb(130, 45, 165),
        (Part::Other, _) => text,
    }
}

/// `text` laid out in `font`, coloured part by part (plain past [`MAX_COLOURED`]).
pub fn highlight(text: &str, font: FontId, dark: bool, plain: Color32) -> LayoutJob {
    let mut job = LayoutJob::default();
    if text.len() > MAX_COLOURED {
        job.append(text, 0.0, TextFormat::simple(font, plain));
        return job;
    }
    for (part, range) in parts(text) {
        job.append(
            &text[range],
            0.0,
            TextFormat::simple(font.clone(), colour(part, dark, plain)),
        );
    }
    job
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_strings_numbers_and_literals_are_told_apart() {
        let text = "{\n  \"温度\": -21.5e1,\n  \"ok\": true,\n  \"name\": \"a \\\"b\\\" c\",\n  \"x\": null\n}";
        let seen: Vec<(Part, &str)> = parts(text)
            .into_iter()
            .filter(|(p, _)| *p != Part::Other)
            .map(|(p, r)| (p, &text[r]))
            .collect();
        assert_eq!(
            seen,
            [
                (Part::Key, "\"温度\""),
                (Part::Number, "-21.5e1"),
                (Part::Key, "\"ok\""),
                (Part::Literal, "true"),
                (Part::Key, "\"name\""),
                (Part::Str, "\"a \\\"b\\\" c\""),
                (Part::Key, "\"x\""),
                (Part::Literal, "null"),
            ]
        );
        // Every byte is in exactly one part, in order.
        let joined: String = parts(text).into_iter().map(|(_, r)| &text[r]).collect();
        assert_eq!(joined, text);
        // Broken or cut text never panics and keeps every byte.
        for cut in [
            "\"unterminated",
            "{\"a\": tru",
            "-",
            "\"\\",
            "ünïcödé f n t",
            "\"\\é\"",
            "\"\\温",
        ] {
            let joined: String = parts(cut).into_iter().map(|(_, r)| &cut[r]).collect();
            assert_eq!(joined, cut);
        }
    }

    #[test]
    fn each_part_reads_on_both_themes() {
        // WCAG AA against the themes' panel colours, as the style test does.
        fn luminance(c: Color32) -> f64 {
            let ch = |v: u8| {
                let v = f64::from(v) / 255.0;
                if v <= 0.03928 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * ch(c.r()) + 0.7152 * ch(c.g()) + 0.0722 * ch(c.b())
        }
        for (dark, visuals) in [(true, egui::Visuals::dark()), (false, egui::Visuals::light())] {
            for part in [Part::Key, Part::Str, Part::Number, Part::Literal] {
                let (a, b) = (
                    luminance(colour(part, dark, Color32::GRAY)),
                    luminance(visuals.extreme_bg_color),
                );
                let ratio = (a.max(b) + 0.05) / (a.min(b) + 0.05);
                assert!(
                    ratio >= 4.5,
                    "{part:?} on {}: {ratio:.2}",
                    if dark { "dark" } else { "light" }
                );
            }
        }
    }
}

//! Writing payloads: the publish form's text turned into the bytes to send,
//! in the format the user chose. Mistakes come back with where they are
//! (line and column for JSON, the character's position for hex and Base64),
//! never as bytes the user did not mean.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayloadFormat {
    /// The text as UTF-8.
    #[default]
    Text,
    /// JSON, checked; sent as typed.
    Json,
    /// Hex digits, two per byte; spaces, line breaks, `:` and `-` between bytes and `0x` prefixes are allowed.
    Hex,
    /// Standard Base64 (padding optional); spaces and line breaks are ignored.
    Base64,
}

impl PayloadFormat {
    pub const ALL: [PayloadFormat; 4] = [Self::Text, Self::Json, Self::Hex, Self::Base64];

    pub fn label(self) -> &'static str {
        match self {
            Self::Text => "Text",
            Self::Json => "JSON",
            Self::Hex => "Hex",
            Self::Base64 => "Base64",
        }
    }
}

/// The bytes that `text` stands for in `format`, or what is wrong and where.
pub fn encode(format: PayloadFormat, text: &str) -> Result<Vec<u8>, String> {
    match format {
        PayloadFormat::Text => Ok(text.as_bytes().to_vec()),
        PayloadFormat::Json => check_json(text).map(|()| text.as_bytes().to_vec()),
        PayloadFormat::Hex => decode_hex(text),
        PayloadFormat::Base64 => decode_base64(text),
    }
}

/// The payload typed as `from`, written as `to` (the form's format tabs):
/// the same bytes, shown another way. Text and JSON are the UTF-8 text
/// itself, Hex is two digits per byte with spaces, Base64 the standard
/// alphabet. The error says why the text stays as typed: it is not valid
/// `from`, its bytes are not text, or it holds placeholders (filled in only
/// when sent, so converting them would change what is sent).
pub fn convert(text: &str, from: PayloadFormat, to: PayloadFormat) -> Result<String, String> {
    use base64::Engine as _;
    let textual = |f: PayloadFormat| matches!(f, PayloadFormat::Text | PayloadFormat::Json);
    if from == to || (textual(from) && textual(to)) {
        return Ok(text.to_owned());
    }
    if textual(from) && text.contains("{{") {
        return Err(format!(
            "Kept as typed: its placeholders are filled in when it is sent, so it cannot be shown as {} yet.",
            to.label()
        ));
    }
    let bytes = match from {
        // Text goes as typed (JSON too: the check is for sending, not for showing).
        PayloadFormat::Text | PayloadFormat::Json => Ok(text.as_bytes().to_vec()),
        PayloadFormat::Hex => decode_hex(text),
        PayloadFormat::Base64 => decode_base64(text),
    }
    .map_err(|e| format!("Kept as typed. {e}"))?;
    Ok(match to {
        PayloadFormat::Text | PayloadFormat::Json => {
            let text = String::from_utf8(bytes).map_err(|_| {
                format!(
                    "Kept as typed: these bytes are not UTF-8 text, so they cannot be shown as {}.",
                    to.label()
                )
            })?;
            if text.contains("{{") {
                // As text, "{{" would be read as a placeholder and filled in.
                return Err(format!(
                    "Kept as typed: these bytes hold '{{{{', which {} would read as a placeholder.",
                    to.label()
                ));
            }
            text
        }
        PayloadFormat::Hex => bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" "),
        PayloadFormat::Base64 => base64::engine::general_purpose::STANDARD.encode(&bytes),
    })
}

/// Whether `text` is one JSON value; the error names the line and column.
pub fn check_json(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("Empty: a JSON payload needs a value (like {} or 0).".into());
    }
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .map(|_| ())
        .map_err(|e| {
            let what = e.to_string();
            // serde_json ends its messages with " at line L column C": say it our way.
            let what = what.split(" at line ").next().unwrap_or(&what).to_owned();
            format!("JSON error at line {}, column {}: {what}.", e.line(), e.column())
        })
}

/// `text` as pretty JSON (the form's "Format" button). Placeholders
/// (`{{counter}}`, `{{random(20,30)}}`) are kept as written, whether they
/// stand for a value or sit inside a string: the check before sending fills
/// them in, so Format must not call them mistakes.
pub fn format_json(text: &str) -> Result<String, String> {
    // Each placeholder becomes a marker JSON accepts where it stands: a
    // string of its own for a bare value, plain letters inside a string.
    let mut marked = String::with_capacity(text.len());
    let mut placeholders: Vec<(String, String)> = Vec::new();
    let (mut in_string, mut escaped) = (false, false);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if !escaped
            && rest.starts_with("{{")
            && let Some(end) = rest.find("}}")
        {
            let placeholder = &rest[..end + 2];
            let marker = format!("mqscope-placeholder-{}", placeholders.len());
            if in_string {
                marked.push_str(&marker);
                placeholders.push((marker, placeholder.to_owned()));
            } else {
                marked.push_str(&format!("\"{marker}\""));
                placeholders.push((format!("\"{marker}\""), placeholder.to_owned()));
            }
            rest = &rest[end + 2..];
            continue;
        }
        match c {
            '\\' if in_string && !escaped => escaped = true,
            '"' if !escaped => {
                in_string = !in_string;
                escaped = false;
            }
            _ => escaped = false,
        }
        marked.push(c);
        rest = &rest[c.len_utf8()..];
    }
    check_json(&marked)?;
    let value: serde_json::Value = serde_json::from_str(&marked).map_err(|e| e.to_string())?;
    let mut pretty = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?;
    // Last first: "…-1" must not match inside "…-10".
    for (marker, placeholder) in placeholders.iter().rev() {
        pretty = pretty.replace(marker, placeholder);
    }
    Ok(pretty)
}

fn decode_hex(text: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::with_capacity(text.len() / 2);
    let mut high: Option<(u8, usize)> = None;
    let chars: Vec<(usize, char)> = text.chars().enumerate().collect();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        // A `0x` prefix before a byte (not in the middle of one).
        if high.is_none() && c == '0' && matches!(chars.get(i + 1), Some((_, 'x' | 'X'))) {
            i += 2;
            continue;
        }
        if c.is_whitespace() || matches!(c, ':' | '-' | ',') {
            if let Some((_, at)) = high {
                return Err(format!(
                    "Hex: a lone digit at position {}: each byte is two digits.",
                    at + 1
                ));
            }
            i += 1;
            continue;
        }
        let Some(digit) = c.to_digit(16) else {
            return Err(format!(
                "Hex: '{c}' at position {} is not a hex digit (0-9, a-f).",
                pos + 1
            ));
        };
        match high.take() {
            None => high = Some((digit as u8, pos)),
            Some((h, _)) => bytes.push(h << 4 | digit as u8),
        }
        i += 1;
    }
    if let Some((_, at)) = high {
        return Err(format!(
            "Hex: a lone digit at position {}: each byte is two digits.",
            at + 1
        ));
    }
    Ok(bytes)
}

fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    // Positions in the error are the user's: map back through the skipped whitespace.
    let kept: Vec<(usize, char)> = text.chars().enumerate().filter(|(_, c)| !c.is_whitespace()).collect();
    let compact: String = kept.iter().map(|(_, c)| c).collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let position = |offset: usize| kept.get(offset).map_or(text.chars().count(), |(p, _)| *p) + 1;
    engine.decode(compact.as_bytes()).map_err(|e| match e {
        base64::DecodeError::InvalidByte(offset, byte) | base64::DecodeError::InvalidLastSymbol(offset, byte) => {
            format!(
                "Base64: '{}' at position {} does not belong there.",
                char::from(byte),
                position(offset)
            )
        }
        base64::DecodeError::InvalidLength(_) => format!(
            "Base64: {} characters cannot be whole bytes (a character is missing or extra at the end).",
            compact.chars().count()
        ),
        base64::DecodeError::InvalidPadding => "Base64: the '=' padding at the end is wrong.".to_owned(),
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn switching_format_shows_the_same_bytes_and_keeps_what_cannot_be_shown() {
        use PayloadFormat::*;
        let hex = convert("héllo 温度", Text, Hex).unwrap();
        assert_eq!(hex, "68 c3 a9 6c 6c 6f 20 e6 b8 a9 e5 ba a6");
        let b64 = convert(&hex, Hex, Base64).unwrap();
        assert_eq!(b64, "aMOpbGxvIOa4qeW6pg==");
        assert_eq!(convert(&b64, Base64, Text).unwrap(), "héllo 温度");
        assert_eq!(convert("{\"a\": 1}", Text, Json).unwrap(), "{\"a\": 1}");
        // Each converted payload encodes to the same bytes as the original.
        assert_eq!(encode(Hex, &hex).unwrap(), "héllo 温度".as_bytes());
        assert_eq!(encode(Base64, &b64).unwrap(), "héllo 温度".as_bytes());
        // Binary cannot be text; invalid hex is not converted; placeholders stay.
        assert!(convert("ff 00", Hex, Text).unwrap_err().contains("not UTF-8"));
        let zz = convert("zz", Hex, Base64).unwrap_err();
        assert!(zz.starts_with("Kept as typed. Hex: 'z'"), "{zz}");
        assert!(
            convert("{\"n\": {{counter}}}", Json, Hex)
                .unwrap_err()
                .contains("placeholders")
        );
        // Bytes that spell a placeholder are not turned into one.
        assert!(
            convert("7b 7b 75 75 69 64 7d 7d", Hex, Text)
                .unwrap_err()
                .contains("placeholder")
        );
    }

    use super::*;

    #[test]
    fn text_is_utf8() {
        assert_eq!(encode(PayloadFormat::Text, "23.5 °C").unwrap(), "23.5 °C".as_bytes());
        assert_eq!(encode(PayloadFormat::Text, "").unwrap(), b"");
    }

    #[test]
    fn json_is_checked_with_line_and_column_and_sent_as_typed() {
        let typed = "{\n  \"t\": 21.5\n}";
        assert_eq!(encode(PayloadFormat::Json, typed).unwrap(), typed.as_bytes());
        let err = encode(PayloadFormat::Json, "{\n  \"t\": 21.5,\n  \"u\" \"C\"\n}").unwrap_err();
        assert!(err.starts_with("JSON error at line 3, column 7: expected `:`"), "{err}");
        assert!(check_json("").unwrap_err().contains("Empty"));
        assert!(check_json("{} {}").unwrap_err().contains("line 1, column 4"));
        assert_eq!(
            format_json(r#"{"a":[1,2]}"#).unwrap(),
            "{\n  \"a\": [\n    1,\n    2\n  ]\n}"
        );
        assert!(format_json("{").is_err());
    }

    #[test]
    fn format_keeps_placeholders_as_values_and_inside_strings() {
        let pretty = format_json(r#"{"t": {{random(20,30)}}, "id": "dev-{{counter}}", "n": [{{counter}}]}"#).unwrap();
        assert_eq!(
            pretty,
            "{\n  \"t\": {{random(20,30)}},\n  \"id\": \"dev-{{counter}}\",\n  \"n\": [\n    {{counter}}\n  ]\n}"
        );
        // Eleven of them: the tenth's marker is not taken for the first's.
        let many: Vec<String> = (0..11).map(|i| format!("\"k{i}\": {{{{random({i},{i})}}}}")).collect();
        let pretty = format_json(&format!("{{{}}}", many.join(", "))).unwrap();
        assert!(pretty.contains("\"k10\": {{random(10,10)}}"), "{pretty}");
        assert!(pretty.contains("\"k1\": {{random(1,1)}}"), "{pretty}");
        // A real mistake is still one.
        assert!(format_json(r#"{"t" {{counter}}}"#).is_err());
    }

    #[test]
    fn hex_takes_spaces_separators_and_prefixes_and_points_at_mistakes() {
        assert_eq!(encode(PayloadFormat::Hex, "01 ff A0").unwrap(), [0x01, 0xff, 0xa0]);
        assert_eq!(encode(PayloadFormat::Hex, "0x01 0xFF").unwrap(), [0x01, 0xff]);
        assert_eq!(
            encode(PayloadFormat::Hex, "de:ad-be,ef\n00").unwrap(),
            [0xde, 0xad, 0xbe, 0xef, 0x00]
        );
        assert_eq!(encode(PayloadFormat::Hex, "cafe").unwrap(), [0xca, 0xfe]);
        assert_eq!(encode(PayloadFormat::Hex, "").unwrap(), b"");
        assert_eq!(
            encode(PayloadFormat::Hex, "01 zz").unwrap_err(),
            "Hex: 'z' at position 4 is not a hex digit (0-9, a-f)."
        );
        assert_eq!(
            encode(PayloadFormat::Hex, "01 2 03").unwrap_err(),
            "Hex: a lone digit at position 4: each byte is two digits."
        );
        assert!(encode(PayloadFormat::Hex, "abc").unwrap_err().contains("position 3"));
    }

    #[test]
    fn base64_ignores_line_breaks_and_points_at_mistakes() {
        assert_eq!(encode(PayloadFormat::Base64, "aGVsbG8=").unwrap(), b"hello");
        assert_eq!(
            encode(PayloadFormat::Base64, "aGVs\nbG8").unwrap(),
            b"hello",
            "padding optional"
        );
        assert_eq!(
            encode(PayloadFormat::Base64, "aGV s*G8=").unwrap_err(),
            "Base64: '*' at position 6 does not belong there."
        );
        assert!(
            encode(PayloadFormat::Base64, "aGVsb")
                .unwrap_err()
                .contains("5 characters")
        );
    }
}

//! The ways a payload can be shown — auto-detected or chosen per topic —
//! and the rendering of each: pretty JSON (with the parse error and its
//! position when something only looks like JSON), text, hex dump, Base64,
//! and MessagePack and CBOR shown as JSON. Pure functions over bytes: any
//! input renders (or says why it cannot), nothing panics, nothing recurses
//! without a bound.

use base64::Engine as _;
use serde_json::{Map, Value};

use super::{as_text, hex_dump};

/// Deepest nesting decoded from MessagePack or CBOR (serde_json's own limit
/// for JSON is 128); deeper input is reported, never a stack overflow.
const MAX_DEPTH: usize = 128;

/// A way to show a payload. `Auto` picks the first of JSON, text,
/// MessagePack, CBOR that fits, else a hex dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PayloadView {
    #[default]
    Auto,
    Json,
    Text,
    Hex,
    Base64,
    MessagePack,
    Cbor,
    /// Sparkplug B protobuf (the default for topics under `spBv1.0/`).
    Sparkplug,
}

impl PayloadView {
    pub const ALL: [PayloadView; 8] = [
        PayloadView::Auto,
        PayloadView::Json,
        PayloadView::Text,
        PayloadView::Hex,
        PayloadView::Base64,
        PayloadView::MessagePack,
        PayloadView::Cbor,
        PayloadView::Sparkplug,
    ];

    /// The view a topic starts with before the user picks one.
    pub fn default_for_topic(topic: &str) -> Self {
        if super::sparkplug::is_sparkplug_topic(topic) {
            PayloadView::Sparkplug
        } else {
            PayloadView::Auto
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PayloadView::Auto => "Auto",
            PayloadView::Json => "JSON",
            PayloadView::Text => "Text",
            PayloadView::Hex => "Hex",
            PayloadView::Base64 => "Base64",
            PayloadView::MessagePack => "MessagePack",
            PayloadView::Cbor => "CBOR",
            PayloadView::Sparkplug => "Sparkplug B",
        }
    }
}

/// A payload rendered for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// What the text is: "JSON", "Text", "MessagePack", "CBOR", "Hex", "Base64", "Empty".
    pub kind: &'static str,
    pub text: String,
    /// Why the chosen view could not be used, or what was detected instead
    /// (e.g. "Not valid JSON: line 1, column 9: expected value").
    pub note: Option<String>,
}

impl Rendered {
    fn new(kind: &'static str, text: String) -> Self {
        Self { kind, text, note: None }
    }

    fn with_note(mut self, note: String) -> Self {
        self.note = Some(note);
        self
    }
}

/// Render `bytes` the way `view` asks. A view that does not fit the bytes
/// falls back (to text, else hex) and says why in `note`.
pub fn render(bytes: &[u8], view: PayloadView) -> Rendered {
    if bytes.is_empty() {
        return Rendered::new("Empty", String::new()).with_note(
            "Empty payload (0 bytes). On a retained topic, an empty message deletes the retained one.".into(),
        );
    }
    match view {
        PayloadView::Auto => auto(bytes),
        PayloadView::Json => match json(bytes) {
            Ok(pretty) => Rendered::new("JSON", pretty),
            Err(e) => fallback(bytes).with_note(e),
        },
        PayloadView::Text => match std::str::from_utf8(bytes) {
            Ok(text) => Rendered::new("Text", text.to_owned()),
            Err(e) => Rendered::new("Text", String::from_utf8_lossy(bytes).into_owned()).with_note(format!(
                "Not valid UTF-8 from byte {}: invalid bytes are shown as \u{FFFD}.",
                e.valid_up_to()
            )),
        },
        PayloadView::Hex => Rendered::new("Hex", hex_dump(bytes)),
        PayloadView::Base64 => Rendered::new("Base64", base64::engine::general_purpose::STANDARD.encode(bytes)),
        PayloadView::MessagePack => match messagepack(bytes) {
            Ok(pretty) => Rendered::new("MessagePack", pretty),
            Err(e) => fallback(bytes).with_note(e),
        },
        PayloadView::Cbor => match cbor(bytes) {
            Ok(pretty) => Rendered::new("CBOR", pretty),
            Err(e) => fallback(bytes).with_note(e),
        },
        PayloadView::Sparkplug => match super::sparkplug::sparkplug(bytes) {
            Ok(pretty) => Rendered::new("Sparkplug B", pretty),
            Err(e) => fallback(bytes).with_note(e),
        },
    }
}

fn fallback(bytes: &[u8]) -> Rendered {
    match as_text(bytes) {
        Some(text) => Rendered::new("Text", text.to_owned()),
        None => Rendered::new("Hex", hex_dump(bytes)),
    }
}

fn auto(bytes: &[u8]) -> Rendered {
    if let Some(text) = as_text(bytes) {
        let trimmed = text.trim_start();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            return match json(bytes) {
                Ok(pretty) => Rendered::new("JSON", pretty),
                // Looks like JSON but is not: say where it breaks, show the text.
                Err(e) => Rendered::new("Text", text.to_owned()).with_note(e),
            };
        }
        return Rendered::new("Text", text.to_owned());
    }
    // Binary: a MessagePack or CBOR document only when it is a map or an
    // array that uses every byte (almost any byte string is *some* scalar).
    if let Ok(pretty) = messagepack(bytes) {
        return Rendered::new("MessagePack", pretty);
    }
    if let Ok(pretty) = cbor(bytes) {
        return Rendered::new("CBOR", pretty);
    }
    Rendered::new("Hex", hex_dump(bytes))
}

/// Pretty JSON, or the parse error with its line and column.
pub fn json(bytes: &[u8]) -> Result<String, String> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value) => serde_json::to_string_pretty(&value).map_err(|e| e.to_string()),
        Err(e) => Err(format!(
            "Not valid JSON: line {}, column {}: {}",
            e.line(),
            e.column(),
            json_error_words(&e)
        )),
    }
}

fn json_error_words(e: &serde_json::Error) -> String {
    let text = e.to_string();
    // serde_json appends " at line L column C"; the position is already given.
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// A MessagePack map or array, shown as pretty JSON.
pub fn messagepack(bytes: &[u8]) -> Result<String, String> {
    serde_json::to_string_pretty(&messagepack_value(bytes)?).map_err(|e| e.to_string())
}

/// A binary payload that is one MessagePack or CBOR map or array, as a JSON
/// value (for chart values by path); `None` for anything else.
pub fn structured_value(bytes: &[u8]) -> Option<Value> {
    messagepack_value(bytes).or_else(|_| cbor_value(bytes)).ok()
}

fn messagepack_value(bytes: &[u8]) -> Result<Value, String> {
    let mut reader = bytes;
    let value =
        rmpv::decode::read_value_with_max_depth(&mut reader, MAX_DEPTH).map_err(|e| format!("Not MessagePack: {e}"))?;
    if !reader.is_empty() {
        return Err(format!(
            "Not MessagePack: {} bytes left over after the first value",
            reader.len()
        ));
    }
    if !matches!(value, rmpv::Value::Map(_) | rmpv::Value::Array(_)) {
        return Err("Not a MessagePack map or array".into());
    }
    Ok(from_msgpack(value))
}

fn from_msgpack(value: rmpv::Value) -> Value {
    use rmpv::Value as M;
    match value {
        M::Nil => Value::Null,
        M::Boolean(b) => Value::Bool(b),
        M::Integer(i) => match (i.as_u64(), i.as_i64()) {
            (Some(u), _) => Value::from(u),
            (_, Some(s)) => Value::from(s),
            _ => Value::Null,
        },
        M::F32(f) => serde_json::Number::from_f64(f64::from(f)).map_or(Value::Null, Value::Number),
        M::F64(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        M::String(s) => Value::String(s.into_str().unwrap_or_else(|| "<invalid UTF-8>".to_owned())),
        M::Binary(b) => Value::String(hex_string(&b)),
        M::Array(items) => Value::Array(items.into_iter().map(from_msgpack).collect()),
        M::Map(entries) => Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (key_text(from_msgpack(k)), from_msgpack(v)))
                .collect::<Map<_, _>>(),
        ),
        M::Ext(kind, data) => Value::String(format!("ext({kind}) {}", hex_string(&data))),
    }
}

/// A CBOR map or array, shown as pretty JSON.
pub fn cbor(bytes: &[u8]) -> Result<String, String> {
    serde_json::to_string_pretty(&cbor_value(bytes)?).map_err(|e| e.to_string())
}

fn cbor_value(bytes: &[u8]) -> Result<Value, String> {
    let mut reader = bytes;
    let value: ciborium::Value =
        ciborium::de::from_reader_with_recursion_limit(&mut reader, MAX_DEPTH).map_err(|e| format!("Not CBOR: {e}"))?;
    if !reader.is_empty() {
        return Err(format!(
            "Not CBOR: {} bytes left over after the first value",
            reader.len()
        ));
    }
    if !matches!(value, ciborium::Value::Map(_) | ciborium::Value::Array(_)) {
        return Err("Not a CBOR map or array".into());
    }
    Ok(from_cbor(value))
}

fn from_cbor(value: ciborium::Value) -> Value {
    use ciborium::Value as C;
    match value {
        C::Null => Value::Null,
        C::Bool(b) => Value::Bool(b),
        C::Integer(i) => {
            let i = i128::from(i);
            u64::try_from(i)
                .map(Value::from)
                .or_else(|_| i64::try_from(i).map(Value::from))
                .unwrap_or_else(|_| Value::String(i.to_string()))
        }
        C::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        C::Text(s) => Value::String(s),
        C::Bytes(b) => Value::String(hex_string(&b)),
        C::Array(items) => Value::Array(items.into_iter().map(from_cbor).collect()),
        C::Map(entries) => Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (key_text(from_cbor(k)), from_cbor(v)))
                .collect::<Map<_, _>>(),
        ),
        C::Tag(tag, inner) => {
            let mut map = Map::new();
            map.insert(format!("tag({tag})"), from_cbor(*inner));
            Value::Object(map)
        }
        _ => Value::Null,
    }
}

fn key_text(key: Value) -> String {
    match key {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

fn hex_string(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(2 + bytes.len() * 2);
    out.push_str("0x");
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn auto_detects_each_format() {
        assert_eq!(render(br#"{"a": 1}"#, PayloadView::Auto).kind, "JSON");
        assert_eq!(render(b"23.5 \xc2\xb0C", PayloadView::Auto).kind, "Text");
        // {"temperature": 21.5} in MessagePack.
        let mp = [
            0x81, 0xab, b't', b'e', b'm', b'p', b'e', b'r', b'a', b't', b'u', b'r', b'e', 0xcb, 0x40, 0x35, 0x80, 0, 0,
            0, 0, 0,
        ];
        let r = render(&mp, PayloadView::Auto);
        assert_eq!(r.kind, "MessagePack");
        assert!(r.text.contains("\"temperature\": 21.5"), "{}", r.text);
        let mut cbor_bytes = Vec::new();
        ciborium::ser::into_writer(&serde_json::json!({"humidity": 40, "ok": true}), &mut cbor_bytes).unwrap();
        let r = render(&cbor_bytes, PayloadView::Auto);
        assert_eq!(r.kind, "CBOR", "{r:?}");
        assert!(r.text.contains("\"humidity\": 40"), "{}", r.text);
        assert_eq!(render(&[0x01, 0x00, 0xff, 0x13], PayloadView::Auto).kind, "Hex");
    }

    #[test]
    fn broken_json_says_where_and_shows_the_text() {
        let r = render(br#"{"a": 1, "b": }"#, PayloadView::Auto);
        assert_eq!(r.kind, "Text");
        let note = r.note.unwrap();
        assert!(note.contains("line 1, column 15"), "{note}");
        assert!(!note.contains(" at line "), "the position is said once: {note}");
    }

    #[test]
    fn views_can_be_forced_and_say_when_they_do_not_fit() {
        assert!(render(b"hi", PayloadView::Hex).text.contains("68 69"));
        assert_eq!(render(b"hi", PayloadView::Base64).text, "aGk=");
        let r = render(b"plain words", PayloadView::Json);
        assert_eq!(r.kind, "Text");
        assert!(r.note.unwrap().starts_with("Not valid JSON"));
        let r = render(b"plain", PayloadView::MessagePack);
        assert!(r.note.unwrap().contains("MessagePack"));
        let r = render(&[0xff, b'a'], PayloadView::Text);
        assert!(r.note.unwrap().contains("byte 0"));
    }

    #[test]
    fn empty_payload_is_named() {
        let r = render(b"", PayloadView::Auto);
        assert_eq!(r.kind, "Empty");
        assert!(r.note.unwrap().contains("deletes the retained"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let r = render(deep.as_bytes(), PayloadView::Auto);
        assert_eq!(r.kind, "Text");
        assert!(r.note.unwrap().contains("recursion limit"));
        // 100,000 nested MessagePack arrays (0x91 = array of one) and CBOR arrays (0x81).
        let mut mp = vec![0x91u8; 100_000];
        mp.push(0xc0);
        assert!(messagepack(&mp).is_err());
        let mut cb = vec![0x81u8; 100_000];
        cb.push(0xf6);
        assert!(cbor(&cb).is_err());
        assert_eq!(render(&cb, PayloadView::Auto).kind, "Hex");
    }

    proptest! {
        #[test]
        fn any_bytes_render_in_every_view(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            for view in PayloadView::ALL {
                let r = render(&bytes, view);
                prop_assert!(!r.kind.is_empty());
            }
        }

        #[test]
        fn truncated_documents_never_panic(cut in 0usize..64) {
            let mut cbor_bytes = Vec::new();
            ciborium::ser::into_writer(&serde_json::json!({"a": [1, 2.5, "x", {"b": null}], "c": "long text"}), &mut cbor_bytes).unwrap();
            let mp = rmp_like_document();
            for doc in [&cbor_bytes[..], &mp[..], br#"{"a": [1, 2, {"b": "c"}]}"#] {
                let cut = cut.min(doc.len());
                for view in PayloadView::ALL {
                    let _ = render(&doc[..cut], view);
                }
            }
        }
    }

    /// {"a": [1, "x"], "b": nil} in MessagePack.
    fn rmp_like_document() -> Vec<u8> {
        vec![0x82, 0xa1, b'a', 0x92, 0x01, 0xa1, b'x', 0xa1, b'b', 0xc0]
    }
}

//! Numbers for charts: a bare number (`23.5`), a number with a unit
//! (`23.5 °C`), `true`/`false` (1/0), or a field of a JSON, MessagePack or
//! CBOR payload by path (`temperature`, `sensors[0].value`). Non-finite
//! numbers are not values.

use serde_json::Value;

/// Chart paths into Sparkplug B payloads name the metric: `metric:Boiler/Temperature`.
/// (Positions are not stable: metrics come and go between messages.)
pub const SPARKPLUG_METRIC_PATH: &str = "metric:";

/// The number at `path` in `payload`; an empty path means the whole payload.
/// `metric:NAME` reads a Sparkplug B metric by name.
pub fn extract_number(payload: &[u8], path: &str) -> Option<f64> {
    if let Some(name) = path.strip_prefix(SPARKPLUG_METRIC_PATH) {
        return super::sparkplug::metric_number(payload, name);
    }
    let value: Value = match std::str::from_utf8(payload) {
        Ok(text) if path.is_empty() => return parse_scalar(text),
        Ok(text) => serde_json::from_str(text).ok()?,
        // Binary: a MessagePack or CBOR document, read by the same paths.
        Err(_) if !path.is_empty() => super::formats::structured_value(payload)?,
        Err(_) => return None,
    };
    let mut current = &value;
    for step in parse_path(path)? {
        current = match step {
            Step::Key(key) => current.get(key.as_ref())?,
            Step::Index(i) => current.get(i)?,
        };
    }
    value_number(current)
}

/// Every numeric leaf of a JSON payload with its path, in document order
/// (at most `limit`). A payload that is itself a number yields one entry with
/// an empty path.
pub fn numeric_fields(payload: &[u8], limit: usize) -> Vec<(String, f64)> {
    let Ok(text) = std::str::from_utf8(payload) else {
        // Binary: a MessagePack or CBOR document has fields by the same paths.
        let mut out = Vec::new();
        if let Some(value) = super::formats::structured_value(payload) {
            collect(&value, &mut String::new(), &mut out, limit);
        }
        return out;
    };
    if let Some(n) = parse_scalar(text) {
        return vec![(String::new(), n)];
    }
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    collect(&value, &mut String::new(), &mut out, limit);
    out
}

/// The numeric metrics of a Sparkplug B payload that carry their name, as
/// chart paths (`metric:NAME`) with their values; booleans as 1/0.
pub fn sparkplug_fields(payload: &[u8], limit: usize) -> Vec<(String, f64)> {
    super::sparkplug::named_numbers(payload)
        .into_iter()
        .take(limit)
        .map(|(name, v)| (format!("{SPARKPLUG_METRIC_PATH}{name}"), v))
        .collect()
}

fn collect(value: &Value, path: &mut String, out: &mut Vec<(String, f64)>, limit: usize) {
    if out.len() >= limit {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let len = path.len();
                push_key(path, key);
                collect(child, path, out, limit);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                collect(child, path, out, limit);
                path.truncate(len);
            }
        }
        Value::Number(_) => {
            if let Some(n) = value_number(value) {
                out.push((path.clone(), n));
            }
        }
        _ => {}
    }
}

/// Add `key` to a path: `.key`, or `["key"]` (a JSON string) when the key
/// holds what paths are made of (`.`, `[`, `]`, `"`, `\`) or is empty, so
/// `{"a.b": 1}` reads back as one key, not two levels.
fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty() && !key.contains(['.', '[', ']', '"', '\\']) && !key.starts_with(SPARKPLUG_METRIC_PATH);
    if plain {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(&serde_json::to_string(key).unwrap_or_default());
        path.push(']');
    }
}

fn value_number(value: &Value) -> Option<f64> {
    let n = match value {
        Value::Number(n) => n.as_f64()?,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => parse_scalar(s)?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

/// `23.5`, ` 23.5 °C `, `21,5 °C` (a decimal comma), `-4e2`, `0x1F` (31),
/// `true`, `false`. Not a number: `12:30` (a time), `12 34`, `v2`, `NaN` —
/// never read as the number they start with.
fn parse_scalar(text: &str) -> Option<f64> {
    let text = text.trim();
    match text {
        "true" => return Some(1.0),
        "false" => return Some(0.0),
        _ => {}
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if let Some(hex) = unsigned.strip_prefix("0x").or_else(|| unsigned.strip_prefix("0X")) {
        let n = i64::from_str_radix(hex, 16).ok()? as f64;
        return Some(if text.starts_with('-') { -n } else { n });
    }
    let end = text
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | ',' | 'e' | 'E')))
        .map_or(text.len(), |(i, _)| i);
    let (number, unit) = text.split_at(end);
    // A unit is short and made of letters and symbols: `°C`, `%`, `km/h`,
    // `µg/m³`. What starts with `:` (a time) or holds digits is no unit.
    let unit = unit.trim();
    let unit_ok = unit.is_empty()
        || (unit.chars().count() <= 8
            && unit.starts_with(|c: char| c.is_alphabetic() || matches!(c, '°' | '%' | 'µ' | '‰'))
            && !unit.contains(|c: char| c.is_ascii_digit()));
    if !unit_ok {
        return None;
    }
    // One comma and no point: a decimal comma (`21,5`), unless three digits
    // follow it: `1,000` may be a thousand, and a guess would chart a wrong number.
    let after_comma = number.split_once(',').map(|(_, digits)| digits);
    if after_comma.is_some_and(|d| d.len() == 3 && d.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let number = if number.matches(',').count() == 1 && !number.contains('.') {
        std::borrow::Cow::Owned(number.replace(',', "."))
    } else if number.contains(',') {
        return None;
    } else {
        std::borrow::Cow::Borrowed(number)
    };
    let n: f64 = number.parse().ok()?;
    n.is_finite().then_some(n)
}

enum Step<'a> {
    Key(std::borrow::Cow<'a, str>),
    Index(usize),
}

/// `a.b[2].c`, `a["x.y"]` into steps; `None` when the path is malformed.
fn parse_path(path: &str) -> Option<Vec<Step<'_>>> {
    let mut steps = Vec::new();
    let mut rest = path;
    let mut first = true;
    while !rest.is_empty() {
        if let Some(inner) = rest.strip_prefix('[') {
            if inner.starts_with('"') {
                // A quoted key: a JSON string, then `]`.
                let mut stream = serde_json::Deserializer::from_str(inner).into_iter::<String>();
                let key = stream.next()?.ok()?;
                let used = stream.byte_offset();
                rest = inner[used..].strip_prefix(']')?;
                steps.push(Step::Key(std::borrow::Cow::Owned(key)));
            } else {
                let close = inner.find(']')?;
                steps.push(Step::Index(inner[..close].parse().ok()?));
                rest = &inner[close + 1..];
            }
        } else {
            if !first {
                rest = rest.strip_prefix('.')?;
            }
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            if end == 0 {
                return None;
            }
            steps.push(Step::Key(std::borrow::Cow::Borrowed(&rest[..end])));
            rest = &rest[end..];
        }
        first = false;
    }
    (!steps.is_empty()).then_some(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messagepack_and_cbor_fields_by_path() {
        // {"temperature": 21.5} in MessagePack.
        let mp = [
            0x81, 0xab, b't', b'e', b'm', b'p', b'e', b'r', b'a', b't', b'u', b'r', b'e', 0xcb, 0x40, 0x35, 0x80, 0, 0,
            0, 0, 0,
        ];
        assert_eq!(extract_number(&mp, "temperature"), Some(21.5));
        let mut cbor = Vec::new();
        ciborium::ser::into_writer(&serde_json::json!({"sensors": [{"value": 3}]}), &mut cbor).unwrap();
        assert_eq!(extract_number(&cbor, "sensors[0].value"), Some(3.0));
        assert_eq!(extract_number(&cbor, "sensors[1].value"), None);
    }

    #[test]
    fn plain_numbers_units_and_booleans() {
        assert_eq!(extract_number(b"23.5", ""), Some(23.5));
        assert_eq!(extract_number(" 23.5 °C ".as_bytes(), ""), Some(23.5));
        assert_eq!(extract_number(b"-4e2", ""), Some(-400.0));
        assert_eq!(extract_number(b"true", ""), Some(1.0));
        assert_eq!(extract_number(b"off", ""), None);
        assert_eq!(extract_number(b"12 34", ""), None);
        assert_eq!(extract_number(b"NaN", ""), None);
        // Read whole or not at all: never the number a text starts with.
        assert_eq!(extract_number("21,5 °C".as_bytes(), ""), Some(21.5));
        assert_eq!(extract_number(b"0x1F", ""), Some(31.0));
        assert_eq!(extract_number(b"-0x10", ""), Some(-16.0));
        assert_eq!(extract_number(b"12:30", ""), None);
        assert_eq!(extract_number(b"1,234.5", ""), None);
        assert_eq!(extract_number(b"1,000", ""), None, "a thousand or one: not guessed");
        assert_eq!(extract_number(b"21,25", ""), Some(21.25));
        assert_eq!(extract_number(b"v2", ""), None);
        assert_eq!(extract_number("42 %".as_bytes(), ""), Some(42.0));
        assert_eq!(extract_number("3.2 µg/m³".as_bytes(), ""), Some(3.2));
        assert_eq!(extract_number(b"5 km/h", ""), Some(5.0));
        assert_eq!(extract_number(b"2021-05-01", ""), None);
        assert_eq!(extract_number(&[0xff, 0x31], ""), None);
    }

    #[test]
    fn json_paths() {
        let p = br#"{"device_id":"temp_sensor_001","temperature":23.41,"sensors":[{"value":1},{"value":"2.5 V"}],"ok":true}"#;
        assert_eq!(extract_number(p, "temperature"), Some(23.41));
        assert_eq!(extract_number(p, "sensors[1].value"), Some(2.5));
        assert_eq!(extract_number(p, "ok"), Some(1.0));
        assert_eq!(extract_number(p, "device_id"), None);
        assert_eq!(extract_number(p, "missing"), None);
        assert_eq!(extract_number(p, "sensors[9].value"), None);
        assert_eq!(extract_number(p, "sensors[x"), None);
        assert_eq!(extract_number(b"not json", "temperature"), None);
    }

    #[test]
    fn keys_with_dots_brackets_and_quotes_read_back_as_one_key() {
        let p = br#"{"a.b": 1, "x[0]": 2, "q\"k": 3, "": 4, "deep": {"m.n": [5]}, "a": {"b": 6}}"#;
        let fields = numeric_fields(p, 10);
        let paths: Vec<&str> = fields.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                r#"["a.b"]"#,
                r#"["x[0]"]"#,
                r#"["q\"k"]"#,
                r#"[""]"#,
                r#"deep["m.n"][0]"#,
                "a.b"
            ]
        );
        let values: Vec<f64> = fields.iter().map(|(_, v)| *v).collect();
        assert_eq!(values, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(extract_number(p, r#"["a.b"]"#), Some(1.0));
        assert_eq!(extract_number(p, "a.b"), Some(6.0), "a plain path is still levels");
        assert_eq!(extract_number(p, r#"deep["m.n"][0]"#), Some(5.0));
        assert_eq!(extract_number(p, r#"["unclosed"#), None);
        assert_eq!(extract_number(p, "a..b"), None);
    }

    #[test]
    fn numeric_fields_lists_every_number_with_its_path() {
        let p = br#"{"device_id":"a","temperature":23.41,"nested":{"list":[1,"x",2]}}"#;
        let fields = numeric_fields(p, 10);
        let paths: Vec<&str> = fields.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["temperature", "nested.list[0]", "nested.list[2]"]);
        for (path, value) in &fields {
            assert_eq!(extract_number(p, path), Some(*value), "path {path}");
        }
        assert_eq!(numeric_fields(b"21.5", 10), vec![(String::new(), 21.5)]);
        assert!(numeric_fields(b"hello", 10).is_empty());
        // MessagePack and CBOR documents {"t": 21.5}: the same path, the same value.
        let msgpack = [0x81, 0xa1, b't', 0xcb, 0x40, 0x35, 0x80, 0, 0, 0, 0, 0];
        let cbor = [0xa1, 0x61, b't', 0xfb, 0x40, 0x35, 0x80, 0, 0, 0, 0, 0];
        for doc in [&msgpack[..], &cbor[..]] {
            assert_eq!(numeric_fields(doc, 10), vec![("t".to_owned(), 21.5)]);
            assert_eq!(extract_number(doc, "t"), Some(21.5));
        }
        assert_eq!(numeric_fields(br#"[1,2,3,4]"#, 2).len(), 2);
    }
}

//! MQTT topic and topic-filter syntax, checked before anything is sent so the
//! user gets the reason next to the field instead of a dropped connection.

/// The most bytes a topic may have on the wire (a 16-bit length prefix).
pub const MAX_TOPIC_BYTES: usize = 65_535;

/// A topic name to publish to: not empty, no wildcards, no NUL, not too long.
pub fn validate_topic(topic: &str) -> Result<(), String> {
    if topic.is_empty() {
        return Err("Enter a topic to publish to.".into());
    }
    if topic.contains(['+', '#']) {
        return Err("A topic to publish to cannot contain the wildcards + or #.".into());
    }
    check_common(topic)
}

/// A subscription filter: `+` fills exactly one level, `#` only as the last level.
pub fn validate_filter(filter: &str) -> Result<(), String> {
    if filter.is_empty() {
        return Err("A topic filter cannot be empty (use # for everything).".into());
    }
    check_common(filter)?;
    let levels: Vec<&str> = filter.split('/').collect();
    for (i, level) in levels.iter().enumerate() {
        if level.contains('#') && (*level != "#" || i + 1 != levels.len()) {
            return Err(format!(
                "'{filter}': # must be a whole level and the last one (like home/#)."
            ));
        }
        if level.contains('+') && *level != "+" {
            return Err(format!("'{filter}': + must fill a whole level (like home/+/light)."));
        }
    }
    Ok(())
}

fn check_common(topic: &str) -> Result<(), String> {
    if topic.len() > MAX_TOPIC_BYTES {
        return Err(format!(
            "The topic is {} bytes long; MQTT allows at most {MAX_TOPIC_BYTES}.",
            topic.len()
        ));
    }
    if topic.contains('\0') {
        return Err("A topic cannot contain the NUL character.".into());
    }
    Ok(())
}

/// The first of 256 private-use characters that stand for the bytes of a topic
/// that are not UTF-8 (U+10FF00 + byte). The patched rumqttc (MQTT 3.1.1) and
/// [`from_wire`] (MQTT 5) make them; [`to_wire`] turns them back into bytes.
const ESCAPE_BASE: u32 = 0x10_FF00;

/// A topic as received: valid UTF-8 as is, each byte of an invalid sequence
/// kept as one escape character, so nothing is lost and the tree can hold it.
pub fn from_wire(bytes: &[u8]) -> String {
    rumqttc::escape_invalid_utf8(bytes)
}

fn escaped_byte(c: char) -> Option<u8> {
    u32::from(c).checked_sub(ESCAPE_BASE).and_then(|b| u8::try_from(b).ok())
}

/// Whether a received topic carried bytes that are not UTF-8.
pub fn has_invalid_bytes(topic: &str) -> bool {
    // U+10FFxx is F4 8F Bx xx in UTF-8: only look closer at topics with an F4 byte.
    topic.as_bytes().contains(&0xF4) && topic.chars().any(|c| escaped_byte(c).is_some())
}

/// The bytes of a received topic, exactly as the broker sent them.
pub fn to_wire(topic: &str) -> Vec<u8> {
    if !has_invalid_bytes(topic) {
        return topic.as_bytes().to_vec();
    }
    let mut out = Vec::with_capacity(topic.len());
    for c in topic.chars() {
        match escaped_byte(c) {
            Some(b) => out.push(b),
            None => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    out
}

/// A received topic for display: each byte that is not UTF-8 as `\xNN`.
pub fn display(topic: &str) -> std::borrow::Cow<'_, str> {
    if !has_invalid_bytes(topic) {
        return topic.into();
    }
    topic
        .chars()
        .map(|c| match escaped_byte(c) {
            Some(b) => format!("\\x{b:02X}"),
            None => c.to_string(),
        })
        .collect::<String>()
        .into()
}

/// Whether `topic` matches `filter` (`+` one level, `#` the rest; `$` topics
/// are not matched by a leading wildcard).
pub fn filter_matches(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut t = topic.split('/');
    for f in filter.split('/') {
        match (f, t.next()) {
            ("#", _) => return true,
            ("+", Some(_)) => {}
            (f, Some(level)) if f == level => {}
            _ => return false,
        }
    }
    t.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics() {
        assert!(validate_topic("home/living_room/light").is_ok());
        assert!(validate_topic("").is_err());
        assert!(validate_topic("home/+/light").unwrap_err().contains("wildcards"));
        assert!(validate_topic("home/#").is_err());
        assert!(validate_topic("a\0b").is_err());
        assert!(validate_topic(&"x".repeat(70_000)).is_err());
    }

    #[test]
    fn filters() {
        for ok in ["#", "+", "home/#", "home/+/light", "+/+/#", "/", "$SYS/#"] {
            assert!(validate_filter(ok).is_ok(), "{ok}");
        }
        for bad in ["", "home#", "home/#/x", "ho+me/x", "a/b#"] {
            assert!(validate_filter(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn invalid_utf8_topics_keep_their_bytes() {
        let wire = b"bad/\xff\xfe/\xe4\xbc/\xe4\xbc\xa0ok";
        let topic = from_wire(wire);
        assert!(has_invalid_bytes(&topic));
        assert_eq!(to_wire(&topic), wire, "the bytes as received");
        assert_eq!(display(&topic), "bad/\\xFF\\xFE/\\xE4\\xBC/传ok");
        assert_eq!(topic.split('/').count(), 4, "levels split as on the wire");
        for fine in ["传感器/客厅", "a/b", "", "\u{10FFFF}"] {
            assert!(!has_invalid_bytes(fine) || fine == "\u{10FFFF}");
            assert_eq!(from_wire(fine.as_bytes()), fine);
        }
    }

    #[test]
    fn matching() {
        assert!(filter_matches("#", "a/b/c"));
        assert!(filter_matches("a/+/c", "a/b/c"));
        assert!(!filter_matches("a/+/c", "a/b/d"));
        assert!(filter_matches("a/#", "a"));
        assert!(!filter_matches("a/+", "a/b/c"));
        assert!(!filter_matches("#", "$SYS/broker/uptime"));
        assert!(filter_matches("$SYS/#", "$SYS/broker/uptime"));
    }
}

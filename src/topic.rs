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

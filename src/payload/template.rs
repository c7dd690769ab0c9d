//! Payload placeholders, evaluated at each send so a repeated publish can
//! fake a sensor: `{{counter}}`, `{{timestamp}}` (unix seconds),
//! `{{timestamp_ms}}`, `{{now}}` (ISO 8601, UTC), `{{random(20,30)}}` (a
//! float with 2 decimals), `{{randint(1,6)}}` (both ends included) and
//! `{{uuid}}` (version 4). An unknown or malformed placeholder is an error
//! before anything is sent, never text that goes out as typed.

use std::time::{SystemTime, UNIX_EPOCH};

/// What the placeholders of one send are made of.
#[derive(Debug, Clone, Copy)]
pub struct SendContext {
    /// 1 for the first message of a repeat (or a single send), then 2, 3, …
    pub counter: u64,
    pub now: SystemTime,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Counter,
    Timestamp,
    TimestampMs,
    Now,
    Random(f64, f64),
    RandInt(i64, i64),
    Uuid,
}

/// A payload text with its placeholders found; check once, render many times.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

pub const PLACEHOLDERS: &str =
    "{{counter}}, {{timestamp}}, {{timestamp_ms}}, {{now}}, {{random(min,max)}}, {{randint(min,max)}}, {{uuid}}";

impl Template {
    /// Find the placeholders of `text`; the error says which one is wrong and where.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        let mut offset = 0;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_owned()));
            }
            let at = text[..offset + start].chars().count() + 1;
            let inner_start = start + 2;
            let Some(len) = rest[inner_start..].find("}}") else {
                return Err(format!("Placeholder at position {at} has no closing }}}}."));
            };
            let inner = rest[inner_start..inner_start + len].trim();
            parts.push(parse_placeholder(inner).map_err(|e| format!("{{{{{inner}}}}} at position {at}: {e}"))?);
            let consumed = inner_start + len + 2;
            offset += consumed;
            rest = &rest[consumed..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Self { parts })
    }

    /// Whether there is anything to evaluate (else the text goes as it is).
    pub fn has_placeholders(&self) -> bool {
        self.parts.iter().any(|p| !matches!(p, Part::Text(_)))
    }

    pub fn render(&self, ctx: &SendContext, rng: &mut fastrand::Rng) -> String {
        let mut out = String::new();
        let since_epoch = ctx.now.duration_since(UNIX_EPOCH).unwrap_or_default();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Counter => out.push_str(&ctx.counter.to_string()),
                Part::Timestamp => out.push_str(&since_epoch.as_secs().to_string()),
                Part::TimestampMs => out.push_str(&since_epoch.as_millis().to_string()),
                Part::Now => out.push_str(
                    &chrono::DateTime::<chrono::Utc>::from(ctx.now)
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                ),
                Part::Random(min, max) => out.push_str(&format!("{:.2}", min + rng.f64() * (max - min))),
                Part::RandInt(min, max) => out.push_str(&rng.i64(*min..=*max).to_string()),
                Part::Uuid => out.push_str(&uuid_v4(rng)),
            }
        }
        out
    }
}

fn parse_placeholder(inner: &str) -> Result<Part, String> {
    let (name, args) = match inner.find('(') {
        Some(open) => {
            let Some(args) = inner[open + 1..].strip_suffix(')') else {
                return Err("the ( has no closing ).".into());
            };
            (inner[..open].trim(), Some(args))
        }
        None => (inner, None),
    };
    let two = |args: Option<&str>| -> Result<(String, String), String> {
        let args = args.ok_or_else(|| format!("{name} needs two numbers, like {name}(1,6)."))?;
        match args.split(',').map(str::trim).collect::<Vec<_>>()[..] {
            [a, b] => Ok((a.to_owned(), b.to_owned())),
            _ => Err(format!("{name} needs two numbers, like {name}(1,6).")),
        }
    };
    let none = |part: Part| -> Result<Part, String> {
        match args {
            None => Ok(part),
            Some(_) => Err(format!("{name} takes no arguments.")),
        }
    };
    match name {
        "counter" => none(Part::Counter),
        "timestamp" => none(Part::Timestamp),
        "timestamp_ms" => none(Part::TimestampMs),
        "now" => none(Part::Now),
        "uuid" => none(Part::Uuid),
        "random" => {
            let (a, b) = two(args)?;
            let parse = |s: &str| {
                s.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| format!("'{s}' is not a number."))
            };
            let (min, max) = (parse(&a)?, parse(&b)?);
            if min > max {
                return Err(format!("the first number ({a}) is above the second ({b})."));
            }
            Ok(Part::Random(min, max))
        }
        "randint" => {
            let (a, b) = two(args)?;
            let parse = |s: &str| s.parse::<i64>().map_err(|_| format!("'{s}' is not a whole number."));
            let (min, max) = (parse(&a)?, parse(&b)?);
            if min > max {
                return Err(format!("the first number ({a}) is above the second ({b})."));
            }
            Ok(Part::RandInt(min, max))
        }
        "" => Err(format!("empty placeholder; known: {PLACEHOLDERS}.")),
        other => Err(format!("unknown placeholder '{other}'; known: {PLACEHOLDERS}.")),
    }
}

fn uuid_v4(rng: &mut fastrand::Rng) -> String {
    let mut b: [u8; 16] = std::array::from_fn(|_| rng.u8(..));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ctx(counter: u64) -> SendContext {
        SendContext {
            counter,
            now: UNIX_EPOCH + Duration::from_millis(1_795_437_325_123),
        }
    }

    fn render(text: &str, counter: u64) -> String {
        Template::parse(text)
            .unwrap()
            .render(&ctx(counter), &mut fastrand::Rng::with_seed(7))
    }

    #[test]
    fn counters_and_clocks() {
        assert_eq!(render("n={{counter}}", 3), "n=3");
        assert_eq!(render("{{ timestamp }}", 1), "1795437325");
        assert_eq!(render("{{timestamp_ms}}", 1), "1795437325123");
        assert_eq!(render("{{now}}", 1), "2026-11-23T12:35:25.123Z");
        assert_eq!(render("no placeholders", 1), "no placeholders");
        assert!(!Template::parse("plain {text}").unwrap().has_placeholders());
        assert!(Template::parse("{{uuid}}").unwrap().has_placeholders());
    }

    #[test]
    fn random_values_stay_in_range_with_two_decimals() {
        let t = Template::parse(r#"{"t": {{random(20,30)}}, "die": {{randint(1,6)}}}"#).unwrap();
        let mut rng = fastrand::Rng::with_seed(1);
        let mut faces = std::collections::BTreeSet::new();
        for i in 0..500 {
            let text = t.render(&ctx(i), &mut rng);
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            let temp = v["t"].as_f64().unwrap();
            assert!((20.0..=30.0).contains(&temp), "{text}");
            let raw = text.split("\"t\": ").nth(1).unwrap().split(',').next().unwrap();
            assert!(raw.split('.').nth(1).is_none_or(|d| d.len() <= 2), "{raw}");
            faces.insert(v["die"].as_i64().unwrap());
        }
        assert_eq!(faces.into_iter().collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn uuids_are_version_4_and_differ() {
        let t = Template::parse("{{uuid}}").unwrap();
        let mut rng = fastrand::Rng::with_seed(3);
        let a = t.render(&ctx(1), &mut rng);
        let b = t.render(&ctx(1), &mut rng);
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'4');
        assert!(matches!(a.as_bytes()[19], b'8' | b'9' | b'a' | b'b'), "{a}");
    }

    #[test]
    fn mistakes_are_named_with_their_position() {
        let err = Template::parse(r#"{"t": {{temperature}}}"#).unwrap_err();
        assert!(
            err.starts_with("{{temperature}} at position 7: unknown placeholder 'temperature'"),
            "{err}"
        );
        assert!(
            Template::parse("a {{counter")
                .unwrap_err()
                .contains("position 3 has no closing")
        );
        assert!(
            Template::parse("{{random(30,20)}}")
                .unwrap_err()
                .contains("above the second")
        );
        assert!(
            Template::parse("{{random(1)}}")
                .unwrap_err()
                .contains("needs two numbers")
        );
        assert!(
            Template::parse("{{randint(1.5,6)}}")
                .unwrap_err()
                .contains("not a whole number")
        );
        assert!(
            Template::parse("{{counter(2)}}")
                .unwrap_err()
                .contains("takes no arguments")
        );
        assert!(Template::parse("{{}}").unwrap_err().contains("empty placeholder"));
        // Positions count characters, not bytes.
        assert!(Template::parse("°°{{x}}").unwrap_err().contains("position 3"));
    }
}

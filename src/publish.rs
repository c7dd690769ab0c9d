//! Publishing as plain data: one message to send, the sent-messages history,
//! named templates, and the repeat job that fakes a sensor. No egui and no
//! network here; the publish form builds these and the session sends them.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::payload::{PayloadFormat, SendContext, Template, encode};
use crate::vocab::MessageProperties;

/// Sent messages kept per connection.
pub const PUBLISHED_KEPT: usize = 100;
/// Larger payloads are listed in the history but not kept for re-sending.
pub const MAX_KEPT_PAYLOAD: usize = 64 * 1024;
/// The most messages a repeat job sends in one go when it is behind.
const MAX_BURST: u64 = 1_000;

/// One message to send.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishRequest {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: u8,
    pub retain: bool,
    /// MQTT 5 properties (ignored on 3.1.1).
    pub properties: MessageProperties,
}

/// A named publish form, saved with the profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishTemplate {
    pub name: String,
    pub topic: String,
    pub payload: String,
    #[serde(default)]
    pub format: PayloadFormat,
    #[serde(default)]
    pub qos: u8,
    #[serde(default)]
    pub retain: bool,
}

/// One sent message in the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedEntry {
    /// Unix milliseconds.
    pub at_ms: u64,
    pub topic: String,
    /// The payload as text when it is UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Else as Base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base64: Option<String>,
    pub size: usize,
    pub qos: u8,
    pub retain: bool,
}

impl PublishedEntry {
    pub fn new(request: &PublishRequest, at: SystemTime) -> Self {
        let keep = request.payload.len() <= MAX_KEPT_PAYLOAD;
        let text = keep
            .then(|| std::str::from_utf8(&request.payload).ok().map(str::to_owned))
            .flatten();
        let base64 =
            (keep && text.is_none()).then(|| base64::engine::general_purpose::STANDARD.encode(&request.payload));
        Self {
            at_ms: at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64),
            topic: request.topic.clone(),
            text,
            base64,
            size: request.payload.len(),
            qos: request.qos,
            retain: request.retain,
        }
    }

    /// The bytes to send again, if they were kept.
    pub fn payload(&self) -> Option<Vec<u8>> {
        if let Some(text) = &self.text {
            return Some(text.as_bytes().to_vec());
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(self.base64.as_deref()?)
            .ok()?;
        (bytes.len() == self.size).then_some(bytes)
    }

    pub fn at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.at_ms)
    }

    pub fn request(&self) -> Option<PublishRequest> {
        Some(PublishRequest {
            topic: self.topic.clone(),
            payload: self.payload()?,
            qos: self.qos,
            retain: self.retain,
            properties: MessageProperties::default(),
        })
    }
}

/// Add an entry to a history, newest first, at most [`PUBLISHED_KEPT`].
pub fn remember(history: &mut VecDeque<PublishedEntry>, entry: PublishedEntry) {
    history.push_front(entry);
    history.truncate(PUBLISHED_KEPT);
}

/// How often a repeat job sends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    EverySeconds(f64),
    PerSecond(f64),
}

impl Rate {
    /// The time between two sends; refused when zero, negative or absurd.
    pub fn interval(self) -> Result<Duration, String> {
        let seconds = match self {
            Rate::EverySeconds(s) => s,
            Rate::PerSecond(n) if n > 0.0 => 1.0 / n,
            Rate::PerSecond(_) => 0.0,
        };
        if !seconds.is_finite() || seconds <= 0.0 {
            return Err("The rate must be above zero.".into());
        }
        if seconds < 0.001 {
            return Err("At most 1,000 messages per second.".into());
        }
        if seconds > 86_400.0 {
            return Err("At least once a day.".into());
        }
        Ok(Duration::from_secs_f64(seconds))
    }
}

/// A publish repeated at a fixed rate, its payload's placeholders evaluated
/// at each send. The first message goes at the start.
#[derive(Debug)]
pub struct Repeat {
    topic: String,
    template: Template,
    format: PayloadFormat,
    qos: u8,
    retain: bool,
    properties: MessageProperties,
    interval: Duration,
    started: Instant,
    sent: u64,
    rng: fastrand::Rng,
}

impl Repeat {
    /// Check everything once before the first send: the payload's
    /// placeholders and a first rendering in its format.
    pub fn start(base: PublishRequestForm<'_>, rate: Rate, now: Instant) -> Result<Self, String> {
        let interval = rate.interval()?;
        let template = Template::parse(base.payload)?;
        let mut rng = fastrand::Rng::new();
        let trial = template.render(
            &SendContext {
                counter: 1,
                now: SystemTime::now(),
            },
            &mut rng,
        );
        encode(base.format, &trial)?;
        Ok(Self {
            topic: base.topic.to_owned(),
            template,
            format: base.format,
            qos: base.qos,
            retain: base.retain,
            properties: base.properties,
            interval,
            started: now,
            sent: 0,
            rng,
        })
    }

    pub fn sent(&self) -> u64 {
        self.sent
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// How many sends are due by `now` (one at the start, then one per interval).
    pub fn due(&self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.started).as_nanos();
        let owed = (elapsed / self.interval.as_nanos().max(1)) as u64 + 1;
        owed.saturating_sub(self.sent).min(MAX_BURST)
    }

    /// When the next send is due.
    pub fn next_at(&self) -> Instant {
        self.started + self.interval.mul_f64(self.sent as f64)
    }

    /// The messages due by `now`, each with its placeholders evaluated.
    /// A rendering that no longer fits the format (say `{{uuid}}` in hex)
    /// stops with the error.
    pub fn take_due(&mut self, now: Instant, wall: SystemTime) -> Result<Vec<PublishRequest>, String> {
        let n = self.due(now);
        let mut out = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let ctx = SendContext {
                counter: self.sent + 1,
                now: wall,
            };
            let text = self.template.render(&ctx, &mut self.rng);
            let payload = encode(self.format, &text)?;
            self.sent += 1;
            out.push(PublishRequest {
                topic: self.topic.clone(),
                payload,
                qos: self.qos,
                retain: self.retain,
                properties: self.properties.clone(),
            });
        }
        Ok(out)
    }
}

/// What a repeat (or a single send) is made from: the form's fields.
#[derive(Debug, Clone)]
pub struct PublishRequestForm<'a> {
    pub topic: &'a str,
    pub payload: &'a str,
    pub format: PayloadFormat,
    pub qos: u8,
    pub retain: bool,
    pub properties: MessageProperties,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(payload: &str) -> PublishRequestForm<'_> {
        PublishRequestForm {
            topic: "lab/fake/temperature",
            payload,
            format: PayloadFormat::Json,
            qos: 1,
            retain: false,
            properties: MessageProperties::default(),
        }
    }

    #[test]
    fn a_repeat_sends_one_at_the_start_then_one_per_interval_with_a_counter() {
        let t0 = Instant::now();
        let mut job = Repeat::start(
            form(r#"{"n": {{counter}}, "t": {{random(20,30)}}}"#),
            Rate::PerSecond(20.0),
            t0,
        )
        .unwrap();
        assert_eq!(job.interval(), Duration::from_millis(50));
        assert_eq!(job.due(t0), 1);
        let first = job.take_due(t0, SystemTime::now()).unwrap();
        assert_eq!(first.len(), 1);
        assert!(first[0].payload.starts_with(br#"{"n": 1, "#));
        // One second later: 20 more (at 50, 100, …, 1000 ms).
        let later = job.take_due(t0 + Duration::from_secs(1), SystemTime::now()).unwrap();
        assert_eq!(later.len(), 20);
        let counters: Vec<u64> = later
            .iter()
            .map(|r| {
                serde_json::from_slice::<serde_json::Value>(&r.payload).unwrap()["n"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        assert_eq!(counters, (2..=21).collect::<Vec<_>>());
        assert_eq!(job.sent(), 21);
        assert_eq!(job.due(t0 + Duration::from_millis(1_049)), 0);
        assert_eq!(job.next_at(), t0 + Duration::from_millis(1_050));
        // Far behind (a stalled UI): a bounded burst, not millions.
        assert_eq!(job.due(t0 + Duration::from_secs(3_600)), MAX_BURST);
    }

    #[test]
    fn a_repeat_refuses_what_would_fail_later() {
        let t0 = Instant::now();
        assert!(
            Repeat::start(form("{{nope}}"), Rate::EverySeconds(1.0), t0)
                .unwrap_err()
                .contains("unknown placeholder")
        );
        assert!(
            Repeat::start(form("{"), Rate::EverySeconds(1.0), t0)
                .unwrap_err()
                .contains("JSON error")
        );
        assert!(
            Repeat::start(form("1"), Rate::EverySeconds(0.0), t0)
                .unwrap_err()
                .contains("above zero")
        );
        assert!(
            Repeat::start(form("1"), Rate::PerSecond(5_000.0), t0)
                .unwrap_err()
                .contains("1,000")
        );
        assert_eq!(
            Rate::EverySeconds(2.5).interval().unwrap(),
            Duration::from_millis(2_500)
        );
    }

    #[test]
    fn history_keeps_the_newest_hundred_and_resends_the_same_bytes() {
        let mut history = VecDeque::new();
        let request = |i: usize, payload: Vec<u8>| PublishRequest {
            topic: format!("t/{i}"),
            payload,
            qos: 1,
            retain: i.is_multiple_of(2),
            properties: MessageProperties::default(),
        };
        for i in 0..150 {
            remember(
                &mut history,
                PublishedEntry::new(&request(i, format!("{i}").into_bytes()), SystemTime::now()),
            );
        }
        assert_eq!(history.len(), PUBLISHED_KEPT);
        assert_eq!(history[0].topic, "t/149");
        let binary = request(7, vec![0, 159, 146, 150, 255]);
        let entry = PublishedEntry::new(&binary, SystemTime::now());
        assert!(entry.text.is_none() && entry.base64.is_some());
        assert_eq!(entry.request().unwrap(), binary);
        let json = serde_json::to_string(&entry).unwrap();
        assert_eq!(serde_json::from_str::<PublishedEntry>(&json).unwrap(), entry);
        // Too big to keep: listed, not re-sendable.
        let big = PublishedEntry::new(&request(1, vec![b'x'; MAX_KEPT_PAYLOAD + 1]), SystemTime::now());
        assert_eq!(big.size, MAX_KEPT_PAYLOAD + 1);
        assert!(big.request().is_none());
    }
}

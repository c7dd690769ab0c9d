//! Threshold rules on chart series and the alerts they raise. A rule says
//! "above 28" and/or "below 5"; a value that crosses raises an alert, and the
//! alert clears only once the value is back by the hysteresis, so a value
//! hovering at the line does not flap.

use std::collections::VecDeque;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

/// How far back past the line a value must come before its alert clears.
pub const DEFAULT_HYSTERESIS: f64 = 0.5;
/// Alert log entries kept per connection (older ones are counted, not kept).
pub const ALERT_LOG_LIMIT: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Threshold {
    /// Alert when the value goes above this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub above: Option<f64>,
    /// Alert when the value goes below this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub below: Option<f64>,
    pub hysteresis: f64,
}

impl Default for Threshold {
    fn default() -> Self {
        Self {
            above: None,
            below: None,
            hysteresis: DEFAULT_HYSTERESIS,
        }
    }
}

impl Threshold {
    pub fn above(limit: f64) -> Self {
        Self {
            above: Some(limit),
            ..Self::default()
        }
    }

    pub fn is_set(&self) -> bool {
        self.above.is_some() || self.below.is_some()
    }

    /// The rule in a few characters, for the log and the series table: "> 28", "< 5", "> 28 or < 5".
    pub fn describe(&self) -> String {
        match (self.above, self.below) {
            (Some(a), Some(b)) => format!("> {} or < {}", number(a), number(b)),
            (Some(a), None) => format!("> {}", number(a)),
            (None, Some(b)) => format!("< {}", number(b)),
            (None, None) => String::new(),
        }
    }

    /// The state after seeing `value` in `state`.
    pub fn next_state(&self, state: AlertState, value: f64) -> AlertState {
        if !value.is_finite() {
            return state;
        }
        let h = if self.hysteresis.is_finite() {
            self.hysteresis.abs()
        } else {
            0.0
        };
        match state {
            AlertState::Above if self.above.is_some_and(|a| value > a - h) => AlertState::Above,
            AlertState::Below if self.below.is_some_and(|b| value < b + h) => AlertState::Below,
            _ if self.above.is_some_and(|a| value > a) => AlertState::Above,
            _ if self.below.is_some_and(|b| value < b) => AlertState::Below,
            _ => AlertState::Normal,
        }
    }
}

/// A number as people write it: `28`, `27.5`, not `28.0`.
pub fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AlertState {
    #[default]
    Normal,
    Above,
    Below,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlertEvent {
    pub at: SystemTime,
    pub topic: String,
    pub path: String,
    pub value: f64,
    /// The rule as written ("> 28").
    pub rule: String,
    /// Raised (true) or cleared (false).
    pub raised: bool,
}

impl AlertEvent {
    /// One line for a notification: "Alert: iot/s1/temperature · temperature = 29.1 (> 28)".
    pub fn headline(&self) -> String {
        let what = if self.path.is_empty() {
            self.topic.clone()
        } else {
            format!("{} · {}", self.topic, self.path)
        };
        if self.raised {
            format!("Alert: {what} = {} ({})", number(self.value), self.rule)
        } else {
            format!("Cleared: {what} = {} (no longer {})", number(self.value), self.rule)
        }
    }
}

/// Every raise and clear of a connection, newest last, bounded.
#[derive(Debug, Default)]
pub struct AlertLog {
    entries: VecDeque<AlertEvent>,
    /// Entries pushed out of the log by newer ones.
    pub dropped: u64,
    /// Entries not yet shown as notifications.
    unseen: Vec<AlertEvent>,
}

impl AlertLog {
    pub fn push(&mut self, event: AlertEvent) {
        if self.entries.len() == ALERT_LOG_LIMIT {
            self.entries.pop_front();
            self.dropped += 1;
        }
        if self.unseen.len() < ALERT_LOG_LIMIT {
            self.unseen.push(event.clone());
        }
        self.entries.push_back(event);
    }

    pub fn entries(&self) -> &VecDeque<AlertEvent> {
        &self.entries
    }

    /// Entries since the last call, for notifications.
    pub fn take_unseen(&mut self) -> Vec<AlertEvent> {
        std::mem::take(&mut self.unseen)
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.dropped = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(rule: &Threshold, values: &[f64]) -> Vec<AlertState> {
        let mut state = AlertState::Normal;
        values
            .iter()
            .map(|&v| {
                state = rule.next_state(state, v);
                state
            })
            .collect()
    }

    #[test]
    fn crossing_above_raises_and_hysteresis_holds_it() {
        use AlertState::*;
        let rule = Threshold {
            above: Some(28.0),
            below: None,
            hysteresis: 0.5,
        };
        // 28 itself is not above; 28.1 is. Noise between 27.5 and 28 keeps the
        // alert; only 27.5 or lower clears it.
        assert_eq!(
            run(&rule, &[27.0, 28.0, 28.1, 27.9, 28.3, 27.6, 27.5, 27.9, 28.2]),
            [Normal, Normal, Above, Above, Above, Above, Normal, Normal, Above]
        );
    }

    #[test]
    fn below_and_both_sides() {
        use AlertState::*;
        let rule = Threshold {
            above: Some(30.0),
            below: Some(10.0),
            hysteresis: 1.0,
        };
        assert_eq!(
            run(&rule, &[20.0, 9.5, 10.5, 11.0, 31.0, 29.5, 5.0, f64::NAN, 12.0]),
            [Normal, Below, Below, Normal, Above, Above, Below, Below, Normal],
            "a jump from above to below goes straight there; NaN changes nothing"
        );
        assert_eq!(rule.describe(), "> 30 or < 10");
        assert_eq!(Threshold::above(27.5).describe(), "> 27.5");
        assert!(!Threshold::default().is_set());
        assert_eq!(run(&Threshold::default(), &[1e9, -1e9]), [Normal, Normal]);
    }

    #[test]
    fn log_is_bounded_and_notifications_are_taken_once() {
        let mut log = AlertLog::default();
        let event = |i: usize| AlertEvent {
            at: SystemTime::UNIX_EPOCH,
            topic: format!("t/{i}"),
            path: String::new(),
            value: i as f64,
            rule: "> 1".into(),
            raised: true,
        };
        for i in 0..ALERT_LOG_LIMIT + 5 {
            log.push(event(i));
        }
        assert_eq!(log.entries().len(), ALERT_LOG_LIMIT);
        assert_eq!(log.dropped, 5);
        assert_eq!(
            log.entries().back().unwrap().topic,
            format!("t/{}", ALERT_LOG_LIMIT + 4)
        );
        assert_eq!(log.take_unseen().len(), ALERT_LOG_LIMIT);
        assert!(log.take_unseen().is_empty());
        assert_eq!(event(3).headline(), "Alert: t/3 = 3 (> 1)");
    }
}

//! The broker's own statistics, read from the `$SYS` topics it publishes.
//! Mosquitto's layout is understood (version, uptime, clients, message and
//! byte rates, subscriptions, retained messages); any other broker's `$SYS`
//! tree is listed as it is. Read from the tree and the stored history on
//! demand (only while the dashboard is open), so nothing is kept twice.

use std::time::SystemTime;

use super::{Model, NodeId, unix_seconds};

/// The `$SYS` topics of a Mosquitto broker, as named in its documentation.
pub mod mosquitto {
    pub const VERSION: &str = "$SYS/broker/version";
    pub const UPTIME: &str = "$SYS/broker/uptime";
    pub const CLIENTS_CONNECTED: &str = "$SYS/broker/clients/connected";
    pub const SUBSCRIPTIONS: &str = "$SYS/broker/subscriptions/count";
    pub const RETAINED: &str = "$SYS/broker/retained messages/count";
    /// PUBLISH packets (what people mean by messages; `messages/received` counts every packet).
    pub const MESSAGES_RECEIVED: &str = "$SYS/broker/publish/messages/received";
    pub const MESSAGES_SENT: &str = "$SYS/broker/publish/messages/sent";
    pub const BYTES_RECEIVED: &str = "$SYS/broker/bytes/received";
    pub const BYTES_SENT: &str = "$SYS/broker/bytes/sent";
    pub const LOAD_MESSAGES_RECEIVED: &str = "$SYS/broker/load/publish/received/1min";
    pub const LOAD_MESSAGES_SENT: &str = "$SYS/broker/load/publish/sent/1min";
    pub const LOAD_BYTES_RECEIVED: &str = "$SYS/broker/load/bytes/received/1min";
    pub const LOAD_BYTES_SENT: &str = "$SYS/broker/load/bytes/sent/1min";
}

/// What a Mosquitto broker says about itself. Rates are per second.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BrokerStats {
    pub version: Option<String>,
    pub uptime_s: Option<u64>,
    pub clients_connected: Option<u64>,
    pub subscriptions: Option<u64>,
    pub retained: Option<u64>,
    pub messages_in: Rate,
    pub messages_out: Rate,
    pub bytes_in: Rate,
    pub bytes_out: Rate,
}

/// A rate now and its recent past, as (unix seconds, per second) points.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rate {
    pub now: Option<f64>,
    pub history: Vec<[f64; 2]>,
}

impl BrokerStats {
    /// Mosquitto's statistics, when its `$SYS/broker/version` has arrived.
    pub fn read(model: &Model) -> Option<Self> {
        let version = text(model, mosquitto::VERSION)?;
        Some(Self {
            version: Some(version),
            uptime_s: text(model, mosquitto::UPTIME)
                .and_then(|t| leading_number(&t))
                .map(|v| v as u64),
            clients_connected: number(model, mosquitto::CLIENTS_CONNECTED).map(|v| v as u64),
            subscriptions: number(model, mosquitto::SUBSCRIPTIONS).map(|v| v as u64),
            retained: number(model, mosquitto::RETAINED).map(|v| v as u64),
            messages_in: rate(model, mosquitto::MESSAGES_RECEIVED, mosquitto::LOAD_MESSAGES_RECEIVED),
            messages_out: rate(model, mosquitto::MESSAGES_SENT, mosquitto::LOAD_MESSAGES_SENT),
            bytes_in: rate(model, mosquitto::BYTES_RECEIVED, mosquitto::LOAD_BYTES_RECEIVED),
            bytes_out: rate(model, mosquitto::BYTES_SENT, mosquitto::LOAD_BYTES_SENT),
        })
    }
}

/// Every topic under `$SYS` with its latest payload (as text, shortened), in
/// tree order, at most `limit`; and whether there were more.
pub fn sys_topics(model: &Model, limit: usize) -> (Vec<(String, String)>, bool) {
    let tree = &model.tree;
    let Some(root) = tree.get("$SYS") else {
        return (Vec::new(), false);
    };
    let mut out = Vec::new();
    let mut stack: Vec<NodeId> = vec![root];
    while let Some(id) = stack.pop() {
        if out.len() == limit {
            return (out, true);
        }
        if let Some(latest) = model.history.latest(id) {
            out.push((tree.topic(id), crate::payload::preview(&latest.payload, 80)));
        }
        let mut children = tree.node(id).children.clone();
        children.sort_by(|a, b| super::natural_cmp(tree.name(*b), tree.name(*a)));
        stack.extend(children);
    }
    (out, false)
}

/// Whether any `$SYS` topic has arrived.
pub fn has_sys(model: &Model) -> bool {
    model.tree.get("$SYS").is_some()
}

fn text(model: &Model, topic: &str) -> Option<String> {
    let node = model.tree.get(topic)?;
    let latest = model.history.latest(node)?;
    Some(String::from_utf8_lossy(&latest.payload).trim().to_owned())
}

fn number(model: &Model, topic: &str) -> Option<f64> {
    text(model, topic).and_then(|t| leading_number(&t))
}

/// "1234 seconds" → 1234; "42" → 42; "12.5" → 12.5.
fn leading_number(text: &str) -> Option<f64> {
    text.split_whitespace()
        .next()?
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

/// A rate from the deltas of a running total (exact, follows `sys_interval`),
/// else from Mosquitto's one-minute load average (per minute, so / 60).
fn rate(model: &Model, total: &str, load_1min: &str) -> Rate {
    let points = |topic: &str| -> Vec<(SystemTime, f64)> {
        model
            .tree
            .get(topic)
            .map(|node| {
                model
                    .history
                    .messages(node)
                    .iter()
                    .filter_map(|m| Some((m.received_at(), leading_number(std::str::from_utf8(&m.payload).ok()?)?)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let totals = points(total);
    if totals.len() >= 2 {
        let history: Vec<[f64; 2]> = totals
            .windows(2)
            .filter_map(|w| {
                let (t0, v0) = w[0];
                let (t1, v1) = w[1];
                let dt = t1.duration_since(t0).ok()?.as_secs_f64();
                // A restarted broker counts from zero again: no negative rates.
                (dt > 0.0 && v1 >= v0).then(|| [unix_seconds(t1), (v1 - v0) / dt])
            })
            .collect();
        return Rate {
            now: history.last().map(|p| p[1]),
            history,
        };
    }
    let history: Vec<[f64; 2]> = points(load_1min)
        .into_iter()
        .map(|(t, v)| [unix_seconds(t), v / 60.0])
        .collect();
    Rate {
        now: history.last().map(|p| p[1]),
        history,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::ReceivedMessage;
    use std::time::{Duration, Instant, UNIX_EPOCH};

    fn at(model: &mut Model, secs: u64, topic: &str, payload: &str) {
        let mut m = ReceivedMessage::new(topic, payload.as_bytes(), 0, false);
        m.received_at = UNIX_EPOCH + Duration::from_secs(secs);
        model.apply(vec![m], Instant::now());
    }

    #[test]
    fn mosquittos_layout_reads_as_numbers_and_rates() {
        let mut model = Model::default();
        assert!(BrokerStats::read(&model).is_none());
        at(&mut model, 100, mosquitto::VERSION, "mosquitto version 2.0.11");
        at(&mut model, 100, mosquitto::UPTIME, "3725 seconds");
        at(&mut model, 100, mosquitto::CLIENTS_CONNECTED, "3");
        at(&mut model, 100, mosquitto::RETAINED, "12");
        at(&mut model, 100, mosquitto::MESSAGES_RECEIVED, "1000");
        at(&mut model, 102, mosquitto::MESSAGES_RECEIVED, "1100");
        at(&mut model, 103, mosquitto::MESSAGES_RECEIVED, "1130");
        at(&mut model, 100, mosquitto::LOAD_MESSAGES_SENT, "600");
        let stats = BrokerStats::read(&model).unwrap();
        assert_eq!(stats.version.as_deref(), Some("mosquitto version 2.0.11"));
        assert_eq!(stats.uptime_s, Some(3725));
        assert_eq!(stats.clients_connected, Some(3));
        assert_eq!(stats.retained, Some(12));
        assert_eq!(stats.subscriptions, None);
        assert_eq!(
            stats.messages_in.history,
            [[102.0, 50.0], [103.0, 30.0]],
            "deltas of the total"
        );
        assert_eq!(stats.messages_in.now, Some(30.0));
        assert_eq!(stats.messages_out.now, Some(10.0), "the 1-minute load, per second");
        assert_eq!(stats.bytes_in, Rate::default());
    }

    #[test]
    fn any_sys_tree_is_listed() {
        let mut model = Model::default();
        assert!(!has_sys(&model));
        at(&mut model, 1, "$SYS/aedes-1/uptime", "42");
        at(&mut model, 1, "$SYS/aedes-1/clients/total", "2");
        at(&mut model, 1, "home/light", "on");
        assert!(has_sys(&model));
        let (rows, more) = sys_topics(&model, 10);
        assert_eq!(
            rows,
            [
                ("$SYS/aedes-1/clients/total".to_owned(), "2".to_owned()),
                ("$SYS/aedes-1/uptime".to_owned(), "42".to_owned())
            ]
        );
        assert!(!more);
        assert!(sys_topics(&model, 1).1, "one row, and more to come");
        assert!(BrokerStats::read(&model).is_none(), "not Mosquitto's layout");
    }
}

//! What a Sparkplug B host keeps per edge node: the names behind the aliases
//! of its NBIRTH and each device's DBIRTH (later NDATA/DDATA carry aliases
//! only), whether it is online, and its sequence numbers (0–255, one counter
//! per edge node across its devices), so gaps and births/deaths can be shown.
//! Plain data, fed by `Model::apply` in arrival order; no egui, no tokio.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::payload::sparkplug::{AliasNames, Payload, birth_aliases, sequence, with_birth_names};

/// The `bdSeq` metric of an NBIRTH or NDEATH.
fn bd_seq(payload: &[u8]) -> Option<u64> {
    use prost::Message as _;
    let decoded = Payload::decode(payload).ok()?;
    let metric = decoded.metrics.iter().find(|m| m.name.as_deref() == Some("bdSeq"))?;
    match metric.value {
        Some(crate::payload::sparkplug::MetricValue::Long(v)) => Some(v),
        Some(crate::payload::sparkplug::MetricValue::Int(v)) => Some(u64::from(v)),
        _ => None,
    }
}

/// The parts of a Sparkplug topic: `spBv1.0/<group>/<type>/<node>[/<device>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparkplugTopic<'a> {
    pub group: &'a str,
    pub kind: &'a str,
    pub node: &'a str,
    pub device: Option<&'a str>,
}

impl<'a> SparkplugTopic<'a> {
    pub fn parse(topic: &'a str) -> Option<Self> {
        let mut parts = topic.strip_prefix("spBv1.0/")?.splitn(4, '/');
        let group = parts.next()?;
        let kind = parts.next()?;
        let node = parts.next()?;
        let device = parts.next();
        matches!(
            kind,
            "NBIRTH" | "NDEATH" | "DBIRTH" | "DDEATH" | "NDATA" | "DDATA" | "NCMD" | "DCMD"
        )
        .then_some(Self {
            group,
            kind,
            node,
            device,
        })
    }

    /// The topic to send an edge node its commands (NCMD).
    pub fn node_command_topic(&self) -> String {
        format!("spBv1.0/{}/NCMD/{}", self.group, self.node)
    }
}

/// One edge node as seen so far.
#[derive(Debug, Default, Clone)]
pub struct EdgeNode {
    pub online: bool,
    /// Names by alias from the NBIRTH.
    aliases: AliasNames,
    /// Names by alias from each device's DBIRTH.
    devices: HashMap<String, AliasNames>,
    /// The sequence number the next message should carry.
    expected_seq: Option<u64>,
    /// Messages whose sequence number was not the one expected.
    pub gaps: u64,
    /// The bdSeq of the last NBIRTH: an NDEATH with another one is a stale will.
    birth_bd_seq: Option<u64>,
    /// The last thing worth saying: "NBIRTH", "NDEATH", "gap: expected 4, got 6".
    pub last_event: String,
}

#[derive(Debug, Default)]
pub struct Sparkplug {
    nodes: HashMap<(String, String), EdgeNode>,
}

impl Sparkplug {
    pub fn node(&self, group: &str, node: &str) -> Option<&EdgeNode> {
        self.nodes.get(&(group.to_owned(), node.to_owned()))
    }

    /// Take note of one message (only `spBv1.0/` topics do anything).
    pub fn observe(&mut self, topic: &str, payload: &[u8]) {
        let Some(t) = SparkplugTopic::parse(topic) else {
            return;
        };
        if matches!(t.kind, "NCMD" | "DCMD") {
            return; // commands come from hosts, not from the node: no sequence
        }
        let node = self.nodes.entry((t.group.to_owned(), t.node.to_owned())).or_default();
        match t.kind {
            "NBIRTH" => {
                node.online = true;
                node.birth_bd_seq = bd_seq(payload);
                node.aliases = birth_aliases(payload).unwrap_or_default();
                node.devices.clear();
                node.last_event = "NBIRTH".into();
            }
            "DBIRTH" => {
                if let Some(device) = t.device {
                    node.devices
                        .insert(device.to_owned(), birth_aliases(payload).unwrap_or_default());
                }
            }
            "NDEATH" => {
                // The will of an earlier session, delivered late, does not end this one.
                if let (Some(death), Some(birth)) = (bd_seq(payload), node.birth_bd_seq)
                    && death != birth
                {
                    node.last_event = format!("stale NDEATH ignored (bdSeq {death}, birth had {birth})");
                    return;
                }
                node.online = false;
                node.expected_seq = None;
                node.last_event = "NDEATH".into();
                return; // an NDEATH carries bdSeq, not seq
            }
            _ => {}
        }
        let Some(seq) = sequence(payload) else {
            return;
        };
        if t.kind != "NBIRTH"
            && let Some(expected) = node.expected_seq
            && seq != expected
        {
            node.gaps += 1;
            node.last_event = format!("sequence gap: expected {expected}, got {seq}");
        }
        node.expected_seq = Some((seq % 256 + 1) % 256);
    }

    /// The names behind the aliases that apply to `topic`: its device's DBIRTH
    /// first, then its node's NBIRTH (aliases are unique across an edge node).
    pub fn births(&self, topic: &str) -> Option<AliasNames> {
        self.names_for(&SparkplugTopic::parse(topic)?).map(Cow::into_owned)
    }

    /// `payload` with alias-only metrics named from the births, if any needed it.
    pub fn named(&self, topic: &str, payload: &[u8]) -> Option<Vec<u8>> {
        let t = SparkplugTopic::parse(topic)?;
        if !matches!(t.kind, "NDATA" | "DDATA" | "NCMD" | "DCMD") {
            return None;
        }
        let names = self.names_for(&t)?;
        with_birth_names(payload, &names)
    }

    /// The node's names, with its device's on top; borrowed when there is no
    /// device map to merge (the per-message path of charts copies nothing).
    fn names_for(&self, t: &SparkplugTopic<'_>) -> Option<Cow<'_, AliasNames>> {
        let node = self.node(t.group, t.node)?;
        let names = match t.device.and_then(|d| node.devices.get(d)) {
            None => Cow::Borrowed(&node.aliases),
            Some(device) => {
                let mut names = node.aliases.clone();
                names.extend(device.iter().map(|(k, v)| (*k, v.clone())));
                Cow::Owned(names)
            }
        };
        (!names.is_empty()).then_some(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::sparkplug::{Metric, MetricValue, Payload};
    use prost::Message as _;

    fn with_seq(seq: u64) -> Vec<u8> {
        Payload {
            seq: Some(seq),
            metrics: vec![Metric {
                alias: Some(7),
                value: Some(MetricValue::Double(1.5)),
                ..Metric::default()
            }],
            ..Payload::default()
        }
        .encode_to_vec()
    }

    #[test]
    fn sequence_numbers_wrap_at_256_and_a_jump_is_a_gap() {
        let mut spb = Sparkplug::default();
        let birth = Payload {
            seq: Some(254),
            metrics: vec![Metric {
                name: Some("Pressure".into()),
                alias: Some(7),
                datatype: Some(10),
                ..Metric::default()
            }],
            ..Payload::default()
        }
        .encode_to_vec();
        spb.observe("spBv1.0/g/NBIRTH/n", &birth);
        spb.observe("spBv1.0/g/NDATA/n", &with_seq(255));
        spb.observe("spBv1.0/g/NDATA/n", &with_seq(0));
        assert_eq!(spb.node("g", "n").unwrap().gaps, 0, "255 then 0 is no gap");
        spb.observe("spBv1.0/g/NDATA/n", &with_seq(2));
        let node = spb.node("g", "n").unwrap();
        assert_eq!(
            (node.gaps, node.last_event.as_str()),
            (1, "sequence gap: expected 1, got 2")
        );
        // Named for charts, the stored bytes untouched.
        let named = spb.named("spBv1.0/g/NDATA/n", &with_seq(3)).unwrap();
        let decoded = Payload::decode(&named[..]).unwrap();
        assert_eq!(decoded.metrics[0].name.as_deref(), Some("Pressure"));
        assert_eq!(crate::payload::extract_number(&named, "metric:Pressure"), Some(1.5));
        // No overflow on a hostile sequence number.
        spb.observe("spBv1.0/g/NDATA/n", &with_seq(u64::MAX));
        // A death: offline, and the next birth starts the count again.
        spb.observe("spBv1.0/g/NDEATH/n", &[]);
        assert!(!spb.node("g", "n").unwrap().online);
        assert!(
            spb.named("spBv1.0/other/NDATA/n", &with_seq(3)).is_none(),
            "another group's node"
        );
        assert!(SparkplugTopic::parse("spBv1.0/STATE/host").is_none());
    }

    #[test]
    fn a_late_will_of_an_earlier_session_does_not_end_the_current_one() {
        let with_bd_seq = |seq: Option<u64>, bd: u64| {
            Payload {
                seq,
                metrics: vec![Metric {
                    name: Some("bdSeq".into()),
                    datatype: Some(4),
                    value: Some(MetricValue::Long(bd)),
                    ..Metric::default()
                }],
                ..Payload::default()
            }
            .encode_to_vec()
        };
        let mut spb = Sparkplug::default();
        spb.observe("spBv1.0/g/NBIRTH/n", &with_bd_seq(Some(0), 1));
        spb.observe("spBv1.0/g/NDEATH/n", &with_bd_seq(None, 0));
        let node = spb.node("g", "n").unwrap();
        assert!(node.online, "{}", node.last_event);
        assert!(node.last_event.contains("stale NDEATH"));
        spb.observe("spBv1.0/g/NDEATH/n", &with_bd_seq(None, 1));
        assert!(!spb.node("g", "n").unwrap().online);
    }
}

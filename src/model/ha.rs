//! Home Assistant MQTT discovery: config messages on
//! `<prefix>/<component>/[<node_id>/]<object_id>/config` describe an entity
//! (its name, its device, its state and command topics, unit, device class).
//! Kept as an index from each state/command topic to what it is, so the tree
//! and the inspector can say "Living room sensor · Temperature" next to
//! `home/livingroom/temp`. Full and abbreviated keys (`stat_t`, `~`) are read.

use std::collections::HashMap;

use serde_json::Value;

pub const DEFAULT_PREFIX: &str = "homeassistant";

/// What a topic is to Home Assistant.
#[derive(Debug, Clone, PartialEq)]
pub struct HaEntity {
    /// `sensor`, `switch`, `light`, …
    pub component: String,
    pub name: Option<String>,
    pub device: Option<String>,
    pub unit: Option<String>,
    pub device_class: Option<String>,
    /// "state", "command", "availability", …
    pub role: &'static str,
    /// The config topic that said so.
    pub config_topic: String,
}

impl HaEntity {
    /// "Living room sensor · Temperature" (or whichever of the two is known).
    pub fn title(&self) -> String {
        match (&self.device, &self.name) {
            (Some(d), Some(n)) if n != d => format!("{d} · {n}"),
            (Some(d), _) => d.clone(),
            (None, Some(n)) => n.clone(),
            (None, None) => self.component.clone(),
        }
    }
}

#[derive(Debug)]
pub struct HomeAssistant {
    prefix: String,
    /// State/command topic → entity.
    by_topic: HashMap<String, HaEntity>,
    /// Config topic → the topics it described (to forget them when it goes).
    configs: HashMap<String, Vec<String>>,
}

impl Default for HomeAssistant {
    fn default() -> Self {
        Self::new(DEFAULT_PREFIX)
    }
}

/// Topic keys of a discovery config, full and abbreviated, with their role.
const TOPIC_KEYS: [(&str, &str, &str); 5] = [
    ("state_topic", "stat_t", "state"),
    ("command_topic", "cmd_t", "command"),
    ("json_attributes_topic", "json_attr_t", "attributes"),
    ("availability_topic", "avty_t", "availability"),
    ("brightness_command_topic", "bri_cmd_t", "brightness command"),
];

impl HomeAssistant {
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.trim_matches('/').to_owned(),
            by_topic: HashMap::new(),
            configs: HashMap::new(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn get(&self, topic: &str) -> Option<&HaEntity> {
        self.by_topic.get(topic)
    }

    pub fn len(&self) -> usize {
        self.by_topic.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_topic.is_empty()
    }

    /// Look at one message: a discovery config adds (or, when empty, removes)
    /// an entity. Anything else costs one prefix comparison.
    pub fn observe(&mut self, topic: &str, payload: &[u8]) {
        let Some(rest) = topic
            .strip_prefix(self.prefix.as_str())
            .and_then(|r| r.strip_prefix('/'))
            .and_then(|r| r.strip_suffix("/config"))
        else {
            return;
        };
        let levels: Vec<&str> = rest.split('/').collect();
        if !(2..=3).contains(&levels.len()) {
            return;
        }
        let component = levels[0];
        self.forget(topic);
        if payload.is_empty() {
            return;
        }
        let Ok(config) = serde_json::from_slice::<Value>(payload) else {
            return;
        };
        let get = |full: &str, short: &str| -> Option<String> {
            config
                .get(full)
                .or_else(|| config.get(short))
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let base = get("~", "~");
        let device = config
            .get("device")
            .or_else(|| config.get("dev"))
            .and_then(|d| d.get("name"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mut described = Vec::new();
        for (full, short, role) in TOPIC_KEYS {
            let Some(mut target) = get(full, short) else { continue };
            if let Some(base) = &base {
                if let Some(rest) = target.strip_prefix('~') {
                    target = format!("{base}{rest}");
                } else if let Some(start) = target.strip_suffix('~') {
                    target = format!("{start}{base}");
                }
            }
            self.by_topic.insert(
                target.clone(),
                HaEntity {
                    component: component.to_owned(),
                    name: get("name", "name"),
                    device: device.clone(),
                    unit: get("unit_of_measurement", "unit_of_meas"),
                    device_class: get("device_class", "dev_cla"),
                    role,
                    config_topic: topic.to_owned(),
                },
            );
            described.push(target);
        }
        self.configs.insert(topic.to_owned(), described);
    }

    fn forget(&mut self, config_topic: &str) {
        for topic in self.configs.remove(config_topic).unwrap_or_default() {
            if self
                .by_topic
                .get(&topic)
                .is_some_and(|e| e.config_topic == config_topic)
            {
                self.by_topic.remove(&topic);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_names_state_and_command_topics() {
        let mut ha = HomeAssistant::default();
        ha.observe(
            "homeassistant/sensor/livingroom/temperature/config",
            r#"{"name": "Temperature", "state_topic": "home/livingroom/temp",
                 "unit_of_measurement": "°C", "device_class": "temperature",
                 "device": {"name": "Living room sensor", "identifiers": ["lr1"]}}"#
                .as_bytes(),
        );
        // Abbreviated keys, `~`, no node id.
        ha.observe(
            "homeassistant/switch/kettle/config",
            br#"{"~": "kitchen/kettle", "name": "Kettle", "stat_t": "~/state", "cmd_t": "~/set",
                 "dev": {"name": "Kitchen plug"}}"#,
        );
        let temp = ha.get("home/livingroom/temp").unwrap();
        assert_eq!(temp.title(), "Living room sensor · Temperature");
        assert_eq!(
            (temp.unit.as_deref(), temp.device_class.as_deref()),
            (Some("°C"), Some("temperature"))
        );
        assert_eq!((temp.component.as_str(), temp.role), ("sensor", "state"));
        assert_eq!(ha.get("kitchen/kettle/state").unwrap().title(), "Kitchen plug · Kettle");
        assert_eq!(ha.get("kitchen/kettle/set").unwrap().role, "command");
        assert_eq!(ha.len(), 3);

        // Not discovery: ignored; broken JSON: ignored; wrong depth: ignored.
        ha.observe("home/livingroom/temp", b"21.5");
        ha.observe("homeassistant/sensor/x/config", b"{not json");
        ha.observe("homeassistant/config", b"{}");
        ha.observe("homeassistant/a/b/c/d/config", br#"{"state_topic": "q"}"#);
        assert_eq!(ha.len(), 3);

        // An empty config removes the entity.
        ha.observe("homeassistant/switch/kettle/config", b"");
        assert!(ha.get("kitchen/kettle/state").is_none());
        assert_eq!(ha.len(), 1);
    }

    #[test]
    fn the_prefix_is_configurable() {
        let mut ha = HomeAssistant::new("ha-discovery/");
        ha.observe("homeassistant/sensor/a/config", br#"{"state_topic": "a"}"#);
        assert!(ha.is_empty());
        ha.observe("ha-discovery/sensor/a/config", br#"{"state_topic": "a", "name": "A"}"#);
        assert_eq!(ha.get("a").unwrap().title(), "A");
        assert_eq!(ha.prefix(), "ha-discovery");
    }
}

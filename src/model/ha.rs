//! Home Assistant MQTT discovery: config messages on
//! `<prefix>/<component>/[<node_id>/]<object_id>/config` describe an entity
//! (its name, its device, its state and command topics, unit, device class).
//! Kept as an index from each state/command topic to what it is, so the tree
//! and the inspector can say "Living room sensor · Temperature" next to
//! `home/livingroom/temp`. Full and abbreviated keys (`stat_t`, `~`) are read,
//! availability lists too; a device named in one config names the entities of
//! every config with the same `dev.ids` (string or list), as Tasmota and
//! ESPHome send it. Besides the configured prefix, a config under any other
//! prefix is recognised by its shape (`<prefix>/<known component>/…/config`
//! with a JSON object), as Shelly's own scripts use custom prefixes.

use std::collections::HashMap;

use serde_json::Value;

pub const DEFAULT_PREFIX: &str = "homeassistant";

/// What one discovery config says, shared by every topic it names (a light
/// has a state, a command, a brightness and an availability topic: one copy of
/// its strings, not four).
#[derive(Debug, Clone, PartialEq)]
pub struct HaConfig {
    /// `sensor`, `switch`, `light`, …
    pub component: String,
    pub name: Option<String>,
    pub device: Option<String>,
    /// `dev.ids`: the device's identifiers, to find its name in another config.
    pub device_ids: Vec<String>,
    pub unit: Option<String>,
    pub device_class: Option<String>,
    /// The config topic that said so.
    pub config_topic: String,
}

/// What a topic is to Home Assistant: its config's, in a role. Reads as
/// its config (`entity.component`).
#[derive(Debug, Clone, PartialEq)]
pub struct HaEntity {
    config: std::sync::Arc<HaConfig>,
    /// "state", "command", "availability", …
    pub role: &'static str,
}

impl std::ops::Deref for HaEntity {
    type Target = HaConfig;

    fn deref(&self) -> &HaConfig {
        &self.config
    }
}

impl HaEntity {
    /// Whether both were described by the same config (and share its strings).
    pub fn shares_config_with(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.config, &other.config)
    }
}

impl HaConfig {
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

/// The components of Home Assistant's MQTT integration: a `/config` topic whose
/// second level is one of these is recognised under any prefix.
const COMPONENTS: [&str; 30] = [
    "alarm_control_panel",
    "binary_sensor",
    "button",
    "camera",
    "climate",
    "cover",
    "date",
    "datetime",
    "device_automation",
    "device_tracker",
    "event",
    "fan",
    "humidifier",
    "image",
    "lawn_mower",
    "light",
    "lock",
    "notify",
    "number",
    "scene",
    "select",
    "sensor",
    "siren",
    "switch",
    "tag",
    "text",
    "time",
    "update",
    "vacuum",
    "valve",
];

#[derive(Debug)]
pub struct HomeAssistant {
    prefix: String,
    /// Device identifier → the name a config gave it.
    device_names: HashMap<String, String>,
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
            device_names: HashMap::new(),
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

    /// The entity's title, its device named by any config of the same device.
    pub fn title(&self, entity: &HaEntity) -> String {
        if entity.device.is_some() {
            return entity.title();
        }
        let device = entity
            .device_ids
            .iter()
            .find_map(|id| self.device_names.get(id))
            .cloned();
        HaConfig {
            device,
            ..HaConfig::clone(entity)
        }
        .title()
    }

    /// The levels of a discovery config topic below its prefix, if it is one:
    /// under the configured prefix, or under any one-level prefix when the
    /// component is Home Assistant's.
    fn discovery_levels<'t>(&self, topic: &'t str) -> Option<Vec<&'t str>> {
        let rest = topic.strip_suffix("/config")?;
        if let Some(below) = rest
            .strip_prefix(self.prefix.as_str())
            .and_then(|r| r.strip_prefix('/'))
        {
            let levels: Vec<&str> = below.split('/').collect();
            return (2..=3).contains(&levels.len()).then_some(levels);
        }
        let (_, below) = rest.split_once('/')?;
        let levels: Vec<&str> = below.split('/').collect();
        ((2..=3).contains(&levels.len()) && COMPONENTS.contains(&levels[0])).then_some(levels)
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
        if !topic.ends_with("/config") {
            return;
        }
        let Some(levels) = self.discovery_levels(topic) else {
            return;
        };
        let component = levels[0];
        self.forget(topic);
        if payload.is_empty() {
            return;
        }
        let Ok(config) = serde_json::from_slice::<Value>(payload) else {
            return;
        };
        if !config.is_object() {
            return;
        }
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
        let dev = config.get("device").or_else(|| config.get("dev"));
        let device = dev
            .and_then(|d| d.get("name"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let device_ids: Vec<String> = match dev.and_then(|d| d.get("identifiers").or_else(|| d.get("ids"))) {
            Some(Value::String(id)) => vec![id.clone()],
            Some(Value::Array(ids)) => ids.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        if let Some(name) = &device {
            for id in &device_ids {
                self.device_names.insert(id.clone(), name.clone());
            }
        }
        let expand = |target: String| match &base {
            Some(base) => {
                if let Some(rest) = target.strip_prefix('~') {
                    format!("{base}{rest}")
                } else if let Some(start) = target.strip_suffix('~') {
                    format!("{start}{base}")
                } else {
                    target
                }
            }
            None => target,
        };
        // Availability as a list: [{"topic": …}] or abbreviated [{"t": …}].
        let availability = config
            .get("availability")
            .or_else(|| config.get("avty"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|a| a.get("topic").or_else(|| a.get("t")).and_then(Value::as_str))
            .map(|t| (t.trim().to_owned(), "availability"));
        let single = TOPIC_KEYS
            .iter()
            .filter_map(|(full, short, role)| get(full, short).map(|t| (t, *role)));
        let targets: Vec<(String, &'static str)> = single.chain(availability).collect();
        let mut described = Vec::new();
        let shared = std::sync::Arc::new(HaConfig {
            component: component.to_owned(),
            name: get("name", "name"),
            device: device.clone(),
            device_ids: device_ids.clone(),
            unit: get("unit_of_measurement", "unit_of_meas"),
            device_class: get("device_class", "dev_cla"),
            config_topic: topic.to_owned(),
        });
        for (target, role) in targets {
            let target = expand(target);
            if target.is_empty() {
                continue;
            }
            // An availability topic shared by the entities of several devices
            // (Zigbee2MQTT's bridge/state) is named as such, not after one of them.
            if role == "availability"
                && let Some(existing) = self.by_topic.get_mut(&target)
            {
                // A topic that is some entity's state stays named after that entity.
                if existing.role == "availability" && (existing.device_ids != device_ids || existing.device != device) {
                    existing.config = std::sync::Arc::new(HaConfig {
                        device: None,
                        device_ids: Vec::new(),
                        name: Some("availability of several devices".into()),
                        ..HaConfig::clone(&existing.config)
                    });
                }
                continue;
            }
            self.by_topic.insert(
                target.clone(),
                HaEntity {
                    config: shared.clone(),
                    role,
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
        // The two topics of one config share its strings (one copy per config).
        let (state, set) = (
            ha.get("kitchen/kettle/state").unwrap(),
            ha.get("kitchen/kettle/set").unwrap(),
        );
        assert!(state.shares_config_with(set));
        assert!(!state.shares_config_with(temp));

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
        // A prefix of several levels (not recognisable by shape) is found once configured.
        let mut ha = HomeAssistant::new("site/ha-discovery/");
        ha.observe(
            "site/ha-discovery/sensor/a/config",
            br#"{"state_topic": "a", "name": "A"}"#,
        );
        assert_eq!(ha.get("a").unwrap().title(), "A");
        assert_eq!(ha.prefix(), "site/ha-discovery");
        // The usual prefix still reads by its shape.
        ha.observe("homeassistant/sensor/b/config", br#"{"state_topic": "b", "name": "B"}"#);
        assert_eq!(ha.get("b").unwrap().title(), "B");
        // Under another configured prefix, a shape that is not a component is ignored.
        ha.observe("site/other/thing/config", br#"{"state_topic": "c"}"#);
        assert!(ha.get("c").is_none());
    }

    #[test]
    fn devices_named_elsewhere_availability_lists_and_custom_prefixes() {
        let mut ha = HomeAssistant::default();
        // Tasmota: the status config names the device; the sensor's has only its ids (a list).
        ha.observe(
            "homeassistant/sensor/8A3F2C_AM2301_Temperature/config",
            br#"{"name":"Tasmota AM2301 Temperature","stat_t":"tele/tasmota_8A3F2C/SENSOR","dev":{"ids":["8A3F2C"]}}"#,
        );
        ha.observe(
            "homeassistant/sensor/8A3F2C_status/config",
            br#"{"name":"Tasmota status","stat_t":"tele/tasmota_8A3F2C/HASS_STATE","dev":{"ids":["8A3F2C"],"name":"Tasmota","mdl":"Sonoff TH"}}"#,
        );
        let sensor = ha.get("tele/tasmota_8A3F2C/SENSOR").unwrap();
        assert_eq!(ha.title(sensor), "Tasmota · Tasmota AM2301 Temperature");
        // dev.ids as a plain string.
        ha.observe(
            "homeassistant/sensor/plug/power/config",
            br#"{"name":"Power","stat_t":"plug/power","dev":{"ids":"plug-1"}}"#,
        );
        ha.observe(
            "homeassistant/switch/plug/relay/config",
            br#"{"name":"Relay","stat_t":"plug/relay","dev":{"ids":"plug-1","name":"Desk plug"}}"#,
        );
        assert_eq!(ha.title(ha.get("plug/power").unwrap()), "Desk plug · Power");
        // Zigbee2MQTT: the bridge's state is every entity's availability.
        ha.observe(
            "homeassistant/sensor/0x00178801/temperature/config",
            br#"{"availability":[{"topic":"zigbee2mqtt/bridge/state"}],"state_topic":"zigbee2mqtt/weather_sensor","device":{"identifiers":["zigbee2mqtt_0x00178801"],"name":"weather_sensor"}}"#,
        );
        let bridge = ha.get("zigbee2mqtt/bridge/state").unwrap();
        assert_eq!(
            (bridge.role, ha.title(bridge).as_str()),
            ("availability", "weather_sensor")
        );
        // Shelly's script: a custom prefix, abbreviated availability with `~`.
        ha.observe(
            "garage_homeassistant/switch/shellyplus1-c4dd57877294/switch/config",
            br#"{"~":"shellyplus1-c4dd57877294/","name":"Switch","stat_t":"~switch/state","avty":[{"t":"~online"}],"dev":{"ids":["c4dd57877294"],"name":"Garage door"}}"#,
        );
        assert_eq!(
            ha.title(ha.get("shellyplus1-c4dd57877294/switch/state").unwrap()),
            "Garage door · Switch"
        );
        assert_eq!(ha.get("shellyplus1-c4dd57877294/online").unwrap().role, "availability");
        // Not a component of Home Assistant under an unknown prefix: not discovery.
        ha.observe("app/settings/ui/config", br#"{"state_topic":"x"}"#);
        assert!(ha.get("x").is_none());
        // The empty config removes what it described, under a custom prefix too.
        ha.observe(
            "garage_homeassistant/switch/shellyplus1-c4dd57877294/switch/config",
            b"",
        );
        assert!(ha.get("shellyplus1-c4dd57877294/switch/state").is_none());
    }

    #[test]
    fn a_state_topic_keeps_its_entity_when_others_use_it_for_availability() {
        let mut ha = HomeAssistant::default();
        ha.observe(
            "homeassistant/binary_sensor/bridge/connection_state/config",
            br#"{"name":"Connection state","state_topic":"zigbee2mqtt/bridge/state","device":{"identifiers":["bridge"],"name":"Zigbee2MQTT Bridge"}}"#,
        );
        for (id, name) in [("a", "weather"), ("b", "switch")] {
            ha.observe(
                &format!("homeassistant/sensor/{id}/x/config"),
                format!(r#"{{"availability":[{{"topic":"zigbee2mqtt/bridge/state"}}],"state_topic":"zigbee2mqtt/{name}","device":{{"identifiers":["{id}"],"name":"{name}"}}}}"#).as_bytes(),
            );
        }
        let bridge = ha.get("zigbee2mqtt/bridge/state").unwrap();
        assert_eq!(
            (bridge.role, ha.title(bridge).as_str()),
            ("state", "Zigbee2MQTT Bridge · Connection state")
        );
    }
}

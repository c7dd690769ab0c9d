//! MQTTX's other export formats, turned into the JSON shape of its JSON
//! export so one reader maps them all (`import::from_mqttx`):
//!
//! - YAML (`js-yaml` dump of the same objects), read with yaml-rust2;
//! - XML (`xml-js` compact: `<root><oneConnection>…`, every value a text
//!   node, repeated elements for lists), read with roxmltree;
//! - CSV (one row per connection; nested fields as JSON text; `="5.0"` for
//!   the version so spreadsheets keep it), read with the csv crate.
//!
//! Values that lost their type on the way (XML and CSV hold only text) stay
//! text here; the reader accepts `"true"` and `"1883"` where it expects a
//! boolean or a number.

use serde_json::{Map, Value};

/// The connections of a YAML export, or why it is not one.
pub fn from_yaml(text: &str) -> Result<Value, String> {
    let docs = yaml_rust2::YamlLoader::load_from_str(text).map_err(|e| format!("Not a YAML file: {e}"))?;
    let doc = docs.into_iter().next().ok_or("The YAML file is empty.")?;
    Ok(yaml_to_json(doc))
}

fn yaml_to_json(yaml: yaml_rust2::Yaml) -> Value {
    use yaml_rust2::Yaml;
    match yaml {
        Yaml::Real(r) => r
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::String(r), Value::Number),
        Yaml::Integer(i) => Value::from(i),
        Yaml::String(s) => Value::String(s),
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Array(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Yaml::Hash(hash) => Value::Object(
            hash.into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) => s,
                        Yaml::Integer(i) => i.to_string(),
                        Yaml::Real(r) => r,
                        Yaml::Boolean(b) => b.to_string(),
                        _ => String::new(),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// Keys that are lists in MQTTX's connection objects, even with one element.
const LISTS: [&str; 2] = ["subscriptions", "messages"];

/// The connections of an XML export, or why it is not one.
pub fn from_xml(text: &str) -> Result<Value, String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("Not an XML file: {e}"))?;
    let connections: Vec<Value> = doc
        .root_element()
        .children()
        .filter(|n| n.is_element() && n.tag_name().name() == "oneConnection")
        .map(element_to_json)
        .collect();
    if connections.is_empty() {
        return Err("The XML file holds no <oneConnection> (MQTTX's export).".into());
    }
    Ok(Value::Array(connections))
}

fn element_to_json(node: roxmltree::Node<'_, '_>) -> Value {
    let children: Vec<roxmltree::Node<'_, '_>> = node.children().filter(|c| c.is_element()).collect();
    if children.is_empty() {
        return Value::String(node.text().unwrap_or_default().to_owned());
    }
    let mut map = Map::new();
    for child in children {
        let key = child.tag_name().name().to_owned();
        let value = element_to_json(child);
        match map.get_mut(&key) {
            Some(Value::Array(items)) if LISTS.contains(&key.as_str()) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None if LISTS.contains(&key.as_str()) => {
                map.insert(key, Value::Array(vec![value]));
            }
            None => {
                map.insert(key, value);
            }
        }
    }
    Value::Object(map)
}

/// The connections of a CSV export, or why it is not one.
pub fn from_csv(text: &str) -> Result<Value, String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| format!("Not a CSV file: {e}"))?.clone();
    let mut connections = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("The CSV file could not be read: {e}"))?;
        let mut map = Map::new();
        for (key, field) in headers.iter().zip(record.iter()) {
            // `="5.0"`: how the export keeps a spreadsheet from turning 5.0 into 5.
            let field = field
                .strip_prefix("=\"")
                .and_then(|f| f.strip_suffix('"'))
                .unwrap_or(field);
            let value = match key {
                "subscriptions" | "messages" | "will" | "properties" if !field.is_empty() => {
                    serde_json::from_str(field).unwrap_or(Value::Null)
                }
                _ => Value::String(field.to_owned()),
            };
            map.insert(key.to_owned(), value);
        }
        connections.push(Value::Object(map));
    }
    Ok(Value::Array(connections))
}

/// A boolean that may have become text ("true"/"false").
pub fn flag(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A whole number that may have become text ("60").
pub fn number(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::profiles::{ImportSource, import};
    use crate::vocab::{ProtocolVersion, Transport};

    // One MQTTX connection (a WSS MQTT 5 dashboard with a will and a
    // subscription with options) in each of MQTTX's four export formats,
    // written the way its exporters write them.
    const JSON: &str = r#"[{"id":"8c2e","clientId":"mqttx_0c5d8e71","name":"Dashboard 仪表板","clean":false,"protocol":"wss","host":"mqtt.example.org","port":8084,"keepalive":30,"username":"dash","password":"wss-pass","path":"/mqtt","certType":"server","ssl":true,"mqttVersion":"5.0","clientIdWithTime":false,"rejectUnauthorized":true,"ca":"","cert":"","key":"",
        "subscriptions":[{"id":"s1","topic":"仪表/#","qos":2,"nl":true,"rap":true,"rh":2}],
        "will":{"lastWillTopic":"dash/status","lastWillPayload":"offline","lastWillQos":1,"lastWillRetain":true,"properties":{"willDelayInterval":5}},
        "properties":{"sessionExpiryInterval":7200,"receiveMaximum":100,"topicAliasMaximum":null,"userProperties":{"team":"ops"}}}]"#;

    const YAML: &str = "- id: 8c2e\n  clientId: mqttx_0c5d8e71\n  name: Dashboard 仪表板\n  clean: false\n  protocol: wss\n  host: mqtt.example.org\n  port: 8084\n  keepalive: 30\n  username: dash\n  password: wss-pass\n  path: /mqtt\n  certType: server\n  ssl: true\n  mqttVersion: '5.0'\n  clientIdWithTime: false\n  rejectUnauthorized: true\n  ca: ''\n  cert: ''\n  key: ''\n  subscriptions:\n    - id: s1\n      topic: 仪表/#\n      qos: 2\n      nl: true\n      rap: true\n      rh: 2\n  will:\n    lastWillTopic: dash/status\n    lastWillPayload: offline\n    lastWillQos: 1\n    lastWillRetain: true\n    properties:\n      willDelayInterval: 5\n  properties:\n    sessionExpiryInterval: 7200\n    receiveMaximum: 100\n    topicAliasMaximum: null\n    userProperties:\n      team: ops\n";

    const XML: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<root>\n<oneConnection>\n<id>8c2e</id>\n<clientId>mqttx_0c5d8e71</clientId>\n<name>Dashboard 仪表板</name>\n<clean>false</clean>\n<protocol>wss</protocol>\n<host>mqtt.example.org</host>\n<port>8084</port>\n<keepalive>30</keepalive>\n<username>dash</username>\n<password>wss-pass</password>\n<path>/mqtt</path>\n<certType>server</certType>\n<ssl>true</ssl>\n<mqttVersion>5.0</mqttVersion>\n<clientIdWithTime>false</clientIdWithTime>\n<rejectUnauthorized>true</rejectUnauthorized>\n<ca/>\n<cert/>\n<key/>\n<subscriptions>\n  <id>s1</id>\n  <topic>仪表/#</topic>\n  <qos>2</qos>\n  <nl>true</nl>\n  <rap>true</rap>\n  <rh>2</rh>\n</subscriptions>\n<will>\n  <lastWillTopic>dash/status</lastWillTopic>\n  <lastWillPayload>offline</lastWillPayload>\n  <lastWillQos>1</lastWillQos>\n  <lastWillRetain>true</lastWillRetain>\n  <properties>\n    <willDelayInterval>5</willDelayInterval>\n  </properties>\n</will>\n<properties>\n  <sessionExpiryInterval>7200</sessionExpiryInterval>\n  <receiveMaximum>100</receiveMaximum>\n  <topicAliasMaximum/>\n  <userProperties>\n    <team>ops</team>\n  </userProperties>\n</properties>\n</oneConnection>\n</root>";

    const CSV: &str = "\"id\",\"clientId\",\"name\",\"clean\",\"protocol\",\"host\",\"port\",\"keepalive\",\"username\",\"password\",\"path\",\"certType\",\"ssl\",\"mqttVersion\",\"clientIdWithTime\",\"rejectUnauthorized\",\"ca\",\"cert\",\"key\",\"subscriptions\",\"will\",\"properties\"\n\"8c2e\",\"mqttx_0c5d8e71\",\"Dashboard 仪表板\",false,\"wss\",\"mqtt.example.org\",8084,30,\"dash\",\"wss-pass\",\"/mqtt\",\"server\",true,=\"5.0\",false,true,\"\",\"\",\"\",\"[{\"\"id\"\":\"\"s1\"\",\"\"topic\"\":\"\"仪表/#\"\",\"\"qos\"\":2,\"\"nl\"\":true,\"\"rap\"\":true,\"\"rh\"\":2}]\",\"{\"\"lastWillTopic\"\":\"\"dash/status\"\",\"\"lastWillPayload\"\":\"\"offline\"\",\"\"lastWillQos\"\":1,\"\"lastWillRetain\"\":true,\"\"properties\"\":{\"\"willDelayInterval\"\":5}}\",\"{\"\"sessionExpiryInterval\"\":7200,\"\"receiveMaximum\"\":100,\"\"topicAliasMaximum\"\":null,\"\"userProperties\"\":{\"\"team\"\":\"\"ops\"\"}}\"\n";

    #[test]
    fn every_mqttx_export_format_gives_the_same_profile() {
        let from_json = import(JSON).unwrap();
        let p = &from_json.profiles[0];
        assert_eq!(from_json.source, ImportSource::Mqttx);
        assert_eq!(
            (p.name.as_str(), p.host.as_str(), p.port),
            ("Dashboard 仪表板", "mqtt.example.org", 8084)
        );
        assert_eq!(
            (p.transport, p.protocol, p.ws_path.as_str()),
            (Transport::Wss, ProtocolVersion::V5, "/mqtt")
        );
        assert_eq!((p.clean_session, p.keepalive_s, p.session_expiry_s), (false, 30, 7200));
        let sub = &p.subscriptions[0];
        assert_eq!(
            (
                sub.filter.as_str(),
                sub.qos,
                sub.no_local,
                sub.retain_as_published,
                sub.retain_handling
            ),
            ("仪表/#", 2, true, true, 2)
        );
        let will = p.will.as_ref().unwrap();
        assert_eq!(
            (will.topic.as_str(), will.qos, will.retain, will.delay_s),
            ("dash/status", 1, true, 5)
        );
        let notes = from_json.notes.join("\n");
        assert!(
            notes.contains("receive maximum, user properties are not imported"),
            "{notes}"
        );
        for (format, text) in [("YAML", YAML), ("XML", XML), ("CSV", CSV)] {
            let report = import(text).unwrap_or_else(|e| panic!("{format}: {e}"));
            assert_eq!(report.source, ImportSource::Mqttx, "{format}");
            assert_eq!(report.profiles, from_json.profiles, "{format} gives what JSON gives");
            assert_eq!(report.notes, from_json.notes, "{format}");
        }
    }

    #[test]
    fn what_is_none_of_them_is_named() {
        let err = import("just some words: [unclosed").unwrap_err();
        assert!(err.contains("MQTTX's exports (JSON, YAML, XML, CSV)"), "{err}");
        assert!(
            import("<?xml version=\"1.0\"?><root><other/></root>")
                .unwrap_err()
                .contains("oneConnection")
        );
    }
}

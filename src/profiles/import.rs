//! Moving over in one step: connections from MQTT Explorer's `settings.json`,
//! from MQTTX's exported connections JSON, and from an mqscope export. Each
//! entry is read on its own: a broken one is reported with its name and the
//! rest are imported; what cannot come along (a password, an embedded
//! certificate) is said per entry.

use base64::Engine as _;
use serde_json::Value;

use super::mqttx_formats::{flag, number};
use super::{Profile, SCHEMA_VERSION, migrate};
use crate::secret_store::PasswordStorage;
use crate::vocab::{LastWill, ProtocolVersion, Subscription, Transport};

/// Where the connections came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportSource {
    MqttExplorer,
    Mqttx,
    Mqscope,
}

impl ImportSource {
    pub fn label(self) -> &'static str {
        match self {
            Self::MqttExplorer => "MQTT Explorer",
            Self::Mqttx => "MQTTX",
            Self::Mqscope => "mqscope",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportReport {
    pub source: ImportSource,
    pub profiles: Vec<Profile>,
    /// The files stored inside each profile's entry (MQTT Explorer keeps its
    /// certificates in its settings), by profile: [`save_embedded`] writes them.
    pub files: Vec<Vec<EmbeddedFile>>,
    /// One line per entry that was skipped or imported without something.
    pub notes: Vec<String>,
}

/// Which file of a TLS set-up an embedded file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbeddedKind {
    Ca,
    ClientCert,
    ClientKey,
}

/// A certificate or key that another tool stored inside its settings.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddedFile {
    pub kind: EmbeddedKind,
    /// The file name the other tool kept with it (`client.key`).
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What reading one entry says besides the profile: notes, and files inside it.
#[derive(Debug, Default)]
struct Said {
    notes: Vec<String>,
    files: Vec<EmbeddedFile>,
}

impl Said {
    fn push(&mut self, note: String) {
        self.notes.push(note);
    }
}

/// Whether `path`'s folder already holds an entry whose name differs from it
/// only in case (a case-insensitive disk would take them for one).
fn sibling_differs_only_in_case(path: &std::path::Path) -> bool {
    let (Some(parent), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return false;
    };
    std::fs::read_dir(parent).into_iter().flatten().flatten().any(|entry| {
        entry
            .file_name()
            .to_str()
            .is_some_and(|other| other != name && other.eq_ignore_ascii_case(name))
    })
}

/// Write a profile's embedded files into `dir/<profile name>/` (readable by
/// the user only: a client key is a secret) and point the profile at them.
/// Returns a note per file, saying where it went or why it could not.
pub fn save_embedded(profile: &mut Profile, files: &[EmbeddedFile], dir: &std::path::Path) -> Vec<String> {
    let safe = |s: &str| -> String {
        let cleaned: String = s
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || "._- ()[]".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
        if cleaned.is_empty() { "file".to_owned() } else { cleaned }
    };
    // A folder of its own: names that clean up alike (`prod/eu`, `prod:eu`), or
    // differ only in case on a case-blind disk, never share one.
    let base = safe(&profile.name);
    let folder = (1..)
        .map(|n| if n == 1 { base.clone() } else { format!("{base} ({n})") })
        .map(|name| dir.join(name))
        .find(|f| !f.exists() && !sibling_differs_only_in_case(f))
        .unwrap_or_else(|| dir.join(&base));
    let mut notes = Vec::new();
    let mut used: Vec<String> = Vec::new();
    for file in files {
        // Two files of one profile with the same name (a CA and a certificate
        // both called cert.pem) are kept apart too.
        let mut name = safe(&file.name);
        if used.iter().any(|u| u.eq_ignore_ascii_case(&name)) {
            let prefix = match file.kind {
                EmbeddedKind::Ca => "ca",
                EmbeddedKind::ClientCert => "client-cert",
                EmbeddedKind::ClientKey => "client-key",
            };
            name = format!("{prefix}-{name}");
        }
        used.push(name.clone());
        let path = folder.join(&name);
        let what = match file.kind {
            EmbeddedKind::Ca => "CA certificate",
            EmbeddedKind::ClientCert => "client certificate",
            EmbeddedKind::ClientKey => "client key",
        };
        match crate::files::write_atomic(&path, &file.bytes, true) {
            Ok(()) => {
                let slot = match file.kind {
                    EmbeddedKind::Ca => &mut profile.tls.ca_file,
                    EmbeddedKind::ClientCert => &mut profile.tls.client_cert,
                    EmbeddedKind::ClientKey => &mut profile.tls.client_key,
                };
                *slot = Some(path.clone());
                notes.push(format!(
                    "'{}': its {what} was saved as {}",
                    profile.name,
                    path.display()
                ));
            }
            Err(e) => notes.push(format!(
                "'{}': its {what} ({}) could not be saved in {}: {e}",
                profile.name,
                file.name,
                folder.display()
            )),
        }
    }
    notes
}

/// Read a file of connections, whichever of the three formats it is.
pub fn import(text: &str) -> Result<ImportReport, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let trimmed = text.trim_start();
    let first_line = trimmed.lines().next().unwrap_or_default();
    // MQTTX's other export formats, read into the shape of its JSON.
    if trimmed.starts_with("<?xml") || trimmed.starts_with("<root") {
        let list = super::mqttx_formats::from_xml(text)?;
        return Ok(mqttx_list(&list));
    }
    if first_line.starts_with("\"id\",\"clientId\"") || first_line.starts_with("id,clientId") {
        let list = super::mqttx_formats::from_csv(text)?;
        return Ok(mqttx_list(&list));
    }
    let mut value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(json_error) => match super::mqttx_formats::from_yaml(text) {
            Ok(list @ Value::Array(_)) => return Ok(mqttx_list(&list)),
            _ => {
                return Err(format!(
                    "Not a file of connections (as JSON: line {}, column {}): this reads MQTT Explorer's settings.json, \
                     MQTTX's exports (JSON, YAML, XML, CSV) and mqscope exports.",
                    json_error.line(),
                    json_error.column()
                ));
            }
        },
    };
    if let Some(connections) = value.get("ConnectionManager_connections") {
        let Some(map) = connections.as_object() else {
            return Err("ConnectionManager_connections is not an object of connections.".into());
        };
        return Ok(collect(ImportSource::MqttExplorer, map.values(), from_mqtt_explorer));
    }
    if value.get("profiles").is_some() && value.get("version").is_some() {
        let version = value["version"].as_u64().unwrap_or(0);
        if version > u64::from(SCHEMA_VERSION) {
            return Err(format!(
                "This mqscope export is version {version}; this mqscope reads up to {SCHEMA_VERSION}. Update mqscope."
            ));
        }
        migrate(&mut value);
        let Some(list) = value["profiles"].as_array() else {
            return Err("\"profiles\" is not a list.".into());
        };
        return Ok(collect(ImportSource::Mqscope, list.iter(), from_mqscope));
    }
    // MQTTX: a list of connections, or an object holding one.
    let list = value
        .as_array()
        .or_else(|| value.get("connections").and_then(Value::as_array));
    match list {
        Some(list) => Ok(collect(ImportSource::Mqttx, list.iter(), from_mqttx)),
        None => Err(
            "No connections found: expected MQTT Explorer's settings.json, MQTTX's exported connections (a list), or an mqscope export."
                .into(),
        ),
    }
}

fn mqttx_list(list: &Value) -> ImportReport {
    collect(ImportSource::Mqttx, list.as_array().into_iter().flatten(), from_mqttx)
}

fn collect<'a>(
    source: ImportSource,
    entries: impl Iterator<Item = &'a Value>,
    read: fn(&Value, &mut Said) -> Result<Profile, String>,
) -> ImportReport {
    let mut profiles = Vec::new();
    let mut files = Vec::new();
    let mut notes = Vec::new();
    for (i, entry) in entries.enumerate() {
        let name = entry
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.trim().is_empty())
            .map_or_else(|| format!("entry {}", i + 1), |n| format!("'{}'", n.trim()));
        let mut said = Said::default();
        match read(entry, &mut said).and_then(|p| p.validate().map(|()| p)) {
            Ok(profile) => {
                profiles.push(profile);
                files.push(said.files);
                notes.extend(said.notes.into_iter().map(|s| format!("{name}: {s}")));
            }
            Err(e) => notes.push(format!("{name}: not imported: {e}")),
        }
    }
    ImportReport {
        source,
        profiles,
        files,
        notes,
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)?
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn port(v: &Value) -> Result<u16, String> {
    match v.get("port") {
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("the port {n} is not between 1 and 65535")),
        Some(Value::String(s)) => s
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("the port '{s}' is not between 1 and 65535")),
        _ => Err("it has no port".into()),
    }
}

fn subscriptions(v: &Value, said: &mut Said) -> Vec<Subscription> {
    let mut subs = Vec::new();
    for s in v.get("subscriptions").and_then(Value::as_array).into_iter().flatten() {
        // MQTT Explorer before its configVersion 1 kept plain strings.
        let Some(topic) = s.as_str().map(str::to_owned).or_else(|| text(s, "topic")) else {
            continue;
        };
        match crate::vocab::topic::validate_filter(&topic) {
            Ok(()) => {
                let mut sub = Subscription::new(&topic);
                sub.qos = number(s.get("qos")).unwrap_or(0).min(2) as u8;
                // MQTTX's MQTT 5 subscription options.
                sub.no_local = flag(s.get("nl")).unwrap_or(false);
                sub.retain_as_published = flag(s.get("rap")).unwrap_or(false);
                sub.retain_handling = number(s.get("rh")).unwrap_or(0).min(2) as u8;
                subs.push(sub);
            }
            Err(e) => said.push(format!("subscription left out: {e}")),
        }
    }
    subs
}

/// What both other explorers store alike: a password (said, not copied) and subscriptions.
fn with_common(mut profile: Profile, v: &Value, said: &mut Said) -> Profile {
    if text(v, "password").is_some() {
        said.push(
            "its saved password was not imported: mqscope asks for it when you connect (or save it in the form)".into(),
        );
    }
    let subs = subscriptions(v, said);
    if !subs.is_empty() {
        profile.subscriptions = subs;
    }
    profile
}

fn from_mqtt_explorer(v: &Value, said: &mut Said) -> Result<Profile, String> {
    if v.get("type").and_then(Value::as_str).is_some_and(|t| t != "mqtt") {
        return Err("not an MQTT connection".into());
    }
    let host = text(v, "host").ok_or("it has no host")?;
    let tls = v.get("encryption").and_then(Value::as_bool).unwrap_or(false);
    let ws = v.get("protocol").and_then(Value::as_str) == Some("ws");
    let mut profile = Profile {
        name: text(v, "name").unwrap_or_else(|| host.clone()),
        host,
        port: port(v)?,
        client_id: text(v, "clientId").unwrap_or_default(),
        username: text(v, "username").unwrap_or_default(),
        transport: match (ws, tls) {
            (false, false) => Transport::Tcp,
            (false, true) => Transport::Tls,
            (true, false) => Transport::Ws,
            (true, true) => Transport::Wss,
        },
        ..Profile::default()
    };
    if ws {
        profile.ws_path = format!("/{}", text(v, "basePath").unwrap_or_default().trim_start_matches('/'));
    }
    if tls && v.get("certValidation").and_then(Value::as_bool) == Some(false) {
        profile.tls.insecure = true;
        said.push("imported with certificate checks off (allow insecure), as it was".into());
    }
    // Certificates are stored inside the settings ({name, data: base64 of the file}).
    for (key, kind, what) in [
        ("selfSignedCertificate", EmbeddedKind::Ca, "CA certificate"),
        ("clientCertificate", EmbeddedKind::ClientCert, "client certificate"),
        ("clientKey", EmbeddedKind::ClientKey, "client key"),
    ] {
        let Some(entry) = v.get(key).filter(|c| c.is_object()) else {
            continue;
        };
        let name = text(entry, "name").unwrap_or_else(|| what.replace(' ', "-"));
        let data = text(entry, "data").unwrap_or_default();
        match base64::engine::general_purpose::STANDARD.decode(data.as_bytes()) {
            Ok(bytes) if !bytes.is_empty() => said.files.push(EmbeddedFile { kind, name, bytes }),
            _ => said.push(format!(
                "its {what} ({name}) could not be read from MQTT Explorer's file"
            )),
        }
    }
    Ok(with_common(profile, v, said))
}

fn from_mqttx(v: &Value, said: &mut Said) -> Result<Profile, String> {
    let host = text(v, "host").ok_or("it has no host")?;
    // MQTTX stores `host` with or without the scheme; `protocol` and `ssl` say the rest.
    let (scheme, host) = match host.split_once("://") {
        Some((scheme, rest)) => (Some(scheme.to_owned()), rest.trim_end_matches('/').to_owned()),
        None => (None, host),
    };
    let protocol = text(v, "protocol").or(scheme).unwrap_or_else(|| "mqtt".into());
    let ssl = flag(v.get("ssl")).unwrap_or(false);
    let transport = match protocol.as_str() {
        "mqtt" | "tcp" if ssl => Transport::Tls,
        "mqtt" | "tcp" => Transport::Tcp,
        "mqtts" | "ssl" | "tls" => Transport::Tls,
        "ws" if ssl => Transport::Wss,
        "ws" => Transport::Ws,
        "wss" => Transport::Wss,
        other => {
            return Err(format!(
                "the protocol '{other}' is not MQTT over TCP, TLS or WebSockets"
            ));
        }
    };
    let mut profile = Profile {
        name: text(v, "name").unwrap_or_else(|| host.clone()),
        host,
        port: port(v)?,
        client_id: text(v, "clientId").unwrap_or_default(),
        username: text(v, "username").unwrap_or_default(),
        transport,
        protocol: match text(v, "mqttVersion").as_deref() {
            Some("5.0" | "5") => ProtocolVersion::V5,
            _ => ProtocolVersion::V311,
        },
        ..Profile::default()
    };
    if let Some(clean) = flag(v.get("clean")) {
        profile.clean_session = clean;
    }
    if let Some(keepalive) = number(v.get("keepalive")) {
        profile.keepalive_s = keepalive.min(u64::from(u16::MAX)) as u16;
    }
    if matches!(transport, Transport::Ws | Transport::Wss)
        && let Some(path) = text(v, "path")
    {
        profile.ws_path = path;
    }
    if let Some(expiry) = number(v.get("properties").and_then(|p| p.get("sessionExpiryInterval"))) {
        profile.session_expiry_s = expiry.min(u64::from(u32::MAX)) as u32;
    }
    if matches!(transport, Transport::Tls | Transport::Wss) {
        for (key, slot) in [
            ("ca", &mut profile.tls.ca_file),
            ("cert", &mut profile.tls.client_cert),
            ("key", &mut profile.tls.client_key),
        ] {
            if let Some(path) = text(v, key) {
                *slot = Some(path.into());
            }
        }
        if flag(v.get("rejectUnauthorized")) == Some(false) {
            profile.tls.insecure = true;
            said.push("imported with certificate checks off (allow insecure), as it was".into());
        }
    }
    if let Some(will) = v.get("will")
        && let Some(topic) = text(will, "lastWillTopic")
    {
        profile.will = Some(LastWill {
            topic,
            payload: will
                .get("lastWillPayload")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            qos: number(will.get("lastWillQos")).unwrap_or(0).min(2) as u8,
            retain: flag(will.get("lastWillRetain")).unwrap_or(false),
            delay_s: number(will.get("properties").and_then(|p| p.get("willDelayInterval")))
                .unwrap_or(0)
                .min(u64::from(u32::MAX)) as u32,
        });
    }
    if flag(v.get("clientIdWithTime")) == Some(true) {
        said.push(
            "MQTTX added the time to its client id at each connection; mqscope uses the client id as saved".into(),
        );
    }
    if let Some(props) = v.get("properties").filter(|p| p.is_object()) {
        let left_out: Vec<&str> = [
            ("receiveMaximum", "receive maximum"),
            ("topicAliasMaximum", "topic alias maximum"),
            ("maximumPacketSize", "maximum packet size"),
            ("userProperties", "user properties"),
            ("authenticationMethod", "authentication method"),
        ]
        .into_iter()
        .filter(|(key, _)| {
            props
                .get(key)
                .is_some_and(|p| !p.is_null() && p != "" && p != &serde_json::json!({}))
        })
        .map(|(_, words)| words)
        .collect();
        if !left_out.is_empty() {
            said.push(format!("its MQTT 5 {} not imported (not settable in mqscope)", {
                let list = left_out.join(", ");
                if left_out.len() == 1 {
                    format!("{list} is")
                } else {
                    format!("{list} are")
                }
            }));
        }
    }
    Ok(with_common(profile, v, said))
}

fn from_mqscope(v: &Value, said: &mut Said) -> Result<Profile, String> {
    let mut profile: Profile = serde_json::from_value(v.clone()).map_err(|e| crate::files::json_error(&e))?;
    if profile.password.is_some() || profile.key_passphrase.is_some() {
        // Exported in plain text by the user's choice: it stays in the file, marked so in the form.
        profile.password_storage = PasswordStorage::File;
        let what = match (profile.password.is_some(), profile.key_passphrase.is_some()) {
            (true, true) => "its password and key passphrase",
            (true, false) => "its password",
            _ => "its key passphrase",
        };
        said.push(format!(
            "{what} came along (it was exported with passwords) and is kept in the profile file"
        ));
    }
    profile.name = profile.name.trim().to_owned();
    Ok(profile)
}

/// A name not yet taken: "Plant", then "Plant (2)", "Plant (3)", …
pub fn unique_name(name: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(name) {
        return name.to_owned();
    }
    (2..)
        .map(|i| format!("{name} ({i})"))
        .find(|n| !taken(n))
        .unwrap_or_else(|| name.to_owned())
}

/// Profiles as an mqscope export file. Passwords are left out unless `with_passwords`.
pub fn export(profiles: &[Profile], with_passwords: bool) -> Vec<u8> {
    let profiles: Vec<Profile> = profiles
        .iter()
        .cloned()
        .map(|mut p| {
            if !with_passwords || p.password_storage != PasswordStorage::File {
                p.password = None;
                p.key_passphrase = None;
                if p.password_storage == PasswordStorage::File {
                    p.password_storage = PasswordStorage::Ask;
                }
            }
            p
        })
        .collect();
    let file = serde_json::json!({ "version": SCHEMA_VERSION, "profiles": profiles });
    serde_json::to_vec_pretty(&file).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MQTT Explorer's settings.json as it writes it (connections keyed by id).
    const MQTT_EXPLORER: &str = r##"{
      "ConnectionManager_connections": {
        "a1b2": {
          "configVersion": 1, "certValidation": true, "clientId": "mqtt-explorer-1234abcd",
          "id": "a1b2", "name": "Home broker", "encryption": false,
          "password": "hunter2", "username": "pi",
          "subscriptions": [{"topic": "#", "qos": 0}, {"topic": "$SYS/#", "qos": 1}],
          "type": "mqtt", "host": "192.168.1.10", "port": 1883, "protocol": "mqtt", "order": 0
        },
        "c3d4": {
          "configVersion": 1, "certValidation": false, "id": "c3d4", "name": "Cloud over WSS",
          "encryption": true, "subscriptions": [{"topic": "plant/#", "qos": 2}, {"topic": "bad/#/x", "qos": 0}],
          "type": "mqtt", "host": "mqtt.example.com", "port": 443, "protocol": "ws", "basePath": "mqtt",
          "selfSignedCertificate": {"name": "ca.pem", "data": "LS0tLS1CRUdJTi..."}
        },
        "e5f6": {"configVersion": 1, "id": "e5f6", "name": "No port", "type": "mqtt", "host": "x", "protocol": "mqtt"},
        "g7h8": {"configVersion": 1, "id": "g7h8", "name": "Empty host", "type": "mqtt", "host": "", "port": 1883}
      },
      "Settings_theme": "dark"
    }"##;

    /// MQTTX's "Export data" (JSON): a list of connections.
    const MQTTX: &str = r##"[
      {
        "id": "0c6a", "clientId": "mqttx_1d2e", "name": "EMQX local", "clean": false,
        "protocol": "mqtt", "host": "localhost", "port": 1883, "keepalive": 30,
        "connectTimeout": 10, "reconnect": true, "username": "admin", "password": "public",
        "path": "/mqtt", "certType": "", "ssl": false, "mqttVersion": "5.0",
        "subscriptions": [{"topic": "sensors/+/temp", "qos": 1, "disabled": false}],
        "will": {"lastWillTopic": "clients/mqttx", "lastWillPayload": "offline", "lastWillQos": 1, "lastWillRetain": true},
        "properties": {"sessionExpiryInterval": 3600}
      },
      {
        "id": "9f8e", "clientId": "mqttx_aa", "name": "Secure", "clean": true, "protocol": "mqtts",
        "host": "broker.lan", "port": 8883, "keepalive": 60, "ssl": true, "mqttVersion": "3.1.1",
        "ca": "/home/me/ca.pem", "cert": "/home/me/me.pem", "key": "/home/me/me.key", "rejectUnauthorized": true,
        "subscriptions": []
      },
      {"id": "bad", "name": "Broken port", "host": "x", "port": 70000, "protocol": "mqtt"},
      {"id": "odd", "name": "Serial", "host": "x", "port": 1, "protocol": "coap"}
    ]"##;

    #[test]
    fn mqtt_explorer_settings() {
        let report = import(MQTT_EXPLORER).unwrap();
        assert_eq!(report.source, ImportSource::MqttExplorer);
        let names: Vec<&str> = report.profiles.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Home broker", "Cloud over WSS"]);
        let home = &report.profiles[0];
        assert_eq!(
            (home.host.as_str(), home.port, home.transport),
            ("192.168.1.10", 1883, Transport::Tcp)
        );
        assert_eq!(home.username, "pi");
        assert_eq!(home.client_id, "mqtt-explorer-1234abcd");
        assert!(
            home.password.is_none(),
            "passwords are not copied into our file unasked"
        );
        let filters: Vec<(&str, u8)> = home.subscriptions.iter().map(|s| (s.filter.as_str(), s.qos)).collect();
        assert_eq!(filters, [("#", 0), ("$SYS/#", 1)]);
        let cloud = &report.profiles[1];
        assert_eq!((cloud.transport, cloud.ws_path.as_str()), (Transport::Wss, "/mqtt"));
        assert!(cloud.tls.insecure);
        assert_eq!(cloud.subscriptions.len(), 1, "the invalid filter is left out");
        let notes = report.notes.join("\n");
        assert!(
            notes.contains("'Home broker': its saved password was not imported"),
            "{notes}"
        );
        assert!(
            notes.contains("'Cloud over WSS': its CA certificate (ca.pem) could not be read"),
            "a damaged embedded file is named: {notes}"
        );
        assert!(notes.contains("'Cloud over WSS': subscription left out"), "{notes}");
        assert!(notes.contains("'No port': not imported: it has no port"), "{notes}");
        assert!(notes.contains("'Empty host': not imported: it has no host"), "{notes}");
    }

    #[test]
    fn mqttx_export() {
        let report = import(MQTTX).unwrap();
        assert_eq!(report.source, ImportSource::Mqttx);
        assert_eq!(report.profiles.len(), 2);
        let local = &report.profiles[0];
        assert_eq!(local.protocol, ProtocolVersion::V5);
        assert!(!local.clean_session);
        assert_eq!(local.keepalive_s, 30);
        assert_eq!(local.session_expiry_s, 3600);
        assert_eq!(local.subscriptions[0].filter, "sensors/+/temp");
        assert_eq!(local.subscriptions[0].qos, 1);
        let will = local.will.as_ref().unwrap();
        assert_eq!(
            (will.topic.as_str(), will.payload.as_str(), will.qos, will.retain),
            ("clients/mqttx", "offline", 1, true)
        );
        let secure = &report.profiles[1];
        assert_eq!(secure.transport, Transport::Tls);
        assert_eq!(
            secure.tls.ca_file.as_deref(),
            Some(std::path::Path::new("/home/me/ca.pem"))
        );
        assert_eq!(
            secure.tls.client_key.as_deref(),
            Some(std::path::Path::new("/home/me/me.key"))
        );
        assert_eq!(
            secure.subscriptions,
            [Subscription::new("#")],
            "none given: the default"
        );
        let notes = report.notes.join("\n");
        assert!(notes.contains("'Broken port': not imported: the port 70000"), "{notes}");
        assert!(notes.contains("'Serial': not imported: the protocol 'coap'"), "{notes}");
        assert!(
            notes.contains("'EMQX local': its saved password was not imported"),
            "{notes}"
        );
    }

    #[test]
    fn mqscope_export_round_trip_and_mistakes() {
        let mut p = Profile {
            name: "Plant".into(),
            host: "plant.lan".into(),
            password: Some(crate::secret::Secret::new("s3cret".to_owned())),
            password_storage: PasswordStorage::File,
            ..Profile::default()
        };
        p.subscriptions = vec![Subscription::new("plant/#")];
        let without = String::from_utf8(export(std::slice::from_ref(&p), false)).unwrap();
        assert!(!without.contains("s3cret"), "passwords stay home unless asked");
        let back = import(&without).unwrap();
        assert_eq!(back.source, ImportSource::Mqscope);
        assert_eq!(back.profiles[0].host, "plant.lan");
        assert_eq!(back.profiles[0].subscriptions, p.subscriptions);
        let with = String::from_utf8(export(&[p], true)).unwrap();
        assert!(with.contains("s3cret"));
        assert!(import(&with).unwrap().notes[0].contains("password came along"));

        assert!(import("{not json").unwrap_err().contains("line 1"));
        assert!(import(r#"{"hello": 1}"#).unwrap_err().contains("No connections found"));
        assert!(
            import(r#"{"version": 99, "profiles": []}"#)
                .unwrap_err()
                .contains("version 99")
        );
        assert_eq!(unique_name("Plant", |n| n == "Plant" || n == "Plant (2)"), "Plant (3)");
        assert_eq!(unique_name("New", |_| false), "New");
    }

    #[test]
    fn embedded_certificates_become_private_files_the_profile_points_at() {
        use base64::Engine as _;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        // The shape MQTT Explorer writes (legacy entries have string subscriptions).
        let settings = serde_json::json!({
            "ConnectionManager_connections": {
                "7d2e": {
                    "configVersion": 1, "certValidation": true, "id": "7d2e", "name": "Cloud broker (mTLS)",
                    "encryption": true, "type": "mqtt", "host": "broker.example.net", "port": 8883, "protocol": "mqtt",
                    "subscriptions": ["#", "$SYS/#"],
                    "selfSignedCertificate": {"name": "all-ca.crt", "data": b64("Certificate:\n-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n")},
                    "clientCertificate": {"name": "client.crt", "data": b64("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n")},
                    "clientKey": {"name": "../client.key", "data": b64("-----BEGIN RSA PRIVATE KEY-----\nAA==\n-----END RSA PRIVATE KEY-----\n")}
                }
            }
        });
        let report = import(&settings.to_string()).unwrap();
        let mut profile = report.profiles[0].clone();
        let subs: Vec<&str> = profile.subscriptions.iter().map(|s| s.filter.as_str()).collect();
        assert_eq!(subs, ["#", "$SYS/#"], "plain-string subscriptions");
        assert_eq!(report.files[0].len(), 3);
        let dir = tempfile::tempdir().unwrap();
        let notes = save_embedded(&mut profile, &report.files[0], dir.path());
        assert_eq!(notes.len(), 3, "{notes:?}");
        let key = profile.tls.client_key.clone().unwrap();
        assert!(
            key.starts_with(dir.path()),
            "nothing written outside the folder: {}",
            key.display()
        );
        assert_eq!(
            std::fs::read(&key).unwrap(),
            b"-----BEGIN RSA PRIVATE KEY-----\nAA==\n-----END RSA PRIVATE KEY-----\n"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let ca = std::fs::read_to_string(profile.tls.ca_file.unwrap()).unwrap();
        assert!(ca.starts_with("Certificate:"), "the file as MQTT Explorer kept it");
        assert!(profile.tls.client_cert.unwrap().ends_with("client.crt"));
    }

    #[test]
    fn profiles_whose_names_clean_up_alike_keep_their_own_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let file = |kind, name: &str, text: &str| EmbeddedFile {
            kind,
            name: name.to_owned(),
            bytes: text.as_bytes().to_vec(),
        };
        let mut first = Profile {
            name: "prod/eu".into(),
            ..Profile::default()
        };
        let mut second = Profile {
            name: "prod:eu".into(),
            ..Profile::default()
        };
        save_embedded(
            &mut first,
            &[file(EmbeddedKind::ClientKey, "client.key", "first key")],
            dir.path(),
        );
        save_embedded(
            &mut second,
            &[
                file(EmbeddedKind::Ca, "cert.pem", "second ca"),
                file(EmbeddedKind::ClientCert, "cert.pem", "second cert"),
                file(EmbeddedKind::ClientKey, "client.key", "second key"),
            ],
            dir.path(),
        );
        let read = |p: &Option<std::path::PathBuf>| std::fs::read_to_string(p.as_ref().unwrap()).unwrap();
        assert_eq!(
            read(&first.tls.client_key),
            "first key",
            "not overwritten by the second profile"
        );
        assert_eq!(read(&second.tls.client_key), "second key");
        assert_eq!(read(&second.tls.ca_file), "second ca");
        assert_eq!(
            read(&second.tls.client_cert),
            "second cert",
            "two files called cert.pem both kept"
        );
    }
}

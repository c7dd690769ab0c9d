//! What a connection is, in the words every part of mqscope shares: its
//! `ConnectionSpec` (broker, protocol, transport, TLS files, credentials,
//! will, subscriptions), where one comes from (a `mqtt://user:pass@host:port`
//! URL), and where it stands (`ConnectionState`). Plain data: no rumqttc, no
//! egui, no tokio (`mqtt/options.rs` turns a spec into rumqttc options).

use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// Default MQTT port over plain TCP.
pub const DEFAULT_PORT: u16 = 1883;
/// Default port for MQTT over TLS.
pub const DEFAULT_TLS_PORT: u16 = 8883;
/// Default keepalive, the one most clients use.
pub const DEFAULT_KEEPALIVE_S: u16 = 60;
/// Largest packet we accept or send: MQTT's own limit (a 4-byte remaining
/// length, 256 MiB). rumqttc's default (10 KiB) would drop the connection on
/// the first real-world image or firmware payload. Buffers grow with the
/// packets that actually arrive, not with this limit.
pub const DEFAULT_MAX_PACKET_BYTES: usize = 268_435_455;
/// Our publishes in flight (sent, not yet acknowledged) at once.
pub const DEFAULT_MAX_INFLIGHT: u16 = 100;

/// MQTT protocol version, chosen per connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ProtocolVersion {
    #[default]
    #[serde(rename = "3.1.1")]
    V311,
    #[serde(rename = "5")]
    V5,
}

impl ProtocolVersion {
    pub fn label(self) -> &'static str {
        match self {
            ProtocolVersion::V311 => "MQTT 3.1.1",
            ProtocolVersion::V5 => "MQTT 5",
        }
    }
}

/// How the bytes travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    #[default]
    Tcp,
    Tls,
    /// WebSockets (`ws://host:port/path`).
    Ws,
    /// WebSockets over TLS (`wss://`).
    Wss,
}

impl Transport {
    pub fn scheme(self) -> &'static str {
        match self {
            Transport::Tcp => "mqtt",
            Transport::Tls => "mqtts",
            Transport::Ws => "ws",
            Transport::Wss => "wss",
        }
    }

    pub fn uses_tls(self) -> bool {
        matches!(self, Transport::Tls | Transport::Wss)
    }

    pub fn is_websocket(self) -> bool {
        matches!(self, Transport::Ws | Transport::Wss)
    }

    pub fn default_port(self) -> u16 {
        match self {
            Transport::Tcp => DEFAULT_PORT,
            Transport::Tls => DEFAULT_TLS_PORT,
            Transport::Ws => 80,
            Transport::Wss => 443,
        }
    }
}

/// Certificates for TLS. With no CA file, the system's root certificates are trusted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsSettings {
    pub ca_file: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS; goes with `client_key`.
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// Skip verifying the broker's certificate. Shown while connected.
    pub insecure: bool,
    /// Opens an encrypted client key. In memory only: never serialized here
    /// (a profile keeps it where the user chose, like its password).
    #[serde(skip)]
    pub key_passphrase: Option<Secret>,
}

/// The message the broker publishes for us if we vanish without a DISCONNECT.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LastWill {
    pub topic: String,
    pub payload: String,
    pub qos: u8,
    pub retain: bool,
    /// MQTT 5: seconds the broker waits before publishing it.
    pub delay_s: u32,
}

/// One subscription: a filter, its QoS and (MQTT 5) its options.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "SubscriptionRepr")]
pub struct Subscription {
    pub filter: String,
    pub qos: u8,
    /// MQTT 5: do not send us our own publishes.
    #[serde(default)]
    pub no_local: bool,
    /// MQTT 5: keep the retain flag as published (otherwise cleared on live messages).
    #[serde(default)]
    pub retain_as_published: bool,
    /// MQTT 5: 0 = send retained messages on subscribe, 1 = only on a new
    /// subscription, 2 = never.
    #[serde(default)]
    pub retain_handling: u8,
}

impl Subscription {
    /// A filter at QoS 2, so every message arrives at the QoS it was published with.
    pub fn new(filter: impl Into<String>) -> Self {
        Self {
            filter: filter.into(),
            qos: 2,
            no_local: false,
            retain_as_published: false,
            retain_handling: 0,
        }
    }

    pub fn with_qos(mut self, qos: u8) -> Self {
        self.qos = qos.min(2);
        self
    }
}

impl From<&str> for Subscription {
    fn from(filter: &str) -> Self {
        Subscription::new(filter)
    }
}

/// Profiles written before subscriptions had options store bare filters.
#[derive(Deserialize)]
#[serde(untagged)]
enum SubscriptionRepr {
    Filter(String),
    Full {
        filter: String,
        #[serde(default = "two")]
        qos: u8,
        #[serde(default)]
        no_local: bool,
        #[serde(default)]
        retain_as_published: bool,
        #[serde(default)]
        retain_handling: u8,
    },
}

fn two() -> u8 {
    2
}

impl From<SubscriptionRepr> for Subscription {
    fn from(repr: SubscriptionRepr) -> Self {
        match repr {
            SubscriptionRepr::Filter(filter) => Subscription::new(filter),
            SubscriptionRepr::Full {
                filter,
                qos,
                no_local,
                retain_as_published,
                retain_handling,
            } => Subscription {
                filter,
                qos: qos.min(2),
                no_local,
                retain_as_published,
                retain_handling: retain_handling.min(2),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSpec {
    /// What the user calls this connection (profile name, or host:port).
    pub name: String,
    pub host: String,
    pub port: u16,
    pub protocol: ProtocolVersion,
    pub transport: Transport,
    /// WebSockets path, e.g. `/mqtt`.
    pub ws_path: String,
    pub tls: TlsSettings,
    /// Empty means a generated `mqscope-<random>` id.
    pub client_id: String,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub keepalive_s: u16,
    /// Clean session (3.1.1) / clean start (5).
    pub clean_session: bool,
    /// MQTT 5: how long the broker keeps the session after we disconnect.
    pub session_expiry_s: u32,
    pub will: Option<LastWill>,
    pub max_inflight: u16,
    pub subscriptions: Vec<Subscription>,
    /// Largest packet accepted; 0: not chosen (the app's setting, else MQTT's limit).
    pub max_packet_bytes: usize,
}

impl ConnectionSpec {
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        let host = host.into();
        Self {
            name: format!("{host}:{port}"),
            host,
            port,
            protocol: ProtocolVersion::V311,
            transport: Transport::Tcp,
            ws_path: "/mqtt".to_owned(),
            tls: TlsSettings::default(),
            client_id: String::new(),
            username: None,
            password: None,
            keepalive_s: DEFAULT_KEEPALIVE_S,
            clean_session: true,
            session_expiry_s: 0,
            will: None,
            max_inflight: DEFAULT_MAX_INFLIGHT,
            subscriptions: vec![Subscription::new("#")],
            max_packet_bytes: 0,
        }
    }

    /// `host:port`, for messages.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The full address in URL form, for the title and messages.
    pub fn url(&self) -> String {
        let path = if self.transport.is_websocket() {
            self.ws_path.as_str()
        } else {
            ""
        };
        format!("{}://{}{}", self.transport.scheme(), self.address(), path)
    }

    /// The largest packet accepted: the spec's, or MQTT's own limit when it has none.
    pub fn max_packet(&self) -> usize {
        match self.max_packet_bytes {
            0 => DEFAULT_MAX_PACKET_BYTES,
            n => n.min(DEFAULT_MAX_PACKET_BYTES),
        }
    }

    /// The client id to connect with: the configured one, else a fresh random one.
    pub fn effective_client_id(&self) -> String {
        if self.client_id.trim().is_empty() {
            generated_client_id()
        } else {
            self.client_id.clone()
        }
    }
}

pub fn generated_client_id() -> String {
    format!("mqscope-{:08x}", fastrand::u32(..))
}

/// The shortest keepalive rumqttc's MQTT 5 client accepts.
pub const V5_MIN_KEEPALIVE_S: u16 = 5;

/// Parse `mqtt://[user[:pass]@]host[:port]` (also `tcp://`, or no scheme),
/// `mqtts://` (or `ssl://`) for TLS, and `ws://` / `wss://` with an optional
/// path (default `/mqtt`). User and password may be percent-encoded (`%40` for `@`).
pub fn parse_broker_url(url: &str) -> Result<ConnectionSpec, String> {
    let raw = url.trim();
    // Every message below names the URL without its password.
    let shown = redact_url(raw);
    let url = shown.as_str();
    let (transport, rest) = match raw.split_once("://") {
        Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
            "mqtt" | "tcp" => (Transport::Tcp, rest),
            "mqtts" | "ssl" | "tls" => (Transport::Tls, rest),
            "ws" => (Transport::Ws, rest),
            "wss" => (Transport::Wss, rest),
            other => {
                return Err(format!(
                    "Unknown scheme '{other}://' in '{url}': use mqtt://, mqtts://, ws:// or wss://."
                ));
            }
        },
        None => (Transport::Tcp, raw),
    };
    let (authority, path, ambiguous) = split_authority(rest);
    if ambiguous {
        return Err(
            "This URL can be read two ways: a '/' before the '@' may be part of the password or the start of a \
             path. Write a '/' in a password as %2F, or an '@' in a WebSocket path as %40."
                .into(),
        );
    }
    let path = path.trim_end_matches('/');
    if !path.is_empty() && !transport.is_websocket() {
        return Err(format!(
            "'{url}' has a path; only WebSocket URLs (ws://, wss://) have one. A broker URL is mqtt://[user[:pass]@]host[:port]."
        ));
    }
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((user, host)) => (Some(user), host),
        None => (None, authority),
    };
    let (host, port) = split_host_port(hostport, transport.default_port()).map_err(|e| format!("{e} in '{url}'"))?;
    let mut spec = ConnectionSpec::new(host, port);
    spec.transport = transport;
    if transport.is_websocket() && !path.is_empty() {
        spec.ws_path = path.to_owned();
    }
    if let Some(userinfo) = userinfo {
        let (user, pass) = match userinfo.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (userinfo, None),
        };
        if user.is_empty() {
            return Err(format!(
                "Empty user name before '@' in the broker URL for {}.",
                spec.address()
            ));
        }
        spec.username = Some(percent_decode(user)?);
        spec.password = pass.map(percent_decode).transpose()?.map(Secret::new);
    }
    Ok(spec)
}

/// `user:pass@host:port/path` → (`user:pass@host:port`, `/path`, ambiguous).
///
/// A URL's authority ends at its first `/`. When an `@` comes only after that
/// `/`, what precedes it is either a `user:pass` whose password holds a `/`
/// (`alice:pa/ss@host`) or a `host[:port]` whose path holds an `@`
/// (`ws://h:8083/mqtt@v2`). When the part before the `/` cannot be a
/// `host[:port]` (`alice:pa`) it is a password; when it can be both
/// (`alice:1234/5@h`), the URL is ambiguous: the caller refuses it rather
/// than send a password as a path, and a redaction hides it as a password.
fn split_authority(rest: &str) -> (&str, &str, bool) {
    let Some(first_slash) = rest.find('/') else {
        return (rest, "", false);
    };
    let head = &rest[..first_slash];
    let at_after_slash = rest[first_slash..].contains('@');
    if head.contains('@') || !at_after_slash {
        let (authority, path) = rest.split_at(first_slash);
        return (authority, path, false);
    }
    let could_be_host = head.starts_with('[')
        || match head.rsplit_once(':') {
            Some((host, port)) => !host.is_empty() && !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()),
            None => !head.is_empty(),
        };
    let could_be_userinfo = head.contains(':') || !head.is_empty();
    let after_userinfo = rest.rfind('@').map_or(0, |at| at + 1);
    let (authority, path) = match rest[after_userinfo..].find('/') {
        Some(i) => rest.split_at(after_userinfo + i),
        None => (rest, ""),
    };
    (authority, path, could_be_host && could_be_userinfo)
}

/// A broker URL with its password replaced by `***`, for every message,
/// log line and notice that names it.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    // An ambiguous URL is hidden as if the '/' were the password's.
    let (authority, path, _) = split_authority(rest);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}{user}{hidden}@{host}{path}")
        }
        None => url.to_owned(),
    }
}

fn split_host_port(hostport: &str, default_port: u16) -> Result<(String, u16), String> {
    if hostport.is_empty() {
        return Err("No host".into());
    }
    let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
        let (host, after) = inner.split_once(']').ok_or("Unclosed '[' around an IPv6 address")?;
        (host, after.strip_prefix(':'))
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err("No host".into());
    }
    let port = match port {
        None => default_port,
        Some(p) => match p.parse::<u16>() {
            Ok(0) | Err(_) => return Err(format!("'{p}' is not a port number (1-65535)")),
            Ok(p) => p,
        },
    };
    Ok((host.to_owned(), port))
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .ok_or("A '%' in the user or password is not followed by two hex digits")?;
            out.push(
                u8::from_str_radix(hex, 16)
                    .map_err(|_| "A '%' in the user or password is not followed by two hex digits")?,
            );
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "The user or password is not valid UTF-8 after percent-decoding".to_owned())
}

/// Where a connection stands, in words the status bar can show.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectionState {
    Connecting,
    Connected,
    /// Lost or not reachable; trying again at `retry_at`.
    Reconnecting {
        retry_at: Instant,
        attempt: u32,
        reason: String,
    },
    /// Refused in a way retrying will not fix (bad credentials, not authorised).
    Failed {
        reason: String,
    },
    Closed,
    /// Not a broker: a recording replayed; `note` says how far it got.
    Offline {
        note: String,
    },
}

impl ConnectionState {
    pub fn label(&self) -> &'static str {
        match self {
            ConnectionState::Connecting => "connecting",
            ConnectionState::Connected => "connected",
            ConnectionState::Reconnecting { .. } => "reconnecting",
            ConnectionState::Failed { .. } => "error",
            ConnectionState::Closed => "closed",
            ConnectionState::Offline { .. } => "offline",
        }
    }

    pub fn error(&self) -> Option<&str> {
        match self {
            ConnectionState::Reconnecting { reason, .. } | ConnectionState::Failed { reason } => Some(reason),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_message_about_a_url_shows_its_password() {
        for bad in [
            "mqtt://alice:s3cret@host:99999",
            "mqtt://alice:s3cret@host:notaport",
            "foo://alice:s3cret@host",
            "mqtt://alice:s3cret@host/with/a/path",
            "mqtt://alice:s3cret@",
            "mqtts://alice:s3cret@[::1",
        ] {
            let err = parse_broker_url(bad).unwrap_err();
            assert!(!err.contains("s3cret"), "{bad}: {err}");
            assert!(
                err.contains("alice") || err.contains("host") || err.contains("No host"),
                "{bad}: {err}"
            );
        }
        // A password with a slash in it is a password, not a path.
        let spec = parse_broker_url("mqtt://alice:pa/ss@broker.local:1884").unwrap();
        assert_eq!((spec.host.as_str(), spec.port), ("broker.local", 1884));
        assert_eq!(spec.password.unwrap().expose(), "pa/ss");
        let spec = parse_broker_url("ws://bob:x/y@h:8083/mqtt").unwrap();
        assert_eq!((spec.host.as_str(), spec.ws_path.as_str()), ("h", "/mqtt"));
        assert_eq!(redact_url("wss://bob:x/y@h:8084/mqtt"), "wss://bob:***@h:8084/mqtt");
        assert_eq!(redact_url("mqtt://h:1883"), "mqtt://h:1883");
        assert_eq!(redact_url("mqtt://token@h"), "mqtt://token@h");
        // An `@` in a WebSocket path is the path's when the user info is before it.
        let spec = parse_broker_url("wss://carol:pw@h/ws@edge").unwrap();
        assert_eq!((spec.host.as_str(), spec.ws_path.as_str()), ("h", "/ws@edge"));
        assert_eq!(spec.password.unwrap().expose(), "pw");
        assert_eq!(redact_url("wss://carol:pw@h/ws@edge"), "wss://carol:***@h/ws@edge");
        // Read two ways (a password "1234/5678", or a path "/5678@h"): refused in
        // words, never connected with the password as a path, never echoed.
        for two_ways in [
            "mqtt://alice:1234/5678@h",
            "ws://alice:1234/pw@h",
            "ws://h:8083/mqtt@v2",
        ] {
            let err = parse_broker_url(two_ways).unwrap_err();
            assert!(
                err.contains("%2F") && !err.contains("5678") && !err.contains("pw@"),
                "{two_ways}: {err}"
            );
        }
        assert_eq!(redact_url("mqtt://alice:1234/5678@h"), "mqtt://alice:***@h");
        // A path with an @ written as %40 reads one way.
        let spec = parse_broker_url("ws://h:8083/mqtt%40v2").unwrap();
        assert_eq!((spec.host.as_str(), spec.port), ("h", 8083));
        let spec = parse_broker_url("ws://alice:/pw@h").unwrap();
        assert_eq!(spec.host, "h", "an empty port is no port: the / is the password's");
    }

    #[test]
    fn full_url() {
        let spec = parse_broker_url("mqtt://alice:s%40cret@broker.local:1884").unwrap();
        assert_eq!(spec.host, "broker.local");
        assert_eq!(spec.port, 1884);
        assert_eq!(spec.username.as_deref(), Some("alice"));
        assert_eq!(spec.password.unwrap().expose(), "s@cret");
        assert_eq!(spec.subscriptions, [Subscription::new("#")]);
        assert_eq!(spec.transport, Transport::Tcp);
    }

    #[test]
    fn tls_and_websocket_urls() {
        let spec = parse_broker_url("mqtts://broker.example.com").unwrap();
        assert_eq!((spec.transport, spec.port), (Transport::Tls, 8883));
        let spec = parse_broker_url("ws://127.0.0.1:9001/mqtt").unwrap();
        assert_eq!(
            (spec.transport, spec.port, spec.ws_path.as_str()),
            (Transport::Ws, 9001, "/mqtt")
        );
        let spec = parse_broker_url("wss://u:p@h/ws/").unwrap();
        assert_eq!(
            (spec.transport, spec.port, spec.ws_path.as_str()),
            (Transport::Wss, 443, "/ws")
        );
        assert_eq!(spec.url(), "wss://h:443/ws");
        let spec = parse_broker_url("ws://h:8080").unwrap();
        assert_eq!(spec.ws_path, "/mqtt");
    }

    #[test]
    fn old_profiles_with_bare_filters_still_load() {
        let subs: Vec<Subscription> =
            serde_json::from_str(r#"["a/#", {"filter": "b/+", "qos": 1, "no_local": true}]"#).unwrap();
        assert_eq!(subs[0], Subscription::new("a/#"));
        assert_eq!(subs[1].qos, 1);
        assert!(subs[1].no_local);
        let json = serde_json::to_string(&subs[1]).unwrap();
        assert_eq!(serde_json::from_str::<Subscription>(&json).unwrap(), subs[1]);
    }

    #[test]
    fn defaults_and_forms() {
        let spec = parse_broker_url("mqtt://localhost").unwrap();
        assert_eq!((spec.host.as_str(), spec.port), ("localhost", 1883));
        assert_eq!(spec.username, None);
        let spec = parse_broker_url("127.0.0.1:9000").unwrap();
        assert_eq!(spec.port, 9000);
        let spec = parse_broker_url("tcp://bob@[::1]:1999/").unwrap();
        assert_eq!((spec.host.as_str(), spec.port), ("::1", 1999));
        assert_eq!(spec.address(), "[::1]:1999");
        assert_eq!(spec.username.as_deref(), Some("bob"));
        assert!(spec.password.is_none());
    }

    #[test]
    fn bad_urls_say_why() {
        assert!(parse_broker_url("mqtt://host:99999").unwrap_err().contains("port"));
        assert!(parse_broker_url("mqtt://host:abc").unwrap_err().contains("port"));
        assert!(parse_broker_url("mqtt://").unwrap_err().contains("No host"));
        assert!(parse_broker_url("http://host").unwrap_err().contains("scheme"));
        assert!(parse_broker_url("mqtt://host/path").unwrap_err().contains("path"));
        assert!(parse_broker_url("mqtt://u:%zz@host").unwrap_err().contains("hex"));
    }

    #[test]
    fn generated_ids_are_distinct() {
        let spec = ConnectionSpec::new("h", 1);
        let a = spec.effective_client_id();
        assert!(a.starts_with("mqscope-"));
        assert_ne!(a, spec.effective_client_id());
    }

    #[test]
    fn debug_never_shows_the_password() {
        let spec = parse_broker_url("mqtt://alice:topsecret@h").unwrap();
        assert!(!format!("{spec:?}").contains("topsecret"));
    }
}

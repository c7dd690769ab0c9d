//! What a connection needs to know (`ConnectionSpec`), where it comes from (a
//! profile or a `mqtt://user:pass@host:port` URL) and how it becomes rumqttc
//! options. No egui in here.

use std::time::Duration;

use rumqttc::{MqttOptions, NetworkOptions};

use crate::secret::Secret;

/// Default MQTT port over plain TCP.
pub const DEFAULT_PORT: u16 = 1883;
/// Default keepalive, the one most clients use.
pub const DEFAULT_KEEPALIVE_S: u16 = 60;
/// Largest packet we accept or send: MQTT's own limit (a 4-byte remaining
/// length, 256 MiB). rumqttc's default (10 KiB) would drop the connection on
/// the first real-world image or firmware payload. Buffers grow with the
/// packets that actually arrive, not with this limit.
pub const DEFAULT_MAX_PACKET_BYTES: usize = 268_435_455;
/// Seconds to wait for TCP connect + CONNACK.
const CONNECT_TIMEOUT_S: u64 = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSpec {
    /// What the user calls this connection (profile name, or host:port).
    pub name: String,
    pub host: String,
    pub port: u16,
    /// Empty means a generated `mqscope-<random>` id.
    pub client_id: String,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub keepalive_s: u16,
    pub clean_session: bool,
    pub subscriptions: Vec<String>,
    pub max_packet_bytes: usize,
}

impl ConnectionSpec {
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        let host = host.into();
        Self {
            name: format!("{host}:{port}"),
            host,
            port,
            client_id: String::new(),
            username: None,
            password: None,
            keepalive_s: DEFAULT_KEEPALIVE_S,
            clean_session: true,
            subscriptions: vec!["#".to_owned()],
            max_packet_bytes: DEFAULT_MAX_PACKET_BYTES,
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

    /// rumqttc options; `client_id` is the id to use (generated if the spec's is empty).
    pub fn mqtt_options(&self, client_id: &str) -> MqttOptions {
        let mut options = MqttOptions::new(client_id, self.host.clone(), self.port);
        options.set_keep_alive(Duration::from_secs(u64::from(self.keepalive_s.max(1))));
        options.set_clean_session(self.clean_session);
        options.set_max_packet_size(self.max_packet_bytes, self.max_packet_bytes);
        options.set_request_channel_capacity(1_024);
        options.set_inflight(100);
        if let Some(user) = &self.username {
            let password = self
                .password
                .as_ref()
                .map(|p| p.expose().to_owned())
                .unwrap_or_default();
            options.set_credentials(user.clone(), password);
        }
        options
    }

    /// Socket options: no Nagle delay, so acks leave at once (a delayed
    /// PUBACK stalls the broker's in-flight window and with it the whole
    /// stream), and a connect timeout that suits remote brokers.
    pub fn network_options(&self) -> NetworkOptions {
        let mut options = NetworkOptions::new();
        options.set_tcp_nodelay(true);
        options.set_connection_timeout(CONNECT_TIMEOUT_S);
        options
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

/// Parse `mqtt://[user[:pass]@]host[:port]` (also `tcp://`, or no scheme).
/// User and password may be percent-encoded (`%40` for `@`).
pub fn parse_broker_url(url: &str) -> Result<ConnectionSpec, String> {
    let url = url.trim();
    let rest = match url.split_once("://") {
        Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
            "mqtt" | "tcp" => rest,
            "mqtts" | "ssl" | "ws" | "wss" => {
                return Err(format!(
                    "'{scheme}://' is not supported yet: this version connects over plain TCP (mqtt://host:port)."
                ));
            }
            other => {
                return Err(format!("Unknown scheme '{other}://' in '{url}': use mqtt://host:port."));
            }
        },
        None => url,
    };
    let rest = rest.trim_end_matches('/');
    if rest.contains('/') {
        return Err(format!(
            "'{url}' has a path; a broker URL is mqtt://[user[:pass]@]host[:port]."
        ));
    }
    let (userinfo, hostport) = match rest.rsplit_once('@') {
        Some((user, host)) => (Some(user), host),
        None => (None, rest),
    };
    let (host, port) = split_host_port(hostport).map_err(|e| format!("{e} in '{url}'"))?;
    let mut spec = ConnectionSpec::new(host, port);
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

fn split_host_port(hostport: &str) -> Result<(String, u16), String> {
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
        None => DEFAULT_PORT,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_url() {
        let spec = parse_broker_url("mqtt://alice:s%40cret@broker.local:1884").unwrap();
        assert_eq!(spec.host, "broker.local");
        assert_eq!(spec.port, 1884);
        assert_eq!(spec.username.as_deref(), Some("alice"));
        assert_eq!(spec.password.unwrap().expose(), "s@cret");
        assert_eq!(spec.subscriptions, ["#"]);
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
        assert!(
            parse_broker_url("mqtts://host")
                .unwrap_err()
                .contains("not supported yet")
        );
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

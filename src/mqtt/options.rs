//! How a `ConnectionSpec` becomes rumqttc options (MQTT 3.1.1 and 5, TCP,
//! TLS, WebSockets). The spec itself is vocabulary (`vocab::connection`).

use std::time::Duration;

use rumqttc::NetworkOptions;

use crate::vocab::{ConnectionSpec, DEFAULT_MAX_PACKET_BYTES, Transport, V5_MIN_KEEPALIVE_S};

/// Seconds to wait for TCP connect + CONNACK.
const CONNECT_TIMEOUT_S: u64 = 10;
/// Topic aliases we let an MQTT 5 broker use towards us (rumqttc resolves them
/// to full topics before a message reaches us).
const TOPIC_ALIAS_MAX: u16 = 128;

impl ConnectionSpec {
    /// The broker address rumqttc dials: the host, or for WebSockets the URL.
    fn broker_addr(&self) -> String {
        if self.transport.is_websocket() {
            let path = if self.ws_path.starts_with('/') {
                self.ws_path.clone()
            } else {
                format!("/{}", self.ws_path)
            };
            format!("{}://{}{}", self.transport.scheme(), self.address(), path)
        } else {
            self.host.clone()
        }
    }

    fn rumqttc_transport(&self) -> Result<rumqttc::Transport, String> {
        let tls = || super::tls::client_config(&self.tls).map(rumqttc::TlsConfiguration::Rustls);
        Ok(match self.transport {
            Transport::Tcp => rumqttc::Transport::Tcp,
            Transport::Tls => rumqttc::Transport::Tls(tls()?),
            Transport::Ws => rumqttc::Transport::Ws,
            Transport::Wss => rumqttc::Transport::Wss(tls()?),
        })
    }

    fn password(&self) -> String {
        self.password
            .as_ref()
            .map(|p| p.expose().to_owned())
            .unwrap_or_default()
    }

    /// MQTT 3.1.1 options; `client_id` is the id to use (generated if the spec's is empty).
    pub fn v4_options(&self, client_id: &str) -> Result<rumqttc::MqttOptions, String> {
        let mut options = rumqttc::MqttOptions::new(client_id, self.broker_addr(), self.port);
        options.set_transport(self.rumqttc_transport()?);
        // 0 means no keepalive at all, as it does to mosquitto_sub (`-k 0`).
        options.set_keep_alive(Duration::from_secs(u64::from(self.keepalive_s)));
        options.set_clean_session(self.clean_session);
        // MQTT 3.1.1 has no way to tell the broker a limit: a larger message comes
        // anyway (at every connect, when retained). It is read and then not kept
        // (the worker's `too_large`); refusing to read it ended the connection.
        options.set_max_packet_size(DEFAULT_MAX_PACKET_BYTES, self.max_packet());
        options.set_request_channel_capacity(1_024);
        options.set_inflight(self.max_inflight.max(1));
        if let Some(user) = &self.username {
            options.set_credentials(user.clone(), self.password());
        }
        if let Some(will) = &self.will {
            options.set_last_will(rumqttc::LastWill::new(
                will.topic.clone(),
                will.payload.clone().into_bytes(),
                super::qos_from(will.qos),
                will.retain,
            ));
        }
        Ok(options)
    }

    /// MQTT 5 options.
    pub fn v5_options(&self, client_id: &str) -> Result<rumqttc::v5::MqttOptions, String> {
        use rumqttc::v5::mqttbytes::v5::{LastWill as WillV5, LastWillProperties};
        let mut options = rumqttc::v5::MqttOptions::new(client_id, self.broker_addr(), self.port);
        options.set_transport(self.rumqttc_transport()?);
        // rumqttc's MQTT 5 client takes 5 s or more (it asserts so): a shorter
        // keepalive, or none, is sent as 5 s rather than ending the connection task.
        options.set_keep_alive(Duration::from_secs(u64::from(self.keepalive_s.max(V5_MIN_KEEPALIVE_S))));
        options.set_clean_start(self.clean_session);
        if self.session_expiry_s > 0 {
            options.set_session_expiry_interval(Some(self.session_expiry_s));
        }
        let max_packet = u32::try_from(self.max_packet()).unwrap_or(u32::MAX);
        options.set_max_packet_size(Some(max_packet));
        options.set_topic_alias_max(Some(TOPIC_ALIAS_MAX));
        options.set_request_channel_capacity(1_024);
        options.set_outgoing_inflight_upper_limit(self.max_inflight.max(1));
        options.set_connection_timeout(CONNECT_TIMEOUT_S);
        options.set_network_options(self.network_options());
        if let Some(user) = &self.username {
            options.set_credentials(user.clone(), self.password());
        }
        if let Some(will) = &self.will {
            let properties = (will.delay_s > 0).then(|| LastWillProperties {
                delay_interval: Some(will.delay_s),
                payload_format_indicator: None,
                message_expiry_interval: None,
                content_type: None,
                response_topic: None,
                correlation_data: None,
                user_properties: Vec::new(),
            });
            options.set_last_will(WillV5::new(
                will.topic.clone(),
                will.payload.clone().into_bytes(),
                super::qos_v5(will.qos),
                will.retain,
                properties,
            ));
        }
        Ok(options)
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::parse_broker_url;

    #[test]
    fn a_websocket_url_is_dialled_whole() {
        let spec = parse_broker_url("ws://127.0.0.1:9001/mqtt").unwrap();
        assert_eq!(spec.broker_addr(), "ws://127.0.0.1:9001/mqtt");
        let spec = parse_broker_url("mqtt://127.0.0.1:1883").unwrap();
        assert_eq!(spec.broker_addr(), "127.0.0.1");
    }

    #[test]
    fn keepalive_zero_means_none_and_mqtt5_never_panics_on_a_short_one() {
        for keepalive in [0u16, 1, 4, 5, 60] {
            let mut spec = ConnectionSpec::new("h", 1883);
            spec.keepalive_s = keepalive;
            let v4 = spec.v4_options("id").unwrap();
            assert_eq!(
                v4.keep_alive(),
                Duration::from_secs(u64::from(keepalive)),
                "-k {keepalive}"
            );
            let v5 = spec.v5_options("id").unwrap();
            assert_eq!(v5.keep_alive().as_secs(), u64::from(keepalive.max(V5_MIN_KEEPALIVE_S)));
        }
    }
}

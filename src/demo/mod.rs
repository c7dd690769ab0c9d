//! The built-in demo: an embedded broker (rumqttd, in-process, bound to
//! 127.0.0.1 on a free port, with no metrics or console listeners) and
//! simulated sensors publishing to it, so a new user sees a live system
//! before they have a broker of their own.

mod sensors;
mod start;

pub use sensors::{SensorSimulator, run_sensors};
pub use start::{DEMO_NAME, DemoStart};

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

use crate::vocab::DEFAULT_MAX_PACKET_BYTES;

/// An embedded broker running on its own threads for the life of the process.
pub struct DemoBroker {
    pub port: u16,
}

impl DemoBroker {
    /// Start rumqttd on a free loopback port and wait until it accepts connections.
    pub fn start() -> anyhow::Result<Self> {
        let port = free_port().context("could not find a free port on 127.0.0.1 for the demo broker")?;
        let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let server = ServerSettings {
            name: "demo".to_owned(),
            listen,
            tls: None,
            next_connection_delay_ms: 1,
            connections: ConnectionSettings {
                connection_timeout_ms: 60_000,
                max_payload_size: DEFAULT_MAX_PACKET_BYTES,
                max_inflight_count: 500,
                auth: None,
                external_auth: None,
                dynamic_filters: true,
            },
        };
        let config = Config {
            id: 0,
            router: RouterConfig {
                max_connections: 1_000,
                max_outgoing_packet_count: 200,
                max_segment_size: 16 * 1024 * 1024,
                max_segment_count: 4,
                ..RouterConfig::default()
            },
            v4: Some(HashMap::from([("demo".to_owned(), server)])),
            ..Config::default()
        };
        std::thread::Builder::new()
            .name("demo-broker".to_owned())
            .spawn(move || {
                let mut broker = Broker::new(config);
                if let Err(e) = broker.start() {
                    tracing::error!(error = %e, "the demo broker stopped");
                }
            })
            .context("could not start the demo broker thread")?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect_timeout(&listen, Duration::from_millis(200)).is_err() {
            if Instant::now() > deadline {
                bail!("the demo broker did not start listening on {listen} within 10 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        tracing::info!(%listen, "demo broker listening");
        Ok(Self { port })
    }

    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port())
}

/// The chart the demo opens with when the user has not saved one: every
/// simulated temperature sensor (a wildcard series), with the textbook alarm
/// above 28 °C.
pub fn default_charts() -> Vec<crate::model::ChartLayout> {
    let mut temperatures = crate::model::SeriesSpec::new("iot/+/temperature", "temperature");
    temperatures.threshold = crate::model::Threshold::above(28.0);
    vec![crate::model::ChartLayout {
        name: "Temperatures".to_owned(),
        series: vec![temperatures],
    }]
}

//! Simulated devices: temperature sensors in the JSON form people know
//! (`{"device_id": ..., "temperature": 23.41, "unit": "Celsius", "timestamp": ...}`,
//! QoS 1, about once a second, drifting between 20 and 30 °C and now and then
//! above 28), a few smart-home topics, a binary packed-float sensor and one
//! retained gateway status.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rumqttc::{AsyncClient, Event, MqttOptions, NetworkOptions, Packet, QoS};

/// The state of every simulated device; `tick` gives the next round of messages.
#[derive(Debug, Clone)]
pub struct SensorSimulator {
    temperatures: Vec<f64>,
    lights: [bool; 3],
    power_w: f64,
    tick: u64,
    rng: fastrand::Rng,
}

/// One message the simulator wants sent.
#[derive(Debug, Clone, PartialEq)]
pub struct SimMessage {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: u8,
    pub retain: bool,
}

pub const TEMPERATURE_SENSORS: usize = 4;

impl SensorSimulator {
    pub fn new(seed: u64) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        Self {
            temperatures: (0..TEMPERATURE_SENSORS).map(|_| 21.0 + rng.f64() * 5.0).collect(),
            lights: [true, false, false],
            power_w: 180.0,
            tick: 0,
            rng,
        }
    }

    /// Messages sent once, at start: the retained gateway status.
    pub fn retained(&self) -> Vec<SimMessage> {
        vec![SimMessage {
            topic: "devices/gateway_01/status".to_owned(),
            payload: br#"{"online": true, "firmware": "1.4.2", "ip": "192.168.1.20"}"#.to_vec(),
            qos: 1,
            retain: true,
        }]
    }

    /// The next second's messages.
    pub fn tick(&mut self, now: SystemTime) -> Vec<SimMessage> {
        self.tick += 1;
        let timestamp = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut out = Vec::new();
        for (i, t) in self.temperatures.iter_mut().enumerate() {
            // A random walk pulled towards 24 °C, with the occasional warm spell past 28.
            let pull = (24.0 - *t) * 0.05;
            let spike = if self.rng.f64() < 0.03 { 3.0 } else { 0.0 };
            *t = (*t + pull + (self.rng.f64() - 0.5) * 0.8 + spike).clamp(20.0, 30.0);
            let device_id = format!("temp_sensor_{:03}", i + 1);
            out.push(SimMessage {
                topic: format!("iot/{device_id}/temperature"),
                payload: format!(
                    r#"{{"device_id": "{device_id}", "temperature": {:.2}, "unit": "Celsius", "timestamp": {timestamp}}}"#,
                    *t
                )
                .into_bytes(),
                qos: 1,
                retain: false,
            });
        }
        let rooms = ["living_room", "bedroom", "kitchen"];
        if self.tick.is_multiple_of(5) {
            let i = self.rng.usize(..rooms.len());
            self.lights[i] = !self.lights[i];
        }
        for (room, on) in rooms.iter().zip(self.lights) {
            if self.tick.is_multiple_of(3) || self.tick == 1 {
                out.push(SimMessage {
                    topic: format!("home/{room}/light"),
                    payload: if on { b"ON".to_vec() } else { b"OFF".to_vec() },
                    qos: 0,
                    retain: false,
                });
            }
        }
        self.power_w = (self.power_w + (self.rng.f64() - 0.5) * 40.0).clamp(40.0, 900.0);
        out.push(SimMessage {
            topic: "home/kitchen/power".to_owned(),
            payload: format!("{:.1} W", self.power_w).into_bytes(),
            qos: 0,
            retain: false,
        });
        if self.tick.is_multiple_of(2) {
            out.push(SimMessage {
                topic: "home/living_room/tv".to_owned(),
                payload: format!(
                    r#"{{"power": "on", "volume": {}, "channel": "News"}}"#,
                    10 + self.rng.u8(..8)
                )
                .into_bytes(),
                qos: 0,
                retain: false,
            });
        }
        // Firmware people send packed frames: a version byte (0x01), then
        // little-endian f32 pressure + f32 humidity. The version byte also keeps
        // the frame from ever reading as valid text by chance.
        let mut packed = Vec::with_capacity(9);
        packed.push(0x01);
        packed.extend_from_slice(&(1013.0f32 + self.rng.f32() * 4.0).to_le_bytes());
        packed.extend_from_slice(&(40.0f32 + self.rng.f32() * 10.0).to_le_bytes());
        out.push(SimMessage {
            topic: "iot/weather_station/raw".to_owned(),
            payload: packed,
            qos: 0,
            retain: false,
        });
        out
    }
}

/// Publish the simulator's messages to `host:port` once a second, forever.
/// Runs on the caller's tokio runtime; reconnects on its own if the broker goes.
/// `retained_stored` hears once the broker has acknowledged the retained
/// status, so a client subscribing after that sees it flagged as retained.
/// Returns only when the broker refuses the connection for good (the reason;
/// a bad password, say); otherwise it runs until dropped.
pub async fn run_sensors(
    host: String,
    port: u16,
    seed: u64,
    retained_stored: Option<std::sync::mpsc::Sender<()>>,
    credentials: Option<crate::simulate::Credentials>,
) -> Option<String> {
    let mut options = MqttOptions::new(format!("mqscope-demo-sensors-{seed:x}"), host, port);
    options.set_keep_alive(Duration::from_secs(30));
    crate::simulate::Credentials::apply(credentials.as_ref(), &mut options);
    let (client, mut eventloop) = AsyncClient::new(options, 256);
    let mut network = NetworkOptions::new();
    network.set_tcp_nodelay(true);
    eventloop.set_network_options(network);
    let mut sim = SensorSimulator::new(seed);
    // The event loop must be polled for anything to be sent.
    let mut polling = tokio::spawn(async move {
        let mut retained_stored = retained_stored;
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    tracing::debug!("demo sensors connected")
                }
                // The first acknowledgement is the retained status's: it is published first.
                Ok(Event::Incoming(Packet::PubAck(_))) => {
                    if let Some(tx) = retained_stored.take() {
                        let _ = tx.send(());
                    }
                }
                Ok(_) => {}
                Err(rumqttc::ConnectionError::ConnectionRefused(code)) => {
                    // Retrying a wrong password every second helps nobody.
                    return format!("the broker refused the connection: {code:?}");
                }
                Err(e) => {
                    tracing::debug!(error = %e, "demo sensors lost the broker; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
    let publishing = async {
        for m in sim.retained() {
            let _ = client.publish(m.topic, qos(m.qos), m.retain, m.payload).await;
        }
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        loop {
            interval.tick().await;
            for m in sim.tick(SystemTime::now()) {
                let _ = client.publish(m.topic, qos(m.qos), m.retain, m.payload).await;
            }
        }
    };
    tokio::select! {
        refused = &mut polling => refused.ok(),
        () = publishing => None,
    }
}

fn qos(q: u8) -> QoS {
    crate::mqtt::qos_from(q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::extract_number;

    #[test]
    fn temperatures_drift_in_range_and_sometimes_pass_28() {
        let mut sim = SensorSimulator::new(7);
        let mut values = Vec::new();
        for _ in 0..600 {
            for m in sim.tick(SystemTime::now()) {
                if m.topic.ends_with("/temperature") {
                    assert_eq!(m.qos, 1);
                    values.push(extract_number(&m.payload, "temperature").expect("a temperature"));
                }
            }
        }
        assert_eq!(values.len(), 600 * TEMPERATURE_SENSORS);
        assert!(values.iter().all(|v| (20.0..=30.0).contains(v)));
        assert!(values.iter().any(|v| *v > 28.0), "never above the 28 °C alarm");
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        assert!((22.0..27.0).contains(&mean), "mean {mean}");
    }

    #[test]
    fn has_smart_home_topics_and_one_retained_status() {
        let mut sim = SensorSimulator::new(1);
        let topics: Vec<String> = sim.tick(SystemTime::now()).into_iter().map(|m| m.topic).collect();
        assert!(topics.contains(&"home/living_room/light".to_owned()));
        let retained = sim.retained();
        assert_eq!(retained.len(), 1);
        assert!(retained[0].retain);
    }
}

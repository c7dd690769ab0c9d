//! `mqscope simulate`: a load generator for any broker, also used by the
//! benchmarks. N topics, a target rate (0 = as fast as the broker takes them),
//! a total count, a payload shape, QoS and retain, over one or more
//! connections; prints the achieved rate. Without a count or rate it runs the
//! demo's simulated devices instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, ConnectionError, Event, MqttOptions, NetworkOptions, Outgoing, Packet};

use crate::mqtt::qos_from;

use crate::secret::Secret;
use crate::vocab::DEFAULT_MAX_PACKET_BYTES;

/// The user name and password of the broker URL (`mqtt://user:pass@host`).
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub username: String,
    pub password: Option<Secret>,
}

impl Credentials {
    /// Put them on `options` (nothing when there is no user name).
    pub fn apply(credentials: Option<&Self>, options: &mut MqttOptions) {
        if let Some(c) = credentials.filter(|c| !c.username.is_empty()) {
            let password = c.password.as_ref().map(|p| p.expose().to_owned()).unwrap_or_default();
            options.set_credentials(c.username.clone(), password);
        }
    }
}

/// Bytes of messages the publisher may queue ahead of the connection: with
/// 200 KB payloads against a closed port, a queue of 10,000 messages held
/// 1.7 GB within seconds.
const QUEUE_BYTES: usize = 16 * 1024 * 1024;

/// A refusal that retrying cannot fix (bad user name or password, not
/// authorised, banned, a protocol the broker does not speak): the run stops.
fn refused_for_good(e: &ConnectionError) -> Option<String> {
    match e {
        ConnectionError::ConnectionRefused(code) => Some(format!("the broker refused the connection: {code:?}")),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadShape {
    /// A 64-byte JSON object with a `value` number field.
    Json,
    /// A bare number such as `23.45`.
    Number,
    /// Random bytes of this size.
    Bytes(usize),
}

impl std::str::FromStr for PayloadShape {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json" => Ok(Self::Json),
            "number" => Ok(Self::Number),
            _ => match s.strip_prefix("bytes:").map(str::parse::<usize>) {
                Some(Ok(n)) if n <= DEFAULT_MAX_PACKET_BYTES => Ok(Self::Bytes(n)),
                Some(Ok(n)) => Err(format!(
                    "bytes:{n} is larger than the {DEFAULT_MAX_PACKET_BYTES}-byte packet limit"
                )),
                _ => Err(format!("'{s}' is not a payload shape: use json, number or bytes:SIZE")),
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct LoadPlan {
    pub host: String,
    pub port: u16,
    pub topics: usize,
    /// Messages per second over all connections; 0 means as fast as possible.
    pub rate: u64,
    pub count: u64,
    pub payload: PayloadShape,
    pub qos: u8,
    pub retain: bool,
    pub connections: usize,
    /// From the broker URL's `user:password@`.
    pub credentials: Option<Credentials>,
}

/// What a run achieved.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadReport {
    pub sent: u64,
    pub seconds: f64,
    /// Why the run stopped before sending everything, when it did.
    pub stopped: Option<String>,
}

impl LoadReport {
    pub fn rate(&self) -> f64 {
        self.sent as f64 / self.seconds.max(1e-9)
    }
}

/// The topic of message `i` among `topics`: depth 4, spread over two levels of 100.
pub fn load_topic(i: usize, topics: usize) -> String {
    let t = i % topics.max(1);
    format!("sim/zone_{}/rack_{}/sensor_{t}", t % 100, (t / 100) % 100)
}

pub fn load_payload(shape: &PayloadShape, seq: u64, rng: &mut fastrand::Rng) -> Vec<u8> {
    match shape {
        PayloadShape::Json => {
            // `t`: when it was made, in microseconds since 1970, so that a
            // subscriber can tell how long it took to arrive (scripts/bench-e2e.sh).
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_micros();
            let mut text = format!(
                r#"{{"seq":{seq},"value":{:.2},"t":{t},"pad":""#,
                20.0 + rng.f64() * 10.0
            );
            while text.len() < 62 {
                text.push('x');
            }
            text.push_str("\"}");
            text.into_bytes()
        }
        PayloadShape::Number => format!("{:.2}", 20.0 + rng.f64() * 10.0).into_bytes(),
        PayloadShape::Bytes(n) => (0..*n).map(|_| rng.u8(..)).collect(),
    }
}

/// Publish the plan and wait until the broker has taken every message
/// (written for QoS 0, acknowledged for QoS 1 and 2).
pub async fn run_load(plan: LoadPlan) -> LoadReport {
    let connections = plan.connections.max(1);
    let start = Instant::now();
    let sent = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for c in 0..connections {
        let share = plan.count / connections as u64 + u64::from((c as u64) < plan.count % connections as u64);
        let plan = plan.clone();
        let sent = sent.clone();
        tasks.push(tokio::spawn(async move { publish_share(plan, c, share, sent).await }));
    }
    let mut stopped = None;
    for task in tasks {
        if let Ok(Some(why)) = task.await {
            stopped.get_or_insert(why);
        }
    }
    LoadReport {
        sent: sent.load(Ordering::Relaxed),
        seconds: start.elapsed().as_secs_f64(),
        stopped,
    }
}

/// How many messages of this shape may wait in the client's request queue.
fn queue_capacity(shape: &PayloadShape) -> usize {
    let size = match shape {
        PayloadShape::Json => 64,
        PayloadShape::Number => 8,
        PayloadShape::Bytes(n) => *n,
    } + 64; // topic and packet overhead
    (QUEUE_BYTES / size).clamp(1, 10_000)
}

/// Publish one connection's share; the reason it stopped early, if it did.
async fn publish_share(plan: LoadPlan, connection: usize, count: u64, sent: Arc<AtomicU64>) -> Option<String> {
    let mut options = MqttOptions::new(
        format!("mqscope-sim-{connection}-{:x}", fastrand::u32(..)),
        plan.host.clone(),
        plan.port,
    );
    options.set_keep_alive(Duration::from_secs(30));
    options.set_max_packet_size(DEFAULT_MAX_PACKET_BYTES, DEFAULT_MAX_PACKET_BYTES);
    // rumqttc can reuse a packet id whose QoS 2 flow is still open at the broker,
    // which then drops the message as a duplicate: one QoS 2 message in flight.
    options.set_inflight(if plan.qos == 2 { 1 } else { 100 });
    Credentials::apply(plan.credentials.as_ref(), &mut options);
    let (client, mut eventloop) = AsyncClient::new(options, queue_capacity(&plan.payload));
    let mut network = NetworkOptions::new();
    network.set_tcp_nodelay(true);
    eventloop.set_network_options(network);
    let qos = plan.qos;
    let done = tokio::spawn(async move {
        let mut taken = 0u64;
        while taken < count {
            match eventloop.poll().await {
                Ok(Event::Outgoing(Outgoing::Publish(_))) if qos == 0 => taken += 1,
                Ok(Event::Incoming(Packet::PubAck(_) | Packet::PubComp(_))) => taken += 1,
                Ok(_) => {}
                Err(e) => {
                    if let Some(why) = refused_for_good(&e) {
                        // Dropping the event loop ends the publisher's sends too.
                        return (taken, Some(why));
                    }
                    eprintln!("mqscope simulate: connection {connection}: {e}; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        (taken, None)
    });
    let per_connection_rate = plan.rate as f64 / plan.connections.max(1) as f64;
    let mut rng = fastrand::Rng::new();
    let start = Instant::now();
    for i in 0..count {
        if per_connection_rate > 0.0 {
            let due = start + Duration::from_secs_f64(i as f64 / per_connection_rate);
            tokio::time::sleep_until(due.into()).await;
        }
        let global = i as usize * plan.connections.max(1) + connection;
        let topic = load_topic(global, plan.topics);
        let payload = load_payload(&plan.payload, i, &mut rng);
        if client
            .publish(topic, qos_from(plan.qos), plan.retain, payload)
            .await
            .is_err()
        {
            break;
        }
    }
    let (taken, stopped) = done.await.unwrap_or((0, None));
    sent.fetch_add(taken, Ordering::Relaxed);
    let _ = client.disconnect().await;
    stopped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_parse_and_json_is_64_bytes_with_a_number() {
        assert_eq!("json".parse(), Ok(PayloadShape::Json));
        assert_eq!("bytes:16".parse(), Ok(PayloadShape::Bytes(16)));
        assert!("bytes:x".parse::<PayloadShape>().is_err());
        assert!("xml".parse::<PayloadShape>().is_err());
        let mut rng = fastrand::Rng::with_seed(3);
        for seq in [0, 7, 123_456_789] {
            let before = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_micros() as f64;
            let p = load_payload(&PayloadShape::Json, seq, &mut rng);
            assert_eq!(p.len(), 64, "{}", String::from_utf8_lossy(&p));
            assert!(crate::payload::extract_number(&p, "value").is_some());
            let t = crate::payload::extract_number(&p, "t").expect("a send time");
            assert!(t >= before && t < before + 60e6, "{t} is when it was made");
        }
        assert_eq!(load_payload(&PayloadShape::Bytes(10), 0, &mut rng).len(), 10);
    }

    #[test]
    fn large_payloads_queue_fewer_messages() {
        assert_eq!(queue_capacity(&PayloadShape::Json), 10_000);
        let big = queue_capacity(&PayloadShape::Bytes(200_000));
        assert!(big * 200_000 <= QUEUE_BYTES, "{big} messages of 200 KB");
        assert!(queue_capacity(&PayloadShape::Bytes(DEFAULT_MAX_PACKET_BYTES)) <= 2);
    }

    #[test]
    fn topics_cycle_over_the_requested_count() {
        let distinct: std::collections::HashSet<String> = (0..5_000).map(|i| load_topic(i, 1_000)).collect();
        assert_eq!(distinct.len(), 1_000);
        assert_eq!(load_topic(0, 1_000).split('/').count(), 4);
    }
}

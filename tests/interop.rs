//! The interoperability matrix: browse (retained message and live ones),
//! publish, and subscriptions against every broker `.ci/run` installs —
//! Mosquitto (Debian), the embedded rumqttd, Aedes (npm, run with node) and
//! amqtt (PyPI). Where a broker lacks a feature, the test says so and checks
//! the rest.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Mosquitto, connect_with, pump_until, runtime, wait_for_port};
use mqscope::demo::{DemoBroker, free_port};
use mqscope::model::Model;
use mqscope::mqtt::{Command as MqttCommand, ConnectionHandle, Event};
use mqscope::vocab::{MessageProperties, ProtocolVersion, parse_broker_url};

/// A broker process started for one test, killed on drop.
struct ExternalBroker {
    port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for ExternalBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn brokers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/brokers")
}

fn start_aedes() -> ExternalBroker {
    let dir = brokers_dir();
    assert!(
        dir.join("node_modules/aedes").exists(),
        "Aedes is not installed: run `npm install --prefix tests/brokers` (bash .ci/run does)"
    );
    let port = free_port().unwrap();
    let child = Command::new("node")
        .arg(dir.join("aedes.mjs"))
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("node (Debian package nodejs) runs");
    wait_for_port(port, "aedes");
    ExternalBroker {
        port,
        child,
        _dir: tempfile::tempdir().unwrap(),
    }
}

fn start_amqtt() -> ExternalBroker {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().unwrap();
    let config = dir.path().join("amqtt.yaml");
    std::fs::write(
        &config,
        format!(
            "listeners:\n  default:\n    type: tcp\n    bind: 127.0.0.1:{port}\nplugins:\n  \
             amqtt.plugins.authentication.AnonymousAuthPlugin:\n    allow_anonymous: true\n"
        ),
    )
    .unwrap();
    let child = Command::new("amqtt")
        .arg("-c")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("amqtt is installed: `pip install amqtt` (bash .ci/run does)");
    wait_for_port(port, "amqtt");
    ExternalBroker { port, child, _dir: dir }
}

/// Every event of a connection until `done` holds (or 10 s pass), with the
/// messages applied to `model`.
fn events_until(
    handle: &ConnectionHandle,
    model: &mut Model,
    mut done: impl FnMut(&Model, &[Event]) -> bool,
) -> (bool, Vec<Event>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut events = Vec::new();
    loop {
        while let Some(event) = handle.try_event() {
            match event {
                Event::Messages(batch) => model.apply(batch, Instant::now()),
                other => events.push(other),
            }
        }
        if done(model, &events) {
            return (true, events);
        }
        if Instant::now() > deadline {
            return (false, events);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Browse, publish and retained against one broker, in one protocol version.
fn basic_matrix_row(name: &str, port: u16, protocol: ProtocolVersion) {
    let rt = runtime();
    let tag = format!("{}-{}", name.to_lowercase(), protocol.label().replace(' ', ""));
    let retained_topic = format!("interop/{tag}/retained");
    // A retained message that exists before mqscope connects.
    let publisher = common::publisher(&rt, port, &format!("pub-{tag}"));
    rt.block_on(publisher.publish(&retained_topic, common::qos(1), true, "kept"))
        .unwrap();
    common::retained_at_broker(&rt, port, &retained_topic, b"kept");

    let mut spec = parse_broker_url(&format!("mqtt://127.0.0.1:{port}")).unwrap();
    spec.protocol = protocol;
    spec.subscriptions = vec![format!("interop/{tag}/#").as_str().into()];
    let (handle, mut model, states) = connect_with(&rt, spec);
    eprintln!("{name} {}: {states:?}", protocol.label());

    // Browse: the retained message is in the tree, marked retained.
    let (found, _) = events_until(&handle, &mut model, |m, _| m.tree.get(&retained_topic).is_some());
    assert!(found, "{name}: the retained message did not arrive");
    let id = model.tree.get(&retained_topic).unwrap();
    assert!(model.tree.node(id).retained, "{name}: not marked retained");
    assert_eq!(&model.history.latest(id).unwrap().payload[..], b"kept");

    // Live messages from someone else arrive.
    let live_topic = format!("interop/{tag}/live");
    rt.block_on(publisher.publish(&live_topic, common::qos(0), false, "23.5"))
        .unwrap();
    // Publish from mqscope: acknowledged, and delivered back to our subscription.
    let own_topic = format!("interop/{tag}/from-mqscope");
    handle.send(MqttCommand::Publish {
        topic: own_topic.clone(),
        payload: b"hello".to_vec(),
        qos: 1,
        retain: false,
        properties: MessageProperties::default(),
    });
    let (ok, events) = events_until(&handle, &mut model, |m, events| {
        m.tree.get(&live_topic).is_some()
            && m.tree.get(&own_topic).is_some()
            && events
                .iter()
                .any(|e| matches!(e, Event::Published { topic, .. } if *topic == own_topic))
    });
    assert!(ok, "{name}: live or own message missing, or no ack: {events:?}");
    let id = model.tree.get(&own_topic).unwrap();
    assert!(!model.tree.node(id).retained);
    assert_eq!(&model.history.latest(id).unwrap().payload[..], b"hello");
}

#[test]
fn mosquitto_both_protocol_versions() {
    let broker = Mosquitto::start();
    basic_matrix_row("Mosquitto", broker.port, ProtocolVersion::V311);
    basic_matrix_row("Mosquitto", broker.port, ProtocolVersion::V5);
}

#[test]
fn embedded_rumqttd() {
    let broker = DemoBroker::start().unwrap();
    basic_matrix_row("rumqttd", broker.port, ProtocolVersion::V311);
    eprintln!("rumqttd: the embedded broker runs its MQTT 3.1.1 listener only; MQTT 5 is not checked here");
}

#[test]
fn aedes() {
    let broker = start_aedes();
    basic_matrix_row("Aedes", broker.port, ProtocolVersion::V311);
    eprintln!("Aedes: MQTT 3.1.1 only (Aedes has no MQTT 5); MQTT 5 is not checked here");
}

#[test]
fn amqtt() {
    let broker = start_amqtt();
    basic_matrix_row("amqtt", broker.port, ProtocolVersion::V311);
    eprintln!("amqtt: MQTT 3.1.1 only (amqtt has no MQTT 5); MQTT 5 is not checked here");
}

#[test]
fn a_refused_filter_is_reported_per_filter() {
    let broker = start_aedes();
    let rt = runtime();
    let mut spec = parse_broker_url(&format!("mqtt://127.0.0.1:{}", broker.port)).unwrap();
    spec.subscriptions = vec!["allowed/#".into(), "forbidden/#".into()];
    let handle = ConnectionHandle::spawn(spec, rt.handle(), common::no_wake());
    let mut model = Model::default();
    let (ok, events) = events_until(&handle, &mut model, |_, events| {
        events
            .iter()
            .filter(|e| matches!(e, Event::Subscribed { .. } | Event::SubscribeRefused { .. }))
            .count()
            >= 2
    });
    assert!(ok, "{events:?}");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Subscribed { filter, .. } if filter == "allowed/#"))
    );
    let refused = events
        .iter()
        .find_map(|e| match e {
            Event::SubscribeRefused { filter, reason } => Some((filter.clone(), reason.clone())),
            _ => None,
        })
        .expect("forbidden/# refused");
    assert_eq!(refused.0, "forbidden/#");
    assert!(refused.1.contains("refused"), "{}", refused.1);
}

#[test]
fn two_connections_to_two_brokers_stay_apart() {
    let rt = runtime();
    let mosquitto = Mosquitto::start();
    let rumqttd = DemoBroker::start().unwrap();
    let (a, mut model_a, _) = common::connect_subscribed(&rt, &mosquitto.url());
    let (b, mut model_b, _) = common::connect_subscribed(&rt, &format!("mqtt://127.0.0.1:{}", rumqttd.port));
    let pub_a = common::publisher(&rt, mosquitto.port, "pub-a");
    let pub_b = common::publisher(&rt, rumqttd.port, "pub-b");
    for i in 0..20 {
        rt.block_on(pub_a.publish(format!("only/mosquitto/{i}"), common::qos(1), false, "a"))
            .unwrap();
        rt.block_on(pub_b.publish(format!("only/rumqttd/{i}"), common::qos(1), false, "b"))
            .unwrap();
    }
    let mut states = Vec::new();
    assert!(pump_until(
        &a,
        &mut model_a,
        &mut states,
        Duration::from_secs(10),
        |m, _| { m.tree.topic_count() >= 20 }
    ));
    assert!(pump_until(
        &b,
        &mut model_b,
        &mut states,
        Duration::from_secs(10),
        |m, _| { m.tree.topic_count() >= 20 }
    ));
    // Each connection holds exactly its own broker's topics.
    assert_eq!(model_a.tree.topic_count(), 20);
    assert_eq!(model_b.tree.topic_count(), 20);
    assert!(model_a.tree.get("only/rumqttd/0").is_none());
    assert!(model_b.tree.get("only/mosquitto/0").is_none());
    // Closing one leaves the other working.
    a.close();
    rt.block_on(pub_b.publish("only/rumqttd/after", common::qos(1), false, "b"))
        .unwrap();
    assert!(pump_until(
        &b,
        &mut model_b,
        &mut states,
        Duration::from_secs(10),
        |m, _| { m.tree.get("only/rumqttd/after").is_some() }
    ));
}

#[test]
fn a_filter_the_broker_answers_by_hanging_up_is_dropped_not_looped() {
    // rumqttd closes the connection on a SUBSCRIBE to `$SYS/#` instead of
    // refusing it in the SUBACK. Renewing it on every reconnect would loop.
    let broker = DemoBroker::start().unwrap();
    let rt = runtime();
    let (handle, mut model, _) = common::connect_subscribed(&rt, &format!("mqtt://127.0.0.1:{}", broker.port));
    handle.send(MqttCommand::Subscribe("$SYS/#".into()));
    let (ok, events) = events_until(&handle, &mut model, |_, events| {
        let refused = events
            .iter()
            .any(|e| matches!(e, Event::SubscribeRefused { filter, .. } if filter == "$SYS/#"));
        let reconnected = events
            .iter()
            .any(|e| matches!(e, Event::State(mqscope::vocab::ConnectionState::Connected)));
        refused && reconnected
    });
    assert!(ok, "{events:?}");
    let reason = events
        .iter()
        .find_map(|e| match e {
            Event::SubscribeRefused { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .unwrap();
    assert!(reason.contains("closed the connection"), "{reason}");
    assert!(!handle.subscriptions().iter().any(|s| s.filter == "$SYS/#"));
    // Back for good: no further drops over the next seconds.
    let mut states = Vec::new();
    pump_until(&handle, &mut model, &mut states, Duration::from_secs(3), |_, _| false);
    assert!(states.is_empty(), "the connection kept dropping: {states:?}");
}

//! Round trips against real brokers on 127.0.0.1: the connection worker
//! subscribes `#`, another client publishes 1,000 messages on 100 topics (some
//! retained, some binary, every QoS), and the Model must end holding every
//! one exactly — topic, bytes, QoS, retain — with received == applied.

mod common;

use std::time::Duration;

use common::{Mosquitto, connect_subscribed, is_connected, no_wake, publisher, pump_until, qos, runtime};
use mqscope::demo::DemoBroker;
use mqscope::model::Model;
use mqscope::mqtt::ConnectionHandle;
use mqscope::vocab::parse_broker_url;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Sent {
    topic: String,
    payload: Vec<u8>,
    qos: u8,
    retain: bool,
}

/// 10 retained messages (published before we subscribe, so they arrive
/// flagged), then 990 live ones: every 7th binary, QoS cycling 0/1/2.
fn traffic() -> (Vec<Sent>, Vec<Sent>) {
    let retained = (0..10)
        .map(|i| Sent {
            topic: format!("retained/device_{i}/status"),
            payload: format!(r#"{{"online": true, "n": {i}}}"#).into_bytes(),
            qos: 1,
            retain: true,
        })
        .collect();
    let live = (0..990)
        .map(|i| {
            let payload = if i % 7 == 0 {
                vec![0xff, 0x00, (i % 256) as u8, 0xfe, 0x80]
            } else {
                format!(r#"{{"temperature": {}.5, "seq": {i}}}"#, 20 + i % 10).into_bytes()
            };
            Sent {
                topic: format!("load/site_{}/sensor_{}", i % 9, i % 90),
                payload,
                qos: (i % 3) as u8,
                retain: false,
            }
        })
        .collect();
    (retained, live)
}

/// `delivered_qos` maps the QoS a message was published with to the QoS the
/// broker delivers it at to our `#` subscription (granted QoS 2).
fn round_trip(port: u16, delivered_qos: fn(u8) -> u8) {
    let rt = runtime();
    let _guard = rt.enter();
    let (retained, live) = traffic();
    let client = publisher(&rt, port, "roundtrip-publisher");
    rt.block_on(async {
        for m in &retained {
            client
                .publish(&m.topic, qos(m.qos), true, m.payload.clone())
                .await
                .unwrap();
        }
    });
    // The broker has stored the retained messages before we subscribe.
    client.settled(&rt);

    let spec = parse_broker_url(&format!("mqtt://127.0.0.1:{port}")).unwrap();
    let handle = ConnectionHandle::spawn(spec, rt.handle(), no_wake());
    let mut model = Model::default();
    let mut states = Vec::new();
    assert!(
        pump_until(
            &handle,
            &mut model,
            &mut states,
            Duration::from_secs(20),
            |m, s| is_connected(s) && m.applied() >= 10
        ),
        "never connected and got the retained messages: states {states:?}"
    );
    rt.block_on(async {
        for m in &live {
            client
                .publish(&m.topic, qos(m.qos), false, m.payload.clone())
                .await
                .unwrap();
        }
    });
    let total = (retained.len() + live.len()) as u64;
    let arrived = pump_until(&handle, &mut model, &mut states, Duration::from_secs(30), |m, _| {
        m.applied() >= total
    });
    assert!(arrived, "only {} of {total} messages arrived", model.applied());
    // Nothing more trickles in: a last message from the same publisher, at
    // QoS 2 on a topic of its own. MQTT orders messages only per topic and
    // QoS; these brokers deliver QoS 0 at once and queue QoS 1/2 in order
    // (rumqttd forwards all at QoS 2), so once it is here any duplicate would
    // be too. And nothing was lost between worker and Model.
    rt.block_on(client.publish(END, qos(2), false, "end")).unwrap();
    assert!(
        pump_until(&handle, &mut model, &mut states, Duration::from_secs(10), |m, _| m
            .tree
            .get(END)
            .is_some()),
        "the closing message arrived"
    );
    assert_eq!(model.applied(), total + 1, "every message once, then the closing one");
    assert_eq!(handle.received(), model.applied(), "received must equal applied");

    let expected_topics: std::collections::BTreeSet<&str> =
        retained.iter().chain(&live).map(|m| m.topic.as_str()).collect();
    assert_eq!(model.tree.topic_count(), expected_topics.len() as u64 + 1, "and {END}");
    for topic in expected_topics {
        let node = model
            .tree
            .get(topic)
            .unwrap_or_else(|| panic!("{topic} missing from the tree"));
        let got: Vec<Sent> = model
            .history
            .messages(node)
            .iter()
            .map(|m| Sent {
                topic: topic.to_owned(),
                payload: m.payload.to_vec(),
                qos: m.qos,
                retain: m.retain,
            })
            .collect();
        let want: Vec<Sent> = retained
            .iter()
            .chain(&live)
            .filter(|m| m.topic == topic)
            .map(|m| Sent {
                qos: delivered_qos(m.qos),
                ..m.clone()
            })
            .collect();
        assert_eq!(got, want, "messages on {topic}");
        assert_eq!(model.tree.node(node).own_messages, want.len() as u64);
        assert_eq!(
            model.tree.node(node).retained,
            want.iter().any(|m| m.retain),
            "retained mark of {topic}"
        );
    }
    let root_subtree: u64 = model
        .tree
        .roots()
        .iter()
        .map(|&r| model.tree.node(r).subtree_messages)
        .sum();
    assert_eq!(root_subtree, total + 1);
}

/// Published last, to show that nothing more is on its way.
const END: &str = "roundtrip/end";

#[test]
fn round_trip_through_embedded_broker() {
    let broker = DemoBroker::start().expect("the embedded broker starts");
    // rumqttd 0.20 forwards every message at the subscription's QoS rather than
    // min(published, granted) as MQTT 3.1.1 section 3.8.4 asks; the app shows
    // the QoS as delivered on the wire.
    round_trip(broker.port, |_| 2);
}

#[test]
fn round_trip_through_mosquitto() {
    let broker = Mosquitto::start();
    round_trip(broker.port, |published| published);
}

#[test]
fn simulate_load_arrives_whole_through_mosquitto() {
    let broker = Mosquitto::start();
    let rt = runtime();
    let (handle, mut model, mut states) = connect_subscribed(&rt, &broker.url());
    let plan = mqscope::simulate::LoadPlan {
        host: "127.0.0.1".into(),
        port: broker.port,
        topics: 1_000,
        rate: 0,
        count: 20_000,
        payload: mqscope::simulate::PayloadShape::Json,
        qos: 1,
        retain: false,
        connections: 2,
        credentials: None,
    };
    let report = rt.block_on(mqscope::simulate::run_load(plan));
    assert_eq!(report.sent, 20_000, "the broker acknowledged every message");
    let arrived = pump_until(&handle, &mut model, &mut states, Duration::from_secs(30), |m, _| {
        m.applied() >= 20_000
    });
    assert!(arrived, "only {} of 20000 arrived", model.applied());
    assert_eq!(model.tree.topic_count(), 1_000);
    assert_eq!(handle.received(), model.applied());
    let node = model.tree.get(&mqscope::simulate::load_topic(0, 1_000)).unwrap();
    let latest = model.history.latest(node).unwrap();
    assert_eq!(latest.payload.len(), 64);
    assert!(mqscope::payload::extract_number(&latest.payload, "value").is_some());
}

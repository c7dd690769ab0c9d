//! TLS, mutual TLS, WebSockets, MQTT 5 and the Last Will against a real
//! Mosquitto on loopback, with certificates generated for the run. Each check
//! is what a user sees: connected, or the reason in words.

mod common;

use std::time::Duration;

use common::certs::TestPki;
use common::{Mosquitto, Relay, outcome, pump_until, runtime};
use mqscope::model::Model;
use mqscope::mqtt::{Command, ConnectionHandle};
use mqscope::vocab::{ConnectionSpec, LastWill, MessageProperties, ProtocolVersion, Transport, parse_broker_url};

struct TlsBroker {
    broker: Mosquitto,
    pki: TestPki,
    tls: u16,
    mtls: u16,
    expired: u16,
    ws: u16,
    wss: u16,
}

/// Mosquitto with a TLS listener, a mutual-TLS one, one with an expired
/// certificate, and a WebSockets one (beside its plain listener).
fn tls_broker() -> TlsBroker {
    let pki = TestPki::new();
    let ca = pki.ca.display();
    let (broker, ports) = Mosquitto::start_with_ports(5, |p| {
        let [tls, mtls, expired, ws, wss] = [p[0], p[1], p[2], p[3], p[4]];
        format!(
            "allow_anonymous true\n\
         listener {tls} 127.0.0.1\ncafile {ca}\ncertfile {}\nkeyfile {}\n\
         listener {mtls} 127.0.0.1\ncafile {ca}\ncertfile {}\nkeyfile {}\nrequire_certificate true\n\
         listener {expired} 127.0.0.1\ncafile {ca}\ncertfile {}\nkeyfile {}\n\
         listener {ws} 127.0.0.1\nprotocol websockets\n\
         listener {wss} 127.0.0.1\nprotocol websockets\ncafile {ca}\ncertfile {}\nkeyfile {}\n",
            pki.server_cert.display(),
            pki.server_key.display(),
            pki.server_cert.display(),
            pki.server_key.display(),
            pki.expired_cert.display(),
            pki.expired_key.display(),
            pki.server_cert.display(),
            pki.server_key.display(),
        )
    });
    let [tls, mtls, expired, ws, wss] = [ports[0], ports[1], ports[2], ports[3], ports[4]];
    TlsBroker {
        broker,
        pki,
        tls,
        mtls,
        expired,
        ws,
        wss,
    }
}

fn tls_spec(host: &str, port: u16) -> ConnectionSpec {
    let mut spec = parse_broker_url(&format!("mqtts://{host}:{port}")).expect("a URL");
    spec.subscriptions = vec!["#".into()];
    spec
}

/// Connect and report what the user would see after at most 10 s.
fn try_connect(rt: &tokio::runtime::Runtime, spec: ConnectionSpec) -> (ConnectionHandle, Model, Result<(), String>) {
    let handle = ConnectionHandle::spawn(spec, rt.handle(), common::no_wake());
    let mut model = Model::default();
    let result = outcome(&handle, &mut model, Duration::from_secs(10));
    (handle, model, result)
}

/// Publish through the app's own connection and wait for the broker to echo
/// it back to the app's `#` subscription: the link works both ways.
fn round_trip(handle: &ConnectionHandle, model: &mut Model, topic: &str, payload: &str) {
    // Sent again every half second until it comes back: a subscription still
    // on its way (its SUBACK not seen by the caller) costs a resend, never a
    // fixed sleep or a lost test.
    let mut states = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        handle.send(Command::Publish {
            topic: topic.to_owned(),
            payload: payload.as_bytes().to_vec(),
            qos: 1,
            retain: false,
            properties: MessageProperties::default(),
        });
        let arrived = pump_until(handle, model, &mut states, Duration::from_millis(500), |m, _| {
            m.tree
                .get(topic)
                .and_then(|id| m.history.latest(id))
                .is_some_and(|msg| &msg.payload[..] == payload.as_bytes())
        });
        if arrived {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{topic} did not come back: {states:?}"
        );
    }
}

#[test]
fn tls_with_the_broker_ca_connects_and_carries_messages() {
    let rt = runtime();
    let b = tls_broker();
    let mut spec = tls_spec("localhost", b.tls);
    spec.tls.ca_file = Some(b.pki.ca.clone());
    let (handle, mut model, result) = try_connect(&rt, spec);
    assert_eq!(result, Ok(()));
    round_trip(&handle, &mut model, "secure/hello", "over TLS");
}

#[test]
fn a_wrong_ca_fails_with_the_reason_in_words() {
    let rt = runtime();
    let b = tls_broker();
    let mut spec = tls_spec("localhost", b.tls);
    spec.tls.ca_file = Some(b.pki.wrong_ca.clone());
    let (_handle, _model, result) = try_connect(&rt, spec);
    let reason = result.expect_err("a wrong CA must not connect");
    assert!(reason.contains("unknown issuer"), "{reason}");
    assert!(reason.contains("CA file"), "the next step is named: {reason}");
}

#[test]
fn name_mismatch_and_expired_certificates_are_named() {
    let rt = runtime();
    let b = tls_broker();
    // The certificate is for `localhost`; 127.0.0.1 is not in it.
    let mut spec = tls_spec("127.0.0.1", b.tls);
    spec.tls.ca_file = Some(b.pki.ca.clone());
    let reason = try_connect(&rt, spec).2.expect_err("a name mismatch must not connect");
    assert!(reason.contains("name mismatch"), "{reason}");
    // The next step a user can take: the names the certificate does hold.
    assert!(reason.contains("it names localhost"), "{reason}");

    let mut spec = tls_spec("localhost", b.expired);
    spec.tls.ca_file = Some(b.pki.ca.clone());
    let reason = try_connect(&rt, spec)
        .2
        .expect_err("an expired certificate must not connect");
    assert!(reason.contains("expired"), "{reason}");
}

#[test]
fn insecure_skips_verification_and_says_so() {
    let rt = runtime();
    let b = tls_broker();
    let mut spec = tls_spec("127.0.0.1", b.tls);
    spec.tls.ca_file = Some(b.pki.wrong_ca.clone());
    // The control: the same settings without "insecure" are refused.
    let (_h, _m, refused) = try_connect(&rt, spec.clone());
    assert!(refused.is_err(), "the wrong CA alone is refused: {refused:?}");
    spec.tls.insecure = true;
    let (handle, mut model, result) = try_connect(&rt, spec);
    assert_eq!(result, Ok(()), "insecure is what lets it connect");
    round_trip(&handle, &mut model, "insecure/hello", "still encrypted");
}

#[test]
fn mutual_tls_needs_the_client_certificate() {
    let rt = runtime();
    let b = tls_broker();
    let mut spec = tls_spec("localhost", b.mtls);
    spec.tls.ca_file = Some(b.pki.ca.clone());
    let (_h, _m, result) = try_connect(&rt, spec.clone());
    let reason = result.expect_err("no client certificate must not connect");
    assert!(reason.contains("client certificate"), "{reason}");

    spec.tls.client_cert = Some(b.pki.client_cert.clone());
    spec.tls.client_key = Some(b.pki.client_key.clone());
    let (handle, mut model, result) = try_connect(&rt, spec.clone());
    assert_eq!(result, Ok(()));
    round_trip(&handle, &mut model, "mtls/hello", "both sides verified");
    drop(handle);

    // A key file that is not there is named, with its path, before any network.
    spec.tls.client_key = Some(b.pki.dir.path().join("missing.key"));
    let reason = try_connect(&rt, spec).2.expect_err("a missing key file");
    assert!(
        reason.contains("missing.key") && reason.contains("key file"),
        "{reason}"
    );
    let _ = &b.broker;
}

#[test]
fn secure_websockets_check_the_certificate_and_carry_messages() {
    let rt = runtime();
    let b = tls_broker();
    let mut spec = parse_broker_url(&format!("wss://localhost:{}/mqtt", b.wss)).unwrap();
    assert_eq!(spec.transport, Transport::Wss);
    // Without the broker's CA: refused, in words.
    let refused = try_connect(&rt, spec.clone()).2.expect_err("an unknown CA over wss://");
    assert!(refused.contains("unknown issuer"), "{refused}");
    spec.tls.ca_file = Some(b.pki.ca.clone());
    let handle = ConnectionHandle::spawn(spec, rt.handle(), common::no_wake());
    let mut model = Model::default();
    let mut states = Vec::new();
    let connected = pump_until(&handle, &mut model, &mut states, Duration::from_secs(20), |_, s| {
        common::is_connected(s)
    });
    assert!(connected, "{states:?}");
    round_trip(&handle, &mut model, "wss/hello", "over TLS WebSockets");
}

#[test]
fn websockets_carry_both_protocol_versions() {
    let rt = runtime();
    let b = tls_broker();
    for protocol in [ProtocolVersion::V311, ProtocolVersion::V5] {
        let mut spec = parse_broker_url(&format!("ws://127.0.0.1:{}/mqtt", b.ws)).unwrap();
        assert_eq!(spec.transport, Transport::Ws);
        spec.protocol = protocol;
        // Mosquitto's WebSocket listener can reset the very first connection
        // while it starts (seen under load); the app retries by itself, and
        // what the user sees is that it connects.
        let handle = ConnectionHandle::spawn(spec, rt.handle(), common::no_wake());
        let mut model = Model::default();
        let mut states = Vec::new();
        let connected = pump_until(&handle, &mut model, &mut states, Duration::from_secs(20), |_, s| {
            common::is_connected(s)
        });
        assert!(connected, "{protocol:?}: {states:?}");
        round_trip(
            &handle,
            &mut model,
            &format!("ws/{}", protocol.label()),
            "over WebSockets",
        );
    }
    // The wrong port for WebSockets: the user hears about port and path.
    let spec = parse_broker_url(&format!("ws://127.0.0.1:{}/mqtt", b.broker.port)).unwrap();
    let reason = try_connect(&rt, spec).2.expect_err("a plain MQTT port is no WebSocket");
    assert!(reason.contains("WebSocket"), "the next step names WebSockets: {reason}");
}

#[test]
fn mqtt5_properties_arrive_with_the_message() {
    let rt = runtime();
    let broker = Mosquitto::start();
    let mut spec = parse_broker_url(&broker.url()).unwrap();
    spec.protocol = ProtocolVersion::V5;
    let (handle, mut model, result) = try_connect(&rt, spec);
    // Connected means subscribed too (`outcome` waits for the SUBACK).
    assert_eq!(result, Ok(()));
    let properties = MessageProperties {
        content_type: Some("application/json".into()),
        user_properties: vec![("sensor-id".into(), "t-17".into()), ("site".into(), "plant 2".into())],
        response_topic: Some("replies/t-17".into()),
        correlation_data: Some(b"req-42".to_vec().into_boxed_slice()),
        payload_is_utf8: Some(true),
        message_expiry_s: Some(3600),
        subscription_ids: Vec::new(),
    };
    handle.send(Command::Publish {
        topic: "plant/t-17".into(),
        payload: br#"{"temperature": 21.5}"#.to_vec(),
        qos: 1,
        retain: false,
        properties: properties.clone(),
    });
    let mut states = Vec::new();
    let arrived = pump_until(&handle, &mut model, &mut states, Duration::from_secs(10), |m, _| {
        m.tree.get("plant/t-17").is_some()
    });
    assert!(arrived, "{states:?}");
    let node = model.tree.get("plant/t-17").unwrap();
    let got = model
        .history
        .latest(node)
        .unwrap()
        .properties
        .as_deref()
        .expect("properties kept");
    assert_eq!(got.content_type.as_deref(), Some("application/json"));
    assert_eq!(got.user_properties, properties.user_properties);
    assert_eq!(got.response_topic.as_deref(), Some("replies/t-17"));
    assert_eq!(got.correlation_data.as_deref(), Some(&b"req-42"[..]));
    assert_eq!(got.payload_is_utf8, Some(true));
    // The broker counts the expiry down; it is there and no longer than sent.
    assert!(got.message_expiry_s.is_some_and(|s| s <= 3600));
}

#[test]
fn mqtt5_passwords_right_and_wrong() {
    let rt = runtime();
    let broker = Mosquitto::start_with_password("alice", "s3cret");
    let mut spec = parse_broker_url(&format!("mqtt://alice:wrong@127.0.0.1:{}", broker.port)).unwrap();
    spec.protocol = ProtocolVersion::V5;
    let reason = try_connect(&rt, spec.clone()).2.expect_err("a wrong password");
    assert!(
        reason.contains("bad user name or password") || reason.contains("not authorised"),
        "{reason}"
    );
    assert!(reason.contains("CONNACK 0x8"), "the code is shown: {reason}");
    spec.password = Some(mqscope::secret::Secret::new("s3cret"));
    assert_eq!(try_connect(&rt, spec).2, Ok(()));
}

#[test]
fn last_will_reaches_another_client_when_the_connection_drops() {
    let rt = runtime();
    let broker = Mosquitto::start();
    for protocol in [ProtocolVersion::V311, ProtocolVersion::V5] {
        let will_topic = format!("clients/mqscope/{}/status", protocol.label().replace(' ', ""));
        // Someone else watches the will topic.
        let (watcher, mut watcher_model, _) = common::connect_subscribed(&rt, &broker.url());

        let relay = Relay::start(broker.port);
        let mut spec = parse_broker_url(&format!("mqtt://127.0.0.1:{}", relay.port)).unwrap();
        spec.protocol = protocol;
        spec.subscriptions = vec!["nothing/here".into()];
        spec.will = Some(LastWill {
            topic: will_topic.clone(),
            payload: "offline (unexpected)".into(),
            qos: 1,
            retain: false,
            delay_s: 0,
        });
        let (app, _model, result) = try_connect(&rt, spec);
        // The will went with CONNECT, which the CONNACK answered.
        assert_eq!(result, Ok(()), "{protocol:?}");
        relay.cut();

        let mut states = Vec::new();
        let delivered = pump_until(
            &watcher,
            &mut watcher_model,
            &mut states,
            Duration::from_secs(10),
            |m, _| {
                m.tree
                    .get(&will_topic)
                    .and_then(|id| m.history.latest(id))
                    .is_some_and(|msg| &msg.payload[..] == b"offline (unexpected)")
            },
        );
        assert!(delivered, "{protocol:?}: the will never arrived");
        drop(app);
    }
}

#[test]
fn a_clean_disconnect_sends_no_will() {
    let rt = runtime();
    // The broker says every second how many clients it has: the witness that
    // the app really went (a close that never closes would also send no will).
    let broker = Mosquitto::start_with("allow_anonymous true\nsys_interval 1\n");
    let mut watch = parse_broker_url(&broker.url()).unwrap();
    watch.subscriptions = vec!["#".into(), "$SYS/broker/clients/connected".into()];
    let (watcher, mut watcher_model, _) = common::connect_with(&rt, watch);
    let connected = |m: &Model| {
        m.tree
            .get("$SYS/broker/clients/connected")
            .and_then(|id| m.history.latest(id))
            .map(|msg| String::from_utf8_lossy(&msg.payload).into_owned())
    };
    let mut spec = parse_broker_url(&broker.url()).unwrap();
    spec.will = Some(LastWill {
        topic: "clients/polite/status".into(),
        payload: "gone".into(),
        qos: 1,
        retain: false,
        delay_s: 0,
    });
    let (app, _model, result) = try_connect(&rt, spec);
    assert_eq!(result, Ok(()));
    let mut states = Vec::new();
    assert!(
        pump_until(
            &watcher,
            &mut watcher_model,
            &mut states,
            Duration::from_secs(10),
            |m, _| { connected(m).as_deref() == Some("2") }
        ),
        "the broker counts the watcher and the app: {:?}",
        connected(&watcher_model)
    );
    app.close();
    assert!(
        pump_until(
            &watcher,
            &mut watcher_model,
            &mut states,
            Duration::from_secs(10),
            |m, _| { connected(m).as_deref() == Some("1") }
        ),
        "the app left the broker: {:?}",
        connected(&watcher_model)
    );
    // Something that surely arrives after a will would have: a marker.
    let marker = common::publisher(&rt, broker.port, "marker");
    rt.block_on(marker.publish("marker", common::qos(1), false, "after"))
        .unwrap();
    assert!(pump_until(
        &watcher,
        &mut watcher_model,
        &mut states,
        Duration::from_secs(10),
        |m, _| { m.tree.get("marker").is_some() }
    ));
    assert!(watcher_model.tree.get("clients/polite/status").is_none());
}

#[test]
fn mqtt5_subscription_options_reach_the_broker() {
    // No Local keeps our own publishes away; Retain Handling 2 keeps the
    // retained message away; another client's live message still arrives.
    use mqscope::vocab::Subscription;
    let rt = runtime();
    let broker = Mosquitto::start();
    let other = common::publisher(&rt, broker.port, "opts-other");
    rt.block_on(other.publish("opts/retained", common::qos(1), true, "old"))
        .unwrap();
    let mut spec = parse_broker_url(&broker.url()).unwrap();
    spec.protocol = ProtocolVersion::V5;
    spec.subscriptions = vec![Subscription {
        no_local: true,
        retain_handling: 2,
        ..Subscription::new("opts/#").with_qos(1)
    }];
    let (handle, mut model, result) = try_connect(&rt, spec);
    assert_eq!(result, Ok(()));
    handle.send(Command::Publish {
        topic: "opts/mine".into(),
        payload: b"from us".to_vec(),
        qos: 1,
        retain: false,
        properties: MessageProperties::default(),
    });
    // The broker acknowledged ours; then a marker from another client: once
    // the marker is here, ours would be too.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    'acked: loop {
        while let Some(event) = handle.try_event() {
            match event {
                mqscope::mqtt::Event::Published { topic, .. } if topic == "opts/mine" => break 'acked,
                mqscope::mqtt::Event::Messages(batch) => model.apply(batch, std::time::Instant::now()),
                _ => {}
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "our publish was never acknowledged"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    rt.block_on(other.publish("opts/marker", common::qos(1), false, "after"))
        .unwrap();
    let mut states = Vec::new();
    assert!(pump_until(
        &handle,
        &mut model,
        &mut states,
        Duration::from_secs(10),
        |m, _| { m.tree.get("opts/marker").is_some() }
    ));
    assert!(
        model.tree.get("opts/mine").is_none(),
        "No Local: our own publish stayed away"
    );
    assert!(
        model.tree.get("opts/retained").is_none(),
        "Retain Handling 2: no retained message"
    );
}

//! Several connections in one window, the subscriptions manager, MQTT 5
//! properties in the inspector and the insecure-TLS warning, all driven
//! through the UI against real brokers on loopback.

mod common;

use std::time::Duration;

use common::harness::{TestApp, harness, has_label, has_text, step_until, type_into};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use mqscope::app::Startup;
use mqscope::vocab::{ConnectionState, ProtocolVersion, parse_broker_url};

fn connected(h: &Harness<'static, TestApp>, index: usize) -> bool {
    h.state().app.connection_state_of(index) == Some(&ConnectionState::Connected)
}

#[test]
fn two_connections_side_by_side_keep_their_own_topics() {
    let rt = common::runtime();
    let mosquitto = common::Mosquitto::start();
    let rumqttd = mqscope::demo::DemoBroker::start().unwrap();
    let pub_a = common::publisher(&rt, mosquitto.port, "pub-a");
    let pub_b = common::publisher(&rt, rumqttd.port, "pub-b");
    rt.block_on(pub_a.publish("site/alpha/temp", common::qos(1), true, "21.0"))
        .unwrap();
    rt.block_on(pub_b.publish("site/beta/temp", common::qos(1), true, "18.5"))
        .unwrap();
    pub_a.settled(&rt);
    pub_b.settled(&rt);

    let spec = parse_broker_url(&mosquitto.url()).unwrap();
    let mut harness = harness(Startup::Connect(Box::new(spec)));
    step_until(&mut harness, "the first connection", |h| connected(h, 0));
    step_until(&mut harness, "alpha in the tree", |h| has_label(h, "alpha"));

    // A second connection from the tab bar's "+": the form, then Save and connect.
    harness.get_by_label("+").click();
    harness.run_steps(4);
    type_into(&mut harness, "Name", "Beta broker");
    type_into(&mut harness, "Host", "127.0.0.1");
    type_into(&mut harness, "Port", &rumqttd.port.to_string());
    harness.get_by_label("Save and connect").click();
    step_until(&mut harness, "the second connection", |h| connected(h, 1));
    step_until(&mut harness, "beta in the second tab's tree", |h| has_label(h, "beta"));
    assert!(
        !has_label(&harness, "alpha"),
        "the second tab shows only its own broker"
    );
    let names = harness.state().app.connection_names();
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(names[1], "Beta broker");
    let app = &harness.state().app;
    assert!(app.model_of(0).unwrap().tree.get("site/beta/temp").is_none());
    assert!(app.model_of(1).unwrap().tree.get("site/alpha/temp").is_none());

    // Back to the first tab by its name.
    harness.get_by_label(&names[0]).click();
    step_until(&mut harness, "the first tab again", |h| {
        has_label(h, "alpha") && !has_label(h, "beta")
    });

    // Close the first tab from the Connection menu; the second keeps receiving.
    harness.get_by_label("Connection").click();
    harness.run_steps(2);
    harness.get_by_label("Close tab").click();
    step_until(&mut harness, "one tab left", |h| {
        h.state().app.connection_names().len() == 1
    });
    assert_eq!(harness.state().app.connection_names(), ["Beta broker"]);
    rt.block_on(pub_b.publish("site/beta/humidity", common::qos(1), false, "40"))
        .unwrap();
    step_until(&mut harness, "a new message on the remaining connection", |h| {
        has_label(h, "humidity")
    });
    assert!(connected(&harness, 0));
}

#[test]
fn the_subscriptions_manager_adds_validates_and_removes() {
    let rt = common::runtime();
    let broker = common::Mosquitto::start();
    let mut spec = parse_broker_url(&broker.url()).unwrap();
    spec.subscriptions = vec!["plant/#".into()];
    let mut harness = harness(Startup::Connect(Box::new(spec)));
    step_until(&mut harness, "the connection", |h| connected(h, 0));
    step_until(&mut harness, "the SUBACK", |h| has_text(h, "granted QoS 2"));

    // An invalid filter is said next to the field as it is typed, by the MQTT
    // rules, and refused.
    let field = "New filter";
    harness.get_by_label(field).focus();
    harness.get_by_label(field).type_text("office/#/lamp");
    harness.run_steps(2);
    assert!(
        has_text(&harness, "# must be a whole level"),
        "the rule is shown as typed"
    );
    harness.get_by_label("Subscribe").click();
    harness.run_steps(2);
    assert!(has_text(&harness, "# must be a whole level"), "and on Subscribe");
    assert!(!has_label(&harness, "office/#/lamp"), "not subscribed");

    // A valid one is subscribed, and its messages arrive.
    type_into(&mut harness, field, "office/+/lamp");
    harness.get_by_label("Subscribe").click();
    step_until(&mut harness, "the new subscription's row, granted", |h| {
        has_label(h, "office/+/lamp") && !has_text(h, "waiting for the broker")
    });
    let publisher = common::publisher(&rt, broker.port, "pub-subs");
    rt.block_on(publisher.publish("office/desk/lamp", common::qos(1), false, "on"))
        .unwrap();
    step_until(&mut harness, "the lamp topic", |h| has_label(h, "desk"));

    // $SYS/# in one click: Mosquitto's own statistics appear.
    harness.get_by_label("$SYS/#").click();
    step_until(&mut harness, "Mosquitto's $SYS topics", |h| has_label(h, "$SYS"));

    // Remove plant/#: plant messages stop arriving; office ones still do.
    harness.get_by_label("Unsubscribe from plant/#").click();
    harness.run_steps(4);
    assert!(!has_label(&harness, "plant/#"), "the row is gone");
    // The app's own publish leaves after its UNSUBSCRIBE on the same socket:
    // once it is back, the broker has dropped plant/# (no fixed sleep).
    type_into(&mut harness, "Topic", "office/marker/lamp");
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Publish")
        .click();
    step_until(&mut harness, "the app's own message back", |h| has_label(h, "marker"));
    rt.block_on(publisher.publish("plant/boiler/temp", common::qos(1), false, "80"))
        .unwrap();
    rt.block_on(publisher.publish("office/hall/lamp", common::qos(1), false, "off"))
        .unwrap();
    step_until(&mut harness, "the hall lamp", |h| has_label(h, "hall"));
    let model = harness.state().app.model().unwrap();
    assert!(
        model.tree.get("plant/boiler/temp").is_none(),
        "unsubscribed topics stay away"
    );
}

#[test]
fn mqtt5_user_properties_and_content_type_reach_the_inspector() {
    use rumqttc::v5::mqttbytes::v5::PublishProperties;
    let rt = common::runtime();
    let broker = common::Mosquitto::start();
    let mut spec = parse_broker_url(&broker.url()).unwrap();
    spec.protocol = ProtocolVersion::V5;
    let mut harness = harness(Startup::Connect(Box::new(spec)));
    step_until(&mut harness, "the connection", |h| connected(h, 0));
    assert!(has_label(&harness, "MQTT 5"), "the protocol is shown");
    step_until(&mut harness, "the subscription granted", |h| has_text(h, "granted QoS"));

    // A device publishes with MQTT 5 properties.
    let mut options = rumqttc::v5::MqttOptions::new("device-t17", "127.0.0.1", broker.port);
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut eventloop) = rumqttc::v5::AsyncClient::new(options, 10);
    rt.spawn(async move { while eventloop.poll().await.is_ok() {} });
    // One property a person set, then thousands a misbehaving gateway adds.
    let mut user_properties = vec![("sensor-id".to_owned(), "t-17".to_owned())];
    user_properties.extend((0..5_000).map(|i| (format!("trace-{i}"), "x".repeat(40))));
    let properties = PublishProperties {
        content_type: Some("application/json".into()),
        user_properties,
        ..Default::default()
    };
    rt.block_on(client.publish_with_properties(
        "plant/t17/state",
        rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
        false,
        r#"{"temperature": 21.5}"#,
        properties,
    ))
    .unwrap();
    step_until(&mut harness, "the device's topic", |h| has_label(h, "state"));
    harness.get_by_label("state").click();
    step_until(&mut harness, "the properties in the inspector", |h| {
        has_label(h, "MQTT 5 properties") && has_label(h, "User properties (5001)")
    });
    assert!(has_label(&harness, "Content type"));
    assert!(has_label(&harness, "application/json"));
    assert!(has_label(&harness, "sensor-id = t-17"), "the first one, as set");
    // Only the rows on screen are laid out, not five thousand.
    let laid_out = harness
        .query_all_by(|n| n.label().is_some_and(|l| l.starts_with("trace-")))
        .count();
    assert!(laid_out < 20, "{laid_out} user property rows laid out");
}

#[test]
fn insecure_tls_stays_visibly_marked_while_connected() {
    let pki = common::certs::TestPki::new();
    let (broker, ports) = common::Mosquitto::start_with_ports(1, |p| {
        format!(
            "allow_anonymous true\nlistener {} 127.0.0.1\ncertfile {}\nkeyfile {}\n",
            p[0],
            pki.server_cert.display(),
            pki.server_key.display()
        )
    });
    let port = ports[0];
    let mut spec = parse_broker_url(&format!("mqtts://127.0.0.1:{port}")).unwrap();
    spec.tls.insecure = true;
    let mut harness = harness(Startup::Connect(Box::new(spec)));
    step_until(&mut harness, "the connection", |h| connected(h, 0));
    assert!(has_text(&harness, "TLS NOT VERIFIED"), "the warning is on screen");
    drop(broker);
}

#[test]
fn the_connection_form_saves_tls_and_mqtt5_settings() {
    let config = tempfile::tempdir().unwrap();
    let config_path = config.path().to_path_buf();
    let mut harness = common::harness::harness_in(Startup::Welcome, config);
    harness.get_by_label("New connection").click();
    harness.run_steps(4);
    type_into(&mut harness, "Name", "Cloud broker");
    type_into(&mut harness, "Host", "broker.example.com");
    harness.get_by_label("MQTT 5").click();
    harness.get_by_label("TLS").click();
    harness.run_steps(2);
    // The port follows the transport's usual one.
    assert!(has_text(&harness, "8883"), "the TLS port is proposed");
    type_into(&mut harness, "CA file (PEM)", "/etc/ssl/broker-ca.pem");
    harness.get_by_label("Last Will").click();
    harness.run_steps(2);
    type_into(&mut harness, "Will topic", "clients/mqscope/status");
    type_into(&mut harness, "Will payload", "offline");
    harness.get_by_label("Save").click();
    harness.run_steps(4);
    harness.state().app.flush_files();
    let (store, warning) = mqscope::profiles::ProfileStore::load(&config_path);
    assert!(warning.is_none());
    let profile = store.get("Cloud broker").expect("saved");
    assert_eq!(profile.protocol, ProtocolVersion::V5);
    assert_eq!(profile.transport, mqscope::vocab::Transport::Tls);
    assert_eq!(profile.port, 8883);
    assert_eq!(
        profile.tls.ca_file.as_deref(),
        Some(std::path::Path::new("/etc/ssl/broker-ca.pem"))
    );
    let will = profile.will.as_ref().expect("the will is saved");
    assert_eq!(
        (will.topic.as_str(), will.payload.as_str()),
        ("clients/mqscope/status", "offline")
    );
}

/// After Disconnect the tab offers Reconnect: the same tab connects again,
/// with its subscriptions, and keeps the tree it had.
#[test]
fn a_disconnected_tab_reconnects_in_place_and_keeps_its_tree() {
    let broker = common::Mosquitto::start();
    let rt = common::runtime();
    let mut harness = common::harness::connected_to(&broker.url());
    let device = common::publisher(&rt, broker.port, "reconnect-device");
    rt.block_on(device.publish("hall/温度", common::qos(1), false, "20.5"))
        .unwrap();
    step_until(&mut harness, "the topic", |h| {
        h.state().app.model().unwrap().tree.get("hall/温度").is_some()
    });
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "Disconnect"));
    harness.get_by_label("Disconnect").click();
    step_until(&mut harness, "closed", |h| {
        h.state().app.connection_state() == Some(&ConnectionState::Closed)
    });
    harness.get_by_label("Reconnect").click();
    step_until(&mut harness, "connected again", |h| {
        h.state().app.connection_state() == Some(&ConnectionState::Connected) && has_text(h, "granted QoS")
    });
    assert_eq!(harness.state().app.connection_names().len(), 1, "in the same tab");
    assert!(
        harness.state().app.model().unwrap().tree.get("hall/温度").is_some(),
        "the tree stays"
    );
    // Subscribed again: a new message arrives.
    rt.block_on(device.publish("hall/湿度", common::qos(1), false, "40"))
        .unwrap();
    step_until(&mut harness, "a message after reconnecting", |h| {
        h.state().app.model().unwrap().tree.get("hall/湿度").is_some()
    });
    // The proof that nothing was lost holds across both connections of the tab.
    let app = &harness.state().app;
    assert_eq!((app.received(), app.applied()), (2, 2));
    harness.run_steps(2);
    assert!(has_text(&harness, "received 2 · applied 2"));
}

/// "Connect to" a profile already open shows its tab (marked open in the
/// menu) instead of a second connection beside the first.
#[test]
fn connecting_to_an_open_profile_shows_its_tab() {
    let broker = common::Mosquitto::start();
    let config = tempfile::tempdir().unwrap();
    let profiles = serde_json::json!({"version": 1, "profiles": [
        {"name": "Hall", "host": "127.0.0.1", "port": broker.port, "client_id": "hall-monitor"}
    ]});
    std::fs::write(config.path().join("profiles.json"), profiles.to_string()).unwrap();
    let mut harness = common::harness::harness_in(Startup::Profile("Hall".into()), config);
    step_until(&mut harness, "connected", |h| {
        h.state().app.connection_state() == Some(&ConnectionState::Connected)
    });
    // A second tab, on screen: the demo.
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "Start demo"));
    harness.get_by_label("Start demo").click();
    step_until(&mut harness, "the demo's tab on screen", |h| {
        h.state().app.connection_names().len() == 2 && h.state().app.window_title().starts_with("Demo broker")
    });
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "Connect to Hall"));
    harness.get_by_label("Connect to Hall").click();
    step_until(&mut harness, "Hall's tab on screen", |h| {
        h.state().app.window_title().starts_with("Hall")
    });
    // Shown, not dialled again: its connection never left Connected.
    for _ in 0..3 {
        assert_eq!(
            harness.state().app.connection_state_of(0),
            Some(&ConnectionState::Connected)
        );
        harness.step();
    }
    assert_eq!(
        harness.state().app.connection_names(),
        ["Hall", "Demo broker"],
        "no second connection to Hall"
    );
}

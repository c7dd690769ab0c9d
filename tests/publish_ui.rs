//! The publish form as a test bench, driven like a user against a real
//! Mosquitto, with a second client listening: a repeat with placeholders at a
//! set rate, MQTT 5 properties, payload formats and their mistakes, the sent
//! history and templates across a restart, clearing a retained message, and
//! the `$SYS` dashboard.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use mqscope::app::Startup;
use mqscope::vocab::ProtocolVersion;

use common::harness::{TestApp, connected_to, harness, harness_in, has_label, has_text, step_until, type_into};

type Inbox = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// Another client subscribed to `filter`, collecting (topic, payload).
fn listener(rt: &tokio::runtime::Runtime, port: u16, filter: &str) -> Inbox {
    let inbox: Inbox = Arc::default();
    let mut options = rumqttc::MqttOptions::new(format!("listener-{}", fastrand::u32(..)), "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut eventloop) = rumqttc::AsyncClient::new(options, 1_000);
    let sink = inbox.clone();
    let (subscribed, granted) = std::sync::mpsc::channel();
    rt.spawn(async move {
        while let Ok(event) = eventloop.poll().await {
            match event {
                rumqttc::Event::Incoming(rumqttc::Packet::Publish(p)) => {
                    sink.lock().unwrap().push((p.topic.clone(), p.payload.to_vec()));
                }
                rumqttc::Event::Incoming(rumqttc::Packet::SubAck(_)) => {
                    let _ = subscribed.send(());
                }
                _ => {}
            }
        }
    });
    rt.block_on(client.subscribe(filter, rumqttc::QoS::AtLeastOnce))
        .unwrap();
    // The listener's SUBACK, not a fixed sleep: from here it hears everything.
    granted
        .recv_timeout(Duration::from_secs(10))
        .expect("the listener is subscribed");
    inbox
}

fn received(inbox: &Inbox) -> Vec<(String, Vec<u8>)> {
    inbox.lock().unwrap().clone()
}

fn choose_format(harness: &mut Harness<'static, TestApp>, format: &str) {
    harness.get_by_label(&format!("Payload as {format}")).click();
    harness.step();
}

#[test]
fn a_repeat_fakes_a_sensor_at_the_set_rate_with_placeholders() {
    let broker = common::Mosquitto::start();
    let rt = common::runtime();
    let inbox = listener(&rt, broker.port, "lab/fake/#");
    let mut harness = connected_to(&broker.url());

    type_into(&mut harness, "Topic", "lab/fake/temperature");
    choose_format(&mut harness, "JSON");
    type_into(&mut harness, "Payload", r#"{"n": {{counter}}, "t": {{random(20,30)}}}"#);
    harness.get_by_label("Repeat").click();
    step_until(&mut harness, "the repeat settings", |h| has_label(h, "per second"));
    harness.get_by_label("per second").click();
    step_until(&mut harness, "the rate as messages per second", |h| {
        has_label(h, "Messages per second")
    });
    type_into(&mut harness, "Messages per second", "20");
    harness.get_by_label("▶ Start").click();
    step_until(&mut harness, "30 messages at the other client", |h| {
        let _ = h;
        received(&inbox).len() >= 30
    });
    harness.get_by_label("■ Stop").click();
    harness.step();
    step_until(&mut harness, "the repeat to stop", |h| !has_label(h, "■ Stop"));
    let summary = |h: &Harness<'static, TestApp>| {
        h.query_all_by(|n| n.value().is_some_and(|l| l.starts_with("Stopped: ")))
            .next()
            .map(|n| n.accesskit_node().value().unwrap().to_owned())
    };
    let count = |stopped: &str| -> usize { stopped["Stopped: ".len()..].split(' ').next().unwrap().parse().unwrap() };
    // Every message the form counted is acknowledged; then one more message,
    // published by hand after the stop, shows that nothing else is on its way.
    step_until(&mut harness, "every sent message acknowledged", |h| {
        summary(h).is_some_and(|s| s.contains(&format!("{} acknowledged", count(&s))))
    });
    let stopped = summary(&harness).unwrap();
    let sent = count(&stopped);
    assert!(!harness.state().app.repeating(), "no repeat job left to send more");
    type_into(&mut harness, "Topic", "lab/fake/end");
    type_into(&mut harness, "Payload", "{}");
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Publish")
        .click();
    step_until(&mut harness, "the hand-published message after the stop", |_| {
        received(&inbox).iter().any(|(topic, _)| topic == "lab/fake/end")
    });
    let messages: Vec<_> = received(&inbox)
        .into_iter()
        .filter(|(topic, _)| topic != "lab/fake/end")
        .collect();
    assert_eq!(
        messages.len(),
        sent,
        "every message the form counted arrived, no more ({stopped})"
    );
    assert!(stopped.contains(&format!("{sent} acknowledged")), "{stopped}");
    let counters: Vec<u64> = messages
        .iter()
        .map(|(topic, payload)| {
            assert_eq!(topic, "lab/fake/temperature");
            let v: serde_json::Value = serde_json::from_slice(payload).unwrap();
            let t = v["t"].as_f64().unwrap();
            assert!((20.0..=30.0).contains(&t), "{t}");
            v["n"].as_u64().unwrap()
        })
        .collect();
    assert_eq!(
        counters,
        (1..=sent as u64).collect::<Vec<_>>(),
        "{{{{counter}}}} counts every send"
    );
    assert_eq!(
        received(&inbox).last().map(|(topic, _)| topic.as_str()),
        Some("lab/fake/end"),
        "stopped means stopped"
    );
}

#[test]
fn mqtt5_properties_from_the_form_reach_another_client() {
    use rumqttc::v5::mqttbytes::v5::Packet;
    let broker = common::Mosquitto::start();
    let rt = common::runtime();
    // A second client on MQTT 5, keeping the properties it receives.
    let got: Arc<Mutex<Vec<rumqttc::v5::mqttbytes::v5::Publish>>> = Arc::default();
    let mut options = rumqttc::v5::MqttOptions::new("v5-listener", "127.0.0.1", broker.port);
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut eventloop) = rumqttc::v5::AsyncClient::new(options, 10);
    let sink = got.clone();
    let (subscribed, granted) = std::sync::mpsc::channel();
    rt.spawn(async move {
        while let Ok(event) = eventloop.poll().await {
            match event {
                rumqttc::v5::Event::Incoming(Packet::Publish(p)) => sink.lock().unwrap().push(p),
                rumqttc::v5::Event::Incoming(Packet::SubAck(_)) => {
                    let _ = subscribed.send(());
                }
                _ => {}
            }
        }
    });
    rt.block_on(client.subscribe("lab/v5/#", rumqttc::v5::mqttbytes::QoS::AtLeastOnce))
        .unwrap();
    granted
        .recv_timeout(Duration::from_secs(10))
        .expect("the MQTT 5 listener is subscribed");

    let mut spec = mqscope::vocab::parse_broker_url(&broker.url()).unwrap();
    spec.protocol = ProtocolVersion::V5;
    let mut harness = harness(Startup::Connect(Box::new(spec)));
    step_until(&mut harness, "the connection", |h| {
        h.state().app.connection_state() == Some(&mqscope::vocab::ConnectionState::Connected)
    });
    type_into(&mut harness, "Topic", "lab/v5/request");
    harness.get_by_label("MQTT 5 properties to send").click();
    step_until(&mut harness, "the properties", |h| has_label(h, "Content type"));
    type_into(&mut harness, "Content type", "application/json");
    type_into(&mut harness, "Response topic", "lab/v5/replies");
    type_into(&mut harness, "Correlation data", "req-42");
    type_into(&mut harness, "Message expiry (s)", "600");
    harness
        .get_by_label("Payload is UTF-8 text (format indicator 1)")
        .click();
    harness.get_by_label("➕ User property").click();
    step_until(&mut harness, "a user property row", |h| has_label(h, "name"));
    type_into(&mut harness, "name", "sensor-id");
    type_into(&mut harness, "value", "t-17");
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Publish")
        .click();
    step_until(&mut harness, "the broker's PUBACK", |h| {
        has_text(h, "acknowledged by the broker: PUBACK")
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while got.lock().unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the other client got nothing");
        std::thread::sleep(Duration::from_millis(20));
    }
    let publish = got.lock().unwrap()[0].clone();
    let p = publish.properties.expect("properties");
    assert_eq!(p.content_type.as_deref(), Some("application/json"));
    assert_eq!(p.response_topic.as_deref(), Some("lab/v5/replies"));
    assert_eq!(p.correlation_data.as_deref(), Some(&b"req-42"[..]));
    assert_eq!(p.payload_format_indicator, Some(1));
    assert!(p.message_expiry_interval.is_some_and(|s| s <= 600 && s > 590));
    assert_eq!(p.user_properties, [("sensor-id".to_owned(), "t-17".to_owned())]);
}

#[test]
fn payload_formats_refuse_mistakes_and_send_the_exact_bytes() {
    let broker = common::Mosquitto::start();
    let rt = common::runtime();
    let inbox = listener(&rt, broker.port, "lab/bytes/#");
    let mut harness = connected_to(&broker.url());
    type_into(&mut harness, "Topic", "lab/bytes/frame");
    let publish = |h: &mut Harness<'static, TestApp>| {
        h.get_by_role_and_label(egui::accesskit::Role::Button, "Publish")
            .click();
        h.run_steps(3);
    };

    // Hex with a mistake: the position is named and nothing is sent.
    choose_format(&mut harness, "Hex");
    type_into(&mut harness, "Payload", "01 zz");
    step_until(&mut harness, "the hex error", |h| {
        has_text(h, "Hex: 'z' at position 4 is not a hex digit")
    });
    publish(&mut harness);
    // Correct hex: exactly these bytes.
    type_into(&mut harness, "Payload", "de ad be ef");
    publish(&mut harness);
    step_until(&mut harness, "the hex frame", |_| !received(&inbox).is_empty());

    // An unknown placeholder is an error before sending, not text on the wire.
    choose_format(&mut harness, "JSON");
    type_into(&mut harness, "Payload", r#"{"t": {{temperature}}}"#);
    step_until(&mut harness, "the placeholder error", |h| {
        has_text(h, "unknown placeholder 'temperature'")
    });
    publish(&mut harness);
    // JSON with a mistake names line and column.
    type_into(&mut harness, "Payload", "{\"t\": 1,}");
    step_until(&mut harness, "the JSON error", |h| {
        has_text(h, "JSON error at line 1, column 9")
    });
    publish(&mut harness);
    // Base64.
    choose_format(&mut harness, "Base64");
    type_into(&mut harness, "Payload", "aGVsbG8=");
    publish(&mut harness);
    step_until(&mut harness, "the Base64 message", |_| received(&inbox).len() >= 2);
    // A file, byte for byte; a missing one is named.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("frame.bin");
    std::fs::write(&file, [0u8, 1, 2, 254, 255]).unwrap();
    harness.get_by_label("Payload from a file").click();
    step_until(&mut harness, "the file field", |h| has_label(h, "Load"));
    type_into(
        &mut harness,
        "File",
        &dir.path().join("missing.bin").display().to_string(),
    );
    harness.get_by_label("Load").click();
    step_until(&mut harness, "the missing file named", |h| {
        has_text(h, "missing.bin: No such file")
    });
    publish(&mut harness);
    // A pipe nobody writes to would never end a read: refused, and the window goes on.
    let fifo = dir.path().join("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    type_into(&mut harness, "File", &fifo.display().to_string());
    harness.get_by_label("Load").click();
    step_until(&mut harness, "the pipe refused", |h| {
        has_text(h, "is not a regular file")
    });
    type_into(&mut harness, "File", &file.display().to_string());
    harness.get_by_label("Load").click();
    step_until(&mut harness, "the file loaded", |h| has_text(h, "5 B from"));
    publish(&mut harness);
    // One connection, one QoS: the last valid payload arrives after anything
    // the form sent before it, so a refused one that went out would be here.
    step_until(&mut harness, "the file's bytes", |_| {
        received(&inbox).last().is_some_and(|(_, p)| p == &[0, 1, 2, 254, 255])
    });
    let payloads: Vec<Vec<u8>> = received(&inbox).into_iter().map(|(_, p)| p).collect();
    assert_eq!(
        payloads,
        [vec![0xde, 0xad, 0xbe, 0xef], b"hello".to_vec(), vec![0, 1, 2, 254, 255]],
        "only the valid ones went out"
    );
}

#[test]
fn the_sent_history_and_templates_survive_a_restart() {
    let broker = common::Mosquitto::start();
    let rt = common::runtime();
    let inbox = listener(&rt, broker.port, "lab/keep/#");
    let mut harness = connected_to(&broker.url());
    type_into(&mut harness, "Topic", "lab/keep/hello");
    choose_format(&mut harness, "Text");
    type_into(&mut harness, "Payload", "hello {{counter}}");
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Publish")
        .click();
    step_until(&mut harness, "the message", |_| received(&inbox).len() == 1);
    assert_eq!(received(&inbox)[0].1, b"hello 1");
    // (The broker's answer adds a line to the form: let it settle before clicking below it.)
    step_until(&mut harness, "the broker's answer", |h| {
        has_text(h, "acknowledged by the broker")
    });
    harness.get_by_label("Templates (0)").click();
    step_until(&mut harness, "the templates", |h| has_label(h, "Save form"));
    type_into(&mut harness, "Name", "greeting");
    harness.get_by_label("Save form").click();
    step_until(&mut harness, "the saved template", |h| {
        has_label(h, "Load template greeting")
    });

    // Restart with the same config folder contents.
    harness.state().app.flush_files();
    let extras = std::fs::read_to_string(harness.state().config.path().join("connections.json")).unwrap();
    drop(harness);
    let config = tempfile::tempdir().unwrap();
    std::fs::write(config.path().join("connections.json"), extras).unwrap();
    let spec = mqscope::vocab::parse_broker_url(&broker.url()).unwrap();
    let mut harness = harness_in(Startup::Connect(Box::new(spec)), config);
    step_until(&mut harness, "the connection", |h| {
        h.state().app.connection_state() == Some(&mqscope::vocab::ConnectionState::Connected)
    });
    harness.get_by_label("Sent (1)").click();
    step_until(&mut harness, "the history row", |h| {
        has_text(h, "Send again to lab/keep/hello")
    });
    harness
        .query_all_by(|n| n.label().is_some_and(|l| l.starts_with("Send again to lab/keep/hello")))
        .next()
        .unwrap()
        .click();
    step_until(&mut harness, "the same bytes again", |_| received(&inbox).len() == 2);
    assert_eq!(received(&inbox)[1].1, b"hello 1", "the bytes as sent, not re-evaluated");
    step_until(&mut harness, "the broker's answer", |h| {
        has_text(h, "acknowledged by the broker")
    });
    // The row shows what was sent; Load puts it back in the form.
    assert!(has_text(&harness, "hello 1"), "the payload under the row");
    type_into(&mut harness, "Topic", "somewhere/else");
    type_into(&mut harness, "Payload", "something else");
    harness
        .query_all_by(|n| {
            n.label()
                .is_some_and(|l| l.starts_with("Load into the form: lab/keep/hello"))
        })
        .next()
        .expect("a Load button on the sent row")
        .click();
    step_until(&mut harness, "the sent message back in the form", |h| {
        h.query_all_by(|n| n.label() == Some("Topic".into()) && n.value().as_deref() == Some("lab/keep/hello"))
            .next()
            .is_some()
            && h.query_all_by(|n| n.label() == Some("Payload".into()) && n.value().as_deref() == Some("hello 1"))
                .next()
                .is_some()
    });
    harness.get_by_label("Templates (1)").click();
    step_until(&mut harness, "the template", |h| has_label(h, "Load template greeting"));
    type_into(&mut harness, "Topic", "somewhere/else");
    harness.get_by_label("Load template greeting").click();
    step_until(&mut harness, "the template's payload back in the form", |h| {
        has_text(h, "hello {{counter}}")
    });
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Publish")
        .click();
    step_until(&mut harness, "the template's message", |_| received(&inbox).len() == 3);
    assert_eq!(received(&inbox)[2], ("lab/keep/hello".to_owned(), b"hello 1".to_vec()));
}

#[test]
fn clear_retained_from_the_form_asks_first() {
    let broker = common::Mosquitto::start();
    let rt = common::runtime();
    let device = common::publisher(&rt, broker.port, "retaining-device");
    let witness = listener(&rt, broker.port, "lab/door/#");
    rt.block_on(device.publish("lab/door/state", common::qos(1), true, "open".to_owned()))
        .unwrap();
    // Once another client has it, the broker holds it as retained.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while received(&witness).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the device's message never arrived"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut harness = connected_to(&broker.url());
    let retained = |h: &Harness<'static, TestApp>| {
        let model = h.state().app.model().unwrap();
        model
            .tree
            .get("lab/door/state")
            .is_some_and(|id| model.tree.node(id).retained)
    };
    step_until(&mut harness, "the retained state", retained);
    // The topic completes from those seen.
    type_into(&mut harness, "Topic", "door/st");
    step_until(&mut harness, "the suggestion", |h| has_label(h, "lab/door/state"));
    harness.get_by_label("lab/door/state").click();
    step_until(&mut harness, "the topic filled in", |h| {
        h.query_all_by(|n| n.value().is_some_and(|v| v == "lab/door/state"))
            .next()
            .is_some()
    });
    harness.get_by_label("Clear retained…").click();
    step_until(&mut harness, "the question", |h| has_label(h, "Keep it"));
    harness.get_by_label("Keep it").click();
    harness.run_steps(2);
    // A message the app publishes now leaves after anything it sent before on
    // the same connection: once it is back, a clear would have come back too.
    type_into(&mut harness, "Topic", "lab/door/marker");
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Publish")
        .click();
    step_until(&mut harness, "the app's own message back", |h| {
        h.state().app.model().unwrap().tree.get("lab/door/marker").is_some()
    });
    assert!(retained(&harness), "nothing happens without a yes");
    type_into(&mut harness, "Topic", "lab/door/state");
    harness.get_by_label("Clear retained…").click();
    step_until(&mut harness, "the question", |h| has_label(h, "Clear it"));
    harness.get_by_label("Clear it").click();
    step_until(&mut harness, "the retained mark to go", |h| !retained(h));
    // A new subscriber gets nothing retained there. The broker queues retained
    // messages with the SUBACK, so a live one published after it comes later.
    let inbox = listener(&rt, broker.port, "lab/door/#");
    rt.block_on(device.publish("lab/door/bell", common::qos(1), false, "ring".to_owned()))
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while received(&inbox).is_empty() {
        assert!(std::time::Instant::now() < deadline, "the live message never arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(received(&inbox), [("lab/door/bell".to_owned(), b"ring".to_vec())]);
}

#[test]
fn the_sys_dashboard_reads_mosquitto() {
    let broker = common::Mosquitto::start_with("allow_anonymous true\nsys_interval 1\n");
    let mut harness = connected_to(&broker.url());
    harness.get_by_label("Broker $SYS").click();
    step_until(&mut harness, "the dashboard", |h| has_label(h, "Subscribe to $SYS/#"));
    harness.get_by_label("Subscribe to $SYS/#").click();
    step_until(&mut harness, "Mosquitto's version", |h| {
        has_text(h, "mosquitto version")
    });
    assert!(has_label(&harness, "Clients connected"));
    step_until(&mut harness, "the clients and a message rate", |h| {
        let model = h.state().app.model().unwrap();
        let stats = mqscope::model::sys::BrokerStats::read(model).unwrap();
        stats.clients_connected.is_some_and(|n| n >= 1) && stats.messages_out.history.len() >= 2
    });
    // The figures on screen are the ones read: the connected count, and a rate plot.
    let stats = mqscope::model::sys::BrokerStats::read(harness.state().app.model().unwrap()).unwrap();
    harness.run_steps(2);
    assert!(has_label(&harness, &stats.clients_connected.unwrap().to_string()));
    // The window reads the model again when $SYS news comes (every second here).
    step_until(&mut harness, "the rate chart's legend", |h| has_text(h, "messages out"));
    assert!(has_text(&harness, "All $SYS topics"));
    // Unsubscribed: the window says its figures stopped, and offers them back.
    harness.get_by_label("Unsubscribe from $SYS/#").click();
    step_until(&mut harness, "the note", |h| {
        has_text(h, "Not subscribed to $SYS/# any more")
    });
    harness.get_by_label("Subscribe again").click();
    step_until(&mut harness, "subscribed again", |h| {
        !has_text(h, "Not subscribed to $SYS/# any more")
    });
}

#[test]
fn format_keeps_placeholders_and_a_refusal_goes_once_the_payload_is_fixed() {
    let broker = common::Mosquitto::start();
    let rt = common::runtime();
    let inbox = listener(&rt, broker.port, "lab/fmt/#");
    let mut harness = connected_to(&broker.url());
    type_into(&mut harness, "Topic", "lab/fmt/t");
    choose_format(&mut harness, "JSON");
    // A placeholder as a value: valid once filled in, and Format agrees.
    type_into(&mut harness, "Payload", r#"{"t": {{random(20,30)}}}"#);
    step_until(&mut harness, "the check", |h| has_text(h, "valid JSON"));
    harness.get_by_label("Format").click();
    step_until(&mut harness, "the payload formatted", |h| {
        h.get_by_label("Payload")
            .value()
            .is_some_and(|v| v == "{\n  \"t\": {{random(20,30)}}\n}")
    });
    assert!(has_text(&harness, "valid JSON"), "still valid");
    assert!(
        !has_text(&harness, "JSON error"),
        "Format did not call the placeholder a mistake"
    );

    // A payload refused at Publish says why under the button, until it is fixed.
    type_into(&mut harness, "Payload", r#"{"t" 1}"#);
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Publish")
        .click();
    step_until(&mut harness, "the refusal", |h| {
        h.query_all_by(|n| n.value().is_some_and(|v| v.starts_with("JSON error")))
            .count()
            >= 2
    });
    type_into(&mut harness, "Payload", r#"{"t": 1}"#);
    harness.run_steps(2);
    assert!(
        !has_text(&harness, "JSON error"),
        "no refusal left for a payload that is fine now"
    );
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Publish")
        .click();
    step_until(&mut harness, "the message at the other client", |_| {
        !received(&inbox).is_empty()
    });
    assert_eq!(received(&inbox), [("lab/fmt/t".to_owned(), br#"{"t": 1}"#.to_vec())]);
}

/// Switching Text → Hex → Base64 shows the same bytes each way, and what
/// is sent is those bytes; what cannot be shown another way is kept, and why.
#[test]
fn switching_the_payload_format_converts_what_is_typed() {
    let broker = common::Mosquitto::start();
    let rt = common::runtime();
    let inbox = listener(&rt, broker.port, "lab/convert");
    let mut harness = connected_to(&broker.url());
    type_into(&mut harness, "Topic", "lab/convert");
    choose_format(&mut harness, "Text");
    type_into(&mut harness, "Payload", "héllo 温度");
    choose_format(&mut harness, "Hex");
    step_until(&mut harness, "the hex", |h| {
        has_text(h, "68 c3 a9 6c 6c 6f 20 e6 b8 a9 e5 ba a6")
    });
    choose_format(&mut harness, "Base64");
    step_until(&mut harness, "the base64", |h| has_text(h, "aMOpbGxvIOa4qeW6pg=="));
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Publish")
        .click();
    step_until(&mut harness, "the message at the second client", |_| {
        !received(&inbox).is_empty()
    });
    assert_eq!(received(&inbox)[0].1, "héllo 温度".as_bytes());
    // Bytes that are not text stay as typed, with the reason.
    choose_format(&mut harness, "Hex");
    type_into(&mut harness, "Payload", "ff 00");
    choose_format(&mut harness, "Text");
    step_until(&mut harness, "the reason", |h| has_text(h, "not UTF-8 text"));
    assert!(has_text(&harness, "ff 00"), "the hex stays");
}

/// Topic completion pops up over the form (nothing under it moves) and
/// leaves the broker's `$SYS` topics out unless `$` is typed.
#[test]
fn topic_completion_pops_up_and_leaves_sys_out_unless_asked() {
    let broker = common::Mosquitto::start();
    let rt = common::runtime();
    let device = common::publisher(&rt, broker.port, "uptime-device");
    rt.block_on(device.publish("lab/uptime", common::qos(1), true, "42"))
        .unwrap();
    device.settled(&rt);
    let mut harness = connected_to(&broker.url());
    harness.get_by_label("$SYS/#").click();
    step_until(&mut harness, "the broker's uptime", |h| {
        h.state().app.model().unwrap().tree.get("$SYS/broker/uptime").is_some()
            && h.state().app.model().unwrap().tree.get("lab/uptime").is_some()
    });
    let payload_at = |h: &Harness<'static, TestApp>| h.get_by_label("Payload as JSON").rect();
    let before = payload_at(&harness);
    type_into(&mut harness, "Topic", "uptime");
    step_until(&mut harness, "the suggestion", |h| has_label(h, "lab/uptime"));
    assert!(!has_label(&harness, "$SYS/broker/uptime"), "$SYS is not offered");
    assert_eq!(payload_at(&harness), before, "the list moved the form");
    type_into(&mut harness, "Topic", "$SYS/broker/up");
    step_until(&mut harness, "the $SYS suggestion when asked", |h| {
        has_label(h, "$SYS/broker/uptime")
    });
}

/// The "{{…}}" menu puts a placeholder in at the payload's cursor, and what
/// another client receives has it filled in.
#[test]
fn a_placeholder_from_the_menu_goes_in_at_the_cursor_and_is_filled_at_send() {
    let broker = common::Mosquitto::start();
    let rt = common::runtime();
    let inbox = listener(&rt, broker.port, "lab/insert/#");
    let mut harness = connected_to(&broker.url());
    type_into(&mut harness, "Topic", "lab/insert/温度");
    choose_format(&mut harness, "JSON");
    type_into(&mut harness, "Payload", r#"{"温度": }"#);
    // The cursor one character back: before the closing brace.
    harness.key_press(egui::Key::ArrowLeft);
    harness.run_steps(2);
    harness.get_by_label("{{…}}").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "{{random(20,30)}}"));
    harness.get_by_label("{{random(20,30)}}").click();
    step_until(&mut harness, "the placeholder in the payload", |h| {
        h.get_by_label("Payload").value().as_deref() == Some(r#"{"温度": {{random(20,30)}}}"#)
    });
    step_until(&mut harness, "the check", |h| has_text(h, "valid JSON"));
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Publish")
        .click();
    step_until(&mut harness, "the message at the other client", |_| {
        !received(&inbox).is_empty()
    });
    let (topic, payload) = received(&inbox).remove(0);
    assert_eq!(topic, "lab/insert/温度");
    let value: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    let t = value["温度"].as_f64().unwrap();
    assert!((20.0..=30.0).contains(&t), "{value}");
}

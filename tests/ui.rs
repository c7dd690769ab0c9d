//! The whole app in an egui_kittest harness, driven by what a user sees and
//! clicks: the welcome screen, the demo's live tree, the inspector, the publish
//! form (valid and invalid topic), and the chart button.

mod common;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use mqscope::app::Startup;

use common::harness::{TestApp, connected_to, harness, harness_in, has_label, has_text, step_until, type_into};

#[test]
fn welcome_screen_offers_demo_and_new_connection() {
    let mut harness = harness(Startup::Welcome);
    harness.run_steps(3);
    assert!(has_label(&harness, "Start demo"));
    harness.get_by_label("New connection").click();
    harness.run_steps(3);
    // The profile form opens with its fields.
    assert!(has_label(&harness, "Host"));
    assert!(has_label(&harness, "Save and connect"));
}

#[test]
fn demo_shows_topics_and_the_inspector_shows_a_payload() {
    let mut harness = harness(Startup::Demo);
    step_until(&mut harness, "demo topics in the tree", |h| {
        has_label(h, "temp_sensor_001")
            && has_label(h, "gateway_01")
            && h.state().app.model().unwrap().tree.topic_count() >= 8
    });

    // The retained gateway status: select it and read it in the inspector.
    harness.get_by_label("status").click();
    step_until(&mut harness, "the inspector to show the status payload", |h| {
        has_label(h, "devices/gateway_01/status") && has_text(h, "\"firmware\": \"1.4.2\"")
    });
    assert!(
        has_label(&harness, "retained"),
        "the inspector marks the retained message"
    );
    // Copying says it was done.
    harness.get_by_label("Copy topic").click();
    step_until(&mut harness, "the copy said", |h| has_text(h, "Copied the topic."));

    // A temperature topic offers a Chart button; pressing it starts a live series.
    harness.get_all_by_label("temperature").next().unwrap().click();
    step_until(&mut harness, "a chart button", |h| has_text(h, "📈 temperature"));
    // The demo charts temperatures already: 📈 asks where this one goes.
    harness.get_by_label("📈 temperature").click();
    step_until(&mut harness, "the question", |h| has_label(h, "Add to a new chart"));
    assert!(has_label(&harness, "Add to the chart on screen"));
    harness.get_by_label("Add to a new chart").click();
    step_until(&mut harness, "a second chart", |h| {
        h.state().app.model().unwrap().charts.charts().len() == 2
    });
    {
        let charts = harness.state().app.model().unwrap().charts.charts();
        assert_eq!(charts[0].sources.len(), 1, "the demo's chart keeps only its own series");
        assert_eq!(charts[1].sources.len(), 1, "the new chart has the one series");
        assert_eq!(
            harness.state().app.chart_panel().unwrap().current(),
            1,
            "and is on screen"
        );
    }
    step_until(&mut harness, "the series to get points", |h| {
        // Not the demo's own wildcard chart: the one-topic series just added.
        charted(h, |filter, path| {
            filter.starts_with("iot/temp_sensor_") && filter.ends_with("/temperature") && path == "temperature"
        })
        .is_some_and(|points| points >= 2)
    });
}

/// Points of the first series of the chart source whose (filter, path) pass `matches`.
fn charted(h: &Harness<'static, TestApp>, matches: impl Fn(&str, &str) -> bool) -> Option<usize> {
    let charts = &h.state().app.model()?.charts;
    let source = charts
        .charts()
        .iter()
        .flat_map(|c| &c.sources)
        .find(|s| matches(&s.spec.filter, &s.spec.path))?;
    Some(charts.series(*source.series.first()?)?.points.len())
}

fn set_topic(harness: &mut Harness<'static, TestApp>, topic: &str) {
    type_into(harness, "Topic", topic);
}

#[test]
fn publish_form_publishes_and_refuses_wildcards() {
    // Through a relay that counts connections: a PUBLISH to a wildcard topic
    // would make Mosquitto drop the client, and the app connect again.
    let broker = common::Mosquitto::start();
    let relay = common::Relay::start(broker.port);
    let mut harness = connected_to(&format!("mqtt://127.0.0.1:{}", relay.port));

    set_topic(&mut harness, "bad/+/topic");
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Publish")
        .click();
    step_until(&mut harness, "the wildcard error", |h| {
        has_text(h, "cannot contain the wildcards")
    });

    set_topic(&mut harness, "test/ui/hello_from_the_form");
    assert!(
        !has_text(&harness, "cannot contain the wildcards"),
        "the error clears on edit"
    );
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Publish")
        .click();
    step_until(&mut harness, "the published message in the tree", |h| {
        has_label(h, "hello_from_the_form")
    });
    step_until(&mut harness, "the broker's acknowledgement", |h| {
        has_text(h, "acknowledged by the broker")
    });
    let model = harness.state().app.model().unwrap();
    let node = model.tree.get("test/ui/hello_from_the_form").unwrap();
    assert!(
        std::str::from_utf8(&model.history.latest(node).unwrap().payload)
            .unwrap()
            .contains("temperature")
    );
    assert_eq!(
        relay.accepted.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "no PUBLISH left the app for the wildcard topic: the broker never dropped it"
    );
}

#[test]
fn corrupt_profiles_are_reported_and_a_new_profile_is_saved() {
    let config = tempfile::tempdir().unwrap();
    std::fs::write(config.path().join("profiles.json"), "{ not json").unwrap();
    let dir = config.path().to_path_buf();
    let mut harness = harness_in(Startup::Welcome, config);
    harness.run_steps(2);
    assert!(
        has_text(&harness, "could not be read"),
        "the user is told about the broken file"
    );
    assert!(has_text(&harness, "corrupt-"), "and where the backup is");

    harness.get_by_label("New connection").click();
    harness.run_steps(4);
    type_into(&mut harness, "Name", "Staging broker");
    type_into(&mut harness, "Host", "staging.example");
    type_into(&mut harness, "Port", "70000");
    harness.get_by_label("Save").click();
    harness.run_steps(2);
    assert!(
        has_text(&harness, "is not a port number"),
        "a bad port is refused in the form"
    );

    type_into(&mut harness, "Port", "1884");
    harness.get_by_label("Save").click();
    harness.run_steps(3);
    assert!(
        has_label(&harness, "Staging broker"),
        "the saved profile is offered on the welcome screen"
    );
    // Saved on the writer's thread: wait for it, as the app does at exit.
    harness.state().app.flush_files();
    let saved = std::fs::read_to_string(dir.join("profiles.json")).unwrap();
    assert!(saved.contains("staging.example") && saved.contains("1884"), "{saved}");
}

fn publish_many(port: u16, topics: impl Iterator<Item = String>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (client, mut eventloop) = rumqttc::AsyncClient::new(
            rumqttc::MqttOptions::new("ui-test-publisher", "127.0.0.1", port),
            10_000,
        );
        let mut sent = 0usize;
        for topic in topics {
            client
                .publish(topic, rumqttc::QoS::AtLeastOnce, false, "1")
                .await
                .unwrap();
            sent += 1;
        }
        let mut acked = 0;
        while acked < sent {
            if let Ok(rumqttc::Event::Incoming(rumqttc::Packet::PubAck(_))) = eventloop.poll().await {
                acked += 1;
            }
        }
    });
}

#[test]
fn selection_and_view_stay_put_while_topics_arrive_above() {
    let mut harness = harness(Startup::Demo);
    step_until(&mut harness, "the demo tree", |h| {
        has_label(h, "gateway_01") && has_label(h, "status")
    });
    harness.get_by_label("status").click();
    step_until(&mut harness, "the status in the inspector", |h| {
        has_label(h, "devices/gateway_01/status")
    });
    let port = harness.state().app.demo_port().unwrap();
    // 120 new topics that sort above "devices" and open as they arrive.
    publish_many(port, (0..120).map(|i| format!("aaa/new_{i}")));
    step_until(&mut harness, "the new topics", |h| {
        h.state().app.model().unwrap().tree.topic_count() >= 130
    });
    harness.run_steps(3);
    if !has_label(&harness, "status") {
        let labels: Vec<String> = harness
            .query_all_by(|n| n.label().is_some())
            .filter_map(|n| n.accesskit_node().label())
            .take(30)
            .collect();
        eprintln!("visible labels: {labels:?}");
    }
    assert!(
        has_label(&harness, "status"),
        "the selected row scrolled out of view as rows were added above it"
    );
    assert!(
        has_label(&harness, "devices/gateway_01/status"),
        "the inspector kept the selection"
    );
}

#[test]
fn search_filters_the_tree_and_counts_matches() {
    let mut harness = harness(Startup::Demo);
    step_until(&mut harness, "the demo tree", |h| {
        has_label(h, "temp_sensor_004") && has_label(h, "status")
    });
    type_into(&mut harness, "Search", "sensor_002");
    step_until(&mut harness, "the search result", |h| has_label(h, "1 match"));
    assert!(has_label(&harness, "iot"), "the path to a match stays");
    assert!(
        !has_label(&harness, "temp_sensor_001"),
        "non-matching topics are hidden"
    );
    assert!(!has_label(&harness, "gateway_01"));

    // Payload search finds the gateway by its firmware field.
    type_into(&mut harness, "Search", "firmware");
    step_until(&mut harness, "no topic name matches", |h| has_label(h, "0 matches"));
    harness.get_by_label("payloads").click();
    step_until(&mut harness, "the payload match", |h| {
        has_label(h, "1 match") && has_label(h, "gateway_01")
    });

    // Clearing the search brings every topic back.
    type_into(&mut harness, "Search", "");
    step_until(&mut harness, "the full tree", |h| {
        has_label(h, "temp_sensor_001") && has_label(h, "gateway_01")
    });
}

#[test]
fn clearing_a_retained_message_asks_first_then_unmarks_the_topic() {
    let mut harness = harness(Startup::Demo);
    step_until(&mut harness, "the retained status", |h| {
        h.state().app.model().is_some_and(|m| {
            m.tree
                .get("devices/gateway_01/status")
                .is_some_and(|id| m.tree.node(id).retained)
        })
    });
    harness.get_by_label("devices").click_secondary();
    step_until(&mut harness, "the context menu", |h| {
        has_label(h, "Clear retained messages…")
    });
    harness.get_by_label("Clear retained messages…").click();
    step_until(&mut harness, "the confirmation", |h| {
        has_text(h, "Clear the retained message of 1 topic at or below devices?")
    });
    harness.get_by_label("Clear 1 retained").click();
    step_until(&mut harness, "the broker's confirmation", |h| {
        let m = h.state().app.model().unwrap();
        !m.tree.node(m.tree.get("devices/gateway_01/status").unwrap()).retained
    });
    step_until(&mut harness, "the done notice", |h| {
        has_text(h, "Cleared 1 retained messages.")
    });
}

#[test]
fn a_64_mib_payload_pages_through_its_hex_dump_without_stalling() {
    let broker = common::Mosquitto::start();
    let mut harness = connected_to(&broker.url());
    let rt = common::runtime();
    let client = common::publisher(&rt, broker.port, "big-ui-publisher");
    let payload = vec![0xA5u8; 64 * 1024 * 1024];
    rt.block_on(client.publish("firmware/image", common::qos(1), false, payload))
        .unwrap();
    step_until(&mut harness, "the big payload in the tree", |h| has_label(h, "image"));
    harness.get_by_label("image").click();
    step_until(&mut harness, "the inspector's paged hex view", |h| {
        has_text(h, "Hex dump: 4194304 lines, all 64.0 MiB shown")
    });
    assert!(has_label(&harness, "64.0 MiB"), "the full size is shown");
    assert!(has_text(&harness, "00000000  a5 a5 a5 a5"), "as a hex dump");
}

#[test]
fn payload_views_stick_per_topic_and_the_diff_names_what_changed() {
    let mut harness = harness(Startup::Demo);
    step_until(&mut harness, "demo topics in the tree", |h| {
        has_label(h, "gateway_01") && has_label(h, "temp_sensor_001")
    });
    harness.get_by_label("status").click();
    // (The tree's preview shows the JSON too: wait for the inspector's own view buttons.)
    step_until(&mut harness, "the status in the inspector", |h| {
        has_label(h, "devices/gateway_01/status") && has_label(h, "Hex")
    });

    // Hex for this topic: the same bytes as a hex dump with offsets and ASCII.
    harness.get_by_label("Hex").click();
    step_until(&mut harness, "the hex dump", |h| has_text(h, "00000000  7b 22"));

    // Another topic is still auto-detected; back on the status, Hex stuck.
    harness.get_all_by_label("temperature").next().unwrap().click();
    step_until(&mut harness, "a temperature as JSON", |h| {
        has_label(h, "iot/temp_sensor_001/temperature") && has_text(h, "\n  \"unit\": \"Celsius\"")
    });
    harness.get_by_label("status").click();
    step_until(&mut harness, "the status, still in hex", |h| {
        has_text(h, "00000000  7b 22")
    });

    // The diff of a temperature message against the one before it.
    harness.get_all_by_label("temperature").next().unwrap().click();
    step_until(&mut harness, "two temperature messages", |h| {
        let m = h.state().app.model().unwrap();
        let id = m.tree.get("iot/temp_sensor_001/temperature").unwrap();
        m.history.messages(id).len() >= 2
    });
    harness.get_by_label("Diff with previous").click();
    step_until(&mut harness, "the changed timestamp", |h| has_text(h, "~ timestamp: "));
    assert!(has_text(&harness, "→"), "old → new values are shown");
}

#[test]
fn sparkplug_b_payloads_read_as_metrics() {
    use mqscope::payload::{SparkplugMetric, SparkplugPayload, SparkplugValue};
    use prost::Message as _;
    let broker = common::Mosquitto::start();
    let mut harness = connected_to(&broker.url());
    let payload = SparkplugPayload {
        timestamp: Some(1_795_426_000_000),
        seq: Some(12),
        metrics: vec![SparkplugMetric {
            name: Some("Boiler/Temperature".into()),
            datatype: Some(9),
            value: Some(SparkplugValue::Float(71.25)),
            ..SparkplugMetric::default()
        }],
        ..SparkplugPayload::default()
    }
    .encode_to_vec();
    let rt = common::runtime();
    let client = common::publisher(&rt, broker.port, "edge-node");
    rt.block_on(client.publish("spBv1.0/plant/NDATA/edge1", common::qos(1), false, payload))
        .unwrap();
    step_until(&mut harness, "the Sparkplug namespace in the tree", |h| {
        h.state()
            .app
            .model()
            .unwrap()
            .tree
            .get("spBv1.0/plant/NDATA/edge1")
            .is_some()
    });
    harness.get_by_label("Expand all").click();
    step_until(&mut harness, "the edge node in the tree", |h| has_label(h, "edge1"));
    harness.get_by_label("edge1").click();
    step_until(&mut harness, "the decoded metrics", |h| {
        has_text(h, "\"name\": \"Boiler/Temperature\"")
    });
    assert!(has_text(&harness, "\"type\": \"Float\""));
    assert!(has_text(&harness, "\"value\": 71.25"));
    assert!(has_text(&harness, "\"seq\": 12"));

    // Chart the metric from the tree: by its name, so later messages with the
    // metrics in another order still feed it.
    harness.get_by_label("Tree").click();
    step_until(&mut harness, "the metric's chart action", |h| {
        has_label(h, "Chart Boiler/Temperature")
    });
    harness.get_by_label("Chart Boiler/Temperature").click();
    harness.run_steps(2);
    let next = SparkplugPayload {
        seq: Some(13),
        metrics: vec![
            SparkplugMetric {
                name: Some("Boiler/Pressure".into()),
                datatype: Some(10),
                value: Some(SparkplugValue::Double(1.8)),
                ..SparkplugMetric::default()
            },
            SparkplugMetric {
                name: Some("Boiler/Temperature".into()),
                datatype: Some(9),
                value: Some(SparkplugValue::Float(72.5)),
                ..SparkplugMetric::default()
            },
        ],
        ..SparkplugPayload::default()
    }
    .encode_to_vec();
    rt.block_on(client.publish("spBv1.0/plant/NDATA/edge1", common::qos(1), false, next))
        .unwrap();
    step_until(&mut harness, "two points for the metric", |h| {
        h.state().app.model().unwrap().charts.all_series().any(|(_, s)| {
            s.path == "metric:Boiler/Temperature" && s.points.iter().map(|p| p[1]).collect::<Vec<_>>() == [71.25, 72.5]
        })
    });
}

#[test]
fn a_json_payload_as_a_tree_finds_keys_and_charts_a_leaf() {
    let mut harness = harness(Startup::Demo);
    step_until(&mut harness, "demo topics in the tree", |h| {
        has_label(h, "temp_sensor_001")
    });
    harness.get_all_by_label("temperature").next().unwrap().click();
    step_until(&mut harness, "the inspector", |h| {
        has_label(h, "iot/temp_sensor_001/temperature") && has_label(h, "Tree")
    });
    harness.get_by_label("Tree").click();
    step_until(&mut harness, "the payload as a tree", |h| {
        has_label(h, "Chart temperature")
    });
    assert!(has_text(&harness, "device_id:"), "every key is a row");

    // Search inside the payload: only matching leaves stay, with their paths.
    harness.get_by_label("Find in payload").focus();
    harness.get_by_label("Find in payload").type_text("celsius");
    step_until(&mut harness, "the matching leaf", |h| {
        has_text(h, "unit:") && !has_text(h, "device_id:")
    });

    // Chart a numeric leaf straight from the tree.
    type_into(&mut harness, "Find in payload", "");
    step_until(&mut harness, "the whole tree again", |h| {
        has_label(h, "Chart temperature")
    });
    harness.get_by_label("Chart temperature").click();
    step_until(&mut harness, "a live series for the leaf", |h| {
        charted(h, |filter, path| {
            filter == "iot/temp_sensor_001/temperature" && path == "temperature"
        })
        .is_some()
    });
}

#[test]
fn arrow_keys_walk_through_the_history() {
    let mut harness = harness(Startup::Demo);
    step_until(&mut harness, "demo topics in the tree", |h| {
        has_label(h, "temp_sensor_001")
    });
    harness.get_all_by_label("temperature").next().unwrap().click();
    // History rows read "HH:MM:SS.mmm  98 B  {preview}", newest first.
    let history_rows = |h: &Harness<'static, TestApp>| -> Vec<String> {
        h.query_all_by(|n| {
            n.label()
                .is_some_and(|l| l.contains("temp_sensor_001") && l.starts_with(|c: char| c.is_ascii_digit()))
        })
        .map(|n| n.accesskit_node().label().unwrap())
        .collect()
    };
    // (The topic's name alone could be the chart's series row: wait for the history itself.)
    step_until(&mut harness, "three messages in the history", |h| {
        history_rows(h).len() >= 3
    });
    let rows = history_rows(&harness);
    let time_of = |row: &str| row.split_whitespace().next().unwrap().to_owned();
    harness.get_by_label(&rows[0]).click();
    harness.run_steps(2);
    harness.key_press(egui::Key::ArrowDown);
    harness.run_steps(2);
    harness.key_press(egui::Key::ArrowDown);
    harness.run_steps(2);
    // Two rows down is two messages older: the inspector shows exactly that one.
    let expected = time_of(&rows[2]);
    step_until(&mut harness, "the message two rows down", |h| {
        has_text(h, &format!("Received {expected}"))
    });
    assert!(has_label(&harness, "earlier message"));
    // The tree kept its selection: the arrows went to the history, not the tree.
    assert!(has_label(&harness, "iot/temp_sensor_001/temperature"));
}

#[test]
fn a_payload_is_saved_to_a_file_byte_for_byte() {
    let mut harness = harness(Startup::Demo);
    step_until(&mut harness, "the weather station in the tree", |h| has_label(h, "raw"));
    harness.get_by_label("raw").click();
    step_until(&mut harness, "the binary frame in the inspector", |h| {
        has_label(h, "iot/weather_station/raw") && has_label(h, "Save payload…")
    });
    harness.get_by_label("Save payload…").click();
    harness.run_steps(2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("frames/weather.bin");
    type_into(&mut harness, "Save to", &path.display().to_string());
    harness.get_by_label("Save").click();
    step_until(&mut harness, "the saved notice", |h| has_text(h, "Saved the payload"));
    let saved = std::fs::read(&path).expect("the file exists");
    let model = harness.state().app.model().unwrap();
    let id = model.tree.get("iot/weather_station/raw").unwrap();
    assert!(
        model.history.messages(id).iter().any(|m| m.payload[..] == saved[..]),
        "the file holds one of the topic's payloads, byte for byte"
    );
    assert_eq!(saved[0], 0x01, "the frame's version byte");

    // A path that cannot be written: the reason, where the user looks.
    harness.get_by_label("Save payload…").click();
    harness.run_steps(2);
    type_into(&mut harness, "Save to", "/proc/mqscope-cannot/x.bin");
    harness.get_by_label("Save").click();
    step_until(&mut harness, "the failure notice", |h| {
        has_text(h, "Could not save the payload to /proc/mqscope-cannot/x.bin")
    });
}

#[test]
fn a_large_json_payload_is_decoded_whole_on_demand() {
    let broker = common::Mosquitto::start();
    let mut harness = connected_to(&broker.url());
    let big = format!(r#"{{"data": "{}", "end": 42}}"#, "x".repeat(600 * 1024));
    let rt = common::runtime();
    let client = common::publisher(&rt, broker.port, "big-json");
    rt.block_on(client.publish("dump/big", common::qos(1), false, big.into_bytes()))
        .unwrap();
    step_until(&mut harness, "the big topic", |h| has_label(h, "big"));
    harness.get_by_label("big").click();
    step_until(&mut harness, "the bounded view, saying so", |h| {
        has_text(h, "Showing the first 256.0 KiB of this 600.0 KiB payload")
    });
    assert!(
        !has_text(&harness, "\"end\": 42"),
        "only the first bytes are decoded at first"
    );
    harness.get_by_label("Decode all anyway").click();
    step_until(&mut harness, "the whole payload, pretty-printed", |h| {
        has_text(h, "\"end\": 42")
    });
}

#[test]
fn binary_diffs_mark_the_changed_bytes_and_any_two_messages_compare() {
    let mut harness = harness(Startup::Demo);
    step_until(&mut harness, "the weather station", |h| has_label(h, "raw"));
    harness.get_by_label("raw").click();
    step_until(&mut harness, "three frames", |h| {
        let m = h.state().app.model().unwrap();
        let id = m.tree.get("iot/weather_station/raw").unwrap();
        m.history.messages(id).len() >= 3 && has_label(h, "iot/weather_station/raw")
    });
    harness.get_by_label("Diff with previous").click();
    // Computed off the frame: the frame that asks for it says so and does not wait.
    let mut comparing = false;
    for _ in 0..4 {
        harness.step();
        if has_text(&harness, "Comparing with the message before") {
            comparing = true;
            break;
        }
    }
    assert!(
        comparing,
        "a frame shows the diff being computed instead of waiting for it"
    );
    // The frame's changed bytes, as hex lines of the newer frame.
    step_until(&mut harness, "the changed hex line", |h| {
        has_text(h, "changed byte range") && has_text(h, "00000000  01 ")
    });

    // Any two: right-click the oldest kept frame, diff the shown one against it.
    let oldest = harness
        .query_all_by(|n| n.label().is_some_and(|l| l.contains("9 B") && l.contains("0x01")))
        .last()
        .expect("history rows")
        .accesskit_node()
        .label()
        .unwrap();
    harness.get_by_label(&oldest).click_secondary();
    harness.run_steps(3);
    harness.get_by_label("Diff the shown message against this one").click();
    step_until(&mut harness, "the chosen comparison", |h| has_text(h, "(chosen)"));
    harness.get_by_label("Against the previous one").click();
    step_until(&mut harness, "back to the previous", |h| !has_text(h, "(chosen)"));
}

#[test]
fn a_messagepack_leaf_charts_live() {
    let broker = common::Mosquitto::start();
    let mut harness = connected_to(&broker.url());
    // {"temperature": T} in MessagePack (float64).
    let frame = |t: f64| {
        let mut b = vec![0x81, 0xab];
        b.extend_from_slice(b"temperature");
        b.push(0xcb);
        b.extend_from_slice(&t.to_be_bytes());
        b
    };
    let rt = common::runtime();
    let client = common::publisher(&rt, broker.port, "mp-device");
    rt.block_on(client.publish("lab/mp", common::qos(1), false, frame(21.5)))
        .unwrap();
    step_until(&mut harness, "the topic", |h| has_label(h, "mp"));
    harness.get_by_label("mp").click();
    step_until(
        &mut harness,
        "the MessagePack view (structured: it offers a tree)",
        |h| has_label(h, "Tree"),
    );
    harness.get_by_label("Tree").click();
    step_until(&mut harness, "the chart action on the leaf", |h| {
        has_label(h, "Chart temperature")
    });
    harness.get_by_label("Chart temperature").click();
    harness.run_steps(2);
    rt.block_on(client.publish("lab/mp", common::qos(1), false, frame(22.25)))
        .unwrap();
    step_until(&mut harness, "two points from MessagePack frames", |h| {
        h.state()
            .app
            .model()
            .unwrap()
            .charts
            .all_series()
            .any(|(_, s)| s.topic == "lab/mp" && s.points.iter().map(|p| p[1]).collect::<Vec<_>>() == [21.5, 22.25])
    });
}

#[test]
fn the_demo_starts_without_holding_the_first_frame() {
    // One frame's logic, by hand: the broker and its sensors start in the
    // background (they took up to 13 s on the UI thread), so the frame
    // returns before they are up and says what is starting.
    let runtime = common::runtime();
    let config = tempfile::tempdir().unwrap();
    let options = common::harness::options(Startup::Demo, config.path());
    let mut app = mqscope::app::MqscopeApp::new(options, runtime.handle().clone());
    let ctx = egui::Context::default();
    app.logic(&ctx);
    assert!(app.demo_port().is_none(), "the frame did not wait for the broker");
    assert!(
        app.notices().any(|n| n == "Starting the demo broker and its sensors…"),
        "the frame tells what is starting"
    );
    // Later frames pick it up: the tab opens and the notice goes.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.connection_names().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the demo never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
        app.logic(&ctx);
    }
    assert!(app.demo_port().is_some());
    assert!(!app.notices().any(|n| n.starts_with("Starting the demo")));
}

#[test]
fn a_tree_of_5000_rows_draws_only_what_is_on_screen_and_end_reaches_the_last() {
    let broker = common::Mosquitto::start();
    let mut harness = connected_to(&broker.url());
    publish_many(broker.port, (0..5_000).map(|i| format!("fleet/truck_{i:04}")));
    step_until(&mut harness, "the 5,000 trucks", |h| {
        h.state().app.model().unwrap().tree.topic_count() == 5_000
    });
    harness.run_steps(2);
    let trucks = |h: &Harness<'static, TestApp>| -> Vec<String> {
        h.query_all_by(|n| n.label().is_some_and(|l| l.starts_with("truck_")))
            .filter_map(|n| n.accesskit_node().label())
            .collect()
    };
    // All open: 5,001 rows, and only a screenful drawn.
    harness.get_by_label("Expand all").click();
    step_until(&mut harness, "the trucks listed", |h| has_label(h, "truck_0000"));
    let drawn = trucks(&harness);
    assert!((10..200).contains(&drawn.len()), "{} of 5,000 rows drawn", drawn.len());
    assert!(common::harness::row_on_screen(&harness, "truck_0000"));
    // End goes to the last row and shows it; the first is no longer drawn.
    harness.get_by_label("truck_0000").click();
    harness.step();
    harness.key_press(egui::Key::End);
    step_until(&mut harness, "the last truck on screen", |h| {
        common::harness::row_on_screen(h, "truck_4999")
    });
    assert!(!has_label(&harness, "truck_0000"), "rows scrolled away are not drawn");
    assert!(trucks(&harness).len() < 200);
    harness.key_press(egui::Key::Home);
    step_until(&mut harness, "the first row again", |h| {
        common::harness::row_on_screen(h, "fleet")
    });
}

#[test]
fn the_clicked_history_message_stays_shown_while_new_ones_arrive() {
    // A counter; the user clicks the third row (the oldest, n = 0) and reads it
    // while four more arrive above it: the inspector keeps showing n = 0. (The
    // row's focus followed its place in the list, and the shown message with it.)
    let broker = common::Mosquitto::start();
    let rt = common::runtime();
    let counter = common::publisher(&rt, broker.port, "counter");
    let publish = |n: u32| {
        rt.block_on(counter.publish("lab/counter", common::qos(1), false, format!(r#"{{"n": {n}}}"#)))
            .unwrap();
    };
    let mut harness = connected_to(&broker.url());
    for n in 0..3 {
        publish(n);
    }
    step_until(&mut harness, "the counter", |h| has_label(h, "counter"));
    harness.get_by_label("counter").click();
    step_until(&mut harness, "three rows in the history", |h| {
        has_text(h, "History (3 kept)")
    });
    // Rows are newest first: n = 0 is the third.
    let row = harness
        .query_all_by(|n| n.label().is_some_and(|l| l.ends_with(r#"{"n": 0}"#)))
        .next()
        .expect("the oldest row")
        .accesskit_node()
        .label()
        .unwrap();
    harness.get_by_label(&row).click();
    step_until(&mut harness, "n = 0 shown", |h| has_label(h, "earlier message"));
    for n in 3..7 {
        publish(n);
    }
    step_until(&mut harness, "four more in the history", |h| {
        has_text(h, "History (7 kept)")
    });
    harness.run_steps(3);
    let shown: Vec<String> = harness
        .query_all_by(|n| n.value().is_some_and(|v| v.contains(r#""n""#)))
        .filter_map(|n| n.accesskit_node().value())
        .collect();
    assert!(
        shown.iter().any(|v| v.contains(r#""n": 0"#)),
        "the clicked message is still the one shown: {shown:?}"
    );
    assert!(has_label(&harness, "earlier message"));
}

#[test]
fn counts_of_one_read_in_the_singular() {
    let broker = common::Mosquitto::start();
    let rt = common::runtime();
    let device = common::publisher(&rt, broker.port, "solo-device");
    let mut harness = connected_to(&broker.url());
    rt.block_on(device.publish("solo/one", common::qos(1), false, "1"))
        .unwrap();
    step_until(&mut harness, "the topic", |h| has_label(h, "solo"));
    harness.get_by_label("Expand all").click();
    step_until(&mut harness, "the leaf", |h| has_label(h, "one"));
    assert!(has_text(&harness, "1 msg · 1 topic"), "the folder row");
    assert!(!has_text(&harness, "1 msgs") && !has_text(&harness, "1 topics"));
    rt.block_on(device.publish("solo/two", common::qos(1), false, "2"))
        .unwrap();
    step_until(&mut harness, "two topics", |h| has_text(h, "2 msgs · 2 topics"));
}

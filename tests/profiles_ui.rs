//! Moving over from another explorer: import MQTT Explorer's settings.json
//! through the Connection menu, see what came along entry by entry, and
//! connect with the imported profile to a real Mosquitto; export and import
//! back without passwords.

mod common;

use egui_kittest::kittest::Queryable as _;
use mqscope::app::Startup;

use common::harness::{harness, has_label, has_text, step_until, type_into};

#[test]
fn mqtt_explorer_connections_import_and_connect() {
    let broker = common::Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("settings.json");
    let file = serde_json::json!({
        "ConnectionManager_connections": {
            "1f2e": {
                "configVersion": 1, "certValidation": true, "clientId": "mqtt-explorer-0a0b0c0d",
                "id": "1f2e", "name": "Lab Mosquitto", "encryption": false,
                "subscriptions": [{"topic": "lab/#", "qos": 1}],
                "type": "mqtt", "host": "127.0.0.1", "port": broker.port, "protocol": "mqtt", "order": 1
            },
            "3c4d": {
                "configVersion": 1, "id": "3c4d", "name": "Half written", "type": "mqtt", "host": "", "port": 1883
            }
        }
    });
    std::fs::write(&settings, file.to_string()).unwrap();

    let mut harness = harness(Startup::Welcome);
    harness.run_steps(2);
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "Import connections…"));
    harness.get_by_label("Import connections…").click();
    step_until(&mut harness, "the import window", |h| has_label(h, "Import"));
    type_into(&mut harness, "File", &settings.display().to_string());
    harness.get_by_label("Import").click();
    step_until(&mut harness, "the summary", |h| {
        has_text(h, "Imported 1 connection from MQTT Explorer.")
    });
    assert!(has_text(&harness, "'Half written': not imported: it has no host"));

    // The imported profile is saved and connects, with its subscription.
    harness.state().app.flush_files();
    let saved = std::fs::read_to_string(harness.state().config.path().join("profiles.json")).unwrap();
    assert!(saved.contains("Lab Mosquitto") && saved.contains("lab/#"), "{saved}");
    harness.get_by_label("Close window").click();
    harness.run_steps(2);
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the profile in the menu", |h| {
        has_label(h, "Connect to Lab Mosquitto")
    });
    harness.get_by_label("Connect to Lab Mosquitto").click();
    step_until(&mut harness, "the connection", |h| {
        h.state().app.connection_state() == Some(&mqscope::vocab::ConnectionState::Connected)
    });
    assert!(has_label(&harness, "lab/#"), "its subscription");

    // Duplicate it: the copy opens in the form under a free name and saves as a new profile.
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "Duplicate"));
    harness.get_by_label("Duplicate").click();
    step_until(&mut harness, "the form on the copy", |h| {
        has_label(h, "Save and connect")
    });
    assert!(has_text(&harness, "Lab Mosquitto (2)"));
    // A new window sizes itself over its first frames: let it settle before clicking in it.
    harness.run_steps(3);
    harness.get_by_label("Save").click();
    step_until(&mut harness, "both saved", |h| {
        let saved = std::fs::read_to_string(h.state().config.path().join("profiles.json")).unwrap();
        saved.contains("\"Lab Mosquitto (2)\"") && saved.contains("\"Lab Mosquitto\"")
    });
}

#[test]
fn three_thousand_mqttx_connections_import_off_the_frame() {
    // MQTTX's "Export data" JSON, as a fleet operator's would be: 3,000
    // connections, a hundred of them named alike.
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("mqttx-data.json");
    let list: Vec<serde_json::Value> = (0..3_000)
        .map(|i| {
            serde_json::json!({
                "id": format!("id-{i}"), "clientId": format!("mqttx_{i:04x}"),
                "name": if i % 30 == 0 { "网关".to_owned() } else { format!("网关 {i}") },
                "clean": true, "protocol": "mqtt", "host": format!("10.0.{}.{}", i / 250, i % 250),
                "port": 1883, "keepalive": 60, "mqttVersion": "3.1.1",
                "subscriptions": [{"topic": format!("site/{i}/#"), "qos": 1}]
            })
        })
        .collect();
    std::fs::write(&export, serde_json::Value::Array(list).to_string()).unwrap();
    let mut harness = harness(Startup::Welcome);
    harness.run_steps(2);
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "Import connections…"));
    harness.get_by_label("Import connections…").click();
    step_until(&mut harness, "the import window", |h| has_label(h, "Import"));
    type_into(&mut harness, "File", &export.display().to_string());
    harness.get_by_label("Import").click();
    // Read and parsed off the frame: the frame after the click says so.
    harness.step();
    harness.step();
    assert!(
        has_text(&harness, "Reading ") || has_text(&harness, "Imported 3000 connections"),
        "the window neither waits nor stays silent"
    );
    step_until(&mut harness, "the summary", |h| {
        has_text(h, "Imported 3000 connections from MQTTX.")
    });
    assert_eq!(harness.state().app.profile_names().len(), 3_000);
    assert!(has_text(
        &harness,
        "'网关' is imported as '网关 (2)': the name was taken"
    ));
    harness.state().app.flush_files();
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(harness.state().config.path().join("profiles.json")).unwrap())
            .unwrap();
    assert_eq!(saved["profiles"].as_array().unwrap().len(), 3_000);
    assert_eq!(saved["profiles"][2_999]["name"], "网关 2999");
}

/// (topic, message count, latest payload) of every topic, sorted.
fn topics(model: &mqscope::model::Model) -> Vec<(String, u64, Vec<u8>)> {
    let tree = &model.tree;
    let mut out: Vec<(String, u64, Vec<u8>)> = tree
        .ids()
        .filter(|&id| tree.node(id).own_messages > 0)
        .map(|id| {
            let latest = model.history.latest(id).map(|m| m.payload.to_vec()).unwrap_or_default();
            (tree.topic(id), tree.node(id).own_messages, latest)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_recording_reopens_as_the_same_tree_and_mosquitto_sub_text_opens_too() {
    use common::harness::harness_recording;
    let broker = common::Mosquitto::start();
    let rt = common::runtime();
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("session.ndjson");
    let spec = mqscope::vocab::parse_broker_url(&broker.url()).unwrap();
    let mut live = harness_recording(
        Startup::Connect(Box::new(spec)),
        tempfile::tempdir().unwrap(),
        Some(record.clone()),
    );
    step_until(&mut live, "the connection", |h| {
        h.state().app.connection_state() == Some(&mqscope::vocab::ConnectionState::Connected)
    });
    step_until(&mut live, "the subscription granted", |h| has_text(h, "granted QoS"));
    let device = common::publisher(&rt, broker.port, "recorded-device");
    for i in 0..30u8 {
        let payload = if i % 3 == 0 {
            vec![0xff, i, 0x00]
        } else {
            format!("{{\"v\": {i}}}").into_bytes()
        };
        rt.block_on(device.publish(
            format!("plant/line{}/m{}", i % 2, i % 5),
            common::qos(1),
            false,
            payload,
        ))
        .unwrap();
    }
    step_until(&mut live, "all 30 applied", |h| {
        h.state().app.model().unwrap().applied() == 30
    });
    assert!(
        has_text(&live, "Stop recording"),
        "--record shows in the top bar, where it can be stopped"
    );
    let expected = topics(live.state().app.model().unwrap());
    drop(live);

    let mut harness = harness(Startup::Welcome);
    harness.run_steps(2);
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "Open recording…"));
    harness.get_by_label("Open recording…").click();
    step_until(&mut harness, "the window", |h| has_label(h, "Open"));
    type_into(&mut harness, "File", &record.display().to_string());
    harness.get_by_label("Open").click();
    step_until(&mut harness, "the replay to finish", |h| {
        has_text(h, "replayed all 30 messages")
    });
    assert_eq!(
        topics(harness.state().app.model().unwrap()),
        expected,
        "the same tree, counts and latest payloads"
    );
    assert!(has_label(&harness, "session.ndjson (offline)"), "its tab");

    // Text saved from `mosquitto_sub -v`.
    let text = dir.path().join("capture.txt");
    std::fs::write(&text, "home/light on\nhome/tv {\"power\": \"on\"}\nhome/light off\n").unwrap();
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "Open recording…"));
    harness.get_by_label("Open recording…").click();
    step_until(&mut harness, "the window", |h| has_label(h, "Open"));
    type_into(&mut harness, "File", &text.display().to_string());
    harness.get_by_label("Open").click();
    step_until(&mut harness, "the second replay", |h| {
        has_text(h, "replayed all 3 messages")
    });
    let got = topics(harness.state().app.model().unwrap());
    assert_eq!(
        got,
        [
            ("home/light".to_owned(), 2, b"off".to_vec()),
            ("home/tv".to_owned(), 1, br#"{"power": "on"}"#.to_vec())
        ]
    );
}

#[test]
fn record_from_the_window_and_export_a_subtree() {
    let broker = common::Mosquitto::start();
    let rt = common::runtime();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = common::harness::connected_to(&broker.url());
    harness.get_by_label("⏺ Record").click();
    step_until(&mut harness, "the record window", |h| has_label(h, "Start recording"));
    let file = dir.path().join("rec.ndjson");
    type_into(&mut harness, "File", &file.display().to_string());
    harness.get_by_label("Start recording").click();
    step_until(&mut harness, "recording", |h| {
        h.query_all_by(|n| n.label().is_some_and(|l| l.starts_with("⏹ Stop recording")))
            .next()
            .is_some()
    });
    let device = common::publisher(&rt, broker.port, "rec-device");
    for i in 0..5 {
        rt.block_on(device.publish(format!("farm/barn/t{i}"), common::qos(1), false, format!("{i}")))
            .unwrap();
    }
    rt.block_on(device.publish("farm/barn/bin", common::qos(1), false, vec![0xffu8, 0x01]))
        .unwrap();
    step_until(&mut harness, "the live count", |h| {
        h.query_all_by(|n| n.label().is_some_and(|l| l.contains("· 6 msgs)")))
            .next()
            .is_some()
    });
    harness
        .query_all_by(|n| n.label().is_some_and(|l| l.starts_with("⏹ Stop recording")))
        .next()
        .unwrap()
        .click();
    step_until(&mut harness, "the stop notice", |h| {
        has_text(h, "Recorded 6 messages to")
    });
    // The recorder's own thread writes the last lines: the window did not wait.
    step_until(&mut harness, "the six lines on disk", |_| {
        std::fs::read_to_string(&file).unwrap().lines().count() == 6
    });

    // A message beside the barn, which a barn export leaves out.
    rt.block_on(device.publish("farm/house/t", common::qos(1), false, "19"))
        .unwrap();
    step_until(&mut harness, "the house topic", |h| {
        h.state().app.model().unwrap().tree.get("farm/house/t").is_some()
    });

    // Export the barn's messages as CSV from the tree's context menu.
    harness.get_by_label("Expand all").click();
    step_until(&mut harness, "the barn", |h| has_label(h, "barn"));
    harness.get_by_label("barn").click_secondary();
    step_until(&mut harness, "the context menu", |h| has_label(h, "Export messages…"));
    harness.get_by_label("Export messages…").click();
    step_until(&mut harness, "the export window", |h| has_label(h, "CSV"));
    harness.get_by_label("CSV").click();
    let csv = dir.path().join("barn.csv");
    type_into(&mut harness, "File", &csv.display().to_string());
    harness.get_by_label("Write the file").click();
    step_until(&mut harness, "the saved notice", |h| has_text(h, "Saved 6 messages"));
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "time,topic,qos,retain,payload,payload_b64");
    assert_eq!(lines.len(), 7, "{text}");
    assert!(text.contains(",farm/barn/t3,1,false,3,\n"), "{text}");
    assert!(text.contains(",farm/barn/bin,1,false,,/wE=\n"), "{text}");

    // And as NDJSON, which reopens as a recording with the same topics and bytes.
    harness.get_by_label("barn").click_secondary();
    step_until(&mut harness, "the context menu", |h| has_label(h, "Export messages…"));
    harness.get_by_label("Export messages…").click();
    step_until(&mut harness, "the export window", |h| {
        has_label(h, "NDJSON (reopens as a recording)")
    });
    harness.get_by_label("NDJSON (reopens as a recording)").click();
    let ndjson = dir.path().join("barn.ndjson");
    type_into(&mut harness, "File", &ndjson.display().to_string());
    harness.get_by_label("Write the file").click();
    step_until(&mut harness, "the six lines written", |_| {
        std::fs::read_to_string(&ndjson).is_ok_and(|t| t.lines().count() == 6)
    });
    let exported = topics(harness.state().app.model().unwrap());
    drop(harness);
    let mut reopened = common::harness::harness(Startup::Welcome);
    reopened.run_steps(2);
    reopened.get_by_label("Connection").click();
    step_until(&mut reopened, "the menu", |h| has_label(h, "Open recording…"));
    reopened.get_by_label("Open recording…").click();
    step_until(&mut reopened, "the window", |h| has_label(h, "Open"));
    type_into(&mut reopened, "File", &ndjson.display().to_string());
    reopened.get_by_label("Open").click();
    step_until(&mut reopened, "the replay to finish", |h| {
        has_text(h, "replayed all 6 messages")
    });
    let barn = |all: Vec<(String, u64, Vec<u8>)>| -> Vec<(String, u64, Vec<u8>)> {
        all.into_iter()
            .filter(|(t, _, _)| t.starts_with("farm/barn/"))
            .collect()
    };
    let replayed = topics(reopened.state().app.model().unwrap());
    assert_eq!(
        barn(replayed.clone()),
        barn(exported),
        "the subtree, message for message"
    );
    assert_eq!(replayed.len(), 6, "only the subtree, not farm/house: {replayed:?}");
}

#[test]
fn connections_export_without_passwords_and_import_back() {
    use common::harness::harness_in;
    // A profile whose password is kept in the file, by the user's choice.
    let config = tempfile::tempdir().unwrap();
    let profiles = serde_json::json!({"version": 2, "profiles": [{
        "name": "工厂 broker", "host": "10.0.0.7", "port": 1883, "username": "alice",
        "password": "pw-in-file-7731", "password_storage": "file",
        "subscriptions": [{"filter": "plant/#", "qos": 1}]
    }]});
    std::fs::write(config.path().join("profiles.json"), profiles.to_string()).unwrap();
    let mut harness = harness_in(Startup::Welcome, config);
    harness.run_steps(2);
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "Export connections…"));
    harness.get_by_label("Export connections…").click();
    step_until(&mut harness, "the export window", |h| has_label(h, "Export"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("connections.json");
    type_into(&mut harness, "File", &file.display().to_string());
    harness.get_by_label("Export").click();
    step_until(&mut harness, "the written notice", |h| {
        has_text(h, "Exported 1 connection to") && has_text(h, "without passwords")
    });
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("工厂 broker") && text.contains("plant/#"), "{text}");
    assert!(
        !text.contains("pw-in-file-7731"),
        "no password in an export unless asked"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    drop(harness);

    // Into a fresh window: the connection comes back, asking for its password.
    let mut fresh = common::harness::harness(Startup::Welcome);
    fresh.run_steps(2);
    fresh.get_by_label("Connection").click();
    step_until(&mut fresh, "the menu", |h| has_label(h, "Import connections…"));
    fresh.get_by_label("Import connections…").click();
    step_until(&mut fresh, "the import window", |h| has_label(h, "Import"));
    type_into(&mut fresh, "File", &file.display().to_string());
    fresh.get_by_label("Import").click();
    step_until(&mut fresh, "the summary", |h| {
        has_text(h, "Imported 1 connection from mqscope.")
    });
    assert_eq!(fresh.state().app.profile_names(), ["工厂 broker"]);
}

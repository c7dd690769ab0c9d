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
        h.state().app.connection_state() == Some(&mqscope::mqtt::ConnectionState::Connected)
    });
    assert!(has_label(&harness, "lab/#"), "its subscription");
}

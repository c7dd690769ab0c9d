//! Desktop polish as a user meets it: F1 lists the shortcuts, the theme
//! switches from the Settings window (and is kept), the window title names the
//! connection and its state, and the connection shortcuts act.

mod common;

use egui_kittest::kittest::{NodeT as _, Queryable as _};
use mqscope::app::Startup;

use common::harness::{connected_to, harness, harness_in, has_label, has_text, step_until};

#[test]
fn f1_shows_the_shortcut_sheet() {
    let mut harness = harness(Startup::Welcome);
    harness.run_steps(2);
    assert!(!has_label(&harness, "Keyboard shortcuts"));
    harness.key_press(egui::Key::F1);
    step_until(&mut harness, "the sheet", |h| has_label(h, "Keyboard shortcuts"));
    for (keys, what) in mqscope::ui::shortcuts::SHORTCUTS {
        assert!(has_text(&harness, keys) && has_text(&harness, what), "{keys}: {what}");
    }
    harness.key_press(egui::Key::F1);
    step_until(&mut harness, "the sheet to close", |h| {
        !has_label(h, "Keyboard shortcuts")
    });
}

#[test]
fn the_theme_switches_from_settings_and_is_kept() {
    let mut harness = harness(Startup::Welcome);
    harness.run_steps(2);
    assert!((harness.ctx.theme() == egui::Theme::Dark), "dark by default");
    harness.get_by_label("Settings").click();
    step_until(&mut harness, "the settings window", |h| has_label(h, "Light"));
    harness.get_by_label("Light").click();
    harness.step();
    harness.get_by_label("Apply").click();
    step_until(&mut harness, "light colours", |h| h.ctx.theme() == egui::Theme::Light);
    harness.state().app.flush_files();
    let saved = std::fs::read_to_string(harness.state().config.path().join("settings.json")).unwrap();
    assert!(saved.contains(r#""theme": "Light""#), "{saved}");

    // Next start: light from the first frame.
    let config = tempfile::tempdir().unwrap();
    std::fs::write(config.path().join("settings.json"), saved).unwrap();
    let mut again = harness_in(Startup::Welcome, config);
    again.run_steps(2);
    assert!(again.ctx.theme() == egui::Theme::Light);
}

#[test]
fn the_title_follows_the_connection_and_ctrl_d_disconnects() {
    let broker = common::Mosquitto::start();
    let mut harness = connected_to(&broker.url());
    let name = format!("127.0.0.1:{}", broker.port);
    let title = |h: &egui_kittest::Harness<'static, common::harness::TestApp>| h.state().app.window_title().to_owned();
    assert_eq!(title(&harness), format!("{name} — connected — mqscope"));
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::D);
    step_until(&mut harness, "the disconnection", |h| {
        h.state().app.connection_state() == Some(&mqscope::vocab::ConnectionState::Closed)
    });
    harness.run_steps(2);
    assert_eq!(title(&harness), format!("{name} — closed — mqscope"));
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::W);
    step_until(&mut harness, "the tab closed", |h| {
        h.state().app.connection_names().is_empty()
    });
    assert_eq!(title(&harness), "mqscope");
}

#[test]
fn home_assistant_discovery_names_topics_in_the_tree_and_inspector() {
    let broker = common::Mosquitto::start();
    let rt = common::runtime();
    let device = common::publisher(&rt, broker.port, "ha-device");
    let config = r#"{"name": "Temperature", "state_topic": "home/livingroom/temp",
        "unit_of_measurement": "°C", "device_class": "temperature",
        "device": {"name": "Living room sensor", "identifiers": ["lr1"]}}"#;
    rt.block_on(device.publish(
        "homeassistant/sensor/livingroom/temperature/config",
        common::qos(1),
        true,
        config.to_owned(),
    ))
    .unwrap();
    rt.block_on(device.publish("home/livingroom/temp", common::qos(1), true, "21.5".to_owned()))
        .unwrap();
    device.settled(&rt);
    let mut harness = connected_to(&broker.url());
    step_until(&mut harness, "the state topic", |h| has_label(h, "livingroom"));
    harness.get_by_label("Expand all").click();
    step_until(&mut harness, "the entity's name beside its topic", |h| {
        has_text(h, "Living room sensor · Temperature")
    });
    harness.get_by_label("temp").click();
    step_until(&mut harness, "the inspector's Home Assistant line", |h| {
        has_text(h, "unit °C") && has_text(h, "device class temperature")
    });
    assert!(has_text(&harness, "Home Assistant sensor · state topic"));
}

#[test]
fn profiles_in_folders_and_their_order() {
    let config = tempfile::tempdir().unwrap();
    let file = serde_json::json!({"version": 1, "profiles": [
        {"name": "Plain", "host": "127.0.0.1", "port": 1883},
        {"name": "Plant A", "host": "10.0.0.1", "port": 1883, "folder": "Customers"},
        {"name": "Plant B", "host": "10.0.0.2", "port": 1883, "folder": "Customers"}
    ]});
    std::fs::write(config.path().join("profiles.json"), file.to_string()).unwrap();
    let mut harness = harness_in(Startup::Welcome, config);
    harness.run_steps(2);
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "📁 Customers"));
    assert!(has_label(&harness, "Connect to Plain"));
    assert!(!has_label(&harness, "Connect to Plant A"), "inside its folder");
    harness.get_by_label("📁 Customers").click();
    step_until(&mut harness, "the folder's connections", |h| {
        has_label(h, "Connect to Plant B")
    });
    harness.get_by_label("Move up: Plant B").click();
    step_until(&mut harness, "the new order saved", |h| {
        let saved = std::fs::read_to_string(h.state().config.path().join("profiles.json")).unwrap();
        saved.find("Plant B").unwrap() < saved.find("Plant A").unwrap()
    });
}

#[test]
fn the_last_profile_used_comes_first_on_the_welcome_screen() {
    use egui_kittest::kittest::NodeT as _;
    let broker = common::Mosquitto::start();
    let file = serde_json::json!({"version": 1, "profiles": [
        {"name": "Office", "host": "10.9.9.9", "port": 1883},
        {"name": "Lab", "host": "127.0.0.1", "port": broker.port}
    ]});
    let config = tempfile::tempdir().unwrap();
    std::fs::write(config.path().join("profiles.json"), file.to_string()).unwrap();
    let mut harness = harness_in(Startup::Welcome, config);
    harness.run_steps(2);
    harness.get_by_label("Lab").click();
    step_until(&mut harness, "the connection", |h| {
        h.state().app.connection_state() == Some(&mqscope::vocab::ConnectionState::Connected)
    });
    assert_eq!(harness.state().app.last_profile(), Some("Lab"));
    let storage = common::harness::save_at_exit(&mut harness);
    drop(harness);

    // Next start, with what eframe kept: Lab first, marked.
    let config = tempfile::tempdir().unwrap();
    std::fs::write(config.path().join("profiles.json"), file.to_string()).unwrap();
    let mut again = harness_in(Startup::Welcome, config);
    again.state_mut().app.restore(&storage);
    again.run_steps(2);
    assert!(has_text(&again, "last used"));
    let y = |label: &str| again.get_by_label(label).accesskit_node().bounding_box().unwrap().y0;
    assert!(y("Lab") < y("Office"), "the last used is listed first");
}

#[test]
fn expanded_topics_are_open_again_next_run() {
    let rt = common::runtime();
    let broker = common::Mosquitto::start();
    let device = common::publisher(&rt, broker.port, "plant-device");
    for (topic, value) in [("plant/line1/motor/temp", "40"), ("plant/line1/pump/flow", "3.2")] {
        rt.block_on(device.publish(topic, common::qos(1), true, value.to_owned()))
            .unwrap();
    }
    device.settled(&rt);
    let mut harness = connected_to(&broker.url());
    step_until(&mut harness, "the first two levels, opened by themselves", |h| {
        has_label(h, "motor") && has_label(h, "pump")
    });
    assert!(!has_label(&harness, "temp"), "motor starts folded");
    harness.get_by_label("motor").click();
    step_until(&mut harness, "motor opened", |h| has_label(h, "temp"));
    // The window closes, eframe keeps what the app saves, and hands it to the next run.
    let storage = common::harness::save_at_exit(&mut harness);
    drop(harness);
    let mut next_run = connected_to(&broker.url());
    next_run.state_mut().app.restore(&storage);
    step_until(&mut next_run, "motor open again without a click", |h| {
        has_label(h, "temp")
    });
    assert!(!has_label(&next_run, "flow"), "pump was not open, and stays folded");
}

#[test]
fn the_max_packet_setting_keeps_big_messages_away_on_mqtt5() {
    let rt = common::runtime();
    let broker = common::Mosquitto::start();
    let config = tempfile::tempdir().unwrap();
    // Settings → "Largest packet accepted (MiB)" = 1.
    std::fs::write(config.path().join("settings.json"), r#"{"max_packet_mib": 1}"#).unwrap();
    let mut spec = mqscope::vocab::parse_broker_url(&broker.url()).unwrap();
    spec.protocol = mqscope::vocab::ProtocolVersion::V5;
    let mut harness = harness_in(Startup::Connect(Box::new(spec)), config);
    step_until(&mut harness, "the connection", |h| {
        h.state().app.connection_state() == Some(&mqscope::vocab::ConnectionState::Connected)
    });
    harness.run_steps(10);
    let sender = common::publisher(&rt, broker.port, "big-sender");
    rt.block_on(sender.publish("files/big", common::qos(1), false, vec![7u8; 2 * 1024 * 1024]))
        .unwrap();
    rt.block_on(sender.publish("files/small", common::qos(1), false, vec![1u8; 1000]))
        .unwrap();
    step_until(&mut harness, "the small message", |h| {
        h.state().app.model().unwrap().tree.get("files/small").is_some()
    });
    let app = &harness.state().app;
    assert!(
        app.model().unwrap().tree.get("files/big").is_none(),
        "the broker kept the 2 MiB message from us"
    );
    assert_eq!(
        app.connection_state(),
        Some(&mqscope::vocab::ConnectionState::Connected),
        "and the connection is fine"
    );
}

#[test]
fn an_oversized_retained_message_on_mqtt_311_is_skipped_not_reconnected_for() {
    // MQTT 3.1.1 cannot tell the broker a size limit: a retained 2 MiB message
    // comes at every connect. It must not drop the connection each time.
    let rt = common::runtime();
    let broker = common::Mosquitto::start();
    let sender = common::publisher(&rt, broker.port, "big-retainer");
    rt.block_on(sender.publish("files/big", common::qos(1), true, vec![7u8; 2 * 1024 * 1024]))
        .unwrap();
    rt.block_on(sender.publish("files/small", common::qos(1), true, vec![1u8; 1000]))
        .unwrap();
    let config = tempfile::tempdir().unwrap();
    std::fs::write(config.path().join("settings.json"), r#"{"max_packet_mib": 1}"#).unwrap();
    let spec = mqscope::vocab::parse_broker_url(&broker.url()).unwrap();
    assert_eq!(spec.protocol, mqscope::vocab::ProtocolVersion::V311);
    let mut harness = harness_in(Startup::Connect(Box::new(spec)), config);
    step_until(&mut harness, "the small retained message", |h| {
        h.state()
            .app
            .model()
            .is_some_and(|m| m.tree.get("files/small").is_some())
    });
    // A few seconds more: still the first connection, and the big one said.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while std::time::Instant::now() < until {
        harness.step();
        assert_eq!(
            harness.state().app.connection_state(),
            Some(&mqscope::vocab::ConnectionState::Connected),
            "the connection stays up"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        has_text(
            &harness,
            "a 2.0 MiB message on files/big was larger than the 1.0 MiB limit"
        ),
        "the skipped message is said where the user looks"
    );
}

#[test]
fn the_history_settings_reach_the_model_and_what_goes_is_counted_on_screen() {
    // Settings → two messages per topic: the demo's sensors pass that at once.
    let config = tempfile::tempdir().unwrap();
    std::fs::write(config.path().join("settings.json"), r#"{"history_per_topic": 2}"#).unwrap();
    let mut harness = harness_in(Startup::Demo, config);
    step_until(&mut harness, "older messages let go, said in the status bar", |h| {
        has_text(h, "older messages let go")
    });
    let model = harness.state().app.model().unwrap();
    assert!(model.history.evicted() > 0);
    let deepest = model
        .tree
        .ids()
        .map(|id| model.history.messages(id).len())
        .max()
        .unwrap();
    assert_eq!(deepest, 2, "no topic keeps more than the setting");
}

#[test]
fn a_record_path_that_cannot_be_opened_is_said() {
    use common::harness::harness_recording;
    let mut harness = harness_recording(
        Startup::Welcome,
        tempfile::tempdir().unwrap(),
        Some("/proc/mqscope-cannot/record.ndjson".into()),
    );
    harness.run_steps(2);
    assert!(
        has_text(
            &harness,
            "Not recording: could not open /proc/mqscope-cannot/record.ndjson"
        ),
        "the reason is where the user looks"
    );
}

#[test]
fn a_profile_that_cannot_be_saved_is_said() {
    // profiles.json is a folder here: nothing can be written over it.
    let config = tempfile::tempdir().unwrap();
    std::fs::create_dir(config.path().join("profiles.json")).unwrap();
    let mut harness = harness_in(Startup::Welcome, config);
    harness.run_steps(2);
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "New connection…"));
    harness.get_by_label("New connection…").click();
    step_until(&mut harness, "the form", |h| has_label(h, "Save"));
    harness.run_steps(3);
    common::harness::type_into(&mut harness, "Name", "Lab");
    common::harness::type_into(&mut harness, "Host", "127.0.0.1");
    harness.get_by_label("Save").click();
    step_until(&mut harness, "the failure, in words", |h| {
        has_text(h, "Could not save your profiles to")
    });
}

/// A new profile through the form, saved.
fn save_new_profile(harness: &mut egui_kittest::Harness<'static, common::harness::TestApp>, name: &str) {
    harness.get_by_label("Connection").click();
    step_until(harness, "the menu", |h| has_label(h, "New connection…"));
    harness.get_by_label("New connection…").click();
    step_until(harness, "the form", |h| has_label(h, "Save"));
    harness.run_steps(3);
    common::harness::type_into(harness, "Name", name);
    common::harness::type_into(harness, "Host", "127.0.0.1");
    harness.get_by_label("Save").click();
    step_until(harness, "the form closed", |h| !has_label(h, "Save and connect"));
}

#[test]
fn a_second_window_on_the_same_settings_folder_saves_nothing_and_says_so() {
    // A user starts mqscope twice: the first window keeps the folder; the
    // second is read-only (as a folder it cannot write to would be).
    let config = tempfile::tempdir().unwrap();
    let dir = config.path().to_path_buf();
    let mut first = harness_in(Startup::Welcome, config);
    first.run_steps(2);
    let mut second = common::harness::harness_beside(Startup::Welcome, &dir);
    second.run_steps(2);
    assert!(
        has_text(&second, "another mqscope is running with the settings folder"),
        "the second window says at once that it saves nothing"
    );
    assert!(
        !has_text(&first, "another mqscope is running"),
        "the first is not read-only"
    );
    assert!(!has_text(&second, "Did not save"), "nothing was tried yet");

    save_new_profile(&mut second, "From the second");
    step_until(&mut second, "the refusal, in words", |h| {
        has_text(h, "Did not save your profiles: another mqscope is running")
    });
    drop(second); // nor at exit
    save_new_profile(&mut first, "From the first");
    first.state().app.flush_files();
    let saved = std::fs::read_to_string(dir.join("profiles.json")).unwrap();
    assert!(saved.contains("From the first"), "{saved}");
    assert!(
        !saved.contains("From the second"),
        "the second window wrote nothing: {saved}"
    );
}

#[test]
fn the_shortcuts_on_the_sheet_do_what_it_says() {
    // Pressed, not read off the sheet's own list.
    let broker = common::Mosquitto::start();
    let mut harness = connected_to(&broker.url());
    let ctrl = egui::Modifiers::COMMAND;

    // Ctrl+F: the search field takes what is typed next.
    harness.key_press_modifiers(ctrl, egui::Key::F);
    harness.step();
    harness.event(egui::Event::Text("boiler".into()));
    harness.run_steps(2);
    assert_eq!(
        harness.get_by_label("Search").value().as_deref(),
        Some("boiler"),
        "Ctrl+F: search the topic tree"
    );
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);

    // Ctrl+Enter: the publish form sends (the broker acknowledges it).
    harness.get_by_label("Topic").click();
    harness.step();
    harness.key_press_modifiers(ctrl, egui::Key::Enter);
    step_until(&mut harness, "Ctrl+Enter: publish the form", |h| {
        has_text(h, "acknowledged by the broker")
    });

    // Ctrl+ + / Ctrl+ − / Ctrl+0: bigger, smaller, back to 100 %.
    let zoom = |h: &egui_kittest::Harness<'static, common::harness::TestApp>| h.ctx.zoom_factor();
    let before = zoom(&harness);
    harness.key_press_modifiers(ctrl, egui::Key::Plus);
    harness.run_steps(2);
    assert!(zoom(&harness) > before, "Ctrl+ +: bigger");
    harness.key_press_modifiers(ctrl, egui::Key::Minus);
    harness.key_press_modifiers(ctrl, egui::Key::Minus);
    harness.run_steps(2);
    assert!(zoom(&harness) < before, "Ctrl+ −: smaller");
    harness.key_press_modifiers(ctrl, egui::Key::Num0);
    harness.run_steps(2);
    assert!((zoom(&harness) - before).abs() < 1e-6, "Ctrl+0: 100 %");

    // Ctrl+,: Settings.
    harness.key_press_modifiers(ctrl, egui::Key::Comma);
    step_until(&mut harness, "Ctrl+,: settings", |h| {
        has_label(h, "History memory budget (MiB)")
    });
    // Ctrl+N: a new connection.
    harness.key_press_modifiers(ctrl, egui::Key::N);
    step_until(&mut harness, "Ctrl+N: new connection", |h| {
        has_label(h, "Save and connect")
    });
}

#[test]
fn retry_now_tries_at_once_instead_of_waiting_out_the_backoff() {
    let port = mqscope::demo::free_port().unwrap(); // nothing listens here
    let spec = mqscope::vocab::parse_broker_url(&format!("mqtt://127.0.0.1:{port}")).unwrap();
    let mut harness = harness(Startup::Connect(Box::new(spec)));
    let attempt = |h: &egui_kittest::Harness<'static, common::harness::TestApp>| match h.state().app.connection_state()
    {
        Some(mqscope::vocab::ConnectionState::Reconnecting { attempt, .. }) => *attempt,
        _ => 0,
    };
    step_until(&mut harness, "the third attempt", |h| attempt(h) >= 3);
    let (before, scheduled) = match harness.state().app.connection_state() {
        Some(mqscope::vocab::ConnectionState::Reconnecting { attempt, retry_at, .. }) => (*attempt, *retry_at),
        other => panic!("{other:?}"),
    };
    harness.get_by_label("Retry now").click();
    step_until(&mut harness, "a retry", |h| attempt(h) > before);
    assert!(
        std::time::Instant::now() < scheduled,
        "the retry came from the button, before the one the app had scheduled"
    );
}

#[test]
fn a_duplicated_profile_connects_beside_the_original_without_taking_its_client_id() {
    // A profile with a fixed client id, duplicated and connected beside the
    // original: with the same id, Mosquitto closed one for the other, over and over.
    let broker = common::Mosquitto::start();
    let file = serde_json::json!({"version": 2, "profiles": [
        {"name": "Line 7", "host": "127.0.0.1", "port": broker.port, "client_id": "plant-line-7"}
    ]});
    let config = tempfile::tempdir().unwrap();
    std::fs::write(config.path().join("profiles.json"), file.to_string()).unwrap();
    let dir = config.path().to_path_buf();
    let mut harness = harness_in(Startup::Welcome, config);
    harness.run_steps(2);
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "Duplicate"));
    harness.get_by_label("Duplicate").click();
    step_until(&mut harness, "the form on the copy", |h| {
        has_label(h, "Save and connect")
    });
    harness.run_steps(3); // a new window takes clicks once it is laid out
    assert_eq!(
        harness.get_by_label("Client id").value().as_deref(),
        Some(""),
        "the copy has no client id of its own: one is generated at connect"
    );
    let mark = broker.log_mark();
    harness.get_by_label("Save and connect").click();
    step_until(&mut harness, "the copy connected", |h| {
        h.state().app.connection_state_of(0) == Some(&mqscope::vocab::ConnectionState::Connected)
    });
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "Connect to Line 7"));
    harness.get_by_label("Connect to Line 7").click();
    step_until(&mut harness, "the original connected beside it", |h| {
        h.state().app.connection_state_of(1) == Some(&mqscope::vocab::ConnectionState::Connected)
    });
    broker.wait_for_log(mark, &["New client connected", "as plant-line-7"]);
    // A SUBSCRIBE from a third client comes after both CONNECTs in the broker's
    // log: by then a takeover would have been logged.
    let rt = common::runtime();
    common::publisher(&rt, broker.port, "log-marker").settled(&rt);
    harness.run_steps(3);
    let takeovers: Vec<String> = broker
        .log_since(mark)
        .into_iter()
        .filter(|l| l.contains("already connected"))
        .collect();
    assert!(
        takeovers.is_empty(),
        "the broker closed one for the other: {takeovers:?}"
    );
    assert_eq!(harness.state().app.connection_names().len(), 2);
    let saved = std::fs::read_to_string(dir.join("profiles.json")).unwrap();
    assert_eq!(
        saved.matches("plant-line-7").count(),
        1,
        "only the original keeps the id: {saved}"
    );
    for i in 0..2 {
        assert_eq!(
            harness.state().app.connection_state_of(i),
            Some(&mqscope::vocab::ConnectionState::Connected),
            "tab {i}"
        );
    }
}

/// The rectangle of the first widget labelled `label`.
fn rect(h: &egui_kittest::Harness<'static, common::harness::TestApp>, label: &str) -> egui::Rect {
    let r = h.get_all_by_label(label).next().unwrap().rect();
    egui::Rect::from_min_max(egui::pos2(r.min.x, r.min.y), egui::pos2(r.max.x, r.max.y))
}

/// The first widget whose text (a label's value, or a label) starts with
/// `prefix`: that text and its rectangle.
fn labelled(
    h: &egui_kittest::Harness<'static, common::harness::TestApp>,
    prefix: &str,
) -> Option<(String, egui::Rect)> {
    h.query_all_by(|n| {
        n.value().is_some_and(|v| v.starts_with(prefix)) || n.label().is_some_and(|l| l.starts_with(prefix))
    })
    .next()
    .map(|n| {
        let r = n.rect();
        let node = n.accesskit_node();
        (
            node.value().or(node.label()).unwrap_or_default(),
            egui::Rect::from_min_max(egui::pos2(r.min.x, r.min.y), egui::pos2(r.max.x, r.max.y)),
        )
    })
}

#[test]
fn the_profile_form_says_what_is_wrong_under_each_field_as_it_is_typed() {
    let mut harness = harness(Startup::Welcome);
    harness.run_steps(2);
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "New connection…"));
    harness.get_by_label("New connection…").click();
    step_until(&mut harness, "the form", |h| has_label(h, "Save"));
    harness.run_steps(3);
    // Nothing is called wrong before it is touched: a Last Will without a
    // topic is a problem, said only once Save is tried.
    harness.get_by_label("Last Will").click();
    harness.run_steps(2);
    assert!(labelled(&harness, "⚠").is_none());
    harness.get_by_label("Save").click();
    step_until(&mut harness, "the will topic's problem", |h| {
        has_text(h, "Not saved: 1 field needs a fix")
    });
    let (_, will_at) = labelled(&harness, "⚠").expect("a problem under the will topic");
    assert!(rect(&harness, "Will topic").max.y <= will_at.min.y);
    harness.get_by_label("Last Will").click();
    harness.run_steps(2);
    assert!(labelled(&harness, "⚠").is_none(), "no will, no problem");
    common::harness::type_into(&mut harness, "Host", "mqtt://broker.local");
    common::harness::type_into(&mut harness, "Port", "99999");
    harness.run_steps(2);
    // Both at once, each under its own field, in the form's order.
    let (host_problem, host_at) = labelled(&harness, "⚠ Only the host name").expect("the host's problem");
    let (_, port_at) = labelled(&harness, "⚠ '99999' is not a port number").expect("the port's problem");
    assert!(host_problem.contains("own fields"));
    assert!(rect(&harness, "Host").max.y <= host_at.min.y && host_at.max.y <= rect(&harness, "Port").min.y);
    assert!(rect(&harness, "Port").max.y <= port_at.min.y);
    // Save saves nothing and says how many fields need a fix.
    harness.get_by_label("Save").click();
    step_until(&mut harness, "the refusal", |h| {
        has_text(h, "Not saved: 2 fields need a fix")
    });
    assert!(harness.state().app.profile_names().is_empty());
    // Fixed one: its problem goes at once, the other stays.
    common::harness::type_into(&mut harness, "Host", "broker.local");
    harness.run_steps(2);
    assert!(labelled(&harness, "⚠ Only the host name").is_none());
    assert!(labelled(&harness, "⚠ '99999'").is_some());
    common::harness::type_into(&mut harness, "Port", "8883");
    harness.run_steps(2);
    assert!(labelled(&harness, "⚠").is_none());
    assert!(!has_text(&harness, "Not saved"));
    // A subscription filter is checked as it is typed.
    common::harness::type_into(&mut harness, "Subscriptions", "home/#/x");
    harness.run_steps(2);
    assert!(labelled(&harness, "⚠ 'home/#/x'").is_some());
    common::harness::type_into(&mut harness, "Subscriptions", "home/#");
    harness.run_steps(2);
    assert!(labelled(&harness, "⚠").is_none());
    // The password shows on request, and hides again.
    common::harness::type_into(&mut harness, "Password", "pa55-visible");
    harness.run_steps(2);
    assert!(!has_text(&harness, "pa55-visible"), "hidden while typed");
    harness.get_by_label("Show Password").click();
    harness.run_steps(2);
    assert!(has_text(&harness, "pa55-visible"), "shown on request");
    harness.get_by_label("Hide Password").click();
    harness.run_steps(2);
    assert!(!has_text(&harness, "pa55-visible"));
    harness.get_by_label("Save").click();
    step_until(&mut harness, "saved", |h| {
        h.state().app.profile_names() == ["Local Mosquitto"]
    });
}

#[test]
fn dialogs_open_centred_and_escape_or_cancel_closes_the_one_on_top() {
    let mut harness = harness(Startup::Welcome);
    harness.run_steps(2);
    let window = harness.ctx.content_rect();
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "New connection…"));
    harness.get_by_label("New connection…").click();
    step_until(&mut harness, "the form", |h| has_label(h, "Save"));
    harness.run_steps(3);
    // Centred: the form's middle is near the window's, and it clears the top bar.
    let save = rect(&harness, "Save");
    let name = rect(&harness, "Name");
    let middle = (name.min.x + save.max.x) / 2.0;
    assert!(
        (middle - window.center().x).abs() < window.width() / 4.0,
        "the form sits at x {middle} in a window {} wide",
        window.width()
    );
    assert!(
        name.min.y > rect(&harness, "Connection").max.y,
        "the form covers the top bar"
    );
    // Escape closes it, as Cancel would; nothing is saved.
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    assert!(!has_label(&harness, "Save and connect"), "Escape closes the form");
    // Cancel too.
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "New connection…"));
    harness.get_by_label("New connection…").click();
    step_until(&mut harness, "the form", |h| has_label(h, "Cancel"));
    harness.get_by_label("Cancel").click();
    harness.run_steps(2);
    assert!(!has_label(&harness, "Save and connect"));
    assert!(harness.state().app.profile_names().is_empty());
    // A drop-down open in a dialog: Escape closes the drop-down, not the form.
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "New connection…"));
    harness.get_by_label("New connection…").click();
    step_until(&mut harness, "the form", |h| has_label(h, "Password storage"));
    harness.run_steps(2);
    harness.get_by_label("Password storage").click();
    harness.run_steps(2);
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    assert!(has_label(&harness, "Save and connect"), "the form stays");
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    assert!(!has_label(&harness, "Save and connect"));
    // Two dialogs: Escape closes the one opened last, then the other.
    harness.get_by_label("Settings").click();
    step_until(&mut harness, "settings", |h| has_label(h, "Apply"));
    harness.key_press(egui::Key::F1);
    step_until(&mut harness, "the shortcut sheet", |h| {
        has_label(h, "Keyboard shortcuts")
    });
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    assert!(
        !has_label(&harness, "Keyboard shortcuts"),
        "the sheet, opened last, closes first"
    );
    assert!(has_label(&harness, "Apply"), "settings stay");
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    assert!(!has_label(&harness, "Apply"));
}

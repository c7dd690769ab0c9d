//! Captures written by mosquitto_sub itself (`-F %j` and `-v`) against a real
//! Mosquitto, opened as a user would with `--open`: the same topics (Chinese,
//! a leading slash) and the same payload bytes (binary included) as published.

mod common;

use std::process::{Command, Stdio};

use common::harness::{harness, has_label, has_text, step_until};
use egui_kittest::kittest::Queryable as _;
use mqscope::app::Startup;

/// (topic, payload) of every topic with messages, sorted by topic.
fn tree(h: &egui_kittest::Harness<'static, common::harness::TestApp>) -> Vec<(String, Vec<u8>)> {
    let model = h.state().app.model().unwrap();
    let mut out: Vec<(String, Vec<u8>)> = model
        .tree
        .ids()
        .filter(|&id| model.tree.node(id).has_messages())
        .map(|id| (model.tree.topic(id), model.history.latest(id).unwrap().payload.to_vec()))
        .collect();
    out.sort();
    out
}

fn published() -> Vec<(String, Vec<u8>)> {
    let mut out = vec![
        ("传感器/客厅/温度".to_owned(), "{\"温度\": 22.5}".as_bytes().to_vec()),
        ("/python/mqtt".to_owned(), b"hello".to_vec()),
        ("binary/bad".to_owned(), b"\xff\xfe\x01\x02 \xc3(".to_vec()),
    ];
    out.sort();
    out
}

/// Capture with mosquitto_sub (the given output arguments) while mosquitto_pub publishes.
fn capture(format: &[&str]) -> Vec<u8> {
    let broker = common::Mosquitto::start();
    let port = broker.port.to_string();
    let mark = broker.log_mark();
    let sub = Command::new("mosquitto_sub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-i",
            "capture-sub",
            "-t",
            "#",
            "-C",
            "3",
            "-W",
            "10",
        ])
        .args(format)
        .stdout(Stdio::piped())
        .spawn()
        .expect("mosquitto_sub (Debian package mosquitto-clients) is installed");
    // Its SUBSCRIBE handled, as the broker's log says (no fixed sleep).
    broker.wait_for_log(mark, &["capture-sub 0 #"]);
    let dir = tempfile::tempdir().unwrap();
    for (topic, payload) in published() {
        let file = dir.path().join("payload");
        std::fs::write(&file, &payload).unwrap();
        let status = Command::new("mosquitto_pub")
            .args(["-h", "127.0.0.1", "-p", &port, "-q", "1", "-t", &topic, "-f"])
            .arg(&file)
            .status()
            .unwrap();
        assert!(status.success());
    }
    let out = sub.wait_with_output().unwrap();
    assert_eq!(
        out.stdout.iter().filter(|&&b| b == b'\n').count(),
        3,
        "three lines captured"
    );
    out.stdout
}

fn open(bytes: &[u8], name: &str) -> egui_kittest::Harness<'static, common::harness::TestApp> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let mut h = harness(Startup::Open(path));
    step_until(&mut h, "the replay to finish", |h| {
        has_text(h, "replayed all 3 messages")
    });
    drop(dir);
    h
}

#[test]
fn mosquitto_sub_json_capture_opens_with_every_byte() {
    let bytes = capture(&["-F", "%j"]);
    let h = open(&bytes, "capture.jsonl");
    assert!(has_text(&h, "mosquitto_sub -F %j output"), "the tab names what it read");
    assert_eq!(tree(&h), published());
    assert!(has_label(&h, "capture.jsonl (offline)"));
}

#[test]
fn mosquitto_sub_verbose_capture_keeps_binary_payloads() {
    let bytes = capture(&["-v"]);
    let h = open(&bytes, "capture.txt");
    assert!(has_text(&h, "mosquitto_sub -v output"));
    assert_eq!(tree(&h), published());
}

#[test]
fn a_file_that_holds_no_messages_says_so_in_its_tab() {
    let mut h = {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.jsonl");
        std::fs::write(&path, "{\"tst\": 1}\n").unwrap();
        let mut h = harness(Startup::Open(path));
        step_until(&mut h, "the reason", |h| has_text(h, "no messages could be read"));
        h
    };
    h.run_steps(2);
    assert!(has_text(&h, "line 1"), "the line is named");
}

#[test]
fn a_frame_applies_what_its_budget_allows_and_the_next_frames_the_rest() {
    // 3,000 messages, in mosquitto_sub -v lines, all waiting before a frame drains them.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.txt");
    let text: String = (0..3_000)
        .map(|i| format!("plant/line{}/count {i}\n", i % 30))
        .collect();
    std::fs::write(&path, text).unwrap();
    let mut h = harness(Startup::Welcome);
    // No time at all: each frame applies one event, and leaves the rest.
    h.state_mut().app.set_drain_budget(std::time::Duration::ZERO);
    h.get_by_label("Connection").click();
    step_until(&mut h, "the menu", |h| has_label(h, "Open recording…"));
    h.get_by_label("Open recording…").click();
    step_until(&mut h, "the window", |h| has_label(h, "Open"));
    common::harness::type_into(&mut h, "File", &path.display().to_string());
    h.get_by_label("Open").click();
    // The window looks at the file off the UI thread; the replay starts with the tab.
    step_until(&mut h, "the tab", |h| !h.state().app.connection_names().is_empty());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while h.state().app.received() < 3_000 {
        assert!(
            std::time::Instant::now() < deadline,
            "read {}",
            h.state().app.received()
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let mut per_frame = Vec::new();
    for _ in 0..100 {
        let before = h.state().app.applied();
        h.step();
        let now = h.state().app.applied();
        if now > before {
            per_frame.push(now - before);
        }
        if now == 3_000 {
            break;
        }
    }
    assert_eq!(h.state().app.applied(), 3_000, "{per_frame:?}");
    // A batch holds up to 1,000 messages: it is applied a slice at a time,
    // so no frame is held by a whole batch of new topics.
    let slice = mqscope::session::APPLY_SLICE as u64;
    assert!(
        per_frame.len() >= 3_000 / slice as usize && per_frame.iter().all(|&n| n <= slice),
        "one slice per frame, not a whole batch: {per_frame:?}"
    );
    // In arrival order: each topic's latest is the last line written for it.
    let model = h.state().app.model().expect("the tab's model");
    for line in [0, 17, 29] {
        let node = model.tree.get(&format!("plant/line{line}/count")).expect("the topic");
        let latest = model.history.latest(node).expect("its latest message");
        assert_eq!(latest.payload.as_ref(), format!("{}", 2_970 + line).as_bytes());
    }
}

#[test]
fn a_replay_at_10x_keeps_the_recorded_pace_and_says_what_it_waits_for() {
    // Two readings an hour apart, as --record writes them.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("night.ndjson");
    std::fs::write(
        &path,
        concat!(
            r#"{"time":"2026-11-30T01:00:00.000000+00:00","topic":"boiler/temp","payload":"61.5","qos":1,"retain":false}"#,
            "\n",
            r#"{"time":"2026-11-30T02:00:00.000000+00:00","topic":"boiler/temp","payload":"63.0","qos":1,"retain":false}"#,
            "\n"
        ),
    )
    .unwrap();
    let mut h = harness(Startup::Welcome);
    h.get_by_label("Connection").click();
    step_until(&mut h, "the menu", |h| has_label(h, "Open recording…"));
    h.get_by_label("Open recording…").click();
    step_until(&mut h, "the window", |h| has_label(h, "10×"));
    common::harness::type_into(&mut h, "File", &path.display().to_string());
    h.get_by_label("10×").click();
    h.step();
    h.get_by_label("Open").click();
    // An hour at 10× is six minutes: the first reading now, the tab says why the second waits.
    step_until(&mut h, "the wait explained", |h| {
        has_text(h, "replaying at 10×: 1 message so far, the next in 5 min")
    });
    assert_eq!(h.state().app.applied(), 1);
}

/// A recording in a tab has no broker: it shows its file, not an address,
/// and offers nothing that needs one (subscriptions, publishing, `$SYS`,
/// disconnecting or retrying).
#[test]
fn an_offline_recording_offers_nothing_that_needs_a_broker() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("锅炉.txt");
    std::fs::write(&path, "工厂/锅炉/温度 91.5\n工厂/锅炉/压力 2.1\n").unwrap();
    let mut h = harness(Startup::Open(path.clone()));
    step_until(&mut h, "the replay to finish", |h| {
        has_text(h, "replayed all 2 messages")
    });
    assert!(has_label(&h, "锅炉.txt (offline)"));
    assert!(has_text(&h, "Offline: "), "the state says offline");
    for absent in [
        "mqtt://recording",
        "Subscriptions (",
        "waiting for the broker",
        "Broker $SYS",
        "Publish form",
        "Retry now",
        "Reconnect",
    ] {
        assert!(!has_text(&h, absent), "a recording's tab shows {absent:?}");
    }
    assert!(
        h.query_by_role_and_label(egui::accesskit::Role::TextInput, "Topic")
            .is_none(),
        "no publish form"
    );
    // The Connection menu offers no Disconnect for it.
    h.get_by_label("Connection").click();
    h.run_steps(2);
    assert!(has_label(&h, "Close tab"));
    assert!(!has_label(&h, "Disconnect"));
}

/// The Open window says what is wrong with the path where it was typed: a
/// folder, or no file there; no tab opens for either.
#[test]
fn the_open_window_refuses_a_folder_or_a_missing_file_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(Startup::Welcome);
    h.run_steps(2);
    let open_window = |h: &mut egui_kittest::Harness<'static, common::harness::TestApp>| {
        h.get_by_label("Connection").click();
        step_until(h, "the menu", |h| has_label(h, "Open recording…"));
        h.get_by_label("Open recording…").click();
        step_until(h, "the Open window", |h| has_label(h, "Open"));
    };
    open_window(&mut h);
    common::harness::type_into(&mut h, "File", &dir.path().display().to_string());
    h.get_by_label("Open").click();
    step_until(&mut h, "the folder refused", |h| {
        has_text(h, "is a folder: choose a recording file in it.")
    });
    assert!(h.state().app.connection_names().is_empty(), "no tab for a folder");
    let missing = dir.path().join("nothing-here.ndjson");
    common::harness::type_into(&mut h, "File", &missing.display().to_string());
    h.get_by_label("Open").click();
    step_until(&mut h, "the missing file named", |h| has_text(h, "There is no file at"));
    assert!(h.state().app.connection_names().is_empty());
    // A real one opens as a tab, and the window goes.
    let file = dir.path().join("温度.txt");
    std::fs::write(&file, "lab/温度 21.5\n").unwrap();
    common::harness::type_into(&mut h, "File", &file.display().to_string());
    h.get_by_label("Open").click();
    step_until(&mut h, "the tab", |h| has_label(h, "温度.txt (offline)"));
    assert!(!has_label(&h, "Open"), "the window closed");
    step_until(&mut h, "the end of the replay, in words for one message", |h| {
        has_text(h, "replayed the one message of this")
    });
}

/// The file windows start in the folder of the file named last (a
/// recording here), in this run and the next.
#[test]
fn file_windows_start_where_the_last_file_was() {
    let broker = common::Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("录音");
    std::fs::create_dir(&folder).unwrap();
    let mut h = common::harness::connected_to(&broker.url());
    let record_window_file = |h: &mut egui_kittest::Harness<'static, common::harness::TestApp>| {
        h.get_by_label("⏺ Record").click();
        step_until(h, "the record window", |h| has_label(h, "Start recording"));
        h.get_by_label("File").value().unwrap_or_default()
    };
    assert!(!record_window_file(&mut h).starts_with(&folder.display().to_string()));
    common::harness::record_and_stop(&mut h, &folder.join("r.ndjson"));
    step_until(&mut h, "stopped", |h| has_label(h, "⏺ Record"));
    assert!(record_window_file(&mut h).starts_with(&folder.display().to_string()));
    // The next run starts there too.
    let storage = common::harness::save_at_exit(&mut h);
    drop(h);
    let mut next = common::harness::connected_to(&broker.url());
    next.state_mut().app.restore(&storage);
    assert!(record_window_file(&mut next).starts_with(&folder.display().to_string()));
}

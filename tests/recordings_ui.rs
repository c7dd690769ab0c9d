//! Captures written by mosquitto_sub itself (`-F %j` and `-v`) against a real
//! Mosquitto, opened as a user would with `--open`: the same topics (Chinese,
//! a leading slash) and the same payload bytes (binary included) as published.

mod common;

use std::process::{Command, Stdio};

use common::harness::{harness, has_label, has_text, step_until};
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

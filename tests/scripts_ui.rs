//! Topics and payloads in the scripts our users write them in (Chinese above
//! all), published by mosquitto_pub to a real Mosquitto: every topic the tree
//! counts has its row, the text is drawn with real glyphs (the harness panics
//! on a character no font can draw), and search finds them.

mod common;

use std::process::Command;

use common::Mosquitto;
use common::harness::{connected_to, has_label, row_on_screen, step_until};
use egui_kittest::kittest::Queryable as _;

fn mosquitto_pub(port: u16, topic: &str, payload: &str) {
    let status = Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-q",
            "1",
            "-t",
            topic,
            "-m",
            payload,
        ])
        .status()
        .expect("mosquitto_pub (Debian package mosquitto-clients) is installed");
    assert!(status.success(), "mosquitto_pub {topic}");
}

#[test]
fn a_chinese_topic_among_others_leaves_every_row_on_screen() {
    let broker = Mosquitto::start();
    let mut harness = connected_to(&broker.url());
    // The order of the report: one after the other, the window drawing in between.
    for (i, topic) in ["m/x", "传/x", "a/x", "b/x", "z/x"].into_iter().enumerate() {
        mosquitto_pub(broker.port, topic, "1");
        step_until(&mut harness, topic, |h| {
            h.state().app.model().unwrap().tree.topic_count() == i as u64 + 1
        });
        harness.run_steps(2);
    }
    for name in ["a", "b", "m", "z", "传"] {
        assert!(row_on_screen(&harness, name), "the row of {name} is on screen");
    }
}

#[test]
fn the_tutorial_traffic_shows_and_searches() {
    let broker = Mosquitto::start();
    let mut harness = connected_to(&broker.url());
    for (topic, payload) in [
        ("传感器/客厅/温度", r#"{"温度": 22.5, "单位": "摄氏度"}"#),
        ("/python/mqtt", "Hello 世界 — Ωμέγα, Привет, café ✓"),
        ("big/payload", &"x".repeat(3000)),
    ] {
        mosquitto_pub(broker.port, topic, payload);
    }
    step_until(&mut harness, "three topics", |h| {
        h.state().app.model().unwrap().tree.topic_count() == 3
    });
    harness.run_steps(3);
    for name in ["python", "big", "传感器", "客厅"] {
        assert!(row_on_screen(&harness, name), "the row of {name} is on screen");
    }
    common::harness::type_into(&mut harness, "Search", "python");
    step_until(&mut harness, "the search", |h| has_label(h, "1 match"));
    assert!(row_on_screen(&harness, "python"), "the match is listed under its count");
    common::harness::type_into(&mut harness, "Search", "客厅");
    step_until(&mut harness, "the Chinese search", |h| has_label(h, "1 match"));
    assert!(has_label(&harness, "客厅"));
    // The Chinese payload in the inspector.
    common::harness::type_into(&mut harness, "Search", "");
    harness.run_steps(2);
    harness.get_by_label("客厅").click();
    step_until(&mut harness, "the row of 温度", |h| has_label(h, "温度"));
    harness.get_by_label("温度").click();
    step_until(&mut harness, "the payload in the inspector", |h| {
        common::harness::has_text(h, "摄氏度")
    });
}

#[test]
fn a_chinese_topic_typed_in_the_publish_form_reaches_mosquitto_sub() {
    let broker = Mosquitto::start();
    let mut harness = connected_to(&broker.url());
    let mark = broker.log_mark();
    let sub = Command::new("mosquitto_sub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &broker.port.to_string(),
            "-i",
            "chinese-sub",
            "-t",
            "客厅/#",
            "-v",
            "-C",
            "1",
            "-W",
            "10",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    broker.wait_for_log(mark, &["chinese-sub 0 客厅/#"]);
    // Text as an input method commits it: one event with the whole string.
    common::harness::type_into(&mut harness, "Topic", "客厅/湿度");
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Publish")
        .click();
    step_until(&mut harness, "the echo of our own message", |h| {
        h.state().app.model().unwrap().tree.get("客厅/湿度").is_some()
    });
    let out = sub.wait_with_output().unwrap();
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(line.starts_with("客厅/湿度 "), "mosquitto_sub got: {line:?}");
}

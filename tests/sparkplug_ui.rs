//! Sparkplug B with state, in the shapes of Eclipse Tahu's example edge node
//! (python/examples/example.py): an NBIRTH and a DBIRTH declare names and
//! aliases; later NDATA/DDATA carry aliases only. Through a real Mosquitto:
//! names in the inspector, a chart by metric name fed by alias-only data,
//! DataSet/Template/DateTime/properties decoded, signed integers, a sequence
//! gap, the death, and the Rebirth command seen by mosquitto_sub.

mod common;

use std::process::{Command, Stdio};

use common::harness::{TestApp, connected_to, has_label, has_text, step_until, type_into};
use egui_kittest::kittest::Queryable as _;
use mqscope::payload::sparkplug::{
    DataSet, DataSetKind, DataSetRow, DataSetValue, Metric, MetricValue, Payload, PropertyKind, PropertySet,
    PropertyValue, Template,
};
use prost::Message as _;

const NODE: &str = "spBv1.0/Sparkplug B Devices/NBIRTH/Python Edge Node 1";
const NDATA: &str = "spBv1.0/Sparkplug B Devices/NDATA/Python Edge Node 1";
const DBIRTH: &str = "spBv1.0/Sparkplug B Devices/DBIRTH/Python Edge Node 1/Emulated Device";
const DDATA: &str = "spBv1.0/Sparkplug B Devices/DDATA/Python Edge Node 1/Emulated Device";
const NDEATH: &str = "spBv1.0/Sparkplug B Devices/NDEATH/Python Edge Node 1";
const T: u64 = 1_741_075_992_000;

fn metric(name: Option<&str>, alias: u64, datatype: u32, value: MetricValue) -> Metric {
    Metric {
        name: name.map(str::to_owned),
        alias: Some(alias),
        timestamp: Some(T),
        datatype: Some(datatype),
        value: Some(value),
        ..Metric::default()
    }
}

fn payload(seq: u64, metrics: Vec<Metric>) -> Vec<u8> {
    Payload {
        timestamp: Some(T),
        seq: Some(seq),
        metrics,
        ..Payload::default()
    }
    .encode_to_vec()
}

fn nbirth() -> Vec<u8> {
    let mut engineering = metric(Some("Node Metric2"), 6, 2, MetricValue::Int((-13i16) as u16 as u32));
    engineering.properties = Some(PropertySet {
        keys: vec!["engUnit".into()],
        values: vec![PropertyValue {
            datatype: Some(12),
            is_null: None,
            value: Some(PropertyKind::String("MyCustomUnits".into())),
        }],
    });
    let table = DataSet {
        num_of_columns: Some(3),
        columns: vec!["Int8s".into(), "Int16s".into(), "Int32s".into()],
        types: vec![1, 2, 3],
        rows: vec![DataSetRow {
            elements: vec![
                DataSetValue {
                    value: Some(DataSetKind::Int((-1i8) as u8 as u32)),
                },
                DataSetValue {
                    value: Some(DataSetKind::Int(1)),
                },
                DataSetValue {
                    value: Some(DataSetKind::Int((-42i32) as u32)),
                },
            ],
        }],
    };
    let motor = Template {
        template_ref: Some("Custom_Motor".into()),
        metrics: vec![metric(Some("RPMs"), 0, 3, MetricValue::Int(1200))],
        ..Template::default()
    };
    payload(
        0,
        vec![
            metric(Some("Node Control/Rebirth"), 1, 11, MetricValue::Boolean(false)),
            metric(Some("Node Metric0"), 4, 12, MetricValue::String("你好 node".into())),
            metric(Some("Temperature"), 17, 9, MetricValue::Float(21.5)),
            engineering,
            metric(Some("DataSet"), 3, 16, MetricValue::DataSet(table)),
            metric(Some("My_Custom_Motor"), 19, 19, MetricValue::Template(motor)),
            metric(Some("Boot time"), 20, 13, MetricValue::Long(T)),
            metric(Some("Offset"), 21, 4, MetricValue::Long((-9_000_000_000i64) as u64)),
        ],
    )
}

fn publish(port: u16, topic: &str, bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("payload");
    std::fs::write(&file, bytes).unwrap();
    let status = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q", "1", "-t", topic, "-f"])
        .arg(&file)
        .status()
        .expect("mosquitto_pub (Debian package mosquitto-clients) is installed");
    assert!(status.success());
}

/// Find a topic with the tree's search (a query across levels) and click its row.
fn select(h: &mut egui_kittest::Harness<'static, TestApp>, query: &str, row: &str) {
    type_into(h, "Search", query);
    step_until(h, "the search", |h| has_label(h, "1 match"));
    h.get_by_label(row).click();
    h.run_steps(2);
}

#[test]
fn alias_only_data_is_named_from_the_births_charted_and_the_node_can_be_asked_to_rebirth() {
    let broker = common::Mosquitto::start();
    let port = broker.port;
    let mut h = connected_to(&broker.url());
    publish(port, NODE, &nbirth());
    publish(
        port,
        DBIRTH,
        &payload(
            1,
            vec![metric(
                Some("input/Device Metric0"),
                8,
                12,
                MetricValue::String("hello device".into()),
            )],
        ),
    );
    // Aliases only, as after every birth.
    publish(
        port,
        NDATA,
        &payload(
            2,
            vec![Metric {
                name: None,
                datatype: None,
                ..metric(None, 17, 9, MetricValue::Float(22.25))
            }],
        ),
    );
    publish(
        port,
        DDATA,
        &payload(3, vec![metric(None, 8, 12, MetricValue::String("qwertyuiopas".into()))]),
    );
    step_until(&mut h, "four Sparkplug messages", |h| {
        h.state().app.model().unwrap().applied() == 4
    });

    // The NBIRTH: types decoded, signed values corrected.
    select(&mut h, "NBIRTH/Python Edge Node 1", "Python Edge Node 1");
    step_until(&mut h, "the birth in the inspector", |h| {
        has_text(h, "\"name\": \"DataSet\"")
    });
    for shown in [
        "\"value\": -13",
        "\"engUnit\": \"MyCustomUnits\"",
        "\"Int8s\"",
        "-42",
        "\"template_ref\": \"Custom_Motor\"",
        "\"RPMs\"",
        "2025-03-04T08:13:12.000Z",
        "\"value\": -9000000000",
        "你好 node",
    ] {
        assert!(has_text(&h, shown), "the NBIRTH shows {shown}");
    }
    assert!(has_text(&h, "online"), "the edge node is online after its NBIRTH");
    // Its numeric metrics are on the Chart row, by name, like JSON fields.
    assert!(has_label(&h, "📈 Temperature"), "the Chart row offers a metric");
    // Above the JSON, the metrics as a table with the payload's time and sequence.
    let head = h
        .query_all_by(|n| n.value().is_some_and(|v| v.contains("seq ") && v.contains(" metrics")))
        .next()
        .map(|n| n.value().unwrap_or_default());
    assert!(head.is_some(), "the table's line: time, seq and how many metrics");

    // The alias-only NDATA: named from the NBIRTH; its metric charts by name.
    select(&mut h, "NDATA/Python Edge Node 1", "Python Edge Node 1");
    step_until(&mut h, "the NDATA named", |h| has_text(h, "\"name\": \"Temperature\""));
    assert!(
        has_text(&h, "birth certificate"),
        "the inspector says where the name came from"
    );
    h.get_by_label("Tree").click();
    step_until(&mut h, "the chart action", |h| has_label(h, "Chart Temperature"));
    h.get_by_label("Chart Temperature").click();
    h.run_steps(2);
    publish(
        port,
        NDATA,
        &payload(4, vec![metric(None, 17, 9, MetricValue::Float(23.0))]),
    );
    step_until(&mut h, "the alias-only value on the chart", |h| {
        h.state()
            .app
            .model()
            .unwrap()
            .charts
            .all_series()
            .any(|(_, s)| s.path == "metric:Temperature" && s.points.iter().any(|p| p[1] == 23.0))
    });

    // The DDATA: named from the device's DBIRTH.
    select(&mut h, "DDATA/Python Edge Node 1/Emulated", "Emulated Device");
    // (Shown as a tree or as text: the name is there either way.)
    step_until(&mut h, "the DDATA named", |h| has_text(h, "input/Device Metric0"));

    // A sequence gap (5 expected, 9 sent), then the death; seen from the NDATA.
    select(&mut h, "NDATA/Python Edge Node 1", "Python Edge Node 1");
    publish(
        port,
        NDATA,
        &payload(9, vec![metric(None, 17, 9, MetricValue::Float(23.5))]),
    );
    step_until(&mut h, "the gap", |h| has_text(h, "1 sequence gap"));
    assert!(has_text(&h, "expected 5, got 9"));
    publish(
        port,
        NDEATH,
        &Payload {
            metrics: vec![metric(Some("bdSeq"), 0, 4, MetricValue::Long(0))],
            ..Payload::default()
        }
        .encode_to_vec(),
    );
    step_until(&mut h, "the death", |h| has_text(h, "offline") && has_text(h, "NDEATH"));

    // Rebirth: the NCMD reaches another client (mosquitto_sub) with the right metric.
    let mark = broker.log_mark();
    let sub = Command::new("mosquitto_sub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-i",
            "ncmd-sub",
            "-t",
            "spBv1.0/+/NCMD/#",
            "-C",
            "1",
            "-W",
            "10",
            "-F",
            "%x",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    broker.wait_for_log(mark, &["ncmd-sub 0 spBv1.0/+/NCMD/#"]);
    h.get_by_label("Rebirth").click();
    h.run_steps(2);
    let out = sub.wait_with_output().unwrap();
    let hex = String::from_utf8(out.stdout).unwrap();
    let bytes: Vec<u8> = (0..hex.trim().len() / 2)
        .map(|i| u8::from_str_radix(&hex.trim()[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let command = Payload::decode(&bytes[..]).expect("a Sparkplug payload");
    let rebirth = &command.metrics[0];
    assert_eq!(rebirth.name.as_deref(), Some("Node Control/Rebirth"));
    assert_eq!(rebirth.value, Some(MetricValue::Boolean(true)));
}

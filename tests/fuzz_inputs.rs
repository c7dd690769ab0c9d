//! Random bytes into every decoder and file reader: whatever a broker, a
//! device or a file on disk holds, mqscope answers with words, never a panic,
//! and what it says about the bytes stays true (topics round-trip byte for
//! byte, numbers are finite, a password never appears in an error).

use std::time::{Instant, SystemTime};

use proptest::prelude::*;

use mqscope::model::Model;

use mqscope::payload::{self, PayloadView};
use mqscope::vocab::ReceivedMessage;

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

/// Bytes that start like one of the formats, so the decoders get past their
/// first byte: JSON, MessagePack maps and arrays, CBOR, protobuf fields.
fn format_like() -> impl Strategy<Value = Vec<u8>> {
    let prefixes: Vec<&'static [u8]> = vec![
        b"{\"a\":",
        b"[1,2,",
        b"\x82\xa1a",
        b"\xdd\xff\xff\xff\xff",
        b"\xdf\xff\xff\xff\xff",
        b"\xbf\x61a",
        b"\x9b\xff\xff\xff\xff\xff\xff\xff\xff",
        b"\x08\x01\x12\x10",
        b"\x12\xff\xff\xff\xff\x0f",
    ];
    (prop::sample::select(prefixes), bytes(256)).prop_map(|(p, rest)| [p, &rest[..]].concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_view_renders_any_bytes(data in prop_oneof![bytes(2048), format_like()]) {
        for view in PayloadView::ALL {
            let shown = payload::render(&data, view);
            prop_assert!(!shown.kind.is_empty());
        }
        let _ = payload::decode_prefix(&data);
        let _ = payload::preview(&data, 48);
        let _ = payload::sparkplug(&data);
        let _ = payload::sparkplug::sparkplug_named(&data, None);
        let _ = payload::sparkplug::birth_aliases(&data);
        let _ = payload::sparkplug::sequence(&data);
        prop_assert_eq!(payload::hex_line_count(data.len()), data.len().div_ceil(16));
    }

    #[test]
    fn numbers_read_from_any_bytes_are_finite(data in prop_oneof![bytes(1024), format_like()], path in "[a-z.0-9]{0,8}") {
        let fields = payload::numeric_fields(&data, 12);
        prop_assert!(fields.len() <= 12);
        prop_assert!(fields.iter().all(|(_, v)| v.is_finite()));
        if let Some(v) = payload::extract_number(&data, &path) {
            prop_assert!(v.is_finite());
        }
    }

    #[test]
    fn every_number_of_a_json_document_charts_by_its_path(
        entries in prop::collection::vec(("\\PC{0,6}", -1e6f64..1e6, any::<bool>()), 1..8)
    ) {
        // Keys of any text (dots, brackets, quotes, Chinese), some one level
        // down: the values put in are what numeric_fields finds, and each
        // path it gives reads the same value back.
        let mut doc = serde_json::Map::new();
        let mut expected = Vec::new();
        for (i, (key, value, nested)) in entries.iter().enumerate() {
            let key = format!("{key}{i}");
            let value = (value * 100.0).round() / 100.0;
            if *nested {
                doc.insert(key, serde_json::json!({ "v.温度": value }));
            } else {
                doc.insert(key, serde_json::json!(value));
            }
            expected.push(value);
        }
        let bytes = serde_json::to_vec(&serde_json::Value::Object(doc)).unwrap();
        let fields = payload::numeric_fields(&bytes, 100);
        let found: Vec<f64> = fields.iter().map(|(_, v)| *v).collect();
        prop_assert_eq!(&found, &expected);
        for (path, value) in &fields {
            prop_assert_eq!(payload::extract_number(&bytes, path), Some(*value), "path {}", path);
        }
    }

    #[test]
    fn a_diff_of_any_two_payloads_ends(a in bytes(2048), b in bytes(2048)) {
        let _ = payload::diff(&a, &b);
        prop_assert_eq!(payload::diff(&a, &a), payload::PayloadDiff::Identical);
    }

    #[test]
    fn any_topic_bytes_round_trip_and_any_message_applies(
        topic in bytes(96), data in bytes(256), retain in any::<bool>()
    ) {
        let text = mqscope::vocab::topic::from_wire(&topic);
        prop_assert_eq!(mqscope::vocab::topic::to_wire(&text), topic.clone(), "the bytes as received");
        let _ = mqscope::vocab::topic::display(&text);
        let mut model = Model::default();
        model.apply(vec![ReceivedMessage::new(text.clone(), data.clone(), 0, retain)], Instant::now());
        let node = model.tree.get(&text).expect("every topic gets its row");
        prop_assert_eq!(&model.history.latest(node).unwrap().payload[..], &data[..]);
        // Sparkplug state and Home Assistant discovery read any bytes too.
        let mut spb = mqscope::model::sparkplug::Sparkplug::default();
        spb.observe("spBv1.0/g/NBIRTH/n", &data);
        spb.observe("spBv1.0/g/DDATA/n/d", &data);
        let _ = spb.named("spBv1.0/g/DDATA/n/d", &data);
        let mut ha = mqscope::model::ha::HomeAssistant::default();
        ha.observe("homeassistant/sensor/x/config", &data);
    }

    #[test]
    fn any_recording_reads_without_a_panic(data in prop_oneof![bytes(4096), format_like()]) {
        let (messages, reader) = mqscope::record::read_all(&data);
        prop_assert!(messages.len() as u64 <= data.iter().filter(|&&b| b == b'\n').count() as u64 + 1);
        prop_assert!(reader.problems.len() <= mqscope::record::PROBLEMS_SHOWN);
    }

    #[test]
    fn any_connections_file_imports_or_says_why(data in bytes(2048)) {
        let text = String::from_utf8_lossy(&data);
        let _ = mqscope::profiles::import(&text);
        for prefix in ["<?xml version=\"1.0\"?><root>", "\"id\",\"clientId\"\n", "- name: "] {
            let _ = mqscope::profiles::import(&format!("{prefix}{text}"));
        }
    }

    #[test]
    fn a_broker_url_error_never_shows_its_password(
        scheme in "(mqtt|mqtts|ws|wss|tcp|foo)", host in "[a-z0-9.:\\[\\]/@%]{0,20}",
        port in "[0-9a-z]{0,7}", path in "[a-z/@%:]{0,10}", digits in "[0-9]{0,5}", middle in "[a-z0-9/:]{0,8}"
    ) {
        // Passwords with slashes and digits (`1234/x` reads like a port and a
        // path), hosts and paths with @ and /. Any part of the secret after
        // its first character would be a leak: the check is on its tail.
        let secret = format!("{digits}{middle}Zq9XW");
        let url = format!("{scheme}://alice:{secret}@{host}:{port}{path}");
        if let Err(e) = mqscope::vocab::parse_broker_url(&url) {
            prop_assert!(!e.contains("Zq9XW"), "{}: {}", url, e);
        }
        prop_assert!(!mqscope::vocab::redact_url(&url).contains("Zq9XW"), "{}", url);
        // The user info after what looks like a host and a path.
        let url = format!("{scheme}://alice:{secret}@h{path}");
        if let Err(e) = mqscope::vocab::parse_broker_url(&url) {
            prop_assert!(!e.contains("Zq9XW"), "{}: {}", url, e);
        }
        prop_assert!(!mqscope::vocab::redact_url(&url).contains("Zq9XW"), "{}", url);
        if let Ok(spec) = mqscope::vocab::parse_broker_url(&url) {
            prop_assert!(!spec.ws_path.contains("Zq9XW"), "{}: the password as a path", url);
            prop_assert!(!spec.host.contains("Zq9XW"), "{}: the password as a host", url);
        }
    }

    #[test]
    fn any_template_parses_or_says_why(text in "[ -~{}()]{0,64}") {
        if let Ok(template) = payload::Template::parse(&text) {
            let ctx = payload::SendContext { counter: 1, now: SystemTime::now() };
            let _ = template.render(&ctx, &mut fastrand::Rng::with_seed(1));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_config_file_loads_or_is_moved_aside_with_words(data in prop_oneof![bytes(1024), format_like()]) {
        let dir = tempfile::tempdir().unwrap();
        for name in ["profiles.json", "settings.json", "connections.json"] {
            std::fs::write(dir.path().join(name), &data).unwrap();
        }
        let (_profiles, _) = mqscope::profiles::ProfileStore::load(dir.path());
        let _ = mqscope::settings::Settings::load(dir.path());
        let _ = mqscope::profiles::ExtrasStore::load(dir.path());
    }
}

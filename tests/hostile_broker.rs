//! What no real broker sends on purpose, from a small raw-socket broker: a
//! PUBLISH whose topic is not UTF-8. mosquitto refuses to relay such topics,
//! but some brokers pass them on; the connection must stay up, the message be
//! kept with its bytes, marked, and counted — on MQTT 3.1.1 and 5.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{no_wake, pump_until, runtime};
use mqscope::model::Model;
use mqscope::mqtt::ConnectionHandle;
use mqscope::vocab::{ConnectionState, ProtocolVersion, parse_broker_url};

/// One MQTT packet: (first byte, body).
fn read_packet(stream: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut first = [0u8; 1];
    stream.read_exact(&mut first).ok()?;
    let (mut len, mut shift) = (0usize, 0);
    loop {
        let mut b = [0u8; 1];
        stream.read_exact(&mut b).ok()?;
        len |= usize::from(b[0] & 0x7f) << shift;
        shift += 7;
        if b[0] & 0x80 == 0 {
            break;
        }
    }
    let mut body = vec![0; len];
    stream.read_exact(&mut body).ok()?;
    Some((first[0], body))
}

fn packet(first: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    let mut len = body.len();
    loop {
        let mut b = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            b |= 0x80;
        }
        out.push(b);
        if len == 0 {
            break;
        }
    }
    out.extend_from_slice(body);
    out
}

/// A QoS 0 PUBLISH of `payload` on the raw `topic` bytes.
fn publish(v5: bool, topic: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut body = (topic.len() as u16).to_be_bytes().to_vec();
    body.extend_from_slice(topic);
    if v5 {
        body.push(0); // no properties
    }
    body.extend_from_slice(payload);
    packet(0x30, &body)
}

/// Accepts clients; to each: CONNACK, SUBACK, then `messages`, then PINGRESPs.
/// Returns the port and the number of connections accepted so far.
fn broker(messages: Vec<(Vec<u8>, Vec<u8>)>) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            count.fetch_add(1, Ordering::SeqCst);
            let messages = messages.clone();
            std::thread::spawn(move || {
                let Some((0x10, connect)) = read_packet(&mut stream) else {
                    return;
                };
                // CONNECT: protocol name (2 + 4 bytes), then the level.
                let v5 = connect.get(6) == Some(&5);
                let connack: &[u8] = if v5 { &[0x20, 3, 0, 0, 0] } else { &[0x20, 2, 0, 0] };
                stream.write_all(connack).unwrap();
                while let Some((first, body)) = read_packet(&mut stream) {
                    match first >> 4 {
                        8 => {
                            let mut suback = body[..2].to_vec();
                            if v5 {
                                suback.push(0);
                            }
                            suback.push(0);
                            stream.write_all(&packet(0x90, &suback)).unwrap();
                            for (topic, payload) in &messages {
                                stream.write_all(&publish(v5, topic, payload)).unwrap();
                            }
                        }
                        12 => stream.write_all(&[0xd0, 0]).unwrap(),
                        14 => return,
                        _ => {}
                    }
                }
            });
        }
    });
    (port, accepted)
}

fn check(version: ProtocolVersion) {
    let bad: &[u8] = b"bad/\xff\xfe/\xe4\xbc\xa0\xe4";
    let (port, accepted) = broker(vec![
        (bad.to_vec(), b"\x00\x01binary".to_vec()),
        (b"ok/after".to_vec(), b"still here".to_vec()),
    ]);
    let rt = runtime();
    let mut spec = parse_broker_url(&format!("mqtt://127.0.0.1:{port}")).unwrap();
    spec.protocol = version;
    spec.subscriptions = vec!["#".into()];
    let handle = ConnectionHandle::spawn(spec, rt.handle(), no_wake());
    let mut model = Model::default();
    let mut states = Vec::new();
    let arrived = pump_until(&handle, &mut model, &mut states, Duration::from_secs(10), |m, _| {
        m.tree.get("ok/after").is_some()
    });
    assert!(
        arrived,
        "{version:?}: the message after the bad topic arrives: {states:?}"
    );
    // Kept with its bytes, marked and counted.
    let node = model
        .tree
        .ids()
        .find(|&id| {
            model.tree.node(id).has_messages() && mqscope::vocab::topic::has_invalid_bytes(&model.tree.topic(id))
        })
        .expect("the bad topic has its row");
    let topic = model.tree.topic(node);
    assert_eq!(
        mqscope::vocab::topic::to_wire(&topic),
        bad,
        "{version:?}: the topic's bytes as received"
    );
    assert_eq!(mqscope::vocab::topic::display(&topic), "bad/\\xFF\\xFE/传\\xE4");
    assert_eq!(&model.history.latest(node).unwrap().payload[..], b"\x00\x01binary");
    assert_eq!(model.invalid_topics(), 1);
    assert_eq!(model.applied(), 2);
    // One connection, never dropped: a SUBSCRIBE after the bad topic is
    // answered on it (a round trip, not a fixed wait).
    handle.send(mqscope::mqtt::Command::Subscribe("more/#".into()));
    let mut answered = false;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !answered {
        assert!(
            std::time::Instant::now() < deadline,
            "{version:?}: no SUBACK: {states:?}"
        );
        while let Some(event) = handle.try_event() {
            match event {
                mqscope::mqtt::Event::Subscribed { filter, .. } if filter == "more/#" => answered = true,
                mqscope::mqtt::Event::State(s) => states.push(s),
                _ => {}
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "{version:?}: no reconnect");
    assert!(
        !states
            .iter()
            .any(|s| matches!(s, ConnectionState::Reconnecting { .. }) || s.error().is_some()),
        "{version:?}: {states:?}"
    );
}

#[test]
fn an_invalid_utf8_topic_keeps_an_mqtt_311_connection_up() {
    check(ProtocolVersion::V311);
}

#[test]
fn an_invalid_utf8_topic_keeps_an_mqtt_5_connection_up() {
    check(ProtocolVersion::V5);
}

#[test]
fn the_window_marks_the_bad_bytes_and_keeps_them_out_of_the_publish_form() {
    use common::harness::{connected_to, has_label, has_text, step_until};
    use egui_kittest::kittest::Queryable as _;
    let bad: &[u8] = b"bad/\xff\xfe/\xe4\xbc\xa0\xe4";
    let (port, _) = broker(vec![
        (bad.to_vec(), b"x".to_vec()),
        (b"ok/after".to_vec(), b"y".to_vec()),
    ]);
    let mut h = connected_to(&format!("mqtt://127.0.0.1:{port}"));
    step_until(&mut h, "both messages", |h| {
        h.state().app.model().unwrap().applied() == 2
    });
    h.run_steps(2);
    assert!(has_label(&h, "\\xFF\\xFE"), "the bad level shows its bytes");
    assert!(
        has_text(&h, "1 with a topic that is not UTF-8"),
        "counted in the status bar"
    );
    h.get_by_label("传\\xE4").click();
    step_until(&mut h, "the inspector", |h| has_text(h, "is not valid UTF-8"));
    assert!(
        has_text(&h, "62 61 64 2f ff fe 2f e4 bc a0 e4"),
        "the bytes as received"
    );
    assert!(
        !has_text(&h, "\u{10ffff}") && h.get_by_label("Topic").value().is_none_or(|v| !crate_has_escape(&v)),
        "the publish form was not given the escaped topic"
    );
}

fn crate_has_escape(text: &str) -> bool {
    mqscope::vocab::topic::has_invalid_bytes(text)
}

/// Accepts one client: CONNACK, SUBACK, then `count` QoS 0 PUBLISHes of
/// `size` bytes each, as fast as the socket takes them. Returns the port and
/// how many were written so far.
fn flooding_broker(count: usize, size: usize) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let written = Arc::new(AtomicUsize::new(0));
    let counter = written.clone();
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else { return };
        let Some((0x10, _)) = read_packet(&mut stream) else {
            return;
        };
        stream.write_all(&[0x20, 2, 0, 0]).unwrap();
        let Some((0x82, body)) = read_packet(&mut stream) else {
            return;
        };
        stream.write_all(&packet(0x90, &[body[0], body[1], 0])).unwrap();
        let payload = vec![b'x'; size];
        for i in 0..count {
            if stream
                .write_all(&publish(false, format!("flood/{i}").as_bytes(), &payload))
                .is_err()
            {
                return;
            }
            counter.fetch_add(1, Ordering::SeqCst);
        }
        // Keep the connection open (answer pings) until the client leaves.
        while let Some((first, _)) = read_packet(&mut stream) {
            if first >> 4 == 12 {
                let _ = stream.write_all(&[0xd0, 0]);
            }
        }
    });
    (port, written)
}

#[test]
fn a_flood_of_large_payloads_waits_in_the_socket_not_in_memory() {
    // 200 messages of 256 KiB (50 MiB) at a UI that does not drain, with
    // 4 MiB allowed between the socket and the Model. Counting messages alone
    // let all of them (65,536 + 64 batches of any size) pile up in memory.
    const COUNT: usize = 200;
    const SIZE: usize = 256 * 1024;
    let (port, written) = flooding_broker(COUNT, SIZE);
    let rt = runtime();
    let mut spec = parse_broker_url(&format!("mqtt://127.0.0.1:{port}")).unwrap();
    spec.protocol = ProtocolVersion::V311;
    spec.subscriptions = vec!["flood/#".into()];
    let limits = mqscope::mqtt::QueueLimits {
        bytes: 4 * 1024 * 1024,
        batches: 64,
    };
    let handle = ConnectionHandle::spawn_with_limits(spec, rt.handle(), no_wake(), limits);
    // Wait until the broker cannot write any more: the socket is no longer read.
    let mut last = usize::MAX;
    let mut unchanged_since = std::time::Instant::now();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let now = written.load(Ordering::SeqCst);
        if now != last {
            last = now;
            unchanged_since = std::time::Instant::now();
        } else if now > 0 && unchanged_since.elapsed() > Duration::from_secs(1) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the broker never started or never stopped"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let stalled_at = written.load(Ordering::SeqCst);
    assert!(
        stalled_at < COUNT,
        "the broker wrote all {COUNT} messages: nothing held the socket back"
    );
    // The byte bound is what stopped the reading: the queue is full to within a message.
    assert!(
        handle.queued_bytes() + SIZE + 256 >= limits.bytes as usize,
        "only {} bytes queued for the UI when reading stopped",
        handle.queued_bytes()
    );
    // What was read is the queue's worth and the one message in hand.
    let read = handle.received() as usize;
    assert!(
        read <= (limits.bytes as usize) / SIZE + 1,
        "{read} messages of 256 KiB read behind a stalled UI"
    );
    // The UI drains again: everything arrives, in order, nothing lost.
    let mut model = Model::new(
        mqscope::model::HistoryLimits {
            per_topic: 1,
            byte_budget: 16 * 1024 * 1024,
        },
        10,
    );
    let mut states = Vec::new();
    let all = pump_until(&handle, &mut model, &mut states, Duration::from_secs(60), |m, _| {
        m.applied() >= COUNT as u64
    });
    assert!(all, "only {} of {COUNT} arrived: {states:?}", model.applied());
    assert_eq!(written.load(Ordering::SeqCst), COUNT);
    assert_eq!(handle.received(), model.applied());
    assert_eq!(model.tree.topic_count(), COUNT as u64);
    assert_eq!(handle.queued_bytes(), 0);
}

/// Accepts clients, answers CONNECT and the first SUBSCRIBE, then never
/// reads again: the socket's buffers fill and stay full.
fn deaf_broker() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let Some((0x10, _)) = read_packet(&mut stream) else {
                    return;
                };
                stream.write_all(&[0x20, 2, 0, 0]).unwrap();
                if let Some((0x82, body)) = read_packet(&mut stream) {
                    let _ = stream.write_all(&packet(0x90, &[body[0], body[1], 0]));
                }
                // Hold the connection open, reading nothing.
                std::thread::sleep(Duration::from_secs(120));
                drop(stream);
            });
        }
    });
    port
}

#[test]
fn a_repeat_against_a_broker_that_stops_reading_holds_back() {
    use common::harness::{connected_to, has_label, has_text, step_until, type_into};
    use egui_kittest::kittest::Queryable as _;
    let port = deaf_broker();
    let mut harness = connected_to(&format!("mqtt://127.0.0.1:{port}"));
    // A thousand QoS 1 messages a second that are never acknowledged: the
    // client's in-flight window fills at once, then its request queue.
    type_into(&mut harness, "Topic", "flood/out");
    harness.get_by_label("Payload as Text").click();
    harness.step();
    type_into(&mut harness, "Payload", "reading {{counter}}");
    harness.get_by_label("Repeat").click();
    step_until(&mut harness, "the repeat settings", |h| has_label(h, "per second"));
    harness.get_by_label("per second").click();
    step_until(&mut harness, "the rate field", |h| has_label(h, "Messages per second"));
    type_into(&mut harness, "Messages per second", "1000");
    harness.get_by_label("▶ Start").click();
    step_until(&mut harness, "the repeat to hold back", |h| {
        has_text(h, "Held back: the connection has not yet sent")
    });
    // Held back, it stays bounded however long it runs.
    let mut most = 0;
    for _ in 0..100 {
        harness.step();
        most = most.max(harness.state().app.publishes_waiting());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        most <= 2_000,
        "{most} publishes piled up for a broker that reads nothing"
    );
    harness.get_by_label("■ Stop").click();
    harness.step();
}

#[test]
fn a_server_keep_alive_of_zero_means_no_pings_not_a_ping_flood() {
    // MQTT 5: the CONNACK's Server Keep Alive (0x13) of 0 turns keep alive off.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let pings = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let (p, a) = (pings.clone(), accepted.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            a.fetch_add(1, Ordering::SeqCst);
            let p = p.clone();
            std::thread::spawn(move || {
                let Some((0x10, _)) = read_packet(&mut stream) else {
                    return;
                };
                // CONNACK: flags 0, reason 0, properties: Server Keep Alive = 0.
                stream.write_all(&packet(0x20, &[0, 0, 3, 0x13, 0, 0])).unwrap();
                while let Some((first, body)) = read_packet(&mut stream) {
                    match first >> 4 {
                        8 => {
                            let _ = stream.write_all(&packet(0x90, &[body[0], body[1], 0, 0]));
                        }
                        12 => {
                            p.fetch_add(1, Ordering::SeqCst);
                            let _ = stream.write_all(&[0xd0, 0]);
                        }
                        _ => {}
                    }
                }
            });
        }
    });
    let rt = runtime();
    let mut spec = parse_broker_url(&format!("mqtt://127.0.0.1:{port}")).unwrap();
    spec.protocol = ProtocolVersion::V5;
    spec.subscriptions = vec!["#".into()];
    let handle = ConnectionHandle::spawn(spec, rt.handle(), no_wake());
    let mut model = Model::default();
    let mut states = Vec::new();
    assert!(
        pump_until(&handle, &mut model, &mut states, Duration::from_secs(10), |_, s| {
            s.last() == Some(&ConnectionState::Connected)
        }),
        "{states:?}"
    );
    pump_until(&handle, &mut model, &mut states, Duration::from_secs(2), |_, _| false);
    assert!(
        pings.load(Ordering::SeqCst) <= 1,
        "{} pings in 2 s",
        pings.load(Ordering::SeqCst)
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "one connection, kept: {states:?}");
    assert_eq!(states.last(), Some(&ConnectionState::Connected));
}

#[test]
fn batches_are_bounded_in_bytes_so_one_frame_applies_a_bounded_amount() {
    // 100 messages of 100 KB: a batch of up to 1,000 messages would be 10 MB
    // applied in one frame (32,000-level topics took 0.6 s that way).
    let (port, _) = flooding_broker(100, 100_000);
    let rt = runtime();
    let mut spec = parse_broker_url(&format!("mqtt://127.0.0.1:{port}")).unwrap();
    spec.subscriptions = vec!["flood/#".into()];
    let handle = ConnectionHandle::spawn(spec, rt.handle(), no_wake());
    // Let the whole flood be read first (the worker's count), then look at the batches.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while handle.received() < 100 {
        assert!(
            std::time::Instant::now() < deadline,
            "read {} of 100",
            handle.received()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut sizes = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while sizes.iter().sum::<usize>() < 100 {
        assert!(std::time::Instant::now() < deadline, "only {sizes:?}");
        while let Some(event) = handle.try_event() {
            if let mqscope::mqtt::Event::Messages(batch) = event {
                let bytes: usize = batch.iter().map(|m| m.payload.len() + m.topic.len()).sum();
                assert!(bytes <= 256 * 1024 + 100_100, "a batch of {bytes} bytes");
                sizes.push(batch.len());
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(sizes.len() >= 100 / 3, "{sizes:?}");
}

#[test]
fn the_ui_is_woken_once_per_batch_not_per_message() {
    // 5,000 messages: the window is asked to draw for each batch handed over,
    // not for each message (that was a repaint storm) and not never.
    let messages: Vec<(Vec<u8>, Vec<u8>)> = (0..5_000)
        .map(|i| (format!("wake/{}", i % 50).into_bytes(), b"1".to_vec()))
        .collect();
    let (port, _) = broker(messages);
    let rt = runtime();
    let mut spec = parse_broker_url(&format!("mqtt://127.0.0.1:{port}")).unwrap();
    spec.subscriptions = vec!["#".into()];
    let wakes = Arc::new(AtomicUsize::new(0));
    let counted = wakes.clone();
    let handle = ConnectionHandle::spawn(
        spec,
        rt.handle(),
        Arc::new(move || {
            counted.fetch_add(1, Ordering::SeqCst);
        }),
    );
    let mut model = Model::default();
    let mut states = Vec::new();
    let mut batches = 0usize;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while model.applied() < 5_000 {
        assert!(std::time::Instant::now() < deadline, "{} of 5000", model.applied());
        while let Some(event) = handle.try_event() {
            match event {
                mqscope::mqtt::Event::Messages(batch) => {
                    batches += 1;
                    model.apply(batch, std::time::Instant::now());
                }
                mqscope::mqtt::Event::State(s) => states.push(s),
                _ => {}
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let wakes = wakes.load(Ordering::SeqCst);
    assert!(wakes >= 1, "never woken");
    // One per batch, and one per state change or answer (connected, subscribed).
    assert!(
        wakes <= batches + states.len() + 4,
        "{wakes} wakes for {batches} batches"
    );
    assert!(batches < 5_000 / 10, "{batches} batches for 5,000 small messages");
}

//! What the user sees when the broker refuses, vanishes or is not there:
//! a readable state, no retry storm on a refusal, and by-itself recovery
//! (reconnect + resubscribe) when a lost broker comes back.

mod common;

use std::time::{Duration, Instant};

use common::{Mosquitto, connect_subscribed, connect_with, is_connected, no_wake, publisher, pump_until, qos, runtime};
use mqscope::demo::free_port;
use mqscope::model::Model;
use mqscope::mqtt::ConnectionHandle;
use mqscope::vocab::{ConnectionState, parse_broker_url};

#[test]
fn wrong_password_ends_in_a_readable_error_without_retrying() {
    let broker = Mosquitto::start_with_password("alice", "right-password");
    let rt = runtime();
    let spec = parse_broker_url(&format!("mqtt://alice:wrong-password@127.0.0.1:{}", broker.port)).unwrap();
    let handle = ConnectionHandle::spawn(spec, rt.handle(), no_wake());
    let mut model = Model::default();
    let mut states = Vec::new();
    let failed = pump_until(&handle, &mut model, &mut states, Duration::from_secs(10), |_, s| {
        matches!(s.last(), Some(ConnectionState::Failed { .. }))
    });
    assert!(failed, "expected an error state, saw {states:?}");
    let Some(ConnectionState::Failed { reason }) = states.last().cloned() else {
        unreachable!()
    };
    assert!(
        reason.contains("bad user name or password") || reason.contains("not authorised"),
        "the reason should be in words: {reason}"
    );
    assert!(
        !reason.contains("wrong-password"),
        "the password leaked into the message: {reason}"
    );

    // No retry storm: nothing more happens until the user asks.
    let seen = states.len();
    pump_until(&handle, &mut model, &mut states, Duration::from_secs(3), |_, _| false);
    assert_eq!(
        states.len(),
        seen,
        "it kept trying after a refusal: {:?}",
        &states[seen..]
    );
}

#[test]
fn right_password_connects() {
    let broker = Mosquitto::start_with_password("alice", "right-password");
    let rt = runtime();
    let spec = parse_broker_url(&format!("mqtt://alice:right-password@127.0.0.1:{}", broker.port)).unwrap();
    let handle = ConnectionHandle::spawn(spec, rt.handle(), no_wake());
    let mut states = Vec::new();
    assert!(
        pump_until(
            &handle,
            &mut Model::default(),
            &mut states,
            Duration::from_secs(10),
            |_, s| is_connected(s)
        ),
        "{states:?}"
    );
}

#[test]
fn lost_broker_is_shown_then_reconnected_and_resubscribed() {
    let mut broker = Mosquitto::start();
    let rt = runtime();
    let spec = parse_broker_url(&broker.url()).unwrap();
    let (handle, mut model, mut states) = connect_with(&rt, spec);
    let before = publisher(&rt, broker.port, "before-restart");
    rt.block_on(before.publish("plant/line1/temp", qos(1), false, "21.5"))
        .unwrap();
    assert!(pump_until(
        &handle,
        &mut model,
        &mut states,
        Duration::from_secs(10),
        |m, _| m.applied() == 1
    ));

    broker.kill();
    let lost = pump_until(&handle, &mut model, &mut states, Duration::from_secs(10), |_, s| {
        matches!(s.last(), Some(ConnectionState::Reconnecting { .. }))
    });
    assert!(lost, "the loss was not shown: {states:?}");
    let Some(ConnectionState::Reconnecting { reason, .. }) = states.last().cloned() else {
        unreachable!()
    };
    assert!(reason.contains(&format!("127.0.0.1:{}", broker.port)), "{reason}");

    broker.restart();
    let back = pump_until(&handle, &mut model, &mut states, Duration::from_secs(40), |_, s| {
        is_connected(s)
    });
    assert!(back, "did not reconnect: {states:?}");
    // Clean session: the broker forgot our subscription, so this only arrives if we resubscribed.
    let after = publisher(&rt, broker.port, "after-restart");
    let deadline = Instant::now() + Duration::from_secs(10);
    let arrived = loop {
        rt.block_on(after.publish("plant/line1/temp", qos(1), false, "22.5"))
            .unwrap();
        if pump_until(&handle, &mut model, &mut states, Duration::from_millis(500), |m, _| {
            m.applied() >= 2
        }) {
            break true;
        }
        if Instant::now() > deadline {
            break false;
        }
    };
    assert!(arrived, "no message after the reconnect: {states:?}");
    let node = model.tree.get("plant/line1/temp").unwrap();
    assert_eq!(&model.history.latest(node).unwrap().payload[..], b"22.5");
    assert_eq!(handle.received(), model.applied());
}

#[test]
fn absent_broker_retries_with_growing_backoff() {
    let port = free_port().unwrap(); // nothing listens here
    let rt = runtime();
    let spec = parse_broker_url(&format!("mqtt://127.0.0.1:{port}")).unwrap();
    let handle = ConnectionHandle::spawn(spec, rt.handle(), no_wake());
    let mut states = Vec::new();
    pump_until(
        &handle,
        &mut Model::default(),
        &mut states,
        Duration::from_secs(6),
        |_, s| {
            s.iter()
                .filter(|s| matches!(s, ConnectionState::Reconnecting { .. }))
                .count()
                >= 3
        },
    );
    let retries: Vec<(u32, String)> = states
        .iter()
        .filter_map(|s| match s {
            ConnectionState::Reconnecting { attempt, reason, .. } => Some((*attempt, reason.clone())),
            _ => None,
        })
        .collect();
    assert!(retries.len() >= 3, "expected several retries in 6 s, saw {states:?}");
    assert!(retries[0].1.contains("is the broker running?"), "{}", retries[0].1);
    let attempts: Vec<u32> = retries.iter().map(|r| r.0).collect();
    assert!(attempts.windows(2).all(|w| w[1] == w[0] + 1), "attempts {attempts:?}");
    // What a user sees: the wait before each retry grows (0.25-0.5 s, 0.5-1 s,
    // 1-2 s, …). A constant backoff, or none, fails here.
    let scheduled: Vec<Instant> = states
        .iter()
        .filter_map(|s| match s {
            ConnectionState::Reconnecting { retry_at, .. } => Some(*retry_at),
            _ => None,
        })
        .collect();
    let gaps: Vec<Duration> = scheduled.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps.windows(2).all(|g| g[1] > g[0]),
        "the gaps between retries grow: {gaps:?}"
    );
}

/// Seconds of CPU (user + system) used by this process's threads named
/// `name`, from /proc: other tests run in parallel in the same process.
fn cpu_seconds_of_threads(name: &str) -> f64 {
    let mut ticks = 0.0;
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        let Some((head, tail)) = stat.rsplit_once(')') else {
            continue;
        };
        if !head.ends_with(&format!("({name}")) {
            continue;
        }
        let fields: Vec<&str> = tail.split_whitespace().collect();
        ticks += fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    }
    ticks / 100.0
}

#[test]
fn absent_broker_at_start_up_waits_quietly_with_a_countdown() {
    let port = free_port().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("quiet-probe")
        .enable_all()
        .build()
        .unwrap();
    let spec = parse_broker_url(&format!("mqtt://127.0.0.1:{port}")).unwrap();
    let handle = ConnectionHandle::spawn(spec, rt.handle(), no_wake());
    let mut states = Vec::new();
    let cpu_before = cpu_seconds_of_threads("quiet-probe");
    pump_until(
        &handle,
        &mut Model::default(),
        &mut states,
        Duration::from_secs(4),
        |_, _| false,
    );
    let cpu = cpu_seconds_of_threads("quiet-probe") - cpu_before;
    // A busy retry loop would burn a core: 4 s of it. Waiting costs next to nothing.
    assert!(cpu < 0.5, "{cpu:.2} s of CPU in 4 s while the broker is down");
    let countdowns: Vec<Instant> = states
        .iter()
        .filter_map(|s| match s {
            ConnectionState::Reconnecting { retry_at, .. } => Some(*retry_at),
            _ => None,
        })
        .collect();
    assert!(!countdowns.is_empty(), "a countdown is shown: {states:?}");
}

#[test]
fn frozen_broker_is_noticed_by_keepalive_and_recovered() {
    let broker = Mosquitto::start();
    let rt = runtime();
    let mut spec = parse_broker_url(&broker.url()).unwrap();
    spec.keepalive_s = 1;
    let (handle, mut model, mut states) = connect_with(&rt, spec);

    broker.signal("-STOP");
    let noticed = pump_until(&handle, &mut model, &mut states, Duration::from_secs(15), |_, s| {
        matches!(s.last(), Some(ConnectionState::Reconnecting { .. }))
    });
    broker.signal("-CONT");
    assert!(noticed, "a frozen broker went unnoticed: {states:?}");
    let Some(ConnectionState::Reconnecting { reason, .. }) = states.last().cloned() else {
        unreachable!()
    };
    assert!(
        reason.contains("pings") || reason.contains("did not answer"),
        "{reason}"
    );

    let back = pump_until(&handle, &mut model, &mut states, Duration::from_secs(40), |_, s| {
        is_connected(s)
    });
    assert!(back, "did not recover after SIGCONT: {states:?}");
    let publisher = publisher(&rt, broker.port, "after-freeze");
    let deadline = Instant::now() + Duration::from_secs(10);
    while model.applied() == 0 && Instant::now() < deadline {
        rt.block_on(publisher.publish("plant/after_freeze", qos(1), false, "ok"))
            .unwrap();
        pump_until(&handle, &mut model, &mut states, Duration::from_millis(300), |m, _| {
            m.applied() > 0
        });
    }
    assert!(model.applied() > 0, "no message after the freeze");
}

#[test]
fn persistent_session_gets_what_was_published_while_away_across_a_broker_restart() {
    let mut broker = Mosquitto::start_persistent();
    let rt = runtime();
    let mut spec = parse_broker_url(&broker.url()).unwrap();
    spec.client_id = "mqscope-persistent-test".into();
    spec.clean_session = false;
    spec.subscriptions = vec!["plant/#".into()];
    // Connected and subscribed (its SUBACK seen), then gone: the broker has
    // logged the disconnect before anything is published "while away".
    let (handle, _, mut states) = common::connect_with(&rt, spec.clone());
    let mark = broker.log_mark();
    handle.close();
    drop(handle);
    broker.wait_for_log(mark, &["Client mqscope-persistent-test disconnected"]);

    // Away: 200 QoS 1 messages are published, then the broker restarts.
    let client = publisher(&rt, broker.port, "while-away");
    rt.block_on(async {
        for i in 0..200 {
            client
                .publish("plant/line/count", qos(1), false, i.to_string())
                .await
                .unwrap();
        }
    });
    // Every one acknowledged; a graceful stop then writes them to disk.
    client.settled(&rt);
    broker.stop();
    broker.restart();

    let handle = ConnectionHandle::spawn(spec, rt.handle(), no_wake());
    let mut model = Model::default();
    let all = pump_until(&handle, &mut model, &mut states, Duration::from_secs(20), |m, _| {
        m.applied() >= 200
    });
    assert!(
        all,
        "only {} of 200 queued QoS 1 messages arrived: {states:?}",
        model.applied()
    );
    let node = model.tree.get("plant/line/count").unwrap();
    let values: Vec<String> = model
        .history
        .messages(node)
        .iter()
        .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
        .collect();
    let expected: Vec<String> = (0..200).map(|i| i.to_string()).collect();
    assert_eq!(values, expected, "every message, in order");
    assert_eq!(handle.received(), model.applied());
}

#[test]
fn a_64_mib_payload_arrives_whole_and_the_connection_stays_up() {
    let broker = Mosquitto::start();
    let rt = runtime();
    let (handle, mut model, mut states) = connect_subscribed(&rt, &broker.url());
    let payload: Vec<u8> = (0..64 * 1024 * 1024)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let client = publisher(&rt, broker.port, "big-publisher");
    rt.block_on(client.publish("firmware/image", qos(1), false, payload.clone()))
        .unwrap();
    rt.block_on(client.publish("firmware/after", qos(1), false, "small"))
        .unwrap();
    let arrived = pump_until(&handle, &mut model, &mut states, Duration::from_secs(60), |m, _| {
        m.applied() >= 2
    });
    assert!(arrived, "{states:?}");
    let node = model.tree.get("firmware/image").unwrap();
    assert!(
        model.history.latest(node).unwrap().payload[..] == payload[..],
        "the bytes as sent"
    );
    assert!(is_connected(&states), "the big payload disconnected us: {states:?}");
}

#[test]
fn a_stalled_ui_slows_the_socket_instead_of_growing_memory() {
    // No queue limit at the broker: it holds for us whatever we do not read yet.
    let broker = Mosquitto::start_with("allow_anonymous true\nmax_queued_messages 0\n");
    let rt = runtime();
    // Small bounds, so that reaching them is certain: 64 KiB and 2 batches.
    let limits = mqscope::mqtt::QueueLimits {
        bytes: 64 * 1024,
        batches: 2,
    };
    let spec = parse_broker_url(&broker.url()).unwrap();
    let (handle, mut model, mut states) = common::connect_with_limits(&rt, spec, limits);
    // The UI stops draining while 50,000 messages are published.
    let plan = mqscope::simulate::LoadPlan {
        host: "127.0.0.1".into(),
        port: broker.port,
        topics: 1_000,
        rate: 0,
        count: 50_000,
        payload: mqscope::simulate::PayloadShape::Json,
        qos: 1,
        retain: false,
        connections: 1,
        credentials: None,
    };
    // Every message reaches the broker, which holds them for us.
    assert_eq!(rt.block_on(mqscope::simulate::run_load(plan)).sent, 50_000);
    // Wait until the byte bound is full: from then on the worker reads no more
    // (an event, not a count that holds still for a while).
    let deadline = Instant::now() + Duration::from_secs(60);
    while handle.queued_bytes() + 1_024 < 64 * 1024 {
        assert!(
            Instant::now() < deadline,
            "the bound never filled: {} bytes waiting",
            handle.queued_bytes()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let held = handle.received();
    // It stopped because of the bound, with 49,000 more waiting for it: 64 KiB
    // of ~220-byte messages, the one in hand and what rumqttc read ahead.
    assert!(
        held < 1_000,
        "{held} messages read behind a stalled UI with a 64 KiB bound"
    );
    assert!(
        handle.queued_bytes() + 1_024 >= 64 * 1024,
        "the byte bound is what is full"
    );
    // The UI drains again: everything arrives and nothing was lost in between.
    let all = pump_until(&handle, &mut model, &mut states, Duration::from_secs(120), |m, _| {
        m.applied() >= 50_000
    });
    assert!(all, "only {} of 50000 arrived", model.applied());
    assert_eq!(handle.received(), model.applied());
}

/// Two connections with one client id (a copied profile, a device and the
/// app): the broker keeps one per id and closes the other, again and again.
/// The state says so, from the pattern of accepted-then-closed connections:
/// Mosquitto 2.0 closes the socket without a word, also to an MQTT 5 client
/// (a broker's DISCONNECT "session taken over" is worded by
/// `mqtt::words::disconnect_words`).
#[test]
fn a_client_id_used_twice_is_named_as_a_takeover() {
    use mqscope::vocab::ProtocolVersion;
    let expected = "another client is probably using the client id 'twin-sensor'";
    for protocol in [ProtocolVersion::V311, ProtocolVersion::V5] {
        let broker = Mosquitto::start();
        let rt = runtime();
        let mut spec = parse_broker_url(&broker.url()).unwrap();
        spec.client_id = "twin-sensor".into();
        spec.protocol = protocol;
        let (first, mut first_model, mut first_states) = connect_with(&rt, spec.clone());
        let second = ConnectionHandle::spawn(spec, rt.handle(), no_wake());
        let mut second_model = Model::default();
        let mut second_states = Vec::new();
        let said = |states: &[ConnectionState]| {
            states
                .iter()
                .any(|s| matches!(s, ConnectionState::Reconnecting { reason, .. } if reason.contains(expected)))
        };
        let deadline = Instant::now() + Duration::from_secs(40);
        while !said(&first_states) && !said(&second_states) {
            assert!(
                Instant::now() < deadline,
                "{protocol:?}: no takeover named.\nfirst: {first_states:?}\nsecond: {second_states:?}"
            );
            pump_until(
                &first,
                &mut first_model,
                &mut first_states,
                Duration::from_millis(50),
                |_, _| false,
            );
            pump_until(
                &second,
                &mut second_model,
                &mut second_states,
                Duration::from_millis(50),
                |_, _| false,
            );
        }
        // The control: Mosquitto's own account of it.
        assert!(
            broker
                .log_since(0)
                .iter()
                .any(|l| l.contains("twin-sensor") && l.contains("already connected")),
            "the broker did not see two clients with one id"
        );
    }
}

/// A connection whose client id is generated is never told another client
/// took its id over: the same broker closing it soon after accepting it
/// again and again (an ACL kick, say) is not blamed on an id.
#[test]
fn a_generated_client_id_is_not_blamed_for_closed_connections() {
    // A raw broker that accepts every CONNECT and closes the socket at once.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buf = [0u8; 512];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(&[0x20, 0x02, 0x00, 0x00]);
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let rt = runtime();
    let spec = parse_broker_url(&format!("mqtt://127.0.0.1:{port}")).unwrap();
    assert!(spec.client_id.is_empty());
    let handle = ConnectionHandle::spawn(spec, rt.handle(), no_wake());
    let mut model = Model::default();
    let mut states = Vec::new();
    let reconnects = |states: &[ConnectionState]| {
        states
            .iter()
            .filter(|s| matches!(s, ConnectionState::Reconnecting { .. }))
            .count()
    };
    assert!(
        pump_until(
            &handle,
            &mut model,
            &mut states,
            Duration::from_secs(30),
            |_, s| reconnects(s) >= 3
        ),
        "{states:?}"
    );
    assert!(
        !states
            .iter()
            .any(|s| matches!(s, ConnectionState::Reconnecting { reason, .. } if reason.contains("client id"))),
        "{states:?}"
    );
}

//! What the user sees when the broker refuses, vanishes or is not there:
//! a readable state, no retry storm on a refusal, and by-itself recovery
//! (reconnect + resubscribe) when a lost broker comes back.

mod common;

use std::time::{Duration, Instant};

use common::{Mosquitto, is_connected, no_wake, publisher, pump_until, qos, runtime};
use mqscope::demo::free_port;
use mqscope::model::Model;
use mqscope::mqtt::{ConnectionHandle, ConnectionState, parse_broker_url};

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
    let handle = ConnectionHandle::spawn(spec, rt.handle(), no_wake());
    let mut model = Model::default();
    let mut states = Vec::new();
    assert!(pump_until(
        &handle,
        &mut model,
        &mut states,
        Duration::from_secs(10),
        |_, s| is_connected(s)
    ));
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
    // 0.25-0.5 s, 0.5-1 s, 1-2 s, 2-4 s: four retries cannot fit in 1 s.
    assert!(retries.len() < 8, "retrying too fast: {} retries in 6 s", retries.len());
}

//! The message path end to end (`cargo bench --bench pipeline`): a raw-socket
//! broker writes pre-encoded PUBLISH packets as fast as loopback takes them;
//! rumqttc reads them, the connection worker batches them and hands them over
//! the bounded channel, and the Model applies them as the app's drain does —
//! with chart series fed, as in the demo (a JSON field, one exact topic and
//! one wildcard). What `ingest` in `benches/model.rs` leaves out: the socket,
//! the parser, the worker, its batching and the channel. Figures in BENCHMARKS.md.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mqscope::model::{Model, SeriesSpec};
use mqscope::mqtt::{ConnectionHandle, Event};
use mqscope::vocab::parse_broker_url;

/// A topic's stored messages, for back-filling a new series.
type Stored<'a> = Vec<(&'a [u8], SystemTime)>;

/// Messages per run: enough that connecting is noise.
const MESSAGES: usize = 200_000;

/// 10,000 topics of depth 4, the demo's kind of JSON payload (≈ 40 bytes).
fn topic(i: usize) -> String {
    format!(
        "plant_{}/line_{}/machine_{}/climate",
        i % 10,
        (i / 10) % 10,
        (i / 100) % 100
    )
}

fn remaining_length(mut len: usize, out: &mut Vec<u8>) {
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
}

/// Every PUBLISH (QoS 0, MQTT 3.1.1) of a run, in one buffer.
fn flood_bytes() -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..MESSAGES {
        let topic = topic(i);
        let payload = format!(r#"{{"temperature":{}.{},"humidity":41}}"#, 20 + i % 10, i % 100);
        out.push(0x30);
        remaining_length(2 + topic.len() + payload.len(), &mut out);
        out.extend_from_slice(&(topic.len() as u16).to_be_bytes());
        out.extend_from_slice(topic.as_bytes());
        out.extend_from_slice(payload.as_bytes());
    }
    out
}

fn read_packet(stream: &mut TcpStream) -> Option<u8> {
    let mut first = [0u8; 1];
    stream.read_exact(&mut first).ok()?;
    let (mut len, mut shift) = (0usize, 0);
    loop {
        let mut b = [0u8; 1];
        stream.read_exact(&mut b).ok()?;
        len |= ((b[0] & 0x7f) as usize) << shift;
        shift += 7;
        if b[0] & 0x80 == 0 {
            break;
        }
    }
    let mut body = vec![0; len];
    stream.read_exact(&mut body).ok()?;
    Some(first[0])
}

/// A broker that answers CONNECT and SUBSCRIBE, then writes `bytes` flat out.
fn flooding_broker(bytes: Arc<Vec<u8>>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else { return };
        if read_packet(&mut stream) != Some(0x10) {
            return;
        }
        stream.write_all(&[0x20, 2, 0, 0]).unwrap();
        if read_packet(&mut stream) != Some(0x82) {
            return;
        }
        // SUBACK for packet id 1, granted QoS 0.
        stream.write_all(&[0x90, 3, 0, 1, 0]).unwrap();
        if stream.write_all(&bytes).is_err() {
            return;
        }
        // Until the client leaves (answering pings).
        while let Some(first) = read_packet(&mut stream) {
            if first >> 4 == 12 {
                let _ = stream.write_all(&[0xd0, 0]);
            }
        }
    });
    port
}

/// One run: connect, and apply every message as the app's frames would, woken per batch.
fn run(rt: &tokio::runtime::Runtime, bytes: &Arc<Vec<u8>>) -> Duration {
    let port = flooding_broker(bytes.clone());
    let mut spec = parse_broker_url(&format!("mqtt://127.0.0.1:{port}")).unwrap();
    spec.subscriptions = vec!["#".into()];
    let mut model = Model::default();
    // No topics seen yet: nothing to back-fill from.
    let none: Vec<(&str, Stored)> = Vec::new();
    let now = SystemTime::now();
    model.charts.add_source(
        0,
        SeriesSpec::new("plant_0/line_0/machine_1/climate", "temperature"),
        none.clone(),
        now,
    );
    model
        .charts
        .add_source(0, SeriesSpec::new("plant_1/line_1/+/climate", "temperature"), none, now);
    let (woken, wakes) = std::sync::mpsc::sync_channel::<()>(1);
    let start = Instant::now();
    let handle = ConnectionHandle::spawn(
        spec,
        rt.handle(),
        Arc::new(move || {
            let _ = woken.try_send(());
        }),
    );
    let deadline = start + Duration::from_secs(60);
    while (model.applied() as usize) < MESSAGES {
        assert!(
            Instant::now() < deadline,
            "only {} of {MESSAGES} arrived",
            model.applied()
        );
        let _ = wakes.recv_timeout(Duration::from_millis(5));
        while let Some(event) = handle.try_event() {
            if let Event::Messages(batch) = event {
                model.apply(batch, Instant::now());
            }
        }
    }
    let took = start.elapsed();
    assert_eq!(handle.received(), model.applied(), "nothing lost on the way");
    assert!(
        model.charts.all_series().map(|(_, s)| s.points.len()).sum::<usize>() > 0,
        "the chart series were fed"
    );
    handle.close();
    took
}

fn pipeline(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let bytes = Arc::new(flood_bytes());
    let mut group = c.benchmark_group("ingest");
    group.sample_size(10);
    group.throughput(Throughput::Elements(MESSAGES as u64));
    group.bench_function("socket_to_model_10k_topics_with_charts", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| run(&rt, &bytes)).sum());
    });
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);

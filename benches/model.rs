//! Model and tree-panel benchmarks (`cargo bench --bench model`). Targets on
//! the project's 2-core machine are in BENCHMARKS.md. A counting allocator
//! reports the model's memory per topic.
#![allow(unsafe_code)] // the counting global allocator below; nothing else

use std::alloc::{GlobalAlloc, Layout};

use mimalloc::MiMalloc as System;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mqscope::model::{HistoryLimits, Model};
use mqscope::ui::tree::TreePanel;
use mqscope::vocab::ReceivedMessage;

struct CountingAllocator;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the app's allocator (mimalloc, as in main.rs) unchanged; only counts bytes.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new_size, Ordering::Relaxed);
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const BATCH: usize = 1_000;
const PAYLOAD: &[u8; 64] = br#"{"device":"machine_42","temperature":23.41,"unit":"C","ok":true}"#;

/// 10,000 topics of depth 4.
fn steady_topic(i: usize) -> String {
    format!(
        "plant_{}/line_{}/machine_{}/temperature",
        i % 10,
        (i / 10) % 10,
        (i / 100) % 100
    )
}

/// 1,000,000 distinct topics of depth 4.
fn distinct_topic(i: usize) -> String {
    format!(
        "region_{}/site_{}/device_{}/sensor_{}",
        i % 10,
        (i / 10) % 100,
        (i / 1_000) % 100,
        i / 100_000 + i % 7
    ) + &format!("_{i}")
}

fn batch_of(topics: impl Iterator<Item = String>) -> Vec<ReceivedMessage> {
    topics
        .map(|t| ReceivedMessage {
            topic: t,
            payload: PAYLOAD[..].into(),
            qos: 1,
            retain: false,
            dup: false,
            received_at: SystemTime::now(),
            properties: None,
        })
        .collect()
}

/// Apply pre-built batches, timing only `Model::apply`.
fn timed_ingest(model: &mut Model, iters: u64, next_topic: &mut impl FnMut() -> String) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let batch = batch_of((0..BATCH).map(|_| next_topic()));
        let start = Instant::now();
        model.apply(black_box(batch), start);
        total += start.elapsed();
    }
    total
}

fn ingest(c: &mut Criterion) {
    let mut group = c.benchmark_group("ingest");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("10k_topics_depth4_64B", |b| {
        let limits = HistoryLimits {
            per_topic: 1_000,
            byte_budget: usize::MAX,
        };
        let mut model = Model::new(limits, 1_000);
        let mut i = 0usize;
        let mut next = move || {
            i += 1;
            steady_topic(i % 10_000)
        };
        // Every topic exists before timing starts.
        timed_ingest(&mut model, 10, &mut next);
        b.iter_custom(|iters| {
            if model.history.stored_messages() > 5_000_000 {
                model = Model::new(limits, 1_000); // keep memory sane between samples
                timed_ingest(&mut model, 10, &mut next);
            }
            timed_ingest(&mut model, iters, &mut next)
        });
    });
    group.finish();

    let mut group = c.benchmark_group("eviction");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("at_budget_16MiB", |b| {
        let limits = HistoryLimits {
            per_topic: 1_000,
            byte_budget: 16 * 1024 * 1024,
        };
        let mut model = Model::new(limits, 1_000);
        let mut i = 0usize;
        let mut next = move || {
            i += 1;
            steady_topic(i % 10_000)
        };
        // Fill past the budget: from here on every message evicts one.
        timed_ingest(&mut model, 300, &mut next);
        assert!(model.history.evicted() > 0, "the bench must run at the budget");
        b.iter_custom(|iters| timed_ingest(&mut model, iters, &mut next));
    });
    // 100,000 topics whose latest messages alone pass the budget (the tree and
    // the history's index fit, with room for half the latest payloads): each
    // message lets the quietest topic's payload go. It walked every topic per message: 100,000 topics at 1 MiB
    // took 50 s for what takes 2 s within budget.
    let mut probe = Model::new(
        HistoryLimits {
            per_topic: 1,
            byte_budget: usize::MAX,
        },
        1_000,
    );
    probe.apply(batch_of((0..100_000).map(distinct_topic)), Instant::now());
    // The budget counts the tree and the history's index too (since they are
    // bounded with the messages): leave room for half of the latest payloads.
    let budget = probe.tree.heap_bytes() + probe.history.index_bytes() + probe.history.bytes() / 2;
    drop(probe);
    group.bench_function("latest_only_100k_topics", |b| {
        let limits = HistoryLimits {
            per_topic: 1_000,
            byte_budget: budget,
        };
        let mut model = Model::new(limits, 1_000);
        let mut i = 0usize;
        let mut next = move || {
            i += 1;
            distinct_topic(i % 100_000)
        };
        timed_ingest(&mut model, 100, &mut next);
        assert!(
            model.history.latest_let_go() > 0,
            "the bench must run past the latest messages"
        );
        assert_eq!(model.refused_topics(), 0, "every topic fits");
        b.iter_custom(|iters| timed_ingest(&mut model, iters, &mut next));
    });
    group.finish();
}

fn ingest_new_topics(c: &mut Criterion) {
    const TOPICS: usize = 1_000_000;
    // Memory, once: model bytes per topic beyond payload bytes.
    let before = ALLOCATED.load(Ordering::Relaxed);
    let mut model = Model::default();
    let mut i = 0;
    while i < TOPICS {
        let batch = batch_of((i..(i + BATCH).min(TOPICS)).map(distinct_topic));
        i += batch.len();
        model.apply(batch, Instant::now());
    }
    let after = ALLOCATED.load(Ordering::Relaxed);
    assert_eq!(model.tree.topic_count(), TOPICS as u64);
    let per_topic = (after - before - TOPICS * PAYLOAD.len()) as f64 / TOPICS as f64;
    println!(
        "ingest_new_topics memory: {:.1} MiB for {TOPICS} topics = {per_topic:.0} bytes per topic beyond the {}-byte payload",
        (after - before) as f64 / (1024.0 * 1024.0),
        PAYLOAD.len()
    );
    drop(model);

    let mut group = c.benchmark_group("ingest_new_topics");
    group.sample_size(10);
    group.throughput(Throughput::Elements(TOPICS as u64));
    group.bench_function("1M_distinct_topics", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut model = Model::default();
                let mut i = 0;
                while i < TOPICS {
                    let batch = batch_of((i..(i + BATCH).min(TOPICS)).map(distinct_topic));
                    i += batch.len();
                    let start = Instant::now();
                    model.apply(batch, start);
                    total += start.elapsed();
                }
                black_box(&model);
            }
            total
        });
    });
    group.finish();

    // One topic 32,000 levels deep (a hostile or broken publisher): inserting it
    // costs what its 190 KB cost, then a second message on a sibling leaf.
    let deep: String = (0..32_000).map(|i| format!("l{i}")).collect::<Vec<_>>().join("/");
    let sibling = format!("{deep}x");
    let mut group = c.benchmark_group("ingest_deep_topic");
    group.sample_size(10);
    group.bench_function("32000_levels_then_a_sibling", |b| {
        b.iter(|| {
            let mut model = Model::default();
            model.apply(batch_of([deep.clone(), sibling.clone()].into_iter()), Instant::now());
            black_box(model.tree.topic_count())
        });
    });
    group.finish();
}

fn tree_rows(c: &mut Criterion) {
    const TOPICS: usize = 100_000;
    let mut model = Model::default();
    let mut i = 0;
    while i < TOPICS {
        let batch = batch_of((i..(i + BATCH).min(TOPICS)).map(|i| {
            format!(
                "site_{}/floor_{}/room_{}/sensor_{i}",
                i % 10,
                (i / 10) % 10,
                (i / 100) % 20
            )
        }));
        i += batch.len();
        model.apply(batch, Instant::now());
    }
    let mut group = c.benchmark_group("tree_rows");
    group.throughput(Throughput::Elements(TOPICS as u64));
    group.bench_function("build_100k_expanded", |b| {
        let mut panel = TreePanel::default();
        b.iter(|| {
            // A fresh expansion forces the rebuild each time.
            panel.expand_all(&model.tree);
            panel.refresh_rows(&model);
            black_box(panel.rows().len())
        });
    });
    group.finish();

    let mut panel = TreePanel::default();
    panel.expand_all(&model.tree);
    panel.refresh_rows(&model);
    assert!(panel.rows().len() > TOPICS);
    let mut harness = egui_kittest::Harness::builder()
        .with_size(egui::vec2(600.0, 900.0))
        .build_ui_state(
            |ui, (panel, model): &mut (TreePanel, Model)| {
                let _ = panel.ui(ui, model);
            },
            (panel, model),
        );
    harness.step();
    let mut group = c.benchmark_group("tree_panel_frame");
    group.throughput(Throughput::Elements(1));
    group.bench_function("100k_expanded_kittest", |b| b.iter(|| harness.step()));
    // As in use: topics keep arriving between frames (100 new ones per
    // frame, in expanded folders), so the rows change and are rebuilt; the
    // bench above never changes them and measures the early return.
    let mut next = TOPICS;
    group.bench_function("100k_expanded_100_new_topics_per_frame", |b| {
        b.iter(|| {
            // The folders they arrive in are expanded already.
            let (_, model) = harness.state_mut();
            let batch = batch_of((next..next + 100).map(|i| {
                format!(
                    "site_{}/floor_{}/room_{}/sensor_{i}",
                    i % 10,
                    (i / 10) % 10,
                    (i / 100) % 20
                )
            }));
            next += 100;
            model.apply(batch, Instant::now());
            harness.step();
        })
    });
    group.finish();
}

/// One chart frame with 10 series of 100,000 points each, window "All":
/// decimation per pixel column plus egui_plot's drawing, in a kittest frame.
fn chart_frame(c: &mut Criterion) {
    use mqscope::ui::chart::{ChartPanel, TimeWindow};
    const SERIES: usize = 10;
    const POINTS: usize = 100_000;
    let mut model = Model::default();
    let start = SystemTime::now() - std::time::Duration::from_secs(POINTS as u64);
    for s in 0..SERIES {
        let topic = format!("plant/sensor_{s}/temperature");
        model.add_series(&topic, "");
        for i in 0..POINTS {
            let value = 20.0 + s as f64 + ((i as f64) / 300.0).sin() * 3.0 + fastrand::f64();
            let at = start + std::time::Duration::from_secs(i as u64);
            model.charts.feed(&topic, format!("{value:.2}").as_bytes(), at);
        }
    }
    assert!(model.charts.all_series().all(|(_, s)| s.points.len() == POINTS));
    let mut group = c.benchmark_group("chart");
    group.throughput(Throughput::Elements((SERIES * POINTS) as u64));
    group.bench_function("decimate_10x100k_1000_columns", |b| {
        b.iter(|| {
            let mut drawn = 0;
            for (_, s) in model.charts.all_series() {
                let first = s.points.front().unwrap()[0];
                let last = s.points.back().unwrap()[0];
                drawn += mqscope::model::decimate(s.points.iter().copied(), first, last, 1000).len();
            }
            black_box(drawn)
        });
    });
    let mut harness = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1000.0, 400.0))
        .build_ui_state(
            |ui, (panel, model): &mut (ChartPanel, Model)| {
                let _ = panel.ui(ui, model);
            },
            (ChartPanel::with_window(TimeWindow::All), model),
        );
    harness.step();
    group.throughput(Throughput::Elements(1));
    group.bench_function("frame_10x100k_kittest", |b| b.iter(|| harness.step()));
    group.finish();
}

criterion_group!(benches, ingest, ingest_new_topics, tree_rows, chart_frame);
criterion_main!(benches);

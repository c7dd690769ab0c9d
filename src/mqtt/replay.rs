//! A recording replayed as a connection: the feed of messages read from the
//! file (`ReplayFeed`), and the task that hands them to the UI at the
//! recorded pace (or as fast as the UI takes them), in the same batches and
//! under the same bounds as live messages, saying how far it got.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::Duration;

use super::{Control, Counters, Event, Wake, batch_cost};
use crate::record::ReplayFeed;
use crate::vocab::{ConnectionState, ReceivedMessage};

pub(super) async fn replay_task(
    mut feed: ReplayFeed,
    speed: Option<f64>,
    out: mpsc::Sender<Event>,
    counters: Arc<Counters>,
    control: Arc<Control>,
    wake: Wake,
) {
    const BATCH: usize = 1_000;
    const NOTE_EVERY: Duration = Duration::from_millis(500);
    let state = |note: String| Event::State(ConnectionState::Offline { note });
    let _ = out.send(state("reading the recording".to_owned()));
    wake();
    let mut started = None;
    let mut first = None;
    let mut sent = 0u64;
    let mut batch = Vec::with_capacity(BATCH);
    let mut pending = std::collections::VecDeque::new();
    let mut last_note = tokio::time::Instant::now();
    loop {
        if control.closing.load(Ordering::SeqCst) {
            return;
        }
        if pending.is_empty() {
            let more = tokio::select! {
                more = feed.batches.recv() => more,
                () = control.wake_worker.notified() => continue,
            };
            match more {
                Some(more) => pending.extend(more),
                None => break,
            }
        }
        let started = *started.get_or_insert_with(tokio::time::Instant::now);
        if first.is_none() {
            first = pending.front().map(|m: &ReceivedMessage| m.received_at);
        }
        // Everything due by now (all of it when there is no pace), up to a batch.
        while batch.len() < BATCH
            && let Some(next) = pending.front()
        {
            if let (Some(speed), Some(first)) = (speed, first) {
                let offset = next.received_at.duration_since(first).unwrap_or_default();
                let due = started + offset.div_f64(speed.max(0.001));
                if due > tokio::time::Instant::now() {
                    if batch.is_empty() {
                        // A wait the user would notice: say what the replay waits for.
                        let wait = due - tokio::time::Instant::now();
                        if wait >= Duration::from_secs(1) {
                            let _ = out.send(state(format!(
                                "replaying at {}×: {sent} message{} so far, the next in {}",
                                (speed * 100.0).round() / 100.0,
                                if sent == 1 { "" } else { "s" },
                                crate::payload::human_duration(wait),
                            )));
                            wake();
                        }
                        // Closing the tab wakes this, so a sparse recording does not
                        // keep its task (and the reader thread) until the next message.
                        tokio::select! {
                            () = tokio::time::sleep_until(due) => {}
                            () = control.wake_worker.notified() => {}
                        }
                        if control.closing.load(Ordering::SeqCst) {
                            return;
                        }
                        continue;
                    }
                    break;
                }
            }
            batch.extend(pending.pop_front());
        }
        if batch.is_empty() {
            continue;
        }
        let Ok(permit) = control.batches_in_flight.acquire().await else {
            return;
        };
        permit.forget();
        // The whole batch at once (capped at the limit), so a batch of large
        // messages cannot wait for bytes that only its own sending gives back.
        let Ok(bytes) = control
            .queued_bytes
            .acquire_many(batch_cost(&batch, control.limits.bytes))
            .await
        else {
            return;
        };
        bytes.forget();
        sent += batch.len() as u64;
        counters.received.fetch_add(batch.len() as u64, Ordering::Relaxed);
        if out.send(Event::Messages(std::mem::take(&mut batch))).is_err() {
            return;
        }
        if let Some(progress) = &feed.progress
            && last_note.elapsed() >= NOTE_EVERY
        {
            last_note = tokio::time::Instant::now();
            let read = progress.bytes_read.load(Ordering::Relaxed);
            let total = progress.total_bytes.load(Ordering::Relaxed);
            let percent = read.saturating_mul(100).checked_div(total).unwrap_or(0);
            let _ = out.send(state(format!(
                "replaying: {percent}% read ({} of {}), {sent} messages",
                crate::payload::human_size(read as usize),
                crate::payload::human_size(total as usize)
            )));
        }
        wake();
    }
    let kind = feed.kind.lock().map(|k| k.clone()).unwrap_or_default();
    let outcome = feed.outcome.lock().ok().and_then(|mut o| o.take());
    let final_state = match outcome {
        Some(Err(why)) if sent == 0 => ConnectionState::Failed { reason: why },
        Some(Err(why)) => ConnectionState::Offline {
            note: format!(
                "replayed {sent} message{}, then stopped: {why}",
                if sent == 1 { "" } else { "s" }
            ),
        },
        Some(Ok(skipped)) if sent == 0 => ConnectionState::Failed {
            reason: if skipped.is_empty() {
                format!("no messages in this {kind}")
            } else {
                format!("no messages could be read from this {kind}: {skipped}")
            },
        },
        Some(Ok(skipped)) if !skipped.is_empty() => ConnectionState::Offline {
            note: format!("replayed {} of this {kind}; {skipped}", all_of(sent)),
        },
        _ => ConnectionState::Offline {
            note: format!("replayed {} of this {kind}", all_of(sent)),
        },
    };
    let _ = out.send(Event::State(final_state));
    wake();
}

/// "all 3 messages", or "the one message".
fn all_of(sent: u64) -> String {
    if sent == 1 {
        "the one message".to_owned()
    } else {
        format!("all {sent} messages")
    }
}

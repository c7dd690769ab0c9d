//! Connections to brokers. Each open connection is one `ConnectionHandle`:
//! a worker task that owns the rumqttc event loop and polls it without pause,
//! a command task that turns the UI's requests into MQTT packets, and a channel
//! of `Event`s (message batches, state changes) for the UI thread to drain.
//! No egui in here, and the Model is never touched: messages leave as batches.

mod legacy_certs;
mod link;
mod options;
mod replay;
mod tls;
pub use tls::key_is_encrypted;

mod words;
mod worker;

use crate::record::ReplayFeed;
use replay::replay_task;
pub use words::{describe_connection_error, disconnect_words};
pub use worker::ReconnectBackoff;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use rumqttc::QoS;
use tokio::sync::{Notify, Semaphore, mpsc as tmpsc};

use crate::vocab::topic::{validate_filter, validate_topic};
use crate::vocab::{
    ConnectionSpec, ConnectionState, MessageProperties, ProtocolVersion, ReceivedMessage, Subscription,
};

/// Called after each batch is sent, so the UI wakes for it. The app passes a
/// closure around `request_repaint_after`; tests pass a no-op.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// What a connection reports to the UI.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    State(ConnectionState),
    Messages(Vec<ReceivedMessage>),
    /// A publish left for the broker (QoS 0) or was acknowledged (PUBACK/PUBCOMP).
    Published {
        topic: String,
        qos: u8,
    },
    PublishFailed {
        topic: String,
        reason: String,
    },
    Subscribed {
        filter: String,
        granted_qos: u8,
    },
    SubscribeRefused {
        filter: String,
        reason: String,
    },
    Unsubscribed {
        filter: String,
    },
    /// A message larger than the connection's limit was read and not kept.
    TooLarge {
        topic: String,
        bytes: usize,
        limit: usize,
    },
}

/// What the UI asks of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Publish {
        topic: String,
        payload: Vec<u8>,
        qos: u8,
        retain: bool,
        properties: MessageProperties,
    },
    /// Subscribe (or change the QoS/options of an existing subscription).
    Subscribe(Subscription),
    Unsubscribe {
        filter: String,
    },
    /// Try again now (after an error, or to skip the backoff wait).
    Reconnect,
}

#[derive(Debug, Default)]
pub struct Counters {
    /// Messages the worker got from the broker.
    pub received: AtomicU64,
}

/// Messages waiting between the polling task and the batching task.
const QUEUED_MESSAGES: usize = 65_536;

/// How much may wait between the socket and the Model: a UI that falls
/// behind holds up the socket once either bound is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    /// Bytes of messages read from the socket and not yet applied (payload,
    /// topic, properties and a per-message overhead). A single message larger
    /// than this passes alone.
    pub bytes: u32,
    /// Batches (of up to 1,000 messages) handed to the UI and not yet applied.
    pub batches: usize,
}

impl Default for QueueLimits {
    fn default() -> Self {
        Self {
            bytes: 64 * 1024 * 1024,
            batches: 64,
        }
    }
}

/// Bytes a batch holds while queued for the UI: what its messages cost, at
/// most the whole limit. (The worker takes each message's cost as it reads
/// it, so its batches never sum past the limit; a replay takes a whole batch
/// at once, capped the same way, so `try_event` gives back what was taken.)
fn batch_cost(batch: &[ReceivedMessage], limit: u32) -> u32 {
    batch
        .iter()
        .map(|m| queued_cost(m, limit))
        .fold(0u32, u32::saturating_add)
        .min(limit)
}

/// Bytes a message holds while queued for the UI, as `QueueLimits::bytes` counts them.
fn queued_cost(message: &ReceivedMessage, limit: u32) -> u32 {
    const OVERHEAD: usize = 128;
    let bytes = message.payload.len()
        + message.topic.len()
        + OVERHEAD
        + message.properties.as_ref().map_or(0, |p| p.heap_bytes());
    u32::try_from(bytes).unwrap_or(u32::MAX).min(limit)
}

/// Shared between the handle, the worker and the command task.
struct Control {
    batches_in_flight: Arc<Semaphore>,
    /// One permit per byte that may be queued for the UI (`QueueLimits::bytes`).
    queued_bytes: Arc<Semaphore>,
    /// Publishes handed to the command task and not yet taken by rumqttc.
    publishes_waiting: std::sync::atomic::AtomicUsize,
    limits: QueueLimits,
    closing: AtomicBool,
    wake_worker: Notify,
    /// Publishes handed to rumqttc, in order, so their acks can be named.
    outbox: Mutex<VecDeque<(String, u8)>>,
    subscriptions: Mutex<Vec<Subscription>>,
    /// Filters of each SUBSCRIBE asked for and not yet written, in order, so
    /// SUBACK codes can be named.
    pending_subscribes: Mutex<VecDeque<PendingSubscribe>>,
    /// The filter of each UNSUBSCRIBE sent, in order.
    pending_unsubscribes: Mutex<VecDeque<String>>,
}

impl Control {
    fn new(subscriptions: Vec<Subscription>, limits: QueueLimits) -> Self {
        Self {
            batches_in_flight: Arc::new(Semaphore::new(limits.batches.max(1))),
            queued_bytes: Arc::new(Semaphore::new(limits.bytes.max(1) as usize)),
            publishes_waiting: std::sync::atomic::AtomicUsize::new(0),
            limits,
            closing: AtomicBool::new(false),
            wake_worker: Notify::new(),
            outbox: Mutex::default(),
            subscriptions: Mutex::new(subscriptions),
            pending_subscribes: Mutex::default(),
            pending_unsubscribes: Mutex::default(),
        }
    }
}

/// The filters of one SUBSCRIBE, and whether the user just added them (as
/// opposed to the renewal of every subscription after a CONNACK).
#[derive(Debug, Clone)]
struct PendingSubscribe {
    filters: Vec<String>,
    user_added: bool,
}

pub struct ConnectionHandle {
    pub spec: ConnectionSpec,
    pub client_id: String,
    pub counters: Arc<Counters>,
    events: mpsc::Receiver<Event>,
    commands: tmpsc::UnboundedSender<Command>,
    control: Arc<Control>,
    /// A replay read from a file: how far the reading has got.
    progress: Option<Arc<crate::record::Progress>>,
}

impl ConnectionHandle {
    /// Start the worker and command tasks on `runtime`.
    pub fn spawn(spec: ConnectionSpec, runtime: &tokio::runtime::Handle, wake: Wake) -> Self {
        Self::spawn_with_limits(spec, runtime, wake, QueueLimits::default())
    }

    /// `spawn` with other bounds on what may wait for the UI.
    pub fn spawn_with_limits(
        spec: ConnectionSpec,
        runtime: &tokio::runtime::Handle,
        wake: Wake,
        limits: QueueLimits,
    ) -> Self {
        let client_id = spec.effective_client_id();
        let (events_tx, events) = mpsc::channel();
        let (commands, commands_rx) = tmpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        let control = Arc::new(Control::new(spec.subscriptions.clone(), limits));
        // Setting up reads the TLS files the user chose: on a blocking thread
        // of the runtime, never on the caller's (the UI's).
        let setup = {
            let spec = spec.clone();
            let client_id = client_id.clone();
            let counters = counters.clone();
            let control = control.clone();
            async move {
                let address = spec.address();
                let name = spec.name.clone();
                let too_large = (spec.protocol == ProtocolVersion::V311).then(|| spec.max_packet());
                // A client id of the user's: another client may use it too.
                let fixed_id = (!spec.client_id.trim().is_empty()).then(|| client_id.clone());
                let connected = tokio::task::spawn_blocking(move || link::connect(&spec, &client_id))
                    .await
                    .unwrap_or_else(|e| Err(format!("the connection could not be set up: {e}")));
                match connected {
                    Ok((client, link)) => {
                        let (to_ui, to_ui_rx) = tmpsc::channel(QUEUED_MESSAGES);
                        let worker = worker::Worker {
                            address,
                            client: client.clone(),
                            link,
                            out: to_ui.clone(),
                            counters,
                            control: control.clone(),
                            too_large,
                            fixed_id,
                        };
                        tokio::spawn(worker.run());
                        tokio::spawn(worker::batch_loop(
                            to_ui_rx,
                            events_tx,
                            control.batches_in_flight.clone(),
                            wake,
                        ));
                        tokio::spawn(command_loop(client, commands_rx, control.clone(), to_ui));
                    }
                    Err(reason) => {
                        // Nothing to retry until the settings change (a TLS file, say).
                        // Publishes queued meanwhile go nowhere: none is waiting any more.
                        control.publishes_waiting.store(0, Ordering::SeqCst);
                        tracing::warn!(%name, %reason, "cannot set up the connection");
                        let _ = events_tx.send(Event::State(ConnectionState::Failed { reason }));
                        wake();
                    }
                }
            }
        };
        runtime.spawn(setup);
        Self {
            spec,
            client_id,
            counters,
            events,
            commands,
            control,
            progress: None,
        }
    }

    /// A connection that is a recording: its messages come from `feed` (read
    /// on a thread of its own, never here), at their recorded pace times
    /// `speed` (`None`: as fast as the UI takes them), through the same
    /// batches and back-pressure as a broker's.
    pub fn replay(
        spec: ConnectionSpec,
        feed: ReplayFeed,
        speed: Option<f64>,
        runtime: &tokio::runtime::Handle,
        wake: Wake,
    ) -> Self {
        let (events_tx, events) = mpsc::channel();
        let (commands, _) = tmpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        let control = Arc::new(Control::new(Vec::new(), QueueLimits::default()));
        let progress = feed.progress.clone();
        runtime.spawn(replay_task(
            feed,
            speed,
            events_tx,
            counters.clone(),
            control.clone(),
            wake,
        ));
        Self {
            client_id: String::new(),
            spec,
            counters,
            events,
            commands,
            control,
            progress,
        }
    }

    /// The subscriptions this connection keeps (and renews on reconnect).
    pub fn subscriptions(&self) -> Vec<Subscription> {
        self.control.subscriptions.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// A replay's reading so far, 0.0–1.0, while the file is not read to its end.
    pub fn reading_progress(&self) -> Option<f32> {
        let progress = self.progress.as_ref()?;
        let total = progress.total_bytes.load(Ordering::Relaxed);
        let read = progress.bytes_read.load(Ordering::Relaxed);
        (total > 0 && read < total).then(|| read as f32 / total as f32)
    }

    pub fn received(&self) -> u64 {
        self.counters.received.load(Ordering::Relaxed)
    }

    /// The next event, if one is waiting. Never blocks. Taking a batch of
    /// messages lets the connection read and send the next ones.
    pub fn try_event(&self) -> Option<Event> {
        let event = self.events.try_recv().ok()?;
        if let Event::Messages(batch) = &event {
            let bytes = batch_cost(batch, self.control.limits.bytes);
            self.control.queued_bytes.add_permits(bytes as usize);
            self.control.batches_in_flight.add_permits(1);
        }
        Some(event)
    }

    /// Publishes sent with [`Self::send`] that the connection has not taken
    /// yet (a broker slower than a repeat job, or no connection): a repeat
    /// holds back while these pile up.
    pub fn publishes_waiting(&self) -> usize {
        self.control.publishes_waiting.load(Ordering::SeqCst)
    }

    /// Bytes of messages read and not yet taken by `try_event`.
    pub fn queued_bytes(&self) -> usize {
        (self.control.limits.bytes.max(1) as usize).saturating_sub(self.control.queued_bytes.available_permits())
    }

    pub fn send(&self, command: Command) {
        if matches!(command, Command::Reconnect) {
            self.control.wake_worker.notify_one();
            return;
        }
        let publish = matches!(command, Command::Publish { .. });
        if publish {
            self.control.publishes_waiting.fetch_add(1, Ordering::SeqCst);
        }
        // The command task lives as long as the handle; a send can only fail
        // after close, when there is nobody left to publish to.
        if self.commands.send(command).is_err() && publish {
            self.control.publishes_waiting.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Disconnect cleanly and stop both tasks.
    pub fn close(&self) {
        self.control.closing.store(true, Ordering::SeqCst);
        self.control.batches_in_flight.close();
        self.control.queued_bytes.close();
        self.control.wake_worker.notify_one();
        let _ = self.commands.send(Command::Reconnect); // wakes the command task to see `closing`
    }
}

impl Drop for ConnectionHandle {
    fn drop(&mut self) {
        self.close();
    }
}

/// MQTT 5 has its own QoS type in rumqttc.
fn qos_v5(qos: u8) -> rumqttc::v5::mqttbytes::QoS {
    match qos {
        0 => rumqttc::v5::mqttbytes::QoS::AtMostOnce,
        1 => rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
        _ => rumqttc::v5::mqttbytes::QoS::ExactlyOnce,
    }
}

pub fn qos_from(qos: u8) -> QoS {
    match qos {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

/// Turns commands into client requests on its own task, so a full request
/// channel can never stall the task that polls the event loop.
async fn command_loop(
    client: link::Client,
    mut commands: tmpsc::UnboundedReceiver<Command>,
    control: Arc<Control>,
    to_ui: tmpsc::Sender<worker::ToUi>,
) {
    let report = async |event| {
        let _ = to_ui.send(worker::ToUi::Event(event)).await;
    };
    while let Some(command) = commands.recv().await {
        if control.closing.load(Ordering::SeqCst) {
            client.try_disconnect();
            break;
        }
        match command {
            Command::Publish {
                topic,
                payload,
                qos,
                retain,
                properties,
            } => {
                if let Err(reason) = validate_topic(&topic) {
                    control.publishes_waiting.fetch_sub(1, Ordering::SeqCst);
                    report(Event::PublishFailed { topic, reason }).await;
                    continue;
                }
                if let Ok(mut outbox) = control.outbox.lock() {
                    outbox.push_back((topic.clone(), qos));
                }
                let queued = client.publish(topic.clone(), qos, retain, payload, &properties).await;
                control.publishes_waiting.fetch_sub(1, Ordering::SeqCst);
                if let Err(e) = queued {
                    report(Event::PublishFailed {
                        topic,
                        reason: format!("could not queue the message: {e}"),
                    })
                    .await;
                }
            }
            Command::Subscribe(sub) => {
                if let Err(reason) = validate_filter(&sub.filter) {
                    report(Event::SubscribeRefused {
                        filter: sub.filter,
                        reason,
                    })
                    .await;
                    continue;
                }
                if let Ok(mut subs) = control.subscriptions.lock() {
                    match subs.iter_mut().find(|s| s.filter == sub.filter) {
                        Some(existing) => *existing = sub.clone(),
                        None => subs.push(sub.clone()),
                    }
                }
                if let Ok(mut pending) = control.pending_subscribes.lock() {
                    pending.push_back(PendingSubscribe {
                        filters: vec![sub.filter.clone()],
                        user_added: true,
                    });
                }
                let _ = client.subscribe(&sub).await;
            }
            Command::Unsubscribe { filter } => {
                if let Ok(mut subs) = control.subscriptions.lock() {
                    subs.retain(|s| s.filter != filter);
                }
                if let Ok(mut pending) = control.pending_unsubscribes.lock() {
                    pending.push_back(filter.clone());
                }
                let _ = client.unsubscribe(filter).await;
            }
            Command::Reconnect => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant, SystemTime};

    fn message(topic: &str, at_s: u64) -> ReceivedMessage {
        ReceivedMessage {
            topic: topic.into(),
            payload: Box::from(&b"1"[..]),
            qos: 0,
            retain: false,
            dup: false,
            received_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + at_s),
            properties: None,
        }
    }

    /// When each message of a recording (at 0, 10 and 20 s) comes out of a
    /// replay at `speed`, on tokio's paused clock: exact, whatever the machine.
    fn arrival_times(speed: Option<f64>) -> Vec<(String, Duration)> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let recording = vec![message("a", 0), message("b", 10), message("c", 20)];
        let handle = ConnectionHandle::replay(
            ConnectionSpec::new("recording", 0),
            ReplayFeed::from_messages(recording),
            speed,
            rt.handle(),
            Arc::new(|| {}),
        );
        rt.block_on(async {
            let start = tokio::time::Instant::now();
            let mut arrived = Vec::new();
            while arrived.len() < 3 {
                while let Some(event) = handle.try_event() {
                    if let Event::Messages(batch) = event {
                        arrived.extend(batch.into_iter().map(|m| (m.topic, start.elapsed())));
                    }
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            arrived
        })
    }

    fn rounded(times: Vec<(String, Duration)>) -> Vec<(String, u64)> {
        // The UI side looks every millisecond: round to tenths of a second.
        times
            .into_iter()
            .map(|(t, d)| (t, (d.as_millis() as u64 + 50) / 100))
            .collect()
    }

    #[test]
    fn a_replay_of_large_messages_goes_through_the_byte_bound() {
        // 1,000 messages of 70 KB in one batch: more than the 64 MiB the queue
        // holds. Taking bytes message by message before sending the batch
        // waited for bytes only that batch's sending could give back.
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let recording: Vec<ReceivedMessage> = (0..1_000)
            .map(|i| ReceivedMessage::new(format!("big/{i}"), vec![b'x'; 70_000], 0, false))
            .collect();
        let handle = ConnectionHandle::replay(
            ConnectionSpec::new("recording", 0),
            ReplayFeed::from_messages(recording),
            None,
            rt.handle(),
            Arc::new(|| {}),
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut arrived = 0;
        while arrived < 1_000 {
            assert!(Instant::now() < deadline, "the replay stopped at {arrived} of 1000");
            while let Some(event) = handle.try_event() {
                if let Event::Messages(batch) = event {
                    arrived += batch.len();
                }
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(handle.queued_bytes(), 0, "every byte taken was given back");
    }

    #[test]
    fn a_replay_keeps_the_recorded_pace_times_the_speed() {
        let at = |a: u64, b: u64, c: u64| vec![("a".to_owned(), a), ("b".to_owned(), b), ("c".to_owned(), c)];
        assert_eq!(rounded(arrival_times(Some(1.0))), at(0, 100, 200), "1×: 10 s apart");
        assert_eq!(rounded(arrival_times(Some(10.0))), at(0, 10, 20), "10×: 1 s apart");
        assert_eq!(rounded(arrival_times(None)), at(0, 0, 0), "as fast as possible");
    }

    #[test]
    fn closing_a_paced_replay_ends_it_now_not_at_the_next_message() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        // Two messages three hours apart, replayed at 1×.
        let recording = vec![message("a", 0), message("b", 10_800)];
        let handle = ConnectionHandle::replay(
            ConnectionSpec::new("recording", 0),
            ReplayFeed::from_messages(recording),
            Some(1.0),
            rt.handle(),
            Arc::new(|| {}),
        );
        let waited = rt.block_on(async {
            loop {
                if let Some(Event::Messages(batch)) = handle.try_event() {
                    assert_eq!(batch[0].topic, "a");
                    break;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            handle.close();
            let closed_at = tokio::time::Instant::now();
            // The task ends (its sender goes) without the clock reaching the next message.
            loop {
                match handle.events.try_recv() {
                    Err(mpsc::TryRecvError::Disconnected) => break,
                    Ok(Event::Messages(_)) => panic!("a message after closing"),
                    _ => tokio::time::sleep(Duration::from_millis(1)).await,
                }
            }
            closed_at.elapsed()
        });
        assert!(
            waited < Duration::from_secs(1),
            "the replay lingered {waited:?} after closing"
        );
    }
}

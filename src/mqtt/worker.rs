//! The task that owns one connection's rumqttc event loop. It polls without
//! pause (a client that stops polling is dropped by the broker or loses QoS 0
//! messages), hands messages to the UI in batches, names every failure in
//! words, and reconnects with capped, jittered exponential backoff.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, mpsc as tmpsc};

use super::link::{Client, Link, Polled};
use super::{Control, Counters, Event, PendingSubscribe, Wake};
use crate::vocab::ConnectionState;
use crate::vocab::ReceivedMessage;

/// A connection that lasted this long counts as a success: the backoff starts over.
const STABLE_CONNECTION: Duration = Duration::from_secs(10);

/// Most messages in one batch for the UI.
const BATCH_MAX_MESSAGES: usize = 1_000;

/// Most topic and payload bytes in one batch (a message larger than this
/// goes alone).
const BATCH_MAX_BYTES: usize = 256 * 1024;

/// What the polling task hands to the batching task, in arrival order.
pub(super) enum ToUi {
    Message(ReceivedMessage),
    Event(Event),
}

pub(super) struct Worker {
    pub address: String,
    pub client: Client,
    pub link: Link,
    pub out: tmpsc::Sender<ToUi>,
    pub counters: Arc<Counters>,
    pub control: Arc<Control>,
    /// MQTT 3.1.1: messages larger than this are read and not kept (MQTT 5
    /// tells the broker the limit instead).
    pub too_large: Option<usize>,
    /// The client id, when the user chose it (not generated): the id
    /// another client could be using as well.
    pub fixed_id: Option<String>,
}

/// A broker that accepts and then closes the connection this many times in a
/// row, each soon after accepting it, is said to be probably closing it for
/// another client with the same id.
const TAKEOVERS_BEFORE_NAMING: u32 = 2;

enum Step {
    Polled(Result<Polled, (String, bool)>),
    Woken,
}

/// Gathers whatever the polling task produced since it last ran into one batch
/// per wake-up: a burst becomes a few large batches (one repaint each), a
/// trickle goes through at once. Runs on its own task, so the event loop's
/// `poll()` is never cancelled midway (that would lose the acks it was writing).
pub(super) async fn batch_loop(
    mut rx: tmpsc::Receiver<ToUi>,
    events: mpsc::Sender<Event>,
    batches_in_flight: Arc<Semaphore>,
    wake: Wake,
) {
    let mut incoming = Vec::with_capacity(BATCH_MAX_MESSAGES);
    let mut batch: Vec<ReceivedMessage> = Vec::new();
    // One permit per batch the UI has not applied yet: a stalled UI holds up
    // this task, then the polling task, then the socket — memory stays bounded.
    let send_batch = async |batch: &mut Vec<ReceivedMessage>| -> bool {
        let Ok(permit) = batches_in_flight.acquire().await else {
            return false; // the connection was closed
        };
        permit.forget(); // given back by the UI when it takes the batch
        events.send(Event::Messages(std::mem::take(batch))).is_ok()
    };
    let mut batch_bytes = 0usize;
    while rx.recv_many(&mut incoming, BATCH_MAX_MESSAGES).await > 0 {
        for item in incoming.drain(..) {
            match item {
                ToUi::Message(m) => {
                    batch_bytes += m.topic.len() + m.payload.len();
                    batch.push(m);
                    // A batch is applied in one go: bounded in bytes too, so that
                    // 32,000-level topics or large payloads do not make one long frame.
                    if batch_bytes >= BATCH_MAX_BYTES {
                        batch_bytes = 0;
                        if !send_batch(&mut batch).await {
                            return;
                        }
                    }
                }
                ToUi::Event(event) => {
                    batch_bytes = 0;
                    if !batch.is_empty() && !send_batch(&mut batch).await {
                        return;
                    }
                    let _ = events.send(event);
                }
            }
        }
        batch_bytes = 0;
        if !batch.is_empty() && !send_batch(&mut batch).await {
            return;
        }
        wake();
    }
}

impl Worker {
    pub async fn run(mut self) {
        let mut backoff = ReconnectBackoff::default();
        // When the current connection was accepted: a broker that accepts and
        // then drops us at once must not get a fresh fast retry every time.
        let mut connected_at: Option<Instant> = None;
        let mut unacked: HashMap<u16, (String, u8)> = HashMap::new();
        // SUBSCRIBEs written and not answered yet, by packet id.
        let mut awaiting_suback: HashMap<u16, PendingSubscribe> = HashMap::new();
        // Connections in a row the broker accepted and closed soon after.
        let mut closed_soon: u32 = 0;
        report(&self.out, Event::State(ConnectionState::Connecting)).await;
        loop {
            let step = tokio::select! {
                biased;
                _ = self.control.wake_worker.notified() => Step::Woken,
                polled = self.link.poll(&self.address) => Step::Polled(polled),
            };
            if self.closing() {
                break;
            }
            let polled = match step {
                Step::Woken => continue,
                Step::Polled(Ok(polled)) => polled,
                Step::Polled(Err((mut reason, retry))) => {
                    unacked.clear();
                    drop_unanswered_subscriptions(&self.control, &self.out, &mut awaiting_suback).await;
                    // Only a socket the broker closed without a word counts: a
                    // DISCONNECT with a reason (not authorised, quota…) or a
                    // timeout says its own cause; an attempt that was not even
                    // accepted breaks the run.
                    let silent_close = retry && reason.ends_with("closed the connection");
                    match connected_at.take().map(|at| at.elapsed() >= STABLE_CONNECTION) {
                        Some(true) => {
                            backoff.reset();
                            closed_soon = 0;
                        }
                        Some(false) if silent_close => closed_soon += 1,
                        Some(false) | None => closed_soon = 0,
                    }
                    if let Some(id) = &self.fixed_id
                        && closed_soon >= TAKEOVERS_BEFORE_NAMING
                    {
                        reason = format!(
                            "{reason}. Accepted, then closed soon after, {closed_soon} times in a row: another client \
                             is probably using the client id '{id}' (a broker keeps one connection per id and closes \
                             the other). Give this connection its own client id, or leave it empty to get one."
                        );
                    }
                    if !self.wait_after_error(reason, retry, &mut backoff).await {
                        break;
                    }
                    continue;
                }
            };
            match polled {
                Polled::Message(message)
                    if self
                        .too_large
                        .is_some_and(|limit| message.payload.len() + message.topic.len() > limit) =>
                {
                    // MQTT 3.1.1 cannot ask the broker to keep large messages back:
                    // read, said, not kept (refusing to read them dropped the
                    // connection at every retained one, for ever).
                    self.counters.received.fetch_add(1, Ordering::Relaxed);
                    let event = Event::TooLarge {
                        topic: message.topic,
                        bytes: message.payload.len(),
                        limit: self.too_large.unwrap_or_default(),
                    };
                    report(&self.out, event).await;
                }
                Polled::Message(message) => {
                    self.counters.received.fetch_add(1, Ordering::Relaxed);
                    // Waits when the UI is behind (in bytes or in batches): the socket then
                    // stops being read and the broker holds (or, for QoS 0, drops and does
                    // not count) what comes next.
                    let cost = super::queued_cost(&message, self.control.limits.bytes);
                    let Ok(bytes) = self.control.queued_bytes.acquire_many(cost).await else {
                        break; // closed
                    };
                    bytes.forget(); // given back by the UI when it takes the batch
                    let _ = self.out.send(ToUi::Message(message)).await;
                }
                Polled::ConnAck => {
                    connected_at = Some(Instant::now());
                    report(&self.out, Event::State(ConnectionState::Connected)).await;
                    self.subscribe_all();
                }
                Polled::SubscribeSent(pkid) => {
                    let sent = self
                        .control
                        .pending_subscribes
                        .lock()
                        .ok()
                        .and_then(|mut p| p.pop_front());
                    if let Some(sent) = sent {
                        awaiting_suback.insert(pkid, sent);
                    }
                }
                Polled::SubAck { pkid, codes } => {
                    let filters = awaiting_suback.remove(&pkid).map(|p| p.filters).unwrap_or_default();
                    for (filter, code) in filters.into_iter().zip(codes) {
                        let event = match code {
                            Ok(granted_qos) => Event::Subscribed { filter, granted_qos },
                            Err(reason) => Event::SubscribeRefused { filter, reason },
                        };
                        report(&self.out, event).await;
                    }
                }
                Polled::UnsubAck => {
                    let filter = self
                        .control
                        .pending_unsubscribes
                        .lock()
                        .ok()
                        .and_then(|mut p| p.pop_front());
                    if let Some(filter) = filter {
                        report(&self.out, Event::Unsubscribed { filter }).await;
                    }
                }
                Polled::PublishSent(pkid) => {
                    let sent = self.control.outbox.lock().ok().and_then(|mut o| o.pop_front());
                    if let Some((topic, qos)) = sent {
                        if qos == 0 {
                            report(&self.out, Event::Published { topic, qos }).await;
                        } else {
                            unacked.insert(pkid, (topic, qos));
                        }
                    }
                }
                Polled::PublishAcked { pkid, refused } => {
                    if let Some((topic, qos)) = unacked.remove(&pkid) {
                        let event = match refused {
                            None => Event::Published { topic, qos },
                            Some(reason) => Event::PublishFailed { topic, reason },
                        };
                        report(&self.out, event).await;
                    }
                }
                Polled::Disconnected(words) => {
                    tracing::info!(address = %self.address, %words, "the broker sent DISCONNECT");
                }
                Polled::DisconnectSent | Polled::Other => {}
            }
        }
        self.client.try_disconnect();
        // Let rumqttc write the DISCONNECT; bounded so a dead socket cannot hold us.
        let address = self.address.clone();
        let _ = tokio::time::timeout(Duration::from_millis(500), async {
            while let Ok(polled) = self.link.poll(&address).await {
                if matches!(polled, Polled::DisconnectSent) {
                    break;
                }
            }
        })
        .await;
        report(&self.out, Event::State(ConnectionState::Closed)).await;
    }

    /// After a failed poll: show why, wait (backoff, or the user for a
    /// refusal retrying cannot fix), then say we connect again. False when
    /// the connection was closed meanwhile.
    async fn wait_after_error(&mut self, reason: String, retry: bool, backoff: &mut ReconnectBackoff) -> bool {
        if retry {
            let delay = backoff.next_delay();
            tracing::info!(address = %self.address, %reason, ?delay, "connection lost; will retry");
            report(
                &self.out,
                Event::State(ConnectionState::Reconnecting {
                    retry_at: Instant::now() + delay,
                    attempt: backoff.attempt(),
                    reason,
                }),
            )
            .await;
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = self.control.wake_worker.notified() => {}
            }
        } else {
            tracing::warn!(address = %self.address, %reason, "connection refused; not retrying");
            report(&self.out, Event::State(ConnectionState::Failed { reason })).await;
            // Wait for the user: Retry (or close). Retrying a refusal would hammer the broker.
            self.control.wake_worker.notified().await;
            backoff.reset();
        }
        if self.closing() {
            return false;
        }
        report(&self.out, Event::State(ConnectionState::Connecting)).await;
        true
    }

    fn closing(&self) -> bool {
        self.control.closing.load(Ordering::SeqCst)
    }

    /// (Re)subscribe every filter after a CONNACK, without awaiting: the request
    /// channel is drained by this very task.
    fn subscribe_all(&self) {
        let subs = self.control.subscriptions.lock().map(|s| s.clone()).unwrap_or_default();
        if subs.is_empty() {
            return;
        }
        if let Ok(mut pending) = self.control.pending_subscribes.lock() {
            pending.push_back(PendingSubscribe {
                filters: subs.iter().map(|s| s.filter.clone()).collect(),
                user_added: false,
            });
        }
        if let Err(e) = self.client.try_subscribe_many(&subs) {
            tracing::warn!(error = %e, "could not queue the subscriptions");
        }
    }
}

/// The connection dropped with SUBSCRIBEs unanswered. Some brokers close
/// the connection instead of refusing a filter they do not allow (rumqttd
/// does for `$SYS/#`): renewing such a filter on every reconnect would
/// loop forever. A filter the user just added is therefore dropped and
/// reported as refused; the renewal of known-good ones is sent again.
async fn drop_unanswered_subscriptions(
    control: &Control,
    out: &tmpsc::Sender<ToUi>,
    awaiting: &mut HashMap<u16, PendingSubscribe>,
) {
    for pending in awaiting.drain().map(|(_, p)| p).filter(|p| p.user_added) {
        for filter in pending.filters {
            if let Ok(mut subs) = control.subscriptions.lock() {
                subs.retain(|s| s.filter != filter);
            }
            tracing::warn!(%filter, "the broker closed the connection instead of answering a SUBSCRIBE");
            let reason = "the broker closed the connection instead of answering; it may not allow this filter \
                          (not renewed on reconnect)"
                .to_owned();
            report(out, Event::SubscribeRefused { filter, reason }).await;
        }
    }
}

/// Tell the UI, in order with the messages. The receiver is gone only when the
/// UI dropped the connection; there is nobody to tell then.
async fn report(out: &tmpsc::Sender<ToUi>, event: Event) {
    let _ = out.send(ToUi::Event(event)).await;
}

/// Exponential backoff from 500 ms, doubling, capped at 30 s, with jitter
/// (each delay drawn from the upper half) so many clients do not retry in step.
#[derive(Debug, Clone)]
pub struct ReconnectBackoff {
    attempt: u32,
    base: Duration,
    cap: Duration,
}

impl Default for ReconnectBackoff {
    fn default() -> Self {
        Self {
            attempt: 0,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
        }
    }
}

impl ReconnectBackoff {
    pub fn next_delay(&mut self) -> Duration {
        let exp = self.base.saturating_mul(1u32 << self.attempt.min(16));
        let ceiling = exp.min(self.cap);
        self.attempt = self.attempt.saturating_add(1);
        ceiling.mul_f64(0.5 + 0.5 * fastrand::f64())
    }

    /// Attempts since the last successful connection.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::super::words::describe_connection_error;
    use super::*;
    use rumqttc::{ConnectReturnCode, ConnectionError};

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let mut b = ReconnectBackoff::default();
        let delays: Vec<Duration> = (0..12).map(|_| b.next_delay()).collect();
        assert!(delays[0] >= Duration::from_millis(250) && delays[0] <= Duration::from_millis(500));
        assert!(delays[3] >= Duration::from_secs(2) && delays[3] <= Duration::from_secs(4));
        for d in &delays {
            assert!(*d <= Duration::from_secs(30));
        }
        assert!(delays[11] >= Duration::from_secs(15));
        let distinct: std::collections::HashSet<_> = (0..20)
            .map(|_| {
                let mut b = ReconnectBackoff::default();
                b.next_delay();
                b.next_delay()
            })
            .collect();
        assert!(distinct.len() > 1, "no jitter");
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(500));
    }

    #[test]
    fn refusals_are_in_words() {
        let (words, retry) = describe_connection_error(
            &ConnectionError::ConnectionRefused(ConnectReturnCode::BadUserNamePassword),
            "h:1",
        );
        assert!(words.contains("bad user name or password"), "{words}");
        assert!(!retry);
        let (words, retry) = describe_connection_error(
            &ConnectionError::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
            "h:1",
        );
        assert!(words.contains("is the broker running"), "{words}");
        assert!(retry);
    }
}

//! One MQTT message as the app keeps it: the bytes exactly as received, plus
//! the delivery facts a user asks about (time, QoS, retain). Plain data, shared
//! by the connection worker (which produces it) and the Model (which stores it).

use std::time::SystemTime;

/// A message delivered by the broker to one of our subscriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    pub topic: String,
    /// The payload as received: copied out of the network buffer, never trimmed.
    pub payload: Box<[u8]>,
    pub qos: u8,
    pub retain: bool,
    pub received_at: SystemTime,
}

impl ReceivedMessage {
    pub fn new(topic: impl Into<String>, payload: impl Into<Box<[u8]>>, qos: u8, retain: bool) -> Self {
        Self {
            topic: topic.into(),
            payload: payload.into(),
            qos,
            retain,
            received_at: SystemTime::now(),
        }
    }
}

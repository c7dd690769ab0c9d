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
    /// The broker marked this as a redelivery (DUP flag).
    pub dup: bool,
    pub received_at: SystemTime,
    /// MQTT 5 properties, when the message carried any (boxed: most have none).
    pub properties: Option<Box<MessageProperties>>,
}

/// The MQTT 5 properties of a PUBLISH that a user may want to see. Topic
/// aliases are resolved to full topics before a message gets here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageProperties {
    /// Payload format indicator: `Some(true)` = declared UTF-8 text.
    pub payload_is_utf8: Option<bool>,
    pub message_expiry_s: Option<u32>,
    pub content_type: Option<String>,
    pub response_topic: Option<String>,
    pub correlation_data: Option<Box<[u8]>>,
    pub user_properties: Vec<(String, String)>,
    pub subscription_ids: Vec<usize>,
}

impl MessageProperties {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Heap bytes held, for the history budget.
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.content_type.as_ref().map_or(0, String::len)
            + self.response_topic.as_ref().map_or(0, String::len)
            + self.correlation_data.as_ref().map_or(0, |d| d.len())
            + self
                .user_properties
                .iter()
                .map(|(k, v)| k.len() + v.len() + 48)
                .sum::<usize>()
            + self.subscription_ids.len() * 8
    }
}

impl ReceivedMessage {
    pub fn new(topic: impl Into<String>, payload: impl Into<Box<[u8]>>, qos: u8, retain: bool) -> Self {
        Self {
            topic: topic.into(),
            payload: payload.into(),
            qos,
            retain,
            dup: false,
            received_at: SystemTime::now(),
            properties: None,
        }
    }

    pub fn with_dup(mut self, dup: bool) -> Self {
        self.dup = dup;
        self
    }

    pub fn with_properties(mut self, properties: MessageProperties) -> Self {
        self.properties = (!properties.is_empty()).then(|| Box::new(properties));
        self
    }
}

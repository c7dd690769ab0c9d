//! The vocabulary every part of mqscope shares, in one home: a message as
//! received (`message`), the MQTT topic and filter rules (`topic`), and what
//! a connection is and where it stands (`connection`). Plain data and pure
//! functions: no egui, no tokio, no file or socket (rumqttc only for its
//! escape of invalid UTF-8 in topics, so read and shown agree). `mqtt/`
//! turns these into rumqttc's types; `model/` stores them; `ui/` shows them.

pub mod connection;
pub mod message;
pub mod topic;

pub use connection::{
    ConnectionSpec, ConnectionState, DEFAULT_KEEPALIVE_S, DEFAULT_MAX_INFLIGHT, DEFAULT_MAX_PACKET_BYTES, DEFAULT_PORT,
    DEFAULT_TLS_PORT, LastWill, ProtocolVersion, Subscription, TlsSettings, Transport, V5_MIN_KEEPALIVE_S,
    generated_client_id, parse_broker_url, redact_url,
};
pub use message::{MessageProperties, ReceivedMessage};

//! mqscope: a desktop MQTT explorer. See ARCHITECTURE.md in the repository for
//! the map: `model/` and `payload/` are plain data, `mqtt/` holds the
//! connections, `ui/` draws, and `app` ties them together.

pub mod model;
pub mod mqtt;
pub mod payload;
pub mod secret;

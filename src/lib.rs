//! mqscope: a desktop MQTT explorer. ARCHITECTURE.md in the repository is
//! the map: `vocab/` holds the words every part shares, `model/` and
//! `payload/` are plain data, `mqtt/` holds the connections, `ui/` draws,
//! `accounts` runs the profile workflow without a window, and `app/` routes.

pub mod accounts;
pub mod app;
pub mod cli;
pub mod demo;
pub mod export;
pub mod files;
pub mod icon;
pub mod jobs;
pub mod model;
pub mod mqtt;
pub mod payload;
pub mod profiles;
pub mod publish;
pub mod record;
pub mod secret;
pub mod secret_store;
pub mod session;
pub mod settings;
pub mod simulate;
pub mod stats;
pub mod ui;
pub mod vocab;

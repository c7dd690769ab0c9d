//! What each connection keeps besides its profile, keyed by the connection's
//! name in `connections.json` beside the profiles: the sent-messages history
//! (always here: it changes at every publish), and — for connections without
//! a saved profile (the demo, a broker given on the command line) — the
//! chart layouts and publish templates that a profile would otherwise hold.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::ChartLayout;
use crate::publish::{PublishTemplate, PublishedEntry};

pub const EXTRAS_FILE: &str = "connections.json";

/// The schema of connections.json this build writes: `{"version": 1,
/// "connections": {name: extras}}`. Version 0 was the bare map. What a newer
/// build wrote and this one does not know is kept and written back.
pub const EXTRAS_VERSION: u32 = 1;

#[derive(Debug, Default, Serialize, Deserialize)]
struct ExtrasFile {
    #[serde(default)]
    version: u32,
    #[serde(default)]
    connections: BTreeMap<String, ConnectionExtras>,
    #[serde(flatten)]
    unknown: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConnectionExtras {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub charts: Vec<ChartLayout>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<PublishTemplate>,
    /// Newest first.
    #[serde(skip_serializing_if = "VecDeque::is_empty")]
    pub published: VecDeque<PublishedEntry>,
    /// Fields written by a newer mqscope, kept as they were.
    #[serde(flatten)]
    pub unknown: BTreeMap<String, serde_json::Value>,
}

impl ConnectionExtras {
    fn is_empty(&self) -> bool {
        self.charts.is_empty() && self.templates.is_empty() && self.published.is_empty() && self.unknown.is_empty()
    }
}

#[derive(Debug, Default)]
pub struct ExtrasStore {
    path: PathBuf,
    extras: BTreeMap<String, ConnectionExtras>,
    /// The file's version (kept when newer) and its fields this build does not know.
    version: u32,
    unknown: BTreeMap<String, serde_json::Value>,
    /// Saves happen here, off the UI thread.
    writer: crate::files::BackgroundWriter,
}

impl ExtrasStore {
    /// Load from `dir`; empty when there is no file. A file that does not
    /// parse is moved aside and the message says where.
    pub fn load(dir: &Path) -> (Self, Option<String>) {
        Self::load_with(dir, crate::files::BackgroundWriter::new())
    }

    /// [`Self::load`], saving through `writer` (the app's).
    pub fn load_with(dir: &Path, writer: crate::files::BackgroundWriter) -> (Self, Option<String>) {
        let path = dir.join(EXTRAS_FILE);
        let mut store = Self {
            path: path.clone(),
            extras: BTreeMap::new(),
            version: EXTRAS_VERSION,
            unknown: BTreeMap::new(),
            writer,
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (store, None),
            Err(e) => return (store, Some(format!("Not loaded from {}: {e}.", path.display()))),
        };
        let parsed = serde_json::from_str::<serde_json::Value>(&text).and_then(|value| {
            if value.get("version").is_some_and(serde_json::Value::is_u64) {
                serde_json::from_value::<ExtrasFile>(value)
            } else {
                // Version 0: the bare map of connections.
                serde_json::from_value(value).map(|connections| ExtrasFile {
                    version: 0,
                    connections,
                    unknown: BTreeMap::new(),
                })
            }
        });
        match parsed {
            Ok(file) => {
                store.extras = file.connections;
                store.version = file.version.max(EXTRAS_VERSION);
                store.unknown = file.unknown;
                (store, None)
            }
            Err(parse) => {
                let parse = crate::files::json_error(&parse);
                let kept = match crate::files::move_aside(&path) {
                    Ok(backup) => format!("it was kept as {}", backup.display()),
                    Err(e) => format!("it could not be moved aside ({e})"),
                };
                (
                    store,
                    Some(format!(
                        "The charts, templates and sent messages in {} could not be read ({parse}); {kept}.",
                        path.display()
                    )),
                )
            }
        }
    }

    pub fn get(&self, name: &str) -> ConnectionExtras {
        self.extras.get(name).cloned().unwrap_or_default()
    }

    /// Wait until every save asked so far is on disk.
    pub fn flush(&self) {
        self.writer.flush();
    }

    /// Change what `name` keeps and write the file (unless nothing changed),
    /// on the writer's thread: a failure there comes back through the writer.
    pub fn update(&mut self, name: &str, change: impl FnOnce(&mut ConnectionExtras)) -> std::io::Result<()> {
        let before = self.extras.get(name).cloned().unwrap_or_default();
        let mut after = before.clone();
        change(&mut after);
        if after == before {
            return Ok(());
        }
        if after.is_empty() {
            self.extras.remove(name);
        } else {
            self.extras.insert(name.to_owned(), after);
        }
        #[derive(Serialize)]
        struct Out<'a> {
            version: u32,
            connections: &'a BTreeMap<String, ConnectionExtras>,
            #[serde(flatten)]
            unknown: &'a BTreeMap<String, serde_json::Value>,
        }
        let file = Out {
            version: self.version,
            connections: &self.extras,
            unknown: &self.unknown,
        };
        let bytes = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
        // Sent payloads and templates: the user's data, private like the profiles.
        self.writer
            .write(&self.path, bytes, true, "the charts, templates and sent messages");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SeriesSpec, Threshold};

    #[test]
    fn round_trip_and_broken_file() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, warning) = ExtrasStore::load(dir.path());
        assert!(warning.is_none());
        let mut spec = SeriesSpec::new("iot/+/temperature", "temperature");
        spec.threshold = Threshold::above(28.0);
        let layouts = vec![ChartLayout {
            name: "Temperatures".into(),
            series: vec![spec],
        }];
        store.update("Demo", |e| e.charts = layouts.clone()).unwrap();
        store.flush();
        let (again, _) = ExtrasStore::load(dir.path());
        assert_eq!(again.get("Demo").charts, layouts);
        assert_eq!(again.get("Other"), ConnectionExtras::default());

        std::fs::write(dir.path().join(EXTRAS_FILE), "{not json").unwrap();
        let (empty, warning) = ExtrasStore::load(dir.path());
        assert!(empty.get("Demo").charts.is_empty());
        assert!(warning.unwrap().contains("kept as"));
    }

    #[test]
    fn the_bare_map_of_before_reads_and_a_newer_files_fields_survive() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(EXTRAS_FILE);
        std::fs::write(&path, r#"{"Demo": {"charts": [{"name": "Old", "series": []}]}}"#).unwrap();
        let (store, warning) = ExtrasStore::load(dir.path());
        assert!(warning.is_none(), "{warning:?}");
        assert_eq!(store.get("Demo").charts[0].name, "Old");

        std::fs::write(
            &path,
            r#"{"version": 4, "connections": {"Demo": {"charts": [], "pinned": ["a/b"]}}, "layout": {"split": 0.3}}"#,
        )
        .unwrap();
        let (mut store, warning) = ExtrasStore::load(dir.path());
        assert!(warning.is_none(), "{warning:?}");
        store
            .update("Lab", |e| {
                e.templates = vec![PublishTemplate {
                    name: "温度".into(),
                    topic: "lab/温度".into(),
                    payload: "21.5".into(),
                    format: Default::default(),
                    qos: 1,
                    retain: false,
                }]
            })
            .unwrap();
        store.flush();
        let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(saved["version"], 4, "a newer file keeps its version");
        assert_eq!(saved["layout"]["split"], 0.3);
        assert_eq!(saved["connections"]["Demo"]["pinned"][0], "a/b");
        assert_eq!(saved["connections"]["Lab"]["templates"].as_array().unwrap().len(), 1);
    }
}

//! Chart layouts of connections that have no saved profile (the demo, a
//! broker given on the command line), keyed by the connection's name, in
//! `charts.json` beside the profiles. Connections with a profile keep theirs
//! in the profile.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::model::ChartLayout;

pub const LAYOUTS_FILE: &str = "charts.json";

#[derive(Debug, Default)]
pub struct LayoutStore {
    path: PathBuf,
    layouts: BTreeMap<String, Vec<ChartLayout>>,
}

impl LayoutStore {
    /// Load from `dir`; empty when there is no file. A file that does not
    /// parse is moved aside and the message says where.
    pub fn load(dir: &Path) -> (Self, Option<String>) {
        let path = dir.join(LAYOUTS_FILE);
        let mut store = Self {
            path: path.clone(),
            layouts: BTreeMap::new(),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (store, None),
            Err(e) => {
                return (
                    store,
                    Some(format!("Chart layouts not loaded from {}: {e}.", path.display())),
                );
            }
        };
        match serde_json::from_str(&text) {
            Ok(layouts) => {
                store.layouts = layouts;
                (store, None)
            }
            Err(parse) => {
                let kept = match crate::files::move_aside(&path) {
                    Ok(backup) => format!("it was kept as {}", backup.display()),
                    Err(e) => format!("it could not be moved aside ({e})"),
                };
                (
                    store,
                    Some(format!(
                        "The chart layouts in {} could not be read ({parse}); {kept}.",
                        path.display()
                    )),
                )
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<&[ChartLayout]> {
        self.layouts.get(name).map(Vec::as_slice)
    }

    /// Remember the layouts of `name` and write the file (unless nothing changed).
    pub fn set(&mut self, name: &str, layouts: Vec<ChartLayout>) -> std::io::Result<()> {
        if self.layouts.get(name) == Some(&layouts) {
            return Ok(());
        }
        if layouts.is_empty() {
            self.layouts.remove(name);
        } else {
            self.layouts.insert(name.to_owned(), layouts);
        }
        let bytes = serde_json::to_vec_pretty(&self.layouts).map_err(std::io::Error::other)?;
        crate::files::write_atomic(&self.path, &bytes, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SeriesSpec, Threshold};

    #[test]
    fn round_trip_and_broken_file() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, warning) = LayoutStore::load(dir.path());
        assert!(warning.is_none());
        let mut spec = SeriesSpec::new("iot/+/temperature", "temperature");
        spec.threshold = Threshold::above(28.0);
        let layouts = vec![ChartLayout {
            name: "Temperatures".into(),
            series: vec![spec],
        }];
        store.set("Demo", layouts.clone()).unwrap();
        let (again, _) = LayoutStore::load(dir.path());
        assert_eq!(again.get("Demo"), Some(layouts.as_slice()));
        assert_eq!(again.get("Other"), None);

        std::fs::write(dir.path().join(LAYOUTS_FILE), "{not json").unwrap();
        let (empty, warning) = LayoutStore::load(dir.path());
        assert!(empty.get("Demo").is_none());
        assert!(warning.unwrap().contains("kept as"));
    }
}

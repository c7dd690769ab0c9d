//! App settings that are not about one broker: how much history to keep.
//! Stored as `settings.json` beside the profiles; a file that does not parse
//! is moved aside and reported, like the profiles file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::{DEFAULT_BYTE_BUDGET, DEFAULT_PER_TOPIC, DEFAULT_SERIES_POINTS, HistoryLimits};

pub const SETTINGS_FILE: &str = "settings.json";

/// The schema of settings.json this build writes. A file from a newer build
/// is read as far as this one understands it; the fields it does not know
/// are kept and written back unchanged, and its version is kept.
pub const SETTINGS_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Messages kept per topic.
    pub history_per_topic: usize,
    /// Memory for message history, shared by all topics, in MiB.
    pub history_budget_mib: usize,
    /// Points kept per chart series (16 bytes each).
    pub chart_points: usize,
    pub theme: Theme,
    /// Size of everything on screen, in percent.
    pub ui_scale_percent: u16,
    /// Where Home Assistant discovery configs are published.
    pub ha_prefix: String,
    /// Largest packet accepted, in MiB, for connections that do not set their own.
    pub max_packet_mib: usize,
    /// The file's schema (absent before version 1).
    pub version: u32,
    /// Fields written by a newer mqscope, kept as they were.
    #[serde(flatten)]
    pub unknown: std::collections::BTreeMap<String, serde_json::Value>,
}

/// Colours of the window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    #[default]
    Dark,
    Light,
    /// Follow the desktop's choice.
    System,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::Dark, Theme::Light, Theme::System];

    pub fn label(self) -> &'static str {
        match self {
            Theme::Dark => "Dark",
            Theme::Light => "Light",
            Theme::System => "Follow the system",
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            history_per_topic: DEFAULT_PER_TOPIC,
            history_budget_mib: DEFAULT_BYTE_BUDGET / (1024 * 1024),
            chart_points: DEFAULT_SERIES_POINTS,
            theme: Theme::Dark,
            ui_scale_percent: 100,
            ha_prefix: crate::model::ha::DEFAULT_PREFIX.to_owned(),
            max_packet_mib: *MAX_PACKET_MIB_RANGE.end(),
            version: SETTINGS_VERSION,
            unknown: std::collections::BTreeMap::new(),
        }
    }
}

pub const PER_TOPIC_RANGE: std::ops::RangeInclusive<usize> = 1..=1_000_000;
pub const BUDGET_MIB_RANGE: std::ops::RangeInclusive<usize> = 1..=1_048_576;
pub const CHART_POINTS_RANGE: std::ops::RangeInclusive<usize> = 100..=10_000_000;
pub const UI_SCALE_RANGE: std::ops::RangeInclusive<u16> = 50..=300;
/// MQTT's own limit is 256 MiB (less one byte).
pub const MAX_PACKET_MIB_RANGE: std::ops::RangeInclusive<usize> = 1..=256;

impl Settings {
    pub fn history_limits(&self) -> HistoryLimits {
        HistoryLimits {
            per_topic: self
                .history_per_topic
                .clamp(*PER_TOPIC_RANGE.start(), *PER_TOPIC_RANGE.end()),
            byte_budget: self
                .history_budget_mib
                .clamp(*BUDGET_MIB_RANGE.start(), *BUDGET_MIB_RANGE.end())
                .saturating_mul(1024 * 1024),
        }
    }

    /// Points kept per chart series, within range.
    pub fn chart_points(&self) -> usize {
        self.chart_points
            .clamp(*CHART_POINTS_RANGE.start(), *CHART_POINTS_RANGE.end())
    }

    /// The largest packet accepted, in bytes, for connections without their own limit.
    pub fn max_packet_bytes(&self) -> usize {
        self.max_packet_mib
            .clamp(*MAX_PACKET_MIB_RANGE.start(), *MAX_PACKET_MIB_RANGE.end())
            .saturating_mul(1024 * 1024)
            .min(crate::vocab::DEFAULT_MAX_PACKET_BYTES)
    }

    /// The zoom factor for egui, within range.
    pub fn zoom(&self) -> f32 {
        f32::from(
            self.ui_scale_percent
                .clamp(*UI_SCALE_RANGE.start(), *UI_SCALE_RANGE.end()),
        ) / 100.0
    }

    pub fn path(dir: &Path) -> PathBuf {
        dir.join(SETTINGS_FILE)
    }

    /// Load from `dir`; defaults when there is no file. The message, if any, is for the user.
    pub fn load(dir: &Path) -> (Self, Option<String>) {
        let path = Self::path(dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Self::default(), None),
            Err(e) => {
                return (
                    Self::default(),
                    Some(format!("Settings not loaded from {}: {e}.", path.display())),
                );
            }
        };
        let parsed = serde_json::from_str::<serde_json::Value>(&text).and_then(|value| {
            // A file from before the version field is version 0.
            let versioned = value.get("version").is_some();
            serde_json::from_value::<Self>(value).map(|mut s| {
                if !versioned {
                    s.version = 0;
                }
                s
            })
        });
        match parsed {
            Ok(settings) => (settings, None),
            Err(parse) => {
                let parse = crate::files::json_error(&parse);
                let kept = match crate::files::move_aside(&path) {
                    Ok(backup) => format!("it was kept as {}", backup.display()),
                    Err(e) => format!("it could not be moved aside ({e})"),
                };
                (
                    Self::default(),
                    Some(format!(
                        "Your settings file {} could not be read ({parse}); {kept}. Using the defaults.",
                        path.display()
                    )),
                )
            }
        }
    }

    /// Save to `dir` through `writer` (off the UI thread).
    pub fn save(&self, dir: &Path, writer: &crate::files::BackgroundWriter) -> std::io::Result<()> {
        // A newer file keeps its version (its fields are kept too).
        let file = Self {
            version: self.version.max(SETTINGS_VERSION),
            ..self.clone()
        };
        let json = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
        writer.write(&Self::path(dir), json, false, "your settings");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_load_and_corrupt_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Settings::load(dir.path()), (Settings::default(), None));
        let s = Settings {
            history_per_topic: 50,
            history_budget_mib: 64,
            chart_points: 5_000,
            theme: Theme::Light,
            ui_scale_percent: 125,
            ha_prefix: "ha".into(),
            max_packet_mib: 2,
            ..Settings::default()
        };
        let writer = crate::files::BackgroundWriter::new();
        s.save(dir.path(), &writer).unwrap();
        writer.flush();
        assert_eq!(Settings::load(dir.path()), (s.clone(), None));
        assert_eq!(s.history_limits().byte_budget, 64 * 1024 * 1024);
        assert_eq!(s.chart_points(), 5_000);
        assert_eq!(s.zoom(), 1.25);
        assert_eq!(s.max_packet_bytes(), 2 * 1024 * 1024);
        assert_eq!(
            Settings::default().max_packet_bytes(),
            crate::vocab::DEFAULT_MAX_PACKET_BYTES,
            "256 MiB is one byte past MQTT's limit"
        );

        // A file from before chart_points existed loads with the default ring.
        std::fs::write(
            Settings::path(dir.path()),
            r#"{"history_per_topic": 10, "history_budget_mib": 8}"#,
        )
        .unwrap();
        assert_eq!(Settings::load(dir.path()).0.chart_points(), DEFAULT_SERIES_POINTS);

        // Written by a newer build: what this one does not know survives a save.
        std::fs::write(
            Settings::path(dir.path()),
            r#"{"version": 7, "theme": "Light", "hologram_mode": {"depth": 3}}"#,
        )
        .unwrap();
        let (mut newer, warning) = Settings::load(dir.path());
        assert!(warning.is_none());
        assert_eq!(newer.theme, Theme::Light);
        newer.ui_scale_percent = 150;
        newer.save(dir.path(), &writer).unwrap();
        writer.flush();
        let saved: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(Settings::path(dir.path())).unwrap()).unwrap();
        assert_eq!(saved["hologram_mode"]["depth"], 3);
        assert_eq!(saved["version"], 7);
        assert_eq!(saved["ui_scale_percent"], 150);

        std::fs::write(Settings::path(dir.path()), "{ nope").unwrap();
        let (loaded, warning) = Settings::load(dir.path());
        assert_eq!(loaded, Settings::default());
        assert!(warning.unwrap().contains("kept as"));
        assert!(
            !Settings::path(dir.path()).exists(),
            "moved aside, not left to be overwritten"
        );
    }
}

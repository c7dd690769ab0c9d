//! What the window keeps between runs in eframe's storage (its `app.ron`):
//! the profile connected to last, the tree topics left expanded (by
//! connection name), which foldable panels are open and the folder a file
//! was last read from or written to. Profile data lives in the profile files, not here.

use super::*;
use crate::session::Session;

/// eframe storage key of the expanded tree topics, by connection name.
const EXPANDED_KEY: &str = "expanded_topics";
/// eframe storage key of the profile connected to last.
const LAST_PROFILE_KEY: &str = "last_profile";
/// eframe storage key of which foldable panels are open.
const PANELS_KEY: &str = "panels";
/// eframe storage key of the folder a file was last read from or written to.
const FOLDER_KEY: &str = "last_folder";

impl MqscopeApp {
    /// Put what the next run restores into eframe's storage (at exit).
    pub(super) fn keep(&mut self, storage: &mut dyn eframe::Storage) {
        storage.set_string(LAST_PROFILE_KEY, self.last_profile.clone().unwrap_or_default());
        let expanded = self.expanded_memory();
        storage.set_string(EXPANDED_KEY, expanded);
        storage.set_string(PANELS_KEY, serde_json::to_string(&self.panels).unwrap_or_default());
        if let Some(folder) = self.start_folder() {
            storage.set_string(FOLDER_KEY, folder.display().to_string());
        }
    }

    /// Where the next file window starts: the folder of the file named last,
    /// in a window or a file chooser.
    pub(super) fn start_folder(&self) -> Option<std::path::PathBuf> {
        self.last_folder
            .clone()
            .or_else(|| self.ctx.as_ref().and_then(crate::ui::file_chooser::start_folder))
    }

    /// The profile connected to last, if any.
    pub fn last_profile(&self) -> Option<&str> {
        self.last_profile.as_deref()
    }

    /// What an earlier run's `save` left in eframe's storage: the profile
    /// used last and the expanded tree topics (called once, at start).
    pub fn restore(&mut self, storage: &dyn eframe::Storage) {
        self.last_profile = storage.get_string(LAST_PROFILE_KEY).filter(|name| !name.is_empty());
        if let Some(folder) = storage.get_string(FOLDER_KEY).filter(|f| !f.is_empty()) {
            self.last_folder = Some(folder.into());
        }
        if let Some(panels) = storage
            .get_string(PANELS_KEY)
            .and_then(|json| serde_json::from_str(&json).ok())
        {
            self.panels = panels;
        }
        if let Some(expanded) = storage.get_string(EXPANDED_KEY) {
            self.set_expanded_memory(&expanded);
        }
    }

    /// Expanded tree topics by connection, as eframe's storage keeps them (JSON).
    pub(super) fn expanded_memory(&mut self) -> String {
        for session in &self.sessions {
            let topics = session.tree.expanded_topics(&session.model.tree);
            self.expanded_memory.remember(session.name(), topics);
        }
        serde_json::to_string(&self.expanded_memory).unwrap_or_default()
    }

    /// Expanded tree topics of an earlier run (JSON from eframe's storage);
    /// a connection opened later under one of these names opens them as they appear.
    pub(super) fn set_expanded_memory(&mut self, json: &str) {
        self.expanded_memory = serde_json::from_str(json).unwrap_or_default();
        for session in &mut self.sessions {
            if let Some(topics) = self.expanded_memory.get(session.name()) {
                session.tree.restore_expanded(topics.clone());
            }
        }
    }

    pub(super) fn remember_expanded(&mut self, session: &Session) {
        let topics = session.tree.expanded_topics(&session.model.tree);
        self.expanded_memory.remember(session.name(), topics);
    }
}

/// The file an action reads or writes, as the user named it.
pub(super) fn named_file(action: &Action) -> Option<&std::path::Path> {
    match action {
        Action::Connection(
            ConnectionAction::StartRecording(path)
            | ConnectionAction::ExportMessages { path, .. }
            | ConnectionAction::ExportCsv { path, .. },
        ) => Some(path),
        Action::Window(
            crate::ui::WindowAction::SaveFile { path, .. }
            | crate::ui::WindowAction::OpenRecording { path, .. }
            | crate::ui::WindowAction::ImportProfiles(path)
            | crate::ui::WindowAction::ExportProfiles { path, .. },
        ) => Some(path),
        _ => None,
    }
}

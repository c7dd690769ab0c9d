//! "Browse…" beside a path field: the desktop's own file chooser (the XDG
//! desktop portal, else zenity, through rfd), run off the UI thread. The
//! field stays: a typed path always works, with or without a chooser.
//!
//! The folder a file was last read from or written to is kept in egui's
//! memory ([`set_start_folder`]), so every file field starts there.

use std::path::{Path, PathBuf};

/// What the chooser is for: a file that must exist, or a file to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Open,
    Save,
}

/// What came back from a chooser.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Chosen {
    File(PathBuf),
    /// The chooser closed without a file.
    Cancelled,
    /// No chooser answered: no portal on the session bus and no zenity.
    NoChooser,
}

/// One "Browse…" button's state: the chooser open in the background, if any,
/// and what to say when none could open.
#[derive(Debug)]
pub struct Browse {
    job: crate::jobs::Latest<Chosen>,
    ticket: Option<u64>,
    problem: Option<String>,
}

impl Default for Browse {
    fn default() -> Self {
        Self {
            job: crate::jobs::Latest::new("file-chooser"),
            ticket: None,
            problem: None,
        }
    }
}

/// The Browse… button's width, the same while a chooser is open.
const BUTTON_WIDTH: f32 = 96.0;

/// A file type the chooser offers: its name and extensions (no dots).
pub type Filter = (&'static str, &'static [&'static str]);

impl Browse {
    /// Whether a chooser is open (its button is disabled meanwhile).
    pub fn is_open(&self) -> bool {
        self.ticket.is_some()
    }

    /// The "Browse…" button. A file chosen replaces `path` (returns true that
    /// frame). The chooser starts in the folder of `path` when it names one,
    /// else where the last file was; a Save chooser also offers its file name.
    pub fn button(
        &mut self,
        ui: &mut egui::Ui,
        path: &mut String,
        purpose: Purpose,
        title: &str,
        filters: &[Filter],
    ) -> bool {
        let mut changed = false;
        if let Some(ticket) = self.ticket
            && let Some(result) = self.job.take(ticket)
        {
            self.ticket = None;
            match result {
                Ok(Chosen::File(file)) => {
                    *path = file.display().to_string();
                    set_start_folder(ui.ctx(), file.parent().unwrap_or(Path::new("")));
                    self.problem = None;
                    changed = true;
                }
                Ok(Chosen::Cancelled) => {}
                Ok(Chosen::NoChooser) => {
                    self.problem = Some(
                        "No file chooser answered (this desktop has neither the XDG desktop portal nor zenity): type the path instead."
                            .to_owned(),
                    );
                }
                Err(e) => self.problem = Some(format!("The file chooser failed: {e}")),
            }
        }
        // One button, as wide either way: the window around it keeps its size.
        let width = egui::vec2(BUTTON_WIDTH, 0.0);
        if self.is_open() {
            // A chooser that never answers (a hung portal) must not hold the
            // button for good: its answer, if it ever comes, is not used.
            if ui
                .add(egui::Button::new("Stop waiting").min_size(width))
                .on_hover_text("The file chooser is open. Stop waiting for it, and type the path instead")
                .clicked()
            {
                self.forget();
            }
            return changed;
        }
        let response = ui
            .add(egui::Button::new("Browse…").min_size(width))
            .on_hover_text("Choose the file in your desktop's file chooser");
        if response.clicked() {
            let path = path.clone();
            let remembered = start_folder(ui.ctx());
            let title = title.to_owned();
            let filters: Vec<(String, Vec<String>)> = filters
                .iter()
                .map(|(n, exts)| ((*n).to_owned(), exts.iter().map(|e| (*e).to_owned()).collect()))
                .collect();
            let ctx = ui.ctx().clone();
            self.problem = None;
            self.ticket = Some(self.job.submit(
                move || {
                    // On the chooser's thread: the typed folder may be a dead mount.
                    let (folder, name) = start_of(&path, remembered);
                    choose(purpose, &title, folder, name, &filters)
                },
                move || ctx.request_repaint(),
            ));
        }
        changed
    }

    /// Drop the chooser that is open, if any: what it answers is not used
    /// (its row closed, or the user stopped waiting). The next Browse… opens
    /// a new one on a thread of its own.
    pub fn forget(&mut self) {
        if self.is_open() {
            *self = Self::default();
        }
    }

    /// Whether [`Self::problem_ui`] has something to say.
    pub fn has_problem(&self) -> bool {
        self.problem.is_some()
    }

    /// Why the last Browse… did nothing, if it did not (drawn where the caller wants it).
    pub fn problem_ui(&self, ui: &mut egui::Ui) {
        if let Some(problem) = &self.problem {
            ui.label(egui::RichText::new(problem).color(super::style::warning_text()));
        }
    }
}

/// The folder and file name a chooser starts with: those of `path` when it
/// has a folder that exists, else the remembered folder, or the nearest
/// folder above it that still exists (it may have been deleted since).
fn start_of(path: &str, remembered: Option<PathBuf>) -> (Option<PathBuf>, Option<String>) {
    let remembered = remembered.and_then(|folder| folder.ancestors().find(|f| f.is_dir()).map(Path::to_path_buf));
    let path = Path::new(path.trim());
    let name = path
        .file_name()
        .filter(|_| !path.is_dir())
        .map(|n| n.to_string_lossy().into_owned());
    let folder = if path.is_dir() {
        Some(path.to_path_buf())
    } else {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty() && p.is_dir())
            .map(Path::to_path_buf)
    };
    (folder.or(remembered), name)
}

/// Runs on the chooser's own thread: opens the chooser and waits for it.
fn choose(
    purpose: Purpose,
    title: &str,
    folder: Option<PathBuf>,
    name: Option<String>,
    filters: &[(String, Vec<String>)],
) -> Chosen {
    let mut dialog = rfd::FileDialog::new().set_title(title);
    for (filter, extensions) in filters {
        dialog = dialog.add_filter(filter, extensions);
    }
    if portal_on_bus() {
        if let Some(folder) = folder {
            dialog = dialog.set_directory(folder);
        }
        if let (Purpose::Save, Some(name)) = (purpose, name) {
            dialog = dialog.set_file_name(name);
        }
    } else {
        // rfd falls back to zenity, which takes neither a title nor a
        // folder, only `--filename`: a folder ending in '/' starts there,
        // a whole path also offers the name.
        let start = match (folder, name) {
            (Some(folder), Some(name)) if purpose == Purpose::Save => Some(folder.join(name).display().to_string()),
            (Some(folder), _) => Some(format!("{}/", folder.display())),
            (None, Some(name)) if purpose == Purpose::Save => Some(name),
            (None, _) => None,
        };
        if let Some(start) = start {
            dialog = dialog.set_file_name(start);
        }
    }
    let file = match purpose {
        Purpose::Open => dialog.pick_file(),
        Purpose::Save => dialog.save_file(),
    };
    match file {
        Some(file) => Chosen::File(file),
        None if zenity_on_path() || portal_on_bus() => Chosen::Cancelled,
        None => Chosen::NoChooser,
    }
}

fn zenity_on_path() -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join("zenity").is_file()))
}

/// Whether the desktop portal is on the session bus, running or startable
/// (rfd asks it first, then falls back to zenity).
fn portal_on_bus() -> bool {
    const PORTAL: &str = "org.freedesktop.portal.Desktop";
    let Ok(bus) = zbus::blocking::Connection::session() else {
        return false;
    };
    let Ok(proxy) = zbus::blocking::fdo::DBusProxy::new(&bus) else {
        return false;
    };
    let has = |names: zbus::fdo::Result<Vec<zbus::names::OwnedBusName>>| {
        names.is_ok_and(|names| names.iter().any(|n| n.as_str() == PORTAL))
    };
    has(proxy.list_names()) || has(proxy.list_activatable_names())
}

fn folder_id() -> egui::Id {
    egui::Id::unique("mqscope-last-folder")
}

/// Where the next file field starts: the folder a file was last read from or
/// written to (the app sets it; see `app::memory`).
pub fn set_start_folder(ctx: &egui::Context, folder: &Path) {
    if folder.as_os_str().is_empty() {
        return;
    }
    let folder = folder.to_path_buf();
    ctx.data_mut(|d| d.insert_temp(folder_id(), folder));
}

/// The folder set by [`set_start_folder`], if any.
pub fn start_folder(ctx: &egui::Context) -> Option<PathBuf> {
    ctx.data(|d| d.get_temp::<PathBuf>(folder_id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chooser_starts_in_the_fields_folder_else_the_remembered_one() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("capture.ndjson");
        let remembered = Some(dir.path().join("录音"));
        std::fs::create_dir(dir.path().join("录音")).unwrap();
        // A file in a folder that exists: that folder, and its name to save as.
        assert_eq!(
            start_of(&file.display().to_string(), remembered.clone()),
            (Some(dir.path().to_path_buf()), Some("capture.ndjson".into()))
        );
        // A folder: start in it, no name.
        assert_eq!(
            start_of(&dir.path().display().to_string(), remembered.clone()),
            (Some(dir.path().to_path_buf()), None)
        );
        // A folder that does not exist, or an empty field: the remembered one.
        assert_eq!(
            start_of("/no/such/folder/x.csv", remembered.clone()),
            (remembered.clone(), Some("x.csv".into()))
        );
        assert_eq!(start_of("  ", remembered.clone()), (remembered.clone(), None));
        // A remembered folder deleted since: the nearest folder above it.
        std::fs::remove_dir(dir.path().join("录音")).unwrap();
        assert_eq!(start_of("", remembered), (Some(dir.path().to_path_buf()), None));
    }
}

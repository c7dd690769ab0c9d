//! Saved broker profiles: one JSON file in the user's config folder
//! (`MQSCOPE_CONFIG_DIR` overrides it). Writes are atomic (temp file, then
//! rename). A file that does not parse is never overwritten: it is moved aside
//! as a backup and the user is told where. A password is written only when the
//! user chose to keep it in the file for that profile, and then the file is
//! 0600; otherwise it is in the system keyring or asked at each connect.
//!
//! The file carries a schema version. An older file is migrated step by step
//! when read (the original kept beside it as `profiles.v<N>.json`); a newer
//! one is read as far as this version understands it and never overwritten.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::ChartLayout;
use crate::publish::PublishTemplate;
use crate::secret::Secret;
use crate::secret_store::PasswordStorage;
use crate::vocab::{
    ConnectionSpec, DEFAULT_KEEPALIVE_S, DEFAULT_MAX_INFLIGHT, DEFAULT_MAX_PACKET_BYTES, DEFAULT_PORT, LastWill,
    ProtocolVersion, Subscription, TlsSettings, Transport,
};

mod extras;
mod import;
mod mqttx_formats;
pub use extras::{ConnectionExtras, EXTRAS_FILE, ExtrasStore};
pub use import::{EmbeddedFile, EmbeddedKind, ImportReport, ImportSource, export, import, save_embedded, unique_name};

pub const CONFIG_DIR_ENV: &str = "MQSCOPE_CONFIG_DIR";
pub const PROFILES_FILE: &str = "profiles.json";
pub const SCHEMA_VERSION: u32 = 2;

/// Step `i` turns a file of version `i + 1` into version `i + 2`.
const MIGRATIONS: [fn(&mut serde_json::Value); (SCHEMA_VERSION - 1) as usize] = [v1_to_v2];

/// Bring a profiles file (or an export) of any older schema to this one; the
/// schema it had is returned. A newer one is left as it is.
fn migrate(file: &mut serde_json::Value) -> u32 {
    let version = file
        .get("version")
        .and_then(|v| v.as_u64())
        .map_or(1, |v| u32::try_from(v).unwrap_or(u32::MAX))
        .max(1);
    for step in MIGRATIONS.iter().skip(version as usize - 1) {
        step(file);
    }
    version
}

/// Version 2 replaced `save_password: bool` with `password_storage`
/// (`ask`, `keyring` or `file`): a saved password stays in the file.
fn v1_to_v2(file: &mut serde_json::Value) {
    let Some(profiles) = file.get_mut("profiles").and_then(|p| p.as_array_mut()) else {
        return;
    };
    for profile in profiles.iter_mut().filter_map(|p| p.as_object_mut()) {
        let saved = profile
            .remove("save_password")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        let storage = if saved { "file" } else { "ask" };
        profile.insert("password_storage".into(), storage.into());
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Profile {
    pub name: String,
    pub host: String,
    pub port: u16,
    /// Empty means a generated `mqscope-<random>` id at each connect.
    pub client_id: String,
    pub username: String,
    /// Written to the file only when `password_storage` is `File`; otherwise
    /// in memory only, on its way to the keyring or to a connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// Where the password and the key passphrase are kept.
    pub password_storage: PasswordStorage,
    /// Opens an encrypted client key; kept like the password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_passphrase: Option<Secret>,
    pub keepalive_s: u16,
    pub clean_session: bool,
    pub subscriptions: Vec<Subscription>,
    pub protocol: ProtocolVersion,
    pub transport: Transport,
    /// WebSockets path (ws/wss only).
    pub ws_path: String,
    pub tls: TlsSettings,
    /// MQTT 5 session expiry in seconds (0 = ends with the connection).
    pub session_expiry_s: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub will: Option<LastWill>,
    pub max_inflight: u16,
    pub max_packet_bytes: usize,
    /// Chart tabs, their series and threshold rules, restored at each connect.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub charts: Vec<ChartLayout>,
    /// Named publish forms.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<PublishTemplate>,
    /// Groups connections in the menu ("Customers/ACME"); empty: none.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub folder: String,
}

impl Default for Profile {
    fn default() -> Self {
        Self {
            name: "Local Mosquitto".to_owned(),
            host: "localhost".to_owned(),
            port: DEFAULT_PORT,
            client_id: String::new(),
            username: String::new(),
            password: None,
            password_storage: PasswordStorage::Ask,
            key_passphrase: None,
            keepalive_s: DEFAULT_KEEPALIVE_S,
            clean_session: true,
            subscriptions: vec![Subscription::new("#")],
            protocol: ProtocolVersion::V311,
            transport: Transport::Tcp,
            ws_path: "/mqtt".to_owned(),
            tls: TlsSettings::default(),
            session_expiry_s: 0,
            will: None,
            max_inflight: DEFAULT_MAX_INFLIGHT,
            max_packet_bytes: 0,
            charts: Vec::new(),
            templates: Vec::new(),
            folder: String::new(),
        }
    }
}

impl Profile {
    /// The connection this profile describes; `password` and `passphrase`
    /// (from the keyring or a prompt) override the saved ones.
    pub fn to_spec(&self, password: Option<Secret>, passphrase: Option<Secret>) -> ConnectionSpec {
        let mut spec = ConnectionSpec::new(self.host.trim(), self.port);
        spec.name = self.name.clone();
        spec.client_id = self.client_id.trim().to_owned();
        spec.username = (!self.username.is_empty()).then(|| self.username.clone());
        spec.password = password.or_else(|| self.password.clone());
        spec.keepalive_s = self.keepalive_s;
        spec.clean_session = self.clean_session;
        spec.subscriptions = if self.subscriptions.is_empty() {
            vec![Subscription::new("#")]
        } else {
            self.subscriptions.clone()
        };
        spec.protocol = self.protocol;
        spec.transport = self.transport;
        spec.ws_path = self.ws_path.clone();
        spec.tls = self.tls.clone();
        spec.tls.key_passphrase = passphrase.or_else(|| self.key_passphrase.clone());
        spec.session_expiry_s = self.session_expiry_s;
        spec.will = self.will.clone().filter(|w| !w.topic.trim().is_empty());
        spec.max_inflight = self.max_inflight.max(1);
        // 0: the app's setting, filled in at connect.
        spec.max_packet_bytes = self.max_packet_bytes.min(DEFAULT_MAX_PACKET_BYTES);
        spec
    }

    /// Problems that would stop a connection, in the words of the form.
    pub fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("Give the profile a name.".into());
        }
        if self.host.trim().is_empty() {
            return Err("Enter the broker's host name or address.".into());
        }
        if self.port == 0 {
            return Err("The port must be between 1 and 65535.".into());
        }
        for sub in &self.subscriptions {
            crate::vocab::topic::validate_filter(&sub.filter)
                .map_err(|e| format!("Subscription '{}': {e}", sub.filter))?;
        }
        if let Some(will) = &self.will {
            crate::vocab::topic::validate_topic(&will.topic).map_err(|e| format!("Last Will topic: {e}"))?;
        }
        if self.tls.client_cert.is_some() != self.tls.client_key.is_some() {
            return Err("A client certificate and its key go together: give both files, or neither.".into());
        }
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct ProfilesFile {
    /// Absent in a hand-written file: read as version 1 (`migrate`).
    #[serde(default)]
    version: u32,
    profiles: Vec<Profile>,
}

/// What `ProfilesFile` reads, written without copying the profiles.
#[derive(Serialize)]
struct ProfilesFileRef<'a> {
    version: u32,
    profiles: &'a [Profile],
}

/// The entries of a profiles file that read, and a note per entry that does
/// not ("profile 3 ('plant'): …"), when the file is JSON with a list of
/// profiles but not every entry is one. Notes never quote a value.
fn salvage(text: &str) -> Option<(u32, Vec<Profile>, Vec<String>)> {
    let mut file: serde_json::Value = serde_json::from_str(text).ok()?;
    // Without a version it is not a file of ours to read entry by entry.
    file.get("version")?.as_u64()?;
    let version = migrate(&mut file);
    let entries = file.get("profiles")?.as_array()?;
    let mut profiles: Vec<Profile> = Vec::new();
    let mut broken = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        match serde_json::from_value::<Profile>(entry.clone()) {
            Ok(profile) if !profiles.iter().any(|p| p.name == profile.name) => profiles.push(profile),
            Ok(profile) => broken.push(format!(
                "profile {} ('{}'): a second profile of that name",
                i + 1,
                profile.name
            )),
            Err(e) => {
                let name = entry
                    .get("name")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("without a name");
                broken.push(format!(
                    "profile {} ('{name}'): {}",
                    i + 1,
                    crate::files::json_error(&e)
                ));
            }
        }
    }
    Some((version, profiles, broken))
}

#[derive(Debug, thiserror::Error)]
pub enum ProfilesError {
    #[error("could not read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("could not save profiles to {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("there is no profile named '{0}'")]
    NotFound(String),
    #[error("a profile named '{0}' already exists")]
    Duplicate(String),
    #[error(
        "{path} was written by a newer mqscope (schema {version}; this one knows {SCHEMA_VERSION}), so changes are not saved over it"
    )]
    Newer { path: PathBuf, version: u32 },
}

/// The profiles on disk and in memory.
#[derive(Debug)]
pub struct ProfileStore {
    dir: PathBuf,
    profiles: Vec<Profile>,
    /// The file's schema, when it is newer than this build's: it is not written.
    newer: Option<u32>,
    /// Saves happen here, off the UI thread.
    writer: crate::files::BackgroundWriter,
}

impl ProfileStore {
    /// The config folder: `$MQSCOPE_CONFIG_DIR`, else the platform's (e.g. `~/.config/mqscope`).
    pub fn default_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
            return PathBuf::from(dir);
        }
        directories::ProjectDirs::from("dev", "mqscope", "mqscope")
            .map(|d| d.config_dir().to_path_buf())
            .unwrap_or_else(|| PathBuf::from(".mqscope"))
    }

    /// Load from `dir`. A missing file is an empty list. A file that does not
    /// parse is moved aside, and the returned message says so and where. An
    /// older schema is migrated (and the original kept); a newer one is read
    /// but not written.
    pub fn load(dir: &Path) -> (Self, Option<String>) {
        Self::load_with(dir, crate::files::BackgroundWriter::new())
    }

    /// [`Self::load`], saving through `writer` (the app's, which is
    /// read-only when another instance holds the folder: then an older file
    /// is read and migrated in memory, not rewritten).
    pub fn load_with(dir: &Path, writer: crate::files::BackgroundWriter) -> (Self, Option<String>) {
        let path = dir.join(PROFILES_FILE);
        let mut store = Self {
            dir: dir.to_path_buf(),
            profiles: Vec::new(),
            newer: None,
            writer,
        };
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (store, None),
            Err(source) => {
                let err = ProfilesError::Read { path, source };
                return (store, Some(format!("Profiles not loaded: {err}.")));
            }
        };
        let parsed = serde_json::from_str::<serde_json::Value>(&text).and_then(|mut file| {
            let version = migrate(&mut file);
            serde_json::from_value::<ProfilesFile>(file).map(|f| (version, f.profiles))
        });
        match parsed {
            Ok((version, profiles)) => {
                store.profiles = profiles;
                if version > SCHEMA_VERSION {
                    store.newer = Some(version);
                    let err = ProfilesError::Newer { path, version };
                    return (store, Some(format!("Your profiles are shown, but {err}.")));
                }
                if version < SCHEMA_VERSION {
                    return store.migrated(&path, version, &text);
                }
                (store, None)
            }
            Err(parse) => {
                let parse = crate::files::json_error(&parse);
                // Valid JSON with a broken entry: keep every entry that reads.
                let salvaged = salvage(&text);
                let kept = match store.writer.read_only_reason() {
                    // Nothing is written from here (another window, or only a look): left as it is.
                    Some(why) => format!("It was left as it is ({why})"),
                    None => match crate::files::move_aside(&path) {
                        Ok(backup) => format!("It was kept as {}", backup.display()),
                        Err(e) => format!("It could not be moved aside ({e}) and was left as it is"),
                    },
                };
                // Only once the file as it was is safe (aside, or never written over):
                // saving writes the readable entries only.
                let moved = kept.starts_with("It was kept") || store.writer.is_read_only();
                let message = match salvaged {
                    Some((version, profiles, broken)) if moved && !profiles.is_empty() => {
                        let n = profiles.len();
                        store.profiles = profiles;
                        if version > SCHEMA_VERSION {
                            // A newer file: shown, never rewritten in our older format.
                            store.newer = Some(version);
                        }
                        format!(
                            "{} of your profiles in {} could not be read and {} left out ({}). {kept}; the other {n} {} loaded.",
                            broken.len(),
                            path.display(),
                            if broken.len() == 1 { "is" } else { "are" },
                            broken.join("; "),
                            if n == 1 { "is" } else { "are" },
                        )
                    }
                    _ => format!(
                        "Your profiles file {} could not be read ({parse}). {kept}; mqscope starts with no profiles and will not overwrite it.",
                        path.display()
                    ),
                };
                tracing::warn!("{message}");
                (store, Some(message))
            }
        }
    }

    /// Keep the file of schema `version` as `profiles.v<version>.json` (once),
    /// then write the migrated profiles. A failure is the returned warning.
    fn migrated(self, path: &Path, version: u32, original: &str) -> (Self, Option<String>) {
        let backup = self.dir.join(format!("profiles.v{version}.json"));
        if let Some(why) = self.writer.read_only_reason() {
            let warning = format!(
                "Your profiles in {} were read from an older format but not rewritten: {why}.",
                path.display()
            );
            return (self, Some(warning));
        }
        let kept = if backup.exists() {
            Ok(())
        } else {
            crate::files::write_atomic(&backup, original.as_bytes(), true)
        };
        // At start-up, before any frame: written here, so a failure is said now.
        let outcome = kept
            .map_err(|e| format!("the original could not be kept as {} ({e})", backup.display()))
            .and_then(|()| {
                self.file_bytes()
                    .and_then(|json| crate::files::write_atomic(path, &json, true))
                    .map_err(|e| e.to_string())
            });
        match outcome {
            Ok(()) => {
                tracing::info!("profiles migrated from schema {version} to {SCHEMA_VERSION}");
                (self, None)
            }
            Err(e) => {
                let warning = format!(
                    "Your profiles in {} were read from an older format but not rewritten: {e}.",
                    path.display()
                );
                (self, Some(warning))
            }
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(PROFILES_FILE)
    }

    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// Add or replace the profile called `previous_name` (or `profile.name` when
    /// new), then save.
    pub fn upsert(&mut self, previous_name: Option<&str>, profile: Profile) -> Result<(), ProfilesError> {
        let existing = previous_name.and_then(|old| self.profiles.iter().position(|p| p.name == old));
        if self
            .profiles
            .iter()
            .enumerate()
            .any(|(i, p)| p.name == profile.name && Some(i) != existing)
        {
            return Err(ProfilesError::Duplicate(profile.name));
        }
        let mut profile = profile;
        if profile.password_storage != PasswordStorage::File {
            profile.password = None;
            profile.key_passphrase = None;
        }
        match existing {
            Some(i) => self.profiles[i] = profile,
            None => self.profiles.push(profile),
        }
        self.save()
    }

    /// Add imported profiles, each renamed when its name is taken ("Plant
    /// (2)"), and save once. Returns a note per renamed profile. O(profiles),
    /// however many there are.
    pub fn add_all(&mut self, profiles: Vec<Profile>) -> Result<Vec<String>, ProfilesError> {
        if let Some(version) = self.newer {
            return Err(ProfilesError::Newer {
                path: self.path(),
                version,
            });
        }
        let mut taken: std::collections::HashSet<String> = self.profiles.iter().map(|p| p.name.clone()).collect();
        // The next number to try per name, so a thousand "Plant"s do not probe from 2 each time.
        let mut next: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let mut notes = Vec::new();
        for mut profile in profiles {
            if taken.contains(&profile.name) {
                let from = next.entry(profile.name.clone()).or_insert(2);
                let name = (*from..)
                    .map(|i| format!("{} ({i})", profile.name))
                    .find(|n| !taken.contains(n))
                    .unwrap_or_default();
                *from += 1;
                notes.push(format!(
                    "'{}' is imported as '{name}': the name was taken",
                    profile.name
                ));
                profile.name = name;
            }
            taken.insert(profile.name.clone());
            if profile.password_storage != PasswordStorage::File {
                profile.password = None;
                profile.key_passphrase = None;
            }
            self.profiles.push(profile);
        }
        self.save()?;
        Ok(notes)
    }

    /// Save the chart layouts of the profile called `name`. `Ok(false)` when
    /// there is no such profile.
    pub fn set_charts(&mut self, name: &str, charts: Vec<ChartLayout>) -> Result<bool, ProfilesError> {
        let Some(profile) = self.profiles.iter_mut().find(|p| p.name == name) else {
            return Ok(false);
        };
        if profile.charts == charts {
            return Ok(true);
        }
        profile.charts = charts;
        self.save().map(|()| true)
    }

    /// Save the publish templates of the profile called `name`. `Ok(false)`
    /// when there is no such profile.
    pub fn set_templates(&mut self, name: &str, templates: Vec<PublishTemplate>) -> Result<bool, ProfilesError> {
        let Some(profile) = self.profiles.iter_mut().find(|p| p.name == name) else {
            return Ok(false);
        };
        if profile.templates == templates {
            return Ok(true);
        }
        profile.templates = templates;
        self.save().map(|()| true)
    }

    /// Move a profile one place up (`-1`) or down (`1`) in the list, and save.
    pub fn shift(&mut self, name: &str, by: isize) -> Result<(), ProfilesError> {
        let i = self
            .profiles
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| ProfilesError::NotFound(name.to_owned()))?;
        let j = i.saturating_add_signed(by).min(self.profiles.len() - 1);
        if i == j {
            return Ok(());
        }
        self.profiles.swap(i, j);
        self.save()
    }

    /// The profiles by folder: ("", the ones without), then each folder by name; list order kept inside.
    pub fn by_folder(&self) -> Vec<(&str, Vec<&Profile>)> {
        let mut folders: Vec<(&str, Vec<&Profile>)> = Vec::new();
        for p in &self.profiles {
            let folder = p.folder.trim();
            match folders.iter_mut().find(|(f, _)| *f == folder) {
                Some((_, list)) => list.push(p),
                None => folders.push((folder, vec![p])),
            }
        }
        folders.sort_by(|a, b| (!a.0.is_empty(), a.0).cmp(&(!b.0.is_empty(), b.0)));
        folders
    }

    pub fn delete(&mut self, name: &str) -> Result<(), ProfilesError> {
        let i = self
            .profiles
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| ProfilesError::NotFound(name.to_owned()))?;
        self.profiles.remove(i);
        self.save()
    }

    /// Write atomically (temp file + rename), readable by the owner only:
    /// saved passwords are plain text by the user's choice. The write itself
    /// happens on the writer's thread; a failure there comes back through
    /// [`Self::take_write_errors`].
    fn save(&self) -> Result<(), ProfilesError> {
        let path = self.path();
        if let Some(version) = self.newer {
            return Err(ProfilesError::Newer { path, version });
        }
        let json = self.file_bytes().map_err(|source| ProfilesError::Write {
            path: path.clone(),
            source,
        })?;
        self.writer.write(&path, json, true, "your profiles");
        Ok(())
    }

    /// The profiles file as written.
    fn file_bytes(&self) -> std::io::Result<Vec<u8>> {
        let file = ProfilesFileRef {
            version: SCHEMA_VERSION,
            profiles: &self.profiles,
        };
        serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)
    }

    /// The names of the profiles in `dir` and what is wrong with the file,
    /// read without changing anything there (no migration written, nothing
    /// moved aside). For the command line's checks.
    pub fn peek(dir: &Path) -> (Vec<String>, Option<String>) {
        let (store, warning) = Self::load_with(dir, crate::files::BackgroundWriter::read_only("only looked at".into()));
        (store.profiles.iter().map(|p| p.name.clone()).collect(), warning)
    }

    /// Failed saves since the last call, in the user's words.
    pub fn take_write_errors(&self) -> Vec<String> {
        self.writer.take_errors()
    }

    /// Wait until every save asked so far is on disk.
    pub fn flush(&self) {
        self.writer.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(name: &str) -> Profile {
        Profile {
            name: name.to_owned(),
            host: "broker.local".to_owned(),
            port: 1884,
            username: "alice".to_owned(),
            ..Profile::default()
        }
    }

    #[test]
    fn thousands_of_imported_profiles_are_added_and_saved_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = ProfileStore::load(dir.path());
        store.upsert(None, profile("plant")).unwrap();
        store.upsert(None, profile("plant (3)")).unwrap();
        let mut many: Vec<Profile> = (0..3_000).map(|i| profile(&format!("site {i}"))).collect();
        many.extend((0..3).map(|_| profile("plant")));
        let notes = store.add_all(many).unwrap();
        assert_eq!(store.profiles().len(), 2 + 3_003);
        let names: Vec<&str> = store.profiles()[2 + 3_000..].iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["plant (2)", "plant (4)", "plant (5)"],
            "taken names are skipped"
        );
        assert_eq!(notes.len(), 3);
        assert_eq!(notes[0], "'plant' is imported as 'plant (2)': the name was taken");
        store.flush();
        let (reloaded, warning) = ProfileStore::load(dir.path());
        assert!(warning.is_none());
        assert_eq!(reloaded.profiles(), store.profiles());
    }

    #[test]
    fn a_read_only_window_neither_migrates_nor_moves_a_file_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PROFILES_FILE);
        let v1 = r#"{"profiles":[{"name":"old","host":"h","port":1883,"save_password":false}]}"#;
        fs::write(&path, v1).unwrap();
        let read_only = crate::files::BackgroundWriter::read_only("another mqscope is running".into());
        let (store, warning) = ProfileStore::load_with(dir.path(), read_only.clone());
        assert_eq!(
            store.profiles().first().map(|p| p.name.as_str()),
            Some("old"),
            "read and migrated in memory: {warning:?}"
        );
        assert!(warning.unwrap().contains("not rewritten: another mqscope is running"));
        assert_eq!(fs::read_to_string(&path).unwrap(), v1, "the file as it was");
        assert!(!dir.path().join("profiles.v1.json").exists());
        // A broken entry: shown without it, the file left where it is.
        let broken = r#"{"version":2,"profiles":[{"name":"a","host":"h","port":1},{"name":"b","port":"x"}]}"#;
        fs::write(&path, broken).unwrap();
        let (names, warning) = ProfileStore::peek(dir.path());
        assert_eq!(names, ["a"]);
        assert!(warning.unwrap().contains("left as it is"));
        assert_eq!(fs::read_to_string(&path).unwrap(), broken);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "nothing else written");
    }

    #[test]
    fn save_reload_edit_delete() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, warning) = ProfileStore::load(dir.path());
        assert!(warning.is_none());
        assert!(store.profiles().is_empty());

        store.upsert(None, profile("staging")).unwrap();
        store.upsert(None, profile("local")).unwrap();
        store.flush();
        let (reloaded, warning) = ProfileStore::load(dir.path());
        assert!(warning.is_none());
        assert_eq!(reloaded.profiles(), store.profiles());

        let mut edited = profile("staging-eu");
        edited.port = 8883;
        store.upsert(Some("staging"), edited.clone()).unwrap();
        assert!(matches!(
            store.upsert(None, profile("local")),
            Err(ProfilesError::Duplicate(_))
        ));
        store.delete("local").unwrap();
        assert!(matches!(store.delete("local"), Err(ProfilesError::NotFound(_))));

        store.flush();
        let (reloaded, _) = ProfileStore::load(dir.path());
        assert_eq!(reloaded.profiles(), [edited]);
        assert!(!dir.path().join("profiles.json.tmp").exists());
    }

    #[test]
    fn charts_and_templates_are_saved_into_the_profile() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = ProfileStore::load(dir.path());
        store.upsert(None, profile("plant")).unwrap();
        let template = PublishTemplate {
            name: "fake sensor".into(),
            topic: "lab/t".into(),
            payload: "{{random(20,30)}}".into(),
            format: crate::payload::PayloadFormat::Text,
            qos: 1,
            retain: false,
        };
        assert!(store.set_templates("plant", vec![template.clone()]).unwrap());
        let charts = vec![ChartLayout {
            name: "T".into(),
            series: vec![crate::model::SeriesSpec::new("lab/+/t", "")],
        }];
        assert!(store.set_charts("plant", charts.clone()).unwrap());
        assert!(!store.set_templates("nobody", Vec::new()).unwrap(), "no such profile");
        store.flush();
        let (reloaded, _) = ProfileStore::load(dir.path());
        let p = reloaded.get("plant").unwrap();
        assert_eq!((p.templates.clone(), p.charts.clone()), (vec![template], charts));
        assert_eq!(p.host, "broker.local", "the rest of the profile is kept");
    }

    #[test]
    fn profiles_reorder_and_group_by_folder() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = ProfileStore::load(dir.path());
        for (name, folder) in [("a", "Work"), ("b", ""), ("c", "Home"), ("d", "Work")] {
            let mut p = profile(name);
            p.folder = folder.into();
            store.upsert(None, p).unwrap();
        }
        let groups: Vec<(&str, Vec<&str>)> = store
            .by_folder()
            .into_iter()
            .map(|(f, ps)| (f, ps.iter().map(|p| p.name.as_str()).collect()))
            .collect();
        assert_eq!(groups, [("", vec!["b"]), ("Home", vec!["c"]), ("Work", vec!["a", "d"])]);
        store.shift("d", -1).unwrap();
        store.shift("a", -1).unwrap();
        store.flush();
        let (reloaded, _) = ProfileStore::load(dir.path());
        let order: Vec<&str> = reloaded.profiles().iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            order,
            ["a", "b", "d", "c"],
            "saved in the new order; the first stays first"
        );
        assert!(store.shift("zz", 1).is_err());
    }

    #[test]
    fn password_is_written_only_when_chosen() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = ProfileStore::load(dir.path());
        let mut p = profile("a");
        p.password = Some(Secret::new("not-on-disk"));
        store.upsert(None, p.clone()).unwrap();
        store.flush();
        let text = fs::read_to_string(store.path()).unwrap();
        assert!(!text.contains("not-on-disk"));

        p.name = "k".into();
        p.password = Some(Secret::new("for-the-keyring"));
        p.key_passphrase = Some(Secret::new("key-for-the-keyring"));
        p.password_storage = PasswordStorage::Keyring;
        store.upsert(None, p.clone()).unwrap();
        store.flush();
        let text = fs::read_to_string(store.path()).unwrap();
        assert!(
            !text.contains("for-the-keyring"),
            "keyring secrets never reach the file"
        );
        assert!(text.contains(r#""password_storage": "keyring""#), "{text}");

        p.name = "b".into();
        p.password = Some(Secret::new("saved-by-choice"));
        p.key_passphrase = Some(Secret::new("phrase-by-choice"));
        p.password_storage = PasswordStorage::File;
        store.upsert(None, p).unwrap();
        store.flush();
        let text = fs::read_to_string(store.path()).unwrap();
        assert!(text.contains("saved-by-choice") && text.contains("phrase-by-choice"));
        store.flush();
        let (reloaded, _) = ProfileStore::load(dir.path());
        let b = reloaded.get("b").unwrap();
        assert_eq!(
            b.to_spec(None, None).tls.key_passphrase.unwrap().expose(),
            "phrase-by-choice"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            store.flush();
            let mode = fs::metadata(store.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn one_broken_profile_leaves_the_others_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = ProfileStore::load(dir.path());
        for name in ["plant", "lab", "home"] {
            store.upsert(None, profile(name)).unwrap();
        }
        let path = dir.path().join(PROFILES_FILE);
        store.flush();
        let mut file: serde_json::Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        // A hand edit gone wrong: a number where text belongs, a password among it.
        file["profiles"][1]["port"] = serde_json::json!("not a port");
        file["profiles"][1]["password"] = serde_json::json!(12345678);
        fs::write(&path, file.to_string()).unwrap();
        let (store, warning) = ProfileStore::load(dir.path());
        let names: Vec<&str> = store.profiles().iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["plant", "home"], "the readable profiles are kept");
        let warning = warning.unwrap();
        assert!(
            warning.contains("profile 2 ('lab')") && warning.contains("the other 2 are loaded"),
            "{warning}"
        );
        assert!(
            !warning.contains("12345678") && !warning.contains("not a port"),
            "no value quoted: {warning}"
        );
        let backups = fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains("corrupt"))
            .count();
        assert_eq!(backups, 1, "the file as it was is kept");
    }

    #[test]
    fn corrupt_file_is_kept_as_backup_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PROFILES_FILE);
        fs::write(&path, "{ this is not json").unwrap();
        let (mut store, warning) = ProfileStore::load(dir.path());
        let warning = warning.expect("the user is told");
        assert!(warning.contains("could not be read"), "{warning}");
        let backups: Vec<PathBuf> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().contains("corrupt"))
            .collect();
        assert_eq!(backups.len(), 1);
        assert!(warning.contains(&backups[0].display().to_string()));
        assert_eq!(fs::read_to_string(&backups[0]).unwrap(), "{ this is not json");

        // Saving afterwards writes a fresh file and leaves the backup alone.
        store.upsert(None, profile("new")).unwrap();
        assert_eq!(fs::read_to_string(&backups[0]).unwrap(), "{ this is not json");
        store.flush();
        assert_eq!(ProfileStore::load(dir.path()).0.profiles().len(), 1);
    }

    #[test]
    fn profile_becomes_a_connection() {
        let mut p = profile("x");
        p.client_id = "  ".into();
        p.subscriptions = vec![];
        let spec = p.to_spec(Some(Secret::new("pw")), None);
        assert_eq!(spec.address(), "broker.local:1884");
        assert_eq!(spec.subscriptions, [Subscription::new("#")]);
        assert!(spec.client_id.is_empty());
        assert_eq!(spec.password.unwrap().expose(), "pw");
        assert!(profile("").validate().is_err());
        let mut bad = profile("bad");
        bad.subscriptions = vec![Subscription::new("a/#/b")];
        assert!(bad.validate().unwrap_err().contains("a/#/b"));
        let mut bad = profile("bad");
        bad.tls.client_cert = Some("/c.pem".into());
        assert!(bad.validate().unwrap_err().contains("key"));
    }

    #[test]
    fn a_file_from_before_tls_and_mqtt5_still_loads() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join(PROFILES_FILE),
            r#"{"version":1,"profiles":[{"name":"old","host":"h","port":1883,"client_id":"","username":"",
               "save_password":false,"keepalive_s":30,"clean_session":true,"subscriptions":["a/#","b"]}]}"#,
        )
        .unwrap();
        let (store, warning) = ProfileStore::load(dir.path());
        assert!(warning.is_none(), "{warning:?}");
        let p = &store.profiles()[0];
        assert_eq!(p.subscriptions, [Subscription::new("a/#"), Subscription::new("b")]);
        assert_eq!((p.protocol, p.transport), (ProtocolVersion::V311, Transport::Tcp));
        assert_eq!(p.keepalive_s, 30);
    }

    #[test]
    fn a_schema_1_file_is_migrated_and_the_original_kept() {
        let dir = tempfile::tempdir().unwrap();
        let v1 = r#"{"version":1,"profiles":[
            {"name":"saved","host":"h","port":1883,"username":"u","password":"pw1","save_password":true},
            {"name":"asked","host":"h","port":1883,"username":"u","save_password":false},
            {"name":"neither","host":"h","port":1883}]}"#;
        fs::write(dir.path().join(PROFILES_FILE), v1).unwrap();
        let (store, warning) = ProfileStore::load(dir.path());
        store.flush();
        assert!(warning.is_none(), "{warning:?}");
        let storage: Vec<(&str, PasswordStorage, Option<&str>)> = store
            .profiles()
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.password_storage,
                    p.password.as_ref().map(Secret::expose),
                )
            })
            .collect();
        assert_eq!(
            storage,
            [
                ("saved", PasswordStorage::File, Some("pw1")),
                ("asked", PasswordStorage::Ask, None),
                ("neither", PasswordStorage::Ask, None)
            ]
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("profiles.v1.json")).unwrap(),
            v1,
            "the original is kept as it was"
        );
        let now: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.path().join(PROFILES_FILE)).unwrap()).unwrap();
        assert_eq!(now["version"], SCHEMA_VERSION);
        assert!(now["profiles"][0].get("save_password").is_none());
        assert_eq!(now["profiles"][0]["password_storage"], "file");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(dir.path().join("profiles.v1.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "the backup holds a password too");
        }
        // Loading again changes nothing more.
        store.flush();
        let (again, warning) = ProfileStore::load(dir.path());
        assert!(warning.is_none());
        assert_eq!(again.profiles(), store.profiles());
    }

    #[test]
    fn a_newer_file_is_read_but_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PROFILES_FILE);
        let v9 = r#"{"version":9,"profiles":[{"name":"future","host":"h","port":1883,"hologram":true}]}"#;
        fs::write(&path, v9).unwrap();
        let (mut store, warning) = ProfileStore::load(dir.path());
        let warning = warning.expect("the user is told");
        assert!(warning.contains("newer mqscope (schema 9"), "{warning}");
        assert_eq!(store.profiles()[0].name, "future");
        let refused = store.upsert(None, profile("mine")).unwrap_err();
        assert!(matches!(refused, ProfilesError::Newer { version: 9, .. }), "{refused}");
        assert_eq!(fs::read_to_string(&path).unwrap(), v9);
    }

    #[test]
    fn tls_will_and_mqtt5_settings_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = ProfileStore::load(dir.path());
        let mut p = profile("secure");
        p.protocol = ProtocolVersion::V5;
        p.transport = Transport::Wss;
        p.ws_path = "/ws".into();
        p.tls.ca_file = Some("/etc/ca.pem".into());
        p.tls.insecure = true;
        p.will = Some(LastWill {
            topic: "clients/me/status".into(),
            payload: "offline".into(),
            qos: 1,
            retain: true,
            delay_s: 5,
        });
        p.subscriptions = vec![Subscription {
            no_local: true,
            ..Subscription::new("x/#").with_qos(1)
        }];
        store.upsert(None, p.clone()).unwrap();
        store.flush();
        let (reloaded, _) = ProfileStore::load(dir.path());
        assert_eq!(reloaded.profiles(), [p.clone()]);
        let spec = p.to_spec(None, None);
        assert_eq!(spec.url(), "wss://broker.local:1884/ws");
        assert_eq!(spec.will.unwrap().delay_s, 5);
    }
}

//! Saved connections and their secrets, without a window: connecting with a
//! profile once it has the password and key passphrase it needs (from the
//! prompt, the profile file or the system keyring), saving and deleting
//! profiles with their keyring entries following, and what the keyring thread
//! reports. Nothing here draws: each step returns what the app is to do next
//! ([`Next`]) — connect, ask for a secret, say something, close or fault the
//! form — so the whole workflow can be tested without egui.

use crate::profiles::{ConnectionExtras, ExtrasStore, Profile, ProfileStore};
use crate::secret_store::{Credentials, Outcome, PasswordStorage, SecretKind, SecretStore, StoreStatus};
use crate::vocab::ConnectionSpec;

/// What the app is to do after a step of the workflow.
#[derive(Debug)]
pub enum Next {
    /// Connect to this spec, made from the saved profile.
    Connect {
        profile: String,
        spec: Box<ConnectionSpec>,
    },
    /// Ask for the secrets that are missing.
    Ask(PasswordRequest),
    Info(String),
    Warn(String),
    /// The profile form stays open with this error beside its Save button.
    FormError(String),
    /// The profile was saved: the form closes.
    FormDone,
}

/// What the password prompt is to ask for, and why.
#[derive(Debug)]
pub struct PasswordRequest {
    pub profile: String,
    pub password: bool,
    pub passphrase: bool,
    /// Secrets found already (the file's, the keyring's), sent along with the typed ones.
    pub known: Credentials,
    /// Why it asks, when that is not the usual reason (a keyring without the entry, say).
    pub note: Option<String>,
}

/// A connections file read and parsed, its certificates saved as files.
struct ImportRead {
    profiles: Vec<Profile>,
    notes: Vec<String>,
    source: &'static str,
}

/// What reading a connections file gave: its connections, or why not.
type ImportResult = Result<ImportRead, String>;

/// The profiles on disk and the keyring thread, with what is waiting on either.
pub struct Accounts {
    pub profiles: ProfileStore,
    /// What a connection keeps beside its profile (or without one): sent
    /// messages of every connection; charts and templates of those without a profile.
    extras: ExtrasStore,
    secrets: SecretStore,
    /// Profiles waiting for the keyring's answer before they connect (with what was given).
    awaiting_password: Vec<(String, Credentials)>,
    /// Profiles whose secrets move from the keyring into the profile file: (keyring name, profile name).
    moving_to_file: Vec<(String, String)>,
    /// How many key passphrases of an earlier mqscope the start-up check moved (once it ran).
    passphrases_moved: Option<usize>,
    /// The prompt open now: (profile, asks for the password, asks for the passphrase).
    asking: Option<(String, bool, bool)>,
    /// Connections files being read, in the order asked, and what they gave.
    imports: crate::jobs::InOrder,
    imports_done: (
        std::sync::mpsc::Sender<ImportResult>,
        std::sync::mpsc::Receiver<ImportResult>,
    ),
}

impl Accounts {
    /// `secrets` is the system keyring's thread (or a store that says why there is none).
    pub fn new(profiles: ProfileStore, extras: ExtrasStore, secrets: SecretStore) -> Self {
        Self {
            profiles,
            extras,
            secrets,
            awaiting_password: Vec::new(),
            moving_to_file: Vec::new(),
            passphrases_moved: None,
            asking: None,
            imports: crate::jobs::InOrder::new("import"),
            imports_done: std::sync::mpsc::channel(),
        }
    }

    /// What the connection `name` kept last time: its profile's charts and
    /// templates where it has them, else those of connections.json, and its
    /// sent messages.
    pub fn kept(&self, name: &str) -> ConnectionExtras {
        let mut kept = self.extras.get(name);
        if let Some(profile) = self.profiles.get(name) {
            if !profile.charts.is_empty() {
                kept.charts = profile.charts.clone();
            }
            if !profile.templates.is_empty() {
                kept.templates = profile.templates.clone();
            }
        }
        kept
    }

    /// Keep the chart layouts of the connection `name`: in its profile when it
    /// has one, else in connections.json. A failure is said in words.
    pub fn keep_charts(&mut self, name: &str, layouts: Vec<crate::model::ChartLayout>) -> Option<Next> {
        let saved = match self.profiles.set_charts(name, layouts.clone()) {
            Ok(true) => Ok(()),
            Ok(false) => self.extras.update(name, |e| e.charts = layouts),
            Err(e) => Err(std::io::Error::other(e.to_string())),
        };
        saved
            .err()
            .map(|e| Next::Warn(format!("The chart layout of {name} could not be saved: {e}")))
    }

    /// Keep the publish templates of the connection `name`, as its charts are kept.
    pub fn keep_templates(&mut self, name: &str, templates: Vec<crate::publish::PublishTemplate>) -> Option<Next> {
        let saved = match self.profiles.set_templates(name, templates.clone()) {
            Ok(true) => Ok(()),
            Ok(false) => self.extras.update(name, |e| e.templates = templates),
            Err(e) => Err(std::io::Error::other(e.to_string())),
        };
        saved
            .err()
            .map(|e| Next::Warn(format!("The publish templates of {name} could not be saved: {e}")))
    }

    /// Keep the sent history of the connection `name` (connections.json).
    pub fn keep_sent(
        &mut self,
        name: &str,
        published: std::collections::VecDeque<crate::publish::PublishedEntry>,
    ) -> Option<Next> {
        self.extras
            .update(name, |e| e.published = published)
            .err()
            .map(|e| Next::Warn(format!("The sent messages of {name} could not be saved: {e}")))
    }

    /// Read a file of connections (MQTT Explorer, MQTTX, mqscope) on a
    /// background thread, with the certificates it holds written as files;
    /// `finished_imports` adds them. `wake` is called when one is read.
    pub fn start_import(&mut self, path: std::path::PathBuf, wake: Option<crate::mqtt::Wake>) {
        /// The largest connections file read: MQTT Explorer's settings with
        /// embedded certificates run to a few MiB.
        const MAX_IMPORT_BYTES: u64 = 64 * 1024 * 1024;
        let certificates = self.profiles.dir().join("certificates");
        let job = move || -> ImportResult {
            let bytes = crate::files::read_limited(&path, "file", MAX_IMPORT_BYTES)?;
            let text = String::from_utf8(bytes)
                .map_err(|_| format!("{} is not a text file (UTF-8): not a connections file.", path.display()))?;
            let report = crate::profiles::import(&text)?;
            let mut notes = report.notes;
            let mut profiles = Vec::with_capacity(report.profiles.len());
            for (mut profile, files) in report.profiles.into_iter().zip(report.files) {
                // Certificates kept inside the other tool's settings become files of ours.
                notes.extend(crate::profiles::save_embedded(&mut profile, &files, &certificates));
                profiles.push(profile);
            }
            Ok(ImportRead {
                profiles,
                notes,
                source: report.source.label(),
            })
        };
        let done = self.imports_done.0.clone();
        self.imports.run(move || {
            let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job))
                .unwrap_or_else(|_| Err("The file could not be read: the import stopped unexpectedly (a bug).".into()));
            let _ = done.send(read);
            if let Some(wake) = &wake {
                wake();
            }
        });
    }

    /// The imports read since the last call, added to the profiles (renamed
    /// where a name is taken, saved once): a summary and notes each, or why not.
    pub fn finished_imports(&mut self) -> Vec<Result<(String, Vec<String>), String>> {
        let mut outcomes = Vec::new();
        while let Ok(read) = self.imports_done.1.try_recv() {
            outcomes.push(read.and_then(|read| {
                let n = read.profiles.len();
                let mut notes = read.notes;
                let renamed = self
                    .profiles
                    .add_all(read.profiles)
                    .map_err(|e| format!("Not imported: {e}."))?;
                notes.extend(renamed);
                Ok((
                    format!(
                        "Imported {n} connection{} from {}.",
                        if n == 1 { "" } else { "s" },
                        read.source
                    ),
                    notes,
                ))
            }));
        }
        outcomes
    }

    pub fn keyring_status(&self) -> &StoreStatus {
        self.secrets.status()
    }

    /// How many key passphrases the start-up check moved to their own keyring
    /// service; `None` until it has run (or with no keyring).
    pub fn passphrases_moved(&self) -> Option<usize> {
        self.passphrases_moved
    }

    /// Where a new profile keeps its password unless the user says otherwise.
    pub fn default_storage(&self) -> PasswordStorage {
        if self.secrets.available() {
            PasswordStorage::Keyring
        } else {
            PasswordStorage::Ask
        }
    }

    /// Let the keyring thread wake the window when it answers.
    pub fn wake(&self, ctx: &egui::Context) {
        self.secrets.wake(ctx);
    }

    /// Everything the keyring thread answered since the last call, as steps.
    pub fn poll(&mut self) -> Vec<Next> {
        let mut next = Vec::new();
        while let Some(outcome) = self.secrets.try_outcome() {
            next.extend(self.outcome(outcome));
        }
        next
    }

    /// The prompt was closed without connecting.
    pub fn prompt_closed(&mut self) {
        self.asking = None;
    }

    /// Connect with a saved profile once it has the secrets it needs: those
    /// given (typed in the prompt), those in the profile file, the keyring's
    /// (asked once: `keyring` is its answer), else the prompt asks.
    pub fn connect(&mut self, name: String, given: Credentials, keyring: Option<Result<(), String>>) -> Vec<Next> {
        let Some(profile) = self.profiles.get(&name).cloned() else {
            return vec![Next::Warn(format!("There is no saved connection named '{name}'."))];
        };
        let password = given.password.or_else(|| profile.password.clone());
        let passphrase = given.passphrase.or_else(|| profile.key_passphrase.clone());
        let need_password = !profile.username.is_empty() && password.is_none();
        let need_passphrase = profile.transport.uses_tls()
            && passphrase.is_none()
            && profile
                .tls
                .client_key
                .as_deref()
                .is_some_and(crate::mqtt::key_is_encrypted);
        let in_keyring = profile.password_storage == PasswordStorage::Keyring;
        if need_password || need_passphrase {
            let known = Credentials { password, passphrase };
            if in_keyring && keyring.is_none() && !matches!(self.secrets.status(), StoreStatus::Unavailable(_)) {
                // Connect when the keyring answers (`outcome`).
                if !self.awaiting_password.iter().any(|(p, _)| *p == name) {
                    self.secrets.read(&name);
                    self.awaiting_password.push((name, known));
                }
                return Vec::new();
            }
            let note = in_keyring.then(|| {
                let what = match (need_password, need_passphrase) {
                    (true, true) => "password or key passphrase",
                    (true, false) => "password",
                    _ => "key passphrase",
                };
                match keyring {
                    Some(Ok(())) => format!(
                        "No {what} for '{name}' is in the system keyring. It will be kept there once you connect."
                    ),
                    Some(Err(e)) => format!("The system keyring could not be read: {e}."),
                    None => format!("The system keyring cannot be used: {}.", self.keyring_reason()),
                }
            });
            self.asking = Some((name.clone(), need_password, need_passphrase));
            return vec![Next::Ask(PasswordRequest {
                profile: name,
                password: need_password,
                passphrase: need_passphrase,
                known,
                note,
            })];
        }
        if let Some((_, asked_password, asked_passphrase)) = self.asking.take_if(|(p, _, _)| *p == name)
            && in_keyring
            && self.secrets.available()
        {
            // Typed because the keyring had none (or could not be read): keep them there now.
            if let (true, Some(secret)) = (asked_password, &password) {
                self.secrets.save(&name, SecretKind::Password, secret.clone());
            }
            if let (true, Some(secret)) = (asked_passphrase, &passphrase) {
                self.secrets.save(&name, SecretKind::KeyPassphrase, secret.clone());
            }
        }
        self.asking = None;
        vec![Next::Connect {
            spec: Box::new(profile.to_spec(password, passphrase)),
            profile: name,
        }]
    }

    /// Save a profile from the form (`previous`: its name before, when edited),
    /// with the secrets typed there; connect after, when asked.
    pub fn save(
        &mut self,
        previous: Option<String>,
        mut profile: Profile,
        typed: Credentials,
        connect: bool,
    ) -> Vec<Next> {
        // Charts and templates may have changed while the form was open: keep the saved ones.
        if let Some(saved) = previous.as_deref().and_then(|name| self.profiles.get(name)) {
            profile.charts = saved.charts.clone();
            profile.templates = saved.templates.clone();
        }
        let before = previous
            .as_deref()
            .and_then(|name| self.profiles.get(name))
            .map(|p| p.password_storage);
        if profile.password_storage == PasswordStorage::Keyring
            && before != Some(PasswordStorage::Keyring)
            && !self.secrets.available()
        {
            return vec![Next::FormError(format!(
                "Not saved: the system keyring cannot be used ({}). Keep the password in the profile file or ask at each connect.",
                self.keyring_reason()
            ))];
        }
        if let Err(e) = self.profiles.upsert(previous.as_deref(), profile.clone()) {
            return vec![Next::FormError(format!("Not saved: {e}"))];
        }
        self.file_password(previous.as_deref(), before, &profile, &typed);
        let mut next = vec![Next::FormDone];
        if connect {
            // What was not typed comes from the file, the keyring (read after
            // the save above) or the prompt, as for any connect.
            next.extend(self.connect(profile.name.clone(), typed, None));
        }
        next
    }

    /// A copy of the profile `name` to edit and save as new: a name of its own,
    /// and no client id of its own (one is generated at connect). Two clients
    /// with one id take the connection from each other at the broker, over and
    /// over, when both are open.
    pub fn duplicate(&self, name: &str) -> Option<Profile> {
        let mut copy = self.profiles.get(name)?.clone();
        copy.name = crate::profiles::unique_name(name, |n| self.profiles.get(n).is_some());
        copy.client_id.clear();
        Some(copy)
    }

    /// Delete a saved profile, and its keyring entries with it.
    pub fn delete(&mut self, name: &str) -> Vec<Next> {
        let keyring = self
            .profiles
            .get(name)
            .is_some_and(|p| p.password_storage == PasswordStorage::Keyring);
        match self.profiles.delete(name) {
            Ok(()) => {
                if keyring {
                    self.secrets.delete(name);
                }
                vec![Next::Info(format!("Deleted the connection '{name}'."))]
            }
            Err(e) => vec![Next::Warn(format!("Not deleted: {e}"))],
        }
    }

    /// Why the keyring cannot be used, in words for a sentence.
    fn keyring_reason(&self) -> String {
        match self.secrets.status() {
            StoreStatus::Unavailable(why) => why.clone(),
            StoreStatus::Checking => "it has not answered yet".to_owned(),
            StoreStatus::Available => "it is available".to_owned(),
        }
    }

    /// After a profile was saved: put a typed password in the keyring, follow
    /// a rename, or take it out when the profile no longer keeps it there.
    fn file_password(
        &mut self,
        previous: Option<&str>,
        before: Option<PasswordStorage>,
        profile: &Profile,
        typed: &Credentials,
    ) {
        let old_name = previous.unwrap_or(&profile.name);
        let was_keyring = before == Some(PasswordStorage::Keyring);
        let renamed = old_name != profile.name;
        if profile.password_storage == PasswordStorage::Keyring {
            // What was there follows a rename; what was typed replaces it.
            if was_keyring && renamed {
                self.secrets.rename(old_name, &profile.name);
            }
            for (kind, secret) in [
                (SecretKind::Password, &typed.password),
                (SecretKind::KeyPassphrase, &typed.passphrase),
            ] {
                if let Some(secret) = secret {
                    self.secrets.save(&profile.name, kind, secret.clone());
                }
            }
        } else if was_keyring && profile.password_storage == PasswordStorage::File {
            // Nothing lost: what is not retyped is read from the keyring into the file,
            // then the keyring entries go (`outcome`).
            self.secrets.read(old_name);
            self.moving_to_file.push((old_name.to_owned(), profile.name.clone()));
        } else if was_keyring {
            self.secrets.delete(old_name);
        }
    }

    /// The keyring's secrets of `from`, written into the profile `to` (which now
    /// keeps them in the file) where it has none; then the keyring entries go.
    fn move_to_file(&mut self, from: &str, to: &str, found: Result<Credentials, String>) -> Vec<Next> {
        let found = match found {
            Ok(found) => found,
            Err(e) => {
                return vec![Next::Warn(format!(
                    "The secrets of '{to}' could not be read from the system keyring ({e}); they stay there. Type them in the form to keep them in the file."
                ))];
            }
        };
        let Some(mut profile) = self.profiles.get(to).cloned() else {
            return Vec::new();
        };
        profile.password = profile.password.or(found.password);
        profile.key_passphrase = profile.key_passphrase.or(found.passphrase);
        match self.profiles.upsert(Some(to), profile) {
            Ok(()) => {
                self.secrets.delete(from);
                vec![Next::Info(format!(
                    "The secrets of '{to}' moved from the system keyring to the profile file."
                ))]
            }
            Err(e) => vec![Next::Warn(format!(
                "The secrets of '{to}' stay in the system keyring: the profile file could not be written ({e})."
            ))],
        }
    }

    /// What the keyring thread did.
    fn outcome(&mut self, outcome: Outcome) -> Vec<Next> {
        match outcome {
            Outcome::Status(_) => Vec::new(),
            Outcome::MovedLegacy(moved) => {
                self.passphrases_moved = Some(moved);
                if moved == 0 {
                    return Vec::new();
                }
                vec![Next::Info(format!(
                    "{moved} key passphrase{} saved by an earlier mqscope moved to {} own keyring entr{}.",
                    if moved == 1 { "" } else { "s" },
                    if moved == 1 { "its" } else { "their" },
                    if moved == 1 { "y" } else { "ies" },
                ))]
            }
            Outcome::Read { profile, result } => {
                if let Some(i) = self.moving_to_file.iter().position(|(from, _)| *from == profile) {
                    let (from, to) = self.moving_to_file.remove(i);
                    return self.move_to_file(&from, &to, result);
                }
                let Some(i) = self.awaiting_password.iter().position(|(p, _)| *p == profile) else {
                    return Vec::new();
                };
                let (_, given) = self.awaiting_password.remove(i);
                match result {
                    Ok(found) => {
                        let merged = Credentials {
                            password: given.password.or(found.password),
                            passphrase: given.passphrase.or(found.passphrase),
                        };
                        self.connect(profile, merged, Some(Ok(())))
                    }
                    Err(e) => self.connect(profile, given, Some(Err(e))),
                }
            }
            Outcome::Saved { profile, kind, result } => vec![match result {
                Ok(()) => Next::Info(format!(
                    "The {} of '{profile}' is saved in the system keyring.",
                    kind.words()
                )),
                Err(e) => Next::Warn(format!(
                    "The {} of '{profile}' could not be saved in the system keyring: {e}. mqscope will ask for it at connect.",
                    kind.words()
                )),
            }],
            Outcome::Renamed { from, to, result } => match result {
                Err(e) => vec![Next::Warn(format!(
                    "The keyring entry of '{from}' could not be moved to '{to}': {e}. mqscope will ask for the password at connect."
                ))],
                Ok(_) => Vec::new(),
            },
            Outcome::Deleted { profile, result } => match result {
                Err(e) => vec![Next::Warn(format!(
                    "The password of '{profile}' could not be removed from the system keyring: {e}."
                ))],
                Ok(()) => Vec::new(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn accounts(profiles: &[Profile]) -> (Accounts, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = ProfileStore::load(dir.path());
        for p in profiles {
            store.upsert(None, p.clone()).unwrap();
        }
        let keyring = SecretStore::unavailable("no keyring in this test");
        let (extras, _) = ExtrasStore::load_with(dir.path(), crate::files::BackgroundWriter::new());
        (Accounts::new(store, extras, keyring), dir)
    }

    #[test]
    fn a_profile_with_a_user_and_no_password_asks_and_then_connects_with_what_was_typed() {
        let profile = Profile {
            name: "plant".into(),
            host: "10.0.0.7".into(),
            username: "alice".into(),
            password_storage: PasswordStorage::Ask,
            ..Profile::default()
        };
        let (mut accounts, _dir) = accounts(&[profile]);
        let next = accounts.connect("plant".into(), Credentials::default(), None);
        let [Next::Ask(request)] = &next[..] else {
            panic!("asks for the password: {next:?}");
        };
        assert!(request.password && !request.passphrase);
        assert_eq!(request.note, None, "no keyring involved, nothing more to say");
        let typed = Credentials {
            password: Some(Secret::new("s3cret")),
            passphrase: None,
        };
        let next = accounts.connect("plant".into(), typed, None);
        let [Next::Connect { profile, spec }] = &next[..] else {
            panic!("connects: {next:?}");
        };
        assert_eq!(profile, "plant");
        assert_eq!(spec.host, "10.0.0.7");
        assert_eq!(spec.password.as_ref().map(Secret::expose), Some("s3cret"));
    }

    #[test]
    fn a_keyring_profile_without_a_keyring_says_why_it_asks_and_cannot_be_saved_as_new() {
        let profile = Profile {
            name: "lab".into(),
            username: "bob".into(),
            password_storage: PasswordStorage::Keyring,
            ..Profile::default()
        };
        let (mut accounts, _dir) = accounts(std::slice::from_ref(&profile));
        let next = accounts.connect("lab".into(), Credentials::default(), None);
        let [Next::Ask(request)] = &next[..] else {
            panic!("asks: {next:?}");
        };
        assert_eq!(
            request.note.as_deref(),
            Some("The system keyring cannot be used: no keyring in this test.")
        );
        let new = Profile {
            name: "lab 2".into(),
            ..profile
        };
        let next = accounts.save(None, new, Credentials::default(), false);
        let [Next::FormError(error)] = &next[..] else {
            panic!("refused: {next:?}");
        };
        assert!(
            error.contains("the system keyring cannot be used (no keyring in this test)"),
            "{error}"
        );
        assert!(accounts.profiles.get("lab 2").is_none(), "nothing saved");
    }

    #[test]
    fn save_then_connect_and_delete_say_what_happened() {
        let (mut accounts, _dir) = accounts(&[]);
        let profile = Profile {
            name: "open".into(),
            host: "127.0.0.1".into(),
            ..Profile::default()
        };
        let next = accounts.save(None, profile, Credentials::default(), true);
        assert!(
            matches!(&next[..], [Next::FormDone, Next::Connect { profile, .. }] if profile == "open"),
            "{next:?}"
        );
        let next = accounts.delete("open");
        assert!(
            matches!(&next[..], [Next::Info(words)] if words == "Deleted the connection 'open'."),
            "{next:?}"
        );
        let next = accounts.connect("open".into(), Credentials::default(), None);
        assert!(
            matches!(&next[..], [Next::Warn(words)] if words.contains("no saved connection named 'open'")),
            "{next:?}"
        );
    }
}

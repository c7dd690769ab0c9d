//! Where a profile's password lives, and the operating system's secret store
//! (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows,
//! through the `keyring` crate).
//!
//! The store can block (a D-Bus round trip, or the desktop asking to unlock
//! the keyring), so it is only ever called from one thread of its own: the UI
//! sends jobs and reads outcomes, and is woken when one arrives. Jobs run in
//! the order they were sent, so a password saved and then read comes back.
//!
//! Errors are put in our own words; the crate's are never formatted with
//! `Debug`, which for a badly encoded entry would print the secret's bytes.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// The service name under which mqscope's passwords are filed.
pub const SERVICE: &str = "mqscope";

/// Where a profile keeps its password.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordStorage {
    /// Asked at each connect, kept in memory only.
    #[default]
    Ask,
    /// In the operating system's secret store.
    Keyring,
    /// In plain text in the profile file (readable by the owner only).
    File,
}

impl PasswordStorage {
    pub fn label(self) -> &'static str {
        match self {
            PasswordStorage::Ask => "Ask at each connect",
            PasswordStorage::Keyring => "In the system keyring",
            PasswordStorage::File => "In the profile file (plain text)",
        }
    }
}

/// Whether the operating system's store can be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreStatus {
    /// The first look has not answered yet.
    Checking,
    Available,
    /// Why not, in words for the form.
    Unavailable(String),
}

/// The two secrets a profile can have; each is its own keyring entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    Password,
    /// Opens an encrypted client key (mutual TLS).
    KeyPassphrase,
}

impl SecretKind {
    const ALL: [SecretKind; 2] = [SecretKind::Password, SecretKind::KeyPassphrase];

    /// The entry's (service, user name) in the store: each kind has a service
    /// of its own and the profile's name as the user, so no profile name can
    /// ever address another profile's secret of another kind.
    pub fn entry_name(self, service: &str, profile: &str) -> (String, String) {
        match self {
            SecretKind::Password => (service.to_owned(), profile.to_owned()),
            SecretKind::KeyPassphrase => (format!("{service} key passphrase"), profile.to_owned()),
        }
    }

    /// Where an earlier mqscope kept a key passphrase: under the passwords'
    /// service as `NAME (key passphrase)`, an account a profile of that name
    /// would share. Only read to move it (see [`SecretStore::move_legacy_passphrases`]).
    fn legacy_passphrase_account(profile: &str) -> String {
        format!("{profile} (key passphrase)")
    }

    pub fn words(self) -> &'static str {
        match self {
            SecretKind::Password => "password",
            SecretKind::KeyPassphrase => "key passphrase",
        }
    }
}

/// What the store holds for one profile.
#[derive(Debug, Default)]
pub struct Credentials {
    pub password: Option<Secret>,
    pub passphrase: Option<Secret>,
}

/// What the store thread did.
#[derive(Debug)]
pub enum Outcome {
    Status(StoreStatus),
    /// A secret was saved for `profile`.
    Saved {
        profile: String,
        kind: SecretKind,
        result: Result<(), String>,
    },
    /// The secrets of `profile` (each `None` when not there).
    Read {
        profile: String,
        result: Result<Credentials, String>,
    },
    /// The secrets of `from` now belong to `to` (`Ok(n)`: how many there were).
    Renamed {
        from: String,
        to: String,
        result: Result<usize, String>,
    },
    /// The secrets of `profile` are gone (or were never there).
    Deleted {
        profile: String,
        result: Result<(), String>,
    },
    /// Key passphrases moved from where an earlier version kept them (how many).
    MovedLegacy(usize),
}

enum Job {
    Probe,
    Save {
        profile: String,
        kind: SecretKind,
        secret: Secret,
    },
    Read {
        profile: String,
    },
    Rename {
        from: String,
        to: String,
    },
    Delete {
        profile: String,
    },
    /// Move passphrases from the old shared account to their own service; `profiles`
    /// are every profile's name (a legacy account that is a profile's own name stays).
    MoveLegacy {
        profiles: Vec<String>,
    },
}

/// The UI's side of the store thread.
pub struct SecretStore {
    jobs: Option<Sender<Job>>,
    outcomes: Receiver<Outcome>,
    status: StoreStatus,
    waker: Arc<Mutex<Option<egui::Context>>>,
}

impl std::fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretStore").field("status", &self.status).finish()
    }
}

impl SecretStore {
    /// The operating system's store, under `service`; checked at once in the
    /// background (`status` is `Checking` until then).
    pub fn os(service: &str) -> Self {
        let (jobs, job_rx) = channel::<Job>();
        let (outcome_tx, outcomes) = channel();
        let waker: Arc<Mutex<Option<egui::Context>>> = Arc::default();
        let thread_waker = Arc::clone(&waker);
        let service = service.to_owned();
        let spawned = std::thread::Builder::new().name("secret-store".into()).spawn(move || {
            for job in job_rx {
                let outcome = run(&service, job);
                if outcome_tx.send(outcome).is_err() {
                    break;
                }
                if let Some(ctx) = thread_waker.lock().ok().and_then(|w| w.clone()) {
                    ctx.request_repaint();
                }
            }
        });
        match spawned {
            Ok(_) => {
                let _ = jobs.send(Job::Probe);
                Self {
                    jobs: Some(jobs),
                    outcomes,
                    status: StoreStatus::Checking,
                    waker,
                }
            }
            Err(e) => Self::unavailable(format!("mqscope could not start its keyring thread ({e})")),
        }
    }

    /// No operating system store (`--no-keyring`, or tests of a bare machine).
    pub fn unavailable(reason: impl Into<String>) -> Self {
        Self {
            jobs: None,
            outcomes: channel().1,
            status: StoreStatus::Unavailable(reason.into()),
            waker: Arc::default(),
        }
    }

    /// Repaint `ctx` when an outcome arrives.
    pub fn wake(&self, ctx: &egui::Context) {
        if let Ok(mut waker) = self.waker.lock() {
            *waker = Some(ctx.clone());
        }
    }

    pub fn status(&self) -> &StoreStatus {
        &self.status
    }

    pub fn available(&self) -> bool {
        self.status == StoreStatus::Available
    }

    pub fn save(&self, profile: &str, kind: SecretKind, secret: Secret) {
        self.send(Job::Save {
            profile: profile.to_owned(),
            kind,
            secret,
        });
    }

    pub fn read(&self, profile: &str) {
        self.send(Job::Read {
            profile: profile.to_owned(),
        });
    }

    pub fn rename(&self, from: &str, to: &str) {
        self.send(Job::Rename {
            from: from.to_owned(),
            to: to.to_owned(),
        });
    }

    /// Once at start: key passphrases that an earlier mqscope filed as the
    /// password of "NAME (key passphrase)" move to their own service, unless
    /// a profile really has that name (then the entry is that profile's
    /// password, and the passphrase is asked for again). Jobs run in order, so
    /// every read after this sees the moved entries.
    pub fn move_legacy_passphrases(&self, profiles: Vec<String>) {
        self.send(Job::MoveLegacy { profiles });
    }

    pub fn delete(&self, profile: &str) {
        self.send(Job::Delete {
            profile: profile.to_owned(),
        });
    }

    /// The next outcome, if one is waiting. A status outcome is also kept in `status`.
    pub fn try_outcome(&mut self) -> Option<Outcome> {
        let outcome = self.outcomes.try_recv().ok()?;
        if let Outcome::Status(status) = &outcome {
            self.status = status.clone();
        }
        Some(outcome)
    }

    fn send(&self, job: Job) {
        if let Some(jobs) = &self.jobs {
            // The thread only ends with the store; a failed send has nobody to tell.
            let _ = jobs.send(job);
        }
    }
}

fn run(service: &str, job: Job) -> Outcome {
    let at = |kind: SecretKind, profile: &str| kind.entry_name(service, profile);
    match job {
        Job::Probe => Outcome::Status(probe(service)),
        Job::Save { profile, kind, secret } => {
            let (svc, account) = at(kind, &profile);
            let result = entry(&svc, &account).and_then(|e| e.set_password(secret.expose()).map_err(words));
            Outcome::Saved { profile, kind, result }
        }
        Job::Read { profile } => {
            let result = (|| {
                let (svc, account) = at(SecretKind::Password, &profile);
                let password = read(&svc, &account)?;
                let (svc, account) = at(SecretKind::KeyPassphrase, &profile);
                let passphrase = read(&svc, &account)?;
                Ok(Credentials { password, passphrase })
            })();
            Outcome::Read { profile, result }
        }
        Job::Rename { from, to } => {
            let result = (|| {
                let mut moved = 0;
                for kind in SecretKind::ALL {
                    let (from_svc, from_account) = at(kind, &from);
                    let Some(secret) = read(&from_svc, &from_account)? else {
                        continue;
                    };
                    let (to_svc, to_account) = at(kind, &to);
                    entry(&to_svc, &to_account)?
                        .set_password(secret.expose())
                        .map_err(words)?;
                    delete(&from_svc, &from_account)?;
                    moved += 1;
                }
                Ok(moved)
            })();
            Outcome::Renamed { from, to, result }
        }
        Job::Delete { profile } => {
            let result = SecretKind::ALL.iter().try_for_each(|&kind| {
                let (svc, account) = at(kind, &profile);
                delete(&svc, &account)
            });
            Outcome::Deleted { profile, result }
        }
        Job::MoveLegacy { profiles } => {
            let mut moved = 0;
            for profile in &profiles {
                let legacy = SecretKind::legacy_passphrase_account(profile);
                if profiles.contains(&legacy) {
                    continue; // that account is a profile's own password
                }
                let Ok(Some(secret)) = read(service, &legacy) else {
                    continue;
                };
                let (svc, account) = at(SecretKind::KeyPassphrase, profile);
                // Moved before (and the delete failed then): the newer entry wins.
                let saved = match read(&svc, &account) {
                    Ok(Some(_)) => Ok(()),
                    _ => entry(&svc, &account).and_then(|e| e.set_password(secret.expose()).map_err(words)),
                };
                if saved.is_ok() && delete(service, &legacy).is_ok() {
                    moved += 1;
                }
            }
            if moved > 0 {
                tracing::info!(moved, "key passphrases moved to their own keyring service");
            }
            // Not a status: the probe alone says whether the store is there.
            Outcome::MovedLegacy(moved)
        }
    }
}

fn probe(service: &str) -> StoreStatus {
    if let Err(e) = keyring::Entry::store_status() {
        tracing::info!("no system keyring: {}", words_ref(e));
        return StoreStatus::Unavailable(
            "no Secret Service is running here (GNOME Keyring, KWallet or KeePassXC provide one)".into(),
        );
    }
    // Reading an entry that is not there proves the store answers and is unlocked.
    match entry(service, "mqscope-probe").map(|e| e.get_password()) {
        Ok(Ok(_)) | Ok(Err(keyring::Error::NoEntry)) => StoreStatus::Available,
        Ok(Err(e)) => StoreStatus::Unavailable(format!("the secret store did not answer ({})", words(e))),
        Err(e) => StoreStatus::Unavailable(e),
    }
}

fn entry(service: &str, profile: &str) -> Result<keyring::Entry, String> {
    keyring::Entry::new(service, profile).map_err(words)
}

fn read(service: &str, profile: &str) -> Result<Option<Secret>, String> {
    match entry(service, profile)?.get_password() {
        Ok(password) => Ok(Some(Secret::new(password))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(words(e)),
    }
}

fn delete(service: &str, profile: &str) -> Result<(), String> {
    match entry(service, profile)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(words(e)),
    }
}

fn words(e: keyring::Error) -> String {
    words_ref(&e)
}

/// The error in words that never carry the secret (some variants hold its bytes).
fn words_ref(e: &keyring::Error) -> String {
    use keyring::Error as E;
    match e {
        E::PlatformFailure(inner) => format!("the secret store failed: {inner}"),
        E::NoStorageAccess(inner) => format!("the secret store is locked or refused access: {inner}"),
        E::NoEntry => "no password is saved there".to_owned(),
        E::BadEncoding(_) => "the saved password is not UTF-8 text".to_owned(),
        E::BadDataFormat(..) => "the saved entry is not in the expected format".to_owned(),
        E::TooLong(what, limit) => format!("the {what} is longer than the store allows ({limit})"),
        E::Invalid(what, why) => format!("{what}: {why}"),
        E::Ambiguous(_) => "the store holds more than one entry for this connection".to_owned(),
        E::NoDefaultStore => "there is no secret store on this system".to_owned(),
        _ => "the secret store failed".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wait for the next outcome that is not the status (the store answers in milliseconds).
    fn next(store: &mut SecretStore) -> Outcome {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            if let Some(outcome) = store.try_outcome()
                && !matches!(outcome, Outcome::Status(_))
            {
                return outcome;
            }
            assert!(std::time::Instant::now() < deadline, "the store thread did not answer");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    fn status(store: &mut SecretStore) -> StoreStatus {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while *store.status() == StoreStatus::Checking {
            let _ = store.try_outcome();
            assert!(std::time::Instant::now() < deadline, "the probe did not answer");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        store.status().clone()
    }

    /// CI runs the tests inside a D-Bus session with gnome-keyring unlocked
    /// and sets `MQSCOPE_REQUIRE_KEYRING`, so there this cannot be skipped.
    fn keyring_or_skip(store: &mut SecretStore) -> bool {
        match status(store) {
            StoreStatus::Available => true,
            other => {
                assert!(
                    std::env::var_os("MQSCOPE_REQUIRE_KEYRING").is_none(),
                    "a secret store was required: {other:?}"
                );
                eprintln!("skipped: no secret store here ({other:?})");
                false
            }
        }
    }

    #[test]
    fn save_read_rename_delete_in_the_os_store() {
        let service = format!("mqscope-test-{}", fastrand::u64(..));
        let mut store = SecretStore::os(&service);
        if !keyring_or_skip(&mut store) {
            return;
        }
        let read = |store: &mut SecretStore, profile: &str| -> (Option<String>, Option<String>) {
            store.read(profile);
            match next(store) {
                Outcome::Read { result: Ok(c), .. } => (
                    c.password.map(|s| s.expose().to_owned()),
                    c.passphrase.map(|s| s.expose().to_owned()),
                ),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(read(&mut store, "plant"), (None, None));
        store.save("plant", SecretKind::Password, Secret::new("pa55 wörd"));
        let saved = next(&mut store);
        assert!(matches!(saved, Outcome::Saved { result: Ok(()), .. }), "{saved:?}");
        store.save("plant", SecretKind::KeyPassphrase, Secret::new("key phrase"));
        assert!(matches!(next(&mut store), Outcome::Saved { result: Ok(()), .. }));
        // A second store (another run of the app) finds them.
        let mut again = SecretStore::os(&service);
        assert_eq!(
            read(&mut again, "plant"),
            (Some("pa55 wörd".into()), Some("key phrase".into()))
        );
        store.rename("plant", "plant eu");
        assert!(matches!(next(&mut store), Outcome::Renamed { result: Ok(2), .. }));
        assert_eq!(read(&mut store, "plant"), (None, None));
        assert_eq!(
            read(&mut store, "plant eu"),
            (Some("pa55 wörd".into()), Some("key phrase".into()))
        );
        store.delete("plant eu");
        assert!(matches!(next(&mut store), Outcome::Deleted { result: Ok(()), .. }));
        assert_eq!(read(&mut store, "plant eu"), (None, None));
        // Deleting what is not there is not an error; renaming it says there was none.
        store.delete("never saved");
        assert!(matches!(next(&mut store), Outcome::Deleted { result: Ok(()), .. }));
        store.rename("never saved", "x");
        assert!(matches!(next(&mut store), Outcome::Renamed { result: Ok(0), .. }));
    }

    #[test]
    fn an_unavailable_store_says_why_and_does_nothing() {
        let mut store = SecretStore::unavailable("no Secret Service on this machine");
        assert!(!store.available());
        store.save("a", SecretKind::Password, Secret::new("x"));
        store.read("a");
        assert!(store.try_outcome().is_none());
        assert_eq!(
            store.status(),
            &StoreStatus::Unavailable("no Secret Service on this machine".into())
        );
    }

    #[test]
    fn storage_names_in_the_file() {
        for (storage, text) in [
            (PasswordStorage::Ask, "\"ask\""),
            (PasswordStorage::Keyring, "\"keyring\""),
            (PasswordStorage::File, "\"file\""),
        ] {
            assert_eq!(serde_json::to_string(&storage).unwrap(), text);
        }
    }
}

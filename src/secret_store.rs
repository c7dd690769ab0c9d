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

/// What the store thread did.
#[derive(Debug)]
pub enum Outcome {
    Status(StoreStatus),
    /// A password was saved for `profile`.
    Saved {
        profile: String,
        result: Result<(), String>,
    },
    /// The password of `profile`; `Ok(None)` when there is none.
    Read {
        profile: String,
        result: Result<Option<Secret>, String>,
    },
    /// The password of `from` now belongs to `to` (`Ok(false)`: there was none).
    Renamed {
        from: String,
        to: String,
        result: Result<bool, String>,
    },
    /// The password of `profile` is gone (or was never there).
    Deleted {
        profile: String,
        result: Result<(), String>,
    },
}

enum Job {
    Probe,
    Save { profile: String, secret: Secret },
    Read { profile: String },
    Rename { from: String, to: String },
    Delete { profile: String },
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

    pub fn save(&self, profile: &str, secret: Secret) {
        self.send(Job::Save {
            profile: profile.to_owned(),
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
    match job {
        Job::Probe => Outcome::Status(probe(service)),
        Job::Save { profile, secret } => {
            let result = entry(service, &profile).and_then(|e| e.set_password(secret.expose()).map_err(words));
            Outcome::Saved { profile, result }
        }
        Job::Read { profile } => {
            let result = read(service, &profile);
            Outcome::Read { profile, result }
        }
        Job::Rename { from, to } => {
            let result = (|| {
                let Some(secret) = read(service, &from)? else {
                    return Ok(false);
                };
                entry(service, &to)?.set_password(secret.expose()).map_err(words)?;
                delete(service, &from)?;
                Ok(true)
            })();
            Outcome::Renamed { from, to, result }
        }
        Job::Delete { profile } => {
            let result = delete(service, &profile);
            Outcome::Deleted { profile, result }
        }
    }
}

fn probe(service: &str) -> StoreStatus {
    if let Err(e) = keyring::Entry::store_status() {
        return StoreStatus::Unavailable(format!("no secret store answers here ({})", words_ref(e)));
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
        store.read("plant");
        assert!(matches!(next(&mut store), Outcome::Read { result: Ok(None), .. }));
        store.save("plant", Secret::new("pa55 wörd"));
        let saved = next(&mut store);
        assert!(matches!(saved, Outcome::Saved { result: Ok(()), .. }), "{saved:?}");
        // A second store (another run of the app) finds it.
        let mut again = SecretStore::os(&service);
        again.read("plant");
        match next(&mut again) {
            Outcome::Read {
                profile,
                result: Ok(Some(secret)),
            } => assert_eq!((profile.as_str(), secret.expose()), ("plant", "pa55 wörd")),
            other => panic!("{other:?}"),
        }
        store.rename("plant", "plant eu");
        assert!(matches!(next(&mut store), Outcome::Renamed { result: Ok(true), .. }));
        store.read("plant");
        assert!(matches!(next(&mut store), Outcome::Read { result: Ok(None), .. }));
        store.read("plant eu");
        assert!(matches!(next(&mut store), Outcome::Read { result: Ok(Some(s)), .. } if s.expose() == "pa55 wörd"));
        store.delete("plant eu");
        assert!(matches!(next(&mut store), Outcome::Deleted { result: Ok(()), .. }));
        store.read("plant eu");
        assert!(matches!(next(&mut store), Outcome::Read { result: Ok(None), .. }));
        // Deleting what is not there is not an error; renaming it says there was none.
        store.delete("never saved");
        assert!(matches!(next(&mut store), Outcome::Deleted { result: Ok(()), .. }));
        store.rename("never saved", "x");
        assert!(matches!(next(&mut store), Outcome::Renamed { result: Ok(false), .. }));
    }

    #[test]
    fn an_unavailable_store_says_why_and_does_nothing() {
        let mut store = SecretStore::unavailable("no Secret Service on this machine");
        assert!(!store.available());
        store.save("a", Secret::new("x"));
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

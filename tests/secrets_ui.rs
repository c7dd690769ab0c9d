//! Where passwords live, through the profile form against a Mosquitto that
//! requires one: the system keyring (gnome-keyring's Secret Service in CI,
//! see scripts/with-keyring.sh) keeps it out of the profile file; without a
//! keyring the user chooses the file (0600, marked in the form) or a prompt.

mod common;

use std::path::Path;

use common::harness::{TestApp, harness_in, harness_keyring, has_label, has_text, step_until, type_into};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use mqscope::app::Startup;
use mqscope::profiles::ProfileStore;
use mqscope::secret_store::{PasswordStorage, StoreStatus};
use mqscope::vocab::ConnectionState;

fn connected(h: &Harness<'static, TestApp>) -> bool {
    h.state().app.connection_state() == Some(&ConnectionState::Connected)
}

/// Fill the new-connection form for `broker` as alice with `password`.
fn fill_form(harness: &mut Harness<'static, TestApp>, name: &str, port: u16, password: &str) {
    harness.get_by_label("New connection").click();
    step_until(harness, "the form", |h| has_label(h, "Save and connect"));
    harness.run_steps(2);
    type_into(harness, "Name", name);
    type_into(harness, "Host", "127.0.0.1");
    type_into(harness, "Port", &port.to_string());
    type_into(harness, "User name", "alice");
    type_into(harness, "Password", password);
}

fn profiles_file(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("profiles.json")).unwrap()
}

/// What `secret-tool` (libsecret, a second client of the same Secret Service) finds.
fn secret_tool_lookup(service: &str, profile: &str) -> Option<String> {
    let out = std::process::Command::new("secret-tool")
        .args(["lookup", "service", service, "username", profile])
        .output()
        .expect("secret-tool (Debian package libsecret-tools) is installed");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Wait for the app's keyring check. Without a keyring the test is skipped,
/// saying so, except where `MQSCOPE_REQUIRE_KEYRING` is set (CI): there it fails.
fn keyring_answers(harness: &mut Harness<'static, TestApp>) -> bool {
    step_until(harness, "the keyring check", |h| {
        *h.state().app.keyring_status() != StoreStatus::Checking
    });
    if let StoreStatus::Unavailable(why) = harness.state().app.keyring_status() {
        assert!(
            std::env::var_os("MQSCOPE_REQUIRE_KEYRING").is_none(),
            "a keyring was required: {why}"
        );
        // Straight to stdout, past the test harness's capture: a skip is seen.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stdout().lock(),
            "SKIPPED a keyring test: no private keyring session ({why}); run it under scripts/with-keyring.sh"
        );
        return false;
    }
    true
}

#[test]
fn a_keyring_password_never_reaches_the_profile_file_and_connects_after_a_restart() {
    let password = format!("kr-{}", fastrand::u64(..));
    let broker = common::Mosquitto::start_with_password("alice", &password);
    let service = format!("mqscope-test-{}", fastrand::u64(..));
    let config = tempfile::tempdir().unwrap();
    let config_path = config.path().to_path_buf();
    let mut harness = harness_keyring(Startup::Welcome, config, &service);
    if !keyring_answers(&mut harness) {
        return;
    }

    fill_form(&mut harness, "Secured", broker.port, &password);
    // The keyring is the default when there is one.
    assert!(has_text(&harness, "In the system keyring"), "shown as the choice");
    harness.get_by_label("Password storage").click();
    harness.run_steps(2);
    harness.get_by_label("In the system keyring").click();
    harness.run_steps(2);
    assert!(
        !has_text(&harness, "stored unencrypted"),
        "no plain-text warning for the keyring"
    );
    harness.get_by_label("Save and connect").click();
    step_until(&mut harness, "the connection", connected);
    step_until(&mut harness, "the keyring's answer", |h| {
        has_text(h, "The password of 'Secured' is saved in the system keyring.")
    });
    harness.state().app.flush_files();
    let file = profiles_file(&config_path);
    assert!(!file.contains(&password), "{file}");
    assert!(file.contains(r#""password_storage": "keyring""#), "{file}");
    assert_eq!(
        secret_tool_lookup(&service, "Secured").as_deref(),
        Some(password.as_str()),
        "another Secret Service client finds it"
    );

    // A new run (the same profiles file): Connect reads the keyring, no prompt.
    let config = tempfile::TempDir::new().unwrap();
    std::fs::copy(config_path.join("profiles.json"), config.path().join("profiles.json")).unwrap();
    drop(harness);
    let mut harness = harness_keyring(Startup::Profile("Secured".into()), config, &service);
    step_until(&mut harness, "the connection with the keyring's password", connected);
    assert!(!has_label(&harness, "Password for Secured"));

    // Save and connect from the edit form with the field left empty: the keyring's password.
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "Edit Secured"));
    harness.get_by_label("Edit Secured").click();
    step_until(&mut harness, "the edit form", |h| has_label(h, "Save and connect"));
    harness.run_steps(2);
    // The profile's tab connects again (not a second tab): the broker sees
    // a new connection as alice, which only the right password gets through.
    let mark = broker.log_mark();
    harness.get_by_label("Save and connect").click();
    step_until(&mut harness, "the form closed", |h| !has_label(h, "Save and connect"));
    broker.wait_for_log(mark, &["New client connected", "u'alice'"]);
    step_until(&mut harness, "connected again with the keyring's password", |h| {
        h.state().app.connection_state_of(0) == Some(&ConnectionState::Connected)
    });
    assert_eq!(harness.state().app.connection_names(), ["Secured"], "in its own tab");
    assert!(!has_label(&harness, "Password for Secured"));

    // Renamed: the entry follows. Deleted: it goes.
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "Edit Secured"));
    harness.get_by_label("Edit Secured").click();
    step_until(&mut harness, "the edit form", |h| has_label(h, "Delete"));
    harness.run_steps(2);
    assert!(has_text(
        &harness,
        "The password saved there stays unless you type a new one."
    ));
    type_into(&mut harness, "Name", "Secured EU");
    harness.get_by_label("Save").click();
    step_until(&mut harness, "the keyring entry renamed", |_| {
        secret_tool_lookup(&service, "Secured EU").is_some()
    });
    assert_eq!(secret_tool_lookup(&service, "Secured"), None);
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "Edit Secured EU"));
    harness.get_by_label("Edit Secured EU").click();
    step_until(&mut harness, "the edit form", |h| has_label(h, "Delete"));
    harness.run_steps(2);
    harness.get_by_label("Delete").click();
    // Delete asks first.
    step_until(&mut harness, "the confirmation", |h| has_label(h, "Delete for good"));
    assert!(
        secret_tool_lookup(&service, "Secured EU").is_some(),
        "not before it is confirmed"
    );
    harness.get_by_label("Delete for good").click();
    step_until(&mut harness, "the keyring entry deleted", |_| {
        secret_tool_lookup(&service, "Secured EU").is_none()
    });

    // A profile that keeps its password in the keyring, with nothing there yet
    // (moved from another machine): asked once, then kept there.
    let config = tempfile::tempdir().unwrap();
    let file = serde_json::json!({"version": 2, "profiles": [{
        "name": "Fresh", "host": "127.0.0.1", "port": broker.port,
        "username": "alice", "password_storage": "keyring"
    }]});
    std::fs::write(config.path().join("profiles.json"), file.to_string()).unwrap();
    let mut harness = harness_keyring(Startup::Profile("Fresh".into()), config, &service);
    step_until(&mut harness, "the prompt", |h| has_label(h, "Password for Fresh"));
    assert!(has_text(
        &harness,
        "No password for 'Fresh' is in the system keyring. It will be kept there once you connect."
    ));
    harness.run_steps(2);
    type_into(&mut harness, "Password", &password);
    harness.get_by_label("Connect").click();
    step_until(&mut harness, "the connection", connected);
    step_until(&mut harness, "the password kept in the keyring", |_| {
        secret_tool_lookup(&service, "Fresh").as_deref() == Some(password.as_str())
    });

    // Moved to the profile file without retyping it: read from the keyring into
    // the file, then gone from the keyring. Nothing lost.
    let config_path = harness.state().config.path().to_path_buf();
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "Edit Fresh"));
    harness.get_by_label("Edit Fresh").click();
    step_until(&mut harness, "the edit form", |h| has_label(h, "Delete"));
    harness.run_steps(2);
    harness.get_by_label("Password storage").click();
    harness.run_steps(2);
    harness.get_by_label("In the profile file (plain text)").click();
    harness.run_steps(2);
    harness.get_by_label("Save").click();
    step_until(&mut harness, "the move's notice", |h| {
        has_text(
            h,
            "The secrets of 'Fresh' moved from the system keyring to the profile file.",
        )
    });
    harness.state().app.flush_files();
    let file = profiles_file(&config_path);
    assert!(file.contains(&password), "{file}");
    assert!(file.contains(r#""password_storage": "file""#), "{file}");
    step_until(&mut harness, "the keyring entry gone", |_| {
        secret_tool_lookup(&service, "Fresh").is_none()
    });
}

#[test]
fn without_a_keyring_the_password_goes_to_a_0600_file_or_is_asked() {
    let password = format!("file-{}", fastrand::u64(..));
    let broker = common::Mosquitto::start_with_password("alice", &password);
    let config = tempfile::tempdir().unwrap();
    let config_path = config.path().to_path_buf();
    let mut harness = harness_in(Startup::Welcome, config);
    harness.run_steps(2);

    fill_form(&mut harness, "Plain", broker.port, &password);
    assert!(has_text(
        &harness,
        "No system keyring: the keyring is turned off (--no-keyring)."
    ));
    // The keyring cannot be chosen; the default is to ask.
    assert!(has_text(&harness, "Ask at each connect"), "shown as the choice");
    harness.get_by_label("Password storage").click();
    harness.run_steps(2);
    harness.get_by_label("In the system keyring").click();
    harness.run_steps(2);
    assert!(has_text(&harness, "Ask at each connect"), "still the choice");
    if !has_label(&harness, "In the profile file (plain text)") {
        harness.get_by_label("Password storage").click();
        harness.run_steps(2);
    }
    harness.get_by_label("In the profile file (plain text)").click();
    harness.run_steps(2);
    assert!(has_text(
        &harness,
        "The password will be stored unencrypted in profiles.json (readable only by you)."
    ));
    harness.get_by_label("Save").click();
    step_until(&mut harness, "the form closed", |h| !has_label(h, "Save and connect"));
    harness.state().app.flush_files();
    let file = profiles_file(&config_path);
    assert!(file.contains(&password), "chosen: in the file");
    assert!(file.contains(r#""password_storage": "file""#), "{file}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(config_path.join("profiles.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Round trip: a new run connects with the password from the file.
    let config = tempfile::TempDir::new().unwrap();
    std::fs::copy(config_path.join("profiles.json"), config.path().join("profiles.json")).unwrap();
    let mut harness = harness_in(Startup::Profile("Plain".into()), config);
    step_until(&mut harness, "the connection with the file's password", connected);
    assert!(!has_label(&harness, "Password for Plain"));

    // Ask at each connect: nothing written, the prompt asks, the broker accepts.
    let config = tempfile::tempdir().unwrap();
    let config_path = config.path().to_path_buf();
    let mut harness = harness_in(Startup::Welcome, config);
    harness.run_steps(2);
    fill_form(&mut harness, "Asked", broker.port, &password);
    harness.get_by_label("Password storage").click();
    harness.run_steps(2);
    harness.get_by_label("Ask at each connect").click();
    harness.run_steps(2);
    harness.get_by_label("Save").click();
    step_until(&mut harness, "the form closed", |h| !has_label(h, "Save and connect"));
    harness.state().app.flush_files();
    let file = profiles_file(&config_path);
    assert!(!file.contains(&password), "{file}");
    assert!(file.contains(r#""password_storage": "ask""#), "{file}");
    harness.get_by_label("Asked").click();
    step_until(&mut harness, "the prompt", |h| has_label(h, "Password for Asked"));
    harness.run_steps(2);
    type_into(&mut harness, "Password", &password);
    harness.get_by_label("Connect").click();
    step_until(&mut harness, "the connection with the typed password", connected);
}

/// Mosquitto requiring a client certificate, and that certificate's key
/// encrypted with `passphrase` (`openssl pkcs8 -topk8`, as a user would).
fn mutual_tls_broker(passphrase: &str) -> (common::Mosquitto, common::certs::TestPki, u16, std::path::PathBuf) {
    let pki = common::certs::TestPki::new();
    let (broker, ports) = common::Mosquitto::start_with_ports(1, |p| {
        format!(
            "allow_anonymous true\nlistener {} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate true\n",
            p[0],
            pki.ca.display(),
            pki.server_cert.display(),
            pki.server_key.display(),
        )
    });
    let port = ports[0];
    let encrypted = pki.dir.path().join("client-encrypted.key");
    let status = std::process::Command::new("openssl")
        .args(["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout"])
        .arg(format!("pass:{passphrase}"))
        .arg("-in")
        .arg(&pki.client_key)
        .arg("-out")
        .arg(&encrypted)
        .status()
        .expect("openssl (Debian package openssl) is installed");
    assert!(status.success());
    (broker, pki, port, encrypted)
}

fn mtls_profile(name: &str, port: u16, pki: &common::certs::TestPki, key: &Path) -> mqscope::profiles::Profile {
    let mut profile = mqscope::profiles::Profile {
        name: name.into(),
        host: "localhost".into(),
        port,
        transport: mqscope::vocab::Transport::Tls,
        ..Default::default()
    };
    profile.tls.ca_file = Some(pki.ca.clone());
    profile.tls.client_cert = Some(pki.client_cert.clone());
    profile.tls.client_key = Some(key.to_path_buf());
    profile
}

fn failure(h: &Harness<'static, TestApp>) -> Option<String> {
    match h.state().app.connection_state()? {
        ConnectionState::Failed { reason } | ConnectionState::Reconnecting { reason, .. } => Some(reason.clone()),
        _ => None,
    }
}

#[test]
fn an_encrypted_client_key_is_opened_with_a_passphrase_asked_once_and_kept_in_the_keyring() {
    let passphrase = format!("kp-{}", fastrand::u64(..));
    let (_broker, pki, port, key) = mutual_tls_broker(&passphrase);
    let service = format!("mqscope-test-{}", fastrand::u64(..));
    let config = tempfile::tempdir().unwrap();
    let mut profile = mtls_profile("Plant mTLS", port, &pki, &key);
    profile.password_storage = PasswordStorage::Keyring;
    let (mut store, _) = ProfileStore::load(config.path());
    store.upsert(None, profile).unwrap();
    store.flush();
    let profiles = std::fs::read_to_string(config.path().join("profiles.json")).unwrap();

    let mut harness = harness_keyring(Startup::Profile("Plant mTLS".into()), config, &service);
    if !keyring_answers(&mut harness) {
        return;
    }
    step_until(&mut harness, "the prompt for the passphrase", |h| {
        has_label(h, "Key passphrase for Plant mTLS")
    });
    assert!(has_text(
        &harness,
        "No key passphrase for 'Plant mTLS' is in the system keyring. It will be kept there once you connect."
    ));
    assert!(!has_label(&harness, "Password"), "no user name: no password asked");
    harness.run_steps(2);
    type_into(&mut harness, "Key passphrase", &passphrase);
    harness.get_by_label("Connect").click();
    step_until(&mut harness, "the mutual-TLS connection", connected);
    step_until(&mut harness, "the passphrase kept in the keyring", |_| {
        // Its own service: no profile name can reach it as a password.
        secret_tool_lookup(&format!("{service} key passphrase"), "Plant mTLS").as_deref() == Some(passphrase.as_str())
    });

    // Next run: no prompt, the keyring opens the key.
    let config = tempfile::tempdir().unwrap();
    std::fs::write(config.path().join("profiles.json"), &profiles).unwrap();
    let mut harness = harness_keyring(Startup::Profile("Plant mTLS".into()), config, &service);
    step_until(&mut harness, "the connection with the keyring's passphrase", connected);
    assert!(!has_label(&harness, "Key passphrase for Plant mTLS"));
    let cleared = std::process::Command::new("secret-tool")
        .args([
            "clear",
            "service",
            &format!("{service} key passphrase"),
            "username",
            "Plant mTLS",
        ])
        .status()
        .unwrap();
    assert!(cleared.success());
}

#[test]
fn a_wrong_key_passphrase_is_said_in_words_and_never_shown() {
    let passphrase = format!("kp-{}", fastrand::u64(..));
    let (_broker, pki, port, key) = mutual_tls_broker(&passphrase);
    let config = tempfile::tempdir().unwrap();
    let (mut store, _) = ProfileStore::load(config.path());
    store
        .upsert(None, mtls_profile("Asked mTLS", port, &pki, &key))
        .unwrap();
    store.flush();
    let mut harness = harness_in(Startup::Profile("Asked mTLS".into()), config);
    step_until(&mut harness, "the prompt", |h| {
        has_label(h, "Key passphrase for Asked mTLS")
    });
    harness.run_steps(2);
    type_into(&mut harness, "Key passphrase", "not-the-passphrase");
    harness.get_by_label("Connect").click();
    step_until(&mut harness, "the refusal", |h| failure(h).is_some());
    let reason = failure(&harness).unwrap();
    assert!(reason.contains("passphrase") && reason.contains("is wrong"), "{reason}");
    assert!(!has_text(&harness, "not-the-passphrase"));
    assert!(has_text(&harness, "is wrong"), "the user sees it");

    // The right one, asked again from the menu, connects.
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "Connect to Asked mTLS"));
    harness.get_by_label("Connect to Asked mTLS").click();
    step_until(&mut harness, "the prompt again", |h| {
        has_label(h, "Key passphrase for Asked mTLS")
    });
    harness.run_steps(2);
    type_into(&mut harness, "Key passphrase", &passphrase);
    harness.get_by_label("Connect").click();
    step_until(&mut harness, "the connection", connected);
}

fn secret_tool_store(service: &str, profile: &str, secret: &str) {
    use std::io::Write as _;
    let mut child = std::process::Command::new("secret-tool")
        .args([
            "store",
            "--label",
            "mqscope test",
            "service",
            service,
            "username",
            profile,
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("secret-tool (Debian package libsecret-tools) is installed");
    child.stdin.take().unwrap().write_all(secret.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_passphrase_is_never_another_profiles_password_and_old_entries_move_once() {
    // It writes with secret-tool before any window: only in the private session.
    if std::env::var_os("MQSCOPE_IN_KEYRING_SESSION").is_none() {
        assert!(
            std::env::var_os("MQSCOPE_REQUIRE_KEYRING").is_none(),
            "a private keyring session was required"
        );
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stdout().lock(),
            "SKIPPED a keyring test: it writes with secret-tool, only under scripts/with-keyring.sh"
        );
        return;
    }
    let service = format!("mqscope-test-{}", fastrand::u64(..));
    let passphrases = format!("{service} key passphrase");
    // An earlier mqscope kept plant's passphrase as the password of "plant (key passphrase)".
    secret_tool_store(&service, "plant (key passphrase)", "the-passphrase");
    let config = tempfile::tempdir().unwrap();
    let (mut store, _) = ProfileStore::load(config.path());
    store
        .upsert(
            None,
            mqscope::profiles::Profile {
                name: "plant".into(),
                password_storage: PasswordStorage::Keyring,
                ..Default::default()
            },
        )
        .unwrap();
    store.flush();
    let profiles = profiles_file(config.path());
    let mut harness = harness_keyring(Startup::Welcome, config, &service);
    if !keyring_answers(&mut harness) {
        return;
    }
    step_until(&mut harness, "the passphrase moved, and said so", |h| {
        has_text(
            h,
            "1 key passphrase saved by an earlier mqscope moved to its own keyring entry",
        )
    });
    assert_eq!(harness.state().app.passphrases_moved(), Some(1));
    assert_eq!(
        secret_tool_lookup(&passphrases, "plant").as_deref(),
        Some("the-passphrase"),
        "another keyring client finds it in its new place"
    );
    assert_eq!(
        secret_tool_lookup(&service, "plant (key passphrase)"),
        None,
        "the old account is gone"
    );
    drop(harness);

    // Now a profile really named "plant (key passphrase)" with a password: nothing of
    // plant's is read as it, and its password is never taken for plant's passphrase.
    secret_tool_store(&service, "plant (key passphrase)", "someone-elses-password");
    let config = tempfile::tempdir().unwrap();
    std::fs::write(config.path().join("profiles.json"), &profiles).unwrap();
    let (mut store, _) = ProfileStore::load(config.path());
    store
        .upsert(
            None,
            mqscope::profiles::Profile {
                name: "plant (key passphrase)".into(),
                username: "alice".into(),
                password_storage: PasswordStorage::Keyring,
                ..Default::default()
            },
        )
        .unwrap();
    store.flush();
    let mut harness = harness_keyring(Startup::Welcome, config, &service);
    assert!(keyring_answers(&mut harness));
    // The start-up check has run (not a fixed wait), and moved nothing.
    step_until(&mut harness, "the start-up passphrase check", |h| {
        h.state().app.passphrases_moved().is_some()
    });
    assert_eq!(harness.state().app.passphrases_moved(), Some(0));
    assert_eq!(
        secret_tool_lookup(&service, "plant (key passphrase)").as_deref(),
        Some("someone-elses-password"),
        "a profile's own password is not moved"
    );
    assert_eq!(
        secret_tool_lookup(&passphrases, "plant").as_deref(),
        Some("the-passphrase")
    );
    for (svc, user) in [
        (service.as_str(), "plant (key passphrase)"),
        (passphrases.as_str(), "plant"),
    ] {
        let _ = std::process::Command::new("secret-tool")
            .args(["clear", "service", svc, "username", user])
            .status();
    }
}

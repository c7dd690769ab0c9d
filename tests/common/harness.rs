//! The whole app in an egui_kittest harness, with its own tokio runtime and
//! config folder, plus the waiting and querying the UI tests share.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use mqscope::app::{AppOptions, MqscopeApp, Startup};

pub struct TestApp {
    pub app: MqscopeApp,
    _runtime: tokio::runtime::Runtime,
    pub config: tempfile::TempDir,
}

pub fn harness(startup: Startup) -> Harness<'static, TestApp> {
    harness_in(startup, tempfile::tempdir().unwrap())
}

pub fn harness_in(startup: Startup, config: tempfile::TempDir) -> Harness<'static, TestApp> {
    harness_recording(startup, config, None)
}

/// The app with `--record PATH` as well. No system keyring: the machine's own is left alone.
pub fn harness_recording(
    startup: Startup,
    config: tempfile::TempDir,
    record: Option<std::path::PathBuf>,
) -> Harness<'static, TestApp> {
    harness_full(startup, config, record, None)
}

/// The app using the system keyring under the service name `keyring`.
///
/// Only inside the private keyring session of `scripts/with-keyring.sh`
/// (its marker `MQSCOPE_IN_KEYRING_SESSION`): elsewhere a test run must never
/// write to the user's own keyring, so the app gets no keyring at all and the
/// keyring tests skip (or fail, where `MQSCOPE_REQUIRE_KEYRING` asks for one).
pub fn harness_keyring(startup: Startup, config: tempfile::TempDir, keyring: &str) -> Harness<'static, TestApp> {
    let private = std::env::var_os("MQSCOPE_IN_KEYRING_SESSION").is_some();
    harness_full(startup, config, None, private.then(|| keyring.to_owned()))
}

/// What the app is started with in tests: `startup` in the config folder
/// `config`, nothing else (no stats file, recording, charts or keyring).
pub fn options(startup: Startup, config: &std::path::Path) -> AppOptions {
    AppOptions {
        startup,
        config_dir: config.to_path_buf(),
        stats_json: None,
        record: None,
        charts: Vec::new(),
        process_start: Instant::now(),
        wgpu: false,
        keyring: None,
    }
}

/// A second window on the settings folder `dir` of another (a user who
/// starts mqscope twice). Its own `config` is an empty folder it does not use.
pub fn harness_beside(startup: Startup, dir: &std::path::Path) -> Harness<'static, TestApp> {
    build(options(startup, dir), tempfile::tempdir().unwrap())
}

fn harness_full(
    startup: Startup,
    config: tempfile::TempDir,
    record: Option<std::path::PathBuf>,
    keyring: Option<String>,
) -> Harness<'static, TestApp> {
    let options = AppOptions {
        record,
        keyring,
        ..options(startup, config.path())
    };
    build(options, config)
}

fn build(options: AppOptions, config: tempfile::TempDir) -> Harness<'static, TestApp> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = MqscopeApp::new(options, runtime.handle().clone());
    let state = TestApp {
        app,
        _runtime: runtime,
        config,
    };
    Harness::builder().with_size(egui::vec2(1400.0, 900.0)).build_ui_state(
        |ui, state: &mut TestApp| {
            state.app.logic(ui.ctx());
            state.app.ui(ui);
        },
        state,
    )
}

/// What eframe keeps between runs (its `app.ron`): the test plays eframe,
/// calling the app's `save` at exit and handing the storage to the next run's
/// `restore`, so neither the keys nor the encoding are the test's guess.
#[derive(Default)]
pub struct RunStorage(std::collections::HashMap<String, String>);

impl eframe::Storage for RunStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

/// The window closing: eframe asks the app to save into its storage.
pub fn save_at_exit(harness: &mut Harness<'static, TestApp>) -> RunStorage {
    let mut storage = RunStorage::default();
    eframe::App::save(&mut harness.state_mut().app, &mut storage);
    storage
}

/// Step the UI (real time passes for the network) until `done` or the timeout.
pub fn step_until(
    harness: &mut Harness<'static, TestApp>,
    what: &str,
    done: impl Fn(&Harness<'static, TestApp>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        harness.step();
        if done(harness) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether some widget is labelled exactly `label` (one or several: a topic
/// can be both the inspector's title and a row of the chart's series list).
pub fn has_label(harness: &Harness<'static, TestApp>, label: &str) -> bool {
    harness.query_all_by_label(label).next().is_some()
}

pub fn has_text(harness: &Harness<'static, TestApp>, needle: &str) -> bool {
    harness
        .query_all_by(|node| {
            node.label().is_some_and(|l| l.contains(needle)) || node.value().is_some_and(|v| v.contains(needle))
        })
        .next()
        .is_some()
}

/// Replace the text of the field labelled `label`, as a user would.
pub fn type_into(harness: &mut Harness<'static, TestApp>, label: &str, text: &str) {
    harness.get_by_label(label).focus();
    harness.step();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.step();
    harness.key_press(egui::Key::Backspace);
    harness.step();
    harness.get_by_label(label).type_text(text);
    harness.step();
}

/// The app connected to the broker at `url` (subscribed to `#`), after a
/// moment for the SUBACK.
pub fn connected_to(url: &str) -> Harness<'static, TestApp> {
    let spec = mqscope::vocab::parse_broker_url(url).expect("a test URL");
    let mut harness = harness(Startup::Connect(Box::new(spec)));
    step_until(&mut harness, "the connection", |h| {
        h.state().app.connection_state() == Some(&mqscope::vocab::ConnectionState::Connected)
    });
    // The broker's SUBACK, as the subscriptions panel shows it (not a fixed sleep).
    step_until(&mut harness, "the subscription granted", |h| has_text(h, "granted QoS"));
    harness
}

/// Whether a tree row labelled `label` is where the user can see it: below the
/// tree's search row and inside the window. (A row drawn above the list's top
/// is clipped away; the accessibility tree still lists it.)
pub fn row_on_screen(harness: &Harness<'static, TestApp>, label: &str) -> bool {
    let Some(search) = harness.query_all_by_label("Search").next() else {
        return false;
    };
    let top = search.rect().max.y;
    let bottom = harness.ctx.content_rect().max.y;
    harness
        .query_all_by_label(label)
        .any(|node| node.rect().min.y >= top && node.rect().max.y <= bottom)
}

/// Record the connection on screen to `file` from the top bar, then stop:
/// the window then says what it recorded (a notice).
pub fn record_and_stop(harness: &mut Harness<'static, TestApp>, file: &std::path::Path) {
    let stop = |h: &Harness<'static, TestApp>| {
        h.query_all_by(|n| n.label().is_some_and(|l| l.starts_with("⏹ Stop recording")))
            .next()
            .is_some()
    };
    harness.get_by_label("⏺ Record").click();
    step_until(harness, "the record window", |h| has_label(h, "Start recording"));
    type_into(harness, "File", &file.display().to_string());
    harness.get_by_label("Start recording").click();
    step_until(harness, "recording", stop);
    harness
        .query_all_by(|n| n.label().is_some_and(|l| l.starts_with("⏹ Stop recording")))
        .next()
        .unwrap()
        .click();
}

//! The real binary in a real (virtual) X server: what only the whole program
//! shows. Needs Xvfb, openbox, xdotool and xprop (Debian packages xvfb,
//! openbox, xdotool, x11-utils), which .ci/run installs.

mod common;

use common::xvfb::Xvfb;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The stats file as last written (`Null` before the first write).
fn stats_of(stats: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(stats).unwrap_or_default()).unwrap_or_default()
}

fn frames(stats: &Path) -> u64 {
    stats_of(stats)["frames"].as_u64().unwrap_or(0)
}

/// The binary on `display`, with `args`: its home, config and window state
/// (eframe's, under `home/.local/share`) in `home`, `--no-keyring`, its
/// stats in `home/stats.json`, software GL, its output discarded.
fn mqscope(display: &str, home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mqscope"));
    command
        .args(args)
        .args(["--no-keyring", "--stats-json"])
        .arg(home.join("stats.json"))
        .env("DISPLAY", display)
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("XDG_DATA_HOME")
        .env("HOME", home)
        .env("MQSCOPE_CONFIG_DIR", home.join("config"))
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

#[test]
fn sigterm_closes_the_window_as_its_close_button_does() {
    let x = Xvfb::start();
    let home = tempfile::tempdir().unwrap();
    let stats = home.path().join("stats.json");
    let mut app = mqscope(&x.display, home.path(), &["--demo"]).spawn().unwrap();
    wait_until("the window's frames", Duration::from_secs(60), || frames(&stats) > 5);
    // --stats-json, read back: the demo's messages all reached the model.
    wait_until("demo messages in the stats", Duration::from_secs(30), || {
        let v = stats_of(&stats);
        v["received"].as_u64().unwrap_or(0) >= 20 && v["received"] == v["applied"]
    });
    let v = stats_of(&stats);
    assert_eq!(v["dropped"], 0, "{v}");
    assert!(v["topics"].as_u64().unwrap() >= 10, "{v}");
    assert_eq!(v["connections"][0]["state"], "connected", "{v}");
    let status = Command::new("kill")
        .args(["-TERM", &app.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut exited = None;
    wait_until("the exit after SIGTERM", Duration::from_secs(20), || {
        exited = app.try_wait().unwrap();
        exited.is_some()
    });
    assert!(exited.unwrap().success(), "closed cleanly: {exited:?}");
    // eframe saved the window state on the way out, in a private folder.
    let storage = home.path().join(".local/share/mqscope");
    let saved = std::fs::read_to_string(storage.join("app.ron")).expect("the window state was saved");
    // The app's own part of it: what the next run's `restore` reads.
    assert!(
        saved.contains("\"expanded_topics\"") && saved.contains("\"last_profile\""),
        "{saved}"
    );
    assert!(
        saved.contains("Demo broker"),
        "the demo's expanded topics, by its name: {saved}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&storage).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "the window state is the user's alone");
    }
}

#[test]
fn tls_use_os_certs_trusts_what_ssl_cert_file_names() {
    // The system's CA store, as OpenSSL-based tools read it: SSL_CERT_FILE.
    let pki = common::certs::TestPki::new();
    let (_broker, ports) = common::Mosquitto::start_with_ports(1, |p| {
        format!(
            "allow_anonymous true\nlistener {} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\n",
            p[0],
            pki.ca.display(),
            pki.server_cert.display(),
            pki.server_key.display()
        )
    });
    let port = ports[0];
    let x = Xvfb::start();
    let run = |cert_file: Option<&Path>| {
        let home = tempfile::tempdir().unwrap();
        let stats = home.path().join("stats.json");
        let url = format!("mqtts://localhost:{port}");
        let mut command = mqscope(&x.display, home.path(), &["--broker", &url, "--tls-use-os-certs"]);
        command.env_remove("SSL_CERT_DIR");
        match cert_file {
            Some(file) => command.env("SSL_CERT_FILE", file),
            None => command.env("SSL_CERT_FILE", home.path().join("no-such-bundle.pem")),
        };
        let mut app = command.spawn().unwrap();
        let mut state = String::new();
        wait_until("the connection to settle", Duration::from_secs(60), || {
            let v = stats_of(&stats);
            state = v["connections"][0]["state"].as_str().unwrap_or_default().to_owned();
            state == "connected" || state == "error"
        });
        let _ = app.kill();
        let _ = app.wait();
        state
    };
    assert_eq!(
        run(Some(&pki.ca)),
        "connected",
        "the CA named by SSL_CERT_FILE is trusted"
    );
    assert_eq!(
        run(None),
        "error",
        "the control: without it, the broker's CA is unknown"
    );
}

/// Openbox on the display: a real window manager, so that minimising is what
/// a desktop does (the window unmapped, `_NET_WM_STATE_HIDDEN` set). Killed
/// when dropped.
struct Openbox(std::process::Child);

impl Openbox {
    fn start(display: &str) -> Self {
        let child = Command::new("openbox")
            .env("DISPLAY", display)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openbox (Debian package openbox) is installed");
        Self(child)
    }
}

impl Drop for Openbox {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn xtool(display: &str, program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .env("DISPLAY", display)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A first window larger than the screen opens maximised. Minimised, it
/// draws no frame, and still takes every message the broker sends:
/// mosquitto_sub, on the same topics, is the control. Shown again, it draws
/// again.
#[test]
fn a_minimised_window_draws_nothing_and_still_takes_every_message() {
    const N: usize = 3_000;
    let broker = common::Mosquitto::start();
    let x = Xvfb::start();
    let _wm = Openbox::start(&x.display);
    let home = tempfile::tempdir().unwrap();
    let stats = home.path().join("stats.json");
    let mut app = mqscope(&x.display, home.path(), &["--broker", &broker.url()])
        .spawn()
        .unwrap();
    wait_until("the connection", Duration::from_secs(60), || {
        let v = stats_of(&stats);
        v["connections"][0]["state"] == "connected" && v["frames"].as_u64().unwrap_or(0) > 3
    });
    let window = xtool(&x.display, "xdotool", &["search", "--name", "mqscope"])
        .lines()
        .next()
        .expect("the window")
        .to_owned();
    // 1360×840 does not fit this 1280×800 screen: the first window opens
    // maximised, its status bar on screen, not under the screen's edge.
    wait_until(
        "the window maximised to fit the screen",
        Duration::from_secs(10),
        || xtool(&x.display, "xprop", &["-id", &window, "_NET_WM_STATE"]).contains("_NET_WM_STATE_MAXIMIZED_VERT"),
    );
    xtool(&x.display, "xdotool", &["windowminimize", "--sync", &window]);
    wait_until("the window manager's hidden state", Duration::from_secs(10), || {
        xtool(&x.display, "xprop", &["-id", &window, "_NET_WM_STATE"]).contains("_NET_WM_STATE_HIDDEN")
    });
    // The stats file is written once a second, from the frame's logic, before
    // its drawing: two writes later it counts every frame drawn before hiding.
    let uptime = |v: &serde_json::Value| v["uptime_s"].as_f64().unwrap_or(0.0);
    let hidden_at = uptime(&stats_of(&stats));
    wait_until("two stats writes while hidden", Duration::from_secs(20), || {
        uptime(&stats_of(&stats)) > hidden_at + 2.1
    });
    let frames_hidden = frames(&stats);

    let control = common::MosquittoSub::start(&[
        "-p".into(),
        broker.port.to_string(),
        "-t".into(),
        "lab/最小化/#".into(),
        "-C".into(),
        N.to_string(),
        "-W".into(),
        "60".into(),
    ])
    .unwrap();
    let rt = common::runtime();
    let publisher = common::publisher(&rt, broker.port, "minimised-load");
    for i in 0..N {
        rt.block_on(publisher.publish(
            format!("lab/最小化/{}", i % 30),
            rumqttc::QoS::AtLeastOnce,
            false,
            format!("{{\"i\": {i}}}"),
        ))
        .unwrap();
    }
    publisher.settled(&rt);
    assert_eq!(control.payloads().len(), N, "the control got every message");
    wait_until("every message applied", Duration::from_secs(60), || {
        let v = stats_of(&stats);
        v["received"].as_u64() == Some(N as u64) && v["received"] == v["applied"]
    });
    let v = stats_of(&stats);
    assert_eq!(v["dropped"], 0, "{v}");
    assert_eq!(v["topics"], 30, "{v}");
    assert_eq!(frames(&stats), frames_hidden, "no frame drawn while minimised: {v}");

    // Shown again: it draws again.
    xtool(&x.display, "xdotool", &["windowactivate", "--sync", &window]);
    wait_until("a frame after the window is shown", Duration::from_secs(20), || {
        frames(&stats) > frames_hidden
    });
    let _ = app.kill();
    let _ = app.wait();
}

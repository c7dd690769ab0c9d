//! The command-line contract: bad arguments exit non-zero with a message a
//! person can act on, before any window opens (these runs have no display).

mod common;

use std::process::Command;

fn mqscope(args: &[&str]) -> (i32, String) {
    let config = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mqscope"))
        .args(args)
        .env("MQSCOPE_CONFIG_DIR", config.path())
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("the mqscope binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn unparseable_url_is_refused_with_the_reason() {
    let (code, stderr) = mqscope(&["--broker", "mqtt://localhost:99999"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("not a port number"), "{stderr}");
}

#[test]
fn invalid_filter_is_refused() {
    let (code, stderr) = mqscope(&["--broker", "mqtt://localhost", "--subscribe", "home/#/x"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("# must be a whole level"), "{stderr}");
}

#[test]
fn unknown_flag_is_refused() {
    let (code, stderr) = mqscope(&["--no-such-flag"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("--no-such-flag"), "{stderr}");
}

#[test]
fn missing_profile_is_named() {
    let (code, stderr) = mqscope(&["--profile", "Nope"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("no profile named 'Nope'"), "{stderr}");
}

#[test]
fn mosquitto_sub_style_flags_are_checked_before_any_window() {
    let (code, stderr) = mqscope(&["-h", "localhost", "-V", "mqttv4"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("mqttv4") && stderr.contains("mqttv5"), "{stderr}");
    let (code, stderr) = mqscope(&["-h", "localhost", "--cert", "/c.pem"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("--key"), "{stderr}");
    let (code, stderr) = mqscope(&["-h", "localhost", "-x", "60"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("-V mqttv5"), "{stderr}");
    let (code, stderr) = mqscope(&["-p", "1884"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("-h HOST"), "{stderr}");
}

#[test]
fn simulate_help_explains_simulate() {
    for args in [
        &["simulate", "--help"][..],
        &["simulate", "-h"][..],
        &["help", "simulate"][..],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_mqscope"))
            .args(args)
            .output()
            .expect("the mqscope binary runs");
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for flag in ["--broker <URL>", "--rate", "--count", "--payload", "--connections"] {
            assert!(help.contains(flag), "{args:?} lacks {flag}:\n{help}");
        }
    }
}

#[test]
fn help_lists_the_mosquitto_sub_flags() {
    let out = Command::new(env!("CARGO_BIN_EXE_mqscope"))
        .arg("--help")
        .output()
        .expect("the mqscope binary runs");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "-h, --host",
        "-p, --port",
        "-t, --subscribe",
        "-u, --username",
        "-P, --pw",
        "-i, --id",
        "-k, --keepalive",
        "-V, --protocol-version",
        "--cafile",
        "--cert",
        "--key",
        "--insecure",
        "--will-topic",
        "--will-payload",
        "--will-qos",
        "--will-retain",
        "MQSCOPE_PASSWORD",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}:\n{help}");
    }
}

#[test]
fn simulate_logs_in_with_the_urls_user_and_stops_when_refused() {
    let broker = common::Mosquitto::start_with_password("alice", "s3cret/with-slash");
    let url = |password: &str| format!("mqtt://alice:{password}@127.0.0.1:{}", broker.port);
    // A second client as the witness: the messages really arrived.
    let port = broker.port.to_string();
    let witness = common::MosquittoSub::start(
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-u",
            "alice",
            "-P",
            "s3cret/with-slash",
            "-t",
            "sim/#",
            "-C",
            "20",
            "-W",
            "30",
        ]
        .map(String::from),
    )
    .expect("the witness subscribes");
    let (code, stderr) = mqscope(&[
        "simulate",
        "--broker",
        &url("s3cret%2Fwith-slash"),
        "--count",
        "20",
        "--topics",
        "5",
        "--qos",
        "1",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(witness.payloads().len(), 20, "the witness got all 20");
    // A wrong password: refused for good, said once, not retried for ever.
    let (code, stderr) = mqscope(&["simulate", "--broker", &url("wrong"), "--count", "20"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("refused the connection"), "{stderr}");
    assert!(!stderr.contains("wrong"), "the password is never echoed: {stderr}");
}

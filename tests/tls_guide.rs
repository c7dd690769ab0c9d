//! Certificates made exactly as `man 7 mosquitto-tls` says (openssl on the
//! command line: X.509 v1 server and client certificates, the host name in the
//! CN only), served by a real Mosquitto. mosquitto_sub is the control: what it
//! accepts, mqscope accepts; what it refuses (another CA, another host name, a
//! key that is not the certificate's), mqscope refuses in words.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Mosquitto, outcome, pump_until, runtime};
use mqscope::model::Model;
use mqscope::mqtt::ConnectionHandle;
use mqscope::vocab::{ConnectionSpec, parse_broker_url};

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("openssl (Debian package openssl) is installed");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The guide's files, its commands verbatim; only the prompts are answered
/// on the command line (-subj, -passout/-passin) and <duration> is 365.
struct GuidePki {
    dir: tempfile::TempDir,
}

impl GuidePki {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // CERTIFICATE AUTHORITY
        openssl(
            d,
            &[
                "req",
                "-new",
                "-x509",
                "-days",
                "365",
                "-extensions",
                "v3_ca",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-subj",
                "/C=CN/O=Guide CA/CN=Guide CA",
                "-passout",
                "pass:ca-pass",
            ],
        );
        // SERVER: a key without encryption, a CSR with the host name as CN, signed by the CA.
        openssl(d, &["genrsa", "-out", "server.key", "2048"]);
        openssl(
            d,
            &[
                "req",
                "-out",
                "server.csr",
                "-key",
                "server.key",
                "-new",
                "-subj",
                "/C=CN/O=Guide/CN=localhost",
            ],
        );
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.crt",
                "-days",
                "365",
                "-passin",
                "pass:ca-pass",
            ],
        );
        // CLIENT
        openssl(d, &["genrsa", "-out", "client.key", "2048"]);
        openssl(
            d,
            &[
                "req",
                "-out",
                "client.csr",
                "-key",
                "client.key",
                "-new",
                "-subj",
                "/C=CN/O=Guide/CN=client1",
            ],
        );
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "client.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "client.crt",
                "-days",
                "365",
                "-passin",
                "pass:ca-pass",
            ],
        );
        // The same request signed as v3 with extensions but still no subjectAltName
        // (what `-extfile` with the usual usage lines makes): the name is in the CN only.
        std::fs::write(
            d.join("v3.ext"),
            "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server-v3.crt",
                "-days",
                "365",
                "-passin",
                "pass:ca-pass",
                "-extfile",
                "v3.ext",
            ],
        );
        // A forgery: the holder of the v1 client certificate signs a v1 "localhost"
        // certificate with it and sends both as a chain. OpenSSL refuses it (a v1
        // certificate is no CA unless it is a self-signed root); so must we.
        openssl(d, &["genrsa", "-out", "forged.key", "2048"]);
        openssl(
            d,
            &[
                "req",
                "-out",
                "forged.csr",
                "-key",
                "forged.key",
                "-new",
                "-subj",
                "/CN=localhost",
            ],
        );
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "forged.csr",
                "-CA",
                "client.crt",
                "-CAkey",
                "client.key",
                "-CAcreateserial",
                "-out",
                "forged.crt",
                "-days",
                "365",
            ],
        );
        let chain = [
            std::fs::read(d.join("forged.crt")).unwrap(),
            std::fs::read(d.join("client.crt")).unwrap(),
        ]
        .concat();
        std::fs::write(d.join("forged-chain.crt"), chain).unwrap();
        // Another CA, and a key that belongs to no certificate here.
        openssl(
            d,
            &[
                "req",
                "-new",
                "-x509",
                "-days",
                "365",
                "-extensions",
                "v3_ca",
                "-keyout",
                "other-ca.key",
                "-out",
                "other-ca.crt",
                "-subj",
                "/CN=Other CA",
                "-passout",
                "pass:other",
            ],
        );
        openssl(d, &["genrsa", "-out", "stranger.key", "2048"]);
        // Mosquitto started as root reads its files as the user `mosquitto`.
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        for entry in std::fs::read_dir(d).unwrap() {
            std::fs::set_permissions(entry.unwrap().path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn version(&self, name: &str) -> String {
        let out = Command::new("openssl")
            .args(["x509", "-noout", "-text", "-in"])
            .arg(self.path(name))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines()
            .find(|l| l.trim_start().starts_with("Version:"))
            .unwrap_or("")
            .trim()
            .to_owned()
    }
}

struct GuideBroker {
    _broker: Mosquitto,
    pki: GuidePki,
    /// TLS with the guide's server certificate.
    tls: u16,
    /// The same, requiring the guide's client certificate.
    mtls: u16,
    /// A v3 server certificate with the host name in the CN only.
    cn_only: u16,
    /// The forged chain above.
    forged: u16,
}

fn guide_broker() -> GuideBroker {
    let pki = GuidePki::new();
    let (ca, cert, key) = (pki.path("ca.crt"), pki.path("server.crt"), pki.path("server.key"));
    let (broker, ports) = Mosquitto::start_with_ports(4, |p| {
        let [tls, mtls, cn_only, forged] = [p[0], p[1], p[2], p[3]];
        format!(
            "allow_anonymous true\n\
         listener {tls} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\n\
         listener {mtls} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate true\n\
         listener {cn_only} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\n\
         listener {forged} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\n",
            ca.display(),
            cert.display(),
            key.display(),
            ca.display(),
            cert.display(),
            key.display(),
            ca.display(),
            pki.path("server-v3.crt").display(),
            key.display(),
            ca.display(),
            pki.path("forged-chain.crt").display(),
            pki.path("forged.key").display(),
        )
    });
    let [tls, mtls, cn_only, forged] = [ports[0], ports[1], ports[2], ports[3]];
    GuideBroker {
        _broker: broker,
        pki,
        tls,
        mtls,
        cn_only,
        forged,
    }
}

/// mosquitto_sub with these TLS arguments: Ok once it has received a message
/// published (by mosquitto_pub, same arguments) while it listens.
fn mosquitto_sub_control(host: &str, port: u16, tls_args: &[String]) -> Result<String, String> {
    let mut args: Vec<String> = [
        "-h",
        host,
        "-p",
        &port.to_string(),
        "-t",
        "guide/#",
        "-C",
        "1",
        "-W",
        "8",
    ]
    .map(String::from)
    .to_vec();
    args.extend_from_slice(tls_args);
    // Subscribed (its SUBACK seen), then one message: it must print it.
    let sub = common::MosquittoSub::start(&args)?;
    let _ = Command::new("mosquitto_pub")
        .args([
            "-h",
            host,
            "-p",
            &port.to_string(),
            "-t",
            "guide/control",
            "-m",
            "hello",
        ])
        .args(tls_args)
        .status();
    let payloads = sub.payloads();
    if payloads.iter().any(|l| l.contains("hello")) {
        Ok(payloads.join("\n"))
    } else {
        Err(format!("mosquitto_sub printed {payloads:?}"))
    }
}

fn spec(host: &str, port: u16, pki: &GuidePki, client: Option<(&str, &str)>, ca: &str) -> ConnectionSpec {
    let mut spec = parse_broker_url(&format!("mqtts://{host}:{port}")).expect("a URL");
    spec.subscriptions = vec!["#".into()];
    spec.tls.ca_file = Some(pki.path(ca));
    if let Some((cert, key)) = client {
        spec.tls.client_cert = Some(pki.path(cert));
        spec.tls.client_key = Some(pki.path(key));
    }
    spec
}

fn try_connect(rt: &tokio::runtime::Runtime, spec: ConnectionSpec) -> (ConnectionHandle, Model, Result<(), String>) {
    let handle = ConnectionHandle::spawn(spec, rt.handle(), common::no_wake());
    let mut model = Model::default();
    let result = outcome(&handle, &mut model, Duration::from_secs(10));
    (handle, model, result)
}

/// A message published by mosquitto_pub reaches the app over this connection.
fn receives(handle: &ConnectionHandle, model: &mut Model, port: u16, tls_args: &[String]) {
    let status = Command::new("mosquitto_pub")
        .args([
            "-h",
            "localhost",
            "-p",
            &port.to_string(),
            "-t",
            "guide/温度",
            "-m",
            "22.5",
        ])
        .args(tls_args)
        .status()
        .unwrap();
    assert!(status.success());
    let mut states = Vec::new();
    let arrived = pump_until(handle, model, &mut states, Duration::from_secs(10), |m, _| {
        m.tree.get("guide/温度").is_some()
    });
    assert!(arrived, "the message did not arrive: {states:?}");
}

fn args(pki: &GuidePki, items: &[(&str, &str)]) -> Vec<String> {
    items
        .iter()
        .flat_map(|(flag, file)| [flag.to_string(), pki.path(file).display().to_string()])
        .collect()
}

#[test]
fn the_guide_certificates_are_v1_with_the_host_in_the_cn() {
    let pki = GuidePki::new();
    // What makes them hard: webpki reads neither.
    assert_eq!(pki.version("server.crt"), "Version: 1 (0x0)");
    assert_eq!(pki.version("client.crt"), "Version: 1 (0x0)");
}

#[test]
fn server_certificate_from_the_guide_connects_like_mosquitto_sub() {
    let rt = runtime();
    let b = guide_broker();
    let ca = args(&b.pki, &[("--cafile", "ca.crt")]);
    mosquitto_sub_control("localhost", b.tls, &ca).expect("the control connects");

    let (handle, mut model, result) = try_connect(&rt, spec("localhost", b.tls, &b.pki, None, "ca.crt"));
    assert_eq!(result, Ok(()), "mqscope connects where mosquitto_sub does");
    receives(&handle, &mut model, b.tls, &ca);
}

#[test]
fn a_v3_certificate_with_the_host_in_the_cn_only_connects_like_mosquitto_sub() {
    let rt = runtime();
    let b = guide_broker();
    assert_eq!(b.pki.version("server-v3.crt"), "Version: 3 (0x2)");
    let ca = args(&b.pki, &[("--cafile", "ca.crt")]);
    mosquitto_sub_control("localhost", b.cn_only, &ca).expect("the control connects");
    let (handle, mut model, result) = try_connect(&rt, spec("localhost", b.cn_only, &b.pki, None, "ca.crt"));
    assert_eq!(result, Ok(()), "the CN names the host when there is no subjectAltName");
    receives(&handle, &mut model, b.cn_only, &ca);
    // And by another name, both refuse.
    assert!(mosquitto_sub_control("127.0.0.1", b.cn_only, &ca).is_err());
    let (_h, _m, result) = try_connect(&rt, spec("127.0.0.1", b.cn_only, &b.pki, None, "ca.crt"));
    assert!(result.unwrap_err().contains("name mismatch"));
}

#[test]
fn client_certificate_from_the_guide_connects_like_mosquitto_sub() {
    let rt = runtime();
    let b = guide_broker();
    let tls = args(
        &b.pki,
        &[
            ("--cafile", "ca.crt"),
            ("--cert", "client.crt"),
            ("--key", "client.key"),
        ],
    );
    mosquitto_sub_control("localhost", b.mtls, &tls).expect("the control connects");
    let (handle, mut model, result) = try_connect(
        &rt,
        spec(
            "localhost",
            b.mtls,
            &b.pki,
            Some(("client.crt", "client.key")),
            "ca.crt",
        ),
    );
    assert_eq!(result, Ok(()), "mutual TLS with the guide's v1 client certificate");
    receives(&handle, &mut model, b.mtls, &tls);
}

#[test]
fn what_mosquitto_sub_refuses_is_refused_in_words() {
    let rt = runtime();
    let b = guide_broker();

    // Another CA: both refuse.
    let other = args(&b.pki, &[("--cafile", "other-ca.crt")]);
    assert!(mosquitto_sub_control("localhost", b.tls, &other).is_err());
    let (_h, _m, result) = try_connect(&rt, spec("localhost", b.tls, &b.pki, None, "other-ca.crt"));
    let err = result.unwrap_err();
    assert!(err.contains("unknown issuer"), "{err}");

    // A host name that is not the CN: both refuse.
    let ca = args(&b.pki, &[("--cafile", "ca.crt")]);
    assert!(mosquitto_sub_control("127.0.0.1", b.tls, &ca).is_err());
    let (_h, _m, result) = try_connect(&rt, spec("127.0.0.1", b.tls, &b.pki, None, "ca.crt"));
    let err = result.unwrap_err();
    assert!(err.contains("name mismatch"), "{err}");

    // A key that is not the certificate's: named before anything is sent.
    let (_h, _m, result) = try_connect(
        &rt,
        spec(
            "localhost",
            b.mtls,
            &b.pki,
            Some(("client.crt", "stranger.key")),
            "ca.crt",
        ),
    );
    let err = result.unwrap_err();
    assert!(
        err.contains("client.crt") && err.contains("do not go together"),
        "{err}"
    );
    assert!(
        !err.contains("Other(") && !err.contains("Error("),
        "no Rust debug text: {err}"
    );
}

#[test]
fn mqtt_explorer_settings_with_embedded_guide_certificates_import_and_connect() {
    use base64::Engine as _;
    use common::harness::{harness, has_label, has_text, step_until, type_into};
    use egui_kittest::kittest::Queryable as _;
    let b = guide_broker();
    let embedded = |file: &str| {
        serde_json::json!({
            "name": file,
            "data": base64::engine::general_purpose::STANDARD.encode(std::fs::read(b.pki.path(file)).unwrap())
        })
    };
    // MQTT Explorer's settings.json: the certificates live inside it.
    let settings = serde_json::json!({
        "ConnectionManager_connections": {
            "7d2e": {
                "configVersion": 1, "certValidation": true, "clientId": "mqtt-explorer-c03d7b41",
                "id": "7d2e", "name": "Guide broker (mTLS)", "encryption": true,
                "subscriptions": [{"topic": "#", "qos": 0}],
                "type": "mqtt", "host": "localhost", "port": b.mtls, "protocol": "mqtt",
                "selfSignedCertificate": embedded("ca.crt"),
                "clientCertificate": embedded("client.crt"),
                "clientKey": embedded("client.key")
            }
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.json");
    std::fs::write(&path, serde_json::to_string_pretty(&settings).unwrap()).unwrap();

    let mut h = harness(mqscope::app::Startup::Welcome);
    h.run_steps(2);
    h.get_by_label("Connection").click();
    step_until(&mut h, "the menu", |h| has_label(h, "Import connections…"));
    h.get_by_label("Import connections…").click();
    step_until(&mut h, "the import window", |h| has_label(h, "Import"));
    type_into(&mut h, "File", &path.display().to_string());
    h.get_by_label("Import").click();
    step_until(&mut h, "the summary", |h| {
        has_text(h, "Imported 1 connection from MQTT Explorer.")
    });
    assert!(
        has_text(&h, "its client key was saved as"),
        "the user is told where the files went"
    );
    h.get_by_label("Close window").click();
    h.run_steps(2);
    h.get_by_label("Connection").click();
    step_until(&mut h, "the profile in the menu", |h| {
        has_label(h, "Connect to Guide broker (mTLS)")
    });
    h.get_by_label("Connect to Guide broker (mTLS)").click();
    step_until(&mut h, "the mutual-TLS connection", |h| {
        h.state().app.connection_state() == Some(&mqscope::vocab::ConnectionState::Connected)
    });
    h.state().app.flush_files();
    let saved = std::fs::read_to_string(h.state().config.path().join("profiles.json")).unwrap();
    let profiles: serde_json::Value = serde_json::from_str(&saved).unwrap();
    let key = profiles["profiles"][0]["tls"]["client_key"]
        .as_str()
        .expect("the profile points at the key")
        .to_owned();
    assert!(key.ends_with("certificates/Guide broker (mTLS)/client.key"), "{key}");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn a_v1_certificate_cannot_act_as_a_ca_to_forge_the_broker() {
    let rt = runtime();
    let b = guide_broker();
    let ca = args(&b.pki, &[("--cafile", "ca.crt")]);
    assert!(
        mosquitto_sub_control("localhost", b.forged, &ca).is_err(),
        "the control refuses the forged chain"
    );
    let (_h, _m, result) = try_connect(&rt, spec("localhost", b.forged, &b.pki, None, "ca.crt"));
    let err = result.expect_err("mqscope refuses it too");
    assert!(err.contains("localhost:"), "{err}");
}

/// Keys and chains as other guides make them (OpenSSL 3 command lines): a
/// root CA, an intermediate CA, a server certificate for `localhost` signed
/// by the intermediate with an EC key written by `openssl ecparam -genkey`
/// (SEC1, after an `EC PARAMETERS` block), the root also as DER, and client
/// certificates whose keys are RSA PKCS#1 (`genrsa -traditional`) and SEC1 EC.
fn other_forms_pki() -> GuidePki {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ext = |name: &str, text: &str| std::fs::write(d.join(name), text).unwrap();
    ext(
        "ca.ext",
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n",
    );
    ext(
        "server.ext",
        "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n",
    );
    ext("client.ext", "extendedKeyUsage=clientAuth\n");
    // Root and intermediate CAs.
    openssl(d, &["genrsa", "-out", "root.key", "2048"]);
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            "root.key",
            "-subj",
            "/O=Forms/CN=Root CA",
            "-days",
            "30",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-out",
            "root.crt",
        ],
    );
    openssl(d, &["x509", "-in", "root.crt", "-outform", "der", "-out", "root.der"]);
    openssl(d, &["genrsa", "-out", "inter.key", "2048"]);
    openssl(
        d,
        &[
            "req",
            "-new",
            "-key",
            "inter.key",
            "-subj",
            "/O=Forms/CN=Intermediate CA",
            "-out",
            "inter.csr",
        ],
    );
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "inter.csr",
            "-CA",
            "root.crt",
            "-CAkey",
            "root.key",
            "-CAcreateserial",
            "-days",
            "30",
            "-extfile",
            "ca.ext",
            "-out",
            "inter.crt",
        ],
    );
    // The server: an EC key from `ecparam -genkey` (EC PARAMETERS, then EC PRIVATE KEY).
    openssl(d, &["ecparam", "-name", "prime256v1", "-genkey", "-out", "server.key"]);
    openssl(
        d,
        &[
            "req",
            "-new",
            "-key",
            "server.key",
            "-subj",
            "/O=Forms/CN=localhost",
            "-out",
            "server.csr",
        ],
    );
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "inter.crt",
            "-CAkey",
            "inter.key",
            "-CAcreateserial",
            "-days",
            "30",
            "-extfile",
            "server.ext",
            "-out",
            "server.crt",
        ],
    );
    let chain = [
        std::fs::read(d.join("server.crt")).unwrap(),
        std::fs::read(d.join("inter.crt")).unwrap(),
    ]
    .concat();
    std::fs::write(d.join("server-chain.crt"), chain).unwrap();
    // Clients, signed by the root: an RSA PKCS#1 key and a SEC1 EC key.
    openssl(d, &["genrsa", "-traditional", "-out", "client-rsa.key", "2048"]);
    openssl(
        d,
        &["ecparam", "-name", "prime256v1", "-genkey", "-out", "client-ec.key"],
    );
    for kind in ["rsa", "ec"] {
        let (key, csr, crt) = (
            format!("client-{kind}.key"),
            format!("client-{kind}.csr"),
            format!("client-{kind}.crt"),
        );
        openssl(
            d,
            &[
                "req",
                "-new",
                "-key",
                &key,
                "-subj",
                &format!("/O=Forms/CN=client-{kind}"),
                "-out",
                &csr,
            ],
        );
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "root.crt",
                "-CAkey",
                "root.key",
                "-CAcreateserial",
                "-days",
                "30",
                "-extfile",
                "client.ext",
                "-out",
                &crt,
            ],
        );
    }
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    for entry in std::fs::read_dir(d).unwrap() {
        std::fs::set_permissions(entry.unwrap().path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    GuidePki { dir }
}

#[test]
fn keys_and_chains_made_other_ways_connect_like_mosquitto_sub() {
    let pki = other_forms_pki();
    let head = |name: &str| std::fs::read_to_string(pki.path(name)).unwrap();
    assert!(
        head("server.key").starts_with("-----BEGIN EC PARAMETERS-----"),
        "SEC1 after EC PARAMETERS"
    );
    assert!(
        head("client-rsa.key").starts_with("-----BEGIN RSA PRIVATE KEY-----"),
        "PKCS#1"
    );
    let (root, chain, key) = (
        pki.path("root.crt"),
        pki.path("server-chain.crt"),
        pki.path("server.key"),
    );
    let (_broker, ports) = Mosquitto::start_with_ports(2, |p| {
        let [tls, mtls] = [p[0], p[1]];
        format!(
            "allow_anonymous true\n\
         listener {tls} 127.0.0.1\ncafile {r}\ncertfile {c}\nkeyfile {k}\n\
         listener {mtls} 127.0.0.1\ncafile {r}\ncertfile {c}\nkeyfile {k}\nrequire_certificate true\n",
            r = root.display(),
            c = chain.display(),
            k = key.display(),
        )
    });
    let [tls, mtls] = [ports[0], ports[1]];
    let rt = runtime();
    // The chain through the intermediate, trusted from the root alone, given as PEM and as DER.
    let control = args(&pki, &[("--cafile", "root.crt")]);
    mosquitto_sub_control("localhost", tls, &control).expect("mosquitto_sub takes the chain");
    for ca in ["root.crt", "root.der"] {
        let (handle, mut model, result) = try_connect(&rt, spec("localhost", tls, &pki, None, ca));
        assert_eq!(result, Ok(()), "the chain with the root as {ca}");
        receives(&handle, &mut model, tls, &control);
    }
    // Client keys as PKCS#1 RSA and as SEC1 EC (with its EC PARAMETERS block).
    for kind in ["rsa", "ec"] {
        let (crt, key) = (format!("client-{kind}.crt"), format!("client-{kind}.key"));
        let control = args(&pki, &[("--cafile", "root.crt"), ("--cert", &crt), ("--key", &key)]);
        mosquitto_sub_control("localhost", mtls, &control).expect("mosquitto_sub takes the client key");
        let (handle, mut model, result) =
            try_connect(&rt, spec("localhost", mtls, &pki, Some((&crt, &key)), "root.crt"));
        assert_eq!(result, Ok(()), "the {kind} client key");
        receives(&handle, &mut model, mtls, &control);
    }
}

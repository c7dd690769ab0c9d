//! The command line. Everything is checked here, before a window opens: a bad
//! URL, filter or profile name exits with a clear message and a non-zero code.

use std::path::PathBuf;

use clap::{ArgAction, Parser, Subcommand};

use crate::app::{AppOptions, Startup};
use crate::profiles::ProfileStore;
use crate::secret::Secret;
use crate::vocab::topic::{validate_filter, validate_topic};
use crate::vocab::{ConnectionSpec, LastWill, ProtocolVersion, Subscription, Transport, parse_broker_url};

/// Where a command-line password may come from instead of `-P` (which other
/// users of the machine can see in the process list).
pub const PASSWORD_ENV: &str = "MQSCOPE_PASSWORD";

#[derive(Debug, Parser)]
#[command(
    name = "mqscope",
    version,
    about = "A desktop MQTT explorer: live topic tree, payload inspector, live charts, publish form",
    after_help = "Connection flags follow mosquitto_sub: mqscope -h broker.local -p 8883 --cafile ca.pem -t 'home/#' -V mqttv5\n\
                  The password may also come from the environment variable MQSCOPE_PASSWORD.",
    disable_help_flag = true,
    disable_version_flag = true
)]
pub struct Cli {
    /// Print help
    #[arg(long, action = ArgAction::Help)]
    help: Option<bool>,

    /// Print the version
    #[arg(long, action = ArgAction::Version)]
    version: Option<bool>,

    /// Connect to this broker: mqtt://, mqtts://, ws:// or wss://[user[:pass]@]host[:port][/path]
    #[arg(long, short = 'L', visible_alias = "url", value_name = "URL", conflicts_with_all = ["demo", "host"])]
    pub broker: Option<String>,

    /// Broker host (mosquitto_sub's -h); TLS when --cafile, --cert or --insecure is given
    #[arg(short = 'h', long = "host", value_name = "HOST", conflicts_with = "demo")]
    pub host: Option<String>,

    /// Broker port (default 1883, or 8883 with TLS)
    #[arg(short = 'p', long = "port", value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,

    /// Subscribe to this topic filter (repeatable; default #)
    #[arg(long = "subscribe", short = 't', visible_alias = "topic", value_name = "FILTER")]
    pub subscribe: Vec<String>,

    /// QoS of the subscriptions (default 2: every message at the QoS it was published with)
    #[arg(short = 'q', long = "qos", value_parser = clap::value_parser!(u8).range(0..=2))]
    pub qos: Option<u8>,

    /// User name
    #[arg(short = 'u', long = "username", value_name = "USER")]
    pub username: Option<String>,

    /// Password (or set MQSCOPE_PASSWORD, which stays out of the process list)
    #[arg(short = 'P', long = "pw", value_name = "PASSWORD")]
    pub password: Option<String>,

    /// Client id (default mqscope-<random>)
    #[arg(short = 'i', long = "id", value_name = "ID")]
    pub client_id: Option<String>,

    /// Keepalive in seconds
    #[arg(short = 'k', long = "keepalive", value_name = "SECONDS")]
    pub keepalive: Option<u16>,

    /// Protocol version: mqttv311 (default) or mqttv5
    #[arg(short = 'V', long = "protocol-version", value_name = "VERSION",
          value_parser = ["mqttv311", "mqttv5", "311", "5"])]
    pub protocol: Option<String>,

    /// Keep the session: no clean session / clean start (mosquitto_sub's -c)
    #[arg(short = 'c', long = "disable-clean-session")]
    pub keep_session: bool,

    /// MQTT 5 session expiry in seconds (mosquitto_sub's -x)
    #[arg(short = 'x', long = "session-expiry", value_name = "SECONDS")]
    pub session_expiry: Option<u32>,

    /// CA certificate file (PEM) to verify the broker with; turns on TLS
    #[arg(long, value_name = "FILE")]
    pub cafile: Option<PathBuf>,

    /// Client certificate (PEM) for mutual TLS; goes with --key
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,

    /// Client private key (PEM) for mutual TLS; goes with --cert
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,

    /// Do not verify the broker's certificate (TLS still encrypts); shown while connected
    #[arg(long)]
    pub insecure: bool,

    /// Use TLS with the system's root certificates
    #[arg(long = "tls-use-os-certs")]
    pub tls_use_os_certs: bool,

    /// Last Will topic, published by the broker if mqscope vanishes without disconnecting
    #[arg(long = "will-topic", value_name = "TOPIC")]
    pub will_topic: Option<String>,

    /// Last Will payload
    #[arg(long = "will-payload", value_name = "TEXT", requires = "will_topic")]
    pub will_payload: Option<String>,

    /// Last Will QoS
    #[arg(long = "will-qos", value_name = "QOS", requires = "will_topic",
          value_parser = clap::value_parser!(u8).range(0..=2))]
    pub will_qos: Option<u8>,

    /// Retain the Last Will
    #[arg(long = "will-retain", requires = "will_topic")]
    pub will_retain: bool,

    /// MQTT 5: seconds the broker waits before publishing the Last Will
    #[arg(long = "will-delay", value_name = "SECONDS", requires = "will_topic")]
    pub will_delay: Option<u32>,

    /// Start the built-in demo broker with simulated sensors and connect to it
    #[arg(long)]
    pub demo: bool,

    /// Connect with the saved profile of this name
    #[arg(long, value_name = "NAME", conflicts_with_all = ["broker", "demo"])]
    pub profile: Option<String>,

    /// Open a recording offline: mqscope's --record file, mosquitto_sub -F %j or -v output, or MQTTX's message CSV
    #[arg(long, value_name = "FILE", conflicts_with_all = ["broker", "demo", "profile", "host"])]
    pub open: Option<PathBuf>,

    /// Once a second, replace this file with the app's counters as JSON
    #[arg(long, value_name = "PATH")]
    pub stats_json: Option<PathBuf>,

    /// Append every message of the first connection opened to this file, one JSON line each
    #[arg(long, value_name = "PATH")]
    pub record: Option<PathBuf>,

    /// Renderer: glow (default) or wgpu (in builds with the `wgpu` feature)
    #[arg(long, value_name = "NAME", default_value = "glow", value_parser = ["glow", "wgpu"])]
    pub renderer: String,

    /// Do not use the system keyring (Secret Service, Keychain, Credential Manager) for passwords
    #[arg(long = "no-keyring")]
    pub no_keyring: bool,

    /// Chart this value once connected: TOPIC or TOPIC:PATH, e.g. iot/s1/temperature:temperature; a filter
    /// such as iot/+/temperature charts every matching topic; a topic with ':' in it ends with ':'
    /// (dev/aa:bb: is the whole topic dev/aa:bb) (repeatable)
    #[arg(long = "chart", value_name = "TOPIC[:PATH]")]
    pub charts: Vec<String>,

    #[command(subcommand)]
    pub command: Option<Subcommands>,
}

#[derive(Debug, Subcommand)]
pub enum Subcommands {
    /// Load a broker (no window): with --count or --rate, publish generated
    /// messages and print the achieved rate; without, run the demo's devices until Ctrl+C
    Simulate {
        /// Print help
        #[arg(long, short = 'h', action = ArgAction::Help)]
        help: Option<bool>,
        /// The broker to publish to: mqtt://[user[:pass]@]host[:port]
        #[arg(long, value_name = "URL")]
        broker: String,
        /// Number of distinct topics to spread the load over
        #[arg(long, default_value_t = 1_000)]
        topics: usize,
        /// Messages per second over all connections (0 = as fast as the broker takes them)
        #[arg(long)]
        rate: Option<u64>,
        /// Total messages to publish
        #[arg(long)]
        count: Option<u64>,
        /// Payload: json (64 bytes: seq, value, and t, when it was made, in µs since 1970), number, or bytes:SIZE
        #[arg(long, default_value = "json")]
        payload: crate::simulate::PayloadShape,
        /// QoS of the published messages
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=2))]
        qos: u8,
        /// Publish retained messages
        #[arg(long)]
        retain: bool,
        /// Parallel connections
        #[arg(long, default_value_t = 1)]
        connections: usize,
        /// Seed of the demo devices' values
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// What `main` should run. Built once per process, so its size does not matter.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Run {
    Gui(AppOptions),
    Simulate {
        host: String,
        port: u16,
        seed: u64,
        credentials: Option<crate::simulate::Credentials>,
    },
    Load(crate::simulate::LoadPlan),
}

impl Cli {
    /// Check every argument and decide what to run; the error is for the user.
    pub fn resolve(self) -> Result<Run, String> {
        let env_password = std::env::var(PASSWORD_ENV).ok().filter(|p| !p.is_empty());
        self.resolve_with(env_password, ProfileStore::default_dir())
    }

    /// Whether any mosquitto_sub-style connection flag was given.
    fn has_connection_flags(&self) -> bool {
        self.port.is_some()
            || self.username.is_some()
            || self.password.is_some()
            || self.client_id.is_some()
            || self.keepalive.is_some()
            || self.protocol.is_some()
            || self.keep_session
            || self.session_expiry.is_some()
            || self.cafile.is_some()
            || self.cert.is_some()
            || self.insecure
            || self.tls_use_os_certs
            || self.will_topic.is_some()
            || self.qos.is_some()
    }

    /// The connection given by `--broker URL` or `-h HOST`, with every
    /// mosquitto_sub-style flag applied on top.
    fn connection_spec(&self, env_password: Option<String>) -> Result<Option<ConnectionSpec>, String> {
        let tls_flags = self.cafile.is_some() || self.cert.is_some() || self.insecure || self.tls_use_os_certs;
        let mut spec = match (&self.broker, &self.host) {
            (Some(url), _) => {
                let mut spec = parse_broker_url(url)?;
                if let Some(port) = self.port {
                    spec.port = port;
                    spec.name = spec.address();
                }
                if tls_flags && spec.transport == Transport::Tcp {
                    return Err(format!(
                        "'{}' is plain TCP but TLS flags were given: use mqtts:// (or wss://).",
                        crate::vocab::redact_url(url)
                    ));
                }
                spec
            }
            (None, Some(host)) => {
                if host.trim().is_empty() {
                    return Err("-h needs a host name or address".into());
                }
                let transport = if tls_flags { Transport::Tls } else { Transport::Tcp };
                let mut spec = ConnectionSpec::new(host.trim(), self.port.unwrap_or(transport.default_port()));
                spec.transport = transport;
                spec
            }
            (None, None) => {
                if self.has_connection_flags() {
                    return Err(
                        "Connection flags (-p, -u, -V, --cafile, ...) need a broker: -h HOST or --broker URL".into(),
                    );
                }
                return Ok(None);
            }
        };
        if !self.subscribe.is_empty() {
            spec.subscriptions = self.subscribe.iter().map(Subscription::new).collect();
        }
        if let Some(qos) = self.qos {
            for sub in &mut spec.subscriptions {
                sub.qos = qos;
            }
        }
        if let Some(user) = &self.username {
            spec.username = Some(user.clone());
        }
        if let Some(password) = &self.password {
            spec.password = Some(Secret::new(password.clone()));
        } else if spec.password.is_none()
            && let Some(password) = env_password
        {
            spec.password = Some(Secret::new(password));
        }
        if spec.password.is_some() && spec.username.is_none() {
            return Err("A password needs a user name (-u USER).".into());
        }
        if let Some(id) = &self.client_id {
            spec.client_id = id.clone();
        }
        if let Some(keepalive) = self.keepalive {
            spec.keepalive_s = keepalive;
        }
        if let Some(version) = &self.protocol {
            spec.protocol = if version.ends_with('5') {
                ProtocolVersion::V5
            } else {
                ProtocolVersion::V311
            };
        }
        spec.clean_session = !self.keep_session;
        if let Some(expiry) = self.session_expiry {
            if spec.protocol != ProtocolVersion::V5 {
                return Err("-x (session expiry) is an MQTT 5 option: add -V mqttv5".into());
            }
            spec.session_expiry_s = expiry;
        }
        spec.tls.ca_file = self.cafile.clone();
        spec.tls.client_cert = self.cert.clone();
        spec.tls.client_key = self.key.clone();
        spec.tls.insecure = self.insecure;
        if let Some(topic) = &self.will_topic {
            validate_topic(topic).map_err(|e| format!("--will-topic {e}"))?;
            if self.will_delay.is_some() && spec.protocol != ProtocolVersion::V5 {
                return Err("--will-delay is an MQTT 5 option: add -V mqttv5".into());
            }
            spec.will = Some(LastWill {
                topic: topic.clone(),
                payload: self.will_payload.clone().unwrap_or_default(),
                qos: self.will_qos.unwrap_or(0),
                retain: self.will_retain,
                delay_s: self.will_delay.unwrap_or(0),
            });
        }
        Ok(Some(spec))
    }

    fn resolve_with(self, env_password: Option<String>, config_dir: std::path::PathBuf) -> Result<Run, String> {
        if let Some(Subcommands::Simulate {
            broker,
            topics,
            rate,
            count,
            payload,
            qos,
            retain,
            connections,
            seed,
            help: _,
        }) = self.command
        {
            let spec = parse_broker_url(&broker)?;
            if spec.transport != Transport::Tcp {
                return Err(format!(
                    "simulate publishes over plain TCP only: use mqtt://host:port, not {}",
                    spec.url()
                ));
            }
            if rate.is_none() && count.is_none() {
                return Ok(Run::Simulate {
                    credentials: spec.username.clone().map(|username| crate::simulate::Credentials {
                        username,
                        password: spec.password.clone(),
                    }),
                    host: spec.host,
                    port: spec.port,
                    seed,
                });
            }
            if topics == 0 || connections == 0 {
                return Err("--topics and --connections must be at least 1".into());
            }
            // A rate without a count runs for a minute.
            let count = count.unwrap_or_else(|| rate.unwrap_or(0).saturating_mul(60).max(1));
            return Ok(Run::Load(crate::simulate::LoadPlan {
                host: spec.host,
                port: spec.port,
                topics,
                rate: rate.unwrap_or(0),
                count,
                payload,
                qos,
                retain,
                connections,
                credentials: spec.username.clone().map(|username| crate::simulate::Credentials {
                    username,
                    password: spec.password.clone(),
                }),
            }));
        }
        for filter in &self.subscribe {
            validate_filter(filter).map_err(|e| format!("--subscribe {e}"))?;
        }
        let startup = if let Some(spec) = self.connection_spec(env_password)? {
            Startup::Connect(Box::new(spec))
        } else if let Some(path) = &self.open {
            // Only named here: the file is read by the replay, off the window's thread.
            if path.is_dir() {
                return Err(format!("--open {}: a folder, not a recording", path.display()));
            }
            if !path.exists() {
                return Err(format!("--open {}: no such file", path.display()));
            }
            Startup::Open(path.clone())
        } else if self.demo {
            if !self.subscribe.is_empty() {
                return Err("--subscribe goes with --broker; the demo subscribes to #".into());
            }
            Startup::Demo
        } else if let Some(name) = &self.profile {
            if !self.subscribe.is_empty() {
                return Err("--subscribe goes with --broker; a profile has its own subscriptions".into());
            }
            // Only a look: the window loads (and migrates or moves aside) the file itself.
            let (names, warning) = ProfileStore::peek(&config_dir);
            if !names.iter().any(|n| n == name) {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let missing = if names.is_empty() {
                    format!(
                        "There is no profile named '{name}': no profiles are saved in {}",
                        config_dir.display()
                    )
                } else {
                    format!(
                        "There is no profile named '{name}'. Saved profiles: {}",
                        names.join(", ")
                    )
                };
                return Err(match warning {
                    Some(warning) => format!("{missing}\n{warning}"),
                    None => missing,
                });
            }
            if let Some(warning) = warning {
                // Read all the same (a newer schema, an older one that could not
                // be rewritten): said here, and again in the window.
                eprintln!("mqscope: {warning}");
            }
            Startup::Profile(name.clone())
        } else {
            if !self.subscribe.is_empty() {
                return Err("--subscribe goes with --broker".into());
            }
            Startup::Welcome
        };
        if self.renderer == "wgpu" && !cfg!(feature = "wgpu") {
            return Err("this build has no wgpu renderer: build with `cargo build --release --features wgpu`".into());
        }
        let charts = self
            .charts
            .iter()
            .map(|c| {
                let (topic, path) = split_chart(c);
                // A topic or a filter, as "Add series" takes: `plant/+/temperature` charts every match.
                validate_filter(topic).map_err(|e| format!("--chart {c}: {e}"))?;
                Ok((topic.to_owned(), path.to_owned()))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Run::Gui(AppOptions {
            startup,
            config_dir,
            stats_json: self.stats_json,
            record: self.record,
            charts,
            process_start: std::time::Instant::now(),
            wgpu: self.renderer == "wgpu",
            keyring: (!self.no_keyring).then(|| crate::secret_store::SERVICE.to_owned()),
        }))
    }
}

/// `--chart TOPIC[:PATH]` into (topic, path). The path is after the last
/// `:`, so topics may hold colons (`dev/aa:bb:cc:temperature`); a trailing `:`
/// means no path (`dev/aa:bb:`); a Sparkplug path keeps its own colon
/// (`…/DDATA/n:metric:Boiler/Temp`); a part after the last `:` with a `/`
/// outside brackets is no path but part of the topic.
fn split_chart(arg: &str) -> (&str, &str) {
    if let Some(at) = arg.find(":metric:") {
        return (&arg[..at], &arg[at + 1..]);
    }
    if let Some(topic) = arg.strip_suffix(':') {
        return (topic, "");
    }
    match arg.rsplit_once(':') {
        Some((topic, path)) if !path.contains('/') || path.starts_with('[') => (topic, path),
        _ => (arg, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(args: &[&str]) -> Result<Run, String> {
        let cli =
            Cli::try_parse_from(std::iter::once("mqscope").chain(args.iter().copied())).map_err(|e| e.to_string())?;
        cli.resolve()
    }

    #[test]
    fn a_profile_from_a_newer_or_read_only_file_still_opens() {
        let dir = tempfile::tempdir().unwrap();
        let v9 = r#"{"version":9,"profiles":[{"name":"future","host":"h","port":1883,"hologram":true}]}"#;
        std::fs::write(dir.path().join(crate::profiles::PROFILES_FILE), v9).unwrap();
        let cli = Cli::try_parse_from(["mqscope", "--profile", "future"]).unwrap();
        let Ok(Run::Gui(options)) = cli.resolve_with(None, dir.path().to_path_buf()) else {
            panic!("the README says a newer file is read");
        };
        assert!(matches!(options.startup, Startup::Profile(ref n) if n == "future"));
        // A name that is not there is still an error, with the names that are.
        let cli = Cli::try_parse_from(["mqscope", "--profile", "past"]).unwrap();
        let err = cli.resolve_with(None, dir.path().to_path_buf()).unwrap_err();
        assert!(
            err.contains("There is no profile named 'past'. Saved profiles: future"),
            "{err}"
        );
    }

    #[test]
    fn chart_arguments_split_where_the_path_starts() {
        for (arg, topic, path) in [
            ("iot/s1/temperature:temperature", "iot/s1/temperature", "temperature"),
            ("iot/s1/temperature", "iot/s1/temperature", ""),
            ("dev/aa:bb:", "dev/aa:bb", ""),
            ("dev/aa:bb:cc:temperature", "dev/aa:bb:cc", "temperature"),
            (
                "spBv1.0/g/DDATA/n:metric:Boiler/Temp",
                "spBv1.0/g/DDATA/n",
                "metric:Boiler/Temp",
            ),
            (r#"a/b:["x.y"]"#, "a/b", r#"["x.y"]"#),
            ("plant/+/t:value", "plant/+/t", "value"),
            ("site:1/room:2/t", "site:1/room:2/t", ""),
        ] {
            assert_eq!(split_chart(arg), (topic, path), "{arg}");
        }
    }

    #[test]
    fn no_keyring_leaves_the_system_keyring_alone() {
        let Ok(Run::Gui(with)) = resolve(&["--demo"]) else {
            panic!("--demo runs the window");
        };
        assert_eq!(with.keyring.as_deref(), Some(crate::secret_store::SERVICE));
        let Ok(Run::Gui(without)) = resolve(&["--demo", "--no-keyring"]) else {
            panic!("--no-keyring runs the window");
        };
        assert_eq!(without.keyring, None, "no keyring service at all");
    }

    #[test]
    fn a_chart_takes_a_filter_like_add_series() {
        let Ok(Run::Gui(options)) = resolve(&["--demo", "--chart", "many/+:value", "--chart", "plant/#"]) else {
            panic!("a filter is a valid --chart");
        };
        assert_eq!(
            options.charts,
            [
                ("many/+".to_owned(), "value".to_owned()),
                ("plant/#".to_owned(), String::new())
            ]
        );
        let err = resolve(&["--demo", "--chart", "a/#/b:value"]).unwrap_err();
        assert!(err.contains("--chart a/#/b:value"), "{err}");
    }

    #[test]
    fn broker_with_filters() {
        let Ok(Run::Gui(options)) = resolve(&[
            "--broker",
            "mqtt://u:p@h:1884",
            "--subscribe",
            "a/#",
            "--subscribe",
            "b/+",
        ]) else {
            panic!("expected the GUI");
        };
        let Startup::Connect(spec) = options.startup else {
            panic!("expected a connection")
        };
        assert_eq!(spec.address(), "h:1884");
        assert_eq!(spec.subscriptions, [Subscription::new("a/#"), Subscription::new("b/+")]);
    }

    fn spec_of(args: &[&str], env_password: Option<&str>) -> Result<ConnectionSpec, String> {
        let cli =
            Cli::try_parse_from(std::iter::once("mqscope").chain(args.iter().copied())).map_err(|e| e.to_string())?;
        match cli.resolve_with(env_password.map(str::to_owned), ProfileStore::default_dir())? {
            Run::Gui(AppOptions {
                startup: Startup::Connect(spec),
                ..
            }) => Ok(*spec),
            other => panic!("expected a connection, got {other:?}"),
        }
    }

    #[test]
    fn mosquitto_sub_flags() {
        let spec = spec_of(
            &[
                "-h",
                "broker.local",
                "-p",
                "8884",
                "-t",
                "a/#",
                "-t",
                "b",
                "-q",
                "1",
                "-u",
                "alice",
                "-P",
                "pw",
                "-i",
                "me",
                "-k",
                "30",
                "-V",
                "mqttv5",
                "-x",
                "600",
                "--cafile",
                "/ca.pem",
                "--cert",
                "/c.pem",
                "--key",
                "/k.pem",
                "--will-topic",
                "clients/me",
                "--will-payload",
                "gone",
                "--will-qos",
                "1",
                "--will-retain",
                "--will-delay",
                "3",
            ],
            None,
        )
        .unwrap();
        assert_eq!(spec.address(), "broker.local:8884");
        assert_eq!(spec.transport, Transport::Tls);
        assert_eq!(
            spec.subscriptions,
            [Subscription::new("a/#").with_qos(1), Subscription::new("b").with_qos(1)]
        );
        assert_eq!(spec.username.as_deref(), Some("alice"));
        assert_eq!(spec.password.as_ref().unwrap().expose(), "pw");
        assert_eq!((spec.client_id.as_str(), spec.keepalive_s), ("me", 30));
        assert_eq!((spec.protocol, spec.session_expiry_s), (ProtocolVersion::V5, 600));
        assert_eq!(spec.tls.ca_file.as_deref(), Some(std::path::Path::new("/ca.pem")));
        let will = spec.will.unwrap();
        assert_eq!(
            (
                will.topic.as_str(),
                will.payload.as_str(),
                will.qos,
                will.retain,
                will.delay_s
            ),
            ("clients/me", "gone", 1, true, 3)
        );

        let spec = spec_of(&["-h", "b", "--insecure"], None).unwrap();
        assert_eq!((spec.transport, spec.port), (Transport::Tls, 8883));
        assert!(spec.tls.insecure);
        let spec = spec_of(&["-h", "b"], None).unwrap();
        assert_eq!(
            (spec.transport, spec.port, spec.protocol),
            (Transport::Tcp, 1883, ProtocolVersion::V311)
        );
        assert!(spec.clean_session);
        assert!(!spec_of(&["-h", "b", "-c"], None).unwrap().clean_session);
    }

    #[test]
    fn password_from_the_environment() {
        let spec = spec_of(&["-h", "b", "-u", "alice"], Some("from-env")).unwrap();
        assert_eq!(spec.password.unwrap().expose(), "from-env");
        // -P and the URL's own password win over the environment.
        let spec = spec_of(&["-h", "b", "-u", "alice", "-P", "flag"], Some("from-env")).unwrap();
        assert_eq!(spec.password.unwrap().expose(), "flag");
        let spec = spec_of(&["--broker", "mqtt://alice:url@b"], Some("from-env")).unwrap();
        assert_eq!(spec.password.unwrap().expose(), "url");
        assert!(
            spec_of(&["-h", "b", "-P", "x"], None)
                .unwrap_err()
                .contains("user name")
        );
    }

    #[test]
    fn mosquitto_sub_flag_mistakes_are_explained() {
        assert!(spec_of(&["-p", "1884"], None).unwrap_err().contains("-h HOST"));
        assert!(spec_of(&["-h", "b", "-x", "5"], None).unwrap_err().contains("mqttv5"));
        assert!(
            spec_of(&["--broker", "mqtt://b", "--cafile", "/ca"], None)
                .unwrap_err()
                .contains("mqtts://")
        );
        assert!(spec_of(&["-h", "b", "--cert", "/c.pem"], None).is_err());
        assert!(
            spec_of(&["-h", "b", "--will-topic", "a/+"], None)
                .unwrap_err()
                .contains("will-topic")
        );
        assert!(spec_of(&["-h", "b", "-V", "mqttv4"], None).is_err());
        assert!(spec_of(&["-h", "b", "--broker", "mqtt://c"], None).is_err());
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert!(
            resolve(&["--broker", "mqtt://h:notaport"])
                .unwrap_err()
                .contains("port")
        );
        assert!(
            resolve(&["--broker", "mqtt://h", "--subscribe", "a/#/b"])
                .unwrap_err()
                .contains("#")
        );
        assert!(resolve(&["--no-such-flag"]).is_err());
        assert!(resolve(&["--demo", "--broker", "mqtt://h"]).is_err());
    }

    #[test]
    fn default_is_welcome_and_demo_is_demo() {
        assert!(matches!(
            resolve(&[]),
            Ok(Run::Gui(AppOptions {
                startup: Startup::Welcome,
                ..
            }))
        ));
        assert!(matches!(
            resolve(&["--demo"]),
            Ok(Run::Gui(AppOptions {
                startup: Startup::Demo,
                ..
            }))
        ));
    }

    #[test]
    fn open_names_a_recording_and_refuses_what_is_not_one() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("capture.jsonl");
        std::fs::write(&file, "").unwrap();
        let path = file.display().to_string();
        match resolve(&["--open", &path]) {
            Ok(Run::Gui(AppOptions {
                startup: Startup::Open(p),
                ..
            })) => assert_eq!(p, file),
            other => panic!("{other:?}"),
        }
        let missing = dir.path().join("nope.jsonl").display().to_string();
        assert!(resolve(&["--open", &missing]).unwrap_err().contains("no such file"));
        let folder = dir.path().display().to_string();
        assert!(resolve(&["--open", &folder]).unwrap_err().contains("folder"));
        assert!(resolve(&["--open", &path, "--demo"]).is_err());
    }

    #[test]
    fn command_line_errors_never_show_the_password() {
        for args in [
            &["--broker", "mqtt://alice:s3cret@host:99999"][..],
            &["--broker", "foo://alice:s3cret@host"],
            &["--broker", "mqtt://alice:s3cret@host/path"],
            &["--broker", "mqtt://alice:s3cret@host", "--cafile", "ca.pem"],
            &["simulate", "--broker", "mqtt://alice:s3cret@host:0"],
        ] {
            let err = resolve(args).unwrap_err();
            assert!(!err.contains("s3cret"), "{args:?}: {err}");
        }
    }
}

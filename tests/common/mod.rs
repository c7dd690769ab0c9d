//! Shared test fixtures: real brokers on 127.0.0.1 (Mosquitto started from
//! the Debian package with its own temp config; the embedded rumqttd), a
//! tokio runtime, and a plain publishing client.
#![allow(dead_code)] // each test binary uses a different part of this module

pub mod certs;
pub mod harness;
pub mod xvfb;

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mqscope::demo::free_port;
use mqscope::model::Model;
use mqscope::mqtt::{ConnectionHandle, Event, Wake};
use mqscope::vocab::ConnectionState;
use rumqttc::{AsyncClient, MqttOptions, QoS};

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

pub fn no_wake() -> Wake {
    Arc::new(|| {})
}

/// A Mosquitto broker on a free loopback port, killed on drop.
pub struct Mosquitto {
    pub port: u16,
    child: Child,
    dir: tempfile::TempDir,
    extra_config: String,
    /// The broker's log lines (its stderr), across restarts: connections,
    /// disconnections, SUBSCRIBEs and UNSUBSCRIBEs as Mosquitto handled them.
    log: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Mosquitto {
    pub fn start() -> Self {
        Self::start_with("allow_anonymous true\n")
    }

    /// Start with extra config lines (the listener is added here).
    ///
    /// A port found free can be taken by another test's broker before this
    /// one binds it; then this Mosquitto exits and the port answers for
    /// someone else. So the broker must still be running once the port
    /// answers, or it starts again on another port.
    pub fn start_with(extra_config: &str) -> Self {
        Self::try_start_with(extra_config).expect("mosquitto did not start on any of 5 free ports")
    }

    /// A broker with `n` more listeners whose config `config(ports)` writes:
    /// ports found free can be taken by another test before Mosquitto binds
    /// them (it then exits), so on failure all of them are chosen again.
    pub fn start_with_ports(n: usize, config: impl Fn(&[u16]) -> String) -> (Self, Vec<u16>) {
        for _ in 0..5 {
            let ports: Vec<u16> = (0..n).map(|_| free_port().expect("a free port")).collect();
            if let Some(broker) = Self::try_start_with(&config(&ports)) {
                for &port in &ports {
                    wait_for_port(port, "a mosquitto listener");
                }
                return (broker, ports);
            }
        }
        panic!("mosquitto did not start with its listeners on 5 sets of free ports")
    }

    fn try_start_with(extra_config: &str) -> Option<Self> {
        let dir = tempfile::tempdir().expect("a temp dir");
        for _ in 0..3 {
            let port = free_port().expect("a free port");
            let log = Arc::default();
            let mut child = spawn_mosquitto(dir.path(), port, extra_config, &log);
            if listening_and_alive(&mut child, port) {
                return Some(Self {
                    port,
                    child,
                    dir,
                    extra_config: extra_config.to_owned(),
                    log,
                });
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        None
    }

    /// A broker that needs `user` / `password`.
    pub fn start_with_password(user: &str, password: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let file = dir.path().join("passwords");
        let status = Command::new("mosquitto_passwd")
            .args(["-b", "-c"])
            .arg(&file)
            .args([user, password])
            .status()
            .expect("mosquitto_passwd (Debian package mosquitto) is installed");
        assert!(status.success(), "mosquitto_passwd failed");
        let config = format!("allow_anonymous false\npassword_file {}\n", file.display());
        let mut m = Self::start_with(&config);
        // Keep the password file alive as long as the broker.
        m.extra_config = config;
        std::mem::forget(dir);
        m
    }

    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// A broker that keeps sessions and queued messages on disk across restarts.
    pub fn start_persistent() -> Self {
        let data = tempfile::tempdir().expect("a temp dir");
        // Mosquitto started as root runs as the user `mosquitto`, which must be able to write here.
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(data.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
        }
        let config = format!(
            "allow_anonymous true\npersistence true\npersistence_location {}/\nautosave_interval 1\n",
            data.path().display()
        );
        let m = Self::start_with(&config);
        std::mem::forget(data); // lives as long as the test process
        m
    }

    /// Send a signal (`-STOP`, `-CONT`, `-TERM`) to the broker process.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(signal)
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} failed");
    }

    /// How many log lines the broker has written so far: pass it to
    /// [`Mosquitto::wait_for_log`] to look only at what comes after.
    pub fn log_mark(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    /// The broker's log lines written after `mark`.
    pub fn log_since(&self, mark: usize) -> Vec<String> {
        let log = self.log.lock().unwrap();
        log[mark.min(log.len())..].to_vec()
    }

    /// Wait (10 s at most) for a log line after `mark` containing every one of
    /// `needles`: the broker has then handled what that line reports, e.g.
    /// `["watcher", "0 #"]` for a SUBSCRIBE or `["Client watcher", "disconnected"]`.
    pub fn wait_for_log(&self, mark: usize, needles: &[&str]) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let since: Vec<String> = {
                let log = self.log.lock().unwrap();
                log[mark.min(log.len())..].to_vec()
            };
            if since.iter().any(|line| needles.iter().all(|n| line.contains(n))) {
                return;
            }
            // Not while holding the lock: the stderr reader must go on draining.
            assert!(
                Instant::now() < deadline,
                "mosquitto never logged {needles:?}; its log since then: {since:?}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Stop gracefully (SIGTERM), so a persistent broker writes its state.
    pub fn stop(&mut self) {
        self.signal("-TERM");
        let _ = self.child.wait();
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Start again on the same port, after `kill`.
    pub fn restart(&mut self) {
        self.child = spawn_mosquitto(self.dir.path(), self.port, &self.extra_config, &self.log);
        assert!(
            listening_and_alive(&mut self.child, self.port),
            "mosquitto did not start again on port {}",
            self.port
        );
    }
}

/// Wait until `port` answers while `child` runs; then `child` must still be
/// running (a Mosquitto that could not bind the port exits at once, and the
/// answer came from someone else). 10 s at most.
fn listening_and_alive(child: &mut Child, port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if !matches!(child.try_wait(), Ok(None)) {
            return false;
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
            std::thread::sleep(Duration::from_millis(50));
            return matches!(child.try_wait(), Ok(None));
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Wait until something listens on this loopback port (10 s at most).
pub fn wait_for_port(port: u16, what: &str) {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start on port {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Follow a connection until it connects, or settles on an error. Returns
/// `Ok(())` when connected, else the reason the app shows.
/// Connected means its subscriptions granted too (their SUBACKs seen), so a
/// message published right after reaches it: no sleep "for the SUBACK".
pub fn outcome(handle: &ConnectionHandle, model: &mut Model, timeout: Duration) -> Result<(), String> {
    let mut states: Vec<ConnectionState> = Vec::new();
    let mut waiting: Vec<String> = handle.subscriptions().into_iter().map(|s| s.filter).collect();
    let deadline = Instant::now() + timeout;
    loop {
        while let Some(event) = handle.try_event() {
            match event {
                Event::Messages(batch) => model.apply(batch, Instant::now()),
                Event::State(s) => states.push(s),
                Event::Subscribed { filter, .. } => waiting.retain(|f| *f != filter),
                Event::SubscribeRefused { filter, reason } => {
                    return Err(format!("the broker refused {filter}: {reason}"));
                }
                _ => {}
            }
        }
        match states.last() {
            Some(ConnectionState::Connected) if waiting.is_empty() => return Ok(()),
            Some(state) if state.error().is_some() => {
                return Err(state.error().unwrap_or("no error").to_owned());
            }
            _ => {}
        }
        if Instant::now() > deadline {
            return match states.last() {
                Some(ConnectionState::Connected) => Err(format!("connected, but no SUBACK for {waiting:?}")),
                Some(state) => Err(state.error().unwrap_or("no error").to_owned()),
                None => Err("no state at all".to_owned()),
            };
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What the broker logs, to its stderr (as root Mosquitto runs as the user
/// `mosquitto`, which could not write a log file in the test's folder).
const LOG_CONFIG: &str = "log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\n\
log_type information\nlog_type subscribe\nlog_type unsubscribe\n";

fn spawn_mosquitto(dir: &Path, port: u16, extra_config: &str, log: &Arc<std::sync::Mutex<Vec<String>>>) -> Child {
    let config = dir.join("mosquitto.conf");
    std::fs::write(
        &config,
        format!(
            "listener {port} 127.0.0.1\nmax_queued_messages 100000\n{LOG_CONFIG}{}{extra_config}",
            if extra_config.contains("persistence") {
                ""
            } else {
                "persistence false\n"
            }
        ),
    )
    .expect("write the mosquitto config");
    let mut child = Command::new(mosquitto_binary())
        .arg("-c")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mosquitto (Debian package mosquitto) is installed");
    let stderr = child.stderr.take().expect("piped");
    let log = log.clone();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        // Read to the end, whatever the bytes: a blocked pipe would stall the broker.
        for line in std::io::BufReader::new(stderr).split(b'\n').map_while(Result::ok) {
            log.lock().unwrap().push(String::from_utf8_lossy(&line).into_owned());
        }
    });
    child
}

fn mosquitto_binary() -> PathBuf {
    for candidate in ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"] {
        if std::path::Path::new(candidate).exists() {
            return candidate.into();
        }
    }
    "mosquitto".into()
}

/// A plain client for publishing test traffic; its event loop is polled on
/// the runtime. Derefs to its `AsyncClient`.
pub struct Publisher {
    client: AsyncClient,
    subacks: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
    id: String,
}

impl std::ops::Deref for Publisher {
    type Target = AsyncClient;
    fn deref(&self) -> &AsyncClient {
        &self.client
    }
}

impl Publisher {
    /// Return once the broker has handled everything published so far: a
    /// SUBSCRIBE sent after it on the same socket is answered only when the
    /// PUBLISHes before it are done (a retained one is stored, a live one
    /// routed). With one message in flight, rumqttc reads the SUBSCRIBE from
    /// its queue only after the last QoS 1/2 flow completed (PUBACK, PUBCOMP).
    /// Waits for an event, not a fixed time.
    pub fn settled(&self, rt: &tokio::runtime::Runtime) {
        let subacks = self.subacks.lock().unwrap();
        while subacks.try_recv().is_ok() {}
        rt.block_on(
            self.client
                .subscribe(format!("mqscope-test/settled/{}", self.id), QoS::AtMostOnce),
        )
        .expect("the publisher's request queue is open");
        subacks
            .recv_timeout(Duration::from_secs(10))
            .expect("the broker answered the publisher's SUBSCRIBE");
    }
}

/// Wait until the broker on `port` holds `payload` as the retained message of
/// `topic`: a fresh client subscribes and must be handed it, flagged
/// retained. (Whether a broker stores a retained message before it answers
/// the publisher is its own business; this asks it as any subscriber would.)
pub fn retained_at_broker(rt: &tokio::runtime::Runtime, port: u16, topic: &str, payload: &[u8]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut options = MqttOptions::new(format!("retained-check-{}", fastrand::u32(..)), "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(30));
        let (client, mut eventloop) = AsyncClient::new(options, 10);
        let found = rt.block_on(async {
            client.subscribe(topic, QoS::AtLeastOnce).await.ok()?;
            // Asked again (a new client) until it is there: never a fixed wait before asking.
            let wait = async {
                loop {
                    match eventloop.poll().await {
                        Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(p))) => {
                            if p.retain && p.topic == topic && p.payload[..] == *payload {
                                return true;
                            }
                        }
                        Ok(_) => {}
                        Err(_) => return false,
                    }
                }
            };
            let found = tokio::time::timeout(Duration::from_millis(500), wait)
                .await
                .unwrap_or(false);
            let _ = client.disconnect().await;
            Some(found)
        });
        if found == Some(true) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the broker never handed out {topic} as retained"
        );
    }
}

/// A plain client for publishing test traffic; its event loop is polled on `rt`.
pub fn publisher(rt: &tokio::runtime::Runtime, port: u16, id: &str) -> Publisher {
    let mut options = MqttOptions::new(id, "127.0.0.1", port);
    options.set_max_packet_size(268_435_455, 268_435_455);
    options.set_keep_alive(Duration::from_secs(30));
    // One message in flight at a time: with more, rumqttc 0.25 can hand out a
    // packet id whose QoS 2 flow (PUBREL sent, PUBCOMP pending) is still open
    // at the broker, and Mosquitto then drops the new message as a duplicate.
    options.set_inflight(1);
    let (client, mut eventloop) = AsyncClient::new(options, 1_000);
    let mut network = rumqttc::NetworkOptions::new();
    network.set_tcp_nodelay(true);
    eventloop.set_network_options(network);
    let (suback, subacks) = std::sync::mpsc::channel();
    rt.spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::SubAck(_))) => {
                    let _ = suback.send(());
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    });
    Publisher {
        client,
        subacks: std::sync::Mutex::new(subacks),
        id: id.to_owned(),
    }
}

pub fn qos(q: u8) -> QoS {
    mqscope::mqtt::qos_from(q)
}

/// Feed a connection's events into `model` (as the app's logic() does) until
/// `done` holds or `timeout` passes. Returns every state seen, in order.
pub fn pump_until(
    handle: &ConnectionHandle,
    model: &mut Model,
    states: &mut Vec<ConnectionState>,
    timeout: Duration,
    mut done: impl FnMut(&Model, &[ConnectionState]) -> bool,
) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        while let Some(event) = handle.try_event() {
            match event {
                Event::Messages(batch) => model.apply(batch, Instant::now()),
                Event::State(s) => states.push(s),
                _ => {}
            }
        }
        if done(model, states) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

pub fn is_connected(states: &[ConnectionState]) -> bool {
    states.last() == Some(&ConnectionState::Connected)
}

/// The app's connection to `url`, connected and (after a moment for the
/// SUBACK) subscribed to `#`, with the Model and states it has seen so far.
pub fn connect_subscribed(rt: &tokio::runtime::Runtime, url: &str) -> (ConnectionHandle, Model, Vec<ConnectionState>) {
    connect_with(rt, mqscope::vocab::parse_broker_url(url).expect("a test URL"))
}

/// As [`connect_subscribed`], for a connection with its own settings.
pub fn connect_with(
    rt: &tokio::runtime::Runtime,
    spec: mqscope::vocab::ConnectionSpec,
) -> (ConnectionHandle, Model, Vec<ConnectionState>) {
    connect_with_limits(rt, spec, mqscope::mqtt::QueueLimits::default())
}

/// As [`connect_with`], with other bounds on what may wait for the UI.
/// Returns once connected and every subscription is granted (its SUBACK
/// seen, not a fixed sleep); a refused one fails the test.
pub fn connect_with_limits(
    rt: &tokio::runtime::Runtime,
    spec: mqscope::vocab::ConnectionSpec,
    limits: mqscope::mqtt::QueueLimits,
) -> (ConnectionHandle, Model, Vec<ConnectionState>) {
    let url = spec.address();
    let mut waiting: Vec<String> = spec.subscriptions.iter().map(|s| s.filter.clone()).collect();
    let handle = ConnectionHandle::spawn_with_limits(spec, rt.handle(), no_wake(), limits);
    let mut model = Model::default();
    let mut states = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        while let Some(event) = handle.try_event() {
            match event {
                Event::Messages(batch) => model.apply(batch, Instant::now()),
                Event::State(s) => states.push(s),
                Event::Subscribed { filter, .. } => waiting.retain(|f| *f != filter),
                Event::SubscribeRefused { filter, reason } => panic!("{url} refused {filter}: {reason}"),
                _ => {}
            }
        }
        if is_connected(&states) && waiting.is_empty() {
            return (handle, model, states);
        }
        assert!(
            Instant::now() < deadline,
            "no connection to {url}, or not subscribed to {waiting:?}: {states:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A TCP relay between the app and the broker that can cut every connection
/// at once without either side saying goodbye, like a pulled cable.
pub struct Relay {
    pub port: u16,
    streams: Arc<std::sync::Mutex<Vec<TcpStream>>>,
    /// Connections accepted so far: a client that reconnects shows here.
    pub accepted: Arc<std::sync::atomic::AtomicUsize>,
}

impl Relay {
    pub fn start(upstream: u16) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the relay");
        let port = listener.local_addr().unwrap().port();
        let streams: Arc<std::sync::Mutex<Vec<TcpStream>>> = Arc::default();
        let kept = streams.clone();
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = accepted.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                if let Ok(mut all) = kept.lock() {
                    all.push(client.try_clone().unwrap());
                    all.push(server.try_clone().unwrap());
                }
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server, client);
            }
        });
        Self {
            port,
            streams,
            accepted,
        }
    }

    pub fn cut(&self) {
        for stream in self.streams.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

fn pipe(mut from: std::net::TcpStream, mut to: std::net::TcpStream) {
    use std::io::{Read as _, Write as _};
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 || to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Both);
    });
}

/// mosquitto_sub as the second client, started with `-d` so that its SUBACK
/// can be seen: returned once it is subscribed (no fixed sleep).
pub struct MosquittoSub {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl MosquittoSub {
    /// `args` are mosquitto_sub's own (host, port, topic, count, TLS …).
    pub fn start(args: &[String]) -> Result<Self, String> {
        use std::io::BufRead as _;
        // Line-buffered (coreutils' stdbuf): a pipe would hold the SUBACK line back.
        let mut child = Command::new("stdbuf")
            .args(["-oL", "mosquitto_sub", "-d"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mosquitto_sub (Debian package mosquitto-clients) is installed");
        let stdout = child.stdout.take().expect("piped");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match lines.recv_timeout(Duration::from_millis(50)) {
                Ok(line) if line.contains("received SUBACK") => return Ok(Self { child, lines }),
                Ok(_) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    let mut err = String::new();
                    if let Some(mut stderr) = child.stderr.take() {
                        let _ = std::io::Read::read_to_string(&mut stderr, &mut err);
                    }
                    let _ = child.wait();
                    return Err(err);
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err("mosquitto_sub was not subscribed within 10 s".into());
            }
        }
    }

    /// Wait for it to end (its `-C`/`-W`); the payload lines it printed.
    pub fn payloads(mut self) -> Vec<String> {
        let _ = self.child.wait();
        // Every line, to the pipe's end: the reader thread may still be passing them on.
        self.lines
            .iter()
            .filter(|l| !l.starts_with("Client ") && !l.starts_with("Subscribed ("))
            .collect()
    }
}

//! Starting the demo without holding a frame: the embedded broker and its
//! sensors come up on a background job (it can take seconds); the window
//! asks now and then whether it is up. One demo per process.

use std::time::Duration;

use super::{DemoBroker, run_sensors};

/// The demo connection's name (its tab, its saved charts).
pub const DEMO_NAME: &str = "Demo broker";

/// Longest the demo waits for its sensors' first (retained) message.
const DEMO_READY_TIMEOUT: Duration = Duration::from_secs(3);

/// The demo broker, once started, and the job starting it.
pub struct DemoStart {
    broker: Option<DemoBroker>,
    job: crate::jobs::Latest<Result<DemoBroker, String>>,
    /// The ticket of the start under way.
    starting: Option<u64>,
}

impl Default for DemoStart {
    fn default() -> Self {
        Self {
            broker: None,
            job: crate::jobs::Latest::new("demo-start"),
            starting: None,
        }
    }
}

impl DemoStart {
    /// The embedded broker's port, once it runs.
    pub fn port(&self) -> Option<u16> {
        self.broker.as_ref().map(|b| b.port)
    }

    /// Start the broker and its sensors in the background, unless they run or
    /// are on their way. `wake` is called when it is up (or could not start).
    pub fn start(&mut self, runtime: &tokio::runtime::Handle, wake: Option<crate::mqtt::Wake>) {
        if self.broker.is_some() || self.starting.is_some() {
            return;
        }
        let runtime = runtime.clone();
        let job = move || -> Result<DemoBroker, String> {
            let broker = DemoBroker::start().map_err(|e| format!("The demo could not start: {e:#}"))?;
            let (stored_tx, stored_rx) = std::sync::mpsc::channel();
            runtime.spawn(run_sensors(
                "127.0.0.1".to_owned(),
                broker.port,
                fastrand::u64(..),
                Some(stored_tx),
                None,
            ));
            // Subscribe only once the retained status is stored, so it shows as retained.
            if stored_rx.recv_timeout(DEMO_READY_TIMEOUT).is_err() {
                tracing::warn!("the demo sensors were slow to start");
            }
            Ok(broker)
        };
        self.starting = Some(self.job.submit(job, move || {
            if let Some(wake) = &wake {
                wake();
            }
        }));
    }

    /// Whether a start is on its way.
    pub fn is_starting(&self) -> bool {
        self.starting.is_some()
    }

    /// A start that finished since the last call: the broker's port, or why it could not start.
    pub fn finished(&mut self) -> Option<Result<u16, String>> {
        let started = self.job.take(self.starting?)?;
        self.starting = None;
        Some(started.and_then(|started| started).map(|broker| {
            let port = broker.port;
            self.broker = Some(broker);
            port
        }))
    }
}

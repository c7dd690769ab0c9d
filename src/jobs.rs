//! Work the UI thread hands off so a frame never waits on it: a file to write
//! or read, a diff of two large payloads. No egui and no tokio in here; the
//! caller passes a `wake` closure (a repaint request) to be told a result is
//! ready, and picks the result up in a later frame without blocking.
//!
//! - [`Latest`]: one thread, and only the newest request matters (the diff on
//!   screen): a request still waiting is replaced by a newer one.
//! - [`InOrder`]: one thread that runs every job in the order given (saving
//!   files: a later save must land after an earlier one).

use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};

type Job<T> = Box<dyn FnOnce() -> T + Send>;
type Wake = Box<dyn Fn() + Send>;

struct LatestState<T> {
    waiting: Option<(u64, Job<T>, Wake)>,
    /// The newest result: the job's value, or in words why it stopped (a panic).
    done: Option<(u64, Result<T, String>)>,
    closed: bool,
}

struct LatestShared<T> {
    state: Mutex<LatestState<T>>,
    more: Condvar,
}

/// One background thread where only the newest request matters. The thread
/// starts with the first request and ends when this is dropped.
pub struct Latest<T: Send + 'static> {
    name: &'static str,
    shared: Option<Arc<LatestShared<T>>>,
    next_ticket: u64,
}

impl<T: Send + 'static> std::fmt::Debug for Latest<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Latest")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static> Latest<T> {
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            shared: None,
            next_ticket: 1,
        }
    }

    /// Run `job` off this thread, replacing a request not started yet. Returns
    /// the ticket to collect its result with; `wake` is called when it is ready.
    pub fn submit(&mut self, job: impl FnOnce() -> T + Send + 'static, wake: impl Fn() + Send + 'static) -> u64 {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        let shared = self.shared.get_or_insert_with(|| spawn_latest(self.name)).clone();
        if let Ok(mut state) = shared.state.lock() {
            state.waiting = Some((ticket, Box::new(job), Box::new(wake)));
            state.done = None;
        }
        shared.more.notify_one();
        ticket
    }

    /// The result of `ticket`, once; `None` while it runs (or if a newer
    /// request replaced it). `Err` says why the job stopped when it panicked
    /// (the thread goes on with the next request). Never blocks on the job.
    pub fn take(&self, ticket: u64) -> Option<Result<T, String>> {
        let shared = self.shared.as_ref()?;
        let mut state = shared.state.lock().ok()?;
        if state.done.as_ref().is_some_and(|(t, _)| *t == ticket) {
            return state.done.take().map(|(_, result)| result);
        }
        None
    }
}

impl<T: Send + 'static> Default for Latest<T> {
    fn default() -> Self {
        Self::new("background")
    }
}

impl<T: Send + 'static> Drop for Latest<T> {
    fn drop(&mut self) {
        if let Some(shared) = &self.shared {
            if let Ok(mut state) = shared.state.lock() {
                state.closed = true;
                state.waiting = None;
            }
            shared.more.notify_one();
        }
    }
}

fn spawn_latest<T: Send + 'static>(name: &'static str) -> Arc<LatestShared<T>> {
    let shared = Arc::new(LatestShared {
        state: Mutex::new(LatestState {
            waiting: None,
            done: None,
            closed: false,
        }),
        more: Condvar::new(),
    });
    let theirs = shared.clone();
    let spawned = std::thread::Builder::new().name(name.into()).spawn(move || {
        loop {
            let next = {
                let Ok(mut state) = theirs.state.lock() else { return };
                loop {
                    if state.closed {
                        return;
                    }
                    if let Some(next) = state.waiting.take() {
                        break next;
                    }
                    state = match theirs.more.wait(state) {
                        Ok(state) => state,
                        Err(_) => return,
                    };
                }
            };
            let (ticket, job, wake) = next;
            // A bug in one job must not leave its ticket (and every later one) unanswered.
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).map_err(|panic| {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(name, %what, "a background job panicked");
                format!("it stopped unexpectedly (a bug: {what})")
            });
            let Ok(mut state) = theirs.state.lock() else { return };
            // A newer request waiting makes this result stale: drop it.
            if state.waiting.is_none() {
                state.done = Some((ticket, result));
                drop(state);
                wake();
            }
        }
    });
    if let Err(e) = spawned {
        tracing::error!(%e, name, "cannot start a background thread");
    }
    shared
}

/// One background thread that runs every job in the order given. Jobs still
/// queued when this is dropped are run before the thread ends.
pub struct InOrder {
    jobs: Option<mpsc::Sender<Job<()>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for InOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InOrder").finish_non_exhaustive()
    }
}

impl InOrder {
    pub fn new(name: &str) -> Self {
        let (tx, rx) = mpsc::channel::<Job<()>>();
        let thread = std::thread::Builder::new().name(name.into()).spawn(move || {
            for job in rx {
                job();
            }
        });
        match thread {
            Ok(thread) => Self {
                jobs: Some(tx),
                thread: Some(thread),
            },
            Err(e) => {
                tracing::error!(%e, name, "cannot start a background thread; its jobs run in place");
                Self {
                    jobs: None,
                    thread: None,
                }
            }
        }
    }

    /// Run `job` after every job given before it.
    pub fn run(&self, job: impl FnOnce() + Send + 'static) {
        match &self.jobs {
            Some(jobs) => {
                if let Err(mpsc::SendError(job)) = jobs.send(Box::new(job)) {
                    job();
                }
            }
            None => job(),
        }
    }

    /// Wait for every job given so far (at exit, so nothing is lost).
    pub fn finish(&mut self) {
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for InOrder {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    fn wait_for<T>(mut f: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(v) = f() {
                return v;
            }
            assert!(Instant::now() < deadline, "no result");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    #[test]
    fn latest_gives_the_newest_result_and_wakes_once_per_result() {
        let woken = Arc::new(AtomicUsize::new(0));
        let mut jobs = Latest::new("test");
        let (gate_tx, gate_rx) = mpsc::channel::<()>();
        let (started_tx, started) = mpsc::channel::<()>();
        let w = woken.clone();
        // The first job blocks until let go, so the next two queue behind it.
        let first = jobs.submit(
            move || {
                started_tx.send(()).ok();
                gate_rx.recv().ok();
                1
            },
            move || {
                w.fetch_add(1, Ordering::SeqCst);
            },
        );
        started
            .recv_timeout(Duration::from_secs(10))
            .expect("the first job started");
        let w = woken.clone();
        let second = jobs.submit(
            || 2,
            move || {
                w.fetch_add(1, Ordering::SeqCst);
            },
        );
        let w = woken.clone();
        let third = jobs.submit(
            || 3,
            move || {
                w.fetch_add(1, Ordering::SeqCst);
            },
        );
        assert_eq!(jobs.take(third), None, "not run yet: the thread is busy");
        gate_tx.send(()).unwrap();
        assert_eq!(wait_for(|| jobs.take(third)), Ok(3));
        assert_eq!(jobs.take(third), None, "taken once");
        assert_eq!(jobs.take(second), None, "replaced before it started");
        assert_eq!(jobs.take(first), None, "stale: a newer request came");
        assert_eq!(woken.load(Ordering::SeqCst), 1, "one wake, for the result kept");
    }

    #[test]
    fn a_job_that_panics_is_answered_in_words_and_the_next_one_runs() {
        let mut jobs: Latest<u32> = Latest::new("test");
        let bad = jobs.submit(|| panic!("index out of bounds"), || {});
        let err = wait_for(|| jobs.take(bad)).unwrap_err();
        assert!(err.contains("index out of bounds"), "{err}");
        let good = jobs.submit(|| 7, || {});
        assert_eq!(wait_for(|| jobs.take(good)), Ok(7));
    }

    #[test]
    fn in_order_runs_every_job_in_order_even_when_dropped() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let jobs = InOrder::new("test");
        for i in 0..100 {
            let seen = seen.clone();
            jobs.run(move || seen.lock().unwrap().push(i));
        }
        drop(jobs);
        assert_eq!(*seen.lock().unwrap(), (0..100).collect::<Vec<_>>());
    }
}

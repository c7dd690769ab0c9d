//! `--record PATH`: every received message appended as one JSON line:
//! `time`, `topic`, `qos`, `retain`, and `payload` (UTF-8) or `payload_b64`.
//! And the way back (`read.rs`): such a file, or what mosquitto_sub and MQTTX
//! write, streamed into a replay by [`feed_from_file`].

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde::Serialize;

use crate::vocab::ReceivedMessage;

mod read;
pub use read::{Format, PROBLEMS_SHOWN, Progress, RecordingReader, read_all};

/// One message in the recording format: its text payload, or base64 when it is not UTF-8.
#[derive(Serialize)]
pub(crate) struct Line<'a> {
    pub(crate) time: String,
    pub(crate) topic: &'a str,
    pub(crate) qos: u8,
    pub(crate) retain: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) payload: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) payload_b64: Option<String>,
}

/// Appends received messages to a file. The lines are made on the caller's
/// thread; writing and flushing them happens on a thread of the recorder's
/// own, so a slow or full disk never holds up a frame. At most
/// [`RECORDER_QUEUE_BYTES`] wait for the disk: past that, batches are counted
/// as not recorded ([`Recorder::not_recorded`]) rather than held in memory.
pub struct Recorder {
    path: std::path::PathBuf,
    /// Bytes in the file (what was there before plus what was handed over).
    size: u64,
    messages: u64,
    not_recorded: u64,
    shared: Arc<RecorderShared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The most bytes of lines waiting for the disk.
pub const RECORDER_QUEUE_BYTES: usize = 16 * 1024 * 1024;

#[derive(Default)]
struct RecorderQueue {
    chunks: std::collections::VecDeque<Vec<u8>>,
    bytes: usize,
    closed: bool,
    /// The first write that failed, in words; nothing more is written after it.
    failed: Option<String>,
    /// Chunks taken and not yet written and flushed.
    writing: bool,
}

struct RecorderShared {
    queue: Mutex<RecorderQueue>,
    changed: std::sync::Condvar,
}

impl Recorder {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = crate::files::append_private(path)?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let shared = Arc::new(RecorderShared {
            queue: Mutex::default(),
            changed: std::sync::Condvar::new(),
        });
        let theirs = shared.clone();
        let thread = std::thread::Builder::new()
            .name("recorder".into())
            .spawn(move || write_loop(BufWriter::new(file), &theirs))?;
        Ok(Self {
            path: path.to_path_buf(),
            size,
            messages: 0,
            not_recorded: 0,
            shared,
            thread: Some(thread),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes in the file once what was handed over is written.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Messages handed over for writing since it was opened.
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// Messages not recorded because the disk fell more than
    /// [`RECORDER_QUEUE_BYTES`] behind.
    pub fn not_recorded(&self) -> u64 {
        self.not_recorded
    }

    /// Hand a batch over to be appended (and flushed, so a crash loses at
    /// most what is in hand). Never waits on the disk. An error is a write
    /// that failed earlier: nothing more is recorded.
    pub fn write_batch(&mut self, batch: &[ReceivedMessage]) -> std::io::Result<()> {
        let mut chunk = Vec::new();
        for m in batch {
            serde_json::to_writer(&mut chunk, &line(m)).map_err(std::io::Error::other)?;
            chunk.push(b'\n');
        }
        let Ok(mut queue) = self.shared.queue.lock() else {
            return Err(std::io::Error::other("the recorder stopped"));
        };
        if let Some(failed) = &queue.failed {
            return Err(std::io::Error::other(failed.clone()));
        }
        if queue.bytes + chunk.len() > RECORDER_QUEUE_BYTES && !queue.chunks.is_empty() {
            self.not_recorded += batch.len() as u64;
            return Ok(());
        }
        queue.bytes += chunk.len();
        self.size += chunk.len() as u64;
        self.messages += batch.len() as u64;
        queue.chunks.push_back(chunk);
        drop(queue);
        self.shared.changed.notify_all();
        Ok(())
    }

    /// Wait until everything handed over is written and flushed.
    pub fn flush(&self) -> std::io::Result<()> {
        let Ok(mut queue) = self.shared.queue.lock() else {
            return Err(std::io::Error::other("the recorder stopped"));
        };
        while (!queue.chunks.is_empty() || queue.writing) && queue.failed.is_none() {
            queue = match self.shared.changed.wait(queue) {
                Ok(queue) => queue,
                Err(_) => return Err(std::io::Error::other("the recorder stopped")),
            };
        }
        match &queue.failed {
            Some(failed) => Err(std::io::Error::other(failed.clone())),
            None => Ok(()),
        }
    }
}

impl Drop for Recorder {
    /// What was handed over is still written, then the file is closed, by
    /// the recorder's thread on its own: stopping a recording never waits for
    /// the disk (at exit the app calls [`Recorder::flush`] first).
    fn drop(&mut self) {
        if let Ok(mut queue) = self.shared.queue.lock() {
            queue.closed = true;
        }
        self.shared.changed.notify_all();
        drop(self.thread.take());
    }
}

fn write_loop(mut out: BufWriter<File>, shared: &RecorderShared) {
    loop {
        let chunks = {
            let Ok(mut queue) = shared.queue.lock() else { return };
            while queue.chunks.is_empty() && !queue.closed {
                queue = match shared.changed.wait(queue) {
                    Ok(queue) => queue,
                    Err(_) => return,
                };
            }
            if queue.chunks.is_empty() {
                return; // closed, and everything written
            }
            queue.writing = true;
            // Still counted in `bytes` until written: the bound holds in flight too.
            std::mem::take(&mut queue.chunks)
        };
        let taken: usize = chunks.iter().map(Vec::len).sum();
        let mut written = Ok(());
        for chunk in &chunks {
            written = written.and_then(|()| out.write_all(chunk));
        }
        let written = written.and_then(|()| out.flush());
        let Ok(mut queue) = shared.queue.lock() else { return };
        queue.writing = false;
        queue.bytes -= taken;
        if let Err(e) = written {
            queue.failed = Some(e.to_string());
            queue.chunks.clear();
            drop(queue);
            shared.changed.notify_all();
            return;
        }
        drop(queue);
        shared.changed.notify_all();
    }
}

/// One message as a line of the recording format (NDJSON).
pub(crate) fn line(m: &ReceivedMessage) -> Line<'_> {
    let text = std::str::from_utf8(&m.payload).ok();
    Line {
        time: chrono::DateTime::<chrono::Local>::from(m.received_at)
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, false),
        topic: &m.topic,
        qos: m.qos,
        retain: m.retain,
        payload: text,
        payload_b64: text
            .is_none()
            .then(|| base64::engine::general_purpose::STANDARD.encode(&m.payload)),
    }
}

/// Where a replay's messages come from: batches in file order, how far the
/// reading has got, and at the end what could not be read (or why nothing could).
pub struct ReplayFeed {
    pub batches: tokio::sync::mpsc::Receiver<Vec<ReceivedMessage>>,
    /// (bytes read, bytes in all), for the progress shown while replaying.
    pub progress: Option<Arc<Progress>>,
    /// Set by the reader when it stops: `Ok(note on skipped lines)` or `Err(why it could not read)`.
    pub outcome: Arc<Mutex<Option<Result<String, String>>>>,
    /// What the file is ("mosquitto_sub -v output"), once known.
    pub kind: Arc<Mutex<String>>,
}

impl ReplayFeed {
    /// A feed of messages already in memory.
    pub fn from_messages(messages: Vec<ReceivedMessage>) -> Self {
        let batches: Vec<Vec<ReceivedMessage>> = messages.chunks(1_000).map(<[_]>::to_vec).collect();
        let (tx, rx) = tokio::sync::mpsc::channel(batches.len().max(1));
        for batch in batches {
            let _ = tx.try_send(batch);
        }
        Self {
            batches: rx,
            progress: None,
            outcome: Arc::new(Mutex::new(Some(Ok(String::new())))),
            kind: Arc::new(Mutex::new("recording".to_owned())),
        }
    }
}

/// A replay feed read from the recording at `path` on a thread of its own:
/// batches of up to 1,000 messages, at most a few in memory at once (the
/// channel is bounded), whatever the file's size.
pub fn feed_from_file(path: &Path) -> ReplayFeed {
    const BATCH: usize = 1_000;
    const BATCH_BYTES: usize = 4 * 1024 * 1024;
    let (tx, batches) = tokio::sync::mpsc::channel::<Vec<ReceivedMessage>>(4);
    let outcome = Arc::new(Mutex::new(None));
    let kind = Arc::new(Mutex::new("recording".to_owned()));
    let progress = Arc::new(Progress::default());
    let feed = ReplayFeed {
        batches,
        progress: Some(progress.clone()),
        outcome: outcome.clone(),
        kind: kind.clone(),
    };
    let path = path.to_path_buf();
    let spawned = std::thread::Builder::new()
        .name("recording reader".into())
        .spawn(move || {
            let result = (|| {
                let mut reader = RecordingReader::open(&path)?;
                if let Ok(mut k) = kind.lock() {
                    *k = reader.format().label().to_owned();
                }
                let source = reader.progress();
                progress
                    .total_bytes
                    .store(source.total_bytes.load(Ordering::Relaxed), Ordering::Relaxed);
                loop {
                    // Up to 1,000 messages or 4 MiB of payload, whichever comes first:
                    // what is read ahead is bounded in bytes, whatever the payload sizes.
                    let mut batch = Vec::new();
                    let mut bytes = 0usize;
                    for m in reader.by_ref() {
                        bytes += m.payload.len() + m.topic.len();
                        batch.push(m);
                        if batch.len() >= BATCH || bytes >= BATCH_BYTES {
                            break;
                        }
                    }
                    progress
                        .bytes_read
                        .store(source.bytes_read.load(Ordering::Relaxed), Ordering::Relaxed);
                    if batch.is_empty() {
                        break;
                    }
                    if tx.capacity() == 0 {
                        progress.waiting_for_room.store(true, Ordering::Release);
                    }
                    let sent = tx.blocking_send(batch);
                    progress.waiting_for_room.store(false, Ordering::Release);
                    if sent.is_err() || tx.is_closed() {
                        break; // the tab was closed
                    }
                }
                Ok(skipped_note(&reader))
            })();
            if let Ok(mut o) = outcome.lock() {
                *o = Some(result);
            }
            // Dropping `tx` here ends the replay after what was sent.
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the recording reader");
    }
    feed
}

/// "3 lines could not be read (line 7: …; line 9: …)", or nothing.
fn skipped_note(reader: &RecordingReader) -> String {
    if reader.skipped == 0 {
        return String::new();
    }
    let more = reader.skipped.saturating_sub(reader.problems.len() as u64);
    let mut note = format!(
        "{} line{} could not be read ({}",
        reader.skipped,
        if reader.skipped == 1 { "" } else { "s" },
        reader.problems.join("; ")
    );
    if more > 0 {
        note.push_str(&format!("; and {more} more"));
    }
    note.push(')');
    note
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_reads_back_as_the_same_messages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec.ndjson");
        let mut original = vec![
            ReceivedMessage::new("a/b", &b"hello"[..], 1, true),
            ReceivedMessage::new("c", &[0xff, 0x00][..], 0, false),
            ReceivedMessage::new("传感器/客厅/温度", "{\"温度\": 22.5}".as_bytes(), 0, false),
        ];
        original[1].received_at = original[0].received_at + std::time::Duration::from_millis(250);
        original[2].received_at = original[1].received_at;
        let mut recorder = Recorder::open(&path).unwrap();
        recorder.write_batch(&original).unwrap();
        recorder.flush().unwrap();
        let bytes = [std::fs::read(&path).unwrap(), b"{broken\n\n".to_vec()].concat();
        let (back, reader) = read_all(&bytes);
        assert_eq!(reader.format(), Format::Mqscope);
        assert_eq!(back.len(), 3);
        for (a, b) in back.iter().zip(&original) {
            assert_eq!(
                (&a.topic, &a.payload, a.qos, a.retain),
                (&b.topic, &b.payload, b.qos, b.retain)
            );
            let ms = |t: std::time::SystemTime| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
            assert_eq!(ms(a.received_at), ms(b.received_at), "times to the millisecond");
        }
        assert_eq!(reader.skipped, 1);
        assert!(reader.problems[0].starts_with("line 4:"), "{:?}", reader.problems);
    }

    #[test]
    fn the_recorder_counts_what_it_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec.ndjson");
        let mut r = Recorder::open(&path).unwrap();
        r.write_batch(&[ReceivedMessage::new("a", &b"1"[..], 0, false)])
            .unwrap();
        r.flush().unwrap();
        assert_eq!(r.size(), std::fs::metadata(&path).unwrap().len());
        assert_eq!(r.messages(), 1);
        drop(r);
        let again = Recorder::open(&path).unwrap();
        assert_eq!(
            again.size(),
            std::fs::metadata(&path).unwrap().len(),
            "appending: starts at the file's size"
        );
    }

    #[test]
    fn the_time_of_a_line_keeps_microseconds() {
        // At 20,000 messages a second a millisecond holds twenty of them.
        let mut m = ReceivedMessage::new("a", &b"1"[..], 0, false);
        m.received_at = std::time::UNIX_EPOCH + std::time::Duration::from_micros(1_796_040_878_123_456);
        let back = chrono::DateTime::parse_from_rfc3339(&line(&m).time).unwrap();
        assert_eq!(back.timestamp_micros(), 1_796_040_878_123_456);
    }

    #[test]
    fn text_and_binary_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec.ndjson");
        let mut r = Recorder::open(&path).unwrap();
        r.write_batch(&[
            ReceivedMessage::new("a/b", &b"hello"[..], 1, true),
            ReceivedMessage::new("c", &[0xff, 0x00][..], 0, false),
        ])
        .unwrap();
        r.flush().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["topic"], "a/b");
        assert_eq!(lines[0]["payload"], "hello");
        assert_eq!(lines[0]["qos"], 1);
        assert_eq!(lines[0]["retain"], true);
        assert!(lines[0]["time"].as_str().unwrap().contains('T'));
        assert_eq!(lines[1]["payload_b64"], "/wA=");
        assert!(lines[1].get("payload").is_none());
    }

    /// Until the reader waits for the replay to take a batch (20 s at most).
    fn wait_for_room(progress: &Progress) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !progress.waiting_for_room.load(Ordering::Acquire) {
            assert!(std::time::Instant::now() < deadline, "the reader never got ahead");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    #[test]
    fn what_is_read_ahead_of_the_replay_is_bounded_in_bytes() {
        // 100 messages of 1 MiB each: more than the read-ahead may hold.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.txt");
        let line = [b"big/payload ".as_slice(), &vec![b'x'; 1 << 20], b"\n"].concat();
        std::fs::write(&path, line.repeat(100)).unwrap();
        let mut feed = feed_from_file(&path);
        let progress = feed.progress.clone().unwrap();
        // Nobody takes batches: the reader stops when the channel is full.
        wait_for_room(&progress);
        let read = progress.bytes_read.load(Ordering::Relaxed);
        assert!(read < 40 << 20, "{} MiB read ahead of the replay", read >> 20);
        // And taking them lets it read on, every message arriving whole.
        let mut messages = 0;
        while let Some(batch) = feed.batches.blocking_recv() {
            assert!(batch.iter().all(|m| m.payload.len() == 1 << 20));
            messages += batch.len();
        }
        assert_eq!(messages, 100);
    }

    #[test]
    fn a_replay_says_how_far_its_file_is_read_until_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let replay = |feed: ReplayFeed, speed| {
            crate::mqtt::ConnectionHandle::replay(
                crate::vocab::ConnectionSpec::new("recording", 0),
                feed,
                speed,
                rt.handle(),
                std::sync::Arc::new(|| {}),
            )
        };
        // Messages of 1 MiB an hour apart, at the recorded pace: the replay waits
        // for the second, the reader stops a few batches ahead, part way in.
        let paced = dir.path().join("paced.ndjson");
        let mut recorder = Recorder::open(&paced).unwrap();
        let start = std::time::SystemTime::now();
        let batch: Vec<ReceivedMessage> = (0..64u64)
            .map(|i| {
                let mut m = ReceivedMessage::new("big/payload", vec![b'x'; 1 << 20], 0, false);
                m.received_at = start + std::time::Duration::from_secs(3_600 * i);
                m
            })
            .collect();
        recorder.write_batch(&batch).unwrap();
        recorder.flush().unwrap();
        drop(recorder);
        let feed = feed_from_file(&paced);
        let progress = feed.progress.clone().unwrap();
        let handle = replay(feed, Some(1.0));
        wait_for_room(&progress);
        let part = handle.reading_progress().expect("part of the file read");
        assert!(part > 0.0 && part < 0.5, "{part}");
        // Read to its end: no progress left to show.
        let small = dir.path().join("small.txt");
        std::fs::write(&small, "a/b 1\nc/d 2\n").unwrap();
        let handle = replay(feed_from_file(&small), None);
        let mut got = 0;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while got < 2 && std::time::Instant::now() < deadline {
            match handle.try_event() {
                Some(crate::mqtt::Event::Messages(batch)) => got += batch.len(),
                _ => std::thread::sleep(std::time::Duration::from_millis(5)),
            }
        }
        assert_eq!(got, 2);
        assert_eq!(handle.reading_progress(), None);
    }
}

//! `--record PATH`: every received message appended as one JSON line:
//! `time`, `topic`, `qos`, `retain`, and `payload` (UTF-8) or `payload_b64`.
//! And the way back: such a file, or the text of `mosquitto_sub -v` (topic,
//! space, payload per line), read as messages to replay offline.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::Path;

use base64::Engine as _;
use serde::Serialize;

use crate::model::ReceivedMessage;

#[derive(Serialize)]
struct Line<'a> {
    time: String,
    topic: &'a str,
    qos: u8,
    retain: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload_b64: Option<String>,
}

pub struct Recorder {
    out: BufWriter<File>,
    path: std::path::PathBuf,
    /// Bytes in the file (what was there before plus what we wrote).
    size: u64,
    messages: u64,
}

impl Recorder {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = File::options().create(true).append(true).open(path)?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(Self {
            out: BufWriter::new(file),
            path: path.to_path_buf(),
            size,
            messages: 0,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes in the file now.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Messages written since it was opened.
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// Append a batch and flush it, so a crash loses at most the batch in hand.
    pub fn write_batch(&mut self, batch: &[ReceivedMessage]) -> std::io::Result<()> {
        for m in batch {
            let bytes = serde_json::to_vec(&line(m)).map_err(std::io::Error::other)?;
            self.out.write_all(&bytes)?;
            self.out.write_all(b"\n")?;
            self.size += bytes.len() as u64 + 1;
            self.messages += 1;
        }
        self.out.flush()
    }
}

/// The stored messages at and below `node`, oldest first, as NDJSON (the
/// recording format) or CSV (`time,topic,qos,retain,payload,payload_b64`).
/// Returns the bytes and the number of messages.
pub fn export_messages(model: &crate::model::Model, node: crate::model::NodeId, csv: bool) -> (Vec<u8>, usize) {
    let tree = &model.tree;
    let mut messages: Vec<ReceivedMessage> = Vec::new();
    let mut stack = vec![node];
    while let Some(id) = stack.pop() {
        let topic = tree.topic(id);
        for m in model.history.messages(id) {
            let mut r = ReceivedMessage::new(topic.clone(), m.payload.clone(), m.qos, m.retain);
            r.received_at = m.received_at();
            messages.push(r);
        }
        stack.extend(tree.node(id).children.iter().copied());
    }
    messages.sort_by_key(|m| m.received_at);
    let n = messages.len();
    if !csv {
        let mut out = Vec::new();
        for m in &messages {
            let _ = serde_json::to_writer(&mut out, &line(m));
            out.push(b'\n');
        }
        return (out, n);
    }
    let field = crate::files::csv_field;
    let mut out = String::from("time,topic,qos,retain,payload,payload_b64\n");
    for m in &messages {
        let l = line(m);
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            l.time,
            field(l.topic),
            l.qos,
            l.retain,
            field(l.payload.unwrap_or_default()),
            l.payload_b64.unwrap_or_default()
        ));
    }
    (out.into_bytes(), n)
}

fn line(m: &ReceivedMessage) -> Line<'_> {
    let text = std::str::from_utf8(&m.payload).ok();
    Line {
        time: chrono::DateTime::<chrono::Local>::from(m.received_at)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
        topic: &m.topic,
        qos: m.qos,
        retain: m.retain,
        payload: text,
        payload_b64: text
            .is_none()
            .then(|| base64::engine::general_purpose::STANDARD.encode(&m.payload)),
    }
}

/// What a recording holds, and the lines that could not be read.
#[derive(Debug, Default)]
pub struct Recording {
    pub messages: Vec<ReceivedMessage>,
    /// "line 7: …", at most a few, then a count.
    pub problems: Vec<String>,
    pub skipped: usize,
    /// "mqscope recording" or "mosquitto_sub -v output".
    pub kind: &'static str,
}

const PROBLEMS_SHOWN: usize = 5;

/// Read a recording: NDJSON from `--record` when the first line is a JSON
/// object, else `mosquitto_sub -v` text. Times of `-v` lines are not in the
/// file: they get `now`, a microsecond apart, in file order.
pub fn read_recording(text: &str, now: std::time::SystemTime) -> Recording {
    let ndjson = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.trim_start().starts_with('{'));
    let mut recording = Recording {
        kind: if ndjson {
            "mqscope recording"
        } else {
            "mosquitto_sub -v output"
        },
        ..Recording::default()
    };
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed = if ndjson {
            ndjson_line(line)
        } else {
            match line.split_once(' ') {
                Some((topic, payload)) if !topic.is_empty() => {
                    let at = now + std::time::Duration::from_micros(i as u64);
                    let mut m = ReceivedMessage::new(topic, payload.as_bytes(), 0, false);
                    m.received_at = at;
                    Ok(m)
                }
                // A topic with an empty payload prints as the topic alone.
                None if !line.contains(' ') => {
                    let mut m = ReceivedMessage::new(line, &b""[..], 0, false);
                    m.received_at = now + std::time::Duration::from_micros(i as u64);
                    Ok(m)
                }
                _ => Err("no topic before the first space".to_owned()),
            }
        };
        match parsed {
            Ok(m) => recording.messages.push(m),
            Err(e) => {
                recording.skipped += 1;
                if recording.problems.len() < PROBLEMS_SHOWN {
                    recording.problems.push(format!("line {}: {e}", i + 1));
                }
            }
        }
    }
    recording
}

fn ndjson_line(line: &str) -> Result<ReceivedMessage, String> {
    #[derive(serde::Deserialize)]
    struct In {
        time: String,
        topic: String,
        #[serde(default)]
        qos: u8,
        #[serde(default)]
        retain: bool,
        payload: Option<String>,
        payload_b64: Option<String>,
    }
    let l: In = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let at = chrono::DateTime::parse_from_rfc3339(&l.time).map_err(|e| format!("time '{}': {e}", l.time))?;
    let payload = match (l.payload, l.payload_b64) {
        (Some(text), _) => text.into_bytes(),
        (None, Some(b64)) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| format!("payload_b64: {e}"))?,
        (None, None) => Vec::new(),
    };
    let mut m = ReceivedMessage::new(l.topic, payload, l.qos.min(2), l.retain);
    m.received_at = at.into();
    Ok(m)
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
        ];
        original[1].received_at = original[0].received_at + std::time::Duration::from_millis(250);
        Recorder::open(&path).unwrap().write_batch(&original).unwrap();
        let text = std::fs::read_to_string(&path).unwrap() + "{broken\n\n";
        let back = read_recording(&text, std::time::SystemTime::now());
        assert_eq!(back.kind, "mqscope recording");
        assert_eq!(back.messages.len(), 2);
        for (a, b) in back.messages.iter().zip(&original) {
            assert_eq!(
                (&a.topic, &a.payload, a.qos, a.retain),
                (&b.topic, &b.payload, b.qos, b.retain)
            );
            let ms = |t: std::time::SystemTime| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
            assert_eq!(ms(a.received_at), ms(b.received_at), "times to the millisecond");
        }
        assert_eq!(back.skipped, 1);
        assert!(back.problems[0].starts_with("line 3:"), "{:?}", back.problems);
    }

    #[test]
    fn mosquitto_sub_v_text() {
        let text = "home/light on\nhome/tv {\"power\": \"on\", \"ch\": 2}\n\nhome/empty\n sensors/x 1\n";
        let now = std::time::SystemTime::now();
        let r = read_recording(text, now);
        assert_eq!(r.kind, "mosquitto_sub -v output");
        let got: Vec<(&str, &[u8])> = r.messages.iter().map(|m| (m.topic.as_str(), &m.payload[..])).collect();
        assert_eq!(
            got,
            [
                ("home/light", &b"on"[..]),
                ("home/tv", &br#"{"power": "on", "ch": 2}"#[..]),
                ("home/empty", &b""[..]),
            ]
        );
        assert!(r.messages[0].received_at < r.messages[1].received_at, "file order");
        assert_eq!(r.skipped, 1);
        assert!(r.problems[0].contains("line 5"));
    }

    #[test]
    fn the_recorder_counts_what_it_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec.ndjson");
        let mut r = Recorder::open(&path).unwrap();
        r.write_batch(&[ReceivedMessage::new("a", &b"1"[..], 0, false)])
            .unwrap();
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
    fn text_and_binary_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec.ndjson");
        let mut r = Recorder::open(&path).unwrap();
        r.write_batch(&[
            ReceivedMessage::new("a/b", &b"hello"[..], 1, true),
            ReceivedMessage::new("c", &[0xff, 0x00][..], 0, false),
        ])
        .unwrap();
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
}

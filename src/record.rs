//! `--record PATH`: every received message appended as one JSON line:
//! `time`, `topic`, `qos`, `retain`, and `payload` (UTF-8) or `payload_b64`.

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
}

impl Recorder {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = File::options().create(true).append(true).open(path)?;
        Ok(Self {
            out: BufWriter::new(file),
        })
    }

    /// Append a batch and flush it, so a crash loses at most the batch in hand.
    pub fn write_batch(&mut self, batch: &[ReceivedMessage]) -> std::io::Result<()> {
        for m in batch {
            let text = std::str::from_utf8(&m.payload).ok();
            let line = Line {
                time: chrono::DateTime::<chrono::Local>::from(m.received_at)
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
                topic: &m.topic,
                qos: m.qos,
                retain: m.retain,
                payload: text,
                payload_b64: text
                    .is_none()
                    .then(|| base64::engine::general_purpose::STANDARD.encode(&m.payload)),
            };
            serde_json::to_writer(&mut self.out, &line).map_err(std::io::Error::other)?;
            self.out.write_all(b"\n")?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

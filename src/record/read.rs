//! Recordings read back as messages, streamed: a file of any size is read a
//! line (or CSV record) at a time, so memory stays bounded whatever its size.
//! Four shapes, told apart by the first line:
//!
//! - mqscope's own `--record` NDJSON (`time`, `topic`, `payload` or `payload_b64`);
//! - `mosquitto_sub -F %j` JSON lines (`tst`, `topic`, `qos`, `retain`,
//!   `payloadlen`, `payload`), the unambiguous capture format. mosquitto_sub
//!   writes payload bytes that are not UTF-8 into the JSON raw, so lines are
//!   read as bytes and such bytes kept;
//! - `mosquitto_sub -v` text (topic, space, payload): payload bytes kept as
//!   they are, binary included; `(null)` is how it prints an empty payload.
//!   The format cannot tell a topic with a space or a payload with a newline
//!   apart from the next message: those lines are read as mosquitto_sub wrote them;
//! - MQTTX's message export (CSV: `client_id,connection_name,topic,payload,
//!   qos,retain,direction,createAt,…`).
//!
//! Lines that cannot be read are counted and the first few named; they never
//! stop the rest. Never reads on the UI thread: the replay runs it on its own.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use base64::Engine as _;

use crate::vocab::ReceivedMessage;

/// Lines longer than this are not messages (MQTT's largest payload is 256 MiB).
const MAX_LINE_BYTES: usize = 260 * 1024 * 1024;
/// Problems named, at most; the rest are only counted.
pub const PROBLEMS_SHOWN: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Mqscope,
    MosquittoJson,
    MosquittoVerbose,
    MqttxCsv,
}

impl Format {
    pub fn label(self) -> &'static str {
        match self {
            Format::Mqscope => "mqscope recording",
            Format::MosquittoJson => "mosquitto_sub -F %j output",
            Format::MosquittoVerbose => "mosquitto_sub -v output",
            Format::MqttxCsv => "MQTTX message export (CSV)",
        }
    }

    /// The format of a file that starts with `head`.
    fn sniff(head: &[u8]) -> Format {
        let first = head
            .split(|&b| b == b'\n')
            .map(|l| l.trim_ascii())
            .find(|l| !l.is_empty())
            .unwrap_or_default();
        let first = first.strip_prefix(b"\xef\xbb\xbf").unwrap_or(first);
        if first.starts_with(b"{") {
            let has = |key: &[u8]| first.windows(key.len()).any(|w| w == key);
            if has(b"\"tst\"") || has(b"\"payloadlen\"") {
                Format::MosquittoJson
            } else {
                Format::Mqscope
            }
        } else if first.starts_with(b"client_id,connection_name,topic,payload") {
            Format::MqttxCsv
        } else {
            Format::MosquittoVerbose
        }
    }
}

/// How far the reading has got, shared with whoever shows progress.
#[derive(Debug, Default)]
pub struct Progress {
    pub bytes_read: AtomicU64,
    pub total_bytes: AtomicU64,
    /// The reader is ahead of the replay and waits for it to take a batch.
    pub waiting_for_room: std::sync::atomic::AtomicBool,
}

/// Messages from a recording, one at a time.
pub struct RecordingReader {
    format: Format,
    lines: Option<BufReader<Box<dyn Read + Send>>>,
    csv: Option<csv::Reader<Box<dyn Read + Send>>>,
    /// Column of each MQTTX field, from the header.
    csv_columns: CsvColumns,
    line_no: u64,
    /// Times for formats that carry none: the opening time, a microsecond per line.
    now: SystemTime,
    progress: Arc<Progress>,
    pub problems: Vec<String>,
    pub skipped: u64,
    buffer: Vec<u8>,
}

#[derive(Debug, Default, Clone, Copy)]
struct CsvColumns {
    topic: usize,
    payload: usize,
    qos: Option<usize>,
    retain: Option<usize>,
    created: Option<usize>,
}

impl RecordingReader {
    /// Open a recording file (on a background thread: this reads it).
    pub fn open(path: &Path) -> Result<Self, String> {
        let file = std::fs::File::open(path).map_err(|e| format!("Cannot open {}: {e}", path.display()))?;
        let meta = file
            .metadata()
            .map_err(|e| format!("Cannot read {}: {e}", path.display()))?;
        if meta.is_dir() {
            return Err(format!("{} is a folder, not a recording.", path.display()));
        }
        let reader =
            Self::new(Box::new(file), SystemTime::now()).map_err(|e| format!("Cannot read {}: {e}", path.display()))?;
        reader.progress.total_bytes.store(meta.len(), Ordering::Relaxed);
        Ok(reader)
    }

    /// A recording from any byte source.
    pub fn new(source: Box<dyn Read + Send>, now: SystemTime) -> std::io::Result<Self> {
        let progress = Arc::new(Progress::default());
        let counted: Box<dyn Read + Send> = Box::new(Counted {
            inner: source,
            progress: progress.clone(),
        });
        let mut lines = BufReader::with_capacity(64 * 1024, counted);
        let format = Format::sniff(lines.fill_buf()?);
        let mut reader = Self {
            format,
            lines: None,
            csv: None,
            csv_columns: CsvColumns::default(),
            line_no: 0,
            now,
            progress,
            problems: Vec::new(),
            skipped: 0,
            buffer: Vec::new(),
        };
        if format == Format::MqttxCsv {
            let mut csv = csv::ReaderBuilder::new()
                .flexible(true)
                .from_reader(Box::new(lines) as Box<dyn Read + Send>);
            let headers = csv.byte_headers().map_err(std::io::Error::other)?.clone();
            let find = |name: &str| headers.iter().position(|h| h == name.as_bytes());
            reader.csv_columns = CsvColumns {
                topic: find("topic").unwrap_or(2),
                payload: find("payload").unwrap_or(3),
                qos: find("qos"),
                retain: find("retain"),
                created: find("createAt"),
            };
            reader.csv = Some(csv);
        } else {
            reader.lines = Some(lines);
        }
        Ok(reader)
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn progress(&self) -> Arc<Progress> {
        self.progress.clone()
    }

    fn problem(&mut self, line: u64, what: String) {
        self.skipped += 1;
        if self.problems.len() < PROBLEMS_SHOWN {
            self.problems.push(format!("line {line}: {what}"));
        }
    }

    fn next_line(&mut self) -> Option<Result<ReceivedMessage, String>> {
        let lines = self.lines.as_mut()?;
        loop {
            self.buffer.clear();
            let read = (&mut *lines)
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut self.buffer);
            match read {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => return Some(Err(format!("the file could not be read further: {e}"))),
            }
            self.line_no += 1;
            if self.buffer.len() > MAX_LINE_BYTES {
                // Skip the rest of this overlong line.
                let _ = lines.skip_until(b'\n');
                return Some(Err(format!("longer than {} MiB", MAX_LINE_BYTES >> 20)));
            }
            if self.buffer.capacity() > 4 * 1024 * 1024 && self.buffer.len() < 64 * 1024 {
                // One huge line must not keep its buffer for the rest of the file.
                self.buffer.shrink_to(64 * 1024);
            }
            let line = self.buffer.strip_suffix(b"\n").unwrap_or(&self.buffer);
            if line.trim_ascii().is_empty() {
                continue;
            }
            let at = self.now + Duration::from_micros(self.line_no);
            return Some(match self.format {
                Format::Mqscope => mqscope_line(line),
                Format::MosquittoJson => mosquitto_json_line(line),
                _ => Ok(verbose_line(line, at)),
            });
        }
    }

    fn next_csv(&mut self) -> Option<Result<ReceivedMessage, String>> {
        let csv = self.csv.as_mut()?;
        let mut record = csv::ByteRecord::new();
        match csv.read_byte_record(&mut record) {
            Ok(false) => None,
            Ok(true) => {
                self.line_no = record.position().map_or(self.line_no + 1, |p| p.line());
                Some(mqttx_record(&record, self.csv_columns))
            }
            Err(e) => {
                self.line_no += 1;
                Some(Err(e.to_string()))
            }
        }
    }
}

impl Iterator for RecordingReader {
    type Item = ReceivedMessage;

    fn next(&mut self) -> Option<ReceivedMessage> {
        loop {
            let next = if self.csv.is_some() {
                self.next_csv()
            } else {
                self.next_line()
            };
            match next? {
                Ok(m) => return Some(m),
                Err(e) => {
                    let line = self.line_no;
                    self.problem(line, e);
                }
            }
        }
    }
}

/// Counts the bytes read, for the progress bar.
struct Counted {
    inner: Box<dyn Read + Send>,
    progress: Arc<Progress>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.bytes_read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn mqscope_line(line: &[u8]) -> Result<ReceivedMessage, String> {
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
    let l: In = serde_json::from_slice(line).map_err(|e| e.to_string())?;
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

/// One line of `mosquitto_sub -F %j` (mosquitto 2.0, client/sub_client_output.c `json_print`).
fn mosquitto_json_line(line: &[u8]) -> Result<ReceivedMessage, String> {
    #[derive(serde::Deserialize)]
    struct In {
        tst: Option<String>,
        topic: String,
        #[serde(default)]
        qos: u8,
        #[serde(default)]
        retain: serde_json::Value,
        payloadlen: Option<u64>,
        #[serde(default)]
        payload: serde_json::Value,
    }
    // mosquitto_sub copies payload bytes that are not UTF-8 into its JSON as
    // they are: escape them so the line parses, and turn them back afterwards.
    let (text, escaped): (std::borrow::Cow<'_, str>, bool) = match std::str::from_utf8(line) {
        Ok(text) => (text.into(), false),
        Err(_) => (crate::vocab::topic::from_wire(line).into(), true),
    };
    let l: In = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    // Only a line that was not UTF-8 carries escapes to turn back into bytes.
    let unescape = |s: &str| {
        if escaped {
            crate::vocab::topic::to_wire(s)
        } else {
            s.as_bytes().to_vec()
        }
    };
    let (payload, as_text) = match l.payload {
        serde_json::Value::Null => (Vec::new(), true),
        serde_json::Value::String(s) => (unescape(&s), true),
        // `-F %J`: a JSON payload embedded as JSON (re-printed, so its length differs).
        other => (other.to_string().into_bytes(), false),
    };
    if as_text
        && let Some(len) = l.payloadlen
        && len > payload.len() as u64
    {
        // mosquitto_sub prints the payload as a C string: it ends at the first NUL byte.
        return Err(format!(
            "{}: mosquitto_sub cut the payload at a NUL byte ({} of {len} bytes); \
             capture binary payloads with -F %x or mqscope --record",
            l.topic,
            payload.len()
        ));
    }
    let retain = match l.retain {
        serde_json::Value::Bool(b) => b,
        serde_json::Value::Number(n) => n.as_u64().is_some_and(|n| n != 0),
        _ => false,
    };
    let topic = if escaped {
        crate::vocab::topic::from_wire(&unescape(&l.topic))
    } else {
        l.topic
    };
    let mut m = ReceivedMessage::new(topic, payload, l.qos.min(2), retain);
    if let Some(tst) = l.tst {
        // mosquitto 2.0.11 (Debian 12) writes "…T08:11:33.209823Z+0000", later ones "…+0000".
        let normal = tst.replacen("Z+", "+", 1).replacen("Z-", "-", 1);
        let at = chrono::DateTime::parse_from_str(&normal, "%Y-%m-%dT%H:%M:%S%.f%z")
            .or_else(|_| chrono::DateTime::parse_from_rfc3339(&tst))
            .map_err(|e| format!("tst '{tst}': {e}"))?;
        m.received_at = at.into();
    }
    Ok(m)
}

/// One line of `mosquitto_sub -v`: the topic up to the first space, the payload bytes after it.
fn verbose_line(line: &[u8], at: SystemTime) -> ReceivedMessage {
    let (topic, payload) = match line.iter().position(|&b| b == b' ') {
        Some(space) => (&line[..space], &line[space + 1..]),
        None => (line, &b""[..]),
    };
    // An empty payload prints as "(null)" (mosquitto 2.0's print_message).
    let payload = if payload == b"(null)" { &b""[..] } else { payload };
    let mut m = ReceivedMessage::new(crate::vocab::topic::from_wire(topic), payload, 0, false);
    m.received_at = at;
    m
}

/// One record of MQTTX's message export.
fn mqttx_record(record: &csv::ByteRecord, columns: CsvColumns) -> Result<ReceivedMessage, String> {
    let field = |i: usize| record.get(i).unwrap_or_default();
    let text = |i: Option<usize>| i.map(|i| String::from_utf8_lossy(field(i)).into_owned());
    let topic = field(columns.topic);
    if topic.is_empty() {
        return Err("no topic".into());
    }
    let qos = text(columns.qos).and_then(|q| q.trim().parse::<u8>().ok()).unwrap_or(0);
    let retain = text(columns.retain).is_some_and(|r| r.trim() == "true");
    let mut m = ReceivedMessage::new(
        crate::vocab::topic::from_wire(topic),
        field(columns.payload),
        qos.min(2),
        retain,
    );
    if let Some(created) = text(columns.created).filter(|c| !c.is_empty()) {
        // MQTTX writes "2025-03-04 09:13:12:301": milliseconds after a colon, local time.
        let normal = match created.rsplit_once(':') {
            Some((head, ms)) if ms.len() == 3 && head.len() == 19 => format!("{head}.{ms}"),
            _ => created.clone(),
        };
        let at = chrono::NaiveDateTime::parse_from_str(&normal, "%Y-%m-%d %H:%M:%S%.f")
            .map_err(|e| format!("createAt '{created}': {e}"))?;
        let local = at
            .and_local_timezone(chrono::Local)
            .earliest()
            .ok_or_else(|| format!("createAt '{created}' is not a local time"))?;
        m.received_at = local.into();
    }
    Ok(m)
}

/// All the messages of a small recording at once (tests, small files).
pub fn read_all(bytes: &[u8]) -> (Vec<ReceivedMessage>, RecordingReader) {
    let mut reader = RecordingReader::new(Box::new(std::io::Cursor::new(bytes.to_vec())), SystemTime::now())
        .expect("reading memory cannot fail");
    let messages: Vec<ReceivedMessage> = reader.by_ref().collect();
    (messages, reader)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn got(messages: &[ReceivedMessage]) -> Vec<(String, Vec<u8>, u8, bool)> {
        messages
            .iter()
            .map(|m| (m.topic.clone(), m.payload.to_vec(), m.qos, m.retain))
            .collect()
    }

    #[test]
    fn mosquitto_json_lines_keep_bytes_times_and_flags() {
        // As mosquitto_sub 2.0 writes them: a UTF-8 payload, a retained QoS 1
        // with mid, raw bytes that are not UTF-8, an empty payload, -F %J's JSON.
        let mut file = Vec::new();
        file.extend_from_slice(r#"{"tst":"2026-11-30T08:00:01.250000+0100","topic":"传感器/客厅/温度","qos":0,"retain":false,"payloadlen":15,"payload":"{\"温度\":22.5}"}"#.as_bytes());
        file.push(b'\n');
        file.extend_from_slice(br#"{"tst":"2026-11-30T08:00:02.000000+0100","topic":"dev/status","qos":1,"retain":true,"payloadlen":2,"mid":7,"payload":"on"}"#);
        file.push(b'\n');
        file.extend_from_slice(b"{\"tst\":\"2026-11-30T08:00:03.000000+0100\",\"topic\":\"bin\",\"qos\":0,\"retain\":false,\"payloadlen\":3,\"payload\":\"\xff\xfeA\"}\n");
        file.extend_from_slice(br#"{"tst":"2026-11-30T08:00:04.000000+0100","topic":"empty","qos":0,"retain":true,"payloadlen":0,"payload":null}"#);
        file.push(b'\n');
        file.extend_from_slice(br#"{"tst":"2026-11-30T08:00:05.000000+0100","topic":"cut","qos":0,"retain":false,"payloadlen":4,"payload":"a"}"#);
        file.push(b'\n');
        // -F %J: mosquitto re-prints the JSON payload, so payloadlen (11) is the original's.
        file.extend_from_slice(br#"{"tst":"2026-11-30T08:00:06.000000+0100","topic":"j","qos":0,"retain":false,"payloadlen":11,"payload":{"a":1}}"#);
        file.push(b'\n');
        // As Debian 12's mosquitto_sub 2.0.11 writes it: a Z before the offset, retain as a number.
        file.extend_from_slice(br#"{"tst":"2026-11-30T08:11:33.209823Z+0000","topic":"old","qos":0,"retain":1,"payloadlen":1,"payload":"x"}"#);
        file.push(b'\n');
        let (messages, reader) = read_all(&file);
        assert_eq!(reader.format(), Format::MosquittoJson);
        assert_eq!(
            got(&messages),
            [
                (
                    "传感器/客厅/温度".into(),
                    "{\"温度\":22.5}".as_bytes().to_vec(),
                    0,
                    false
                ),
                ("dev/status".into(), b"on".to_vec(), 1, true),
                ("bin".into(), b"\xff\xfeA".to_vec(), 0, false),
                ("empty".into(), Vec::new(), 0, true),
                ("j".into(), br#"{"a":1}"#.to_vec(), 0, false),
                ("old".into(), b"x".to_vec(), 0, true),
            ]
        );
        let t = chrono::DateTime::<chrono::Utc>::from(messages[0].received_at);
        assert_eq!(t.to_rfc3339(), "2026-11-30T07:00:01.250+00:00");
        let t = chrono::DateTime::<chrono::Utc>::from(messages[5].received_at);
        assert_eq!(t.to_rfc3339(), "2026-11-30T08:11:33.209823+00:00");
        assert_eq!(
            reader.skipped, 1,
            "the payload cut at a NUL is named, not taken as whole"
        );
        assert!(reader.problems[0].contains("line 5") && reader.problems[0].contains("NUL"));
    }

    #[test]
    fn mosquitto_verbose_keeps_binary_payloads_and_reads_null_as_empty() {
        let file = b"$SYS/broker/version mosquitto version 2.0.20\nbinary/float32le \x00\x00\xacA\nbinary/bad \xff\xfe\x00\x01\nfactory/alarm (null)\n\n/python/mqtt hello\n";
        let (messages, reader) = read_all(file);
        assert_eq!(reader.format(), Format::MosquittoVerbose);
        assert_eq!(
            got(&messages),
            [
                (
                    "$SYS/broker/version".into(),
                    b"mosquitto version 2.0.20".to_vec(),
                    0,
                    false
                ),
                ("binary/float32le".into(), b"\x00\x00\xacA".to_vec(), 0, false),
                ("binary/bad".into(), b"\xff\xfe\x00\x01".to_vec(), 0, false),
                ("factory/alarm".into(), Vec::new(), 0, false),
                ("/python/mqtt".into(), b"hello".to_vec(), 0, false),
            ]
        );
        assert!(messages[0].received_at < messages[1].received_at, "file order");
        assert_eq!(reader.skipped, 0);
    }

    #[test]
    fn mqttx_message_csv_with_quotes_and_newlines() {
        let file = "client_id,connection_name,topic,payload,qos,retain,direction,createAt,payload_format_indicator\n\
                    \"mqttx_1\",\"Plant\",\"factory/press-1/temperature\",\"{\"\"value\"\":21.37,\"\"unit\"\":\"\"°C\"\"}\",1,false,\"received\",\"2025-03-04 09:13:12:301\",\n\
                    \"mqttx_1\",\"Plant\",\"factory/line 2/cmd\",\"{\n  \"\"cmd\"\": \"\"reset\"\"\n}\",0,true,\"received\",\"2025-03-04 09:13:42:020\",\n\
                    \"mqttx_1\",\"Plant\",\"\",\"x\",0,false,\"received\",\"2025-03-04 09:13:43:000\",\n";
        let (messages, reader) = read_all(file.as_bytes());
        assert_eq!(reader.format(), Format::MqttxCsv);
        assert_eq!(
            got(&messages),
            [
                (
                    "factory/press-1/temperature".into(),
                    "{\"value\":21.37,\"unit\":\"°C\"}".as_bytes().to_vec(),
                    1,
                    false
                ),
                (
                    "factory/line 2/cmd".into(),
                    b"{\n  \"cmd\": \"reset\"\n}".to_vec(),
                    0,
                    true
                ),
            ]
        );
        let gap = messages[1].received_at.duration_since(messages[0].received_at).unwrap();
        assert_eq!(gap, Duration::from_millis(29_719));
        assert_eq!(reader.skipped, 1);
    }

    #[test]
    fn a_large_recording_streams_in_bounded_memory() {
        // 200,000 lines through a reader that never holds more than a line.
        struct Lines(u64);
        impl Read for Lines {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0 == 0 {
                    return Ok(0);
                }
                self.0 -= 1;
                let line = format!("s/{} {}\n", self.0 % 10, self.0);
                buf[..line.len()].copy_from_slice(line.as_bytes());
                Ok(line.len())
            }
        }
        let mut reader = RecordingReader::new(Box::new(Lines(200_000)), SystemTime::now()).unwrap();
        let progress = reader.progress();
        let count = reader.by_ref().count();
        assert_eq!(count, 200_000);
        assert!(progress.bytes_read.load(Ordering::Relaxed) > 1_000_000);
        assert!(reader.buffer.capacity() < 64 * 1024, "one line at a time");
    }
}

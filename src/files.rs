//! Writing files so a crash or a full disk never leaves half a file behind,
//! and a private file is never readable by others on the way: a fresh temp
//! file beside the target, created exclusively (never a leftover, never
//! through a symlink) with the final mode, synced, then renamed over it.

use std::fs;
use std::io::Write as _;
use std::path::Path;

/// Writes files on a thread of its own, so the UI thread never waits on a
/// disk (an fsync can take seconds on a busy or network drive). Writes to one
/// path are coalesced: a write still waiting is replaced by a newer one, so a
/// burst of saves costs one write. Failures are kept for the UI to show.
#[derive(Clone)]
pub struct BackgroundWriter {
    shared: std::sync::Arc<WriterShared>,
}

struct PendingWrite {
    bytes: Vec<u8>,
    private: bool,
    /// Names the file in an error ("your profiles").
    what: String,
    /// Said once written, when the user asked for this write.
    saved: Option<String>,
}

struct WriterShared {
    /// Dropped last of all (after every handle): its thread writes what is
    /// still queued before it ends, so nothing asked for is lost.
    jobs: crate::jobs::InOrder,
    /// Held by the queued jobs too (never the thread's owner: no cycle).
    state: std::sync::Arc<WriterState>,
    /// Whether this process may write (another instance holds the config folder).
    read_only: Option<String>,
}

#[derive(Default)]
struct WriterState {
    /// The newest write waiting per path.
    pending: std::sync::Mutex<std::collections::HashMap<std::path::PathBuf, PendingWrite>>,
    errors: std::sync::Mutex<Vec<String>>,
    /// What the user asked to be told once written ("Saved … to …").
    saved: std::sync::Mutex<Vec<String>>,
}

impl std::fmt::Debug for BackgroundWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackgroundWriter").finish_non_exhaustive()
    }
}

impl Default for BackgroundWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl BackgroundWriter {
    pub fn new() -> Self {
        Self::with_read_only(None)
    }

    /// A writer that writes nothing, and says `why` once when asked to.
    pub fn read_only(why: String) -> Self {
        Self::with_read_only(Some(why))
    }

    fn with_read_only(read_only: Option<String>) -> Self {
        Self {
            shared: std::sync::Arc::new(WriterShared {
                jobs: crate::jobs::InOrder::new("file-writer"),
                state: std::sync::Arc::default(),
                read_only,
            }),
        }
    }

    /// Replace `path` with `bytes` (atomically, see [`write_atomic`]) soon.
    /// `what` names the file in an error ("your profiles": "Could not save your profiles to …").
    pub fn write(&self, path: &Path, bytes: Vec<u8>, private: bool, what: &str) {
        self.queue(path, bytes, private, what, None, false);
    }

    /// [`Self::write`] a file that is not the shared configuration (an export,
    /// the stats file): never refused as read-only. `saved`, if any, is said
    /// once it is on disk ([`Self::take_saved`]).
    pub fn write_and_say(&self, path: &Path, bytes: Vec<u8>, private: bool, what: &str, saved: Option<String>) {
        self.queue(path, bytes, private, what, saved, true);
    }

    fn queue(&self, path: &Path, bytes: Vec<u8>, private: bool, what: &str, saved: Option<String>, own_file: bool) {
        if !own_file && let Some(why) = &self.shared.read_only {
            self.fail(format!("Did not save {what}: {why}"));
            return;
        }
        let Ok(mut pending) = self.shared.state.pending.lock() else {
            return;
        };
        let write = PendingWrite {
            bytes,
            private,
            what: what.to_owned(),
            saved,
        };
        let mut write = write;
        let replaced = pending.remove(path);
        if write.saved.is_none() {
            // A newer plain write of the same file still says what the user asked to be told.
            write.saved = replaced.as_ref().and_then(|r| r.saved.clone());
        }
        let newer_waits = replaced.is_some();
        pending.insert(path.to_path_buf(), write);
        drop(pending);
        if newer_waits {
            return; // the job already queued for this path writes these bytes
        }
        let shared = self.shared.state.clone();
        let path = path.to_path_buf();
        self.shared.jobs.run(move || {
            let job = shared.pending.lock().ok().and_then(|mut p| p.remove(&path));
            let Some(job) = job else { return };
            match write_atomic(&path, &job.bytes, job.private) {
                Ok(()) => {
                    if let Some(saved) = job.saved
                        && let Ok(mut said) = shared.saved.lock()
                    {
                        said.push(saved);
                    }
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), %e, "a file could not be written");
                    if let Ok(mut errors) = shared.errors.lock() {
                        errors.push(format!("Could not save {} to {}: {e}", job.what, path.display()));
                    }
                }
            }
        });
    }

    fn fail(&self, message: String) {
        if let Ok(mut errors) = self.shared.state.errors.lock()
            && !errors.contains(&message)
        {
            errors.push(message);
        }
    }

    /// Whether writes are refused (another instance holds the config folder).
    pub fn is_read_only(&self) -> bool {
        self.shared.read_only.is_some()
    }

    /// Why writes are refused, when they are.
    pub fn read_only_reason(&self) -> Option<&str> {
        self.shared.read_only.as_deref()
    }

    /// Failures since the last call, in the user's words.
    pub fn take_errors(&self) -> Vec<String> {
        self.shared
            .state
            .errors
            .lock()
            .map(|mut e| std::mem::take(&mut *e))
            .unwrap_or_default()
    }

    /// What was saved at the user's request since the last call.
    pub fn take_saved(&self) -> Vec<String> {
        self.shared
            .state
            .saved
            .lock()
            .map(|mut e| std::mem::take(&mut *e))
            .unwrap_or_default()
    }

    /// Wait until everything asked so far is written (tests, and at exit so
    /// nothing is lost).
    pub fn flush(&self) {
        let (tx, rx) = std::sync::mpsc::channel();
        self.shared.jobs.run(move || {
            let _ = tx.send(());
        });
        let _ = rx.recv();
    }
}

/// Read a file the user chose: only a regular file (never a FIFO or a device
/// that would block or never end) of at most `limit` bytes. `what` names it
/// in the message ("the CA file"). Call it off the UI thread.
pub fn read_limited(path: &Path, what: &str, limit: u64) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let cannot = |e: std::io::Error| format!("Cannot read the {what} {}: {e}", path.display());
    let meta = fs::metadata(path).map_err(cannot)?;
    if !meta.is_file() {
        return Err(format!(
            "The {what} {} is not a regular file (a folder, device or pipe): choose the file itself.",
            path.display()
        ));
    }
    let too_large = |size: u64| {
        format!(
            "The {what} {} is {}: larger than the {} this reads.",
            path.display(),
            crate::payload::human_size(usize::try_from(size).unwrap_or(usize::MAX)),
            crate::payload::human_size(usize::try_from(limit).unwrap_or(usize::MAX))
        )
    };
    if meta.len() > limit {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::new();
    fs::File::open(path)
        .map_err(cannot)?
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        // It grew while read.
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Hold the config folder for this process: `dir/mqscope.lock`, locked while
/// the returned file is open. Two instances rewriting the same files from
/// their own stale copies lose each other's changes, so the second one gets
/// `Err` (in words) and should not write. `Ok(None)`: the folder cannot hold
/// a lock file (its writes will fail and say so anyway).
pub fn lock_folder(dir: &Path) -> Result<Option<fs::File>, String> {
    let path = dir.join("mqscope.lock");
    let file = fs::create_dir_all(dir).and_then(|()| {
        let mut options = fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        options.open(&path)
    });
    let Ok(file) = file else { return Ok(None) };
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(fs::TryLockError::WouldBlock) => Err(format!(
            "another mqscope is running with the settings folder {}; changes made in this window are not saved \
             (close the other one and start this one again to save them)",
            dir.display()
        )),
        Err(fs::TryLockError::Error(e)) => {
            tracing::warn!(%e, path = %path.display(), "the settings folder cannot be locked");
            Ok(None)
        }
    }
}

/// Replace `path` with `bytes` atomically. `private` makes the file readable
/// by its owner only (0600), for files that may hold a password, a key or
/// the user's own messages.
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        fs::create_dir_all(dir)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // A name of its own for every write: two instances, or a leftover from a
    // crash, never share (or inherit the mode of) a temp file.
    let (tmp, mut file) = loop {
        let candidate = path.with_file_name(format!(".{name}.{}.{:016x}.tmp", std::process::id(), fastrand::u64(..)));
        let mut options = fs::OpenOptions::new();
        // create_new is O_CREAT|O_EXCL: it never opens an existing file nor follows a symlink.
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(if private { 0o600 } else { 0o644 });
        }
        match options.open(&candidate) {
            Ok(file) => break (candidate, file),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    };
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written.and_then(|()| fs::rename(&tmp, path)) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    // Earlier versions wrote through `NAME.tmp`, which may still hold a
    // world-readable copy (with a password): it goes.
    let mut legacy = path.as_os_str().to_owned();
    legacy.push(".tmp");
    let _ = fs::remove_file(std::path::PathBuf::from(legacy));
    #[cfg(unix)]
    if let Some(dir) = dir
        && let Ok(dir) = fs::File::open(dir)
    {
        // The rename itself survives a power cut only once the folder is synced.
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Open `path` to append to it, creating it readable by its owner only (0600):
/// recordings hold the user's messages. Only a regular file: a pipe would
/// block the open, and a device (`/dev/null`) must never have its mode changed.
pub fn append_private(path: &Path) -> std::io::Result<fs::File> {
    let not_regular = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "it is not a regular file (a folder, device or pipe): choose a file name",
        )
    };
    match fs::metadata(path) {
        Ok(meta) if !meta.is_file() => return Err(not_regular()),
        _ => {}
    }
    let mut options = fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(not_regular());
    }
    #[cfg(unix)]
    {
        // A file that was there already (written by an older version) becomes private too.
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

/// A JSON parse error in words that never quote the file's values: serde
/// names the value it did not expect (``invalid type: integer `12345` ``),
/// and in a profiles file that value may be a password. Where it is stays
/// (line, column); what it is becomes `…`.
pub fn json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find(['`', '"']) {
        let quote = rest[start..].chars().next().unwrap_or('`');
        out.push_str(&rest[..=start]);
        // The closing quote: serde escapes a quote inside a value as \".
        let body = &rest[start + 1..];
        let close = body
            .char_indices()
            .find(|&(i, c)| c == quote && (i == 0 || !body[..i].ends_with('\\')))
            .map(|(i, _)| i);
        match close {
            Some(len) => {
                out.push('…');
                out.push(quote);
                rest = &rest[start + 1 + len + 1..];
            }
            None => {
                rest = &rest[start + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Move a file that could not be read out of the way (`NAME.corrupt-<time>`),
/// so that saving again never overwrites what the user had. Returns where it went.
pub fn move_aside(path: &Path) -> std::io::Result<std::path::PathBuf> {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut candidate = path.with_file_name(format!("{name}.corrupt-{stamp}"));
    let mut n = 1;
    while candidate.exists() {
        candidate = path.with_file_name(format!("{name}.corrupt-{stamp}-{n}"));
        n += 1;
    }
    fs::rename(path, &candidate)?;
    Ok(candidate)
}

/// A CSV field: quoted (with doubled quotes) when it holds a comma, a quote or
/// a line break. A cell a spreadsheet would run as a formula (`=`, `+`, `-`,
/// `@`, tab or CR first, and not a plain number) gets a leading apostrophe,
/// so opening an export never runs what a device published.
pub fn csv_field(text: &str) -> String {
    let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']) && text.trim().parse::<f64>().is_err();
    let owned;
    let text = if formula {
        owned = format!("'{text}");
        owned.as_str()
    } else {
        text
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appending_refuses_pipes_and_devices_without_opening_them() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        // Opening a pipe nobody reads would block for ever: refused at once.
        let err = append_private(&fifo).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let before = fs::metadata("/dev/null").unwrap().permissions().mode();
            assert!(append_private(Path::new("/dev/null")).is_err());
            assert_eq!(
                fs::metadata("/dev/null").unwrap().permissions().mode(),
                before,
                "a device's mode is never changed"
            );
        }
        assert!(append_private(&dir.path().join("rec.ndjson")).is_ok());
    }

    #[test]
    fn writes_asked_for_are_on_disk_once_the_writer_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let writer = BackgroundWriter::new();
        for i in 0..50 {
            writer.write(
                &dir.path().join(format!("{i}.json")),
                vec![b'x'; 100_000],
                false,
                "a file",
            );
        }
        drop(writer);
        for i in 0..50 {
            assert_eq!(
                fs::read(dir.path().join(format!("{i}.json"))).unwrap().len(),
                100_000,
                "file {i}"
            );
        }
    }

    #[test]
    fn a_second_instance_cannot_hold_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_folder(dir.path()).unwrap();
        assert!(first.is_some());
        let second = lock_folder(dir.path()).unwrap_err();
        assert!(second.contains("another mqscope is running"), "{second}");
        drop(first);
        assert!(
            lock_folder(dir.path()).unwrap().is_some(),
            "free again once the first ends"
        );
    }

    #[test]
    fn background_writes_land_in_order_coalesced_and_failures_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        let writer = BackgroundWriter::new();
        for i in 0..500 {
            writer.write(&path, format!("{i}").into_bytes(), true, "the test file");
        }
        writer.flush();
        assert_eq!(fs::read_to_string(&path).unwrap(), "499", "the last write wins");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        // A folder where the file should be: the failure is kept, in words.
        let blocked = dir.path().join("blocked");
        fs::create_dir(&blocked).unwrap();
        writer.write(&blocked, b"x".to_vec(), false, "your settings");
        writer.flush();
        let errors = writer.take_errors();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("Could not save your settings to "), "{errors:?}");
        assert!(writer.take_errors().is_empty(), "taken once");
        writer.write_and_say(&path, b"asked".to_vec(), true, "the export", Some("Saved it.".into()));
        writer.flush();
        assert_eq!(writer.take_saved(), ["Saved it."]);
        assert_eq!(fs::read_to_string(&path).unwrap(), "asked");
        writer.write(&path, b"499".to_vec(), true, "the test file");
        writer.flush();
        let read_only = BackgroundWriter::read_only("another mqscope is using this folder".into());
        read_only.write(&path, b"lost".to_vec(), true, "your profiles");
        read_only.flush();
        assert_eq!(fs::read_to_string(&path).unwrap(), "499");
        assert_eq!(
            read_only.take_errors(),
            ["Did not save your profiles: another mqscope is using this folder"]
        );
    }

    #[test]
    fn json_errors_say_where_not_what() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct P {
            password: String,
        }
        for (text, secret) in [
            (r#"{"password": 12345678}"#, "12345678"),
            (r#"{"password": ["hunter2"]}"#, "hunter2"),
            (r#"{"pasword": "hunter2"}"#, "hunter2"),
            (r#"{"password": "s3cret" "#, "s3cret"),
            (r#"{"password": ["pa\"ss"]}"#, "ss"),
        ] {
            let err = serde_json::from_str::<P>(text).unwrap_err();
            let words = json_error(&err);
            assert!(!words.contains(secret), "{words}");
            assert!(words.contains("line 1"), "{words}");
        }
        // A quote inside a quoted value (serde writes it as \") ends nothing.
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Port {
            port: u16,
        }
        let err = serde_json::from_str::<Port>(r#"{"port": "pa\"ss"}"#).unwrap_err();
        let words = json_error(&err);
        assert!(!words.contains("ss"), "{words}");
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt as _;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn a_private_file_is_0600_whatever_was_left_and_never_written_through_a_symlink() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profiles.json");
        // What an older build or a crash left: a world-readable temp file of the old name.
        let leftover = dir.path().join("profiles.json.tmp");
        fs::write(&leftover, "old").unwrap();
        fs::set_permissions(&leftover, fs::Permissions::from_mode(0o644)).unwrap();
        // And a symlink where a temp file might go, pointing at a file of someone else's.
        let victim = dir.path().join("victim");
        fs::write(&victim, "untouched").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join(".profiles.json.tmp")).unwrap();
        write_atomic(&path, b"{\"password\": \"s3cret\"}", true).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(fs::read_to_string(&victim).unwrap(), "untouched");
        // Replacing a 0644 file keeps the new one private.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        write_atomic(&path, b"{}", true).unwrap();
        assert_eq!(mode(&path), 0o600);
        // A symlink at the target is replaced, not written through.
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        write_atomic(&link, b"new", true).unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "untouched");
        assert_eq!(fs::read_to_string(&link).unwrap(), "new");
        // No temp files of ours are left behind.
        let ours = fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".tmp"))
            .count();
        assert_eq!(
            ours, 1,
            "only the planted symlink: the old world-readable NAME.tmp is removed"
        );
        assert!(!leftover.exists());
        // Appending creates a private file too, and makes an old 0644 one private.
        let recording = dir.path().join("rec.ndjson");
        drop(append_private(&recording).unwrap());
        assert_eq!(mode(&recording), 0o600);
        fs::set_permissions(&recording, fs::Permissions::from_mode(0o644)).unwrap();
        drop(append_private(&recording).unwrap());
        assert_eq!(mode(&recording), 0o600);
    }
}

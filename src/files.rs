//! Writing files so a crash or a full disk never leaves half a file behind,
//! and a private file is never readable by others on the way: a fresh temp
//! file beside the target, created exclusively (never a leftover, never
//! through a symlink) with the final mode, synced, then renamed over it.

use std::fs;
use std::io::Write as _;
use std::path::Path;

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
/// recordings hold the user's messages.
pub fn append_private(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let file = options.open(path)?;
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

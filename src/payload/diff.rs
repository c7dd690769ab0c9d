//! What changed between two payloads of a topic: for JSON, the keys changed,
//! added and removed (with old → new values); for text, the lines (`similar`);
//! for bytes, the ranges that differ. Bounded work: past a size the diff says
//! it stopped instead of running long.

use serde_json::Value;

/// Most JSON changes, text lines or byte ranges listed.
const MAX_ENTRIES: usize = 500;
/// Lines of each text compared, at most: a line diff is quadratic at worst.
pub const MAX_DIFF_LINES: usize = 2_000;
/// Time the line diff may take before it settles for a coarser answer.
const DIFF_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(50);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Changed { path: String, old: String, new: String },
    Added { path: String, new: String },
    Removed { path: String, old: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineChange {
    Same(String),
    Added(String),
    Removed(String),
    /// What the diff did not look at ("compared the first 2,000 lines of 125,000").
    Note(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadDiff {
    Identical,
    Json(Vec<Change>),
    Text(Vec<LineChange>),
    /// Byte ranges (start, end) of the newer payload that differ, and the two lengths.
    Bytes {
        ranges: Vec<(usize, usize)>,
        old_len: usize,
        new_len: usize,
    },
}

/// Diff `old` against `new`.
pub fn diff(old: &[u8], new: &[u8]) -> PayloadDiff {
    if old == new {
        return PayloadDiff::Identical;
    }
    if let (Ok(a), Ok(b)) = (
        serde_json::from_slice::<Value>(old),
        serde_json::from_slice::<Value>(new),
    ) && (a.is_object() || a.is_array())
        && (b.is_object() || b.is_array())
    {
        let mut changes = Vec::new();
        json_diff("", &a, &b, &mut changes);
        return PayloadDiff::Json(changes);
    }
    if let (Some(a), Some(b)) = (super::as_text(old), super::as_text(new)) {
        // Bounded: the first lines of each, and a deadline after which similar
        // gives a coarser (still correct) diff instead of searching on.
        let (a_head, a_lines) = first_lines(a, MAX_DIFF_LINES);
        let (b_head, b_lines) = first_lines(b, MAX_DIFF_LINES);
        let text = similar::TextDiff::configure()
            .timeout(DIFF_TIMEOUT)
            .diff_lines(a_head, b_head);
        let mut lines: Vec<LineChange> = text
            .iter_all_changes()
            .take(MAX_ENTRIES)
            .map(|change| {
                let line = change.value().trim_end_matches(['\n', '\r']).to_owned();
                match change.tag() {
                    similar::ChangeTag::Equal => LineChange::Same(line),
                    similar::ChangeTag::Insert => LineChange::Added(line),
                    similar::ChangeTag::Delete => LineChange::Removed(line),
                }
            })
            .collect();
        if a_lines > MAX_DIFF_LINES || b_lines > MAX_DIFF_LINES {
            lines.push(LineChange::Note(format!(
                "compared the first {MAX_DIFF_LINES} lines only (the payloads have {a_lines} and {b_lines})"
            )));
        }
        return PayloadDiff::Text(lines);
    }
    PayloadDiff::Bytes {
        ranges: byte_ranges(old, new),
        old_len: old.len(),
        new_len: new.len(),
    }
}

/// The first `max` lines of `text`, and how many lines it has in all.
fn first_lines(text: &str, max: usize) -> (&str, usize) {
    let mut end = text.len();
    let mut count = 0;
    for (i, _) in text.match_indices('\n') {
        count += 1;
        if count == max {
            end = i + 1;
        }
    }
    let total = count + usize::from(!text.is_empty() && !text.ends_with('\n'));
    (&text[..end.min(text.len())], total)
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(80).collect::<String>())
    } else {
        text
    }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Iterative over the two trees (an explicit stack), so deep input cannot
/// overflow the call stack; serde_json has already bounded the depth anyway.
fn json_diff(root: &str, a: &Value, b: &Value, out: &mut Vec<Change>) {
    let mut stack: Vec<(String, &Value, &Value)> = vec![(root.to_owned(), a, b)];
    while let Some((path, a, b)) = stack.pop() {
        if out.len() >= MAX_ENTRIES {
            return;
        }
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                for (key, old) in x {
                    match y.get(key) {
                        Some(new) => stack.push((child(&path, key), old, new)),
                        None => out.push(Change::Removed {
                            path: child(&path, key),
                            old: short(old),
                        }),
                    }
                }
                for (key, new) in y {
                    if !x.contains_key(key) {
                        out.push(Change::Added {
                            path: child(&path, key),
                            new: short(new),
                        });
                    }
                }
            }
            (Value::Array(x), Value::Array(y)) => {
                for i in 0..x.len().max(y.len()) {
                    let at = format!("{path}[{i}]");
                    match (x.get(i), y.get(i)) {
                        (Some(old), Some(new)) => stack.push((at, old, new)),
                        (Some(old), None) => out.push(Change::Removed {
                            path: at,
                            old: short(old),
                        }),
                        (None, Some(new)) => out.push(Change::Added {
                            path: at,
                            new: short(new),
                        }),
                        (None, None) => {}
                    }
                }
            }
            (x, y) if x != y => out.push(Change::Changed {
                path: if path.is_empty() { "(root)".to_owned() } else { path },
                old: short(x),
                new: short(y),
            }),
            _ => {}
        }
    }
    // The stack visits in reverse; present changes in document order-ish.
    out.sort_by(|l, r| change_path(l).cmp(change_path(r)));
}

fn change_path(change: &Change) -> &str {
    match change {
        Change::Changed { path, .. } | Change::Added { path, .. } | Change::Removed { path, .. } => path,
    }
}

fn byte_ranges(old: &[u8], new: &[u8]) -> Vec<(usize, usize)> {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for (i, byte) in new.iter().enumerate() {
        if old.get(i) != Some(byte) {
            match ranges.last_mut() {
                Some((_, end)) if *end == i => *end = i + 1,
                _ => {
                    if ranges.len() >= MAX_ENTRIES {
                        break;
                    }
                    ranges.push((i, i + 1));
                }
            }
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn two_large_texts_are_compared_by_their_first_lines_and_say_so() {
        // 250 KiB each, every line different: the case that took minutes.
        let a: String = (0..60_000).map(|i| format!("a{i}\n")).collect();
        let b: String = (0..60_000).map(|i| format!("b{}\n", i * 7)).collect();
        let PayloadDiff::Text(lines) = diff(a.as_bytes(), b.as_bytes()) else {
            panic!("a text diff");
        };
        assert!(lines.len() <= MAX_ENTRIES + 1);
        assert_eq!(
            lines.last(),
            Some(&LineChange::Note(format!(
                "compared the first {MAX_DIFF_LINES} lines only (the payloads have 60000 and 60000)"
            )))
        );
        let (head, total) = first_lines("x\ny\nz", 2);
        assert_eq!((head, total), ("x\ny\n", 3));
        assert_eq!(first_lines("", 2), ("", 0));
    }

    #[test]
    fn json_changes_added_and_removed_keys() {
        let old = br#"{"temperature": 21.5, "unit": "C", "battery": 90, "tags": ["a"]}"#;
        let new = br#"{"temperature": 22.0, "unit": "C", "rssi": -70, "tags": ["a", "b"]}"#;
        let PayloadDiff::Json(changes) = diff(old, new) else {
            panic!("a JSON diff")
        };
        assert!(changes.contains(&Change::Changed {
            path: "temperature".into(),
            old: "21.5".into(),
            new: "22.0".into()
        }));
        assert!(changes.contains(&Change::Removed {
            path: "battery".into(),
            old: "90".into()
        }));
        assert!(changes.contains(&Change::Added {
            path: "rssi".into(),
            new: "-70".into()
        }));
        assert!(changes.contains(&Change::Added {
            path: "tags[1]".into(),
            new: "\"b\"".into()
        }));
        assert_eq!(changes.len(), 4, "{changes:?}");
    }

    #[test]
    fn text_lines_and_bytes() {
        let PayloadDiff::Text(lines) = diff(b"a\nb\nc", b"a\nB\nc") else {
            panic!("a text diff")
        };
        assert_eq!(
            lines,
            [
                LineChange::Same("a".into()),
                LineChange::Removed("b".into()),
                LineChange::Added("B".into()),
                LineChange::Same("c".into())
            ]
        );
        let d = diff(&[0, 1, 2, 3, 4, 5], &[0, 9, 9, 3, 4, 5, 6]);
        assert_eq!(
            d,
            PayloadDiff::Bytes {
                ranges: vec![(1, 3), (6, 7)],
                old_len: 6,
                new_len: 7
            }
        );
        assert_eq!(diff(b"same", b"same"), PayloadDiff::Identical);
    }

    proptest! {
        #[test]
        fn any_two_payloads_diff_without_panicking(a in proptest::collection::vec(any::<u8>(), 0..256),
                                                    b in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = diff(&a, &b);
        }
    }
}

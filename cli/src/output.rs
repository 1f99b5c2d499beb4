//! Printing results and errors, as text or JSON.
//!
//! Text for people goes through [`escape`]: stored data arrives from teammates by sync,
//! and a name carrying terminal escape sequences or a right-to-left override (U+202E,
//! which shows `exe.gnp` as `png.exe`) must not reach the terminal as it is. JSON output
//! is escaped by the JSON encoder (control characters as `\u00XX`); bidirectional
//! controls stay as they are there, for programs.

use std::borrow::Cow;
use std::io::Write;

use serde::Serialize;

use crate::commands::CliError;

pub struct Output {
    pub json: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Output { json }
    }

    /// Prints `value` as JSON, or `text()` for people.
    pub fn print<T: Serialize>(&self, value: &T, text: impl FnOnce() -> String) {
        if self.json {
            match serde_json::to_string_pretty(value) {
                Ok(s) => line(&s),
                Err(_) => eprintln!("vigil: error: could not encode output"),
            }
        } else {
            line(&escape(&text(), Keep::Newlines));
        }
    }

    pub fn error(&self, e: &CliError) {
        if self.json {
            let v = serde_json::json!({"error": {"kind": e.kind(), "message": e.to_string()}});
            eprintln!("{v}");
        } else {
            eprintln!("vigil: error: {}", escape(&e.to_string(), Keep::Newlines));
        }
    }
}

/// Writes one line to stdout. A reader that went away (`vigil ... | head`) is not an
/// error of ours: the write is dropped, never a panic, and the command's work stands.
pub fn line(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{s}").and_then(|()| out.flush());
}

/// What [`escape`] leaves as it is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Nothing: one field on one line (a newline shows as `\u{a}`).
    Nothing,
    /// Line breaks (`\n`): text whose lines the program laid out.
    Newlines,
}

/// The one way text reaches a terminal: control characters (C0, DEL, C1) and the
/// bidirectional controls (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) and
/// line/paragraph separators (U+2028, U+2029) are shown as `\u{XXXX}`; everything else
/// (any script, emoji) is left as it is.
pub fn escape(s: &str, keep: Keep) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && !(keep == Keep::Newlines && c == '\n'))
            || matches!(
                c,
                '\u{061C}'
                    | '\u{200E}'
                    | '\u{200F}'
                    | '\u{202A}'..='\u{202E}'
                    | '\u{2066}'..='\u{2069}'
                    | '\u{2028}'
                    | '\u{2029}'
            )
    };
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_overrides_are_shown_not_obeyed() {
        assert_eq!(escape("Gate 3", Keep::Nothing), "Gate 3");
        assert_eq!(
            escape("evil\u{202E}gnp.exe", Keep::Nothing),
            "evil\\u{202e}gnp.exe"
        );
        assert_eq!(
            escape("\u{1b}[2J\u{7}x\u{9b}", Keep::Nothing),
            "\\u{1b}[2J\\u{7}x\\u{9b}"
        );
        assert_eq!(escape("a\nb", Keep::Nothing), "a\\u{a}b");
        assert_eq!(escape("a\nb\rc", Keep::Newlines), "a\nb\\u{d}c");
        assert_eq!(escape("Zürich 北京 🚓", Keep::Nothing), "Zürich 北京 🚓");
    }
}

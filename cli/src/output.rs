//! Printing results and errors, as text or JSON.

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
            line(&text());
        }
    }

    pub fn error(&self, e: &CliError) {
        if self.json {
            let v = serde_json::json!({"error": {"kind": e.kind(), "message": e.to_string()}});
            eprintln!("{v}");
        } else {
            eprintln!("vigil: error: {e}");
        }
    }
}

/// Writes one line to stdout. A reader that went away (`vigil ... | head`) is not an
/// error of ours: the write is dropped, never a panic, and the command's work stands.
pub fn line(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{s}").and_then(|()| out.flush());
}

//! The canonical JSON encoding of what a device signs (walk snapshots, and the payloads
//! of a push batch: docs/SYNC.md), so another language can recompute the same bytes: UTF-8, no insignificant whitespace, object keys sorted by
//! their UTF-8 bytes, strings escaped as RFC 8259 minimal escaping (`"`, `\`, control
//! characters; `\u00XX` for controls without a short form), numbers as integers when
//! integral and in range, otherwise the shortest representation that reads back exactly.

use serde_json::Value;

pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write(v, &mut out);
    out
}

fn write(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        // serde_json prints integers plainly and floats in their shortest exact form.
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => string(s, out),
        Value::Array(a) => list(out, '[', ']', a, write),
        Value::Object(m) => {
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            list(out, '{', '}', entries, |(k, x), out| {
                string(k, out);
                out.push(':');
                write(x, out);
            });
        }
    }
}

/// `items` between `open` and `close`, separated by commas.
fn list<T>(
    out: &mut String,
    open: char,
    close: char,
    items: impl IntoIterator<Item = T>,
    mut each: impl FnMut(T, &mut String),
) {
    out.push(open);
    for (i, x) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(x, out);
    }
    out.push(close);
}

fn string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_compact_and_stable() {
        let v: Value =
            serde_json::from_str(r#"{"b": [1, 2.5, "x\n"], "a": {"z": null, "y": true}}"#).unwrap();
        let c = canonical_json(&v);
        assert_eq!(c, r#"{"a":{"y":true,"z":null},"b":[1,2.5,"x\n"]}"#);
        let again: Value = serde_json::from_str(&c).unwrap();
        assert_eq!(canonical_json(&again), c);
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let s: String = (0u32..0x80)
            .filter_map(char::from_u32)
            .chain("é€😀".chars())
            .collect();
        let v = Value::String(s);
        assert_eq!(canonical_json(&v), v.to_string());
    }
}

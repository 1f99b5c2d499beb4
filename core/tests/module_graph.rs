//! The core's modules import one another without a cycle (issue 11): at every level of the
//! module tree, the graph "a child of M uses something in another child of M" is acyclic.
//! So `store` never reaches back into `sync`, `sync::engine` never into `team`, and so on;
//! a module can be read knowing only what it imports.
//!
//! The graph is read from the sources (`crate::`, `super::` and `self::` paths, grouped
//! `use` trees included), with paths resolved through `pub use` re-exports, so
//! `crate::StoreError` counts as a use of `error`. Comments and string literals are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type ModPath = Vec<String>;

/// Every `.rs` file under `src`, with its module path (`lib.rs` is `[]`, `a/mod.rs` and
/// `a.rs` are `[a]`, `a/b.rs` is `[a, b]`).
fn modules(src: &Path) -> BTreeMap<ModPath, String> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path: PathBuf = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap();
            let mut parts: ModPath = rel
                .iter()
                .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
                .collect();
            if matches!(parts.last().map(String::as_str), Some("mod") | Some("lib")) {
                parts.pop();
            }
            // A file that is not a module of its own (included data, templates) has no
            // `mod` naming it; it is simply never reached by `crate::` paths.
            out.insert(
                parts,
                without_tests(&strip(&fs::read_to_string(&path).unwrap())),
            );
        }
    }
    out
}

/// The source without comments, string and char literals (replaced by spaces).
fn strip(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !b
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // raw string r"..." / r#"..."#
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j;
            out.push(' ');
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push(' ');
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a): only the former ends
            // with a quote right after its one (possibly escaped) character.
            if next == Some('\\') {
                let mut j = i + 2;
                while j < b.len() && b[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
                out.push(' ');
            } else if b.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push(' ');
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The source without its `#[cfg(test)]` items (a unit-test module may set up a vault
/// through higher modules; that is the tests' dependency, not the module's, and what
/// `cargo modules` leaves out by default too).
fn without_tests(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        // The item ends at the `;` or the `}` closing its first `{`.
        let mut depth = 0usize;
        let mut end = item.len();
        for (i, c) in item.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = i + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A `use`-tree or expression path starting at `s[i..]`, right after a `::`: its leaves as
/// segment lists (`{a::B, c}` gives `[a, B]` and `[c]`).
fn tree(s: &[char], mut i: usize, prefix: &[String], out: &mut Vec<Vec<String>>) -> usize {
    let skip_ws = |mut i: usize| {
        while i < s.len() && s[i].is_whitespace() {
            i += 1;
        }
        i
    };
    let mut path = prefix.to_vec();
    loop {
        i = skip_ws(i);
        if i < s.len() && s[i] == '{' {
            i += 1;
            loop {
                i = skip_ws(i);
                if i < s.len() && s[i] == '}' {
                    return i + 1;
                }
                i = tree(s, i, &path, out);
                i = skip_ws(i);
                if i < s.len() && s[i] == ',' {
                    i += 1;
                }
            }
        }
        let start = i;
        while i < s.len() && is_ident(s[i]) {
            i += 1;
        }
        if start == i {
            // `*` or something else: the path ends here.
            out.push(path);
            return i;
        }
        path.push(s[start..i].iter().collect());
        let j = skip_ws(i);
        if s.get(j) == Some(&':') && s.get(j + 1) == Some(&':') {
            i = j + 2;
            continue;
        }
        // `as alias`, `,`, `;`, `(`, `}`...: the path ends here.
        out.push(path);
        return i;
    }
}

/// Every path in `src` that starts with `crate`, `super` or `self`, made absolute from
/// module `at`.
fn paths(at: &ModPath, is_dir_module: bool, src: &str) -> Vec<ModPath> {
    let s: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if !is_ident(s[i]) || (i > 0 && (is_ident(s[i - 1]) || s[i - 1] == ':')) {
            i += 1;
            continue;
        }
        let start = i;
        while i < s.len() && is_ident(s[i]) {
            i += 1;
        }
        let word: String = s[start..i].iter().collect();
        if !matches!(word.as_str(), "crate" | "super" | "self") {
            continue;
        }
        if !(s.get(i) == Some(&':') && s.get(i + 1) == Some(&':')) {
            continue;
        }
        let mut leaves = Vec::new();
        i = tree(&s, i + 2, &[word], &mut leaves);
        for leaf in leaves {
            out.push(absolute(at, is_dir_module, &leaf));
        }
    }
    out
}

/// `crate::a::b` -> `[a, b]`; `super::x` from `[a, b]` -> `[a, x]`; `self::x` -> `at + x`.
fn absolute(at: &ModPath, is_dir_module: bool, leaf: &[String]) -> ModPath {
    let _ = is_dir_module;
    let mut base: ModPath = Vec::new();
    let mut rest = leaf;
    match leaf.first().map(String::as_str) {
        Some("crate") => rest = &leaf[1..],
        Some("self") | Some("super") => {
            base = at.clone();
            while let Some(first) = rest.first() {
                match first.as_str() {
                    "self" => {}
                    "super" => {
                        base.pop();
                    }
                    _ => break,
                }
                rest = &rest[1..];
            }
        }
        _ => {}
    }
    base.extend(rest.iter().cloned());
    base
}

struct Crate {
    files: BTreeMap<ModPath, String>,
    /// module -> (name -> absolute path it re-exports)
    reexports: BTreeMap<ModPath, BTreeMap<String, ModPath>>,
}

impl Crate {
    fn load(src: &Path) -> Crate {
        let files = modules(src);
        let mut reexports = BTreeMap::new();
        for (at, text) in &files {
            let mut names = BTreeMap::new();
            for stmt in text.split(';') {
                let t = stmt.trim_start();
                let Some(rest) = t
                    .strip_prefix("pub use ")
                    .or_else(|| t.strip_prefix("pub(crate) use "))
                else {
                    continue;
                };
                let rel = rest.trim_start();
                // `pub use a::b::C` in a module is relative to that module.
                let rel = if rel.starts_with("crate::")
                    || rel.starts_with("super::")
                    || rel.starts_with("self::")
                {
                    rel.to_string()
                } else {
                    format!("self::{rel}")
                };
                let s: Vec<char> = rel.chars().collect();
                let mut leaves = Vec::new();
                let word_end = s.iter().position(|c| *c == ':').unwrap_or(0);
                let first: String = s[..word_end].iter().collect();
                tree(&s, word_end + 2, &[first], &mut leaves);
                for leaf in leaves {
                    let abs = absolute(at, true, &leaf);
                    if let Some(name) = abs.last() {
                        names.insert(name.clone(), abs.clone());
                    }
                }
            }
            reexports.insert(at.clone(), names);
        }
        Crate { files, reexports }
    }

    /// The deepest module `path` names, following re-exports.
    fn resolve(&self, path: &[String], depth: usize) -> ModPath {
        let mut at: ModPath = Vec::new();
        for (k, seg) in path.iter().enumerate() {
            let mut child = at.clone();
            child.push(seg.clone());
            if self.files.contains_key(&child) {
                at = child;
                continue;
            }
            if depth < 8 {
                if let Some(target) = self.reexports.get(&at).and_then(|r| r.get(seg)) {
                    if target.as_slice() != &path[..=k] {
                        let mut full = target.clone();
                        full.extend(path[k + 1..].iter().cloned());
                        return self.resolve(&full, depth + 1);
                    }
                }
            }
            break;
        }
        at
    }

    /// Edges between the modules themselves: (user, used), both full module paths.
    fn edges(&self) -> BTreeSet<(ModPath, ModPath)> {
        self.edges_with_paths().into_keys().collect()
    }

    /// Each edge with the paths (as written, made absolute) that make it.
    fn edges_with_paths(&self) -> BTreeMap<(ModPath, ModPath), BTreeSet<String>> {
        let mut out: BTreeMap<_, BTreeSet<String>> = BTreeMap::new();
        for (at, text) in &self.files {
            for p in paths(at, true, text) {
                let target = self.resolve(&p, 0);
                if &target != at {
                    out.entry((at.clone(), target))
                        .or_default()
                        .insert(p.join("::"));
                }
            }
        }
        out
    }
}

/// The cycles (as lists of sibling names) among the children of each module.
fn cycles(krate: &Crate) -> Vec<String> {
    let edges = krate.edges_with_paths();
    // parent -> child -> children it uses
    let mut levels: BTreeMap<ModPath, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
        if common >= from.len() || common >= to.len() {
            continue; // a module and its own ancestor/descendant: not a sibling edge
        }
        levels
            .entry(from[..common].to_vec())
            .or_default()
            .entry(from[common].clone())
            .or_default()
            .insert(to[common].clone());
    }
    let mut found = Vec::new();
    for (parent, graph) in &levels {
        // Depth-first search with colours; report each back edge's cycle.
        let mut state: BTreeMap<&str, u8> = BTreeMap::new();
        let mut stack: Vec<&str> = Vec::new();
        fn visit<'a>(
            n: &'a str,
            graph: &'a BTreeMap<String, BTreeSet<String>>,
            state: &mut BTreeMap<&'a str, u8>,
            stack: &mut Vec<&'a str>,
            parent: &ModPath,
            found: &mut Vec<String>,
        ) {
            state.insert(n, 1);
            stack.push(n);
            for m in graph.get(n).into_iter().flatten() {
                match state.get(m.as_str()) {
                    Some(1) => {
                        let from = stack.iter().position(|x| *x == m).unwrap();
                        let mut cyc: Vec<&str> = stack[from..].to_vec();
                        cyc.push(m);
                        found.push(format!(
                            "crate::{}: {}",
                            parent.join("::"),
                            cyc.join(" -> ")
                        ));
                    }
                    Some(_) => {}
                    None => visit(m, graph, state, stack, parent, found),
                }
            }
            stack.pop();
            state.insert(n, 2);
        }
        for n in graph.keys() {
            if !state.contains_key(n.as_str()) {
                visit(n, graph, &mut state, &mut stack, parent, &mut found);
            }
        }
    }
    found
}

fn core_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn the_core_module_graph_has_no_cycle() {
    let krate = Crate::load(&core_src());
    let found = cycles(&krate);
    let mut why = String::new();
    if !found.is_empty() {
        for ((from, to), paths) in krate.edges_with_paths() {
            let line = format!("{} uses {}: {:?}\n", from.join("::"), to.join("::"), paths);
            why.push_str(&line);
        }
    }
    assert!(
        found.is_empty(),
        "import cycles among the core's modules:\n{}\n\nthe edges:\n{why}",
        found.join("\n")
    );
}

/// The reader above sees what the test relies on: grouped trees, `super`, re-exports.
#[test]
fn the_graph_reader_sees_grouped_paths_and_reexports() {
    let krate = Crate::load(&core_src());
    let edges = krate.edges();
    let names: BTreeSet<(String, String)> = edges
        .iter()
        .map(|(a, b)| (a.join("::"), b.join("::")))
        .collect();
    // store/mod.rs: `use crate::error::{StoreError, StoreResult};`
    assert!(
        names.contains(&("store".into(), "error".into())),
        "{names:?}"
    );
    // A crate-root re-export resolves to its module: `crate::SharedVault` is `shared`.
    let p = absolute(&vec![], true, &["crate".into(), "SharedVault".into()]);
    assert_eq!(krate.resolve(&p, 0), vec!["shared".to_string()]);

    let mut leaves = Vec::new();
    let s: Vec<char> = "{a::{B, c::D}, e}".chars().collect();
    tree(&s, 0, &["crate".into()], &mut leaves);
    assert_eq!(
        leaves,
        vec![
            vec!["crate", "a", "B"],
            vec!["crate", "a", "c", "D"],
            vec!["crate", "e"],
        ]
        .into_iter()
        .map(|v| v.into_iter().map(String::from).collect::<Vec<_>>())
        .collect::<Vec<_>>()
    );
    assert_eq!(strip("a // crate::x\n\"crate::y\" b"), "a \n  b");
}

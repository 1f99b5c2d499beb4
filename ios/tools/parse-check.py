#!/usr/bin/env python3
"""Parse-checks every Swift source under ios/ and the Swift bindings uniffi generated for
the current library (with `@_documentation(visibility: private)` masked) with tree-sitter's
Swift grammar: there is no Swift compiler here, so this is what catches a broken file.
Exits non-zero and names each file, line and column with an ERROR or MISSING node.

usage: parse-check.py GENERATED_SWIFT_DIR"""
import sys
import pathlib

from swift_ast import ROOT, errors, generated_sources, mask, our_sources, parse

gen_dir = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target" / "bindings" / "swift"
files = our_sources() + generated_sources(gen_dir)
bad = 0
for f in files:
    src = f.read_bytes()
    tree = parse(mask(src))
    for e in errors(tree.root_node):
        bad += 1
        kind = "missing " + e.type if e.is_missing else "syntax error"
        line = src.splitlines()[e.start_point[0]].decode("utf-8", "replace").strip() if src else ""
        name = f.relative_to(ROOT) if f.is_relative_to(ROOT) else f
        print(f"{name}:{e.start_point[0] + 1}:{e.start_point[1] + 1}: {kind}: {line[:100]}")
print(f"parse-check: {len(files)} Swift files ({len(files) - len(generated_sources(gen_dir))} ours), {bad} error(s)")
sys.exit(1 if bad else 0)

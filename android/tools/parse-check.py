#!/usr/bin/env python3
"""Parse-checks the Android app's Kotlin sources and Gradle scripts (android/app, the
Gradle files) with tree-sitter's Kotlin grammar: no Android SDK here, so this is what
catches a broken file. Exits non-zero and names each file and line with a syntax error."""
import pathlib
import sys

import tree_sitter_kotlin
from tree_sitter import Language, Parser

root = pathlib.Path(__file__).resolve().parent.parent
files = sorted(
    list((root / "app").rglob("*.kt"))
    + list((root / "app").rglob("*.kts"))
    + [root / "settings.gradle.kts", root / "build.gradle.kts"]
)
parser = Parser(Language(tree_sitter_kotlin.language()))


def errors(node):
    if node.is_error or node.is_missing:
        yield node
        return
    for child in node.children:
        yield from errors(child)


bad = 0
for f in files:
    tree = parser.parse(f.read_bytes())
    for e in errors(tree.root_node):
        bad += 1
        kind = "missing " + e.type if e.is_missing else "syntax error"
        print(f"{f.relative_to(root.parent)}:{e.start_point[0] + 1}:{e.start_point[1] + 1}: {kind}")
print(f"parse-check: {len(files)} Kotlin files, {bad} error(s)")
sys.exit(1 if bad else 0)

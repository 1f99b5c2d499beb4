"""Shared by ios/tools: tree-sitter's Swift grammar (PyPI tree-sitter-swift), the sources
under ios/, and the generated bindings with uniffi's underscored attribute masked."""
import pathlib
import re

import tree_sitter_swift
from tree_sitter import Language, Parser

IOS = pathlib.Path(__file__).resolve().parent.parent
ROOT = IOS.parent
SWIFT = Language(tree_sitter_swift.language())

# uniffi emits `@_documentation(visibility: private)` (an underscored attribute the grammar
# does not know) a few hundred times. Replaced by spaces of the same length, so line and
# column numbers in messages stay true.
_DOC_ATTR = re.compile(rb"@_documentation\(visibility:\s*private\)")


# tree-sitter-swift 0.7.4 also fails on a closure whose body is the empty tuple,
# `let writeReturn = { () }` (valid Swift, in uniffi's callback-interface glue). Masked as
# `{ [] }`: same length, a shape the grammar reads, nothing else touched.
_UNIT_CLOSURE = re.compile(rb"= \{ \(\) \}")


def mask(src: bytes) -> bytes:
    src = _DOC_ATTR.sub(lambda m: b" " * len(m.group(0)), src)
    return _UNIT_CLOSURE.sub(b"= { [] }", src)


def parse(src: bytes):
    return Parser(SWIFT).parse(src)


def our_sources():
    """Every Swift source we wrote under ios/ (generated copies excluded)."""
    out = []
    for f in sorted(IOS.rglob("*.swift")):
        rel = f.relative_to(IOS)
        if rel.parts[:3] == ("VigilCore", "Sources", "VigilCore") or ".build" in rel.parts:
            continue
        out.append(f)
    return out


def generated_sources(gen_dir: pathlib.Path):
    files = sorted(gen_dir.glob("*.swift"))
    if not files:
        raise SystemExit(f"no generated Swift in {gen_dir}: run the bindings step first")
    return files


def errors(node):
    """ERROR and MISSING nodes, outermost first."""
    if node.is_error or node.is_missing:
        yield node
        return
    for child in node.children:
        yield from errors(child)


def text(node) -> str:
    return node.text.decode("utf-8")

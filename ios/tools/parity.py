#!/usr/bin/env python3
"""Checks that the iOS view models are the Android presenters' twins, by name:

- every `XPresenter` in android/presentation has a `final class XViewModel` in
  ios/Vigil/Sources/Presentation with `state` and `onIntent`;
- every data class, enum class and sealed interface the presenters declare (states, intents,
  rows, forms) has a Swift struct or enum of the same name with the same public members:
  constructor and body properties and functions (Kotlin) against stored and computed
  properties and functions (Swift); enum entries and intents as lowerCamel cases
  (FIRST_RUN -> firstRun, PassphraseChanged(text) -> passphraseChanged(text:));
- every `const val` a presenter or state decides (limits, the reason text, the panic word)
  has a Swift `static let` of the lowerCamel name and the same value;
- the words are the same: every sentence (a string literal with a space) in
  android/presentation appears in the Swift view models, and the other way round, with
  templates compared as `{}` (Kotlin `"$n of ${p.total}"` = Swift `"\(n) of \(p.total)"`).
  A sentence only one side has is wording, or a decision, the other side lacks.

Kotlin is read with a small brace-matching reader (tree-sitter-kotlin 1.1.0 does not know
`data object`); Swift with tree-sitter-swift. Exits non-zero on any difference."""
import pathlib
import re
import sys

from swift_ast import IOS, ROOT, parse, text

KOTLIN = ROOT / "android" / "presentation" / "src" / "main" / "kotlin" / "app" / "vigil" / "presentation"
SWIFT = IOS / "Vigil" / "Sources" / "Presentation"


def camel(upper_snake: str) -> str:
    if not re.fullmatch(r"[A-Z0-9_]+", upper_snake):
        return upper_snake[0].lower() + upper_snake[1:]
    parts = upper_snake.lower().split("_")
    return parts[0] + "".join(p.title() for p in parts[1:])


# ---------------------------------------------------------------- Kotlin


def strip_comments(src: str) -> str:
    src = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), src, flags=re.S)
    return re.sub(r"(?m)(^|[^:\"])//[^\n]*", r"\1", src)


def matching(src: str, i: int) -> int:
    """Index of the bracket closing the one at src[i]."""
    pairs = {"(": ")", "{": "}", "<": ">", "[": "]"}
    open_, close = src[i], pairs[src[i]]
    depth = 0
    for j in range(i, len(src)):
        if src[j] == open_:
            depth += 1
        elif src[j] == close:
            depth -= 1
            if depth == 0:
                return j
    raise ValueError("unbalanced")


def split_top(s: str) -> list:
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur)
    return out


def top_level(body: str) -> str:
    """`body` with every nested {...} removed (keeps this level's declarations)."""
    out, depth = [], 0
    for ch in body:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def kotlin_params(params: str) -> list:
    names = []
    for p in split_top(params):
        m = re.match(r"\s*(?:@\w+\s+)*((?:private|internal|override)\s+)?(?:val|var)\s+(\w+)", p)
        if m and not m.group(1):
            names.append(m.group(2))
        elif not m:
            m = re.match(r"\s*(\w+)\s*:", p)
            if m:
                names.append(m.group(1))
    return names


def kotlin_defaults(params: str) -> dict:
    """Constructor parameter -> its default value, normalised (see `literal`), if literal."""
    out = {}
    for p in split_top(params):
        m = re.match(r"\s*(?:val|var)\s+(\w+)\s*:[^=]*=\s*(.+?)\s*$", p, re.S)
        if m:
            v = literal(m.group(2), kotlin=True)
            if v is not None:
                out[m.group(1)] = v
    return out


def literal(expr: str, kotlin: bool):
    """A default value in one spelling for both languages, or None when it is not a plain
    literal (numbers, strings, booleans, null/nil, enum entries, lists of those)."""
    e = " ".join(expr.split())
    if kotlin:
        if e in ("emptyList()", "emptyMap()", "listOf()"):
            return "[]"
        m = re.fullmatch(r"listOf(?:<[^>]*>)?\((.*)\)", e)
        if m:
            items = [literal(x, kotlin) for x in split_top(m.group(1))]
            return None if None in items else "[" + ", ".join(items) + "]"
        m = re.fullmatch(r"[A-Z]\w*\.([A-Z][A-Z0-9_]*)", e)
        if m:
            return "." + camel(m.group(1))
        e = "nil" if e == "null" else re.sub(r"^(-?\d+(?:\.\d+)?)[uUL]*$", r"\1", e)
    else:
        if e == "[:]":
            return "[]"
        m = re.fullmatch(r"\[(.*)\]", e)
        if m and not e.startswith('["'):
            items = [literal(x, kotlin) for x in split_top(m.group(1))]
            return None if None in items else "[" + ", ".join(items) + "]"
    if re.fullmatch(r'-?\d+(?:\.\d+)?|true|false|nil|"[^"\\$]*"|\.[a-z]\w*', e):
        return e
    return None


def kotlin_members(body: str) -> set:
    level = top_level(body)
    out = set()
    for m in re.finditer(r"(?m)^\s*((?:private|internal|override|protected)\s+)?(?:val|var|fun)\s+(?:<[^>]*>\s*)?(\w+)", level):
        if not m.group(1):
            out.add(m.group(2))
    return out


def kotlin_consts(body: str) -> dict:
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"const val (\w+)\s*=\s*([^\n]+)", body)}


kdefaults = {}


def read_kotlin():
    types, presenters, consts = {}, {}, {}
    for f in sorted(KOTLIN.rglob("*.kt")):
        src = strip_comments(f.read_text())
        for m in re.finditer(r"(?m)^(data class|enum class|sealed interface|class)\s+(\w+)(?:<[^>]*>)?", src):
            kind, name = m.group(1), m.group(2)
            i = m.end()
            params, defaults = [], {}
            if i < len(src) and src[i] == "(":
                j = matching(src, i)
                params = kotlin_params(src[i + 1:j])
                defaults = kotlin_defaults(src[i + 1:j])
                i = j + 1
            k = i
            while k < len(src) and src[k] not in "{\n":
                k += 1
            body = ""
            if k < len(src) and src[k] == "{":
                body = src[k + 1:matching(src, k)]
            where = f.relative_to(ROOT)
            for c, v in kotlin_consts(body).items():
                consts[(name, c)] = (v, where)
            if kind == "class":
                if name.endswith("Presenter") and name != "Presenter":
                    presenters[name] = where
                continue
            if kind == "enum class":
                entries = [re.match(r"\s*(\w+)", e).group(1) for e in split_top(body.split(";")[0]) if e.strip()]
                types[name] = ("enum", {camel(e): [] for e in entries}, where)
            elif kind == "sealed interface":
                cases = {}
                for c in re.finditer(r"data (object|class)\s+(\w+)", body):
                    args = []
                    if c.group(1) == "class":
                        p = body.index("(", c.end())
                        args = kotlin_params(body[p + 1:matching(body, p)])
                    cases[camel(c.group(2))] = args
                types[name] = ("enum", cases, where)
            else:
                types[name] = ("struct", set(params) | kotlin_members(body), where)
                kdefaults[name] = defaults
    return types, presenters, consts


def kotlin_sentences(src: str) -> list:
    """String literals of a Kotlin source with templates as `{}`; not date patterns."""
    out, i = [], 0
    while i < len(src):
        if src.startswith("//", i):
            i = src.find("\n", i) % (len(src) + 1) if "\n" in src[i:] else len(src)
            continue
        if src.startswith("/*", i):
            i = src.index("*/", i) + 2
            continue
        if src[i] != '"' or src.startswith('"""', i):
            i += 1
            continue
        j, buf = i + 1, ""
        while j < len(src) and src[j] != '"':
            if src[j] == "\\":
                buf += src[j:j + 2]
                j += 2
            elif src.startswith("${", j):
                k, depth = j + 2, 1
                while depth:
                    if src[k] == "{":
                        depth += 1
                    elif src[k] == "}":
                        depth -= 1
                    elif src[k] == '"':
                        k = src.index('"', k + 1)
                    k += 1
                buf, j = buf + "{}", k
            elif src[j] == "$" and j + 1 < len(src) and (src[j + 1].isalpha() or src[j + 1] == "_"):
                m = re.match(r"\$[A-Za-z_]\w*", src[j:])
                buf, j = buf + "{}", j + len(m.group(0))
            else:
                buf += src[j]
                j += 1
        if not src[:i].rstrip().endswith("ofPattern("):
            out.append(buf)
        i = j + 1
    return out


def is_sentence(s: str) -> bool:
    return " " in s and re.search(r"[A-Za-z]{2}", s) is not None


# ---------------------------------------------------------------- Swift


def swift_sentences(node) -> list:
    out = []
    if node.type == "line_string_literal":
        buf = ""
        for c in node.children:
            if c.type in ("line_str_text", "str_escaped_char"):
                buf += text(c)
            elif c.type == "interpolated_expression":
                buf += "{}"
        return [buf]
    for c in node.children:
        out.extend(swift_sentences(c))
    return out



def modifiers(node) -> set:
    out = set()
    for c in node.children:
        if c.type == "modifiers":
            for m in c.children:
                out.update(text(m).split())
    return out


def declared_name(node):
    for c in node.children:
        if c.type in ("type_identifier", "simple_identifier"):
            return text(c)
        if c.type == "pattern":
            return text(c)
    return None


sdefaults = {}


def read_swift():
    types, classes, statics = {}, {}, {}
    for f in sorted(SWIFT.rglob("*.swift")):
        tree = parse(f.read_bytes())
        for node in tree.root_node.children:
            if node.type != "class_declaration":
                continue
            kind = node.children[0].type if node.children[0].type != "modifiers" else node.children[1].type
            name = declared_name(node)
            body = next((c for c in node.children if c.type in ("class_body", "enum_class_body")), None)
            if body is None:
                continue
            members, cases = set(), {}
            for d in body.children:
                mods = modifiers(d)
                if d.type == "enum_entry":
                    current = None
                    for c in d.children:
                        if c.type == "simple_identifier":
                            current = text(c)
                            cases[current] = []
                        elif c.type == "enum_type_parameters":
                            cases[current] = [text(x) for x in c.children if x.type == "simple_identifier"]
                    continue
                if d.type not in ("property_declaration", "function_declaration"):
                    continue
                member = declared_name(d)
                if "static" in mods:
                    if d.type == "property_declaration":
                        value = next((c for c in d.children if c.type.endswith("literal")), None)
                        statics[(name, member)] = text(value) if value is not None else None
                    continue
                if mods & {"private", "fileprivate"}:
                    continue
                members.add(member)
                if d.type == "property_declaration":
                    kids = d.children
                    for k, c in enumerate(kids):
                        if c.type == "=" and k + 1 < len(kids):
                            v = literal(text(kids[k + 1]), kotlin=False)
                            if v is not None:
                                sdefaults.setdefault(name, {})[member] = v
            if kind == "enum":
                types[name] = ("enum", cases, f)
            elif kind == "struct":
                types[name] = ("struct", members, f)
            elif kind == "class":
                classes[name] = (members, f)
    return types, classes, statics


def same_value(kotlin: str, swift) -> bool:
    if swift is None:
        return False
    k = kotlin.rstrip("uUL")
    try:
        return float(k) == float(swift)
    except ValueError:
        return k.strip('"') == swift.strip('"')


def main() -> int:
    ktypes, presenters, kconsts = read_kotlin()
    stypes, sclasses, sstatics = read_swift()
    problems = []
    ksent = {}
    for f in sorted(KOTLIN.rglob("*.kt")):
        for t in kotlin_sentences(f.read_text()):
            if is_sentence(t):
                ksent.setdefault(t, f.relative_to(ROOT))
    ssent = {}
    for f in sorted(SWIFT.rglob("*.swift")):
        for t in swift_sentences(parse(f.read_bytes()).root_node):
            if is_sentence(t):
                ssent.setdefault(t, f.relative_to(ROOT))
    for t, where in sorted(ksent.items(), key=lambda x: str(x[1])):
        if t not in ssent:
            problems.append(f"{where}: the words {t!r} are not in the Swift view models")
    for t, where in sorted(ssent.items(), key=lambda x: str(x[1])):
        if t not in ksent:
            problems.append(f"{where}: the words {t!r} are not in the Kotlin presenters")
    for p, where in presenters.items():
        vm = p[: -len("Presenter")] + "ViewModel"
        if vm not in sclasses:
            problems.append(f"{where}: {p} has no Swift twin `final class {vm}`")
            continue
        missing = {"state", "onIntent"} - sclasses[vm][0]
        if missing:
            problems.append(f"{sclasses[vm][1].relative_to(ROOT)}: {vm} lacks {sorted(missing)}")
    checked_members = 0
    checked_defaults = [0]
    for name, (kind, kmembers, where) in sorted(ktypes.items()):
        if name not in stypes:
            problems.append(f"{where}: {kind} {name} has no Swift twin")
            continue
        skind, smembers, swhere = stypes[name]
        swhere = swhere.relative_to(ROOT)
        if skind != kind:
            problems.append(f"{swhere}: {name} is a Swift {skind}, Kotlin has a {kind}")
            continue
        if kind == "struct":
            checked_members += len(kmembers)
            for m, v in sorted(kdefaults.get(name, {}).items()):
                sv = sdefaults.get(name, {}).get(m)
                checked_defaults[0] += 1
                if sv is not None and sv != v:
                    problems.append(f"{swhere}: {name}.{m} starts as {sv}, Kotlin's as {v} ({where})")
                elif sv is None and v not in ("nil", "[]"):
                    problems.append(f"{swhere}: {name}.{m} has no literal default; Kotlin's is {v} ({where})")
            for m in sorted(set(kmembers) - smembers):
                problems.append(f"{swhere}: {name} lacks `{m}` (Kotlin {where})")
            for m in sorted(smembers - set(kmembers)):
                problems.append(f"{swhere}: {name}.{m} is not in Kotlin's {name} ({where})")
        else:
            checked_members += len(kmembers)
            for c, args in sorted(kmembers.items()):
                if c not in smembers:
                    problems.append(f"{swhere}: {name} lacks case `{c}` (Kotlin {where})")
                elif smembers[c] != args:
                    problems.append(f"{swhere}: {name}.{c} takes {smembers[c]}, Kotlin takes {args}")
            for c in sorted(set(smembers) - set(kmembers)):
                problems.append(f"{swhere}: {name}.{c} is not in Kotlin's {name} ({where})")
    for (owner, const), (value, where) in sorted(kconsts.items()):
        twin = owner[: -len("Presenter")] + "ViewModel" if owner.endswith("Presenter") else owner
        key = (twin, camel(const))
        if key not in sstatics:
            problems.append(f"{where}: {owner}.{const} = {value} has no Swift `static let {camel(const)}` in {twin}")
        elif not same_value(value, sstatics[key]):
            problems.append(f"{where}: {owner}.{const} = {value}, Swift {twin}.{camel(const)} = {sstatics[key]}")
    for p in problems:
        print(p)
    print(
        f"parity: {len(presenters)} presenters, {len(ktypes)} state/intent/row types "
        f"({checked_members} members and cases, {checked_defaults[0]} defaults), {len(kconsts)} constants, "
        f"{len(ksent)} sentences; "
        f"{len(problems)} difference(s)"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

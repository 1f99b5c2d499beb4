#!/usr/bin/env python3
"""Checks that every core call the Swift code under ios/ makes exists in the Swift bindings
uniffi generated for the current library, with that name and those argument labels (so
that arity too): a renamed or re-shaped core function fails here, not first on a Mac.

What counts as a core call (found with tree-sitter-swift, no type checker):
- `Type(labels...)` and `Type.member(labels...)` where Type is a type of the bindings
  (records' initialisers, objects' constructors and static functions, enum cases);
- `x.method(labels...)` where x is known to hold a bindings type: declared with that type
  (`let a: AdvanceWork`, parameters), or bound to a call whose result type is known (a
  bindings function's return type, or one of our functions declared to return a bindings
  type, such as `Vigil.incidents() -> IncidentLog`);
- `.member(labels...)` (implicit member) whose name is an enum case or static function of
  the bindings: the labels must match one of them.
And any call whose multi-word name is a method of a bindings object but whose labels match
nothing in the bindings nor in our code is reported as a core call with the wrong shape.

usage: core-calls.py GENERATED_SWIFT_DIR"""
import collections
import pathlib
import sys

from swift_ast import ROOT, generated_sources, mask, our_sources, parse, text

Decl = collections.namedtuple("Decl", "labels returns")


def children(node, *types):
    return [c for c in node.children if c.type in types]


def param_labels(params) -> tuple:
    """External labels of a function's `parameter` nodes ('_' for none)."""
    out = []
    for p in params:
        ids = [c for c in p.children if c.type == "simple_identifier"]
        out.append(text(ids[0]) if ids else "_")
    return tuple(out)


def type_name(node):
    """The bare type name of a type node (`Vault?` -> Vault, `[Walk]` -> None)."""
    if node is None:
        return None
    if node.type == "user_type":
        ids = children(node, "type_identifier")
        return text(ids[-1]) if ids else None
    if node.type in ("optional_type",):
        return type_name(node.children[0])
    return None


def return_type(fn):
    seen_arrow = False
    for c in fn.children:
        if c.type == "->":
            seen_arrow = True
        elif seen_arrow and c.type.endswith("type"):
            return type_name(c)
    return None


def read_bindings(gen_dir):
    """type -> member name -> [Decl]; also the set of object (class) type names."""
    members = collections.defaultdict(lambda: collections.defaultdict(list))
    objects, declared = set(), set()
    for f in generated_sources(gen_dir):
        tree = parse(mask(f.read_bytes()))
        stack = [(tree.root_node, None)]
        while stack:
            node, owner = stack.pop()
            if node.type in ("class_declaration", "protocol_declaration"):
                name = next((text(c) for c in node.children if c.type == "type_identifier"), None)
                kind = next((c.type for c in node.children if c.type in ("class", "struct", "enum", "extension")), None)
                if kind == "extension":
                    ut = next((c for c in node.children if c.type == "user_type"), None)
                    name = type_name(ut)
                if kind == "class":
                    objects.add(name)
                if kind != "extension" and name and not name.startswith(("FfiConverter", "Uniffi")):
                    if "fileprivate" not in text(node).split("{")[0] and "private" not in text(node).split("{")[0].split():
                        declared.add(name)
                if name and not name.startswith(("FfiConverter", "Uniffi")):
                    members[name]  # a known type, even without members
                for c in node.children:
                    stack.append((c, name))
                continue
            if owner and node.type in ("function_declaration", "protocol_function_declaration"):
                name = next((text(c) for c in node.children if c.type == "simple_identifier"), None)
                if name:
                    members[owner][name.strip("`")].append(Decl(param_labels(children(node, "parameter")), return_type(node)))
            elif owner and node.type == "init_declaration":
                members[owner]["init"].append(Decl(param_labels(children(node, "parameter")), owner))
            elif owner and node.type == "enum_entry":
                current = None
                for c in node.children:
                    if c.type == "simple_identifier":
                        current = text(c).strip("`")
                        members[owner][current].append(Decl((), owner))
                    elif c.type == "enum_type_parameters":
                        # `label: Type` gives its label, a bare `Type` (a tuple variant) '_'.
                        labels, label = [], None
                        for x in c.children:
                            if x.type == "simple_identifier":
                                label = text(x)
                            elif x.named_children or x.type.endswith("_type"):
                                labels.append(label or "_")
                                label = None
                        members[owner][current][-1] = Decl(tuple(labels), owner)
            elif node.type == "function_declaration" and owner is None:
                name = next((text(c) for c in node.children if c.type == "simple_identifier"), None)
                members[""][name].append(Decl(param_labels(children(node, "parameter")), return_type(node)))
            for c in node.children:
                stack.append((c, owner))
    return members, objects, declared


def is_subscript(call) -> bool:
    suffix = next((c for c in call.children if c.type == "call_suffix"), None)
    args = next((c for c in suffix.children if c.type == "value_arguments"), None) if suffix else None
    return args is not None and args.children and args.children[0].type == "["


def call_labels(call) -> tuple:
    """Argument labels of a call (a trailing closure counts as one unlabeled argument)."""
    suffix = next((c for c in call.children if c.type == "call_suffix"), None)
    if suffix is None:
        return ()
    out = []
    for part in suffix.children:
        if part.type == "value_arguments":
            for arg in children(part, "value_argument"):
                label = next((c for c in arg.children if c.type == "value_argument_label"), None)
                out.append(text(label) if label is not None else "_")
        elif part.type in ("lambda_literal", "annotated_lambda"):
            out.append("_")
    return tuple(out)


def callee(call):
    """(receiver node or None, member name, implicit) of a call_expression."""
    head = call.children[0]
    if head.type == "simple_identifier":
        return None, text(head), False
    if head.type == "navigation_expression":
        suffix = next((c for c in head.children if c.type == "navigation_suffix"), None)
        name = next((text(c) for c in suffix.children if c.type == "simple_identifier"), None) if suffix else None
        receiver = head.children[0] if head.children[0].type != "navigation_suffix" else None
        return receiver, name, receiver is None
    if head.type == "prefix_expression" and text(head).startswith("."):
        return None, text(head)[1:], True
    return None, None, False


def main() -> int:
    gen_dir = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target" / "bindings" / "swift"
    bindings, objects, declared = read_bindings(gen_dir)
    types = declared
    object_methods = {m for t in objects for m in bindings[t]}
    trees = [(f, parse(f.read_bytes())) for f in our_sources()]

    # Our own declarations: function name -> returned bindings type; every selector we declare.
    ours_returns, ours_selectors = {}, set()
    for _, tree in trees:
        stack = [tree.root_node]
        while stack:
            n = stack.pop()
            if n.type == "function_declaration":
                name = next((text(c) for c in n.children if c.type == "simple_identifier"), None)
                rt = return_type(n)
                if rt in types:
                    ours_returns[name] = rt
                ours_selectors.add((name, param_labels(children(n, "parameter"))))
            elif n.type == "enum_entry":
                for c in n.children:
                    if c.type == "simple_identifier":
                        ours_selectors.add((text(c), ()))
                    elif c.type == "enum_type_parameters":
                        ours_selectors.add((text(n.children[1]), tuple(text(x) for x in c.children if x.type == "simple_identifier")))
            stack.extend(n.children)

    problems, checked = [], collections.Counter()

    def matches(t, name, labels):
        return any(d.labels == labels for d in bindings[t].get(name, []))

    def expr_type(node, env):
        if node is None:
            return None
        if node.type in ("try_expression", "await_expression", "parenthesized_expression", "force_unwrap_expression"):
            return expr_type(node.children[-1], env)
        if node.type == "simple_identifier":
            return env.get(text(node))
        if node.type == "call_expression":
            receiver, name, _ = callee(node)
            if receiver is None and name in types:
                return name
            rt = expr_type(receiver, env) if receiver is not None else None
            if receiver is not None and receiver.type == "simple_identifier" and text(receiver) in types:
                rt = text(receiver)
                decls = bindings[rt].get(name, [])
                return decls[0].returns if decls else None
            if rt in types:
                decls = bindings[rt].get(name, [])
                return decls[0].returns if decls else None
            return ours_returns.get(name)
        return None

    for f, tree in trees:
        rel = f.relative_to(ROOT)
        env = {}
        # Bindings-typed names: annotations and parameters first, then inferred bindings.
        stack = [tree.root_node]
        ordered = []
        while stack:
            n = stack.pop()
            ordered.append(n)
            stack.extend(reversed(n.children))
        for n in ordered:
            in_struct = n.type == "property_declaration" and n.parent is not None and n.parent.type == "class_body" \
                and n.parent.parent is not None and n.parent.parent.children[0].type != "class" \
                and not any(c.type == "class" for c in n.parent.parent.children)
            if n.type in ("property_declaration", "parameter", "lambda_parameter") and not in_struct:
                ann = next((c for c in n.children if c.type == "type_annotation"), None)
                tnode = ann.children[-1] if ann is not None else next((c for c in n.children if c.type.endswith("_type")), None)
                ident = next((c for c in n.children if c.type in ("pattern", "simple_identifier")), None)
                t = type_name(tnode)
                if ident is not None and t in types:
                    env[text(ident).split()[-1]] = t
        for n in ordered:
            if n.type in ("property_declaration", "if_statement", "guard_statement"):
                ids = [c for c in n.children if c.type in ("pattern", "simple_identifier", "value_binding_pattern")]
                value = None
                for i, c in enumerate(n.children):
                    if c.type == "=" and i + 1 < len(n.children):
                        value = n.children[i + 1]
                        name_node = next((x for x in reversed(n.children[:i]) if x.type in ("pattern", "simple_identifier")), None)
                        t = expr_type(value, env)
                        if name_node is not None and t in types:
                            env.setdefault(text(name_node).split()[-1], t)
                del ids
        for n in ordered:
            if n.type != "call_expression" or is_subscript(n):
                continue
            receiver, name, implicit = callee(n)
            if name is None:
                continue
            labels = call_labels(n)
            line = n.start_point[0] + 1
            sel = f"{name}({''.join(l + ':' for l in labels)})"
            if receiver is None and not implicit and name in types:
                checked[name] += 1
                if not matches(name, "init", labels):
                    problems.append(f"{rel}:{line}: {name}{sel[len(name):]} : no such initialiser in the bindings")
                continue
            if receiver is None and not implicit and name in bindings[""]:
                checked[name] += 1
                if not matches("", name, labels):
                    problems.append(f"{rel}:{line}: {sel} : no such function in the bindings")
                continue
            if implicit:
                cands = [t for t in types if name in bindings[t]]
                if cands and (name, labels) not in ours_selectors:
                    checked[f".{name}"] += 1
                    if not any(matches(t, name, labels) for t in cands):
                        problems.append(f"{rel}:{line}: .{sel} : no such case or static member in the bindings")
                continue
            rt = None
            if receiver is not None and receiver.type == "simple_identifier" and text(receiver) in types:
                rt = text(receiver)
            elif receiver is not None:
                rt = expr_type(receiver, env)
            if rt in types:
                checked[f"{rt}.{name}"] += 1
                if not matches(rt, name, labels):
                    have = [f"{name}({''.join(l + ':' for l in d.labels)})" for d in bindings[rt].get(name, [])]
                    problems.append(f"{rel}:{line}: {rt}.{sel} : not in the bindings" + (f" (they have {', '.join(have)})" if have else ""))
            elif name in object_methods and any(ch.isupper() for ch in name) and (name, labels) not in ours_selectors:
                # Only multi-word names (`quickLog`, `syncNow`): one-word ones (`open`, `get`,
                # `insert`) are as likely Foundation's or the standard library's.
                if not any(matches(t, name, labels) for t in objects):
                    problems.append(f"{rel}:{line}: {sel} looks like a core call but matches no bindings method of that name")
    for p in problems:
        print(p)
    print(f"core-calls: {sum(checked.values())} core calls ({len(checked)} distinct) checked against {len(types)} bindings types; {len(problems)} problem(s)")
    if "-v" in sys.argv:
        print(sorted(checked))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

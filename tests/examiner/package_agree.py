#!/usr/bin/env python3
"""Holds the reference examiner's package check (verify_bundle.py, written from
docs/EVIDENCE.md) to Vigil's (`vigil incident verify-bundle` on a package):

1. a fresh store (made with the `vigil` binary: two incidents, three attachments, one
   removed by an amendment) exported as a directory and as a .zip verifies in both;
2. one changed byte (first, middle, last) in every file of the directory package, and
   in every entry of the zip, fails in both, and both name the same file;
3. the same for a format 1 package from an earlier release (fixtures/package-v1.zip) and
   for each further zip given: a package the team server made (tests/run passes the one
   server/tests/console.rs downloads from the console).

    package_agree.py VIGIL_BINARY [PACKAGE.zip...]

Exit 0 when everything agrees; otherwise prints each disagreement and exits 1.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import verify_bundle  # noqa: E402

PASS = "package agree passphrase"


def run(vigil, data, *args):
    env = dict(os.environ, VIGIL_PASSPHRASE=PASS)
    out = subprocess.run([vigil, "--json", "--data-dir", data, *args], env=env,
                         capture_output=True)
    return out


def ok(vigil, data, *args):
    out = run(vigil, data, *args)
    if out.returncode != 0:
        raise SystemExit("%s failed: %s" % (args, out.stderr.decode()))
    return json.loads(out.stdout)


def rust_verdict(vigil, data, path):
    out = run(vigil, data, "incident", "verify-bundle", path)
    report = json.loads(out.stdout)
    if report["ok"]:
        return "ok", None
    problem = report["problem"]
    if isinstance(problem, dict):  # {"Bundle": ...}
        problem = "Bundle"
    return problem, report["file"]


def py_verdict(path):
    problem, file = verify_bundle.verify_package(path)
    return problem.split(":")[0], file


def zip_agree(vigil, data, pkg_zip, tmp):
    """A genuine zip package verifies in both; one changed byte in any entry fails in
    both, naming that entry. Returns (disagreements, packages checked)."""
    bad, checked = 0, 0
    r, p = rust_verdict(vigil, data, pkg_zip), py_verdict(pkg_zip)
    if r != ("ok", None) or p != ("ok", None):
        print("genuine %s: vigil %s, examiner %s" % (pkg_zip, r, p))
        bad += 1
    with zipfile.ZipFile(pkg_zip) as z:
        entries = [(n, z.read(n)) for n in z.namelist()]
    copy = os.path.join(tmp, "copy.zip")
    for i, (name, content) in enumerate(entries):
        changed = bytearray(content)
        changed[len(changed) // 2] ^= 0x20
        with zipfile.ZipFile(copy, "w") as z:
            for j, (n, c) in enumerate(entries):
                z.writestr(n, bytes(changed) if i == j else c)
        r, p = rust_verdict(vigil, data, copy), py_verdict(copy)
        if r[0] == "ok" or r != p or r[1] != name:
            print("zip %s %s: vigil %s, examiner %s" % (os.path.basename(pkg_zip), name, r, p))
            bad += 1
        checked += 1
        os.remove(copy)
    return bad, checked


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    vigil = os.path.abspath(argv[1])
    extra = [os.path.abspath(a) for a in argv[2:]]
    bad = 0
    tmp = tempfile.mkdtemp(prefix="vigil-package-agree-")
    try:
        data = os.path.join(tmp, "store")
        ok(vigil, data, "init", "--kdf-memory-kib", "64", "--kdf-iterations", "1",
           "--allow-weak-kdf")
        ids = []
        for category, text in (("hostile-surveillance", "Grey van, 40 minutes"),
                               ("medical", "Principal slipped on the stairs")):
            ids.append(ok(vigil, data, "incident", "log", "--category", category,
                          "--narrative", text)["logged"]["incident_id"])
        for i, (incident, name, size) in enumerate(((ids[0], "van.jpg", 70000),
                                                    (ids[0], "plate.png", 900),
                                                    (ids[1], "note.txt", 3000))):
            path = os.path.join(tmp, name)
            with open(path, "wb") as f:
                f.write(bytes((j * (i + 3) + 7) % 251 for j in range(size)))
            ok(vigil, data, "incident", "attach", incident, path)
        pkg_dir = os.path.join(tmp, "package")
        pkg_zip = os.path.join(tmp, "package.zip")
        ok(vigil, data, "incident", "export", "--package", pkg_dir)
        ok(vigil, data, "incident", "export", "--package", pkg_zip)
        for path in (pkg_dir, pkg_zip):
            r, p = rust_verdict(vigil, data, path), py_verdict(path)
            if r != ("ok", None) or p != ("ok", None):
                print("genuine %s: vigil %s, examiner %s" % (path, r, p))
                bad += 1
        checked = 0
        names = verify_bundle.Package(pkg_dir).names
        for name in names:
            full = os.path.join(pkg_dir, *name.split("/"))
            with open(full, "rb") as f:
                original = f.read()
            for at in (0, len(original) // 2, len(original) - 1):
                changed = bytearray(original)
                changed[at] ^= 0x01
                with open(full, "wb") as f:
                    f.write(changed)
                r, p = rust_verdict(vigil, data, pkg_dir), py_verdict(pkg_dir)
                if r[0] == "ok" or r != p or r[1] != name:
                    print("%s byte %d: vigil %s, examiner %s" % (name, at, r, p))
                    bad += 1
                checked += 1
            with open(full, "wb") as f:
                f.write(original)
        for path in [pkg_zip, os.path.join(HERE, "fixtures", "package-v1.zip")] + extra:
            b, c = zip_agree(vigil, data, path, tmp)
            bad += b
            checked += c
        print("package agreement: %d files, %d changed packages, %d disagreements"
              % (len(names), checked, bad))
    finally:
        shutil.rmtree(tmp)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

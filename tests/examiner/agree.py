#!/usr/bin/env python3
"""Holds the reference examiner (verify_bundle.py, written from docs/INCIDENT_LOG.md) to
Vigil's verifier:

1. every test vector in tests/vectors/bundles/ gets the verdict verdicts.json names;
2. on every single-byte flip (XOR with each mask below) of three bundles, the examiner's
   verdict equals `vigil_core::incident::verify_bundle`'s (the function behind
   `vigil incident verify-bundle`), printed by `cargo run -p vigil-core --example
   verdicts -- --flip MASK FILE` (one process per bundle and mask).

    agree.py VERDICTS_BINARY      (the built `verdicts` example)

Exit 0 when everything agrees; otherwise prints each disagreement and exits 1.
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import verify_bundle  # noqa: E402

VECTORS = os.path.join(HERE, "..", "vectors", "bundles")
# A version 2 chain with a version 2 receipt; the previous release's anchored bundle
# (version 1 floats, escapes, receipt); a chain of version 1 then version 2 entries.
FLIPPED = ["v2-genuine-anchored.json", "legacy-v1-anchored.json",
           "v2-mixed-v1-floats-in-ryu-form.json"]
MASKS = [0x01, 0x20]


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    rust = argv[1]
    bad = 0
    with open(os.path.join(VECTORS, "verdicts.json")) as f:
        verdicts = json.load(f)
    for name, expected in sorted(verdicts.items()):
        with open(os.path.join(VECTORS, name), "rb") as f:
            got = verify_bundle.verify(f.read())
        if got != expected:
            bad += 1
            print("vector %s: examiner says %s, verdicts.json %s" % (name, got, expected))
    print("examiner: %d vectors checked" % len(verdicts))
    flips = 0
    seen = set()
    for name in FLIPPED:
        path = os.path.join(VECTORS, name)
        with open(path, "rb") as f:
            data = f.read()
        for mask in MASKS:
            out = subprocess.run([rust, "--flip", str(mask), path], check=True,
                                 capture_output=True, text=True).stdout.split("\n")
            theirs = dict(line.split(" ", 1) for line in out if line)
            if len(theirs) != len(data):
                print("%s: %d verdicts for %d bytes" % (name, len(theirs), len(data)))
                return 1
            for i in range(len(data)):
                flipped = bytearray(data)
                flipped[i] ^= mask
                mine = verify_bundle.verify(bytes(flipped))
                seen.add(mine.split(":")[0] + (":" + mine.split(":")[1] if ":" in mine else ""))
                flips += 1
                if mine != theirs[str(i)]:
                    bad += 1
                    if bad <= 40:
                        print("%s byte %d ^ %#x: examiner %s, verify_bundle %s"
                              % (name, i, mask, mine, theirs[str(i)]))
    print("examiner: %d flips of %d bundles compared; verdicts seen: %s"
          % (flips, len(FLIPPED), ", ".join(sorted(seen))))
    if bad:
        print("examiner: %d disagreements" % bad)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

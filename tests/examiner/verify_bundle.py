#!/usr/bin/env python3
"""The reference examiner: verifies a Vigil incident bundle as docs/INCIDENT_LOG.md
describes it, and an evidence package (a directory or .zip) as docs/EVIDENCE.md
describes it, without any Vigil code. Python 3.9+, with `cryptography` for Ed25519.

    verify_bundle.py FILE...      prints one line per file: `<verdict>  <file>`
                                  (exit 0 when every file verifies, else 5)

A bundle's verdict is `ok`, the name of the first failing check (`NotCanonical`, ...) or
`Chain:<kind>:<seq>` for a broken chain, as in tests/vectors/bundles/verdicts.json.
A package's verdict is `ok` or `<problem>:<file in the package>` (`FileMismatch:README.txt`,
`Bundle:NotCanonical:bundles/device-1.json`), the problem named as in docs/EVIDENCE.md.
Section and step numbers in comments refer to docs/INCIDENT_LOG.md.
"""

import hashlib
import json
import os
import re
import struct
import sys
import zipfile

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

U32 = 2**32 - 1
U64 = 2**64 - 1
I32 = (-(2**31), 2**31 - 1)
I64 = (-(2**63), 2**63 - 1)
ZERO = bytes(32)


class Refused(Exception):
    """A verdict other than ok: `problem` is its name."""

    def __init__(self, problem):
        super().__init__(problem)
        self.problem = problem


class Bad(Exception):
    """A value does not fit its schema (a parse error of the enclosing document)."""


# ---- strict JSON ("Parse", step 1) --------------------------------------------------

class Pairs(list):
    """A JSON object as the list of its (key, value) pairs, in file order."""


def _pairs(items):
    keys = [k for k, _ in items]
    if len(set(keys)) != len(keys):
        raise Bad("duplicate key")
    return Pairs(items)


def _no_constant(name):
    raise Bad("not JSON: " + name)


def _check_strings(v):
    if isinstance(v, str):
        if any(0xD800 <= ord(c) <= 0xDFFF for c in v):
            raise Bad("unpaired surrogate")
    elif isinstance(v, Pairs):
        for k, x in v:
            _check_strings(k)
            _check_strings(x)
    elif isinstance(v, list):
        for x in v:
            _check_strings(x)


def parse_json(data):
    """Bytes -> values (objects as Pairs). Raises Bad."""
    try:
        text = data.decode("utf-8")
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise Bad(str(e))
    _check_strings(value)
    return value


# ---- schema -------------------------------------------------------------------------
# A field spec: (name, type, optional). Optional fields read as None when absent or null.

def obj(value, fields):
    """Checks an object against `fields`: no unknown or duplicate keys, every required
    field present; returns a dict of converted values (None for absent optionals)."""
    if not isinstance(value, Pairs):
        raise Bad("not an object")
    given = dict(value)
    names = [f[0] for f in fields]
    for k in given:
        if k not in names:
            raise Bad("unknown field " + k)
    out = {}
    for name, typ, optional in fields:
        if name not in given:
            if not optional:
                raise Bad("missing field " + name)
            out[name] = None
        else:
            out[name] = typ(given[name])
    return out


def string(v):
    if not isinstance(v, str):
        raise Bad("not a string")
    return v


def integer(lo, hi):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise Bad("not an integer in range")
        return v
    return check


def number(v):
    """An f64 (version 1 floats): a JSON integer or fraction, finite."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise Bad("not a number")
    f = float(v)
    if f != f or f in (float("inf"), float("-inf")):
        raise Bad("out of range")
    return f


def nullable(typ):
    def check(v):
        return None if v is None else typ(v)
    return check


def array(typ):
    def check(v):
        if not isinstance(v, list):
            raise Bad("not an array")
        return [typ(x) for x in v]
    return check


def enum(*names):
    def check(v):
        if v not in names:
            raise Bad("not one of the names")
        return v
    return check


INSTANT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z$")


def instant(v):
    """`YYYY-MM-DDTHH:MM:SS.mmmZ`, a real calendar date ("The body", Instants)."""
    m = INSTANT.match(string(v))
    if not m:
        raise Bad("instant not canonical")
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    if not (1 <= mo <= 12 and 1 <= d <= days[mo - 1] and h <= 23 and mi <= 59 and s <= 59):
        raise Bad("not a date")
    return v


# ---- canonical encoding ("The body": layout, strings, integers, floats) -------------

ESC = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def enc_str(s):
    out = ['"']
    for c in s:
        if c in ESC:
            out.append(ESC[c])
        elif ord(c) < 0x20:
            out.append("\\u%04x" % ord(c))
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def enc_float(f):
    """A version 1 float as Rust's ryu writes it ("The body", Floats)."""
    if f == 0:
        return "-0.0" if str(f).startswith("-") else "0.0"
    sign = "-" if f < 0 else ""
    r = repr(abs(f))  # shortest round-trip digits
    mant, _, exp = r.partition("e")
    e = int(exp) if exp else 0
    whole, _, frac = mant.partition(".")
    digits = (whole + frac).lstrip("0")
    # value = 0.d1...dn x 10^k
    k = len(whole.lstrip("0")) + e if whole.strip("0") else e - (len(frac) - len(frac.lstrip("0")))
    digits = digits.rstrip("0") or "0"
    n = len(digits)
    if 0 <= n <= k <= 16:
        s = digits + "0" * (k - n) + ".0"
    elif 0 < k <= 16:
        s = digits[:k] + "." + digits[k:]
    elif -5 < k <= 0:
        s = "0." + "0" * (-k) + digits
    else:
        x = k - 1
        ex = ("+" if x > 0 else "") + str(x)
        s = digits + "e" + ex if n == 1 else digits[0] + "." + digits[1:] + "e" + ex
    return sign + s


class Raw(str):
    """An already encoded JSON text."""


def enc(v):
    """Encodes values built by the checkers: dict (fields in insertion order), list,
    str, int, Raw, None."""
    if v is None:
        return "null"
    if isinstance(v, Raw):
        return str(v)
    if isinstance(v, str):
        return enc_str(v)
    if isinstance(v, bool):
        raise Bad("no booleans in the schema")
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ",".join(enc(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(enc_str(k) + ":" + enc(x) for k, x in v.items()) + "}"
    raise Bad("cannot encode")


# ---- the body ("The body (canonical JSON)") -------------------------------------------

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
HEX = re.compile(r"^[0-9a-f]*$")
ZONE = re.compile(r"^[A-Za-z0-9/_+-]{1,64}$")
MIME = re.compile(r"^[A-Za-z0-9/.+\-_]{1,127}$")

CATEGORIES = ("suspicious_activity", "hostile_surveillance", "approach_or_threat", "medical",
              "security_breach", "road_or_vehicle", "crowd_or_protest", "media",
              "theft_or_loss", "other")
SEVERITIES = ("info", "low", "medium", "high", "critical")
SOURCES = ("gps", "network", "manual", "venue_point")
ROLES = ("subject", "victim", "witness", "police")


def lower_hex(s, n):
    return isinstance(s, str) and len(s) == n and HEX.match(s) is not None


def need(cond):
    if not cond:
        raise Bad("out of bounds")


def occurred(v):
    o = obj(v, [("utc", instant, False), ("offset_minutes", integer(*I32), False),
                ("zone", nullable(string), True)])
    need(abs(o["offset_minutes"]) <= 1080)
    need(o["zone"] is None or ZONE.match(o["zone"]))
    return o


def location(version):
    def check(v):
        if version == 2:
            loc = obj(v, [("latitude_nd", integer(*I64), False),
                          ("longitude_nd", integer(*I64), False),
                          ("accuracy_mm", nullable(integer(0, U64)), True),
                          ("source", enum(*SOURCES), False)])
            need(-90 * 10**9 <= loc["latitude_nd"] <= 90 * 10**9)
            need(-180 * 10**9 <= loc["longitude_nd"] <= 180 * 10**9)
            need(loc["accuracy_mm"] is None or loc["accuracy_mm"] <= 10**9)
            return loc
        loc = obj(v, [("latitude", number, False), ("longitude", number, False),
                      ("accuracy_m", nullable(number), True),
                      ("source", enum(*SOURCES), False)])
        need(-90 <= loc["latitude"] <= 90 and -180 <= loc["longitude"] <= 180)
        need(loc["accuracy_m"] is None or loc["accuracy_m"] >= 0)
        for k in ("latitude", "longitude", "accuracy_m"):
            if loc[k] is not None:
                loc[k] = Raw(enc_float(loc[k]))
        return loc
    return check


def person(v):
    return obj(v, [("role", enum(*ROLES), False), ("name", nullable(string), True),
                   ("description", string, False), ("contact", nullable(string), True)])


def vehicle(v):
    return obj(v, [(k, nullable(string), True)
                   for k in ("registration", "make", "colour", "direction")])


def attachment(v):
    a = obj(v, [("id", string, False), ("sha256", string, False), ("mime", string, False),
                ("size", integer(0, U64), False), ("captured_at", nullable(instant), True)])
    need(lower_hex(a["id"], 32) and lower_hex(a["sha256"], 64))
    need(MIME.match(a["mime"]) and "/" in a["mime"] and a["size"] >= 1)
    return a


def report_fields(version):
    """(name, type, nullable) of Report, in order."""
    return [("occurred", occurred, False), ("category", enum(*CATEGORIES), False),
            ("severity", enum(*SEVERITIES), True), ("location", location(version), True),
            ("narrative", string, False), ("people", array(person), False),
            ("vehicles", array(vehicle), False), ("actions_taken", array(string), False),
            ("police_reference", string, True), ("witnesses", array(string), False),
            ("tags", array(string), False), ("venue_id", string, True),
            ("route_id", string, True), ("officer", string, True),
            ("attachments", array(attachment), False)]


def report(version):
    def check(v):
        return obj(v, [(n, nullable(t) if null else t, null)
                       for n, t, null in report_fields(version)])
    return check


def patch(version):
    def check(v):
        if not isinstance(v, Pairs):
            raise Bad("not an object")
        fields = report_fields(version)
        given = dict(v)
        for k in given:
            if k not in [f[0] for f in fields]:
                raise Bad("unknown field")
        out = {}
        for name, typ, null in fields:
            if name in given:  # present only when changed; null only where nullable
                x = given[name]
                out[name] = None if (x is None and null) else typ(x)
        need(out)
        return out
    return check


def amendment(version):
    def check(v):
        a = obj(v, [("amends", string, False), ("reason", string, False),
                    ("patch", patch(version), False)])
        need(UUID.match(a["amends"]) and a["reason"] != "")
        return a
    return check


def body_version(raw):
    return 2 if raw.startswith(b'{"v":2,') else 1


def body_ok(raw):
    """True when `raw` is a canonical body of its version (step 9 of a link)."""
    version = body_version(raw)
    try:
        b = obj(parse_json(raw), [
            ("v", integer(0, U32), False), ("entry_id", string, False),
            ("incident_id", string, False),
            ("kind", enum("report", "amendment"), False), ("recorded_at", instant, False),
            ("author", nullable(string), True), ("report", nullable(report(version)), True),
            ("amendment", nullable(amendment(version)), True)])
        need(b["v"] == version and UUID.match(b["entry_id"]) and UUID.match(b["incident_id"]))
        if b["kind"] == "report":
            need(b["report"] is not None and b["amendment"] is None)
            need(b["entry_id"] == b["incident_id"])
        else:
            need(b["report"] is None and b["amendment"] is not None)
        return enc(b).encode("utf-8") == raw, b
    except Bad:
        return False, None


# ---- hashes and signatures ("The hash", "Anchoring") --------------------------------

def sha256(b):
    return hashlib.sha256(b).digest()


def field(b):
    return struct.pack(">I", len(b)) + b


def entry_hash_v1(seq, prev, device, body):
    return sha256(b"VIGIL-ENTRY-V1" + struct.pack(">Q", seq) + prev + field(device.encode())
                  + field(body))


def entry_hash_v2(seq, prev, device, entry_id, incident_id, digest):
    return sha256(b"VIGIL-ENTRY-V2" + struct.pack(">Q", seq) + prev + field(device.encode())
                  + field(entry_id.encode()) + field(incident_id.encode()) + digest)


def ed25519_ok(public_key, message, signature):
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        return True
    except Exception:  # an invalid key or signature: it does not verify
        return False


def receipt_valid(r, device_id, device_key, server_key):
    """Anchoring: "A receipt is valid for a chain of device D with key K under S"."""
    if not (lower_hex(r["hash"], 64) and lower_hex(r["signature"], 128)):
        return False
    if r["device_public_key"] is not None and not lower_hex(r["device_public_key"], 64):
        return False
    if r["device_id"] != device_id or r["seq"] < 1:
        return False
    tail = struct.pack(">Q", r["seq"]) + bytes.fromhex(r["hash"]) + struct.pack(">Q", r["anchored_ms"])
    if r["device_public_key"] is None:
        msg = b"vigil/receipt/v1" + field(device_id.encode()) + tail
    else:
        bound = bytes.fromhex(r["device_public_key"])
        if bound != device_key:
            return False
        msg = b"vigil/receipt/v2" + field(device_id.encode()) + bound + tail
    return ed25519_ok(server_key, msg, bytes.fromhex(r["signature"]))


# ---- the bundle ("Export bundle", "Verifying a bundle") -------------------------------

def receipt_schema(v):
    return obj(v, [("device_id", string, False), ("device_public_key", nullable(string), True),
                   ("seq", integer(0, U64), False), ("hash", string, False),
                   ("anchored_ms", integer(0, U64), False), ("signature", string, False)])


def anchor_schema(v):
    return obj(v, [("server_public_key", string, False), ("receipt", receipt_schema, False)])


def entry_schema(v):
    return obj(v, [("seq", integer(0, U64), False), ("v", nullable(integer(0, U32)), True),
                   ("entry_id", string, False), ("incident_id", nullable(string), True),
                   ("prev_hash", string, False), ("body_sha256", nullable(string), True),
                   ("hash", string, False), ("signature", string, False),
                   ("body", nullable(string), True)])


def payload_schema(v):
    return obj(v, [("device_id", string, False), ("device_public_key", string, False),
                   ("exported_at", instant, False), ("incidents", array(string), False),
                   ("head_seq", integer(0, U64), False), ("head_hash", string, False),
                   ("entries", array(entry_schema), False),
                   ("anchor", nullable(anchor_schema), True)])


def without_absent(d, optional):
    return {k: x for k, x in d.items() if not (k in optional and x is None)}


def encode_payload(p):
    q = dict(p)
    q["entries"] = [without_absent(e, ("v", "incident_id", "body_sha256")) for e in p["entries"]]
    if p["anchor"] is not None:
        a = dict(p["anchor"])
        a["receipt"] = without_absent(a["receipt"], ("device_public_key",))
        q["anchor"] = a
    return enc(without_absent(q, ("anchor",)))


def check_chain(p, device_key):
    """Steps of "Checking one link", in array order. Returns the head (seq, hash)."""
    expected, last = 1, ZERO
    device = p["device_id"]
    for e in p["entries"]:
        def broken(kind, seq=None):
            return Refused("Chain:%s:%d" % (kind, e["seq"] if seq is None else seq))
        if e["seq"] > expected:
            raise broken("missing", expected)
        if e["seq"] < expected:
            raise broken("reordered")
        prev, h, sig = (bytes.fromhex(e[k]) for k in ("prev_hash", "hash", "signature"))
        if not ed25519_ok(device_key, h, sig):
            raise broken("bad_signature")
        if prev != last:
            raise broken("reordered")
        body = None if e["body"] is None else e["body"].encode("utf-8")
        version = e["v"] if e["v"] is not None else (body_version(body) if body is not None else 1)
        digest = bytes.fromhex(e["body_sha256"]) if e["body_sha256"] is not None else (
            sha256(body) if body is not None else None)
        if version == 2:
            if e["incident_id"] is None or digest is None:
                raise broken("malformed")
            if entry_hash_v2(e["seq"], last, device, e["entry_id"], e["incident_id"], digest) != h:
                raise broken("edited")
        if body is not None:
            if digest is not None and digest != sha256(body):
                raise broken("edited")
            if version != 2 and entry_hash_v1(e["seq"], last, device, body) != h:
                raise broken("edited")
            ok, b = body_ok(body)
            if not ok:
                raise broken("malformed")
            if (b["v"] != version or b["entry_id"] != e["entry_id"]
                    or (e["incident_id"] is not None and e["incident_id"] != b["incident_id"])):
                raise broken("edited")
            e["_decoded"] = b
        last = h
        expected += 1
    return expected - 1, last


def verify(data):
    """The verdict for a bundle's bytes ("Verifying a bundle", steps 1-12)."""
    return check_bundle(data, False)[0]


def check_bundle(data, chain_copy):
    """(verdict, payload) of a bundle, or with `chain_copy` of a teammate's chain relayed
    in a package (`vigil.incident-chain.v2`: no bundle signature, no anchor)."""
    fields = [("format", string, False), ("payload", payload_schema, False)]
    if not chain_copy:
        fields.append(("signature", string, False))
    try:
        doc = obj(parse_json(data), fields)
    except Bad:
        return "Unparseable", None
    p = doc["payload"]
    try:
        payload_text = encode_payload(p)
        outer = {"format": doc["format"], "payload": Raw(payload_text)}
        if not chain_copy:
            outer["signature"] = doc["signature"]
        again = enc(outer).encode("utf-8")
    except Bad:
        return "NotCanonical", None
    if again != data:
        return "NotCanonical", None
    if chain_copy:
        formats = {"vigil.incident-chain.v2": (2, None)}
    else:
        formats = {"vigil.incident-bundle.v1": (1, b"VIGIL-BUNDLE-V1"),
                   "vigil.incident-bundle.v2": (2, b"VIGIL-BUNDLE-V2")}
    if doc["format"] not in formats:
        return "UnsupportedFormat", None
    fmt, domain = formats[doc["format"]]
    for e in p["entries"]:
        stated = [e[k] is not None for k in ("v", "incident_id", "body_sha256")]
        if any(s != (fmt == 2) for s in stated):
            return "Unparseable", None
    if chain_copy and p["anchor"] is not None:
        return "Unparseable", None
    if not (lower_hex(p["device_public_key"], 64)
            and (chain_copy or lower_hex(doc["signature"], 128))):
        return "MalformedField", None
    device_key = bytes.fromhex(p["device_public_key"])
    if not chain_copy and not ed25519_ok(device_key, domain + payload_text.encode("utf-8"),
                                         bytes.fromhex(doc["signature"])):
        return "BadBundleSignature", None
    return check_links(p, fmt, device_key), p


def check_links(p, fmt, device_key):
    """Steps 7-12 of "Verifying a bundle"."""
    for e in p["entries"]:
        if e["v"] is not None and e["v"] not in (1, 2):
            return "MalformedField"
        if not (lower_hex(e["prev_hash"], 64) and lower_hex(e["hash"], 64)
                and lower_hex(e["signature"], 128)
                and (e["body_sha256"] is None or lower_hex(e["body_sha256"], 64))):
            return "MalformedField"
    if not lower_hex(p["head_hash"], 64):
        return "MalformedField"
    try:
        head_seq, head_hash = check_chain(p, device_key)
    except Refused as r:
        return r.problem
    if head_seq != p["head_seq"] or head_hash.hex() != p["head_hash"]:
        return "HeadMismatch"
    reports = 0
    for e in p["entries"]:
        b = e.get("_decoded")
        if b is None:
            continue
        if b["incident_id"] not in p["incidents"]:
            return "ScopeMismatch"
        if b["report"] is not None:
            reports += 1
    if reports != len(p["incidents"]):
        return "ScopeMismatch"
    if fmt == 2 and any(e["body"] is None and e["incident_id"] in p["incidents"]
                        for e in p["entries"]):
        return "HiddenHistory"
    a = p["anchor"]
    if a is not None:
        if not lower_hex(a["server_public_key"], 64):
            return "MalformedField"
        r = a["receipt"]
        if not receipt_valid(r, p["device_id"], device_key, bytes.fromhex(a["server_public_key"])):
            return "BadReceipt"
        if head_seq < r["seq"]:
            return "BehindReceipt"
        at = [e for e in p["entries"] if e["seq"] == r["seq"]]
        if not at or at[0]["hash"] != r["hash"]:
            return "ReceiptMismatch"
    return "ok"


# ---- evidence packages (docs/EVIDENCE.md, "Verifying a package") --------------------

MANIFEST = "manifest.json"
# Format 2 names its maker (a device or the team server); format 1 was made by a device.
PACKAGE_FORMATS = {2: (b'{"format":"vigil.evidence-package.v2","payload":', b"VIGIL-PACKAGE-V2"),
                   1: (b'{"format":"vigil.evidence-package.v1","payload":', b"VIGIL-PACKAGE-V1")}
MAKERS = ("device", "team_server")
# The most a manifest, bundle, chain or receipt file may hold; a file past it is not read.
MAX_TEXT_FILE = 32 * 1024 * 1024
SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9._-]+$")
FILE_ROLES = ("readme", "bundle", "chain", "receipt", "attachment")


class Package:
    """The files of a package: a directory or a zip file, as relative '/' paths."""

    def __init__(self, path):
        self.zip = None
        self.root = path
        if os.path.isdir(path):
            self.names = []
            for d, _, files in os.walk(path):
                for f in files:
                    rel = os.path.relpath(os.path.join(d, f), path)
                    self.names.append(rel.replace(os.sep, "/"))
        else:
            self.zip = zipfile.ZipFile(path)
            self.names = [n for n in self.zip.namelist() if not n.endswith("/")]
        self.names.sort()

    def open(self, name):
        if self.zip is not None:
            return self.zip.open(name)
        full = os.path.join(self.root, *name.split("/"))
        if os.path.islink(full):
            raise OSError("a symbolic link")
        return open(full, "rb")

    def read(self, name):
        with self.open(name) as f:
            return f.read()

    def digest(self, name):
        """(sha256, size) streamed."""
        h, size = hashlib.sha256(), 0
        with self.open(name) as f:
            for chunk in iter(lambda: f.read(1 << 16), b""):
                h.update(chunk)
                size += len(chunk)
        return h.digest(), size

    def text(self, name):
        """A whole text file, or TooLarge past MAX_TEXT_FILE (reading stops there)."""
        with self.open(name) as f:
            data = f.read(MAX_TEXT_FILE + 1)
        if len(data) > MAX_TEXT_FILE:
            raise TooLarge()
        return data


class TooLarge(Exception):
    pass


def safe_path(p):
    return 0 < len(p) <= 200 and all(
        s not in ("", ".", "..") and SAFE_SEGMENT.match(s) for s in p.split("/"))


def manifest_schema(v):
    f = obj(v, [("path", string, False), ("role", enum(*FILE_ROLES), False),
                ("sha256", string, False), ("size", integer(0, U64), False)])
    need(safe_path(f["path"]) and f["path"] != MANIFEST and lower_hex(f["sha256"], 64))
    return f


def manifest_attachment(v):
    return obj(v, [("incident_id", string, False), ("attachment_id", string, False),
                   ("sha256", string, False), ("size", integer(0, U64), False),
                   ("mime", string, False), ("path", string, False)])


def anchor_of(v):
    a = anchor_schema(v)
    a["receipt"] = without_absent(a["receipt"], ("device_public_key",))
    return a


def verify_package(path):
    """(problem, file) for a package, ("ok", None) when it verifies."""
    try:
        pkg = Package(path)
    except (OSError, zipfile.BadZipFile):
        return "Unreadable", None
    try:
        return check_package(pkg)
    except TooLarge as e:
        return "TooLarge", e.args[0] if e.args else None


def text_of(pkg, name):
    try:
        return pkg.text(name)
    except TooLarge:
        raise TooLarge(name)


def check_package(pkg):
    if MANIFEST not in pkg.names:
        return "BadManifest", MANIFEST
    data = text_of(pkg, MANIFEST)
    # 1. The signed shape: prefix, payload, 128 hex signature, suffix.
    tail = len(b',"signature":"') + 128 + len(b'"}')
    sig = data[-tail:]
    version = next((v for v, (prefix, _) in PACKAGE_FORMATS.items()
                    if data.startswith(prefix)), None)
    if version is None:
        return "BadManifest", MANIFEST
    prefix, domain = PACKAGE_FORMATS[version]
    if (len(data) < len(prefix) + tail
            or not sig.startswith(b',"signature":"') or not sig.endswith(b'"}')):
        return "BadManifest", MANIFEST
    sig_hex = sig[len(b',"signature":"'):-2].decode("ascii", "replace")
    payload = data[len(prefix):-tail]
    try:
        if version == 1:
            p = obj(parse_json(payload), [
                ("created_at", instant, False), ("device_id", string, False),
                ("device_public_key", string, False), ("incidents", array(string), False),
                ("files", array(manifest_schema), False),
                ("attachments", array(manifest_attachment), False)])
            p["maker"], p["maker_id"] = "device", p.pop("device_id")
            p["public_key"] = p.pop("device_public_key")
        else:
            p = obj(parse_json(payload), [
                ("created_at", instant, False), ("maker", enum(*MAKERS), False),
                ("maker_id", string, False), ("public_key", string, False),
                ("incidents", array(string), False),
                ("files", array(manifest_schema), False),
                ("attachments", array(manifest_attachment), False)])
        need(lower_hex(p["public_key"], 64) and lower_hex(sig_hex, 128))
        need(len({f["path"] for f in p["files"]}) == len(p["files"]))
    except Bad:
        return "BadManifest", MANIFEST
    key = bytes.fromhex(p["public_key"])
    if not ed25519_ok(key, domain + payload, bytes.fromhex(sig_hex)):
        return "BadManifestSignature", MANIFEST
    files = {f["path"]: f for f in p["files"]}
    # 2. Every listed file byte for byte; nothing unlisted.
    for f in p["files"]:
        if f["path"] not in pkg.names:
            return "MissingFile", f["path"]
        digest, size = pkg.digest(f["path"])
        if size != f["size"] or digest.hex() != f["sha256"]:
            return "FileMismatch", f["path"]
    for name in pkg.names:
        if name != MANIFEST and name not in files:
            return "UnlistedFile", name
    # 3. Bundles and chains: a device's package starts with its signed bundle; the team
    #    server's holds chains only.
    chains = [f for f in p["files"] if f["role"] in ("bundle", "chain")]
    if p["maker"] == "device":
        shape_ok = chains and chains[0]["role"] == "bundle" and not any(
            f["role"] == "bundle" for f in chains[1:])
    else:
        shape_ok = all(f["role"] == "chain" for f in chains)
    if not shape_ok:
        return "KeyMismatch", MANIFEST
    disclosed, devices, listed, checked = [], set(), set(), {}
    for f in chains:
        verdict, b = check_bundle(text_of(pkg, f["path"]), f["role"] == "chain")
        if verdict != "ok":
            return "Bundle:" + verdict, f["path"]
        if f["role"] == "bundle" and (b["device_public_key"] != p["public_key"]
                                      or b["device_id"] != p["maker_id"]):
            return "KeyMismatch", f["path"]
        if b["device_id"] in devices:
            return "KeyMismatch", f["path"]
        devices.add(b["device_id"])
        listed.update(b["incidents"])
        for e in b["entries"]:
            body = e.get("_decoded")
            if body is None:
                continue
            if body["report"] is not None:
                refs = body["report"]["attachments"]
            else:
                refs = body["amendment"]["patch"].get("attachments") or []
            disclosed += [(body["incident_id"], r) for r in refs]
        checked[f["path"]] = b
    if sorted(listed) != sorted(p["incidents"]):
        return "KeyMismatch", MANIFEST
    # 4. A bundle's receipt is its anchor; a chain's is valid for it (in the team
    #    server's package: under the manifest's key, and every chain has one).
    for f in p["files"]:
        if f["role"] != "receipt":
            continue
        bundle_path = f["path"].replace("receipts/", "bundles/", 1)
        b = checked.get(bundle_path)
        try:
            stated = anchor_of(parse_json(text_of(pkg, f["path"])))
        except Bad:
            stated = None
        if b is None or stated is None:
            return "ReceiptMismatch", f["path"]
        if files[bundle_path]["role"] == "bundle":
            ok = b["anchor"] is not None and stated == anchor_of_dict(b["anchor"])
        else:
            ok = ((p["maker"] == "device" or stated["server_public_key"] == p["public_key"])
                  and chain_receipt_holds(b, stated))
        if not ok:
            return "ReceiptMismatch", f["path"]
    if p["maker"] == "team_server":
        for path in checked:
            r = files.get(path.replace("bundles/", "receipts/", 1))
            if r is None or r["role"] != "receipt":
                return "ReceiptMismatch", path
    # 5. Attachments: named by their SHA-256, referenced by a signed entry, all present.
    for f in p["files"]:
        if f["role"] == "attachment":
            stem = f["path"].rsplit("/", 1)[-1].split(".")[0]
            if not f["path"].startswith("attachments/") or stem != f["sha256"]:
                return "AttachmentMismatch", f["path"]
    for a in p["attachments"]:
        signed = any(i == a["incident_id"] and r["id"] == a["attachment_id"]
                     and r["sha256"] == a["sha256"] and r["size"] == a["size"]
                     and r["mime"] == a["mime"] for i, r in disclosed)
        f = files.get(a["path"])
        if not signed or f is None or f["role"] != "attachment" or (
                f["sha256"], f["size"]) != (a["sha256"], a["size"]):
            return "AttachmentMismatch", a["path"]
    for i, r in disclosed:
        if not any(a["incident_id"] == i and a["attachment_id"] == r["id"]
                   for a in p["attachments"]):
            return "MissingAttachment", MANIFEST
    for f in p["files"]:
        if f["role"] == "attachment" and not any(
                a["path"] == f["path"] for a in p["attachments"]):
            return "AttachmentMismatch", MANIFEST
    return "ok", None


def chain_receipt_holds(chain, anchor):
    """A chain copy's receipt: valid under its server key for this device and key, and
    the chain reaches its seq with its hash."""
    if not lower_hex(anchor["server_public_key"], 64):
        return False
    r = dict(anchor["receipt"])
    r.setdefault("device_public_key", None)  # anchor_of leaves an absent key out
    if not receipt_valid(r, chain["device_id"], bytes.fromhex(chain["device_public_key"]),
                         bytes.fromhex(anchor["server_public_key"])):
        return False
    if chain["head_seq"] < r["seq"]:
        return False
    at = [e for e in chain["entries"] if e["seq"] == r["seq"]]
    return bool(at) and at[0]["hash"] == r["hash"]


def anchor_of_dict(a):
    out = dict(a)
    out["receipt"] = without_absent(a["receipt"], ("device_public_key",))
    return out


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    status = 0
    for path in argv[1:]:
        if os.path.isdir(path) or path.lower().endswith(".zip"):
            problem, file = verify_package(path)
            verdict = problem if file is None else "%s:%s" % (problem, file)
        else:
            with open(path, "rb") as f:
                verdict = verify(f.read())
        print("%s  %s" % (verdict, path))
        if verdict != "ok":
            status = 5
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))

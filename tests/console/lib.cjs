// What the console's end-to-end runs share, whatever the browser: the real vigil-server
// and `vigil` CLI (devices) on loopback, console users with TOTP, the advance work and
// incidents a team's devices sync, and the ok/FAIL report.
"use strict";

const { spawn, spawnSync } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");

const VIGIL = process.env.VIGIL || "target/debug/vigil";
const SERVER = process.env.VIGIL_SERVER || "target/debug/vigil-server";
const PASS = "correct horse battery staple";
const CHECK_TIMEOUT_MS = 60000;

const work = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-console-"));
const children = [];
const results = [];
let failures = 0;

function log(...a) { console.log(...a); }

// ---------------------------------------------------------------------------------------
// Processes

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", input: opts.input, env: { ...process.env, ...(opts.env || {}) } });
  if (r.status !== 0 && !opts.mayFail) {
    throw new Error(`${path.basename(cmd)} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  }
  return r;
}

/// A vigil-server on a free loopback port. With `tls`, over HTTPS with a fresh self-signed
/// certificate for 127.0.0.1 (openssl): `pin` is then the pin devices enroll with.
function startServer(name, extra = [], { tls = false, listen = "127.0.0.1:0" } = {}) {
  const dir = path.join(work, name);
  let pin = null;
  if (tls) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const cert = path.join(dir, "cert.pem"), key = path.join(dir, "key.pem");
    run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
      "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
      "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
      // A server's certificate, not a CA's (openssl's default): webpki refuses a CA as a leaf.
      "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "extendedKeyUsage=serverAuth",
      "-addext", "keyUsage=digitalSignature"]);
    fs.chmodSync(key, 0o600);
    pin = run(SERVER, ["admin", "pin", "--tls-cert", cert]).stdout.trim();
    extra = ["--tls-cert", cert, "--tls-key", key, ...extra];
  }
  return new Promise((resolve, reject) => {
    const p = spawn(SERVER, ["--data-dir", dir, "--listen", listen, ...extra], { stdio: ["ignore", "pipe", "pipe"] });
    children.push(p);
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${out}`)), 20000);
    p.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (\S+)/);
      if (m) { clearTimeout(timer); resolve({ dir, url: `${tls ? "https" : "http"}://${m[1]}`, pin, proc: p }); }
    });
    p.stderr.on("data", () => {});
    p.on("exit", (c) => reject(new Error(`${name} exited ${c}: ${out}`)));
  });
}

/// `vigil enroll` arguments for a server (its pin when it serves HTTPS).
function enrollArgs(server, code, officer) {
  return ["enroll", server.url, code, "--officer", officer, ...(server.pin ? ["--pin", server.pin] : [])];
}

function admin(server, args, input) {
  return run(SERVER, ["--data-dir", server.dir, "admin", ...args], { input }).stdout.trim();
}

/// Creates a console user; returns its TOTP secret (base32) from the otpauth URI.
function createUser(server, name, role, team) {
  const out = admin(server, ["create-user", name, "--role", role, "--team", team], PASS + "\n");
  const m = out.match(/secret=([A-Z2-7]+)/);
  if (!m) throw new Error("no otpauth URI: " + out);
  return m[1];
}

function base32decode(s) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0, value = 0; const out = [];
  for (const c of s) {
    value = (value << 5) | alphabet.indexOf(c); bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
  }
  return Buffer.from(out);
}

/// RFC 6238 (SHA-1, 6 digits, 30 s): the code of step `step`.
function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac("sha1", base32decode(secret)).update(counter).digest();
  const o = mac[mac.length - 1] & 15;
  const bin = ((mac[o] & 127) << 24) | (mac[o + 1] << 16) | (mac[o + 2] << 8) | mac[o + 3];
  return String(bin % 1000000).padStart(6, "0");
}

// A code works once: each sign-in of a user takes the next unused step, from the current
// one (the server accepts one step either side of its clock: a code of the step before
// would fail when a step ends between here and the server's check).
const usedStep = {};
function nextCode(secret) {
  const now = Math.floor(Date.now() / 30000);
  let step = Math.max(now, (usedStep[secret] ?? -1) + 1);
  if (step > now + 1) throw new Error("no unused TOTP step left");
  usedStep[secret] = step;
  return totp(secret, step);
}

/// A device: an encrypted store driven by the `vigil` CLI.
function device(name, officer) {
  const dir = path.join(work, name);
  const env = { VIGIL_PASSPHRASE: PASS, VIGIL_OFFICER: officer };
  const v = (args, opts = {}) => run(VIGIL, ["--data-dir", dir, "--json", ...args], { env, ...opts });
  v(["init", "--exist-ok"]);
  return { dir, v, json: (args) => JSON.parse(v(args).stdout) };
}

// ---------------------------------------------------------------------------------------
// Data a team's devices sync before the leader looks

const ROUTE = {
  type: "FeatureCollection",
  features: [{
    type: "Feature", properties: { name: "Hotel to conference centre" },
    geometry: { type: "LineString", coordinates: [[-0.1527, 51.5030], [-0.1470, 51.5010], [-0.1400, 51.5005], [-0.1340, 51.5010], [-0.1290, 51.5007]] },
  }],
};

function seed(d) {
  const venue = d.json(["venue", "add", "--name", "QEII Centre", "--address", "Broad Sanctuary, London", "--lat", "51.5007", "--lon", "-0.1290"]);
  const venueId = (venue.venue || venue).id;
  d.v(["venue", "add", "--name", "The Lanesborough (hotel)", "--lat", "51.5030", "--lon", "-0.1527"]);
  d.v(["haven", "add", "--kind", "hospital", "--name", "St Thomas' Hospital A&E", "--lat", "51.4988", "--lon", "-0.1187"]);
  d.v(["haven", "add", "--kind", "police", "--name", "Charing Cross Police Station", "--lat", "51.5090", "--lon", "-0.1246"]);
  const routeFile = path.join(work, "route.geojson");
  fs.writeFileSync(routeFile, JSON.stringify(ROUTE));
  const routes = d.json(["route", "import", routeFile, "--journey", "day-1"]);
  const routeId = routes.routes[0].id;
  const walk = d.json(["checklist", "start", "vigil.venue-advance", "--venue", venueId, "--officer", "Bravo 2"]);
  const w = walk.walk_id;
  d.v(["checklist", "answer", w, "armed_working", "No", "--officer", "Bravo 2"]);
  d.v(["checklist", "answer", w, "drop_off", "ok", "--officer", "Bravo 2"]);
  d.v(["checklist", "answer", w, "fire_exits", "issue", "--issue", "--note", "East stair door chained", "--officer", "Bravo 2"]);
  d.v(["checklist", "answer", w, "toilets", "ok", "--officer", "Bravo 2"]);
  const logged = (args) => d.json(["incident", "log", ...args]).logged.incident_id;
  logged(["--category", "suspicious-activity", "--severity", "low", "--narrative", "Man photographing the motorcade bay from the bus stop", "--lat", "51.5012", "--lon", "-0.1296", "--venue", venueId]);
  const id = logged(["--category", "road-or-vehicle", "--severity", "medium", "--narrative", "Motorbike followed the convoy for three junctions", "--lat", "51.5008", "--lon", "-0.1420", "--route", routeId]);
  d.v(["incident", "amend", id, "--reason", "registration read from the dashcam", "--severity", "high", "--tag", "follow"]);
  logged(["--category", "media", "--severity", "info", "--narrative", "Two photographers at the hotel entrance", "--lat", "51.5031", "--lon", "-0.1524"]);
  return { venueId, routeId };
}

// ---------------------------------------------------------------------------------------
// Report

async function check(name, f) {
  const t0 = Date.now();
  let timer;
  try {
    // A hung driver fails its check instead of the whole run.
    await Promise.race([f(), new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${CHECK_TIMEOUT_MS / 1000} s`)), CHECK_TIMEOUT_MS);
    })]);
    results.push(`ok   ${name}`);
    log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failures++;
    results.push(`FAIL ${name}: ${e.message}`);
    log(`FAIL ${name}: ${e.message}\n${e.stack}`);
  } finally {
    clearTimeout(timer);
  }
}

function assert(cond, msg) { if (!cond) throw new Error(msg); }

/// Runs `main`, then stops the servers, removes the work directory and prints the
/// closing line tests/run reads ("console e2e (ENGINE): N passed, M failed").
function runMain(engine, main) {
  main()
    .catch((e) => { failures++; log(`FAIL setup: ${e.stack}`); })
    .finally(() => {
      for (const c of children) c.kill("SIGTERM");
      fs.rmSync(work, { recursive: true, force: true });
      log(`\nconsole e2e (${engine}): ${results.filter((r) => r.startsWith("ok")).length} passed, ${failures} failed`);
      process.exit(failures ? 1 : 0);
    });
}

module.exports = { PASS, work, log, run, startServer, enrollArgs, admin, createUser, nextCode, device, seed, check, assert, runMain };

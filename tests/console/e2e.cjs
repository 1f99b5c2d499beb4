// End-to-end tests of the web console in headless Chromium (Playwright), against the
// real vigil-server binary and real devices (the `vigil` CLI) on loopback.
//
//   node e2e.cjs            the tests
//   node e2e.cjs --shots D  the same run, also saving a screenshot of every page into D
//
// Environment: VIGIL (the CLI), VIGIL_SERVER (the server), CHROMIUM (default
// /usr/bin/chromium). Modules (playwright-core, axe-core) come from NODE_PATH
// (tests/console/run installs them under .tools/console).
"use strict";

const { chromium } = require("playwright-core");
const axeSource = require("fs").readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const { spawn, spawnSync } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");

const VIGIL = process.env.VIGIL || "target/debug/vigil";
const SERVER = process.env.VIGIL_SERVER || "target/debug/vigil-server";
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const PASS = "correct horse battery staple";
const shotsAt = process.argv.indexOf("--shots");
const SHOTS = shotsAt > 0 ? path.resolve(process.argv[shotsAt + 1]) : null;

const work = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-console-"));
const children = [];
let failures = 0;
const results = [];

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

function startServer(name, extra = []) {
  const dir = path.join(work, name);
  return new Promise((resolve, reject) => {
    const p = spawn(SERVER, ["--data-dir", dir, "--listen", "127.0.0.1:0", ...extra], { stdio: ["ignore", "pipe", "pipe"] });
    children.push(p);
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${out}`)), 20000);
    p.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (\S+)/);
      if (m) { clearTimeout(timer); resolve({ dir, url: `http://${m[1]}`, proc: p }); }
    });
    p.stderr.on("data", () => {});
    p.on("exit", (c) => reject(new Error(`${name} exited ${c}: ${out}`)));
  });
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

// A code works once: each sign-in of a user takes the next unused step (one step ahead
// of the clock is accepted).
const usedStep = {};
function nextCode(secret) {
  const now = Math.floor(Date.now() / 30000);
  let step = Math.max(now - 1, (usedStep[secret] ?? -1) + 1);
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
// Browser helpers

async function check(name, f) {
  try {
    await f();
    results.push(`ok   ${name}`);
    log(`ok   ${name}`);
  } catch (e) {
    failures++;
    results.push(`FAIL ${name}: ${e.message}`);
    log(`FAIL ${name}\n${e.stack}`);
  }
}

function assert(cond, msg) { if (!cond) throw new Error(msg); }

async function newContext(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
  const page = await ctx.newPage();
  page.cspErrors = [];
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/i.test(m.text())) page.cspErrors.push(m.text());
  });
  page.on("dialog", (d) => d.accept());
  return { ctx, page };
}

async function signIn(page, server, name, secret) {
  await page.goto(`${server.url}/console/login`);
  await page.fill("#name", name);
  await page.fill("#passphrase", PASS);
  await page.fill("#code", nextCode(secret));
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
}

/// axe-core on the page as it is: no serious or critical violation.
async function accessible(page, label) {
  await page.evaluate(axeSource);
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = r.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert(bad.length === 0, `${label}: axe violations: ` +
    bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`).join("; "));
  assert(page.cspErrors.length === 0, `${label}: content security policy errors: ${page.cspErrors.join("; ")}`);
}

async function shot(page, name) {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.waitForTimeout(400); // the map's fit animation
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
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
// Passkeys (WebAuthn), Chromium only: Chrome DevTools Protocol's virtual authenticator
// (internal transport, resident keys, user verification) stands in for a phone or a
// laptop's platform authenticator. WebAuthn refuses IP addresses, so this server is
// opened as http://localhost:PORT (a secure context) and told so (--console-origin).

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = require("net").createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => { const p = srv.address().port; srv.close(() => resolve(p)); });
  });
}

async function passkeyScenario(browser) {
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const started = await startServer("passkeys", ["--listen", `127.0.0.1:${port}`, "--console-origin", origin]);
  const server = { ...started, url: origin };
  const team = admin(server, ["create-team", "Alpha"]);
  const secret = createUser(server, "keyholder", "leader", team);
  const P = await newContext(browser);
  const page = P.page;
  const cdp = await P.ctx.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true },
  });

  await check("passkeys: a signed-in user registers a passkey on the accessible account page", async () => {
    await signIn(page, server, "keyholder", secret);
    assert(page.url().endsWith("/console/incidents"), "not signed in: " + page.url());
    await page.goto(`${origin}/console/account`);
    await accessible(page, "account");
    await page.fill("#passkey-name", "This laptop");
    await Promise.all([page.waitForNavigation(), page.click("#add-passkey-button")]);
    const rows = await page.$$eval("#passkeys tbody tr", (l) => l.map((r) => r.textContent));
    assert(rows.length === 1 && rows[0].includes("This laptop"), "passkeys listed: " + JSON.stringify(rows));
    const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
    assert(credentials.length === 1 && credentials[0].isResidentCredential, "authenticator: " + JSON.stringify(credentials));
    await accessible(page, "account with a passkey");
    await shot(page, "account");
  });

  await check("passkeys: sign in with the passkey alone (no passphrase, no code)", async () => {
    await Promise.all([page.waitForNavigation(), page.click(".who button[type=submit]")]);
    assert(page.url().endsWith("/console/login"), "not signed out: " + page.url());
    await page.waitForSelector("#passkey-signin-button", { state: "visible" });
    await accessible(page, "login with passkeys");
    await shot(page, "login-passkey");
    await Promise.all([page.waitForURL("**/console/incidents"), page.click("#passkey-signin-button")]);
    const c = (await P.ctx.cookies()).find((c) => c.name === "vigil_console");
    assert(c && c.httpOnly && c.secure && c.sameSite === "Strict", "session cookie: " + JSON.stringify(c));
    await page.goto(`${origin}/console/audit`);
    const audit = await page.textContent("#audit");
    assert(audit.includes("signed in with a passkey") && audit.includes("passkey added"), "audit: " + audit);
  });

  await check("passkeys: a removed passkey no longer signs in", async () => {
    await page.goto(`${origin}/console/account`);
    await Promise.all([page.waitForNavigation(), page.click("#passkeys button.danger")]);
    assert(await page.isVisible("#no-passkeys"), "the passkey is still listed");
    await Promise.all([page.waitForNavigation(), page.click(".who button[type=submit]")]);
    await page.waitForSelector("#passkey-signin-button", { state: "visible" });
    await page.click("#passkey-signin-button");
    await page.waitForFunction(() => /not registered/.test(document.getElementById("passkey-status").textContent));
    assert(page.url().endsWith("/console/login"), "signed in with a removed passkey: " + page.url());
  });
  await P.ctx.close();
}

// ---------------------------------------------------------------------------------------

async function main() {
  const server = await startServer("server");
  const alpha = admin(server, ["create-team", "Alpha"]);
  const bravo = admin(server, ["create-team", "Bravo"]);
  const lead = createUser(server, "lead", "leader", "Alpha");
  const watch = createUser(server, "watch", "viewer", alpha);
  const other = createUser(server, "other", "leader", bravo);

  // A first officer's device, enrolled with the administrator's code, syncs the advance work.
  const d1 = device("officer-1", "Bravo 2");
  d1.v(["enroll", server.url, admin(server, ["issue-code", alpha]), "--officer", "Bravo 2"]);
  seed(d1);
  d1.v(["sync"]);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    // Playwright gives every launch a fresh, empty user data directory of its own (it
    // refuses --user-data-dir among the arguments).
  });
  try {
    const L = await newContext(browser);
    const page = L.page;
    let code = null, d2 = null, incident = null;

    await check("login page is accessible", async () => {
      await page.goto(`${server.url}/console/login`);
      await accessible(page, "login");
      await shot(page, "login");
    });

    await check("leader signs in with passphrase and TOTP; the session cookie is HttpOnly, Secure, SameSite=Strict", async () => {
      await signIn(page, server, "lead", lead);
      assert(page.url().endsWith("/console/incidents"), "not on the incidents page: " + page.url());
      const cookies = await L.ctx.cookies();
      const c = cookies.find((c) => c.name === "vigil_console");
      assert(c && c.httpOnly && c.secure && c.sameSite === "Strict", "session cookie: " + JSON.stringify(c));
      const js = await page.evaluate(() => document.cookie);
      assert(!js.includes("vigil_console"), "the session cookie is readable by scripts");
    });

    await check("leader issues an enrollment code, shown as text and QR", async () => {
      await page.goto(`${server.url}/console/team`);
      await Promise.all([page.waitForNavigation(), page.click("#issue-code")]);
      code = (await page.textContent("#enrollment-code")).trim();
      assert(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/.test(code), "code: " + code);
      assert(await page.isVisible(".qr svg"), "no QR code");
      await accessible(page, "team");
      await shot(page, "team");
    });

    await check("a device enrolls with the console's code", async () => {
      d2 = device("officer-2", "Charlie 1");
      d2.v(["enroll", server.url, code, "--officer", "Charlie 1"]);
    });

    await check("the incidents page is accessible and maps the team's incidents", async () => {
      await page.goto(`${server.url}/console/incidents`);
      await page.waitForSelector(".leaflet-interactive");
      const markers = await page.$$eval(".leaflet-interactive", (l) => l.length);
      assert(markers >= 3, "markers on the map: " + markers);
      await accessible(page, "incidents");
    });

    await check("an incident with a photo synced by the device appears live on the open page", async () => {
      const photoFile = path.join(work, "photo.png");
      await page.screenshot({ path: photoFile, clip: { x: 0, y: 0, width: 320, height: 200 } });
      incident = d2.json(["incident", "log", "--category", "hostile-surveillance", "--severity", "high",
        "--narrative", "Grey van opposite the QEII entrance for 40 minutes, two occupants",
        "--lat", "51.5005", "--lon", "-0.1300"]).logged.incident_id;
      d2.v(["incident", "attach", incident, photoFile]);
      const before = await page.$$eval("#incident-rows tr", (r) => r.length);
      d2.v(["sync"]);
      await page.waitForSelector(`#incident-rows tr[data-id="${incident}"]`, { timeout: 20000 });
      const after = await page.$$eval("#incident-rows tr", (r) => r.length);
      assert(after === before + 1, `rows ${before} -> ${after}`);
      assert(page.url().endsWith("/console/incidents"), "the page was reloaded");
      await shot(page, "incidents");
    });

    await check("the incident's detail shows its history, chain state and the photo, which opens", async () => {
      await Promise.all([page.waitForNavigation(), page.click(`#incident-rows tr[data-id="${incident}"] a`)]);
      const text = await page.textContent("main");
      assert(text.includes("Grey van opposite the QEII entrance"), "narrative missing");
      assert(text.includes("covered by the anchored head"), "chain state missing");
      assert((await page.$$("#history tbody tr")).length === 2, "report + attachment amendment");
      await page.waitForSelector(".photos img");
      const ok = await page.$eval(".photos img", (img) => img.complete && img.naturalWidth === 320);
      assert(ok, "the photo did not render");
      const src = await page.$eval(".photos img", (img) => img.src);
      const r = await page.request.get(src);
      assert(r.status() === 200, "photo status " + r.status());
      assert(Buffer.compare(await r.body(), fs.readFileSync(path.join(work, "photo.png"))) === 0, "photo bytes differ");
      await accessible(page, "incident");
      await shot(page, "incident");
    });

    await check("advance page shows venues, havens, routes and the walk", async () => {
      await page.goto(`${server.url}/console/advance`);
      const text = await page.textContent("main");
      for (const s of ["QEII Centre", "St Thomas' Hospital A&E", "Hotel to conference centre", "East stair door chained"]) {
        assert(text.includes(s), "missing: " + s);
      }
      await page.waitForSelector(".leaflet-interactive");
      await accessible(page, "advance");
      await shot(page, "advance");
    });

    await check("exports page is accessible; a leader downloads the signed entries of a selection", async () => {
      await page.goto(`${server.url}/console/exports`);
      await accessible(page, "exports");
      await shot(page, "exports");
      await page.selectOption("#category", "hostile_surveillance");
      const [dl] = await Promise.all([page.waitForEvent("download"), page.click("#export-entries")]);
      const doc = JSON.parse(fs.readFileSync(await dl.path(), "utf8"));
      assert(doc.format === "vigil.console-export/1", "format " + doc.format);
      assert(doc.incidents.length === 1 && doc.incidents[0].incident_id === incident, "selection");
      assert(doc.incidents[0].entries.length === 2, "entries");
      assert(doc.devices.every((d) => d.receipt && d.public_key.length === 64), "devices");
    });

    await check("a leader downloads the PDF report of the same selection", async () => {
      const [dl] = await Promise.all([page.waitForEvent("download"), page.click("#export-report")]);
      assert(/\.pdf$/.test(dl.suggestedFilename()), "file name " + dl.suggestedFilename());
      const pdf = fs.readFileSync(await dl.path());
      assert(pdf.subarray(0, 5).toString("latin1") === "%PDF-", "a PDF");
      assert(pdf.length > 10000, "a PDF with embedded fonts, " + pdf.length + " bytes");
    });

    await check("dark colour scheme: pages stay accessible", async () => {
      await page.emulateMedia({ colorScheme: "dark" });
      for (const p of ["incidents", `incidents/${incident}`, "team", "advance"]) {
        await page.goto(`${server.url}/console/${p}`);
        await accessible(page, `${p} (dark)`);
      }
      await page.goto(`${server.url}/console/incidents`);
      await page.waitForSelector(".leaflet-interactive");
      await shot(page, "incidents-dark");
      await page.emulateMedia({ colorScheme: "light" });
    });

    await check("on a tablet (portrait) nothing overflows the page", async () => {
      const T = await browser.newContext({ viewport: { width: 820, height: 1180 }, isMobile: true, hasTouch: true });
      const tp = await T.newPage();
      await T.addCookies(await L.ctx.cookies());
      for (const p of ["incidents", `incidents/${incident}`, "team", "advance", "audit"]) {
        await tp.goto(`${server.url}/console/${p}`);
        const over = await tp.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert(over <= 0, `${p}: ${over} px wider than the screen`);
      }
      await tp.goto(`${server.url}/console/incidents`);
      await tp.waitForSelector(".leaflet-interactive");
      await shot(tp, "incidents-tablet");
      await T.close();
    });

    await check("a forged CSRF token is refused and nothing is revoked", async () => {
      await page.goto(`${server.url}/console/team`);
      await page.$$eval("input[name=csrf]", (l) => l.forEach((i) => { i.value = "f".repeat(64); }));
      const [resp] = await Promise.all([
        page.waitForNavigation(),
        page.click("button.danger >> nth=0"),
      ]);
      assert(resp.status() === 403, "status " + resp.status());
      assert((await page.textContent("main")).includes("Form refused"), "no refusal");
      d2.v(["sync"]);
    });

    await check("leader revokes the device; its next sync is refused", async () => {
      await page.goto(`${server.url}/console/team`);
      const row = `tr:has-text("Charlie 1")`;
      await Promise.all([page.waitForNavigation(), page.click(`${row} button.danger`)]);
      assert((await page.textContent(row)).includes("Revoked"), "not shown revoked");
      d2.v(["incident", "log", "--category", "other", "--narrative", "after revocation"]);
      const r = d2.v(["sync"], { mayFail: true });
      assert(r.status !== 0, "a revoked device synced");
      assert(JSON.parse(r.stderr).error.kind === "revoked", "error: " + r.stderr);
    });

    await check("the audit log shows the console's actions", async () => {
      await page.goto(`${server.url}/console/audit`);
      const text = await page.textContent("#audit");
      for (const s of ["signed in", "enrollment code issued", "attachment opened", "device revoked", "export"]) {
        assert(text.includes(s), "missing: " + s);
      }
      assert(!text.includes(code), "the audit log holds the code");
      await accessible(page, "audit");
      await shot(page, "audit");
    });

    await check("a viewer reads but cannot issue codes or revoke", async () => {
      const V = await newContext(browser);
      await signIn(V.page, server, "watch", watch);
      await V.page.goto(`${server.url}/console/incidents/${incident}`);
      assert((await V.page.textContent("main")).includes("Grey van"), "viewer cannot read");
      await V.page.goto(`${server.url}/console/team`);
      assert(!(await V.page.$("#issue-code")), "viewer has the issue button");
      assert(!(await V.page.$("button.danger")), "viewer has revoke buttons");
      const csrf = await V.page.getAttribute("input[name=csrf]", "value");
      const status = await V.page.evaluate(async (csrf) => {
        const r = await fetch("/console/team/codes", { method: "POST", body: new URLSearchParams({ csrf }) });
        return r.status;
      }, csrf);
      assert(status === 403, "viewer issued a code: " + status);
      await V.ctx.close();
    });

    await check("a user of another team sees nothing of this one", async () => {
      const O = await newContext(browser);
      await signIn(O.page, server, "other", other);
      const list = await O.page.textContent("main");
      assert(!list.includes("Grey van") && !list.includes("Motorbike"), "other team sees incidents");
      const r = await O.page.goto(`${server.url}/console/incidents/${incident}`);
      assert(r.status() === 404, "detail status " + r.status());
      await O.page.goto(`${server.url}/console/team`);
      assert(!(await O.page.textContent("main")).includes("Charlie 1"), "other team sees devices");
      await O.page.goto(`${server.url}/console/advance`);
      assert(!(await O.page.textContent("main")).includes("QEII"), "other team sees venues");
      await O.ctx.close();
    });

    await L.ctx.close();

    // A second server whose sessions end after 2 s idle; its logins are then brute-forced.
    const short = await startServer("short", ["--console-idle-seconds", "2"]);
    const sTeam = admin(short, ["create-team", "Alpha"]);
    const sLead = createUser(short, "lead", "leader", sTeam);

    await check("an expired session is refused", async () => {
      const S = await newContext(browser);
      await signIn(S.page, short, "lead", sLead);
      assert(S.page.url().endsWith("/console/incidents"), "not signed in");
      await S.page.waitForTimeout(3000);
      await S.page.goto(`${short.url}/console/team`);
      assert(S.page.url().endsWith("/console/login"), "expired session still works: " + S.page.url());
      await S.ctx.close();
    });

    await check("a brute-forced login is refused", async () => {
      const B = await newContext(browser);
      let last = 0;
      for (let i = 0; i < 7; i++) {
        await B.page.goto(`${short.url}/console/login`);
        await B.page.fill("#name", "lead");
        await B.page.fill("#passphrase", `guess number ${i}`);
        await B.page.fill("#code", "123456");
        const [r] = await Promise.all([B.page.waitForNavigation(), B.page.click("button[type=submit]")]);
        last = r.status();
      }
      assert(last === 429, "status after 7 wrong logins: " + last);
      // Even the right answer waits now.
      await B.page.goto(`${short.url}/console/login`);
      await B.page.fill("#name", "lead");
      await B.page.fill("#passphrase", PASS);
      await B.page.fill("#code", nextCode(sLead));
      const [r] = await Promise.all([B.page.waitForNavigation(), B.page.click("button[type=submit]")]);
      assert(r.status() === 429, "right answer during throttling: " + r.status());
      await B.ctx.close();
    });

    // Chromium only (the DevTools Protocol's virtual authenticator).
    await passkeyScenario(browser);
  } finally {
    await browser.close();
  }
}

main()
  .catch((e) => { failures++; log(`FAIL setup: ${e.stack}`); })
  .finally(() => {
    for (const c of children) c.kill("SIGTERM");
    fs.rmSync(work, { recursive: true, force: true });
    log(`\nconsole e2e: ${results.filter((r) => r.startsWith("ok")).length} passed, ${failures} failed`);
    process.exit(failures ? 1 : 0);
  });

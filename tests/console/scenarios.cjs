// The console's end-to-end scenarios, written once for every engine against the small
// driver interface of drivers.cjs. A few checks need what only Playwright gives (browser
// downloads): they run where `s.pw` is set (Chromium).
"use strict";

const fs = require("fs");
const path = require("path");
const zlib = require("zlib");
const { PASS, work, startServer, enrollArgs, admin, createUser, nextCode, device, seed, check, assert } = require("./lib.cjs");

const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/// A 320x200 RGB PNG (a gradient), the photo a device attaches.
function photoPng(width = 320, height = 200) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2; // 8 bits, RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = y * (width * 3 + 1) + 1 + x * 3;
      raw[o] = (x * 255) / width; raw[o + 1] = (y * 255) / height; raw[o + 2] = 128;
    }
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

/// `scenarios(browser, { shots })`: every check, against a fresh server of its own.
async function scenarios(browser, { shots = null } = {}) {
  const engine = browser.engine;
  const at = (url) => url.replace(/[?#].*$/, "");

  async function signIn(s, server, name, secret) {
    await s.goto(`${server.url}/console/login`);
    await s.fill("#name", name);
    await s.fill("#passphrase", PASS);
    await s.fill("#code", nextCode(secret));
    return s.submit("button[type=submit]");
  }

  /// axe-core on the page as it is: no serious or critical violation, and no content
  /// security policy error where the driver reports console messages.
  async function accessible(s, label) {
    await s.script(axeSource);
    const r = await s.eval(() => window.axe.run(document, { resultTypes: ["violations"] }));
    const bad = r.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    assert(bad.length === 0, `${label}: axe violations: ` +
      bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`).join("; "));
    if (s.cspErrors) assert(s.cspErrors.length === 0, `${label}: content security policy errors: ${s.cspErrors.join("; ")}`);
  }

  /// Every mark on the map (markers' discs, lines' strokes, each with its opacity) stands
  /// out from the map's plain background by WCAG's non-text contrast (1.4.11): at least
  /// 3:1, in the colour scheme in use.
  async function mapMarksContrast(s, label) {
    const [count, lowest] = await s.eval(() => {
      const rgb = (c) => c.match(/[\d.]+/g).map(Number).slice(0, 3);
      const lum = (c) => {
        const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
      };
      const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
      const bg = rgb(getComputedStyle(document.getElementById("map")).backgroundColor);
      const over = (c, alpha) => c.map((v, i) => v * alpha + bg[i] * (1 - alpha));
      const marks = [...document.querySelectorAll("#map path.leaflet-interactive")].map((p) => {
        const st = getComputedStyle(p);
        const filled = st.fill !== "none" && Number(st.fillOpacity) >= 0.5;
        return filled ? over(rgb(st.fill), Number(st.fillOpacity)) : over(rgb(st.stroke), Number(st.strokeOpacity));
      });
      return [marks.length, Math.min(...marks.map((c) => ratio(c, bg)))];
    });
    assert(count > 0, `${label}: no mark on the map`);
    assert(lowest >= 3, `${label}: a map mark has contrast ${lowest.toFixed(2)}:1 against the map (3:1 needed)`);
  }

  /// The names of places on the map all read: no name covers another name, a place's
  /// point or the zoom buttons, and none runs out of the map.
  async function mapLabelsClear(s, label) {
    const [names, problems] = await s.eval(() => {
      const box = (el) => { const r = el.getBoundingClientRect(); return { x: r.left, y: r.top, w: r.width, h: r.height }; };
      const overlap = (a, b) => Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x)) *
        Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
      const map = box(document.getElementById("map"));
      const labels = [...document.querySelectorAll("#map .leaflet-tooltip")].map((el) => ({ text: el.textContent, at: box(el) }));
      // Points are the small marks (a disc of radius 9 and its ring); lines are larger.
      const points = [...document.querySelectorAll("#map path.leaflet-interactive")].map(box).filter((b) => b.w <= 30 && b.h <= 30);
      const controls = [...document.querySelectorAll("#map .leaflet-control")].map(box);
      const found = [];
      labels.forEach((l, i) => {
        const outside = l.at.w * l.at.h - overlap(l.at, map);
        if (outside > 0.5) found.push(`"${l.text}" runs out of the map`);
        labels.slice(i + 1).forEach((o) => { if (overlap(l.at, o.at) > 0.5) found.push(`"${l.text}" covers "${o.text}"`); });
        if (controls.some((c) => overlap(l.at, c) > 0.5)) found.push(`"${l.text}" covers the zoom buttons`);
        const covered = points.filter((p) => overlap(l.at, p) > 0.5).length;
        if (covered) found.push(`"${l.text}" covers ${covered} point(s)`);
      });
      return [labels.length, found];
    });
    assert(names > 0, `${label}: no place name on the map`);
    assert(problems.length === 0, `${label}: ${problems.join("; ")}`);
  }

  /// The docs' screenshots come from Chromium (docs/console/NAME.png); the other engines
  /// prefix theirs (ENGINE-NAME.png).
  async function shot(s, name) {
    if (!shots) return;
    fs.mkdirSync(shots, { recursive: true });
    await s.wait(400); // the map's fit animation
    await s.screenshot(path.join(shots, engine === "chromium" ? `${name}.png` : `${engine}-${name}.png`));
  }

  // WebKitGTK keeps no `Secure` cookie from a plain-HTTP page, even on loopback: it
  // gets the console over HTTPS, as in a deployment (the others get http://127.0.0.1).
  const tls = !!browser.needsTls;
  const server = await startServer("server", [], { tls });
  const alpha = admin(server, ["create-team", "Alpha"]);
  const bravo = admin(server, ["create-team", "Bravo"]);
  const lead = createUser(server, "lead", "leader", "Alpha");
  const watch = createUser(server, "watch", "viewer", alpha);
  const other = createUser(server, "other", "leader", bravo);

  // A first officer's device, enrolled with the administrator's code, syncs the advance work.
  const d1 = device("officer-1", "Bravo 2");
  d1.v(enrollArgs(server, admin(server, ["issue-code", alpha]), "Bravo 2"));
  seed(d1);
  d1.v(["sync"]);

  const s = await browser.session();
  let code = null, d2 = null, incident = null;
  const photo = photoPng();

  // A second officer's phone on a poor link: its report went, its photo waits (the Team
  // page shows what each device last reported it still has to send).
  const d3 = device("officer-3", "Delta 3");
  d3.v(enrollArgs(server, admin(server, ["issue-code", alpha]), "Delta 3"));
  const press = d3.json(["incident", "log", "--category", "media", "--severity", "info",
    "--narrative", "Press van parked at the hotel's side door", "--lat", "51.5033", "--lon", "-0.1531"]).logged.incident_id;
  const pressPhoto = path.join(work, "press.png");
  fs.writeFileSync(pressPhoto, photoPng(64, 40));
  d3.v(["incident", "attach", press, pressPhoto]);
  d3.v(["sync", "--text-only"]);

  await check("login page is accessible" + (browser.scheme ? ` (${browser.scheme} colour scheme, as every page of this run)` : ""), async () => {
    await s.goto(`${server.url}/console/login`);
    const dark = await s.eval(() => matchMedia("(prefers-color-scheme: dark)").matches);
    assert(dark === (browser.scheme === "dark"), "prefers-color-scheme: dark is " + dark);
    await accessible(s, "login");
    await shot(s, "login");
  });

  await check("leader signs in with passphrase and TOTP; the session cookie is HttpOnly, Secure, SameSite=Strict", async () => {
    await signIn(s, server, "lead", lead);
    assert(at(await s.url()).endsWith("/console/incidents"), "not on the incidents page: " + await s.url() +
      " " + (await s.eval(() => document.querySelector(".error")?.textContent ?? "")));
    const c = (await s.cookies()).find((c) => c.name === "vigil_console");
    assert(c && c.httpOnly && c.secure && c.sameSite === "Strict", "session cookie: " + JSON.stringify(c));
    const js = await s.eval(() => document.cookie);
    assert(!js.includes("vigil_console"), "the session cookie is readable by scripts");
  });

  await check("leader issues an enrollment code, shown as text and QR", async () => {
    await s.goto(`${server.url}/console/team`);
    await s.submit("#issue-code");
    code = (await s.text("#enrollment-code")).trim();
    assert(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/.test(code), "code: " + code);
    assert(await s.visible(".qr svg"), "no QR code");
    if (server.pin) assert((await s.text("#enrollment-pin")).trim() === server.pin, "the pin shown is not the server's");
    const qr = await s.eval(() => { const r = document.querySelector(".qr svg").getBoundingClientRect(); return [r.width, r.height]; });
    assert(qr[0] >= 100 && qr[1] >= 100, "QR code drawn " + qr.join("x"));
    const devices = await s.text("#devices");
    assert(devices.includes("all sent") && devices.includes("1 attachment waiting"), "waiting to send: " + devices);
    await accessible(s, "team");
    await shot(s, "team");
  });

  await check("a device enrolls with the console's code", async () => {
    d2 = device("officer-2", "Charlie 1");
    d2.v(enrollArgs(server, code, "Charlie 1"));
  });

  await check("the incidents page is accessible and maps the team's incidents", async () => {
    await s.goto(`${server.url}/console/incidents`);
    await s.waitFor(".leaflet-interactive");
    const markers = await s.count(".leaflet-interactive");
    assert(markers >= 3, "markers on the map: " + markers);
    const box = await s.eval(() => { const r = document.getElementById("map").getBoundingClientRect(); return [r.width, r.height]; });
    assert(box[0] > 300 && box[1] > 150, "map drawn " + box.join("x"));
    await mapMarksContrast(s, `incidents (${browser.scheme || "light"})`);
    await accessible(s, "incidents");
  });

  await check("an incident with a photo synced by the device appears live on the open page", async () => {
    const photoFile = path.join(work, "photo.png");
    fs.writeFileSync(photoFile, photo);
    incident = d2.json(["incident", "log", "--category", "hostile-surveillance", "--severity", "high",
      "--narrative", "Grey van opposite the QEII entrance for 40 minutes, two occupants",
      "--lat", "51.5005", "--lon", "-0.1300"]).logged.incident_id;
    d2.v(["incident", "attach", incident, photoFile]);
    // The event stream is open before the device syncs.
    await s.waitFor("#live:not(:empty)");
    const before = await s.count("#incident-rows tr");
    d2.v(["sync"]);
    await s.waitFor(`#incident-rows tr[data-id="${incident}"]`, 20000);
    const after = await s.count("#incident-rows tr");
    assert(after === before + 1, `rows ${before} -> ${after}`);
    assert(at(await s.url()).endsWith("/console/incidents"), "the page was reloaded");
    assert((await s.text("#live")).includes("1 new"), "live status: " + await s.text("#live"));
    await s.waitFor(".leaflet-interactive:nth-of-type(4)");
    await shot(s, "incidents");
  });

  await check("filters: category and period narrow the list and the map", async () => {
    await s.goto(`${server.url}/console/incidents`);
    await s.select("#category", "hostile_surveillance");
    // A day back, so that a run at midnight keeps today's incidents. Set as a script
    // would: typing a date is each engine's own widget (WebKit's has segments).
    const from = new Date(Date.now() - 86400000).toISOString().slice(0, 10);
    await s.eval((d) => {
      const i = document.getElementById("from");
      i.value = d;
      i.dispatchEvent(new Event("change", { bubbles: true }));
    }, from);
    await s.submit(".filters button[type=submit]");
    const url = new URL(await s.url());
    assert(url.searchParams.get("category") === "hostile_surveillance", "category in " + url);
    assert(url.searchParams.get("from") === from, "from in " + url);
    assert(await s.count("#incident-rows tr[data-id]") === 1, "rows: " + await s.count("#incident-rows tr[data-id]"));
    assert(await s.count(`#incident-rows tr[data-id="${incident}"]`) === 1, "the grey van is not the row");
    await s.waitFor(".leaflet-interactive");
    assert(await s.count(".leaflet-interactive") === 1, "markers: " + await s.count(".leaflet-interactive"));
    assert(await s.eval(() => document.getElementById("from").value) === from, "the date input lost its value");
  });

  await check("the incident's detail shows its history, chain state and the photo, which opens", async () => {
    await s.goto(`${server.url}/console/incidents`);
    await s.submit(`#incident-rows tr[data-id="${incident}"] a`);
    const text = await s.text("main");
    assert(text.includes("Grey van opposite the QEII entrance"), "narrative missing");
    assert(text.includes("covered by the anchored head"), "chain state missing");
    assert(await s.count("#history tbody tr") === 2, "report + attachment amendment");
    await s.waitFor(".photos img");
    const img = await s.eval(() => new Promise((resolve) => {
      const i = document.querySelector(".photos img");
      const done = () => resolve([i.complete, i.naturalWidth, i.naturalHeight, i.src]);
      if (i.complete) done(); else { i.addEventListener("load", done); i.addEventListener("error", done); }
    }));
    assert(img[0] && img[1] === 320 && img[2] === 200, "the photo did not render: " + JSON.stringify(img));
    // The photo as the browser gets it, byte for byte what the device attached.
    const got = await s.eval(async (src) => {
      const r = await fetch(src);
      const b = new Uint8Array(await r.arrayBuffer());
      let bin = ""; for (let i = 0; i < b.length; i += 0x8000) bin += String.fromCharCode.apply(null, b.subarray(i, i + 0x8000));
      return [r.status, r.headers.get("content-type"), btoa(bin)];
    }, img[3]);
    assert(got[0] === 200, "photo status " + got[0]);
    assert(/^image\/png/.test(got[1]), "photo type " + got[1]);
    assert(Buffer.compare(Buffer.from(got[2], "base64"), photo) === 0, "photo bytes differ");
    await accessible(s, "incident");
    await shot(s, "incident");
  });

  await check("advance page shows venues, havens, routes and the walk", async () => {
    await s.goto(`${server.url}/console/advance`);
    const text = await s.text("main");
    for (const t of ["QEII Centre", "St Thomas' Hospital A&E", "Hotel to conference centre", "East stair door chained"]) {
      assert(text.includes(t), "missing: " + t);
    }
    await s.waitFor(".leaflet-interactive");
    await mapMarksContrast(s, `advance (${browser.scheme || "light"})`);
    await accessible(s, "advance");
    await shot(s, "advance");
    await mapLabelsClear(s, "advance");
  });

  await check("exports page is accessible" + (s.pw ? "; a leader downloads the signed entries of a selection" : ""), async () => {
    await s.goto(`${server.url}/console/exports`);
    await accessible(s, "exports");
    await shot(s, "exports");
    if (!s.pw) return;
    await s.select("#category", "hostile_surveillance");
    const [dl] = await Promise.all([s.pw.waitForEvent("download"), s.pw.click("#export-entries")]);
    const doc = JSON.parse(fs.readFileSync(await dl.path(), "utf8"));
    assert(doc.format === "vigil.console-export/1", "format " + doc.format);
    assert(doc.incidents.length === 1 && doc.incidents[0].incident_id === incident, "selection");
    assert(doc.incidents[0].entries.length === 2, "entries");
    assert(doc.devices.every((d) => d.receipt && d.public_key.length === 64), "devices");
  });

  if (s.pw) {
    await check("a leader downloads the PDF report of the same selection", async () => {
      const [dl] = await Promise.all([s.pw.waitForEvent("download"), s.pw.click("#export-report")]);
      assert(/\.pdf$/.test(dl.suggestedFilename()), "file name " + dl.suggestedFilename());
      const pdf = fs.readFileSync(await dl.path());
      assert(pdf.subarray(0, 5).toString("latin1") === "%PDF-", "a PDF");
      assert(pdf.length > 10000, "a PDF with embedded fonts, " + pdf.length + " bytes");
    });
  }

  if (await s.colorScheme("dark")) {
    await check("dark colour scheme: pages stay accessible", async () => {
      for (const p of ["incidents", `incidents/${incident}`, "team", "advance"]) {
        await s.goto(`${server.url}/console/${p}`);
        await accessible(s, `${p} (dark)`);
        if (p === "incidents" || p === "advance") {
          await s.waitFor(".leaflet-interactive");
          await mapMarksContrast(s, `${p} (dark)`);
        }
      }
      await s.goto(`${server.url}/console/incidents`);
      await s.waitFor(".leaflet-interactive");
      await shot(s, "incidents-dark");
    });
    await s.colorScheme("light");
  }

  await check("a forged CSRF token is refused and nothing is revoked", async () => {
    await s.goto(`${server.url}/console/team`);
    await s.eval(() => document.querySelectorAll("input[name=csrf]").forEach((i) => { i.value = "f".repeat(64); }));
    const status = await s.submit("button.danger");
    if (status !== null) assert(status === 403, "status " + status);
    assert((await s.text("main")).includes("Form refused"), "no refusal");
    d2.v(["sync"]);
  });

  await check("leader revokes the device (after a confirmation); its next sync is refused", async () => {
    await s.goto(`${server.url}/console/team`);
    const id = await s.eval(() => [...document.querySelectorAll("tr[data-device]")]
      .find((tr) => tr.textContent.includes("Charlie 1")).dataset.device);
    const row = `tr[data-device="${id}"]`;
    await s.submit(`${row} button.danger`);
    assert((await s.text(row)).includes("Revoked"), "not shown revoked");
    d2.v(["incident", "log", "--category", "other", "--narrative", "after revocation"]);
    const r = d2.v(["sync"], { mayFail: true });
    assert(r.status !== 0, "a revoked device synced");
    assert(JSON.parse(r.stderr).error.kind === "revoked", "error: " + r.stderr);
  });

  await check("the audit log shows the console's actions", async () => {
    await s.goto(`${server.url}/console/audit`);
    const text = await s.text("#audit");
    for (const t of ["signed in", "enrollment code issued", "attachment opened", "device revoked"].concat(s.pw ? ["export"] : [])) {
      assert(text.includes(t), "missing: " + t);
    }
    assert(!text.includes(code), "the audit log holds the code");
    await accessible(s, "audit");
    await shot(s, "audit");
  });

  await check("the leader signs out; the session no longer opens a page", async () => {
    await s.submit("form.who button[type=submit]");
    assert(at(await s.url()).endsWith("/console/login"), "after sign-out: " + await s.url());
    assert(!(await s.cookies()).some((c) => c.name === "vigil_console" && c.value), "the session cookie stays");
    await s.goto(`${server.url}/console/team`);
    assert(at(await s.url()).endsWith("/console/login"), "signed-out session opens the team page: " + await s.url());
  });
  await s.close();

  // One session at a time from here (WebKitWebDriver runs only one).
  await check("on a tablet (portrait, 820x1180): sign-in, nothing overflows, the map renders, a filter and the photo work", async () => {
    const t = await browser.session({ width: 820, height: 1180, mobile: true });
    try {
      await signIn(t, server, "lead", lead);
      assert(await t.eval(() => window.innerWidth) === 820, "viewport " + await t.eval(() => window.innerWidth));
      for (const p of ["incidents", `incidents/${incident}`, "team", "advance", "audit", "exports"]) {
        await t.goto(`${server.url}/console/${p}`);
        const over = await t.eval(() => document.documentElement.scrollWidth - window.innerWidth);
        assert(over <= 0, `${p}: ${over} px wider than the screen`);
      }
      await t.goto(`${server.url}/console/incidents`);
      await t.waitFor(".leaflet-interactive");
      assert(await t.count(".leaflet-interactive") >= 4, "markers on the tablet's map");
      await shot(t, "incidents-tablet");
      await t.select("#severity", "high");
      await t.submit(".filters button[type=submit]");
      assert(await t.count("#incident-rows tr[data-id]") === 2, "high-severity rows: " + await t.count("#incident-rows tr[data-id]"));
      await t.submit(`#incident-rows tr[data-id="${incident}"] a`);
      await t.waitFor(".photos img");
      const img = await t.eval(() => new Promise((resolve) => {
        const i = document.querySelector(".photos img");
        const done = () => { const r = i.getBoundingClientRect(); resolve([i.naturalWidth, r.width, r.right]); };
        if (i.complete) done(); else { i.addEventListener("load", done); i.addEventListener("error", done); }
      }));
      assert(img[0] === 320 && img[1] > 100 && img[2] <= 820, "the photo on the tablet: " + JSON.stringify(img));
    } finally {
      await t.close();
    }
  });

  await check("a viewer reads but cannot issue codes or revoke", async () => {
    const v = await browser.session();
    try {
      await signIn(v, server, "watch", watch);
      await v.goto(`${server.url}/console/incidents/${incident}`);
      assert((await v.text("main")).includes("Grey van"), "viewer cannot read");
      await v.goto(`${server.url}/console/team`);
      assert(await v.count("#issue-code") === 0, "viewer has the issue button");
      assert(await v.count("button.danger") === 0, "viewer has revoke buttons");
      const csrf = await v.attr("input[name=csrf]", "value");
      const status = await v.eval(async (csrf) => {
        const r = await fetch("/console/team/codes", { method: "POST", body: new URLSearchParams({ csrf }) });
        return r.status;
      }, csrf);
      assert(status === 403, "viewer issued a code: " + status);
    } finally {
      await v.close();
    }
  });

  await check("a user of another team sees nothing of this one", async () => {
    const o = await browser.session();
    try {
      await signIn(o, server, "other", other);
      const list = await o.text("main");
      assert(!list.includes("Grey van") && !list.includes("Motorbike"), "other team sees incidents");
      const status = await o.eval(async (p) => (await fetch(p)).status, `/console/incidents/${incident}`);
      assert(status === 404, "detail status " + status);
      await o.goto(`${server.url}/console/team`);
      assert(!(await o.text("main")).includes("Charlie 1"), "other team sees devices");
      await o.goto(`${server.url}/console/advance`);
      assert(!(await o.text("main")).includes("QEII"), "other team sees venues");
    } finally {
      await o.close();
    }
  });

  // A second server whose sessions end after 2 s idle; its logins are then brute-forced.
  const short = await startServer("short", ["--console-idle-seconds", "2"], { tls });
  const sTeam = admin(short, ["create-team", "Alpha"]);
  const sLead = createUser(short, "lead", "leader", sTeam);

  await check("an expired session is refused", async () => {
    const e = await browser.session();
    try {
      await signIn(e, short, "lead", sLead);
      assert(at(await e.url()).endsWith("/console/incidents"), "not signed in");
      await e.wait(3000);
      await e.goto(`${short.url}/console/team`);
      assert(at(await e.url()).endsWith("/console/login"), "expired session still works: " + await e.url());
    } finally {
      await e.close();
    }
  });

  await check("a brute-forced login is refused", async () => {
    const b = await browser.session();
    try {
      const attempt = async (pass, code) => {
        await b.goto(`${short.url}/console/login`);
        await b.fill("#name", "lead");
        await b.fill("#passphrase", pass);
        await b.fill("#code", code);
        const status = await b.submit("button[type=submit]");
        return [status, await b.text("main")];
      };
      let last = null;
      for (let i = 0; i < 7; i++) last = await attempt(`guess number ${i}`, "123456");
      if (last[0] !== null) assert(last[0] === 429, "status after 7 wrong logins: " + last[0]);
      assert(last[1].includes("Too many"), "after 7 wrong logins: " + last[1].trim().slice(0, 200));
      // Even the right answer waits now.
      const right = await attempt(PASS, nextCode(sLead));
      if (right[0] !== null) assert(right[0] === 429, "right answer during throttling: " + right[0]);
      assert(right[1].includes("Too many"), "right answer during throttling: " + right[1].trim().slice(0, 200));
    } finally {
      await b.close();
    }
  });

  if (tls) {
    await check("over plain HTTP this engine keeps no Secure cookie: the sign-in page says to use HTTPS", async () => {
      const plain = await startServer("plain");
      const pTeam = admin(plain, ["create-team", "Alpha"]);
      const pLead = createUser(plain, "lead", "leader", pTeam);
      const p = await browser.session();
      try {
        await signIn(p, plain, "lead", pLead);
        assert(at(await p.url()).endsWith("/console/login"), "signed in over plain HTTP: " + await p.url());
        assert((await p.text("main")).includes("only over HTTPS"), "no reason given: " + (await p.text("main")).trim().slice(0, 200));
        assert(!(await p.cookies()).some((c) => c.name === "vigil_console"), "a session cookie");
      } finally {
        await p.close();
      }
    });
  }
}

module.exports = { scenarios };

// One small interface over the three browser drivers, so the console's scenarios
// (scenarios.cjs) are written once:
//   chromium  Playwright (playwright-core) driving Debian's `chromium` (CDP)
//   firefox   Puppeteer (puppeteer-core) driving Debian's `firefox-esr` (WebDriver BiDi)
//   webkit    selenium-webdriver driving WebKitGTK's MiniBrowser through `WebKitWebDriver`
//             (W3C WebDriver classic; WebKitGTK has no headless mode: it draws into a
//             private Xvfb display, or into $DISPLAY when set)
//
// open(engine) -> { engine, version, session({ width, height, mobile }), close() }
// A session is one browser context (its own cookies) with one page:
//   goto(url) -> status|null     submit(sel): click and wait for the navigation -> status|null
//   fill(sel, v)  select(sel, v)  click(sel)  text(sel)  attr(sel, name)  count(sel)
//   visible(sel)  waitFor(sel, ms)  eval(fn, arg) (fn may be async)  script(src)  url()
//   cookies() -> [{ name, httpOnly, secure, sameSite }]  screenshot(file)  wait(ms)
//   colorScheme("dark"|"light") -> false where the driver cannot emulate it (a browser's
//   `scheme`, if set, is the one its pages get all along)
//   cspErrors: messages about the Content Security Policy (null where the driver has no
//   console messages)   pw: the Playwright page (Chromium only)   close()
"use strict";

const { spawn } = require("child_process");
const fs = require("fs");
const net = require("net");

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const FIREFOX = process.env.FIREFOX || "/usr/lib/firefox-esr/firefox-esr";
const MINIBROWSER = process.env.MINIBROWSER || "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER || "/usr/bin/WebKitWebDriver";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const CSP = /Content.Security.Policy/i;

async function poll(what, ms, f) {
  const end = Date.now() + ms;
  for (;;) {
    if (await f()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------
// Chromium: Playwright

async function chromium() {
  const { chromium } = require("playwright-core");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    // Playwright gives every launch a fresh, empty user data directory of its own (it
    // refuses --user-data-dir among the arguments).
  });
  return {
    engine: "chromium",
    version: browser.version(),
    async session({ width = 1280, height = 860, mobile = false } = {}) {
      const ctx = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1, isMobile: mobile, hasTouch: mobile });
      const page = await ctx.newPage();
      const s = {
        pw: page, ctx, cspErrors: [],
        goto: async (url) => (await page.goto(url))?.status() ?? null,
        submit: async (sel) => {
          const [r] = await Promise.all([page.waitForNavigation(), page.click(sel)]);
          return r?.status() ?? null;
        },
        fill: (sel, v) => page.fill(sel, v),
        select: (sel, v) => page.selectOption(sel, v),
        click: (sel) => page.click(sel),
        text: (sel) => page.textContent(sel),
        attr: (sel, name) => page.getAttribute(sel, name),
        count: (sel) => page.$$eval(sel, (l) => l.length),
        visible: (sel) => page.isVisible(sel),
        waitFor: (sel, ms = 10000) => page.waitForSelector(sel, { timeout: ms }).then(() => {}),
        eval: (fn, arg) => page.evaluate(fn, arg),
        script: (src) => page.evaluate(src),
        url: async () => page.url(),
        cookies: () => ctx.cookies(),
        screenshot: (file) => page.screenshot({ path: file, fullPage: true }),
        wait: (ms) => page.waitForTimeout(ms),
        colorScheme: async (scheme) => { await page.emulateMedia({ colorScheme: scheme }); return true; },
        close: () => ctx.close(),
      };
      page.on("console", (m) => { if (m.type() === "error" && CSP.test(m.text())) s.cspErrors.push(m.text()); });
      page.on("dialog", (d) => d.accept());
      return s;
    },
    close: () => browser.close(),
  };
}

// ---------------------------------------------------------------------------------------
// Firefox: Puppeteer over WebDriver BiDi

async function firefox() {
  const puppeteer = require("puppeteer-core");
  // Firefox runs the whole scenario in the dark colour scheme (WebDriver BiDi cannot switch
  // it per page, a pref can for the browser): Chromium and WebKit run it light.
  const browser = await puppeteer.launch({
    browser: "firefox", executablePath: FIREFOX, headless: true,
    extraPrefsFirefox: { "layout.css.prefers-color-scheme.content-override": 0 },
  });
  return {
    engine: "firefox",
    scheme: "dark",
    version: await browser.version(),
    async session({ width = 1280, height = 860, mobile = false } = {}) {
      const ctx = await browser.createBrowserContext();
      const page = await ctx.newPage();
      await page.setViewport({ width, height, deviceScaleFactor: 1, isMobile: mobile, hasTouch: mobile });
      const s = {
        ctx, cspErrors: [],
        goto: async (url) => (await page.goto(url))?.status() ?? null,
        submit: async (sel) => {
          const [r] = await Promise.all([page.waitForNavigation(), page.click(sel)]);
          return r?.status() ?? null;
        },
        fill: (sel, v) => page.locator(sel).fill(v),
        select: (sel, v) => page.select(sel, v).then(() => {}),
        click: (sel) => page.click(sel),
        text: (sel) => page.$eval(sel, (e) => e.textContent),
        attr: (sel, name) => page.$eval(sel, (e, n) => e.getAttribute(n), name),
        count: (sel) => page.$$eval(sel, (l) => l.length),
        visible: async (sel) => !!(await page.$(sel)) && page.$eval(sel, (e) => e.checkVisibility()),
        waitFor: (sel, ms = 10000) => page.waitForSelector(sel, { timeout: ms }).then(() => {}),
        eval: (fn, arg) => page.evaluate(fn, arg),
        script: (src) => page.evaluate(src),
        url: async () => page.url(),
        cookies: () => ctx.cookies(),
        screenshot: (file) => page.screenshot({ path: file, fullPage: true }),
        wait: sleep,
        colorScheme: async () => false, // "CDP support is required": see `scheme`
        close: () => ctx.close(),
      };
      // Firefox reports a blocked script or style as a page error, not a console message.
      page.on("pageerror", (e) => { if (CSP.test(e.message)) s.cspErrors.push(e.message); });
      page.on("console", (m) => { if (CSP.test(m.text())) s.cspErrors.push(m.text()); });
      page.on("dialog", (d) => d.accept());
      return s;
    },
    close: () => browser.close(),
  };
}

// ---------------------------------------------------------------------------------------
// WebKit: selenium-webdriver and WebKitGTK's WebKitWebDriver (one MiniBrowser a session)

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
    srv.on("error", reject);
  });
}

/// A private X display (Xvfb) unless one is given: WebKitGTK has no headless mode. Xvfb
/// picks a free display number and says it on fd 3.
async function xDisplay() {
  if (process.env.DISPLAY) return { display: process.env.DISPLAY, stop: async () => {} };
  const x = spawn("Xvfb", ["-displayfd", "3", "-screen", "0", "1600x1400x24", "-nolisten", "tcp"],
    { stdio: ["ignore", "ignore", "pipe", "pipe"] });
  let err = "", out = "";
  x.stderr.on("data", (d) => { err += d; });
  const display = await new Promise((resolve, reject) => {
    x.stdio[3].on("data", (d) => { out += d; if (out.includes("\n")) resolve(`:${out.trim()}`); });
    x.on("exit", (c) => reject(new Error(`Xvfb exited ${c}: ${err}`)));
  });
  return {
    display,
    stop: () => new Promise((resolve) => {
      if (x.exitCode !== null || x.signalCode !== null) return resolve();
      x.once("exit", resolve);
      x.kill("SIGTERM");
    }),
  };
}

async function webkit() {
  const { Builder, By } = require("selenium-webdriver");
  const port = await freePort();
  const x = await xDisplay();
  const driver = spawn(WEBKIT_DRIVER, [`--port=${port}`],
    { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, DISPLAY: x.display } });
  let driverErr = "";
  driver.stderr.on("data", (d) => { driverErr += d; });
  const server = `http://127.0.0.1:${port}`;
  await poll(`WebKitWebDriver on ${server} (${driverErr})`, 10000, () =>
    fetch(`${server}/status`).then((r) => r.ok, () => false));
  const sessions = [];
  const caps = {
    browserName: "MiniBrowser",
    // The revocation form asks for a confirmation: accept it, as a user would.
    unhandledPromptBehavior: "accept",
    // Its server's certificate is self-signed (see needsTls).
    acceptInsecureCerts: true,
    "webkitgtk:browserOptions": { binary: MINIBROWSER, args: ["--automation"] },
  };
  let version = null;
  return {
    engine: "webkit",
    // WebKitGTK (libsoup) keeps no `Secure` cookie set over plain HTTP, even from
    // http://localhost: the console's session cookie needs HTTPS there.
    needsTls: true,
    get version() { return version; },
    async session({ width = 1280, height = 860 } = {}) {
      const d = await new Builder().usingServer(server).withCapabilities(caps).build();
      sessions.push(d);
      version = (await d.getCapabilities()).get("browserVersion");
      // The window rectangle includes MiniBrowser's own chrome: size the viewport.
      await d.manage().window().setRect({ width, height });
      await d.get("about:blank");
      const [iw, ih] = await d.executeScript("return [innerWidth, innerHeight]");
      await d.manage().window().setRect({ width: width + (width - iw), height: height + (height - ih) });
      const el = (sel) => d.findElement(By.css(sel));
      const s = {
        cspErrors: null,
        goto: async (url) => { await d.get(url); return null; },
        submit: async (sel) => {
          await d.executeScript("window.__e2eStale = true");
          await (await el(sel)).click();
          await poll(`the page after clicking ${sel}`, 15000, async () => {
            try { return await d.executeScript("return !window.__e2eStale && document.readyState === 'complete'"); }
            catch { return false; } // between two documents
          }).catch(async (e) => {
            const why = await d.executeScript("const i = document.querySelector(':invalid:not(form)');" +
              "return location.href + (i ? ' (invalid ' + (i.id || i.name) + ': ' + i.validationMessage + ')' : '')").catch(() => "");
            throw new Error(`${e.message}: ${why}`);
          });
          return null;
        },
        // Typed as keys; read back, since a key can get lost while the page settles.
        fill: async (sel, v) => {
          for (let i = 0; ; i++) {
            const e = await el(sel);
            await e.clear();
            await e.sendKeys(v);
            const got = await d.executeScript("return arguments[0].value", e);
            if (got === v) return;
            if (i === 2) throw new Error(`typed ${JSON.stringify(v)} into ${sel}, it holds ${JSON.stringify(got)}`);
          }
        },
        select: async (sel, v) => (await el(`${sel} option[value="${v}"]`)).click(),
        click: async (sel) => (await el(sel)).click(),
        text: (sel) => d.executeScript("return document.querySelector(arguments[0]).textContent", sel),
        attr: async (sel, name) => (await el(sel)).getAttribute(name),
        count: (sel) => d.executeScript("return document.querySelectorAll(arguments[0]).length", sel),
        visible: async (sel) => (await d.findElements(By.css(sel))).length > 0 && (await el(sel)).isDisplayed(),
        waitFor: (sel, ms = 10000) => poll(sel, ms, async () => (await d.findElements(By.css(sel))).length > 0),
        eval: async (fn, arg) => {
          const r = await d.executeAsyncScript(
            `const done = arguments[arguments.length - 1];
             Promise.resolve().then(() => (${fn})(arguments[0]))
               .then((v) => done({ v }), (e) => done({ e: String(e && e.stack || e) }));`, arg);
          if (r.e) throw new Error(r.e);
          return r.v;
        },
        script: (src) => d.executeScript(src),
        url: () => d.getCurrentUrl(),
        cookies: () => d.manage().getCookies(),
        // WebKitGTK under Xvfb sometimes never answers a screenshot: a picture is no
        // assertion, so it is given up after 15 s (said in the log).
        screenshot: async (file) => {
          let timer;
          const png = await Promise.race([d.takeScreenshot(),
            new Promise((resolve) => { timer = setTimeout(() => resolve(null), 15000); })]);
          clearTimeout(timer);
          if (png) fs.writeFileSync(file, Buffer.from(png, "base64"));
          else console.log(`  (no screenshot ${file}: WebKitWebDriver did not answer in 15 s)`);
        },
        wait: sleep,
        colorScheme: async () => false,
        close: async () => { await d.quit(); sessions.splice(sessions.indexOf(d), 1); },
      };
      if (process.env.E2E_TRACE) {
        for (const k of Object.keys(s)) {
          if (typeof s[k] !== "function") continue;
          const f = s[k];
          s[k] = async (...a) => { const t0 = Date.now(); console.log("  ->", k, String(a[0]).slice(0, 80)); try { return await f(...a); } finally { console.log("  <-", k, Date.now() - t0, "ms"); } };
        }
      }
      return s;
    },
    async close() {
      for (const d of sessions.splice(0)) await d.quit().catch(() => {});
      if (driver.exitCode === null && driver.signalCode === null) {
        await new Promise((resolve) => { driver.once("exit", resolve); driver.kill("SIGTERM"); });
      }
      await x.stop();
    },
  };
}

async function open(engine) {
  switch (engine) {
    case "chromium": return chromium();
    case "firefox": return firefox();
    case "webkit": return webkit();
    default: throw new Error(`unknown engine ${engine}: chromium, firefox or webkit`);
  }
}

module.exports = { open };

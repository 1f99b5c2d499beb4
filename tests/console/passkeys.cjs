// Passkeys (WebAuthn) in the console, Chromium only: the DevTools Protocol's virtual
// authenticator (internal transport, resident keys, user verification) stands in for a
// phone's or a laptop's platform authenticator (Playwright's CDP session; Firefox and
// WebKit have no such thing over their drivers). WebAuthn refuses IP addresses, so this
// server is opened as http://localhost:PORT (a secure context) and told so
// (--console-origin).
"use strict";

const fs = require("fs");
const net = require("net");
const path = require("path");
const { PASS, startServer, admin, createUser, nextCode, check, assert } = require("./lib.cjs");

const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

async function passkeyScenario(browser, { shots = null } = {}) {
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const server = await startServer("passkeys", ["--console-origin", origin], { listen: `127.0.0.1:${port}` });
  const team = admin(server, ["create-team", "Alpha"]);
  const secret = createUser(server, "keyholder", "leader", team);
  const s = await browser.session();
  const page = s.pw;

  async function accessible(label) {
    await page.evaluate(axeSource);
    const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    const bad = r.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    assert(bad.length === 0, `${label}: axe violations: ` +
      bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`).join("; "));
    assert(s.cspErrors.length === 0, `${label}: content security policy errors: ${s.cspErrors.join("; ")}`);
  }

  async function shot(name) {
    if (!shots) return;
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  }

  try {
    const cdp = await s.ctx.newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true,
        isUserVerified: true, automaticPresenceSimulation: true },
    });

    await check("passkeys: a signed-in user registers a passkey on the accessible account page", async () => {
      await page.goto(`${origin}/console/login`);
      await page.fill("#name", "keyholder");
      await page.fill("#passphrase", PASS);
      await page.fill("#code", nextCode(secret));
      await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
      assert(page.url().endsWith("/console/incidents"), "not signed in: " + page.url());
      await page.goto(`${origin}/console/account`);
      await accessible("account");
      await page.fill("#passkey-name", "This laptop");
      await Promise.all([page.waitForNavigation(), page.click("#add-passkey-button")]);
      const rows = await page.$$eval("#passkeys tbody tr", (l) => l.map((r) => r.textContent));
      assert(rows.length === 1 && rows[0].includes("This laptop"), "passkeys listed: " + JSON.stringify(rows));
      const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
      assert(credentials.length === 1 && credentials[0].isResidentCredential, "authenticator: " + JSON.stringify(credentials));
      await accessible("account with a passkey");
      await shot("account");
    });

    await check("passkeys: sign in with the passkey alone (no passphrase, no code)", async () => {
      await Promise.all([page.waitForNavigation(), page.click(".who button[type=submit]")]);
      assert(page.url().endsWith("/console/login"), "not signed out: " + page.url());
      await page.waitForSelector("#passkey-signin-button", { state: "visible" });
      await accessible("sign-in with passkeys");
      await shot("login-passkey");
      await Promise.all([page.waitForURL("**/console/incidents"), page.click("#passkey-signin-button")]);
      const c = (await s.ctx.cookies()).find((c) => c.name === "vigil_console");
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
  } finally {
    await s.close();
  }
}

module.exports = { passkeyScenario };

// End-to-end tests of the web console in a real browser, against the real vigil-server
// binary and real devices (the `vigil` CLI) on loopback. The scenarios (scenarios.cjs)
// are the same in every engine; drivers.cjs says how each engine is driven.
//
//   node e2e.cjs [--engine chromium|firefox|webkit] [--shots D]
//     --engine  the browser (default chromium); WebKit draws into a private Xvfb display
//               (or into $DISPLAY when set)
//     --shots D also save screenshots of the pages into D (Chromium's as NAME.png, the
//               others' as ENGINE-NAME.png)
//
// Environment: VIGIL (the CLI), VIGIL_SERVER (the server); the browsers' paths (CHROMIUM,
// FIREFOX, MINIBROWSER, WEBKIT_DRIVER) default to Debian's; E2E_TRACE=1 logs every driver
// call of the WebKit run with its duration. Modules (playwright-core,
// puppeteer-core, selenium-webdriver, axe-core) come from NODE_PATH (tests/lib/setup.sh
// installs them under .tools/console).
"use strict";

const path = require("path");
const { log, runMain } = require("./lib.cjs");
const { open } = require("./drivers.cjs");
const { scenarios } = require("./scenarios.cjs");
const { passkeyScenario } = require("./passkeys.cjs");

const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : null; };
const engine = arg("--engine") || "chromium";
const shots = arg("--shots") ? path.resolve(arg("--shots")) : null;

runMain(engine, async () => {
  const browser = await open(engine);
  try {
    await scenarios(browser, { shots });
    // Chromium only: the DevTools Protocol's virtual authenticator.
    if (engine === "chromium") await passkeyScenario(browser, { shots });
  } finally {
    // WebDriver classic says the version with the first session.
    log(`\n${engine}: ${browser.version ?? "version unknown"}`);
    await browser.close();
  }
});

/**
 * The client in a real headless Chromium, imported from the bundle the server serves
 * (`GET /rpc/client.js`) by a page on another origin (so CORS is exercised), against a real
 * server. Each entry of {@linkcode BROWSER_CASES} is a module script the page runs: calls,
 * subscriptions and synced state; reconnection after the server drops the socket, with the
 * subscription resumed by replay. Needs /usr/bin/chromium (or CHROMIUM_PATH) and playwright-core; without them the
 * test skips, except under CI=true where it fails.
 */

import { after, before, describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { Hono } from "hono";
import type { RunningServer } from "../../server.ts";
import { detectAdapter } from "../../lib/adapters/detect.ts";
import { type DemoServer, SMOKE_REPORT, smokeScript, startDemoServer } from "../_runtimes.ts";
import { type Browser, type BrowserContext, browserMissing, launchBrowser } from "../_browser.ts";

/**
 * A browser case: the module script the page runs (it must `export default` its report, a
 * promise is awaited) and the report expected. `clientUrl` is the served bundle's URL.
 */
interface BrowserCase {
  readonly script: (clientUrl: string, server: DemoServer) => string;
  readonly expected: unknown;
}

/** The cases the page runs, one page each. Add `reconnect` here after the resilient merge. */
const BROWSER_CASES: Readonly<Record<string, BrowserCase>> = {
  "call, subscribe and synced state": {
    script: (clientUrl, server) => smokeScript(clientUrl, server.wsUrl),
    expected: SMOKE_REPORT,
  },
  "reconnect after the server drops the socket, resuming the subscription": {
    script: (clientUrl, server) => `
      import { connect } from ${JSON.stringify(clientUrl)};
      const client = connect(${JSON.stringify(server.wsUrl)}, { reconnect: { min: 20, max: 100 } });
      const seen = [];
      await client.subscribe("news.today", (text) => seen.push(text)).ready;
      await client.call("news.publish", ["before"]);
      const back = new Promise((resolve) =>
        client.on("connected", (event) => event.reconnected && resolve(true)));
      await client.call("drop.me");
      const reconnected = await back;
      await client.call("news.publish", ["after"]);
      for (let i = 0; i < 200 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
      const report = { reconnected, seen, sum: await client.call("add", [1, 2]) };
      client.close();
      export default report;
    `,
    expected: { reconnected: true, seen: ["before", "while away", "after"], sum: 3 },
  },
};

/**
 * Serve a page on its own origin whose module script is `script`, load it in Chromium, and
 * return what the script's default export resolved to.
 */
async function runInBrowser(context: BrowserContext, script: string): Promise<unknown> {
  const app = new Hono();
  app.get("/page", (c) =>
    c.html(
      '<!doctype html><meta charset="utf-8"><title>case</title>' +
        '<script type="module">import("/case.mjs").then(async (m) => { ' +
        "window.report = JSON.stringify(await m.default); }, (e) => { " +
        "window.report = JSON.stringify({ error: String(e && e.stack || e) }); });</script>",
    ));
  app.get("/case.mjs", (c) => c.body(script, 200, { "content-type": "text/javascript" }));
  const adapter = await detectAdapter();
  const pageServer: RunningServer = await adapter.serve(app, {
    hostname: "127.0.0.1",
    port: 0,
    maxMessageSize: 1 << 20,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  try {
    await page.goto(`${pageServer.url}/page`);
    await page.waitForFunction("window.report !== undefined", undefined, { timeout: 10_000 });
    const report = JSON.parse(await page.evaluate("window.report") as string);
    assert.deepEqual(errors, []);
    return report;
  } finally {
    await page.close();
    await pageServer.close();
  }
}

describe("client in headless Chromium", { skip: browserMissing }, () => {
  let browser: Browser;
  let context: BrowserContext;
  let server: DemoServer;

  before(async () => {
    server = await startDemoServer();
    browser = await launchBrowser("sb");
    context = browser.context;
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const [name, browserCase] of Object.entries(BROWSER_CASES)) {
    it(`${name}, from the served bundle on another origin`, async () => {
      const script = browserCase.script(`${server.httpUrl}/client.js`, server);
      assert.deepEqual(await runInBrowser(context, script), browserCase.expected);
    });
  }
});

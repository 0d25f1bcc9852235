/**
 * The browser examples in one headless Chromium (launched once): the chat page with a
 * terminal client in the same room, the remote visualisation's canvas and its lazy renderer,
 * the todo list synced across two tabs and a server-side drop, and the Hono app's page. Each page is served by the
 * example's own server and loads the client from its `/rpc/client.js`. Needs /usr/bin/chromium
 * (or CHROMIUM_PATH) and playwright-core; without them the tests skip, except under CI=true
 * where they fail.
 */

import { after, before, describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { type Browser, type BrowserContext, browserMissing, launchBrowser } from "../_browser.ts";
import { until } from "../_fixtures.ts";
import { startChat } from "../../examples/chat/server.ts";
import { joinChat } from "../../examples/chat/client.ts";
import { startVisualisation } from "../../examples/visualisation/server.ts";
import { startTodo } from "../../examples/todo/server.ts";
import { startApp } from "../../examples/hono_app/server.ts";

/** Every wait in a page: fail fast rather than hang. */
const WAIT = { timeout: 10_000 };

type Page = Awaited<ReturnType<BrowserContext["newPage"]>>;

/** Open a page and collect its uncaught errors. */
async function open(
  context: BrowserContext,
  url: string,
): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT.timeout);
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(url);
  return { page, errors };
}

describe("browser examples in headless Chromium", { skip: browserMissing, timeout: 90_000 }, () => {
  let browser: Browser;
  let context: BrowserContext;

  before(async () => {
    browser = await launchBrowser("examples");
    context = browser.context;
  });

  after(async () => {
    await browser?.close();
  });

  it("chat: two tabs and a terminal client, broadcast and per-client events", async () => {
    const server = await startChat(0);
    const terminal: string[] = [];
    const tabs: Page[] = [];
    try {
      const a = await open(context, `${server.url}/`);
      const b = await open(context, `${server.url}/`);
      tabs.push(a.page, b.page);
      for (const [tab, name] of [[a.page, "ada"], [b.page, "bob"]] as const) {
        await tab.fill("#name", name);
        await tab.click("#join button");
        await tab.waitForSelector("#say:not([hidden])", WAIT);
      }
      // The welcome is a per-client event: each tab sees its own.
      await a.page.waitForSelector("#log p:has-text('Welcome, ada')", WAIT);
      await b.page.waitForSelector("#log p:has-text('Welcome, bob')", WAIT);
      const cli = await joinChat(
        server.url.replace("http", "ws") + "/rpc",
        "cli",
        (line) => terminal.push(line),
      );
      await a.page.fill("#text", "hello room");
      await a.page.click("#say button");
      await b.page.waitForSelector("#log p:has-text('ada: hello room')", WAIT);
      await until(() => terminal.includes("ada: hello room"), WAIT.timeout);
      await cli.send("hi from the terminal");
      await a.page.waitForSelector("#log p:has-text('cli: hi from the terminal')", WAIT);
      // A whisper reaches one tab only.
      await b.page.fill("#text", "/w ada psst");
      await b.page.click("#say button");
      await a.page.waitForSelector("#log p:has-text('bob whispers: psst')", WAIT);
      await cli.send("/w bob from cli");
      await b.page.waitForSelector("#log p:has-text('cli whispers: from cli')", WAIT);
      assert.equal(await a.page.locator("#log p:has-text('from cli')").count(), 0);
      assert.ok(!terminal.some((line) => line.includes("psst")), "a whisper stays private");
      cli.close();
      assert.deepEqual([...a.errors, ...b.errors], []);
    } finally {
      for (const tab of tabs) await tab.close();
      await server.close();
    }
  });

  it("visualisation: frames reach the canvas as bytes; the renderer runs only while watched", async () => {
    const { server, status } = await startVisualisation(0, { width: 64, height: 48, fps: 30 });
    let page: Page | undefined;
    try {
      assert.equal(status.running, false, "nobody watches yet");
      const opened = await open(context, `${server.url}/`);
      page = opened.page;
      await page.waitForFunction("window.seen && window.seen.frames >= 5", undefined, WAIT);
      assert.equal(status.running, true);
      const pixel = await page.evaluate(`(() => {
        const canvas = document.getElementById("view");
        const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        return { width: canvas.width, alpha: data[3], sum: data.reduce((a, b) => a + b, 0) };
      })()`) as { width: number; alpha: number; sum: number };
      assert.equal(pixel.width, 64);
      assert.equal(pixel.alpha, 255, "the canvas holds a rendered frame");
      assert.ok(pixel.sum > 64 * 48 * 255, "the frame is not blank");
      await page.click("#toggle");
      await until(() => !status.running, WAIT.timeout);
      const rendered = status.rendered;
      await page.click("#toggle");
      await until(() => status.running && status.rendered > rendered, WAIT.timeout);
      assert.equal(status.starts, 2);
      await page.close();
      page = undefined;
      await until(() => !status.running, WAIT.timeout);
      assert.deepEqual(opened.errors, []);
    } finally {
      await page?.close();
      await server.close();
    }
  });

  it("hono app: its page loads the client from /api/rpc/client.js and calls with a token", async () => {
    const server = await startApp(0);
    let page: Page | undefined;
    try {
      const opened = await open(context, `${server.url}/`);
      page = opened.page;
      await page.waitForSelector("#out:has-text('whoami → ada')", WAIT);
      assert.deepEqual(opened.errors, []);
    } finally {
      await page?.close();
      await server.close();
    }
  });

  it("todo: two tabs stay in sync, across a dropped connection", async () => {
    const { server, sb } = await startTodo(0);
    const tabs: Page[] = [];
    try {
      const a = await open(context, `${server.url}/`);
      const b = await open(context, `${server.url}/`);
      tabs.push(a.page, b.page);
      await a.page.fill("#text", "buy milk");
      await a.page.click("#add button");
      await b.page.waitForSelector("li:has-text('buy milk')", WAIT);
      // The server drops every socket (a restart, a network blip): both tabs come back.
      sb.closeAll(1012, "restart");
      for (const tab of tabs) await tab.waitForSelector("#status:has-text('reconnected')", WAIT);
      await b.page.click("li:has-text('buy milk') input[type=checkbox]");
      await a.page.waitForSelector("li.done:has-text('buy milk')", WAIT);
      await a.page.fill("#text", "walk the dog");
      await a.page.click("#add button");
      await b.page.waitForSelector("li:has-text('walk the dog')", WAIT);
      await b.page.click("#clear");
      await a.page.waitForSelector("li:has-text('buy milk')", { ...WAIT, state: "detached" });
      assert.deepEqual(await a.page.locator("li span").allTextContents(), ["walk the dog"]);
      assert.deepEqual([...a.errors, ...b.errors], []);
    } finally {
      for (const tab of tabs) await tab.close();
      await server.close();
    }
  });
});

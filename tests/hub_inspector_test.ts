/**
 * The inspector page in headless Chromium: it connects over the hub's own endpoint and shows
 * connected clients, registered procedures, topics with subscribers and event rates, and
 * recent errors, updating live. Needs
 * /usr/bin/chromium (or CHROMIUM_PATH) and the playwright-core package; without them the test
 * skips, except under CI=true where it fails.
 */

import { describe, it } from "./_deadline.ts";
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { RpcError } from "../mod.ts";
import { offer } from "../lib/hub/offer.ts";
import { openClient, rejection } from "./_fixtures.ts";
import { startHub } from "./_hub.ts";
import { browserMissing, launchBrowser } from "./_browser.ts";

/** A page expression: the cells of the `#topics` row whose first cell is `name`. */
function topicRow(name: string): string {
  return `([...document.querySelectorAll("#topics tr")].map((tr) => ` +
    `[...tr.children].map((td) => td.textContent)).find((cells) => cells[0] === ${
      JSON.stringify(name)
    }) ?? [])`;
}

/** A page expression: the text of the element with that id. */
function text(id: string): string {
  return `(document.getElementById(${JSON.stringify(id)})?.textContent ?? "")`;
}

describe("hub inspector page", () => {
  it("shows clients, procedures, topics and errors live in headless Chromium", {
    skip: browserMissing,
  }, async () => {
    const hub = await startHub();
    const worker = await openClient(hub.wsUrl);
    const browser = await launchBrowser("hub");
    const { context, profile } = browser;
    try {
      await offer(worker, "math.add", ([a, b]: number[]) => a! + b!);
      const page = context.pages()[0] ?? await context.newPage();
      await page.goto(`${hub.origin}/`);
      await page.waitForFunction(`${text("status")} === "live"`);
      await page.waitForFunction(`${text("procedures")}.includes("math.add")`);
      // Live: a client that arrives after the page loaded appears without a reload.
      const late = await openClient(hub.wsUrl);
      await offer(late, "late.arrival", () => {
        throw new RpcError(-32050, "Late failure");
      });
      assert.equal((await rejection(worker.call("late.arrival"))).code, -32050);
      await page.waitForFunction(
        `${text("procedures")}.includes("late.arrival") && ${text("client-count")} === "3" && ` +
          `${text("errors")}.includes("late.arrival")`,
      );
      // Topics: a subscription made after the page loaded appears with its subscriber count,
      // then a publisher makes its event rate non-zero (bounded: at most 200 events).
      const ticks: unknown[] = [];
      await worker.subscribe("ticker.ACME", (data) => ticks.push(data)).ready;
      await late.subscribe("ticker.*", () => {}).ready;
      await page.waitForFunction(
        `${topicRow("ticker.ACME")}[1] === "1" && ${topicRow("ticker.*")}[1] === "1"`,
      );
      let rate = 0;
      for (let i = 0; i < 200 && rate === 0; i++) {
        await late.publish("ticker.ACME", { price: 100 + i });
        await new Promise((resolve) => setTimeout(resolve, 25));
        rate = Number(await page.evaluate(`${topicRow("ticker.ACME")}[2] ?? "0"`));
      }
      assert.ok(rate > 0, "the page shows a non-zero event rate for ticker.ACME");
      assert.ok(ticks.length > 0);
      const events = Number(await page.evaluate(`${topicRow("ticker.ACME")}[3]`));
      assert.ok(events > 0 && events <= ticks.length, `events shown: ${events}`);
      assert.match(await page.locator("#counters").innerText(), /events \d+ · delivered \d+/);
      const clients = await page.locator("#clients").innerText();
      assert.match(clients, /anonymous/);
      assert.match(clients, /math\.add/);
      const shot = join(profile, "inspector.png");
      await page.screenshot({ path: shot, fullPage: true });
      assert.ok((await stat(shot)).size > 5_000, "the screenshot has content");
      late.close();
    } finally {
      await browser.close();
      worker.close();
      await hub.close();
    }
  });
});

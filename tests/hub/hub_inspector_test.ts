/**
 * The inspector page in headless Chromium: it connects over the hub's own endpoint and shows
 * connected clients, registered procedures, topics with subscribers and event rates, and
 * recent errors, updating live. Needs
 * /usr/bin/chromium (or CHROMIUM_PATH) and the playwright-core package; without them the test
 * skips, except under CI=true where it fails.
 */

import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { RpcError } from "../../mod.ts";
import { offer } from "../../lib/hub/offer.ts";
import { openClient, rejection } from "../_fixtures.ts";
import { startHub } from "../_hub.ts";
import { browserMissing, launchBrowser } from "../_browser.ts";

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

  it("acts: calls, publishes, tails, disconnects, and charts live rates", {
    skip: browserMissing,
  }, async () => {
    const hub = await startHub();
    const worker = await openClient(hub.wsUrl, { name: "worker-7" });
    const victim = await openClient(hub.wsUrl, { name: "victim", reconnect: false });
    const browser = await launchBrowser("hub-actions");
    const { context, profile } = browser;
    try {
      await offer(worker, "math.add", ([a, b]: number[]) => a! + b!, {
        description: "Adds two numbers",
      });
      const page = context.pages()[0] ?? await context.newPage();
      page.setDefaultTimeout(5_000);
      await page.goto(`${hub.origin}/`);
      await page.waitForFunction(`${text("status")} === "live"`);
      // Names from rpc.hello and procedure descriptions.
      await page.waitForFunction(
        `${text("clients")}.includes("worker-7") && ${text("clients")}.includes("victim") && ` +
          `${text("procedures")}.includes("Adds two numbers")`,
      );
      // Call with JSON params.
      await page.fill("#call-method", "math.add");
      await page.fill("#call-params", "[2, 40]");
      await page.click("#call-run");
      await page.waitForFunction(`${text("call-result")} === "42"`);
      // A bad call shows the JSON-RPC error.
      await page.fill("#call-method", "nope");
      await page.fill("#call-params", "");
      await page.click("#call-run");
      await page.waitForFunction(`${text("call-result")}.startsWith("error -32601")`);
      // Tail a pattern, then publish from the page and from a client: both lines appear.
      await page.fill("#tail-topic", "chat.*");
      await page.click("#tail-run");
      await page.waitForFunction(`${text("tail-events")}.startsWith("tailing chat.*")`);
      await page.fill("#publish-topic", "chat.lobby");
      await page.fill("#publish-data", '{"text":"from the page"}');
      await page.click("#publish-run");
      await page.waitForFunction(`${text("publish-result")} === "published #1"`);
      await worker.publish("chat.side", 7);
      await page.waitForFunction(
        `${text("tail-events")}.includes('chat.lobby #1 {"text":"from the page"}') && ` +
          `${text("tail-events")}.includes("chat.side #1 7")`,
      );
      // Live rates: calls made now show up as a non-zero calls/s (bounded: 100 calls).
      for (let i = 0; i < 100; i++) await worker.call("rpc.time");
      await page.waitForFunction(`Number(${text("rate-calls")}) > 0`, undefined, {
        timeout: 5_000,
      });
      // Disconnect a client from its row.
      const closed = victim.closed;
      await page.locator("#clients tr", { hasText: "victim" }).getByRole("button", {
        name: "Disconnect",
      }).click();
      const info = await Promise.race([
        closed,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error("victim not disconnected in 5 s")), 5_000)
        ),
      ]);
      assert.equal(info.code, 1008);
      await page.waitForFunction(`!${text("clients")}.includes("victim")`);
      const shot = join(profile, "inspector-actions.png");
      await page.screenshot({ path: shot, fullPage: true });
      assert.ok((await stat(shot)).size > 5_000, "the screenshot has content");
    } finally {
      await browser.close();
      worker.close();
      victim.close();
      await hub.close();
    }
  });
});

describe("rpc.inspect.disconnect", () => {
  it("is refused to a non-admin when auth is on, and closes the connection with 1008 for an admin", async () => {
    const hub = await startHub({
      auth: {
        secrets: [{ secret: "op-secret", id: "op", roles: ["admin"] }, {
          secret: "user-secret",
          id: "user",
        }],
      },
    });
    const op = await openClient(`${hub.wsUrl}?token=op-secret`);
    const user = await openClient(`${hub.wsUrl}?token=user-secret`, { reconnect: false });
    try {
      const target = [...hub.hub.switchboard.peers.values()].map((p) => p.info.id);
      const refused = await rejection(
        user.call("rpc.inspect.disconnect", { connection: target[0] }),
      );
      assert.equal(refused.code, -32006);
      const missing = await rejection(op.call("rpc.inspect.disconnect", { connection: "nope" }));
      assert.equal(missing.code, -32602);
      const userId = [...hub.hub.switchboard.peers.values()].find((p) =>
        (p.info.data.identity as { id?: string } | undefined)?.id === "user"
      )!.info.id;
      assert.deepEqual(await op.call("rpc.inspect.disconnect", { connection: userId }), {
        disconnected: userId,
      });
      const info = await Promise.race([
        user.closed,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error("not closed")), 5_000)
        ),
      ]);
      assert.equal(info.code, 1008);
    } finally {
      op.close();
      user.close();
      await hub.close();
    }
  });
});

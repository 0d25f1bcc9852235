/**
 * The hub CLI: call, discover, publish, subscribe, errors and usage, against a real hub.
 */

import { after, before, describe, it } from "./_deadline.ts";
import assert from "node:assert/strict";
import { runCli, toWebSocketUrl } from "../lib/hub/cli.ts";
import { offer } from "../lib/hub/offer.ts";
import { openClient, until } from "./_fixtures.ts";
import { startHub, type TestHub } from "./_hub.ts";
import type { Client } from "../mod.ts";

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("hub CLI", () => {
  let hub: TestHub;
  let worker: Client;
  before(async () => {
    hub = await startHub({ auth: { secrets: [{ secret: "cli-secret", id: "ops" }] } });
    worker = await openClient(`${hub.wsUrl}?token=cli-secret`);
    await offer(worker, "math.add", ([a, b]: number[]) => a! + b!, { description: "Adds" });
  });
  after(async () => {
    worker.close();
    await hub.close();
  });

  it("runCli() call prints the result as JSON", async () => {
    const r = await cli(["call", hub.httpUrl, "math.add", "[2,3]", "--token", "cli-secret"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, "5");
  });

  it("runCli() call prints a JSON-RPC error and exits 1", async () => {
    const r = await cli(["call", hub.wsUrl, "math.add", "[1,2]"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^error -32010: Authentication required/);
  });

  it("runCli() discover lists procedures with descriptions", async () => {
    const r = await cli(["discover", hub.wsUrl, "--token", "cli-secret"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^math\.add {2}Adds$/m);
  });

  it("runCli() rejects bad usage and bad params with exit code 2", async () => {
    assert.equal((await cli(["frobnicate"])).code, 2);
    assert.equal((await cli(["call", hub.wsUrl, "math.add", "{nope"])).code, 2);
    assert.equal((await cli(["subscribe", hub.wsUrl])).code, 2);
    assert.equal((await cli(["publish", hub.wsUrl, "a.b", "{nope"])).code, 2);
    assert.equal((await cli(["subscribe", hub.wsUrl, "a.b", "--count", "x"])).code, 2);
    assert.equal(toWebSocketUrl("localhost:9"), "ws://localhost:9/rpc");
  });

  it("runCli() subscribe prints events one per line until --count", async () => {
    const listening = cli([
      "subscribe",
      hub.wsUrl,
      "chat.*",
      "--count",
      "2",
      "--timeout",
      "10000",
      "--token",
      "cli-secret",
    ]);
    const broker = hub.hub.switchboard.pubsub;
    await until(() => broker.topics().some((t) => t.topic === "chat.*"), 5000);
    const first = await cli([
      "publish",
      hub.wsUrl,
      "chat.lobby",
      '{"text":"hi"}',
      "--token",
      "cli-secret",
    ]);
    assert.equal(first.code, 0, first.err);
    assert.equal(first.out, "published chat.lobby #1");
    await worker.publish("chat.room-2", [1, 2]);
    await worker.publish("chat.room-3", "not printed: --count 2 was reached");
    const r = await listening;
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'chat.lobby #1 {"text":"hi"}\nchat.room-2 #1 [1,2]');
    assert.match(r.err, /^subscribed to chat\.\* at #0$/m);
  });

  it("runCli() subscribe exits 1 when --timeout ends it before --count", async () => {
    const r = await cli([
      "subscribe",
      hub.wsUrl,
      "quiet.topic",
      "--count",
      "1",
      "--timeout",
      "50",
      "--token",
      "cli-secret",
    ]);
    assert.equal(r.code, 1);
    assert.match(r.err, /timed out after 0 of 1 events/);
  });

  it("runCli() subscribe reports a refusal as a JSON-RPC error", async () => {
    const r = await cli(["subscribe", hub.wsUrl, "a.b"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^error -32010: Authentication required/);
  });
});

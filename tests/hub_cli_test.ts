/**
 * The hub CLI: call, discover, errors and usage, against a real hub.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { runCli, toWebSocketUrl } from "../lib/hub/cli.ts";
import { offer } from "../lib/hub/offer.ts";
import { openClient } from "./_fixtures.ts";
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
    assert.match((await cli(["subscribe", hub.wsUrl, "x.*"])).err, /pub\/sub/);
    assert.equal(toWebSocketUrl("localhost:9"), "ws://localhost:9/rpc");
  });
});

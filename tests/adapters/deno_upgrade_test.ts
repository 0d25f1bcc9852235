/**
 * The Deno adapter upgrades with Deno's own ping turned off (`idleTimeout: 0`): Switchboard has
 * its own heartbeat, and Deno's ping timer keeps a closed socket's memory for its interval
 * (bench/churn.ts measures the heap after 25,000 closed connections). Deno only: Bun has no such
 * option in play, so the test is declared only where `Deno.upgradeWebSocket` exists.
 */

import { describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { Switchboard } from "../../server.ts";
import { openClient, startServer } from "../_fixtures.ts";

type Upgrade = (request: Request, options?: { idleTimeout?: number }) => unknown;
const deno = (globalThis as { Deno?: { upgradeWebSocket: Upgrade } }).Deno;

describe("Deno adapter", () => {
  if (deno === undefined) return;
  it("upgrades with idleTimeout 0 (Switchboard's heartbeat replaces Deno's ping)", async () => {
    const original = deno.upgradeWebSocket;
    const seen: ({ idleTimeout?: number } | undefined)[] = [];
    // Observe what the adapter asks Deno for; the real upgrade still happens.
    deno.upgradeWebSocket = (request, options) => {
      seen.push(options);
      return original.call(deno, request, options);
    };
    const server = await startServer(new Switchboard());
    try {
      const client = await openClient(server.wsUrl);
      assert.equal(await within(client.call("rpc.ping"), "a ping"), "pong");
      client.close();
      assert.equal(seen.length, 1);
      assert.equal(seen[0]?.idleTimeout, 0);
    } finally {
      deno.upgradeWebSocket = original;
      await server.close();
    }
  });
});

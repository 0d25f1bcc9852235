/**
 * A client given several URLs rotates to the next when a socket fails to open or drops, and a
 * URL function is asked before each attempt.
 */

import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { Switchboard } from "../../server.ts";
import { connect } from "../../mod.ts";
import { UrlRotation } from "../../lib/client/urls.ts";
import { startServer } from "../_fixtures.ts";

/** A loopback port nobody listens on. */
function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("timed out")), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

describe("client URL lists", () => {
  it("UrlRotation stays on a working URL and moves on after a failure", () => {
    const urls = new UrlRotation(["ws://a/rpc", "ws://b/rpc", "ws://c/rpc"]);
    assert.equal(urls.next(false), "ws://a/rpc");
    assert.equal(urls.next(false), "ws://a/rpc");
    assert.equal(urls.next(true), "ws://b/rpc");
    assert.equal(urls.next(true), "ws://c/rpc");
    assert.equal(urls.next(true), "ws://a/rpc");
    assert.throws(() => new UrlRotation([]), TypeError);
  });

  it("connect() with a dead URL first reaches the second and moves on when it drops", async () => {
    const sb = new Switchboard();
    sb.register("where", () => "first");
    const one = await startServer(sb);
    const other = new Switchboard();
    other.register("where", () => "second");
    const two = await startServer(other);
    const dead = `ws://127.0.0.1:${await deadPort()}/rpc`;
    const client = connect([dead, one.wsUrl, two.wsUrl], { reconnect: { min: 10, max: 50 } });
    try {
      await within(client.ready, 5_000);
      assert.equal(client.url, one.wsUrl);
      assert.equal(await client.call("where"), "first");
      await one.close();
      assert.equal(await within(client.call("where", [], { idempotent: true }), 5_000), "second");
      assert.equal(client.url, two.wsUrl);
    } finally {
      client.close();
      await two.close();
    }
  });

  it("connect() with a function asks it before each attempt", async () => {
    const sb = new Switchboard();
    const server = await startServer(sb);
    const dead = `ws://127.0.0.1:${await deadPort()}/rpc`;
    const attempts: number[] = [];
    const client = connect((attempt) => {
      attempts.push(attempt);
      return attempt < 2 ? dead : server.wsUrl;
    }, { reconnect: { min: 10, max: 50 } });
    try {
      await within(client.ready, 5_000);
      assert.deepEqual(attempts, [0, 1, 2]);
      assert.equal(client.url, server.wsUrl);
    } finally {
      client.close();
      await server.close();
    }
  });
});

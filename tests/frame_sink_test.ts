/**
 * The adapters' FRAME_SINK fast path: Bun hands frames straight to the sink, Deno goes
 * through Hono's `onMessage`; either way a Switchboard answers the same.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import type { WSEvents } from "hono/ws";
import { FRAME_SINK, type FrameSinkEvents, type RunningServer } from "../lib/adapters/adapter.ts";
import { detectAdapter } from "../lib/adapters/detect.ts";
import { Switchboard } from "../server.ts";
import { openRaw, startServer, type TestServer } from "./_fixtures.ts";

describe("FRAME_SINK", () => {
  let server: RunningServer;
  let runtime: string;
  const seen: { via: string; frame: unknown }[] = [];

  before(async () => {
    const adapter = await detectAdapter();
    runtime = adapter.runtime;
    const app = new Hono();
    app.get("/ws", (c) => {
      const events: WSEvents & FrameSinkEvents = {
        onMessage: (event, ws) => {
          seen.push({ via: "onMessage", frame: event.data });
          ws.send(`onMessage:${event.data}`);
        },
        [FRAME_SINK]: (frame) => {
          seen.push({ via: "sink", frame });
          if (frame === "throw") throw new Error("sink failure");
        },
      };
      return adapter.upgradeWebSocket(c, events);
    });
    server = await adapter.serve(app, { hostname: "127.0.0.1", port: 0, maxMessageSize: 1024 });
  });

  after(async () => {
    await server.close();
  });

  it("adapter hands text frames to the sink on Bun and to onMessage elsewhere", async () => {
    const raw = await openRaw(`${server.url.replace("http:", "ws:")}/ws`);
    try {
      seen.length = 0;
      raw.socket.send("hello");
      if (runtime === "bun") {
        // The sink does not answer; wait for the frame to land, then check the path.
        const start = Date.now();
        while (seen.length === 0 && Date.now() - start < 2000) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        assert.deepEqual(seen, [{ via: "sink", frame: "hello" }]);
      } else {
        assert.equal(await raw.next(), "onMessage:hello");
        assert.deepEqual(seen, [{ via: "onMessage", frame: "hello" }]);
      }
    } finally {
      raw.socket.close();
    }
  });

  it("adapter closes only the connection whose sink threw, with 1011 on Bun", async () => {
    const url = `${server.url.replace("http:", "ws:")}/ws`;
    const bad = await openRaw(url);
    const good = await openRaw(url);
    try {
      bad.socket.send("throw");
      if (runtime === "bun") {
        const event = await bad.closed;
        assert.equal(event.code, 1011);
        good.socket.send("still here");
        const start = Date.now();
        while (!seen.some((s) => s.frame === "still here") && Date.now() - start < 2000) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        assert.ok(seen.some((s) => s.via === "sink" && s.frame === "still here"));
      } else {
        // Without the fast path the sink is never called, so nothing throws.
        assert.equal(await bad.next(), "onMessage:throw");
      }
    } finally {
      bad.socket.close();
      good.socket.close();
    }
  });
});

describe("Switchboard over the fast path", () => {
  let server: TestServer;

  before(async () => {
    const sb = new Switchboard();
    sb.register("echo", (params) => params);
    server = await startServer(sb);
  });

  after(async () => {
    await server.close();
  });

  it("websocketEvents() answers 1,000 pipelined requests with matching ids", async () => {
    const raw = await openRaw(server.wsUrl);
    try {
      for (let id = 1; id <= 1000; id++) {
        raw.socket.send(JSON.stringify({ jsonrpc: "2.0", id, method: "echo", params: [id] }));
      }
      for (let id = 1; id <= 1000; id++) {
        const reply = JSON.parse(await raw.next() as string);
        assert.deepEqual(reply, { jsonrpc: "2.0", id, result: [id] });
      }
    } finally {
      raw.socket.close();
    }
  });

  it("websocketEvents() closes with 1003 on a binary frame", async () => {
    const raw = await openRaw(server.wsUrl);
    raw.socket.send(new Uint8Array([1, 2, 3]));
    const event = await raw.closed;
    assert.equal(event.code, 1003);
  });
});

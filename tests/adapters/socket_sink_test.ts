/**
 * The adapters' SocketSink fast path: Deno's and Bun's `upgradeWebSocket` drive a sink
 * directly with the runtime's socket, and still run plain Hono events through Hono's helper.
 */

import { after, before, describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { Hono } from "hono";
import type { WSEvents } from "hono/ws";
import type { NativeSocket, RunningServer, SocketSink } from "../../lib/adapters/adapter.ts";
import { detectAdapter } from "../../lib/adapters/detect.ts";
import { Switchboard } from "../../server.ts";
import { openRaw, startServer, type TestServer, until } from "../_fixtures.ts";

describe("SocketSink", () => {
  let server: RunningServer;
  const seen: { via: string; frame: unknown }[] = [];
  const closes: number[] = [];

  before(async () => {
    const adapter = await detectAdapter();
    const app = new Hono();
    app.get("/sink", (c) => {
      let socket: NativeSocket | undefined;
      // Also plain Hono events: they must never run when the sink methods are there.
      const events: WSEvents & SocketSink = {
        onMessage: () => void seen.push({ via: "onMessage", frame: undefined }),
        socketOpened: (s) => {
          socket = s;
          s.send("opened");
        },
        socketMessage: (frame) => {
          seen.push({ via: "sink", frame });
          if (frame === "throw") throw new Error("sink failure");
          socket!.send(typeof frame === "string" ? `echo:${frame}` : new Uint8Array(frame));
        },
        socketClosed: (code) => void closes.push(code),
      };
      return adapter.upgradeWebSocket(c, events);
    });
    app.get("/hono", (c) =>
      adapter.upgradeWebSocket(c, {
        onMessage: (event, ws) => ws.send(`hono:${event.data}`),
      }));
    server = await adapter.serve(app, { hostname: "127.0.0.1", port: 0, maxMessageSize: 1024 });
  });

  after(async () => {
    await server.close();
  });

  const url = (path: string) => `${server.url.replace("http:", "ws:")}${path}`;

  it("upgradeWebSocket() drives a sink: open, text and binary frames, close", async () => {
    const raw = await openRaw(url("/sink"));
    try {
      assert.equal(await raw.next(), "opened");
      seen.length = 0;
      raw.socket.send("hello");
      assert.equal(await raw.next(), "echo:hello");
      raw.socket.send(new Uint8Array([1, 2, 3]));
      const echoed = await raw.next();
      assert.deepEqual(new Uint8Array(echoed as ArrayBuffer), new Uint8Array([1, 2, 3]));
      assert.equal(seen.length, 2);
      assert.ok(seen.every((s) => s.via === "sink"));
      // Binary frames reach a sink as an ArrayBuffer, on every runtime.
      assert.ok(seen[1]!.frame instanceof ArrayBuffer);
    } finally {
      raw.socket.close(4100, "bye");
    }
    await until(() => closes.includes(4100));
  });

  it("upgradeWebSocket() closes only the connection whose sink threw, with 1011", async () => {
    const bad = await openRaw(url("/sink"));
    const good = await openRaw(url("/sink"));
    try {
      assert.equal(await bad.next(), "opened");
      assert.equal(await good.next(), "opened");
      bad.socket.send("throw");
      assert.equal((await within(bad.closed, "bad.closed")).code, 1011);
      good.socket.send("still here");
      assert.equal(await good.next(), "echo:still here");
    } finally {
      good.socket.close();
    }
  });

  it("upgradeWebSocket() still runs plain Hono events through Hono", async () => {
    const raw = await openRaw(url("/hono"));
    try {
      raw.socket.send("hi");
      assert.equal(await raw.next(), "hono:hi");
    } finally {
      raw.socket.close();
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

  it("websocketEvents() over a sink answers 1,000 pipelined requests with matching ids", async () => {
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
    const event = await within(raw.closed, "raw.closed");
    assert.equal(event.code, 1003);
  });
});

/**
 * The server: connected peers, hooks, per-connection context, limits and bad input, HTTP.
 */

import { describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { CloseCode, ErrorCode, type Peer, RpcError, Switchboard } from "../../server.ts";
import {
  openClient,
  openRaw,
  post,
  rejection,
  startServer,
  type TestServer,
  until,
} from "../_fixtures.ts";

/** Run a test body against a fresh server, always closing it. */
async function withServer(
  sb: Switchboard,
  body: (server: TestServer) => Promise<void>,
): Promise<void> {
  const server = await startServer(sb);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

describe("Switchboard connections", () => {
  it("keeps the set of connected peers and runs open/close hooks with the context", async () => {
    const events: string[] = [];
    const sb = new Switchboard({
      context: (c) => ({ user: c.req.header("x-user") ?? "anonymous" }),
      onOpen: (peer) => events.push(`open ${peer.info.data.user}`),
      onClose: (peer, info) => events.push(`close ${peer.info.data.user} ${info.code}`),
    });
    sb.register("me", (_p, ctx) => ({ id: ctx.connection.id, user: ctx.connection.data.user }));
    await withServer(sb, async (server) => {
      const a = await openClient(server.wsUrl);
      const b = await openClient(server.wsUrl);
      const meA = await a.call("me") as { id: string; user: string };
      const meB = await b.call("me") as { id: string; user: string };
      assert.notEqual(meA.id, meB.id);
      assert.equal(meA.user, "anonymous");
      assert.equal(sb.peers.size, 2);
      assert.ok(sb.peers.has(meA.id));
      a.close();
      await until(() => sb.peers.size === 1);
      assert.equal(sb.peers.size, 1);
      assert.ok(sb.peers.has(meB.id));
      b.close();
      await until(() => sb.peers.size === 0);
      assert.deepEqual(events.sort(), [
        "close anonymous 1000",
        "close anonymous 1000",
        "open anonymous",
        "open anonymous",
      ]);
    });
  });

  it("the context hook sees request headers; app data set at open is seen by calls", async () => {
    const sb = new Switchboard({
      context: (c) => ({ token: c.req.query("token") ?? null }),
      onOpen: (peer) => {
        peer.info.data.greeting = "set by onOpen";
      },
    });
    sb.register("data", (_p, ctx) => ctx.connection.data);
    await withServer(sb, async (server) => {
      const client = await openClient(`${server.wsUrl}?token=abc`);
      assert.deepEqual(await client.call("data"), { token: "abc", greeting: "set by onOpen" });
      client.close();
    });
  });

  it("keepHeaders: true keeps every upgrade header for calls long after (Deno ends the request at the upgrade)", async () => {
    const sb = new Switchboard({ keepHeaders: true });
    sb.register("headers", (_p, ctx) => {
      const headers = ctx.connection.headers;
      return {
        host: headers.get("host"),
        device: headers.get("x-device"),
        tags: headers.get("x-tag"),
        version: headers.get("sec-websocket-version"),
        same: headers === ctx.connection.headers,
        names: [...headers.keys()].filter((name) => name.startsWith("x-")),
      };
    });
    await withServer(sb, async (server) => {
      const raw = await openRaw(server.wsUrl, {
        "x-device": "sensor: 7, rack=b",
        "x-tag": "",
        "x-zone": "eu",
      });
      raw.socket.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "headers" }));
      const reply = JSON.parse(String(await raw.next()));
      assert.deepEqual(reply.error, undefined);
      assert.deepEqual(reply.result, {
        host: new URL(server.wsUrl).host,
        device: "sensor: 7, rack=b",
        tags: "",
        version: "13",
        same: true,
        names: ["x-device", "x-tag", "x-zone"],
      });
      raw.socket.close();
    });
  });

  it("keepHeaders keeps the listed headers or none (default); the context hook sees all", async () => {
    const cases = [[["X-Device", "x-absent"], ["x-device"]], [false, []], [undefined, []]] as const;
    for (const [keep, expected] of cases) {
      const sb = new Switchboard({
        ...(keep === undefined ? {} : { keepHeaders: keep }),
        context: (c) => ({ zone: c.req.header("x-zone") }),
      });
      sb.register("kept", (_p, ctx) => ({
        names: [...ctx.connection.headers.keys()],
        device: ctx.connection.headers.get("x-device"),
        zone: ctx.connection.data.zone,
      }));
      await withServer(sb, async (server) => {
        const raw = await openRaw(server.wsUrl, { "x-device": "d1", "x-zone": "eu" });
        raw.socket.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "kept" }));
        const reply = JSON.parse(String(await raw.next()));
        assert.deepEqual(reply.result, {
          names: expected,
          device: expected.length === 0 ? null : "d1",
          zone: "eu",
        });
        raw.socket.close();
      });
    }
    for (const bad of [["x y"], [""], "all", [1]]) {
      assert.throws(
        () => new Switchboard({ keepHeaders: bad as unknown as string[] }),
        /keepHeaders must be a boolean or an array of header names/,
      );
    }
  });

  it("a context hook that throws refuses the upgrade and the HTTP call with 403", async () => {
    const sb = new Switchboard({
      context: (c) => {
        if (c.req.header("authorization") !== "Bearer ok") {
          throw new RpcError(-32040, "Unauthorized");
        }
        return {};
      },
    });
    sb.register("x", () => 1);
    await withServer(sb, async (server) => {
      const res = await fetch(server.httpUrl, {
        headers: { upgrade: "websocket", connection: "upgrade" },
      });
      assert.equal(res.status, 403);
      assert.deepEqual((await res.json()).error, { code: -32040, message: "Unauthorized" });
      const http = await post(server.httpUrl, { jsonrpc: "2.0", id: 1, method: "x" });
      assert.equal(http.status, 403);
      await http.body?.cancel();
      const allowed = await fetch(server.httpUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer ok" },
        body: '{"jsonrpc":"2.0","id":1,"method":"x"}',
      });
      assert.deepEqual(await allowed.json(), { jsonrpc: "2.0", id: 1, result: 1 });
    });
  });

  it("broadcast() notifies every peer or those the filter keeps", async () => {
    const sb = new Switchboard();
    await withServer(sb, async (server) => {
      const clients = await Promise.all([1, 2, 3].map(() => openClient(server.wsUrl)));
      const got: string[][] = clients.map(() => []);
      clients.forEach((c, i) => c.register("news", ([s]: string[]) => void got[i]!.push(s!)));
      await until(() => sb.peers.size >= 3);
      assert.equal(sb.broadcast("news", ["all"]), 3);
      const first = [...sb.peers.keys()][0];
      assert.equal(sb.broadcast("news", ["one"], (p: Peer) => p.info.id === first), 1);
      await until(() => got.flat().length >= 4);
      assert.equal(got.flat().filter((s) => s === "all").length, 3);
      assert.equal(got.flat().filter((s) => s === "one").length, 1);
      for (const c of clients) c.close();
    });
  });

  it("rpc.hello answers the session id, codec and limits; rpc.ping answers pong", async () => {
    const sb = new Switchboard({ limits: { maxBatchSize: 7 } });
    await withServer(sb, async (server) => {
      const raw = await openRaw(server.wsUrl);
      const hello = await raw.exchange(
        '{"jsonrpc":"2.0","id":1,"method":"rpc.hello","params":{"codecs":["json"]}}',
      ) as { result: { session: string; codec: string; limits: { maxBatchSize: number } } };
      assert.equal(hello.result.codec, "json");
      assert.equal(hello.result.limits.maxBatchSize, 7);
      assert.ok(sb.peers.has(hello.result.session));
      const refused = await raw.exchange(
        '{"jsonrpc":"2.0","id":2,"method":"rpc.hello","params":{"codecs":["morse"]}}',
      ) as { error: { code: number } };
      assert.equal(refused.error.code, ErrorCode.InvalidParams);
      assert.deepEqual(await raw.exchange('{"jsonrpc":"2.0","id":3,"method":"rpc.ping"}'), {
        jsonrpc: "2.0",
        id: 3,
        result: "pong",
      });
      raw.socket.close();
    });
  });

  it("procedure names under rpc. are reserved", () => {
    const sb = new Switchboard();
    assert.throws(() => sb.register("rpc.mine", () => 1), TypeError);
  });
});

describe("Switchboard limits and bad input", () => {
  it("closes a connection sending an oversize frame with 1009; others are untouched", async () => {
    const sb = new Switchboard({ limits: { maxMessageSize: 1024 } });
    sb.register("echo", (p) => p);
    await withServer(sb, async (server) => {
      const good = await openClient(server.wsUrl);
      const bad = await openRaw(server.wsUrl);
      bad.socket.send(
        JSON.stringify({ jsonrpc: "2.0", id: 1, method: "echo", params: ["x".repeat(2000)] }),
      );
      const closed = await within(bad.closed, "bad.closed");
      assert.equal(closed.code, CloseCode.MessageTooBig);
      assert.deepEqual(await good.call("echo", ["still here"]), ["still here"]);
      good.close();
    });
  });

  it("closes a connection sending a binary frame (no binary codec) with 1003", async () => {
    const sb = new Switchboard();
    sb.register("echo", (p) => p);
    await withServer(sb, async (server) => {
      const good = await openClient(server.wsUrl);
      const bad = await openRaw(server.wsUrl);
      bad.socket.send(new Uint8Array([1, 2, 3]));
      assert.equal((await within(bad.closed, "bad.closed")).code, CloseCode.UnsupportedData);
      assert.deepEqual(await good.call("echo", [1]), [1]);
      good.close();
    });
  });

  it("answers a batch over maxBatchSize with one -32600", async () => {
    const sb = new Switchboard({ limits: { maxBatchSize: 2 } });
    sb.register("echo", (p) => p);
    await withServer(sb, async (server) => {
      const raw = await openRaw(server.wsUrl);
      const call = (id: number) => ({ jsonrpc: "2.0", id, method: "echo", params: [id] });
      const reply = await raw.exchange(JSON.stringify([call(1), call(2), call(3)])) as {
        error: { code: number; data: string };
      };
      assert.equal(reply.error.code, ErrorCode.InvalidRequest);
      assert.match(reply.error.data, /exceeds the limit of 2/);
      const ok = await raw.exchange(JSON.stringify([call(1), call(2)]));
      assert.equal((ok as unknown[]).length, 2);
      raw.socket.close();
    });
  });

  it("answers -32003 past maxConcurrentRequests running calls, then recovers", async () => {
    const sb = new Switchboard({ limits: { maxConcurrentRequests: 2 } });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => release = resolve);
    sb.register("wait", async () => {
      await gate;
      return "done";
    });
    await withServer(sb, async (server) => {
      const client = await openClient(server.wsUrl);
      const running = [client.call("wait"), client.call("wait")];
      const third = await rejection(client.call("wait"));
      assert.equal(third.code, ErrorCode.Overloaded);
      release();
      assert.deepEqual(await Promise.all(running), ["done", "done"]);
      assert.equal(await client.call("wait"), "done");
      client.close();
    });
  });

  it("refuses a call past maxPendingCalls with -32005 without sending it", async () => {
    const sb = new Switchboard();
    sb.register("hang", () => new Promise(() => {}));
    await withServer(sb, async (server) => {
      const client = await openClient(server.wsUrl, { limits: { maxPendingCalls: 3 } });
      const hanging = [1, 2, 3].map(() => rejection(client.call("hang")));
      const refused = await rejection(client.call("hang"));
      assert.equal(refused.code, ErrorCode.LimitExceeded);
      client.close();
      for (const err of await Promise.all(hanging)) {
        assert.equal(err.code, ErrorCode.ConnectionClosed);
      }
    });
  });

  it("survives hostile text frames and keeps answering", async () => {
    const sb = new Switchboard();
    sb.register("echo", (p) => p);
    await withServer(sb, async (server) => {
      const raw = await openRaw(server.wsUrl);
      const hostile = [
        "",
        "null",
        "42",
        '"str"',
        "{}",
        '{"jsonrpc":"1.0","id":1,"method":"echo"}',
        '{"jsonrpc":"2.0","id":{},"method":"echo"}',
        '{"jsonrpc":"2.0","id":1,"method":"echo","params":null}',
        '{"jsonrpc":"2.0","id":1,"method":"echo","params":5}',
        '{"jsonrpc":"2.0","id":1,"result":1,"error":{"code":1,"message":"x"}}',
        '{"jsonrpc":"2.0","id":1,"method":"__proto__"}',
        '{"jsonrpc":"2.0","id":1,"method":"constructor"}',
        "[".repeat(100_000),
      ];
      for (const frame of hostile) {
        raw.socket.send(frame);
        const reply = JSON.parse(await raw.next() as string);
        assert.ok(reply.error, `expected an error for ${frame.slice(0, 40)}`);
        assert.ok(
          [ErrorCode.ParseError, ErrorCode.InvalidRequest, ErrorCode.MethodNotFound]
            .includes(reply.error.code),
          `unexpected code ${reply.error.code} for ${frame.slice(0, 40)}`,
        );
      }
      assert.deepEqual(
        await raw.exchange('{"jsonrpc":"2.0","id":"ok","method":"echo","params":[1]}'),
        { jsonrpc: "2.0", id: "ok", result: [1] },
      );
      raw.socket.close();
    });
  });

  it("ignores responses to ids it never sent", async () => {
    const sb = new Switchboard();
    sb.register("echo", (p) => p);
    await withServer(sb, async (server) => {
      const raw = await openRaw(server.wsUrl);
      raw.socket.send('{"jsonrpc":"2.0","id":999,"result":"stray"}');
      raw.socket.send('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse"}}');
      assert.deepEqual(
        await raw.exchange('{"jsonrpc":"2.0","id":1,"method":"echo","params":[2]}'),
        { jsonrpc: "2.0", id: 1, result: [2] },
      );
      raw.socket.close();
    });
  });
});

describe("JSON-RPC over HTTP POST", () => {
  it("answers a plain GET with 426 and a wrong content type with 415", async () => {
    const sb = new Switchboard();
    await withServer(sb, async (server) => {
      const get = await fetch(server.httpUrl);
      assert.equal(get.status, 426);
      await get.body?.cancel();
      const text = await fetch(server.httpUrl, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: '{"jsonrpc":"2.0","id":1,"method":"rpc.ping"}',
      });
      assert.equal(text.status, 415);
      await text.body?.cancel();
    });
  });

  it("answers a body over maxMessageSize with 413", async () => {
    const sb = new Switchboard({ limits: { maxMessageSize: 100 } });
    await withServer(sb, async (server) => {
      const res = await post(server.httpUrl, { jsonrpc: "2.0", id: 1, method: "x".repeat(200) });
      assert.equal(res.status, 413);
      await res.body?.cancel();
    });
  });

  it("answers a body of notifications only with 204 and no body", async () => {
    const sb = new Switchboard();
    const seen: unknown[] = [];
    sb.register("note", (params) => void seen.push(params));
    await withServer(sb, async (server) => {
      const res = await post(server.httpUrl, [
        { jsonrpc: "2.0", method: "note", params: [1] },
        { jsonrpc: "2.0", method: "note", params: [2] },
      ]);
      assert.equal(res.status, 204);
      assert.equal(await res.text(), "");
      assert.deepEqual(seen, [[1], [2]]);
    });
  });

  it("a procedure calling back over HTTP gets -32004", async () => {
    const sb = new Switchboard();
    sb.register("callback", async (_p, ctx) => await ctx.peer.call("anything"));
    await withServer(sb, async (server) => {
      const res = await post(server.httpUrl, { jsonrpc: "2.0", id: 1, method: "callback" });
      const body = await res.json();
      assert.equal(body.error.code, ErrorCode.Unsupported);
    });
  });

  it("mounts on any path of the app's own Hono app, next to its routes", async () => {
    const sb = new Switchboard();
    sb.register("where", () => "mounted");
    const app = new Hono();
    app.get("/health", (c) => c.json({ ok: true }));
    const server = await startServer(sb, { app, path: "/api/v1/rpc" });
    try {
      assert.deepEqual(await (await fetch(`${server.origin}/health`)).json(), { ok: true });
      const res = await post(server.httpUrl, { jsonrpc: "2.0", id: 1, method: "where" });
      assert.equal((await res.json()).result, "mounted");
      const client = await openClient(server.wsUrl);
      assert.equal(await client.call("where"), "mounted");
      client.close();
    } finally {
      await server.close();
    }
  });
});

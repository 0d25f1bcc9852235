import { describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { Switchboard } from "../../server.ts";
import type { EventParams } from "../../mod.ts";
import { RpcError } from "../../mod.ts";
import { openClient, openRaw, post, startServer } from "../_fixtures.ts";
import { nextMatching, waitFor } from "../_pubsub_helpers.ts";

describe("pub/sub over the wire", () => {
  it("rpc.subscribe from a plain JSON-RPC client receives rpc.event with topic, data, seq", async () => {
    const sb = new Switchboard();
    const server = await startServer(sb);
    const raw = await openRaw(server.wsUrl);
    try {
      const reply = await raw.exchange(
        '{"jsonrpc":"2.0","id":1,"method":"rpc.subscribe","params":{"topic":"news.today"}}',
      );
      assert.deepEqual(reply, {
        jsonrpc: "2.0",
        id: 1,
        result: { topic: "news.today", seq: 0 },
      });
      assert.equal(await sb.publish("news.today", { headline: "hi" }), 1);
      assert.deepEqual(JSON.parse(await raw.next() as string), {
        jsonrpc: "2.0",
        method: "rpc.event",
        params: { topic: "news.today", seq: 1, data: { headline: "hi" } },
      });
      const off = await raw.exchange(
        '{"jsonrpc":"2.0","id":2,"method":"rpc.unsubscribe","params":["news.today"]}',
      );
      assert.deepEqual(off, { jsonrpc: "2.0", id: 2, result: true });
    } finally {
      raw.socket.close();
      await server.close();
    }
  });

  it("rpc.hello lists the pub/sub extensions", async () => {
    const sb = new Switchboard();
    const server = await startServer(sb);
    const client = await openClient(server.wsUrl);
    try {
      const hello = await client.call("rpc.hello") as { extensions: string[] };
      for (const name of ["rpc.subscribe", "rpc.unsubscribe", "rpc.publish", "rpc.event"]) {
        assert.ok(hello.extensions.includes(name), name);
      }
    } finally {
      client.close();
      await server.close();
    }
  });

  it("topic() starts at the first subscriber and cleans up after the last leaves", async () => {
    const sb = new Switchboard();
    const started: string[] = [];
    let stopped = 0;
    sb.topic("ticker.*", ({ topic, publish }) => {
      started.push(topic);
      publish({ first: topic });
      return () => stopped++;
    });
    const server = await startServer(sb);
    const a = await openClient(server.wsUrl);
    const b = await openClient(server.wsUrl);
    try {
      const got: unknown[] = [];
      const subA = a.subscribe("ticker.ACME", (data) => got.push(data));
      assert.deepEqual(await within(subA.ready, "subA.ready"), { topic: "ticker.ACME", seq: 0 });
      await waitFor(() => got.length === 1, "the first event");
      assert.deepEqual(got[0], { first: "ticker.ACME" });
      await b.subscribe("ticker.ACME", () => {}).ready;
      assert.deepEqual(started, ["ticker.ACME"]);
      await subA.unsubscribe();
      assert.equal(stopped, 0);
      assert.equal(sb.pubsub.subscriberCount("ticker.ACME"), 1);
      b.close();
      await waitFor(() => stopped === 1, "the cleanup");
      await a.subscribe("ticker.ACME", () => {}).ready;
      assert.deepEqual(started, ["ticker.ACME", "ticker.ACME"]);
    } finally {
      a.close();
      b.close();
      await server.close();
    }
  });

  it("a connection receives one rpc.event per publish even when several subscriptions match", async () => {
    const sb = new Switchboard();
    const server = await startServer(sb);
    const raw = await openRaw(server.wsUrl);
    try {
      for (const [id, topic] of [[1, "a.b"], [2, "a.*"], [3, "a.**"]] as const) {
        const reply = await raw.exchange(JSON.stringify({
          jsonrpc: "2.0",
          id,
          method: "rpc.subscribe",
          params: { topic },
        })) as { result: unknown };
        assert.ok(reply.result !== undefined);
      }
      await sb.publish("a.b", 1);
      await sb.publish("a.b.c", 2);
      await sb.publish("x.y", 3);
      await sb.publish("a.c", 4);
      const seen: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        const frame = JSON.parse(await raw.next() as string) as { params: EventParams };
        seen.push([frame.params.topic, frame.params.data]);
      }
      assert.deepEqual(seen, [["a.b", 1], ["a.b.c", 2], ["a.c", 4]]);
    } finally {
      raw.socket.close();
      await server.close();
    }
  });

  it("client handlers of patterns and topics share server subscriptions", async () => {
    const sb = new Switchboard();
    const server = await startServer(sb);
    const client = await openClient(server.wsUrl);
    try {
      const one: string[] = [];
      const many: string[] = [];
      const exact: number[] = [];
      await client.subscribe("room.*", (_d, e) => one.push(e.topic)).ready;
      await client.subscribe("room.**", (_d, e) => many.push(e.topic)).ready;
      const h1 = client.subscribe("room.1", (d) => exact.push(d as number));
      const h2 = client.subscribe("room.1", (d) => exact.push((d as number) * 10));
      await Promise.all([h1.ready, h2.ready]);
      await sb.publish("room.1", 1);
      await sb.publish("room.1.thread", 2);
      await waitFor(() => many.length === 2, "two events");
      assert.deepEqual(one, ["room.1"]);
      assert.deepEqual(many, ["room.1", "room.1.thread"]);
      assert.deepEqual(exact, [1, 10]);
      await h1.unsubscribe();
      assert.equal(sb.pubsub.subscriberCount("room.1"), 1);
      await h2.unsubscribe();
      await waitFor(() => sb.pubsub.subscriberCount("room.1") === 0, "the unsubscribe");
      assert.equal(client.subscriptions.lastSeq("room.1"), undefined);
    } finally {
      client.close();
      await server.close();
    }
  });

  it("rpc.publish excludes the publisher unless it asks for echo", async () => {
    const sb = new Switchboard({
      pubsub: {
        authorize: ({ action, topic }) => action === "subscribe" || topic.startsWith("chat."),
      },
    });
    const server = await startServer(sb);
    const a = await openClient(server.wsUrl);
    const b = await openClient(server.wsUrl);
    try {
      const gotA: unknown[] = [];
      const gotB: unknown[] = [];
      await a.subscribe("chat.lobby", (d) => gotA.push(d)).ready;
      await b.subscribe("chat.lobby", (d) => gotB.push(d)).ready;
      assert.equal(await a.publish("chat.lobby", "quiet"), 1);
      assert.equal(await a.publish("chat.lobby", "loud", { echo: true }), 2);
      await waitFor(() => gotA.length === 1 && gotB.length === 2, "the events");
      assert.deepEqual(gotA, ["loud"]);
      assert.deepEqual(gotB, ["quiet", "loud"]);
    } finally {
      a.close();
      b.close();
      await server.close();
    }
  });

  it("refuses client publishing by default with -32006 Forbidden", async () => {
    const sb = new Switchboard();
    const server = await startServer(sb);
    const raw = await openRaw(server.wsUrl);
    try {
      const reply = await raw.exchange(
        '{"jsonrpc":"2.0","id":7,"method":"rpc.publish","params":{"topic":"news.x","data":1}}',
      );
      assert.deepEqual(reply, {
        jsonrpc: "2.0",
        id: 7,
        error: {
          code: -32006,
          message: "Forbidden",
          data: { action: "publish", topic: "news.x" },
        },
      });
    } finally {
      raw.socket.close();
      await server.close();
    }
  });

  it("authorize() refuses a subscription with -32006 and sees the connection", async () => {
    const asked: string[] = [];
    const sb = new Switchboard({
      context: () => ({ user: "ada" }),
      pubsub: {
        authorize: async ({ topic, connection }) => {
          await Promise.resolve();
          asked.push(`${connection.data.user}:${topic}`);
          return !topic.startsWith("secret.");
        },
      },
    });
    const server = await startServer(sb);
    const client = await openClient(server.wsUrl);
    try {
      const error = await client.subscribe("secret.*", () => {}).ready.catch((e) => e);
      assert.ok(error instanceof RpcError);
      assert.equal(error.code, -32006);
      await client.subscribe("public.x", () => {}).ready;
      assert.deepEqual(asked, ["ada:secret.*", "ada:public.x"]);
      assert.equal(sb.pubsub.subscriberCount("public.x"), 1);
    } finally {
      client.close();
      await server.close();
    }
  });

  it("limit violations get precise errors and do not harm the connection", async () => {
    const sb = new Switchboard({ pubsub: { limits: { maxSubscriptions: 2, maxWildcards: 2 } } });
    const server = await startServer(sb);
    const raw = await openRaw(server.wsUrl);
    const call = async (params: unknown) =>
      (await raw.exchange(
        JSON.stringify({ jsonrpc: "2.0", id: 1, method: "rpc.subscribe", params }),
      )) as { result?: unknown; error?: { code: number; data?: { reason?: string } } };
    try {
      assert.equal((await call({ topic: "bad topic" })).error?.code, -32602);
      assert.equal((await call({ topic: "a..b" })).error?.code, -32602);
      assert.equal((await call({ topic: 12 })).error?.code, -32602);
      assert.equal((await call({})).error?.code, -32602);
      assert.equal((await call({ topic: "x".repeat(300) })).error?.code, -32005);
      assert.equal((await call({ topic: "*.*.*" })).error?.code, -32005);
      assert.equal((await call({ topic: "a.*", since: 3 })).error?.code, -32602);
      assert.equal((await call({ topic: "a.b", since: -1 })).error?.code, -32602);
      assert.equal((await call({ topic: "a.b", nope: 1 })).error?.code, -32602);
      assert.ok((await call({ topic: "one" })).result);
      assert.ok((await call({ topic: "two" })).result);
      const third = await call({ topic: "three" });
      assert.equal(third.error?.code, -32005);
      assert.match(third.error?.data?.reason ?? "", /subscriptions/);
      // The connection still works.
      assert.ok((await call({ topic: "one" })).result);
    } finally {
      raw.socket.close();
      await server.close();
    }
  });

  it("rpc.subscribe over HTTP POST is refused with -32004", async () => {
    const sb = new Switchboard();
    const server = await startServer(sb);
    try {
      const res = await post(server.httpUrl, {
        jsonrpc: "2.0",
        id: 1,
        method: "rpc.subscribe",
        params: { topic: "a" },
      });
      assert.equal((await res.json()).error.code, -32004);
    } finally {
      await server.close();
    }
  });

  it("sendEvent() reaches one connection only, without a seq", async () => {
    const sb = new Switchboard();
    const server = await startServer(sb);
    const a = await openClient(server.wsUrl);
    const b = await openClient(server.wsUrl);
    try {
      const gotA: EventParams[] = [];
      const gotB: EventParams[] = [];
      await a.subscribe("inbox", (_d, e) => gotA.push(e)).ready;
      await b.subscribe("inbox", (_d, e) => gotB.push(e)).ready;
      const idA = [...sb.peers.keys()][0]!;
      const toA = [...sb.peers.values()][0]!;
      assert.equal(sb.sendEvent(idA, "inbox", "private"), true);
      assert.equal(sb.sendEvent(toA, "inbox", "again"), true);
      assert.equal(sb.sendEvent("nobody", "inbox", "x"), false);
      await sb.publish("inbox", "everyone");
      await waitFor(() => gotB.length === 1 && gotA.length + gotB.length === 4, "the events");
      const [first, second] = [gotA, gotB].sort((x, y) => y.length - x.length);
      assert.deepEqual(first, [
        { topic: "inbox", data: "private" },
        { topic: "inbox", data: "again" },
        { topic: "inbox", seq: 1, data: "everyone" },
      ]);
      assert.deepEqual(second, [{ topic: "inbox", seq: 1, data: "everyone" }]);
    } finally {
      a.close();
      b.close();
      await server.close();
    }
  });

  it("publish() rejects a bad topic name with -32602", async () => {
    const sb = new Switchboard();
    const error = await sb.publish("a.*", 1).catch((e) => e);
    assert.ok(error instanceof RpcError);
    assert.equal(error.code, -32602);
  });

  it("nextMatching() helper skips frames", async () => {
    // Exercise the helper so it stays in use by at least one test.
    const sb = new Switchboard();
    const server = await startServer(sb);
    const raw = await openRaw(server.wsUrl);
    try {
      raw.socket.send('{"jsonrpc":"2.0","id":1,"method":"rpc.ping"}');
      raw.socket.send('{"jsonrpc":"2.0","id":2,"method":"rpc.ping"}');
      const skipped: unknown[] = [];
      const frame = await nextMatching(raw, (f) => f.id === 2, skipped);
      assert.equal(frame.result, "pong");
      assert.equal(skipped.length, 1);
    } finally {
      raw.socket.close();
      await server.close();
    }
  });
});

describe("client subscriptions", () => {
  it("unsubscribe() after the connection closed resolves; resumeParams() keeps the topics", async () => {
    const sb = new Switchboard();
    const server = await startServer(sb);
    const client = await openClient(server.wsUrl);
    try {
      const seen: number[] = [];
      const sub = client.subscribe("keep", (_d, e) => seen.push(e.seq!));
      await client.subscribe("keep.*", () => {}).ready;
      await within(sub.ready, "sub.ready");
      await sb.publish("keep", 1);
      await waitFor(() => seen.length === 1, "the event");
      client.close();
      await within(client.closed, "client.closed");
      assert.deepEqual(client.subscriptions.resumeParams(), [
        { topic: "keep", since: 1 },
        { topic: "keep.*" },
      ]);
      await sub.unsubscribe();
    } finally {
      client.close();
      await server.close();
    }
  });
});

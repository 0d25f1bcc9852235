/**
 * The runtime's own topic fan-out (Bun's `server.publish`) as the broker's local delivery:
 * subscribers reached by it get exactly what the broker's loop would send them. On Deno the
 * same tests check the loop (no subscription is handed to a runtime there).
 */
import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { Hono } from "hono";
import {
  type Backplane,
  detectAdapter,
  MemoryBackplane,
  Switchboard,
  switchboardRoutes,
} from "../../server.ts";
import { superjsonCodec } from "../../lib/codec/superjson.ts";
import { openClient, openRaw, type RawSocket, startServer } from "../_fixtures.ts";
import { waitFor } from "../_pubsub_helpers.ts";

const onBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";

/** How many subscribers of an exact topic the runtime reaches (0 where it has no fan-out). */
function runtimeCount(sb: Switchboard, topic: string): number {
  return sb.pubsub.topics().find((row) => row.topic === topic && !row.pattern)?.runtime ?? 0;
}

async function subscribeRaw(raw: RawSocket, topic: string, id = 1): Promise<unknown> {
  return await raw.exchange(
    JSON.stringify({ jsonrpc: "2.0", id, method: "rpc.subscribe", params: { topic } }),
  );
}

/** The next `count` frames of a raw socket, as text. */
async function frames(raw: RawSocket, count: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(await raw.next() as string);
  return out;
}

describe("pub/sub through the runtime's fan-out", () => {
  it("sends the same frames, in the same order, as the broker's own loop", async () => {
    const viaRuntime = new Switchboard();
    const viaLoop = new Switchboard({ pubsub: { runtimeFanout: false } });
    const servers = [await startServer(viaRuntime), await startServer(viaLoop)];
    const raws = [
      await openRaw(servers[0]!.wsUrl),
      await openRaw(servers[0]!.wsUrl),
      await openRaw(servers[1]!.wsUrl),
    ];
    try {
      for (const raw of raws) await subscribeRaw(raw, "prices.acme");
      assert.equal(runtimeCount(viaRuntime, "prices.acme"), onBun ? 2 : 0);
      assert.equal(runtimeCount(viaLoop, "prices.acme"), 0);
      assert.equal(viaRuntime.pubsub.subscriberCount("prices.acme"), 2);
      for (let i = 1; i <= 200; i++) {
        const data = { i, price: 100 + i / 100, note: i % 7 === 0 ? "ünïcödé ✓" : null };
        await viaRuntime.publish("prices.acme", data);
        await viaLoop.publish("prices.acme", data);
      }
      const got = await Promise.all(raws.map((raw) => frames(raw, 200)));
      assert.deepEqual(got[0], got[2]);
      assert.deepEqual(got[1], got[2]);
      assert.deepEqual(
        got[0]!.map((frame) => JSON.parse(frame).params.seq),
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      assert.equal(viaRuntime.pubsub.delivered, 400);
    } finally {
      for (const raw of raws) raw.socket.close();
      for (const server of servers) await server.close();
    }
  });

  it("leaves the publisher out unless it asks for its own event", async () => {
    const sb = new Switchboard({ pubsub: { authorize: () => true } });
    const server = await startServer(sb);
    const alice = await openRaw(server.wsUrl);
    const bob = await openRaw(server.wsUrl);
    try {
      await subscribeRaw(alice, "chat.lobby");
      await subscribeRaw(bob, "chat.lobby");
      assert.equal(runtimeCount(sb, "chat.lobby"), onBun ? 2 : 0);
      const published = await alice.exchange(JSON.stringify({
        jsonrpc: "2.0",
        id: 2,
        method: "rpc.publish",
        params: { topic: "chat.lobby", data: "from alice" },
      }));
      assert.deepEqual(published, { jsonrpc: "2.0", id: 2, result: { seq: 1 } });
      alice.socket.send(JSON.stringify({
        jsonrpc: "2.0",
        id: 3,
        method: "rpc.publish",
        params: { topic: "chat.lobby", data: "echoed", echo: true },
      }));
      // The event goes out while the publish runs, before its response.
      assert.deepEqual((await frames(alice, 2)).map((f) => JSON.parse(f)), [
        {
          jsonrpc: "2.0",
          method: "rpc.event",
          params: { topic: "chat.lobby", seq: 2, data: "echoed" },
        },
        { jsonrpc: "2.0", id: 3, result: { seq: 2 } },
      ]);
      const bobGot = (await frames(bob, 2)).map((f) => JSON.parse(f).params.data);
      assert.deepEqual(bobGot, ["from alice", "echoed"]);
      // A server-side publish reaches both.
      await sb.publish("chat.lobby", "server");
      assert.equal(JSON.parse(await alice.next() as string).params.data, "server");
      assert.equal(JSON.parse(await bob.next() as string).params.data, "server");
    } finally {
      alice.socket.close();
      bob.socket.close();
      await server.close();
    }
  });

  it("sends one event to a connection that holds the topic and a matching pattern", async () => {
    const sb = new Switchboard();
    const server = await startServer(sb);
    const raw = await openRaw(server.wsUrl);
    try {
      await subscribeRaw(raw, "news.today", 1);
      await subscribeRaw(raw, "news.*", 2);
      await sb.publish("news.today", 1);
      await sb.publish("news.other", 2);
      await sb.publish("news.today", 3);
      const got = (await frames(raw, 3)).map((f) => JSON.parse(f).params);
      assert.deepEqual(got.map((p) => [p.topic, p.data]), [
        ["news.today", 1],
        ["news.other", 2],
        ["news.today", 3],
      ]);
      await assert.rejects(raw.next(200), /no frame/);
    } finally {
      raw.socket.close();
      await server.close();
    }
  });

  it("takes a subscription back when rpc.hello changes its connection's codec", async () => {
    const sb = new Switchboard();
    const server = await startServer(sb);
    const plain = await openRaw(server.wsUrl);
    const rich = await openRaw(server.wsUrl);
    try {
      await subscribeRaw(plain, "t.x");
      await subscribeRaw(rich, "t.x");
      assert.equal(runtimeCount(sb, "t.x"), onBun ? 2 : 0);
      await sb.publish("t.x", 1);
      assert.equal(JSON.parse(await rich.next() as string).params.data, 1);
      const hello = await rich.exchange(JSON.stringify({
        jsonrpc: "2.0",
        id: 9,
        method: "rpc.hello",
        params: { codecs: ["superjson"] },
      })) as { result: { codec: string } };
      assert.equal(hello.result.codec, "superjson");
      assert.equal(runtimeCount(sb, "t.x"), onBun ? 1 : 0);
      await sb.publish("t.x", { n: 2n });
      const decoded = superjsonCodec.decode(await rich.next() as string) as {
        params: { seq: number; data: { n: bigint } };
      };
      assert.deepEqual(decoded.params, { topic: "t.x", seq: 2, data: { n: 2n } });
      // The JSON subscriber still gets its events (a bigint is not JSON: reported, not sent),
      // and the next one in order.
      await sb.publish("t.x", 3);
      const plainGot = (await frames(plain, 2)).map((f) => JSON.parse(f).params);
      assert.deepEqual(plainGot.map((p) => [p.seq, p.data]), [[1, 1], [3, 3]]);
    } finally {
      plain.socket.close();
      rich.socket.close();
      await server.close();
    }
  });

  it("sends an event a backplane delivers twice only once", async () => {
    const inner = new MemoryBackplane();
    const backplane: Backplane = {
      publish: (topic, data, exclude) => inner.publish(topic, data, exclude),
      stream: (listener) =>
        inner.stream((event) => {
          listener(event);
          listener(event);
        }),
      replay: (topic, since) => inner.replay(topic, since),
      close: () => inner.close(),
    };
    const sb = new Switchboard({ pubsub: { backplane } });
    const server = await startServer(sb);
    const raws = [await openRaw(server.wsUrl), await openRaw(server.wsUrl)];
    try {
      for (const raw of raws) await subscribeRaw(raw, "twice");
      assert.equal(runtimeCount(sb, "twice"), onBun ? 2 : 0);
      for (let i = 1; i <= 3; i++) await sb.publish("twice", i);
      for (const raw of raws) {
        const got = (await frames(raw, 3)).map((f) => JSON.parse(f).params.seq);
        assert.deepEqual(got, [1, 2, 3]);
        await assert.rejects(raw.next(100), /no frame/);
      }
    } finally {
      for (const raw of raws) raw.socket.close();
      await server.close();
    }
  });

  it("stops sending after unsubscribe and resumes on a new subscription", async () => {
    const sb = new Switchboard();
    const server = await startServer(sb);
    const stays = await openRaw(server.wsUrl);
    const leaves = await openRaw(server.wsUrl);
    try {
      await subscribeRaw(stays, "t.y");
      await subscribeRaw(leaves, "t.y");
      assert.deepEqual(
        await leaves.exchange(
          '{"jsonrpc":"2.0","id":2,"method":"rpc.unsubscribe","params":["t.y"]}',
        ),
        { jsonrpc: "2.0", id: 2, result: true },
      );
      assert.equal(runtimeCount(sb, "t.y"), onBun ? 1 : 0);
      await sb.publish("t.y", "only stays");
      assert.equal(JSON.parse(await stays.next() as string).params.data, "only stays");
      await assert.rejects(leaves.next(200), /no frame/);
      assert.deepEqual(await subscribeRaw(leaves, "t.y", 3), {
        jsonrpc: "2.0",
        id: 3,
        result: { topic: "t.y", seq: 1 },
      });
      assert.equal(runtimeCount(sb, "t.y"), onBun ? 2 : 0);
      await sb.publish("t.y", "both");
      assert.equal(JSON.parse(await leaves.next() as string).params.seq, 2);
      assert.equal(JSON.parse(await stays.next() as string).params.seq, 2);
      // A repeated subscribe reports the last sequence number the connection got.
      assert.deepEqual(await subscribeRaw(stays, "t.y", 4), {
        jsonrpc: "2.0",
        id: 4,
        result: { topic: "t.y", seq: 2 },
      });
      stays.socket.close();
      await waitFor(() => sb.pubsub.subscriberCount("t.y") === 1, "the closed one to leave");
      await sb.publish("t.y", "after a close");
      assert.equal(JSON.parse(await leaves.next() as string).params.data, "after a close");
    } finally {
      stays.socket.close();
      leaves.socket.close();
      await server.close();
    }
  });

  it("keeps the topics of two Switchboards on one server apart", async () => {
    const first = new Switchboard();
    const second = new Switchboard();
    const adapter = await detectAdapter();
    const app = new Hono();
    app.route("/first", switchboardRoutes(first, adapter.upgradeWebSocket));
    app.route("/second", switchboardRoutes(second, adapter.upgradeWebSocket));
    const server = await adapter.serve(app, {
      hostname: "127.0.0.1",
      port: 0,
      maxMessageSize: 1 << 20,
    });
    const ws = server.url.replace("http:", "ws:");
    const a = await openRaw(`${ws}/first`);
    const b = await openRaw(`${ws}/second`);
    try {
      await subscribeRaw(a, "shared.name");
      await subscribeRaw(b, "shared.name");
      await first.publish("shared.name", "for the first");
      await second.publish("shared.name", "for the second");
      assert.equal(JSON.parse(await a.next() as string).params.data, "for the first");
      assert.equal(JSON.parse(await b.next() as string).params.data, "for the second");
      await assert.rejects(a.next(200), /no frame/);
      await assert.rejects(b.next(200), /no frame/);
    } finally {
      a.socket.close();
      b.socket.close();
      await server.close();
    }
  });

  it("delivers events carrying binary data to runtime subscribers through the loop", async () => {
    const sb = new Switchboard();
    const server = await startServer(sb);
    const client = await openClient(server.wsUrl);
    const other = await openClient(server.wsUrl);
    try {
      const got: unknown[] = [];
      const otherGot: unknown[] = [];
      await client.subscribe("images.raw", (data) => got.push(data)).ready;
      await other.subscribe("images.raw", (data) => otherGot.push(data)).ready;
      assert.equal(runtimeCount(sb, "images.raw"), onBun ? 2 : 0);
      await sb.publish("images.raw", { n: 1 });
      await sb.publish("images.raw", { bytes: new Uint8Array([1, 2, 3]) });
      await sb.publish("images.raw", { n: 3 });
      await waitFor(() => got.length === 3 && otherGot.length === 3, "three events each");
      for (const events of [got, otherGot]) {
        assert.deepEqual(events[0], { n: 1 });
        assert.deepEqual(events[1], { bytes: new Uint8Array([1, 2, 3]) });
        assert.deepEqual(events[2], { n: 3 });
      }
    } finally {
      client.close();
      other.close();
      await server.close();
    }
  });
  it("leaves the publisher out of binary and text events alike on the runtime path", async () => {
    const sb = new Switchboard({ pubsub: { authorize: () => true } });
    const server = await startServer(sb);
    const alice = await openClient(server.wsUrl);
    const bob = await openClient(server.wsUrl);
    try {
      const aliceGot: unknown[] = [];
      const bobGot: unknown[] = [];
      await alice.subscribe("cams.front", (data) => aliceGot.push(data)).ready;
      await bob.subscribe("cams.front", (data) => bobGot.push(data)).ready;
      // On Bun both subscriptions are the runtime's: the exclusion under test is its own.
      assert.equal(runtimeCount(sb, "cams.front"), onBun ? 2 : 0);
      await alice.publish("cams.front", { frame: new Uint8Array([1, 2, 3]) });
      await alice.publish("cams.front", { text: "from alice" });
      await sb.publish("cams.front", { text: "server" });
      await waitFor(() => bobGot.length === 3 && aliceGot.length >= 1, "the events");
      assert.deepEqual(bobGot, [
        { frame: new Uint8Array([1, 2, 3]) },
        { text: "from alice" },
        { text: "server" },
      ]);
      // Events of one topic arrive in order: had alice got her own, they would come first.
      assert.deepEqual(aliceGot, [{ text: "server" }]);
    } finally {
      alice.close();
      bob.close();
      await server.close();
    }
  });
});

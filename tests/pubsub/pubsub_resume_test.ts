import { describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { Switchboard } from "../../server.ts";
import type { EventParams, Gap } from "../../mod.ts";
import { openClient, openRaw, startServer } from "../_fixtures.ts";
import { waitFor } from "../_pubsub_helpers.ts";

async function publishMany(sb: Switchboard, topic: string, from: number, to: number) {
  for (let i = from; i <= to; i++) await sb.publish(topic, i);
}

describe("pub/sub replay and ordering", () => {
  it("subscribe with since replays the missed events before the response, then live ones", async () => {
    const sb = new Switchboard({ pubsub: { replay: { size: 100 } } });
    const server = await startServer(sb);
    const raw = await openRaw(server.wsUrl);
    try {
      await publishMany(sb, "t", 1, 5);
      raw.socket.send(
        '{"jsonrpc":"2.0","id":1,"method":"rpc.subscribe","params":{"topic":"t","since":2}}',
      );
      const frames: unknown[] = [];
      for (let i = 0; i < 4; i++) frames.push(JSON.parse(await raw.next() as string));
      assert.deepEqual(frames, [
        { jsonrpc: "2.0", method: "rpc.event", params: { topic: "t", seq: 3, data: 3 } },
        { jsonrpc: "2.0", method: "rpc.event", params: { topic: "t", seq: 4, data: 4 } },
        { jsonrpc: "2.0", method: "rpc.event", params: { topic: "t", seq: 5, data: 5 } },
        { jsonrpc: "2.0", id: 1, result: { topic: "t", seq: 5, replayed: 3 } },
      ]);
      await sb.publish("t", 6);
      const live = JSON.parse(await raw.next() as string) as { params: EventParams };
      assert.equal(live.params.seq, 6);
    } finally {
      raw.socket.close();
      await server.close();
    }
  });

  it("a client resuming from its last seq gets every event once, in order", async () => {
    const sb = new Switchboard({ pubsub: { replay: { size: 50 } } });
    const server = await startServer(sb);
    const first = await openClient(server.wsUrl);
    const second = await openClient(server.wsUrl);
    try {
      const seen: number[] = [];
      await first.subscribe("feed", (_d, e) => seen.push(e.seq!)).ready;
      await publishMany(sb, "feed", 1, 10);
      await waitFor(() => seen.length === 10, "ten events");
      const since = first.subscriptions.lastSeq("feed")!;
      assert.equal(since, 10);
      assert.deepEqual(first.subscriptions.resumeParams(), [{ topic: "feed", since: 10 }]);
      first.close();
      await publishMany(sb, "feed", 11, 30);
      const sub = second.subscribe("feed", (_d, e) => seen.push(e.seq!), { since });
      const result = await within(sub.ready, "sub.ready");
      assert.equal(result.replayed, 20);
      await publishMany(sb, "feed", 31, 35);
      await waitFor(() => seen.length === 35, "35 events");
      assert.deepEqual(seen, Array.from({ length: 35 }, (_, i) => i + 1));
      assert.equal(second.subscriptions.lastSeq("feed"), 35);
    } finally {
      first.close();
      second.close();
      await server.close();
    }
  });

  it("a gap too old is reported explicitly and nothing is replayed", async () => {
    const sb = new Switchboard({ pubsub: { replay: { size: 2 } } });
    const server = await startServer(sb);
    const client = await openClient(server.wsUrl);
    try {
      await publishMany(sb, "t", 1, 5);
      const gaps: Gap[] = [];
      const got: number[] = [];
      const result = await client.subscribe("t", (_d, e) => got.push(e.seq!), {
        since: 1,
        onGap: (gap) => gaps.push(gap),
      }).ready;
      const gap: Gap = { since: 1, oldest: 4, seq: 5, reason: "expired" };
      assert.deepEqual(result, { topic: "t", seq: 5, gap });
      assert.deepEqual(gaps, [gap]);
      await sb.publish("t", 6);
      await waitFor(() => got.length === 1, "the live event");
      assert.deepEqual(got, [6]);
    } finally {
      client.close();
      await server.close();
    }
  });

  it("with replay off any miss is a gap, and a since ahead of the topic is reported", async () => {
    const sb = new Switchboard();
    const server = await startServer(sb);
    const client = await openClient(server.wsUrl);
    try {
      await publishMany(sb, "t", 1, 3);
      const off = await client.subscribe("t", () => {}, { since: 1 }).ready;
      assert.deepEqual(off.gap, { since: 1, oldest: null, seq: 3, reason: "expired" });
      const ahead = await client.subscribe("u", () => {}, { since: 9 }).ready;
      assert.deepEqual(ahead.gap, { since: 9, oldest: null, seq: 0, reason: "ahead" });
      const none = await client.subscribe("v", () => {}, { since: 0 }).ready;
      assert.deepEqual(none, { topic: "v", seq: 0, replayed: 0 });
    } finally {
      client.close();
      await server.close();
    }
  });

  it("events of one topic reach every subscriber in publish order under load", async () => {
    const sb = new Switchboard({
      pubsub: { authorize: () => true },
    });
    const server = await startServer(sb);
    const clients = await Promise.all([1, 2, 3].map(() => openClient(server.wsUrl)));
    const total = 2000;
    try {
      const seen = clients.map(() => [] as number[]);
      const seqs = clients.map(() => [] as number[]);
      await Promise.all(
        clients.map((c, i) =>
          c.subscribe("load", (d, e) => {
            seen[i]!.push(d as number);
            seqs[i]!.push(e.seq!);
          }).ready
        ),
      );
      // The server publishes in bursts while a client publishes too: one order per topic.
      const fromClient: Promise<number>[] = [];
      for (let i = 1; i <= total; i++) {
        if (i % 4 === 0) fromClient.push(clients[0]!.publish("load", i, { echo: true }));
        else await sb.publish("load", i);
        if (i % 100 === 0) await new Promise((r) => setTimeout(r, 0));
      }
      await Promise.all(fromClient);
      await waitFor(() => seen.every((s) => s.length === total), "every event", 10_000);
      const seqOrder = seen[1]!;
      for (const s of seen) assert.deepEqual(s, seqOrder);
      const expected = Array.from({ length: total }, (_, i) => i + 1);
      for (const s of seqs) assert.deepEqual(s, expected);
      // Server-published events keep their relative order.
      const serverOnly = seqOrder.filter((n) => n % 4 !== 0);
      assert.deepEqual(serverOnly, [...serverOnly].sort((a, b) => a - b));
      const clientOnly = seqOrder.filter((n) => n % 4 === 0);
      assert.deepEqual(clientOnly, [...clientOnly].sort((a, b) => a - b));
    } finally {
      for (const c of clients) c.close();
      await server.close();
    }
  });
});

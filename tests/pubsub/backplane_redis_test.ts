import { after, before, describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { createClient } from "@redis/client";
import { RedisBackplane } from "../../lib/pubsub/redis_backplane.ts";
import { type Engine, engineMissing, startRedis } from "../_engines.ts";
import { backplaneConformance, RETAIN } from "./backplane_conformance.ts";
import { waitFor } from "../_pubsub_helpers.ts";

let engine: Engine | undefined;

backplaneConformance("redis", {
  async setup() {
    engine = await startRedis();
  },
  async teardown() {
    await engine?.stop();
  },
  open: () =>
    RedisBackplane.connect(engine!.url, {
      replay: { size: RETAIN, maxAge: 60_000 },
      timeout: 1_000,
    }),
  engine: () => engine!,
}, engineMissing("redis-server"));

describe("redis backplane faults", { skip: engineMissing("redis-server") ?? false }, () => {
  let redis: Engine | undefined;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  it("events published while a listener's Pub/Sub connection was down are repaired, in order", async () => {
    const errors: unknown[] = [];
    const options = {
      replay: { size: 100 },
      timeout: 1_000,
      onError: (e: unknown) => errors.push(e),
    };
    const a = await RedisBackplane.connect(redis!.url, options);
    const b = await RedisBackplane.connect(redis!.url, options);
    const admin = createClient({ url: redis!.url });
    await admin.connect();
    try {
      const seqs: number[] = [];
      await b.stream((event) => seqs.push(event.seq)).add("repair.t");
      await a.publish("repair.t", 1);
      await waitFor(() => seqs.length === 1, "the first event");
      // Drop every Pub/Sub connection; the command connections stay.
      await admin.sendCommand(["CLIENT", "KILL", "TYPE", "pubsub"]);
      for (let i = 2; i <= 4; i++) await a.publish("repair.t", i);
      // Heard live, or fetched when the Pub/Sub connection came back (no further publish).
      await waitFor(() => seqs.length === 4, "events 2..4", 10_000);
      assert.deepEqual(seqs, [1, 2, 3, 4]);
      // Again, now publishing until the listener hears: a seq jump also fetches what it missed.
      await admin.sendCommand(["CLIENT", "KILL", "TYPE", "pubsub"]);
      await a.publish("repair.t", 5);
      for (let i = 6; i < 200 && seqs.length < 6; i++) {
        await a.publish("repair.t", i);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await waitFor(() => seqs.length >= 6, "events after the reconnection", 10_000);
      assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1));
      assert.deepEqual(errors, []);
    } finally {
      await admin.close();
      await a.close();
      await b.close();
    }
  });

  it("keys carry the prefix and the topic's hash tag; replay off keeps no stream", async () => {
    const bp = await RedisBackplane.connect(redis!.url, { prefix: "app1:" });
    const admin = createClient({ url: redis!.url });
    await admin.connect();
    try {
      await bp.publish("keys.t", "x");
      assert.equal(await admin.get("app1:{keys.t}:seq"), "1");
      assert.equal(await admin.exists("app1:{keys.t}:log"), 0);
      assert.ok((await admin.pTTL("app1:{keys.t}:seq")) > 0, "an idle topic expires");
      assert.deepEqual(await bp.replay("keys.t", 0), {
        gap: { since: 0, oldest: null, seq: 1, reason: "expired" },
      });
    } finally {
      await admin.close();
      await bp.close();
    }
  });

  it("publishes of one turn share a call: each topic gets dense seqs or its own error", async () => {
    const errors: unknown[] = [];
    const options = {
      prefix: "bat:",
      replay: { size: 100 },
      onError: (e: unknown) => errors.push(e),
    };
    const a = await RedisBackplane.connect(redis!.url, options);
    const b = await RedisBackplane.connect(redis!.url, options);
    const admin = createClient({ url: redis!.url });
    await admin.connect();
    try {
      // A key of the wrong type makes every publish on bad.t fail, and only those.
      await admin.hSet("bat:{bad.t}:log", "x", "1");
      const heard: string[] = [];
      const stream = b.stream((event) => heard.push(`${event.topic}#${event.seq}=${event.data}`));
      for (const filter of ["good.t", "good.*", "**"]) await stream.add(filter);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => a.publish(i % 2 ? "bad.t" : "good.t", i)),
      );
      const good = outcomes.filter((_, i) => i % 2 === 0);
      const bad = outcomes.filter((_, i) => i % 2 === 1);
      assert.deepEqual(good.map((o) => o.status === "fulfilled" && o.value), [
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        9,
        10,
      ]);
      for (const outcome of bad) {
        assert.equal(outcome.status, "rejected");
        assert.match(
          String((outcome as PromiseRejectedResult).reason),
          /could not publish on bad\.t: WRONGTYPE/,
        );
      }
      await waitFor(() => heard.length >= 10, "the good events");
      assert.deepEqual(heard, Array.from({ length: 10 }, (_, i) => `good.t#${i + 1}=${2 * i}`));
      const replayed = await b.replay("good.t", 4);
      assert.ok("events" in replayed);
      assert.deepEqual(replayed.events.map((e) => e.seq), [5, 6, 7, 8, 9, 10]);
      assert.deepEqual(errors, []);
      stream.close();
    } finally {
      await admin.close();
      await a.close();
      await b.close();
    }
  });
  it("a turn's events of a topic are one stream entry; replay starts inside it", async () => {
    const bp = await RedisBackplane.connect(redis!.url, { prefix: "ent:", replay: { size: 100 } });
    const admin = createClient({ url: redis!.url });
    await admin.connect();
    try {
      await Promise.all(Array.from({ length: 10 }, (_, i) => bp.publish("ent.t", i + 1)));
      await bp.publish("ent.t", 11);
      const entries = await admin.xRange("ent:{ent.t}:log", "-", "+");
      const ids = (entries ?? []).map((entry) => entry?.id);
      assert.deepEqual(ids, ["10-10", "11-1"]);
      const replayed = await bp.replay("ent.t", 4);
      assert.ok("events" in replayed);
      assert.deepEqual(replayed.events.map((e) => [e.seq, e.data]), [
        [5, 5],
        [6, 6],
        [7, 7],
        [8, 8],
        [9, 9],
        [10, 10],
        [11, 11],
      ]);
      assert.deepEqual(await bp.replay("ent.t", 11), { events: [], seq: 11 });
    } finally {
      await admin.close();
      await bp.close();
    }
  });

  it("the stream keeps about the last `size` events; older ones are a gap", async () => {
    const bp = await RedisBackplane.connect(redis!.url, { prefix: "trim:", replay: { size: 8 } });
    const admin = createClient({ url: redis!.url });
    await admin.connect();
    try {
      for (let i = 1; i <= 400; i++) await bp.publish("trim.t", i);
      // Trimmed whenever the counter passes a multiple of size / 4 (approximately: Redis
      // drops whole nodes of entries), so the stream stays bounded.
      assert.ok((await admin.xLen("trim:{trim.t}:log")) < 200, "trimmed");
      const replayed = await bp.replay("trim.t", 392);
      assert.ok("events" in replayed);
      assert.deepEqual(replayed.events.map((e) => e.seq), [393, 394, 395, 396, 397, 398, 399, 400]);
      assert.deepEqual(await bp.replay("trim.t", 391), {
        gap: { since: 391, oldest: 393, seq: 400, reason: "expired" },
      });
    } finally {
      await admin.close();
      await bp.close();
    }
  });

  it("the idle TTL is refreshed at most once per tenth of it; a counter restarting drops the stream", async () => {
    const bp = await RedisBackplane.connect(redis!.url, {
      prefix: "ttl:",
      replay: { size: 10 },
      topicTtl: 1_000_000,
    });
    const admin = createClient({ url: redis!.url });
    await admin.connect();
    try {
      await bp.publish("ttl.t", 1);
      const keys = ["ttl:{ttl.t}:seq", "ttl:{ttl.t}:log"];
      for (const key of keys) assert.ok((await admin.pTTL(key)) > 900_000, key);
      for (const key of keys) await admin.pExpire(key, 500_000);
      await bp.publish("ttl.t", 2);
      for (const key of keys) assert.ok((await admin.pTTL(key)) <= 500_000, "not refreshed");
      // Keys lost (expired, deleted): the counter starts again, with its TTL, and the old
      // stream (its entry IDs ahead of the new seqs) is dropped.
      await admin.del("ttl:{ttl.t}:seq");
      assert.equal(await bp.publish("ttl.t", 3), 1);
      for (const key of keys) assert.ok((await admin.pTTL(key)) > 900_000, key);
      const replayed = await bp.replay("ttl.t", 0);
      assert.ok("events" in replayed);
      assert.deepEqual(replayed.events.map((e) => [e.seq, e.data]), [[1, 3]]);
      // A counter set back below the stream's entries: the stream is dropped too.
      for (let i = 4; i <= 6; i++) await bp.publish("ttl.t", i);
      await admin.set("ttl:{ttl.t}:seq", "2");
      assert.equal(await bp.publish("ttl.t", 7), 3);
      const after = await bp.replay("ttl.t", 2);
      assert.ok("events" in after);
      assert.deepEqual(after.events.map((e) => [e.seq, e.data]), [[3, 7]]);
    } finally {
      await admin.close();
      await bp.close();
    }
  });

  it("a turn mixing plain, rich and binary events of a topic is heard whole, in order", async () => {
    const a = await RedisBackplane.connect(redis!.url, { prefix: "mix:", replay: { size: 10 } });
    const b = await RedisBackplane.connect(redis!.url, { prefix: "mix:", replay: { size: 10 } });
    try {
      const heard: unknown[] = [];
      await b.stream((event) => heard.push([event.seq, event.data])).add("mix.t");
      const data = ["plain", new Date(3), { file: new Uint8Array([4]) }, { n: 5 }];
      await Promise.all(data.map((d) => a.publish("mix.t", d)));
      await waitFor(() => heard.length === 4, "the four events");
      assert.deepEqual(heard, data.map((d, i) => [i + 1, d]));
      const replayed = await b.replay("mix.t", 1);
      assert.ok("events" in replayed);
      assert.deepEqual(replayed.events.map((e) => e.data), data.slice(1));
    } finally {
      await a.close();
      await b.close();
    }
  });
});

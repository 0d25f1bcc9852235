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
});

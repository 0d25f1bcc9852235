import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import {
  afterOutgoing,
  answerSoon,
  PublishQueue,
  type TopicBlock,
  TtlRefresh,
} from "../../lib/pubsub/redis_batch.ts";
import { waitFor } from "../_pubsub_helpers.ts";

describe("redis publish queue", () => {
  it("gathers one turn's publishes into one call, grouped by topic in first-publish order", async () => {
    const calls: [string, readonly (string | Uint8Array)[]][][] = [];
    const counters = new Map<string, number>();
    const queue = new PublishQueue((blocks) => {
      calls.push([...blocks].map(([topic, block]) => [topic, block.events]));
      for (const [topic, block] of blocks) {
        const last = (counters.get(topic) ?? 0) + block.events.length;
        counters.set(topic, last);
        block.resolve(last);
      }
    });
    const seqs = await Promise.all([
      queue.add("b", "1"),
      queue.add("a", "2"),
      queue.add("b", "3"),
      queue.add("b", "4"),
    ]);
    assert.deepEqual(seqs, [1, 1, 2, 3]);
    assert.deepEqual(calls, [[["b", ["1", "3", "4"]], ["a", ["2"]]]]);
    assert.equal(await queue.add("a", "5"), 2, "a later turn makes another call");
    assert.equal(calls.length, 2);
  });

  it("a full call (events or bytes) goes at once; the rest waits for the turn's end", async () => {
    const sizes: number[] = [];
    const queue = new PublishQueue((blocks) => {
      let n = 0;
      for (const block of blocks.values()) {
        n += block.events.length;
        block.resolve(block.events.length);
      }
      sizes.push(n);
    }, { maxEvents: 3, maxBytes: 10 });
    await Promise.all(Array.from({ length: 7 }, () => queue.add("t", "x")));
    assert.deepEqual(sizes, [3, 3, 1]);
    sizes.length = 0;
    await Promise.all([queue.add("t", "12345"), queue.add("u", "67890"), queue.add("t", "1")]);
    assert.deepEqual(sizes, [2, 1]);
  });

  it("a rejected block fails each of its publishes", async () => {
    const queue = new PublishQueue((blocks: Map<string, TopicBlock>) => {
      for (const [topic, block] of blocks) {
        if (topic === "bad") block.reject(new Error("no"));
        else block.resolve(block.events.length);
      }
    });
    const outcomes = await Promise.allSettled([
      queue.add("bad", "1"),
      queue.add("good", "2"),
      queue.add("bad", "3"),
    ]);
    assert.deepEqual(outcomes.map((o) => o.status), ["rejected", "fulfilled", "rejected"]);
  });
});

describe("redis outgoing work first", () => {
  it("a task runs at once when no call is scheduled and no answer waits", () => {
    let ran = false;
    afterOutgoing(() => (ran = true));
    assert.equal(ran, true);
  });

  it("a task waits for the scheduled call to be sent, and runs after the client's write", async () => {
    const order: string[] = [];
    const queue = new PublishQueue((blocks) => {
      order.push("send");
      setImmediate(() => order.push("client write")); // node-redis writes a turn later
      for (const block of blocks.values()) {
        answerSoon(() => {
          order.push("answer");
          block.resolve(1);
        });
      }
    });
    const published = queue.add("t", "x");
    afterOutgoing(() => order.push("decode"));
    assert.equal(await published, 1);
    await waitFor(() => order.includes("decode"), "the task");
    assert.deepEqual(order, ["send", "client write", "answer", "decode"]);
  });

  it("a task waits for an answer, and for the call its publishers then make", async () => {
    const order: string[] = [];
    const queue = new PublishQueue((blocks) => {
      order.push("send");
      for (const block of blocks.values()) block.resolve(1);
    });
    answerSoon(() => {
      order.push("answer");
      void queue.add("t", "x");
    });
    afterOutgoing(() => order.push("decode"));
    await waitFor(() => order.includes("decode"), "the task");
    assert.deepEqual(order, ["answer", "send", "decode"]);
    const alone: string[] = [];
    answerSoon(() => alone.push("answer"));
    afterOutgoing(() => alone.push("decode"));
    await waitFor(() => alone.includes("decode"), "the task after an answer alone");
    assert.deepEqual(alone, ["answer", "decode"]);
  });
});

describe("redis TTL refresh", () => {
  it("is due at a topic's first publish, then once per tenth of the TTL", () => {
    const refresh = new TtlRefresh(10_000, 100);
    assert.equal(refresh.due("a", 0), true);
    assert.equal(refresh.due("b", 0), true, "per topic");
    assert.equal(refresh.due("a", 999), false);
    assert.equal(refresh.due("a", 1_000), true);
    assert.equal(refresh.due("a", 1_500), false);
    refresh.forget("a");
    assert.equal(refresh.due("a", 1_500), true, "a failed call refreshes again");
  });

  it("remembers at most maxTopics topics; TTL 0 is never due", () => {
    const refresh = new TtlRefresh(10_000, 2);
    for (const topic of ["a", "b", "c"]) assert.equal(refresh.due(topic, 0), true);
    assert.equal(refresh.due("c", 1), false);
    assert.equal(refresh.due("a", 1), true, "the least recently refreshed was forgotten");
    const never = new TtlRefresh(0, 2);
    assert.equal(never.due("a", 0), false);
  });
});

import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { TopicBatches } from "../../lib/pubsub/nats_batch.ts";

describe("TopicBatches", () => {
  it("stores a topic's waiting publishes as one batch, one batch per topic at a time", async () => {
    const stored: string[] = [];
    const last = new Map<string, number>();
    let inFlight = 0;
    const batches = new TopicBatches(async (topic, packed) => {
      assert.equal(inFlight, 0, "one batch at a time (only one topic here)");
      inFlight++;
      stored.push(`${topic}:${packed.join("")}`);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
      const seq = (last.get(topic) ?? 0) + packed.length;
      last.set(topic, seq);
      return seq;
    });
    const first = ["a", "b", "c"].map((p) => batches.add("t", p));
    // Queued while the first batch is stored: they go together next.
    await new Promise((resolve) => setImmediate(resolve));
    const second = ["d", "e"].map((p) => batches.add("t", p));
    assert.deepEqual(await Promise.all([...first, ...second]), [1, 2, 3, 4, 5]);
    assert.deepEqual(stored, ["t:abc", "t:de"]);
  });

  it("a refused batch rejects its publishes only; the topic goes on", async () => {
    let calls = 0;
    const batches = new TopicBatches((_topic, packed) => {
      calls++;
      return calls === 1 ? Promise.reject(new Error("refused")) : Promise.resolve(packed.length);
    });
    const refused = batches.add("t", "a");
    await assert.rejects(refused, /refused/);
    assert.equal(await batches.add("t", "b"), 1);
    // A store that throws synchronously rejects too.
    const throwing = new TopicBatches(() => {
      throw new Error("sync");
    });
    await assert.rejects(throwing.add("t", "a"), /sync/);
  });
});

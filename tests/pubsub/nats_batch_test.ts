import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { packEvent } from "../../lib/pubsub/event_codec.ts";
import {
  messageSeq,
  packMessage,
  setMessageSeq,
  TopicBatches,
  unpackMessage,
} from "../../lib/pubsub/nats_batch.ts";

describe("nats stored messages", () => {
  it("hold events with consecutive seqs ending at the message's seq, text and binary alike", () => {
    const body = packMessage([
      packEvent(1, undefined, "a"),
      packEvent(2, "c1", { bytes: new Uint8Array([1, 2, 3]) }),
      packEvent(3, undefined, { n: 3 }),
    ]);
    setMessageSeq(body, 41);
    assert.equal(messageSeq(body), 41);
    const events = unpackMessage("x.y", body);
    assert.deepEqual(events.map((e) => [e.topic, e.seq, e.time, e.exclude]), [
      ["x.y", 39, 1, undefined],
      ["x.y", 40, 2, "c1"],
      ["x.y", 41, 3, undefined],
    ]);
    assert.deepEqual((events[1]!.data as { bytes: Uint8Array }).bytes, new Uint8Array([1, 2, 3]));
    setMessageSeq(body, 2 ** 40);
    assert.equal(unpackMessage("x.y", body)[2]!.seq, 2 ** 40);
  });

  it("refuse bodies of another format, or whose count does not fit", () => {
    assert.throws(() => unpackMessage("t", new TextEncoder().encode("{}")), SyntaxError);
    const body = packMessage(["x", "y"]);
    setMessageSeq(body, 1); // two events cannot end at seq 1
    assert.throws(() => messageSeq(body), SyntaxError);
    setMessageSeq(body, 2);
    assert.throws(() => unpackMessage("t", body.subarray(0, body.length - 1)), SyntaxError);
  });
});

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

import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { ReplayBuffer, type TopicEvent } from "../../lib/pubsub/replay.ts";
import { MemoryBackplane } from "../../lib/pubsub/memory_backplane.ts";

function event(seq: number, time = Date.now()): TopicEvent {
  return { topic: "t", seq, data: seq, time };
}

describe("ReplayBuffer", () => {
  it("since() replays the missed events in order", () => {
    const buffer = new ReplayBuffer({ size: 5 });
    for (let seq = 1; seq <= 4; seq++) buffer.push(event(seq));
    const result = buffer.since(1, 4);
    assert.ok("events" in result);
    assert.deepEqual(result.events.map((e) => e.seq), [2, 3, 4]);
  });

  it("since() keeps only the last size events when it wraps", () => {
    const buffer = new ReplayBuffer({ size: 3 });
    for (let seq = 1; seq <= 10; seq++) buffer.push(event(seq));
    assert.equal(buffer.length, 3);
    const ok = buffer.since(7, 10);
    assert.ok("events" in ok);
    assert.deepEqual(ok.events.map((e) => e.seq), [8, 9, 10]);
    const gap = buffer.since(6, 10);
    assert.ok("gap" in gap);
    assert.deepEqual(gap.gap, { since: 6, oldest: 8, seq: 10, reason: "expired" });
  });

  it("since() drops events older than maxAge", () => {
    const buffer = new ReplayBuffer({ size: 10, maxAge: 1000 });
    buffer.push(event(1, Date.now() - 5000));
    buffer.push(event(2));
    const result = buffer.since(0, 2);
    assert.ok("gap" in result);
    assert.equal(result.gap.oldest, 2);
    const fine = buffer.since(1, 2);
    assert.ok("events" in fine);
    assert.deepEqual(fine.events.map((e) => e.seq), [2]);
  });

  it("since() reports a since beyond the latest seq as ahead", () => {
    const result = new ReplayBuffer({ size: 2 }).since(5, 3);
    assert.ok("gap" in result);
    assert.equal(result.gap.reason, "ahead");
  });

  it("since() with nothing missed replays nothing", () => {
    const result = new ReplayBuffer({ size: 2 }).since(3, 3);
    assert.deepEqual(result, { events: [], seq: 3 });
  });

  it("rejects a negative size", () => {
    assert.throws(() => new ReplayBuffer({ size: -1 }), RangeError);
  });
});

describe("MemoryBackplane", () => {
  it("publish() numbers events per topic and delivers each once per stream", () => {
    const backplane = new MemoryBackplane();
    const seen: string[] = [];
    const stream = backplane.stream((e) => seen.push(`${e.topic}#${e.seq}`));
    stream.add("a.b");
    stream.add("a.*");
    backplane.publish("a.b", 1);
    backplane.publish("a.c", 2);
    backplane.publish("a.b", 3);
    backplane.publish("x.y", 4);
    assert.deepEqual(seen, ["a.b#1", "a.c#1", "a.b#2"]);
    stream.remove("a.*");
    backplane.publish("a.c", 5);
    assert.equal(seen.length, 3);
  });

  it("replay() without history reports any miss as a gap", () => {
    const backplane = new MemoryBackplane();
    backplane.publish("t", 1);
    assert.deepEqual(backplane.replay("t"), { events: [], seq: 1 });
    const r = backplane.replay("t", 0);
    assert.ok("gap" in r && r.gap.reason === "expired");
  });

  it("forgets the least recently published topic past maxTopics", () => {
    const backplane = new MemoryBackplane({ maxTopics: 2 });
    backplane.publish("a", 1);
    backplane.publish("a", 1);
    backplane.publish("b", 1);
    backplane.publish("a", 1);
    backplane.publish("c", 1);
    assert.deepEqual(backplane.replay("a"), { events: [], seq: 3 });
    assert.equal(backplane.publish("b", 1), 1);
  });
});

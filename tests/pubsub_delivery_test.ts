import { describe, it } from "./_deadline.ts";
import assert from "node:assert/strict";
import { type Connection, Delivery } from "../lib/pubsub/delivery.ts";
import { resolvePubSubLimits } from "../lib/pubsub/limits.ts";
import { jsonCodec } from "../lib/codec/json.ts";
import { waitFor } from "./_pubsub_helpers.ts";

function fakeConnection(buffered: () => number) {
  const frames: string[] = [];
  const closes: [number, string][] = [];
  const conn: Connection = {
    subscriber: {
      info: { id: "c1", headers: new Headers(), data: {} },
      codec: jsonCodec,
      send: (f) => void frames.push(String(f)),
      bufferedAmount: buffered,
      close: (code, reason) => void closes.push([code, reason]),
    },
    subs: new Map(),
    closed: false,
    check: undefined,
    writes: 0,
  };
  return { conn, frames, closes };
}

describe("Delivery", () => {
  const limits = resolvePubSubLimits({ maxBufferedBytes: 1000, slowConsumerGrace: 1 });

  it("write() closes a connection still over maxBufferedBytes after the grace period", async () => {
    const { conn, frames, closes } = fakeConnection(() => 5000);
    const evicted: Connection[] = [];
    const delivery = new Delivery(limits, () => {}, (c) => evicted.push(c));
    for (let i = 0; i < 16; i++) assert.equal(delivery.write(conn, "small"), true);
    assert.equal(frames.length, 16);
    await waitFor(() => closes.length === 1, "the close");
    assert.deepEqual(closes, [[4008, "Slow consumer"]]);
    assert.deepEqual(evicted, [conn]);
  });

  it("write() keeps a connection that drained within the grace period", async () => {
    let buffered = 5000;
    const { conn, closes } = fakeConnection(() => buffered);
    const delivery = new Delivery(limits, () => {}, () => {});
    delivery.write(conn, "x".repeat(20_000));
    assert.ok(conn.check !== undefined);
    buffered = 0;
    await waitFor(() => conn.check === undefined, "the re-check");
    assert.deepEqual(closes, []);
  });

  it("emit() skips the publisher and sequence numbers already sent", () => {
    const { conn, frames } = fakeConnection(() => 0);
    const delivery = new Delivery(limits, () => {}, () => {});
    const sub = { conn, key: "t", exact: true, lastSeq: 0, queue: undefined };
    delivery.emit(sub, { topic: "t", seq: 1, data: "mine", time: 0, exclude: "c1" });
    delivery.emit(sub, { topic: "t", seq: 2, data: "a", time: 0 });
    delivery.emit(sub, { topic: "t", seq: 2, data: "a", time: 0 });
    delivery.emit(sub, { topic: "t", seq: 1, data: "old", time: 0 });
    assert.deepEqual(frames.map((f) => JSON.parse(f).params.data), ["a"]);
  });

  it("emit() reports data the codec cannot encode and sends nothing", () => {
    const { conn, frames } = fakeConnection(() => 0);
    const errors: string[] = [];
    const delivery = new Delivery(limits, (_e, where) => errors.push(where), () => {});
    const sub = { conn, key: "t", exact: false, lastSeq: 0, queue: undefined };
    delivery.emit(sub, { topic: "t", seq: 1, data: 10n, time: 0 });
    assert.deepEqual(frames, []);
    assert.deepEqual(errors, ["encode t"]);
  });
});

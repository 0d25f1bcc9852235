import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { type Connection, Delivery } from "../../lib/pubsub/delivery.ts";
import { jsonCodec } from "../../lib/codec/json.ts";

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
  };
  return { conn, frames, closes };
}

describe("Delivery", () => {
  it("watch() asks the subscriber to apply its outgoing bound, unless it closed", () => {
    const { conn: plain } = fakeConnection(() => 0);
    let checks = 0;
    const conn: Connection = {
      ...plain,
      subscriber: { ...plain.subscriber, checkBuffered: () => void checks++ },
    };
    const delivery = new Delivery(() => {});
    delivery.watch(conn);
    conn.closed = true;
    delivery.watch(conn);
    assert.equal(checks, 1);
  });

  it("emit() skips the publisher and sequence numbers already sent", () => {
    const { conn, frames } = fakeConnection(() => 0);
    const delivery = new Delivery(() => {});
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
    const delivery = new Delivery((_e, where) => errors.push(where));
    const sub = { conn, key: "t", exact: false, lastSeq: 0, queue: undefined };
    delivery.emit(sub, { topic: "t", seq: 1, data: 10n, time: 0 });
    assert.deepEqual(frames, []);
    assert.deepEqual(errors, ["encode t"]);
  });
});

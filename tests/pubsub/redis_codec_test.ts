import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { packEvent } from "../../lib/pubsub/event_codec.ts";
import { packBody, packPlain, parseId, unpackBody } from "../../lib/pubsub/redis_codec.ts";

const bytes = (body: string | Uint8Array): Uint8Array =>
  typeof body === "string" ? new TextEncoder().encode(body) : body;

describe("redis codec", () => {
  it("plain JSON data is packed as [time, exclude, data]; anything else is not", () => {
    assert.equal(
      packPlain(7, "c1", { a: [1, "x", null, true] }),
      '[7,"c1",{"a":[1,"x",null,true]}]',
    );
    assert.equal(packPlain(7, undefined, "s"), '[7,null,"s"]');
    for (
      const rich of [
        new Date(0),
        { a: undefined },
        new Array(2), // holes
        -0,
        Number.NaN,
        Infinity,
        10n,
        new Map(),
        new Uint8Array(1),
        new (class Point {})(),
        () => 1,
      ]
    ) {
      assert.equal(packPlain(7, undefined, rich), undefined, String(rich));
    }
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    assert.equal(packPlain(7, undefined, deep), undefined, "deeper than 64 is left to packEvent");
  });

  it("a text body round-trips plain and superjson events, with consecutive seqs", () => {
    const when = new Date(5);
    const body = packBody([
      packPlain(1, undefined, { superjson: { params: [["Date"]] } })!, // plain data, left alone
      packEvent(2, "c9", { when, m: new Map([[1, 2n]]) }),
      packPlain(3, "c1", [1, 2])!,
    ]);
    assert.equal(typeof body, "string");
    const events = unpackBody("a.b", 12, 3, bytes(body));
    assert.deepEqual(events.map((e) => [e.topic, e.seq, e.time, e.exclude]), [
      ["a.b", 10, 1, undefined],
      ["a.b", 11, 2, "c9"],
      ["a.b", 12, 3, "c1"],
    ]);
    assert.deepEqual(events[0]!.data, { superjson: { params: [["Date"]] } });
    assert.deepEqual(events[1]!.data, { when, m: new Map([[1, 2n]]) });
    assert.deepEqual(events[2]!.data, [1, 2]);
  });

  it("a body with attachments is binary and round-trips every event", () => {
    const body = packBody([
      packPlain(1, undefined, "first")!,
      packEvent(2, undefined, { file: new Uint8Array([1, 2, 3]) }),
      packEvent(3, undefined, new Date(9)),
    ]);
    assert.ok(typeof body !== "string" && body[0] === 0);
    const events = unpackBody("t", 3, 3, bytes(body));
    assert.deepEqual(events.map((e) => e.seq), [1, 2, 3]);
    assert.equal(events[0]!.data, "first");
    assert.deepEqual((events[1]!.data as { file: Uint8Array }).file, new Uint8Array([1, 2, 3]));
    assert.deepEqual(events[2]!.data, new Date(9));
  });

  it("malformed bodies and names are refused", () => {
    const body = bytes(packBody([packPlain(1, undefined, 1)!, packPlain(2, undefined, 2)!]));
    assert.throws(() => unpackBody("t", 3, 3, body), SyntaxError, "count mismatch");
    assert.throws(() => unpackBody("t", 1, 1, bytes("[1,2")), SyntaxError);
    assert.throws(() => unpackBody("t", 1, 1, bytes('["x"]')), SyntaxError);
    assert.throws(() => unpackBody("t", 1, 1, bytes("{}")), SyntaxError);
    assert.throws(() => unpackBody("t", 1, 1, new Uint8Array([0, 0, 0, 0, 9])), SyntaxError);
    assert.deepEqual(parseId(bytes("42-7")), { last: 42, count: 7 });
    for (const id of ["42", "-1", "3-4", "5-0", "x-1", "5-1.5"]) {
      assert.throws(() => parseId(id), SyntaxError, id);
    }
  });
});

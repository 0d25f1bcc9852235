import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { packEvent } from "../../lib/pubsub/event_codec.ts";
import {
  messageSeq,
  packMessage,
  setMessageSeq,
  unpackMessage,
} from "../../lib/pubsub/nats_message.ts";

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

  it("carry non-ASCII text and text that is not packed as one string", () => {
    const body = packMessage([
      packEvent(1, undefined, "héllo ✓ 🎉"),
      packEvent(2, undefined, "plain"),
      new TextEncoder().encode(packEvent(3, undefined, ["bytes"]) as string),
    ]);
    setMessageSeq(body, 3);
    assert.deepEqual(unpackMessage("t", body).map((e) => e.data), [
      "héllo ✓ 🎉",
      "plain",
      ["bytes"],
    ]);
    // All ASCII text: encoded as one string, read back the same.
    const ascii = packMessage([packEvent(1, undefined, "a"), packEvent(2, undefined, { b: 2 })]);
    setMessageSeq(ascii, 9);
    assert.deepEqual(unpackMessage("t", ascii).map((e) => [e.seq, e.data]), [[8, "a"], [9, {
      b: 2,
    }]]);
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

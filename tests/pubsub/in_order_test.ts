import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { InOrder } from "../../lib/pubsub/in_order.ts";

/** An InOrder over a list: each added event's seq is its place in the list. */
function recorder(): { order: InOrder<string>; added: string[] } {
  const added: string[] = [];
  const order = new InOrder<string>((_topic, packed) => {
    added.push(packed);
    return Promise.resolve(added.length);
  });
  return { order, added };
}

function later(value: string, ms: number): Promise<string> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

describe("InOrder", () => {
  it("adds at once while nothing waits", () => {
    const { order, added } = recorder();
    void order.add("t", "a");
    void order.add("t", "b");
    assert.deepEqual(added, ["a", "b"], "added before any await");
  });

  it("holds later publishes behind one still packing, slowest first", async () => {
    const { order, added } = recorder();
    const seqs = await Promise.all([
      order.add("t", later("one", 20)),
      order.add("t", "two"),
      order.add("t", later("three", 5)),
      order.add("t", "four"),
    ]);
    assert.deepEqual(added, ["one", "two", "three", "four"]);
    assert.deepEqual(seqs, [1, 2, 3, 4]);
    assert.equal(await order.add("t", "five"), 5, "straight through again");
  });

  it("a publish whose packing fails rejects alone; the rest go on in order", async () => {
    const { order, added } = recorder();
    const failing = Promise.reject(new Error("unreadable Blob"));
    const results = await Promise.allSettled([
      order.add("t", later("one", 5)),
      order.add("t", failing),
      order.add("t", "three"),
    ]);
    assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
    assert.deepEqual(added, ["one", "three"]);
  });

  it("a failed store rejects that publish only", async () => {
    let calls = 0;
    const order = new InOrder<string>((_topic, packed) =>
      ++calls === 2 ? Promise.reject(new Error(`refused ${packed}`)) : Promise.resolve(calls)
    );
    const results = await Promise.allSettled([
      order.add("t", later("a", 5)),
      order.add("t", "b"),
      order.add("t", "c"),
    ]);
    assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
  });
});

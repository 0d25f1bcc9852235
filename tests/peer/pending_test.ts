/**
 * The pending-call table on its own: ids, settlement, and default timeouts (stamped lazily by
 * the table's single timer, see lib/peer/pending.ts).
 */

import { describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { PendingCalls } from "../../lib/peer/pending.ts";
import { ErrorCode, RpcError } from "../../lib/protocol/errors.ts";
import { rejection } from "../_fixtures.ts";
import { FakeClock } from "../_fake_clock.ts";

describe("PendingCalls", () => {
  it("PendingCalls.add() hands out increasing ids and settle() resolves the right call", async () => {
    const table = new PendingCalls(1000);
    try {
      const first = table.add("a", undefined);
      const second = table.add("b", undefined);
      assert.equal(second.id, first.id + 1);
      assert.equal(table.settle(second.id, "two", undefined), true);
      assert.equal(table.settle(first.id, "one", undefined), true);
      assert.equal(await within(first.promise, "first.promise"), "one");
      assert.equal(await within(second.promise, "second.promise"), "two");
      assert.equal(table.settle(first.id, "again", undefined), false);
      assert.equal(table.size, 0);
    } finally {
      table.dispose(new Error("done"));
    }
  });

  it("PendingCalls rejects a call with -32000 after the default timeout", async () => {
    const expired: number[] = [];
    const clock = new FakeClock();
    const table = new PendingCalls(20, (id) => expired.push(id), clock);
    try {
      const { id, promise } = table.add("slow", undefined);
      const outcome = rejection(promise);
      await clock.tick(19);
      assert.deepEqual(expired, [], "not before its timeout");
      await clock.tick(30); // the timeout plus at most one tick of lateness
      const err = await outcome;
      assert.ok(err instanceof RpcError);
      assert.equal(err.code, ErrorCode.Timeout);
      assert.match(err.message, /slow timed out after 20 ms/);
      assert.deepEqual(expired, [id]);
      assert.equal(table.settle(id, "late", undefined), false);
    } finally {
      table.dispose(new Error("done"));
    }
  });

  it("PendingCalls times out calls added while earlier ones wait, in order", async () => {
    const expired: number[] = [];
    const clock = new FakeClock();
    const table = new PendingCalls(40, (id) => expired.push(id), clock);
    try {
      const first = table.add("first", undefined);
      first.promise.catch(() => {});
      await clock.tick(15); // the timer has ticked and stamped the first call
      const second = table.add("second", undefined);
      const answered = table.add("answered", undefined);
      table.settle(answered.id, "ok", undefined);
      assert.equal(await within(answered.promise, "answered.promise"), "ok");
      await clock.tick(40);
      assert.deepEqual(expired, [first.id], "the first call expired, the second not yet");
      await clock.tick(40);
      assert.equal((await rejection(first.promise)).code, ErrorCode.Timeout);
      assert.equal((await rejection(second.promise)).code, ErrorCode.Timeout);
      assert.deepEqual(expired, [first.id, second.id]);
      assert.equal(table.size, 0);
    } finally {
      table.dispose(new Error("done"));
    }
  });

  it("PendingCalls keeps a call with its own timeout apart from the default ones", async () => {
    const clock = new FakeClock();
    const table = new PendingCalls(60_000, undefined, clock);
    try {
      const own = table.add("own", 10);
      const none = table.add("none", 0);
      await clock.tick(10);
      assert.equal((await rejection(own.promise)).code, ErrorCode.Timeout);
      assert.equal(table.size, 1);
      assert.equal(table.settle(none.id, 1, undefined), true);
      assert.equal(await within(none.promise, "none.promise"), 1);
    } finally {
      table.dispose(new Error("done"));
    }
  });

  it("PendingCalls.dispose() rejects unstamped and stamped calls alike and stops the timer", async () => {
    const clock = new FakeClock();
    const table = new PendingCalls(30, undefined, clock);
    const first = table.add("a", undefined);
    await clock.tick(5);
    const second = table.add("b", undefined);
    const reason = new Error("closed");
    table.dispose(reason);
    assert.equal(clock.pending, 0, "no timer left");
    assert.equal(await rejection(first.promise), reason);
    assert.equal(await rejection(second.promise), reason);
    assert.equal(table.size, 0);
  });

  it("PendingCalls settles thousands of calls in flight, in any order", async () => {
    const table = new PendingCalls(0);
    try {
      const calls = Array.from({ length: 5000 }, (_, i) => table.add(`m${i}`, undefined));
      assert.equal(table.size, 5000);
      // Answer odd ids first, then even ones from the newest down.
      for (const call of calls) if (call.id % 2 === 1) table.settle(call.id, call.id, undefined);
      for (const call of [...calls].reverse()) {
        if (call.id % 2 === 0) assert.equal(table.settle(call.id, call.id, undefined), true);
      }
      assert.deepEqual(await Promise.all(calls.map((c) => c.promise)), calls.map((c) => c.id));
      assert.equal(table.size, 0);
    } finally {
      table.dispose(new Error("done"));
    }
  });

  it("PendingCalls keeps an old call pending while many later ones come and go", async () => {
    const table = new PendingCalls(0);
    try {
      const old = table.add("old", undefined);
      const older = table.add("older", undefined);
      for (let i = 0; i < 3000; i++) {
        const call = table.add("quick", undefined);
        assert.equal(table.settle(call.id, i, undefined), true);
        assert.equal(await within(call.promise, "call.promise"), i);
      }
      assert.equal(table.size, 2);
      assert.equal(table.settle(old.id + 0.5, "no", undefined), false);
      assert.equal(table.settle(String(old.id), "no", undefined), false);
      assert.equal(table.settle(old.id, "late", undefined), true);
      assert.equal(await within(old.promise, "old.promise"), "late");
      assert.equal(table.size, 1);
      const reason = new Error("closed");
      table.dispose(reason);
      assert.equal(await rejection(older.promise), reason);
    } finally {
      table.dispose(new Error("done"));
    }
  });

  it("PendingCalls.dispose() rejects in id order and hands calls with onDrop to it", async () => {
    const table = new PendingCalls(0);
    const order: string[] = [];
    const dropped: string[] = [];
    const first = table.add("first", undefined);
    for (let i = 0; i < 40; i++) table.settle(table.add("quick", undefined).id, i, undefined);
    const second = table.add("second", undefined, [1, 2], { idempotent: true }, (call, why) => {
      dropped.push(`${call.method} ${JSON.stringify(call.params)} ${JSON.stringify(call.options)}`);
      call.resolve(why);
    });
    const third = table.add("third", undefined);
    first.promise.catch(() => order.push("first"));
    third.promise.catch(() => order.push("third"));
    const reason = new Error("closed");
    table.dispose(reason);
    assert.equal(await within(second.promise, "second.promise"), reason);
    await rejection(third.promise);
    assert.deepEqual(order, ["first", "third"]);
    assert.deepEqual(dropped, ['second [1,2] {"idempotent":true}']);
    assert.equal(table.size, 0);
  });
});

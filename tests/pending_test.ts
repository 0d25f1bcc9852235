/**
 * The pending-call table on its own: ids, settlement, and default timeouts (stamped lazily by
 * the table's single timer, see lib/peer/pending.ts).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PendingCalls } from "../lib/peer/pending.ts";
import { ErrorCode, RpcError } from "../lib/protocol/errors.ts";
import { delay, rejection } from "./_fixtures.ts";

describe("PendingCalls", () => {
  it("PendingCalls.add() hands out increasing ids and settle() resolves the right call", async () => {
    const table = new PendingCalls(1000);
    try {
      const first = table.add("a", undefined);
      const second = table.add("b", undefined);
      assert.equal(second.id, first.id + 1);
      assert.equal(table.settle(second.id, "two", undefined), true);
      assert.equal(table.settle(first.id, "one", undefined), true);
      assert.equal(await first.promise, "one");
      assert.equal(await second.promise, "two");
      assert.equal(table.settle(first.id, "again", undefined), false);
      assert.equal(table.size, 0);
    } finally {
      table.dispose(new Error("done"));
    }
  });

  it("PendingCalls rejects a call with -32000 after the default timeout", async () => {
    const expired: number[] = [];
    const table = new PendingCalls(20, (id) => expired.push(id));
    try {
      const { id, promise } = table.add("slow", undefined);
      const err = await rejection(promise);
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
    const table = new PendingCalls(40, (id) => expired.push(id));
    try {
      const first = table.add("first", undefined);
      first.promise.catch(() => {});
      await delay(15); // the timer has ticked and stamped the first call
      const second = table.add("second", undefined);
      const answered = table.add("answered", undefined);
      table.settle(answered.id, "ok", undefined);
      assert.equal(await answered.promise, "ok");
      assert.equal((await rejection(first.promise)).code, ErrorCode.Timeout);
      assert.equal((await rejection(second.promise)).code, ErrorCode.Timeout);
      assert.deepEqual(expired, [first.id, second.id]);
      assert.equal(table.size, 0);
    } finally {
      table.dispose(new Error("done"));
    }
  });

  it("PendingCalls keeps a call with its own timeout apart from the default ones", async () => {
    const table = new PendingCalls(60_000);
    try {
      const own = table.add("own", 10);
      const none = table.add("none", 0);
      assert.equal((await rejection(own.promise)).code, ErrorCode.Timeout);
      assert.equal(table.size, 1);
      assert.equal(table.settle(none.id, 1, undefined), true);
      assert.equal(await none.promise, 1);
    } finally {
      table.dispose(new Error("done"));
    }
  });

  it("PendingCalls.dispose() rejects unstamped and stamped calls alike and stops the timer", async () => {
    const table = new PendingCalls(30);
    const first = table.add("a", undefined);
    await delay(5);
    const second = table.add("b", undefined);
    const reason = new Error("closed");
    table.dispose(reason);
    assert.equal(await rejection(first.promise), reason);
    assert.equal(await rejection(second.promise), reason);
    assert.equal(table.size, 0);
  });
});

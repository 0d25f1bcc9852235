/**
 * Server state objects: versioned shallow patches, methods as procedures, `rpc.state.get`,
 * and the authorization of the reserved `@state.` topics (unit level; no sockets).
 */

import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { ServerState } from "../../lib/state/server_state.ts";
import { guardStateTopics, States } from "../../lib/state/states.ts";
import type { StatePatch } from "../../lib/state/protocol.ts";
import { Registry } from "../../lib/router/registry.ts";

const connection = { id: "c1", headers: new Headers(), data: {} };

function recorder(): {
  patches: StatePatch[];
  topics: string[];
  publish: (t: string, p: StatePatch) => void;
} {
  const patches: StatePatch[] = [];
  const topics: string[] = [];
  return { patches, topics, publish: (t, p) => void (topics.push(t), patches.push(p)) };
}

describe("ServerState", () => {
  it("set() publishes only changed keys with the next version", () => {
    const rec = recorder();
    const state = new ServerState("counter", { count: 0, title: "a" }, rec.publish);
    assert.equal(state.set({ count: 1, title: "a" }), 1);
    assert.equal(state.set({ title: "a" }), 1);
    assert.deepEqual(rec.patches, [{ epoch: state.epoch, version: 1, set: { count: 1 } }]);
    assert.deepEqual(rec.topics, ["@state.counter"]);
    assert.deepEqual(state.value, { count: 1, title: "a" });
    assert.ok(Object.isFrozen(state.value));
  });

  it("delete() and replace() publish deletions", () => {
    const rec = recorder();
    const state = new ServerState<Record<string, unknown>>("s", { a: 1, b: 2, c: 3 }, rec.publish);
    state.delete("a", "missing");
    state.replace({ b: 2, d: 4 });
    assert.deepEqual(rec.patches.map(({ epoch: _e, ...p }) => p), [
      { version: 1, delete: ["a"] },
      { version: 2, set: { d: 4 }, delete: ["c"] },
    ]);
    assert.deepEqual(state.value, { b: 2, d: 4 });
    assert.equal(state.delete("nope"), 2);
  });

  it("set() refuses undefined values and non-objects", () => {
    const state = new ServerState<Record<string, unknown>>("s", {}, () => {});
    assert.throws(() => state.set({ a: undefined }), TypeError);
    assert.throws(() => state.set(null as unknown as Record<string, unknown>), TypeError);
    assert.throws(
      () => new ServerState("s", [] as unknown as Record<string, unknown>, () => {}),
      TypeError,
    );
    assert.equal(state.version, 0);
  });

  it("update() applies in call order", () => {
    const rec = recorder();
    const state = new ServerState("n", { n: 0 }, rec.publish);
    for (let i = 0; i < 10; i++) state.update((v) => ({ n: v.n + 1 }));
    assert.deepEqual(rec.patches.map((p) => p.version), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(state.value.n, 10);
  });

  it("gets a new epoch per instance", () => {
    const a = new ServerState("s", {}, () => {});
    const b = new ServerState("s", {}, () => {});
    assert.notEqual(a.epoch, b.epoch);
  });
});

describe("States", () => {
  it("create() registers methods as <name>.<method> and refuses duplicates", () => {
    const registry = new Registry();
    const states = new States(registry, () => 0, () => true);
    states.create("room.1", { n: 0 }, { methods: { bump: (s) => s.set({ n: 1 }) } });
    assert.ok(registry.has("room.1.bump"));
    assert.ok(registry.has("rpc.state.get"));
    assert.throws(() => states.create("room.1", {}), TypeError);
    assert.throws(() => states.create("bad..name", {}));
    assert.ok(states.delete("room.1"));
    assert.ok(!registry.has("room.1.bump"));
    assert.deepEqual(states.names(), []);
  });

  it("reports a publisher that throws instead of failing the mutation", () => {
    const errors: string[] = [];
    const states = new States(
      new Registry(),
      () => {
        throw new Error("backplane down");
      },
      () => true,
      (_e, where) => errors.push(where),
    );
    const s = states.create("s", { a: 0 });
    assert.equal(s.set({ a: 1 }), 1);
    assert.deepEqual(errors, ["state s"]);
  });
});

describe("guardStateTopics()", () => {
  it("refuses publishing on @state topics whatever the hook says", async () => {
    const allowAll = guardStateTopics(() => true);
    assert.equal(await allowAll({ action: "publish", topic: "@state.x", connection }), false);
    assert.equal(await allowAll({ action: "publish", topic: "chat.x", connection }), true);
    const byDefault = guardStateTopics();
    assert.equal(await byDefault({ action: "subscribe", topic: "@state.x", connection }), true);
    assert.equal(await byDefault({ action: "publish", topic: "chat.x", connection }), false);
  });
});

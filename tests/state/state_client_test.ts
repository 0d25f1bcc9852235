/**
 * SyncedState against a scripted client (no sockets): the ordering rules of patches and
 * snapshots — duplicates ignored, a version jump or another epoch refetches, patches held
 * during a snapshot fetch are applied after it, malformed input is reported, not applied.
 */

import { describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { type EventHandler, type StateClient, sync, SyncedState } from "../../mod.ts";
import type { StatePatch, StateSnapshot } from "../../lib/state/protocol.ts";

/** A client whose snapshots and events the test controls. */
class Scripted implements StateClient {
  handler: EventHandler | undefined;
  snapshots: StateSnapshot[] = [];
  calls: { method: string; params: unknown }[] = [];
  #seq = 0;
  #pending: (() => void)[] = [];
  hold = false;

  call(method: string, params?: unknown): Promise<unknown> {
    this.calls.push({ method, params });
    if (method !== "rpc.state.get") return Promise.resolve(`called ${method}`);
    const answer = (): unknown => this.snapshots.shift() ?? assert.fail("no snapshot scripted");
    if (!this.hold) return Promise.resolve(answer());
    return new Promise((resolve) => this.#pending.push(() => resolve(answer())));
  }

  subscribe(topic: string, handler: EventHandler) {
    this.handler = handler;
    return {
      topic,
      ready: Promise.resolve({ topic, seq: 0 }),
      unsubscribe: () => Promise.resolve(),
    };
  }

  send(patch: unknown): void {
    this.handler!(patch, { topic: "@state.s", seq: ++this.#seq, data: patch });
  }

  release(): void {
    this.hold = false;
    for (const resolve of this.#pending.splice(0)) resolve();
  }

  gets(): number {
    return this.calls.filter((c) => c.method === "rpc.state.get").length;
  }
}

const snap = (version: number, value: Record<string, unknown>, epoch = "e1"): StateSnapshot => ({
  name: "s",
  epoch,
  version,
  value,
});
const patch = (version: number, set: Record<string, unknown>, epoch = "e1"): StatePatch => ({
  epoch,
  version,
  set,
});

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe("SyncedState", () => {
  it("ignores duplicate patches and refetches on a version jump", async () => {
    const client = new Scripted();
    client.snapshots.push(snap(1, { n: 1 }));
    const state = new SyncedState(client, "s");
    await within(state.ready, "state.ready");
    client.send(patch(2, { n: 2 }));
    client.send(patch(2, { n: 99 }));
    assert.deepEqual(state.value, { n: 2 });
    client.snapshots.push(snap(5, { n: 5 }));
    client.send(patch(4, { n: 4 }));
    await settle();
    assert.equal(client.gets(), 2);
    assert.deepEqual(state.value, { n: 5 });
    client.send(patch(6, { n: 6 }));
    assert.equal(state.version, 6);
  });

  it("holds patches during a snapshot fetch and applies the newer ones after it", async () => {
    const client = new Scripted();
    client.hold = true;
    client.snapshots.push(snap(2, { n: 2 }));
    const state = new SyncedState(client, "s");
    const versions: number[] = [];
    state.on("change", (_v, change) => versions.push(change.version));
    await settle();
    client.send(patch(2, { n: 2 }));
    client.send(patch(3, { n: 3 }));
    assert.equal(state.value, undefined);
    client.release();
    await within(state.ready, "state.ready");
    assert.deepEqual(state.value, { n: 3 });
    assert.deepEqual(versions, [2, 3]);
  });

  it("refetches when a patch comes from another epoch", async () => {
    const client = new Scripted();
    client.snapshots.push(snap(3, { n: 3 }), snap(1, { m: 1 }, "e2"));
    const state = new SyncedState(client, "s");
    await within(state.ready, "state.ready");
    client.send(patch(1, { m: 1 }, "e2"));
    await settle();
    assert.equal(state.epoch, "e2");
    assert.deepEqual(state.value, { m: 1 });
  });

  it("reports a malformed patch and a throwing listener without applying or stopping", async () => {
    const client = new Scripted();
    const errors: unknown[] = [];
    client.snapshots.push(snap(0, {}));
    const state = new SyncedState(client, "s", { onError: (e) => errors.push(e) });
    await within(state.ready, "state.ready");
    state.on("change", () => {
      throw new Error("listener bug");
    });
    client.send({ epoch: "e1", version: "1" });
    client.send(patch(1, { a: 1 }));
    assert.deepEqual(state.value, { a: 1 });
    assert.equal(errors.length, 2);
    assert.ok(errors[0] instanceof TypeError);
  });

  it("applies a patch's set and delete without touching the prototype", async () => {
    const client = new Scripted();
    client.snapshots.push(snap(0, { a: 1, b: 2 }));
    const state = new SyncedState(client, "s");
    await within(state.ready, "state.ready");
    client.send(
      JSON.parse('{"epoch":"e1","version":1,"set":{"__proto__":{"x":1}},"delete":["a"]}'),
    );
    assert.equal(Object.getPrototypeOf(state.value), Object.prototype);
    assert.deepEqual(Object.keys(state.value!), ["b", "__proto__"]);
  });
});

describe("sync()", () => {
  it("turns unknown properties into method calls and is not thenable", async () => {
    const client = new Scripted();
    client.snapshots.push(snap(0, {}));
    const state = sync<Record<string, unknown>, { bump(by: number): string }>(client, "s");
    await within(state.ready, "state.ready");
    assert.equal(await state.bump(3), "called s.bump");
    assert.deepEqual(client.calls.at(-1), { method: "s.bump", params: [3] });
    assert.equal((state as unknown as { then?: unknown }).then, undefined);
    assert.equal(state.name, "s");
    assert.equal(state.version, 0);
    await state.close();
    client.send(patch(1, { a: 1 }));
    assert.equal(state.version, 0, "closed: patches are ignored");
  });
});

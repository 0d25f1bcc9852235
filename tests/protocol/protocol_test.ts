/**
 * Units of the protocol layer: message classification, params shaping, limits, the pending
 * call table, the version constant.
 */

import { describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { classify, idOf, Kind } from "../../lib/protocol/guards.ts";
import { resolveLimits } from "../../lib/protocol/limits.ts";
import { ErrorCode, RpcError, toErrorObject } from "../../lib/protocol/errors.ts";
import { Registry } from "../../lib/router/registry.ts";
import { PendingCalls } from "../../lib/peer/pending.ts";
import { VERSION } from "../../lib/version.ts";
import denoJson from "../../deno.json" with { type: "json" };
import packageJson from "../../package.json" with { type: "json" };
import { rejection } from "../_fixtures.ts";
import { FakeClock } from "../_fake_clock.ts";

describe("classify()", () => {
  const cases: [unknown, number][] = [
    [{ jsonrpc: "2.0", id: 1, method: "m" }, Kind.Request],
    [{ jsonrpc: "2.0", id: null, method: "m", params: [] }, Kind.Request],
    [{ jsonrpc: "2.0", method: "m", params: {} }, Kind.Notification],
    [{ jsonrpc: "2.0", id: "x", result: null }, Kind.Success],
    [{ jsonrpc: "2.0", id: null, error: { code: -1, message: "m" } }, Kind.Error],
    [{ jsonrpc: "2.0", id: 1, method: "m", params: null }, Kind.Invalid],
    [{ jsonrpc: "2.0", id: 1, method: "m", params: "s" }, Kind.Invalid],
    [{ jsonrpc: "2.0", id: {}, method: "m" }, Kind.Invalid],
    [{ jsonrpc: "2.0", id: Infinity, method: "m" }, Kind.Invalid],
    [{ jsonrpc: "1.0", id: 1, method: "m" }, Kind.Invalid],
    [{ id: 1, method: "m" }, Kind.Invalid],
    [{ jsonrpc: "2.0", id: 1 }, Kind.Invalid],
    [{ jsonrpc: "2.0", id: 1, result: 1, error: { code: 1, message: "m" } }, Kind.Invalid],
    [{ jsonrpc: "2.0", id: 1, error: { code: 1.5, message: "m" } }, Kind.Invalid],
    [{ jsonrpc: "2.0", id: 1, error: { code: 1 } }, Kind.Invalid],
    [{ jsonrpc: "2.0", result: 1 }, Kind.Invalid],
    [null, Kind.Invalid],
    [[], Kind.Invalid],
    ["2.0", Kind.Invalid],
  ];
  for (const [value, kind] of cases) {
    it(`classifies ${JSON.stringify(value)} as ${kind}`, () => {
      assert.equal(classify(value), kind);
    });
  }

  it("idOf() keeps a valid id of an invalid message, else null", () => {
    assert.equal(idOf({ id: "a", method: 5 }), "a");
    assert.equal(idOf({ id: [1] }), null);
    assert.equal(idOf("x"), null);
  });
});

describe("Registry params shaping", () => {
  const registry = new Registry();
  registry.register("pos", (p) => p, { params: ["a", "b"] });
  registry.register("obj", (p) => p, { params: ["a", "b"], shape: "object" });
  registry.register("raw", (p) => p);

  it("turns names into positions, in declared order, missing ones undefined", () => {
    assert.deepEqual(registry.get("pos")!.adapt({ b: 2, a: 1 }), [1, 2]);
    assert.deepEqual(registry.get("pos")!.adapt({ b: 2 }), [undefined, 2]);
    assert.deepEqual(registry.get("pos")!.adapt(undefined), []);
  });

  it("turns positions into names for object-shaped procedures", () => {
    assert.deepEqual(registry.get("obj")!.adapt([1, 2]), { a: 1, b: 2 });
    assert.deepEqual(registry.get("obj")!.adapt({ a: 1 }), { a: 1 });
  });

  it("rejects unknown names and extra positions with -32602", () => {
    for (const [name, params] of [["pos", { c: 1 }], ["pos", [1, 2, 3]], ["obj", [1, 2, 3]]]) {
      assert.throws(
        () => registry.get(name as string)!.adapt(params as never),
        (e: unknown) => e instanceof RpcError && e.code === ErrorCode.InvalidParams,
      );
    }
  });

  it("passes params through untouched without declared names", () => {
    const params = { x: 1 };
    assert.equal(registry.get("raw")!.adapt(params), params);
  });

  it("refuses inconsistent options and reserved names", () => {
    assert.throws(() => registry.register("x", (p) => p, { shape: "object" }), TypeError);
    assert.throws(() => registry.register("rpc.x", (p) => p), TypeError);
    assert.throws(() => registry.register("", (p) => p), TypeError);
  });

  it("an unregister function only removes the registration it made", () => {
    const off = registry.register("twice", () => 1);
    registry.register("twice", () => 2);
    off();
    assert.ok(registry.has("twice"));
  });
});

describe("Registry lookups", () => {
  it("Registry.get() sees procedures registered, replaced and removed after a lookup", () => {
    const parent = new Registry();
    const child = new Registry(parent);
    const first = () => 1;
    const second = () => 2;
    const off = parent.register("m", first);
    assert.equal(child.get("m")?.handler, first);
    assert.equal(child.get("m")?.handler, first);
    child.register("m", second);
    assert.equal(child.get("m")?.handler, second);
    assert.equal(child.unregister("m"), true);
    assert.equal(child.get("m")?.handler, first);
    off();
    assert.equal(child.get("m"), undefined);
    assert.equal(parent.get("m"), undefined);
  });

  it("Registry.get() asks the fallbacks every time, the parent's first, after every map", () => {
    const parent = new Registry();
    const child = new Registry(parent);
    const asked: string[] = [];
    let answer: (() => string) | undefined = () => "parent";
    parent.setFallback((name) => {
      asked.push(`parent ${name}`);
      return answer && { name, handler: answer, reserved: false, adapt: (p) => p };
    });
    child.setFallback((name) => {
      asked.push(`child ${name}`);
      return undefined;
    });
    assert.equal(child.get("x")?.handler, answer);
    answer = undefined;
    assert.equal(child.get("x"), undefined);
    assert.deepEqual(asked, ["parent x", "parent x", "child x"]);
    const own = () => "own";
    parent.register("x", own);
    assert.equal(child.get("x")?.handler, own);
    assert.equal(asked.length, 3);
  });
});

describe("limits and errors", () => {
  it("resolveLimits() refuses non-positive or fractional limits", () => {
    assert.throws(() => resolveLimits({ maxMessageSize: 0 }), RangeError);
    assert.throws(() => resolveLimits({ maxBatchSize: 1.5 }), RangeError);
    assert.equal(resolveLimits({ maxBatchSize: undefined as never }).maxBatchSize, 1000);
  });

  it("toErrorObject() hides non-RpcErrors unless asked to expose their message", () => {
    assert.deepEqual(toErrorObject(new Error("secret"), false), {
      code: -32603,
      message: "Internal error",
    });
    assert.deepEqual(toErrorObject(new Error("shown"), true).data, "shown");
    assert.deepEqual(toErrorObject("a string", true), { code: -32603, message: "Internal error" });
  });
});

describe("PendingCalls", () => {
  it("expires default-timeout calls in order with one timer, others with their own", async () => {
    const clock = new FakeClock();
    const table = new PendingCalls(30, undefined, clock);
    const a = rejection(table.add("a", undefined).promise);
    const b = rejection(table.add("b", undefined).promise);
    const c = rejection(table.add("c", 60).promise);
    const kept = table.add("d", 0);
    const [ea, eb, ec] = await clock.runUntil(Promise.all([a, b, c]));
    assert.equal(ea.code, ErrorCode.Timeout);
    assert.match(eb.message, /b timed out after 30 ms/);
    assert.match(ec.message, /c timed out after 60 ms/);
    await clock.advance(10_000);
    assert.equal(table.size, 1, "a call with timeout 0 never expires");
    table.settle(kept.id, "late but fine", undefined);
    assert.equal(await within(kept.promise, "kept.promise"), "late but fine");
    table.dispose(new Error("done"));
  });

  it("never reuses the id of a pending call and rejects everything on dispose", async () => {
    const table = new PendingCalls(0);
    const first = table.add("x", undefined);
    const ids = new Set<number>([first.id]);
    for (let i = 0; i < 1000; i++) {
      const { id, promise } = table.add("x", undefined);
      assert.ok(!ids.has(id));
      ids.add(id);
      promise.catch(() => {});
    }
    const reason = new Error("closed");
    table.dispose(reason);
    assert.equal(await rejection(first.promise), reason);
    assert.equal(table.size, 0);
    assert.equal(table.settle(first.id, 1, undefined), false);
  });
});

describe("VERSION", () => {
  it("matches deno.json and package.json", () => {
    assert.equal(VERSION, denoJson.version);
    assert.equal(VERSION, packageJson.version);
  });
});

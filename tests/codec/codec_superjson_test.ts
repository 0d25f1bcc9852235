import { after, before, describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { createSuperjsonCodec, superjsonCodec } from "../../lib/codec/superjson.ts";
import { jsonCodec } from "../../lib/codec/json.ts";
import { RpcError, Switchboard } from "../../server.ts";
import { type Client, connect } from "../../mod.ts";
import { openClient, openRaw, post, startServer, type TestServer } from "../_fixtures.ts";

function rich(): Record<string, unknown> {
  return {
    date: new Date(Date.UTC(2024, 1, 29, 12)),
    map: new Map<unknown, unknown>([["a", 1], [2, new Date(0)]]),
    set: new Set([1, "two", 3n]),
    big: 12345678901234567890n,
    re: /ab+c/gi,
    undef: undefined,
    url: new URL("https://example.com/a?b=c"),
    nan: NaN,
    inf: -Infinity,
    negZero: -0,
    nested: [{ when: new Date(1) }, [undefined, 1n]],
  };
}

function roundTrip(message: unknown): unknown {
  return superjsonCodec.decode(superjsonCodec.encode(message));
}

describe("superjson codec", () => {
  it("superjsonCodec round-trips every supported rich type in params", () => {
    const params = rich();
    const back = roundTrip({ jsonrpc: "2.0", id: 1, method: "m", params }) as {
      params: Record<string, unknown>;
    };
    assert.deepEqual(back.params, params);
    assert.ok(back.params.date instanceof Date);
    assert.ok(back.params.url instanceof URL);
    assert.ok("undef" in back.params);
    assert.ok(Object.is(back.params.negZero, -0));
  });

  it("superjsonCodec round-trips results, error data and batches", () => {
    const result = roundTrip({ jsonrpc: "2.0", id: 2, result: new Set([new Date(5)]) }) as {
      result: Set<Date>;
    };
    assert.deepEqual(result.result, new Set([new Date(5)]));
    const error = roundTrip({
      jsonrpc: "2.0",
      id: 3,
      error: { code: 1, message: "x", data: { at: new Date(9), n: 2n } },
    }) as { error: { data: { at: Date; n: bigint } } };
    assert.deepEqual(error.error.data, { at: new Date(9), n: 2n });
    const batch = roundTrip([
      { jsonrpc: "2.0", method: "a", params: [1n] },
      { jsonrpc: "2.0", method: "b", params: [1] },
    ]) as { params: unknown[] }[];
    assert.deepEqual(batch.map((m) => m.params[0]), [1n, 1]);
  });

  it("superjsonCodec encodes a plain message exactly as JSON (fast path)", () => {
    const message = { jsonrpc: "2.0", id: 1, method: "m", params: { a: [1, "x", null, true] } };
    assert.equal(superjsonCodec.encode(message), jsonCodec.encode(message));
    assert.deepEqual(superjsonCodec.decode(JSON.stringify(message)), message);
  });

  it("superjsonCodec refuses prototype-polluting annotation paths", () => {
    for (const path of ["__proto__.polluted", "constructor.prototype.polluted", "a.prototype"]) {
      const text = JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "m",
        params: { a: {} },
        superjson: { params: { [path]: ["Date"] } },
      });
      assert.throws(() => superjsonCodec.decode(text), SyntaxError, path);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("superjsonCodec's own guard refuses __proto__, prototype and constructor, plain or escaped", () => {
    const paths = [
      "__proto__",
      "__proto__.polluted",
      "a.__proto__",
      "constructor.prototype.polluted",
      "a.prototype",
      // Backslashes are superjson's escape: an escaped segment is refused as the plain one.
      "__proto\\__.polluted",
      "\\__proto__",
      "a.construct\\or",
    ];
    for (const path of paths) {
      const text = JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "m",
        params: { a: {} },
        superjson: { params: { [path]: ["Date"] } },
      });
      // The message is the guard's own, not superjson's (which refuses some of these too).
      assert.throws(() => superjsonCodec.decode(text), {
        name: "SyntaxError",
        message: /^Switchboard: superjson path segment not allowed: /,
      }, path);
    }
  });

  it("superjsonCodec refuses class, custom, symbol and typed-array annotations", () => {
    const annotations = [
      ["class", "Evil"],
      ["custom", "x"],
      ["symbol", "s"],
      ["typed-array", "Uint8Array"],
      "Function",
    ];
    for (const annotation of annotations) {
      const text = JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        result: { x: {} },
        superjson: { result: { x: [annotation] } },
      });
      // The guard's own message: superjson itself refuses some of these, which hid the guard.
      assert.throws(() => superjsonCodec.decode(text), {
        name: "SyntaxError",
        message: /^Switchboard: superjson annotation not allowed: /,
      }, JSON.stringify(annotation));
    }
  });

  it("superjsonCodec refuses annotations that are too deep or misplaced", () => {
    const codec = createSuperjsonCodec({ maxDepth: 8 });
    let tree: unknown = ["Date"];
    for (let i = 0; i < 20; i++) tree = { a: tree };
    const deep = JSON.stringify({ jsonrpc: "2.0", id: 1, result: {}, superjson: { result: tree } });
    assert.throws(() => codec.decode(deep), SyntaxError);
    let payload: unknown = 1;
    for (let i = 0; i < 20; i++) payload = [payload];
    const deepPayload = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      result: payload,
      superjson: { result: { x: ["Date"] } },
    });
    assert.throws(() => codec.decode(deepPayload), SyntaxError);
    const misplaced = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      result: 1,
      superjson: { params: {} },
    });
    assert.throws(() => codec.decode(misplaced), SyntaxError);
    const notObject = JSON.stringify({ jsonrpc: "2.0", id: 1, result: 1, superjson: [1] });
    assert.throws(() => codec.decode(notObject), SyntaxError);
  });

  it("superjsonCodec refuses to encode a payload nested past maxDepth", () => {
    const codec = createSuperjsonCodec({ maxDepth: 4 });
    assert.throws(
      () => codec.encode({ jsonrpc: "2.0", id: 1, result: [[[[[[1]]]]]] }),
      RangeError,
    );
  });
});

describe("superjson over WebSocket", () => {
  let server: TestServer;
  let client: Client;
  const events: unknown[] = [];
  const sb = new Switchboard();
  sb.register("echo", (params: unknown) => params);
  sb.register("fail", () => {
    throw new RpcError(-32010, "Failed", { at: new Date(42), ids: new Set([1n]) });
  });
  sb.register("pushRich", (_params, ctx) => {
    ctx.peer.notify("richEvent", { at: new Date(3), tags: new Set(["x"]) });
    return true;
  });
  sb.register("askClient", async (_params, ctx) => await ctx.peer.call("clientEcho", [rich()]));

  before(async () => {
    server = await startServer(sb);
    client = await openClient(server.wsUrl, { codec: superjsonCodec });
    client.register("clientEcho", (params: unknown) => params);
    client.register("richEvent", (params: unknown) => void events.push(params));
  });

  after(async () => {
    client.close();
    await server.close();
  });

  it("connect() negotiates superjson with rpc.hello", async () => {
    const hello = await client.hello;
    assert.equal(hello?.codec, "superjson");
  });

  it("call() round-trips rich params and results client to server", async () => {
    const params = rich();
    assert.deepEqual(await client.call("echo", params), params);
  });

  it("call() round-trips rich values server to client", async () => {
    assert.deepEqual(await client.call("askClient"), [rich()]);
  });

  it("notify() carries rich values server to client", async () => {
    assert.equal(await client.call("pushRich"), true);
    for (let i = 0; i < 50 && events.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.deepEqual(events[0], { at: new Date(3), tags: new Set(["x"]) });
  });

  it("rpc.hello over HTTP POST offers JSON only", async () => {
    const res = await post(server.httpUrl, {
      jsonrpc: "2.0",
      id: 1,
      method: "rpc.hello",
      params: { codecs: ["superjson", "json"], binary: true },
    });
    const body = await res.json() as { result: { codec: string; binary: boolean } };
    assert.equal(body.result.codec, "json");
    assert.equal(body.result.binary, false);
  });

  it("call() receives rich error data", async () => {
    const error = await client.call("fail").catch((e: unknown) => e);
    assert.ok(error instanceof RpcError);
    assert.deepEqual(error.data, { at: new Date(42), ids: new Set([1n]) });
  });

  it("hostile superjson metadata gets -32700 and the connection keeps working", async () => {
    const raw = await openRaw(server.wsUrl);
    try {
      const hello = await raw.exchange(
        '{"jsonrpc":"2.0","id":1,"method":"rpc.hello","params":{"codecs":["superjson"]}}',
      ) as { result: { codec: string } };
      assert.equal(hello.result.codec, "superjson");
      const bad = await raw.exchange(JSON.stringify({
        jsonrpc: "2.0",
        id: 2,
        method: "echo",
        params: { a: {} },
        superjson: { params: { "__proto__.x": ["Date"] } },
      })) as { error: { code: number } };
      assert.equal(bad.error.code, -32700);
      const good = await raw.exchange(JSON.stringify({
        jsonrpc: "2.0",
        id: 3,
        method: "echo",
        params: [0],
        superjson: { params: { 0: ["Date"] } },
      })) as { result: unknown[]; superjson: unknown };
      assert.deepEqual(good.result, ["1970-01-01T00:00:00.000Z"]);
      assert.deepEqual(good.superjson, { result: { 0: ["Date"] } });
      assert.deepEqual(await client.call("echo", [1n]), [1n]);
    } finally {
      raw.socket.close();
    }
  });

  it("a client that never says hello keeps plain JSON", async () => {
    const raw = await openRaw(server.wsUrl);
    try {
      const reply = await raw.exchange(
        JSON.stringify({ jsonrpc: "2.0", id: 1, method: "echo", params: [{ a: 1 }] }),
      );
      assert.deepEqual(reply, { jsonrpc: "2.0", id: 1, result: [{ a: 1 }] });
    } finally {
      raw.socket.close();
    }
  });

  it("connect() falls back to JSON when the server offers no common codec", async () => {
    const plain = connect(server.wsUrl, { codec: { ...jsonCodec, name: "msgpack-test" } });
    try {
      await within(plain.ready, "plain.ready");
      assert.equal((await plain.hello)?.codec, "json");
      assert.deepEqual(await plain.call("echo", [1]), [1]);
    } finally {
      plain.close();
    }
  });
});

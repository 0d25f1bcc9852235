import { after, before, describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { RpcError, Switchboard } from "../../server.ts";
import { type Client, superjsonCodec } from "../../mod.ts";
import { openClient, post, startServer, type TestServer } from "../_fixtures.ts";

const SIZES = [0, 1, 64 * 1024, 1024 * 1024, 16 * 1024 * 1024];

function pattern(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 4096) bytes[i] = (i / 4096 + seed) % 256;
  if (size > 0) bytes[size - 1] = seed;
  return bytes;
}

describe("binary attachments over WebSocket", () => {
  let server: TestServer;
  let client: Client;
  let events: unknown[] = [];
  const sb = new Switchboard();
  sb.register("echo", (params: unknown) => params);
  sb.register("size", ([bytes]: [Uint8Array]) => bytes.byteLength);
  sb.register("small", () => "small");
  sb.register("make", ([size, seed]: number[]) => ({ nested: [{ bytes: pattern(size!, seed!) }] }));
  sb.register("fail", () => {
    throw new RpcError(-32011, "Failed", { bytes: new Uint8Array([4, 2]) });
  });
  sb.register("askClient", async ([size]: number[], ctx) => {
    const bytes = pattern(size!, 3);
    const back = await ctx.peer.call("clientEcho", { inner: { bytes } }) as {
      inner: { bytes: Uint8Array };
    };
    return back.inner.bytes instanceof Uint8Array && back.inner.bytes.byteLength === size &&
      (size === 0 || back.inner.bytes[size! - 1] === 3);
  });
  sb.register("push", (_params, ctx) => {
    ctx.peer.notify("pushed", [new Uint8Array([9, 8, 7]), { blob: new Blob(["hi"]) }]);
    return true;
  });

  before(async () => {
    server = await startServer(sb);
    client = await openClient(server.wsUrl, { binary: true });
    client.register("clientEcho", (params: unknown) => params);
    client.register("pushed", (params: unknown) => void events.push(params));
  });

  after(async () => {
    client.close();
    await server.close();
  });

  it("connect({ binary: true }) negotiates binary frames", async () => {
    assert.equal((await client.hello)?.binary, true);
  });

  for (const size of SIZES) {
    it(`call() round-trips a ${size}-byte Uint8Array nested in params and result`, async () => {
      const bytes = pattern(size, 1);
      const back = await client.call("echo", [{ a: [bytes] }, "text"]) as [
        { a: [Uint8Array] },
        string,
      ];
      assert.ok(back[0].a[0] instanceof Uint8Array);
      assert.equal(back[0].a[0].byteLength, size);
      assert.deepEqual(back[0].a[0], bytes);
      assert.equal(back[1], "text");
    });

    it(`server calls the client with a ${size}-byte attachment`, async () => {
      assert.equal(await client.call("askClient", [size]), true);
    });
  }

  it("call() returns a server-made 16 MiB attachment", async () => {
    const size = 16 * 1024 * 1024;
    const made = await client.call("make", [size, 5]) as { nested: [{ bytes: Uint8Array }] };
    assert.deepEqual(made.nested[0].bytes, pattern(size, 5));
  });

  it("call() keeps ArrayBuffer, typed arrays, DataView and Blob types", async () => {
    const params = {
      ab: new Uint8Array([1, 2, 3]).buffer,
      f32: new Float32Array([0.5, 2]),
      i32: new Int32Array([-1]),
      dv: new DataView(new ArrayBuffer(4)),
      blob: new Blob(["hello"], { type: "image/png" }),
      list: [new Uint16Array([65535]), null, 1],
    };
    const back = await client.call("echo", params) as typeof params;
    assert.ok(back.ab instanceof ArrayBuffer);
    assert.deepEqual(new Uint8Array(back.ab), new Uint8Array([1, 2, 3]));
    assert.deepEqual(back.f32, params.f32);
    assert.deepEqual(back.i32, params.i32);
    assert.ok(back.dv instanceof DataView && back.dv.byteLength === 4);
    assert.ok(back.blob instanceof Blob);
    assert.equal(back.blob.type, "image/png");
    assert.equal(await back.blob.text(), "hello");
    assert.deepEqual(back.list, [new Uint16Array([65535]), null, 1]);
  });

  it("call() receives attachments in error data", async () => {
    const error = await client.call("fail").catch((e: unknown) => e);
    assert.ok(error instanceof RpcError);
    assert.deepEqual(error.data, { bytes: new Uint8Array([4, 2]) });
  });

  it("notify() carries attachments server to client", async () => {
    events = [];
    assert.equal(await client.call("push"), true);
    for (let i = 0; i < 50 && events.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const [bytes, { blob }] = events[0] as [Uint8Array, { blob: Blob }];
    assert.deepEqual(bytes, new Uint8Array([9, 8, 7]));
    assert.equal(await blob.text(), "hi");
  });

  it("a small call completes while a large upload is in flight", async () => {
    const order: string[] = [];
    const big = client.call("size", [pattern(24 * 1024 * 1024, 2)]).then((n) => {
      order.push("big");
      return n;
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    const small = client.call("small").then((s) => {
      order.push("small");
      return s;
    });
    assert.deepEqual(await Promise.all([big, small]), [24 * 1024 * 1024, "small"]);
    assert.deepEqual(order, ["small", "big"]);
  });

  it("binary and superjson work together", async () => {
    const both = await openClient(server.wsUrl, { binary: true, codec: superjsonCodec });
    try {
      const params = { when: new Date(7), bytes: new Uint8Array([1]), ids: new Set([1n]) };
      assert.deepEqual(await both.call("echo", params), params);
    } finally {
      both.close();
    }
  });

  it("HTTP POST answers with JSON only and rejects binary bodies with 415", async () => {
    const res = await fetch(server.httpUrl, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: new Uint8Array([0x53, 0x42, 1, 1]),
    });
    assert.equal(res.status, 415);
    await res.body?.cancel();
    const ok = await post(server.httpUrl, { jsonrpc: "2.0", id: 1, method: "small" });
    assert.deepEqual(await ok.json(), { jsonrpc: "2.0", id: 1, result: "small" });
  });
});

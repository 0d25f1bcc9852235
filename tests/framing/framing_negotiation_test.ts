import { after, before, describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { Switchboard } from "../../server.ts";
import { connect, RpcError } from "../../mod.ts";
import { detectAdapter } from "../../lib/adapters/detect.ts";
import type { RunningServer } from "../../lib/adapters/adapter.ts";
import { encodeOnce } from "../../lib/framing/encoded.ts";
import { INCOMPLETE, Wire } from "../../lib/framing/wire.ts";
import {
  openClient,
  openRaw,
  post,
  rejection,
  startServer,
  type TestServer,
  until,
} from "../_fixtures.ts";

/** A plain JSON-RPC 2.0 server (no Switchboard code): knows `add`, answers -32601 else. */
async function startPlainServer(): Promise<
  { url: string; binaryFrames: () => number } & RunningServer
> {
  const adapter = await detectAdapter();
  let binaryFrames = 0;
  const app = new Hono();
  app.get(
    "/rpc",
    adapter.upgradeWebSocket(() => ({
      onMessage(event, ws) {
        if (typeof event.data !== "string") {
          binaryFrames++;
          ws.close(1003, "Text only");
          return;
        }
        const msg = JSON.parse(event.data) as { id?: number; method: string; params: number[] };
        if (msg.id === undefined) return;
        ws.send(JSON.stringify(
          msg.method === "add"
            ? { jsonrpc: "2.0", id: msg.id, result: msg.params[0]! + msg.params[1]! }
            : { jsonrpc: "2.0", id: msg.id, error: { code: -32601, message: "Method not found" } },
        ));
      },
    })),
  );
  const server = await adapter.serve(app, {
    hostname: "127.0.0.1",
    port: 0,
    maxMessageSize: 1 << 20,
  });
  return {
    ...server,
    url: `${server.url.replace("http:", "ws:")}/rpc`,
    binaryFrames: () => binaryFrames,
  };
}

describe("binary by default, and binary where it was not negotiated", () => {
  let server: TestServer;
  let plain: Awaited<ReturnType<typeof startPlainServer>>;
  const sb = new Switchboard();
  sb.register("size", ([bytes]: [Uint8Array]) => bytes.byteLength);
  sb.register("make", () => ({ png: new Uint8Array([1, 2, 3]) }));
  sb.register("text", () => "ok");

  before(async () => {
    server = await startServer(sb);
    plain = await startPlainServer();
  });

  after(async () => {
    await server.close();
    await plain.close();
  });

  it("connect() with no options negotiates binary with a Switchboard server", async () => {
    const client = await openClient(server.wsUrl);
    try {
      assert.equal((await client.hello)?.binary, true);
      assert.equal(await client.call("size", [new Uint8Array(5)]), 5);
      assert.equal(await client.call("size", [new Uint8Array(300 * 1024)]), 300 * 1024);
      assert.deepEqual(await client.call("make"), { png: new Uint8Array([1, 2, 3]) });
    } finally {
      client.close();
    }
  });

  it("a call carrying binary made before the hello answer waits for it", async () => {
    const client = connect(server.wsUrl);
    try {
      assert.equal(await client.call("size", [new Uint8Array(4)]), 4);
    } finally {
      client.close();
    }
  });

  it("connect() falls back to plain JSON-RPC against a server without rpc.hello", async () => {
    const client = connect(plain.url);
    try {
      await within(client.ready, "client.ready");
      assert.equal(await client.hello, undefined);
      assert.equal(await client.call("add", [2, 3]), 5);
    } finally {
      client.close();
    }
  });

  it("call() carrying binary rejects with a TypeError against a plain JSON-RPC server", async () => {
    const client = connect(plain.url);
    try {
      // Made before the hello answer: held, then refused once the answer says no binary.
      const early = await rejection(client.call("add", [new Uint8Array(1), 1]));
      assert.ok(early instanceof TypeError);
      assert.match(early.message, /add carries binary \(Uint8Array at params\.0\)/);
      assert.match(early.message, /not negotiated/);
      const late = await rejection(client.call("add", [{ img: new ArrayBuffer(2) }]));
      assert.ok(late instanceof TypeError);
      assert.match(late.message, /ArrayBuffer at params\.0\.img/);
      assert.equal(await client.call("add", [1, 1]), 2, "the connection stays usable");
      assert.equal(plain.binaryFrames(), 0, "nothing was sent as bytes or as a JSON object");
    } finally {
      client.close();
    }
  });

  it("connect({ binary: false }): binary params reject, binary results become -32004", async () => {
    const client = await openClient(server.wsUrl, { binary: false });
    try {
      assert.equal(await client.hello, undefined);
      const refused = await rejection(client.call("size", [new Uint8Array(1)]));
      assert.ok(refused instanceof TypeError);
      assert.match(refused.message, /size carries binary/);
      const error = await rejection(client.call("make"));
      assert.ok(error instanceof RpcError);
      assert.equal(error.code, -32004);
      assert.equal(error.message, "Binary not negotiated");
      assert.match(String((error.data as { reason: string }).reason), /Uint8Array at result\.png/);
      assert.equal(await client.call("text"), "ok");
    } finally {
      client.close();
    }
  });

  it("notify() carrying binary without binary returns false and reports a TypeError", async () => {
    const reported: unknown[] = [];
    const client = await openClient(server.wsUrl, {
      binary: false,
      onError: (error) => void reported.push(error),
    });
    try {
      assert.equal(client.notify("log", [new Uint8Array(2)]), false);
      assert.ok(reported[0] instanceof TypeError);
      assert.match((reported[0] as TypeError).message, /log carries binary/);
    } finally {
      client.close();
    }
  });

  it("a plain JSON-RPC client gets -32004 for a result holding binary, batches item by item", async () => {
    const raw = await openRaw(server.wsUrl);
    try {
      const reply = await raw.exchange('{"jsonrpc":"2.0","id":1,"method":"make"}') as {
        id: number;
        error: { code: number; message: string };
      };
      assert.equal(reply.id, 1);
      assert.equal(reply.error.code, -32004);
      const batch = await raw.exchange(
        '[{"jsonrpc":"2.0","id":2,"method":"text"},{"jsonrpc":"2.0","id":3,"method":"make"}]',
      ) as { id: number; result?: string; error?: { code: number } }[];
      assert.deepEqual(batch[0], { jsonrpc: "2.0", id: 2, result: "ok" });
      assert.equal(batch[1]!.error?.code, -32004);
    } finally {
      raw.socket.close();
    }
  });

  it("HTTP POST answers -32004 for a result holding binary", async () => {
    const res = await post(server.httpUrl, { jsonrpc: "2.0", id: 9, method: "make" });
    const body = await res.json() as { id: number; error: { code: number; message: string } };
    assert.equal(body.id, 9);
    assert.equal(body.error.code, -32004);
    assert.equal(body.error.message, "Binary not negotiated");
  });
});

describe("encodeOnce() and Wire.sendEncoded()", () => {
  function wires(count: number): { wire: Wire; frames: (string | Uint8Array)[] }[] {
    return Array.from({ length: count }, () => {
      const frames: (string | Uint8Array)[] = [];
      const wire = new Wire({ send: (f) => void frames.push(f), close() {} }, {
        binary: true,
        maxMessageSize: 1 << 20,
        framing: { chunkSize: 1024 },
      });
      return { wire, frames };
    });
  }

  function receive(frames: readonly (string | Uint8Array)[]): unknown {
    const receiver = new Wire({ send() {}, close() {} }, { binary: true, maxMessageSize: 1 << 20 });
    let out: unknown = INCOMPLETE;
    for (const frame of frames) {
      const value = receiver.decode(frame);
      if (value !== INCOMPLETE) out = value;
    }
    return out;
  }

  it("sendEncoded() hands every connection the same frame for a small attachment", async () => {
    const message = { jsonrpc: "2.0", method: "event", params: { data: new Uint8Array([5, 6]) } };
    const encoded = await encodeOnce(message, { chunkSize: 1024 });
    const targets = wires(3);
    for (const { wire } of targets) wire.sendEncoded(encoded);
    const first = targets[0]!.frames[0];
    assert.ok(first instanceof Uint8Array);
    for (const { frames } of targets) {
      assert.equal(frames.length, 1);
      assert.equal(frames[0], first, "the very same buffer, not a copy");
    }
    assert.deepEqual(receive(targets[2]!.frames), message);
  });

  it("sendEncoded() sends views of the same attachment bytes to every connection", async () => {
    const bytes = Uint8Array.from({ length: 3000 }, (_, i) => i % 256);
    const message = { jsonrpc: "2.0", method: "event", params: [bytes] };
    const encoded = await encodeOnce(message, { chunkSize: 1024 });
    assert.equal(encoded.frame, undefined);
    const targets = wires(2);
    for (const { wire } of targets) wire.sendEncoded(encoded);
    for (const { frames } of targets) {
      // Message frame, then (12-byte header, raw view) pairs of 1024, 1024 and 952 bytes.
      await until(() => frames.length >= 7);
      assert.equal(frames.length, 7);
      for (const raw of [frames[2], frames[4], frames[6]]) {
        assert.ok(raw instanceof Uint8Array);
        assert.equal(raw.buffer, bytes.buffer, "a view of the publisher's bytes");
      }
      assert.deepEqual(receive(frames), message);
    }
  });

  it("sendEncoded() refuses a connection with another codec or without binary", async () => {
    const encoded = await encodeOnce({ jsonrpc: "2.0", method: "e", params: [new Uint8Array(1)] });
    const plainWire = new Wire({ send() {}, close() {} }, { maxMessageSize: 1024 });
    assert.throws(() => plainWire.sendEncoded(encoded), TypeError);
    const other = { ...encoded, codec: "superjson" };
    assert.throws(() => wires(1)[0]!.wire.sendEncoded(other), /encoded with superjson/);
  });
});

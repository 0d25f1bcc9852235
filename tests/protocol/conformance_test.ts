/**
 * docs/PROTOCOL.md as a contract, checked the way a client in another language would check
 * it: raw WebSocket frames (JSON text, and binary frames built byte by byte from §5.4)
 * against the shipped example server (examples/jsonrpc_spec.ts) and the hub. No Switchboard
 * client code is used. One test per point the spec settles (numbered as in issue 19).
 */
import { after, before, describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createSpecSwitchboard } from "../../examples/jsonrpc_spec.ts";
import type { Switchboard } from "../../server.ts";
import {
  openRaw,
  type RawSocket,
  startServer,
  type TestServer,
  until as waitUntil,
} from "../_fixtures.ts";
import { startHub } from "../_hub.ts";
import { FakeClock } from "../_fake_clock.ts";

type Json = Record<string, unknown>;

/** Send one JSON text frame. */
function send(raw: RawSocket, message: unknown): void {
  raw.socket.send(JSON.stringify(message));
}

/** The next frame, parsed as JSON text. */
async function next(raw: RawSocket): Promise<Json> {
  const frame = await raw.next(3000);
  assert.equal(typeof frame, "string", "expected a text frame");
  return JSON.parse(frame as string);
}

/** Frames up to and including the response with `id`. */
async function until(raw: RawSocket, id: number): Promise<Json[]> {
  const out: Json[] = [];
  for (;;) {
    const message = await next(raw);
    out.push(message);
    if (message.id === id) return out;
  }
}

/** A request's answer (the next frame must be it). */
async function call(raw: RawSocket, id: number, method: string, params?: unknown): Promise<Json> {
  send(
    raw,
    params === undefined ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params },
  );
  const answer = await next(raw);
  assert.equal(answer.id, id, `expected the answer to ${id}, got ${JSON.stringify(answer)}`);
  return answer;
}

// ---- binary frames, from §5.4 alone ----

const utf8 = new TextEncoder();

/** A message frame (kind 1): magic, version 2, kind, stream id, T, J, table, message, bytes. */
function messageFrame(
  stream: number,
  table: unknown,
  message: string,
  bytes: Uint8Array,
): Uint8Array {
  const t = utf8.encode(JSON.stringify(table));
  const j = utf8.encode(message);
  const frame = new Uint8Array(16 + t.length + j.length + bytes.length);
  const view = new DataView(frame.buffer);
  frame.set([0x53, 0x42, 2, 1]);
  view.setUint32(4, stream);
  view.setUint32(8, t.length);
  view.setUint32(12, j.length);
  frame.set(t, 16);
  frame.set(j, 16 + t.length);
  frame.set(bytes, 16 + t.length + j.length);
  return frame;
}

/** A chunk header (kind 2). */
function chunkHeader(stream: number, length: number): Uint8Array {
  const frame = new Uint8Array(12);
  const view = new DataView(frame.buffer);
  frame.set([0x53, 0x42, 2, 2]);
  view.setUint32(4, stream);
  view.setUint32(8, length);
  return frame;
}

/** Read a message frame. */
function parseMessageFrame(
  frame: unknown,
): { stream: number; table: Json[]; message: Json; bytes: number[] } {
  assert.ok(frame instanceof ArrayBuffer, "expected a binary frame");
  const bytes = new Uint8Array(frame);
  const view = new DataView(frame);
  assert.deepEqual([...bytes.subarray(0, 4)], [0x53, 0x42, 2, 1]);
  const t = view.getUint32(8);
  const j = view.getUint32(12);
  const text = new TextDecoder();
  return {
    stream: view.getUint32(4),
    table: JSON.parse(text.decode(bytes.subarray(16, 16 + t))),
    message: JSON.parse(text.decode(bytes.subarray(16 + t, 16 + t + j))),
    bytes: [...bytes.subarray(16 + t + j)],
  };
}

describe("docs/PROTOCOL.md against the example server, in raw frames", () => {
  let sb: Switchboard;
  let server: TestServer;
  /** The server heartbeat's clock: time moves only when a test ticks it. */
  const clock = new FakeClock();
  before(async () => {
    const heartbeat = { interval: 100, timeout: 300, clock };
    sb = createSpecSwitchboard(() => {}, {
      heartbeat,
      chunkSize: 4,
      tickInterval: 10,
    });
    server = await startServer(sb);
  });
  after(async () => {
    await server.close();
  });

  /** Server pings answered by each socket of {@linkcode live}. */
  const pingsAnswered = new WeakMap<RawSocket, number>();

  /** A raw socket that answers the server's heartbeat pings at once, as a live client does. */
  async function live(): Promise<RawSocket> {
    const raw = await openRaw(server.wsUrl);
    pingsAnswered.set(raw, 0);
    raw.socket.addEventListener("message", (event) => {
      const frame = event.data;
      if (typeof frame !== "string" || !frame.includes('"method":"rpc.ping"')) return;
      const ping = JSON.parse(frame);
      if (ping.id === undefined) return;
      send(raw, { jsonrpc: "2.0", id: ping.id, result: "pong" });
      pingsAnswered.set(raw, pingsAnswered.get(raw)! + 1);
    });
    const read = raw.next.bind(raw);
    raw.next = async (timeoutMs = 3000) => {
      // One deadline for the frame wanted, however many pings come first.
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const frame = await read(Math.max(1, deadline - Date.now()));
        if (typeof frame === "string" && frame.includes('"method":"rpc.ping"')) continue;
        return frame;
      }
    };
    return raw;
  }

  it("1. rpc.publish echo:true: the publisher's event comes before the response only if it is subscribed", async () => {
    const raw = await live();
    try {
      // Not subscribed: echo changes nothing, the response is the next frame.
      const alone = await call(raw, 1, "rpc.publish", { topic: "chat.echo", data: 1, echo: true });
      assert.deepEqual(alone.result, { seq: 1 });
      assert.deepEqual((await call(raw, 2, "rpc.ping")).result, "pong");
      // Subscribed: with echo the event first, then the response; without echo no event.
      assert.deepEqual((await call(raw, 3, "rpc.subscribe", { topic: "chat.echo" })).result, {
        topic: "chat.echo",
        seq: 1,
      });
      send(raw, {
        jsonrpc: "2.0",
        id: 4,
        method: "rpc.publish",
        params: { topic: "chat.echo", data: 2, echo: true },
      });
      assert.deepEqual(await until(raw, 4), [
        { jsonrpc: "2.0", method: "rpc.event", params: { topic: "chat.echo", seq: 2, data: 2 } },
        { jsonrpc: "2.0", id: 4, result: { seq: 2 } },
      ]);
      assert.deepEqual((await call(raw, 5, "rpc.publish", ["chat.echo", 3])).result, { seq: 3 });
      assert.deepEqual((await call(raw, 6, "rpc.ping")).result, "pong");
    } finally {
      raw.socket.close();
    }
  });

  it("2. a pattern subscription starts the lazy publishers of exact topics it matches, and stops them", async () => {
    const started: string[] = [];
    const stop = sb.topic("conf.exact", ({ topic, publish }) => {
      started.push(`start ${topic}`);
      publish("hello");
      return () => started.push(`stop ${topic}`);
    });
    const raw = await live();
    try {
      send(raw, { jsonrpc: "2.0", id: 1, method: "rpc.subscribe", params: { topic: "conf.*" } });
      const frames = await until(raw, 1);
      const event = frames.length === 2 ? frames[0] : await next(raw);
      assert.deepEqual(event, {
        jsonrpc: "2.0",
        method: "rpc.event",
        params: { topic: "conf.exact", seq: 1, data: "hello" },
      });
      // An exact subscriber coming and going leaves it running: the pattern still wants it.
      await call(raw, 2, "rpc.subscribe", { topic: "conf.exact" });
      await call(raw, 3, "rpc.unsubscribe", { topic: "conf.exact" });
      assert.deepEqual(started, ["start conf.exact"]);
      assert.deepEqual((await call(raw, 4, "rpc.unsubscribe", { topic: "conf.*" })).result, true);
      assert.deepEqual(started, ["start conf.exact", "stop conf.exact"]);
      // The shipped lazy publisher: demo.ticks through demo.*.
      send(raw, { jsonrpc: "2.0", id: 5, method: "rpc.subscribe", params: { topic: "demo.*" } });
      let tick: Json | undefined;
      while (tick === undefined) {
        const message = await next(raw);
        if (message.method === "rpc.event") tick = message;
      }
      assert.equal((tick.params as Json).topic, "demo.ticks");
    } finally {
      raw.socket.close();
      stop();
    }
  });

  it("3. rpc.hello lists every rpc.* method the server understands, channels included", async () => {
    const raw = await live();
    try {
      const hello = await call(raw, 1, "rpc.hello", { codecs: ["json"] });
      const result = hello.result as { extensions: string[] };
      assert.deepEqual(result.extensions, [
        "rpc.hello",
        "rpc.ping",
        "rpc.cancel",
        "rpc.stream",
        "rpc.stream.item",
        "rpc.stream.credit",
        "rpc.subscribe",
        "rpc.unsubscribe",
        "rpc.publish",
        "rpc.event",
        "rpc.state.get",
        "rpc.channel.open",
        "rpc.channel",
        "rpc.channel.close",
      ]);
      // Each listed request is understood (no -32601).
      const opened = await call(raw, 2, "rpc.channel.open");
      assert.deepEqual(opened.result, { channel: 1 });
    } finally {
      raw.socket.close();
    }
  });

  it("4. every relative link of docs/PROTOCOL.md leads to a file, every #anchor to a heading", () => {
    const root = decodeURIComponent(new URL("../..", import.meta.url).pathname);
    const text = readFileSync(`${root}/docs/PROTOCOL.md`, "utf8");
    // Headings as GitHub slugs them: lower case, punctuation dropped, each space a hyphen.
    const anchors = new Set(
      [...text.matchAll(/^#+ (.+)$/gm)].map((m) =>
        m[1]!.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replaceAll(" ", "-")
      ),
    );
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [file, anchor] = target!.split("#");
      if (file !== undefined && file !== "") {
        if (!existsSync(`${root}/docs/${file}`)) broken.push(target!);
      } else if (anchor !== undefined && !anchors.has(anchor)) {
        broken.push(target!);
      }
    }
    // A path written as text rather than as a link must exist too.
    for (const [path] of text.matchAll(/\bdocs\/[A-Z_]+\.md\b/g)) {
      if (!existsSync(`${root}/${path}`)) broken.push(path);
    }
    assert.deepEqual(broken, []);
  });

  it("5. heartbeat: a silent socket gets rpc.ping, then is closed with 4000 within interval + timeout", async () => {
    const raw = await openRaw(server.wsUrl);
    try {
      // Opened within a tick: the first check finds it silent for less than an interval.
      await clock.tick(100);
      await clock.tick(100);
      const ping = JSON.parse(await raw.next(3000) as string);
      assert.equal(ping.method, "rpc.ping");
      assert.equal(ping.jsonrpc, "2.0");
      assert.ok(ping.id !== undefined, "a request: any answer proves the client alive");
      await clock.tick(200);
      const closed = await within(raw.closed, "the heartbeat close");
      assert.equal(closed.code, 4000);
      assert.equal(closed.reason, "Heartbeat timeout");
    } finally {
      raw.socket.close();
    }
    // A socket that answers the pings stays open across many intervals (twice the timeout).
    const answering = await live();
    try {
      for (let round = 1; round <= 4; round++) {
        await clock.tick(200);
        await waitUntil(() => pingsAnswered.get(answering)! >= round);
        // A call answered: the server has read the ping's answer before time moves on.
        assert.deepEqual((await call(answering, round, "rpc.ping")).result, "pong");
      }
      assert.equal(answering.socket.readyState, WebSocket.OPEN);
    } finally {
      answering.socket.close();
    }
  });

  it("6. binary: a zero-byte attachment has a table entry and no bytes (no chunk pair); superjson annotates around placeholders", async () => {
    const raw = await live();
    try {
      const hello = await call(raw, 1, "rpc.hello", {
        codecs: ["superjson", "json"],
        binary: true,
      });
      assert.equal((hello.result as Json).binary, true);
      assert.equal((hello.result as Json).codec, "superjson");
      // One frame (stream 0): an empty attachment and a 3-byte one; the Date annotated by
      // superjson, the placeholders (null) not.
      const message = JSON.stringify({
        jsonrpc: "2.0",
        id: 2,
        method: "echo",
        params: [{ at: "1970-01-01T00:00:00.000Z", empty: null, png: null }],
        superjson: { params: { "0.at": ["Date"] } },
      });
      raw.socket.send(messageFrame(
        0,
        [
          { path: ["params", 0, "empty"], type: "Uint8Array", size: 0 },
          { path: ["params", 0, "png"], type: "Uint8Array", size: 3 },
        ],
        message,
        new Uint8Array([0x89, 0x50, 0x4e]),
      ));
      const echoed = parseMessageFrame(await raw.next(3000));
      assert.equal(echoed.stream, 0);
      assert.deepEqual(echoed.table, [
        { path: ["result", 0, "empty"], type: "Uint8Array", size: 0 },
        { path: ["result", 0, "png"], type: "Uint8Array", size: 3 },
      ]);
      assert.deepEqual(echoed.message, {
        jsonrpc: "2.0",
        id: 2,
        result: [{ at: "1970-01-01T00:00:00.000Z", empty: null, png: null }],
        superjson: { result: { "0.at": ["Date"] } },
      });
      assert.deepEqual(echoed.bytes, [0x89, 0x50, 0x4e]);
      // Chunked (stream 7): the zero-byte attachment gets no chunk pair; the 4-byte one does.
      const chunked = JSON.stringify({
        jsonrpc: "2.0",
        id: 3,
        method: "echo",
        params: [null, null],
      });
      raw.socket.send(messageFrame(
        7,
        [
          { path: ["params", 0], type: "Uint8Array", size: 0 },
          { path: ["params", 1], type: "Uint8Array", size: 4 },
        ],
        chunked,
        new Uint8Array(),
      ));
      // A receiver also accepts an empty chunk pair (a sender need not send one).
      raw.socket.send(chunkHeader(7, 0));
      raw.socket.send(new Uint8Array());
      raw.socket.send(chunkHeader(7, 4));
      raw.socket.send(new Uint8Array([1, 2, 3, 4]));
      const back = parseMessageFrame(await raw.next(3000));
      assert.deepEqual(back.table, [
        { path: ["result", 0], type: "Uint8Array", size: 0 },
        { path: ["result", 1], type: "Uint8Array", size: 4 },
      ]);
      assert.deepEqual(back.bytes, [1, 2, 3, 4]);
      // The server's chunkSize is 4: six bytes and an empty attachment go chunked, with chunk
      // pairs for the six bytes only (4 + 2).
      raw.socket.send(messageFrame(
        0,
        [
          { path: ["params", 0], type: "Uint8Array", size: 6 },
          { path: ["params", 1], type: "Uint8Array", size: 0 },
        ],
        JSON.stringify({ jsonrpc: "2.0", id: 4, method: "echo", params: [null, null] }),
        new Uint8Array([1, 2, 3, 4, 5, 6]),
      ));
      const head = parseMessageFrame(await raw.next(3000));
      assert.notEqual(head.stream, 0);
      assert.deepEqual(head.bytes, []);
      const rest: number[][] = [];
      for (let i = 0; i < 4; i++) {
        rest.push([...new Uint8Array(await raw.next(3000) as ArrayBuffer)]);
      }
      const id = [
        head.stream >>> 24,
        (head.stream >>> 16) & 255,
        (head.stream >>> 8) & 255,
        head.stream & 255,
      ];
      assert.deepEqual(rest, [
        [0x53, 0x42, 2, 2, ...id, 0, 0, 0, 4],
        [1, 2, 3, 4],
        [0x53, 0x42, 2, 2, ...id, 0, 0, 0, 2],
        [5, 6],
      ]);
      assert.deepEqual((await call(raw, 5, "rpc.ping")).result, "pong");
    } finally {
      raw.socket.close();
    }
  });

  it("7. since on a subscription already active replays (or reports the gap), never silently", async () => {
    const raw = await live();
    try {
      await call(raw, 1, "rpc.subscribe", { topic: "chat.seven" });
      for (let i = 1; i <= 3; i++) await sb.publish("chat.seven", i);
      for (let i = 1; i <= 3; i++) assert.equal(((await next(raw)).params as Json).seq, i);
      send(raw, {
        jsonrpc: "2.0",
        id: 2,
        method: "rpc.subscribe",
        params: { topic: "chat.seven", since: 1 },
      });
      assert.deepEqual(await until(raw, 2), [
        { jsonrpc: "2.0", method: "rpc.event", params: { topic: "chat.seven", seq: 2, data: 2 } },
        { jsonrpc: "2.0", method: "rpc.event", params: { topic: "chat.seven", seq: 3, data: 3 } },
        { jsonrpc: "2.0", id: 2, result: { topic: "chat.seven", seq: 3, replayed: 2 } },
      ]);
      const ahead = await call(raw, 3, "rpc.subscribe", { topic: "chat.seven", since: 9 });
      assert.deepEqual(ahead.result, {
        topic: "chat.seven",
        seq: 3,
        gap: { since: 9, oldest: 1, seq: 3, reason: "ahead" },
      });
      // Without since: the same result as before, nothing replayed.
      assert.deepEqual((await call(raw, 4, "rpc.subscribe", { topic: "chat.seven" })).result, {
        topic: "chat.seven",
        seq: 3,
      });
      // Live events still arrive once.
      await sb.publish("chat.seven", 4);
      assert.deepEqual((await next(raw)).params, { topic: "chat.seven", seq: 4, data: 4 });
    } finally {
      raw.socket.close();
    }
  });

  it("9. the example server streams (§8.1), cancels (§8.3) and echoes binary byte for byte (§5.4)", async () => {
    const raw = await live();
    try {
      send(raw, {
        jsonrpc: "2.0",
        id: 9,
        method: "rpc.stream",
        params: { method: "count", params: [3], credit: 2 },
      });
      assert.deepEqual(await next(raw), {
        jsonrpc: "2.0",
        method: "rpc.stream.item",
        params: { id: 9, items: [0, 1] },
      });
      send(raw, { jsonrpc: "2.0", method: "rpc.stream.credit", params: { id: 9, credit: 2 } });
      assert.deepEqual(await until(raw, 9), [
        { jsonrpc: "2.0", method: "rpc.stream.item", params: { id: 9, items: [2] } },
        { jsonrpc: "2.0", id: 9, result: "done" },
      ]);
      send(raw, {
        jsonrpc: "2.0",
        id: 10,
        method: "rpc.stream",
        params: { method: "fail", credit: 5 },
      });
      assert.deepEqual(await until(raw, 10), [
        { jsonrpc: "2.0", method: "rpc.stream.item", params: { id: 10, items: [1] } },
        { jsonrpc: "2.0", id: 10, error: { code: -32050, message: "Ran dry", data: { at: 1 } } },
      ]);
      assert.deepEqual((await call(raw, 1, "count", [3])).result, [0, 1, 2]);
      send(raw, { jsonrpc: "2.0", id: "w1", method: "slow" });
      send(raw, { jsonrpc: "2.0", method: "rpc.cancel", params: { id: "w1" } });
      // No response to "w1", ever: the next frame answers the ping.
      assert.deepEqual(await call(raw, 14, "rpc.ping"), { jsonrpc: "2.0", id: 14, result: "pong" });
      // §5.4's captured exchange, byte for byte.
      await call(raw, 5, "rpc.hello", { codecs: ["json"], binary: true });
      const request = messageFrame(
        0,
        [{ path: ["params", 0, "png"], type: "Uint8Array", size: 3 }],
        '{"jsonrpc":"2.0","id":6,"method":"echo","params":[{"png":null}]}',
        new Uint8Array([0x89, 0x50, 0x4e]),
      );
      assert.equal(request.length, 141);
      raw.socket.send(request);
      const answer = await raw.next(3000);
      assert.deepEqual(
        [...new Uint8Array(answer as ArrayBuffer)],
        [
          ...messageFrame(
            0,
            [{ path: ["result", 0, "png"], type: "Uint8Array", size: 3 }],
            '{"jsonrpc":"2.0","id":6,"result":[{"png":null}]}',
            new Uint8Array([0x89, 0x50, 0x4e]),
          ),
        ],
      );
      assert.deepEqual([...new Uint8Array(answer as ArrayBuffer).subarray(0, 16)], [
        0x53,
        0x42,
        0x02,
        0x01,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0x3a,
        0,
        0,
        0,
        0x30,
      ]);
    } finally {
      raw.socket.close();
    }
  });
});

describe("docs/PROTOCOL.md against the hub, in raw frames", () => {
  it("3. the hub's hello adds its methods (rpc.inspect included); rpc.discover lists them", async () => {
    const hub = await startHub();
    const raw = await openRaw(hub.wsUrl);
    try {
      const hello = (await call(raw, 1, "rpc.hello")).result as Json;
      assert.deepEqual((hello.extensions as string[]).slice(-9), [
        "rpc.refresh",
        "rpc.register",
        "rpc.unregister",
        "rpc.discover",
        "rpc.time",
        "rpc.version",
        "rpc.inspect",
        "rpc.inspect.update",
        "rpc.inspect.disconnect",
      ]);
      // 8. Anonymous access: client "anonymous" with the one role "anonymous".
      assert.equal(hello.client, "anonymous");
      assert.deepEqual(hello.roles, ["anonymous"]);
      const discovered = (await call(raw, 2, "rpc.discover")).result as { methods: Json[] };
      const names = discovered.methods.map((m) => m.name as string);
      for (const name of ["rpc.channel.open", "rpc.channel", "rpc.channel.close", "rpc.inspect"]) {
        assert.ok(names.includes(name), `${name} in ${names.join(", ")}`);
      }
      assert.deepEqual(names, [...names].sort());
    } finally {
      raw.socket.close();
      await hub.close();
    }
  });
});

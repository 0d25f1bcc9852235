/**
 * The symmetric peer over a real WebSocket: calls both ways, ids, errors, timeouts, close,
 * batches, pipelining.
 */

import { after, before, describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { ErrorCode, type Peer, RpcError, Switchboard } from "../../server.ts";
import type { Client } from "../../mod.ts";
import { Peer as PeerClass } from "../../lib/peer/peer.ts";
import { receive } from "../../lib/peer/internal.ts";
import { FakeClock } from "../_fake_clock.ts";
import {
  delay,
  openClient,
  openRaw,
  rejection,
  startServer,
  type TestServer,
  until,
} from "../_fixtures.ts";

/** Wait until the server has registered the client's connection, and return its peer. */
async function serverPeerOf(sb: Switchboard, client: Client): Promise<Peer> {
  await within(client.ready, "client.ready");
  for (let i = 0; i < 100; i++) {
    const peers = [...sb.peers.values()];
    const found = peers[peers.length - 1];
    if (found !== undefined) return found;
    await delay(5);
  }
  throw new Error("the server never saw the connection");
}

describe("Peer over WebSocket", () => {
  let sb: Switchboard;
  let server: TestServer;
  let client: Client;

  before(async () => {
    sb = new Switchboard({ timeout: 2000 });
    sb.register("echo", (params) => params);
    sb.register("add", ([a, b]: number[]) => a! + b!, { params: ["a", "b"] });
    sb.register("greet", ({ name }: { name: string }) => `hello ${name}`, {
      params: ["name"],
      shape: "object",
    });
    sb.register("slow", async ([ms]: number[]) => {
      await delay(ms!);
      return ms;
    });
    sb.register("fail", ([kind]: string[]) => {
      if (kind === "rpc") throw new RpcError(-32042, "Insufficient funds", { balance: 3 });
      if (kind === "async") return Promise.reject(new Error("secret internals"));
      throw new Error("secret internals");
    });
    sb.register("nothing", () => undefined);
    sb.register("callback", async (_params, ctx) => {
      return await ctx.peer.call("whoami", ["from-server"]);
    });
    server = await startServer(sb);
    client = await openClient(server.wsUrl);
  });
  after(async () => {
    client.close();
    await server.close();
  });

  it("call() resolves with the result, by position and by name", async () => {
    assert.equal(await client.call("add", [2, 3]), 5);
    assert.equal(await client.call("add", { b: 3, a: 2 }), 5);
    assert.equal(await client.call("greet", ["ada"]), "hello ada");
    assert.equal(await client.call("greet", { name: "ada" }), "hello ada");
  });

  it("a procedure returning undefined answers null", async () => {
    assert.equal(await client.call("nothing"), null);
  });

  it("unknown named parameters and extra positions get -32602", async () => {
    const named = await rejection(client.call("add", { a: 1, c: 2 }));
    assert.ok(named instanceof RpcError);
    assert.equal(named.code, ErrorCode.InvalidParams);
    assert.match(String(named.data), /Unknown parameter: c/);
    const extra = await rejection(client.call("add", [1, 2, 3]));
    assert.equal(extra.code, ErrorCode.InvalidParams);
  });

  it("an RpcError thrown by a procedure keeps its code, message and data", async () => {
    const err = await rejection(client.call("fail", ["rpc"]));
    assert.ok(err instanceof RpcError);
    assert.equal(err.code, -32042);
    assert.equal(err.message, "Insufficient funds");
    assert.deepEqual(err.data, { balance: 3 });
  });

  it("any other error becomes -32603 without leaking its message or stack", async () => {
    for (const kind of ["sync", "async"]) {
      const err = await rejection(client.call("fail", [kind]));
      assert.equal(err.code, ErrorCode.InternalError);
      assert.equal(err.message, "Internal error");
      assert.equal(err.data, undefined);
    }
  });

  it("ids are echoed verbatim: strings, numbers, null", async () => {
    const raw = await openRaw(server.wsUrl);
    try {
      for (const id of ["abc", "", 0, -7, 1.5, 9007199254740991, null]) {
        const reply = await raw.exchange(
          JSON.stringify({ jsonrpc: "2.0", id, method: "echo", params: [1] }),
        );
        assert.deepEqual(reply, { jsonrpc: "2.0", id, result: [1] });
      }
    } finally {
      raw.socket.close();
    }
  });

  it("the server calls a procedure the client registered and awaits its answer", async () => {
    const off = client.register("whoami", ([from]: string[]) => `client, asked ${from}`);
    try {
      assert.equal(await client.call("callback"), "client, asked from-server");
      const peer = await serverPeerOf(sb, client);
      assert.equal(await peer.call("whoami", ["directly"]), "client, asked directly");
    } finally {
      off();
    }
    const peer = await serverPeerOf(sb, client);
    const err = await rejection(peer.call("whoami"));
    assert.equal(err.code, ErrorCode.MethodNotFound, "unregistered at run time");
  });

  it("procedures registered and unregistered at run time on the server", async () => {
    const off = sb.register("late", () => "here");
    assert.equal(await client.call("late"), "here");
    off();
    const err = await rejection(client.call("late"));
    assert.equal(err.code, ErrorCode.MethodNotFound);
  });

  it("notify() reaches the other side; the server can notify the client", async () => {
    const got: unknown[] = [];
    client.register("tick", (params) => void got.push(params));
    const peer = await serverPeerOf(sb, client);
    assert.equal(peer.notify("tick", [1]), true);
    assert.equal(sb.broadcast("tick", [2]), sb.peers.size);
    await until(() => got.length >= 2);
    assert.deepEqual(got, [[1], [2]]);
    client.unregister("tick");
  });

  it("batch() sends one frame and settles each entry in order", async () => {
    const results = await client.batch([
      { method: "add", params: [1, 2] },
      { method: "update", params: [1], notification: true },
      { method: "missing" },
      { method: "slow", params: [20] },
    ]);
    assert.deepEqual(results[0], { status: "fulfilled", value: 3 });
    assert.deepEqual(results[1], { status: "fulfilled", value: undefined });
    assert.equal(results[2]!.status, "rejected");
    assert.equal((results[2] as PromiseRejectedResult).reason.code, ErrorCode.MethodNotFound);
    assert.deepEqual(results[3], { status: "fulfilled", value: 20 });
  });

  it("an aborted call rejects with -32002", async () => {
    const controller = new AbortController();
    const pending = client.call("slow", [200], { signal: controller.signal });
    controller.abort();
    const err = await rejection(pending);
    assert.equal(err.code, ErrorCode.Cancelled);
    const already = await rejection(client.call("add", [1, 1], { signal: controller.signal }));
    assert.equal(already.code, ErrorCode.Cancelled, "an aborted signal refuses at once");
  });

  it("10,000 pipelined requests are all answered with matching ids", async () => {
    const count = 10_000;
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) calls.push(client.call("echo", [i]));
    const results = await Promise.all(calls);
    for (let i = 0; i < count; i++) assert.deepEqual(results[i], [i]);
    assert.equal(client.pendingCalls, 0);
  });
});

describe("Peer close", () => {
  it("rejects every pending call on both sides with -32001 when the connection closes", async () => {
    const sb = new Switchboard();
    sb.register("hang", () => new Promise(() => {}));
    const server = await startServer(sb);
    const client = await openClient(server.wsUrl);
    try {
      client.register("hang", () => new Promise(() => {}));
      const peer = await serverPeerOf(sb, client);
      const fromServer = rejection(peer.call("hang"));
      const fromClient = [client.call("hang"), client.call("hang")].map((call) => rejection(call));
      await delay(20);
      assert.equal(client.pendingCalls, 2);
      client.close(1000, "bye");
      for (const err of [...await Promise.all(fromClient), await fromServer]) {
        assert.ok(err instanceof RpcError);
        assert.equal(err.code, ErrorCode.ConnectionClosed);
      }
      assert.equal(client.pendingCalls, 0);
      const info = await within(client.closed, "client.closed");
      assert.equal(info.local, true);
      const after = await rejection(client.call("hang"));
      assert.equal(after.code, ErrorCode.ConnectionClosed, "calls after close reject at once");
    } finally {
      await server.close();
    }
  });

  it("the server closing the connection rejects the client's pending calls", async () => {
    const sb = new Switchboard();
    sb.register("hang", () => new Promise(() => {}));
    const server = await startServer(sb);
    // One socket, no reconnection: the close is final (a reconnecting client would answer
    // -32007 for the call in flight, tested in client_reconnect_test.ts).
    const client = await openClient(server.wsUrl, { reconnect: false });
    try {
      const pending = rejection(client.call("hang"));
      const peer = await serverPeerOf(sb, client);
      await delay(20);
      peer.close(4000, "kicked");
      const err = await pending;
      assert.equal(err.code, ErrorCode.ConnectionClosed);
      const info = await within(client.closed, "client.closed");
      assert.equal(info.code, 4000);
      assert.equal(info.reason, "kicked");
      assert.equal(info.local, false);
    } finally {
      await server.close();
    }
  });

  it("calls made before the socket opens are queued and sent on open", async () => {
    const sb = new Switchboard();
    sb.register("add", ([a, b]: number[]) => a! + b!);
    const server = await startServer(sb);
    const { connect } = await import("../../mod.ts");
    const client = connect(server.wsUrl);
    try {
      const results = await Promise.all([client.call("add", [1, 2]), client.call("add", [3, 4])]);
      assert.deepEqual(results, [3, 7]);
    } finally {
      client.close();
      await server.close();
    }
  });

  it("uses an injected WebSocket class", async () => {
    const sb = new Switchboard();
    sb.register("add", ([a, b]: number[]) => a! + b!);
    const server = await startServer(sb);
    const sent: string[] = [];
    class CountingWebSocket extends WebSocket {
      override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
        sent.push(String(data));
        super.send(data);
      }
    }
    const { connect } = await import("../../mod.ts");
    const client = connect(server.wsUrl, { WebSocket: CountingWebSocket });
    try {
      assert.equal(await client.call("add", [20, 22]), 42);
      // Binary is on by default, so the hello goes first.
      assert.equal(sent.length, 2);
      assert.match(sent[0]!, /"method":"rpc.hello"/);
      assert.match(sent[1]!, /"method":"add"/);
    } finally {
      client.close();
      await server.close();
    }
  });

  it("a connection that cannot open rejects ready and queued calls", async () => {
    const { connect } = await import("../../mod.ts");
    const client = connect("ws://127.0.0.1:9/rpc", { reconnect: false });
    const [ready, call] = await Promise.all([
      rejection(client.ready),
      rejection(client.call("x")),
    ]);
    assert.ok(ready instanceof RpcError);
    assert.equal(call.code, ErrorCode.ConnectionClosed);
  });
});

describe("Peer timeouts (fake clock)", () => {
  /** Two peers back to back; `a` calls `b`, with its call timeouts on a fake clock. */
  function pair(clock: FakeClock): { a: PeerClass; b: PeerClass } {
    const a: PeerClass = new PeerClass(
      { send: (f) => queueMicrotask(() => receive(b, f)), close() {} },
      { clock, timeout: 10_000 },
    );
    const b: PeerClass = new PeerClass({
      send: (f) => queueMicrotask(() => receive(a, f)),
      close() {},
    });
    return { a, b };
  }

  it("a call times out with -32000 after its own timeout, and a late answer is dropped", async () => {
    const clock = new FakeClock();
    const { a, b } = pair(clock);
    let answer!: (value: string) => void;
    b.register("late", () => new Promise((resolve) => answer = resolve));
    b.register("add", ([x, y]: number[]) => x! + y!);
    const outcome = rejection(a.call("late", [], { timeout: 50 }));
    await clock.tick(49);
    assert.equal(a.pendingCalls, 1, "not before its timeout");
    await clock.tick(1);
    const err = await outcome;
    assert.ok(err instanceof RpcError);
    assert.equal(err.code, ErrorCode.Timeout);
    assert.match(err.message, /late timed out after 50 ms/);
    answer("too late");
    assert.equal(await within(a.call("add", [1, 1]), "add"), 2, "the connection is still usable");
    a.close();
    b.close();
  });

  it("a call that times out tells the callee, whose signal aborts", async () => {
    const clock = new FakeClock();
    const { a, b } = pair(clock);
    let aborted: unknown;
    b.register("watch", (_params, ctx) =>
      new Promise((resolve) => {
        ctx.signal.addEventListener("abort", () => {
          aborted = ctx.signal.reason;
          resolve("stopped");
        });
      }));
    const outcome = rejection(a.call("watch", [], { timeout: 30 }));
    await until(() => b.runningCalls === 1);
    await clock.tick(30);
    assert.equal((await outcome).code, ErrorCode.Timeout);
    await until(() => aborted !== undefined);
    assert.equal((aborted as RpcError).code, ErrorCode.Cancelled);
    a.close();
    b.close();
  });

  it("a default-timeout call expires within one tick of its timeout", async () => {
    const clock = new FakeClock();
    const { a, b } = pair(clock);
    b.register("hang", () => new Promise(() => {}));
    const outcome = rejection(a.call("hang"));
    await clock.tick(9_999);
    assert.equal(a.pendingCalls, 1);
    await clock.tick(10_000 / 32 + 1);
    assert.equal((await outcome).code, ErrorCode.Timeout);
    a.close();
    b.close();
  });
});

import { after, before, describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { type Peer, Switchboard } from "../../server.ts";
import { connect, ErrorCode } from "../../mod.ts";
import { sharedSockets } from "../../lib/client/multiplex.ts";
import { openRaw, rejection, startServer, type TestServer, until } from "../_fixtures.ts";
import { nextEvent } from "../_reconnect_helpers.ts";

describe("multiplexing", () => {
  let sb: Switchboard;
  let server: TestServer;
  const opened: Peer[] = [];

  before(async () => {
    sb = new Switchboard({ onOpen: (peer) => void opened.push(peer) });
    sb.register("whoami", (_p, ctx) => ctx.connection.id);
    sb.register("add", ([a, b]: number[]) => a! + b!);
    server = await startServer(sb);
  });

  after(async () => {
    await server.close();
  });

  it("two clients of one URL share one socket as two server sessions", async () => {
    const a = connect(server.wsUrl, { multiplex: true });
    const b = connect(server.wsUrl, { multiplex: true });
    try {
      await Promise.all([a.ready, b.ready]);
      assert.equal(sb.socketCount, 1, "one WebSocket");
      assert.equal(sharedSockets(), 1);
      assert.equal(sb.peers.size, 3, "the socket's own session and two channels");
      const [idA, idB] = await Promise.all([a.call("whoami"), b.call("whoami")]);
      assert.notEqual(idA, idB);
      assert.ok(sb.peers.has(idA as string) && sb.peers.has(idB as string));
      // Each has its own procedures: the server calls each channel's.
      a.register("name", () => "a");
      b.register("name", () => "b");
      assert.equal(await sb.peers.get(idA as string)!.call("name"), "a");
      assert.equal(await sb.peers.get(idB as string)!.call("name"), "b");
      // Each has its own subscriptions.
      const gotA: unknown[] = [];
      const gotB: unknown[] = [];
      await a.subscribe("news.a", (d) => gotA.push(d)).ready;
      await b.subscribe("news.b", (d) => gotB.push(d)).ready;
      await sb.publish("news.a", 1);
      await sb.publish("news.b", 2);
      await until(() => gotA.length === 1 && gotB.length === 1);
      assert.deepEqual([gotA, gotB], [[1], [2]]);
    } finally {
      a.close();
      b.close();
    }
    await until(() => sb.socketCount === 0 && sb.peers.size === 0);
    assert.equal(sharedSockets(), 0);
  });

  it("closing one client leaves the other working; the last one closes the socket", async () => {
    const a = connect(server.wsUrl, { multiplex: true });
    const b = connect(server.wsUrl, { multiplex: true });
    await Promise.all([a.ready, b.ready]);
    const idA = await a.call("whoami") as string;
    a.close();
    await within(a.closed, "a.closed");
    await until(() => !sb.peers.has(idA));
    assert.equal(await b.call("add", [2, 3]), 5);
    assert.equal(sb.socketCount, 1);
    assert.equal(
      (await rejection(a.call("add", [1, 1]))).code,
      ErrorCode.ConnectionClosed,
    );
    b.close();
    await until(() => sb.socketCount === 0);
  });

  it("a channel closed by the server reconnects on the shared socket", async () => {
    const a = connect(server.wsUrl, { multiplex: true, reconnect: { min: 1, max: 5 } });
    const b = connect(server.wsUrl, { multiplex: true });
    try {
      await Promise.all([a.ready, b.ready]);
      const idA = await a.call("whoami") as string;
      const lost = nextEvent(a, "disconnected");
      sb.peers.get(idA)!.close(4100, "kicked");
      assert.equal((await lost).code, 4100);
      await nextEvent(a, "connected");
      assert.notEqual(await a.call("whoami"), idA);
      assert.equal(sb.socketCount, 1, "still one socket");
      assert.equal(await b.call("add", [1, 1]), 2);
    } finally {
      a.close();
      b.close();
    }
  });

  it("multiplexed clients survive a drop of the shared socket and resume their subscriptions", async () => {
    const replaying = new Switchboard({ pubsub: { replay: { size: 100, maxAge: 60_000 } } });
    const other = await startServer(replaying);
    const a = connect(other.wsUrl, { multiplex: true, reconnect: { min: 1, max: 5 } });
    const b = connect(other.wsUrl, { multiplex: true, reconnect: { min: 1, max: 5 } });
    try {
      const seenA: number[] = [];
      const seenB: number[] = [];
      await a.subscribe("m.a", (_d, e) => seenA.push(e.seq!)).ready;
      await b.subscribe("m.b", (_d, e) => seenB.push(e.seq!)).ready;
      await replaying.publish("m.a", 1);
      await replaying.publish("m.b", 1);
      await until(() => seenA.length === 1 && seenB.length === 1);
      const lost = Promise.all([nextEvent(a, "disconnected"), nextEvent(b, "disconnected")]);
      replaying.closeAll(1012, "restart");
      await lost;
      await replaying.publish("m.a", 2);
      await replaying.publish("m.b", 2);
      await until(() => seenA.length === 2 && seenB.length === 2);
      assert.deepEqual([seenA, seenB], [[1, 2], [1, 2]]);
      await until(() => replaying.socketCount === 1);
      assert.equal(replaying.peers.size, 3, "one socket again, two channels");
    } finally {
      a.close();
      b.close();
      await other.close();
    }
  });

  it("streams work per channel and channels speak superjson on their own", async () => {
    sb.register("count", async function* ([n]: number[]) {
      for (let i = 0; i < n!; i++) yield i;
      return "end";
    });
    sb.register("today", () => new Date(0));
    const { superjsonCodec } = await import("../../mod.ts");
    const a = connect(server.wsUrl, { multiplex: true, codec: superjsonCodec });
    const b = connect(server.wsUrl, { multiplex: true });
    try {
      const items: unknown[] = [];
      const stream = a.stream("count", [3]);
      for await (const item of stream) items.push(item);
      assert.deepEqual(items, [0, 1, 2]);
      assert.ok(await a.call("today") instanceof Date, "superjson on channel a");
      assert.equal(typeof await b.call("today"), "string", "plain JSON on channel b");
    } finally {
      a.close();
      b.close();
    }
  });

  it("refuses bad channel messages precisely and never harms the socket", async () => {
    const raw = await openRaw(server.wsUrl);
    try {
      const bad = await raw.exchange('{"jsonrpc":"2.0","id":1,"method":"rpc.channel","params":{}}');
      assert.equal((bad as { error: { code: number } }).error.code, ErrorCode.InvalidParams);
      const open = await raw.exchange('{"jsonrpc":"2.0","id":2,"method":"rpc.channel.open"}') as {
        result: { channel: number };
      };
      assert.equal(open.result.channel, 1);
      raw.socket.send(
        '{"jsonrpc":"2.0","method":"rpc.channel","params":{"channel":1,"message":{"jsonrpc":"2.0","id":9,"method":"add","params":[2,5]}}}',
      );
      assert.deepEqual(JSON.parse(await raw.next() as string), {
        jsonrpc: "2.0",
        method: "rpc.channel",
        params: { channel: 1, message: { jsonrpc: "2.0", id: 9, result: 7 } },
      });
      const plain = await raw.exchange('{"jsonrpc":"2.0","id":3,"method":"add","params":[1,1]}');
      assert.deepEqual(plain, { jsonrpc: "2.0", id: 3, result: 2 });
    } finally {
      raw.socket.close();
    }
  });

  it("limits channels per socket (maxChannels)", async () => {
    const small = new Switchboard({ maxChannels: 1 });
    const other = await startServer(small);
    const raw = await openRaw(other.wsUrl);
    try {
      await raw.exchange('{"jsonrpc":"2.0","id":1,"method":"rpc.channel.open"}');
      const second = await raw.exchange('{"jsonrpc":"2.0","id":2,"method":"rpc.channel.open"}');
      assert.equal((second as { error: { code: number } }).error.code, ErrorCode.LimitExceeded);
    } finally {
      raw.socket.close();
      await other.close();
    }
  });

  it("runs the onOpen hook once per channel session", () => {
    assert.ok(opened.length >= 3);
  });
});

describe("multiplexing refusals", () => {
  it("opens channels only on a WebSocket's own session, and not when maxChannels is 0", async () => {
    const open = '{"jsonrpc":"2.0","id":1,"method":"rpc.channel.open"}';
    const refused = {
      jsonrpc: "2.0",
      id: 1,
      error: { code: ErrorCode.Unsupported, message: "Unsupported" },
    };
    const withChannels = new Switchboard();
    const without = new Switchboard({ maxChannels: 0 });
    const servers = [await startServer(withChannels), await startServer(without)];
    const allowed = await openRaw(servers[0]!.wsUrl);
    const off = await openRaw(servers[1]!.wsUrl);
    try {
      assert.deepEqual(await allowed.exchange(open), {
        jsonrpc: "2.0",
        id: 1,
        result: { channel: 1 },
      });
      const answer = await off.exchange(open) as { error: { code: number; message: string } };
      assert.deepEqual({
        ...answer,
        error: { code: answer.error.code, message: answer.error.message },
      }, refused);
      // Over HTTP there is no socket to carry channels.
      const response = await fetch(servers[0]!.httpUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: open,
      });
      const body = await response.json() as { error: { code: number } };
      assert.equal(body.error.code, ErrorCode.Unsupported);
    } finally {
      allowed.socket.close();
      off.socket.close();
      for (const server of servers) await server.close();
    }
  });
});

import { after, before, describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { implement, remote, RpcError, Switchboard } from "../../server.ts";
import { delay, openClient, openRaw, post, startServer, type TestServer } from "../_fixtures.ts";

interface Api {
  server: {
    count(n: number): AsyncGenerator<number, string>;
    measured(n: number): AsyncIterable<number>;
    failing(n: number): AsyncIterable<number>;
    plain(x: number): number;
  };
  client: { ticks(n: number): AsyncIterable<string> };
}

/** What the `measured` stream saw: items produced minus items the test consumed, at peak. */
const probe = { produced: 0, consumed: 0, peak: 0 };

function server(): Switchboard {
  const sb = new Switchboard({ limits: { maxStreamWindow: 64, maxCollectedItems: 1000 } });
  implement<Api["server"]>(sb, {
    count: async function* ([n]) {
      for (let i = 0; i < n; i++) yield i;
      return "done";
    },
    measured: async function* ([n]) {
      for (let i = 0; i < n; i++) {
        probe.produced++;
        probe.peak = Math.max(probe.peak, probe.produced - probe.consumed);
        yield i;
      }
    },
    failing: async function* ([n]) {
      for (let i = 0; i < n; i++) yield i;
      throw new RpcError(-32050, "Ran dry", { at: n });
    },
    plain: ([x]) => x * 2,
  });
  return sb;
}

describe("streamed results", () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer(server());
  });
  after(async () => {
    await srv.close();
  });

  it("stream() yields every item in order, then the final result", async () => {
    const client = await openClient(srv.wsUrl);
    try {
      const stream = client.stream<number, string>("count", [5]);
      const items: number[] = [];
      for await (const item of stream) items.push(item);
      assert.deepEqual(items, [0, 1, 2, 3, 4]);
      assert.equal(await stream.result, "done");
    } finally {
      client.close();
    }
  });

  it("a typed proxy streams when iterated at once and calls plainly when awaited", async () => {
    const client = await openClient(srv.wsUrl);
    try {
      const api = remote<Api["server"]>(client);
      const items: number[] = [];
      for await (const item of api.count(3)) items.push(item);
      assert.deepEqual(items, [0, 1, 2]);
      assert.deepEqual(await api.count(2).result, [0, 1], "not iterated: collected");
      assert.deepEqual(await (api.count(2) as unknown as Promise<unknown>), [0, 1]);
      assert.equal(await api.plain(21), 42);
    } finally {
      client.close();
    }
  });

  it("100,000 items to a slow consumer keep at most one window in flight", async () => {
    const client = await openClient(srv.wsUrl);
    try {
      Object.assign(probe, { produced: 0, consumed: 0, peak: 0 });
      let sum = 0;
      for await (const item of client.stream<number>("measured", [100_000], { credit: 1000 })) {
        probe.consumed++;
        sum += item;
        if (probe.consumed % 2000 === 0) await delay(1);
      }
      assert.equal(probe.consumed, 100_000);
      assert.equal(sum, (100_000 * 99_999) / 2);
      // The client offered 1000; the server clamps to its maxStreamWindow of 64 (+1 for the
      // item being produced when credit runs out).
      assert.ok(probe.peak <= 65, `peak in flight ${probe.peak}`);
    } finally {
      client.close();
    }
  });

  it("an error after some items arrives after those items", async () => {
    const client = await openClient(srv.wsUrl);
    try {
      const items: number[] = [];
      const error = await (async () => {
        for await (const item of client.stream<number>("failing", [3])) items.push(item);
      })().catch((e) => e);
      assert.deepEqual(items, [0, 1, 2]);
      assert.ok(error instanceof RpcError);
      assert.equal(error.code, -32050);
      assert.deepEqual(error.data, { at: 3 });
    } finally {
      client.close();
    }
  });

  it("a plain JSON-RPC client gets the items collected into an array", async () => {
    const raw = await openRaw(srv.wsUrl);
    try {
      assert.deepEqual(
        await raw.exchange('{"jsonrpc":"2.0","id":1,"method":"count","params":[3]}'),
        {
          jsonrpc: "2.0",
          id: 1,
          result: [0, 1, 2],
        },
      );
      const res = await post(srv.httpUrl, { jsonrpc: "2.0", id: 2, method: "count", params: [2] });
      assert.deepEqual(await res.json(), { jsonrpc: "2.0", id: 2, result: [0, 1] });
    } finally {
      raw.socket.close();
    }
  });

  it("collecting more than maxCollectedItems answers -32005", async () => {
    const raw = await openRaw(srv.wsUrl);
    try {
      const reply = await raw.exchange(
        '{"jsonrpc":"2.0","id":1,"method":"count","params":[1001]}',
      ) as { error: { code: number } };
      assert.equal(reply.error.code, -32005);
    } finally {
      raw.socket.close();
    }
  });

  it("rpc.stream on the wire: items, credit, final response", async () => {
    const raw = await openRaw(srv.wsUrl);
    try {
      raw.socket.send(JSON.stringify({
        jsonrpc: "2.0",
        id: 9,
        method: "rpc.stream",
        params: { method: "count", params: [3], credit: 2 },
      }));
      const first = JSON.parse(await raw.next() as string);
      assert.deepEqual(first, {
        jsonrpc: "2.0",
        method: "rpc.stream.item",
        params: { id: 9, items: [0, 1] },
      });
      raw.socket.send(JSON.stringify({
        jsonrpc: "2.0",
        method: "rpc.stream.credit",
        params: { id: 9, credit: 2 },
      }));
      assert.deepEqual(JSON.parse(await raw.next() as string), {
        jsonrpc: "2.0",
        method: "rpc.stream.item",
        params: { id: 9, items: [2] },
      });
      assert.deepEqual(JSON.parse(await raw.next() as string), {
        jsonrpc: "2.0",
        id: 9,
        result: "done",
      });
    } finally {
      raw.socket.close();
    }
  });

  it("rpc.stream with bad params answers -32602", async () => {
    const raw = await openRaw(srv.wsUrl);
    try {
      for (
        const params of [{ method: "count", params: [1] }, { method: "rpc.ping", credit: 1 }, [1]]
      ) {
        const reply = await raw.exchange(
          JSON.stringify({ jsonrpc: "2.0", id: 1, method: "rpc.stream", params }),
        ) as { error: { code: number } };
        assert.equal(reply.error.code, -32602, JSON.stringify(params));
      }
    } finally {
      raw.socket.close();
    }
  });

  it("rpc.stream over HTTP POST answers -32004", async () => {
    const res = await post(srv.httpUrl, {
      jsonrpc: "2.0",
      id: 1,
      method: "rpc.stream",
      params: { method: "count", params: [3], credit: 8 },
    });
    assert.equal((await res.json()).error.code, -32004);
  });

  it("the server streams from a client's procedure (other direction)", async () => {
    const opened = Promise.withResolvers<import("../../server.ts").Peer>();
    const local = await startServer(new Switchboard({ onOpen: (peer) => opened.resolve(peer) }));
    const client = await openClient(local.wsUrl);
    try {
      implement<Api["client"]>(client, {
        ticks: async function* ([n]) {
          for (let i = 0; i < n; i++) yield `tick ${i}`;
        },
      });
      const peer = await within(opened.promise, "opened.promise");
      const api = remote<Api["client"]>(peer);
      const seen: string[] = [];
      for await (const tick of api.ticks(300)) seen.push(tick);
      assert.equal(seen.length, 300);
      assert.equal(seen[299], "tick 299");
    } finally {
      client.close();
      await local.close();
    }
  });
});

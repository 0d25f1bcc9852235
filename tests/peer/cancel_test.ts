import { after, before, describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { type Peer, RpcError, Switchboard } from "../../server.ts";
import { openClient, openRaw, startServer, type TestServer } from "../_fixtures.ts";
import { FakeClock } from "../_fake_clock.ts";

/** Observations of the server's procedures, reset per test. */
interface Seen {
  started: PromiseWithResolvers<void>;
  aborted: PromiseWithResolvers<unknown>;
  cleanedUp: PromiseWithResolvers<number>;
}

function fresh(): Seen {
  return {
    started: Promise.withResolvers<void>(),
    aborted: Promise.withResolvers<unknown>(),
    cleanedUp: Promise.withResolvers<number>(),
  };
}

let seen = fresh();

async function codeOf(outcome: Promise<unknown>): Promise<number | undefined> {
  const value = await within(outcome, "the call's outcome");
  return value instanceof RpcError ? value.code : undefined;
}
const reports: unknown[] = [];

function server(): Switchboard {
  const sb = new Switchboard({ onError: (error) => reports.push(error) });
  // Waits until its own call is cancelled; answers "finished" if it ever gets that far.
  sb.register("wait", (_params, ctx) => {
    seen.started.resolve();
    return new Promise((resolve) => {
      ctx.signal.addEventListener("abort", () => {
        seen.aborted.resolve(ctx.signal.reason);
        resolve("finished");
      });
    });
  });
  sb.register("background", (_params, ctx) => {
    seen.started.resolve();
    return new Promise<void>((resolve) => {
      ctx.signal.addEventListener("abort", () => {
        seen.aborted.resolve(ctx.signal.reason);
        resolve();
      });
    });
  });
  sb.register("endless", async function* () {
    let i = 0;
    try {
      seen.started.resolve();
      for (;;) yield i++;
    } finally {
      seen.cleanedUp.resolve(i);
    }
  });
  return sb;
}

describe("cancellation", () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer(server());
  });
  after(async () => {
    await srv.close();
  });

  it("aborting a call rejects it with -32002 and aborts the handler's ctx.signal", async () => {
    seen = fresh();
    const reported: unknown[] = [];
    const client = await openClient(srv.wsUrl, { onError: (e) => reported.push(e) });
    try {
      const controller = new AbortController();
      const call = client.call("wait", [], { signal: controller.signal });
      await within(seen.started.promise, "seen.started.promise");
      controller.abort(new Error("changed my mind"));
      const error = await call.catch((e: RpcError) => e);
      assert.ok(error instanceof RpcError);
      assert.equal(error.code, -32002);
      const reason = await within(seen.aborted.promise, "seen.aborted.promise");
      assert.ok(reason instanceof RpcError);
      assert.equal(reason.code, -32002);
      // The cancelled call's response is not sent: nothing arrives for an unknown id.
      assert.equal(await client.call("rpc.ping"), "pong");
      assert.deepEqual(reported, []);
    } finally {
      client.close();
    }
  });

  it("breaking out of a stream runs the generator's finally on the server", async () => {
    seen = fresh();
    const client = await openClient(srv.wsUrl);
    try {
      let n = 0;
      for await (const _ of client.stream("endless", [], { credit: 16 })) {
        if (++n === 40) break;
      }
      const produced = await within(seen.cleanedUp.promise, "seen.cleanedUp.promise");
      assert.ok(produced >= 40, `produced ${produced}`);
      assert.equal(client.pendingCalls, 0);
    } finally {
      client.close();
    }
  });

  it("aborting a stream's signal throws -32002 from the iteration and cleans up", async () => {
    seen = fresh();
    const client = await openClient(srv.wsUrl);
    try {
      const controller = new AbortController();
      let n = 0;
      const error = await (async () => {
        for await (const _ of client.stream("endless", [], { signal: controller.signal })) {
          if (++n === 10) controller.abort();
        }
      })().catch((e: RpcError) => e);
      assert.ok(error instanceof RpcError);
      assert.equal(error.code, -32002);
      await within(seen.cleanedUp.promise, "seen.cleanedUp.promise");
    } finally {
      client.close();
    }
  });

  it("a raw rpc.cancel stops a call and no response follows", async () => {
    seen = fresh();
    const raw = await openRaw(srv.wsUrl);
    try {
      raw.socket.send('{"jsonrpc":"2.0","id":"w1","method":"wait"}');
      await within(seen.started.promise, "seen.started.promise");
      raw.socket.send('{"jsonrpc":"2.0","method":"rpc.cancel","params":{"id":"w1"}}');
      await within(seen.aborted.promise, "seen.aborted.promise");
      const next = await raw.exchange('{"jsonrpc":"2.0","id":2,"method":"rpc.ping"}');
      assert.deepEqual(next, { jsonrpc: "2.0", id: 2, result: "pong" });
    } finally {
      raw.socket.close();
    }
  });

  it("closing the connection aborts running handlers and streams", async () => {
    seen = fresh();
    const client = await openClient(srv.wsUrl);
    const call = client.call("wait", [], { timeout: 0 }).catch((e: RpcError) => e);
    await within(seen.started.promise, "seen.started.promise");
    client.close();
    const reason = await within(seen.aborted.promise, "seen.aborted.promise");
    assert.ok(reason instanceof RpcError);
    assert.equal(reason.code, -32001);
    assert.equal(await codeOf(call), -32001);

    seen = fresh();
    const again = await openClient(srv.wsUrl);
    const iterating = (async () => {
      for await (const _ of again.stream("endless", [], { credit: 4 })) {
        // consume until the connection drops
      }
    })().catch((e: RpcError) => e);
    await within(seen.started.promise, "seen.started.promise");
    again.close();
    await within(seen.cleanedUp.promise, "seen.cleanedUp.promise");
    assert.equal(await codeOf(iterating), -32001);
  });

  it("closing the connection also aborts a running notification handler", async () => {
    seen = fresh();
    const client = await openClient(srv.wsUrl);
    client.notify("background");
    await within(seen.started.promise, "seen.started.promise");
    client.close();
    assert.equal(await codeOf(seen.aborted.promise), -32001);
  });

  it("a stream that times out on the caller is cancelled on the callee", async () => {
    seen = fresh();
    // The client's clock runs its calls' timeouts: the consumer moves it past the deadline.
    const clock = new FakeClock();
    const client = await openClient(srv.wsUrl, { clock });
    try {
      const error = await (async () => {
        for await (const _ of client.stream("endless", [], { credit: 2, timeout: 50 })) {
          await clock.advance(100);
        }
      })().catch((e: RpcError) => e);
      assert.equal(await codeOf(Promise.resolve(error)), -32000);
      await within(seen.cleanedUp.promise, "seen.cleanedUp.promise");
    } finally {
      client.close();
    }
  });

  it("the server can cancel a call into a client (other direction)", async () => {
    const opened = Promise.withResolvers<Peer>();
    const local = await startServer(new Switchboard({ onOpen: (peer) => opened.resolve(peer) }));
    const client = await openClient(local.wsUrl);
    try {
      const started = Promise.withResolvers<void>();
      const aborted = Promise.withResolvers<boolean>();
      client.register("think", (_params, ctx) => {
        started.resolve();
        return new Promise((resolve) => {
          ctx.signal.addEventListener("abort", () => {
            aborted.resolve(true);
            resolve(null);
          });
        });
      });
      const peer = await within(opened.promise, "opened.promise");
      const controller = new AbortController();
      const call = peer.call("think", [], { signal: controller.signal }).catch((e: RpcError) => e);
      await within(started.promise, "started.promise");
      controller.abort();
      assert.equal(await codeOf(call), -32002);
      assert.equal(await within(aborted.promise, "aborted.promise"), true);
    } finally {
      client.close();
      await local.close();
    }
  });
});

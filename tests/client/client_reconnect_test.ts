import { after, before, describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { Switchboard } from "../../server.ts";
import { connect, ErrorCode } from "../../mod.ts";
import { rejection, until } from "../_fixtures.ts";
import { dropAll, nextEvent, restartable, type RestartableServer } from "../_reconnect_helpers.ts";
import { FakeClock } from "../_fake_clock.ts";

const FAST = { min: 5, max: 20 } as const;

describe("reconnecting client", () => {
  let sb: Switchboard;
  let server: RestartableServer;
  let gate: PromiseWithResolvers<void>;
  let slowCalls = 0;

  before(async () => {
    sb = new Switchboard({ pubsub: { replay: { size: 1000, maxAge: 60_000 } } });
    sb.register("add", ([a, b]: number[]) => a! + b!);
    sb.register("slow", async () => {
      slowCalls++;
      await gate.promise;
      return "done";
    });
    server = await restartable(sb);
  });

  after(async () => {
    await server.stop();
  });

  it("resumes a subscription across a drop and a restart on the same port: no loss, no duplicate", async () => {
    const client = connect(server.wsUrl, { reconnect: FAST });
    try {
      const seen: number[] = [];
      await client.subscribe("feed.a", (_data, event) => seen.push(event.seq!)).ready;
      for (let i = 0; i < 20; i++) await sb.publish("feed.a", i);
      await until(() => seen.length === 20);
      // 1. The server drops the socket; events published meanwhile are replayed.
      const lost = nextEvent(client, "disconnected");
      dropAll(sb);
      await lost;
      for (let i = 0; i < 10; i++) await sb.publish("feed.a", i);
      await nextEvent(client, "connected");
      // 2. The server stops; events published while it is down are replayed after restart.
      const lostAgain = nextEvent(client, "disconnected");
      await server.stop();
      await lostAgain;
      for (let i = 0; i < 10; i++) await sb.publish("feed.a", i);
      const back = nextEvent(client, "connected");
      await server.start();
      assert.equal((await back).reconnected, true);
      for (let i = 0; i < 10; i++) await sb.publish("feed.a", i);
      await until(() => seen.length >= 50);
      assert.deepEqual(seen, Array.from({ length: 50 }, (_, i) => i + 1));
      assert.equal(client.subscriptions.lastSeq("feed.a"), 50);
    } finally {
      client.close();
    }
  });

  it("tells the app to resync when the missed events are gone (onGap)", async () => {
    const small = new Switchboard({ pubsub: { replay: { size: 2, maxAge: 60_000 } } });
    const other = await restartable(small);
    const client = connect(other.wsUrl, { reconnect: FAST });
    try {
      const gaps: unknown[] = [];
      const seen: number[] = [];
      await client.subscribe("g", (_d, e) => seen.push(e.seq!), { onGap: (gap) => gaps.push(gap) })
        .ready;
      await small.publish("g", 1);
      await until(() => seen.length === 1);
      await other.stop();
      for (let i = 0; i < 5; i++) await small.publish("g", i);
      const back = nextEvent(client, "connected");
      await other.start();
      await back;
      assert.equal(gaps.length, 1);
      assert.equal((gaps[0] as { reason: string }).reason, "expired");
      await small.publish("g", "live");
      await until(() => seen.length === 2);
      assert.deepEqual(seen, [1, 7]);
    } finally {
      client.close();
      await other.stop();
    }
  });

  it("sends calls made while disconnected once reconnected", async () => {
    const client = connect(server.wsUrl, { reconnect: FAST });
    try {
      await within(client.ready, "client.ready");
      const lost = nextEvent(client, "disconnected");
      await server.stop();
      await lost;
      const calls = [client.call("add", [1, 2]), client.call("add", [3, 4])];
      const notified = client.notify("nothing", []);
      assert.equal(notified, true);
      assert.equal(client.state, "CONNECTING");
      await server.start();
      assert.deepEqual(await Promise.all(calls), [3, 7]);
      assert.equal(client.state, "CONNECTED");
    } finally {
      client.close();
    }
  });

  it("reconnects by default: a client started before its server waits, then calls go through", async () => {
    await server.stop();
    // Default options (reconnection on); only the backoff is shortened for the test.
    const client = connect(server.wsUrl, { reconnect: FAST });
    try {
      const queued = client.call("add", [20, 22]);
      await nextEvent(client, "reconnecting");
      assert.equal(client.state, "CONNECTING");
      await server.start();
      assert.equal(await queued, 42);
      await within(client.ready, "client.ready");
    } finally {
      client.close();
      await server.start();
    }
  });

  it("does not reconnect after a deliberate close (1000) or a protocol refusal", async () => {
    const client = connect(server.wsUrl);
    try {
      await within(client.ready, "client.ready");
      const closed = client.closed;
      dropAll(sb, 1000);
      assert.equal((await within(closed, "the close")).code, 1000);
      assert.equal(client.state, "CLOSED");
    } finally {
      client.close();
    }
  });

  it("fails fast while disconnected when asked to", async () => {
    const client = connect(server.wsUrl, { reconnect: { min: 1000, max: 1000 }, failFast: true });
    try {
      await within(client.ready, "client.ready");
      const lost = nextEvent(client, "disconnected");
      dropAll(sb);
      await lost;
      const error = await rejection(client.call("add", [1, 2]));
      assert.equal(error.code, ErrorCode.ConnectionClosed);
    } finally {
      client.close();
    }
  });

  it("rejects a call in flight with -32007 and retries an idempotent one", async () => {
    const client = connect(server.wsUrl, { reconnect: FAST });
    gate = Promise.withResolvers();
    slowCalls = 0;
    try {
      await within(client.ready, "client.ready");
      const plain = rejection(client.call("slow"));
      const safe = client.call("slow", undefined, { idempotent: true });
      await until(() => slowCalls === 2);
      dropAll(sb);
      const error = await plain;
      assert.equal(error.code, ErrorCode.UnknownOutcome);
      assert.deepEqual(error.data, { method: "slow" });
      await until(() => slowCalls === 3);
      gate.resolve();
      assert.equal(await safe, "done");
    } finally {
      gate.resolve();
      client.close();
    }
  });

  it("keeps its procedures and middleware across sockets", async () => {
    const client = connect(server.wsUrl, { reconnect: FAST });
    try {
      const seen: string[] = [];
      client.use(async (ctx, next) => {
        seen.push(ctx.method);
        return await next();
      });
      client.register("whoami", () => "client");
      await within(client.ready, "client.ready");
      const first = client.info.id;
      dropAll(sb);
      await nextEvent(client, "connected");
      assert.notEqual(client.info.id, first, "a new socket is a new session");
      const peer = [...sb.peers.values()][0]!;
      assert.equal(await peer.call("whoami"), "client");
      assert.deepEqual(seen, ["whoami"]);
    } finally {
      client.close();
    }
  });

  it("gives up after maxAttempts with delays within the backoff bounds", async () => {
    const other = await restartable(new Switchboard());
    await other.stop();
    const options = { min: 4, max: 20, factor: 2, maxAttempts: 5 };
    const clock = new FakeClock();
    const client = connect(other.wsUrl, { reconnect: options, clock });
    const delays: { attempt: number; delay: number }[] = [];
    client.on("reconnecting", (event) => delays.push(event));
    const info = await within(clock.runUntil(client.closed), "client.closed");
    assert.equal(info.local, false);
    assert.equal(client.state, "CLOSED");
    assert.equal((await rejection(client.ready)).code, ErrorCode.ConnectionClosed);
    assert.deepEqual(delays.map((d) => d.attempt), [0, 1, 2, 3, 4]);
    for (const { attempt, delay } of delays) {
      const cap = Math.min(options.max, options.min * options.factor ** attempt);
      assert.ok(delay >= 0 && delay < cap, `attempt ${attempt}: ${delay} not in [0, ${cap})`);
    }
  });
  it("grows the reconnect delay by its factor per attempt up to max (Math.random stubbed)", async () => {
    const other = await restartable(new Switchboard());
    await other.stop();
    const random = Math.random;
    const runs: number[][] = [];
    try {
      for (const value of [0.5, 0.999]) {
        Math.random = () => value;
        const options = { min: 8, max: 50, factor: 3, maxAttempts: 5 };
        const clock = new FakeClock();
        const client = connect(other.wsUrl, { reconnect: options, clock });
        const delays: number[] = [];
        client.on("reconnecting", (event) => delays.push(event.delay));
        await within(clock.runUntil(client.closed), "the close after maxAttempts");
        runs.push(delays);
      }
    } finally {
      Math.random = random;
    }
    // Caps 8, 24, 50 (72 capped), 50, 50; the delay is random × cap, floored.
    assert.deepEqual(runs, [[4, 12, 25, 25, 25], [7, 23, 49, 49, 49]]);
  });
});

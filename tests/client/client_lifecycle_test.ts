import { after, before, describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { detectAdapter, type RunningServer, Switchboard } from "../../server.ts";
import { backoffDelay, connect, DEFAULT_BACKOFF, ErrorCode, HEARTBEAT_CLOSE } from "../../mod.ts";
import { openRaw, rejection, startServer, type TestServer, until } from "../_fixtures.ts";
import { dropAll, nextEvent } from "../_reconnect_helpers.ts";
import { FakeClock } from "../_fake_clock.ts";

describe("client lifecycle", () => {
  let sb: Switchboard;
  let server: TestServer;

  before(async () => {
    sb = new Switchboard();
    sb.register("add", ([a, b]: number[]) => a! + b!);
    server = await startServer(sb);
  });

  after(async () => {
    await server.close();
  });

  it("goes CONNECTING, OPEN, CONNECTED, CLOSING, CLOSED with typed events", async () => {
    const client = connect(server.wsUrl);
    const log: string[] = [];
    for (const name of ["open", "connected", "websocketOpen", "websocketClose", "close"] as const) {
      client.on(name, () => log.push(`${name}:${client.state}`));
    }
    assert.equal(client.state, "CONNECTING");
    await within(client.ready, "client.ready");
    assert.equal(client.state, "CONNECTED");
    client.close(1000, "bye");
    assert.equal(client.state, "CLOSING");
    const info = await within(client.closed, "client.closed");
    assert.deepEqual(info, { code: 1000, reason: "bye", local: true });
    await until(() => log.includes("websocketClose:CLOSED"));
    assert.deepEqual(log, [
      "websocketOpen:OPEN",
      "open:CONNECTED",
      "connected:CONNECTED",
      "close:CLOSED",
      "websocketClose:CLOSED",
    ]);
  });

  it("open() on an open client throws; open() after close() connects again", async () => {
    const client = connect(server.wsUrl);
    try {
      assert.throws(() => client.open(), /already open/);
      await within(client.ready, "client.ready");
      client.close();
      await within(client.closed, "client.closed");
      client.open();
      const connected = await nextEvent(client, "connected");
      assert.equal(connected.reconnected, false);
      assert.equal(await client.call("add", [2, 2]), 4);
    } finally {
      client.close();
    }
  });

  it("without reconnect, a server close closes the client (close event, -32001)", async () => {
    const client = connect(server.wsUrl, { reconnect: false });
    await within(client.ready, "client.ready");
    const disconnected = nextEvent(client, "disconnected");
    dropAll(sb, 4321);
    const event = await disconnected;
    assert.equal(event.code, 4321);
    assert.equal(event.willReconnect, false);
    assert.equal((await within(client.closed, "client.closed")).code, 4321);
    const error = await rejection(client.call("add", [1, 1]));
    assert.equal(error.code, ErrorCode.ConnectionClosed);
  });

  it("backoffDelay() is full jitter under an exponential cap", () => {
    const options = { ...DEFAULT_BACKOFF, min: 100, max: 1_000, factor: 3 };
    assert.equal(backoffDelay(0, options, () => 0), 0);
    assert.equal(backoffDelay(0, options, () => 0.5), 50);
    assert.equal(backoffDelay(2, options, () => 0.5), 450);
    assert.equal(backoffDelay(10, options, () => 0.999), 999, "capped by max");
  });

  it("counts listeners and removes them", () => {
    const client = connect(server.wsUrl);
    try {
      const off = client.on("error", () => {});
      client.on("close", () => {});
      assert.equal(client.listenerCount(), 2);
      off();
      assert.equal(client.listenerCount(), 1);
    } finally {
      client.close();
    }
  });
});

describe("heartbeat", () => {
  it("the client drops a half-open connection (the server stops answering) and reconnects", async () => {
    const adapter = await detectAdapter();
    const app = new Hono();
    let sockets = 0;
    const fourSockets = Promise.withResolvers<void>();
    // A server that accepts the socket then never answers anything: a silent, half-open peer.
    app.get(
      "/silent",
      adapter.upgradeWebSocket(() => ({
        onOpen: () => {
          if (++sockets >= 4) fourSockets.resolve();
        },
      })),
    );
    const silent: RunningServer = await adapter.serve(app, {
      hostname: "127.0.0.1",
      port: 0,
      maxMessageSize: 1 << 20,
    });
    const url = `${silent.url.replace("http:", "ws:")}/silent`;
    // Time is the fake clock's: heartbeat and backoff timers fire when the test says.
    const clock = new FakeClock();
    const heartbeat = { interval: 20_000, timeout: 10_000 };
    const reconnect = { min: 100, max: 500 };
    // Plain JSON: connected at once, then the pings go unanswered.
    const plain = connect(url, { binary: false, reconnect, heartbeat, clock });
    // Default options: the hello itself goes unanswered; the heartbeat runs from the open.
    const hello = connect(url, { reconnect, heartbeat, clock });
    try {
      const helloClosed = nextEvent(hello, "websocketClose");
      await within(plain.ready, "plain.ready");
      const dropped = await within(clock.runUntil(nextEvent(plain, "disconnected")), "dropped");
      assert.equal(dropped.code, HEARTBEAT_CLOSE);
      assert.equal(dropped.willReconnect, true);
      assert.equal(
        (await within(clock.runUntil(helloClosed), "hello closed")).code,
        HEARTBEAT_CLOSE,
      );
      assert.equal(hello.state === "CONNECTED", false);
      // Both reconnect after their backoff, on the fake clock.
      await within(clock.runUntil(fourSockets.promise), "four sockets");
    } finally {
      plain.close();
      hello.close();
      await silent.close();
    }
  });

  it("the server closes a connection that stays silent, and keeps one that answers pings", async () => {
    const sb = new Switchboard({ heartbeat: { interval: 20, timeout: 60 } });
    sb.register("add", ([a, b]: number[]) => a! + b!);
    const server = await startServer(sb);
    const raw = await openRaw(server.wsUrl);
    const live = connect(server.wsUrl);
    try {
      await within(live.ready, "live.ready");
      // The raw socket never answers the server's rpc.ping: closed with 4000.
      const event = await within(raw.closed, "raw.closed");
      assert.equal(event.code, 4000);
      // The Switchboard client answered every ping (its peer serves rpc.ping).
      assert.equal(live.state, "CONNECTED");
      assert.equal(await live.call("add", [1, 2]), 3);
      assert.equal(sb.socketCount, 1);
    } finally {
      live.close();
      raw.socket.close();
      await server.close();
    }
  });
});

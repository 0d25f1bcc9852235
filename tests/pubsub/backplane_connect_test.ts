import { after, before, describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { connectBackplane } from "../../lib/pubsub/connect_backplane.ts";
import { NatsBackplane } from "../../lib/pubsub/nats_backplane.ts";
import { RedisBackplane } from "../../lib/pubsub/redis_backplane.ts";
import { type Engine, engineMissing, startNats, startRedis } from "../_engines.ts";

/** A port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address() as { port: number };
      server.close(() => resolve(address.port));
    });
  });
}

describe("connectBackplane()", () => {
  it("refuses an unknown scheme with a TypeError naming the accepted ones", async () => {
    await assert.rejects(connectBackplane("kafka://127.0.0.1:9092"), (error: Error) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /redis:\/\/.*nats:\/\/.*memory:/);
      return true;
    });
    await assert.rejects(connectBackplane("127.0.0.1:6379"), TypeError);
  });

  it("memory: gives a memory backplane, always up", async () => {
    const backplane = await connectBackplane("memory:", { replay: { size: 2 } });
    assert.equal(backplane.health().state, "up");
    await backplane.publish("t", 1);
    await backplane.publish("t", 2);
    const missed = await backplane.replay("t", 0);
    assert.ok("events" in missed && missed.events.length === 2);
    await backplane.close();
  });

  it("an unreachable engine rejects connect with a clear error", async () => {
    const port = await closedPort();
    await assert.rejects(
      RedisBackplane.connect(`redis://127.0.0.1:${port}`, { connectTimeout: 300 }),
      /Redis at redis:\/\/127\.0\.0\.1:\d+ did not answer/,
    );
    await assert.rejects(
      NatsBackplane.connect(`nats://127.0.0.1:${port}`, { connectTimeout: 300 }),
      /NATS at nats:\/\/127\.0\.0\.1:\d+ did not answer/,
    );
  });
});

describe("connectBackplane() on real engines", {
  skip: engineMissing("redis-server") ?? engineMissing("nats-server") ?? false,
}, () => {
  let redis: Engine | undefined;
  let nats: Engine | undefined;
  before(async () => {
    [redis, nats] = await Promise.all([startRedis({ persist: false }), startNats()]);
  });
  after(async () => {
    await Promise.all([redis?.stop(), nats?.stop()]);
  });

  for (const [scheme, kind] of [["redis", RedisBackplane], ["nats", NatsBackplane]] as const) {
    it(`${scheme}:// connects a ${kind.name} that reports up`, async () => {
      const url = scheme === "redis" ? redis!.url : nats!.url;
      const backplane = await connectBackplane(url, { replay: { size: 10 } });
      try {
        assert.ok(backplane instanceof kind);
        assert.deepEqual(backplane.health(), { state: "up" });
        assert.equal(await backplane.publish("connect.t", "x"), 1);
        const missed = await backplane.replay("connect.t", 0);
        assert.ok("events" in missed && missed.events[0]!.data === "x");
      } finally {
        await backplane.close();
      }
    });
  }
});

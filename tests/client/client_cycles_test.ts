import { after, before, describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import process from "node:process";
import v8 from "node:v8";
import vm from "node:vm";
import { Switchboard } from "../../server.ts";
import { connect } from "../../mod.ts";
import { activeTimers } from "../../lib/client/timers.ts";
import { startServer, type TestServer, until } from "../_fixtures.ts";
import { dropAll } from "../_reconnect_helpers.ts";

const CYCLES = 1000;

describe("1,000 reconnect cycles", () => {
  let sb: Switchboard;
  let server: TestServer;

  before(async () => {
    sb = new Switchboard({ pubsub: { replay: { size: 16, maxAge: 60_000 } } });
    sb.register("add", ([a, b]: number[]) => a! + b!);
    server = await startServer(sb);
  });

  after(async () => {
    await server.close();
  });

  it("leave no timers, listeners, sessions or memory behind", { timeout: 150_000 }, async () => {
    const client = connect(server.wsUrl, {
      reconnect: { min: 0, max: 0 },
      heartbeat: { interval: 60_000, timeout: 10_000 },
    });
    let connections = 0;
    client.on("connected", () => connections++);
    const seen: number[] = [];
    await client.subscribe("cycle", (_d, e) => seen.push(e.seq!)).ready;
    await until(() => connections === 1);
    const timers = activeTimers();
    const listeners = client.listenerCount();
    collectGarbage();
    const memoryBefore = process.memoryUsage();
    const started = Date.now();
    for (let i = 1; i <= CYCLES; i++) {
      await sb.publish("cycle", i);
      dropAll(sb);
      await until(() => connections === i + 1, 10_000);
      assert.ok(Date.now() - started < 120_000, "bounded in time");
    }
    assert.equal(await client.call("add", [1, 2]), 3);
    await until(() => seen.length === CYCLES);
    assert.deepEqual(seen, Array.from({ length: CYCLES }, (_, i) => i + 1), "no loss, no dup");
    collectGarbage();
    const memoryAfter = process.memoryUsage();
    assert.equal(activeTimers(), timers, "client timers");
    assert.equal(client.listenerCount(), listeners, "client listeners");
    assert.equal(client.queuedCalls, 0);
    assert.equal(client.pendingCalls, 0);
    assert.equal(sb.peers.size, 1, "one session on the server");
    assert.equal(sb.socketCount, 1);
    const heapGrowth = memoryAfter.heapUsed - memoryBefore.heapUsed;
    const rssGrowth = memoryAfter.rss - memoryBefore.rss;
    console.log(
      `${CYCLES} cycles in ${Date.now() - started} ms; heap ${mb(memoryBefore.heapUsed)} -> ${
        mb(memoryAfter.heapUsed)
      } MB, rss ${mb(memoryBefore.rss)} -> ${mb(memoryAfter.rss)} MB`,
    );
    // After a full GC; a leak of 5 KB per cycle would show.
    assert.ok(heapGrowth < 5 * 1024 * 1024, `heap grew ${mb(heapGrowth)} MB`);
    assert.ok(rssGrowth < 64 * 1024 * 1024, `rss grew ${mb(rssGrowth)} MB`);
    client.close();
    await within(client.closed, "client.closed");
    assert.equal(activeTimers(), 0, "no client timer once closed");
  });
});

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

/** A full garbage collection, on Bun (Bun.gc) or V8 (Deno: --expose-gc set at run time). */
function collectGarbage(): void {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun !== undefined) {
    bun.gc(true);
    return;
  }
  v8.setFlagsFromString("--expose-gc");
  (vm.runInNewContext("gc") as () => void)();
}

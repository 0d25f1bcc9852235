import { describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { type Job, Outbox } from "../../lib/client/outbox.ts";
import { activeTimers } from "../../lib/client/timers.ts";
import { Emitter } from "../../lib/client/emitter.ts";
import { backoffDelay, resolveBackoff } from "../../lib/client/backoff.ts";
import { HeartbeatMonitor } from "../../lib/server/heartbeat.ts";
import { HEARTBEAT_CLOSE, startHeartbeat } from "../../lib/client/heartbeat.ts";
import { Peer } from "../../lib/peer/peer.ts";
import { ErrorCode, type RpcError } from "../../mod.ts";
import { until } from "../_fixtures.ts";
import { FakeClock } from "../_fake_clock.ts";

function job(method: string, failed: unknown[], extra: Partial<Job> = {}): Job {
  return {
    method,
    deadline: Infinity,
    idempotent: false,
    retried: false,
    signal: undefined,
    fail: (error) => failed.push(error),
    ...extra,
  };
}

describe("Outbox", () => {
  it("hold() refuses past its limit with -32005 and take() keeps the order", () => {
    const outbox = new Outbox(2);
    const failed: unknown[] = [];
    outbox.hold(job("a", failed));
    outbox.hold(job("b", failed));
    outbox.hold(job("c", failed));
    assert.equal((failed[0] as RpcError).code, ErrorCode.LimitExceeded);
    assert.deepEqual(outbox.take().map((j) => j.method), ["a", "b"]);
    assert.equal(outbox.size, 0);
  });

  it("fails a held job at its deadline (-32000) with one timer for the whole outbox", async () => {
    const clock = new FakeClock();
    const outbox = new Outbox(10, clock);
    const failed: unknown[] = [];
    const before = activeTimers();
    outbox.hold(job("late", failed, { deadline: clock.now() + 10 }));
    outbox.hold(job("later", failed, { deadline: clock.now() + 20 }));
    outbox.hold(job("never", failed));
    assert.equal(activeTimers(), before + 1);
    await clock.advance(9);
    assert.equal(failed.length, 0, "not before its deadline");
    await clock.advance(1);
    assert.equal(failed.length, 1);
    assert.equal(activeTimers(), before + 1, "re-armed for the next deadline");
    await clock.advance(10);
    assert.deepEqual(failed.map((e) => (e as RpcError).code), [
      ErrorCode.Timeout,
      ErrorCode.Timeout,
    ]);
    assert.equal(outbox.size, 1);
    assert.equal(activeTimers(), before, "no deadline left, no timer");
    assert.equal(clock.pending, 0);
    outbox.take();
  });

  it("fails a held job when its signal aborts (-32002) and forgets the listener", () => {
    const outbox = new Outbox(10);
    const failed: unknown[] = [];
    const controller = new AbortController();
    outbox.hold(job("a", failed, { signal: controller.signal }));
    controller.abort("stop");
    assert.equal((failed[0] as RpcError).code, ErrorCode.Cancelled);
    assert.equal(outbox.size, 0);
  });
});

describe("client building blocks", () => {
  it("Emitter reports a throwing listener and keeps calling the others", () => {
    const reported: string[] = [];
    const events = new Emitter<{ x: number }>((_e, where) => reported.push(where));
    let got = 0;
    events.on("x", () => {
      throw new Error("boom");
    });
    events.on("x", (n) => got = n);
    events.emit("x", 3);
    assert.equal(got, 3);
    assert.deepEqual(reported, ["x listener"]);
  });

  it("resolveBackoff() rejects impossible options", () => {
    assert.throws(() => resolveBackoff({ min: 10, max: 5 }), RangeError);
    assert.throws(() => resolveBackoff({ factor: 0.5 }), RangeError);
    const options = resolveBackoff({ min: 0, max: 0 });
    assert.equal(backoffDelay(5000, options, () => 0.9), 0, "no NaN after many attempts");
  });

  it("startHeartbeat() pings every interval and closes a peer silent for the timeout (4000)", async () => {
    const clock = new FakeClock();
    const sent: string[] = [];
    const peer = new Peer({ send: (f) => void sent.push(String(f)), close() {} });
    const before = activeTimers();
    const stop = startHeartbeat(peer, { interval: 100, timeout: 50 }, clock);
    await clock.advance(99);
    assert.equal(sent.length, 0, "nothing before the first interval");
    await clock.advance(1);
    assert.equal(sent.filter((f) => f.includes('"rpc.ping"')).length, 1);
    await clock.advance(49);
    assert.equal(peer.isClosed, false, "not before the timeout");
    await clock.advance(1);
    const info = await within(peer.closed, "peer.closed");
    assert.deepEqual(info, { code: HEARTBEAT_CLOSE, reason: "Heartbeat timeout", local: true });
    stop();
    assert.equal(activeTimers(), before, "stop() leaves no timer");
    assert.equal(clock.pending, 0);
  });

  it("startHeartbeat() keeps an answering peer open, one ping per interval", async () => {
    const clock = new FakeClock();
    let pings = 0;
    const a: Peer = new Peer({ send: (f) => queueMicrotask(() => b.receive(f)), close() {} });
    const b: Peer = new Peer({
      send: (f) => {
        if (String(f).includes('"rpc.ping"')) pings++;
        queueMicrotask(() => a.receive(f));
      },
      close() {},
    });
    const stop = startHeartbeat(b, { interval: 100, timeout: 50 }, clock);
    try {
      for (let i = 0; i < 5; i++) await clock.advance(100);
      assert.equal(pings, 5);
      assert.equal(b.isClosed, false);
    } finally {
      stop();
    }
  });

  it("HeartbeatMonitor pings a silent peer, closes it after the timeout, stops its timer", async () => {
    const sent: string[] = [];
    const peer = new Peer({ send: (f) => void sent.push(String(f)), close() {} });
    const monitor = new HeartbeatMonitor({ interval: 10, timeout: 30 });
    monitor.add(peer);
    assert.equal(monitor.running, true);
    await until(() => sent.some((f) => f.includes('"rpc.ping"')));
    const info = await within(peer.closed, "peer.closed");
    assert.deepEqual(info, { code: 4000, reason: "Heartbeat timeout", local: true });
    monitor.remove(peer);
    assert.equal(monitor.running, false);
  });
});

/**
 * The server heartbeat (lib/server/heartbeat.ts) on a fake clock: one timer for every
 * connection, pings after an interval of silence, 4000 after the timeout, and the timer
 * stops when nobody is watched.
 */
import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { HeartbeatMonitor } from "../../lib/server/heartbeat.ts";
import { Peer } from "../../lib/peer/peer.ts";
import { FakeClock } from "../_fake_clock.ts";

/** A peer whose frames and close are recorded. */
function recorded(): { peer: Peer; frames: string[]; closes: [number, string][] } {
  const frames: string[] = [];
  const closes: [number, string][] = [];
  const peer = new Peer({
    send: (frame) => void frames.push(String(frame)),
    close: (code, reason) => void closes.push([code, reason]),
  });
  return { peer, frames, closes };
}

describe("HeartbeatMonitor", () => {
  it("pings a connection silent for an interval and closes it with 4000 after the timeout", async () => {
    const clock = new FakeClock();
    const monitor = new HeartbeatMonitor({ interval: 100, timeout: 300, clock });
    const { peer, frames, closes } = recorded();
    monitor.add(peer);
    assert.ok(monitor.running);
    await clock.tick(100);
    assert.deepEqual(frames, [], "silent for less than a whole interval");
    await clock.tick(100);
    assert.equal(frames.length, 1);
    assert.equal(JSON.parse(frames[0]!).method, "rpc.ping");
    await clock.tick(100);
    assert.equal(frames.length, 1, "one ping at a time");
    assert.deepEqual(closes, []);
    await clock.tick(100);
    assert.deepEqual(closes, [[4000, "Heartbeat timeout"]]);
    monitor.remove(peer);
    assert.equal(monitor.running, false);
    assert.equal(clock.pending, 0, "no timer left behind");
  });

  it("keeps a connection that sends frames, however long it runs", async () => {
    const clock = new FakeClock();
    const monitor = new HeartbeatMonitor({ interval: 100, timeout: 300, clock });
    const { peer, frames, closes } = recorded();
    const live = monitor.add(peer);
    for (let i = 0; i < 20; i++) {
      await clock.tick(100);
      monitor.seen(live);
    }
    assert.deepEqual(frames, []);
    assert.deepEqual(closes, []);
    monitor.remove(peer);
    assert.equal(clock.pending, 0);
  });
});

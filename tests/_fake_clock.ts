/**
 * A fake {@linkcode Clock} for tests: time stands still until the test advances it, and the
 * timers due by then run in order. Pass it where code takes a clock (pending calls:
 * `new PendingCalls(ms, onExpire, clock)` or the peer option `clock`).
 */

import type { Clock, TimerHandle } from "../lib/protocol/clock.ts";

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/** A clock whose time moves only when {@linkcode FakeClock.tick} is called. */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: Timer[] = [];

  /** @param start The time the clock starts at (ms). */
  constructor(start = 1_000_000) {
    this.#now = start;
  }

  /** The fake time. */
  now(): number {
    return this.#now;
  }

  /** Schedule `fn` at now + `ms` (a negative or NaN delay counts as 0, as the real timers do). */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.#timers.push({ id, at: this.#now + delay, fn });
    return id;
  }

  /** Drop a timer that has not run. */
  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  /** Timers scheduled and not yet run. */
  get pending(): number {
    return this.#timers.length;
  }

  /**
   * Advance time by `ms`, running every timer due on the way, earliest first (timers they
   * schedule run too if due), then let promise callbacks run.
   */
  async tick(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.#timers) {
        if (t.at <= end && (next === undefined || t.at < next.at)) next = t;
      }
      if (next === undefined) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = next.at;
      next.fn();
      await settle();
    }
    this.#now = end;
    await settle();
  }
}

/** Let queued promise callbacks run (a few microtask turns, no timer). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

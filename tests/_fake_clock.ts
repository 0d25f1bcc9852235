/**
 * A clock tests drive by hand: timers fire only when `advance()` moves time past them.
 *
 * @module
 */

import type { Clock } from "../lib/protocol/clock.ts";

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

/** A {@linkcode Clock} whose time moves only through {@linkcode FakeClock.advance}. */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, Timer>();

  /** @param start The time to start at (ms). */
  constructor(start = 1_000_000) {
    this.#now = start;
  }

  /** Timers not yet fired or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const seq = ++this.#seq;
    this.#timers.set(seq, { at: this.#now + Math.max(0, ms), seq, fn });
    return seq;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /**
   * Move time forward by `ms`, firing due timers in order (each at its own time; timers they
   * set fire too when due), and let the microtasks they queue run after each.
   *
   * @param ms How far.
   */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const timer of this.#timers.values()) {
        if (timer.at <= end && (next === undefined || timer.at < next.at)) next = timer;
      }
      if (next === undefined) break;
      this.#timers.delete(next.seq);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
      await settle();
    }
    this.#now = end;
    await settle();
  }
}

/** Let queued microtasks (promise reactions) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

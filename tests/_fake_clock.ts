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
  #armed = Promise.withResolvers<void>();

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
    this.#armed.resolve();
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

  /**
   * {@linkcode FakeClock.advance} by another name.
   *
   * @param ms How far.
   */
  tick(ms: number): Promise<void> {
    return this.advance(ms);
  }

  /**
   * Fire timers one at a time, in order, until `done` settles: when none is set, wait for
   * `done` or for the next timer (real I/O may set one). Fails past `limit` timers.
   *
   * @param done What to wait for.
   * @param limit Most timers fired. Default 1,000.
   * @returns What `done` resolves to.
   */
  async runUntil<T>(done: Promise<T>, limit = 1_000): Promise<T> {
    let finished = false;
    const settled = done.then(() => finished = true, () => finished = true);
    for (let fired = 0; fired <= limit;) {
      await settle();
      if (finished) return done;
      let next: Timer | undefined;
      for (const timer of this.#timers.values()) {
        if (next === undefined || timer.at < next.at) next = timer;
      }
      if (next !== undefined) {
        fired++;
        await this.advance(next.at - this.#now);
        continue;
      }
      this.#armed = Promise.withResolvers<void>();
      await Promise.race([settled, this.#armed.promise]);
    }
    throw new Error(`FakeClock.runUntil: not done after ${limit} timers`);
  }
}

/** Let queued microtasks (promise reactions) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

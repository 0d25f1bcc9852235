/**
 * The time source of timers that tests drive: a {@linkcode Clock} is passed in where code
 * would otherwise call the global timers, so a test can advance time instead of sleeping.
 *
 * @module
 */

/** An opaque timer handle, as returned by {@linkcode Clock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * Now, and one-shot timers.
 *
 * @example A clock that never fires (for a test that only reads the time) (types only)
 * ```ts
 * import type { Clock } from "./clock.ts";
 * const frozen: Clock = { now: () => 0, setTimeout: () => 0, clearTimeout() {} };
 * if (frozen.now() !== 0) throw new Error("unreachable");
 * ```
 */
export interface Clock {
  /**
   * The current time.
   *
   * @returns Milliseconds since the epoch (or any fixed origin, as long as it is monotonic).
   */
  now(): number;
  /**
   * Run `fn` once, `ms` milliseconds from now.
   *
   * @param fn The callback.
   * @param ms The delay in milliseconds.
   * @returns A handle for {@linkcode Clock.clearTimeout}.
   */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /**
   * Stop a timer that has not fired yet; a handle that already fired or was cleared is
   * ignored.
   *
   * @param handle What `setTimeout` returned.
   */
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The real clock: `Date.now` and the global timers.
 *
 * @example
 * ```ts
 * import { systemClock } from "./clock.ts";
 * let fired = false;
 * await new Promise<void>((resolve) => systemClock.setTimeout(() => { fired = true; resolve(); }, 0));
 * if (!fired || systemClock.now() <= 0) throw new Error("unreachable");
 * ```
 */
export const systemClock: Clock = {
  now: (): number => Date.now(),
  setTimeout: (fn: () => void, ms: number): TimerHandle => setTimeout(fn, ms),
  clearTimeout: (handle: TimerHandle): void =>
    clearTimeout(handle as ReturnType<typeof setTimeout>),
};

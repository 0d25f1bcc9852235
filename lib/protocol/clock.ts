/**
 * The time source of every timer a test would otherwise sleep on: code that waits (call
 * deadlines, the client's outbox, heartbeat and reconnect backoff) takes a {@linkcode Clock}
 * and defaults to {@linkcode systemClock}; tests pass a fake one and drive time themselves.
 *
 * @module
 */

/**
 * Reads the time and runs one-shot timers.
 *
 * @example A clock that runs timers at once
 * ```ts
 * import type { Clock } from "./clock.ts";
 * let ran = false;
 * const eager: Clock = {
 *   now: () => 0,
 *   setTimeout: (fn) => { fn(); return 0; },
 *   clearTimeout: () => {},
 * };
 * eager.setTimeout(() => ran = true, 1000);
 * if (!ran) throw new Error("unreachable");
 * ```
 */
export interface Clock {
  /** Milliseconds since the epoch (or any fixed origin). */
  now(): number;
  /**
   * Run `fn` once after `ms` milliseconds.
   *
   * @returns A handle for {@linkcode Clock.clearTimeout}.
   */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancel a timer; an unknown or undefined handle is ignored. */
  clearTimeout(handle: unknown): void;
}

/**
 * The runtime's clock: `Date.now`, `setTimeout`, `clearTimeout`.
 *
 * @example
 * ```ts
 * import { systemClock } from "./clock.ts";
 * const handle = systemClock.setTimeout(() => {}, 1000);
 * systemClock.clearTimeout(handle);
 * if (systemClock.now() <= 0) throw new Error("unreachable");
 * ```
 */
export const systemClock: Clock = Object.freeze({
  now: (): number => Date.now(),
  setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clearTimeout: (handle: unknown): void =>
    clearTimeout(handle as ReturnType<typeof setTimeout> | undefined),
});

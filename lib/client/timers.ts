/**
 * The client's timers, counted, so tests can check that reconnect cycles leave none behind.
 * Each runs on a {@linkcode Clock} (default the system's), so tests can drive time.
 *
 * @module
 */

import { type Clock, systemClock } from "../protocol/clock.ts";

/** A running timer: stop it with {@linkcode stopTimer}. */
export interface TimerHandle {
  /** The clock it runs on. */
  readonly clock: Clock;
  /** The clock's handle. */
  id: unknown;
}

const active = new Set<TimerHandle>();

/**
 * Run `fn` once after `ms`; counted until it runs or is stopped.
 *
 * @param fn The callback.
 * @param ms The delay.
 * @param clock The clock. Default the system's.
 * @returns A handle for {@linkcode stopTimer}.
 * @example
 * ```ts
 * import { activeTimers, startTimeout, stopTimer } from "./timers.ts";
 * const handle = startTimeout(() => {}, 1000);
 * stopTimer(handle);
 * if (activeTimers() !== 0) throw new Error("unreachable");
 * ```
 */
export function startTimeout(fn: () => void, ms: number, clock: Clock = systemClock): TimerHandle {
  const handle: TimerHandle = { clock, id: undefined };
  handle.id = clock.setTimeout(() => {
    active.delete(handle);
    fn();
  }, ms);
  active.add(handle);
  return handle;
}

/**
 * Stop a timer (nothing if it already ran or `handle` is undefined).
 *
 * @param handle The handle.
 * @example
 * ```ts
 * import { stopTimer } from "./timers.ts";
 * stopTimer(undefined);
 * ```
 */
export function stopTimer(handle: TimerHandle | undefined): void {
  if (handle === undefined) return;
  handle.clock.clearTimeout(handle.id);
  active.delete(handle);
}

/**
 * How many client timers are running now (all clients of this process).
 *
 * @returns The count.
 * @example
 * ```ts
 * import { activeTimers } from "./timers.ts";
 * if (activeTimers() < 0) throw new Error("unreachable");
 * ```
 */
export function activeTimers(): number {
  return active.size;
}

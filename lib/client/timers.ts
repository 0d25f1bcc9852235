/**
 * The client's timers, counted, so tests can check that reconnect cycles leave none behind.
 *
 * @module
 */

type Handle = ReturnType<typeof setTimeout>;

const active = new Set<Handle>();

/**
 * Run `fn` once after `ms`; counted until it runs or is stopped.
 *
 * @param fn The callback.
 * @param ms The delay.
 * @returns A handle for {@linkcode stopTimer}.
 * @example
 * ```ts
 * import { activeTimers, startTimeout, stopTimer } from "./timers.ts";
 * const handle = startTimeout(() => {}, 1000);
 * stopTimer(handle);
 * if (activeTimers() !== 0) throw new Error("unreachable");
 * ```
 */
export function startTimeout(fn: () => void, ms: number): Handle {
  const handle: Handle = setTimeout(() => {
    active.delete(handle);
    fn();
  }, ms);
  active.add(handle);
  return handle;
}

/**
 * Run `fn` every `ms` until stopped.
 *
 * @param fn The callback.
 * @param ms The period.
 * @returns A handle for {@linkcode stopTimer}.
 * @example
 * ```ts
 * import { startInterval, stopTimer } from "./timers.ts";
 * stopTimer(startInterval(() => {}, 1000));
 * ```
 */
export function startInterval(fn: () => void, ms: number): Handle {
  const handle = setInterval(fn, ms) as Handle;
  active.add(handle);
  return handle;
}

/**
 * Stop a timer started here. Accepts `undefined` (nothing to stop).
 *
 * @param handle The handle.
 * @example
 * ```ts
 * import { stopTimer } from "./timers.ts";
 * stopTimer(undefined);
 * ```
 */
export function stopTimer(handle: Handle | undefined): void {
  if (handle === undefined) return;
  clearTimeout(handle);
  clearInterval(handle);
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

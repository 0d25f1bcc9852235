/**
 * What a remote backplane reports about its engine connection, and the deadline every call
 * to the engine races, so that a publish to an unreachable engine rejects instead of waiting.
 *
 * @module
 */

/**
 * A remote backplane's connection state, for `/health`.
 *
 * @example Types only
 * ```ts
 * import type { BackplaneHealth } from "./backplane_health.ts";
 * const health: BackplaneHealth = { state: "down", detail: "connect ECONNREFUSED" };
 * if (health.state === "up") throw new Error("unreachable");
 * ```
 */
export interface BackplaneHealth {
  /** `up`: connected; `connecting`: not yet connected; `down`: lost, reconnecting by itself. */
  readonly state: "up" | "down" | "connecting";
  /** The last connection error, when not up. */
  readonly detail?: string;
}

interface Pending {
  readonly at: number;
  readonly reject: (error: Error) => void;
  readonly message: string;
}

/** Calls in flight with their deadlines, swept by one timer (a timer per call costs ~10 µs). */
const pending = new Set<Pending>();
let sweeper: ReturnType<typeof setInterval> | undefined;

function sweep(): void {
  const now = Date.now();
  for (const entry of pending) {
    if (entry.at <= now) {
      pending.delete(entry);
      entry.reject(new Error(entry.message));
    }
  }
  if (pending.size === 0) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/**
 * Settle with a promise, or reject with `message` once `ms` have passed (checked every 50 ms
 * by one shared timer, so a call may take up to 50 ms longer to time out).
 *
 * @param promise The call to the engine.
 * @param ms The deadline.
 * @param message The error message on timeout.
 * @returns The promise's value.
 * @example
 * ```ts
 * import { settleWithin } from "./backplane_health.ts";
 * const late = new Promise<number>(() => {});
 * const error = await settleWithin(late, 1, "too slow").catch((e: Error) => e.message);
 * if (error !== "too slow") throw new Error("unreachable");
 * ```
 */
export function settleWithin<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const entry: Pending = { at: Date.now() + ms, reject, message };
    pending.add(entry);
    sweeper ??= setInterval(sweep, Math.min(50, ms));
    promise.then(
      (value) => {
        pending.delete(entry);
        resolve(value);
      },
      (error) => {
        pending.delete(entry);
        reject(error);
      },
    );
  });
}

/**
 * What a remote backplane reports about its engine connection, and the deadline every call
 * to the engine races, so that a publish to an unreachable engine rejects instead of waiting.
 *
 * @module
 */

/**
 * A remote backplane's connection state, for `/health`.
 *
 * @example
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

/**
 * Settle with a promise, or reject with `message` after `ms`.
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
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

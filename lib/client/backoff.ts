/**
 * Reconnection delays: exponential backoff with full jitter (a random delay between 0 and
 * the exponential cap), so that many clients dropped at once do not come back at once.
 *
 * @module
 */

/**
 * Options of the reconnection backoff.
 *
 * @example Types only
 * ```ts
 * import type { BackoffOptions } from "./backoff.ts";
 * const options: BackoffOptions = { min: 250, max: 10_000, factor: 2, maxAttempts: 20 };
 * if (options.factor !== 2) throw new Error("unreachable");
 * ```
 */
export interface BackoffOptions {
  /** The cap of the first delay, in ms. Default 500. */
  readonly min?: number;
  /** The largest cap, in ms. Default 30,000. */
  readonly max?: number;
  /** How much the cap grows per failed attempt. Default 2. */
  readonly factor?: number;
  /** Attempts after a drop before giving up (the client closes); Infinity for never. Default Infinity. */
  readonly maxAttempts?: number;
  /** A connection that stayed up this long (ms) resets the attempt count. Default 5,000. */
  readonly stableAfter?: number;
}

/** Backoff options with every default filled in. */
export type ResolvedBackoff = { readonly [K in keyof BackoffOptions]-?: number };

/**
 * The backoff defaults.
 *
 * @example
 * ```ts
 * import { DEFAULT_BACKOFF } from "./backoff.ts";
 * if (DEFAULT_BACKOFF.min !== 500) throw new Error("unreachable");
 * ```
 */
export const DEFAULT_BACKOFF: ResolvedBackoff = Object.freeze({
  min: 500,
  max: 30_000,
  factor: 2,
  maxAttempts: Infinity,
  stableAfter: 5_000,
});

/**
 * Fill unspecified backoff options with defaults and check them.
 *
 * @param options Options to override.
 * @returns Complete options.
 * @throws {RangeError} If a value is out of range.
 * @example
 * ```ts
 * import { resolveBackoff } from "./backoff.ts";
 * if (resolveBackoff({ min: 10 }).max !== 30_000) throw new Error("unreachable");
 * ```
 */
export function resolveBackoff(options: BackoffOptions = {}): ResolvedBackoff {
  const resolved = { ...DEFAULT_BACKOFF };
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined) (resolved as Record<string, number>)[name] = value;
  }
  const { min, max, factor, maxAttempts, stableAfter } = resolved;
  if (
    !(min >= 0) || !(max >= min) || !(factor >= 1) || !(maxAttempts >= 0) || !(stableAfter >= 0)
  ) {
    throw new RangeError(
      `Switchboard: invalid backoff: need 0 <= min <= max, factor >= 1, maxAttempts >= 0: got ${
        JSON.stringify(resolved)
      }`,
    );
  }
  return Object.freeze(resolved);
}

/**
 * The delay before reconnection attempt `attempt` (0 for the first): a uniformly random
 * value in [0, min(max, min × factor^attempt)) — "full jitter".
 *
 * @param attempt How many attempts failed before this one.
 * @param options The backoff.
 * @param random A source of numbers in [0, 1). Default `Math.random`.
 * @returns The delay in ms.
 * @example
 * ```ts
 * import { backoffDelay, DEFAULT_BACKOFF } from "./backoff.ts";
 * if (backoffDelay(3, DEFAULT_BACKOFF, () => 0.5) !== 2_000) throw new Error("unreachable");
 * ```
 */
export function backoffDelay(
  attempt: number,
  options: ResolvedBackoff,
  random: () => number = Math.random,
): number {
  let cap = options.min * options.factor ** attempt;
  // Past the cap (or NaN: 0 × Infinity after many attempts), use the cap.
  if (!(cap <= options.max)) cap = options.max;
  return Math.floor(random() * cap);
}

/**
 * Pub/sub limits and their defaults. Every limit has a default here and an option on the
 * server (`new Switchboard({ pubsub: { limits } })`).
 *
 * @module
 */

/**
 * Limits the broker enforces on topic names, patterns and subscriptions.
 *
 * @example Tighten one limit, keep the rest
 * ```ts
 * import { resolvePubSubLimits } from "./limits.ts";
 * const limits = resolvePubSubLimits({ maxSubscriptions: 8 });
 * if (limits.maxSubscriptions !== 8 || limits.maxTopicLength !== 256) throw new Error("unreachable");
 * ```
 */
export interface PubSubLimits {
  /** Longest topic name or pattern, in characters. Default 256. */
  readonly maxTopicLength: number;
  /** Most dot-separated segments in a topic name or pattern. Default 16. */
  readonly maxSegments: number;
  /** Most wildcard segments (`*` and `**`) in one pattern. Default 4. */
  readonly maxWildcards: number;
  /** Most subscriptions (topics and patterns) one connection may hold. Default 256. */
  readonly maxSubscriptions: number;
  /**
   * Bytes a connection may have waiting in its socket's send buffer: the connection's one
   * outgoing bound (lib/server/backpressure.ts), which applies to every frame, not only
   * events. A Switchboard reads it from here when its own `maxBufferedBytes` is not given.
   * Past it for `slowConsumerGrace` ms, or past twice it, the connection is closed with 4008
   * (slow consumer). Default 4 MiB.
   */
  readonly maxBufferedBytes: number;
  /**
   * Milliseconds a connection may stay over `maxBufferedBytes` (a burst that a healthy
   * socket drains) before it is closed. Default 100.
   */
  readonly slowConsumerGrace: number;
}

/**
 * The defaults.
 *
 * @example
 * ```ts
 * import { DEFAULT_PUBSUB_LIMITS } from "./limits.ts";
 * if (DEFAULT_PUBSUB_LIMITS.maxWildcards !== 4) throw new Error("unreachable");
 * ```
 */
export const DEFAULT_PUBSUB_LIMITS: PubSubLimits = Object.freeze({
  maxTopicLength: 256,
  maxSegments: 16,
  maxWildcards: 4,
  maxSubscriptions: 256,
  maxBufferedBytes: 4 * 1024 * 1024,
  slowConsumerGrace: 100,
});

/**
 * Fill unspecified limits with defaults and check the given ones.
 *
 * @param partial Limits to override.
 * @returns A complete, frozen set of limits.
 * @throws {RangeError} If a limit is not a positive integer.
 * @example
 * ```ts
 * import { resolvePubSubLimits } from "./limits.ts";
 * let threw = false;
 * try { resolvePubSubLimits({ maxSegments: 0 }); } catch (e) { threw = e instanceof RangeError; }
 * if (!threw) throw new Error("expected RangeError");
 * ```
 */
export function resolvePubSubLimits(partial: Partial<PubSubLimits> = {}): PubSubLimits {
  const given = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const limits = { ...DEFAULT_PUBSUB_LIMITS, ...given };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`Switchboard: limit ${name} must be a positive integer: got ${value}`);
    }
  }
  return Object.freeze(limits);
}

/**
 * Receiver-side limits and their defaults. Every limit has a default here and an option on
 * the server and the client; docs/PROTOCOL.md §14 lists what happens when each is exceeded.
 *
 * @module
 */

/**
 * Limits a receiver enforces on one connection.
 *
 * @example Tighten one limit, keep the rest
 * ```ts
 * import { DEFAULT_LIMITS, resolveLimits } from "./limits.ts";
 * const limits = resolveLimits({ maxBatchSize: 10 });
 * if (limits.maxBatchSize !== 10) throw new Error("unreachable");
 * if (limits.maxMessageSize !== DEFAULT_LIMITS.maxMessageSize) throw new Error("unreachable");
 * ```
 */
export interface Limits {
  /**
   * Largest incoming message, checked before parsing: characters (UTF-16 code units) of a
   * text frame, bytes of a binary frame or an HTTP body. A WebSocket peer that sends more is
   * closed with code 1009; an HTTP body over it gets status 413. On Bun the socket also
   * enforces it in bytes before the frame reaches JavaScript.
   */
  readonly maxMessageSize: number;
  /** Most entries in one batch; a larger batch is answered with one -32600 error. */
  readonly maxBatchSize: number;
  /**
   * Most incoming requests of one connection running at once (asynchronous procedures still
   * pending). Requests over it are answered at once with -32003 (overloaded).
   */
  readonly maxConcurrentRequests: number;
  /**
   * Most outgoing calls awaiting a response at once. A call over it rejects at once with
   * -32005 (limit exceeded) and is not sent.
   */
  readonly maxPendingCalls: number;
  /**
   * Most items of one streamed result in flight (sent, not yet credited back) per stream:
   * credit a caller grants beyond it is clamped. Bounds what a stream can queue.
   */
  readonly maxStreamWindow: number;
  /**
   * Most items collected into an array when a caller that did not ask for a stream calls a
   * procedure that streams; past it the call is answered with -32005.
   */
  readonly maxCollectedItems: number;
}

/**
 * The defaults: 1 MiB messages, 1,000-entry batches, 1,024 running requests and 10,000
 * pending outgoing calls per connection; 256 stream items in flight, 10,000 collected items.
 *
 * @example
 * ```ts
 * import { DEFAULT_LIMITS } from "./limits.ts";
 * if (DEFAULT_LIMITS.maxMessageSize !== 1024 * 1024) throw new Error("unreachable");
 * ```
 */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxMessageSize: 1024 * 1024,
  maxBatchSize: 1000,
  maxConcurrentRequests: 1024,
  maxPendingCalls: 10_000,
  maxStreamWindow: 256,
  maxCollectedItems: 10_000,
});

/**
 * Fill unspecified limits with defaults and check the given ones.
 *
 * @param partial Limits to override.
 * @returns A complete, frozen set of limits.
 * @throws {RangeError} If a limit is not a positive integer.
 * @example
 * ```ts
 * import { resolveLimits } from "./limits.ts";
 * let threw = false;
 * try { resolveLimits({ maxBatchSize: 0 }); } catch (e) { threw = e instanceof RangeError; }
 * if (!threw) throw new Error("expected RangeError");
 * ```
 */
export function resolveLimits(partial: Partial<Limits> = {}): Limits {
  // Already resolved (a server hands its limits to each connection): share, don't copy.
  if (RESOLVED.has(partial)) return partial as Limits;
  const limits = { ...DEFAULT_LIMITS, ...stripUndefined(partial) };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`Switchboard: limit ${name} must be a positive integer: got ${value}`);
    }
  }
  const frozen = Object.freeze(limits);
  RESOLVED.add(frozen);
  return frozen;
}

/** Limit objects made by {@linkcode resolveLimits}: complete, checked and frozen. */
const RESOLVED = new WeakSet<object>();

function stripUndefined(partial: Partial<Limits>): Partial<Limits> {
  return Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
}

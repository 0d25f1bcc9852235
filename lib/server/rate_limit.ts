/**
 * Rate limits per WebSocket connection: two token buckets, one counting incoming frames and
 * one counting their bytes (characters of a text frame), each refilled at its rate per
 * second (the clock is read on every 16th frame and whenever a bucket runs short) and holding
 * at most one second's worth (the burst).
 *
 * A frame that finds a bucket short is refused: every request in it is answered with
 * -32029 (`Rate limit exceeded`) instead of running; responses to the server's own calls and
 * the session's `rpc.cancel` and stream-credit notifications still count; other
 * notifications are dropped, as they cannot be answered. Refused frames still take their
 * tokens, so a connection that keeps sending drives its buckets below zero; once one falls
 * a whole burst below zero (it went on sending for about another second's worth after being
 * refused), the connection is closed with 4029. A client that slows down when refused gets
 * its tokens back at the rate and is never closed.
 *
 * @module
 */

import { ErrorCode } from "../protocol/errors.ts";
import { CloseCode } from "../protocol/close_codes.ts";
import type { ErrorObject } from "../protocol/types.ts";

/**
 * The limits.
 *
 * @example
 * ```ts
 * import { resolveRateLimit } from "./rate_limit.ts";
 * const limits = resolveRateLimit({ messages: 100 });
 * if (limits.bytes !== 64 * 1024 * 1024) throw new Error("unreachable");
 * ```
 */
export interface RateLimitOptions {
  /**
   * Incoming frames per second, with a burst of as many. Default 20,000 (a batch counts as
   * one frame; its size counts against `bytes`).
   */
  readonly messages: number;
  /**
   * Incoming bytes (characters of text frames) per second, with a burst of as many. Default
   * 64 MiB: a full-size attachment (`framing.maxAttachmentBytes`) fits in one burst.
   */
  readonly bytes: number;
}

/**
 * The defaults: 20,000 frames and 64 MiB per second.
 *
 * @example
 * ```ts
 * import { DEFAULT_RATE_LIMIT } from "./rate_limit.ts";
 * if (DEFAULT_RATE_LIMIT.messages !== 20_000) throw new Error("unreachable");
 * ```
 */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = Object.freeze({
  messages: 20_000,
  bytes: 64 * 1024 * 1024,
});

/**
 * The close code of a connection that kept flooding after being refused.
 *
 * @example
 * ```ts
 * import { RATE_LIMIT_CLOSE } from "./rate_limit.ts";
 * if (RATE_LIMIT_CLOSE !== 4029) throw new Error("unreachable");
 * ```
 */
export const RATE_LIMIT_CLOSE: typeof CloseCode.RateLimited = CloseCode.RateLimited;

/**
 * Fill unspecified limits with defaults and check the given ones.
 *
 * @param partial Limits to override.
 * @returns A complete, frozen set.
 * @throws {RangeError} If a limit is not a positive integer.
 * @example
 * ```ts
 * import { resolveRateLimit } from "./rate_limit.ts";
 * let threw = false;
 * try { resolveRateLimit({ bytes: -1 }); } catch (e) { threw = e instanceof RangeError; }
 * if (!threw) throw new Error("expected RangeError");
 * ```
 */
export function resolveRateLimit(partial: Partial<RateLimitOptions> = {}): RateLimitOptions {
  const messages = partial.messages ?? DEFAULT_RATE_LIMIT.messages;
  const bytes = partial.bytes ?? DEFAULT_RATE_LIMIT.bytes;
  for (const [name, value] of [["messages", messages], ["bytes", bytes]] as const) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(
        `Switchboard: rateLimit.${name} must be a positive integer: got ${value}`,
      );
    }
  }
  return Object.freeze({ messages, bytes });
}

/**
 * A connection's buckets, kept on the connection itself (four numbers, no object).
 *
 * @example Types only
 * ```ts
 * import type { Metered } from "./rate_limit.ts";
 * const conn: Metered = { messageTokens: 0, byteTokens: 0, refilled: -1, frames: 0 };
 * if (conn.refilled !== -1) throw new Error("unreachable");
 * ```
 */
export interface Metered {
  /** Frames the connection may still send now (negative: in debt). */
  messageTokens: number;
  /** Bytes the connection may still send now (negative: in debt). */
  byteTokens: number;
  /** When the buckets were last refilled (ms, the limiter's clock); -1 before the first. */
  refilled: number;
  /** Frames taken, to read the clock on every 16th (and whenever a bucket runs short). */
  frames: number;
}

/**
 * What {@linkcode RateLimiter.take} decides for a frame: handle it, refuse its requests, or
 * close the connection.
 *
 * @example
 * ```ts
 * import { Verdict } from "./rate_limit.ts";
 * if (Verdict.Close !== 2) throw new Error("unreachable");
 * ```
 */
export const Verdict: {
  /** Within the limits. */
  readonly Admit: 0;
  /** Over a limit: answer its requests with the refusal. */
  readonly Refuse: 1;
  /** A burst's worth past a limit: close with 4029. */
  readonly Close: 2;
} = { Admit: 0, Refuse: 1, Close: 2 };

/** A {@linkcode Verdict} value. */
export type Verdict = typeof Verdict[keyof typeof Verdict];

/**
 * Applies the rate limits to the connections of one server.
 *
 * @example A flood is refused, then closed
 * ```ts
 * import { RateLimiter, Verdict, type Metered } from "./rate_limit.ts";
 * let now = 0;
 * const limiter = new RateLimiter({ messages: 10, bytes: 1000 }, () => now);
 * const conn: Metered = { messageTokens: 0, byteTokens: 0, refilled: -1, frames: 0 };
 * const verdicts = Array.from({ length: 40 }, () => limiter.take(conn, 1));
 * if (verdicts[9] !== Verdict.Admit || verdicts[10] !== Verdict.Refuse) throw new Error();
 * if (!verdicts.includes(Verdict.Close)) throw new Error("unreachable");
 * now += 10_000; // ten quiet seconds refill the buckets
 * if (limiter.take(conn, 1) !== Verdict.Admit) throw new Error("unreachable");
 * ```
 */
export class RateLimiter {
  /** The limits. */
  readonly options: RateLimitOptions;
  /** The error refused requests get when the frame count is over its limit. */
  readonly messagesRefusal: ErrorObject;
  /** The error refused requests get when the byte count is over its limit. */
  readonly bytesRefusal: ErrorObject;
  readonly #now: () => number;

  /**
   * @param options The limits (resolved).
   * @param now The clock, in ms (default `performance.now`).
   */
  constructor(options: RateLimitOptions, now: () => number = () => performance.now()) {
    this.options = options;
    this.#now = now;
    this.messagesRefusal = refusal("messages", options.messages);
    this.bytesRefusal = refusal("bytes", options.bytes);
  }

  /**
   * Take one frame's tokens from a connection's buckets.
   *
   * @param conn The connection.
   * @param size The frame's size (characters or bytes).
   * @returns Whether to handle the frame, refuse its requests, or close the connection.
   */
  take(conn: Metered, size: number): Verdict {
    // Reading the clock costs more than the rest (100-350 ns here): refill on every 16th
    // frame and whenever a bucket would run short, which keeps the refill exact to within
    // the 15 frames taken between two readings.
    if ((++conn.frames & 15) === 0 || conn.messageTokens < 1 || conn.byteTokens < size) {
      this.#refill(conn);
    }
    const m = conn.messageTokens -= 1;
    const b = conn.byteTokens -= size;
    if (m >= 0 && b >= 0) return Verdict.Admit;
    const { messages, bytes } = this.options;
    return m < -messages || b < -bytes ? Verdict.Close : Verdict.Refuse;
  }

  #refill(conn: Metered): void {
    const { messages, bytes } = this.options;
    const now = this.#now();
    if (conn.refilled < 0) {
      conn.messageTokens = messages;
      conn.byteTokens = bytes;
    } else {
      const seconds = (now - conn.refilled) / 1000;
      conn.messageTokens = Math.min(messages, conn.messageTokens + seconds * messages);
      conn.byteTokens = Math.min(bytes, conn.byteTokens + seconds * bytes);
    }
    conn.refilled = now;
  }

  /**
   * The error for a refused frame of a connection (which limit it is over).
   *
   * @param conn The connection.
   * @returns The error object.
   */
  refusalOf(conn: Metered): ErrorObject {
    return conn.messageTokens < 0 ? this.messagesRefusal : this.bytesRefusal;
  }
}

function refusal(limit: "messages" | "bytes", perSecond: number): ErrorObject {
  return Object.freeze({
    code: ErrorCode.RateLimited,
    message: "Rate limit exceeded",
    data: Object.freeze({ limit, perSecond }),
  });
}

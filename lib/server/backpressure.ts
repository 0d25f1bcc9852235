/**
 * The outgoing bound of a server connection: one check on every frame a WebSocket connection
 * sends (answers, errors, stream items, notifications, calls into the client, pub/sub events,
 * attachment chunks), so that a client that stops reading can never make the server hold
 * more than a bounded amount for it, and nothing is ever dropped silently.
 *
 * The policy, per connection:
 * - The socket's buffered amount (bytes handed to the runtime and not yet written to the
 *   network) may pass `maxBufferedBytes` for at most `slowConsumerGrace` ms (a burst that a
 *   healthy client drains); still over it then, the connection is closed with 4008.
 * - It may never hold more than twice `maxBufferedBytes` before the frame being sent: past
 *   that the connection is closed with 4008 at once. A single frame is never refused for its
 *   own size (a message is at most `maxMessageSize`; attachments are paced by the chunk
 *   sender's `highWaterMark`).
 * - A runtime that reports a dropped frame (Bun's `send()` returning 0) closes the connection
 *   with 4008 at once: the frame is lost, so the connection must not go on as if it was not.
 *
 * Closing goes through the peer, which rejects every call pending on this side; the client
 * rejects its own when it sees the close. Reading the buffered amount is a native call on
 * some runtimes, so it is sampled: when the runtime's `send` reports backpressure (Bun: −1),
 * else on every 16th frame and on every frame of 16 KiB or more. Between two reads at most
 * 15 frames under 16 KiB each go unchecked.
 *
 * @module
 */

import { SLOW_CONSUMER_CLOSE } from "../pubsub/protocol.ts";
import { type Clock, systemClock, type TimerHandle } from "../protocol/clock.ts";

/**
 * The bound's settings.
 *
 * @example
 * ```ts
 * import { resolveBackpressure } from "./backpressure.ts";
 * const options = resolveBackpressure({ maxBufferedBytes: 1 << 20 });
 * if (options.slowConsumerGrace !== 100) throw new Error("unreachable");
 * ```
 */
export interface BackpressureOptions {
  /**
   * Bytes a connection's socket may hold unsent beyond a short burst. Default 4 MiB: four
   * messages of the default `maxMessageSize`, sixteen times the chunk sender's pacing mark,
   * well over what a healthy loopback or LAN reader leaves behind, and a hard ceiling of
   * 8 MiB per connection (twice the bound) for one that stops reading.
   */
  readonly maxBufferedBytes: number;
  /** Milliseconds a connection may stay over `maxBufferedBytes`. Default 100. */
  readonly slowConsumerGrace: number;
}

/**
 * The defaults: 4 MiB and 100 ms.
 *
 * @example
 * ```ts
 * import { DEFAULT_BACKPRESSURE } from "./backpressure.ts";
 * if (DEFAULT_BACKPRESSURE.maxBufferedBytes !== 4 * 1024 * 1024) throw new Error("unreachable");
 * ```
 */
export const DEFAULT_BACKPRESSURE: BackpressureOptions = Object.freeze({
  maxBufferedBytes: 4 * 1024 * 1024,
  slowConsumerGrace: 100,
});

/**
 * Fill unspecified settings with defaults and check the given ones.
 *
 * @param partial Settings to override (undefined values are ignored).
 * @returns A complete, frozen set.
 * @throws {RangeError} If a setting is not a positive integer.
 * @example
 * ```ts
 * import { resolveBackpressure } from "./backpressure.ts";
 * let threw = false;
 * try { resolveBackpressure({ maxBufferedBytes: 0 }); } catch (e) { threw = e instanceof RangeError; }
 * if (!threw) throw new Error("expected RangeError");
 * ```
 */
export function resolveBackpressure(
  partial: Partial<BackpressureOptions> = {},
): BackpressureOptions {
  const maxBufferedBytes = partial.maxBufferedBytes ?? DEFAULT_BACKPRESSURE.maxBufferedBytes;
  const slowConsumerGrace = partial.slowConsumerGrace ?? DEFAULT_BACKPRESSURE.slowConsumerGrace;
  for (
    const [name, value] of [["maxBufferedBytes", maxBufferedBytes], [
      "slowConsumerGrace",
      slowConsumerGrace,
    ]] as const
  ) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`Switchboard: ${name} must be a positive integer: got ${value}`);
    }
  }
  return Object.freeze({ maxBufferedBytes, slowConsumerGrace });
}

/**
 * A connection as the bound sees it: two fields of state and two methods, so that a
 * connection needs no object of its own for it.
 *
 * @example Types only
 * ```ts
 * import type { Buffering } from "./backpressure.ts";
 * const conn: Buffering = {
 *   sends: 0,
 *   pressure: undefined,
 *   bufferedAmount: () => 0,
 *   terminate() {},
 * };
 * if (conn.sends !== 0) throw new Error("unreachable");
 * ```
 */
export interface Buffering {
  /** Frames sent, to sample the buffered amount. */
  sends: number;
  /** The pending re-check while over `maxBufferedBytes`. */
  pressure: TimerHandle | undefined;
  /** Bytes waiting in the socket's send buffer. */
  bufferedAmount(): number;
  /** End the connection's session (through its peer, rejecting what is pending). */
  terminate(code: number, reason: string): void;
}

/** Read the buffered amount on every 16th frame (`n & mask === 0`)… */
const SAMPLE_MASK = 15;
/** …and on every frame of at least 16 KiB. */
const ALWAYS_CHECK_SIZE = 16 * 1024;

/** The close reason of a connection closed by the bound. */
const SLOW_CONSUMER_REASON = "Slow consumer";

/**
 * Applies the outgoing bound to the connections of one server.
 *
 * @example A connection that stops reading is closed once it holds twice the bound
 * ```ts
 * import { Backpressure, type Buffering } from "./backpressure.ts";
 * const bound = new Backpressure({ maxBufferedBytes: 1000, slowConsumerGrace: 100 });
 * let buffered = 0;
 * const closes: number[] = [];
 * const conn: Buffering = {
 *   sends: 0,
 *   pressure: undefined,
 *   bufferedAmount: () => buffered,
 *   terminate: (code) => void closes.push(code),
 * };
 * for (let i = 0; i < 64 && closes.length === 0; i++) {
 *   buffered += 100;
 *   bound.sent(conn, 100, undefined);
 * }
 * bound.released(conn);
 * if (closes[0] !== 4008 || buffered > 2000 + 16 * 100) throw new Error("unreachable");
 * ```
 */
export class Backpressure {
  /** The settings. */
  readonly options: BackpressureOptions;
  readonly #clock: Clock;

  /**
   * @param options The settings (resolved).
   * @param clock The timers of the grace period (tests pass a fake one).
   */
  constructor(options: BackpressureOptions, clock: Clock = systemClock) {
    this.options = options;
    this.#clock = clock;
  }

  /**
   * A frame was handed to the connection's socket: apply the bound.
   *
   * @param conn The connection.
   * @param size The frame's size (characters or bytes).
   * @param result What the runtime's `send` returned: a number on Bun (bytes written, −1
   * queued under backpressure, 0 dropped), undefined elsewhere.
   */
  sent(conn: Buffering, size: number, result: unknown): void {
    if (typeof result === "number") {
      if (result > 0) return;
      if (result === 0) {
        this.#overflow(conn);
        return;
      }
      this.check(conn, size);
      return;
    }
    if ((++conn.sends & SAMPLE_MASK) === 0 || size >= ALWAYS_CHECK_SIZE) this.check(conn, size);
  }

  /**
   * Read the connection's buffered amount now and apply the bound (also used after frames
   * written by other means: the runtime's topic fan-out).
   *
   * @param conn The connection.
   * @param size The size of the frame just sent, not counted against the hard ceiling.
   */
  check(conn: Buffering, size = 0): void {
    const buffered = conn.bufferedAmount();
    const max = this.options.maxBufferedBytes;
    if (buffered <= max) return;
    if (buffered - size > 2 * max) {
      this.#overflow(conn);
      return;
    }
    conn.pressure ??= this.#clock.setTimeout(
      () => this.#recheck(conn),
      this.options.slowConsumerGrace,
    );
  }

  /**
   * The socket drained (Bun's `drain`) or closed: drop a pending re-check when the buffer is
   * back under the bound.
   *
   * @param conn The connection.
   * @param closed The connection closed: drop the re-check whatever the buffer holds.
   */
  released(conn: Buffering, closed = true): void {
    if (conn.pressure === undefined) return;
    if (!closed && conn.bufferedAmount() > this.options.maxBufferedBytes) return;
    this.#clock.clearTimeout(conn.pressure);
    conn.pressure = undefined;
  }

  #recheck(conn: Buffering): void {
    conn.pressure = undefined;
    if (conn.bufferedAmount() > this.options.maxBufferedBytes) this.#overflow(conn);
  }

  #overflow(conn: Buffering): void {
    this.released(conn);
    conn.terminate(SLOW_CONSUMER_CLOSE, SLOW_CONSUMER_REASON);
  }
}

/**
 * The client's heartbeat: an application-level `rpc.ping` every `interval` ms, because
 * browsers cannot send WebSocket pings. A ping unanswered within `timeout` means the
 * connection is half-open (the network dropped it silently): the client closes it with
 * {@linkcode HEARTBEAT_CLOSE} and, when reconnection is on, reconnects.
 *
 * @module
 */

import { Extension } from "../protocol/extensions.ts";
import type { Peer } from "../peer/peer.ts";
import { startTimeout, stopTimer, type TimerHandle } from "./timers.ts";
import { type Clock, systemClock } from "../protocol/clock.ts";
import { CloseCode } from "../protocol/close_codes.ts";

/**
 * Heartbeat options (client and server use the same shape).
 *
 * @example Types only
 * ```ts
 * import type { HeartbeatOptions } from "./heartbeat.ts";
 * const options: HeartbeatOptions = { interval: 15_000, timeout: 10_000 };
 * if (options.interval !== 15_000) throw new Error("unreachable");
 * ```
 */
export interface HeartbeatOptions {
  /** Milliseconds between pings. */
  readonly interval: number;
  /** Milliseconds to wait for the answer before the connection is declared dead. */
  readonly timeout: number;
}

/**
 * The close code used for a connection whose heartbeat went unanswered.
 *
 * @example
 * ```ts
 * import { HEARTBEAT_CLOSE } from "./heartbeat.ts";
 * if (HEARTBEAT_CLOSE !== 4000) throw new Error("unreachable");
 * ```
 */
export const HEARTBEAT_CLOSE: typeof CloseCode.HeartbeatTimeout = CloseCode.HeartbeatTimeout;

/**
 * Check heartbeat options.
 *
 * @param options The options.
 * @returns The same options.
 * @throws {RangeError} If interval or timeout is not a positive number.
 * @example
 * ```ts
 * import { checkHeartbeat } from "./heartbeat.ts";
 * let threw = false;
 * try { checkHeartbeat({ interval: 0, timeout: 1 }); } catch { threw = true; }
 * if (!threw) throw new Error("unreachable");
 * ```
 */
export function checkHeartbeat(options: HeartbeatOptions): HeartbeatOptions {
  if (!(options.interval > 0) || !(options.timeout > 0)) {
    throw new RangeError(
      `Switchboard: heartbeat interval and timeout must be positive: got ${
        JSON.stringify(options)
      }`,
    );
  }
  return options;
}

/**
 * Ping a peer every `interval`; close it when a ping goes unanswered for `timeout`.
 *
 * @param peer The connection.
 * @param options Interval and timeout.
 * @param clock The clock. Default the system's.
 * @returns A function that stops the heartbeat.
 * @example
 * ```ts
 * import { Peer } from "../peer/peer.ts";
 * import { startHeartbeat } from "./heartbeat.ts";
 * const stop = startHeartbeat(new Peer({ send() {}, close() {} }), { interval: 1000, timeout: 500 });
 * stop();
 * ```
 */
export function startHeartbeat(
  peer: Peer,
  options: HeartbeatOptions,
  clock: Clock = systemClock,
): () => void {
  let waiting = false;
  let stopped = false;
  let tick: TimerHandle | undefined;
  let deadline: TimerHandle | undefined;
  const beat = (): void => {
    tick = startTimeout(beat, options.interval, clock);
    if (waiting || peer.isClosed) return;
    waiting = true;
    deadline = startTimeout(
      () => {
        deadline = undefined;
        if (waiting && !stopped) peer.close(HEARTBEAT_CLOSE, "Heartbeat timeout");
      },
      options.timeout,
      clock,
    );
    // No timeout of the call's own: the deadline above is the heartbeat's, on its clock.
    peer.call(Extension.Ping, undefined, { timeout: 0 }).then(answered, answered);
  };
  // Any answer, even an error (a server without rpc.ping), proves the peer is alive.
  const answered = (): void => {
    waiting = false;
    stopTimer(deadline);
    deadline = undefined;
  };
  tick = startTimeout(beat, options.interval, clock);
  return () => {
    stopped = true;
    stopTimer(tick);
    stopTimer(deadline);
  };
}

/**
 * The server's heartbeat: one timer for all connections, ticking every `interval`. A
 * connection that sent nothing during a tick gets an `rpc.ping` request; one that sent
 * nothing for `timeout` ms is closed with 4000 (half-open: the client vanished without a
 * close). Recording traffic costs one property write per frame.
 *
 * @module
 */

import type { Peer } from "../peer/peer.ts";
import { Extension } from "../protocol/extensions.ts";
import { CloseCode } from "../protocol/close_codes.ts";
import { type Clock, systemClock, type TimerHandle } from "../protocol/clock.ts";

/**
 * Heartbeat options of a Switchboard.
 *
 * @example Types only
 * ```ts
 * import type { ServerHeartbeatOptions } from "./heartbeat.ts";
 * const options: ServerHeartbeatOptions = { interval: 30_000, timeout: 60_000 };
 * if (options.timeout !== 60_000) throw new Error("unreachable");
 * ```
 */
export interface ServerHeartbeatOptions {
  /** Milliseconds between ticks; a connection silent for a whole tick is pinged. */
  readonly interval: number;
  /** A connection silent this long (ms) is closed with 4000. */
  readonly timeout: number;
  /** The timers it ticks on. Default: the runtime's (tests pass a fake clock). */
  readonly clock?: Clock;
}

/**
 * The server heartbeat defaults: ping after 30 s of silence, close after 60 s.
 *
 * @example
 * ```ts
 * import { DEFAULT_SERVER_HEARTBEAT } from "./heartbeat.ts";
 * if (DEFAULT_SERVER_HEARTBEAT.interval !== 30_000) throw new Error("unreachable");
 * ```
 */
export const DEFAULT_SERVER_HEARTBEAT: ServerHeartbeatOptions = Object.freeze({
  interval: 30_000,
  timeout: 60_000,
});

/**
 * What the monitor keeps per connection; `seen` is written on every incoming frame.
 *
 * @example Types only
 * ```ts
 * import type { Liveness } from "./heartbeat.ts";
 * const live: Liveness = { seen: 0, pinging: false };
 * if (live.pinging) throw new Error("unreachable");
 * ```
 */
export interface Liveness {
  /** The tick of the last incoming frame. */
  seen: number;
  /** Whether a ping is awaiting its answer. */
  pinging: boolean;
}

/**
 * Watches every WebSocket connection of a server with one timer.
 *
 * @example
 * ```ts
 * import { Peer } from "../peer/peer.ts";
 * import { HeartbeatMonitor } from "./heartbeat.ts";
 * const monitor = new HeartbeatMonitor({ interval: 1000, timeout: 3000 });
 * const peer = new Peer({ send() {}, close() {} });
 * const live = monitor.add(peer);
 * monitor.seen(live);
 * const other = new Peer({ send() {}, close() {} });
 * const own = { seen: 0, pinging: false };
 * if (monitor.add(other, own) !== own) throw new Error("unreachable");
 * monitor.remove(other);
 * monitor.remove(peer);
 * if (monitor.size !== 0) throw new Error("unreachable");
 * ```
 */
export class HeartbeatMonitor {
  readonly #interval: number;
  readonly #silentTicks: number;
  readonly #peers = new Map<Peer, Liveness>();
  readonly #clock: Clock;
  #tick = 0;
  /** The pending tick, while anybody is watched. */
  #timer: TimerHandle | undefined;

  /**
   * @param options Interval and timeout.
   * @throws {RangeError} Unless 0 < interval <= timeout.
   */
  constructor(options: ServerHeartbeatOptions) {
    if (!(options.interval > 0) || !(options.timeout >= options.interval)) {
      throw new RangeError(
        `Switchboard: heartbeat needs 0 < interval <= timeout: got ${JSON.stringify(options)}`,
      );
    }
    this.#interval = options.interval;
    this.#clock = options.clock ?? systemClock;
    this.#silentTicks = Math.ceil(options.timeout / options.interval);
  }

  /** How many connections are watched. */
  get size(): number {
    return this.#peers.size;
  }

  /** Whether the shared timer is running (it stops when nobody is watched). */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Watch a connection.
   *
   * @param peer The connection.
   * @param live Where to keep its record (a server connection keeps it on itself, so a
   * connection costs no extra object). Default: a new one.
   * @returns Its liveness record, for {@linkcode HeartbeatMonitor.seen}.
   */
  add(peer: Peer, live: Liveness = { seen: 0, pinging: false }): Liveness {
    live.seen = this.#tick;
    live.pinging = false;
    this.#peers.set(peer, live);
    this.#timer ??= this.#schedule();
    return live;
  }

  /**
   * Record that a frame arrived.
   *
   * @param live The connection's record.
   */
  seen(live: Liveness): void {
    live.seen = this.#tick;
  }

  /**
   * Stop watching a connection (it closed).
   *
   * @param peer The connection.
   */
  remove(peer: Peer): void {
    this.#peers.delete(peer);
    if (this.#peers.size === 0 && this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  /** The next tick, one interval from now (a chain of timeouts: a clock has no interval). */
  #schedule(): TimerHandle {
    return this.#clock.setTimeout(() => {
      this.#timer = this.#schedule();
      this.#check();
    }, this.#interval);
  }

  #check(): void {
    // `tick` is the interval that just ended; `silent` counts whole intervals without a frame.
    const tick = this.#tick++;
    for (const [peer, live] of this.#peers) {
      const silent = tick - live.seen;
      if (silent >= this.#silentTicks) {
        peer.close(CloseCode.HeartbeatTimeout, "Heartbeat timeout");
        continue;
      }
      if (silent >= 1 && !live.pinging) {
        live.pinging = true;
        // Any answer (even an error) counts as a frame; no per-ping timer: the tick judges.
        peer.call(Extension.Ping, undefined, { timeout: 0 }).then(
          () => live.pinging = false,
          () => live.pinging = false,
        );
      }
    }
  }
}

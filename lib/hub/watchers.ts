/**
 * Inspector push: connections that called `rpc.inspect` with `{"watch": true}` get
 * `rpc.inspect.update` snapshots, at most one per 100 ms after a change, and once a second
 * while any watch (counters change without events).
 *
 * @module
 */

import type { Peer } from "../peer/peer.ts";
import { Method } from "../protocol/methods.ts";

/** Coalesce changes for this long before pushing a snapshot, in ms. */
const PUSH_DELAY = 100;
/** Refresh watchers this often while any exist, in ms. */
const TICK = 1_000;

/**
 * The watching connections and their push timers.
 *
 * @example Nobody watches: a change costs nothing
 * ```ts
 * import { Watchers } from "./watchers.ts";
 * let snapshots = 0;
 * const watchers = new Watchers(() => ({ n: ++snapshots }));
 * watchers.changed();
 * watchers.stop();
 * if (snapshots !== 0 || watchers.size !== 0) throw new Error("unreachable");
 * ```
 */
export class Watchers {
  readonly #snapshot: () => Record<string, unknown>;
  readonly #peers = new Set<Peer>();
  #pushTimer: ReturnType<typeof setTimeout> | undefined;
  #tick: ReturnType<typeof setInterval> | undefined;

  /** @param snapshot What to push. */
  constructor(snapshot: () => Record<string, unknown>) {
    this.#snapshot = snapshot;
  }

  /** How many connections watch. */
  get size(): number {
    return this.#peers.size;
  }

  /**
   * Start or stop pushing to a connection.
   *
   * @param peer The connection.
   * @param on Whether it watches.
   */
  watch(peer: Peer, on: boolean): void {
    if (on) this.#peers.add(peer);
    else this.#peers.delete(peer);
    if (this.#peers.size > 0 && this.#tick === undefined) {
      this.#tick = setInterval(() => this.#push(), TICK);
    } else if (this.#peers.size === 0 && this.#tick !== undefined) {
      clearInterval(this.#tick);
      this.#tick = undefined;
    }
  }

  /**
   * A connection closed: stop pushing to it.
   *
   * @param peer The connection.
   */
  forget(peer: Peer): void {
    this.#peers.delete(peer);
  }

  /** Something changed: push a snapshot soon (coalesced). */
  changed(): void {
    if (this.#peers.size === 0 || this.#pushTimer !== undefined) return;
    this.#pushTimer = setTimeout(() => {
      this.#pushTimer = undefined;
      this.#push();
    }, PUSH_DELAY);
  }

  /** Stop every timer (shutdown). */
  stop(): void {
    clearTimeout(this.#pushTimer);
    clearInterval(this.#tick);
  }

  #push(): void {
    if (this.#peers.size === 0) return;
    const snapshot = this.#snapshot();
    for (const peer of this.#peers) peer.notify(Method.InspectUpdate, snapshot);
  }
}

/**
 * A bounded replay buffer for one topic: the last `size` events younger than `maxAge` ms, in
 * sequence order, in a ring that never grows past `size`.
 *
 * @module
 */

import type { Gap } from "./protocol.ts";

/**
 * One published event as the backplane carries it.
 *
 * @example Types only
 * ```ts
 * import type { TopicEvent } from "./replay.ts";
 * const event: TopicEvent = { topic: "a.b", seq: 1, data: 42, time: Date.now() };
 * if (event.seq !== 1) throw new Error("unreachable");
 * ```
 */
export interface TopicEvent {
  /** The exact topic. */
  readonly topic: string;
  /** Its sequence number in the topic, from 1. */
  readonly seq: number;
  /** The data published. */
  readonly data: unknown;
  /** When it was published (ms since the epoch). */
  readonly time: number;
  /** The publishing connection's id when it must not receive its own event. */
  readonly exclude?: string | undefined;
}

/**
 * What a resume gets: the missed events in order, or the gap that prevents it.
 *
 * @example Types only
 * ```ts
 * import type { ReplayResult } from "./replay.ts";
 * const nothingMissed: ReplayResult = { events: [], seq: 5 };
 * if (!("events" in nothingMissed)) throw new Error("unreachable");
 * ```
 */
export type ReplayResult =
  | { readonly events: readonly TopicEvent[]; readonly seq: number }
  | { readonly gap: Gap };

/**
 * How much history to keep per topic. `size` 0 turns replay off.
 *
 * @example Types only
 * ```ts
 * import type { ReplayOptions } from "./replay.ts";
 * const options: ReplayOptions = { size: 100, maxAge: 30_000 };
 * if (options.size !== 100) throw new Error("unreachable");
 * ```
 */
export interface ReplayOptions {
  /** Most events kept per topic. Default 0 (replay off). */
  readonly size?: number;
  /** Oldest event kept, in ms. Default 60,000. */
  readonly maxAge?: number;
}

/**
 * The ring buffer of one topic.
 *
 * @example Resume from 1 after three events: two are replayed
 * ```ts
 * import { ReplayBuffer } from "./replay.ts";
 * const buffer = new ReplayBuffer({ size: 2 });
 * for (let seq = 1; seq <= 3; seq++) buffer.push({ topic: "t", seq, data: seq, time: Date.now() });
 * const result = buffer.since(1, 3);
 * if (!("events" in result) || result.events.length !== 2) throw new Error("unreachable");
 * if (!("gap" in buffer.since(0, 3))) throw new Error("seq 1 is gone");
 * ```
 */
export class ReplayBuffer {
  readonly #ring: (TopicEvent | undefined)[];
  readonly #size: number;
  readonly #maxAge: number;
  #start = 0;
  #count = 0;

  /** @param options Size and age bounds. */
  constructor(options: ReplayOptions = {}) {
    this.#size = options.size ?? 0;
    this.#maxAge = options.maxAge ?? 60_000;
    if (!Number.isSafeInteger(this.#size) || this.#size < 0) {
      throw new RangeError(`Switchboard: replay size must be an integer >= 0: got ${this.#size}`);
    }
    if (!(this.#maxAge > 0)) {
      throw new RangeError(`Switchboard: replay maxAge must be positive: got ${this.#maxAge}`);
    }
    this.#ring = new Array(this.#size);
  }

  /** How many events are held (after dropping expired ones). */
  get length(): number {
    this.#expire(Date.now());
    return this.#count;
  }

  /**
   * Append an event (its seq must follow the previous one's); the oldest falls out when full.
   *
   * @param event The event.
   * @example
   * ```ts
   * import { ReplayBuffer } from "./replay.ts";
   * const buffer = new ReplayBuffer({ size: 1 });
   * buffer.push({ topic: "t", seq: 1, data: null, time: Date.now() });
   * buffer.push({ topic: "t", seq: 2, data: null, time: Date.now() });
   * if (buffer.length !== 1) throw new Error("unreachable");
   * ```
   */
  push(event: TopicEvent): void {
    if (this.#size === 0) return;
    const end = (this.#start + this.#count) % this.#size;
    this.#ring[end] = event;
    if (this.#count < this.#size) this.#count++;
    else this.#start = (this.#start + 1) % this.#size;
  }

  /**
   * The events after `since`, or the gap.
   *
   * @param since The last sequence number the subscriber saw.
   * @param seq The topic's latest sequence number.
   * @returns The missed events in order, or why they cannot be replayed.
   * @example
   * ```ts
   * import { ReplayBuffer } from "./replay.ts";
   * const r = new ReplayBuffer({ size: 4 }).since(9, 2);
   * if (!("gap" in r) || r.gap.reason !== "ahead") throw new Error("unreachable");
   * ```
   */
  since(since: number, seq: number): ReplayResult {
    if (since === seq) return { events: [], seq };
    if (since > seq) return { gap: { since, oldest: this.#oldest(), seq, reason: "ahead" } };
    this.#expire(Date.now());
    const oldest = this.#oldest();
    if (oldest === null || oldest > since + 1) {
      return { gap: { since, oldest, seq, reason: "expired" } };
    }
    const events: TopicEvent[] = [];
    for (let i = 0; i < this.#count; i++) {
      const event = this.#ring[(this.#start + i) % this.#size]!;
      if (event.seq > since) events.push(event);
    }
    return { events, seq };
  }

  #oldest(): number | null {
    return this.#count === 0 ? null : this.#ring[this.#start]!.seq;
  }

  #expire(now: number): void {
    const cutoff = now - this.#maxAge;
    while (this.#count > 0 && this.#ring[this.#start]!.time < cutoff) {
      this.#ring[this.#start] = undefined;
      this.#start = (this.#start + 1) % this.#size;
      this.#count--;
    }
  }
}

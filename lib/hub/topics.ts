/**
 * Topics as the hub sees them: a counting wrapper around the backplane (events published
 * per topic, subscription changes), event rates, and the rows the inspector, `/metrics` and
 * `rpc.discover` show.
 *
 * @module
 */

import type { Backplane, BackplaneStream } from "../pubsub/backplane.ts";
import type { TopicCount } from "../pubsub/broker.ts";

/**
 * One topic (or subscribed pattern) as the hub reports it.
 *
 * @example Types only
 * ```ts
 * import type { TopicRow } from "./topics.ts";
 * const row: TopicRow = { name: "chat.lobby", pattern: false, subscribers: 2, events: 5, rate: 0.5 };
 * if (row.rate !== 0.5) throw new Error("unreachable");
 * ```
 */
export interface TopicRow {
  /** The exact topic, or the pattern subscribers used. */
  readonly name: string;
  /** True for a pattern (it has subscribers, never events of its own). */
  readonly pattern: boolean;
  /** Connections subscribed to it on this hub. */
  readonly subscribers: number;
  /** Events published on it through this hub while it was tracked. */
  readonly events: number;
  /** Events per second over the last sampling window (at least one second). */
  readonly rate: number;
}

/**
 * Options of a {@linkcode TopicTracker}.
 *
 * @example Types only
 * ```ts
 * import type { TopicTrackerOptions } from "./topics.ts";
 * const options: TopicTrackerOptions = { maxTracked: 100 };
 * if (options.maxTracked !== 100) throw new Error("unreachable");
 * ```
 */
export interface TopicTrackerOptions {
  /** Most topics counted one by one (others count in the totals only). Default 10,000. */
  readonly maxTracked?: number;
  /** Called when a topic or pattern gains its first or loses its last local subscriber. */
  readonly onChange?: () => void;
}

interface Counter {
  count: number;
  sampled: number;
  rate: number;
}

/** A sampling window shorter than this keeps the previous rates. */
const MIN_WINDOW_MS = 1000;

/**
 * Counts events per topic through a wrapped backplane and turns counts into rates.
 *
 * @example Count two events on one topic
 * ```ts
 * import { TopicTracker } from "./topics.ts";
 * import { MemoryBackplane } from "../pubsub/memory_backplane.ts";
 * const tracker = new TopicTracker();
 * const backplane = tracker.wrap(new MemoryBackplane());
 * await backplane.publish("a.b", 1);
 * await backplane.publish("a.b", 2);
 * const rows = tracker.rows([], Date.now());
 * if (tracker.published !== 2 || rows[0]!.events !== 2) throw new Error("unreachable");
 * ```
 */
export class TopicTracker {
  /** Events published through the wrapped backplane. */
  published = 0;
  readonly #counters = new Map<string, Counter>();
  readonly #maxTracked: number;
  readonly #onChange: (() => void) | undefined;
  #sampledAt = Date.now();

  /** @param options The tracking bound and a change listener. */
  constructor(options: TopicTrackerOptions = {}) {
    this.#maxTracked = options.maxTracked ?? 10_000;
    this.#onChange = options.onChange;
  }

  /**
   * Wrap a backplane so that its publishes are counted and its filter changes reported.
   *
   * @param inner The real backplane.
   * @returns A backplane with the same behaviour.
   */
  wrap(inner: Backplane): Backplane {
    const record = (topic: string): void => this.#record(topic);
    const changed = (): void => this.#onChange?.();
    return {
      publish(topic: string, data: unknown, exclude?: string): number | Promise<number> {
        const seq = inner.publish(topic, data, exclude);
        record(topic);
        return seq;
      },
      stream(listener): BackplaneStream {
        const stream = inner.stream(listener);
        return {
          add(filter: string): void {
            stream.add(filter);
            changed();
          },
          remove(filter: string): void {
            stream.remove(filter);
            changed();
          },
          close: () => stream.close(),
        };
      },
      replay: (topic, since) => inner.replay(topic, since),
      close: () => inner.close(),
    };
  }

  /**
   * The rows to show: every topic or pattern with subscribers, plus every topic with events
   * recently; sorted by name. Refreshes the rates when at least a second has passed since
   * the last refresh, and then forgets topics without subscribers that were quiet for two
   * windows.
   *
   * @param subscribed The broker's {@linkcode TopicCount}s.
   * @param now The current time in ms.
   * @returns The rows.
   */
  rows(subscribed: readonly TopicCount[], now: number): TopicRow[] {
    this.#sample(now, new Set(subscribed.map((t) => t.topic)));
    const rows = new Map<string, TopicRow>();
    for (const { topic, pattern, subscribers } of subscribed) {
      const counter = pattern ? undefined : this.#counters.get(topic);
      rows.set(topic, {
        name: topic,
        pattern,
        subscribers,
        events: counter?.count ?? 0,
        rate: counter?.rate ?? 0,
      });
    }
    for (const [name, counter] of this.#counters) {
      if (rows.has(name)) continue;
      rows.set(name, {
        name,
        pattern: false,
        subscribers: 0,
        events: counter.count,
        rate: counter.rate,
      });
    }
    return [...rows.values()].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  }

  #record(topic: string): void {
    this.published++;
    const counter = this.#counters.get(topic);
    if (counter !== undefined) counter.count++;
    else if (this.#counters.size < this.#maxTracked) {
      this.#counters.set(topic, { count: 1, sampled: 0, rate: 0 });
    }
  }

  #sample(now: number, keep: ReadonlySet<string>): void {
    const window = now - this.#sampledAt;
    if (window < MIN_WINDOW_MS) return;
    this.#sampledAt = now;
    for (const [name, counter] of this.#counters) {
      const fresh = counter.count - counter.sampled;
      if (fresh === 0 && counter.rate === 0 && !keep.has(name)) {
        // Quiet for two windows and nobody subscribed here: forget it (bounds the map).
        this.#counters.delete(name);
        continue;
      }
      counter.rate = Math.round((fresh * 1000 / window) * 10) / 10;
      counter.sampled = counter.count;
    }
  }
}

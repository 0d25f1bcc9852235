/**
 * The in-memory backplane: one process (or several brokers in one process sharing it).
 *
 * @module
 */

import type { Backplane, BackplaneStream } from "./backplane.ts";
import { LocalStream } from "./local_stream.ts";
import { ReplayBuffer, type ReplayOptions, type ReplayResult, type TopicEvent } from "./replay.ts";

/**
 * Options of a {@linkcode MemoryBackplane}.
 *
 * @example Types only
 * ```ts
 * import type { MemoryBackplaneOptions } from "./memory_backplane.ts";
 * const options: MemoryBackplaneOptions = { replay: { size: 100 }, maxTopics: 1000 };
 * if (options.maxTopics !== 1000) throw new Error("unreachable");
 * ```
 */
export interface MemoryBackplaneOptions {
  /** History kept per topic for resuming subscribers. Default: none. */
  readonly replay?: ReplayOptions;
  /**
   * Most topics whose sequence number (and history) is remembered; the least recently
   * published is forgotten past it and restarts at 1 (a resume then gets a gap). Default 100,000.
   */
  readonly maxTopics?: number;
}

interface TopicState {
  seq: number;
  readonly buffer: ReplayBuffer | undefined;
}

/**
 * Sequence numbers, history and delivery in this process. Delivery is synchronous: when
 * `publish` returns, every listener has been called.
 *
 * @example
 * ```ts
 * import { MemoryBackplane } from "./memory_backplane.ts";
 * const backplane = new MemoryBackplane({ replay: { size: 10 } });
 * const got: number[] = [];
 * backplane.stream((e) => got.push(e.seq)).add("a.*");
 * backplane.publish("a.b", "x");
 * backplane.publish("a.b", "y");
 * if (got.join() !== "1,2") throw new Error("unreachable");
 * const missed = backplane.replay("a.b", 1);
 * if (!("events" in missed) || missed.events[0]!.data !== "y") throw new Error("unreachable");
 * ```
 */
export class MemoryBackplane implements Backplane {
  readonly #topics = new Map<string, TopicState>();
  readonly #streams = new Set<LocalStream>();
  readonly #replay: ReplayOptions | undefined;
  readonly #maxTopics: number;

  /** @param options Replay history and the topic memory bound. */
  constructor(options: MemoryBackplaneOptions = {}) {
    this.#replay = (options.replay?.size ?? 0) > 0 ? options.replay : undefined;
    this.#maxTopics = options.maxTopics ?? 100_000;
    if (this.#replay !== undefined) new ReplayBuffer(this.#replay); // validates the options
  }

  publish(topic: string, data: unknown, exclude?: string): number {
    const state = this.#touch(topic);
    const event: TopicEvent = { topic, seq: ++state.seq, data, time: Date.now(), exclude };
    state.buffer?.push(event);
    for (const stream of this.#streams) {
      if (stream.wants(topic)) stream.listener(event);
    }
    return event.seq;
  }

  stream(listener: (event: TopicEvent) => void): BackplaneStream {
    const stream = new LocalStream(listener, (s) => this.#streams.delete(s));
    this.#streams.add(stream);
    return stream;
  }

  replay(topic: string, since?: number): ReplayResult {
    const state = this.#topics.get(topic);
    const seq = state?.seq ?? 0;
    if (since === undefined) return { events: [], seq };
    if (state?.buffer === undefined) {
      if (since === seq) return { events: [], seq };
      return {
        gap: { since, oldest: null, seq, reason: since > seq ? "ahead" : "expired" },
      };
    }
    return state.buffer.since(since, seq);
  }

  close(): Promise<void> {
    for (const stream of [...this.#streams]) stream.close();
    this.#topics.clear();
    return Promise.resolve();
  }

  #touch(topic: string): TopicState {
    let state = this.#topics.get(topic);
    if (state !== undefined) {
      // Keep the map in least-recently-published order for eviction.
      this.#topics.delete(topic);
    } else {
      state = { seq: 0, buffer: this.#replay && new ReplayBuffer(this.#replay) };
      if (this.#topics.size >= this.#maxTopics) {
        const oldest = this.#topics.keys().next().value;
        if (oldest !== undefined) this.#topics.delete(oldest);
      }
    }
    this.#topics.set(topic, state);
    return state;
  }
}

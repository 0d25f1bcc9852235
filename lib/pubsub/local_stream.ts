/**
 * The listener side of a backplane that delivers in this process (memory, a Durable Object's
 * SQLite): the filters a listener added, matched against each published topic.
 *
 * @module
 */

import type { BackplaneStream } from "./backplane.ts";
import { Pattern } from "./pattern.ts";
import type { TopicEvent } from "./replay.ts";
import { isPattern } from "./topic_name.ts";

/**
 * One listener of an in-process backplane: its exact topics and patterns, and whether a topic
 * is wanted. The backplane keeps its streams in a set, calls `listener` for each stream that
 * `wants` a published topic, and drops a stream when `onClose` tells it.
 *
 * @example
 * ```ts
 * import { LocalStream } from "./local_stream.ts";
 * const streams = new Set<LocalStream>();
 * const stream = new LocalStream(() => {}, (s) => streams.delete(s));
 * streams.add(stream);
 * stream.add("ticker.*");
 * if (!stream.wants("ticker.ACME") || stream.wants("news")) throw new Error("unreachable");
 * stream.close();
 * if (streams.size !== 0 || stream.wants("ticker.ACME")) throw new Error("unreachable");
 * ```
 */
export class LocalStream implements BackplaneStream {
  /** Called with every event of a wanted topic. */
  readonly listener: (event: TopicEvent) => void;
  readonly #exact = new Set<string>();
  readonly #patterns = new Map<string, Pattern>();
  readonly #onClose: (stream: LocalStream) => void;

  /**
   * @param listener Receives the events of the topics this stream wants.
   * @param onClose Runs once the stream is closed (the backplane forgets it there).
   */
  constructor(listener: (event: TopicEvent) => void, onClose: (stream: LocalStream) => void) {
    this.listener = listener;
    this.#onClose = onClose;
  }

  /** Start hearing a topic or pattern (idempotent). */
  add(filter: string): void {
    if (!isPattern(filter)) this.#exact.add(filter);
    else if (!this.#patterns.has(filter)) this.#patterns.set(filter, new Pattern(filter));
  }

  /** Stop hearing it. */
  remove(filter: string): void {
    if (!this.#exact.delete(filter)) this.#patterns.delete(filter);
  }

  /** Stop hearing everything and leave the backplane. */
  close(): void {
    this.#exact.clear();
    this.#patterns.clear();
    this.#onClose(this);
  }

  /**
   * Whether an event of `topic` goes to this stream.
   *
   * @param topic An exact topic.
   * @returns True when an exact filter or a pattern matches it.
   */
  wants(topic: string): boolean {
    if (this.#exact.has(topic)) return true;
    for (const pattern of this.#patterns.values()) if (pattern.matches(topic)) return true;
    return false;
  }
}

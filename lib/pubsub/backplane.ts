/**
 * The backplane interface: how a broker publishes and hears events, so that several server
 * processes can share topics. The in-memory one is {@linkcode MemoryBackplane}; a Redis or
 * NATS backplane is one file implementing this interface:
 *
 * - `publish` assigns the topic's next sequence number (Redis: `INCR` or `XADD`; NATS
 *   JetStream: the stream sequence), keeps it for replay if configured, and delivers it.
 * - `stream` opens one listener per broker with a set of filters (exact topics and
 *   patterns in Switchboard's syntax: NATS subjects use the same `*` and `>` for `**`;
 *   Redis can `PSUBSCRIBE` a translated glob and filter with {@linkcode Pattern}). Each
 *   matching event is delivered once to the listener, in sequence order per topic.
 * - `replay` returns what a resuming subscriber missed, or the gap.
 *
 * @module
 */

import type { ReplayResult, TopicEvent } from "./replay.ts";

/**
 * One broker's view of the backplane's events.
 *
 * @example
 * ```ts
 * import { MemoryBackplane } from "./memory_backplane.ts";
 * const seen: string[] = [];
 * const stream = new MemoryBackplane().stream((event) => seen.push(event.topic));
 * stream.add("a.*");
 * stream.close();
 * ```
 */
export interface BackplaneStream {
  /**
   * Start hearing a topic or pattern (idempotent).
   *
   * @param filter An exact topic or a pattern.
   * @returns Nothing when it is heard at once (memory), else a promise that resolves once
   * the engine delivers the filter's events (a remote backplane's subscription is acknowledged).
   */
  add(filter: string): void | Promise<void>;
  /**
   * Stop hearing it.
   *
   * @param filter What was added.
   */
  remove(filter: string): void;
  /** Stop hearing everything. */
  close(): void;
}

/**
 * Carries events between brokers (and, in memory, within one process).
 *
 * @example
 * ```ts
 * import type { Backplane } from "./backplane.ts";
 * import { MemoryBackplane } from "./memory_backplane.ts";
 * const backplane: Backplane = new MemoryBackplane();
 * const seq = await backplane.publish("a.b", 1);
 * if (seq !== 1) throw new Error("unreachable");
 * await backplane.close();
 * ```
 */
export interface Backplane {
  /**
   * Publish an event: assign its sequence number, keep it for replay, deliver it.
   *
   * @param topic An exact, valid topic name.
   * @param data The data.
   * @param exclude A connection id that must not receive it (the publisher).
   * @returns Its sequence number (a promise for remote backplanes). A caller's publishes get
   *   their seqs in call order, and when it resolves this instance's own listeners that want
   *   the topic have had the event (a remote backplane waits at most a second for them).
   */
  publish(topic: string, data: unknown, exclude?: string): number | Promise<number>;
  /**
   * Open a stream of events for one listener.
   *
   * @param listener Receives each matching event once.
   * @returns The stream, initially with no filters.
   */
  stream(listener: (event: TopicEvent) => void): BackplaneStream;
  /**
   * What a subscriber resuming after `since` missed.
   *
   * @param topic An exact topic.
   * @param since The last sequence number it saw; omit to learn the latest only.
   * @returns The events after `since` in order with the latest seq, or the gap.
   */
  replay(topic: string, since?: number): ReplayResult | Promise<ReplayResult>;
  /** Release connections and timers. */
  close(): Promise<void>;
}

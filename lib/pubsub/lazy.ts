/**
 * Lazy publishers: `start` runs when the first subscriber of a topic arrives on this process
 * and its cleanup when the last one leaves.
 *
 * @module
 */

import { Pattern } from "./pattern.ts";
import { isPattern } from "./topic_name.ts";

/**
 * What a lazy publisher's `start` receives.
 *
 * @example Types only
 * ```ts
 * import type { TopicHandle } from "./lazy.ts";
 * function start(handle: TopicHandle): () => void {
 *   const timer = setInterval(() => handle.publish(Math.random()), 100);
 *   return () => clearInterval(timer);
 * }
 * if (typeof start !== "function") throw new Error("unreachable");
 * ```
 */
export interface TopicHandle {
  /** The exact topic that got its first subscriber. */
  readonly topic: string;
  /** Publish on that topic (a no-op once stopped); failures go to the server's onError. */
  publish(data: unknown): void;
  /** Aborts when the last subscriber leaves. */
  readonly signal: AbortSignal;
}

/**
 * A lazy publisher: may return a cleanup function (or a promise of one).
 *
 * @example Types only
 * ```ts
 * import type { TopicStart } from "./lazy.ts";
 * const start: TopicStart = (handle) => handle.publish("hello");
 * if (typeof start !== "function") throw new Error("unreachable");
 * ```
 */
export type TopicStart = (
  handle: TopicHandle,
) => void | (() => void) | Promise<void | (() => void)>;

interface Running {
  readonly abort: AbortController;
  cleanup: (() => void) | undefined;
}

interface Entry {
  readonly name: string;
  readonly pattern: Pattern | undefined;
  readonly start: TopicStart;
}

/**
 * The lazy publishers of one broker, and which of them run.
 *
 * @example
 * ```ts
 * import { LazyTopics } from "./lazy.ts";
 * const published: unknown[] = [];
 * const lazy = new LazyTopics((topic, data) => published.push(data), () => {});
 * lazy.add("ticker.*", (h) => h.publish(h.topic));
 * lazy.start("ticker.ACME");
 * lazy.stop("ticker.ACME");
 * if (published[0] !== "ticker.ACME") throw new Error("unreachable");
 * ```
 */
export class LazyTopics {
  readonly #entries: Entry[] = [];
  readonly #running = new Map<string, Running>();
  readonly #publish: (topic: string, data: unknown) => void;
  readonly #report: (error: unknown, where: string) => void;

  /**
   * @param publish Publishes for a running publisher.
   * @param report Receives what `start` or a cleanup threw.
   */
  constructor(
    publish: (topic: string, data: unknown) => void,
    report: (error: unknown, where: string) => void,
  ) {
    this.#publish = publish;
    this.#report = report;
  }

  /**
   * Register a lazy publisher for a topic or pattern (first registered wins on overlap).
   *
   * @param name An exact topic or a pattern, already validated.
   * @param start The publisher.
   * @returns A function that unregisters it and stops its running instances.
   */
  add(name: string, start: TopicStart): () => void {
    const entry: Entry = { name, pattern: isPattern(name) ? new Pattern(name) : undefined, start };
    this.#entries.push(entry);
    return () => {
      const index = this.#entries.indexOf(entry);
      if (index === -1) return;
      this.#entries.splice(index, 1);
      for (const topic of [...this.#running.keys()]) {
        if (topic === name || entry.pattern?.matches(topic)) this.stop(topic);
      }
    };
  }

  /**
   * Start the publisher of a topic, if one is registered and it is not running.
   *
   * @param topic An exact topic that got its first subscriber.
   */
  start(topic: string): void {
    if (this.#running.has(topic)) return;
    const entry = this.#entries.find((e) => e.name === topic || e.pattern?.matches(topic));
    if (entry === undefined) return;
    const running: Running = { abort: new AbortController(), cleanup: undefined };
    this.#running.set(topic, running);
    const signal = running.abort.signal;
    const handle: TopicHandle = {
      topic,
      signal,
      publish: (data) => {
        if (!signal.aborted) this.#publish(topic, data);
      },
    };
    try {
      const out = entry.start(handle);
      if (out instanceof Promise) {
        out.then((cleanup) => {
          if (signal.aborted) this.#run(cleanup ?? undefined, topic);
          else running.cleanup = cleanup ?? undefined;
        }, (error) => this.#report(error, `topic ${topic}`));
      } else {
        running.cleanup = out ?? undefined;
      }
    } catch (error) {
      this.#report(error, `topic ${topic}`);
    }
  }

  /**
   * Start the publishers registered for an exact topic that a pattern matches (the pattern
   * got its first subscriber). A publisher registered for a pattern is not started: a
   * pattern subscription names no topic to start it on.
   *
   * @param pattern The subscribed pattern.
   */
  startMatching(pattern: Pattern): void {
    for (const entry of this.#entries) {
      if (entry.pattern === undefined && pattern.matches(entry.name)) this.start(entry.name);
    }
  }

  /**
   * The topics whose publishers run.
   *
   * @returns Their names.
   */
  runningTopics(): string[] {
    return [...this.#running.keys()];
  }

  /**
   * Stop the publisher of a topic (its last subscriber left).
   *
   * @param topic The topic.
   */
  stop(topic: string): void {
    const running = this.#running.get(topic);
    if (running === undefined) return;
    this.#running.delete(topic);
    running.abort.abort();
    this.#run(running.cleanup, topic);
  }

  /** Stop every running publisher. */
  stopAll(): void {
    for (const topic of [...this.#running.keys()]) this.stop(topic);
  }

  /**
   * Whether a topic's publisher runs.
   *
   * @param topic The topic.
   * @returns True while it runs.
   */
  isRunning(topic: string): boolean {
    return this.#running.has(topic);
  }

  #run(cleanup: (() => void) | undefined, topic: string): void {
    if (typeof cleanup !== "function") return;
    try {
      cleanup();
    } catch (error) {
      this.#report(error, `topic ${topic} cleanup`);
    }
  }
}

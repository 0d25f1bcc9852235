/**
 * The batching of the Redis backplane's publishes (lib/pubsub/redis_backplane.ts):
 *
 * - {@linkcode PublishQueue} gathers the publishes an instance makes in one turn of the event
 *   loop and hands them over grouped by topic, as one script call (at most 512 events or
 *   about 1 MiB: a bigger batch is cut into several calls).
 * - {@linkcode answerSoon} and {@linkcode afterOutgoing} order a process's work: outgoing
 *   first. A call's answers are delivered in a turn of their own; Pub/Sub input is decoded
 *   after the calls scheduled and the answers waiting, so that decoding for one instance's
 *   listeners never holds back another instance's next call, and runs while Redis executes
 *   it (each instance still delivers what it holds before it answers its own publishers).
 * - {@linkcode TtlRefresh} says when a topic's keys need their idle TTL refreshed (at most
 *   once per tenth of it per topic).
 *
 * @module
 */

import { setImmediate } from "node:timers";

/** A publish waiting for its script call. */
interface Pending {
  readonly event: string | Uint8Array;
  readonly resolve: (seq: number) => void;
  readonly reject: (error: Error) => void;
}

/**
 * One topic's publishes in a script call, in publish order.
 *
 * @example Types only
 * ```ts
 * import type { TopicBlock } from "./redis_batch.ts";
 * const block: TopicBlock = { events: ["{}"], resolve: () => {}, reject: () => {} };
 * block.resolve(7); // the block's last seq: its events got 7 - events.length + 1 … 7
 * ```
 */
export interface TopicBlock {
  /** The packed events. */
  readonly events: readonly (string | Uint8Array)[];
  /** Answer every publish of the block, given the seq of its last event. */
  resolve(last: number): void;
  /** Fail every publish of the block. */
  reject(error: Error): void;
}

/** Most events, and (roughly) most bytes, stored by one script call. */
const MAX_CALL_EVENTS = 512;
const MAX_CALL_BYTES = 1 << 20;

/**
 * Gathers publishes until the end of the current turn (or until a call is full), then hands
 * them over as one call: a map of topic → {@linkcode TopicBlock}, in first-publish order.
 *
 * @example
 * ```ts
 * import { PublishQueue } from "./redis_batch.ts";
 * let next = 0;
 * const queue = new PublishQueue((blocks) => {
 *   for (const block of blocks.values()) block.resolve(next += block.events.length);
 * });
 * const seqs = await Promise.all([queue.add("a", "x"), queue.add("a", "y")]);
 * if (seqs.join() !== "1,2") throw new Error("unreachable");
 * ```
 */
export class PublishQueue {
  readonly #send: (blocks: Map<string, TopicBlock>) => void;
  readonly #maxEvents: number;
  readonly #maxBytes: number;
  #topics = new Map<string, Pending[]>();
  #events = 0;
  #bytes = 0;
  #scheduled = false;

  /**
   * @param send Stores one call's blocks and answers each (called synchronously, later).
   * @param limits Most events and bytes per call.
   */
  constructor(
    send: (blocks: Map<string, TopicBlock>) => void,
    limits: { maxEvents?: number; maxBytes?: number } = {},
  ) {
    this.#send = send;
    this.#maxEvents = limits.maxEvents ?? MAX_CALL_EVENTS;
    this.#maxBytes = limits.maxBytes ?? MAX_CALL_BYTES;
  }

  /**
   * Queue one packed event.
   *
   * @param topic Its topic.
   * @param event The packed event.
   * @returns Its seq, once stored; rejects with the call's or the topic's error.
   */
  add(topic: string, event: string | Uint8Array): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const pending: Pending = { event, resolve, reject };
      const list = this.#topics.get(topic);
      if (list === undefined) this.#topics.set(topic, [pending]);
      else list.push(pending);
      this.#events++;
      this.#bytes += event.length;
      if (this.#events >= this.#maxEvents || this.#bytes >= this.#maxBytes) {
        this.#flush();
      } else if (!this.#scheduled) {
        this.#scheduled = true;
        outgoing.flushes++;
        setImmediate(this.#flushSoon);
      }
    });
  }

  readonly #flushSoon = (): void => {
    this.#scheduled = false;
    outgoing.flushes--;
    try {
      this.#flush();
    } finally {
      // In a later turn than the client's own write of the call just made.
      const tasks = waiting.splice(0);
      if (tasks.length > 0) setImmediate(() => run(tasks));
    }
  };

  #flush(): void {
    if (this.#events === 0) return;
    const topics = this.#topics;
    this.#topics = new Map();
    this.#events = 0;
    this.#bytes = 0;
    const blocks = new Map<string, TopicBlock>();
    for (const [topic, list] of topics) {
      blocks.set(topic, {
        events: list.map((pending) => pending.event),
        resolve(last: number): void {
          const first = last - list.length + 1;
          for (let i = 0; i < list.length; i++) list[i]!.resolve(first + i);
        },
        reject(error: Error): void {
          for (const pending of list) pending.reject(error);
        },
      });
    }
    this.#send(blocks);
  }
}

/** This process's outgoing work: calls scheduled, answers to deliver; tasks waiting for it. */
const outgoing = { flushes: 0, answers: 0 };
const waiting: (() => void)[] = [];

function run(tasks: readonly (() => void)[]): void {
  for (const task of tasks) task();
}

/**
 * Deliver a script call's answers in a turn of their own (its publishes resolve there),
 * counted as outgoing work until the calls the resolved publishers make are scheduled.
 *
 * @param answer Resolves the call's publishes.
 * @example
 * ```ts
 * import { answerSoon } from "./redis_batch.ts";
 * const answered = new Promise<void>((resolve) => answerSoon(resolve));
 * await answered;
 * ```
 */
export function answerSoon(answer: () => void): void {
  outgoing.answers++;
  setImmediate(() => {
    try {
      answer();
    } finally {
      // A turn later, once the resumed publishers have scheduled their calls (if any).
      setImmediate(() => {
        outgoing.answers--;
        if (outgoing.answers === 0 && outgoing.flushes === 0) run(waiting.splice(0));
      });
    }
  });
}

/**
 * Run a task after this process's outgoing work: at once when no call is scheduled and no
 * answer waits, else once the next call is sent (or the answers are delivered and no call
 * follows). The backplane decodes what Pub/Sub brought this way: a listener's decoding never
 * holds back another instance's next call, and runs while Redis executes it.
 *
 * @param task The task.
 * @example
 * ```ts
 * import { afterOutgoing } from "./redis_batch.ts";
 * let ran = false;
 * afterOutgoing(() => (ran = true));
 * if (!ran) throw new Error("unreachable: nothing was outgoing");
 * ```
 */
export function afterOutgoing(task: () => void): void {
  if (outgoing.flushes === 0 && outgoing.answers === 0) task();
  else waiting.push(task);
}

/**
 * When a topic's keys need their idle TTL refreshed: on this instance's first publish on the
 * topic, then at most once per tenth of the TTL. A key then expires between 0.9 × TTL and
 * TTL after the topic's last publish. Remembers at most `maxTopics` topics (a forgotten one
 * is refreshed at its next publish).
 *
 * @example
 * ```ts
 * import { TtlRefresh } from "./redis_batch.ts";
 * const refresh = new TtlRefresh(1_000, 10);
 * if (!refresh.due("a", 0) || refresh.due("a", 99) || !refresh.due("a", 100)) {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export class TtlRefresh {
  readonly #every: number;
  readonly #maxTopics: number;
  readonly #last = new Map<string, number>();

  /**
   * @param ttl The idle TTL in ms (0: keys never expire, nothing is due).
   * @param maxTopics Most topics remembered.
   */
  constructor(ttl: number, maxTopics: number) {
    this.#every = ttl / 10;
    this.#maxTopics = maxTopics;
  }

  /**
   * Whether the topic's TTL is due for a refresh now; if so, it counts as refreshed.
   *
   * @param topic The topic.
   * @param now The current time (ms).
   * @returns True when the publish must refresh the TTL.
   */
  due(topic: string, now: number): boolean {
    if (this.#every === 0) return false;
    const last = this.#last.get(topic);
    if (last !== undefined && now - last < this.#every) return false;
    this.#last.delete(topic); // most recently refreshed last
    if (this.#last.size >= this.#maxTopics) this.#last.delete(this.#last.keys().next().value!);
    this.#last.set(topic, now);
    return true;
  }

  /**
   * Forget a topic's refresh (its call failed: the next publish refreshes again).
   *
   * @param topic The topic.
   */
  forget(topic: string): void {
    this.#last.delete(topic);
  }
}

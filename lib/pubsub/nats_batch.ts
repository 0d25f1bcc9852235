/**
 * The NATS backplane's batches: within one instance, a topic's publishes are queued and
 * stored one message at a time, and those that wait while a message is being stored go
 * together as the next one (at most 256 events or about 256 KiB), so a hot topic costs one
 * JetStream round trip per batch; different topics go in parallel. The next batches of all
 * the topics that are ready go out together after the current turn of the event loop: the
 * publishes of that turn (and those whose batch was just acknowledged) join them, and their
 * messages leave in one socket write. A batch is stored as one message (`nats_message.ts`).
 *
 * @module
 */

import { setImmediate } from "node:timers";

/** Most events, and (roughly) most bytes, stored as one message. */
const MAX_BATCH = 256;
const MAX_BATCH_BYTES = 256 * 1024;

/** A publish waiting in its topic's queue. */
interface Pending {
  readonly packed: string | Uint8Array;
  readonly resolve: (seq: number) => void;
  readonly reject: (error: Error) => void;
}

/** A topic's waiting publishes, and whether a message of it is being stored. */
interface TopicQueue {
  readonly pending: Pending[];
  busy: boolean;
}

/**
 * Stores a batch of a topic's packed events as one message, resolving to the seq of its last
 * event (or rejecting the whole batch).
 *
 * @example Types only
 * ```ts
 * import type { StoreBatch } from "./nats_batch.ts";
 * let seq = 0;
 * const store: StoreBatch = (_topic, packed) => Promise.resolve(seq += packed.length);
 * store("t", ["a", "b"]);
 * ```
 */
export type StoreBatch = (
  topic: string,
  packed: readonly (string | Uint8Array)[],
) => Promise<number>;

/**
 * Per-topic queues of publishes, stored a batch at a time per topic.
 *
 * @example
 * ```ts
 * import { TopicBatches } from "./nats_batch.ts";
 * let last = 0;
 * const sizes: number[] = [];
 * const batches = new TopicBatches((_topic, packed) => {
 *   sizes.push(packed.length);
 *   return Promise.resolve(last += packed.length);
 * });
 * const seqs = await Promise.all([batches.add("t", "a"), batches.add("t", "b")]);
 * if (seqs.join() !== "1,2" || sizes.join() !== "2") throw new Error("unreachable");
 * ```
 */
export class TopicBatches {
  readonly #store: StoreBatch;
  /** Each topic's waiting publishes; a topic is here while it has some or one is stored. */
  readonly #queues = new Map<string, TopicQueue>();
  /** Topics with waiting publishes and no message being stored. */
  readonly #ready = new Set<string>();
  #scheduled = false;

  /** @param store Stores one batch; called again for a topic only once the last settled. */
  constructor(store: StoreBatch) {
    this.#store = store;
  }

  /**
   * Queue a packed event on its topic.
   *
   * @param topic The topic.
   * @param packed The packed event.
   * @returns Its seq, once stored.
   */
  add(topic: string, packed: string | Uint8Array): Promise<number> {
    const { promise, resolve, reject } = Promise.withResolvers<number>();
    let queue = this.#queues.get(topic);
    if (queue === undefined) {
      queue = { pending: [], busy: false };
      this.#queues.set(topic, queue);
    }
    queue.pending.push({ packed, resolve, reject });
    if (!queue.busy) this.#markReady(topic);
    return promise;
  }

  /**
   * Send the next batch of every ready topic after this turn of the event loop: the
   * publishes of the turn share their topic's message, and the messages of all topics leave
   * in one write.
   */
  #markReady(topic: string): void {
    this.#ready.add(topic);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#sendReady());
  }

  #sendReady(): void {
    this.#scheduled = false;
    const topics = [...this.#ready];
    this.#ready.clear();
    for (const topic of topics) {
      const queue = this.#queues.get(topic);
      if (queue !== undefined && !queue.busy) this.#send(topic, queue);
    }
  }

  #send(topic: string, queue: TopicQueue): void {
    const { pending } = queue;
    let bytes = 0;
    let n = 0;
    while (n < pending.length && n < MAX_BATCH && (n === 0 || bytes < MAX_BATCH_BYTES)) {
      const packed = pending[n]!.packed;
      bytes += typeof packed === "string" ? packed.length : packed.byteLength;
      n++;
    }
    const batch = pending.splice(0, n);
    queue.busy = true;
    const settled = (): void => {
      queue.busy = false;
      if (pending.length > 0) this.#markReady(topic);
      else if (this.#queues.get(topic) === queue) this.#queues.delete(topic);
    };
    let stored: Promise<number>;
    try {
      stored = this.#store(topic, batch.map((p) => p.packed));
    } catch (error) {
      stored = Promise.reject(error);
    }
    stored.then((seq) => {
      for (let i = 0; i < batch.length; i++) batch[i]!.resolve(seq - batch.length + 1 + i);
      settled();
    }, (error: unknown) => {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const p of batch) p.reject(failure);
      settled();
    });
  }
}

/**
 * The NATS backplane's batches: within one instance, a topic's publishes are queued and
 * stored one message at a time, and those that wait while a message is being stored go
 * together as the next one (at most 256 events or about 256 KiB), so a hot topic costs one
 * JetStream round trip per batch; different topics go in parallel.
 *
 * A stored message holds one event or several, with consecutive seqs; it is stored, delivered
 * and refused whole. Its body (no headers needed to read it):
 *
 * | bytes | what                                                                      |
 * | ----- | ------------------------------------------------------------------------- |
 * | 0–3   | `S`, `b`, format 1, 0                                                      |
 * | 4–11  | the seq of its last event (float64, big-endian; an integer below 2^53)     |
 * | 12–15 | how many events it holds (uint32, big-endian)                               |
 * | 16–   | each event's packed form (`packEvent`) after its length (uint32, big-endian) |
 *
 * @module
 */

import { setImmediate } from "node:timers";
import { splitPacked, unpackEvent } from "./event_codec.ts";
import type { TopicEvent } from "./replay.ts";

/** Bytes before the events. */
const HEAD = 16;
const FORMAT = 1;

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

/**
 * The body of a stored message holding `packed`, its seq to be set by
 * {@linkcode setMessageSeq}.
 *
 * @param packed The packed events, oldest first (at least one).
 * @returns The body.
 * @example
 * ```ts
 * import { messageSeq, packMessage, setMessageSeq, unpackMessage } from "./nats_batch.ts";
 * import { packEvent } from "./event_codec.ts";
 * const body = packMessage([packEvent(1, undefined, "a"), packEvent(1, undefined, "b")]);
 * setMessageSeq(body, 8);
 * const events = unpackMessage("t", body);
 * if (messageSeq(body) !== 8) throw new Error("unreachable");
 * if (events.map((e) => `${e.seq}${e.data}`).join() !== "7a,8b") throw new Error("unreachable");
 * ```
 */
export function packMessage(packed: readonly (string | Uint8Array)[]): Uint8Array {
  const parts = packed.map((p) => typeof p === "string" ? encoder.encode(p) : p);
  let size = HEAD;
  for (const part of parts) size += 4 + part.byteLength;
  const body = new Uint8Array(size);
  const view = new DataView(body.buffer);
  body.set([0x53, 0x62, FORMAT, 0]);
  view.setUint32(12, parts.length);
  let offset = HEAD;
  for (const part of parts) {
    view.setUint32(offset, part.byteLength);
    body.set(part, offset + 4);
    offset += 4 + part.byteLength;
  }
  return body;
}

/**
 * Set the seq of a message's last event.
 *
 * @param body A body from {@linkcode packMessage}.
 * @param seq The seq.
 * @example
 * ```ts
 * import { messageSeq, packMessage, setMessageSeq } from "./nats_batch.ts";
 * const body = packMessage(["x"]);
 * setMessageSeq(body, 3);
 * if (messageSeq(body) !== 3) throw new Error("unreachable");
 * ```
 */
export function setMessageSeq(body: Uint8Array, seq: number): void {
  new DataView(body.buffer, body.byteOffset, body.byteLength).setFloat64(4, seq);
}

/**
 * The seq of a stored message's last event.
 *
 * @param body Its body.
 * @returns The seq.
 * @throws {SyntaxError} If it is not a stored message of this format.
 * @example
 * ```ts
 * import { messageSeq, packMessage, setMessageSeq } from "./nats_batch.ts";
 * const body = packMessage(["x", "y"]);
 * setMessageSeq(body, 12);
 * if (messageSeq(body) !== 12) throw new Error("unreachable");
 * ```
 */
export function messageSeq(body: Uint8Array): number {
  return readHead(body).seq;
}

/**
 * The events of a stored message, oldest first, with consecutive seqs.
 *
 * @param topic The topic.
 * @param body Its body.
 * @returns The events.
 * @throws {SyntaxError} If it is not a stored message of this format.
 * @example
 * ```ts
 * import { packMessage, setMessageSeq, unpackMessage } from "./nats_batch.ts";
 * import { packEvent } from "./event_codec.ts";
 * const body = packMessage([packEvent(5, "c1", { n: 1 })]);
 * setMessageSeq(body, 1);
 * const [event] = unpackMessage("a.b", body);
 * if (event?.seq !== 1 || event.exclude !== "c1" || event.time !== 5) throw new Error("unreachable");
 * ```
 */
export function unpackMessage(topic: string, body: Uint8Array): TopicEvent[] {
  const { seq, count } = readHead(body, topic);
  const parts = splitPacked(body.subarray(HEAD), count);
  const events: TopicEvent[] = new Array(count);
  for (let i = 0; i < count; i++) events[i] = unpackEvent(topic, seq - count + 1 + i, parts[i]!);
  return events;
}

function readHead(body: Uint8Array, topic?: string): { seq: number; count: number } {
  if (
    body.byteLength >= HEAD && body[0] === 0x53 && body[1] === 0x62 && body[2] === FORMAT
  ) {
    const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const seq = view.getFloat64(4);
    const count = view.getUint32(12);
    if (Number.isSafeInteger(seq) && count >= 1 && count <= seq) return { seq, count };
  }
  throw new SyntaxError(
    `Switchboard: not a stored message of this version${topic === undefined ? "" : ` on ${topic}`}`,
  );
}

const encoder = new TextEncoder();

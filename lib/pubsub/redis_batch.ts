/**
 * The batching and the wire form of the Redis backplane's events (lib/pubsub/redis_backplane.ts):
 *
 * - {@linkcode PublishQueue} gathers the publishes an instance makes in one turn of the event
 *   loop and hands them over grouped by topic, as one script call (at most 512 events or
 *   about 1 MiB: a bigger batch is cut into several calls).
 * - {@linkcode packBody} joins one topic's events of a call into a single body, stored as one
 *   stream entry and sent as one Pub/Sub message; {@linkcode unpackBody} splits it again into
 *   events with consecutive seqs. Events without attachments (text) become one JSON array
 *   (`[e1,e2,…]`, parsed at once on arrival); when one has attachments, the body is a zero
 *   byte then each event after its 4-byte big-endian length.
 * - An entry or message is named `<last seq>-<count>` (the stream entry ID, and the head of
 *   the Pub/Sub message before a space): {@linkcode parseId}.
 * - {@linkcode TtlRefresh} says when a topic's keys need their idle TTL refreshed (at most
 *   once per tenth of it per topic).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { setImmediate } from "node:timers";
import { superjsonCodec } from "../codec/superjson.ts";
import { splitPacked, unpackEvent } from "./event_codec.ts";
import type { TopicEvent } from "./replay.ts";

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
export const MAX_CALL_EVENTS = 512;
export const MAX_CALL_BYTES = 1 << 20;

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
        setImmediate(this.#flushSoon);
      }
    });
  }

  readonly #flushSoon = (): void => {
    this.#scheduled = false;
    this.#flush();
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

/**
 * Join one topic's packed events into one body (see the module's description).
 *
 * @param events Packed events (by `packEvent`), in seq order; at least one.
 * @returns A string when all are text, else bytes.
 * @example
 * ```ts
 * import { packBody, unpackBody } from "./redis_batch.ts";
 * import { packEvent } from "./event_codec.ts";
 * const body = packBody([packEvent(1, undefined, "a"), packEvent(2, "c1", "b")]);
 * const events = unpackBody("t", 9, 2, new TextEncoder().encode(body as string));
 * if (events[1]!.seq !== 9 || events[1]!.exclude !== "c1") throw new Error("unreachable");
 * ```
 */
export function packBody(events: readonly (string | Uint8Array)[]): string | Buffer {
  if (events.every((event) => typeof event === "string")) return `[${events.join(",")}]`;
  const parts = events.map((event) => typeof event === "string" ? Buffer.from(event) : event);
  let size = 1;
  for (const part of parts) size += 4 + part.byteLength;
  const body = Buffer.allocUnsafe(size);
  body[0] = 0;
  let offset = 1;
  for (const part of parts) {
    body.writeUInt32BE(part.byteLength, offset);
    body.set(part, offset + 4);
    offset += 4 + part.byteLength;
  }
  return body;
}

/**
 * Split a body made by {@linkcode packBody} into its events.
 *
 * @param topic Their topic.
 * @param last The seq of the last event.
 * @param count How many events it holds.
 * @param body The body.
 * @returns The events, seqs `last - count + 1` … `last`.
 * @throws {SyntaxError} If `body` is not a body of `count` packed events.
 * @example
 * ```ts
 * import { packBody, unpackBody } from "./redis_batch.ts";
 * import { packEvent } from "./event_codec.ts";
 * const body = packBody([packEvent(1, undefined, new Uint8Array([5]))]) as Uint8Array;
 * const [event] = unpackBody("t", 1, 1, body);
 * if ((event!.data as Uint8Array)[0] !== 5) throw new Error("unreachable");
 * ```
 */
export function unpackBody(
  topic: string,
  last: number,
  count: number,
  body: Uint8Array,
): TopicEvent[] {
  const first = last - count + 1;
  if (body[0] === 0) {
    return splitPacked(body.subarray(1), count).map((part, i) =>
      unpackEvent(topic, first + i, part)
    );
  }
  let messages: unknown;
  try {
    messages = body[0] === 0x5b ? superjsonCodec.decode(decoder.decode(body)) : undefined;
  } catch (error) {
    throw new SyntaxError(`Switchboard: not a batch of packed events on ${topic}`, {
      cause: error,
    });
  }
  if (!Array.isArray(messages) || messages.length !== count) {
    throw new SyntaxError(`Switchboard: not a batch of ${count} packed events on ${topic}`);
  }
  const events: TopicEvent[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const params = (messages[i] as { params?: unknown } | null)?.params;
    if (!Array.isArray(params) || typeof params[0] !== "number") {
      throw new SyntaxError(`Switchboard: not a packed event on ${topic}`);
    }
    const exclude = typeof params[1] === "string" ? params[1] : undefined;
    events[i] = { topic, seq: first + i, data: params[2], time: params[0], exclude };
  }
  return events;
}

/**
 * Read an entry's or message's name `<last seq>-<count>`.
 *
 * @param id The name, as text or bytes.
 * @returns The last seq and the count.
 * @throws {SyntaxError} If it is not such a name.
 * @example
 * ```ts
 * import { parseId } from "./redis_batch.ts";
 * const { last, count } = parseId("12-3");
 * if (last !== 12 || count !== 3) throw new Error("unreachable");
 * ```
 */
export function parseId(id: string | Uint8Array): { last: number; count: number } {
  const text = typeof id === "string" ? id : decoder.decode(id);
  const dash = text.indexOf("-");
  const last = Number(text.slice(0, dash));
  const count = Number(text.slice(dash + 1));
  if (dash < 1 || !Number.isSafeInteger(count) || count < 1 || !(count <= last)) {
    throw new SyntaxError(`Switchboard: a malformed batch name: ${text}`);
  }
  return { last, count };
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

const decoder = new TextDecoder();

/**
 * The wire form of the Redis backplane's events (lib/pubsub/redis_backplane.ts): one topic's
 * events of one script call travel as a single body, stored as one stream entry and sent as
 * one Pub/Sub message, both named `<last seq>-<count>` (the entry ID; the head of the message,
 * before a space).
 *
 * - An event whose data is plain JSON (strings, finite numbers, booleans, null, arrays and
 *   plain objects) is packed as the JSON text `[time, exclude, data]` by
 *   {@linkcode packPlain}; any other event as `packEvent` packs it (superjson text, or a
 *   binary frame when it has attachments).
 * - {@linkcode packBody}: when every event of the body is text, the body is a JSON array of
 *   them (`[e1,e2,…]`, parsed at once on arrival); otherwise it is a zero byte, then each
 *   event after its 4-byte big-endian length.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { isPlainJson } from "../codec/plain_json.ts";
import { superjsonCodec } from "../codec/superjson.ts";
import { splitPacked, unpackEvent } from "./event_codec.ts";
import type { TopicEvent } from "./replay.ts";

/** Deepest container packed by {@linkcode packPlain} (deeper goes to `packEvent`, which refuses past 64). */
const MAX_DEPTH = 64;

/**
 * Pack an event whose data is plain JSON as `[time, exclude, data]`.
 *
 * @param time When it was published (ms since the epoch).
 * @param exclude The publishing connection's id, when it must not receive it.
 * @param data The data.
 * @returns The JSON text, or `undefined` when the data is not plain JSON (pack it with
 *   `packEvent` then).
 * @example
 * ```ts
 * import { packPlain } from "./redis_codec.ts";
 * if (packPlain(5, "c1", { a: [1] }) !== '[5,"c1",{"a":[1]}]') throw new Error("unreachable");
 * if (packPlain(5, undefined, new Date(0)) !== undefined) throw new Error("unreachable");
 * ```
 */
export function packPlain(
  time: number,
  exclude: string | undefined,
  data: unknown,
): string | undefined {
  let plain: boolean;
  try {
    plain = isPlainJson(data, MAX_DEPTH);
  } catch {
    return undefined; // deeper than MAX_DEPTH: packEvent reports it
  }
  return plain ? JSON.stringify([time, exclude ?? null, data]) : undefined;
}

/**
 * Join one topic's packed events into one body (see the module's description).
 *
 * @param events Packed events (by {@linkcode packPlain} or `packEvent`), in seq order.
 * @returns A string when all are text, else bytes.
 * @example
 * ```ts
 * import { packBody, packPlain, unpackBody } from "./redis_codec.ts";
 * import { packEvent } from "./event_codec.ts";
 * const body = packBody([packPlain(1, undefined, "a")!, packEvent(2, "c1", new Date(0))]);
 * const events = unpackBody("t", 9, 2, new TextEncoder().encode(body as string));
 * if (events[1]!.seq !== 9 || events[1]!.exclude !== "c1") throw new Error("unreachable");
 * if (!(events[1]!.data instanceof Date) || events[0]!.data !== "a") throw new Error("unreachable");
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
 * import { packBody, unpackBody } from "./redis_codec.ts";
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
      part[0] === 0x5b
        ? toEvent(topic, first + i, decode(topic, part))
        : unpackEvent(topic, first + i, part)
    );
  }
  const messages = body[0] === 0x5b ? decode(topic, body) : undefined;
  if (!Array.isArray(messages) || messages.length !== count) {
    throw new SyntaxError(`Switchboard: not a batch of ${count} packed events on ${topic}`);
  }
  const events: TopicEvent[] = new Array(count);
  for (let i = 0; i < count; i++) events[i] = toEvent(topic, first + i, messages[i]);
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
 * import { parseId } from "./redis_codec.ts";
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

const decoder = new TextDecoder();

/** JSON text (one event, or an array of them) decoded by the superjson codec. */
function decode(topic: string, bytes: Uint8Array): unknown {
  try {
    return superjsonCodec.decode(decoder.decode(bytes));
  } catch (error) {
    throw new SyntaxError(`Switchboard: not a packed event on ${topic}`, { cause: error });
  }
}

/** A decoded event: `[time, exclude, data]`, or a message whose params are that. */
function toEvent(topic: string, seq: number, decoded: unknown): TopicEvent {
  const params = Array.isArray(decoded)
    ? decoded
    : (decoded as { params?: unknown } | null)?.params;
  if (!Array.isArray(params) || typeof params[0] !== "number") {
    throw new SyntaxError(`Switchboard: not a packed event on ${topic}`);
  }
  const exclude = typeof params[1] === "string" ? params[1] : undefined;
  return { topic, seq, data: params[2], time: params[0], exclude };
}

/**
 * How a remote backplane (Redis, NATS) carries an event's time, publisher exclusion and data
 * as bytes, so that the data arrives as the in-memory backplane would hand it over: plain
 * values, and also the types superjson keeps (Date, Map, Set, BigInt, undefined, …) and
 * binary attachments (typed arrays, DataView, ArrayBuffer, Blob), which travel as raw bytes,
 * never base64.
 *
 * The packed form is the message `{"jsonrpc":"2.0","method":"e","params":[time, exclude,
 * data]}` encoded by the superjson codec: a plain string when it has no attachments, else a
 * Switchboard binary message frame (stream 0) holding the attachment table, that message
 * with `null` placeholders, and the attachment bytes. The sequence number travels beside it
 * (a Redis stream field, a NATS header), because the engine assigns it.
 *
 * @module
 */

import { superjsonCodec } from "../codec/superjson.ts";
import { insertAttachments, parseTable } from "../framing/attachments.ts";
import { containsBlob, encodeOnceSync, prereadBlobs } from "../framing/encoded.ts";
import { MAGIC_0, MAGIC_1, parseFrame } from "../framing/frame.ts";
import type { TopicEvent } from "./replay.ts";

/** Deepest container searched for attachments in event data. */
const MAX_DEPTH = 64;

/**
 * Pack an event for a remote backplane. Blobs in `data` must have been read by
 * `prereadBlobs` (the backplanes do that first).
 *
 * @param time When it was published (ms since the epoch).
 * @param exclude The publishing connection's id, when it must not receive it.
 * @param data The data.
 * @returns A string (no attachments) or a binary frame.
 * @example
 * ```ts
 * import { packEvent, unpackEvent } from "./event_codec.ts";
 * const packed = packEvent(1, "c1", { when: new Date(0), bytes: new Uint8Array([7]) });
 * const event = unpackEvent("a.b", 3, packed);
 * const data = event.data as { when: Date; bytes: Uint8Array };
 * if (event.seq !== 3 || event.exclude !== "c1" || data.bytes[0] !== 7) throw new Error();
 * if (data.when.getTime() !== 0) throw new Error("unreachable");
 * ```
 */
export function packEvent(
  time: number,
  exclude: string | undefined,
  data: unknown,
): string | Uint8Array {
  const message = { jsonrpc: "2.0", method: "e", params: [time, exclude ?? null, data] };
  const encoded = encodeOnceSync(message, {
    codec: superjsonCodec,
    chunkSize: Number.POSITIVE_INFINITY,
    maxDepth: MAX_DEPTH,
  });
  return encoded.text ?? encoded.frame!;
}

/**
 * Unpack an event packed by {@linkcode packEvent}.
 *
 * @param topic Its topic.
 * @param seq Its sequence number.
 * @param packed What {@linkcode packEvent} returned (as text or bytes).
 * @returns The event.
 * @throws {SyntaxError} If `packed` is not a packed event.
 * @example
 * ```ts
 * import { packEvent, unpackEvent } from "./event_codec.ts";
 * const bytes = new TextEncoder().encode(packEvent(5, undefined, [1, 2]) as string);
 * const event = unpackEvent("t", 1, bytes);
 * if (event.time !== 5 || event.exclude !== undefined || String(event.data) !== "1,2") {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export function unpackEvent(topic: string, seq: number, packed: string | Uint8Array): TopicEvent {
  let message: unknown;
  try {
    message = typeof packed !== "string" && packed[0] === MAGIC_0 && packed[1] === MAGIC_1
      ? unpackFrame(packed)
      : superjsonCodec.decode(packed);
  } catch (error) {
    throw new SyntaxError(`Switchboard: not a packed event on ${topic}`, { cause: error });
  }
  const params = (message as { params?: unknown } | null)?.params;
  if (!Array.isArray(params) || typeof params[0] !== "number") {
    throw new SyntaxError(`Switchboard: not a packed event on ${topic}`);
  }
  const exclude = typeof params[1] === "string" ? params[1] : undefined;
  return { topic, seq, data: params[2], time: params[0], exclude };
}

/**
 * Read the Blobs in `data` (if any), then {@linkcode packEvent} it with the current time.
 *
 * @param data The data.
 * @param exclude The publishing connection's id, when it must not receive it.
 * @returns The packed event.
 * @example
 * ```ts
 * import { packForPublish, unpackEvent } from "./event_codec.ts";
 * const packed = await packForPublish({ file: new Blob(["hi"]) }, undefined);
 * const data = unpackEvent("t", 1, packed).data as { file: Blob };
 * if ((await data.file.text()) !== "hi") throw new Error("unreachable");
 * ```
 */
export async function packForPublish(
  data: unknown,
  exclude: string | undefined,
): Promise<string | Uint8Array> {
  if (containsBlob(data, MAX_DEPTH)) await prereadBlobs(data, MAX_DEPTH);
  return packEvent(Date.now(), exclude, data);
}

function unpackFrame(bytes: Uint8Array): unknown {
  const frame = parseFrame(bytes, Number.POSITIVE_INFINITY);
  if (frame.kind !== 1) throw new SyntaxError("not a message frame");
  const { entries } = parseTable(frame.table, {
    maxAttachments: Number.POSITIVE_INFINITY,
    maxAttachmentBytes: Number.POSITIVE_INFINITY,
    maxDepth: MAX_DEPTH + 2,
  });
  const message = superjsonCodec.decode(frame.message);
  let offset = 0;
  const parts = entries.map(({ size }) => {
    // A copy per attachment: each must own its whole buffer (ArrayBuffer, Blob rebuilds).
    const part = new Uint8Array(frame.bytes.subarray(offset, offset + size));
    offset += size;
    return part;
  });
  return insertAttachments(message, entries, parts);
}

/**
 * Join several packed events into one body (each as a 4-byte big-endian length, then its
 * bytes), for an engine message that carries a batch of one topic's events.
 *
 * @param packed What {@linkcode packEvent} returned for each event, in seq order.
 * @returns The body.
 * @example
 * ```ts
 * import { joinPacked, packEvent, splitPacked, unpackEvent } from "./event_codec.ts";
 * const body = joinPacked([packEvent(1, undefined, "a"), packEvent(2, undefined, "b")]);
 * const parts = splitPacked(body, 2);
 * if (unpackEvent("t", 2, parts[1]!).data !== "b") throw new Error("unreachable");
 * ```
 */
export function joinPacked(packed: readonly (string | Uint8Array)[]): Uint8Array {
  const parts = packed.map((p) => typeof p === "string" ? encoder.encode(p) : p);
  let size = 0;
  for (const part of parts) size += 4 + part.byteLength;
  const body = new Uint8Array(size);
  const view = new DataView(body.buffer);
  let offset = 0;
  for (const part of parts) {
    view.setUint32(offset, part.byteLength);
    body.set(part, offset + 4);
    offset += 4 + part.byteLength;
  }
  return body;
}

/**
 * Split a body made by {@linkcode joinPacked} back into its packed events.
 *
 * @param body The body.
 * @param count How many events it must hold.
 * @returns The packed events, in order (views into `body`).
 * @throws {SyntaxError} If `body` does not hold exactly `count` events.
 * @example
 * ```ts
 * import { joinPacked, splitPacked } from "./event_codec.ts";
 * const parts = splitPacked(joinPacked(["x", new Uint8Array([1, 2])]), 2);
 * if (parts.length !== 2 || parts[1]!.byteLength !== 2) throw new Error("unreachable");
 * ```
 */
export function splitPacked(body: Uint8Array, count: number): Uint8Array[] {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const parts: Uint8Array[] = [];
  let offset = 0;
  while (offset < body.byteLength) {
    if (offset + 4 > body.byteLength) break;
    const size = view.getUint32(offset);
    if (offset + 4 + size > body.byteLength) break;
    parts.push(body.subarray(offset + 4, offset + 4 + size));
    offset += 4 + size;
  }
  if (offset !== body.byteLength || parts.length !== count) {
    throw new SyntaxError(`Switchboard: a batch of events does not hold ${count} events`);
  }
  return parts;
}

const encoder = new TextEncoder();

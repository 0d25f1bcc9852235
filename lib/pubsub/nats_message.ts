/**
 * The NATS backplane's stored messages: one holds one event or several, with consecutive
 * seqs, and is stored, delivered and refused whole. Its body (no headers needed to read it):
 *
 * | bytes          | what                                                                 |
 * | -------------- | -------------------------------------------------------------------- |
 * | 0–3            | `S`, `b`, format 1, 0                                                 |
 * | 4–11           | the seq of its last event (float64, big-endian; an integer < 2^53)    |
 * | 12–15          | how many events it holds, `n` (uint32, big-endian)                    |
 * | 16–(16 + 4n)   | each event's length in bytes (uint32, big-endian)                     |
 * | then           | the events' packed forms (`packEvent`), one after the other           |
 *
 * The lengths come first so that text events (the usual kind: plain ASCII JSON) are encoded,
 * and decoded, as one string for the whole message.
 *
 * @module
 */

import { unpackEvent } from "./event_codec.ts";
import { MAGIC_0, MAGIC_1 } from "../framing/frame.ts";
import type { TopicEvent } from "./replay.ts";

/** Bytes before the lengths. */
const HEAD = 16;
const FORMAT = 1;
const NON_ASCII = /[\u0080-\uffff]/;

/**
 * The body of a stored message holding `packed`, its seq to be set by
 * {@linkcode setMessageSeq}.
 *
 * @param packed The packed events, oldest first (at least one).
 * @returns The body.
 * @example
 * ```ts
 * import { messageSeq, packMessage, setMessageSeq, unpackMessage } from "./nats_message.ts";
 * import { packEvent } from "./event_codec.ts";
 * const body = packMessage([packEvent(1, undefined, "a"), packEvent(1, undefined, "b")]);
 * setMessageSeq(body, 8);
 * const events = unpackMessage("t", body);
 * if (messageSeq(body) !== 8) throw new Error("unreachable");
 * if (events.map((e) => `${e.seq}${e.data}`).join() !== "7a,8b") throw new Error("unreachable");
 * ```
 */
export function packMessage(packed: readonly (string | Uint8Array)[]): Uint8Array {
  const n = packed.length;
  const start = HEAD + 4 * n;
  let text = "";
  for (const p of packed) {
    if (typeof p !== "string") return packParts(packed);
    text += p;
  }
  // All text: one string, one encoding, when its bytes are its characters.
  if (NON_ASCII.test(text)) return packParts(packed);
  const body = new Uint8Array(start + text.length);
  head(body, n);
  for (let i = 0; i < n; i++) writeUint32(body, HEAD + 4 * i, packed[i]!.length);
  encoder.encodeInto(text, body.subarray(start));
  return body;
}

/** {@linkcode packMessage} for any parts: each encoded (text) and copied on its own. */
function packParts(packed: readonly (string | Uint8Array)[]): Uint8Array {
  const n = packed.length;
  const parts = packed.map((p) => typeof p === "string" ? encoder.encode(p) : p);
  let size = HEAD + 4 * n;
  for (const part of parts) size += part.byteLength;
  const body = new Uint8Array(size);
  head(body, n);
  let offset = HEAD + 4 * n;
  for (let i = 0; i < n; i++) {
    const part = parts[i]!;
    writeUint32(body, HEAD + 4 * i, part.byteLength);
    body.set(part, offset);
    offset += part.byteLength;
  }
  return body;
}

function head(body: Uint8Array, count: number): void {
  body[0] = 0x53;
  body[1] = 0x62;
  body[2] = FORMAT;
  writeUint32(body, 12, count);
}

function writeUint32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = value >>> 16;
  bytes[at + 2] = value >>> 8;
  bytes[at + 3] = value;
}

function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>>
    0;
}

/**
 * Set the seq of a message's last event.
 *
 * @param body A body from {@linkcode packMessage}.
 * @param seq The seq.
 * @example
 * ```ts
 * import { messageSeq, packMessage, setMessageSeq } from "./nats_message.ts";
 * const body = packMessage(["x"]);
 * setMessageSeq(body, 3);
 * if (messageSeq(body) !== 3) throw new Error("unreachable");
 * ```
 */
export function setMessageSeq(body: Uint8Array, seq: number): void {
  scratch.setFloat64(0, seq);
  body.set(scratchBytes, 4);
}

/**
 * The seq of a stored message's last event.
 *
 * @param body Its body.
 * @returns The seq.
 * @throws {SyntaxError} If it is not a stored message of this format.
 * @example
 * ```ts
 * import { messageSeq, packMessage, setMessageSeq } from "./nats_message.ts";
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
 * import { packMessage, setMessageSeq, unpackMessage } from "./nats_message.ts";
 * import { packEvent } from "./event_codec.ts";
 * const body = packMessage([packEvent(5, "c1", { n: 1 })]);
 * setMessageSeq(body, 1);
 * const [event] = unpackMessage("a.b", body);
 * if (event?.seq !== 1 || event.exclude !== "c1" || event.time !== 5) throw new Error("unreachable");
 * ```
 */
export function unpackMessage(topic: string, body: Uint8Array): TopicEvent[] {
  const { seq, count } = readHead(body, topic);
  const start = HEAD + 4 * count;
  const lengths: number[] = new Array(count);
  let end = start;
  let frames = false;
  for (let i = 0; i < count; i++) {
    const length = readUint32(body, HEAD + 4 * i);
    lengths[i] = length;
    if (length >= 2 && body[end] === MAGIC_0 && body[end + 1] === MAGIC_1) frames = true;
    end += length;
  }
  if (end !== body.byteLength) {
    throw new SyntaxError(
      `Switchboard: a stored message on ${topic} does not hold ${count} events`,
    );
  }
  const text = frames ? undefined : asciiText(body.subarray(start));
  const events: TopicEvent[] = new Array(count);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const length = lengths[i]!;
    // Text sliced from the message's one decoded string, else the event's own bytes.
    const packed = text !== undefined
      ? text.slice(offset, offset + length)
      : body.subarray(start + offset, start + offset + length);
    events[i] = unpackEvent(topic, seq - count + 1 + i, packed);
    offset += length;
  }
  return events;
}

/** The bytes as a string when they are ASCII (one character per byte), else undefined. */
function asciiText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = strictDecoder.decode(bytes);
  } catch {
    return undefined; // not UTF-8: each event says so on its own
  }
  return text.length === bytes.byteLength ? text : undefined;
}

function readHead(
  body: Uint8Array,
  topic?: string,
): { seq: number; count: number } {
  if (body.byteLength >= HEAD && body[0] === 0x53 && body[1] === 0x62 && body[2] === FORMAT) {
    scratchBytes.set(body.subarray(4, 12));
    const seq = scratch.getFloat64(0);
    const count = readUint32(body, 12);
    if (
      Number.isSafeInteger(seq) && count >= 1 && count <= seq &&
      HEAD + 4 * count <= body.byteLength
    ) {
      return { seq, count };
    }
  }
  throw new SyntaxError(
    `Switchboard: not a stored message of this version${topic === undefined ? "" : ` on ${topic}`}`,
  );
}

const encoder = new TextEncoder();
/** Where a seq is turned into its 8 bytes and back. */
const scratchBytes = new Uint8Array(8);
const scratch = new DataView(scratchBytes.buffer);
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Encode a message once, send it on many connections: the seam for publishing one
 * attachment to many subscribers without a copy per subscriber.
 *
 * {@linkcode encodeOnce} runs the codec, extracts and reads the attachments and, when they
 * fit in one frame, builds that frame — once. {@linkcode Wire.sendEncoded} then hands the
 * same frame, or views of the same attachment bytes, to each connection's socket; only the
 * 12-byte chunk headers and (for chunked messages) the small message frame are built per
 * connection.
 *
 * @module
 */

import type { Codec } from "../codec/codec.ts";
import { jsonCodec } from "../codec/json.ts";
import {
  encodeTable,
  extractAttachments,
  hasAttachments,
  type OutgoingAttachment,
} from "./attachments.ts";
import { encodeMessageFrame } from "./frame.ts";
import { readAttachments } from "./sender.ts";

/**
 * Options of {@linkcode encodeOnce}.
 *
 * @example Types only
 * ```ts
 * import type { EncodeOnceOptions } from "./encoded.ts";
 * const options: EncodeOnceOptions = { chunkSize: 1 << 18 };
 * if (options.chunkSize !== 262144) throw new Error("unreachable");
 * ```
 */
export interface EncodeOnceOptions {
  /** The codec of the connections it will be sent on. Default JSON. */
  readonly codec?: Codec | undefined;
  /** Attachments totalling at most this many bytes are built into one frame. Default 256 KiB. */
  readonly chunkSize?: number | undefined;
  /** Deepest container searched for attachments. Default 64. */
  readonly maxDepth?: number | undefined;
}

/**
 * A message encoded once, ready for {@linkcode Wire.sendEncoded} on any number of
 * connections that use the same codec.
 *
 * @example
 * ```ts
 * import { encodeOnce } from "./encoded.ts";
 * const encoded = await encodeOnce({ jsonrpc: "2.0", method: "tick" });
 * if (encoded.text !== '{"jsonrpc":"2.0","method":"tick"}') throw new Error("unreachable");
 * ```
 */
export interface EncodedMessage {
  /** The codec's name; connections with another codec refuse it. */
  readonly codec: string;
  /** The text frame, when the message carries no attachments. */
  readonly text: string | undefined;
  /** The one binary frame, when the attachments fit in it (stream 0). */
  readonly frame: Uint8Array | undefined;
  /** The attachment table (for chunked sending). */
  readonly table: Uint8Array;
  /** The codec's encoding of the message with placeholders (for chunked sending). */
  readonly message: Uint8Array;
  /** Each attachment's bytes, in table order (views of the caller's bytes). */
  readonly parts: readonly Uint8Array[];
  /** The sum of the parts' sizes. */
  readonly total: number;
}

/**
 * Encode a message (with its attachments) once.
 *
 * @param message A message or batch.
 * @param options Codec, chunk size, depth.
 * @returns The encoded message (Blobs are read first, hence a promise).
 * @example Big attachments are not copied
 * ```ts
 * import { encodeOnce } from "./encoded.ts";
 * const bytes = new Uint8Array(1 << 20);
 * const encoded = await encodeOnce({ jsonrpc: "2.0", method: "file", params: [bytes] });
 * if (encoded.frame !== undefined || encoded.parts[0]!.buffer !== bytes.buffer) throw new Error();
 * ```
 */
export async function encodeOnce(
  message: unknown,
  options: EncodeOnceOptions = {},
): Promise<EncodedMessage> {
  const codec = options.codec ?? jsonCodec;
  const { message: skeleton, attachments } = extractAttachments(message, options.maxDepth ?? 64);
  if (attachments.length === 0) return encodeText(codec, skeleton);
  return build(codec, skeleton, attachments, await readAttachments(attachments), options);
}

/**
 * Encode a message once, synchronously: its Blobs must have been read by
 * {@linkcode prereadBlobs} (byte attachments need no reading). Pub/sub uses this to encode an
 * event once per codec while keeping events in publish order.
 *
 * @param message A message or batch.
 * @param options Codec, chunk size, depth.
 * @returns The encoded message.
 * @throws {TypeError} If a Blob in it was not pre-read.
 * @example
 * ```ts
 * import { encodeOnceSync } from "./encoded.ts";
 * const bytes = new Uint8Array([1, 2, 3]);
 * const encoded = encodeOnceSync({ jsonrpc: "2.0", method: "tick", params: [bytes] });
 * if (encoded.text !== undefined || encoded.total !== 3) throw new Error("unreachable");
 * ```
 */
export function encodeOnceSync(
  message: unknown,
  options: EncodeOnceOptions = {},
): EncodedMessage {
  const codec = options.codec ?? jsonCodec;
  if (!hasAttachments(message, options.maxDepth ?? 64)) return encodeText(codec, message);
  const { message: skeleton, attachments } = extractAttachments(message, options.maxDepth ?? 64);
  if (attachments.length === 0) return encodeText(codec, skeleton);
  const parts = attachments.map(({ value }) => {
    if (value instanceof Uint8Array) return value;
    const read = PREREAD.get(value);
    if (read === undefined) {
      throw new TypeError("Switchboard: a Blob must be read (prereadBlobs) before encodeOnceSync");
    }
    return read;
  });
  return build(codec, skeleton, attachments, parts, options);
}

/**
 * Read every Blob inside a value, once, so {@linkcode encodeOnceSync} can encode it later
 * without waiting. The bytes are kept in a WeakMap keyed by the Blob.
 *
 * @param value Anything (event data).
 * @param maxDepth Deepest container searched.
 * @returns Resolves when every Blob is read.
 * @example
 * ```ts
 * import { encodeOnceSync, prereadBlobs } from "./encoded.ts";
 * const data = { file: new Blob(["hi"]) };
 * await prereadBlobs(data);
 * if (encodeOnceSync({ jsonrpc: "2.0", method: "x", params: data }).total !== 2) throw new Error();
 * ```
 */
export async function prereadBlobs(value: unknown, maxDepth = 64): Promise<void> {
  if (!containsBlob(value, maxDepth)) return;
  const { attachments } = extractAttachments(value, maxDepth);
  for (const { value: blob } of attachments) {
    if (blob instanceof Blob && !PREREAD.has(blob)) {
      PREREAD.set(blob, new Uint8Array(await blob.arrayBuffer()));
    }
  }
}

/**
 * Whether a value holds a Blob (cheap walk, no allocation).
 *
 * @param value Anything.
 * @param maxDepth Deepest container searched.
 * @returns True if a Blob is found within the depth.
 * @example
 * ```ts
 * import { containsBlob } from "./encoded.ts";
 * if (!containsBlob([{ a: new Blob([]) }]) || containsBlob({ a: 1 })) throw new Error();
 * ```
 */
export function containsBlob(value: unknown, maxDepth = 64): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (typeof Blob !== "undefined" && value instanceof Blob) return true;
  if (maxDepth <= 0 || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return false;
  if (Array.isArray(value)) return value.some((item) => containsBlob(item, maxDepth - 1));
  for (const key in value) {
    if (containsBlob((value as Record<string, unknown>)[key], maxDepth - 1)) return true;
  }
  return false;
}

/** Bytes of Blobs read by {@linkcode prereadBlobs}. */
const PREREAD = new WeakMap<Blob, Uint8Array>();

function encodeText(codec: Codec, skeleton: unknown): EncodedMessage {
  const encoded = codec.encode(skeleton);
  if (typeof encoded !== "string") {
    return build(codec, skeleton, [], [], {});
  }
  return {
    codec: codec.name,
    text: encoded,
    frame: undefined,
    table: EMPTY,
    message: EMPTY,
    parts: [],
    total: 0,
  };
}

const EMPTY = new Uint8Array(0);

function build(
  codec: Codec,
  skeleton: unknown,
  attachments: readonly OutgoingAttachment[],
  read: readonly Uint8Array[],
  options: EncodeOnceOptions,
): EncodedMessage {
  const encoded = codec.encode(skeleton);
  const message = typeof encoded === "string" ? new TextEncoder().encode(encoded) : encoded;
  const table = encodeTable(attachments);
  const parts = read.filter((p) => p.byteLength > 0);
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const frame = total <= (options.chunkSize ?? 256 * 1024)
    ? encodeMessageFrame(0, table, message, parts)
    : undefined;
  return { codec: codec.name, text: undefined, frame, table, message, parts, total };
}

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
import { encodeTable, extractAttachments } from "./attachments.ts";
import { encodeMessageFrame } from "./frame.ts";
import { readAttachments } from "./sender.ts";

/**
 * Options of {@linkcode encodeOnce}.
 *
 * @example
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
  const encoded = codec.encode(skeleton);
  const message_ = typeof encoded === "string" ? new TextEncoder().encode(encoded) : encoded;
  if (attachments.length === 0 && typeof encoded === "string") {
    return {
      codec: codec.name,
      text: encoded,
      frame: undefined,
      table: encodeTable([]),
      message: message_,
      parts: [],
      total: 0,
    };
  }
  const table = encodeTable(attachments);
  const parts = (await readAttachments(attachments)).filter((p) => p.byteLength > 0);
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const frame = total <= (options.chunkSize ?? 256 * 1024)
    ? encodeMessageFrame(0, table, message_, parts)
    : undefined;
  return { codec: codec.name, text: undefined, frame, table, message: message_, parts, total };
}

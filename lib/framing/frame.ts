/**
 * The Switchboard binary frame: layout, encoding and strict parsing of one WebSocket binary
 * frame. docs/PROTOCOL.md §5 shows the layout byte by byte.
 *
 * ```text
 * message frame: "SB" | version=2 | kind=1 | stream u32 | T u32 | J u32 | table[T] | message[J] | bytes…
 * chunk header:  "SB" | version=2 | kind=2 | stream u32 | L u32
 * raw frame:     L attachment bytes, no header (always the binary frame right after a chunk header)
 * ```
 * Integers are big-endian. `table` is UTF-8 JSON describing the attachments, `message` is the
 * codec's encoding of the JSON-RPC message with `null` where each attachment goes. With stream
 * 0, `bytes` holds all the attachments' bytes, concatenated in table order; with a non-zero
 * stream it is empty and the bytes follow as (chunk header, raw frame) pairs, so the sender
 * hands views of the caller's bytes to the socket without copying them.
 *
 * @module
 */

import { CloseCode } from "../protocol/close_codes.ts";

/** First two bytes of every frame: ASCII "SB". */
export const MAGIC_0 = 0x53;
/** Second magic byte. */
export const MAGIC_1 = 0x42;
/** The only frame version this code reads and writes (1 had headers inside chunk frames). */
export const FRAME_VERSION = 2;
/** Bytes before the table in a message frame. */
export const MESSAGE_HEADER_SIZE = 16;
/** Size of a chunk header frame. */
export const CHUNK_HEADER_SIZE = 12;
/** Bytes of the fixed part shared by every frame kind (magic, version, kind, stream). */
const PREFIX_SIZE = 8;

/**
 * Frame kinds.
 *
 * @example
 * ```ts
 * import { FrameKind } from "./frame.ts";
 * if (FrameKind.Chunk !== 2) throw new Error("unreachable");
 * ```
 */
export const FrameKind: {
  /** Header, attachment table, message and the first attachment bytes. */
  readonly Message: 1;
  /** Announces the raw frame that follows: its stream and length. */
  readonly Chunk: 2;
} = { Message: 1, Chunk: 2 };

/**
 * A frame that cannot be accepted. `code` is the WebSocket close code to close with: 1003
 * (binary not negotiated), 1007 (malformed), 1008 (too many partial messages), 1009 (over a
 * size limit).
 *
 * @example
 * ```ts
 * import { FrameError } from "./frame.ts";
 * const error = new FrameError(1007, "Truncated frame");
 * if (error.code !== 1007) throw new Error("unreachable");
 * ```
 */
export class FrameError extends Error {
  /** The close code. */
  readonly code: number;

  /**
   * @param code The close code.
   * @param message What was wrong (becomes the close reason, so keep it under 120 bytes).
   */
  constructor(code: number, message: string) {
    super(message);
    this.name = "FrameError";
    this.code = code;
  }
}

/**
 * A parsed binary frame: views into the received bytes, nothing copied.
 *
 * @example Types only
 * ```ts
 * import type { ParsedFrame } from "./frame.ts";
 * const frame: ParsedFrame = { kind: 2, stream: 7, length: 3 };
 * if (frame.stream !== 7) throw new Error("unreachable");
 * ```
 */
export type ParsedFrame =
  | {
    readonly kind: 1;
    readonly stream: number;
    readonly table: Uint8Array;
    readonly message: Uint8Array;
    readonly bytes: Uint8Array;
  }
  | { readonly kind: 2; readonly stream: number; readonly length: number };

/**
 * Parse the header of a binary frame and slice its sections (no copy, no JSON parsing).
 *
 * @param frame The received bytes.
 * @param maxJsonBytes Largest table + message section accepted (1009 past it).
 * @returns The frame's parts.
 * @throws {FrameError} 1007 for a short or inconsistent frame (sections declared past its end,
 * checked first), a bad magic, version or kind; 1009 when the JSON sections of a consistent
 * frame exceed `maxJsonBytes`.
 * @example
 * ```ts
 * import { encodeChunkHeader, parseFrame } from "./frame.ts";
 * const frame = parseFrame(encodeChunkHeader(3, 2), 1024);
 * if (frame.kind !== 2 || frame.stream !== 3 || frame.length !== 2) throw new Error();
 * ```
 */
export function parseFrame(frame: Uint8Array, maxJsonBytes: number): ParsedFrame {
  if (frame.byteLength < PREFIX_SIZE) {
    throw new FrameError(CloseCode.InvalidPayload, "Truncated binary frame header");
  }
  if (frame[0] !== MAGIC_0 || frame[1] !== MAGIC_1) {
    throw new FrameError(CloseCode.InvalidPayload, "Not a Switchboard binary frame (bad magic)");
  }
  if (frame[2] !== FRAME_VERSION) {
    throw new FrameError(CloseCode.InvalidPayload, `Unsupported binary frame version ${frame[2]}`);
  }
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const stream = view.getUint32(4);
  if (frame[3] === FrameKind.Chunk) {
    if (frame.byteLength !== CHUNK_HEADER_SIZE) {
      throw new FrameError(CloseCode.InvalidPayload, "Chunk header frame must be 12 bytes");
    }
    return { kind: 2, stream, length: view.getUint32(8) };
  }
  if (frame[3] !== FrameKind.Message) {
    throw new FrameError(CloseCode.InvalidPayload, `Unknown binary frame kind ${frame[3]}`);
  }
  if (frame.byteLength < MESSAGE_HEADER_SIZE) {
    throw new FrameError(CloseCode.InvalidPayload, "Truncated binary frame header");
  }
  const tableLength = view.getUint32(8);
  const messageLength = view.getUint32(12);
  // The end first: sections that run past the frame make it inconsistent (1007) whatever
  // their size; only a consistent frame can be too big (1009).
  const messageEnd = MESSAGE_HEADER_SIZE + tableLength + messageLength;
  if (messageEnd > frame.byteLength) {
    throw new FrameError(
      CloseCode.InvalidPayload,
      "Binary frame shorter than its declared lengths",
    );
  }
  if (tableLength + messageLength > maxJsonBytes) {
    throw new FrameError(CloseCode.MessageTooBig, "Binary frame message section too big");
  }
  return {
    kind: 1,
    stream,
    table: frame.subarray(MESSAGE_HEADER_SIZE, MESSAGE_HEADER_SIZE + tableLength),
    message: frame.subarray(MESSAGE_HEADER_SIZE + tableLength, messageEnd),
    bytes: frame.subarray(messageEnd),
  };
}

/**
 * Build a message frame.
 *
 * @param stream 0 when `bytes` holds every attachment byte, else the stream id chunk frames use.
 * @param table The attachment table, UTF-8 JSON.
 * @param message The codec's encoding of the message.
 * @param bytes The first attachment bytes (views, copied once into the frame).
 * @returns The frame.
 * @example
 * ```ts
 * import { encodeMessageFrame, parseFrame } from "./frame.ts";
 * const bytes = encodeMessageFrame(0, new Uint8Array(2), new Uint8Array(4), [new Uint8Array(8)]);
 * const frame = parseFrame(bytes, 1024);
 * if (frame.kind !== 1 || frame.message.length !== 4 || frame.bytes.length !== 8) throw new Error();
 * ```
 */
export function encodeMessageFrame(
  stream: number,
  table: Uint8Array,
  message: Uint8Array,
  bytes: readonly Uint8Array[],
): Uint8Array {
  let size = MESSAGE_HEADER_SIZE + table.byteLength + message.byteLength;
  for (const part of bytes) size += part.byteLength;
  const frame = new Uint8Array(size);
  const view = new DataView(frame.buffer);
  frame[0] = MAGIC_0;
  frame[1] = MAGIC_1;
  frame[2] = FRAME_VERSION;
  frame[3] = FrameKind.Message;
  view.setUint32(4, stream);
  view.setUint32(8, table.byteLength);
  view.setUint32(12, message.byteLength);
  frame.set(table, MESSAGE_HEADER_SIZE);
  let offset = MESSAGE_HEADER_SIZE + table.byteLength;
  frame.set(message, offset);
  offset += message.byteLength;
  for (const part of bytes) {
    frame.set(part, offset);
    offset += part.byteLength;
  }
  return frame;
}

/**
 * Build a chunk header frame: the binary frame sent right after it carries `length` raw
 * attachment bytes of `stream`.
 *
 * @param stream The stream id of the message frame it continues.
 * @param length How many bytes the next (raw) frame carries.
 * @returns The 12-byte frame.
 * @example
 * ```ts
 * import { encodeChunkHeader } from "./frame.ts";
 * const frame = encodeChunkHeader(1, 6);
 * if (frame.length !== 12 || frame[3] !== 2 || frame[11] !== 6) throw new Error("unreachable");
 * ```
 */
export function encodeChunkHeader(stream: number, length: number): Uint8Array {
  const frame = new Uint8Array(CHUNK_HEADER_SIZE);
  frame[0] = MAGIC_0;
  frame[1] = MAGIC_1;
  frame[2] = FRAME_VERSION;
  frame[3] = FrameKind.Chunk;
  const view = new DataView(frame.buffer);
  view.setUint32(4, stream);
  view.setUint32(8, length);
  return frame;
}

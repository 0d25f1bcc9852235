/**
 * Reassembly of chunked messages, with every limit checked before memory is committed.
 *
 * A message frame's attachment table is parsed and checked (count, total size, paths)
 * before anything is kept. Received raw chunk frames are kept as they are; an attachment's
 * own buffer is allocated only once every byte has arrived (and not at all when one raw
 * frame is exactly that attachment), so a peer cannot make the receiver allocate bytes it
 * never sends.
 *
 * @module
 */

import { CloseCode } from "../protocol/close_codes.ts";
import { parseTable, type TableEntry } from "./attachments.ts";
import { FrameError, parseFrame } from "./frame.ts";

/**
 * Receiver limits on binary frames.
 *
 * @example Types only
 * ```ts
 * import type { ReassemblyLimits } from "./reassembly.ts";
 * const limits: ReassemblyLimits = {
 *   maxAttachmentBytes: 1 << 20, maxAttachments: 8, maxPartialMessages: 2,
 *   maxChunkBytes: 1 << 18, maxDepth: 32, maxMessageSize: 1 << 20,
 * };
 * if (limits.maxAttachments !== 8) throw new Error("unreachable");
 * ```
 */
export interface ReassemblyLimits {
  /** Most attachment bytes in one message (1009 past it). */
  readonly maxAttachmentBytes: number;
  /** Most attachments in one message (1009 past it). */
  readonly maxAttachments: number;
  /** Most chunked messages in progress at once on one connection (1008 past it). */
  readonly maxPartialMessages: number;
  /** Most attachment bytes carried by one frame (1009 past it). */
  readonly maxChunkBytes: number;
  /** Deepest attachment path. */
  readonly maxDepth: number;
  /** Largest table + message section of a message frame (1009 past it). */
  readonly maxMessageSize: number;
}

/**
 * A complete message: the codec's message bytes, its table, one fresh buffer per attachment.
 *
 * @example Types only
 * ```ts
 * import type { Assembled } from "./reassembly.ts";
 * const done: Assembled = { message: new Uint8Array(2), entries: [], data: [] };
 * if (done.data.length !== 0) throw new Error("unreachable");
 * ```
 */
export interface Assembled {
  /** The message section, for the codec. */
  readonly message: Uint8Array;
  /** Where each attachment goes. */
  readonly entries: readonly TableEntry[];
  /** Each attachment's bytes, exactly sized, owning its buffer. */
  readonly data: readonly Uint8Array[];
}

interface Partial {
  readonly message: Uint8Array;
  readonly entries: readonly TableEntry[];
  readonly total: number;
  readonly parts: Uint8Array[];
  received: number;
}

/**
 * Turns a connection's binary frames into complete messages.
 *
 * @example A message in three frames
 * ```ts
 * import { encodeChunkHeader, encodeMessageFrame } from "./frame.ts";
 * import { Reassembler } from "./reassembly.ts";
 * const r = new Reassembler({
 *   maxAttachmentBytes: 100, maxAttachments: 4, maxPartialMessages: 2,
 *   maxChunkBytes: 100, maxDepth: 8, maxMessageSize: 1000,
 * });
 * const table = new TextEncoder().encode('[{"path":["result"],"type":"Uint8Array","size":4}]');
 * const msg = new TextEncoder().encode('{"jsonrpc":"2.0","id":1,"result":null}');
 * const first = r.accept(encodeMessageFrame(9, table, msg, []));
 * const header = r.accept(encodeChunkHeader(9, 4));
 * const done = r.accept(new Uint8Array([1, 2, 3, 4]));
 * if (first !== undefined || header !== undefined || done?.data[0]?.[3] !== 4) throw new Error();
 * ```
 */
export class Reassembler {
  readonly #limits: ReassemblyLimits;
  readonly #partials = new Map<number, Partial>();
  /** Set by a chunk header: the next binary frame is this many raw bytes of this stream. */
  #raw: { readonly stream: number; readonly length: number } | undefined;

  /** @param limits The receiver's limits. */
  constructor(limits: ReassemblyLimits) {
    this.#limits = limits;
  }

  /** How many chunked messages are in progress. */
  get partialMessages(): number {
    return this.#partials.size;
  }

  /**
   * Check that a text frame may arrive now (not between a chunk header and its raw frame).
   *
   * @throws {FrameError} 1007 when a raw frame is due.
   */
  acceptText(): void {
    if (this.#raw !== undefined) {
      throw new FrameError(
        CloseCode.InvalidPayload,
        "Text frame between a chunk header and its raw frame",
      );
    }
  }

  /**
   * Take one binary frame.
   *
   * @param frame The frame's bytes (kept as a view, not copied, when it is a raw chunk).
   * @returns The complete message once its last byte arrived, else `undefined`.
   * @throws {FrameError} On any inconsistency or limit (see docs/PROTOCOL.md §5.5).
   */
  accept(frame: Uint8Array): Assembled | undefined {
    const raw = this.#raw;
    if (raw !== undefined) {
      this.#raw = undefined;
      if (frame.byteLength !== raw.length) {
        throw new FrameError(
          CloseCode.InvalidPayload,
          "Raw frame length differs from its chunk header",
        );
      }
      return this.#chunk(raw.stream, frame);
    }
    const parsed = parseFrame(frame, this.#limits.maxMessageSize);
    if (parsed.kind === 2) {
      this.#header(parsed.stream, parsed.length);
      return undefined;
    }
    if (parsed.bytes.byteLength > this.#limits.maxChunkBytes) {
      throw new FrameError(
        CloseCode.MessageTooBig,
        `Binary frame carries more than ${this.#limits.maxChunkBytes} bytes`,
      );
    }
    const { entries, total } = parseTable(parsed.table, this.#limits);
    if (parsed.stream === 0) {
      if (parsed.bytes.byteLength !== total) {
        throw new FrameError(
          CloseCode.InvalidPayload,
          "Binary frame bytes differ from what its table declares",
        );
      }
      return { message: parsed.message, entries, data: split(entries, [parsed.bytes]) };
    }
    if (parsed.bytes.byteLength !== 0) {
      throw new FrameError(
        CloseCode.InvalidPayload,
        "A chunked message frame carries no attachment bytes",
      );
    }
    if (this.#partials.has(parsed.stream)) {
      throw new FrameError(
        CloseCode.InvalidPayload,
        `Stream ${parsed.stream} is already in progress`,
      );
    }
    if (total === 0) return { message: parsed.message, entries, data: split(entries, []) };
    if (this.#partials.size >= this.#limits.maxPartialMessages) {
      throw new FrameError(
        CloseCode.PolicyViolation,
        `More than ${this.#limits.maxPartialMessages} partial messages`,
      );
    }
    this.#partials.set(parsed.stream, {
      message: parsed.message,
      entries,
      total,
      parts: [],
      received: 0,
    });
    return undefined;
  }

  /** Drop every partial message (the connection closed). */
  clear(): void {
    this.#partials.clear();
    this.#raw = undefined;
  }

  #header(stream: number, length: number): void {
    if (length > this.#limits.maxChunkBytes) {
      throw new FrameError(
        CloseCode.MessageTooBig,
        `Chunk of more than ${this.#limits.maxChunkBytes} bytes`,
      );
    }
    const partial = this.#partials.get(stream);
    if (partial === undefined) {
      throw new FrameError(CloseCode.InvalidPayload, `Chunk for unknown stream ${stream}`);
    }
    if (partial.received + length > partial.total) {
      throw new FrameError(CloseCode.InvalidPayload, `Chunk overruns stream ${stream}`);
    }
    this.#raw = { stream, length };
  }

  #chunk(stream: number, bytes: Uint8Array): Assembled | undefined {
    const partial = this.#partials.get(stream)!;
    if (bytes.byteLength > 0) partial.parts.push(bytes);
    partial.received += bytes.byteLength;
    if (partial.received < partial.total) return undefined;
    this.#partials.delete(stream);
    return {
      message: partial.message,
      entries: partial.entries,
      data: split(partial.entries, partial.parts),
    };
  }
}

/**
 * One exactly-sized buffer per entry: a received raw frame that is exactly one whole
 * attachment is used as it is; anything else is copied once into a fresh buffer.
 */
function split(entries: readonly TableEntry[], parts: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let part = 0;
  let offset = 0;
  for (const { size } of entries) {
    const head = parts[part];
    if (
      size > 0 && offset === 0 && head !== undefined && head.byteLength === size &&
      head.byteOffset === 0 && head.buffer.byteLength === size && head.buffer instanceof ArrayBuffer
    ) {
      out.push(head);
      part++;
      continue;
    }
    const target = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const source = parts[part]!;
      const take = Math.min(size - filled, source.byteLength - offset);
      target.set(source.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (offset === source.byteLength) {
        part++;
        offset = 0;
      }
    }
    out.push(target);
  }
  return out;
}

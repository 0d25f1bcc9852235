/**
 * Reassembly of chunked messages, with every limit checked before memory is committed.
 *
 * A message frame's attachment table is parsed and checked (count, total size, paths)
 * before anything is kept. Received chunks are kept as views of the frames that carried
 * them; the attachments' own buffers are allocated only once every byte has arrived, so a
 * peer cannot make the receiver allocate bytes it never sends.
 *
 * @module
 */

import { parseTable, type TableEntry } from "./attachments.ts";
import { FrameError, type ParsedFrame } from "./frame.ts";

/**
 * Receiver limits on binary frames.
 *
 * @example
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
 * @example
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
 * @example A message in two frames
 * ```ts
 * import { encodeChunkFrame, encodeMessageFrame, parseFrame } from "./frame.ts";
 * import { Reassembler } from "./reassembly.ts";
 * const r = new Reassembler({
 *   maxAttachmentBytes: 100, maxAttachments: 4, maxPartialMessages: 2,
 *   maxChunkBytes: 100, maxDepth: 8, maxMessageSize: 1000,
 * });
 * const table = new TextEncoder().encode('[{"path":["result"],"type":"Uint8Array","size":4}]');
 * const msg = new TextEncoder().encode('{"jsonrpc":"2.0","id":1,"result":null}');
 * const first = r.accept(parseFrame(encodeMessageFrame(9, table, msg, [new Uint8Array([1, 2])]), 1000));
 * const done = r.accept(parseFrame(encodeChunkFrame(9, new Uint8Array([3, 4])), 1000));
 * if (first !== undefined || done?.data[0]?.[3] !== 4) throw new Error("unreachable");
 * ```
 */
export class Reassembler {
  readonly #limits: ReassemblyLimits;
  readonly #partials = new Map<number, Partial>();

  /** @param limits The receiver's limits. */
  constructor(limits: ReassemblyLimits) {
    this.#limits = limits;
  }

  /** How many chunked messages are in progress. */
  get partialMessages(): number {
    return this.#partials.size;
  }

  /**
   * Take one parsed frame.
   *
   * @param frame The frame.
   * @returns The complete message once its last byte arrived, else `undefined`.
   * @throws {FrameError} On any inconsistency or limit (see docs/BINARY_PROTOCOL.md).
   */
  accept(frame: ParsedFrame): Assembled | undefined {
    if (frame.bytes.byteLength > this.#limits.maxChunkBytes) {
      throw new FrameError(
        1009,
        `Binary frame carries more than ${this.#limits.maxChunkBytes} bytes`,
      );
    }
    if (frame.kind === 2) return this.#chunk(frame.stream, frame.bytes);
    const { entries, total } = parseTable(frame.table, this.#limits);
    if (frame.bytes.byteLength > total) {
      throw new FrameError(1007, "Binary frame carries more bytes than its table declares");
    }
    if (frame.stream === 0) {
      if (frame.bytes.byteLength !== total) {
        throw new FrameError(1007, "Binary frame carries fewer bytes than its table declares");
      }
      return { message: frame.message, entries, data: split(entries, [frame.bytes]) };
    }
    if (this.#partials.has(frame.stream)) {
      throw new FrameError(1007, `Stream ${frame.stream} is already in progress`);
    }
    if (frame.bytes.byteLength === total) {
      return { message: frame.message, entries, data: split(entries, [frame.bytes]) };
    }
    if (this.#partials.size >= this.#limits.maxPartialMessages) {
      throw new FrameError(1008, `More than ${this.#limits.maxPartialMessages} partial messages`);
    }
    this.#partials.set(frame.stream, {
      message: frame.message,
      entries,
      total,
      parts: frame.bytes.byteLength === 0 ? [] : [frame.bytes],
      received: frame.bytes.byteLength,
    });
    return undefined;
  }

  /** Drop every partial message (the connection closed). */
  clear(): void {
    this.#partials.clear();
  }

  #chunk(stream: number, bytes: Uint8Array): Assembled | undefined {
    const partial = this.#partials.get(stream);
    if (partial === undefined) throw new FrameError(1007, `Chunk for unknown stream ${stream}`);
    if (partial.received + bytes.byteLength > partial.total) {
      throw new FrameError(1007, `Chunk overruns stream ${stream}`);
    }
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

/** Copy the concatenated parts into one fresh buffer per entry. */
function split(entries: readonly TableEntry[], parts: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let part = 0;
  let offset = 0;
  for (const { size } of entries) {
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

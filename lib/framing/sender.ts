/**
 * The chunk sender: sends messages with attachments as a message frame plus chunk frames,
 * pacing the chunks so other calls and events interleave with a large upload.
 *
 * Small attachments (all bytes within one chunk) go out at once in a single frame. Larger
 * ones send their message frame at once, then (chunk header, raw view) frame pairs: at once
 * while the socket buffers under the high-water mark, then from a pump that runs in later
 * macrotasks, round-robin across streams, and holds back while the socket's buffered amount
 * is over the mark — so a small message sent meanwhile waits behind at most about that many
 * bytes, not behind the whole upload.
 *
 * @module
 */

import type { OutgoingAttachment } from "./attachments.ts";
import { encodeChunkHeader, encodeMessageFrame } from "./frame.ts";

/**
 * Options of a {@linkcode ChunkSender}.
 *
 * @example Types only
 * ```ts
 * import type { ChunkSenderOptions } from "./sender.ts";
 * const options: ChunkSenderOptions = { chunkSize: 1 << 18, highWaterMark: 1 << 20 };
 * if (options.chunkSize !== 262144) throw new Error("unreachable");
 * ```
 */
export interface ChunkSenderOptions {
  /** Attachment bytes per frame. */
  readonly chunkSize: number;
  /** Pause chunks while the socket buffers more than this many bytes. */
  readonly highWaterMark: number;
}

interface Stream {
  readonly id: number;
  readonly parts: readonly Uint8Array[];
  part: number;
  offset: number;
  readonly onError: ((error: unknown) => void) | undefined;
}

const yieldTask: (fn: () => void) => unknown = typeof globalThis.setImmediate === "function"
  ? (fn) => globalThis.setImmediate(fn)
  : (fn) => setTimeout(fn, 0);

/**
 * Sends framed messages for one connection.
 *
 * @example Everything fits in one frame
 * ```ts
 * import { ChunkSender } from "./sender.ts";
 * const frames: Uint8Array[] = [];
 * const sender = new ChunkSender((f) => void frames.push(f), () => undefined, {
 *   chunkSize: 1024, highWaterMark: 4096,
 * });
 * sender.send(new Uint8Array(2), new Uint8Array(2), [
 *   { path: ["result"], type: "Uint8Array", size: 3, value: new Uint8Array(3) },
 * ]);
 * if (frames.length !== 1) throw new Error("unreachable");
 * ```
 */
export class ChunkSender {
  readonly #send: (frame: Uint8Array) => void;
  readonly #buffered: () => number | undefined;
  readonly #options: ChunkSenderOptions;
  readonly #streams: Stream[] = [];
  #nextId = 1;
  #scheduled = false;
  #disposed = false;

  /**
   * @param send Hands a frame to the socket.
   * @param buffered The socket's buffered byte count, or undefined when unknown.
   * @param options Chunk size and high-water mark.
   */
  constructor(
    send: (frame: Uint8Array) => void,
    buffered: () => number | undefined,
    options: ChunkSenderOptions,
  ) {
    this.#send = send;
    this.#buffered = buffered;
    this.#options = options;
  }

  /** How many chunked messages are still being sent. */
  get activeStreams(): number {
    return this.#streams.length;
  }

  /**
   * Send a message with attachments. Blobs are read first (asynchronously); byte views
   * are never copied when the message is chunked (each chunk is a view of the caller's
   * bytes, handed to the socket as its own frame), and copied once into the frame when all
   * of them fit in one frame. The caller must not modify the bytes until the call settles.
   *
   * @param table The encoded attachment table.
   * @param message The codec's encoding of the message with placeholders.
   * @param attachments The attachments, in table order.
   * @param onError Called when a later, asynchronous part fails (a Blob read, a send).
   * @throws Whatever the socket throws for the first frame.
   */
  send(
    table: Uint8Array,
    message: Uint8Array,
    attachments: readonly OutgoingAttachment[],
    onError?: (error: unknown) => void,
  ): void {
    if (attachments.some((a) => !(a.value instanceof Uint8Array))) {
      readAttachments(attachments).then(
        (parts) => {
          if (!this.#disposed) this.sendParts(table, message, parts, onError);
        },
        (error) => onError?.(error),
      ).catch((error) => onError?.(error));
      return;
    }
    this.sendParts(table, message, attachments.map((a) => a.value as Uint8Array), onError);
  }

  /**
   * Send a message whose attachment bytes are already at hand.
   *
   * @param table The encoded attachment table.
   * @param message The codec's encoding of the message with placeholders.
   * @param parts Each attachment's bytes, in table order.
   * @param onError Called when a later chunk cannot be sent.
   * @throws Whatever the socket throws for the first frame.
   */
  sendParts(
    table: Uint8Array,
    message: Uint8Array,
    parts: readonly Uint8Array[],
    onError?: (error: unknown) => void,
  ): void {
    const nonEmpty = parts.filter((p) => p.byteLength > 0);
    const total = nonEmpty.reduce((sum, p) => sum + p.byteLength, 0);
    if (total <= this.#options.chunkSize) {
      this.#send(encodeMessageFrame(0, table, message, nonEmpty));
      return;
    }
    const stream: Stream = { id: this.#allocateId(), parts: nonEmpty, part: 0, offset: 0, onError };
    this.#send(encodeMessageFrame(stream.id, table, message, []));
    this.#streams.push(stream);
    // The first chunks go out at once, while the socket has room.
    if (!this.#scheduled) this.#pump();
  }

  /**
   * Send a frame built earlier (e.g. by `encodeOnce`), as it is.
   *
   * @param frame A complete stream-0 message frame.
   */
  sendFrame(frame: Uint8Array): void {
    this.#send(frame);
  }

  /** Stop sending (the connection closed); queued chunks are dropped. */
  dispose(): void {
    this.#disposed = true;
    this.#streams.length = 0;
  }

  #allocateId(): number {
    for (;;) {
      const id = this.#nextId;
      this.#nextId = id >= 0xffff_ffff ? 1 : id + 1;
      if (!this.#streams.some((s) => s.id === id)) return id;
    }
  }

  /** The next view of at most chunkSize bytes, never spanning two attachments. */
  #take(stream: Stream): Uint8Array {
    const source = stream.parts[stream.part]!;
    const end = Math.min(source.byteLength, stream.offset + this.#options.chunkSize);
    const view = source.subarray(stream.offset, end);
    stream.offset = end;
    if (end === source.byteLength) {
      stream.part++;
      stream.offset = 0;
    }
    return view;
  }

  #pump(): void {
    this.#scheduled = false;
    const { chunkSize, highWaterMark } = this.#options;
    let sent = 0;
    while (this.#streams.length > 0 && !this.#disposed) {
      const buffered = this.#buffered();
      // Unknown buffering: one chunk per task. Known: fill up to the high-water mark, and
      // never more than that per task so other work gets its turn.
      if (buffered === undefined ? sent >= chunkSize : buffered > highWaterMark) break;
      if (sent >= highWaterMark) break;
      const stream = this.#streams.shift()!;
      const view = this.#take(stream);
      try {
        this.#send(encodeChunkHeader(stream.id, view.byteLength));
        this.#send(view);
        sent += view.byteLength;
      } catch (error) {
        stream.onError?.(error);
        continue;
      }
      if (stream.part < stream.parts.length) this.#streams.push(stream);
    }
    if (this.#streams.length > 0 && !this.#disposed) {
      this.#scheduled = true;
      // A macrotask, not a timer: timers are clamped to >= 1 ms (4 ms when nested in
      // browsers), long enough for a fast socket to drain and sit idle.
      yieldTask(() => this.#pump());
    }
  }
}

/**
 * Read each attachment's bytes (Blobs asynchronously, byte views as they are).
 *
 * @param attachments The attachments.
 * @returns Their bytes, in order.
 * @example
 * ```ts
 * import { readAttachments } from "./sender.ts";
 * const parts = await readAttachments([
 *   { path: ["params", 0], type: "Blob", size: 2, value: new Blob(["hi"]) },
 * ]);
 * if (parts[0]![0] !== 104) throw new Error("unreachable");
 * ```
 */
export function readAttachments(
  attachments: readonly OutgoingAttachment[],
): Promise<Uint8Array[]> {
  return Promise.all(
    attachments.map(({ value }) =>
      value instanceof Uint8Array
        ? value
        : value.arrayBuffer().then((buffer) => new Uint8Array(buffer))
    ),
  );
}

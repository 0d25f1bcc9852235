/**
 * One connection's wire format: which codec encodes and decodes, whether binary frames are
 * negotiated, and the framing of messages that carry attachments. The peer hands every
 * outgoing message to {@linkcode Wire.send} and every incoming frame to
 * {@linkcode Wire.decode}; nothing else in the peer knows about codecs or frames.
 *
 * @module
 */

import { CloseCode } from "../protocol/close_codes.ts";
import type { Codec } from "../codec/codec.ts";
import { jsonCodec } from "../codec/json.ts";
import type { Id } from "../protocol/types.ts";
import type { Transport } from "./transport.ts";
import {
  encodeTable,
  extractAttachments,
  hasAttachments,
  insertAttachments,
} from "./attachments.ts";
import type { EncodedMessage } from "./encoded.ts";
import { FrameError } from "./frame.ts";
import { refuseBinary } from "./refuse.ts";
import { Reassembler } from "./reassembly.ts";
import { ChunkSender } from "./sender.ts";
import { textOverLimit } from "./text_size.ts";

/**
 * Framing options: chunking on the sending side, limits on the receiving side.
 *
 * @example
 * ```ts
 * import { resolveFraming } from "./wire.ts";
 * const framing = resolveFraming({ chunkSize: 1 << 16 });
 * if (framing.chunkSize !== 65536 || framing.maxAttachments !== 1024) throw new Error();
 * ```
 */
export interface FramingOptions {
  /** Attachment bytes per outgoing frame; larger attachments are chunked. Default 256 KiB. */
  readonly chunkSize: number;
  /** Outgoing chunks pause while the socket buffers more than this. Default 256 KiB. */
  readonly highWaterMark: number;
  /** Most attachment bytes in one incoming message (1009). Default 64 MiB. */
  readonly maxAttachmentBytes: number;
  /** Most attachments in one incoming message (1009). Default 1,024. */
  readonly maxAttachments: number;
  /** Most incoming chunked messages in progress at once (1008). Default 4. */
  readonly maxPartialMessages: number;
  /** Most attachment bytes in one incoming frame (1009). Default 1 MiB. */
  readonly maxChunkBytes: number;
  /** Deepest attachment path, both ways. Default 64. */
  readonly maxDepth: number;
}

/**
 * The framing defaults.
 *
 * @example
 * ```ts
 * import { DEFAULT_FRAMING } from "./wire.ts";
 * if (DEFAULT_FRAMING.chunkSize !== 256 * 1024) throw new Error("unreachable");
 * ```
 */
export const DEFAULT_FRAMING: FramingOptions = Object.freeze({
  chunkSize: 256 * 1024,
  highWaterMark: 256 * 1024,
  maxAttachmentBytes: 64 * 1024 * 1024,
  maxAttachments: 1024,
  maxPartialMessages: 4,
  maxChunkBytes: 1024 * 1024,
  maxDepth: 64,
});

/**
 * Fill unspecified framing options with defaults and check them.
 *
 * @param partial Options to override.
 * @returns Complete, frozen options.
 * @throws {RangeError} If an option is not a positive integer.
 * @example
 * ```ts
 * import { resolveFraming } from "./wire.ts";
 * let threw = false;
 * try { resolveFraming({ chunkSize: 0 }); } catch (e) { threw = e instanceof RangeError; }
 * if (!threw) throw new Error("unreachable");
 * ```
 */
export function resolveFraming(partial: Partial<FramingOptions> = {}): FramingOptions {
  // Already resolved (a server hands its framing to each connection): share, don't copy.
  if (RESOLVED_FRAMING.has(partial)) return partial as FramingOptions;
  const merged: Record<string, number> = { ...DEFAULT_FRAMING };
  for (const [name, value] of Object.entries(partial)) {
    if (value !== undefined) merged[name] = value;
  }
  for (const [name, value] of Object.entries(merged)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(
        `Switchboard: framing option ${name} must be a positive integer: got ${value}`,
      );
    }
  }
  const frozen = Object.freeze(merged as unknown as FramingOptions);
  RESOLVED_FRAMING.add(frozen);
  return frozen;
}

/** Framing objects made by {@linkcode resolveFraming}: complete, checked and frozen. */
const RESOLVED_FRAMING = new WeakSet<object>();

/**
 * Options of a {@linkcode Wire}.
 *
 * @example Types only
 * ```ts
 * import type { WireOptions } from "./wire.ts";
 * const options: WireOptions = { maxMessageSize: 1 << 20, binary: true };
 * if (!options.binary) throw new Error("unreachable");
 * ```
 */
export interface WireOptions {
  /** The codec to start with. Default JSON. */
  readonly codec?: Codec | undefined;
  /** Accept and send binary frames from the start. Default false (until negotiated). */
  readonly binary?: boolean | undefined;
  /** Framing options. */
  readonly framing?: Partial<FramingOptions> | undefined;
  /** Whether `rpc.hello` may change the codec (false for HTTP). Default true. */
  readonly negotiable?: boolean | undefined;
  /** Whether the transport can carry binary frames (`rpc.hello` may agree to them). Default true. */
  readonly binaryFrames?: boolean | undefined;
  /** Largest text frame, and largest message section of a binary frame (1009). */
  readonly maxMessageSize: number;
}

/**
 * Returned by {@linkcode Wire.decode} when a frame was consumed but completes no message
 * (a chunk of a message still in progress).
 */
export const INCOMPLETE: unique symbol = Symbol("Switchboard.incomplete");

/**
 * The method a {@linkcode SendFailureHandler} implements: a long-lived object (a peer) can
 * take send failures itself, so that no closure is made for them.
 *
 * @example
 * ```ts
 * import { SEND_FAILED, type SendFailureHandler } from "./wire.ts";
 * const failures: unknown[] = [];
 * const handler: SendFailureHandler = { [SEND_FAILED]: (error) => void failures.push(error) };
 * handler[SEND_FAILED](new Error("x"), {});
 * if (failures.length !== 1) throw new Error("unreachable");
 * ```
 */
export const SEND_FAILED: unique symbol = Symbol("switchboard.sendFailed");

/**
 * Takes failures of a send that happen after `Wire.send` returned.
 *
 * @example
 * ```ts
 * import { SEND_FAILED, type SendFailureHandler } from "./wire.ts";
 * const handler: SendFailureHandler = { [SEND_FAILED]() {} };
 * if (typeof handler[SEND_FAILED] !== "function") throw new Error("unreachable");
 * ```
 */
export interface SendFailureHandler {
  /**
   * A send failed after returning.
   *
   * @param error Why.
   * @param message The message that was not sent.
   */
  [SEND_FAILED](error: unknown, message: unknown): void;
}

/**
 * Where `Wire.send` reports failures that happen after it returned: a function, or an object
 * that takes them.
 *
 * @example Types only
 * ```ts
 * import type { OnSendError } from "./wire.ts";
 * const log: OnSendError = (error, message) => console.error(error, message);
 * if (typeof log !== "function") throw new Error("unreachable");
 * ```
 */
export type OnSendError = ((error: unknown, message: unknown) => void) | SendFailureHandler;

function sendFailed(onError: OnSendError | undefined, error: unknown, message: unknown): void {
  if (onError === undefined) return;
  if (typeof onError === "function") onError(error, message);
  else onError[SEND_FAILED](error, message);
}

/** A {@linkcode WireOptions} object's resolved values. */
interface WireSettings {
  readonly framing: FramingOptions;
  readonly negotiable: boolean;
  readonly binaryFrames: boolean;
  readonly maxMessageSize: number;
  readonly codec: Codec;
  readonly binary: boolean;
}

/** Settings already resolved, by options object (a server's peers share one). */
const WIRE_SETTINGS = new WeakMap<WireOptions, WireSettings>();

function wireSettingsOf(options: WireOptions): WireSettings {
  let settings = WIRE_SETTINGS.get(options);
  if (settings !== undefined) return settings;
  settings = {
    framing: resolveFraming(options.framing),
    negotiable: options.negotiable ?? true,
    binaryFrames: options.binaryFrames ?? true,
    maxMessageSize: options.maxMessageSize,
    codec: options.codec ?? jsonCodec,
    binary: options.binary ?? false,
  };
  WIRE_SETTINGS.set(options, settings);
  return settings;
}

/**
 * A connection's codec and framing state.
 *
 * @example Text out, text in
 * ```ts
 * import { Wire } from "./wire.ts";
 * const sent: unknown[] = [];
 * const wire = new Wire({ send: (f) => void sent.push(f), close() {} }, { maxMessageSize: 1024 });
 * wire.send({ jsonrpc: "2.0", method: "x" });
 * const back = wire.decode(sent[0] as string) as { method: string };
 * if (back.method !== "x") throw new Error("unreachable");
 * ```
 */
export class Wire {
  readonly #transport: Transport;
  /** The options' fixed values, shared by every wire made with the same options object. */
  readonly #settings: WireSettings;
  // Created when the first binary frame goes out or comes in: a text-only connection never
  // pays for them (idle connections should cost as little memory as possible).
  #reassemblerState: Reassembler | undefined;
  #senderState: ChunkSender | undefined;
  #encoder: Codec;
  #decoder: Codec;
  #binary: boolean;
  #after: { readonly id: Id; readonly codec: Codec; readonly binary: boolean } | undefined;
  #held: (() => void)[] | undefined;

  /**
   * @param transport Moves the frames.
   * @param options Codec, binary, framing, limits.
   */
  constructor(transport: Transport, options: WireOptions) {
    this.#transport = transport;
    const settings = wireSettingsOf(options);
    this.#settings = settings;
    this.#encoder = this.#decoder = settings.codec;
    this.#binary = settings.binary;
  }

  /** The framing options in force. */
  get framing(): FramingOptions {
    return this.#settings.framing;
  }

  /** Whether `rpc.hello` may change this connection's codec. */
  get negotiable(): boolean {
    return this.#settings.negotiable;
  }

  /** Whether the transport can carry binary frames. */
  get binaryFrames(): boolean {
    return this.#settings.binaryFrames;
  }

  get #reassembler(): Reassembler {
    return this.#reassemblerState ??= new Reassembler({
      ...this.framing,
      maxMessageSize: this.#settings.maxMessageSize,
    });
  }

  get #sender(): ChunkSender {
    const transport = this.#transport;
    return this.#senderState ??= new ChunkSender(
      (frame) => transport.send(frame),
      () => transport.bufferedAmount?.(),
      this.framing,
    );
  }

  /** The codec outgoing messages are encoded with. */
  get codec(): Codec {
    return this.#encoder;
  }

  /** Whether binary frames (attachments) are in use on this connection. */
  get binary(): boolean {
    return this.#binary;
  }

  /**
   * Server side of `rpc.hello`: decode with `codec` and accept binary from now on; encode
   * with `codec` (and send binary) once the response to request `id` has been sent.
   *
   * @param codec The codec chosen.
   * @param binary Whether binary frames were agreed.
   * @param id The hello request's id.
   */
  negotiate(codec: Codec, binary: boolean, id: Id): void {
    this.#decoder = codec;
    this.#binary = this.#binary || binary;
    this.#after = { id, codec, binary };
  }

  /**
   * Switch codec and binary use both ways at once (client side, after the hello response).
   *
   * @param codec The codec.
   * @param binary Whether binary frames are in use.
   */
  use(codec: Codec, binary: boolean): void {
    this.#encoder = this.#decoder = codec;
    this.#binary = binary;
    const held = this.#held;
    this.#held = undefined;
    for (const send of held ?? []) send();
  }

  /**
   * Hold messages that carry attachments until {@linkcode Wire.use} says whether binary was
   * agreed (client side, while its `rpc.hello` is under way); other messages go out at once.
   */
  hold(): void {
    this.#held ??= [];
  }

  /**
   * Encode and send one message or batch: a text frame, or binary frames when it carries
   * attachments on a binary connection. On a connection without binary, a request or
   * notification carrying attachments throws a `TypeError` and a response carrying them is
   * replaced by a `-32004` error response (see `refuseBinary`).
   *
   * @param message The message.
   * @param onError Reports failures that happen after this returns (Blob reads, chunk sends),
   * with the message that failed, so that one handler can serve every message (the peer fails
   * the calls in it) instead of a closure per message.
   * @throws {TypeError} Binary in a request or notification without binary frames; a codec
   * that needs binary frames.
   * @throws Encoding or synchronous transport errors.
   */
  send(message: unknown, onError?: OnSendError): void {
    const codec = this.#encoder;
    const binary = this.#binary && this.#after === undefined;
    if (this.#after !== undefined && respondsTo(message, this.#after.id)) {
      this.#encoder = this.#after.codec;
      this.#binary = this.#binary || this.#after.binary;
      this.#after = undefined;
    }
    if (!hasAttachments(message, this.framing.maxDepth)) {
      // The common case, kept short: no binary anywhere, one text frame.
      const encoded = codec.encode(message);
      if (typeof encoded === "string") {
        this.#transport.send(encoded);
        return;
      }
    }
    const { message: skeleton, attachments } = extractAttachments(message, this.framing.maxDepth);
    if (attachments.length > 0 && this.#held !== undefined) {
      this.#held.push(() => {
        try {
          this.send(message, onError);
        } catch (error) {
          sendFailed(onError, error, message);
        }
      });
      return;
    }
    if (!binary || attachments.length === 0) {
      const plain = attachments.length === 0 ? message : refuseBinary(message, attachments);
      const encoded = codec.encode(plain);
      if (typeof encoded !== "string") {
        if (!binary) throw new TypeError(`Switchboard: codec ${codec.name} needs binary frames`);
        this.#sender.sendParts(EMPTY_TABLE, encoded, []);
        return;
      }
      this.#transport.send(encoded);
      return;
    }
    const encoded = codec.encode(skeleton);
    const bytes = typeof encoded === "string" ? new TextEncoder().encode(encoded) : encoded;
    this.#sender.send(
      encodeTable(attachments),
      bytes,
      attachments,
      onError && ((error) => sendFailed(onError, error, message)),
    );
  }

  /**
   * Send a message encoded once by `encodeOnce` (lib/framing/encoded.ts): the same frame, or
   * views of the same attachment bytes, go to every connection it is sent on.
   *
   * @param encoded The encoded message.
   * @param onError Reports failures of later chunk sends.
   * @throws {TypeError} When it was encoded with another codec than this connection's, or
   * carries attachments and binary frames were not negotiated here.
   */
  sendEncoded(encoded: EncodedMessage, onError?: (error: unknown) => void): void {
    if (encoded.codec !== this.#encoder.name) {
      throw new TypeError(
        `Switchboard: message encoded with ${encoded.codec}, connection uses ${this.#encoder.name}`,
      );
    }
    if (encoded.text !== undefined) {
      this.#transport.send(encoded.text);
      return;
    }
    if (this.#held !== undefined) {
      this.#held.push(() => {
        try {
          this.sendEncoded(encoded, onError);
        } catch (error) {
          onError?.(error);
        }
      });
      return;
    }
    if (!this.#binary || this.#after !== undefined) {
      throw new TypeError(
        "Switchboard: message carries binary but binary frames were not negotiated on this connection",
      );
    }
    if (encoded.frame !== undefined && encoded.total <= this.framing.chunkSize) {
      this.#sender.sendFrame(encoded.frame);
    } else {
      this.#sender.sendParts(encoded.table, encoded.message, encoded.parts, onError);
    }
  }

  /**
   * Decode one incoming frame.
   *
   * @param frame A text or binary frame.
   * @returns The message or batch, or {@linkcode INCOMPLETE} when the frame was a chunk of a
   * message still in progress.
   * @throws {FrameError} With the close code to use (1003, 1007, 1008, 1009).
   * @throws {SyntaxError} When the codec cannot decode the message (answer -32700).
   */
  decode(frame: string | ArrayBuffer | ArrayBufferView): unknown {
    if (typeof frame === "string") {
      // The limit is in bytes; only a frame that may be over it is counted (text_size.ts).
      if (textOverLimit(frame, this.#settings.maxMessageSize)) {
        throw new FrameError(CloseCode.MessageTooBig, "Message too big");
      }
      // No reassembler yet means no chunk header is waiting for its raw frame.
      if (this.#binary) this.#reassemblerState?.acceptText();
      return this.#decoder.decode(frame);
    }
    if (!this.#binary) {
      throw new FrameError(CloseCode.UnsupportedData, "Binary frames are not supported");
    }
    const bytes = frame instanceof ArrayBuffer
      ? new Uint8Array(frame)
      : ArrayBuffer.isView(frame)
      ? new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength)
      : undefined;
    if (bytes === undefined) {
      throw new FrameError(CloseCode.UnsupportedData, "Unsupported frame type");
    }
    const done = this.#reassembler.accept(bytes);
    if (done === undefined) return INCOMPLETE;
    const value = this.#decoder.decode(done.message);
    return insertAttachments(value, done.entries, done.data);
  }

  /** Drop partial messages and queued chunks (the connection closed). */
  dispose(): void {
    this.#held = undefined;
    this.#reassemblerState?.clear();
    this.#senderState?.dispose();
  }
}

const EMPTY_TABLE: Uint8Array = encodeTable([]);

function respondsTo(message: unknown, id: Id): boolean {
  if (Array.isArray(message)) return message.some((m) => respondsTo(m, id));
  if (typeof message !== "object" || message === null) return false;
  const msg = message as Record<string, unknown>;
  return msg.id === id && !("method" in msg);
}

/**
 * The codec interface: how a message becomes the bytes or text of a frame and back.
 *
 * JSON is the default and the only codec a peer that never says hello can expect. Other
 * codecs (superjson, MessagePack) implement the same interface in a file of their own. A codec
 * only sees messages whose binary attachments were already replaced by placeholders (see
 * lib/framing/), so it never has to carry raw bytes itself.
 *
 * @module
 */

/**
 * Turns messages into frame payloads and frame payloads into messages.
 *
 * A text codec returns strings (sent as text frames); a binary codec (MessagePack, CBOR)
 * returns `Uint8Array`s, which travel inside a Switchboard binary frame (docs/PROTOCOL.md §5).
 * `decode` must accept both forms: a text frame's string, or the UTF-8 / binary message
 * section of a binary frame.
 *
 * @example A codec that logs what it encodes (types only)
 * ```ts
 * import type { Codec } from "./codec.ts";
 * const seen: unknown[] = [];
 * const logging: Codec = {
 *   name: "json",
 *   encode(message) { seen.push(message); return JSON.stringify(message); },
 *   decode(frame) {
 *     return JSON.parse(typeof frame === "string" ? frame : new TextDecoder().decode(frame));
 *   },
 * };
 * logging.encode({ jsonrpc: "2.0", method: "ping" });
 * if (seen.length !== 1) throw new Error("unreachable");
 * ```
 */
export interface Codec {
  /** The name negotiated on the wire, e.g. `"json"`. */
  readonly name: string;
  /**
   * Encode one message or one batch array.
   *
   * @param message A JSON-RPC message object or an array of them.
   * @returns The frame payload: text, or bytes for a binary codec.
   */
  encode(message: unknown): string | Uint8Array;
  /**
   * Decode one frame payload.
   *
   * @param frame A text frame, or the message section of a binary frame.
   * @returns The decoded value, not yet validated.
   * @throws {SyntaxError} If the payload is not valid for this codec.
   */
  decode(frame: string | Uint8Array): unknown;
}

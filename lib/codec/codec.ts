/**
 * The codec interface: how a message becomes a frame and back.
 *
 * JSON is the default and the only codec a peer that never says hello can expect. Other
 * codecs (superjson, MessagePack) implement the same interface in a file of their own.
 *
 * @module
 */

/**
 * Turns messages into text frames and text frames into messages.
 *
 * @example A codec that logs what it encodes
 * ```ts
 * import type { Codec } from "./codec.ts";
 * const seen: unknown[] = [];
 * const logging: Codec = {
 *   name: "json",
 *   encode(message) { seen.push(message); return JSON.stringify(message); },
 *   decode(text) { return JSON.parse(text); },
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
   * @returns The text frame.
   */
  encode(message: unknown): string;
  /**
   * Decode one text frame.
   *
   * @param text The frame.
   * @returns The decoded value, not yet validated.
   * @throws {SyntaxError} If the text is not valid for this codec.
   */
  decode(text: string): unknown;
}

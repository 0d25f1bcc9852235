/**
 * The default codec: plain JSON, so any JSON-RPC 2.0 client interoperates.
 *
 * @module
 */

import type { Codec } from "./codec.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decode UTF-8 bytes strictly: invalid sequences raise a `SyntaxError`.
 *
 * @param frame Text, or UTF-8 bytes.
 * @returns The text.
 * @throws {SyntaxError} If the bytes are not valid UTF-8.
 * @example
 * ```ts
 * import { frameText } from "./json.ts";
 * if (frameText(new TextEncoder().encode("hé")) !== "hé") throw new Error("unreachable");
 * ```
 */
export function frameText(frame: string | Uint8Array): string {
  if (typeof frame === "string") return frame;
  try {
    return utf8.decode(frame);
  } catch (error) {
    throw new SyntaxError("Switchboard: frame is not valid UTF-8", { cause: error });
  }
}

/**
 * Plain JSON text frames.
 *
 * @example
 * ```ts
 * import { jsonCodec } from "./json.ts";
 * const text = jsonCodec.encode({ jsonrpc: "2.0", id: 1, result: 19 }) as string;
 * const back = jsonCodec.decode(text) as { result: number };
 * if (back.result !== 19) throw new Error("unreachable");
 * ```
 */
export const jsonCodec: Codec = Object.freeze({
  name: "json",
  encode(message: unknown): string {
    return JSON.stringify(message);
  },
  decode(frame: string | Uint8Array): unknown {
    return JSON.parse(frameText(frame));
  },
});

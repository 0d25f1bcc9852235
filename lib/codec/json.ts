/**
 * The default codec: plain JSON, so any JSON-RPC 2.0 client interoperates.
 *
 * @module
 */

import type { Codec } from "./codec.ts";

/**
 * Plain JSON text frames.
 *
 * @example
 * ```ts
 * import { jsonCodec } from "./json.ts";
 * const text = jsonCodec.encode({ jsonrpc: "2.0", id: 1, result: 19 });
 * const back = jsonCodec.decode(text) as { result: number };
 * if (back.result !== 19) throw new Error("unreachable");
 * ```
 */
export const jsonCodec: Codec = Object.freeze({
  name: "json",
  encode(message: unknown): string {
    return JSON.stringify(message);
  },
  decode(text: string): unknown {
    return JSON.parse(text);
  },
});

/**
 * Read how many bytes a server-side WebSocket has waiting to be sent, whatever the runtime:
 * Deno and Workers expose the standard `bufferedAmount`, Bun's `ServerWebSocket` has
 * `getBufferedAmount()`. Duck-typed so the core never names a runtime.
 *
 * @module
 */

/**
 * Build a reader of a raw socket's buffered amount.
 *
 * @param raw The runtime's socket (Hono's `WSContext.raw`).
 * @returns A function returning the bytes queued, or `undefined` when the socket cannot tell.
 * @example
 * ```ts
 * import { bufferedAmountReader } from "./buffered_amount.ts";
 * const read = bufferedAmountReader({ getBufferedAmount: () => 12 });
 * if (read?.() !== 12) throw new Error("unreachable");
 * if (bufferedAmountReader({}) !== undefined) throw new Error("unreachable");
 * ```
 */
export function bufferedAmountReader(raw: unknown): (() => number) | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const socket = raw as { getBufferedAmount?: () => number; bufferedAmount?: number };
  if (typeof socket.getBufferedAmount === "function") {
    return () => socket.getBufferedAmount!();
  }
  if (typeof socket.bufferedAmount === "number") return () => socket.bufferedAmount!;
  return undefined;
}

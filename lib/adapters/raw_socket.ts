/**
 * Direct access to a server-side WebSocket for the pub/sub hot path, whatever the runtime:
 * Deno and Workers expose the standard `bufferedAmount` and `send`, Bun's `ServerWebSocket`
 * has `getBufferedAmount()` and `send`. Duck-typed so the core never names a runtime; each
 * helper returns `undefined` when the socket does not have what it needs.
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
 * import { bufferedAmountReader } from "./raw_socket.ts";
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

/**
 * Build a text-frame sender that calls the raw socket's `send` directly (skipping one
 * wrapper per frame, which shows when one event goes to thousands of sockets).
 *
 * @param raw The runtime's socket (Hono's `WSContext.raw`).
 * @returns A function sending one text frame, or `undefined` when the socket has no `send`.
 * @example
 * ```ts
 * import { frameSender } from "./raw_socket.ts";
 * const sent: string[] = [];
 * const send = frameSender({ send: (frame: string) => void sent.push(frame) });
 * send?.("hi");
 * if (sent[0] !== "hi" || frameSender(null) !== undefined) throw new Error("unreachable");
 * ```
 */
export function frameSender(raw: unknown): ((frame: string | Uint8Array) => void) | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const socket = raw as { send?: (frame: string | Uint8Array) => unknown };
  if (typeof socket.send !== "function") return undefined;
  return (frame) => void socket.send!(frame);
}

/**
 * Direct access to a server-side WebSocket for the pub/sub hot path, whatever the runtime:
 * Deno and Workers expose the standard `bufferedAmount` and `send`, Bun's `ServerWebSocket`
 * has `getBufferedAmount()` and `send`. Duck-typed so the core never names a runtime; each
 * helper returns `undefined` when the socket does not have what it needs.
 *
 * @module
 */

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

/**
 * Read a runtime socket's buffered byte count without allocating (Bun's
 * `getBufferedAmount()`, or the standard `bufferedAmount`).
 *
 * @param raw The runtime's socket object.
 * @returns The byte count, 0 when the socket cannot tell.
 * @example
 * ```ts
 * import { readBufferedAmount } from "./raw_socket.ts";
 * if (readBufferedAmount({ bufferedAmount: 7 }) !== 7) throw new Error("unreachable");
 * if (readBufferedAmount(undefined) !== 0) throw new Error("unreachable");
 * ```
 */
export function readBufferedAmount(raw: unknown): number {
  if (typeof raw !== "object" || raw === null) return 0;
  const socket = raw as { getBufferedAmount?: () => number; bufferedAmount?: number };
  if (typeof socket.getBufferedAmount === "function") return socket.getBufferedAmount();
  return typeof socket.bufferedAmount === "number" ? socket.bufferedAmount : 0;
}

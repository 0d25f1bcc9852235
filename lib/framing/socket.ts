/**
 * Reading a server socket's buffered byte count without knowing the runtime: the standard
 * `bufferedAmount` property (browsers, Deno) or Bun's `getBufferedAmount()`.
 *
 * @module
 */

/**
 * How many bytes a socket holds unsent, if it can say.
 *
 * @param socket A WebSocket-like object (Hono's `ws.raw`).
 * @returns The byte count, or undefined when the socket exposes none.
 * @example
 * ```ts
 * import { socketBufferedAmount } from "./socket.ts";
 * if (socketBufferedAmount({ bufferedAmount: 5 }) !== 5) throw new Error("unreachable");
 * if (socketBufferedAmount({ getBufferedAmount: () => 7 }) !== 7) throw new Error("unreachable");
 * if (socketBufferedAmount(undefined) !== undefined) throw new Error("unreachable");
 * ```
 */
export function socketBufferedAmount(socket: unknown): number | undefined {
  if (typeof socket !== "object" || socket === null) return undefined;
  const s = socket as { bufferedAmount?: unknown; getBufferedAmount?: unknown };
  if (typeof s.getBufferedAmount === "function") {
    return (s.getBufferedAmount as () => number).call(socket);
  }
  return typeof s.bufferedAmount === "number" ? s.bufferedAmount : undefined;
}

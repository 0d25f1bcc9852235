/**
 * Read a server-side WebSocket's send buffer, whatever the runtime: Deno and Workers expose
 * the standard `bufferedAmount`, Bun's `ServerWebSocket` has `getBufferedAmount()`.
 * Duck-typed so the core never names a runtime.
 *
 * @module
 */

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

/**
 * Whether a runtime socket is open (`readyState` 1, the standard OPEN, which Bun's
 * `ServerWebSocket` shares). A socket that cannot tell counts as open.
 *
 * @param raw The runtime's socket object.
 * @returns False only for a socket that reports another state.
 * @example
 * ```ts
 * import { isSocketOpen } from "./raw_socket.ts";
 * if (!isSocketOpen({ readyState: 1 }) || isSocketOpen({ readyState: 2 })) throw new Error();
 * if (!isSocketOpen({})) throw new Error("unreachable");
 * ```
 */
export function isSocketOpen(raw: unknown): boolean {
  if (typeof raw !== "object" || raw === null) return true;
  const state = (raw as { readyState?: unknown }).readyState;
  return typeof state !== "number" || state === 1;
}

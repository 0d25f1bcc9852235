/**
 * The transport interface: what a peer needs from a connection.
 *
 * A transport only moves frames. It hands incoming frames to its peer (lib/peer/internal.ts
 * `receive`) and reports its own closing (`transportClosed`); the peer calls `send` and
 * `close`. It sits below the peer: the framing layer's `Wire` writes to it. WebSocket
 * adapters, the client's socket and the HTTP handler each implement it in a few lines.
 *
 * @module
 */

/**
 * Moves frames for one peer.
 *
 * @example An in-memory transport that records what it sends (types only)
 * ```ts
 * import type { Transport } from "./transport.ts";
 * const sent: (string | Uint8Array)[] = [];
 * const transport: Transport = {
 *   send(frame) { sent.push(frame); },
 *   close() {},
 * };
 * transport.send("{}");
 * if (sent.length !== 1) throw new Error("unreachable");
 * ```
 */
export interface Transport {
  /**
   * Send one frame. May throw (for example an {@linkcode RpcError} when the transport cannot
   * carry outgoing calls, or when a queue is full); the peer turns that into a rejected call.
   *
   * @param frame The encoded message: a text frame, or a binary frame (docs/PROTOCOL.md §5).
   */
  send(frame: string | Uint8Array): void;
  /**
   * Bytes handed to `send` and not yet written to the network (a WebSocket's
   * `bufferedAmount`), when the transport can tell. Optional: chunked binary uploads use it
   * to leave room for other messages, the broker's slow-consumer policy to find slow readers.
   *
   * @returns The byte count.
   */
  bufferedAmount?(): number;
  /**
   * Close the connection. Called once, by the peer's close path.
   *
   * @param code A WebSocket close code.
   * @param reason A short reason.
   */
  close(code: number, reason: string): void;
}

/**
 * Why a connection closed.
 *
 * @example Types only
 * ```ts
 * import type { CloseInfo } from "./transport.ts";
 * const info: CloseInfo = { code: 1000, reason: "bye", local: true };
 * if (info.code !== 1000) throw new Error("unreachable");
 * ```
 */
export interface CloseInfo {
  /** The WebSocket close code (1000 normal, 1009 too big, 1003 unsupported data, …). */
  readonly code: number;
  /** The reason given, possibly empty. */
  readonly reason: string;
  /** True when this side closed, false when the other side or the network did. */
  readonly local: boolean;
}

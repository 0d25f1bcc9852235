/**
 * The client's transport: a standard WebSocket, with frames queued until it opens.
 *
 * @module
 */

import { ErrorCode, RpcError } from "../protocol/errors.ts";
import type { Transport } from "../peer/transport.ts";
import { CloseCode, isSendableCloseCode } from "../protocol/close_codes.ts";

/**
 * A constructor compatible with the standard `WebSocket` (browsers, Deno, Bun, Workers,
 * Node 22), for injecting another implementation.
 *
 * @example Types only
 * ```ts
 * import type { WebSocketConstructor } from "./socket_transport.ts";
 * const Impl: WebSocketConstructor = WebSocket;
 * if (typeof Impl !== "function") throw new Error("unreachable");
 * ```
 */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocket;

/**
 * Options of {@linkcode SocketTransport}.
 *
 * @example Types only
 * ```ts
 * import type { SocketTransportOptions } from "./socket_transport.ts";
 * const options: SocketTransportOptions = { maxQueued: 100 };
 * if (options.maxQueued !== 100) throw new Error("unreachable");
 * ```
 */
export interface SocketTransportOptions {
  /** The WebSocket implementation. Default: the global `WebSocket`. */
  readonly WebSocket?: WebSocketConstructor | undefined;
  /** Subprotocols to offer. */
  readonly protocols?: string | string[] | undefined;
  /** Frames to hold while connecting; one more throws -32005. Default 1,000. */
  readonly maxQueued?: number | undefined;
  /** Called when the socket opens (before queued frames are flushed). */
  readonly onOpen?: (() => void) | undefined;
  /** Called when the socket closes (after the receiver was told). */
  readonly onClose?: ((event: SocketClose) => void) | undefined;
}

/**
 * How a socket closed, as reported by its close event.
 *
 * @example Types only
 * ```ts
 * import type { SocketClose } from "./socket_transport.ts";
 * const close: SocketClose = { code: 1006, reason: "", wasClean: false };
 * if (close.wasClean) throw new Error("unreachable");
 * ```
 */
export interface SocketClose {
  /** The close code (1006 when the connection dropped without a close frame). */
  readonly code: number;
  /** The reason, possibly empty. */
  readonly reason: string;
  /** Whether the closing handshake completed. */
  readonly wasClean: boolean;
}

/**
 * What a transport feeds: a peer, or a demultiplexer of channels.
 *
 * @example Types only
 * ```ts
 * import type { Receiver } from "./socket_transport.ts";
 * const sink: Receiver = { receive() {}, transportClosed() {} };
 * if (typeof sink.receive !== "function") throw new Error("unreachable");
 * ```
 */
export interface Receiver {
  /** One incoming frame. */
  receive(frame: string | ArrayBuffer | Uint8Array): void;
  /** The transport closed. */
  transportClosed(code: number, reason: string): void;
}

/**
 * A WebSocket that feeds one peer. Sends made while connecting are queued in order and
 * flushed on open.
 *
 * @example
 * ```ts ignore
 * import { Peer } from "../peer/peer.ts";
 * import { SocketTransport } from "./socket_transport.ts";
 * const transport = new SocketTransport("ws://127.0.0.1:8000/rpc");
 * const peer = new Peer(transport);
 * transport.attach(peer);
 * ```
 */
export class SocketTransport implements Transport {
  /** Resolves when the socket opens; rejects if it closes first. */
  readonly opened: Promise<void>;

  readonly #socket: WebSocket;
  readonly #maxQueued: number;
  #queue: (string | Uint8Array)[] | undefined = [];
  #peer: Receiver | undefined;
  #opened = false;
  #resolveOpened!: () => void;
  #rejectOpened!: (reason: unknown) => void;

  /**
   * @param url A `ws:` or `wss:` URL (`http:`/`https:` are converted).
   * @param options Implementation, subprotocols, queue size.
   */
  constructor(url: string, options: SocketTransportOptions = {}) {
    const Impl = options.WebSocket ?? globalThis.WebSocket;
    if (typeof Impl !== "function") {
      throw new TypeError(
        "Switchboard: no global WebSocket on this runtime; pass one in options.WebSocket",
      );
    }
    this.#maxQueued = options.maxQueued ?? 1000;
    this.opened = new Promise((resolve, reject) => {
      this.#resolveOpened = resolve;
      this.#rejectOpened = reject;
    });
    // Nobody may await `opened`; the failure is also reported through the peer's close.
    this.opened.catch(() => {});
    const socket = new Impl(toWebSocketUrl(url), options.protocols);
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      this.#opened = true;
      options.onOpen?.();
      this.#flush();
    };
    socket.onmessage = (event: MessageEvent) => this.#peer?.receive(event.data);
    socket.onclose = (event: CloseEvent) => {
      this.#queue = undefined;
      this.#rejectOpened(
        new RpcError(ErrorCode.ConnectionClosed, "Switchboard: connection failed", {
          code: event.code,
          reason: event.reason,
        }),
      );
      this.#peer?.transportClosed(event.code || CloseCode.Abnormal, event.reason);
      options.onClose?.({
        code: event.code || CloseCode.Abnormal,
        reason: event.reason,
        wasClean: event.wasClean,
      });
    };
    this.#socket = socket;
  }

  /** Whether the socket ever opened (frames sent before that never left this process). */
  get wasOpened(): boolean {
    return this.#opened;
  }

  /**
   * Connect the peer that receives this socket's frames.
   *
   * @param peer The peer (or any receiver).
   */
  attach(peer: Receiver): void {
    this.#peer = peer;
  }

  /**
   * Send a frame, or queue it while connecting.
   *
   * @param frame The frame.
   * @throws {RpcError} -32005 when the connecting queue is full, -32001 once closed.
   */
  send(frame: string | Uint8Array): void {
    const socket = this.#socket;
    // Open: the common case, one readyState read.
    if (socket.readyState === 1) {
      socket.send(frame as string | Uint8Array<ArrayBuffer>);
      return;
    }
    const queue = this.#queue;
    if (queue === undefined) {
      throw new RpcError(ErrorCode.ConnectionClosed, "Switchboard: connection is closed");
    }
    if (queue.length >= this.#maxQueued) {
      throw new RpcError(
        ErrorCode.LimitExceeded,
        `Switchboard: ${this.#maxQueued} messages already queued while connecting`,
      );
    }
    queue.push(frame);
  }

  /**
   * Bytes sent but not yet written to the network (0 while connecting).
   *
   * @returns The socket's `bufferedAmount`.
   */
  bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  /**
   * Close the socket.
   *
   * @param code The close code.
   * @param reason The reason.
   */
  close(code: number, reason: string): void {
    this.#queue = undefined;
    // Browsers only accept 1000 or 3000-4999 from application code.
    this.#socket.close(isSendableCloseCode(code) ? code : CloseCode.Normal, reason);
  }

  #flush(): void {
    const queue = this.#queue;
    this.#queue = undefined;
    if (queue !== undefined) {
      for (const frame of queue) this.#socket.send(frame as string | Uint8Array<ArrayBuffer>);
    }
    this.#resolveOpened();
  }
}

/**
 * Accept `http(s):` URLs for convenience and turn them into `ws(s):`.
 *
 * @param url The URL given to `connect`.
 * @returns A WebSocket URL.
 * @example
 * ```ts
 * import { toWebSocketUrl } from "./socket_transport.ts";
 * if (toWebSocketUrl("http://127.0.0.1:8000/rpc") !== "ws://127.0.0.1:8000/rpc") throw new Error();
 * ```
 */
export function toWebSocketUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol === "http:") parsed.protocol = "ws:";
  else if (parsed.protocol === "https:") parsed.protocol = "wss:";
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
    throw new TypeError(`Switchboard: not a WebSocket URL: ${url}`);
  }
  return parsed.href;
}

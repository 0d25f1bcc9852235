/**
 * One server-side WebSocket connection: the Hono events, the peer's transport and the
 * broker's subscriber in a single object, so an idle connection costs one small object and
 * no closures beyond its peer.
 *
 * @module
 */

import type { WSContext, WSEvents } from "hono/ws";
import { FRAME_SINK } from "../adapters/adapter.ts";
import { frameSender, readBufferedAmount } from "../adapters/raw_socket.ts";
import type { Codec } from "../codec/codec.ts";
import type { EncodedMessage } from "../framing/encoded.ts";
import type { Peer } from "../peer/peer.ts";
import { CloseCode, type Transport } from "../peer/transport.ts";
import type { Subscriber } from "../pubsub/delivery.ts";
import type { ConnectionInfo } from "../router/registry.ts";
import type { HeartbeatMonitor, Liveness } from "./heartbeat.ts";

/**
 * What a connection needs from its server: make the peer once the socket is open, and count
 * traffic.
 *
 * @example
 * ```ts
 * import type { ConnectionHost } from "./connection.ts";
 * function opened(host: ConnectionHost): number {
 *   return host.traffic.bytesSent;
 * }
 * if (typeof opened !== "function") throw new Error("unreachable");
 * ```
 */
export interface ConnectionHost {
  /** Traffic counters, incremented per frame. */
  readonly traffic: { bytesSent: number; bytesReceived: number };
  /** Create and register the peer of a connection whose socket just opened. */
  open(connection: Connection): Peer;
  /** The server's heartbeat, told of every incoming frame (one property write). */
  readonly heartbeat?: HeartbeatMonitor | undefined;
}

/**
 * The glue between one upgraded socket, its {@linkcode Peer} and the broker.
 *
 * @example
 * ```ts
 * import { Connection } from "./connection.ts";
 * const connection = new Connection(
 *   { id: "c1", headers: new Headers(), data: {} },
 *   { traffic: { bytesSent: 0, bytesReceived: 0 }, open: () => { throw new Error("no socket"); } },
 * );
 * if (connection.info.id !== "c1" || connection.peer !== undefined) throw new Error();
 * ```
 */
export class Connection implements WSEvents, Transport, Subscriber {
  /** Facts about the connection. */
  readonly info: ConnectionInfo;
  /** The peer, once the socket is open. */
  peer: Peer | undefined;
  /** Its heartbeat record, when the server watches it. */
  live: Liveness | undefined;

  readonly #host: ConnectionHost;
  /** The host's counters, held directly: one property load less per frame. */
  readonly #traffic: { bytesSent: number; bytesReceived: number };
  #socket: WSContext | undefined;
  #raw: unknown;

  /**
   * @param info The connection's id, headers and application data.
   * @param host The server.
   */
  constructor(info: ConnectionInfo, host: ConnectionHost) {
    this.info = info;
    this.#host = host;
    this.#traffic = host.traffic;
  }

  /** The codec events are encoded with: the peer's negotiated one. */
  get codec(): Codec {
    return this.peer!.wire.codec;
  }

  /**
   * Hono: the socket opened.
   *
   * @param _event The open event.
   * @param ws Hono's socket context.
   */
  onOpen(_event: Event, ws: WSContext): void {
    this.#socket = ws;
    const raw = ws.raw as { binaryType?: string } | undefined;
    if (raw !== undefined && raw !== null && "binaryType" in raw) raw.binaryType = "arraybuffer";
    // Send and read the buffer on the runtime's socket directly when it has the standard
    // shape: Hono's wrapper adds a call (and on Bun an object) per frame.
    if (frameSender(raw) !== undefined) this.#raw = raw;
    this.peer = this.#host.open(this);
  }

  /**
   * Hono: a frame arrived.
   *
   * @param event The message event.
   */
  onMessage(event: MessageEvent): void {
    this.receive(event.data as string | ArrayBuffer | Uint8Array);
  }

  /**
   * Adapter fast path (see {@linkcode FRAME_SINK}): a frame arrived, unwrapped.
   *
   * @param frame The frame.
   */
  [FRAME_SINK](frame: string | ArrayBuffer | Uint8Array): void {
    this.receive(frame);
  }

  /**
   * Count and hand a frame to the peer.
   *
   * @param frame The frame.
   */
  receive(frame: string | ArrayBuffer | Uint8Array): void {
    this.#traffic.bytesReceived += typeof frame === "string" ? frame.length : frame.byteLength;
    if (this.live !== undefined) this.#host.heartbeat?.seen(this.live);
    this.peer?.receive(frame);
  }

  /**
   * Hono: the socket closed.
   *
   * @param event The close event.
   */
  onClose(event: CloseEvent): void {
    this.peer?.transportClosed(event.code, event.reason);
  }

  /** Hono: the socket failed. */
  onError(): void {
    this.peer?.transportClosed(CloseCode.Abnormal, "WebSocket error");
  }

  /**
   * Transport and subscriber: send one frame.
   *
   * @param frame The frame.
   */
  send(frame: string | Uint8Array): void {
    this.#traffic.bytesSent += typeof frame === "string" ? frame.length : frame.byteLength;
    const raw = this.#raw as { send(frame: string | Uint8Array): unknown } | undefined;
    if (raw !== undefined) raw.send(frame);
    else this.#socket!.send(frame as Uint8Array<ArrayBuffer>);
  }

  /**
   * Subscriber: send an event encoded once for many connections (binary frames shared).
   *
   * @param encoded The encoded event.
   * @throws {TypeError} When this connection did not negotiate binary frames.
   */
  sendEncoded(encoded: EncodedMessage): void {
    this.peer!.wire.sendEncoded(encoded);
  }

  /**
   * Transport: close the socket. Subscriber: close the connection (through the peer, so
   * everything pending is rejected).
   *
   * @param code The close code.
   * @param reason The reason.
   */
  close(code: number, reason: string): void {
    const peer = this.peer;
    if (peer !== undefined && !peer.isClosed) {
      peer.close(code, reason);
      return;
    }
    this.#socket?.close(code, reason);
  }

  /**
   * Transport and subscriber: bytes waiting in the socket's send buffer.
   *
   * @returns The byte count, 0 when the runtime cannot tell.
   */
  bufferedAmount(): number {
    return readBufferedAmount(this.#raw ?? this.#socket?.raw);
  }
}

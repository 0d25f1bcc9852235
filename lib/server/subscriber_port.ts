/**
 * The broker's view of one server WebSocket connection: a {@linkcode Subscriber} (events are
 * sent through the peer's wire, closes go through the peer) and, when the runtime has its
 * own topic fan-out (Bun), that fan-out's {@linkcode FanoutPort}.
 *
 * It sits above the connection and the peer and calls only downward:
 * - delivery: broker → `sendEncoded` → peer's wire → `Connection.send` → socket;
 * - close: broker → `close` → `peer.close()` → `Connection.close` → socket.
 *
 * @module
 */

import type { Codec } from "../codec/codec.ts";
import type { EncodedMessage } from "../framing/encoded.ts";
import type { Peer } from "../peer/peer.ts";
import type { FanoutPort, Subscriber } from "../pubsub/subscriber.ts";
import type { ConnectionInfo } from "../router/registry.ts";
import type { Connection } from "./connection.ts";

/**
 * A connection and its peer as the broker sees them.
 *
 * @example Events reach the socket through the peer's wire
 * ```ts
 * import { SubscriberPort } from "./subscriber_port.ts";
 * import { Connection } from "./connection.ts";
 * import { Peer } from "../peer/peer.ts";
 * const frames: unknown[] = [];
 * const host = {
 *   traffic: { bytesSent: 0, bytesReceived: 0 },
 *   open: (c: Connection) => new Peer(c),
 * };
 * const connection = new Connection({ id: "c1", headers: new Headers(), data: {} }, host);
 * connection.socketOpened({
 *   send: (frame) => void frames.push(frame),
 *   close: () => {},
 * });
 * const port = new SubscriberPort(connection, connection.peer!);
 * port.send('{"jsonrpc":"2.0","method":"x"}');
 * if (frames.length !== 1 || port.info.id !== "c1" || port.fanout !== undefined) {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export class SubscriberPort implements Subscriber, FanoutPort {
  readonly #connection: Connection;
  readonly #peer: Peer;

  /**
   * @param connection The connection (its socket and transport).
   * @param peer The connection's peer.
   */
  constructor(connection: Connection, peer: Peer) {
    this.#connection = connection;
    this.#peer = peer;
  }

  /** The connection's facts. */
  get info(): ConnectionInfo {
    return this.#connection.info;
  }

  /** The codec events are encoded with: the peer's negotiated one. */
  get codec(): Codec {
    return this.#peer.wire.codec;
  }

  /**
   * Send one encoded frame (straight to the transport: it is already encoded).
   *
   * @param frame The frame.
   */
  send(frame: string | Uint8Array): void {
    this.#connection.send(frame);
  }

  /**
   * Send an event encoded once for many connections (binary frames shared), through the
   * peer's wire, which ends in `Connection.send`.
   *
   * @param encoded The encoded event.
   * @throws {TypeError} When this connection did not negotiate binary frames.
   */
  sendEncoded(encoded: EncodedMessage): void {
    this.#peer.wire.sendEncoded(encoded);
  }

  /**
   * Bytes waiting in the socket's send buffer.
   *
   * @returns The byte count, 0 when the runtime cannot tell.
   */
  bufferedAmount(): number {
    return this.#connection.bufferedAmount();
  }

  /** Apply the outgoing bound now (after the runtime's fan-out wrote to the socket). */
  checkBuffered(): void {
    this.#connection.checkBuffered();
  }

  /**
   * Close the connection through its peer, so everything pending is rejected; the peer
   * then closes its transport.
   *
   * @param code The close code.
   * @param reason The reason.
   */
  close(code: number, reason: string): void {
    this.#peer.close(code, reason);
  }

  /** This port, when the runtime offers its topic fan-out for the socket. */
  get fanout(): FanoutPort | undefined {
    const connection = this.#connection;
    return connection.topics === undefined || connection.socket === undefined ? undefined : this;
  }

  /** Fan-out port: the runtime's topics of this socket's server. */
  get space(): object {
    return this.#connection.topics!;
  }

  /**
   * Fan-out port: join a runtime topic.
   *
   * @param topic The runtime's topic name.
   */
  join(topic: string): void {
    this.#connection.topics!.subscribe(this.#connection.socket!, topic);
  }

  /**
   * Fan-out port: leave a runtime topic.
   *
   * @param topic The runtime's topic name.
   */
  leave(topic: string): void {
    this.#connection.topics!.unsubscribe(this.#connection.socket!, topic);
  }

  /**
   * Fan-out port: send a text frame to every socket of the runtime topic.
   *
   * @param topic The runtime's topic name.
   * @param frame The frame.
   * @param exceptSelf Leave this connection out.
   * @param recipients How many sockets it reaches (traffic counters).
   */
  publish(topic: string, frame: string, exceptSelf: boolean, recipients: number): void {
    const connection = this.#connection;
    connection.traffic.bytesSent += frame.length * recipients;
    connection.topics!.publish(topic, frame, exceptSelf ? connection.socket : undefined);
  }
}

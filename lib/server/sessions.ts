/**
 * The sessions of a server: each WebSocket's own session (a {@linkcode Connection}, its
 * {@linkcode Peer} and its {@linkcode SubscriberPort}), each channel of a multiplexed socket,
 * and what follows a session from open to close: the `peers` map, the broker, the heartbeat,
 * the per-connection services and the open/close hooks.
 *
 * @module
 */

import type { Limits } from "../protocol/limits.ts";
import { Peer, type PeerOptions } from "../peer/peer.ts";
import type { FramingOptions } from "../framing/wire.ts";
import type { CloseInfo, Transport } from "../peer/transport.ts";
import type { ConnectionInfo, Registry } from "../router/registry.ts";
import type { Broker } from "../pubsub/broker.ts";
import type { Subscriber } from "../pubsub/subscriber.ts";
import { Backpressure, type BackpressureOptions } from "./backpressure.ts";
import { ChannelHost } from "./channels.ts";
import { Connection, type ConnectionHost } from "./connection.ts";
import { DEFAULT_SERVER_HEARTBEAT, HeartbeatMonitor } from "./heartbeat.ts";
import type { SwitchboardOptions } from "./options.ts";
import { RateLimiter, type RateLimitOptions } from "./rate_limit.ts";
import { Services } from "./services.ts";
import { channelSubscriber } from "./sinks.ts";
import { SubscriberPort } from "./subscriber_port.ts";

/**
 * What the sessions share with their server.
 *
 * @example Types only
 * ```ts
 * import type { SessionShared } from "./sessions.ts";
 * const count = (shared: SessionShared): number => shared.traffic.bytesSent;
 * if (typeof count !== "function") throw new Error("unreachable");
 * ```
 */
export interface SessionShared {
  /** The procedures every session may call. */
  readonly procedures: Registry;
  /** Receiver limits. */
  readonly limits: Limits;
  /** Binary framing. */
  readonly framing: FramingOptions;
  /** The topic broker every session is attached to. */
  readonly pubsub: Broker;
  /** Traffic counters. */
  readonly traffic: { bytesSent: number; bytesReceived: number };
  /** The outgoing bound of every WebSocket. */
  readonly backpressure: BackpressureOptions;
  /** The rate limits of every WebSocket, if on. */
  readonly rateLimit: RateLimitOptions | undefined;
}

/**
 * A server's sessions.
 *
 * @example
 * ```ts
 * import { Sessions } from "./sessions.ts";
 * import { Registry } from "../router/registry.ts";
 * import { Broker } from "../pubsub/broker.ts";
 * import { DEFAULT_LIMITS } from "../protocol/limits.ts";
 * import { resolveFraming } from "../framing/wire.ts";
 * import { resolveBackpressure } from "./backpressure.ts";
 * const sessions = new Sessions({ heartbeat: false }, {
 *   procedures: new Registry(),
 *   limits: DEFAULT_LIMITS,
 *   framing: resolveFraming({}),
 *   pubsub: new Broker(),
 *   traffic: { bytesSent: 0, bytesReceived: 0 },
 *   backpressure: resolveBackpressure({}),
 *   rateLimit: undefined,
 * });
 * const sink = sessions.connection({ id: "c1", headers: new Headers(), data: {} });
 * sink.socketOpened({ send: () => {}, close: () => {} });
 * if (sessions.socketCount !== 1 || !sessions.peers.has("c1")) throw new Error("unreachable");
 * sessions.closeAll(1001, "bye");
 * ```
 */
export class Sessions {
  /** The per-connection services (`service()`) and their close hooks. */
  readonly services: Services = new Services();
  readonly #options: SwitchboardOptions;
  readonly #pubsub: Broker;
  readonly #peers = new Map<string, Peer>();
  readonly #heartbeat: HeartbeatMonitor | undefined;
  readonly #channels: ChannelHost;
  /** What connections call back into: traffic counters, peer creation, heartbeat. */
  readonly #host: ConnectionHost;
  /**
   * The options of every WebSocket's own session, and of every channel's: one object each,
   * so all sessions share their resolved values (lib/peer/peer.ts) and none makes a copy.
   */
  readonly #socketOptions: PeerOptions;
  readonly #channelOptions: PeerOptions;
  #sockets = 0;

  /**
   * @param options The server's options (hooks, heartbeat, channels, timeouts).
   * @param shared What the server's sessions share.
   */
  constructor(options: SwitchboardOptions, shared: SessionShared) {
    this.#options = options;
    this.#pubsub = shared.pubsub;
    const heartbeat = options.heartbeat ?? DEFAULT_SERVER_HEARTBEAT;
    this.#heartbeat = heartbeat === false ? undefined : new HeartbeatMonitor(heartbeat);
    this.#host = {
      traffic: shared.traffic,
      open: (connection) => this.#openPeer(connection),
      heartbeat: this.#heartbeat,
      backpressure: new Backpressure(shared.backpressure),
      rateLimit: shared.rateLimit === undefined ? undefined : new RateLimiter(shared.rateLimit),
    };
    const session: PeerOptions = {
      procedures: shared.procedures,
      framing: shared.framing,
      limits: shared.limits,
      exposeErrors: options.exposeErrors ?? false,
      timeout: options.timeout ?? 30_000,
      onError: options.onError,
      authorize: options.authorize,
    };
    this.#socketOptions = { ...session, binaryFrames: true, onClosed: this.#socketClosed };
    this.#channelOptions = { ...session, binaryFrames: false, onClosed: this.#sessionClosed };
    this.#channels = new ChannelHost(
      (transport, socket) => this.#openChannel(transport, socket),
      options.maxChannels ?? 16,
      (transport) => transport instanceof Connection,
    );
    this.#channels.register(shared.procedures);
  }

  /** The open sessions' peers (sockets and channels), by connection id. */
  get peers(): ReadonlyMap<string, Peer> {
    return this.#peers;
  }

  /** How many WebSockets are open (a multiplexed socket counts once). */
  get socketCount(): number {
    return this.#sockets;
  }

  /**
   * A new WebSocket connection, whose session opens with its socket.
   *
   * @param info The connection's id, headers and application data.
   * @returns The connection (a socket sink, Hono events and a transport).
   */
  connection(info: ConnectionInfo): Connection {
    return new Connection(info, this.#host);
  }

  /**
   * Close every session (pending calls reject on both sides).
   *
   * @param code The close code.
   * @param reason The reason.
   */
  closeAll(code: number, reason: string): void {
    for (const peer of [...this.#peers.values()]) peer.close(code, reason);
  }

  #openPeer(connection: Connection): Peer {
    const peer = this.#openSession(
      connection,
      connection.info,
      (peer) => new SubscriberPort(connection, peer),
      true,
    );
    this.#heartbeat?.add(peer, connection);
    this.#sockets++;
    return peer;
  }

  /** A channel of a multiplexed socket: a session of its own, text frames only. */
  #openChannel(transport: Transport, socket: Peer): Peer {
    const info: ConnectionInfo = {
      id: crypto.randomUUID(),
      headers: socket.info.headers,
      data: { ...socket.info.data },
    };
    return this.#openSession(
      transport,
      info,
      (peer) => channelSubscriber(info, transport, peer),
      false,
    );
  }

  /**
   * Create a session (a WebSocket's or a channel's): a peer with the server's procedures, in
   * `peers` and in the broker until it closes; runs the onOpen hook. Every session shares the
   * same option values and callbacks, so a session allocates no closures of its own.
   */
  #openSession(
    transport: Transport,
    info: ConnectionInfo,
    subscriber: Subscriber | ((peer: Peer) => Subscriber),
    binaryFrames: boolean,
  ): Peer {
    const options = binaryFrames ? this.#socketOptions : this.#channelOptions;
    const peer: Peer = new Peer(transport, options, info);
    this.#peers.set(info.id, peer);
    this.#pubsub.attach(typeof subscriber === "function" ? subscriber(peer) : subscriber);
    if (this.services.size > 0) {
      this.services.start(
        peer,
        (topic, data) => this.#pubsub.sendEvent(peer.info.id, topic, data),
        (error, where, peer) => this.#options.onError?.(error, where, peer),
      );
    }
    this.#options.onOpen?.(peer);
    return peer;
  }

  /** A session closed: out of `peers` and the broker, then the onClose hook. */
  readonly #sessionClosed = (closeInfo: CloseInfo, peer: Peer): void => {
    this.#pubsub.detach(peer.info.id);
    this.#peers.delete(peer.info.id);
    this.services.end(peer.info.id, closeInfo);
    this.#options.onClose?.(peer, closeInfo);
  };

  /** A WebSocket's own session closed: also its heartbeat and its channels. */
  readonly #socketClosed = (closeInfo: CloseInfo, peer: Peer): void => {
    this.#sockets--;
    this.#heartbeat?.remove(peer);
    this.#channels.detach(peer, closeInfo);
    this.#sessionClosed(closeInfo, peer);
  };
}

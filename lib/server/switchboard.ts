/**
 * The server: shared procedures, the set of connected peers, broadcast, and per-connection
 * hooks. Runtime-neutral: WebSocket upgrades come through an adapter, HTTP through
 * {@linkcode Switchboard.fetchHttp}.
 *
 * @module
 */

import type { Context as HonoContext } from "hono";
import type { WSEvents } from "hono/ws";
import { RpcError } from "../protocol/errors.ts";
import { type Limits, resolveLimits } from "../protocol/limits.ts";
import type { Params } from "../protocol/types.ts";
import { type Authorizer, Peer, type PeerOptions } from "../peer/peer.ts";
import { type FramingOptions, resolveFraming } from "../framing/wire.ts";
import { CloseCode, type CloseInfo, type Transport } from "../peer/transport.ts";
import {
  type ConnectionInfo,
  type Procedure,
  type ProcedureOptions,
  Registry,
} from "../router/registry.ts";
import type { Middleware } from "../router/middleware.ts";
import type { SocketSink } from "../adapters/adapter.ts";
import { registerBuiltins } from "./builtins.ts";
import { ChannelMethod } from "../protocol/channel.ts";
import { Backpressure, type BackpressureOptions, resolveBackpressure } from "./backpressure.ts";
import { RateLimiter, type RateLimitOptions, resolveRateLimit } from "./rate_limit.ts";
import { Connection, type ConnectionHost, SocketInfo } from "./connection.ts";
import { SubscriberPort } from "./subscriber_port.ts";
import { Broker, type BrokerOptions } from "../pubsub/broker.ts";
import type { Subscriber } from "../pubsub/subscriber.ts";
import type { TopicStart } from "../pubsub/lazy.ts";
import { registerPubSub } from "../pubsub/methods.ts";
import { handleHttpPost } from "./http.ts";
import { guardStateTopics, States } from "../state/states.ts";
import type { ServerState, StateOptions } from "../state/server_state.ts";
import type { StateValue } from "../state/protocol.ts";
import { ChannelHost } from "./channels.ts";
import {
  type ServiceFactory,
  type ServiceOptions,
  type ServiceSession,
  startService,
} from "./service.ts";
import {
  DEFAULT_SERVER_HEARTBEAT,
  HeartbeatMonitor,
  type ServerHeartbeatOptions,
} from "./heartbeat.ts";

/**
 * Options of a {@linkcode Switchboard}.
 *
 * @example
 * ```ts
 * import type { SwitchboardOptions } from "./switchboard.ts";
 * const options: SwitchboardOptions = {
 *   timeout: 5_000,
 *   onOpen: (peer) => console.log("open", peer.info.id),
 * };
 * if (options.timeout !== 5_000) throw new Error("unreachable");
 * ```
 */
export interface SwitchboardOptions {
  /** Default timeout of the server's calls into clients, in ms; 0 for none. Default 30,000. */
  readonly timeout?: number;
  /** Receiver limits per connection; see {@linkcode Limits}. */
  readonly limits?: Partial<Limits>;
  /** Reveal messages of non-RpcError errors in `error.data`. Default false. */
  readonly exposeErrors?: boolean;
  /** Chunk size and attachment limits of binary frames (docs/PROTOCOL.md §5). */
  readonly framing?: Partial<FramingOptions>;
  /**
   * Build a connection's application data from the upgrade (or HTTP) request: read a
   * header, a cookie, the authenticated user set by earlier middleware. Throw an
   * {@linkcode RpcError} to refuse the connection (HTTP 403 before any upgrade).
   */
  readonly context?: (
    c: HonoContext,
  ) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /**
   * Which of the upgrade request's headers a WebSocket connection keeps for its lifetime, as
   * `ConnectionInfo.headers`: none (`false`, the default), the names listed, or all (`true`).
   * The `context` hook sees every header either way: read what the connection needs there
   * (a user, a token) and keep it in its data, as the raw runtimes expect (Bun's and uWS's
   * `upgrade`, ws's `connection` event). Kept headers cost memory on every connection: all
   * of a plain handshake's cost ≈ 1.6 KB of heap on Deno (reading them makes the served
   * request, which Deno keeps as long as the socket, build its full header list) and a few
   * hundred bytes on Bun; a listed name costs its value. HTTP POST calls always see their
   * request's headers.
   */
  readonly keepHeaders?: boolean | readonly string[];
  /** Runs before each incoming call on every connection; see {@linkcode Authorizer}. */
  readonly authorize?: Authorizer;
  /** Runs when a WebSocket connection opens. */
  readonly onOpen?: (peer: Peer) => void;
  /** Runs when a WebSocket connection closes, after its pending calls were rejected. */
  readonly onClose?: (peer: Peer, info: CloseInfo) => void;
  /** Receives failures nobody awaits (procedures that threw non-RpcErrors, bad sends). */
  readonly onError?: (error: unknown, where: string, peer: Peer) => void;
  /** Topics: backplane, replay, limits, `authorize` hook; see {@linkcode BrokerOptions}. */
  readonly pubsub?: BrokerOptions;
  /** Serve the bundled client at `GET <path>/client.js` (types at `client.d.ts`). Default true. */
  readonly serveClient?: boolean;
  /**
   * Close WebSockets that stay silent: one timer for all, pinging (`rpc.ping`) those silent
   * for `interval` ms and closing (4000) those silent for `timeout` ms. Default
   * `{ interval: 30_000, timeout: 60_000 }`; `false` turns it off (for plain JSON-RPC clients
   * that neither talk nor answer requests for a minute).
   */
  readonly heartbeat?: ServerHeartbeatOptions | false;
  /**
   * Most channels a client may open on one WebSocket (multiplexing,
   * docs/PROTOCOL.md §13); 0 turns multiplexing off. Default 16.
   */
  readonly maxChannels?: number;
  /**
   * Bytes a WebSocket connection's socket may hold unsent (every outgoing frame counts:
   * answers, errors, stream items, events, calls, attachments). Over it for longer than
   * `slowConsumerGrace` ms, or over twice it at any time, the connection is closed with 4008
   * (slow consumer) and everything pending on it is rejected. Default 4 MiB; also read from
   * `pubsub.limits.maxBufferedBytes` when only that is given.
   */
  readonly maxBufferedBytes?: number;
  /**
   * Milliseconds a connection may stay over `maxBufferedBytes`. Default 100; also read from
   * `pubsub.limits.slowConsumerGrace` when only that is given.
   */
  readonly slowConsumerGrace?: number;
  /**
   * Rate limits per WebSocket connection: incoming frames and bytes per second, each with a
   * burst of one second's worth (lib/server/rate_limit.ts). Past one, the requests of a frame
   * are answered with -32029 instead of running; a connection that keeps sending a burst's
   * worth past it is closed with 4029. Default `{ messages: 20_000, bytes: 64 MiB }`; `false`
   * turns them off.
   */
  readonly rateLimit?: Partial<RateLimitOptions> | false;
}

/**
 * A Switchboard server: register procedures once, serve them over WebSocket and HTTP POST.
 *
 * @example Register, then mount on a Hono app through a runtime adapter
 * ```ts
 * import { Switchboard } from "./switchboard.ts";
 * const sb = new Switchboard();
 * sb.register("subtract", ([a, b]: number[]) => a! - b!, {
 *   params: ["minuend", "subtrahend"],
 * });
 * const res = await sb.fetchHttp(new Request("http://x/rpc", {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: '{"jsonrpc":"2.0","id":1,"method":"subtract","params":[42,23]}',
 * }));
 * if ((await res.json()).result !== 19) throw new Error("unreachable");
 * ```
 */
export class Switchboard {
  /** The procedures every connection may call. */
  readonly procedures: Registry = new Registry();
  /** The limits each connection enforces. */
  readonly limits: Limits;
  /** Chunking and attachment limits of binary frames. */
  readonly framing: FramingOptions;
  /** The outgoing bound of every WebSocket connection (`maxBufferedBytes`, grace). */
  readonly backpressure: BackpressureOptions;
  /** The rate limits of every WebSocket connection, or undefined when off. */
  readonly rateLimit: RateLimitOptions | undefined;
  /**
   * Bytes sent and received on this server's WebSocket connections since it started (UTF-16
   * code units for text frames, bytes for binary frames). For metrics; read-only by contract.
   */
  readonly traffic: { bytesSent: number; bytesReceived: number } = {
    bytesSent: 0,
    bytesReceived: 0,
  };
  /** The topic broker (subscriptions, lazy publishers, backplane). */
  readonly pubsub: Broker;
  /** The synced state objects (docs/PROTOCOL.md §14). */
  readonly states: States;

  readonly #options: SwitchboardOptions;
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
  /** The `keepHeaders` option, checked, names in lower case. */
  readonly #keepHeaders: boolean | readonly string[];
  readonly #channelOptions: PeerOptions;
  #sockets = 0;
  /** The per-connection services (`service()`), run for every session opened after. */
  readonly #services = new Map<ServiceFactory, ServiceOptions>();
  /** The `close` hooks of the services of each open session, by connection id. */
  readonly #serviceClosers = new Map<string, ((info: CloseInfo) => void)[]>();

  /** @param options Timeout, limits, hooks. */
  constructor(options: SwitchboardOptions = {}) {
    this.#options = options;
    this.#keepHeaders = checkKeepHeaders(options.keepHeaders);
    this.limits = resolveLimits(options.limits);
    this.framing = resolveFraming(options.framing);
    const pubsubLimits = options.pubsub?.limits;
    this.backpressure = resolveBackpressure({
      maxBufferedBytes: options.maxBufferedBytes ?? pubsubLimits?.maxBufferedBytes,
      slowConsumerGrace: options.slowConsumerGrace ?? pubsubLimits?.slowConsumerGrace,
    } as Partial<BackpressureOptions>);
    this.rateLimit = options.rateLimit === false ? undefined : resolveRateLimit(options.rateLimit);
    const channels = (options.maxChannels ?? 16) > 0 ? Object.values(ChannelMethod) : [];
    registerBuiltins(
      this.procedures,
      this.limits,
      (id) => this.pubsub.codecChanging(id),
      channels,
    );
    const authorize = guardStateTopics(options.pubsub?.authorize);
    this.pubsub = new Broker({ ...options.pubsub, authorize });
    registerPubSub(this.procedures, this.pubsub);
    this.states = new States(
      this.procedures,
      (topic, data) => this.pubsub.publish(topic, data),
      authorize,
      (error, where) => options.pubsub?.onError?.(error, where),
    );
    const heartbeat = options.heartbeat ?? DEFAULT_SERVER_HEARTBEAT;
    this.#heartbeat = heartbeat === false ? undefined : new HeartbeatMonitor(heartbeat);
    this.#host = {
      traffic: this.traffic,
      open: (connection) => this.#openPeer(connection),
      heartbeat: this.#heartbeat,
      backpressure: new Backpressure(this.backpressure),
      rateLimit: this.rateLimit === undefined ? undefined : new RateLimiter(this.rateLimit),
    };
    const session: PeerOptions = {
      procedures: this.procedures,
      framing: this.framing,
      limits: this.limits,
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
    this.#channels.register(this.procedures);
  }

  /** How many WebSockets are open (a multiplexed socket counts once; see `peers`). */
  get socketCount(): number {
    return this.#sockets;
  }

  /** Whether `GET <path>/client.js` serves the bundled client (option `serveClient`). */
  get servesClient(): boolean {
    return this.#options.serveClient ?? true;
  }

  /**
   * Create a named state object: clients sync a read-only copy of it and call its methods
   * as procedures `<name>.<method>` (docs/PROTOCOL.md §14).
   *
   * @param name A topic-style name (`counter`, `room.42`).
   * @param initial Its initial value, a plain object.
   * @param options Its methods.
   * @returns The state: `value`, `version`, `set`, `delete`, `replace`, `update`.
   * @example
   * ```ts
   * import { Switchboard } from "./switchboard.ts";
   * const sb = new Switchboard();
   * const counter = sb.state("counter", { count: 0 }, {
   *   methods: { increment: (state, [by = 1]: number[]) => state.set({ count: state.value.count + by }) },
   * });
   * counter.set({ count: 5 });
   * if (counter.version !== 1 || !sb.procedures.has("counter.increment")) throw new Error("unreachable");
   * ```
   */
  state<T extends StateValue>(name: string, initial: T, options?: StateOptions<T>): ServerState<T> {
    return this.states.create(name, initial, options);
  }

  /**
   * Publish an event to every subscriber of a topic (here and, through the backplane, on
   * other processes).
   *
   * @param topic An exact topic name.
   * @param data Any JSON value.
   * @returns The event's sequence number in the topic.
   * @example
   * ```ts
   * import { Switchboard } from "./switchboard.ts";
   * if (await new Switchboard().publish("news.today", "hi") !== 1) throw new Error("unreachable");
   * ```
   */
  publish(topic: string, data: unknown): Promise<number> {
    try {
      return Promise.resolve(this.pubsub.publish(topic, data));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Register a lazy publisher: `start` runs when a topic it covers gets its first
   * subscriber on this process; the cleanup it returns runs when the last one leaves.
   *
   * @param name An exact topic or a pattern such as `ticker.*`.
   * @param start The publisher.
   * @returns A function that unregisters it.
   * @example
   * ```ts
   * import { Switchboard } from "./switchboard.ts";
   * const off = new Switchboard().topic("ticker.*", ({ publish }) => {
   *   const timer = setInterval(() => publish(Math.random()), 100);
   *   return () => clearInterval(timer);
   * });
   * off();
   * ```
   */
  topic(name: string, start: TopicStart): () => void {
    return this.pubsub.topic(name, start);
  }

  /**
   * Send an event to one connection only (no sequence number, never replayed).
   *
   * @param peer The connection or its id.
   * @param topic An exact topic name.
   * @param data Any JSON value.
   * @returns False if no such WebSocket connection is open.
   * @example
   * ```ts
   * import { Switchboard } from "./switchboard.ts";
   * if (new Switchboard().sendEvent("nobody", "a.b", 1)) throw new Error("unreachable");
   * ```
   */
  sendEvent(peer: Peer | string, topic: string, data: unknown): boolean {
    return this.pubsub.sendEvent(typeof peer === "string" ? peer : peer.info.id, topic, data);
  }

  /**
   * Run a service for every connection opened from now on (each channel of a multiplexed
   * socket too): `factory` builds the connection's instance, whose `methods` become that
   * connection's own procedures (under `prefix.`), with `init` run at open (calls wait for an
   * async one) and `close` at close. State in the factory's closure lives as long as the
   * connection.
   *
   * @param factory Builds one connection's instance; gets its peer, info and `emit`.
   * @param options `prefix` of the method names, `exposeErrors` of every method.
   * @returns A function that stops running it for new connections.
   * @example A counter per connection
   * ```ts
   * import { Switchboard } from "./switchboard.ts";
   * const sb = new Switchboard();
   * const off = sb.service((session) => {
   *   let count = 0;
   *   return {
   *     init: () => session.emit("notice", "ready"),
   *     methods: { increment: () => ++count },
   *     close: () => console.log(session.info.id, "counted to", count),
   *   };
   * }, { prefix: "counter" });
   * off();
   * ```
   */
  service(factory: ServiceFactory, options: ServiceOptions = {}): () => void {
    if (typeof factory !== "function") {
      throw new TypeError("Switchboard: a service must be a factory function");
    }
    if (options.prefix !== undefined && typeof options.prefix !== "string") {
      throw new TypeError("Switchboard: a service's prefix must be a string");
    }
    this.#services.set(factory, options);
    return () => {
      this.#services.delete(factory);
    };
  }

  /**
   * The largest WebSocket frame a runtime should let through to this server: a message of
   * `maxMessageSize`, or a binary frame's message section plus up to `maxChunkBytes` of
   * attachment bytes and its header. Adapters that enforce a frame limit (Bun) use it.
   *
   * @example
   * ```ts
   * import { Switchboard } from "./switchboard.ts";
   * const sb = new Switchboard({ limits: { maxMessageSize: 1000 } });
   * if (sb.maxFrameSize <= 1000) throw new Error("binary frames need room for chunks");
   * ```
   */
  get maxFrameSize(): number {
    return this.limits.maxMessageSize + this.framing.maxChunkBytes + 16;
  }

  /** The connected WebSocket peers, by connection id. */
  get peers(): ReadonlyMap<string, Peer> {
    return this.#peers;
  }

  /**
   * Register a procedure for every connection.
   *
   * @param name The method name; `rpc.` names are reserved.
   * @param handler The procedure.
   * @param options How it takes its params.
   * @returns A function that unregisters it.
   * @example
   * ```ts
   * import { Switchboard } from "./switchboard.ts";
   * const sb = new Switchboard();
   * sb.register("sum", (p: number[]) => p.reduce((a, b) => a + b, 0));
   * if (!sb.procedures.has("sum")) throw new Error("unreachable");
   * ```
   */
  register<P = Params | undefined>(
    name: string,
    handler: Procedure<P>,
    options?: ProcedureOptions,
  ): () => void {
    return this.procedures.register(name, handler, options);
  }

  /**
   * Add middleware around every procedure of every connection (outside a connection's
   * own); see lib/router/middleware.ts for the order.
   *
   * @param middleware The middleware.
   * @returns A function that removes it.
   * @example
   * ```ts
   * import { Switchboard } from "./switchboard.ts";
   * const sb = new Switchboard();
   * sb.use(async (ctx, next) => {
   *   const started = Date.now();
   *   try {
   *     return await next();
   *   } finally {
   *     console.log(ctx.method, Date.now() - started, "ms");
   *   }
   * });
   * ```
   */
  use(middleware: Middleware): () => void {
    return this.procedures.use(middleware);
  }

  /**
   * Remove a shared procedure.
   *
   * @param name The method name.
   * @returns Whether it was registered.
   * @example
   * ```ts
   * import { Switchboard } from "./switchboard.ts";
   * if (new Switchboard().unregister("x")) throw new Error("unreachable");
   * ```
   */
  unregister(name: string): boolean {
    return this.procedures.unregister(name);
  }

  /**
   * Notify every connected peer (or those the filter keeps).
   *
   * @param method The notification's method.
   * @param params Its params.
   * @param filter Keep only the peers for which it returns true.
   * @returns How many peers it was sent to.
   * @example
   * ```ts
   * import { Switchboard } from "./switchboard.ts";
   * if (new Switchboard().broadcast("tick", [1]) !== 0) throw new Error("nobody is connected");
   * ```
   */
  broadcast(method: string, params?: Params, filter?: (peer: Peer) => boolean): number {
    let sent = 0;
    for (const peer of this.#peers.values()) {
      if (filter !== undefined && !filter(peer)) continue;
      if (peer.notify(method, params)) sent++;
    }
    return sent;
  }

  /**
   * Answer a JSON-RPC over HTTP POST request: one call or a batch per request.
   *
   * The body must be `application/json` (which also forces a CORS preflight for cross-site
   * browsers); a response of notifications only is `204 No Content`.
   *
   * @param request A POST request.
   * @param c The Hono context, passed to the `context` option when present.
   * @returns The HTTP response.
   * @example
   * ```ts
   * import { Switchboard } from "./switchboard.ts";
   * const res = await new Switchboard().fetchHttp(new Request("http://x/", {
   *   method: "POST",
   *   headers: { "content-type": "application/json" },
   *   body: '{"jsonrpc":"2.0","method":"hello"}',
   * }));
   * if (res.status !== 204) throw new Error("unreachable");
   * ```
   */
  async fetchHttp(request: Request, c?: HonoContext): Promise<Response> {
    let data: Record<string, unknown> = {};
    if (c !== undefined && this.#options.context !== undefined) {
      try {
        data = await this.#options.context(c);
      } catch (error) {
        return refusal(error);
      }
    }
    return handleHttpPost(request, {
      limits: this.limits,
      createPeer: (transport) =>
        new Peer(transport, {
          procedures: this.procedures,
          limits: this.limits,
          exposeErrors: this.#options.exposeErrors ?? false,
          negotiable: false,
          info: { id: crypto.randomUUID(), headers: request.headers, data },
          onError: this.#options.onError,
          authorize: this.#options.authorize,
        }),
    });
  }

  /**
   * Build the WebSocket event handlers for one upgrade request: pass this to Hono's
   * `upgradeWebSocket`. Throws the `context` option's refusal, which the adapter turns into
   * an HTTP 403. The object is also a `SocketSink` (lib/adapters/adapter.ts): the Deno and Bun
   * adapters drive it directly with the runtime's socket, other Hono adapters through its
   * `WSEvents`.
   *
   * @param c The Hono context of the upgrade request.
   * @returns WebSocket events (and a socket sink) bound to a new peer.
   * @example
   * ```ts
   * import { Switchboard } from "./switchboard.ts";
   * const sb = new Switchboard();
   * if (typeof sb.websocketEvents !== "function") throw new Error("unreachable");
   * ```
   */
  async websocketEvents(c: HonoContext): Promise<WSEvents & SocketSink> {
    const data = this.#options.context === undefined ? undefined : await this.#options.context(c);
    const info = new SocketInfo(crypto.randomUUID(), c.req.raw.headers, data, this.#keepHeaders);
    return new Connection(info, this.#host);
  }

  /**
   * The events of a WebSocket whose connection a host creates itself, with a known id and
   * data: a Durable Object restoring a socket after hibernation (lib/adapters/cloudflare.ts).
   * The `context` hook does not run; the host drives the returned sink with the socket.
   *
   * @param info The connection's id, headers and application data.
   * @returns A socket sink bound to a new peer once `socketOpened` is called.
   * @example
   * ```ts
   * import { Switchboard } from "./switchboard.ts";
   * const sink = new Switchboard().socketSink({ id: "c1", headers: new Headers(), data: {} });
   * if (typeof sink.socketOpened !== "function") throw new Error("unreachable");
   * ```
   */
  socketSink(info: ConnectionInfo): SocketSink {
    return new Connection(info, this.#host);
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
    // No sendEncoded: events carrying binary cannot reach a channel (reported by the broker).
    return this.#openSession(transport, info, (peer) => ({
      info,
      get codec() {
        return peer.wire.codec;
      },
      send: (frame) => transport.send(frame),
      bufferedAmount: () => transport.bufferedAmount?.() ?? 0,
      close: (code, reason) => peer.close(code, reason),
    }), false);
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
    this.pubsub.attach(typeof subscriber === "function" ? subscriber(peer) : subscriber);
    if (this.#services.size > 0) this.#startServices(peer);
    this.#options.onOpen?.(peer);
    return peer;
  }

  #startServices(peer: Peer): void {
    const session: ServiceSession = {
      peer,
      info: peer.info,
      emit: (topic, data) => this.sendEvent(peer, topic, data),
    };
    const report = (error: unknown, where: string, peer: Peer): void =>
      this.#options.onError?.(error, where, peer);
    const closers: ((info: CloseInfo) => void)[] = [];
    for (const [factory, options] of this.#services) {
      const close = startService(factory, options, session, report);
      if (close !== undefined) closers.push(close);
    }
    if (closers.length > 0) this.#serviceClosers.set(peer.info.id, closers);
  }

  /** A session closed: out of `peers` and the broker, then the onClose hook. */
  readonly #sessionClosed = (closeInfo: CloseInfo, peer: Peer): void => {
    this.pubsub.detach(peer.info.id);
    this.#peers.delete(peer.info.id);
    const closers = this.#serviceClosers.get(peer.info.id);
    if (closers !== undefined) {
      this.#serviceClosers.delete(peer.info.id);
      for (const close of closers) close(closeInfo);
    }
    this.#options.onClose?.(peer, closeInfo);
  };

  /** A WebSocket's own session closed: also its heartbeat and its channels. */
  readonly #socketClosed = (closeInfo: CloseInfo, peer: Peer): void => {
    this.#sockets--;
    this.#heartbeat?.remove(peer);
    this.#channels.detach(peer, closeInfo);
    this.#sessionClosed(closeInfo, peer);
  };

  /**
   * Close every WebSocket connection (pending calls reject on both sides).
   *
   * @param code The close code. Default 1001 (going away).
   * @param reason The reason. Default "Server shutting down".
   * @example
   * ```ts
   * import { Switchboard } from "./switchboard.ts";
   * new Switchboard().closeAll();
   * ```
   */
  closeAll(code: number = CloseCode.GoingAway, reason = "Server shutting down"): void {
    for (const peer of [...this.#peers.values()]) peer.close(code, reason);
  }
}

/**
 * Turn a `context` hook's refusal into an HTTP response.
 *
 * @param error What the hook threw.
 * @returns 403 with the error as a JSON-RPC error body (an RpcError keeps its message).
 */
export function refusal(error: unknown): Response {
  const body = error instanceof RpcError
    ? error.toJSON()
    : { code: -32603, message: "Connection refused" };
  return Response.json({ jsonrpc: "2.0", id: null, error: body }, { status: 403 });
}

/** The `keepHeaders` option, checked: a boolean, or header names (kept in lower case). */
function checkKeepHeaders(keep: unknown): boolean | readonly string[] {
  if (keep === undefined) return false;
  if (typeof keep === "boolean") return keep;
  if (Array.isArray(keep) && keep.every((name) => typeof name === "string" && isHeaderName(name))) {
    return Object.freeze([...new Set(keep.map((name: string) => name.toLowerCase()))]);
  }
  throw new TypeError(
    `Switchboard: keepHeaders must be a boolean or an array of header names: got ${
      JSON.stringify(keep)
    }`,
  );
}

/** An HTTP field name: one or more token characters (RFC 9110 §5.1). */
function isHeaderName(name: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name);
}

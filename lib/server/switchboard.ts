/**
 * The server: shared procedures, the set of connected peers, broadcast, and per-connection
 * hooks. Runtime-neutral: WebSocket upgrades come through an adapter, HTTP through
 * {@linkcode Switchboard.fetchHttp}.
 *
 * @module
 */

import type { Context as HonoContext } from "hono";
import type { WSEvents } from "hono/ws";
import { type Limits, resolveLimits } from "../protocol/limits.ts";
import type { Params } from "../protocol/types.ts";
import type { Peer } from "../peer/peer.ts";
import { type FramingOptions, resolveFraming } from "../framing/wire.ts";
import { CloseCode } from "../protocol/close_codes.ts";
import {
  type ConnectionInfo,
  type Procedure,
  type ProcedureOptions,
  Registry,
} from "../router/registry.ts";
import type { Middleware } from "../router/middleware.ts";
import type { SocketSink } from "./host.ts";
import { registerBuiltins } from "./builtins.ts";
import { CHANNEL_EXTENSIONS } from "./channels.ts";
import type { BackpressureOptions } from "./backpressure.ts";
import type { RateLimitOptions } from "./rate_limit.ts";
import {
  checkKeepHeaders,
  resolveServerBackpressure,
  resolveServerRateLimit,
  type SwitchboardOptions,
} from "./options.ts";
import { SocketInfo } from "./connection.ts";
import { Broker } from "../pubsub/broker.ts";
import type { TopicStart } from "../pubsub/lazy.ts";
import { registerPubSub } from "../pubsub/methods.ts";
import { refusal, serveHttpPost } from "./sinks.ts";
import { guardStateTopics, States } from "../state/states.ts";
import type { ServerState, StateOptions } from "../state/server_state.ts";
import type { StateValue } from "../state/protocol.ts";
import { Sessions } from "./sessions.ts";
import type { ServiceFactory, ServiceOptions } from "./service.ts";

export type { SwitchboardOptions } from "./options.ts";
export { refusal } from "./sinks.ts";

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
  /** The synced state objects (docs/PROTOCOL.md §9). */
  readonly states: States;

  readonly #options: SwitchboardOptions;
  /** The sessions: sockets, channels, their peers, heartbeat and services. */
  readonly #sessions: Sessions;
  /** The `keepHeaders` option, checked, names in lower case. */
  readonly #keepHeaders: boolean | readonly string[];

  /** @param options Timeout, limits, hooks. */
  constructor(options: SwitchboardOptions = {}) {
    this.#options = options;
    this.#keepHeaders = checkKeepHeaders(options.keepHeaders);
    this.limits = resolveLimits(options.limits);
    this.framing = resolveFraming(options.framing);
    this.backpressure = resolveServerBackpressure(options);
    this.rateLimit = resolveServerRateLimit(options);
    const channels = (options.maxChannels ?? 16) > 0 ? CHANNEL_EXTENSIONS : [];
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
    this.#sessions = new Sessions(options, {
      procedures: this.procedures,
      limits: this.limits,
      framing: this.framing,
      pubsub: this.pubsub,
      traffic: this.traffic,
      backpressure: this.backpressure,
      rateLimit: this.rateLimit,
    });
  }

  /** How many WebSockets are open (a multiplexed socket counts once; see `peers`). */
  get socketCount(): number {
    return this.#sessions.socketCount;
  }

  /** Whether `GET <path>/client.js` serves the bundled client (option `serveClient`). */
  get servesClient(): boolean {
    return this.#options.serveClient ?? true;
  }

  /**
   * Create a named state object: clients sync a read-only copy of it and call its methods
   * as procedures `<name>.<method>` (docs/PROTOCOL.md §9).
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
    return this.#sessions.services.add(factory, options);
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
    return this.#sessions.peers;
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
    for (const peer of this.#sessions.peers.values()) {
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
    return serveHttpPost(request, data, this.limits, this.procedures, this.#options);
  }

  /**
   * Build the WebSocket event handlers for one upgrade request: pass this to Hono's
   * `upgradeWebSocket`. Throws the `context` option's refusal, which the adapter turns into
   * an HTTP 403. The object is also a `SocketSink` (lib/server/host.ts): the Deno and Bun
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
    return this.#sessions.connection(info);
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
    return this.#sessions.connection(info);
  }

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
    this.#sessions.closeAll(code, reason);
  }
}

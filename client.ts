/**
 * The Switchboard client: `connect(url)` on any runtime with a standard WebSocket (Deno,
 * Bun, browsers, Workers, Node 22).
 *
 * @example Call a procedure
 * ```ts ignore
 * import { connect } from "./client.ts";
 * const client = connect("ws://127.0.0.1:8000/rpc");
 * console.log(await client.call("subtract", [42, 23])); // 19
 * client.close();
 * ```
 *
 * @example Stay connected: reconnect, resume subscriptions, retry idempotent calls
 * ```ts ignore
 * import { connect } from "./client.ts";
 * const client = connect("ws://127.0.0.1:8000/rpc", { reconnect: { max: 10_000 } });
 * client.on("disconnected", ({ code }) => console.log("lost the server", code));
 * client.subscribe("ticker.ACME", (price) => console.log(price), {
 *   onGap: () => console.log("missed too much: refetch"),
 * });
 * await client.call("getQuote", ["ACME"], { idempotent: true });
 * ```
 *
 * @module
 */

// Structure. A client outlives its sockets: it owns a long-lived Registry (its procedures
// and middleware), its Subscriptions, an Outbox of calls made while no socket exists, and
// its events. Each socket (or multiplexed channel) gets a NEW Peer whose registry has the
// client's as parent. A new peer per socket, rather than one peer over a reconnecting
// transport, because everything a peer holds is tied to one connection: pending calls (a
// response can only come back on the socket that carried the request), running calls,
// streams, the negotiated codec (`rpc.hello` is redone per socket), binary reassembly. When
// a socket dies its peer rejects all of that at once, through the peer's one close path, and
// the client decides per call: never sent (the socket never opened) -> send again; sent and
// `idempotent` -> send again once; otherwise -> -32007 (unknown outcome).

import type { Codec } from "./lib/codec/codec.ts";
import { jsonCodec } from "./lib/codec/json.ts";
import type { FramingOptions } from "./lib/framing/wire.ts";
import type { HelloResult } from "./lib/protocol/extensions.ts";
import { VERSION } from "./lib/version.ts";
import type { Limits } from "./lib/protocol/limits.ts";
import type { Params } from "./lib/protocol/types.ts";
import { ErrorCode, RpcError } from "./lib/protocol/errors.ts";
import { type BatchEntry, type CallOptions, type ErrorReporter, Peer } from "./lib/peer/peer.ts";
import type { StreamOptions } from "./lib/peer/peer.ts";
import type { StreamCall } from "./lib/peer/stream_call.ts";
import type { Middleware } from "./lib/router/middleware.ts";
import type { CloseInfo } from "./lib/peer/transport.ts";
import type { ConnectionInfo, Procedure, ProcedureOptions } from "./lib/router/registry.ts";
import {
  type SocketClose,
  SocketTransport,
  type WebSocketConstructor,
} from "./lib/client/socket_transport.ts";
import { Registry } from "./lib/router/registry.ts";
import {
  type EventHandler,
  type SubscribeOptions,
  type Subscription,
  Subscriptions,
} from "./lib/client/subscriptions.ts";
import { PubSubMethod } from "./lib/pubsub/protocol.ts";
import { backoffDelay, type BackoffOptions, resolveBackoff } from "./lib/client/backoff.ts";
import type { ResolvedBackoff } from "./lib/client/backoff.ts";
import { Emitter } from "./lib/client/emitter.ts";
import { checkHeartbeat, type HeartbeatOptions, startHeartbeat } from "./lib/client/heartbeat.ts";
import type { Link } from "./lib/client/link.ts";
import { openChannel } from "./lib/client/multiplex.ts";
import { type Job, Outbox } from "./lib/client/outbox.ts";
import { startTimeout, stopTimer } from "./lib/client/timers.ts";

/**
 * Options of {@linkcode connect}.
 *
 * @example
 * ```ts
 * import type { ClientOptions } from "./client.ts";
 * const options: ClientOptions = { timeout: 5_000, maxQueued: 100, reconnect: { max: 5_000 } };
 * if (options.timeout !== 5_000) throw new Error("unreachable");
 * ```
 */
export interface ClientOptions {
  /** A WebSocket implementation to use instead of the global one. */
  readonly WebSocket?: WebSocketConstructor;
  /** Subprotocols to offer. */
  readonly protocols?: string | string[];
  /** Default call timeout in ms; 0 for none. Default 30,000. */
  readonly timeout?: number;
  /**
   * Messages held while connecting or reconnecting; past it, calls reject with -32005.
   * Default 1,000.
   */
  readonly maxQueued?: number;
  /** Limits on what the server sends this client. */
  readonly limits?: Partial<Limits> | undefined;
  /** Reveal messages of non-RpcError errors thrown by this client's procedures. */
  readonly exposeErrors?: boolean | undefined;
  /**
   * The codec, e.g. `superjsonCodec`. Default JSON. Any other codec is negotiated with
   * `rpc.hello` as the first frame (of every socket); if the server does not agree, the
   * client falls back to JSON.
   */
  readonly codec?: Codec;
  /**
   * Send and receive binary attachments (Uint8Array, ArrayBuffer, typed arrays, Blob) as
   * binary frames, negotiated with `rpc.hello` as the first frame. Default false. Not with
   * `multiplex`.
   */
  readonly binary?: boolean;
  /** Chunk size and attachment limits of binary frames. */
  readonly framing?: Partial<FramingOptions>;
  /** Where unawaited failures go (a notification handler that threw, a stray response). */
  readonly onError?: ErrorReporter | undefined;
  /**
   * Reconnect when the connection drops, with exponential backoff and full jitter: `true`
   * for the defaults of {@linkcode BackoffOptions}, or the options. Default false: the
   * client closes with its connection.
   */
  readonly reconnect?: boolean | BackoffOptions;
  /**
   * While reconnecting, reject calls at once with -32001 instead of queueing them.
   * Default false.
   */
  readonly failFast?: boolean;
  /**
   * Ping the server (`rpc.ping`) every `interval` ms and drop the connection (close code
   * 4000) when no answer comes within `timeout` ms, to detect half-open connections.
   * Default `{ interval: 15_000, timeout: 10_000 }` when `reconnect` is on, else off;
   * `false` turns it off.
   */
  readonly heartbeat?: HeartbeatOptions | false;
  /**
   * Share one WebSocket with the other multiplexed clients of the same URL (each gets its own
   * channel: a separate session on the server). Default false. See
   * docs/RESILIENCE_PROTOCOL.md.
   */
  readonly multiplex?: boolean;
}

/**
 * Options of one call of a {@linkcode Client}.
 *
 * @example
 * ```ts
 * import type { ClientCallOptions } from "./client.ts";
 * const options: ClientCallOptions = { idempotent: true, timeout: 1_000 };
 * if (!options.idempotent) throw new Error("unreachable");
 * ```
 */
export interface ClientCallOptions extends CallOptions {
  /**
   * The procedure may safely run twice: if the connection drops before its response, send it
   * again once reconnected instead of rejecting with -32007. Default false.
   */
  readonly idempotent?: boolean;
}

/**
 * Where a client is in its life (ROPE's names): `CONNECTING` (opening a socket, or waiting
 * to reconnect), `OPEN` (socket open, hello and resubscriptions under way), `CONNECTED`
 * (the server's initial answers arrived), `CLOSING` (`close()` was called), `CLOSED`.
 *
 * @example
 * ```ts
 * import type { ConnectionState } from "./client.ts";
 * const state: ConnectionState = "CONNECTED";
 * if (state !== "CONNECTED") throw new Error("unreachable");
 * ```
 */
export type ConnectionState = "CONNECTING" | "OPEN" | "CONNECTED" | "CLOSING" | "CLOSED";

/**
 * The events of a {@linkcode Client} and their payloads.
 *
 * @example
 * ```ts
 * import type { ClientEvents } from "./client.ts";
 * const payload: ClientEvents["reconnecting"] = { attempt: 0, delay: 120 };
 * if (payload.delay !== 120) throw new Error("unreachable");
 * ```
 */
export interface ClientEvents {
  /** The first `connected` after `open()` (or `connect()`). */
  readonly open: { readonly url: string };
  /** The client is closed for good: `close()` was called, or reconnection gave up. */
  readonly close: CloseInfo;
  /** A socket is ready: hello answered, subscriptions restored. */
  readonly connected: {
    readonly hello: HelloResult | undefined;
    /** False for the first connection after `open()`. */
    readonly reconnected: boolean;
  };
  /** A connected socket was lost. */
  readonly disconnected: CloseInfo & { readonly willReconnect: boolean };
  /** The client waits `delay` ms before attempt number `attempt` (0 first). */
  readonly reconnecting: { readonly attempt: number; readonly delay: number };
  /** A failure nobody awaits (the same as the `onError` option). */
  readonly error: { readonly error: unknown; readonly where: string };
  /** A socket (or, multiplexed, this client's channel) opened. */
  readonly websocketOpen: { readonly url: string };
  /** A socket (or, multiplexed, this client's channel) closed. */
  readonly websocketClose: SocketClose;
}

/** One connection attempt: its link and the peer that speaks over it. */
interface Session {
  readonly link: Link;
  readonly peer: Peer;
  readonly hello: Promise<HelloResult | undefined>;
}

/** A call or notification made while no socket exists, run on the next one. */
interface ClientJob extends Job {
  /** Send it; `timeout` is what remains of its own (undefined: not delayed, use its options). */
  run(peer: Peer, timeout: number | undefined): void;
  /** Whether it waited (in the outbox or for a resend): its timeout is then what remains. */
  delayed: boolean;
}

const DEFAULT_TIMEOUT = 30_000;
const DEFAULT_HEARTBEAT: HeartbeatOptions = Object.freeze({ interval: 15_000, timeout: 10_000 });

/**
 * A connection to a Switchboard server (or any JSON-RPC 2.0 WebSocket server).
 *
 * Calls made before the socket opens are queued, not lost. The server can call the
 * procedures this client registers. With `reconnect`, the client survives its sockets: see
 * {@linkcode ClientOptions.reconnect}.
 *
 * @example
 * ```ts ignore
 * import { connect } from "./client.ts";
 * const client = connect("ws://127.0.0.1:8000/rpc");
 * client.register("whoami", () => "a browser tab");
 * await client.ready;
 * const sum = await client.call("sum", [1, 2, 4]);
 * ```
 */
export class Client {
  /** This client's topic subscriptions (last sequence numbers, resume params). */
  readonly subscriptions: Subscriptions;

  readonly #options: ClientOptions;
  readonly #registry = new Registry();
  readonly #events: Emitter<ClientEvents>;
  readonly #outbox: Outbox<ClientJob>;
  readonly #backoff: ResolvedBackoff | undefined;
  readonly #heartbeat: HeartbeatOptions | undefined;
  readonly #timeout: number;
  #url: string;
  #state: ConnectionState = "CLOSED";
  #session: Session | undefined;
  #attempt = 0;
  #connectedAt = 0;
  #everConnected = false;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #stopHeartbeat: (() => void) | undefined;
  #closeRequest: { code: number | undefined; reason: string | undefined } | undefined;
  #ready!: Promise<void>;
  #resolveReady!: () => void;
  #rejectReady!: (error: unknown) => void;
  #closed!: Promise<CloseInfo>;
  #resolveClosed!: (info: CloseInfo) => void;

  /**
   * @param url The server's WebSocket URL (`ws:`, `wss:`, or `http(s):`).
   * @param options See {@linkcode ClientOptions}.
   */
  constructor(url: string | URL, options: ClientOptions = {}) {
    if (options.multiplex && options.binary) {
      throw new TypeError("Switchboard: binary frames are not available with multiplex");
    }
    this.#url = String(url);
    this.#options = options;
    this.#timeout = options.timeout ?? DEFAULT_TIMEOUT;
    const reconnect = options.reconnect ?? false;
    this.#backoff = reconnect === false
      ? undefined
      : resolveBackoff(reconnect === true ? {} : reconnect);
    const heartbeat = options.heartbeat ??
      (this.#backoff === undefined ? false : DEFAULT_HEARTBEAT);
    this.#heartbeat = heartbeat === false ? undefined : checkHeartbeat(heartbeat);
    this.#events = new Emitter((error, where) => this.#report(error, where, false));
    this.#outbox = new Outbox(options.maxQueued ?? 1000);
    this.subscriptions = new Subscriptions(
      { call: (method, params) => this.call(method, params, { idempotent: true, timeout: 0 }) },
      (error, where) => this.#report(error, where),
    );
    this.#registry.registerReserved(PubSubMethod.Event, (params) => {
      this.subscriptions.handleEvent(params);
    });
    this.open();
  }

  /** The URL connected to. */
  get url(): string {
    return this.#url;
  }

  /** Where the client is in its life; see {@linkcode ConnectionState}. */
  get state(): ConnectionState {
    return this.#state;
  }

  /**
   * Resolves when the client is first connected after `open()` (socket open, hello done,
   * subscriptions restored); rejects if the client closes first.
   */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /**
   * The current socket's `rpc.hello` answer, or `undefined` when no hello was needed or the
   * server does not know `rpc.hello` (plain JSON then).
   */
  get hello(): Promise<HelloResult | undefined> {
    return this.#session?.hello ?? Promise.resolve(undefined);
  }

  /** Resolves once the client is closed for good (see the `close` event). */
  get closed(): Promise<CloseInfo> {
    return this.#closed;
  }

  /** Facts about the current connection (its id, application data). */
  get info(): ConnectionInfo {
    return this.#session!.peer.info;
  }

  /** True once the client is closed for good. */
  get isClosed(): boolean {
    return this.#state === "CLOSED";
  }

  /** How many calls await a response on the current socket. */
  get pendingCalls(): number {
    return this.#session?.peer.pendingCalls ?? 0;
  }

  /** How many calls wait for a socket (made while reconnecting). */
  get queuedCalls(): number {
    return this.#outbox.size;
  }

  /**
   * Listen to an event of this client.
   *
   * @param name The event; see {@linkcode ClientEvents}.
   * @param listener Receives its payload.
   * @returns A function that removes the listener.
   */
  on<K extends keyof ClientEvents>(
    name: K,
    listener: (payload: ClientEvents[K]) => void,
  ): () => void {
    return this.#events.on(name, listener);
  }

  /**
   * Remove a listener.
   *
   * @param name The event.
   * @param listener The listener.
   * @returns Whether it was registered.
   */
  off<K extends keyof ClientEvents>(
    name: K,
    listener: (payload: ClientEvents[K]) => void,
  ): boolean {
    return this.#events.off(name, listener);
  }

  /**
   * How many event listeners are registered (for leak checks).
   *
   * @returns The count.
   */
  listenerCount(): number {
    return this.#events.listenerCount();
  }

  /**
   * Open the client again after `close()` (`connect()` opens it the first time).
   *
   * @param url Another URL to connect to. Default: the last one.
   * @throws {Error} If the client is not closed.
   */
  open(url?: string | URL): void {
    if (this.#state !== "CLOSED") {
      throw new Error(`Switchboard: the client is already open (${this.#state}); close it first`);
    }
    if (url !== undefined) this.#url = String(url);
    this.#closeRequest = undefined;
    this.#attempt = 0;
    this.#everConnected = false;
    this.#ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // Nobody may await `ready`; the failure is also reported through `closed`.
    this.#ready.catch(() => {});
    this.#closed = new Promise((resolve) => this.#resolveClosed = resolve);
    this.#connect();
  }

  /**
   * Call a procedure on the server and await its result.
   *
   * @param method The method.
   * @param params Params by position or by name.
   * @param options Timeout, abort signal, `idempotent`.
   * @returns The result; rejects with an {@linkcode RpcError}.
   */
  call(method: string, params?: Params, options?: ClientCallOptions): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timeout = options?.timeout ?? this.#timeout;
      const job: ClientJob = {
        method,
        deadline: timeout === 0 ? Infinity : Date.now() + timeout,
        idempotent: options?.idempotent ?? false,
        retried: false,
        signal: options?.signal,
        fail: reject,
        delayed: false,
        run: (peer, remaining) => {
          // Not delayed: the user's own options, so the default timeout uses the pending
          // table's shared timer instead of one timer per call.
          const callOptions = remaining === undefined
            ? options
            : options?.signal === undefined
            ? { timeout: remaining }
            : { timeout: remaining, signal: options.signal };
          peer.call(method, params, callOptions).then(resolve, (error: unknown) => {
            this.#afterDrop(job, peer, error);
          });
        },
      };
      this.#submit(job);
    });
  }

  /**
   * Call a procedure on the server that streams its result; iterate the items. Streams are
   * not queued while reconnecting: they fail with -32001 until a socket exists.
   *
   * @param method The method.
   * @param params Params by position or by name.
   * @param options Credit (window), timeout (none by default), abort signal.
   * @returns The stream; `result` is the final response. Breaking out cancels the call.
   */
  stream<T = unknown, R = unknown>(
    method: string,
    params?: Params,
    options?: StreamOptions,
  ): StreamCall<T, R> {
    return this.#session!.peer.stream(method, params, options);
  }

  /**
   * Add middleware around the procedures this client serves to the server.
   *
   * @param middleware The middleware.
   * @returns A function that removes it.
   */
  use(middleware: Middleware): () => void {
    return this.#registry.use(middleware);
  }

  /**
   * Send a notification (queued while reconnecting).
   *
   * @param method The method.
   * @param params Its params.
   * @returns False if the client is closed or the queue is full.
   */
  notify(method: string, params?: Params): boolean {
    const peer = this.#livePeer();
    if (peer !== undefined) return peer.notify(method, params);
    if (!this.#queueing()) return false;
    let ok = true;
    this.#outbox.hold({
      method,
      deadline: Infinity,
      idempotent: false,
      retried: false,
      signal: undefined,
      fail: () => ok = false,
      delayed: true,
      run: (next) => void next.notify(method, params),
    });
    return ok;
  }

  /**
   * Send several calls and notifications in one frame. Batches are never resent: when the
   * socket drops, their calls settle with -32001.
   *
   * @param entries The entries, in order.
   * @param options Timeout and abort signal for each call.
   * @returns One settled result per entry.
   */
  batch(
    entries: readonly BatchEntry[],
    options?: CallOptions,
  ): Promise<PromiseSettledResult<unknown>[]> {
    const peer = this.#livePeer();
    if (peer !== undefined || !this.#queueing()) {
      return (peer ?? this.#session!.peer).batch(entries, options);
    }
    return new Promise((resolve, reject) => {
      this.#outbox.hold({
        method: "batch",
        deadline: Infinity,
        idempotent: false,
        retried: false,
        signal: undefined,
        fail: reject,
        delayed: true,
        run: (next) => void next.batch(entries, options).then(resolve),
      });
    });
  }

  /**
   * Register a procedure the server may call (kept across reconnections).
   *
   * @param name The method name.
   * @param handler The procedure.
   * @param options How it takes its params.
   * @returns A function that unregisters it.
   */
  register<P = Params | undefined>(
    name: string,
    handler: Procedure<P>,
    options?: ProcedureOptions,
  ): () => void {
    return this.#registry.register(name, handler, options);
  }

  /**
   * Remove a procedure.
   *
   * @param name The method name.
   * @returns Whether it was registered.
   */
  unregister(name: string): boolean {
    return this.#registry.unregister(name);
  }

  /**
   * Subscribe to a topic or pattern (`*` one segment, a final `**` one or more). Several
   * handlers of one topic share one server subscription. After a reconnection the
   * subscription is restored and exact topics resume after their last sequence number.
   *
   * @param topic A topic or pattern.
   * @param handler Receives `(data, event)` for each event.
   * @param options `since` to resume, `onGap` to learn that a resume needs a resync.
   * @returns The subscription: `ready` and `unsubscribe()`.
   */
  subscribe(topic: string, handler: EventHandler, options?: SubscribeOptions): Subscription {
    return this.subscriptions.subscribe(topic, handler, options);
  }

  /**
   * Publish an event, where the server allows it. The publisher does not receive its own
   * event unless `echo` is set.
   *
   * @param topic An exact topic.
   * @param data Any JSON value.
   * @param options `echo: true` to receive it too.
   * @returns The event's sequence number.
   */
  async publish(topic: string, data: unknown, options?: { echo?: boolean }): Promise<number> {
    const params = options?.echo ? { topic, data, echo: true } : { topic, data };
    const result = await this.call(PubSubMethod.Publish, params) as { seq: number };
    return result.seq;
  }

  /**
   * Close the client (and its socket, or its channel of a shared socket); pending and queued
   * calls reject with -32001. Idempotent; `open()` opens it again.
   *
   * @param code 1000 or 3000-4999. Default 1000.
   * @param reason A short reason.
   */
  close(code?: number, reason?: string): void {
    if (this.#state === "CLOSED" || this.#state === "CLOSING") return;
    this.#closeRequest = { code, reason };
    this.#setState("CLOSING");
    stopTimer(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#outbox.failAll(
      new RpcError(ErrorCode.ConnectionClosed, "Switchboard: the client was closed"),
    );
    const session = this.#session;
    if (session !== undefined && !session.peer.isClosed) session.peer.close(code, reason);
    else this.#finish({ code: code ?? 1000, reason: reason ?? "", local: true });
  }

  // ---- connection lifecycle ----

  #connect(): void {
    this.#reconnectTimer = undefined;
    this.#setState("CONNECTING");
    const hooks = {
      onOpen: () => {
        if (this.#session === session && !session.peer.isClosed) this.#setState("OPEN");
        this.#events.emit("websocketOpen", { url: this.#url });
      },
      onClose: (event: SocketClose) => this.#events.emit("websocketClose", event),
    };
    const resumeCount = this.subscriptions.resumeParams().length;
    const link: Link = this.#options.multiplex
      ? openChannel(this.#url, this.#options, hooks)
      : new SocketTransport(this.#url, {
        ...this.#options,
        // The outbox enforces maxQueued; the socket also holds hello and resubscriptions.
        maxQueued: (this.#options.maxQueued ?? 1000) + resumeCount + 1,
        ...hooks,
      });
    const peer = new Peer(link, {
      ...this.#options,
      procedures: this.#registry,
      onError: (error, where) => this.#report(error, where),
    });
    link.attach(peer);
    const session: Session = { link, peer, hello: this.#sayHello(peer) };
    this.#session = session;
    // Queued behind the hello: resubscriptions, then calls made while disconnected.
    const resumed = resumeCount === 0
      ? Promise.resolve()
      : this.subscriptions.resume((method, params) => peer.call(method, params, { timeout: 0 }));
    for (const job of this.#outbox.take()) this.#runOn(peer, job);
    Promise.all([link.opened, session.hello, resumed]).then(
      ([, hello]) => this.#connected(session, hello),
      () => {/* The peer closed first: handled by #lost. */},
    );
    peer.closed.then((info) => this.#lost(session, info));
  }

  #sayHello(peer: Peer): Promise<HelloResult | undefined> {
    const codec = this.#options.codec ?? jsonCodec;
    const binary = this.#options.binary ?? false;
    if (codec.name === "json" && !binary) return Promise.resolve(undefined);
    const codecs = codec.name === "json" ? ["json"] : [codec.name, "json"];
    const hello = peer.call("rpc.hello", {
      codecs,
      binary,
      client: `switchboard/${VERSION}`,
    }, { timeout: 0 }).then(
      (result) => {
        const answer = result as HelloResult;
        peer.wire.use(
          answer.codec === codec.name ? codec : jsonCodec,
          binary && answer.binary === true,
        );
        return answer;
      },
      (error: unknown) => {
        if (peer.isClosed) throw error;
        peer.wire.use(jsonCodec, false);
        return undefined;
      },
    );
    hello.catch(() => {});
    return hello;
  }

  #connected(session: Session, hello: HelloResult | undefined): void {
    if (this.#session !== session || session.peer.isClosed) return;
    this.#setState("CONNECTED");
    this.#connectedAt = Date.now();
    const reconnected = this.#everConnected;
    this.#everConnected = true;
    if (this.#heartbeat !== undefined) {
      this.#stopHeartbeat = startHeartbeat(session.peer, this.#heartbeat);
    }
    if (!reconnected) {
      this.#resolveReady();
      this.#events.emit("open", { url: this.#url });
    }
    this.#events.emit("connected", { hello, reconnected });
  }

  #lost(session: Session, info: CloseInfo): void {
    if (this.#session !== session) return;
    this.#stopHeartbeat?.();
    this.#stopHeartbeat = undefined;
    const wasConnected = this.#state === "CONNECTED";
    if (this.#closeRequest !== undefined || this.#backoff === undefined) {
      if (wasConnected) this.#events.emit("disconnected", { ...info, willReconnect: false });
      this.#finish(info);
      return;
    }
    const backoff = this.#backoff;
    if (wasConnected && Date.now() - this.#connectedAt >= backoff.stableAfter) this.#attempt = 0;
    const willReconnect = this.#attempt < backoff.maxAttempts;
    if (wasConnected) this.#events.emit("disconnected", { ...info, willReconnect });
    if (!willReconnect) {
      this.#finish(info);
      return;
    }
    const attempt = this.#attempt++;
    const delay = backoffDelay(attempt, backoff);
    this.#setState("CONNECTING");
    this.#events.emit("reconnecting", { attempt, delay });
    if (this.#state === "CONNECTING" && this.#reconnectTimer === undefined) {
      this.#reconnectTimer = startTimeout(() => this.#connect(), delay);
    }
  }

  #finish(info: CloseInfo): void {
    if (this.#state === "CLOSED") return;
    this.#setState("CLOSED");
    this.#outbox.failAll(
      new RpcError(ErrorCode.ConnectionClosed, "Switchboard: connection closed", {
        code: info.code,
        reason: info.reason,
      }),
    );
    this.#rejectReady(
      new RpcError(ErrorCode.ConnectionClosed, "Switchboard: connection failed", {
        code: info.code,
        reason: info.reason,
      }),
    );
    this.#resolveClosed(info);
    this.#events.emit("close", info);
  }

  #setState(state: ConnectionState): void {
    this.#state = state;
  }

  // ---- calls across sockets ----

  /** The current peer if calls can go to it now (it may still be connecting). */
  #livePeer(): Peer | undefined {
    const peer = this.#session?.peer;
    return peer !== undefined && !peer.isClosed && this.#state !== "CLOSING" ? peer : undefined;
  }

  /** Whether calls without a socket wait for the next one. */
  #queueing(): boolean {
    return this.#state === "CONNECTING" && this.#backoff !== undefined &&
      !(this.#options.failFast ?? false);
  }

  #submit(job: ClientJob): void {
    const peer = this.#livePeer();
    if (peer !== undefined) this.#runOn(peer, job);
    else if (this.#queueing()) {
      job.delayed = true;
      this.#outbox.hold(job);
    } else if (
      this.#session !== undefined && this.#state !== "CLOSED" && this.#backoff === undefined
    ) {
      // Not reconnecting: let the closed peer produce the usual -32001 (with its close code).
      job.run(this.#session.peer, undefined);
    } else if (this.#state !== "CLOSED") {
      job.fail(
        new RpcError(ErrorCode.ConnectionClosed, "Switchboard: not connected (reconnecting)"),
      );
    } else {
      job.fail(new RpcError(ErrorCode.ConnectionClosed, "Switchboard: the client is closed"));
    }
  }

  #runOn(peer: Peer, job: ClientJob): void {
    if (!job.delayed) {
      job.run(peer, undefined);
      return;
    }
    const remaining = job.deadline === Infinity ? 0 : job.deadline - Date.now();
    if (job.deadline !== Infinity && remaining <= 0) {
      job.fail(new RpcError(ErrorCode.Timeout, `Switchboard: ${job.method} timed out`));
      return;
    }
    job.run(peer, remaining);
  }

  /** A call failed: if its socket died under it, decide between resending and -32007. */
  #afterDrop(job: ClientJob, peer: Peer, error: unknown): void {
    const dropped = error instanceof RpcError && error.code === ErrorCode.ConnectionClosed &&
      peer.isClosed && this.#backoff !== undefined && this.#closeRequest === undefined;
    if (!dropped) {
      job.fail(error);
      return;
    }
    const session = this.#session;
    const neverSent = session !== undefined && session.peer === peer && !session.link.wasOpened;
    if (neverSent || (job.idempotent && !job.retried)) {
      if (!neverSent) job.retried = true;
      job.delayed = true;
      // Held until the next socket (the client is about to schedule it, or gives up and
      // fails everything held).
      const live = this.#livePeer();
      if (live !== undefined) this.#runOn(live, job);
      else this.#outbox.hold(job);
      return;
    }
    job.fail(
      new RpcError(
        ErrorCode.UnknownOutcome,
        `Switchboard: the connection dropped before ${job.method} answered; it may have run`,
        { method: job.method },
        { cause: error },
      ),
    );
  }

  #report(error: unknown, where: string, emit = true): void {
    try {
      this.#options.onError?.(error, where);
    } catch {
      // A broken reporter must not break the client; there is nowhere left to report.
    }
    if (emit) this.#events.emit("error", { error, where });
  }
}

/**
 * Open a connection. Returns at once; calls made before the socket opens are queued.
 *
 * @param url The server's WebSocket URL.
 * @param options See {@linkcode ClientOptions}.
 * @returns The client.
 * @example
 * ```ts ignore
 * import { connect } from "./client.ts";
 * const client = connect("ws://127.0.0.1:8000/rpc", { timeout: 5_000 });
 * console.log(await client.call("subtract", { minuend: 42, subtrahend: 23 }));
 * ```
 */
export function connect(url: string | URL, options?: ClientOptions): Client {
  return new Client(url, options);
}

/**
 * The client's public face: {@linkcode Client} and {@linkcode connect}, re-exported by
 * `client.ts` and `mod.ts`.
 *
 * @example Connect and give up at once when nothing listens
 * ```ts
 * import { connect } from "./client.ts";
 * const client = connect("ws://127.0.0.1:9/rpc", { reconnect: false });
 * const info = await client.closed;
 * if (client.state !== "CLOSED" || info.local) throw new Error("unreachable");
 * ```
 *
 * @module
 */

// Structure: the Client is the public face; connection.ts keeps the sockets
// (one Peer per socket, under the client's long-lived Registry; see there why), the
// reconnection and the heartbeat, calls.ts the calls across sockets. Options, states and
// events are typed in options.ts.

import type { HelloResult } from "../protocol/extensions.ts";
import type { Params } from "../protocol/types.ts";
import type { BatchEntry, CallOptions, StreamOptions } from "../peer/peer.ts";
import type { StreamCall } from "../peer/stream_call.ts";
import type { Middleware } from "../router/middleware.ts";
import type { CloseInfo } from "../peer/transport.ts";
import type { ConnectionInfo, Procedure, ProcedureOptions } from "../router/registry.ts";
import { Registry } from "../router/registry.ts";
import {
  type EventHandler,
  type SubscribeOptions,
  type Subscription,
  Subscriptions,
} from "./subscriptions.ts";
import { PubSubMethod } from "../pubsub/protocol.ts";
import { Emitter } from "./emitter.ts";
import { Connection } from "./connection.ts";
import type { ServerUrls } from "./urls.ts";
import type { ClientCallOptions, ClientEvents, ClientOptions, ConnectionState } from "./options.ts";

import type { TokenRefreshResult, TokenSource } from "./token.ts";

export type {
  ClientCallOptions,
  ClientEvents,
  ClientOptions,
  ConnectionState,
  ServerUrls,
  TokenRefreshResult,
  TokenSource,
};

/**
 * A connection to a Switchboard server (or any JSON-RPC 2.0 WebSocket server).
 *
 * Calls made before the socket opens are queued, not lost. The server can call the
 * procedures this client registers. With `reconnect`, the client survives its sockets: see
 * {@linkcode ClientOptions.reconnect} and docs/PROTOCOL.md §6.
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
  readonly #connection: Connection;

  /**
   * @param url The server's WebSocket URL (`ws:`, `wss:`, or `http(s):`), or several (a list
   * rotated through on failure, or a function of the attempt number), e.g. the hubs of a cluster.
   * @param options See {@linkcode ClientOptions}.
   */
  constructor(url: ServerUrls, options: ClientOptions = {}) {
    this.#options = options;
    this.#events = new Emitter((error, where) => this.#report(error, where, false));
    this.subscriptions = new Subscriptions(
      {
        call: (method, params) =>
          this.#connection.call(method, params, { idempotent: true, timeout: 0 }),
      },
      (error, where) => this.#report(error, where),
    );
    this.#registry.registerReserved(PubSubMethod.Event, (params) => {
      this.subscriptions.handleEvent(params);
    });
    this.#connection = new Connection(url, options, {
      registry: this.#registry,
      subscriptions: this.subscriptions,
      events: this.#events,
      report: (error, where) => this.#report(error, where),
    });
    this.#connection.open();
  }

  /** The URL connected to. */
  get url(): string {
    return this.#connection.url;
  }

  /** Where the client is in its life; see {@linkcode ConnectionState}. */
  get state(): ConnectionState {
    return this.#connection.state;
  }

  /**
   * Resolves when the client is first connected after `open()` (socket open, hello done,
   * subscriptions restored); rejects if the client closes first.
   */
  get ready(): Promise<void> {
    return this.#connection.ready;
  }

  /**
   * The current socket's `rpc.hello` answer, or `undefined` when no hello was needed or the
   * server does not know `rpc.hello` (plain JSON then).
   */
  get hello(): Promise<HelloResult | undefined> {
    return this.#connection.hello;
  }

  /** Resolves once the client is closed for good (see the `close` event). */
  get closed(): Promise<CloseInfo> {
    return this.#connection.closed;
  }

  /** Facts about the current connection (its id, application data). */
  get info(): ConnectionInfo {
    return this.#connection.info;
  }

  /** True once the client is closed for good. */
  get isClosed(): boolean {
    return this.#connection.state === "CLOSED";
  }

  /** How many calls await a response on the current socket. */
  get pendingCalls(): number {
    return this.#connection.pendingCalls;
  }

  /** How many calls wait for a socket (made while reconnecting). */
  get queuedCalls(): number {
    return this.#connection.queuedCalls;
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
   * @param url Another URL (or several) to connect to. Default: the last ones.
   * @throws {Error} If the client is not closed.
   */
  open(url?: ServerUrls): void {
    this.#connection.open(url);
  }

  /**
   * Call a procedure on the server and await its result.
   *
   * @param method The method.
   * @param params Params by position or by name.
   * @param options Timeout, abort signal, `idempotent` (resend after a drop instead of
   * rejecting with -32007).
   * @returns The result; rejects with an {@linkcode RpcError}.
   */
  call(method: string, params?: Params, options?: ClientCallOptions): Promise<unknown> {
    return this.#connection.call(method, params, options);
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
    return this.#connection.stream(method, params, options);
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
    return this.#connection.notify(method, params);
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
    return this.#connection.batch(entries, options);
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
   * Listen to events of a topic or pattern without subscribing: those the server sends to
   * this client only (`sb.sendEvent(peer, topic, data)`, docs/PROTOCOL.md §7.6), and those of
   * any subscription of this client. Nothing goes to the server; kept across reconnections.
   *
   * @param topic A topic or pattern (`*` one segment, a final `**` one or more).
   * @param handler Receives `(data, event)`; a direct event has no `event.seq`.
   * @returns A function that removes the listener.
   * @example
   * ```ts ignore
   * const off = client.onEvent("notice", (text) => console.log("the server says", text));
   * ```
   */
  onEvent(topic: string, handler: EventHandler): () => void {
    return this.subscriptions.listen(topic, handler);
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
   * Send a new credential on the current socket (`rpc.refresh`, docs/PROTOCOL.md §11.1) without
   * reconnecting: the token given, or the `token` option's (its function is called again).
   * A function token is also refreshed on its own shortly before the hub's `expires`.
   *
   * @param token A token to send instead of the option's.
   * @returns The hub's answer: `{ client, roles, expires }`.
   * @example
   * ```ts ignore
   * import { connect } from "./client.ts";
   * const client = connect("ws://127.0.0.1:8000/rpc", { token: () => fetchJwt() });
   * const { expires } = await client.refresh();
   * ```
   */
  refresh(token?: string): Promise<TokenRefreshResult> {
    return this.#connection.refresh(token);
  }

  /**
   * Close the client (and its socket, or its channel of a shared socket); pending and queued
   * calls reject with -32001. Idempotent; `open()` opens it again.
   *
   * @param code 1000 or 3000-4999. Default 1000.
   * @param reason A short reason.
   */
  close(code?: number, reason?: string): void {
    this.#connection.close(code, reason);
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
 * @param url The server's WebSocket URL, or several: a list rotated through when a socket fails
 * to open or drops, or a function of the attempt number (see {@linkcode ServerUrls}).
 * @param options See {@linkcode ClientOptions}.
 * @returns The client.
 * @example
 * ```ts ignore
 * import { connect } from "./client.ts";
 * const client = connect("ws://127.0.0.1:8000/rpc", { timeout: 5_000 });
 * console.log(await client.call("subtract", { minuend: 42, subtrahend: 23 }));
 * ```
 */
export function connect(url: ServerUrls, options?: ClientOptions): Client {
  return new Client(url, options);
}

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
 * @module
 */

import type { Codec } from "./lib/codec/codec.ts";
import { jsonCodec } from "./lib/codec/json.ts";
import type { FramingOptions } from "./lib/framing/wire.ts";
import type { HelloResult } from "./lib/protocol/extensions.ts";
import { VERSION } from "./lib/version.ts";
import type { Limits } from "./lib/protocol/limits.ts";
import type { Params } from "./lib/protocol/types.ts";
import { type BatchEntry, type CallOptions, type ErrorReporter, Peer } from "./lib/peer/peer.ts";
import type { StreamOptions } from "./lib/peer/peer.ts";
import type { StreamCall } from "./lib/peer/stream_call.ts";
import type { Middleware } from "./lib/router/middleware.ts";
import type { CloseInfo } from "./lib/peer/transport.ts";
import type { ConnectionInfo, Procedure, ProcedureOptions } from "./lib/router/registry.ts";
import { SocketTransport, type WebSocketConstructor } from "./lib/client/socket_transport.ts";
import { Registry } from "./lib/router/registry.ts";
import {
  type EventHandler,
  type SubscribeOptions,
  type Subscription,
  Subscriptions,
} from "./lib/client/subscriptions.ts";
import { PubSubMethod } from "./lib/pubsub/protocol.ts";

/**
 * Options of {@linkcode connect}.
 *
 * @example
 * ```ts
 * import type { ClientOptions } from "./client.ts";
 * const options: ClientOptions = { timeout: 5_000, maxQueued: 100 };
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
  /** Messages held while connecting; past it, calls reject with -32005. Default 1,000. */
  readonly maxQueued?: number;
  /** Limits on what the server sends this client. */
  readonly limits?: Partial<Limits> | undefined;
  /** Reveal messages of non-RpcError errors thrown by this client's procedures. */
  readonly exposeErrors?: boolean | undefined;
  /**
   * The codec, e.g. `superjsonCodec`. Default JSON. Any other codec is negotiated with
   * `rpc.hello` as the first frame; if the server does not agree, the client falls back to
   * JSON.
   */
  readonly codec?: Codec;
  /**
   * Send and receive binary attachments (Uint8Array, ArrayBuffer, typed arrays, Blob) as
   * binary frames, negotiated with `rpc.hello` as the first frame. Default true. Against a
   * server that does not agree (a plain JSON-RPC server answers the hello with -32601), a
   * call carrying binary rejects with a TypeError; `false` skips the hello when the codec is
   * JSON.
   */
  readonly binary?: boolean;
  /** Chunk size and attachment limits of binary frames. */
  readonly framing?: Partial<FramingOptions>;
  /** Where unawaited failures go (a notification handler that threw, a stray response). */
  readonly onError?: ErrorReporter | undefined;
}

/**
 * A connection to a Switchboard server (or any JSON-RPC 2.0 WebSocket server).
 *
 * Calls made before the socket opens are queued, not lost. The server can call the
 * procedures this client registers.
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
  /** The URL connected to. */
  readonly url: string;
  /**
   * Resolves when the socket is open and, when a codec or binary was asked for, the hello
   * exchange is done; rejects if the connection closes first.
   */
  readonly ready: Promise<void>;
  /**
   * The server's `rpc.hello` answer, or `undefined` when no hello was needed or the server
   * does not know `rpc.hello` (plain JSON then).
   */
  readonly hello: Promise<HelloResult | undefined>;
  /** Resolves once, when the connection closes. */
  readonly closed: Promise<CloseInfo>;

  /** This connection's topic subscriptions (last sequence numbers, resume params). */
  readonly subscriptions: Subscriptions;

  readonly #peer: Peer;

  /**
   * @param url The server's WebSocket URL (`ws:`, `wss:`, or `http(s):`).
   * @param options See {@linkcode ClientOptions}.
   */
  constructor(url: string | URL, options: ClientOptions = {}) {
    this.url = String(url);
    const transport = new SocketTransport(this.url, options);
    const events = new Registry();
    // Binary starts off: messages with attachments wait for the hello's answer.
    this.#peer = new Peer(transport, { ...options, procedures: events, binary: false });
    transport.attach(this.#peer);
    this.subscriptions = new Subscriptions(
      this.#peer,
      (error, where) => options.onError?.(error, where),
    );
    events.registerReserved(PubSubMethod.Event, (params) => {
      this.subscriptions.handleEvent(params);
    });
    const codec = options.codec ?? jsonCodec;
    const binary = options.binary ?? true;
    this.hello = codec.name === "json" && !binary
      ? Promise.resolve(undefined)
      : this.#sayHello(codec, binary);
    this.ready = transport.opened.then(() => this.hello).then(() => undefined);
    // Nobody may await these; the failure is also reported through `closed`.
    this.ready.catch(() => {});
    this.closed = this.#peer.closed;
  }

  /** Send `rpc.hello` first; other calls queue behind it in the new codec. */
  #sayHello(codec: Codec, binary: boolean): Promise<HelloResult | undefined> {
    const codecs = codec.name === "json" ? ["json"] : [codec.name, "json"];
    if (binary) this.#peer.wire.hold();
    const hello = this.#peer.call("rpc.hello", {
      codecs,
      binary,
      client: `switchboard/${VERSION}`,
    }).then(
      (result) => {
        const answer = result as HelloResult;
        this.#peer.wire.use(
          answer.codec === codec.name ? codec : jsonCodec,
          binary && answer.binary === true,
        );
        return answer;
      },
      (error: unknown) => {
        if (this.#peer.isClosed) throw error;
        this.#peer.wire.use(jsonCodec, false);
        return undefined;
      },
    );
    hello.catch(() => {});
    return hello;
  }

  /** Facts about this connection (its id, application data). */
  get info(): ConnectionInfo {
    return this.#peer.info;
  }

  /** True once the connection has closed. */
  get isClosed(): boolean {
    return this.#peer.isClosed;
  }

  /** How many calls await a response. */
  get pendingCalls(): number {
    return this.#peer.pendingCalls;
  }

  /**
   * Call a procedure on the server and await its result.
   *
   * @param method The method.
   * @param params Params by position or by name.
   * @param options Timeout and abort signal.
   * @returns The result; rejects with an {@linkcode RpcError}.
   */
  call(method: string, params?: Params, options?: CallOptions): Promise<unknown> {
    return this.#peer.call(method, params, options);
  }

  /**
   * Call a procedure on the server that streams its result; iterate the items.
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
    return this.#peer.stream(method, params, options);
  }

  /**
   * Add middleware around the procedures this client serves to the server.
   *
   * @param middleware The middleware.
   * @returns A function that removes it.
   */
  use(middleware: Middleware): () => void {
    return this.#peer.use(middleware);
  }

  /**
   * Send a notification.
   *
   * @param method The method.
   * @param params Its params.
   * @returns False if the connection is closed or the queue is full.
   */
  notify(method: string, params?: Params): boolean {
    return this.#peer.notify(method, params);
  }

  /**
   * Send several calls and notifications in one frame.
   *
   * @param entries The entries, in order.
   * @param options Timeout and abort signal for each call.
   * @returns One settled result per entry.
   */
  batch(
    entries: readonly BatchEntry[],
    options?: CallOptions,
  ): Promise<PromiseSettledResult<unknown>[]> {
    return this.#peer.batch(entries, options);
  }

  /**
   * Register a procedure the server may call.
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
    return this.#peer.register(name, handler, options);
  }

  /**
   * Remove a procedure.
   *
   * @param name The method name.
   * @returns Whether it was registered.
   */
  unregister(name: string): boolean {
    return this.#peer.unregister(name);
  }

  /**
   * Subscribe to a topic or pattern (`*` one segment, a final `**` one or more). Several
   * handlers of one topic share one server subscription.
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
    const result = await this.#peer.call(PubSubMethod.Publish, params) as { seq: number };
    return result.seq;
  }

  /**
   * Close the connection; pending calls reject with -32001. Idempotent.
   *
   * @param code 1000 or 3000-4999. Default 1000.
   * @param reason A short reason.
   */
  close(code?: number, reason?: string): void {
    this.#peer.close(code, reason);
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

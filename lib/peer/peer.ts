/**
 * The symmetric peer: one end of a JSON-RPC 2.0 connection.
 *
 * The server's view of a connection and the client are the same kind of object: each side
 * registers procedures, calls the other side, notifies, sends batches, and answers what the
 * other side sends. A peer knows nothing of sockets or runtimes; a {@linkcode Transport}
 * moves its frames.
 *
 * This file holds the lifecycle and the public API. The jobs behind it have their own
 * modules: incoming.ts (dispatch, middleware), builtins.ts (ping, cancel, stream item and
 * credit), production.ts (streamed results), outgoing.ts (call checks, abort), close.ts (the
 * one shutdown), send_failure.ts, settings.ts, all working on the connection's
 * {@linkcode PeerState}. Transport plumbing is in internal.ts, not on the public API.
 *
 * @module
 */

import type { CloseInfo, Transport } from "../framing/transport.ts";
import type { Wire } from "../framing/wire.ts";
import { CloseCode } from "../protocol/close_codes.ts";
import type { Limits } from "../protocol/limits.ts";
import type { ErrorObject, Params } from "../protocol/types.ts";
import type { Middleware } from "../router/middleware.ts";
import type { ConnectionInfo, Procedure, ProcedureOptions } from "../router/registry.ts";
import { closeLocally, shutdown } from "./close.ts";
import { handleValue, type Output, receiveFrame } from "./incoming.ts";
import { type BatchEntry, sendBatch } from "./batch.ts";
import { type CallOptions, isParams, sendCall } from "./outgoing.ts";
import type { DropHandler } from "./pending.ts";
import { type PeerOptionsOf, settingsOf } from "./settings.ts";
import { PeerState } from "./state.ts";
import type { StreamCall } from "./stream_call.ts";
import { openStream, type StreamOptions } from "./stream_open.ts";

export type { BatchEntry } from "./batch.ts";
export type { CallOptions } from "./outgoing.ts";
export type { StreamOptions } from "./stream_open.ts";

/**
 * How a peer reports failures nobody awaits: a notification's procedure that threw, a
 * response for an unknown id, an error response with a null id, a failed send. The peer
 * passes itself, so one reporter can serve every connection of a server.
 *
 * @example Types only
 * ```ts
 * import type { ErrorReporter } from "./peer.ts";
 * const report: ErrorReporter = (error, where) => console.error(where, error);
 * if (typeof report !== "function") throw new Error("unreachable");
 * ```
 */
export type ErrorReporter = (error: unknown, where: string, peer: Peer) => void;

/**
 * Options of a peer: codec and framing, shared procedures, default timeout, limits, error
 * reporting, hooks and the clock of call timeouts (settings.ts documents each field).
 *
 * @example Types only
 * ```ts
 * import type { PeerOptions } from "./peer.ts";
 * const options: PeerOptions = { timeout: 10_000, limits: { maxBatchSize: 50 } };
 * if (options.timeout !== 10_000) throw new Error("unreachable");
 * ```
 */
export type PeerOptions = PeerOptionsOf<Peer>;

/**
 * Decides whether an incoming call may run: see {@linkcode PeerOptions.authorize}.
 *
 * @example Only `rpc.hello` until the connection is authenticated
 * ```ts
 * import type { Authorizer } from "./peer.ts";
 * import { RpcError } from "../protocol/errors.ts";
 * const authorize: Authorizer = (method, peer) => {
 *   if (method !== "rpc.hello" && peer.info.data.user === undefined) {
 *     throw new RpcError(-32010, "Not authenticated");
 *   }
 * };
 * if (typeof authorize !== "function") throw new Error("unreachable");
 * ```
 */
export type Authorizer = (method: string, peer: Peer) => void;

/** Reads a peer's state; set by {@linkcode Peer}'s static block (module-private otherwise). */
let readState: (peer: Peer) => PeerState<Peer>;

/**
 * The state behind a peer, for lib/peer/internal.ts (transport plumbing).
 *
 * @internal
 * @param peer A peer.
 * @returns Its state.
 * @example
 * ```ts
 * import { Peer, peerState } from "./peer.ts";
 * const peer = new Peer({ send() {}, close() {} });
 * if (peerState(peer).peer !== peer) throw new Error("unreachable");
 * ```
 */
export function peerState(peer: Peer): PeerState<Peer> {
  return readState(peer);
}

/**
 * One end of a JSON-RPC 2.0 connection.
 *
 * @example Two peers wired back to back call each other
 * ```ts
 * import { Peer } from "./peer.ts";
 * import { receive } from "./internal.ts";
 * let a!: Peer, b!: Peer;
 * a = new Peer({ send: (f) => queueMicrotask(() => receive(b, f)), close() {} });
 * b = new Peer({ send: (f) => queueMicrotask(() => receive(a, f)), close() {} });
 * b.register("add", ([x, y]: number[]) => x! + y!);
 * if ((await a.call("add", [2, 3])) !== 5) throw new Error("unreachable");
 * a.close();
 * b.close();
 * ```
 */
export class Peer {
  static {
    readState = (peer) => peer.#state;
  }

  /** Facts about this connection: id, request headers, application data. */
  readonly info: ConnectionInfo;
  /** The connection's state, shared with the modules that do the peer's jobs. */
  readonly #state: PeerState<Peer>;

  /**
   * @param transport Moves this peer's frames.
   * @param options Codec, shared procedures, timeout, limits, error reporting. Peers made
   * with the same options object share its resolved values (a server makes many this way).
   * @param info Facts about this connection; overrides `options.info`, so that peers with
   * different facts can share one options object.
   */
  constructor(transport: Transport, options: PeerOptions = {}, info?: ConnectionInfo) {
    this.#state = new PeerState<Peer>(this, transport, settingsOf(options));
    this.info = info ?? options.info ??
      { id: crypto.randomUUID(), headers: new Headers(), data: {} };
  }

  /** Resolves once, when the connection closes, with why. */
  get closed(): Promise<CloseInfo> {
    // Made on first use: an idle server connection never needs a promise of its own.
    const state = this.#state;
    if (state.closedPromise === undefined) {
      const info = state.closeInfo;
      state.closedPromise = info !== undefined
        ? Promise.resolve(info)
        : new Promise((resolve) => state.resolveClosed = resolve);
    }
    return state.closedPromise;
  }

  /** True once the connection has closed (in either direction). */
  get isClosed(): boolean {
    return this.#state.closeInfo !== undefined;
  }

  /** Aborts when the connection closes; procedures use it to stop long work. */
  get signal(): AbortSignal {
    const state = this.#state;
    state.abort ??= new AbortController();
    if (state.closeInfo !== undefined && !state.abort.signal.aborted) {
      state.abort.abort(state.closedError());
    }
    return state.abort.signal;
  }

  /** How many outgoing calls await a response. */
  get pendingCalls(): number {
    return this.#state.pending?.size ?? 0;
  }

  /** How many incoming calls are running (asynchronous procedures and streams in progress). */
  get runningCalls(): number {
    return this.#state.running;
  }

  /** The receiver limits in force. */
  get limits(): Limits {
    return this.#state.settings.limits;
  }

  /**
   * The transport this peer's frames go through.
   *
   * @internal Transport plumbing: use `transportOf` of lib/peer/internal.ts.
   */
  get transport(): Transport {
    return this.#state.transport;
  }

  /**
   * This connection's codec and binary framing (switched by `rpc.hello`).
   *
   * @internal Transport plumbing: use `wireOf` of lib/peer/internal.ts.
   */
  get wire(): Wire {
    return this.#state.wire;
  }

  /**
   * Register a procedure the other side may call (this peer only).
   *
   * @param name The method name; `rpc.` names are reserved.
   * @param handler The procedure.
   * @param options How it takes its params.
   * @returns A function that unregisters it.
   * @example
   * ```ts
   * import { Peer } from "./peer.ts";
   * const peer = new Peer({ send() {}, close() {} });
   * const off = peer.register("echo", (params) => params);
   * off();
   * ```
   */
  register<P = Params | undefined>(
    name: string,
    handler: Procedure<P>,
    options?: ProcedureOptions,
  ): () => void {
    return this.#state.ownRegistry().register(name, handler, options);
  }

  /**
   * Remove a procedure registered on this peer.
   *
   * @param name The method name.
   * @returns Whether it was registered.
   * @example
   * ```ts
   * import { Peer } from "./peer.ts";
   * const peer = new Peer({ send() {}, close() {} });
   * if (peer.unregister("nothing")) throw new Error("unreachable");
   * ```
   */
  unregister(name: string): boolean {
    return this.#state.own?.unregister(name) ?? false;
  }

  /**
   * Add middleware around this peer's procedures (inside the server's, if any); see
   * lib/router/middleware.ts for the order.
   *
   * @param middleware The middleware.
   * @returns A function that removes it.
   * @example
   * ```ts
   * import { Peer } from "./peer.ts";
   * const peer = new Peer({ send() {}, close() {} });
   * const off = peer.use(async (ctx, next) => await next());
   * off();
   * ```
   */
  use(middleware: Middleware): () => void {
    return this.#state.ownRegistry().use(middleware);
  }

  /**
   * Call a procedure of the other side that streams its result (`rpc.stream`): iterate the
   * returned object for the items; its `result` is the final response. Back-pressure is
   * automatic: the other side sends only as many items as this side has room for.
   *
   * @param method The method name.
   * @param params Params by position or by name.
   * @param options Credit (window), timeout (none by default) and abort signal.
   * @returns The stream; breaking out of it cancels the call.
   * @example
   * ```ts
   * import { Peer } from "./peer.ts";
   * let a!: Peer, b!: Peer;
   * a = new Peer({ send: (f) => queueMicrotask(() => b.receive(f)), close() {} });
   * b = new Peer({ send: (f) => queueMicrotask(() => a.receive(f)), close() {} });
   * b.register("count", async function* ([n]: number[]) {
   *   for (let i = 0; i < n!; i++) yield i;
   *   return "done";
   * });
   * const seen: unknown[] = [];
   * const stream = a.stream("count", [3]);
   * for await (const item of stream) seen.push(item);
   * if (seen.join() !== "0,1,2" || (await stream.result) !== "done") throw new Error("!");
   * ```
   */
  stream<T = unknown, R = unknown>(
    method: string,
    params?: Params,
    options?: StreamOptions,
  ): StreamCall<T, R> {
    return openStream<T, R>(this.#state, method, params, options);
  }

  /**
   * Call a procedure of the other side and await its result.
   *
   * @param method The method name.
   * @param params Params by position (array) or by name (object).
   * @param options Timeout and abort signal.
   * @returns The result. Rejects with an {@linkcode RpcError}: the other side's error, or
   * -32000 (timeout), -32001 (connection closed), -32002 (cancelled), -32005 (too many
   * pending calls).
   * @example
   * ```ts
   * import { Peer } from "./peer.ts";
   * import { RpcError } from "../protocol/errors.ts";
   * const peer = new Peer({ send() {}, close() {} });
   * peer.close();
   * const err = await peer.call("x").catch((e) => e);
   * if (!(err instanceof RpcError) || err.code !== -32001) throw new Error("unreachable");
   * ```
   */
  call(method: string, params?: Params, options?: CallOptions): Promise<unknown> {
    return sendCall(this.#state, method, params, options, undefined);
  }

  /**
   * {@linkcode Peer.call}, except that if the connection drops while the call is pending,
   * `onDrop` takes the call over instead of the -32001 rejection (the reconnecting client
   * resends it on the next socket or rejects it with -32007, without a `.catch` per call).
   *
   * @param method The method name.
   * @param params Params by position (array) or by name (object).
   * @param options Timeout and abort signal; handed back to `onDrop` as they are.
   * @param onDrop Takes the call over on a drop; undefined: reject as `call` does.
   * @returns The result, as {@linkcode Peer.call}.
   * @internal Transport plumbing: use lib/peer/internal.ts; kept for code not yet switched.
   * @example
   * ```ts
   * import { Peer } from "./peer.ts";
   * const peer = new Peer({ send() {}, close() {} });
   * const call = peer.callOrHandOver("x", [1], undefined, (dropped) => dropped.resolve("again"));
   * peer.close();
   * if ((await call) !== "again") throw new Error("unreachable");
   * ```
   */
  callOrHandOver(
    method: string,
    params: Params | undefined,
    options: CallOptions | undefined,
    onDrop: DropHandler | undefined,
  ): Promise<unknown> {
    return sendCall(this.#state, method, params, options, onDrop);
  }

  /**
   * Send a notification: no response, no error back.
   *
   * @param method The method name.
   * @param params Its params.
   * @returns False if the connection is closed or the frame could not be sent.
   * @example
   * ```ts
   * import { Peer } from "./peer.ts";
   * const sent: string[] = [];
   * const peer = new Peer({ send: (f) => void sent.push(String(f)), close() {} });
   * peer.notify("update", [1, 2, 3]);
   * if (!sent[0]!.includes('"update"')) throw new Error("unreachable");
   * ```
   */
  notify(method: string, params?: Params): boolean {
    if (this.#state.closeInfo !== undefined) return false;
    if (params !== undefined && !isParams(params)) {
      throw new TypeError(`Switchboard: params of ${method} must be an array or an object`);
    }
    return this.#state.sendMessage(
      params === undefined ? { jsonrpc: "2.0", method } : { jsonrpc: "2.0", method, params },
    );
  }

  /**
   * Send several calls and notifications in one batch frame.
   *
   * @param entries The calls, in order.
   * @param options Timeout and abort signal, applied to each call.
   * @returns One settled result per entry, in order; notifications settle as fulfilled with
   * `undefined`.
   * @example
   * ```ts
   * import { Peer } from "./peer.ts";
   * const peer = new Peer({ send() {}, close() {} });
   * peer.close();
   * const results = await peer.batch([{ method: "a" }, { method: "b", notification: true }]);
   * if (results[0]!.status !== "rejected") throw new Error("unreachable");
   * ```
   */
  batch(
    entries: readonly BatchEntry[],
    options?: CallOptions,
  ): Promise<PromiseSettledResult<unknown>[]> {
    return sendBatch(this.#state, entries, options);
  }

  /**
   * Hand an incoming frame to the peer (called by the transport).
   *
   * Oversize frames close the connection with 1009, binary frames with 1003 until binary is
   * negotiated, malformed binary frames with 1007 (docs/PROTOCOL.md §5), unparsable
   * messages are answered with -32700.
   *
   * @param frame The frame as received.
   * @param refusal When given (the connection is over a rate limit), every request in the
   * frame is answered with this error instead of running; responses to this side's calls and
   * the session's own `rpc.cancel` and stream-credit notifications are still handled; other
   * notifications are dropped (they cannot be answered).
   * @internal Transport plumbing: use lib/peer/internal.ts; kept for code not yet switched.
   * @example
   * ```ts
   * import { Peer } from "./peer.ts";
   * const sent: string[] = [];
   * const peer = new Peer({ send: (f) => void sent.push(String(f)), close() {} });
   * peer.receive("{ not json");
   * if (!sent[0]!.includes("-32700")) throw new Error("unreachable");
   * ```
   */
  receive(frame: string | ArrayBuffer | Uint8Array, refusal?: ErrorObject): void {
    receiveFrame(this.#state, frame, refusal);
  }

  /**
   * Process one decoded message or batch and return what to answer, without sending it.
   * Transports that are not message streams (HTTP) use this directly.
   *
   * @param value A decoded message or batch array.
   * @returns The response, the batch of responses, nothing, or a promise of one of those.
   * @internal Transport plumbing: use lib/peer/internal.ts; kept for code not yet switched.
   * @example
   * ```ts
   * import { Peer } from "./peer.ts";
   * const peer = new Peer({ send() {}, close() {} });
   * const out = peer.handle({ jsonrpc: "2.0", id: 1, method: "missing" });
   * if (!out || out instanceof Promise || Array.isArray(out)) throw new Error("unreachable");
   * if (!("error" in out) || out.error.code !== -32601) throw new Error("unreachable");
   * ```
   */
  handle(value: unknown): Output | Promise<Output> {
    return handleValue(this.#state, value);
  }

  /**
   * Encode and send one message; failures are reported, not thrown.
   *
   * @param message A message or batch.
   * @returns Whether it was handed to the transport.
   * @internal Transport plumbing: use lib/peer/internal.ts; kept for code not yet switched.
   * @example
   * ```ts
   * import { Peer } from "./peer.ts";
   * const peer = new Peer({ send() {}, close() {} });
   * if (!peer.sendMessage({ jsonrpc: "2.0", method: "x" })) throw new Error("unreachable");
   * ```
   */
  sendMessage(message: unknown): boolean {
    return this.#state.sendMessage(message);
  }

  /**
   * Close the connection. Idempotent: only the first call has an effect. Every pending call
   * rejects with -32001 and {@linkcode Peer.closed} resolves.
   *
   * @param code A WebSocket close code. Default 1000.
   * @param reason A short reason. Default empty.
   * @example
   * ```ts
   * import { Peer } from "./peer.ts";
   * const peer = new Peer({ send() {}, close() {} });
   * peer.close(1000, "done");
   * peer.close(); // no effect
   * if ((await peer.closed).reason !== "done") throw new Error("unreachable");
   * ```
   */
  close(code: number = CloseCode.Normal, reason = ""): void {
    closeLocally(this.#state, code, reason);
  }

  /**
   * Tell the peer its transport has closed (called by the transport). Same effects as
   * {@linkcode Peer.close} without closing the transport again.
   *
   * @param code The close code received.
   * @param reason The reason received.
   * @internal Transport plumbing: use lib/peer/internal.ts; kept for code not yet switched.
   * @example
   * ```ts
   * import { Peer } from "./peer.ts";
   * const peer = new Peer({ send() {}, close() {} });
   * peer.transportClosed(1006, "");
   * if ((await peer.closed).local) throw new Error("unreachable");
   * ```
   */
  transportClosed(code: number, reason: string): void {
    shutdown(this.#state, { code, reason, local: false });
  }
}

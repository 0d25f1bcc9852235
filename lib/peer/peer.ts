/**
 * The symmetric peer: one end of a JSON-RPC 2.0 connection.
 *
 * The server's view of a connection and the client are the same kind of object: each side
 * registers procedures, calls the other side, notifies, sends batches, and answers what the
 * other side sends. A peer knows nothing of sockets or runtimes; a {@linkcode Transport}
 * moves its frames.
 *
 * @module
 */

import { FrameError } from "../framing/frame.ts";
import { INCOMPLETE, SEND_FAILED, Wire, type WireOptions } from "../framing/wire.ts";
import { ErrorCode, RpcError, toErrorObject } from "../protocol/errors.ts";
import { Extension } from "../protocol/extensions.ts";
import { asRequest, asResponse, classify, idOf, Kind } from "../protocol/guards.ts";
import { type Limits, resolveLimits } from "../protocol/limits.ts";
import type { ErrorObject, Id, Params, Request, Response } from "../protocol/types.ts";
import { compose, type Middleware } from "../router/middleware.ts";
import { type Procedure, type ProcedureOptions, Registry } from "../router/registry.ts";
import type { ConnectionInfo, RegisteredProcedure } from "../router/registry.ts";
import { RunningCall, RunningCalls } from "./cancel.ts";
import { checkTimeout, type DropHandler, PendingCalls } from "./pending.ts";
import {
  collect as collectItems,
  isAsyncIterable,
  parseCredit,
  parseOpen,
  Producer,
  StreamMethod,
} from "./stream.ts";
import { StreamCall, StreamCalls } from "./stream_call.ts";
import { CloseCode, type CloseInfo, type Transport } from "./transport.ts";

/**
 * Options of one outgoing call.
 *
 * @example
 * ```ts
 * import type { CallOptions } from "./peer.ts";
 * const options: CallOptions = { timeout: 500, signal: AbortSignal.timeout(1000) };
 * if (options.timeout !== 500) throw new Error("unreachable");
 * ```
 */
export interface CallOptions {
  /** Milliseconds to wait for the response; 0 waits forever. Default: the peer's timeout. */
  readonly timeout?: number;
  /**
   * Abort the call: it rejects at once with -32002 (cancelled) and an `rpc.cancel`
   * notification tells the other side, which may stop the work.
   */
  readonly signal?: AbortSignal;
}

/**
 * Options of one streamed call ({@linkcode Peer.stream}).
 *
 * @example
 * ```ts
 * import type { StreamOptions } from "./peer.ts";
 * const options: StreamOptions = { credit: 64 };
 * if (options.credit !== 64) throw new Error("unreachable");
 * ```
 */
export interface StreamOptions extends CallOptions {
  /**
   * Items the caller is ready to hold (the window; the other side clamps it to its
   * `maxStreamWindow`). Default 256. The timeout, if any, covers the whole stream; default none.
   */
  readonly credit?: number;
}

/**
 * One entry of an outgoing batch.
 *
 * @example
 * ```ts
 * import type { BatchEntry } from "./peer.ts";
 * const entries: BatchEntry[] = [
 *   { method: "sum", params: [1, 2, 4] },
 *   { method: "notify_hello", params: [7], notification: true },
 * ];
 * if (entries.length !== 2) throw new Error("unreachable");
 * ```
 */
export interface BatchEntry {
  /** The method to call. */
  readonly method: string;
  /** Its params. */
  readonly params?: Params;
  /** Send as a notification: no response, its slot in the results is `undefined`. */
  readonly notification?: boolean;
}

/**
 * How a peer reports failures nobody awaits: a notification's procedure that threw, a
 * response for an unknown id, an error response with a null id, a failed send. The peer
 * passes itself, so one reporter can serve every connection of a server.
 *
 * @example
 * ```ts
 * import type { ErrorReporter } from "./peer.ts";
 * const report: ErrorReporter = (error, where) => console.error(where, error);
 * if (typeof report !== "function") throw new Error("unreachable");
 * ```
 */
export type ErrorReporter = (error: unknown, where: string, peer: Peer) => void;

/**
 * Options of a peer.
 *
 * @example
 * ```ts
 * import type { PeerOptions } from "./peer.ts";
 * const options: PeerOptions = { timeout: 10_000, limits: { maxBatchSize: 50 } };
 * if (options.timeout !== 10_000) throw new Error("unreachable");
 * ```
 */
export interface PeerOptions extends Omit<WireOptions, "maxMessageSize"> {
  // codec, binary, framing, negotiable, binaryFrames: the connection's wire format, handed to
  // its Wire as they are (lib/framing/wire.ts documents them); maxMessageSize comes from limits.
  /** Procedures shared with other peers (a server's); this peer's own come first. */
  readonly procedures?: Registry | undefined;
  /** Default call timeout in milliseconds; 0 for none. Default: 30,000. */
  readonly timeout?: number | undefined;
  /** Receiver limits; unspecified ones take the defaults of {@linkcode DEFAULT_LIMITS}. */
  readonly limits?: Partial<Limits> | undefined;
  /**
   * Reveal the message of an error that is not an {@linkcode RpcError} in `error.data`.
   * Default false: such errors become a bare -32603 so nothing internal leaks.
   */
  readonly exposeErrors?: boolean | undefined;
  /** Facts about the connection. Default: a random id, empty headers, empty data. */
  readonly info?: ConnectionInfo | undefined;
  /**
   * Called once when the connection closes (after pending calls were rejected), with this
   * peer, so one function can serve every connection of a server.
   */
  readonly onClosed?: ((info: CloseInfo, peer: Peer) => void) | undefined;
  /** Where unawaited failures go. Default: nowhere. */
  readonly onError?: ErrorReporter | undefined;
  /**
   * Runs before every incoming request or notification is dispatched, even to a missing
   * method; throw an {@linkcode RpcError} to refuse it (a request gets that error back).
   */
  readonly authorize?: Authorizer | undefined;
}

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

/** What a message produced: a response, a batch of them, or nothing. */
type Output = Response | Response[] | undefined;

/** Key of the peer's built-in procedure dispatcher (module-private). */
const BUILTIN: unique symbol = Symbol("switchboard.peer.builtin");

/** The extension procedures every peer answers, shared by all peers. */
const PEER_BUILTINS: Registry = new Registry();
for (const name of [Extension.Ping, Extension.Cancel, StreamMethod.Item, StreamMethod.Credit]) {
  PEER_BUILTINS.registerReserved(
    name,
    (params: Params | undefined, ctx) => (ctx.peer as Peer)[BUILTIN](name, params),
  );
}

const DEFAULT_TIMEOUT = 30_000;
const DEFAULT_CREDIT = 256;
const NO_MIDDLEWARE: readonly Middleware[] = Object.freeze([]);

/** A {@linkcode PeerOptions} object's resolved values, shared by the peers made with it. */
interface PeerSettings {
  /** The shared procedures (a server's), if any. */
  readonly shared: Registry | undefined;
  readonly limits: Limits;
  /** The default call timeout, ms (Infinity: none). */
  readonly timeout: number;
  readonly expose: boolean;
  readonly onError: ErrorReporter | undefined;
  readonly authorize: Authorizer | undefined;
  readonly onClosed: ((info: CloseInfo, peer: Peer) => void) | undefined;
  /** What each peer's {@linkcode Wire} starts from (one object, so wires share it too). */
  readonly wire: WireOptions;
}

/** Settings already resolved, by options object. */
const SETTINGS = new WeakMap<PeerOptions, PeerSettings>();

/** Resolve (and check) options once per options object. */
function settingsOf(options: PeerOptions): PeerSettings {
  let settings = SETTINGS.get(options);
  if (settings !== undefined) return settings;
  const limits = resolveLimits(options.limits);
  settings = {
    shared: options.procedures,
    limits,
    timeout: checkTimeout(options.timeout ?? DEFAULT_TIMEOUT),
    expose: options.exposeErrors ?? false,
    onError: options.onError,
    authorize: options.authorize,
    onClosed: options.onClosed,
    wire: {
      codec: options.codec,
      binary: options.binary,
      framing: options.framing,
      negotiable: options.negotiable,
      binaryFrames: options.binaryFrames,
      maxMessageSize: limits.maxMessageSize,
    },
  };
  SETTINGS.set(options, settings);
  return settings;
}

/**
 * One end of a JSON-RPC 2.0 connection.
 *
 * @example Two peers wired back to back call each other
 * ```ts
 * import { Peer } from "./peer.ts";
 * let a!: Peer, b!: Peer;
 * a = new Peer({ send: (f) => queueMicrotask(() => b.receive(f)), close() {} });
 * b = new Peer({ send: (f) => queueMicrotask(() => a.receive(f)), close() {} });
 * b.register("add", ([x, y]: number[]) => x! + y!);
 * if ((await a.call("add", [2, 3])) !== 5) throw new Error("unreachable");
 * a.close();
 * b.close();
 * ```
 */
export class Peer {
  /** Facts about this connection: id, request headers, application data. */
  readonly info: ConnectionInfo;
  /** Resolves once, when the connection closes, with why. */
  get closed(): Promise<CloseInfo> {
    // Made on first use: an idle server connection never needs a promise of its own.
    if (this.#closedPromise === undefined) {
      const info = this.#closeInfo;
      this.#closedPromise = info !== undefined
        ? Promise.resolve(info)
        : new Promise((resolve) => this.#resolveClosed = resolve);
    }
    return this.#closedPromise;
  }

  readonly #transport: Transport;
  readonly #wire: Wire;
  /**
   * The options' resolved values, one object for every peer made with the same options
   * object (a server's sessions share it), so a peer holds one reference, not seven.
   */
  readonly #settings: PeerSettings;
  /** This peer's own procedures and middleware; created on first use to keep idle peers small. */
  #own: Registry | undefined;
  /** Outgoing calls awaiting a response; made by the first call (idle peers make none). */
  #pending: PendingCalls | undefined;
  #running = 0;
  // Tables of running calls and streams, created on first use (most connections never need
  // them, and an idle connection should cost as little memory as possible).
  #calls: RunningCalls | undefined;
  #producers: Map<Id, Producer> | undefined;
  #streams: StreamCalls | undefined;
  #closeInfo: CloseInfo | undefined;
  #closedPromise: Promise<CloseInfo> | undefined;
  #resolveClosed: ((info: CloseInfo) => void) | undefined;
  #abort: AbortController | undefined;

  /**
   * @param transport Moves this peer's frames.
   * @param options Codec, shared procedures, timeout, limits, error reporting. Peers made
   * with the same options object share its resolved values (a server makes many this way).
   * @param info Facts about this connection; overrides `options.info`, so that peers with
   * different facts can share one options object.
   */
  constructor(transport: Transport, options: PeerOptions = {}, info?: ConnectionInfo) {
    this.#transport = transport;
    const settings = settingsOf(options);
    this.#settings = settings;
    this.#wire = new Wire(transport, settings.wire);
    this.info = info ?? options.info ??
      { id: crypto.randomUUID(), headers: new Headers(), data: {} };
  }

  /** True once the connection has closed (in either direction). */
  get isClosed(): boolean {
    return this.#closeInfo !== undefined;
  }

  /** Aborts when the connection closes; procedures use it to stop long work. */
  get signal(): AbortSignal {
    this.#abort ??= new AbortController();
    if (this.#closeInfo !== undefined && !this.#abort.signal.aborted) {
      this.#abort.abort(this.#closedError());
    }
    return this.#abort.signal;
  }

  /** How many outgoing calls await a response. */
  get pendingCalls(): number {
    return this.#pending?.size ?? 0;
  }

  /** How many incoming calls are running (asynchronous procedures and streams in progress). */
  get runningCalls(): number {
    return this.#running;
  }

  /** The receiver limits in force. */
  get limits(): Limits {
    return this.#settings.limits;
  }

  /** The transport this peer's frames go through. */
  get transport(): Transport {
    return this.#transport;
  }

  /** This connection's codec and binary framing (switched by `rpc.hello`). */
  get wire(): Wire {
    return this.#wire;
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
    return this.#ownRegistry().register(name, handler, options);
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
    return this.#own?.unregister(name) ?? false;
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
    return this.#ownRegistry().use(middleware);
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
    const credit = options?.credit ?? DEFAULT_CREDIT;
    if (!Number.isSafeInteger(credit) || credit < 1) {
      throw new RangeError(`Switchboard: credit must be a positive integer: got ${credit}`);
    }
    const noop = { credit() {}, cancel() {} };
    const refusal = this.#refuseCall(method, params, options?.signal);
    if (refusal !== undefined) return new StreamCall(Promise.reject(refusal), credit, noop);
    const pending = this.#table;
    const { id, promise } = pending.add(method, options?.timeout ?? 0);
    const call = new StreamCall<T, R>(promise, credit, {
      credit: (items) => this.notify(StreamMethod.Credit, { id, credit: items }),
      cancel: (reason) => {
        if (pending.fail(id, reason)) this.notify(Extension.Cancel, { id });
      },
    });
    (this.#streams ??= new StreamCalls()).set(id, call as StreamCall);
    // Nobody may await the promise itself (items are read through the call); the rejection is
    // seen through the iterator. A timeout sends rpc.cancel through the pending table.
    promise.catch(() => {});
    const signal = options?.signal;
    const onAbort = (): void => call.cancel(cancelledError(method, signal?.reason));
    signal?.addEventListener("abort", onAbort, { once: true });
    pending.onSettle(id, () => {
      this.#streams?.delete(id);
      signal?.removeEventListener("abort", onAbort);
    });
    const open = params === undefined ? { method, credit } : { method, params, credit };
    try {
      this.#wire.send(
        { jsonrpc: "2.0", id, method: StreamMethod.Open, params: open },
        this,
      );
    } catch (error) {
      pending.fail(id, error);
    }
    return call;
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
    return this.callOrHandOver(method, params, options, undefined);
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
    const refusal = this.#refuseCall(method, params, options?.signal);
    if (refusal !== undefined) return Promise.reject(refusal);
    const pending = this.#table;
    const { id, promise } = pending.add(method, options?.timeout, params, options, onDrop);
    try {
      this.#wire.send(
        params === undefined
          ? { jsonrpc: "2.0", id, method }
          : { jsonrpc: "2.0", id, method, params },
        this,
      );
    } catch (error) {
      pending.fail(id, error);
      return promise;
    }
    if (options !== undefined && options.signal !== undefined) {
      this.#watchAbort(id, method, options.signal);
    }
    return promise;
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
    if (this.#closeInfo !== undefined) return false;
    if (params !== undefined && !isParams(params)) {
      throw new TypeError(`Switchboard: params of ${method} must be an array or an object`);
    }
    return this.sendMessage(
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
    if (entries.length === 0) {
      return Promise.reject(new TypeError("Switchboard: a batch needs at least one entry"));
    }
    const messages: unknown[] = [];
    const promises: Promise<unknown>[] = [];
    const ids: number[] = [];
    for (const { method, params, notification } of entries) {
      if (notification) {
        if (params !== undefined && !isParams(params)) {
          promises.push(Promise.reject(new TypeError(`Switchboard: params of ${method} invalid`)));
          continue;
        }
        messages.push(
          params === undefined ? { jsonrpc: "2.0", method } : { jsonrpc: "2.0", method, params },
        );
        promises.push(Promise.resolve(undefined));
        continue;
      }
      const refusal = this.#refuseCall(method, params, options?.signal);
      if (refusal !== undefined) {
        promises.push(Promise.reject(refusal));
        continue;
      }
      const { id, promise } = this.#table.add(method, options?.timeout);
      ids.push(id);
      messages.push(
        params === undefined
          ? { jsonrpc: "2.0", id, method }
          : { jsonrpc: "2.0", id, method, params },
      );
      promises.push(promise);
      if (options?.signal !== undefined) this.#watchAbort(id, method, options.signal);
    }
    if (messages.length > 0) {
      try {
        this.#wire.send(messages, this);
      } catch (error) {
        for (const id of ids) this.#pending?.fail(id, error);
      }
    }
    return Promise.allSettled(promises);
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
    if (this.#closeInfo !== undefined) return;
    let value: unknown;
    try {
      value = this.#wire.decode(frame);
    } catch (error) {
      if (error instanceof FrameError) this.close(error.code, error.message);
      else this.sendMessage(errorResponse(null, ErrorCode.ParseError, "Parse error"));
      return;
    }
    if (value === INCOMPLETE) return;
    const output = refusal === undefined ? this.handle(value) : this.#refuse(value, refusal);
    if (output === undefined) return;
    if (output instanceof Promise) {
      output.then((out) => out !== undefined && this.sendMessage(out));
    } else {
      this.sendMessage(output);
    }
  }

  /**
   * Process one decoded message or batch and return what to answer, without sending it.
   * Transports that are not message streams (HTTP) use this directly.
   *
   * @param value A decoded message or batch array.
   * @returns The response, the batch of responses, nothing, or a promise of one of those.
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
    if (!Array.isArray(value)) return this.#dispatch(value);
    if (value.length === 0) {
      return errorResponse(null, ErrorCode.InvalidRequest, "Invalid Request", "Empty batch");
    }
    if (value.length > this.#settings.limits.maxBatchSize) {
      return errorResponse(
        null,
        ErrorCode.InvalidRequest,
        "Invalid Request",
        `Batch of ${value.length} exceeds the limit of ${this.#settings.limits.maxBatchSize}`,
      );
    }
    const outputs: (Response | undefined | Promise<Response | undefined>)[] = [];
    let async = false;
    for (const item of value) {
      const out = this.#dispatch(item);
      if (out instanceof Promise) async = true;
      if (out !== undefined) outputs.push(out);
    }
    if (!async) return collect(outputs as (Response | undefined)[]);
    return Promise.all(outputs).then(collect);
  }

  /**
   * Encode and send one message; failures are reported, not thrown.
   *
   * @param message A message or batch.
   * @returns Whether it was handed to the transport.
   * @example
   * ```ts
   * import { Peer } from "./peer.ts";
   * const peer = new Peer({ send() {}, close() {} });
   * if (!peer.sendMessage({ jsonrpc: "2.0", method: "x" })) throw new Error("unreachable");
   * ```
   */
  sendMessage(message: unknown): boolean {
    if (this.#closeInfo !== undefined) return false;
    try {
      this.#wire.send(message, this);
      return true;
    } catch (error) {
      this.#report(error, "send");
      return false;
    }
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
    if (this.#shutdown({ code, reason, local: true })) {
      try {
        this.#transport.close(code, reason);
      } catch (error) {
        this.#report(error, "close");
      }
    }
  }

  /**
   * Tell the peer its transport has closed (called by the transport). Same effects as
   * {@linkcode Peer.close} without closing the transport again.
   *
   * @param code The close code received.
   * @param reason The reason received.
   * @example
   * ```ts
   * import { Peer } from "./peer.ts";
   * const peer = new Peer({ send() {}, close() {} });
   * peer.transportClosed(1006, "");
   * if ((await peer.closed).local) throw new Error("unreachable");
   * ```
   */
  transportClosed(code: number, reason: string): void {
    this.#shutdown({ code, reason, local: false });
  }

  #shutdown(info: CloseInfo): boolean {
    if (this.#closeInfo !== undefined) return false;
    this.#closeInfo = info;
    const error = this.#closedError();
    this.#pending?.dispose(error);
    this.#wire.dispose();
    this.#abort?.abort(error);
    this.#calls?.cancelAll(error);
    this.#resolveClosed?.(info);
    const onClosed = this.#settings.onClosed;
    if (onClosed !== undefined) {
      try {
        onClosed(info, this);
      } catch (error) {
        this.#report(error, "onClosed");
      }
    }
    return true;
  }

  #closedError(): RpcError {
    const info = this.#closeInfo!;
    return new RpcError(
      ErrorCode.ConnectionClosed,
      "Switchboard: connection closed before the response arrived",
      { code: info.code, reason: info.reason },
    );
  }

  #refuseCall(method: string, params: unknown, signal: AbortSignal | undefined): unknown {
    if (typeof method !== "string" || method.length === 0) {
      return new TypeError("Switchboard: a method name must be a non-empty string");
    }
    if (params !== undefined && !isParams(params)) {
      return new TypeError(`Switchboard: params of ${method} must be an array or an object`);
    }
    if (this.#closeInfo !== undefined) return this.#closedError();
    if (signal?.aborted) return cancelledError(method, signal.reason);
    if ((this.#pending?.size ?? 0) >= this.#settings.limits.maxPendingCalls) {
      return new RpcError(
        ErrorCode.LimitExceeded,
        `Switchboard: ${this.#settings.limits.maxPendingCalls} calls already pending; ${method} not sent`,
      );
    }
    return undefined;
  }

  #watchAbort(id: number, method: string, signal: AbortSignal): void {
    const onAbort = (): void => {
      if (this.#pending?.fail(id, cancelledError(method, signal.reason))) {
        this.notify("rpc.cancel", { id });
      }
    };
    signal.addEventListener("abort", onAbort, { once: true });
    this.#pending?.onSettle(id, () => signal.removeEventListener("abort", onAbort));
  }

  /** Answer a refused message or batch (see `receive`'s `refusal`). */
  #refuse(value: unknown, refusal: ErrorObject): Output {
    const one = (item: unknown): Response | undefined => {
      const kind = classify(item);
      if (kind === Kind.Request) return { jsonrpc: "2.0", id: asRequest(item).id, error: refusal };
      if (kind === Kind.Notification) {
        const method = asRequest(item).method;
        if (method !== Extension.Cancel && method !== StreamMethod.Credit) return undefined;
      }
      return this.#dispatch(item) as Response | undefined;
    };
    if (!Array.isArray(value) || value.length === 0) return one(value);
    return collect(value.slice(0, this.#settings.limits.maxBatchSize).map(one));
  }

  #dispatch(value: unknown): Response | undefined | Promise<Response | undefined> {
    switch (classify(value)) {
      case Kind.Request:
        return this.#invoke(asRequest(value), true);
      case Kind.Notification:
        this.#invoke(asRequest(value), false);
        return undefined;
      case Kind.Success: {
        const res = asResponse(value);
        if (this.#pending === undefined || !this.#pending.settle(res.id, res.result, undefined)) {
          this.#report(new RpcError(ErrorCode.InvalidRequest, "Unknown response id"), "response");
        }
        return undefined;
      }
      case Kind.Error: {
        const res = asResponse(value);
        const error = RpcError.from(res.error);
        if (this.#pending === undefined || !this.#pending.settle(res.id, undefined, error)) {
          this.#report(error, "response");
        }
        return undefined;
      }
      default:
        return errorResponse(idOf(value), ErrorCode.InvalidRequest, "Invalid Request");
    }
  }

  #invoke(
    msg: Request,
    isRequest: boolean,
  ): Response | undefined | Promise<Response | undefined> {
    const id: Id = isRequest ? msg.id : null;
    let method = msg.method;
    let params = msg.params;
    let credit = 0;
    if (method === StreamMethod.Open) {
      const open = parseOpen(params);
      if (open instanceof RpcError) return isRequest ? this.#failed(msg, true, open) : undefined;
      ({ method, params, credit } = open);
    }
    const authorize = this.#settings.authorize;
    if (authorize !== undefined) {
      try {
        authorize(method, this);
      } catch (error) {
        return this.#failed(msg, isRequest, error);
      }
    }
    // Only `rpc.` names can be built-ins: application calls skip that lookup.
    const procedure = (method.startsWith("rpc.") ? PEER_BUILTINS.get(method) : undefined) ??
      (this.#own ?? this.#settings.shared)?.get(method);
    if (procedure === undefined) {
      return isRequest
        ? errorResponse(id, ErrorCode.MethodNotFound, "Method not found")
        : undefined;
    }
    if (this.#running >= this.#settings.limits.maxConcurrentRequests) {
      const error = new RpcError(
        ErrorCode.Overloaded,
        "Overloaded",
        `More than ${this.#settings.limits.maxConcurrentRequests} calls running on this connection`,
      );
      if (isRequest) return { jsonrpc: "2.0", id, error: error.toJSON() };
      this.#report(error, msg.method);
      return undefined;
    }
    const ctx = new RunningCall(this, isRequest ? id : undefined, method, params);
    let result: unknown;
    const expose = procedure.exposeErrors;
    try {
      result = this.#run(procedure, ctx, params);
    } catch (error) {
      return this.#failed(msg, isRequest, error, expose);
    }
    if (!isThenable(result) && !isAsyncIterable(result)) {
      return isRequest ? { jsonrpc: "2.0", id, result: result ?? null } : undefined;
    }
    this.#running++;
    (this.#calls ??= new RunningCalls()).add(ctx);
    const done = (value: unknown): Response | undefined => {
      this.#finished(ctx);
      return isRequest && !ctx.cancelled
        ? { jsonrpc: "2.0", id, result: value ?? null }
        : undefined;
    };
    const fail = (error: unknown): Response | undefined => {
      this.#finished(ctx);
      return ctx.cancelled ? undefined : this.#failed(msg, isRequest, error, expose);
    };
    if (!isThenable(result)) return this.#iterate(result, ctx, credit).then(done, fail);
    return Promise.resolve(result).then(
      (value) =>
        isAsyncIterable(value) ? this.#iterate(value, ctx, credit).then(done, fail) : done(value),
      fail,
    );
  }

  /** Run a procedure inside the middleware chain (reserved `rpc.` methods skip it). */
  #run(procedure: RegisteredProcedure, ctx: RunningCall, params: Params | undefined): unknown {
    const chain = procedure.reserved
      ? NO_MIDDLEWARE
      : (this.#own ?? this.#settings.shared)?.middleware ?? NO_MIDDLEWARE;
    if (chain.length === 0) return procedure.handler(procedure.adapt(params) as never, ctx);
    return compose(chain, ctx, () => procedure.handler(procedure.adapt(params) as never, ctx));
  }

  /** Stream an async iterable result (credit > 0: the caller asked) or collect it. */
  #iterate(iterable: AsyncIterable<unknown>, ctx: RunningCall, credit: number): Promise<unknown> {
    if (credit === 0 || ctx.id === undefined || ctx.id === null) {
      return collectItems(iterable, ctx, this.#settings.limits.maxCollectedItems);
    }
    const id = ctx.id;
    const producer = new Producer(credit, this.#settings.limits.maxStreamWindow, (items) => {
      this.#wire.send(
        { jsonrpc: "2.0", method: StreamMethod.Item, params: { id, items } },
        (error) => this.#report(error, "stream"),
      );
    });
    const producers = this.#producers ??= new Map();
    producers.set(id, producer);
    ctx.onCancel = () => producer.wake();
    return producer.run(iterable, ctx).finally(() => producers.delete(id));
  }

  #ownRegistry(): Registry {
    return this.#own ??= new Registry(this.#settings.shared);
  }

  /**
   * The built-in extension procedures every peer answers (`rpc.ping`, `rpc.cancel`,
   * `rpc.stream.item`, `rpc.stream.credit`), reached through {@linkcode PEER_BUILTINS} so no
   * per-peer closures or registry entries are needed.
   *
   * @internal
   */
  [BUILTIN](method: string, params: Params | undefined): unknown {
    switch (method) {
      case Extension.Cancel: {
        const id = (params as { id?: unknown } | undefined)?.id;
        this.#calls?.cancel(
          id,
          new RpcError(ErrorCode.Cancelled, "Switchboard: the caller cancelled (rpc.cancel)"),
        );
        return undefined;
      }
      case StreamMethod.Item:
        return this.#streams?.items(params);
      case StreamMethod.Credit: {
        const credit = parseCredit(params);
        if (credit !== undefined) this.#producers?.get(credit.id)?.grant(credit.credit);
        return undefined;
      }
      default:
        return "pong";
    }
  }

  #finished(ctx: RunningCall): void {
    this.#running--;
    const calls = this.#calls;
    if (calls === undefined) return;
    calls.delete(ctx);
    // An idle connection keeps no table.
    if (calls.size === 0) this.#calls = undefined;
  }

  #failed(
    msg: Request,
    isRequest: boolean,
    error: unknown,
    expose: boolean | undefined = undefined,
  ): Response | undefined {
    if (!(error instanceof RpcError)) this.#report(error, msg.method);
    if (!isRequest) {
      if (error instanceof RpcError) this.#report(error, msg.method);
      return undefined;
    }
    return {
      jsonrpc: "2.0",
      id: msg.id,
      error: toErrorObject(error, expose ?? this.#settings.expose),
    };
  }

  /** The pending-call table, made on first use. */
  get #table(): PendingCalls {
    // A call that timed out here must stop over there too: tell the other side.
    return this.#pending ??= new PendingCalls(
      this.#settings.timeout,
      (id) => this.notify(Extension.Cancel, { id }),
    );
  }

  /**
   * A send failed after `Wire.send` returned (a Blob read, a later chunk): the calls in the
   * message reject with the error; anything else (a response, a notification) is reported.
   * The peer takes these itself, so no closure is made per message or per peer.
   *
   * @internal
   */
  [SEND_FAILED](error: unknown, message: unknown): void {
    let failed = false;
    for (const item of Array.isArray(message) ? message : [message]) {
      const { id, method } = item as { id?: unknown; method?: unknown };
      if (
        typeof id === "number" && typeof method === "string" && this.#pending?.fail(id, error)
      ) {
        failed = true;
      }
    }
    if (!failed) this.#report(error, "send");
  }

  #report(error: unknown, where: string): void {
    const onError = this.#settings.onError;
    if (onError === undefined) return;
    try {
      onError(error, where, this);
    } catch {
      // A broken reporter must not break the connection; there is nowhere left to report.
    }
  }
}

function errorResponse(id: Id, code: number, message: string, data?: unknown): Response {
  const error: ErrorObject = data === undefined ? { code, message } : { code, message, data };
  return { jsonrpc: "2.0", id, error };
}

function collect(outputs: (Response | undefined)[]): Response[] | undefined {
  const responses = outputs.filter((r): r is Response => r !== undefined);
  return responses.length === 0 ? undefined : responses;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}

function isParams(value: unknown): value is Params {
  return typeof value === "object" && value !== null;
}

function cancelledError(method: string, reason: unknown): RpcError {
  return new RpcError(
    ErrorCode.Cancelled,
    `Switchboard: call to ${method} was cancelled`,
    undefined,
    { cause: reason },
  );
}

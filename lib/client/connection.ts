/**
 * The reconnecting side of the client: states, one session (link + peer) per socket,
 * backoff, the outbox of calls made between sockets, heartbeat, resubscription, and the
 * rules for calls caught by a drop. client.ts is the public face over it.
 *
 * A client outlives its sockets: it owns a long-lived Registry (its procedures and
 * middleware), its Subscriptions, this connection's Outbox and its events. Each socket (or
 * multiplexed channel) gets a NEW Peer whose registry has the client's as parent. A new peer
 * per socket, rather than one peer over a reconnecting transport, because everything a peer
 * holds is tied to one connection: pending calls (a response can only come back on the
 * socket that carried the request), running calls, streams, the negotiated codec
 * (`rpc.hello` is redone per socket), binary reassembly. When a socket dies its peer rejects
 * all of that at once, through the peer's one close path, and the connection decides per
 * call: never sent (the socket never opened) -> send again; sent and `idempotent` -> send
 * again once; otherwise -> -32007 (unknown outcome).
 *
 * @module
 */

import type { HelloResult } from "../protocol/extensions.ts";
import type { Params } from "../protocol/types.ts";
import { ErrorCode, RpcError } from "../protocol/errors.ts";
import { type BatchEntry, type CallOptions, Peer, type StreamOptions } from "../peer/peer.ts";
import type { DropHandler, DroppedCall } from "../peer/pending.ts";
import type { StreamCall } from "../peer/stream_call.ts";
import type { CloseInfo } from "../peer/transport.ts";
import type { ConnectionInfo, Registry } from "../router/registry.ts";
import { type SocketClose, SocketTransport } from "./socket_transport.ts";
import { type ServerUrls, UrlRotation } from "./urls.ts";
import type { Subscriptions } from "./subscriptions.ts";
import { backoffDelay, resolveBackoff, type ResolvedBackoff } from "./backoff.ts";
import type { Emitter } from "./emitter.ts";
import { checkHeartbeat, type HeartbeatOptions, startHeartbeat } from "./heartbeat.ts";
import type { Link } from "./link.ts";
import { openChannel } from "./multiplex.ts";
import { type Job, Outbox } from "./outbox.ts";
import { startTimeout, stopTimer } from "./timers.ts";
import { fetchToken, TokenKeeper, type TokenRefreshResult } from "./token.ts";
import { type HelloHooks, sayHello } from "./hello.ts";
import type { ClientCallOptions, ClientEvents, ClientOptions, ConnectionState } from "./options.ts";
import { Method } from "../protocol/methods.ts";
import { CloseCode } from "../protocol/close_codes.ts";

/**
 * Close codes after which the client does not reconnect: the server closed on purpose
 * (1000) or refused what this client sends (1003 unsupported data, 1007 invalid payload,
 * 1008 policy, 1009 too big), which would only repeat. Others (1001 going away for a
 * restart, 1006 a dropped network, 1011, 4000 heartbeat, 4008 slow consumer, …) reconnect.
 */
const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CloseCode.Normal,
  CloseCode.UnsupportedData,
  CloseCode.InvalidPayload,
  CloseCode.PolicyViolation,
  CloseCode.MessageTooBig,
]);

/** One connection attempt: its link and the peer that speaks over it. */
interface Session {
  readonly link: Link;
  readonly peer: Peer;
  readonly hello: Promise<HelloResult | undefined>;
}

/** A call or notification, run on the current socket or held for the next one. */
interface ClientJob extends Job {
  /** Send it; `timeout` is what remains of its own (undefined: not delayed, use its options). */
  run(peer: Peer, timeout: number | undefined): void;
  /** Whether it waited (in the outbox or for a resend): its timeout is then what remains. */
  delayed: boolean;
}

/**
 * What a {@linkcode Connection} shares with its client.
 *
 * @example
 * ```ts ignore
 * const parts: ClientParts = { registry, subscriptions, events, report };
 * ```
 */
export interface ClientParts {
  /** The client's procedures and middleware (parent of every session's registry). */
  readonly registry: Registry;
  /** The client's subscriptions (restored on every new socket). */
  readonly subscriptions: Subscriptions;
  /** The client's events. */
  readonly events: Emitter<ClientEvents>;
  /** Where unawaited failures go. */
  readonly report: (error: unknown, where: string) => void;
}

const DEFAULT_TIMEOUT = 30_000;
const DEFAULT_HEARTBEAT: HeartbeatOptions = Object.freeze({ interval: 15_000, timeout: 10_000 });

/**
 * The connection of one client, across its sockets.
 *
 * @example
 * ```ts ignore
 * const connection = new Connection("ws://127.0.0.1:8000/rpc", { reconnect: true }, parts);
 * connection.open();
 * await connection.call("ping");
 * ```
 */
export class Connection {
  readonly #options: ClientOptions;
  readonly #registry: Registry;
  readonly #subscriptions: Subscriptions;
  readonly #events: Emitter<ClientEvents>;
  readonly #report: (error: unknown, where: string) => void;
  readonly #outbox: Outbox<ClientJob>;
  readonly #backoff: ResolvedBackoff | undefined;
  readonly #heartbeat: HeartbeatOptions | undefined;
  readonly #timeout: number;
  /** Takes over fast-path calls caught by a drop; undefined without reconnection (-32001). */
  readonly #onDrop: DropHandler | undefined;
  #url: string;
  #urls: UrlRotation;
  #failed = false;
  #state: ConnectionState = "CLOSED";
  #session: Session | undefined;
  #attempt = 0;
  #connectedAt = 0;
  #everConnected = false;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #stopHeartbeat: (() => void) | undefined;
  #closeRequest: { code: number | undefined; reason: string | undefined } | undefined;
  /** The `token` option: sent in every hello, refreshed before it expires. */
  readonly #token: TokenKeeper;
  /** Where every socket's hello reports its `expires` and a refused token. */
  readonly #helloHooks: HelloHooks = {
    expires: (expires) => this.#token.expiresAt(expires),
    report: (error, where) => this.#report(error, where),
  };
  /** Counts socket attempts, so a token that arrives for an abandoned attempt is dropped. */
  #tokenAttempt = 0;
  /** A token function is running before the next socket opens: calls wait in the outbox. */
  #tokenPending = false;
  #ready!: Promise<void>;
  #resolveReady!: () => void;
  #rejectReady!: (error: unknown) => void;
  #closed!: Promise<CloseInfo>;
  #resolveClosed!: (info: CloseInfo) => void;

  /**
   * @param url The server's WebSocket URL, a list to rotate through, or a function.
   * @param options The client's options.
   * @param parts What the client shares: registry, subscriptions, events, error reporter.
   */
  constructor(url: ServerUrls, options: ClientOptions, parts: ClientParts) {
    if (options.multiplex && options.binary === true) {
      throw new TypeError("Switchboard: binary frames are not available with multiplex");
    }
    this.#urls = new UrlRotation(url);
    this.#url = this.#urls.current;
    this.#options = options;
    this.#registry = parts.registry;
    this.#subscriptions = parts.subscriptions;
    this.#events = parts.events;
    this.#report = parts.report;
    this.#timeout = options.timeout ?? DEFAULT_TIMEOUT;
    // On by default: a client that survives flaky networks is the point. `reconnect: false`
    // gives a one-socket client whose `closed` resolves at the first close.
    const reconnect = options.reconnect ?? true;
    this.#backoff = reconnect === false
      ? undefined
      : resolveBackoff(reconnect === true ? {} : reconnect);
    this.#onDrop = this.#backoff === undefined
      ? undefined
      : (call, error) => this.#handOver(call, error);
    const heartbeat = options.heartbeat ??
      (this.#backoff === undefined ? false : DEFAULT_HEARTBEAT);
    this.#heartbeat = heartbeat === false ? undefined : checkHeartbeat(heartbeat);
    this.#outbox = new Outbox(options.maxQueued ?? 1000);
    this.#token = new TokenKeeper(
      options.token,
      (token) => this.call(Method.Refresh, { token }) as Promise<TokenRefreshResult>,
      (error, where) => this.#report(error, where),
    );
  }

  /**
   * Send a new token on the current socket (`rpc.refresh`): the one given, or the `token`
   * option's (its function is asked again).
   *
   * @param token A token instead of the option's.
   * @returns The hub's answer: client, roles, `expires`.
   */
  refresh(token?: string): Promise<TokenRefreshResult> {
    return this.#token.refresh(token);
  }

  /** The URL connected to. */
  get url(): string {
    return this.#url;
  }

  /** Where the client is in its life. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** Resolves at the first `CONNECTED` after `open()`; rejects if closed first. */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** Resolves when closed for good. */
  get closed(): Promise<CloseInfo> {
    return this.#closed;
  }

  /** The current socket's hello answer. */
  get hello(): Promise<HelloResult | undefined> {
    return this.#session?.hello ?? Promise.resolve(undefined);
  }

  /** Facts about the current session. */
  get info(): ConnectionInfo {
    return this.#session!.peer.info;
  }

  /** Calls awaiting a response on the current socket. */
  get pendingCalls(): number {
    return this.#session?.peer.pendingCalls ?? 0;
  }

  /** Calls waiting for a socket. */
  get queuedCalls(): number {
    return this.#outbox.size;
  }

  /**
   * Open (again); see `Client.open`.
   *
   * @param url Another URL. Default: the last one.
   */
  open(url?: ServerUrls): void {
    if (this.#state !== "CLOSED") {
      throw new Error(`Switchboard: the client is already open (${this.#state}); close it first`);
    }
    if (url !== undefined) this.#urls = new UrlRotation(url);
    this.#failed = false;
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
   * Call a procedure on the server; see `Client.call`.
   *
   * @param method The method.
   * @param params Its params.
   * @param options Timeout, signal, idempotent.
   * @returns The result.
   */
  call(method: string, params?: Params, options?: ClientCallOptions): Promise<unknown> {
    // Fast path, the common case: a live socket. The call goes straight to its peer (one
    // promise, no job); only a drop while it is in flight needs the reconnection machinery,
    // and the peer hands such calls to #onDrop then (no per-call catch).
    const peer = this.#livePeer();
    if (peer !== undefined) return peer.callOrHandOver(method, params, options, this.#onDrop);
    return new Promise((resolve, reject) => {
      this.#submit(this.#job(method, params, options, resolve, reject));
    });
  }

  /**
   * A fast-path call whose socket dropped while it was pending (see `Peer.callOrHandOver`):
   * resent on the next socket or rejected with -32007, as a job would be.
   */
  #handOver(call: DroppedCall, error: unknown): void {
    // A resent idempotent call gets its full timeout again from here: the fast path does not
    // read the clock per call. The dropped peer is still the session's (a new session only
    // starts after this one's close has been handled).
    const job = this.#job(
      call.method,
      call.params,
      call.options as ClientCallOptions | undefined,
      call.resolve,
      call.reject,
    );
    this.#afterDrop(job, this.#session!.peer, error);
  }

  /** A call that may wait for a socket or be resent: its deadline, retry state and runner. */
  #job(
    method: string,
    params: Params | undefined,
    options: ClientCallOptions | undefined,
    resolve: (value: unknown) => void,
    reject: (reason: unknown) => void,
  ): ClientJob {
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
    return job;
  }

  /**
   * Call a streamed procedure; not queued while reconnecting (-32001).
   *
   * @param method The method.
   * @param params Its params.
   * @param options Credit, timeout, signal.
   * @returns The stream.
   */
  stream<T = unknown, R = unknown>(
    method: string,
    params?: Params,
    options?: StreamOptions,
  ): StreamCall<T, R> {
    return this.#session!.peer.stream(method, params, options);
  }

  /**
   * Send a notification (queued while reconnecting).
   *
   * @param method The method.
   * @param params Its params.
   * @returns False if closed or the queue is full.
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
   * Send a batch (queued while reconnecting, never resent).
   *
   * @param entries The entries.
   * @param options Timeout and signal of each call.
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
   * Close for good (until `open()`).
   *
   * @param code The close code.
   * @param reason The reason.
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
    else this.#finish({ code: code ?? CloseCode.Normal, reason: reason ?? "", local: true });
  }

  #connect(): void {
    this.#reconnectTimer = undefined;
    this.#setState("CONNECTING");
    this.#url = this.#urls.next(this.#failed);
    this.#failed = true; // Until this socket connects.
    const source = this.#token.source;
    if (source === undefined) {
      this.#open(undefined);
      return;
    }
    // The token first, so that the hello carrying it is the socket's first frame.
    const attempt = ++this.#tokenAttempt;
    this.#tokenPending = true;
    fetchToken(source).then((token) => {
      if (attempt !== this.#tokenAttempt || this.#state !== "CONNECTING") return;
      this.#tokenPending = false;
      this.#open(token);
    }, (error: unknown) => {
      if (attempt !== this.#tokenAttempt || this.#state !== "CONNECTING") return;
      this.#tokenPending = false;
      this.#report(error, "token");
      this.#afterLoss(
        { code: CloseCode.Abnormal, reason: "Switchboard: no token", local: true },
        false,
      );
    });
  }

  /** Open a socket and its session; `token` goes in its hello. */
  #open(token: string | undefined): void {
    const hooks = {
      onOpen: () => {
        if (this.#session === session && !session.peer.isClosed) this.#setState("OPEN");
        this.#events.emit("websocketOpen", { url: this.#url });
      },
      onClose: (event: SocketClose) => this.#events.emit("websocketClose", event),
    };
    const resumeCount = this.#subscriptions.resumeParams().length;
    const link: Link = this.#options.multiplex
      ? openChannel(this.#url, this.#options, hooks)
      : new SocketTransport(this.#url, {
        ...this.#options,
        // The outbox enforces maxQueued; the socket also holds hello and resubscriptions.
        maxQueued: (this.#options.maxQueued ?? 1000) + resumeCount + 1,
        ...hooks,
      });
    // Binary starts off: messages with attachments wait for the hello's answer.
    const peer = new Peer(link, {
      ...this.#options,
      binary: false,
      procedures: this.#registry,
      onError: (error, where) => this.#report(error, where),
    });
    link.attach(peer);
    const session: Session = {
      link,
      peer,
      hello: sayHello(peer, this.#options, token, this.#helloHooks),
    };
    this.#session = session;
    // Queued behind the hello: resubscriptions, then calls made while disconnected.
    const resumed = resumeCount === 0
      ? Promise.resolve()
      : this.#subscriptions.resume((method, params) => peer.call(method, params, { timeout: 0 }));
    for (const job of this.#outbox.take()) this.#runOn(peer, job);
    const heartbeat = this.#heartbeat;
    if (heartbeat !== undefined) {
      // From the socket's opening: a hello that never gets answered is a dead socket too.
      link.opened.then(() => {
        if (this.#session === session && !peer.isClosed) {
          this.#stopHeartbeat = startHeartbeat(peer, heartbeat);
        }
      }, () => {/* Never opened: nothing to watch. */});
    }
    Promise.all([link.opened, session.hello, resumed]).then(
      ([, hello]) => this.#connected(session, hello),
      () => {/* The peer closed first: handled by #lost. */},
    );
    peer.closed.then((info) => this.#lost(session, info));
  }

  #connected(session: Session, hello: HelloResult | undefined): void {
    if (this.#session !== session || session.peer.isClosed) return;
    this.#setState("CONNECTED");
    this.#failed = false;
    this.#connectedAt = Date.now();
    const reconnected = this.#everConnected;
    this.#everConnected = true;
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
    this.#token.stop();
    this.#afterLoss(info, this.#state === "CONNECTED");
  }

  /** A socket was lost (or never got its token): reconnect or finish. */
  #afterLoss(info: CloseInfo, wasConnected: boolean): void {
    if (
      this.#closeRequest !== undefined || this.#backoff === undefined ||
      FINAL_CLOSE_CODES.has(info.code)
    ) {
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
    this.#token.stop();
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
    return this.#state === "CONNECTING" &&
      (this.#backoff !== undefined || this.#tokenPending) && !(this.#options.failFast ?? false);
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
}

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
 * all of that at once, through the peer's one close path, and {@linkcode Calls} decides per
 * call (calls.ts).
 *
 * @module
 */

import type { HelloResult } from "../protocol/extensions.ts";
import type { Params } from "../protocol/types.ts";
import { ErrorCode, RpcError } from "../protocol/errors.ts";
import { type BatchEntry, type CallOptions, Peer, type StreamOptions } from "../peer/peer.ts";
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
import { Calls } from "./calls.ts";
import { startTimeout, stopTimer, type TimerHandle } from "./timers.ts";
import { fetchToken, TokenKeeper, type TokenRefreshResult } from "./token.ts";
import { type HelloHooks, sayHello } from "./hello.ts";
import type { ClientCallOptions, ClientEvents, ClientOptions, ConnectionState } from "./options.ts";
import { Method } from "../protocol/methods.ts";
import { CloseCode } from "../protocol/close_codes.ts";
import { type Clock, systemClock } from "../protocol/clock.ts";

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
const DEFAULT_MAX_QUEUED = 1000;
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
  readonly #calls: Calls;
  readonly #clock: Clock;
  readonly #backoff: ResolvedBackoff | undefined;
  readonly #heartbeat: HeartbeatOptions | undefined;
  #url: string;
  #urls: UrlRotation;
  #failed = false;
  #state: ConnectionState = "CLOSED";
  #session: Session | undefined;
  #attempt = 0;
  #connectedAt = 0;
  #everConnected = false;
  #reconnectTimer: TimerHandle | undefined;
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
    this.#clock = options.clock ?? systemClock;
    // On by default: a client that survives flaky networks is the point. `reconnect: false`
    // gives a one-socket client whose `closed` resolves at the first close.
    const reconnect = options.reconnect ?? true;
    this.#backoff = reconnect === false
      ? undefined
      : resolveBackoff(reconnect === true ? {} : reconnect);
    const heartbeat = options.heartbeat ??
      (this.#backoff === undefined ? false : DEFAULT_HEARTBEAT);
    this.#heartbeat = heartbeat === false ? undefined : checkHeartbeat(heartbeat);
    this.#calls = new Calls({
      livePeer: () => this.#livePeer(),
      queueing: () => this.#queueing(),
      session: () => this.#session,
      resending: () => this.#backoff !== undefined && this.#closeRequest === undefined,
      reconnects: this.#backoff !== undefined,
      isClosed: () => this.#state === "CLOSED",
    }, {
      timeout: options.timeout ?? DEFAULT_TIMEOUT,
      maxQueued: options.maxQueued ?? DEFAULT_MAX_QUEUED,
      clock: this.#clock,
    });
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
    return this.#calls.queued;
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
    return this.#calls.call(method, params, options);
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
    return this.#calls.notify(method, params);
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
    return this.#calls.batch(entries, options);
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
    this.#calls.failAll(
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
        maxQueued: (this.#options.maxQueued ?? DEFAULT_MAX_QUEUED) + resumeCount + 1,
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
    this.#calls.flush(peer);
    const heartbeat = this.#heartbeat;
    if (heartbeat !== undefined) {
      // From the socket's opening: a hello that never gets answered is a dead socket too.
      link.opened.then(() => {
        if (this.#session === session && !peer.isClosed) {
          this.#stopHeartbeat = startHeartbeat(peer, heartbeat, this.#clock);
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
    this.#connectedAt = this.#clock.now();
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
    if (wasConnected && this.#clock.now() - this.#connectedAt >= backoff.stableAfter) {
      this.#attempt = 0;
    }
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
      this.#reconnectTimer = startTimeout(() => this.#connect(), delay, this.#clock);
    }
  }

  #finish(info: CloseInfo): void {
    if (this.#state === "CLOSED") return;
    this.#setState("CLOSED");
    this.#token.stop();
    this.#calls.failAll(
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
}

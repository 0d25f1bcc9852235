/**
 * Calls across sockets: how a client's call, notification or batch reaches a server whose
 * socket may be connecting, reconnecting or gone. A call goes straight to a live socket's
 * peer (the fast path); without one it waits in the {@linkcode Outbox} for the next socket
 * (with its deadline and abort signal) or fails at once. A call whose socket dropped under
 * it is handed back here and decided: never sent (the socket never opened) -> sent again;
 * sent and `idempotent` -> sent again once; otherwise -> -32007 (unknown outcome).
 *
 * @module
 */

import type { Params } from "../protocol/types.ts";
import { ErrorCode, RpcError } from "../protocol/errors.ts";
import type { Clock } from "../protocol/clock.ts";
import type { BatchEntry, CallOptions, Peer } from "../peer/peer.ts";
import type { DropHandler, DroppedCall } from "../peer/pending.ts";
import type { Link } from "./link.ts";
import { type Job, Outbox } from "./outbox.ts";
import type { ClientCallOptions } from "./options.ts";

/** A call or notification, run on the current socket or held for the next one. */
interface ClientJob extends Job {
  /** Send it; `timeout` is what remains of its own (undefined: not delayed, use its options). */
  run(peer: Peer, timeout: number | undefined): void;
  /** Whether it waited (in the outbox or for a resend): its timeout is then what remains. */
  delayed: boolean;
}

/**
 * What {@linkcode Calls} reads of the connection it serves.
 *
 * @example Types only
 * ```ts
 * import type { CallSite } from "./calls.ts";
 * const offline: CallSite = {
 *   livePeer: () => undefined,
 *   queueing: () => false,
 *   session: () => undefined,
 *   resending: () => false,
 *   reconnects: false,
 *   isClosed: () => true,
 * };
 * if (offline.livePeer() !== undefined) throw new Error("unreachable");
 * ```
 */
export interface CallSite {
  /** The current peer if calls can go to it now (it may still be connecting). */
  livePeer(): Peer | undefined;
  /** Whether calls without a socket wait for the next one. */
  queueing(): boolean;
  /** The current socket's link and peer; undefined before the first. */
  session(): { readonly link: Link; readonly peer: Peer } | undefined;
  /** Whether calls caught by a drop may be sent again (reconnecting, no close asked). */
  resending(): boolean;
  /** Whether the connection reconnects at all. */
  readonly reconnects: boolean;
  /** Whether the connection is closed for good. */
  isClosed(): boolean;
}

/**
 * Options of {@linkcode Calls}.
 *
 * @example
 * ```ts
 * import type { CallsOptions } from "./calls.ts";
 * import { systemClock } from "../protocol/clock.ts";
 * const options: CallsOptions = { timeout: 30_000, maxQueued: 1000, clock: systemClock };
 * if (options.maxQueued !== 1000) throw new Error("unreachable");
 * ```
 */
export interface CallsOptions {
  /** The default call timeout (ms; 0 for none). */
  readonly timeout: number;
  /** Most messages held while there is no socket. */
  readonly maxQueued: number;
  /** Deadlines' clock. */
  readonly clock: Clock;
}

/**
 * The calls of one client connection, across its sockets.
 *
 * @example Without a socket and without queueing, a call fails at once
 * ```ts
 * import { Calls } from "./calls.ts";
 * import { systemClock } from "../protocol/clock.ts";
 * const calls = new Calls({
 *   livePeer: () => undefined,
 *   queueing: () => false,
 *   session: () => undefined,
 *   resending: () => false,
 *   reconnects: false,
 *   isClosed: () => true,
 * }, { timeout: 1000, maxQueued: 10, clock: systemClock });
 * const error = await calls.call("sum", [1, 2], undefined).catch((e) => e) as { code: number };
 * if (error.code !== -32001) throw new Error("unreachable");
 * ```
 */
export class Calls {
  readonly #site: CallSite;
  readonly #timeout: number;
  readonly #clock: Clock;
  readonly #outbox: Outbox<ClientJob>;
  /** Takes over fast-path calls caught by a drop; undefined without reconnection (-32001). */
  readonly #onDrop: DropHandler | undefined;

  /**
   * @param site What the calls read of their connection.
   * @param options Default timeout, outbox size, clock.
   */
  constructor(site: CallSite, options: CallsOptions) {
    this.#site = site;
    this.#timeout = options.timeout;
    this.#clock = options.clock;
    this.#outbox = new Outbox(options.maxQueued, options.clock);
    this.#onDrop = site.reconnects ? (call, error) => this.#handOver(call, error) : undefined;
  }

  /** Calls waiting for a socket. */
  get queued(): number {
    return this.#outbox.size;
  }

  /**
   * Call a procedure; see `Client.call`.
   *
   * @param method The method.
   * @param params Its params.
   * @param options Timeout, signal, idempotent.
   * @returns The result.
   */
  call(
    method: string,
    params: Params | undefined,
    options: ClientCallOptions | undefined,
  ): Promise<unknown> {
    // Fast path, the common case: a live socket. The call goes straight to its peer (one
    // promise, no job); only a drop while it is in flight needs the reconnection machinery,
    // and the peer hands such calls to #onDrop then (no per-call catch).
    const peer = this.#site.livePeer();
    if (peer !== undefined) return peer.callOrHandOver(method, params, options, this.#onDrop);
    return new Promise((resolve, reject) => {
      this.#submit(this.#job(method, params, options, resolve, reject));
    });
  }

  /**
   * Send a notification (queued while reconnecting).
   *
   * @param method The method.
   * @param params Its params.
   * @returns False if closed or the queue is full.
   */
  notify(method: string, params: Params | undefined): boolean {
    const peer = this.#site.livePeer();
    if (peer !== undefined) return peer.notify(method, params);
    if (!this.#site.queueing()) return false;
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
    options: CallOptions | undefined,
  ): Promise<PromiseSettledResult<unknown>[]> {
    const peer = this.#site.livePeer();
    if (peer !== undefined || !this.#site.queueing()) {
      return (peer ?? this.#site.session()!.peer).batch(entries, options);
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
   * Send everything held on a new socket's peer, in order.
   *
   * @param peer The new peer.
   */
  flush(peer: Peer): void {
    for (const job of this.#outbox.take()) this.#runOn(peer, job);
  }

  /**
   * Fail everything held.
   *
   * @param error The reason.
   */
  failAll(error: unknown): void {
    this.#outbox.failAll(error);
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
    this.#afterDrop(job, this.#site.session()!.peer, error);
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
      deadline: timeout === 0 ? Infinity : this.#clock.now() + timeout,
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

  #submit(job: ClientJob): void {
    const site = this.#site;
    const peer = site.livePeer();
    const session = site.session();
    if (peer !== undefined) this.#runOn(peer, job);
    else if (site.queueing()) {
      job.delayed = true;
      this.#outbox.hold(job);
    } else if (session !== undefined && !site.isClosed() && !site.reconnects) {
      // Not reconnecting: let the closed peer produce the usual -32001 (with its close code).
      job.run(session.peer, undefined);
    } else if (!site.isClosed()) {
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
    const remaining = job.deadline === Infinity ? 0 : job.deadline - this.#clock.now();
    if (job.deadline !== Infinity && remaining <= 0) {
      job.fail(new RpcError(ErrorCode.Timeout, `Switchboard: ${job.method} timed out`));
      return;
    }
    job.run(peer, remaining);
  }

  /** A call failed: if its socket died under it, decide between resending and -32007. */
  #afterDrop(job: ClientJob, peer: Peer, error: unknown): void {
    const dropped = error instanceof RpcError && error.code === ErrorCode.ConnectionClosed &&
      peer.isClosed && this.#site.resending();
    if (!dropped) {
      job.fail(error);
      return;
    }
    const session = this.#site.session();
    const neverSent = session !== undefined && session.peer === peer && !session.link.wasOpened;
    if (neverSent || (job.idempotent && !job.retried)) {
      if (!neverSent) job.retried = true;
      job.delayed = true;
      // Held until the next socket (the client is about to schedule it, or gives up and
      // fails everything held).
      const live = this.#site.livePeer();
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

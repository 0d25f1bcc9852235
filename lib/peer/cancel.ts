/**
 * The receiving side of cancellation: the context of each incoming call, with an
 * `AbortSignal` created only when a procedure reads it, and the table of calls still running
 * so that `rpc.cancel {id}` and a closing connection can abort them.
 *
 * A call that never reads `ctx.signal` costs one object (the context it gets anyway); an
 * asynchronous one is also linked into its connection's list of running calls while it runs.
 * A connection with no call running keeps nothing.
 *
 * @module
 */

import type { Id, Params } from "../protocol/types.ts";
import type { MiddlewareContext } from "../router/middleware.ts";
import type { ConnectionInfo, RemoteCaller } from "../router/context.ts";

/**
 * What a running call needs of the peer it came from (a `Peer` is one): typed here
 * so this module does not import the peer.
 *
 * @example
 * ```ts
 * import type { CallingPeer } from "./cancel.ts";
 * import { Peer } from "./peer.ts";
 * const peer: CallingPeer = new Peer({ send() {}, close() {} });
 * if (peer.isClosed) throw new Error("unreachable");
 * ```
 */
export interface CallingPeer extends RemoteCaller {
  /** Facts about the connection. */
  readonly info: ConnectionInfo;
  /** True once the connection has closed. */
  readonly isClosed: boolean;
  /** Aborts when the connection closes. */
  readonly signal: AbortSignal;
}

/**
 * One incoming call: what its procedure and middleware see as `ctx`, and what cancellation
 * acts on.
 *
 * @example A cancelled call aborts its signal, read before or after
 * ```ts
 * import { RunningCall } from "./cancel.ts";
 * import { Peer } from "./peer.ts";
 * const peer = new Peer({ send() {}, close() {} });
 * const call = new RunningCall(peer, 1, "work", undefined);
 * call.cancel(new Error("stop"));
 * if (!call.signal.aborted || !call.cancelled) throw new Error("unreachable");
 * ```
 */
export class RunningCall implements MiddlewareContext {
  /** The peer the call came from. */
  readonly peer: CallingPeer;
  /** The request id, or `undefined` for a notification. */
  readonly id: Id | undefined;
  /** The method called (for a streamed call, the procedure streamed). */
  readonly method: string;
  /** The params as received. */
  readonly params: Params | undefined;
  /** Runs once when the call is cancelled (a streaming producer wakes up with it). */
  onCancel: (() => void) | undefined = undefined;
  /** @internal Links in {@linkcode RunningCalls} (newer, older). */
  newer: RunningCall | undefined = undefined;
  /** @internal */
  older: RunningCall | undefined = undefined;

  #controller: AbortController | undefined;
  #reason: unknown = undefined;
  #cancelled = false;

  /**
   * @param peer The peer.
   * @param id The request id, `undefined` for a notification.
   * @param method The method.
   * @param params The params as received.
   */
  constructor(peer: CallingPeer, id: Id | undefined, method: string, params: Params | undefined) {
    this.peer = peer;
    this.id = id;
    this.method = method;
    this.params = params;
  }

  /** Facts about the connection. */
  get connection(): ConnectionInfo {
    return this.peer.info;
  }

  /** Aborts when the call is cancelled or the connection closes; created on first read. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#cancelled) this.#controller.abort(this.#reason);
      else if (this.peer.isClosed) this.#controller.abort(this.peer.signal.reason);
    }
    return this.#controller.signal;
  }

  /** Whether the call was cancelled (its response, if any, is not sent). */
  get cancelled(): boolean {
    return this.#cancelled;
  }

  /**
   * Cancel the call: abort its signal (if anyone made one) and run `onCancel`. Idempotent.
   *
   * @param reason The abort reason.
   */
  cancel(reason: unknown): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    const onCancel = this.onCancel;
    this.onCancel = undefined;
    onCancel?.();
  }
}

/**
 * The incoming calls of one connection still running: a list linked through the calls
 * themselves (no Map, no Set), newest first. `rpc.cancel {id}` walks it, which is bounded by
 * the connection's `maxConcurrentRequests`; with a reused id the newest call wins.
 *
 * @example
 * ```ts
 * import { RunningCall, RunningCalls } from "./cancel.ts";
 * import { Peer } from "./peer.ts";
 * const table = new RunningCalls();
 * const call = new RunningCall(new Peer({ send() {}, close() {} }), 7, "work", undefined);
 * table.add(call);
 * if (!table.cancel(7, new Error("stop")) || !call.cancelled) throw new Error("unreachable");
 * table.delete(call);
 * if (table.size !== 0) throw new Error("unreachable");
 * ```
 */
export class RunningCalls {
  #newest: RunningCall | undefined;
  #size = 0;

  /** How many are running. */
  get size(): number {
    return this.#size;
  }

  /**
   * Track a call until {@linkcode RunningCalls.delete}.
   *
   * @param call The call (not already tracked).
   */
  add(call: RunningCall): void {
    const newest = this.#newest;
    call.older = newest;
    call.newer = undefined;
    if (newest !== undefined) newest.newer = call;
    this.#newest = call;
    this.#size++;
  }

  /**
   * Stop tracking a call.
   *
   * @param call The call.
   */
  delete(call: RunningCall): void {
    const { newer, older } = call;
    if (newer === undefined && older === undefined && this.#newest !== call) return;
    if (newer !== undefined) newer.older = older;
    else this.#newest = older;
    if (older !== undefined) older.newer = newer;
    call.newer = call.older = undefined;
    this.#size--;
  }

  /**
   * Cancel the newest running call with this id.
   *
   * @param id The request id from `rpc.cancel`.
   * @param reason The abort reason.
   * @returns Whether such a call was running.
   */
  cancel(id: unknown, reason: unknown): boolean {
    if (typeof id !== "string" && typeof id !== "number") return false;
    for (let call = this.#newest; call !== undefined; call = call.older) {
      if (call.id === id) {
        call.cancel(reason);
        return true;
      }
    }
    return false;
  }

  /**
   * Cancel every running call (the connection closed).
   *
   * @param reason The abort reason.
   */
  cancelAll(reason: unknown): void {
    const calls: RunningCall[] = [];
    for (let call = this.#newest; call !== undefined; call = call.older) calls.push(call);
    for (const call of calls) this.delete(call);
    for (const call of calls) call.cancel(reason);
  }
}

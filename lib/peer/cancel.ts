/**
 * The receiving side of cancellation: the context of each incoming call, with an
 * `AbortSignal` created only when a procedure reads it, and the table of calls still running
 * so that `rpc.cancel {id}` and a closing connection can abort them.
 *
 * A call that never reads `ctx.signal` costs one object (the context it gets anyway) and, if
 * it is asynchronous, one Map entry while it runs.
 *
 * @module
 */

import type { Id, Params } from "../protocol/types.ts";
import type { MiddlewareContext } from "../router/middleware.ts";
import type { ConnectionInfo } from "../router/registry.ts";
import type { Peer } from "./peer.ts";

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
  readonly peer: Peer;
  /** The request id, or `undefined` for a notification. */
  readonly id: Id | undefined;
  /** The method called (for a streamed call, the procedure streamed). */
  readonly method: string;
  /** The params as received. */
  readonly params: Params | undefined;
  /** Runs once when the call is cancelled (a streaming producer wakes up with it). */
  onCancel: (() => void) | undefined = undefined;

  #controller: AbortController | undefined;
  #reason: unknown = undefined;
  #cancelled = false;

  /**
   * @param peer The peer.
   * @param id The request id, `undefined` for a notification.
   * @param method The method.
   * @param params The params as received.
   */
  constructor(peer: Peer, id: Id | undefined, method: string, params: Params | undefined) {
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
 * The incoming calls of one connection still running, by request id.
 *
 * @example
 * ```ts
 * import { RunningCall, RunningCalls } from "./cancel.ts";
 * import { Peer } from "./peer.ts";
 * const table = new RunningCalls();
 * const call = new RunningCall(new Peer({ send() {}, close() {} }), 7, "work", undefined);
 * table.add(call);
 * if (!table.cancel(7, new Error("stop")) || !call.cancelled) throw new Error("unreachable");
 * ```
 */
export class RunningCalls {
  readonly #calls = new Map<Id, RunningCall>();
  /** Calls nobody can cancel by id (notifications, a reused id): only a close aborts them. */
  readonly #others = new Set<RunningCall>();

  /** How many are running. */
  get size(): number {
    return this.#calls.size + this.#others.size;
  }

  /**
   * Track a call until {@linkcode RunningCalls.delete}.
   *
   * @param call The call.
   */
  add(call: RunningCall): void {
    const id = call.id;
    if (id === undefined || id === null) {
      this.#others.add(call);
      return;
    }
    const previous = this.#calls.get(id);
    if (previous !== undefined) this.#others.add(previous);
    this.#calls.set(id, call);
  }

  /**
   * Stop tracking a call.
   *
   * @param call The call.
   */
  delete(call: RunningCall): void {
    const id = call.id;
    if (id !== undefined && id !== null && this.#calls.get(id) === call) this.#calls.delete(id);
    else this.#others.delete(call);
  }

  /**
   * Cancel the running call with this id.
   *
   * @param id The request id from `rpc.cancel`.
   * @param reason The abort reason.
   * @returns Whether such a call was running.
   */
  cancel(id: unknown, reason: unknown): boolean {
    if (typeof id !== "string" && typeof id !== "number") return false;
    const call = this.#calls.get(id);
    if (call === undefined) return false;
    call.cancel(reason);
    return true;
  }

  /**
   * Cancel every running call (the connection closed).
   *
   * @param reason The abort reason.
   */
  cancelAll(reason: unknown): void {
    const calls = [...this.#calls.values(), ...this.#others];
    this.#calls.clear();
    this.#others.clear();
    for (const call of calls) call.cancel(reason);
  }
}

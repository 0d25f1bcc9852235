/**
 * Streamed results, calling side: the async iterable a caller gets from `Peer.stream()`, and
 * the table that routes `rpc.stream.item` notifications to it.
 *
 * The caller grants credit up front (the `credit` of `rpc.stream`) and gives it back in
 * `rpc.stream.credit` as the consumer takes items: every half window, and whenever the
 * consumer has caught up and waits (so a producer with a smaller window never stalls). At
 * most one window of items is ever queued here, however slow the consumer.
 *
 * @module
 */

import { ErrorCode, RpcError } from "../protocol/errors.ts";
import type { Id, Params } from "../protocol/types.ts";

/**
 * What a stream call asks of its peer.
 *
 * @example Types only
 * ```ts
 * import type { StreamControl } from "./stream_call.ts";
 * const control: StreamControl = { credit() {}, cancel() {} };
 * if (typeof control.credit !== "function") throw new Error("unreachable");
 * ```
 */
export interface StreamControl {
  /** Send `rpc.stream.credit` for this stream. */
  credit(items: number): void;
  /** Give up: reject the call locally and send `rpc.cancel`. */
  cancel(reason: unknown): void;
}

/**
 * The caller's view of a streamed call: iterate it for the items; `result` resolves with the
 * final response's result (a generator's return value) after the last item.
 *
 * Breaking out of a `for await` loop (or calling `return()`) cancels the call on the other
 * side, whose generator's `finally` then runs. A failed call throws from the iteration after
 * the items that arrived before the error.
 *
 * @typeParam T The items.
 * @typeParam R The final result.
 * @example
 * ```ts
 * import { StreamCall } from "./stream_call.ts";
 * const call = new StreamCall<number, string>(Promise.resolve("done"), 8, {
 *   credit() {},
 *   cancel() {},
 * });
 * call.push([1, 2]);
 * const items: number[] = [];
 * for await (const item of call) items.push(item);
 * if (items.join() !== "1,2" || (await call.result) !== "done") throw new Error("unreachable");
 * ```
 */
export class StreamCall<T = unknown, R = unknown> implements AsyncIterableIterator<T> {
  /** The final response's result; rejects like a call would. */
  readonly result: Promise<R>;

  readonly #window: number;
  readonly #control: StreamControl;
  #queue: T[] = [];
  #state: "open" | "done" | "failed" | "closed" = "open";
  #value: R | undefined;
  #error: unknown;
  #waiter: ((step: IteratorResult<T, R | undefined> | Promise<never>) => void) | undefined;
  #unacked = 0;

  /**
   * @param result The pending call's promise (settles with the final response).
   * @param window The credit granted up front.
   * @param control Credit and cancel for this stream.
   */
  constructor(result: Promise<unknown>, window: number, control: StreamControl) {
    this.#window = window;
    this.#control = control;
    this.result = result as Promise<R>;
    this.result.then(
      (value) => {
        if (this.#state !== "open") return;
        this.#state = "done";
        this.#value = value;
        this.#settleWaiter();
      },
      (error: unknown) => {
        if (this.#state !== "open") return;
        this.#state = "failed";
        this.#error = error;
        this.#settleWaiter();
      },
    );
  }

  /**
   * Items that arrived (called by the peer on `rpc.stream.item`). More than a window of
   * unconsumed items means the other side ignores credit: the call is cancelled with -32005.
   *
   * @param items The items, in order.
   */
  push(items: readonly unknown[]): void {
    if (this.#state !== "open") return;
    for (const item of items) this.#queue.push(item as T);
    if (this.#queue.length > this.#window) {
      this.#control.cancel(
        new RpcError(ErrorCode.LimitExceeded, "Switchboard: stream sent more items than credit"),
      );
      return;
    }
    this.#settleWaiter();
  }

  /**
   * The next item, or the end with the final result.
   *
   * @returns An iterator result.
   */
  next(): Promise<IteratorResult<T, R>> {
    const ready = this.#take();
    if (ready !== undefined) return ready as Promise<IteratorResult<T, R>>;
    if (this.#unacked > 0) {
      // Starved: give back all consumed credit now, in case the producer's window is smaller
      // than ours (it clamps credit to its own maxStreamWindow).
      this.#control.credit(this.#unacked);
      this.#unacked = 0;
    }
    return new Promise((resolve) => {
      this.#waiter = resolve as (step: unknown) => void;
    });
  }

  /**
   * Cancel the call (an AbortSignal fired): items already queued are still delivered, then
   * the iteration throws `reason`.
   *
   * @param reason The error the iteration and `result` reject with.
   */
  cancel(reason: unknown): void {
    if (this.#state === "open") this.#control.cancel(reason);
  }

  /**
   * Stop iterating: cancels the call if it has not ended.
   *
   * @returns The end of the iteration.
   */
  return(): Promise<IteratorResult<T, R>> {
    if (this.#state === "open") {
      this.#state = "closed";
      this.#control.cancel(
        new RpcError(ErrorCode.Cancelled, "Switchboard: the stream was closed by its consumer"),
      );
    }
    this.#queue = [];
    this.#settleWaiter();
    return Promise.resolve({ done: true, value: undefined as R });
  }

  /** @returns This iterator (a stream can be iterated once). */
  [Symbol.asyncIterator](): StreamCall<T, R> {
    return this;
  }

  #take(): Promise<IteratorResult<T, R | undefined>> | undefined {
    if (this.#queue.length > 0) {
      const value = this.#queue.shift()!;
      if (this.#state === "open" && ++this.#unacked >= Math.ceil(this.#window / 2)) {
        this.#control.credit(this.#unacked);
        this.#unacked = 0;
      }
      return Promise.resolve({ done: false, value });
    }
    switch (this.#state) {
      case "done":
        return Promise.resolve({ done: true, value: this.#value });
      case "closed":
        return Promise.resolve({ done: true, value: undefined });
      case "failed":
        return Promise.reject(this.#error);
      default:
        return undefined;
    }
  }

  #settleWaiter(): void {
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    const step = this.#take();
    if (step === undefined) return;
    this.#waiter = undefined;
    waiter(step as never);
  }
}

/**
 * The streams this peer is receiving, by request id.
 *
 * @example
 * ```ts
 * import { StreamCall, StreamCalls } from "./stream_call.ts";
 * const table = new StreamCalls();
 * const call = new StreamCall(new Promise(() => {}), 4, { credit() {}, cancel() {} });
 * table.set(1, call);
 * table.items({ id: 1, items: ["x"] });
 * if ((await call.next()).value !== "x") throw new Error("unreachable");
 * ```
 */
export class StreamCalls {
  readonly #calls = new Map<Id, StreamCall>();

  /**
   * Route items to a stream.
   *
   * @param id The request id.
   * @param call The stream.
   */
  set(id: Id, call: StreamCall): void {
    this.#calls.set(id, call);
  }

  /**
   * Forget a stream (its call settled).
   *
   * @param id The request id.
   */
  delete(id: Id): void {
    this.#calls.delete(id);
  }

  /**
   * Handle `rpc.stream.item` params: items for a stream no longer known (cancelled, ended)
   * are dropped.
   *
   * @param params `{ id, items }`.
   * @returns Whether they were delivered.
   */
  items(params: Params | undefined): boolean {
    const p = params as { id?: unknown; items?: unknown } | undefined;
    if (typeof p !== "object" || p === null || !Array.isArray(p.items)) return false;
    if (typeof p.id !== "number" && typeof p.id !== "string") return false;
    const call = this.#calls.get(p.id);
    if (call === undefined) return false;
    call.push(p.items);
    return true;
  }
}

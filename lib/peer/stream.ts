/**
 * Streamed results, producing side: a procedure that returns an async iterable (or is an
 * async generator) and was called through `rpc.stream` sends its items as `rpc.stream.item`
 * notifications, at most as many as the caller granted with credit, then the final response.
 * A caller that did not ask for a stream gets the items collected into an array.
 * docs/PROTOCOL.md §8 gives the exact JSON.
 *
 * @module
 */

import { ErrorCode, RpcError } from "../protocol/errors.ts";
import { isReserved, Method } from "../protocol/methods.ts";
import type { Id, Params } from "../protocol/types.ts";
import type { RunningCall } from "./cancel.ts";

/**
 * The extension method names of streamed results.
 *
 * @example
 * ```ts
 * import { StreamMethod } from "./stream.ts";
 * if (StreamMethod.Open !== "rpc.stream") throw new Error("unreachable");
 * ```
 */
export const StreamMethod: {
  /** Request, either way: call `params.method` and stream its result. */
  readonly Open: typeof Method.Stream;
  /** Notification, producer to caller: the next items of stream `id`. */
  readonly Item: typeof Method.StreamItem;
  /** Notification, caller to producer: `credit` more items may be sent for stream `id`. */
  readonly Credit: typeof Method.StreamCredit;
} = {
  Open: Method.Stream,
  Item: Method.StreamItem,
  Credit: Method.StreamCredit,
};

/** Most items in one `rpc.stream.item` notification. */
export const MAX_ITEMS_PER_MESSAGE = 64;

/**
 * The params of an `rpc.stream` request, checked.
 *
 * @example
 * ```ts
 * import { parseOpen } from "./stream.ts";
 * const open = parseOpen({ method: "count", params: [3], credit: 16 });
 * if (!("method" in open) || open.credit !== 16) throw new Error("unreachable");
 * ```
 */
export interface StreamOpen {
  /** The procedure to call. */
  readonly method: string;
  /** Its params. */
  readonly params: Params | undefined;
  /** Items the caller is ready to receive. */
  readonly credit: number;
}

/**
 * Check the params of an `rpc.stream` request.
 *
 * @param params The params received.
 * @returns The request to run, or the -32602 error to answer with.
 * @example
 * ```ts
 * import { parseOpen } from "./stream.ts";
 * import { RpcError } from "../protocol/errors.ts";
 * if (!(parseOpen([1]) instanceof RpcError)) throw new Error("unreachable");
 * ```
 */
export function parseOpen(params: Params | undefined): StreamOpen | RpcError {
  const p = params as { method?: unknown; params?: unknown; credit?: unknown } | undefined;
  if (typeof p !== "object" || p === null || Array.isArray(p)) {
    return invalid(`${Method.Stream} takes { method, params?, credit }`);
  }
  if (typeof p.method !== "string" || p.method.length === 0 || isReserved(p.method)) {
    return invalid(`${Method.Stream} needs the name of a procedure in method`);
  }
  if (p.params !== undefined && (typeof p.params !== "object" || p.params === null)) {
    return invalid("params must be an array or an object");
  }
  if (!Number.isSafeInteger(p.credit) || (p.credit as number) < 1) {
    return invalid("credit must be a positive integer");
  }
  return { method: p.method, params: p.params as Params | undefined, credit: p.credit as number };
}

/**
 * Check the params of an `rpc.stream.credit` notification.
 *
 * @param params The params received.
 * @returns The stream id and credit, or `undefined` if malformed.
 * @example
 * ```ts
 * import { parseCredit } from "./stream.ts";
 * if (parseCredit({ id: 1, credit: 8 })?.credit !== 8) throw new Error("unreachable");
 * ```
 */
export function parseCredit(
  params: Params | undefined,
): { readonly id: Id; readonly credit: number } | undefined {
  const p = params as { id?: unknown; credit?: unknown } | undefined;
  if (typeof p !== "object" || p === null) return undefined;
  if (typeof p.id !== "number" && typeof p.id !== "string") return undefined;
  if (!Number.isSafeInteger(p.credit) || (p.credit as number) < 1) return undefined;
  return { id: p.id, credit: p.credit as number };
}

/**
 * Whether a procedure's result is something to stream: an object with
 * `Symbol.asyncIterator` (strings and arrays are plain results).
 *
 * @param value A procedure's result.
 * @returns True for async iterables.
 * @example
 * ```ts
 * import { isAsyncIterable } from "./stream.ts";
 * async function* gen() { yield 1; }
 * if (!isAsyncIterable(gen()) || isAsyncIterable([1])) throw new Error("unreachable");
 * ```
 */
export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function";
}

/**
 * Sends one stream's items as credit allows: the producing side of one `rpc.stream` call.
 *
 * Items pulled from the iterable go out at once (several per message when the producer is
 * faster than the event loop), so nothing queues here: what is in flight is bounded by the
 * credit, itself clamped to the window (`maxStreamWindow`). When the credit runs out the
 * producer stops pulling until `rpc.stream.credit` arrives.
 *
 * @example
 * ```ts
 * import { Producer } from "./stream.ts";
 * import { RunningCall } from "./cancel.ts";
 * import { Peer } from "./peer.ts";
 * const sent: unknown[][] = [];
 * const producer = new Producer(2, 16, (items) => void sent.push(items));
 * async function* three() { yield 1; yield 2; yield 3; return "end"; }
 * const call = new RunningCall(new Peer({ send() {}, close() {} }), 1, "three", undefined);
 * const running = producer.run(three(), call);
 * await Promise.resolve();
 * producer.grant(5);
 * if ((await running) !== "end" || sent.flat().length !== 3) throw new Error("unreachable");
 * ```
 */
export class Producer {
  readonly #window: number;
  readonly #emit: (items: unknown[]) => void;
  #credit: number;
  #buffer: unknown[] = [];
  #wake: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlightPeak = 0;
  #sent = 0;
  #acked = 0;

  /**
   * @param credit The caller's initial credit (clamped to the window).
   * @param window Most items in flight.
   * @param emit Sends items (one `rpc.stream.item`); may throw if the transport cannot.
   */
  constructor(credit: number, window: number, emit: (items: unknown[]) => void) {
    this.#window = window;
    this.#credit = Math.min(credit, window);
    this.#emit = emit;
  }

  /** The most items sent and not yet credited back (consumed by the caller) at any moment. */
  get inFlightPeak(): number {
    return this.#inFlightPeak;
  }

  /**
   * Add credit (from `rpc.stream.credit`); the total outstanding never exceeds the window.
   *
   * @param credit Items the caller consumed.
   */
  grant(credit: number): void {
    this.#acked += credit;
    this.#credit = Math.min(this.#credit + credit, this.#window);
    this.wake();
  }

  /** Wake a producer waiting for credit (on cancel, so it can stop). */
  wake(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /**
   * Pull items and send them until the iterable ends, the call is cancelled, or sending
   * fails. The iterable's `return()` (a generator's `finally`) runs whenever it did not end
   * by itself.
   *
   * @param iterable What the procedure returned.
   * @param call The running call (its cancellation stops the stream).
   * @returns The iterable's return value (the final response's result).
   */
  async run(iterable: AsyncIterable<unknown>, call: RunningCall): Promise<unknown> {
    const iterator = iterable[Symbol.asyncIterator]();
    let ended = false;
    try {
      for (;;) {
        if (call.cancelled) return undefined;
        if (this.#credit <= 0) {
          this.#flush();
          await new Promise<void>((resolve) => this.#wake = resolve);
          continue;
        }
        let step: IteratorResult<unknown>;
        try {
          step = await iterator.next();
        } catch (error) {
          ended = true;
          // Items produced before the failure still reach the caller, then the error.
          if (!call.cancelled) this.#flush();
          throw error;
        }
        if (step.done) {
          ended = true;
          this.#flush();
          return step.value;
        }
        if (call.cancelled) return undefined;
        this.#buffer.push(step.value);
        this.#credit--;
        if (this.#buffer.length >= MAX_ITEMS_PER_MESSAGE) this.#flush();
        else this.#timer ??= setTimeout(() => this.#flushSafely(), 0);
      }
    } finally {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      if (!ended) await iterator.return?.();
    }
  }

  #flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buffer.length === 0) return;
    const items = this.#buffer;
    this.#buffer = [];
    this.#sent += items.length;
    const inFlight = this.#sent - this.#acked;
    if (inFlight > this.#inFlightPeak) this.#inFlightPeak = inFlight;
    this.#emit(items);
  }

  #flushSafely(): void {
    this.#timer = undefined;
    try {
      this.#flush();
    } catch {
      // The transport refused: the pump's next flush throws the same error and ends the call.
    }
  }
}

/**
 * Collect a streaming procedure's items into an array, for a caller that did not ask for a
 * stream (a plain JSON-RPC 2.0 client).
 *
 * @param iterable What the procedure returned.
 * @param call The running call (cancelling it stops collecting).
 * @param max Most items; one more rejects with -32005.
 * @returns The items.
 * @example
 * ```ts
 * import { collect } from "./stream.ts";
 * import { RunningCall } from "./cancel.ts";
 * import { Peer } from "./peer.ts";
 * async function* two() { yield "a"; yield "b"; }
 * const call = new RunningCall(new Peer({ send() {}, close() {} }), 1, "two", undefined);
 * if ((await collect(two(), call, 10)).join() !== "a,b") throw new Error("unreachable");
 * ```
 */
export async function collect(
  iterable: AsyncIterable<unknown>,
  call: RunningCall,
  max: number,
): Promise<unknown[]> {
  const items: unknown[] = [];
  for await (const item of iterable) {
    if (call.cancelled) break;
    if (items.length >= max) {
      throw new RpcError(
        ErrorCode.LimitExceeded,
        "Limit exceeded",
        `More than ${max} items: call through rpc.stream to receive them as a stream`,
      );
    }
    items.push(item);
  }
  return items;
}

function invalid(detail: string): RpcError {
  return new RpcError(ErrorCode.InvalidParams, "Invalid params", detail);
}

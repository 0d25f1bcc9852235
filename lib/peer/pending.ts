/**
 * The table of outgoing calls awaiting a response: ids, deadlines, settlement.
 *
 * Lookups cost an array index, not a hash: our ids are our own consecutive integers, so a
 * call lives in a ring indexed by `id & (capacity - 1)`. The ring holds the calls among the
 * last `capacity` ids; when a new id lands on a slot still held by an older call, the ring
 * doubles if it is more than half full, and otherwise the older call (one that has waited
 * while `capacity` later calls came and went) moves to a small overflow Map. Ids are never
 * reused while pending.
 *
 * Timeouts cost one timer per table, not one per call, and no clock read per call. Calls that
 * use the table's default timeout are stamped with their deadline lazily, by the table's
 * single timer: while unstamped calls exist it ticks every {@linkcode tickOf}(timeout) ms,
 * reads the clock once, stamps every call added since the last tick with `now + timeout` (so
 * none can time out early; at most one tick late) and rejects the stamped calls whose deadline
 * has passed; once nothing is left to stamp it sleeps until the oldest deadline. Calls with
 * their own timeout get their own timer.
 *
 * @module
 */

import { type Clock, systemClock, type TimerHandle } from "../protocol/clock.ts";
import { ErrorCode, RpcError } from "../protocol/errors.ts";
import type { Params } from "../protocol/types.ts";

/**
 * A call the connection dropped while it was pending, handed to a {@linkcode DropHandler}
 * instead of being rejected: what it was, and how to settle its promise.
 *
 * @example Types only
 * ```ts
 * import type { DroppedCall } from "./pending.ts";
 * const call: DroppedCall = {
 *   method: "sum",
 *   params: [1, 2],
 *   options: undefined,
 *   resolve() {},
 *   reject() {},
 * };
 * if (call.method !== "sum") throw new Error("unreachable");
 * ```
 */
export interface DroppedCall {
  /** The method called. */
  readonly method: string;
  /** Its params. */
  readonly params: Params | undefined;
  /** The options it was made with (opaque to the table). */
  readonly options: unknown;
  /** Fulfil the call's promise. */
  readonly resolve: (value: unknown) => void;
  /** Reject the call's promise. */
  readonly reject: (reason: unknown) => void;
}

/**
 * Takes over a call that was pending when the table was disposed (its connection dropped):
 * it must settle the call, through `resolve` or `reject`, now or later.
 *
 * @example Types only
 * ```ts
 * import type { DropHandler } from "./pending.ts";
 * const handler: DropHandler = (call, reason) => call.reject(reason);
 * if (typeof handler !== "function") throw new Error("unreachable");
 * ```
 */
export type DropHandler = (call: DroppedCall, reason: unknown) => void;

/**
 * One outgoing call awaiting its response. A class, so that every entry has the same shape
 * from its construction on.
 */
class Entry implements DroppedCall {
  /** The call's id. */
  readonly id: number;
  /** The method called, for error messages. */
  readonly method: string;
  readonly params: Params | undefined;
  readonly options: unknown;
  readonly resolve!: (value: unknown) => void;
  readonly reject!: (reason: unknown) => void;
  /** Settles with the response. */
  readonly promise: Promise<unknown>;
  /**
   * Absolute time (ms) after which the call times out: {@linkcode UNSTAMPED} until the
   * table's timer stamps a default-timeout call; Infinity for calls without a timeout or with
   * their own timer.
   */
  deadline: number;
  /** The timeout in ms, for the error message. */
  readonly timeout: number;
  /** Own timer, for calls whose timeout differs from the default. */
  timer: TimerHandle | undefined = undefined;
  /** Called once when the entry leaves the table, for cleanup (abort listeners). */
  cleanup: (() => void) | undefined = undefined;
  /** Takes the call over if the table is disposed while it is pending. */
  readonly onDrop: DropHandler | undefined;

  constructor(
    id: number,
    method: string,
    params: Params | undefined,
    options: unknown,
    timeout: number,
    onDrop: DropHandler | undefined,
  ) {
    this.id = id;
    this.method = method;
    this.params = params;
    this.options = options;
    this.timeout = timeout;
    this.deadline = Infinity;
    this.onDrop = onDrop;
    this.promise = new Promise<unknown>((resolve, reject) => {
      (this as { resolve: (value: unknown) => void }).resolve = resolve;
      (this as { reject: (reason: unknown) => void }).reject = reject;
    });
  }
}

/**
 * A pending call as {@linkcode PendingCalls.add} returns it: its id and its promise.
 *
 * @example Types only
 * ```ts
 * import type { AddedCall } from "./pending.ts";
 * const added: AddedCall = { id: 1, promise: Promise.resolve(3) };
 * if (added.id !== 1) throw new Error("unreachable");
 * ```
 */
export interface AddedCall {
  /** The id to send. */
  readonly id: number;
  /** Settles with the response. */
  readonly promise: Promise<unknown>;
}

/**
 * Check a default timeout: milliseconds, 0 (or Infinity) for none.
 *
 * @param timeout The timeout.
 * @returns The timeout, in ms, with Infinity for none.
 * @throws {RangeError} If it is negative or not a number.
 * @example
 * ```ts
 * import { checkTimeout } from "./pending.ts";
 * if (checkTimeout(0) !== Infinity || checkTimeout(5) !== 5) throw new Error("unreachable");
 * ```
 */
export function checkTimeout(timeout: number): number {
  if (!(timeout >= 0)) {
    throw new RangeError(`Switchboard: timeout must be >= 0: got ${timeout}`);
  }
  return timeout === 0 ? Infinity : timeout;
}

/**
 * Outgoing calls by id. Ids are integers that are never reused while pending.
 *
 * @example
 * ```ts
 * import { PendingCalls } from "./pending.ts";
 * const table = new PendingCalls(1000);
 * const { id, promise } = table.add("sum", undefined);
 * table.settle(id, 3, undefined);
 * if ((await promise) !== 3) throw new Error("unreachable");
 * table.dispose(new Error("closed"));
 * ```
 */
export class PendingCalls {
  /** Calls by `id & (ring.length - 1)`; an undefined slot is free. */
  #ring: (Entry | undefined)[] = new Array(INITIAL_RING).fill(undefined);
  /** Calls in the ring. */
  #inRing = 0;
  /** Older calls pushed out of the ring by later ids (in id order), made on first use. */
  #overflow: Map<number, Entry> | undefined;
  readonly #defaultTimeout: number;
  readonly #onExpire: ((id: number) => void) | undefined;
  #nextId = 1;
  #wrapped = false;
  #timer: TimerHandle | undefined;
  /** Whether `#timer` is a short tick (there are calls to stamp), not a sleep until a deadline. */
  #ticking = false;
  /** Default-timeout calls not stamped yet. */
  #unstamped = 0;
  #disposed: unknown = undefined;
  readonly #clock: Clock;

  /**
   * @param defaultTimeout Milliseconds before a call times out; 0 or Infinity for never.
   * @param onExpire Told the id of each call that timed out (after it was rejected), so the
   * caller can tell the other side to stop (`rpc.cancel`).
   * @param clock The time source of the timeouts. Default: the system clock.
   */
  constructor(defaultTimeout: number, onExpire?: (id: number) => void, clock?: Clock) {
    this.#defaultTimeout = checkTimeout(defaultTimeout);
    this.#onExpire = onExpire;
    this.#clock = clock ?? systemClock;
  }

  /** How many calls are pending. */
  get size(): number {
    return this.#overflow === undefined ? this.#inRing : this.#inRing + this.#overflow.size;
  }

  /**
   * Reserve an id and a promise for a call.
   *
   * @param method The method called, for error messages.
   * @param timeout Milliseconds for this call, or `undefined` for the default; 0 for none.
   * @param params Its params (kept for `onDrop`).
   * @param options Its options (kept for `onDrop`).
   * @param onDrop Takes the call over if the table is disposed while it is pending, instead
   * of a rejection with the disposal's reason.
   * @returns The id to send and the promise that settles with the response.
   */
  add(
    method: string,
    timeout: number | undefined,
    params?: Params,
    options?: unknown,
    onDrop?: DropHandler,
  ): AddedCall {
    const id = this.#takeId();
    const ms = timeout === undefined ? this.#defaultTimeout : timeout === 0 ? Infinity : timeout;
    const entry = new Entry(id, method, params, options, ms, onDrop);
    this.#insert(entry);
    if (ms !== Infinity) {
      if (ms === this.#defaultTimeout) {
        entry.deadline = UNSTAMPED;
        this.#unstamped++;
        if (!this.#ticking) this.#arm(tickOf(ms), true);
      } else {
        entry.timer = this.#clock.setTimeout(() => this.#expire(id), ms);
      }
    }
    return entry;
  }

  /**
   * Attach a cleanup function to a pending call (run when it settles in any way).
   *
   * @param id The call's id.
   * @param cleanup What to run.
   */
  onSettle(id: number, cleanup: () => void): void {
    const entry = this.#get(id);
    if (entry !== undefined) entry.cleanup = cleanup;
  }

  /**
   * Settle a call with its response.
   *
   * @param id The id from the response.
   * @param result The result, if it succeeded.
   * @param error The error, if it failed.
   * @returns False if no call with that id is pending (late or unknown response).
   */
  settle(id: unknown, result: unknown, error: RpcError | undefined): boolean {
    if (typeof id !== "number") return false;
    const entry = this.#get(id);
    if (entry === undefined) return false;
    this.#remove(entry);
    if (error === undefined) entry.resolve(result);
    else entry.reject(error);
    return true;
  }

  /**
   * Reject one call locally (cancellation, failed send).
   *
   * @param id The call's id.
   * @param reason The rejection.
   * @returns False if it was not pending.
   */
  fail(id: number, reason: unknown): boolean {
    const entry = this.#get(id);
    if (entry === undefined) return false;
    this.#remove(entry);
    entry.reject(reason);
    return true;
  }

  /**
   * Reject every pending call (or hand it to its `onDrop`) and refuse new ones. Idempotent.
   *
   * @param reason Why: every pending call rejects with it.
   */
  dispose(reason: unknown): void {
    if (this.#disposed !== undefined) return;
    this.#disposed = reason;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#ticking = false;
    this.#unstamped = 0;
    const entries = this.#entries();
    this.#ring = new Array(INITIAL_RING).fill(undefined);
    this.#inRing = 0;
    this.#overflow = undefined;
    for (const entry of entries) {
      if (entry.timer !== undefined) this.#clock.clearTimeout(entry.timer);
      entry.cleanup?.();
      if (entry.onDrop === undefined) entry.reject(reason);
      else entry.onDrop(entry, reason);
    }
  }

  #get(id: number): Entry | undefined {
    const entry = this.#ring[id & (this.#ring.length - 1)];
    if (entry !== undefined && entry.id === id) return entry;
    return this.#overflow?.get(id);
  }

  #insert(entry: Entry): void {
    let ring = this.#ring;
    let slot = entry.id & (ring.length - 1);
    let older = ring[slot];
    if (older !== undefined && this.#inRing * 2 > ring.length) {
      ring = this.#grow();
      slot = entry.id & (ring.length - 1);
      older = ring[slot];
    }
    if (older !== undefined) {
      // A call that has waited while ring.length later ones came and went: out of the way.
      this.#inRing--;
      (this.#overflow ??= new Map()).set(older.id, older);
    }
    ring[slot] = entry;
    this.#inRing++;
  }

  /** Double the ring: ids that were apart modulo n are apart modulo 2n. */
  #grow(): (Entry | undefined)[] {
    const old = this.#ring;
    const ring: (Entry | undefined)[] = new Array(old.length * 2).fill(undefined);
    const mask = ring.length - 1;
    for (const entry of old) if (entry !== undefined) ring[entry.id & mask] = entry;
    this.#ring = ring;
    return ring;
  }

  /** Every pending call, oldest first. */
  #entries(): Entry[] {
    const entries = this.#overflow === undefined ? [] : [...this.#overflow.values()];
    const ring = this.#ring;
    const start = entries.length;
    for (const entry of ring) if (entry !== undefined) entries.push(entry);
    // Ring slots follow the ids modulo its length: put them back in id order.
    if (entries.length - start > 1) {
      const tail = entries.splice(start).sort((a, b) => a.id - b.id);
      for (const entry of tail) entries.push(entry);
    }
    return entries;
  }

  #takeId(): number {
    const id = this.#nextId;
    // Until the counter first wraps (after 2^53 calls), no id can be pending twice: skip the
    // lookup that guards against reuse.
    if (!this.#wrapped && id < Number.MAX_SAFE_INTEGER) {
      this.#nextId = id + 1;
      return id;
    }
    this.#wrapped = true;
    let next = id;
    while (this.#get(next) !== undefined) next = next >= Number.MAX_SAFE_INTEGER ? 1 : next + 1;
    this.#nextId = next >= Number.MAX_SAFE_INTEGER ? 1 : next + 1;
    return next;
  }

  #remove(entry: Entry): void {
    const ring = this.#ring;
    const slot = entry.id & (ring.length - 1);
    if (ring[slot] === entry) {
      ring[slot] = undefined;
      // Back to a small ring once a burst is over.
      if (--this.#inRing === 0 && ring.length > KEPT_RING) {
        this.#ring = new Array(INITIAL_RING).fill(undefined);
      }
    } else {
      this.#overflow!.delete(entry.id);
    }
    if (entry.timer !== undefined) this.#clock.clearTimeout(entry.timer);
    else if (entry.deadline === UNSTAMPED) this.#unstamped--;
    entry.cleanup?.();
  }

  #arm(delay: number, ticking: boolean): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#ticking = ticking;
    this.#timer = this.#clock.setTimeout(() => this.#sweep(), delay);
  }

  /**
   * Stamp the default-timeout calls added since the last sweep, reject the expired ones, and
   * re-arm: a tick while calls remain to be stamped, else a sleep until the oldest deadline.
   */
  #sweep(): void {
    this.#timer = undefined;
    this.#ticking = false;
    const now = this.#clock.now();
    let next = Infinity;
    for (const entry of this.#entries()) {
      const deadline = entry.deadline;
      if (deadline === Infinity) continue;
      if (deadline === UNSTAMPED) {
        entry.deadline = now + entry.timeout;
        this.#unstamped--;
      } else if (deadline <= now) {
        this.#expire(entry.id);
        continue;
      }
      if (entry.deadline < next) next = entry.deadline;
    }
    if (this.#disposed !== undefined) return;
    if (this.#unstamped > 0) this.#arm(tickOf(this.#defaultTimeout), true);
    else if (next !== Infinity) this.#arm(next - now, false);
  }

  #expire(id: number): void {
    const entry = this.#get(id);
    if (entry === undefined) return;
    this.#remove(entry);
    entry.reject(
      new RpcError(
        ErrorCode.Timeout,
        `Switchboard: call to ${entry.method} timed out after ${entry.timeout} ms`,
      ),
    );
    this.#onExpire?.(id);
  }
}

/** The deadline of a default-timeout call the timer has not stamped yet. */
const UNSTAMPED = -1;

/** Slots of a new ring (a power of two). */
const INITIAL_RING = 32;
/** A ring larger than this goes back to {@linkcode INITIAL_RING} slots when it empties. */
const KEPT_RING = 256;

/**
 * How often the timer ticks while calls wait to be stamped: a 32nd of the timeout, between 1
 * and 250 ms. A call times out at most that much late, and never early.
 *
 * @param timeout The default timeout, ms.
 * @returns The tick, ms.
 */
function tickOf(timeout: number): number {
  return Math.min(250, Math.max(1, Math.floor(timeout / 32)));
}

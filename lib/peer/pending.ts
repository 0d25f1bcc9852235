/**
 * The table of outgoing calls awaiting a response: ids, deadlines, settlement.
 *
 * Timeouts cost one timer per table, not one per call, and no clock read per call. Calls that
 * use the table's default timeout are kept in insertion order (a Map keeps it) and stamped
 * with their deadline lazily, by the table's single timer: while unstamped calls exist it
 * ticks every {@linkcode tickOf}(timeout) ms, reads the clock once, stamps every call added
 * since the last tick with `now + timeout` (so none can time out early; at most one tick
 * late) and rejects the stamped calls whose deadline has passed. Stamps never decrease along
 * the insertion order, so once nothing is left to stamp the timer sleeps until the oldest
 * deadline. Calls with their own timeout get their own timer.
 *
 * @module
 */

import { ErrorCode, RpcError } from "../protocol/errors.ts";

/**
 * One outgoing call awaiting its response. A class, so that every entry has the same shape
 * from its construction on.
 */
class Entry {
  /** The method called, for error messages. */
  readonly method: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
  /**
   * Absolute time (ms) after which the call times out: {@linkcode UNSTAMPED} until the
   * table's timer stamps a default-timeout call; Infinity for calls without a timeout or with
   * their own timer.
   */
  deadline: number;
  /** The timeout in ms, for the error message. */
  readonly timeout: number;
  /** Own timer, for calls whose timeout differs from the default. */
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** Called once when the entry leaves the table, for cleanup (abort listeners). */
  cleanup: (() => void) | undefined = undefined;

  constructor(
    method: string,
    resolve: (value: unknown) => void,
    reject: (reason: unknown) => void,
    timeout: number,
  ) {
    this.method = method;
    this.resolve = resolve;
    this.reject = reject;
    this.timeout = timeout;
    this.deadline = Infinity;
  }
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
  // A shared empty map until the first call: an idle connection allocates none. Only `add`
  // inserts, and it swaps in a map of this table's own first.
  #calls: Map<number, Entry> = NO_CALLS;
  readonly #defaultTimeout: number;
  readonly #onExpire: ((id: number) => void) | undefined;
  #nextId = 1;
  #wrapped = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Whether `#timer` is a short tick (there are calls to stamp), not a sleep until a deadline. */
  #ticking = false;
  /** Default-timeout calls not stamped yet. */
  #unstamped = 0;
  #disposed: unknown = undefined;

  /**
   * @param defaultTimeout Milliseconds before a call times out; 0 or Infinity for never.
   * @param onExpire Told the id of each call that timed out (after it was rejected), so the
   * caller can tell the other side to stop (`rpc.cancel`).
   */
  constructor(defaultTimeout: number, onExpire?: (id: number) => void) {
    if (!(defaultTimeout >= 0)) {
      throw new RangeError(`Switchboard: timeout must be >= 0: got ${defaultTimeout}`);
    }
    this.#defaultTimeout = defaultTimeout === 0 ? Infinity : defaultTimeout;
    this.#onExpire = onExpire;
  }

  /** How many calls are pending. */
  get size(): number {
    return this.#calls.size;
  }

  /**
   * Reserve an id and a promise for a call.
   *
   * @param method The method called, for error messages.
   * @param timeout Milliseconds for this call, or `undefined` for the default; 0 for none.
   * @returns The id to send and the promise that settles with the response.
   */
  add(method: string, timeout: number | undefined): { id: number; promise: Promise<unknown> } {
    const id = this.#takeId();
    const ms = timeout === undefined ? this.#defaultTimeout : timeout === 0 ? Infinity : timeout;
    let entry!: Entry;
    const promise = new Promise<unknown>((resolve, reject) => {
      entry = new Entry(method, resolve, reject, ms);
    });
    if (this.#calls === NO_CALLS) this.#calls = new Map();
    this.#calls.set(id, entry);
    if (ms !== Infinity) {
      if (ms === this.#defaultTimeout) {
        entry.deadline = UNSTAMPED;
        this.#unstamped++;
        if (!this.#ticking) this.#arm(tickOf(ms), true);
      } else {
        entry.timer = setTimeout(() => this.#expire(id), ms);
      }
    }
    return { id, promise };
  }

  /**
   * Attach a cleanup function to a pending call (run when it settles in any way).
   *
   * @param id The call's id.
   * @param cleanup What to run.
   */
  onSettle(id: number, cleanup: () => void): void {
    const entry = this.#calls.get(id);
    if (entry) entry.cleanup = cleanup;
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
    const entry = typeof id === "number" ? this.#calls.get(id) : undefined;
    if (entry === undefined) return false;
    this.#remove(id as number, entry);
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
    const entry = this.#calls.get(id);
    if (entry === undefined) return false;
    this.#remove(id, entry);
    entry.reject(reason);
    return true;
  }

  /**
   * Reject every pending call and refuse new ones. Idempotent.
   *
   * @param reason Why: every pending call rejects with it.
   */
  dispose(reason: unknown): void {
    if (this.#disposed !== undefined) return;
    this.#disposed = reason;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#ticking = false;
    this.#unstamped = 0;
    const entries = [...this.#calls.values()];
    this.#calls.clear();
    for (const entry of entries) {
      if (entry.timer !== undefined) clearTimeout(entry.timer);
      entry.cleanup?.();
      entry.reject(reason);
    }
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
    while (this.#calls.has(next)) next = next >= Number.MAX_SAFE_INTEGER ? 1 : next + 1;
    this.#nextId = next >= Number.MAX_SAFE_INTEGER ? 1 : next + 1;
    return next;
  }

  #remove(id: number, entry: Entry): void {
    this.#calls.delete(id);
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    else if (entry.deadline === UNSTAMPED) this.#unstamped--;
    entry.cleanup?.();
  }

  #arm(delay: number, ticking: boolean): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#ticking = ticking;
    this.#timer = setTimeout(() => this.#sweep(), delay);
  }

  /**
   * Stamp the default-timeout calls added since the last sweep, reject the expired ones, and
   * re-arm: a tick while calls remain to be stamped, else a sleep until the oldest deadline.
   */
  #sweep(): void {
    this.#timer = undefined;
    this.#ticking = false;
    const now = Date.now();
    let next = Infinity;
    for (const [id, entry] of this.#calls) {
      const deadline = entry.deadline;
      if (deadline === Infinity) continue;
      if (deadline === UNSTAMPED) {
        entry.deadline = now + entry.timeout;
        this.#unstamped--;
      } else if (deadline <= now) {
        this.#expire(id);
        continue;
      }
      // Stamps grow along the insertion order: the first one left is the oldest deadline.
      if (next === Infinity) next = entry.deadline;
      if (this.#unstamped === 0) break;
    }
    if (this.#disposed !== undefined) return;
    if (this.#unstamped > 0) this.#arm(tickOf(this.#defaultTimeout), true);
    else if (next !== Infinity) this.#arm(next - now, false);
  }

  #expire(id: number): void {
    const entry = this.#calls.get(id);
    if (entry === undefined) return;
    this.#remove(id, entry);
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

/** The empty table every idle {@linkcode PendingCalls} shares; never written to. */
const NO_CALLS: Map<number, Entry> = new Map();

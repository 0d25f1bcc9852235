/**
 * The table of outgoing calls awaiting a response: ids, deadlines, settlement.
 *
 * Timeouts cost one timer per table, not one per call: calls that use the table's default
 * timeout are inserted in deadline order (a Map keeps insertion order), so a single timer
 * armed for the oldest one is enough; when it fires, the expired calls at the front are
 * rejected and the timer is re-armed for the next. Calls with their own timeout get their own
 * timer.
 *
 * @module
 */

import { ErrorCode, RpcError } from "../protocol/errors.ts";

/** One outgoing call awaiting its response. */
interface Entry {
  readonly method: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
  /** Absolute time (ms) after which the call times out; Infinity for none. */
  readonly deadline: number;
  /** The timeout in ms, for the error message. */
  readonly timeout: number;
  /** Own timer, for calls whose timeout differs from the default. */
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Called once when the entry leaves the table, for cleanup (abort listeners). */
  cleanup: (() => void) | undefined;
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
  #timer: ReturnType<typeof setTimeout> | undefined;
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
    let resolve!: (value: unknown) => void;
    let reject!: (reason: unknown) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const ms = timeout === undefined ? this.#defaultTimeout : timeout === 0 ? Infinity : timeout;
    const deadline = ms === Infinity ? Infinity : Date.now() + ms;
    const entry: Entry = {
      method,
      resolve,
      reject,
      deadline,
      timeout: ms,
      timer: undefined,
      cleanup: undefined,
    };
    if (this.#calls === NO_CALLS) this.#calls = new Map();
    this.#calls.set(id, entry);
    if (ms !== Infinity) {
      if (ms === this.#defaultTimeout) {
        if (this.#timer === undefined) this.#arm(deadline);
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
    const entries = [...this.#calls.values()];
    this.#calls.clear();
    for (const entry of entries) {
      if (entry.timer !== undefined) clearTimeout(entry.timer);
      entry.cleanup?.();
      entry.reject(reason);
    }
  }

  #takeId(): number {
    let id = this.#nextId;
    while (this.#calls.has(id)) id = id >= Number.MAX_SAFE_INTEGER ? 1 : id + 1;
    this.#nextId = id >= Number.MAX_SAFE_INTEGER ? 1 : id + 1;
    return id;
  }

  #remove(id: number, entry: Entry): void {
    this.#calls.delete(id);
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.cleanup?.();
  }

  #arm(deadline: number): void {
    const delay = Math.max(0, deadline - Date.now());
    this.#timer = setTimeout(() => this.#sweep(), delay);
  }

  /** Reject expired default-timeout calls at the front; re-arm for the next one. */
  #sweep(): void {
    this.#timer = undefined;
    const now = Date.now();
    for (const [id, entry] of this.#calls) {
      if (entry.timer !== undefined || entry.deadline === Infinity) continue;
      if (entry.deadline > now) {
        this.#arm(entry.deadline);
        return;
      }
      this.#expire(id);
    }
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

/** The empty table every idle {@linkcode PendingCalls} shares; never written to. */
const NO_CALLS: Map<number, Entry> = new Map();

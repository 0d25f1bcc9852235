/**
 * Calls made while a reconnecting client has no socket: held in order, up to a limit, until
 * the next socket takes them. Each keeps its deadline (one timer for the whole outbox) and
 * leaves at once when its abort signal fires.
 *
 * @module
 */

import { ErrorCode, RpcError } from "../protocol/errors.ts";
import { startTimeout, stopTimer, type TimerHandle } from "./timers.ts";
import { type Clock, systemClock } from "../protocol/clock.ts";

/**
 * One held job: what to run on the next peer, and how to settle its caller.
 *
 * @example Types only
 * ```ts
 * import type { Job } from "./outbox.ts";
 * const job: Job = {
 *   method: "ping",
 *   deadline: Infinity,
 *   idempotent: false,
 *   retried: false,
 *   signal: undefined,
 *   fail: (error) => console.error(error),
 * };
 * if (job.deadline !== Infinity) throw new Error("unreachable");
 * ```
 */
export interface Job {
  /** The method (for error messages). */
  readonly method: string;
  /** Absolute time (ms since epoch) after which it rejects with -32000; Infinity for none. */
  readonly deadline: number;
  /** Whether it may be sent again after a drop (calls marked `idempotent`). */
  readonly idempotent: boolean;
  /** Whether it was already sent again once. */
  retried: boolean;
  /** Its abort signal. */
  readonly signal: AbortSignal | undefined;
  /** Reject its caller. */
  fail(error: unknown): void;
}

/**
 * The held jobs of one client.
 *
 * @example
 * ```ts
 * import { Outbox } from "./outbox.ts";
 * const outbox = new Outbox(10);
 * const failed: unknown[] = [];
 * outbox.hold({ method: "a", deadline: Infinity, idempotent: false, retried: false,
 *   signal: undefined, fail: (e) => failed.push(e) });
 * const held = outbox.size;
 * const taken = outbox.take();
 * if (held !== 1 || taken.length !== 1 || outbox.size !== 0) throw new Error("unreachable");
 * ```
 */
export class Outbox<T extends Job = Job> {
  readonly #limit: number;
  #jobs: T[] = [];
  readonly #unwatch = new Map<T, () => void>();
  readonly #clock: Clock;
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;

  /**
   * @param limit Most jobs held; one more fails with -32005.
   * @param clock Deadlines' clock. Default the system's.
   */
  constructor(limit: number, clock: Clock = systemClock) {
    this.#limit = limit;
    this.#clock = clock;
  }

  /** How many jobs are held. */
  get size(): number {
    return this.#jobs.length;
  }

  /**
   * Hold a job, or fail it at once when the outbox is full, its signal has aborted or its
   * deadline has passed.
   *
   * @param job The job.
   */
  hold(job: T): void {
    if (this.#jobs.length >= this.#limit) {
      job.fail(
        new RpcError(
          ErrorCode.LimitExceeded,
          `Switchboard: ${this.#limit} calls already queued while reconnecting; ${job.method} not sent`,
        ),
      );
      return;
    }
    if (job.signal?.aborted) {
      job.fail(cancelled(job.method, job.signal.reason));
      return;
    }
    if (job.deadline <= this.#clock.now()) {
      job.fail(timedOut(job.method));
      return;
    }
    this.#jobs.push(job);
    const signal = job.signal;
    if (signal !== undefined) {
      const onAbort = (): void => {
        if (this.#remove(job)) job.fail(cancelled(job.method, signal.reason));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#unwatch.set(job, () => signal.removeEventListener("abort", onAbort));
    }
    if (job.deadline < this.#timerAt) this.#arm(job.deadline);
  }

  /**
   * Take every held job, in order (the next socket sends them).
   *
   * @returns The jobs.
   */
  take(): T[] {
    const jobs = this.#jobs;
    this.#jobs = [];
    for (const job of jobs) this.#unwatchJob(job);
    this.#disarm();
    return jobs;
  }

  /**
   * Fail every held job.
   *
   * @param error The reason.
   */
  failAll(error: unknown): void {
    for (const job of this.take()) job.fail(error);
  }

  #remove(job: T): boolean {
    const index = this.#jobs.indexOf(job);
    if (index < 0) return false;
    this.#jobs.splice(index, 1);
    this.#unwatchJob(job);
    if (this.#jobs.length === 0) this.#disarm();
    return true;
  }

  #unwatchJob(job: T): void {
    const unwatch = this.#unwatch.get(job);
    if (unwatch === undefined) return;
    this.#unwatch.delete(job);
    unwatch();
  }

  #arm(at: number): void {
    this.#disarm();
    if (at === Infinity) return;
    this.#timerAt = at;
    this.#timer = startTimeout(
      () => this.#sweep(),
      Math.max(0, at - this.#clock.now()),
      this.#clock,
    );
  }

  #disarm(): void {
    stopTimer(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  #sweep(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = this.#clock.now();
    let next = Infinity;
    for (const job of [...this.#jobs]) {
      if (job.deadline <= now) {
        this.#remove(job);
        job.fail(timedOut(job.method));
      } else if (job.deadline < next) next = job.deadline;
    }
    if (next !== Infinity && this.#jobs.length > 0) this.#arm(next);
  }
}

function timedOut(method: string): RpcError {
  return new RpcError(
    ErrorCode.Timeout,
    `Switchboard: ${method} timed out while waiting for a connection`,
  );
}

function cancelled(method: string, reason: unknown): RpcError {
  return new RpcError(
    ErrorCode.Cancelled,
    `Switchboard: call to ${method} was cancelled`,
    undefined,
    { cause: reason },
  );
}

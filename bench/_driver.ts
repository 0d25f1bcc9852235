/**
 * Runtime-neutral measurement code shared by the Deno and Bun halves of the benchmark.
 *
 * A {@linkcode Caller} makes one call and resolves with its answer. Two callers are compared:
 * - {@linkcode rawCaller}: the baseline, a "call-style driver" on a native WebSocket. It sends
 *   JSON-RPC request text, keeps a table of pending promises by id, and settles one by
 *   parsing the id of the echoed frame. The server only echoes text frames back.
 * - {@linkcode switchboardCaller}: Switchboard's client (`connect` from mod.ts) calling an
 *   `echo` procedure on a Switchboard server.
 *
 * Every loop here is bounded both in count and in time.
 *
 * @module
 */

import process from "node:process";
import { type Client, connect } from "../mod.ts";

/** The params every call sends (the same bytes for raw echo and Switchboard). */
export const PARAMS: [string, number, boolean] = ["hello", 42, true];

/** Something that makes calls over one connection. */
export interface Caller {
  /**
   * Make one call and resolve when its answer arrives.
   *
   * @returns The answer (ignored by the measurements).
   */
  call(): Promise<unknown>;
  /** Close the connection. */
  close(): void;
}

/**
 * The raw baseline: a native WebSocket client that frames each call as JSON-RPC request
 * text and matches the echoed frame to its pending promise by id.
 *
 * @param url A `ws://` URL of a server that echoes text frames.
 * @returns An open caller.
 */
export async function rawCaller(url: string): Promise<Caller> {
  const socket = new WebSocket(url);
  const pending = new Map<number, (value: unknown) => void>();
  let nextId = 1;
  socket.onmessage = (event: MessageEvent) => {
    const message = JSON.parse(event.data as string) as { id: number };
    const resolve = pending.get(message.id);
    if (resolve !== undefined) {
      pending.delete(message.id);
      resolve(message);
    }
  };
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error(`bench: cannot connect to ${url}`));
  });
  return {
    call(): Promise<unknown> {
      const id = nextId++;
      const { promise, resolve } = Promise.withResolvers<unknown>();
      pending.set(id, resolve);
      socket.send(JSON.stringify({ jsonrpc: "2.0", id, method: "echo", params: PARAMS }));
      return promise;
    },
    close(): void {
      socket.close();
    },
  };
}

/**
 * Switchboard's own client calling `echo`.
 *
 * @param url The `ws://` URL of a Switchboard server with an `echo` procedure.
 * @returns An open caller.
 */
export async function switchboardCaller(url: string): Promise<Caller> {
  const client: Client = connect(url);
  await client.ready;
  return {
    call: (): Promise<unknown> => client.call("echo", PARAMS),
    close: (): void => client.close(),
  };
}

/**
 * Time up to `count` calls made one after the other, appending each round trip (µs) to
 * `samples`; stops early once `deadline` (a `performance.now()` time) has passed.
 *
 * @param caller The caller.
 * @param count How many calls to time.
 * @param deadline When to stop regardless.
 * @param samples Where the round trips go, in µs.
 * @returns How many calls were timed.
 */
export async function sequential(
  caller: Caller,
  count: number,
  deadline: number,
  samples: number[],
): Promise<number> {
  let n = 0;
  while (n < count) {
    const start = performance.now();
    await caller.call();
    const end = performance.now();
    samples.push((end - start) * 1000);
    n++;
    if (end > deadline) break;
  }
  return n;
}

/** Pipelined throughput: a fixed number of calls in flight on one connection. */
export interface Pipelined {
  /** Calls completed. */
  readonly calls: number;
  /** Wall time, ms. */
  readonly ms: number;
  /** Calls per second. */
  readonly rate: number;
  /** CPU time of the whole process (user + system, all threads) over the run, µs. */
  readonly cpuUs: number;
}

/**
 * Keep `inFlight` calls in flight until `count` calls have completed or `capMs` has passed;
 * each completion starts the next call.
 *
 * @param caller The caller.
 * @param count How many calls to complete.
 * @param inFlight How many calls to keep outstanding.
 * @param capMs Time cap in ms.
 * @returns Calls completed, time, calls per second, and CPU time used.
 */
export async function pipelined(
  caller: Caller,
  count: number,
  inFlight: number,
  capMs: number,
): Promise<Pipelined> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const stop = start + capMs;
  let started = 0;
  let done = 0;
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  const launch = (): void => {
    started++;
    caller.call().then(onDone, reject);
  };
  let stopping = false;
  const onDone = (): void => {
    done++;
    // Read the clock every 256 completions: cheap, and bounds the loop in time.
    if ((done & 255) === 0 && performance.now() >= stop) stopping = true;
    if (!stopping && started < count) launch();
    else if (done === started) resolve();
  };
  for (let i = 0; i < inFlight && started < count; i++) launch();
  await promise;
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { calls: done, ms, rate: done / (ms / 1000), cpuUs: used.user + used.system };
}

/**
 * The q-quantile of sorted samples (nearest rank).
 *
 * @param sorted Ascending samples.
 * @param q Between 0 and 1.
 * @returns The sample at that rank, or NaN when empty.
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * The median of some numbers.
 *
 * @param values The numbers.
 * @returns Their median (mean of the middle two for an even count).
 */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

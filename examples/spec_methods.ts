/**
 * The methods used in the JSON-RPC 2.0 specification's examples, registered on any
 * Switchboard: served by examples/jsonrpc_spec.ts (Deno, Bun) and by the Durable Object of
 * examples/cloudflare/worker.ts. Imports nothing runtime-specific.
 *
 * @module
 */

import { RpcError } from "../lib/protocol/errors.ts";
import type { Switchboard } from "../lib/server/switchboard.ts";

/** Options of the spec methods (tests shorten the ticker). */
export interface SpecMethodOptions {
  /** Milliseconds between the events of `demo.ticks`. Default 1,000. */
  readonly tickInterval?: number;
}

/**
 * Register `subtract` (by position and by name), `sum`, `get_data`, the notifications
 * `update`, `notify_hello`, `notify_sum`; and what docs/PROTOCOL.md describes beyond the
 * specification: `echo` (returns its params, binary values included: §5.4), the streams
 * `count` and `fail` (§8.1), `slow` (runs until cancelled: §8.3), and a lazy publisher on
 * `demo.ticks` (one event per `tickInterval` while anyone subscribes to it or to a pattern
 * matching it).
 *
 * @param sb The server.
 * @param log Receives the notifications' params, for tests to observe.
 * @param options The ticker's interval.
 * @example
 * ```ts
 * import { Switchboard } from "../lib/server/switchboard.ts";
 * import { registerSpecMethods } from "./spec_methods.ts";
 * const sb = new Switchboard();
 * registerSpecMethods(sb);
 * if (!sb.procedures.has("subtract")) throw new Error("unreachable");
 * ```
 */
export function registerSpecMethods(
  sb: Switchboard,
  log: (method: string, params: unknown) => void = () => {},
  options: SpecMethodOptions = {},
): void {
  sb.register("subtract", ([minuend, subtrahend]: number[]) => minuend! - subtrahend!, {
    params: ["minuend", "subtrahend"],
  });
  sb.register("sum", (params: number[]) => params.reduce((a, b) => a + b, 0));
  sb.register("get_data", () => ["hello", 5]);
  for (const name of ["update", "notify_hello", "notify_sum"]) {
    sb.register(name, (params) => log(name, params));
  }
  sb.register("echo", (params) => params ?? null);
  sb.register("count", async function* ([n]: number[]) {
    for (let i = 0; i < Math.min(n ?? 0, 100_000); i++) yield i;
    return "done";
  });
  sb.register("fail", async function* () {
    yield 1;
    throw new RpcError(-32050, "Ran dry", { at: 1 });
  });
  sb.register("slow", async (_params, ctx) => {
    // Runs until the caller cancels it (or the connection closes), at most a minute.
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 60_000);
      ctx.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve(undefined);
      }, { once: true });
    });
    return "finished";
  });
  const tickInterval = options.tickInterval ?? 1000;
  sb.topic("demo.ticks", ({ publish }) => {
    let n = 0;
    const timer = setInterval(() => publish({ n: ++n }), tickInterval);
    return () => clearInterval(timer);
  });
}

/**
 * The methods used in the JSON-RPC 2.0 specification's examples, registered on any
 * Switchboard: served by examples/jsonrpc_spec.ts (Deno, Bun) and by the Durable Object of
 * examples/cloudflare/worker.ts. Imports nothing runtime-specific.
 *
 * @module
 */

import type { Switchboard } from "../lib/server/switchboard.ts";

/**
 * Register `subtract` (by position and by name), `sum`, `get_data`, and the notifications
 * `update`, `notify_hello`, `notify_sum`.
 *
 * @param sb The server.
 * @param log Receives the notifications' params, for tests to observe.
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
): void {
  sb.register("subtract", ([minuend, subtrahend]: number[]) => minuend! - subtrahend!, {
    params: ["minuend", "subtrahend"],
  });
  sb.register("sum", (params: number[]) => params.reduce((a, b) => a + b, 0));
  sb.register("get_data", () => ["hello", 5]);
  for (const name of ["update", "notify_hello", "notify_sum"]) {
    sb.register(name, (params) => log(name, params));
  }
}

/**
 * The methods used in the JSON-RPC 2.0 specification's examples, served over WebSocket and
 * HTTP POST at `/rpc` on 127.0.0.1 (`PORT`, default 8000; `HOST` to change the interface).
 *
 * Run: `deno run -A examples/jsonrpc_spec.ts` or `bun examples/jsonrpc_spec.ts`, then
 *
 * ```sh
 * curl -s localhost:8000/rpc -H 'content-type: application/json' \
 *   -d '{"jsonrpc":"2.0","method":"subtract","params":{"subtrahend":23,"minuend":42},"id":3}'
 * ```
 *
 * @module
 */

import { Hono } from "hono";
import { type RunningServer, serve, Switchboard } from "../server.ts";
import { registerSpecMethods } from "./spec_methods.ts";

/**
 * A Switchboard with the specification's methods: `subtract` (by position and by name),
 * `sum`, `get_data`, and the notifications `update`, `notify_hello`, `notify_sum`.
 *
 * @param log Receives the notifications' params, for tests to observe.
 * @returns The server, not yet listening.
 * @example
 * ```ts
 * import { createSpecSwitchboard } from "./jsonrpc_spec.ts";
 * const sb = createSpecSwitchboard();
 * if (!sb.procedures.has("subtract")) throw new Error("unreachable");
 * ```
 */
export function createSpecSwitchboard(
  log: (method: string, params: unknown) => void = () => {},
): Switchboard {
  const sb = new Switchboard();
  registerSpecMethods(sb, log);
  return sb;
}

/**
 * Serve the example: `/rpc` for JSON-RPC, `/health` for a liveness probe.
 *
 * @param port The port. Default: `PORT` from the environment, else 8000.
 * @returns The running server.
 * @example
 * ```ts ignore
 * import { startSpecServer } from "./jsonrpc_spec.ts";
 * const server = await startSpecServer(0);
 * await server.close();
 * ```
 */
export async function startSpecServer(port?: number): Promise<RunningServer> {
  const env = (globalThis as { process?: { env: Record<string, string | undefined> } })
    .process?.env ?? {};
  const app = new Hono();
  app.get("/health", (c) => c.json({ ok: true }));
  const server = await serve(createSpecSwitchboard(), {
    app,
    hostname: env.HOST ?? "127.0.0.1",
    port: port ?? Number(env.PORT ?? 8000),
  });
  console.log(`Switchboard: JSON-RPC 2.0 spec example on ${server.url}/rpc`);
  return server;
}

if (import.meta.main) await startSpecServer();

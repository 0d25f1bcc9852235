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
 * It also serves what docs/PROTOCOL.md describes, so a client written in any language can be
 * tried against it: `echo` (returns its params, binary values included: §5.4), the streams
 * `count` and `fail` (§8.1) and `slow` (runs until cancelled: §8.3), and pub/sub (§7) with a
 * replay buffer of 100 events per topic, publishing allowed on `chat.*`, and a lazy publisher
 * on `demo.ticks` (one event a second while anyone subscribes to it or to a pattern matching
 * it, such as `demo.*`).
 *
 * @module
 */

import { Hono } from "hono";
import { type RunningServer, serve, Switchboard } from "../server.ts";
import { registerSpecMethods } from "./spec_methods.ts";

/** Options of the example server (tests shorten its timers). */
export interface SpecOptions {
  /** The server heartbeat (default: Switchboard's, 30 s / 60 s). */
  readonly heartbeat?: { readonly interval: number; readonly timeout: number } | false;
  /** Milliseconds between the events of `demo.ticks`. Default 1,000. */
  readonly tickInterval?: number;
  /** Attachment bytes per frame out (default Switchboard's, 256 KiB): small values show chunking. */
  readonly chunkSize?: number;
}

/**
 * A Switchboard with the specification's methods: `subtract` (by position and by name),
 * `sum`, `get_data`, and the notifications `update`, `notify_hello`, `notify_sum`; and for
 * docs/PROTOCOL.md: `echo`, the streams `count`, `fail` and `slow`, and pub/sub (see the
 * module doc).
 *
 * @param log Receives the notifications' params, for tests to observe.
 * @param options Timers.
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
  options: SpecOptions = {},
): Switchboard {
  const sb = new Switchboard({
    ...(options.heartbeat === undefined ? {} : { heartbeat: options.heartbeat }),
    ...(options.chunkSize === undefined ? {} : { framing: { chunkSize: options.chunkSize } }),
    pubsub: {
      replay: { size: 100, maxAge: 60_000 },
      authorize: ({ action, topic }) => action === "subscribe" || topic.startsWith("chat."),
    },
  });
  registerSpecMethods(sb, log, options);
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

/**
 * The Deno adapter: `Deno.serve` and Hono's Deno WebSocket upgrade.
 *
 * @module
 */

import type { Hono } from "hono";
import { upgradeWebSocket } from "hono/deno";
import type { UpgradeWebSocket } from "hono/ws";
import {
  type ListenOptions,
  originOf,
  type RunningServer,
  type RuntimeAdapter,
} from "./adapter.ts";

/**
 * Serve Switchboard on Deno.
 *
 * Deno's server-side WebSocket has no message size option, so the limit is enforced by the
 * peer after the frame arrives (Deno itself caps frames at 64 MiB).
 *
 * @example
 * ```ts ignore
 * import { Hono } from "hono";
 * import { denoAdapter } from "./deno.ts";
 * const server = await denoAdapter.serve(new Hono(), {
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   maxMessageSize: 1 << 20,
 * });
 * await server.close();
 * ```
 */
export const denoAdapter: RuntimeAdapter = {
  runtime: "deno",
  upgradeWebSocket: upgradeWebSocket as UpgradeWebSocket,
  serve(app: Hono, options: ListenOptions): Promise<RunningServer> {
    const { promise, resolve } = Promise.withResolvers<RunningServer>();
    const abort = new AbortController();
    const server = Deno.serve({
      hostname: options.hostname,
      port: options.port,
      signal: abort.signal,
      onListen: (addr) => {
        const port = (addr as Deno.NetAddr).port;
        resolve({
          runtime: "deno",
          hostname: options.hostname,
          port,
          url: originOf(options.hostname, port),
          close: async () => {
            abort.abort();
            await server.finished;
          },
        });
      },
    }, app.fetch);
    return promise;
  },
};

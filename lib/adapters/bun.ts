/**
 * The Bun adapter: `Bun.serve` and Hono's Bun WebSocket upgrade.
 *
 * @module
 */

/// <reference types="bun-types" />

import type { Hono } from "hono";
import { upgradeWebSocket, websocket } from "hono/bun";
import type { UpgradeWebSocket } from "hono/ws";
import {
  type ListenOptions,
  originOf,
  type RunningServer,
  type RuntimeAdapter,
} from "./adapter.ts";

type BunSocket = Parameters<typeof websocket.message>[0];

/**
 * Hono's Bun handler passes `message.buffer` for a binary frame: the whole backing buffer of
 * Bun's `Buffer`, which can be larger than the frame and start before it. Hand Hono an object
 * whose `buffer` is an exact view of the frame instead.
 */
function exactMessage(ws: BunSocket, message: string | Uint8Array): void {
  if (typeof message === "string") return websocket.message(ws, message);
  const view = new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
  websocket.message(ws, { buffer: view } as unknown as Buffer);
}

/**
 * Serve Switchboard on Bun.
 *
 * Bun enforces `maxMessageSize` in bytes before a frame reaches JavaScript (closing with
 * 1009), instead of its default of 16 MiB.
 *
 * @example
 * ```ts ignore
 * import { Hono } from "hono";
 * import { bunAdapter } from "./bun.ts";
 * const server = await bunAdapter.serve(new Hono(), {
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   maxMessageSize: 1 << 20,
 * });
 * await server.close();
 * ```
 */
export const bunAdapter: RuntimeAdapter = {
  runtime: "bun",
  upgradeWebSocket: upgradeWebSocket as UpgradeWebSocket,
  serve(app: Hono, options: ListenOptions): Promise<RunningServer> {
    const server = Bun.serve({
      hostname: options.hostname,
      port: options.port,
      fetch: app.fetch,
      websocket: { ...websocket, message: exactMessage, maxPayloadLength: options.maxMessageSize },
    });
    const port = server.port ?? options.port;
    return Promise.resolve({
      runtime: "bun",
      hostname: options.hostname,
      port,
      url: originOf(options.hostname, port),
      close: () => server.stop(true),
    });
  },
};

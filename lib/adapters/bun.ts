/**
 * The Bun adapter: `Bun.serve` and Hono's Bun WebSocket upgrade.
 *
 * @module
 */

/// <reference types="bun-types" />

import type { Hono } from "hono";
import { upgradeWebSocket, websocket } from "hono/bun";
import type { UpgradeWebSocket, WSEvents } from "hono/ws";
import {
  FRAME_SINK,
  type FrameSinkEvents,
  type ListenOptions,
  originOf,
  type RunningServer,
  type RuntimeAdapter,
} from "./adapter.ts";

/**
 * Hono's Bun handler passes `message.buffer` for a binary frame. Bun 1.4 hands the handler an
 * `ArrayBuffer` here (whose `.buffer` is undefined, so Hono would deliver nothing), and a
 * `Buffer` elsewhere (whose `.buffer` may be a larger pooled buffer starting before the
 * frame). Hand Hono an object whose `buffer` is an exact ArrayBuffer of the frame: the same
 * one without a copy when it already is exact. Not a typed-array view: Hono wraps the data in
 * a `MessageEvent`, which in Bun empties views.
 */
function exactMessage(ws: HonoBunSocket, message: string | ArrayBuffer | Uint8Array): void {
  if (typeof message === "string") return websocket.message(ws, message);
  let exact: ArrayBuffer;
  if (message instanceof ArrayBuffer) {
    exact = message;
  } else {
    const { buffer, byteOffset, byteLength } = message;
    exact = byteOffset === 0 && byteLength === buffer.byteLength
      ? buffer as ArrayBuffer
      : buffer.slice(byteOffset, byteOffset + byteLength) as ArrayBuffer;
  }
  websocket.message(ws, { buffer: exact } as unknown as Buffer);
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
      websocket: { ...websocket, message, maxPayloadLength: options.maxMessageSize },
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

/** A Bun socket as Hono's handlers type it (its `data` holds the events). */
type HonoBunSocket = Parameters<typeof websocket.message>[0];

/**
 * Bun's per-message handler: hands the frame straight to the events' {@linkcode FRAME_SINK}
 * when there is one, skipping the `MessageEvent`, `WSContext` and `URL` Hono builds per
 * message; otherwise defers to Hono. A sink that throws closes only its own connection.
 */
function message(ws: HonoBunSocket, data: string | ArrayBuffer | Uint8Array): void {
  const events = ws.data.events as WSEvents & FrameSinkEvents;
  if (events[FRAME_SINK] === undefined) {
    exactMessage(ws, data);
    return;
  }
  try {
    // Called as a method: the sink may be a method of the events object.
    events[FRAME_SINK](data);
  } catch {
    // The sink is the peer's receive, which reports its own failures; an escape here is a
    // bug, and ending this connection is the safe answer.
    ws.close(1011, "Internal error");
  }
}

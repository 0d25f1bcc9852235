/**
 * The Deno adapter: `Deno.serve`, and a WebSocket upgrade for Hono apps that drives
 * {@linkcode SocketSink} events (a Switchboard's) from the socket's own events and defers
 * any other events to Hono's Deno helper.
 *
 * @module
 */

import type { Context, Hono } from "hono";
import { upgradeWebSocket as honoUpgradeWebSocket } from "hono/deno";
import { defineWebSocketHelper, type UpgradeWebSocket, type WSEvents } from "hono/ws";
import {
  isSocketSink,
  type ListenOptions,
  originOf,
  type RunningServer,
  type RuntimeAdapter,
  type SocketSink,
} from "./adapter.ts";
import { CloseCode } from "../protocol/close_codes.ts";

/**
 * Feeds one socket's events to its sink: a listener object rather than four closures, so
 * an idle connection costs one small object here. A sink method that throws closes its own
 * socket with 1011 (an exception escaping an event listener would end the process).
 */
class SinkListener implements EventListenerObject {
  readonly #sink: SocketSink;

  constructor(sink: SocketSink) {
    this.#sink = sink;
  }

  handleEvent(event: Event): void {
    const socket = event.target as WebSocket;
    try {
      switch (event.type) {
        case "message":
          this.#sink.socketMessage((event as MessageEvent).data);
          return;
        case "open":
          this.#sink.socketOpened(socket);
          return;
        case "close": {
          const { code, reason } = event as CloseEvent;
          this.#sink.socketClosed(code, reason);
          return;
        }
        default:
          // "error": Deno fires "close" (1006) next, which the sink gets.
          return;
      }
    } catch {
      // The sink reports its own failures; an escape is a bug: end this connection only.
      if (socket.readyState === WebSocket.OPEN) {
        socket.close(CloseCode.InternalError, "Internal error");
      }
    }
  }
}

/**
 * Hono's `upgradeWebSocket` for Deno. {@linkcode SocketSink} events are fed from the socket's
 * own events (binary frames as `ArrayBuffer`); any other events go through Hono's Deno helper
 * unchanged. The first subprotocol a client offers is accepted, as Hono does.
 *
 * @example
 * ```ts ignore
 * import { Hono } from "hono";
 * import { Switchboard, switchboardRoutes } from "../../server.ts";
 * import { upgradeWebSocket } from "./deno.ts";
 * const app = new Hono();
 * app.route("/rpc", switchboardRoutes(new Switchboard(), upgradeWebSocket));
 * Deno.serve({ hostname: "127.0.0.1", port: 0 }, app.fetch);
 * ```
 */
export const upgradeWebSocket: UpgradeWebSocket = defineWebSocketHelper(
  (c, events: WSEvents, options) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") return undefined;
    if (!isSocketSink(events)) return honoUpgradeWebSocket(c, events, options);
    const protocol = c.req.header("sec-websocket-protocol")?.split(",")[0]?.trim();
    // idleTimeout 0: Switchboard has its own heartbeat, and Deno's ping timer keeps a closed
    // socket's memory alive for about 15 s (bench/churn.ts measures the difference).
    const { response, socket } = Deno.upgradeWebSocket(
      c.req.raw,
      protocol ? { idleTimeout: 0, ...options, protocol } : { idleTimeout: 0, ...options },
    );
    socket.binaryType = "arraybuffer";
    const listener = new SinkListener(events);
    socket.addEventListener("open", listener);
    socket.addEventListener("message", listener);
    socket.addEventListener("close", listener);
    socket.addEventListener("error", listener);
    return response;
  },
);

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
  upgradeWebSocket,
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
  remoteAddress(c: Context): string | undefined {
    // Deno.serve hands Hono its ServeHandlerInfo as the environment.
    const addr = (c.env as { remoteAddr?: { hostname?: unknown } } | undefined)?.remoteAddr;
    return typeof addr?.hostname === "string" ? addr.hostname : undefined;
  },
};

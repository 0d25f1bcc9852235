/**
 * The Bun adapter: `Bun.serve`, and a WebSocket upgrade for Hono apps that drives
 * {@linkcode SocketSink} events (a Switchboard's) straight from Bun's handlers and defers any
 * other events to Hono's own Bun helper.
 *
 * @module
 */

/// <reference types="bun-types" />

import type { Context, Hono } from "hono";
import { upgradeWebSocket as honoUpgradeWebSocket, websocket as honoWebsocket } from "hono/bun";
import { defineWebSocketHelper, type UpgradeWebSocket, type WSEvents } from "hono/ws";
import {
  isSocketSink,
  type ListenOptions,
  type NativeSocket,
  originOf,
  type RunningServer,
  type RuntimeAdapter,
  type RuntimeTopics,
  type SocketSink,
} from "./adapter.ts";
import { CloseCode } from "../protocol/close_codes.ts";

/**
 * Hono's Bun handler passes `message.buffer` for a binary frame. Bun 1.4 hands the handler an
 * `ArrayBuffer` here (whose `.buffer` is undefined, so Hono would deliver nothing), and a
 * `Buffer` elsewhere (whose `.buffer` may be a larger pooled buffer starting before the
 * frame). Hand Hono an object whose `buffer` is an exact ArrayBuffer of the frame: the same
 * one without a copy when it already is exact. Not a typed-array view: Hono wraps the data in
 * a `MessageEvent`, which in Bun empties views.
 */
function exactMessage(ws: HonoBunSocket, message: string | ArrayBuffer | Uint8Array): void {
  if (typeof message === "string") return honoWebsocket.message(ws, message);
  let exact: ArrayBuffer;
  if (message instanceof ArrayBuffer) {
    exact = message;
  } else {
    const { buffer, byteOffset, byteLength } = message;
    exact = byteOffset === 0 && byteLength === buffer.byteLength
      ? buffer as ArrayBuffer
      : buffer.slice(byteOffset, byteOffset + byteLength) as ArrayBuffer;
  }
  honoWebsocket.message(ws, { buffer: exact } as unknown as Buffer);
}

/** A Bun socket as Hono's handlers type it (its `data` holds the events). */
type HonoBunSocket = Parameters<typeof honoWebsocket.message>[0];

/** What a socket's `data` holds: a sink, or Hono's record of the events. */
type SocketData = SocketSink | HonoBunSocket["data"];

/** The Bun server behind a Hono context (`c.env` is the server, or holds it). */
function bunServerOf(env: unknown): Bun.Server<unknown> | undefined {
  if (typeof env !== "object" || env === null) return undefined;
  const holder = env as { server?: Bun.Server<unknown>; upgrade?: unknown };
  if (typeof holder.upgrade === "function") return env as Bun.Server<unknown>;
  return holder.server;
}

/** Each Bun server's topics, made on its first upgrade. */
const serverTopics = new WeakMap<Bun.Server<unknown>, RuntimeTopics>();

/** A Bun socket as the runtime topics use it. */
type TopicSocket = Bun.ServerWebSocket<unknown>;

/**
 * The topics of a Bun server (uWS topics): `server.publish`, or the socket's own `publish`
 * (everyone but that socket) when one is left out. Bun writes a published frame to each
 * socket in order with what was sent to it directly.
 */
function topicsOf(server: Bun.Server<unknown>): RuntimeTopics {
  let topics = serverTopics.get(server);
  if (topics === undefined) {
    topics = {
      subscribe: (socket: NativeSocket, topic: string) => (socket as TopicSocket).subscribe(topic),
      unsubscribe: (socket: NativeSocket, topic: string) =>
        (socket as TopicSocket).unsubscribe(topic),
      publish(topic: string, frame: string, except?: NativeSocket): void {
        if (except === undefined) server.publish(topic, frame);
        else (except as TopicSocket).publish(topic, frame);
      },
    };
    serverTopics.set(server, topics);
  }
  return topics;
}

/**
 * Hono's `upgradeWebSocket` for Bun. {@linkcode SocketSink} events become the socket's
 * `data` and Bun's handlers call them directly; any other events go through Hono's Bun
 * helper unchanged. Serve with {@linkcode websocket} as `Bun.serve`'s `websocket` option (it
 * handles both kinds), or use {@linkcode bunAdapter}'s `serve`, which does.
 *
 * @example
 * ```ts ignore
 * import { Hono } from "hono";
 * import { Switchboard, switchboardRoutes } from "../../server.ts";
 * import { upgradeWebSocket, websocket } from "./bun.ts";
 * const app = new Hono();
 * app.route("/rpc", switchboardRoutes(new Switchboard(), upgradeWebSocket));
 * const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch, websocket });
 * await server.stop(true);
 * ```
 */
export const upgradeWebSocket: UpgradeWebSocket = defineWebSocketHelper(
  (c, events: WSEvents, options) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") return undefined;
    if (!isSocketSink(events)) return honoUpgradeWebSocket(c, events, options);
    const server = bunServerOf(c.env);
    if (server === undefined) {
      throw new TypeError("Switchboard: serve with Bun.serve(app.fetch): no Bun server in c.env");
    }
    events.useTopics?.(topicsOf(server));
    // Bun ignores what fetch returns after a successful upgrade; Hono only needs a value.
    return server.upgrade(c.req.raw, { data: events }) ? new Response(null) : undefined;
  },
);

/**
 * Bun's WebSocket handlers for sockets upgraded by {@linkcode upgradeWebSocket}: sinks get
 * their open, frames and close directly; other sockets go through Hono's handlers (with
 * binary frames handed over as exact `ArrayBuffer`s). A sink method that throws closes its
 * own connection with 1011 and nothing else.
 *
 * @example Serve a Hono app yourself
 * ```ts ignore
 * import { Hono } from "hono";
 * import { websocket } from "./bun.ts";
 * const app = new Hono();
 * const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch, websocket });
 * await server.stop(true);
 * ```
 */
export const websocket: Bun.WebSocketHandler<SocketData> = {
  open(ws) {
    const data = ws.data;
    if (!isSocketSink(data)) return honoWebsocket.open(ws as HonoBunSocket);
    ws.binaryType = "arraybuffer";
    guarded(ws, () => data.socketOpened(ws));
  },
  message(ws, message) {
    const data = ws.data as Partial<SocketSink>;
    if (data.socketMessage === undefined) {
      return exactMessage(ws as HonoBunSocket, message as string | ArrayBuffer | Uint8Array);
    }
    try {
      data.socketMessage(message as string | ArrayBuffer);
    } catch {
      // A sink reports its own failures; an escape is a bug, and ending this connection is
      // the safe answer.
      ws.close(CloseCode.InternalError, "Internal error");
    }
  },
  close(ws, code, reason) {
    const data = ws.data;
    if (!isSocketSink(data)) return honoWebsocket.close(ws as HonoBunSocket, code, reason);
    guarded(ws, () => data.socketClosed(code, reason));
  },
  drain(ws) {
    const data = ws.data as Partial<SocketSink>;
    if (data.socketDrained !== undefined) guarded(ws, () => data.socketDrained!());
  },
};

/** Run a sink's open or close handler; a throw closes its socket (1011), nothing else. */
function guarded(ws: Bun.ServerWebSocket<SocketData>, handler: () => void): void {
  try {
    handler();
  } catch {
    // As in `message`: a bug in the sink ends its own connection only.
    if (ws.readyState === 1) ws.close(CloseCode.InternalError, "Internal error");
  }
}

/**
 * Bun drops a frame sent to a socket holding more than its `backpressureLimit` (16 MiB by
 * default; `send()` returns 0, and its topic publish skips the socket). Switchboard's own
 * bound closes a connection at twice `maxBufferedBytes` before a frame, so Bun's limit is
 * set above that plus one frame and the sampled frames between two reads (1 MiB).
 */
function backpressureLimit(options: ListenOptions): number {
  const bound = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  return Math.max(16 * 1024 * 1024, 2 * bound + options.maxMessageSize + 1024 * 1024);
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
  upgradeWebSocket,
  serve(app: Hono, options: ListenOptions): Promise<RunningServer> {
    const server = Bun.serve({
      hostname: options.hostname,
      port: options.port,
      fetch: app.fetch,
      websocket: {
        ...websocket,
        maxPayloadLength: options.maxMessageSize,
        backpressureLimit: backpressureLimit(options),
      },
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
  remoteAddress(c: Context): string | undefined {
    return bunServerOf(c.env)?.requestIP(c.req.raw)?.address;
  },
};

/**
 * The Node adapter (Node 22 and later): HTTP through `@hono/node-server`, WebSockets through
 * `ws` directly. A server's `upgrade` event runs the Hono app on a `Request` built from the
 * upgrade's head; {@linkcode upgradeWebSocket} then completes the handshake with `ws`, and
 * any other answer (401, 403, 426, …) is written back on the socket as an HTTP response.
 *
 * `ws` is used without `@hono/node-ws`: it enforces `maxPayload` before a frame reaches
 * JavaScript (closing with 1009), reports `bufferedAmount` for backpressure, and a
 * {@linkcode SocketSink} gets each frame with one call, without Hono's per-frame
 * `MessageEvent` and context objects.
 *
 * @module
 */

import { type IncomingMessage, type Server, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { createAdaptorServer } from "@hono/node-server";
import type { Hono } from "hono";
import {
  defineWebSocketHelper,
  type UpgradeWebSocket,
  WSContext,
  type WSEvents,
  type WSReadyState,
} from "hono/ws";
import { type WebSocket, WebSocketServer } from "ws";
import {
  isSocketSink,
  type ListenOptions,
  type NativeSocket,
  originOf,
  type RunningServer,
  type RuntimeAdapter,
  type SocketSink,
} from "./adapter.ts";
import { CloseCode } from "../protocol/close_codes.ts";

/** The key under which an upgrade's Node objects travel in `c.env`. */
const UPGRADE = "switchboard.nodeUpgrade";

/** One pending upgrade: what `ws` needs to finish the handshake. */
interface PendingUpgrade {
  readonly request: IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly server: WebSocketServer;
  /** Set once the handshake was handed to `ws`. */
  upgraded: boolean;
}

/** A binary frame as an exact `ArrayBuffer` (no copy when the Buffer already is one). */
function exactBuffer(data: Buffer): ArrayBuffer {
  const { buffer, byteOffset, byteLength } = data;
  return byteOffset === 0 && byteLength === buffer.byteLength
    ? buffer as ArrayBuffer
    : buffer.slice(byteOffset, byteOffset + byteLength) as ArrayBuffer;
}

/** A `ws` message as the core takes it: text as a string, binary as an `ArrayBuffer`. */
function frameOf(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): string | ArrayBuffer {
  const bytes = Array.isArray(data)
    ? Buffer.concat(data)
    : data instanceof ArrayBuffer
    ? Buffer.from(data)
    : data;
  return isBinary ? exactBuffer(bytes) : bytes.toString("utf8");
}

/**
 * Run an event handler; one that throws closes its own socket with 1011 and nothing else (an
 * exception escaping a `ws` listener would end the process).
 */
function guarded(ws: WebSocket, handler: () => void): void {
  try {
    handler();
  } catch {
    // Handlers report their own failures; an escape is a bug: end this connection only.
    if (ws.readyState === ws.OPEN) ws.close(CloseCode.InternalError, "Internal error");
  }
}

/** Feed a `ws` socket's events to a sink. */
function wireSink(ws: WebSocket, sink: SocketSink): void {
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    guarded(ws, () => sink.socketMessage(frameOf(data, isBinary)));
  });
  ws.once("close", (code: number, reason: Buffer) => {
    guarded(ws, () => sink.socketClosed(code, reason.toString("utf8")));
  });
  // "error" (bad frame, oversize message, reset): `ws` closes and emits "close" next.
  ws.on("error", () => {});
  guarded(ws, () => sink.socketOpened(ws as unknown as NativeSocket));
}

/** Feed a `ws` socket's events to Hono's `WSEvents` through a `WSContext`. */
function wireEvents(ws: WebSocket, events: WSEvents, url: string): void {
  const context = new WSContext<WebSocket>({
    send: (data) => ws.send(data),
    close: (code, reason) => ws.close(code, reason),
    raw: ws,
    get readyState(): WSReadyState {
      return ws.readyState as WSReadyState;
    },
    url,
    protocol: ws.protocol,
  });
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    const event = new MessageEvent("message", { data: frameOf(data, isBinary) });
    guarded(ws, () => events.onMessage?.(event, context));
  });
  ws.once("close", (code: number, reason: Buffer) => {
    const event = Object.assign(new Event("close"), {
      code,
      reason: reason.toString("utf8"),
      wasClean: code !== CloseCode.Abnormal,
    });
    guarded(ws, () => events.onClose?.(event as CloseEvent, context));
  });
  ws.on("error", (error: Error) => {
    guarded(ws, () => events.onError?.(Object.assign(new Event("error"), { error }), context));
  });
  guarded(ws, () => events.onOpen?.(new Event("open"), context));
}

/**
 * Hono's `upgradeWebSocket` for Node, for apps served by {@linkcode nodeAdapter}:
 * {@linkcode SocketSink} events are fed from the `ws` socket's own events (binary frames as
 * `ArrayBuffer`); any other events get a Hono `WSContext`. The first subprotocol a client
 * offers is accepted, as Hono does.
 *
 * @example
 * ```ts ignore
 * import { Hono } from "hono";
 * import { Switchboard, switchboardRoutes } from "../../server.ts";
 * import { nodeAdapter, upgradeWebSocket } from "./node.ts";
 * const app = new Hono();
 * app.route("/rpc", switchboardRoutes(new Switchboard(), upgradeWebSocket));
 * const server = await nodeAdapter.serve(app, {
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   maxMessageSize: 1 << 20,
 * });
 * await server.close();
 * ```
 */
export const upgradeWebSocket: UpgradeWebSocket = defineWebSocketHelper(
  (c, events: WSEvents) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") return undefined;
    const pending = (c.env as Record<string, PendingUpgrade | undefined> | undefined)?.[UPGRADE];
    if (pending === undefined) {
      throw new TypeError("Switchboard: serve with nodeAdapter.serve(app): no Node upgrade");
    }
    pending.upgraded = true;
    const url = c.req.url;
    pending.server.handleUpgrade(pending.request, pending.socket, pending.head, (ws) => {
      if (isSocketSink(events)) wireSink(ws, events);
      else wireEvents(ws, events, url);
    });
    // The upgrade handler ignores what the app answers once `ws` took the socket.
    return new Response(null);
  },
);

/** Write a Fetch `Response` on a raw socket as HTTP/1.1, then end it. */
async function writeResponse(socket: Duplex, response: Response): Promise<void> {
  const body = new Uint8Array(await response.arrayBuffer());
  const reason = response.statusText || STATUS_CODES[response.status] || "Unknown";
  const lines = [`HTTP/1.1 ${response.status} ${reason}`];
  response.headers.forEach((value, name) => {
    if (name !== "content-length" && name !== "transfer-encoding") lines.push(`${name}: ${value}`);
  });
  lines.push(`content-length: ${body.byteLength}`, "connection: close", "", "");
  socket.end(Buffer.concat([Buffer.from(lines.join("\r\n")), body]));
}

/** Answer one `upgrade` event by running the app on it. */
async function handleUpgrade(
  app: Hono,
  server: WebSocketServer,
  origin: string,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  socket.on("error", () => {}); // A reset before the handshake ends concerns no one else.
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  const pending: PendingUpgrade = { request, socket, head, server, upgraded: false };
  let response: Response;
  try {
    const req = new Request(new URL(request.url ?? "/", origin), { headers });
    response = await app.fetch(req, { [UPGRADE]: pending });
  } catch {
    response = new Response("Internal Server Error", { status: 500 });
  }
  if (!pending.upgraded) await writeResponse(socket, response).catch(() => socket.destroy());
}

/**
 * Serve Switchboard on Node 22 or later.
 *
 * `ws` enforces `maxMessageSize` in bytes before a message reaches JavaScript (closing with
 * 1009). Closing the server terminates open sockets.
 *
 * @example
 * ```ts ignore
 * import { Hono } from "hono";
 * import { nodeAdapter } from "./node.ts";
 * const server = await nodeAdapter.serve(new Hono(), {
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   maxMessageSize: 1 << 20,
 * });
 * await server.close();
 * ```
 */
export const nodeAdapter: RuntimeAdapter = {
  runtime: "node",
  upgradeWebSocket,
  serve(app: Hono, options: ListenOptions): Promise<RunningServer> {
    const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageSize });
    const server = createAdaptorServer({ fetch: app.fetch }) as Server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.hostname, () => {
        server.off("error", reject);
        const address = server.address();
        const port = typeof address === "object" && address !== null ? address.port : options.port;
        const url = originOf(options.hostname, port);
        server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
          void handleUpgrade(app, wss, url, request, socket, head);
        });
        resolve({
          runtime: "node",
          hostname: options.hostname,
          port,
          url,
          close: () =>
            new Promise<void>((done) => {
              for (const ws of wss.clients) ws.terminate();
              wss.close();
              server.close(() => done());
              server.closeAllConnections();
            }),
        });
      });
    });
  },
};

/**
 * The Worker of bench/workerd.ts: the example's Switchboard Durable Object at `/rpc`; at
 * `/echo` the raw baseline, a Durable Object that accepts hibernatable WebSockets and sends
 * every text frame back (the least any host on the Hibernation API can do per message); at
 * `/json` the JSON floor, which parses each request and answers it.
 *
 * @module
 */

import type {
  DurableObjectContext,
  DurableObjectNamespaceLike,
  HibernatingSocket,
} from "../cloudflare.ts";
import worker, { SwitchboardHub } from "../examples/cloudflare/worker.ts";

export { SwitchboardHub };

/** The raw echo: hibernatable sockets, each frame sent back as it came. */
export class EchoObject {
  readonly #ctx: DurableObjectContext;

  /**
   * @param ctx The object's state.
   */
  constructor(ctx: DurableObjectContext) {
    this.#ctx = ctx;
  }

  /**
   * Accept a WebSocket.
   *
   * @returns The 101 response.
   */
  fetch(): Response {
    const Pair = (globalThis as unknown as {
      WebSocketPair: new () => { 0: HibernatingSocket; 1: HibernatingSocket };
    }).WebSocketPair;
    const pair = new Pair();
    this.#ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] } as ResponseInit);
  }

  /**
   * Echo a frame.
   *
   * @param ws The socket.
   * @param message The frame.
   */
  webSocketMessage(ws: HibernatingSocket, message: string | ArrayBuffer): void {
    ws.send(message);
  }

  /**
   * Answer a close.
   *
   * @param ws The socket.
   * @param code The code.
   */
  webSocketClose(ws: HibernatingSocket, code: number): void {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code);
    } catch {
      // Already closed.
    }
  }
}

/**
 * The JSON floor: like the echo, but each frame is parsed as a JSON-RPC request and answered
 * with its params as the result, the least a JSON-RPC server does per call.
 */
export class JsonObject extends EchoObject {
  /**
   * Answer a request.
   *
   * @param ws The socket.
   * @param message The frame.
   */
  override webSocketMessage(ws: HibernatingSocket, message: string | ArrayBuffer): void {
    const request = JSON.parse(message as string) as { id: unknown; params: unknown };
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: request.id, result: request.params }));
  }
}

export default {
  fetch(
    request: Request,
    env: { ECHO: DurableObjectNamespaceLike; JSON: DurableObjectNamespaceLike },
  ): Promise<Response> {
    const url = new URL(request.url);
    const room = url.searchParams.get("room") ?? "main";
    if (url.pathname === "/echo") return env.ECHO.get(env.ECHO.idFromName(room)).fetch(request);
    if (url.pathname === "/json") return env.JSON.get(env.JSON.idFromName(room)).fetch(request);
    return worker.fetch(request, env);
  },
};

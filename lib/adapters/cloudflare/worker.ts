/**
 * The Worker in front of Switchboard Durable Objects: routes `/rpc` (WebSocket upgrades and
 * HTTP POST) to one object per room, and serves the prebuilt client at `/rpc/client.js`.
 *
 * @module
 */

import { CLIENT_ETAG, CLIENT_JS } from "../../server/client_bundle_generated.ts";
import type { DurableObjectNamespaceLike } from "./workers_types.ts";

/**
 * Longest room name a request may ask for.
 *
 * @example
 * ```ts
 * import { MAX_ROOM_LENGTH } from "./worker.ts";
 * if (MAX_ROOM_LENGTH !== 128) throw new Error("unreachable");
 * ```
 */
export const MAX_ROOM_LENGTH: number = 128;

/**
 * Options of {@linkcode switchboardWorker}.
 *
 * @example Types only
 * ```ts
 * import type { SwitchboardWorkerOptions } from "./worker.ts";
 * const options: SwitchboardWorkerOptions = { binding: "HUB", path: "/rpc", defaultRoom: "lobby" };
 * if (options.binding !== "HUB") throw new Error("unreachable");
 * ```
 */
export interface SwitchboardWorkerOptions {
  /** The Durable Object namespace binding in `env`. Default `SWITCHBOARD`. */
  readonly binding?: string;
  /** Path of the endpoint (WebSocket and POST). Default `/rpc`. */
  readonly path?: string;
  /** The room of a request without `?room=`. Default `main`. */
  readonly defaultRoom?: string;
  /**
   * Pick the room (the object's name) of a request yourself, for example from a path segment
   * or the authenticated user; return `undefined` for the default.
   */
  readonly room?: (request: Request, url: URL) => string | undefined;
  /** Serve the client at `<path>/client.js`. Default true. */
  readonly serveClient?: boolean;
}

/**
 * A Worker's `fetch` handler for Switchboard objects: `<path>?room=<name>` reaches the
 * object named `<name>` (one hub per room), `<path>/client.js` is the client module; other
 * paths get 404 (wrap the handler to serve more).
 *
 * @param options Binding, path, room choice.
 * @returns The Worker's default export.
 * @example
 * ```ts
 * import { switchboardWorker } from "./worker.ts";
 * const worker = switchboardWorker({ binding: "HUB" });
 * const res = await worker.fetch(new Request("http://x/rpc/client.js"), {});
 * if (res.status !== 200 || res.headers.get("access-control-allow-origin") !== "*") {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export function switchboardWorker(
  options: SwitchboardWorkerOptions = {},
): { fetch(request: Request, env: unknown): Promise<Response> } {
  const binding = options.binding ?? "SWITCHBOARD";
  const path = options.path ?? "/rpc";
  const defaultRoom = options.defaultRoom ?? "main";
  const serveClient = options.serveClient ?? true;
  return {
    fetch(request: Request, env: unknown): Promise<Response> {
      const url = new URL(request.url);
      if (serveClient && url.pathname === `${path}/client.js`) {
        return Promise.resolve(clientModule(request));
      }
      if (url.pathname !== path) return Promise.resolve(new Response("Not found", { status: 404 }));
      const room = options.room?.(request, url) ?? url.searchParams.get("room") ?? defaultRoom;
      if (room.length === 0 || room.length > MAX_ROOM_LENGTH) {
        return Promise.resolve(
          new Response(`Bad room name: 1 to ${MAX_ROOM_LENGTH} characters`, { status: 400 }),
        );
      }
      const namespace = (env as Record<string, unknown> | undefined)?.[binding] as
        | DurableObjectNamespaceLike
        | undefined;
      if (typeof namespace?.idFromName !== "function") {
        return Promise.resolve(
          new Response(`Switchboard: no Durable Object binding named ${binding}`, { status: 500 }),
        );
      }
      return namespace.get(namespace.idFromName(room)).fetch(request);
    },
  };
}

/**
 * Answer `GET <path>/client.js` with the prebuilt client (304 when the copy is current).
 *
 * @param request The request.
 * @returns The response.
 */
function clientModule(request: Request): Response {
  const headers = {
    "etag": CLIENT_ETAG,
    "cache-control": "no-cache",
    "access-control-allow-origin": "*",
    "content-type": "text/javascript; charset=utf-8",
  };
  const match = request.headers.get("if-none-match")?.split(",").some((tag) => {
    const trimmed = tag.trim();
    return trimmed === "*" || trimmed.replace(/^W\//, "") === CLIENT_ETAG;
  });
  return new Response(match ? null : CLIENT_JS, { status: match ? 304 : 200, headers });
}

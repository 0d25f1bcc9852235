/**
 * The Hono routes of a Switchboard endpoint: WebSocket upgrade on GET, JSON-RPC on POST.
 *
 * @module
 */

import { Hono } from "hono";
import type { UpgradeWebSocket } from "hono/ws";
import { refusal, type Switchboard } from "./switchboard.ts";
import { addClientRoutes } from "./client_bundle.ts";

/**
 * A Hono sub-app that serves a Switchboard at its root: `GET` upgrades to WebSocket (426
 * without an `Upgrade: websocket` header), `POST` answers JSON-RPC over HTTP, and
 * `GET /client.js` serves the bundled client and `GET /client.d.ts` its types (unless the
 * `serveClient` option is false).
 * Mount it on any path of your own app with `app.route(path, routes)`. The sub-app does not
 * know where your server listens, so it checks no `Host` or `Origin`: put a `HostGuard`
 * (lib/server/host_guard.ts) in front of it, as `serve()` does (docs/SECURITY.md).
 *
 * @param switchboard The server.
 * @param upgradeWebSocket Hono's helper for the runtime (from an adapter).
 * @returns The sub-app.
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { Switchboard } from "./switchboard.ts";
 * import { switchboardRoutes } from "./routes.ts";
 * import { detectAdapter } from "../adapters/detect.ts";
 * const sb = new Switchboard();
 * const app = new Hono();
 * app.route("/rpc", switchboardRoutes(sb, (await detectAdapter()).upgradeWebSocket));
 * const res = await app.request("/rpc");
 * if (res.status !== 426) throw new Error("unreachable");
 * ```
 */
export function switchboardRoutes(
  switchboard: Switchboard,
  upgradeWebSocket: UpgradeWebSocket,
): Hono {
  const app = new Hono();
  if (switchboard.servesClient) addClientRoutes(app, "");
  app.get("/", async (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      return c.text("Upgrade Required: connect with a WebSocket client", 426, {
        upgrade: "websocket",
      });
    }
    let events;
    try {
      events = await switchboard.websocketEvents(c);
    } catch (error) {
      return refusal(error);
    }
    return await upgradeWebSocket(c, events);
  });
  app.post("/", (c) => switchboard.fetchHttp(c.req.raw, c));
  return app;
}

/**
 * The hub's HTTP face on its Hono app: the host and origin guard on every route, `GET
 * /health`, `GET /metrics`, the inspector page at `GET /`, `client.js`, and the endpoint
 * itself (WebSocket upgrade with the pre-authentication gate and cap, HTTP POST), with
 * bearer, cookie or `?token=` authentication at the upgrade.
 *
 * @module
 */

import type { Context, Hono } from "hono";
import type { WSContext } from "hono/ws";
import { getCookie } from "hono/cookie";
import type { RuntimeAdapter } from "../server/host.ts";
import { ErrorCode, HubErrorCode } from "../protocol/errors.ts";
import { CloseCode } from "../protocol/close_codes.ts";
import { addClientRoutes } from "../server/client_bundle.ts";
import { refusal, type Switchboard } from "../server/switchboard.ts";
import type { HostGuard } from "../server/host_guard.ts";
import { readPreAuthBody } from "../server/http.ts";
import type { Authenticator } from "./auth.ts";
import { type ClusterHealth, clusterMetrics } from "./cluster.ts";
import type { HubConfig } from "./config.ts";
import { inspectorPage } from "./inspector.ts";
import type { Logger } from "./log.ts";
import type { HubMetrics } from "./metrics.ts";
import type { Identity } from "./policy.ts";
import type { PreAuthGate, PreAuthTicket } from "./pre_auth.ts";
import { identityOf } from "./procedures.ts";
import type { HubRouter } from "./routing.ts";

/**
 * What the routes read and record of their hub.
 *
 * @example Types only
 * ```ts
 * import type { HubHttpHost } from "./http_routes.ts";
 * const draining = (host: HubHttpHost): boolean => host.draining();
 * if (typeof draining !== "function") throw new Error("unreachable");
 * ```
 */
export interface HubHttpHost {
  /** The configuration. */
  readonly config: HubConfig;
  /** The runtime adapter (upgrade, remote address). */
  readonly adapter: RuntimeAdapter;
  /** The hub's Switchboard. */
  readonly switchboard: Switchboard;
  /** The hub's counters. */
  readonly metrics: HubMetrics;
  /** The routing table (for `/metrics`). */
  readonly router: HubRouter;
  /** The log. */
  readonly log: Logger;
  /** Host and origin checks. */
  readonly guard: HostGuard;
  /** Token checks. */
  readonly auth: Authenticator;
  /** The pre-authentication gate. */
  readonly gate: PreAuthGate;
  /** Connection data by upgrade request (set by the Switchboard's `context` hook). */
  readonly data: WeakMap<Request, Record<string, unknown>>;
  /** Identities authenticated at the upgrade or POST, by request. */
  readonly preAuth: WeakMap<Request, Identity>;
  /** Places at the pre-authentication gate, by connection data. */
  readonly tickets: WeakMap<object, PreAuthTicket>;
  /** Whether the hub is shutting down. */
  draining(): boolean;
  /** The cluster's state; undefined for a single hub. */
  clusterHealth(): ClusterHealth | undefined;
  /** The identity of a request that brought no token. */
  initialIdentity(): Identity;
}

/**
 * Mount the hub's routes on its app.
 *
 * @param app The hub's Hono app.
 * @param host What the routes read of the hub.
 * @example
 * ```ts ignore
 * mountHubRoutes(hub.app, host);
 * ```
 */
export function mountHubRoutes(app: Hono, host: HubHttpHost): void {
  const { path } = host.config;
  // Every route, the inspector and metrics included: a rebound page must reach none.
  app.use("*", async (c, next) => {
    const refused = await host.guard.middleware(c, next);
    if (refused instanceof Response) {
      host.metrics.upgradesRefused++;
      host.log.warn(`refused ${c.req.method} ${c.req.path}: host or origin not allowed`);
    }
    return refused;
  });
  app.get("/health", (c) => {
    const cluster = host.clusterHealth();
    return c.json(
      {
        ok: !host.draining(),
        connections: host.switchboard.peers.size,
        ...(cluster === undefined ? {} : { cluster }),
      },
      host.draining() ? 503 : 200,
    );
  });
  app.get("/metrics", (c) =>
    c.text(
      host.metrics.render({
        connections: host.switchboard.peers.size,
        procedures: host.router.size,
        topics: host.switchboard.pubsub.topics(),
      }) + clusterMetrics(host.clusterHealth(), host.router.list().length),
      200,
      { "content-type": "text/plain; version=0.0.4" },
    ));
  if (host.config.inspector) {
    app.get("/", (c) => c.html(inspectorPage(path)));
  }
  // The client and its types, public like the inspector page (the code is no secret).
  if (host.switchboard.servesClient) addClientRoutes(app, path);
  app.use(path, async (c, next) => {
    if (host.draining()) {
      host.metrics.upgradesRefused++;
      return c.json(httpError(HubErrorCode.ShuttingDown, "Switchboard hub: shutting down"), 503);
    }
    const token = bearer(c.req.header("authorization")) ?? getCookie(c, "switchboard_token") ??
      c.req.query("token");
    if (token !== undefined) {
      const identity = await host.auth.authenticate(token);
      if (identity === undefined) {
        host.metrics.upgradesRefused++;
        return c.json(httpError(HubErrorCode.Unauthenticated, "Authentication failed"), 401);
      }
      host.preAuth.set(c.req.raw, identity);
    }
    await next();
    return undefined;
  });
  app.get(path, async (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      return c.text("Upgrade Required: connect with a WebSocket client", 426, {
        upgrade: "websocket",
      });
    }
    let events;
    try {
      events = await host.switchboard.websocketEvents(c);
    } catch (error) {
      host.metrics.upgradesRefused++;
      return refusal(error);
    }
    const data = host.data.get(c.req.raw) ?? {};
    const cap = host.config.preAuthMaxMessageSize;
    let socket: WSContext | undefined;
    if (!identityOf(data).admitted) {
      const ticket = enterGate(
        host,
        c,
        () => socket?.close(CloseCode.AuthenticationTimeout, "Authentication timeout"),
      );
      if (ticket instanceof Response) return ticket;
      host.tickets.set(data, ticket);
    }
    return await host.adapter.upgradeWebSocket(c, {
      onOpen: (event, ws) => {
        socket = ws;
        // Missed its deadline before it even opened.
        if (host.tickets.get(data)?.expired) {
          ws.close(CloseCode.AuthenticationTimeout, "Authentication timeout");
        }
        events.onOpen?.(event, ws);
      },
      onMessage: (event, ws) => {
        const frame = event.data as string | ArrayBuffer;
        const size = typeof frame === "string" ? frame.length : frame.byteLength;
        if (size > cap && !identityOf(data).admitted) {
          ws.close(CloseCode.MessageTooBig, "Message too big before authentication");
          return;
        }
        events.onMessage?.(event, ws);
      },
      onClose: (event, ws) => {
        host.tickets.get(data)?.release();
        events.onClose?.(event, ws);
      },
      onError: (event, ws) => events.onError?.(event, ws),
    });
  });
  app.post(path, async (c) => {
    const identity = host.preAuth.get(c.req.raw) ?? host.initialIdentity();
    if (identity.admitted) return await host.switchboard.fetchHttp(c.req.raw, c);
    // Not authenticated: read at most the pre-auth cap, declared or chunked.
    const body = await readPreAuthBody(c.req.raw, host.config.preAuthMaxMessageSize);
    if (body === undefined) {
      return c.json(httpError(HubErrorCode.Unauthenticated, "Authentication required"), 401);
    }
    return await host.switchboard.fetchHttp(body, c);
  });
}

/** A place at the pre-authentication gate, or the refusal (401, 429, 503) to answer. */
function enterGate(
  host: HubHttpHost,
  c: Context,
  expire: () => void,
): PreAuthTicket | Response {
  const refuse = (status: 401 | 429 | 503, code: number, message: string): Response => {
    host.metrics.upgradesRefused++;
    host.log.warn(`refused an unauthenticated upgrade: ${message}`);
    return c.json(httpError(code, message), status);
  };
  if (host.config.requireUpgradeAuth) {
    return refuse(401, HubErrorCode.Unauthenticated, "Authentication required");
  }
  const address = host.adapter.remoteAddress?.(c) ?? "unknown";
  const ticket = host.gate.enter(address, expire);
  if (ticket === "global") {
    return refuse(503, ErrorCode.LimitExceeded, "Too many unauthenticated connections");
  }
  if (ticket === "address") {
    return refuse(429, ErrorCode.LimitExceeded, "Too many unauthenticated connections");
  }
  return ticket;
}

function bearer(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}

function httpError(code: number, message: string): unknown {
  return { jsonrpc: "2.0", id: null, error: { code, message } };
}
